"""--auth strict against a hostile caller: SigV4 dates, scopes and signed headers checked as AWS checks them, and the
admin endpoints signed and kept to the signer's account and region (issue 33)."""
import datetime
import hashlib
import hmac
import http.client
import json
import urllib.parse
import uuid
from unittest import mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import wait_for_status

# Two tenants, each with an account of its own; a third key to sign badly with.
A_KEY, A_SECRET, A_ACCOUNT = "AKIDTENANTA", "secret-a", "111111111111"
B_KEY, B_SECRET, B_ACCOUNT = "AKIDTENANTB", "secret-b", "222222222222"
REGION = "us-east-1"


@pytest.fixture
def strict(fresh_server, tmp_path):
    path = tmp_path / "credentials"
    path.write_text(f"{A_KEY}:{A_SECRET}:{A_ACCOUNT}\n{B_KEY}:{B_SECRET}:{B_ACCOUNT}\n")
    return fresh_server("--auth", "strict", "--credentials", str(path), "--simulated-build-seconds", "0.2")


def client(server, key=A_KEY, secret=A_SECRET, region=REGION):
    return boto3.client("amplify", endpoint_url=server.endpoint, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def request(server, method, path, body=b"", headers=None):
    """A raw request; returns (status, error type, decoded JSON body or None)."""
    headers = dict(headers or {})
    if body:
        headers.setdefault("Content-Type", "application/json")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        decoded = None
    return response.status, response.getheader("x-amzn-ErrorType"), decoded


def signed(server, method, path, body=b"", key=A_KEY, secret=A_SECRET, service="amplify", when=None, region=REGION):
    """A request signed by botocore (as boto3 and the AWS CLI sign), optionally at another time or for another
    service; returns what `request` returns."""
    aws = botocore.awsrequest.AWSRequest(method=method, url=f"{server.endpoint}{path}", data=body,
                                         headers={"Content-Type": "application/json"})
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), service, region)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when or utcnow()):
        signer.add_auth(aws)
    return request(server, method, path, body, dict(aws.headers.items()))


