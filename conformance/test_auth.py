"""--auth strict|soft with --credentials: SigV4 checked as AWS checks it, with boto3-signed requests."""
import datetime
import http.client
import urllib.error
import urllib.request
from unittest import mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.config import Config

KEY, SECRET, ACCOUNT = "AKIDLOCALTEST", "s3cr3t/with+chars", "210987654321"


def signed_client(server, key=KEY, secret=SECRET, region="us-east-1"):
    return boto3.client("amplify", endpoint_url=server.endpoint, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


@pytest.fixture
def strict(fresh_server, tmp_path):
    path = tmp_path / "credentials"
    path.write_text(f"# test keys\n{KEY}:{SECRET}:{ACCOUNT}\n123456789012:other\n")
    return fresh_server("--auth", "strict", "--credentials", str(path))


def test_signed_requests_pass_and_the_file_names_the_account(strict):
    client = signed_client(strict, region="eu-west-1")
    app = client.create_app(name="signed", repository="/srv/repo")["app"]
    assert app["appArn"].startswith(f"arn:aws:amplify:eu-west-1:{ACCOUNT}:apps/")
    client.create_branch(appId=app["appId"], branchName="feature/x y")
    assert client.get_branch(appId=app["appId"], branchName="feature/x y")["branch"]["branchName"] == "feature/x y"
    client.start_job(appId=app["appId"], branchName="feature/x y", jobType="RELEASE", commitMessage="ünïcode ✓")
    assert len(client.list_jobs(appId=app["appId"], branchName="feature/x y", maxResults=5)["jobSummaries"]) == 1
    client.tag_resource(resourceArn=app["appArn"], tags={"k": "v"})
    client.untag_resource(resourceArn=app["appArn"], tagKeys=["k", "other"])
    # A 12-digit key without an account in the file is its own account, as without auth.
    other = signed_client(strict, key="123456789012", secret="other")
    assert ":123456789012:" in other.create_app(name="x")["app"]["appArn"]


def test_wrong_secret_unknown_key_and_no_signature(strict):
    with pytest.raises(botocore.exceptions.ClientError) as error:
        signed_client(strict, secret="wrong").list_apps()
    assert error.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(botocore.exceptions.ClientError) as error:
        signed_client(strict, key="AKIDUNKNOWN").list_apps()
    assert error.value.response["Error"]["Code"] == "UnrecognizedClientException"
    connection = http.client.HTTPConnection("127.0.0.1", strict.port, timeout=5)
    connection.request("GET", "/apps")
    response = connection.getresponse()
    assert (response.status, response.getheader("x-amzn-ErrorType")) == (403, "MissingAuthenticationTokenException")


def raw_signed(server, method, path, body, when=None):
    request = botocore.awsrequest.AWSRequest(method=method, url=f"{server.endpoint}{path}", data=body,
                                             headers={"Content-Type": "application/json"})
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(KEY, SECRET), "amplify", "us-east-1")
    if when:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(request)
    else:
        signer.add_auth(request)
    return request


def send(server, request, body):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    headers = dict(request.headers.items())
    connection.request(request.method, request.url.split(str(server.port), 1)[1], body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status, response.getheader("x-amzn-ErrorType")


def test_tampered_bodies_and_replayed_dates_are_refused(strict):
    body = b'{"name": "original"}'
    request = raw_signed(strict, "POST", "/apps", body)
    assert send(strict, request, b'{"name": "tampered"}') == (403, "InvalidSignatureException")
    assert send(strict, request, body)[0] == 200
    old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    assert send(strict, raw_signed(strict, "POST", "/apps", body, when=old), body) == (403, "InvalidSignatureException")
    names = [app["name"] for app in signed_client(strict).list_apps()["apps"]]
    assert names == ["original"]


def test_presigned_urls(strict):
    client = signed_client(strict)
    app = client.create_app(name="presigned")["app"]
    url = client.generate_presigned_url("get_app", Params={"appId": app["appId"]}, ExpiresIn=60)
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(url.replace(app["appId"], "d0000000000000"))
    assert error.value.code == 403


def test_soft_mode_lets_bad_signatures_through(fresh_server, tmp_path):
    path = tmp_path / "credentials"
    path.write_text(f"{KEY}:{SECRET}\n")
    server = fresh_server("--auth", "soft", "--credentials", str(path))
    assert signed_client(server, secret="wrong").list_apps()["apps"] == []


def test_strict_needs_credentials(tmp_path):
    from conftest import Server
    with pytest.raises(RuntimeError, match="needs --credentials"):
        Server("--auth", "strict").start()


def test_refused_signatures_are_counted_and_metrics_need_a_signature(strict):
    with pytest.raises(botocore.exceptions.ClientError):
        signed_client(strict, secret="wrong").list_apps()
    with pytest.raises(botocore.exceptions.ClientError):
        signed_client(strict, key="AKIDUNKNOWN").list_apps()
    status, _ = send(strict, raw_signed(strict, "GET", "/_amplify-local/metrics", b""), b"")
    assert status == 200
    connection = http.client.HTTPConnection("127.0.0.1", strict.port, timeout=5)
    connection.request("GET", "/_amplify-local/metrics")
    assert connection.getresponse().status == 403, "under --auth strict the metrics need a signature"
    request = raw_signed(strict, "GET", "/_amplify-local/metrics", b"")
    connection = http.client.HTTPConnection("127.0.0.1", strict.port, timeout=5)
    connection.request("GET", "/_amplify-local/metrics", headers=dict(request.headers.items()))
    text = connection.getresponse().read().decode()
    refusals = next(line for line in text.splitlines() if line.startswith("amplify_local_sigv4_refusals_total "))
    assert float(refusals.split()[1]) == 3  # the two clients, and the unsigned scrape
