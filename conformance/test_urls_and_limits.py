"""The URLs the API hands out are signed and expire; oversized URLs and headers are refused."""
import urllib.error
import urllib.request

import pytest

from conftest import http_request, wait_for_status, wait_until


def fetch(url, method="GET", data=None):
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def finished_job(client):
    app_id = client.create_app(name="urls", repository="https://example.com/r.git", accessToken="t")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    return app_id, wait_for_status(client, app_id, "main", job_id, ("SUCCEED",))


def test_log_urls_are_signed_and_refused_when_altered(client):
    _, job = finished_job(client)
    url = job["steps"][0]["logUrl"]
    assert "Expires=" in url and "&Signature=" in url
    assert fetch(url)[0] == 200
    unsigned = url.split("?")[0]
    status, body = fetch(unsigned)
    assert status == 403 and b"must be signed" in body
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    status, body = fetch(tampered)
    assert status == 403 and b"does not match" in body
    other_step = url.replace("/BUILD?", "/DEPLOY?")
    assert fetch(other_step)[0] == 403
    later = url.replace("Expires=", "Expires=9")
    assert fetch(later)[0] == 403


def test_urls_expire(fresh_server):
    client = fresh_server("--url-expiry-seconds", "1", "--simulated-build-seconds", "0").client()
    _, job = finished_job(client)
    url = job["steps"][0]["logUrl"]
    assert fetch(url)[0] == 200
    # Asked again until its second has passed: then it is refused as expired.
    answer = wait_until(lambda: (answer := fetch(url))[0] != 200 and answer, timeout=10)
    assert answer, "the URL never expired"
    status, body = answer
    assert status == 403 and b"expired" in body
    # A new GetJob hands out a fresh URL.
    fresh = client.get_job(appId=job["summary"]["jobArn"].split("/")[1], branchName="main", jobId="1")["job"]["steps"][0]["logUrl"]
    assert fetch(fresh)[0] == 200


def test_upload_urls_are_signed(client):
    app_id = client.create_app(name="uploads")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    created = client.create_deployment(appId=app_id, branchName="main")
    assert fetch(created["zipUploadUrl"].split("?")[0], method="PUT", data=b"x")[0] == 403
    guessed = created["zipUploadUrl"].replace(f"/{created['jobId']}/zip", "/2/zip")
    assert fetch(guessed, method="PUT", data=b"x")[0] == 403


def raw_request(server, target, headers=None):
    status, response_headers, body = http_request(server.port, "GET", target, headers)
    return status, response_headers.get("x-amzn-errortype"), body


def test_oversized_urls_and_headers_get_aws_errors(server):
    status, error_type, body = raw_request(server, "/apps?" + "a" * 9000)
    assert (status, error_type) == (414, "BadRequestException") and b"longer than 8192 bytes" in body
    status, error_type, body = raw_request(server, "/apps", {f"X-Filler-{i}": "b" * 1000 for i in range(40)})
    assert (status, error_type) == (431, "BadRequestException") and b"headers are larger" in body
    assert raw_request(server, "/apps")[0] in (200, 403)