def hand_signed(server, method, path, signed_names, headers, presigned=False, body=b""):
    """A request signed by hand over exactly `signed_names` (which botocore would never leave `host` out of)."""
    now = utcnow()
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/{REGION}/amplify/aws4_request"
    headers = {name.lower(): value for name, value in headers.items()}
    headers.setdefault("host", f"127.0.0.1:{server.port}")
    signed_headers = ";".join(sorted(signed_names))
    query = []
    if presigned:
        query = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", f"{A_KEY}/{scope}"),
                 ("X-Amz-Date", amz_date), ("X-Amz-Expires", "300"), ("X-Amz-SignedHeaders", signed_headers)]
    else:
        headers["x-amz-date"] = amz_date
    encode = lambda text: urllib.parse.quote(text, safe="-_.~")  # noqa: E731
    canonical_query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(query))
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in sorted(signed_names))
    canonical = "\n".join([method, path, canonical_query, canonical_headers, signed_headers, hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{A_SECRET}".encode()
    for part in [day, REGION, "amplify", "aws4_request"]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if presigned:
        path += "?" + canonical_query + "&X-Amz-Signature=" + signature
    else:
        headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={A_KEY}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    headers.pop("host")
    return request(server, method, path, body, headers)


def presigned_url(server, when, expires=300):
    amplify = client(server)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        return amplify.generate_presigned_url("list_apps", ExpiresIn=expires)


def get(url):
    split = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
    connection.request("GET", split.path + "?" + split.query)
    response = connection.getresponse()
    body = response.read()
    return response.status, response.getheader("x-amzn-ErrorType"), json.loads(body) if body else None


def test_dates_beyond_the_skew_either_way_are_refused(strict):
    # Presigned on the server's clock: works; dated 2099: refused however long it says it lasts.
    assert get(presigned_url(strict, utcnow()))[0] == 200
    status, code, body = get(presigned_url(strict, datetime.datetime(2099, 1, 1)))
    assert (status, code) == (403, "InvalidSignatureException"), body
    assert body["message"].startswith("Signature not yet current: 20990101T000000Z is still later than "), body
    assert body["message"].endswith(" + 5 min.)"), body
    # A presigned URL dated 6 minutes ahead, and one whose X-Amz-Expires has run out.
    assert get(presigned_url(strict, utcnow() + datetime.timedelta(minutes=6)))[:2] == (403, "InvalidSignatureException")
    status, code, body = get(presigned_url(strict, utcnow() - datetime.timedelta(minutes=10), expires=60))
    assert (status, code) == (403, "InvalidSignatureException") and body["message"].startswith("Signature expired: "), body
    # X-Amz-Expires past AWS's 7 days.
    url = presigned_url(strict, utcnow(), expires=604800)
    assert get(url)[0] == 200
    status, code, body = get(url.replace("X-Amz-Expires=604800", "X-Amz-Expires=604801"))
    assert (status, code) == (400, "IncompleteSignatureException"), body
    # The header form: AWS's 5 minutes, either way.
    assert signed(strict, "GET", "/apps", when=utcnow() - datetime.timedelta(minutes=2))[0] == 200
    status, code, body = signed(strict, "GET", "/apps", when=utcnow() + datetime.timedelta(minutes=6))
    assert (status, code) == (403, "InvalidSignatureException") and body["message"].startswith("Signature not yet current: "), body
    status, code, body = signed(strict, "GET", "/apps", when=utcnow() - datetime.timedelta(minutes=6))
    assert (status, code) == (403, "InvalidSignatureException"), body
    assert body["message"].startswith("Signature expired: ") and body["message"].endswith(" - 5 min.)"), body
    # The admin endpoints check dates as the API does.
    status, code, _ = signed(strict, "GET", "/_amplify-local/state", when=datetime.datetime(2099, 1, 1))
    assert (status, code) == (403, "InvalidSignatureException")


def test_a_signature_scoped_to_another_service_is_refused(strict):
    status, code, body = signed(strict, "GET", "/apps", service="s3")
    assert (status, code) == (403, "InvalidSignatureException"), body
    assert body["message"] == "Credential should be scoped to correct service: 'amplify'."
    # Presigned the same way (botocore signs the query for `s3` with the same key).
    aws = botocore.awsrequest.AWSRequest(method="GET", url=f"{strict.endpoint}/apps")
    botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials(A_KEY, A_SECRET), "s3", REGION, expires=60).add_auth(aws)
    status, code, body = get(aws.url)
    assert (status, code) == (403, "InvalidSignatureException") and "'amplify'" in body["message"], body
    # And on an admin endpoint, where a signature for `s3` could otherwise reset a tenant.
    status, code, _ = signed(strict, "POST", "/_amplify-local/reset", service="s3")
    assert (status, code) == (403, "InvalidSignatureException")
    assert signed(strict, "GET", "/apps")[0] == 200  # the same request for `amplify` passes


def test_a_signature_that_does_not_sign_host_is_refused(strict):
    # The hand signer is right: with host signed, both forms pass.
    assert hand_signed(strict, "GET", "/apps", ["host", "x-amz-date"], {})[0] == 200
    assert hand_signed(strict, "GET", "/apps", ["host"], {}, presigned=True)[0] == 200
    status, code, body = hand_signed(strict, "GET", "/apps", ["x-amz-date"], {})
    assert (status, code) == (403, "InvalidSignatureException"), body
    assert body["message"] == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    status, code, body = hand_signed(strict, "GET", "/apps", ["accept"], {"Accept": "application/json"}, presigned=True)
    assert (status, code) == (403, "InvalidSignatureException") and "'Host'" in body["message"], body
    # A signed header that the request does not carry is an incomplete signature, as on AWS.
    status, code, body = hand_signed(strict, "GET", "/apps", ["host", "x-amz-date", "x-custom"], {})
    assert (status, code) == (400, "IncompleteSignatureException") and "'x-custom'" in body["message"], body


def seed(amplify, name):
    """An app with a branch, a finished job and a tag: what a reset or load must leave alone in other tenants."""
    app = amplify.create_app(name=name, repository="https://example.com/repo.git", accessToken="t")["app"]
    amplify.create_branch(appId=app["appId"], branchName="main")
    amplify.create_webhook(appId=app["appId"], branchName="main")
    job = amplify.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")["jobSummary"]
    wait_for_status(amplify, app["appId"], "main", job["jobId"], ["SUCCEED"])
    return app["appId"], job["jobId"]


def holdings(amplify):
    """Every app, branch and job of the caller's account, by id."""
    apps = {}
    for app in amplify.list_apps()["apps"]:
        branches = {}
        for branch in amplify.list_branches(appId=app["appId"])["branches"]:
            jobs = amplify.list_jobs(appId=app["appId"], branchName=branch["branchName"])["jobSummaries"]
            branches[branch["branchName"]] = sorted(job["jobId"] for job in jobs)
        webhooks = len(amplify.list_webhooks(appId=app["appId"])["webhooks"])
        apps[app["appId"]] = (app["name"], branches, webhooks)
    return apps


def test_reset_and_state_under_strict_are_signed_and_touch_only_the_signers_apps(strict):
    a, b = client(strict), client(strict, key=B_KEY, secret=B_SECRET)
    seed(a, "a-app")
    seed(b, "b-app")
    seed(b, "b-other")
    b_before = holdings(b)
    assert len(b_before) == 2
    # Unsigned, or signed with a wrong secret: refused, nothing dropped.
    assert request(strict, "POST", "/_amplify-local/reset")[:2] == (403, "MissingAuthenticationTokenException")
    assert signed(strict, "POST", "/_amplify-local/reset", secret="wrong")[:2] == (403, "InvalidSignatureException")
    assert holdings(b) == b_before and len(holdings(a)) == 1
    # A's export holds A's app only.
    status, _, exported = signed(strict, "GET", "/_amplify-local/state")
    assert status == 200 and [state["app"]["name"] for state in exported["apps"]] == ["a-app"], exported
    assert B_ACCOUNT not in json.dumps(exported)
    # A's reset drops A's apps, and leaves B's apps, branches, jobs and webhooks.
    status, _, body = signed(strict, "POST", "/_amplify-local/reset")
    assert status == 200 and body == {"status": "reset", "account": A_ACCOUNT, "region": REGION, "apps": 1}, body
    assert holdings(a) == {}
    assert holdings(b) == b_before
    # A loads its export back.
    status, _, body = signed(strict, "POST", "/_amplify-local/state", json.dumps(exported).encode())
    assert (status, body) == (200, {"loaded": 1}), body
    assert [name for name, _, _ in holdings(a).values()] == ["a-app"]
    # A document with B's app ids (which name B's sites, `main.<appId>.localhost`) is refused, and changes nothing.
    status, _, b_exported = signed(strict, "GET", "/_amplify-local/state", key=B_KEY, secret=B_SECRET)
    assert status == 200 and len(b_exported["apps"]) == 2
    signed(strict, "POST", "/_amplify-local/reset")
    status, code, body = signed(strict, "POST", "/_amplify-local/state", json.dumps(b_exported).encode())
    assert (status, code) == (400, "BadRequestException"), body
    assert body["message"].startswith("apps.1.app.appId: app id ") and "taken by another account" in body["message"], body
    assert holdings(a) == {} and holdings(b) == b_before
    # With ids of its own, a document that names B's account lands in A's, whatever it says.
    text = json.dumps(b_exported)
    for n, state in enumerate(b_exported["apps"]):
        text = text.replace(state["app"]["appId"], f"dcopy{n}")
        for webhook in state["webhooks"]:
            text = text.replace(webhook["webhookId"], str(uuid.uuid4()))
    assert B_ACCOUNT in text
    status, _, body = signed(strict, "POST", "/_amplify-local/state", text.encode())
    assert (status, body) == (200, {"loaded": 2}), body
    assert sorted(name for name, _, _ in holdings(a).values()) == ["b-app", "b-other"]
    assert all(f":{A_ACCOUNT}:" in app["appArn"] for app in a.list_apps()["apps"])
    assert holdings(b) == b_before
    # B's own reset, in another region, drops nothing of B's us-east-1 apps.
    status, _, body = signed(strict, "POST", "/_amplify-local/reset", key=B_KEY, secret=B_SECRET, region="eu-west-1")
    assert status == 200 and body["apps"] == 0
    assert holdings(b) == b_before


def test_fault_rules_under_strict_are_the_signers_own(strict):
    a, b = client(strict), client(strict, key=B_KEY, secret=B_SECRET)
    rule = json.dumps({"operations": ["*"], "error": "InternalFailureException", "message": "A's fault"}).encode()
    status, _, added = signed(strict, "POST", "/_amplify-local/faults", rule)
    assert status == 200 and (added["account"], added["region"]) == (A_ACCOUNT, REGION), added
    with pytest.raises(botocore.exceptions.ClientError, match="A's fault"):
        a.list_apps()
    assert b.list_apps()["apps"] == []  # B's requests are not A's to fail
    assert signed(strict, "GET", "/_amplify-local/faults", key=B_KEY, secret=B_SECRET)[2] == {"rules": []}
    assert signed(strict, "DELETE", f"/_amplify-local/faults/{added['id']}", key=B_KEY, secret=B_SECRET)[0] == 404
    signed(strict, "DELETE", "/_amplify-local/faults", key=B_KEY, secret=B_SECRET)
    assert [r["id"] for r in signed(strict, "GET", "/_amplify-local/faults")[2]["rules"]] == [added["id"]]
    # A rule aimed at another account is refused, naming the member.
    aimed = json.dumps({"operations": ["*"], "error": "InternalFailureException", "account": B_ACCOUNT}).encode()
    status, code, body = signed(strict, "POST", "/_amplify-local/faults", aimed)
    assert (status, code) == (400, "BadRequestException") and body["message"].startswith("account: "), body
    assert b.list_apps()["apps"] == []
    # A's reset takes A's rules with it.
    signed(strict, "POST", "/_amplify-local/reset")
    assert a.list_apps()["apps"] == []


def test_every_admin_json_endpoint_needs_a_signature_under_strict(strict):
    app_id, job_id = seed(client(strict), "a-app")
    secret_body = b"value"
    endpoints = [
        ("GET", "/_amplify-local/faults", b""),
        ("POST", "/_amplify-local/faults", b'{"operations": ["*"], "latencyMs": 1}'),
        ("DELETE", "/_amplify-local/faults", b""),
        ("DELETE", "/_amplify-local/faults/f1", b""),
        ("POST", "/_amplify-local/builds/control", json.dumps({"appId": app_id, "action": "FAIL"}).encode()),
        ("POST", "/_amplify-local/domains/control", json.dumps({"appId": app_id, "domainName": "x.com", "stopAt": "AVAILABLE"}).encode()),
        ("GET", "/_amplify-local/state", b""),
        ("POST", "/_amplify-local/state", b'{"apps": []}'),
        ("POST", "/_amplify-local/explain", json.dumps({"appId": app_id, "branchName": "main", "path": "/"}).encode()),
        ("GET", f"/_amplify-local/secrets/{app_id}", b""),
        ("GET", f"/_amplify-local/secrets/{app_id}/main", b""),
        ("PUT", f"/_amplify-local/secrets/{app_id}/TOKEN", secret_body),
        ("PUT", f"/_amplify-local/secrets/{app_id}/main/TOKEN", secret_body),
        ("DELETE", f"/_amplify-local/secrets/{app_id}/TOKEN", b""),
        ("DELETE", f"/_amplify-local/secrets/{app_id}/main/TOKEN", b""),
        ("GET", f"/_amplify-local/git/{app_id}", b""),
        ("GET", f"/_amplify-local/computes/{app_id}/main/output", b""),
        ("GET", "/_amplify-local/metrics", b""),
        ("POST", "/_amplify-local/reset", b""),
    ]
    for method, path, body in endpoints:
        assert request(strict, method, path, body)[:2] == (403, "MissingAuthenticationTokenException"), (method, path)
        assert signed(strict, method, path, body, secret="wrong")[:2] == (403, "InvalidSignatureException"), (method, path)
        assert signed(strict, method, path, body, service="s3")[:2] == (403, "InvalidSignatureException"), (method, path)
    assert len(holdings(client(strict))) == 1, "no refused request changed anything"
    # Signed, each is answered (the reset last).
    for method, path, body in endpoints:
        status = signed(strict, method, path, body)[0]
        assert status in (200, 404), (method, path, status)  # 404: no such fault rule, no compute has run
    # Exempt: health, the git host's notifications (their own HMAC) and webhook URLs (their token).
    assert request(strict, "GET", "/_amplify-local/health")[0] == 200
    assert request(strict, "POST", f"/_amplify-local/git/{app_id}?account={A_ACCOUNT}", b"{}",
                   {"X-GitHub-Event": "push"})[:2] == (401, "UnauthorizedException")
    assert request(strict, "POST", "/prod/webhooks?id=00000000-0000-0000-0000-000000000000&token=x&operation=startbuild")[0] in (401, 404)
    assert job_id == "1"
