"""StartJob, GetJob, ListJobs, StopJob: the job lifecycle."""
import datetime
import urllib.request

import pytest

from conftest import wait_for_status


def test_release_job_runs_through_its_states(client, app, branch):
    started = client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE", jobReason="deploy")["jobSummary"]
    assert started["jobId"] == "1"
    assert started["status"] == "PENDING"
    assert started["jobType"] == "RELEASE"
    assert started["commitId"] == "HEAD"
    assert started["jobArn"] == f"{app['appArn']}/branches/main/jobs/0000000001"
    seen = set()
    job = wait_for_status(client, app["appId"], "main", "1", {"SUCCEED"})
    seen.add(job["summary"]["status"])
    assert job["summary"]["endTime"] >= job["summary"]["startTime"]
    steps = job["steps"]
    assert [step["stepName"] for step in steps] == ["BUILD", "DEPLOY", "VERIFY"]
    for step in steps:
        assert step["status"] == "SUCCEED"
        assert step["startTime"] <= step["endTime"]
        with urllib.request.urlopen(step["logUrl"]) as response:
            assert response.headers["Content-Type"].startswith("text/plain")
            assert "simulated" in response.read().decode().lower()
    branch_after = client.get_branch(appId=app["appId"], branchName="main")["branch"]
    assert branch_after["totalNumberOfJobs"] == "1"
    assert branch_after["activeJobId"] == "1"


def test_job_passes_through_provisioning_and_running(fresh_server):
    server = fresh_server("--simulated-build-seconds", "1.5")
    client = server.client()
    app = client.create_app(name="slow", repository="/srv/repo")["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
    running = wait_for_status(client, app["appId"], "main", "1", {"RUNNING"})
    assert running["steps"][0]["stepName"] == "BUILD"
    assert running["steps"][0]["status"] == "RUNNING"
    assert "endTime" not in running["summary"]
    wait_for_status(client, app["appId"], "main", "1", {"SUCCEED"})


def test_commit_details_are_recorded(client, app, branch):
    when = datetime.datetime(2024, 7, 23, 19, 16, 42, tzinfo=datetime.timezone.utc)
    job = client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE", commitId="abc123",
                           commitMessage="Fix the header", commitTime=when)["jobSummary"]
    assert job["commitId"] == "abc123"
    assert job["commitMessage"] == "Fix the header"
    assert job["commitTime"] == when


def test_one_active_job_per_branch(client, app, branch):
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
    with pytest.raises(client.exceptions.LimitExceededException) as error:
        client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
    assert error.value.response["message"] == "The requested branch main already have pending or running jobs"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert client.get_branch(appId=app["appId"], branchName="main")["branch"]["totalNumberOfJobs"] == "1"
    wait_for_status(client, app["appId"], "main", "1", {"SUCCEED"})
    assert client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")["jobSummary"]["jobId"] == "2"


def test_retry_makes_a_new_job_from_an_old_one(client, app, branch):
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE", commitId="c0ffee", commitMessage="v1")
    wait_for_status(client, app["appId"], "main", "1", {"SUCCEED"})
    retry = client.start_job(appId=app["appId"], branchName="main", jobType="RETRY", jobId="1")["jobSummary"]
    assert retry["jobId"] == "2"
    assert retry["jobType"] == "RETRY"
    assert retry["commitId"] == "c0ffee"
    assert retry["commitMessage"] == "v1"
    wait_for_status(client, app["appId"], "main", "2", {"SUCCEED"})
    with pytest.raises(client.exceptions.BadRequestException, match="jobId"):
        client.start_job(appId=app["appId"], branchName="main", jobType="RETRY")
    with pytest.raises(client.exceptions.NotFoundException, match="Job 99 not found"):
        client.start_job(appId=app["appId"], branchName="main", jobType="RETRY", jobId="99")


def test_manual_and_repositoryless_jobs_are_refused(client, app, branch):
    with pytest.raises(client.exceptions.BadRequestException) as error:
        client.start_job(appId=app["appId"], branchName="main", jobType="MANUAL")
    assert error.value.response["message"] == "The requested jobType MANUAL does not support."
    bare = client.create_app(name="no-repo")["app"]
    client.create_branch(appId=bare["appId"], branchName="main")
    with pytest.raises(client.exceptions.BadRequestException, match="repository"):
        client.start_job(appId=bare["appId"], branchName="main", jobType="RELEASE")
    assert client.list_jobs(appId=bare["appId"], branchName="main")["jobSummaries"] == []
    client.delete_app(appId=bare["appId"])


def test_web_hook_jobs_behave_like_release(client, app, branch):
    job = client.start_job(appId=app["appId"], branchName="main", jobType="WEB_HOOK")["jobSummary"]
    assert job["jobType"] == "WEB_HOOK"
    wait_for_status(client, app["appId"], "main", job["jobId"], {"SUCCEED"})


def test_start_job_errors(client, raw_client, app, branch):
    with pytest.raises(raw_client.exceptions.BadRequestException, match="jobType"):
        raw_client.start_job(appId=app["appId"], branchName="main", jobType="DEPLOY")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="jobType"):
        raw_client.start_job(appId=app["appId"], branchName="main")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="jobReason"):
        raw_client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE", jobReason="r" * 256)
    with pytest.raises(client.exceptions.NotFoundException, match="Branch ghost not found"):
        client.start_job(appId=app["appId"], branchName="ghost", jobType="RELEASE")
    with pytest.raises(client.exceptions.NotFoundException, match="App d0000000000000 not found"):
        client.start_job(appId="d0000000000000", branchName="main", jobType="RELEASE")
    assert client.list_jobs(appId=app["appId"], branchName="main")["jobSummaries"] == []


