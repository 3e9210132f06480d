"""DeleteJob, line by line against its boto3 documentation page (shared/seeds/000_a38a9500db250d08.txt)."""
import datetime
import urllib.error
import urllib.request

import pytest

from conftest import wait_for_status


def finished_job(client, app, status="SUCCEED"):
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE", commitId="abc", commitMessage="msg")
    if status == "CANCELLED":
        client.stop_job(appId=app["appId"], branchName="main", jobId=latest(client, app))
    return wait_for_status(client, app["appId"], "main", latest(client, app), {status})


def latest(client, app):
    return client.list_jobs(appId=app["appId"], branchName="main", maxResults=1)["jobSummaries"][0]["jobId"]


# "Deletes a job for a branch of an Amplify app." / Request Syntax: appId, branchName, jobId.
def test_deletes_a_job_of_a_branch(client, app, branch):
    job = finished_job(client, app)
    response = client.delete_job(appId=app["appId"], branchName="main", jobId="1")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["RequestId"]
    # Response Syntax: {'jobSummary': {...}} with every member of the summary.
    summary = response["jobSummary"]
    assert summary == job["summary"]
    assert summary["jobArn"] == f"{app['appArn']}/branches/main/jobs/0000000001"  # jobArn (string)
    assert summary["jobId"] == "1"  # jobId (string)
    assert summary["commitId"] == "abc"  # commitId (string)
    assert summary["commitMessage"] == "msg"  # commitMessage (string)
    for member in ("commitTime", "startTime", "endTime"):  # datetimes
        assert isinstance(summary[member], datetime.datetime)
    assert summary["status"] == "SUCCEED"  # status: one of PENDING … CANCELLED
    assert summary["jobType"] == "RELEASE"  # jobType: RELEASE | RETRY | MANUAL | WEB_HOOK


def test_deleted_job_is_gone_with_its_logs(client, app, branch):
    job = finished_job(client, app)
    log_url = job["steps"][0]["logUrl"]
    urllib.request.urlopen(log_url).close()
    client.delete_job(appId=app["appId"], branchName="main", jobId="1")
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_job(appId=app["appId"], branchName="main", jobId="1")
    assert client.list_jobs(appId=app["appId"], branchName="main")["jobSummaries"] == []
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(log_url)
    assert error.value.code == 404
    # Job ids are never reused, and the branch still counts the deleted job.
    assert client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")["jobSummary"]["jobId"] == "2"
    assert client.get_branch(appId=app["appId"], branchName="main")["branch"]["totalNumberOfJobs"] == "2"


@pytest.mark.parametrize("status", ["SUCCEED", "CANCELLED"])
def test_every_finished_status_can_be_deleted(client, app, branch, status):
    finished_job(client, app, status)
    assert client.delete_job(appId=app["appId"], branchName="main", jobId="1")["jobSummary"]["status"] == status


def test_only_the_named_job_goes(fresh_server):
    client = fresh_server("--simulated-build-seconds", "0").client()
    app = client.create_app(name="keep", repository="/srv/repo")["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    for job_id in ("1", "2", "3"):
        client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
        wait_for_status(client, app["appId"], "main", job_id, {"SUCCEED"})
    client.delete_job(appId=app["appId"], branchName="main", jobId="2")
    assert [j["jobId"] for j in client.list_jobs(appId=app["appId"], branchName="main")["jobSummaries"]] == ["3", "1"]


# Exceptions: BadRequestException — a job still in progress, and malformed identifiers.
def test_job_in_progress_is_a_bad_request(fresh_server):
    client = fresh_server("--simulated-build-seconds", "30").client()
    app = client.create_app(name="busy", repository="/srv/repo")["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
    with pytest.raises(client.exceptions.BadRequestException, match="Stop the job first"):
        client.delete_job(appId=app["appId"], branchName="main", jobId="1")
    assert client.get_job(appId=app["appId"], branchName="main", jobId="1")["job"]["summary"]["status"] in ("PENDING", "PROVISIONING", "RUNNING")
    client.stop_job(appId=app["appId"], branchName="main", jobId="1")
    wait_for_status(client, app["appId"], "main", "1", {"CANCELLED"})
    assert client.delete_job(appId=app["appId"], branchName="main", jobId="1")["jobSummary"]["status"] == "CANCELLED"


@pytest.mark.parametrize(
    "arguments, member",
    [
        ({"appId": "XX", "branchName": "main", "jobId": "1"}, "appId"),
        ({"appId": "d1", "branchName": "", "jobId": "1"}, "branchName"),
        ({"appId": "d1", "branchName": "main", "jobId": "one"}, "jobId"),
        ({"appId": "d1", "branchName": "main", "jobId": ""}, "jobId"),
    ],
)
def test_malformed_identifiers_are_bad_requests(raw_client, arguments, member):
    with pytest.raises(raw_client.exceptions.BadRequestException) as error:
        raw_client.delete_job(**arguments)
    assert f"'{member}'" in error.value.response["message"]
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# Exceptions: NotFoundException — unknown app, branch or job.
def test_unknown_app_branch_or_job_is_not_found(client, app, branch):
    finished_job(client, app)
    cases = [
        ({"appId": "d0000000000000", "branchName": "main", "jobId": "1"}, "App d0000000000000 not found."),
        ({"appId": app["appId"], "branchName": "ghost", "jobId": "1"}, "Branch ghost not found."),
        ({"appId": app["appId"], "branchName": "main", "jobId": "9"}, "Job 9 not found."),
    ]
    for arguments, message in cases:
        with pytest.raises(client.exceptions.NotFoundException) as error:
            client.delete_job(**arguments)
        assert error.value.response["message"] == message
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    client.delete_job(appId=app["appId"], branchName="main", jobId="1")
    with pytest.raises(client.exceptions.NotFoundException, match="Job 1 not found"):
        client.delete_job(appId=app["appId"], branchName="main", jobId="1")


# The other exceptions on the page are modeled, so boto3 knows them; amplify-local raises
# LimitExceededException from StartJob and InternalFailureException only for its own faults.
def test_the_pages_exceptions_are_modeled(client):
    for name in ("BadRequestException", "UnauthorizedException", "InternalFailureException", "NotFoundException", "LimitExceededException"):
        assert hasattr(client.exceptions, name)


def test_delete_job_works_from_the_aws_cli(server, app, client, branch, tmp_path):
    import json
    import os
    import subprocess

    finished_job(client, app)
    environment = dict(os.environ, AWS_ACCESS_KEY_ID="123456789012", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1",
                       AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    output = subprocess.run(
        ["aws", "amplify", "delete-job", "--app-id", app["appId"], "--branch-name", "main", "--job-id", "1",
         "--endpoint-url", server.endpoint, "--output", "json"],
        capture_output=True, text=True, env=environment, check=True,
    ).stdout
    assert json.loads(output)["jobSummary"]["jobId"] == "1"
    failed = subprocess.run(
        ["aws", "amplify", "delete-job", "--app-id", app["appId"], "--branch-name", "main", "--job-id", "1",
         "--endpoint-url", server.endpoint],
        capture_output=True, text=True, env=environment,
    )
    assert failed.returncode != 0
    assert "NotFoundException" in failed.stderr and "Job 1 not found." in failed.stderr
