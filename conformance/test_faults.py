"""Failure on demand (`/_amplify-local/faults`): AWS errors and latency for chosen operations, through real clients."""
import json
import random
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config

from conftest import ACCOUNT, REGION, Server, make_client, wait_until


def admin(server, method, path, body=None, query=""):
    """A JSON admin request; returns (status, decoded body)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {} if data is None else {"Content-Type": "application/json"}
    request = urllib.request.Request(f"{server.endpoint}/_amplify-local/{path}{query}", data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def add_rule(server, **rule):
    status, body = admin(server, "POST", "faults", rule)
    assert status == 200, body
    return body


def retrying_client(server, attempts):
    return boto3.client(
        "amplify", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=ACCOUNT, aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}),
    )


@pytest.fixture
def fault_server(fresh_server):
    return fresh_server()


@pytest.mark.parametrize("error,status", [
    ("BadRequestException", 400), ("UnauthorizedException", 401), ("NotFoundException", 404),
    ("LimitExceededException", 429), ("InternalFailureException", 500), ("DependentServiceFailureException", 503),
])
def test_each_error_kind_reaches_boto3_as_its_exception(fault_server, error, status):
    client = fault_server.client()
    app = client.create_app(name="faulted")["app"]["appId"]
    add_rule(fault_server, operations=["GetApp"], error=error, message=f"injected {error}")
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.get_app(appId=app)
    assert raised.value.response["Error"]["Code"] == error
    assert raised.value.response["Error"]["Message"] == f"injected {error}"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert type(raised.value).__name__ == error
    client.list_apps()  # other operations are untouched


@pytest.mark.parametrize("error", ["LimitExceededException", "InternalFailureException", "DependentServiceFailureException"])
def test_botocore_retries_throttling_and_server_errors(fault_server, error):
    client = retrying_client(fault_server, attempts=3)
    app = client.create_app(name="retried")["app"]["appId"]
    rule = add_rule(fault_server, operations=["GetApp"], error=error, count=2)
    assert client.get_app(appId=app)["app"]["appId"] == app  # two failures, retried, then the real answer
    listed = {r["id"]: r for r in admin(fault_server, "GET", "faults")[1]["rules"]}
    assert listed[rule["id"]]["fired"] == 2
    admin(fault_server, "DELETE", "faults")
    rule = add_rule(fault_server, operations=["GetApp"], error=error)
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.get_app(appId=app)
    assert raised.value.response["Error"]["Code"] == error
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert admin(fault_server, "GET", "faults")[1]["rules"][0]["fired"] == 3


def test_bad_request_is_not_retried(fault_server):
    client = retrying_client(fault_server, attempts=3)
    add_rule(fault_server, operations=["ListApps"], error="BadRequestException")
    with pytest.raises(client.exceptions.BadRequestException) as raised:
        client.list_apps()
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert admin(fault_server, "GET", "faults")[1]["rules"][0]["fired"] == 1


def test_a_faulted_request_changes_nothing(fault_server):
    client = fault_server.client()
    add_rule(fault_server, operations=["CreateApp", "DeleteApp"], error="InternalFailureException")
    with pytest.raises(client.exceptions.InternalFailureException):
        client.create_app(name="never")
    assert client.list_apps()["apps"] == []


def test_rules_match_by_app_branch_account_and_region(fault_server):
    client = fault_server.client()
    first = client.create_app(name="one")["app"]["appId"]
    second = client.create_app(name="two")["app"]["appId"]
    for app in (first, second):
        client.create_branch(appId=app, branchName="main")
        client.create_branch(appId=app, branchName="dev")
    add_rule(fault_server, operations=["*"], error="NotFoundException", appId=first, branchName="dev")
    add_rule(fault_server, operations=["GetApp"], error="NotFoundException", region="eu-west-1")
    add_rule(fault_server, operations=["GetApp"], error="NotFoundException", account="111111111111")
    client.get_branch(appId=first, branchName="main")
    client.get_branch(appId=second, branchName="dev")
    client.get_app(appId=first)
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_branch(appId=first, branchName="dev")
    with pytest.raises(client.exceptions.NotFoundException):
        make_client(fault_server.endpoint, region="eu-west-1").get_app(appId=first)
    with pytest.raises(client.exceptions.NotFoundException):
        make_client(fault_server.endpoint, account="111111111111").get_app(appId=first)


def test_latency_fixed_and_as_a_range(fault_server):
    client = fault_server.client()
    add_rule(fault_server, operations=["ListApps"], latencyMs=400)
    started = time.monotonic()
    client.list_apps()
    assert time.monotonic() - started >= 0.4
    admin(fault_server, "DELETE", "faults")
    add_rule(fault_server, operations=["ListApps"], latencyMs={"min": 150, "max": 250})
    for _ in range(3):
        started = time.monotonic()
        client.list_apps()
        assert time.monotonic() - started >= 0.15
    started = time.monotonic()
    client.list_branches(appId=client.create_app(name="quick")["app"]["appId"])
    assert time.monotonic() - started < 0.15


def test_a_seeded_probability_fires_the_same_way_every_run(fault_server):
    client = fault_server.client()

    def run():
        rule = add_rule(fault_server, operations=["ListApps"], error="InternalFailureException", probability=0.5, seed=42)
        outcomes = []
        for _ in range(40):
            try:
                client.list_apps()
                outcomes.append(False)
            except client.exceptions.InternalFailureException:
                outcomes.append(True)
        fired = admin(fault_server, "GET", "faults")[1]["rules"][0]["fired"]
        admin(fault_server, "DELETE", f"faults/{rule['id']}")
        return outcomes, fired

    first, fired = run()
    second, _ = run()
    assert first == second
    assert fired == sum(first)
    assert 8 < sum(first) < 32  # about half


def succeeds(call):
    """Whether `call()` answered without the rule's error."""
    try:
        call()
        return True
    except Exception:  # noqa: BLE001 (the injected fault)
        return False