def test_get_job_errors(client, raw_client, app, branch):
    with pytest.raises(client.exceptions.NotFoundException, match="Job 5 not found"):
        client.get_job(appId=app["appId"], branchName="main", jobId="5")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="jobId"):
        raw_client.get_job(appId=app["appId"], branchName="main", jobId="abc")
    # botocore sends an empty jobId as ".../jobs/": that is GetJob with a bad jobId, never ListJobs.
    with pytest.raises(raw_client.exceptions.BadRequestException, match="jobId"):
        raw_client.get_job(appId=app["appId"], branchName="main", jobId="")
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_job(appId=app["appId"], branchName="ghost", jobId="1")


def test_list_jobs_is_newest_first_and_pages(fresh_server):
    client = fresh_server("--simulated-build-seconds", "0").client()
    app = client.create_app(name="many", repository="/srv/repo")["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    for job_id in range(1, 8):
        client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
        wait_for_status(client, app["appId"], "main", str(job_id), {"SUCCEED"})
    first = client.list_jobs(appId=app["appId"], branchName="main", maxResults=1)
    assert [job["jobId"] for job in first["jobSummaries"]] == ["7"]
    pages = list(client.get_paginator("list_jobs").paginate(appId=app["appId"], branchName="main", PaginationConfig={"PageSize": 3}))
    assert [job["jobId"] for page in pages for job in page["jobSummaries"]] == ["7", "6", "5", "4", "3", "2", "1"]
    assert [len(page["jobSummaries"]) for page in pages] == [3, 3, 1]
    assert "nextToken" not in pages[-1]


def test_list_jobs_errors(client, raw_client, app, branch):
    with pytest.raises(raw_client.exceptions.BadRequestException, match="maxResults"):
        raw_client.list_jobs(appId=app["appId"], branchName="main", maxResults=51)
    with pytest.raises(raw_client.exceptions.BadRequestException, match="nextToken"):
        raw_client.list_jobs(appId=app["appId"], branchName="main", nextToken="bogus")
    with pytest.raises(client.exceptions.NotFoundException, match="Branch ghost not found"):
        client.list_jobs(appId=app["appId"], branchName="ghost")


def test_stop_job_cancels(fresh_server):
    client = fresh_server("--simulated-build-seconds", "30").client()
    app = client.create_app(name="stop", repository="/srv/repo")["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
    wait_for_status(client, app["appId"], "main", "1", {"RUNNING"})
    stopped = client.stop_job(appId=app["appId"], branchName="main", jobId="1")["jobSummary"]
    assert stopped["status"] == "CANCELLING"
    job = wait_for_status(client, app["appId"], "main", "1", {"CANCELLED"}, timeout=5)
    assert "endTime" in job["summary"]
    assert job["steps"][-1]["status"] == "CANCELLED"
    # The branch is free again.
    assert client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")["jobSummary"]["jobId"] == "2"
    client.stop_job(appId=app["appId"], branchName="main", jobId="2")
    wait_for_status(client, app["appId"], "main", "2", {"CANCELLED"}, timeout=5)


def test_stop_pending_job(fresh_server):
    client = fresh_server("--simulated-build-seconds", "30", "--max-concurrent-builds", "1").client()
    app = client.create_app(name="queue", repository="/srv/repo")["app"]
    for name in ("a", "b"):
        client.create_branch(appId=app["appId"], branchName=name)
        client.start_job(appId=app["appId"], branchName=name, jobType="RELEASE")
    wait_for_status(client, app["appId"], "a", "1", {"RUNNING"})
    assert client.get_job(appId=app["appId"], branchName="b", jobId="1")["job"]["summary"]["status"] == "PENDING"
    assert client.stop_job(appId=app["appId"], branchName="b", jobId="1")["jobSummary"]["status"] == "CANCELLING"
    wait_for_status(client, app["appId"], "b", "1", {"CANCELLED"}, timeout=5)
    client.stop_job(appId=app["appId"], branchName="a", jobId="1")
    wait_for_status(client, app["appId"], "a", "1", {"CANCELLED"}, timeout=5)


def test_stop_job_errors(client, raw_client, app, branch):
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
    wait_for_status(client, app["appId"], "main", "1", {"SUCCEED"})
    with pytest.raises(client.exceptions.BadRequestException, match="SUCCEED"):
        client.stop_job(appId=app["appId"], branchName="main", jobId="1")
    assert client.get_job(appId=app["appId"], branchName="main", jobId="1")["job"]["summary"]["status"] == "SUCCEED"
    with pytest.raises(client.exceptions.NotFoundException, match="Job 2 not found"):
        client.stop_job(appId=app["appId"], branchName="main", jobId="2")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="jobId"):
        raw_client.stop_job(appId=app["appId"], branchName="main", jobId="x1")


def test_concurrency_limit_queues_jobs(fresh_server):
    client = fresh_server("--simulated-build-seconds", "1", "--max-concurrent-builds", "2").client()
    app = client.create_app(name="limit", repository="/srv/repo")["app"]
    names = ["a", "b", "c", "d"]
    for name in names:
        client.create_branch(appId=app["appId"], branchName=name)
        client.start_job(appId=app["appId"], branchName=name, jobType="RELEASE")
    wait_for_status(client, app["appId"], "a", "1", {"RUNNING", "SUCCEED"})
    statuses = [client.get_job(appId=app["appId"], branchName=n, jobId="1")["job"]["summary"]["status"] for n in names]
    assert statuses.count("PENDING") >= 2
    for name in names:
        wait_for_status(client, app["appId"], name, "1", {"SUCCEED"})
