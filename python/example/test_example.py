"""A project's tests against amplify-local through the pytest plugin alone: apps, a simulated job and DeleteJob, the
isolation between tests, a real build of a repository on this machine, and the Python API."""
import subprocess
import time
import urllib.request

import botocore.exceptions
import pytest

import amplify_local

SPEC = """version: 1
frontend:
  phases:
    build:
      commands:
        - mkdir -p out && echo "<h1>built by $AWS_BRANCH</h1>" > out/index.html
  artifacts:
    baseDirectory: out
    files:
      - '**/*'
"""


def wait_for_end(amplify, app_id, branch, job_id, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        job = amplify.get_job(appId=app_id, branchName=branch, jobId=job_id)["job"]
        if job["summary"]["status"] in ("SUCCEED", "FAILED", "CANCELLED"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['summary']['status']}"
        time.sleep(0.05)


def test_apps(amplify_local):
    amplify = amplify_local.client("amplify")
    app = amplify.create_app(name="shop", platform="WEB")["app"]
    assert app["appArn"] == f"arn:aws:amplify:us-east-1:123456789012:apps/{app['appId']}"
    assert [listed["name"] for listed in amplify.list_apps()["apps"]] == ["shop"]


def test_each_test_starts_empty(amplify_local):
    # test_apps made an app on the same server; the fixture reset the state before this test.
    assert amplify_local.client("amplify").list_apps()["apps"] == []


def test_simulated_job_and_delete_job(amplify_local):
    amplify = amplify_local.client("amplify")
    app_id = amplify.create_app(name="simulated", repository="https://github.com/example/site",
                                 accessToken="a-token")["app"]["appId"]
    amplify.create_branch(appId=app_id, branchName="main")
    job_id = amplify.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    assert job_id == "1"
    job = wait_for_end(amplify, app_id, "main", job_id)
    assert job["summary"]["status"] == "SUCCEED"
    assert [step["stepName"] for step in job["steps"]][:1] == ["BUILD"]

    deleted = amplify.delete_job(appId=app_id, branchName="main", jobId=job_id)["jobSummary"]
    assert deleted["jobId"] == "1" and deleted["status"] == "SUCCEED"
    with pytest.raises(botocore.exceptions.ClientError) as error:
        amplify.get_job(appId=app_id, branchName="main", jobId=job_id)
    assert error.value.response["Error"]["Code"] == "NotFoundException"
    # Job ids are never reused.
    assert amplify.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"] == "2"


def test_regions_and_accounts_are_apart(amplify_local):
    amplify_local.client("amplify", region="eu-west-1").create_app(name="irish")
    assert amplify_local.client("amplify").list_apps()["apps"] == []
    assert amplify_local.client("amplify", account="210987654321", region="eu-west-1").list_apps()["apps"] == []


@pytest.mark.amplify_local(build_mode="run")
def test_real_build_of_a_local_repository(amplify_local, tmp_path):
    repository = tmp_path / "site"
    repository.mkdir()
    (repository / "amplify.yml").write_text(SPEC)
    git = ["git", "-C", str(repository), "-c", "user.email=ci@example.com", "-c", "user.name=CI"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repository)], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "site"], check=True)

    amplify = amplify_local.client("amplify")
    app_id = amplify.create_app(name="real", repository=f"file://{repository}")["app"]["appId"]
    amplify.create_branch(appId=app_id, branchName="main")
    job_id = amplify.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    job = wait_for_end(amplify, app_id, "main", job_id, timeout=120)
    assert job["summary"]["status"] == "SUCCEED", job
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(job["steps"][0]["logUrl"]) as response:
        assert "mkdir -p out" in response.read().decode()  # the BUILD step's log

    # The site, served by Host as Amplify serves it (main.<appId>.localhost).
    request = urllib.request.Request(amplify_local.endpoint_url + "/", headers={"Host": f"main.{app_id}.localhost"})
    with opener.open(request) as response:
        assert response.read().decode().strip() == "<h1>built by main</h1>"


def test_the_python_api_without_pytest_fixtures():
    with amplify_local.Server(build_mode="simulate") as server:
        assert server.health()["status"] == "ok"
        server.client().create_app(name="outside")
        assert len(server.client().list_apps()["apps"]) == 1
        server.reset()
        assert server.client().list_apps()["apps"] == []
    assert not server.running
