"""CreateDeployment and StartDeployment: manual deployments, as the Amplify CLI's `publish` drives them."""
import io
import urllib.request
import zipfile

import pytest

from conftest import serving_files, wait_for_status


def site_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<h1>hello</h1>")
        archive.writestr("assets/app.js", "console.log(1)")
    return buffer.getvalue()


def put(url, body):
    request = urllib.request.Request(url, data=body, method="PUT")
    with urllib.request.urlopen(request) as response:
        return response.status


@pytest.fixture
def manual_app(client):
    app = client.create_app(name="manual")["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    yield app
    client.delete_app(appId=app["appId"])


def test_zip_deployment(client, manual_app):
    app_id = manual_app["appId"]
    created = client.create_deployment(appId=app_id, branchName="main")
    assert created["jobId"] == "1"
    assert created["fileUploadUrls"] == {}
    job = client.get_job(appId=app_id, branchName="main", jobId="1")["job"]["summary"]
    assert (job["status"], job["jobType"]) == ("CREATED", "MANUAL")
    assert put(created["zipUploadUrl"], site_zip()) == 200
    started = client.start_deployment(appId=app_id, branchName="main", jobId="1")["jobSummary"]
    assert started["status"] == "PENDING"
    done = wait_for_status(client, app_id, "main", "1", {"SUCCEED"})
    assert [step["stepName"] for step in done["steps"]] == ["DEPLOY", "VERIFY"]
    with urllib.request.urlopen(done["steps"][0]["logUrl"]) as response:
        assert "artifacts.zip" in response.read().decode()
    # Uploads close when the deployment starts.
    with pytest.raises(urllib.error.HTTPError) as error:
        put(created["zipUploadUrl"], site_zip())
    assert error.value.code == 400
    assert client.create_deployment(appId=app_id, branchName="main")["jobId"] == "2"


def test_file_map_deployment(client, manual_app):
    app_id = manual_app["appId"]
    created = client.create_deployment(appId=app_id, branchName="main", fileMap={"index.html": "md5a", "css/site.css": "md5b"})
    assert set(created["fileUploadUrls"]) == {"index.html", "css/site.css"}
    for name, url in created["fileUploadUrls"].items():
        assert put(url, f"content of {name}".encode()) == 200
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    done = wait_for_status(client, app_id, "main", created["jobId"], {"SUCCEED"})
    assert done["summary"]["jobType"] == "MANUAL"


def test_deployments_that_cannot_succeed_fail_with_a_reason(client, manual_app):
    app_id = manual_app["appId"]
    client.create_deployment(appId=app_id, branchName="main")
    client.start_deployment(appId=app_id, branchName="main", jobId="1")
    failed = wait_for_status(client, app_id, "main", "1", {"FAILED"})
    assert "Nothing was uploaded" in failed["steps"][-1]["statusReason"]
    created = client.create_deployment(appId=app_id, branchName="main")
    put(created["zipUploadUrl"], b"not a zip")
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    failed = wait_for_status(client, app_id, "main", created["jobId"], {"FAILED"})
    assert "not a zip" in failed["steps"][-1]["statusReason"]
    client.start_deployment(appId=app_id, branchName="main", sourceUrl="s3://bucket/site.zip")
    failed = wait_for_status(client, app_id, "main", "3", {"FAILED"})
    assert "cannot read s3://bucket/site.zip" in failed["steps"][-1]["statusReason"]


def test_deployment_from_a_source_url(client, manual_app):
    with serving_files({"/site.zip": site_zip()}) as base:
        url = f"{base}/site.zip"
        job = client.start_deployment(appId=manual_app["appId"], branchName="main", sourceUrl=url)["jobSummary"]
        assert (job["jobId"], job["status"], job["sourceUrl"], job["sourceUrlType"]) == ("1", "PENDING", url, "ZIP")
        done = wait_for_status(client, manual_app["appId"], "main", "1", {"SUCCEED"})
        assert done["summary"]["sourceUrl"] == url
        missing = client.start_deployment(appId=manual_app["appId"], branchName="main", sourceUrl=url + ".gone")["jobSummary"]
        failed = wait_for_status(client, manual_app["appId"], "main", missing["jobId"], {"FAILED"})
        assert "HTTP 404" in failed["steps"][-1]["statusReason"]


def test_deployment_errors(client, raw_client, app, manual_app):
    client.create_branch(appId=app["appId"], branchName="main")
    with pytest.raises(client.exceptions.BadRequestException, match="Operation not supported. App is already connected a repository."):
        client.create_deployment(appId=app["appId"], branchName="main")
    app_id = manual_app["appId"]
    client.create_deployment(appId=app_id, branchName="main")
    with pytest.raises(client.exceptions.LimitExceededException, match=r"The last job\(deployment\) 1 was not finished"):
        client.create_deployment(appId=app_id, branchName="main")
    with pytest.raises(client.exceptions.LimitExceededException):
        client.start_job(appId=app_id, branchName="main", jobType="RETRY", jobId="1")
    with pytest.raises(client.exceptions.BadRequestException, match="Must specify jobId or sourceUrl for StartDeploymentRequest."):
        client.start_deployment(appId=app_id, branchName="main")
    with pytest.raises(client.exceptions.NotFoundException, match="Job 7 not found"):
        client.start_deployment(appId=app_id, branchName="main", jobId="7")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="sourceUrl"):
        raw_client.start_deployment(appId=app_id, branchName="main", sourceUrl="ftp://example.com/x.zip")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="sourceUrlType"):
        raw_client.start_deployment(appId=app_id, branchName="main", sourceUrl="https://example.com/x.zip", sourceUrlType="TAR")
    with pytest.raises(client.exceptions.NotFoundException, match="Branch ghost not found"):
        client.create_deployment(appId=app_id, branchName="ghost")
    # The Amplify CLI's way out of a stuck deployment: StopJob, then deploy again.
    assert client.stop_job(appId=app_id, branchName="main", jobId="1")["jobSummary"]["status"] == "CANCELLING"
    wait_for_status(client, app_id, "main", "1", {"CANCELLED"})
    with pytest.raises(client.exceptions.BadRequestException, match="not a deployment waiting to start"):
        client.start_deployment(appId=app_id, branchName="main", jobId="1")
    assert client.create_deployment(appId=app_id, branchName="main")["jobId"] == "2"
