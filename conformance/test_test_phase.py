"""The build spec's test phase: a TEST step with its own log, ListArtifacts / GetArtifactUrl, the step's
testArtifactsUrl, testConfigUrl and screenshots, and artifacts that go with their job."""
import io
import json
import urllib.error
import urllib.request
import zipfile

import pytest

from conftest import http_request, wait_for_status
from test_builds import FINISHED, log_of, make_repo, real_server  # noqa: F401 (a fixture)

SPEC = """version: 1
frontend:
  phases:
    build:
      commands:
        - mkdir -p dist && echo '<h1>tested</h1>' > dist/index.html
  artifacts:
    baseDirectory: dist
    files: ['**/*']
test:
  phases:
    preTest:
      commands:
        - echo "pre-test for $AWS_BRANCH"
    test:
      commands:
        - mkdir -p cypress/screenshots/home.cy.js cypress/videos cypress/reports
        - printf 'PNG-A' > 'cypress/screenshots/home.cy.js/loads (failed).png'
        - printf 'MP4' > cypress/videos/home.cy.js.mp4
        - for i in $(seq 1 7); do echo "result $i" > cypress/reports/part-$i.txt; done
        - "echo '{\\"stats\\": {\\"passes\\": 3}}' > cypress/reports/mochawesome.json"
        - ln -s /etc/passwd cypress/reports/passwd
        - {command}
    postTest:
      commands:
        - echo post-test-ran
  artifacts:
    baseDirectory: cypress
    configFilePath: '**/mochawesome.json'
    files:
      - '**/*.png'
      - '**/*.mp4'
      - 'reports/*.txt'
"""


def run(server, tmp_path, command="echo tests-passed"):
    client = server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SPEC.replace("{command}", command)})
    app = client.create_app(name="tested", repository=path)["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    job_id = client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    return client, app["appId"], job_id, wait_for_status(client, app["appId"], "main", job_id, FINISHED, timeout=60)


def fetch(url):
    with urllib.request.urlopen(url) as response:
        return response.read(), response.headers


def test_test_phase_runs_after_build_with_its_own_log_and_artifacts(real_server, tmp_path):
    client, app_id, job_id, job = run(real_server, tmp_path)
    assert job["summary"]["status"] == "SUCCEED", [(s["stepName"], s.get("statusReason")) for s in job["steps"]]
    assert [s["stepName"] for s in job["steps"]] == ["BUILD", "TEST", "DEPLOY", "VERIFY"]
    test_log = log_of(job, "TEST")
    assert "pre-test for main" in test_log and "tests-passed" in test_log and "post-test-ran" in test_log
    assert "# Starting phase: preTest" in test_log and "# Completed phase: postTest" in test_log
    assert "## Test completed successfully" in test_log
    assert "Collected 9 test artifacts" in test_log and "1 screenshots" in test_log
    assert "tests-passed" not in log_of(job, "BUILD")

    # ListArtifacts: one entry per collected file, relative to baseDirectory, paged; the report and links are not.
    first = client.list_artifacts(appId=app_id, branchName="main", jobId=job_id, maxResults=4)
    assert len(first["artifacts"]) == 4 and "nextToken" in first
    rest = client.list_artifacts(appId=app_id, branchName="main", jobId=job_id, nextToken=first["nextToken"])
    artifacts = first["artifacts"] + rest["artifacts"]
    assert "nextToken" not in rest
    names = sorted(a["artifactFileName"] for a in artifacts)
    assert names == sorted(
        ["screenshots/home.cy.js/loads (failed).png", "videos/home.cy.js.mp4"] + [f"reports/part-{i}.txt" for i in range(1, 8)]
    )
    assert len({a["artifactId"] for a in artifacts}) == 9
    again = client.list_artifacts(appId=app_id, branchName="main", jobId=job_id)["artifacts"]
    assert sorted(a["artifactId"] for a in again) == sorted(a["artifactId"] for a in artifacts)

    # GetArtifactUrl downloads the file.
    video = next(a for a in artifacts if a["artifactFileName"] == "videos/home.cy.js.mp4")
    answer = client.get_artifact_url(artifactId=video["artifactId"])
    assert answer["artifactId"] == video["artifactId"]
    body, headers = fetch(answer["artifactUrl"])
    assert body == b"MP4" and headers["Content-Type"] == "video/mp4"
    with pytest.raises(client.exceptions.NotFoundException, match="Artifact nope not found"):
        client.get_artifact_url(artifactId="nope")

    # The TEST step's links: the zip of all artifacts, the report, the screenshots by name.
    step = next(s for s in job["steps"] if s["stepName"] == "TEST")
    body, _ = fetch(step["testArtifactsUrl"])
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert sorted(archive.namelist()) == names
        assert archive.read("reports/part-3.txt") == b"result 3\n"
    body, _ = fetch(step["testConfigUrl"])
    assert json.loads(body) == {"stats": {"passes": 3}}
    assert list(step["screenshots"]) == ["screenshots/home.cy.js/loads (failed).png"]
    body, headers = fetch(step["screenshots"]["screenshots/home.cy.js/loads (failed).png"])
    assert body == b"PNG-A" and headers["Content-Type"] == "image/png"
    # A signed URL altered is refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(step["testArtifactsUrl"].replace("artifacts.zip", video["artifactId"]))
    assert refused.value.code == 403

    # The artifacts go with the job.
    client.delete_job(appId=app_id, branchName="main", jobId=job_id)
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_artifact_url(artifactId=video["artifactId"])
    with pytest.raises(urllib.error.HTTPError) as gone:
        fetch(answer["artifactUrl"])
    assert gone.value.code == 404


def test_a_failing_test_fails_the_job_names_the_command_and_keeps_its_screenshots(real_server, tmp_path):
    client, app_id, job_id, job = run(real_server, tmp_path, command="exit 3")
    assert job["summary"]["status"] == "FAILED"
    assert [s["stepName"] for s in job["steps"]] == ["BUILD", "TEST"]
    step = job["steps"][1]
    assert step["status"] == "FAILED" and step["statusReason"] == "Command failed with exit code 3 in test.test: exit 3"
    assert "post-test-ran" not in log_of(job, "TEST")
    assert "screenshots/home.cy.js/loads (failed).png" in step["screenshots"]
    listed = client.list_artifacts(appId=app_id, branchName="main", jobId=job_id)["artifacts"]
    assert len(listed) == 9
    # Nothing was deployed.
    status, _, _ = http_request(real_server.port, "GET", "/", {"Host": f"main.{app_id}.localhost"})
    assert status == 404


def test_artifacts_go_with_the_app_and_are_scoped_to_the_account(real_server, tmp_path):
    client, app_id, job_id, job = run(real_server, tmp_path)
    artifact = client.list_artifacts(appId=app_id, branchName="main", jobId=job_id)["artifacts"][0]
    other = real_server.client(account="210987654321")
    with pytest.raises(other.exceptions.NotFoundException):
        other.get_artifact_url(artifactId=artifact["artifactId"])
    client.delete_app(appId=app_id)
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_artifact_url(artifactId=artifact["artifactId"])