def test_counts_and_expiry_end_a_rule(fault_server):
    client = fault_server.client()
    add_rule(fault_server, operations=["ListApps"], error="InternalFailureException", count=2)
    for _ in range(2):
        with pytest.raises(client.exceptions.InternalFailureException):
            client.list_apps()
    client.list_apps()
    add_rule(fault_server, operations=["ListApps"], error="InternalFailureException", expiresAt=time.time() + 1)
    with pytest.raises(client.exceptions.InternalFailureException):
        client.list_apps()
    assert wait_until(lambda: succeeds(client.list_apps), timeout=10), "the rule outlived its expiresAt"


def test_rules_are_listed_and_deleted(fault_server):
    first = add_rule(fault_server, operations=["GetApp", "ListApps"], error="NotFoundException", appId="d123")
    second = add_rule(fault_server, operations=["*"], latencyMs=1)
    status, listed = admin(fault_server, "GET", "faults")
    assert status == 200 and [r["id"] for r in listed["rules"]] == [first["id"], second["id"]]
    assert listed["rules"][0]["operations"] == ["GetApp", "ListApps"] and listed["rules"][0]["appId"] == "d123"
    assert listed["rules"][1]["operations"] == ["*"] and listed["rules"][1]["fired"] == 0
    assert admin(fault_server, "DELETE", f"faults/{first['id']}")[0] == 200
    status, body = admin(fault_server, "DELETE", f"faults/{first['id']}")
    assert status == 404 and "not found" in body["message"]
    assert admin(fault_server, "DELETE", "faults")[0] == 200
    assert admin(fault_server, "GET", "faults")[1] == {"rules": []}
    add_rule(fault_server, operations=["*"], latencyMs=1)
    admin(fault_server, "POST", "reset")
    assert admin(fault_server, "GET", "faults")[1] == {"rules": []}


@pytest.mark.parametrize("body,member", [
    ({"error": "InternalFailureException"}, "operations"),
    ({"operations": ["Nope"], "error": "InternalFailureException"}, "operations"),
    ({"operations": ["GetApp"]}, "error"),
    ({"operations": ["GetApp"], "error": "TeapotException"}, "error"),
    ({"operations": ["GetApp"], "error": "InternalFailureException", "probability": 1.5}, "probability"),
    ({"operations": ["GetApp"], "latencyMs": {"min": 5, "max": 1}}, "latencyMs"),
    ({"operations": ["GetApp"], "latencyMs": -1}, "latencyMs"),
    ({"operations": ["GetApp"], "error": "InternalFailureException", "count": 0}, "count"),
    ({"operations": ["GetApp"], "error": "InternalFailureException", "expiresAt": "tomorrow"}, "expiresAt"),
    ({"operations": ["GetApp"], "error": "InternalFailureException", "colour": "red"}, "colour"),
])
def test_bad_rules_are_refused_naming_the_member(fault_server, body, member):
    status, answer = admin(fault_server, "POST", "faults", body)
    assert status == 400
    assert answer["__type"] == "BadRequestException" and answer["message"].startswith(f"{member}:"), answer
    assert admin(fault_server, "GET", "faults")[1] == {"rules": []}


def test_rules_from_a_file_at_start(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"operations": ["ListApps"], "error": "LimitExceededException", "message": "slow down"}]))
    server = Server("--faults", str(rules)).start()
    try:
        with pytest.raises(server.client().exceptions.LimitExceededException, match="slow down"):
            server.client().list_apps()
        assert admin(server, "GET", "faults")[1]["rules"][0]["fired"] == 1
    finally:
        server.stop()
    rules.write_text(json.dumps([{"operations": ["ListApps"], "probability": 3, "error": "LimitExceededException"}]))
    from test_front_door import run_binary
    result = run_binary("--faults", str(rules), "--in-memory", "--port", "0")
    assert result.returncode != 0
    assert f"--faults {rules}: rule 1: probability: must be a number from 0 to 1." in result.stderr


def test_admin_endpoints_need_a_signature_under_strict_auth(fresh_server, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.write_text(f"{ACCOUNT}:secret\n")
    server = fresh_server("--auth", "strict", "--credentials", str(credentials))
    status, body = admin(server, "POST", "faults", {"operations": ["*"], "latencyMs": 1})
    assert status in (400, 403) and body["__type"] in ("MissingAuthenticationTokenException", "IncompleteSignatureException"), body
    assert admin(server, "GET", "faults")[0] in (400, 403)
    server.client().list_apps()  # the API itself still answers signed requests
    # Signed as the API is signed, the admin request goes through and acts on the signer's account.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = json.dumps({"operations": ["ListApps"], "error": "NotFoundException", "message": "signed rule"})
    request = AWSRequest(method="POST", url=f"{server.endpoint}/_amplify-local/faults", data=body,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(ACCOUNT, "secret"), "amplify", REGION).add_auth(request)
    prepared = request.prepare()
    with urllib.request.urlopen(urllib.request.Request(prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST")) as response:
        assert response.status == 200 and json.load(response)["message"] == "signed rule"
    with pytest.raises(server.client().exceptions.NotFoundException, match="signed rule"):
        server.client().list_apps()
