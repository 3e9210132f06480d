"""Prometheus metrics at /_amplify-local/metrics: what the API, sites, builds and signatures did, in the text format."""
import re
import urllib.request

import pytest

from conftest import http_request, wait_for_status


def scrape(server):
    with urllib.request.urlopen(f"{server.endpoint}/_amplify-local/metrics") as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return response.read().decode()


def value(text, sample):
    """The value of one sample line (name and labels as written), or 0 when the server has not written it yet."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_requests_errors_builds_and_sites_are_counted(fresh_server):
    server = fresh_server("--simulated-build-seconds", "0.2")
    client = server.client()
    app_id = client.create_app(name="metrics", repository="/srv/none")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    wait_for_status(client, app_id, "main", job_id, ("SUCCEED",))
    before = scrape(server)
    for _ in range(3):
        client.get_job(appId=app_id, branchName="main", jobId=job_id)
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_app(appId="d0000000000000")
    http_request(server.port, "GET", "/", {"Host": f"nothing.{app_id}.localhost"})
    text = scrape(server)

    get_job = 'amplify_local_requests_total{operation="GetJob",status="200"}'
    assert value(text, get_job) - value(before, get_job) >= 3  # boto3's own GetJob polls may have come before
    assert value(text, 'amplify_local_requests_total{operation="GetApp",status="404"}') == 1
    assert value(text, 'amplify_local_errors_total{code="NotFoundException"}') == 1
    assert value(text, 'amplify_local_request_duration_seconds_count{operation="CreateApp"}') == 1
    assert value(text, 'amplify_local_request_duration_seconds_bucket{operation="CreateApp",le="+Inf"}') == 1
    assert value(text, 'amplify_local_builds_finished_total{result="SUCCEED"}') == 1
    assert value(text, 'amplify_local_build_duration_seconds_count{result="SUCCEED"}') == 1
    assert value(text, "amplify_local_builds_running") == 0 and value(text, "amplify_local_builds_queued") == 0
    assert value(text, 'amplify_local_site_requests_total{status="404"}') == 1
    assert "# TYPE amplify_local_requests_total counter" in text


def test_refused_signed_urls_are_counted_and_metrics_can_be_off(fresh_server):
    server = fresh_server()
    status, _, _ = http_request(server.port, "GET", "/_amplify-local/logs/1/us-east-1/d1/main/1/BUILD")
    assert status == 403
    assert value(scrape(server), "amplify_local_signed_url_refusals_total") == 1

    quiet = fresh_server("--no-metrics")
    status, _, body = http_request(quiet.port, "GET", "/_amplify-local/metrics")
    assert status == 404 and b"--no-metrics" in body
