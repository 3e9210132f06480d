"""Service quotas, ListArtifacts, GetArtifactUrl and GenerateAccessLogs."""
import datetime
import urllib.request

import pytest


def test_quotas_are_limit_exceeded_and_configurable(fresh_server):
    client = fresh_server("--max-apps-per-region", "2", "--max-branches-per-app", "1", "--max-domains-per-app", "1",
                          "--max-webhooks-per-app", "1").client()
    apps = [client.create_app(name=f"a{index}")["app"]["appId"] for index in range(2)]
    with pytest.raises(client.exceptions.LimitExceededException, match="quota of 2"):
        client.create_app(name="third")
    assert len(client.list_apps()["apps"]) == 2
    client.create_branch(appId=apps[0], branchName="main")
    with pytest.raises(client.exceptions.LimitExceededException, match="branches"):
        client.create_branch(appId=apps[0], branchName="dev")
    client.create_webhook(appId=apps[0], branchName="main")
    with pytest.raises(client.exceptions.LimitExceededException, match="webhooks"):
        client.create_webhook(appId=apps[0], branchName="main")
    client.create_domain_association(appId=apps[0], domainName="one.example", subDomainSettings=[])
    with pytest.raises(client.exceptions.LimitExceededException, match="domains"):
        client.create_domain_association(appId=apps[0], domainName="two.example", subDomainSettings=[])
    client.delete_app(appId=apps[1])
    client.create_app(name="room again")


def test_default_app_quota_is_awss(fresh_server):
    server = fresh_server()
    client = server.client()
    for index in range(25):
        client.create_app(name=f"app{index}")
    with pytest.raises(client.exceptions.LimitExceededException):
        client.create_app(name="26th")
    elsewhere = server.client(region="eu-west-1")
    elsewhere.create_app(name="another region has its own quota")


def test_list_artifacts_and_get_artifact_url(client, raw_client, app, branch):
    job = client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")["jobSummary"]
    assert client.list_artifacts(appId=app["appId"], branchName="main", jobId=job["jobId"])["artifacts"] == []
    with pytest.raises(client.exceptions.NotFoundException, match="Job 99 not found"):
        client.list_artifacts(appId=app["appId"], branchName="main", jobId="99")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="maxResults"):
        raw_client.list_artifacts(appId=app["appId"], branchName="main", jobId="1", maxResults=51)
    with pytest.raises(client.exceptions.NotFoundException, match="Artifact nope not found"):
        client.get_artifact_url(artifactId="nope")


def test_generate_access_logs(client, raw_client, app, branch):
    client.create_domain_association(appId=app["appId"], domainName="logs.example", subDomainSettings=[{"prefix": "", "branchName": "main"}])
    now = datetime.datetime.now(datetime.timezone.utc)
    url = client.generate_access_logs(appId=app["appId"], domainName="logs.example",
                                      startTime=now - datetime.timedelta(days=1), endTime=now)["logUrl"]
    with urllib.request.urlopen(url) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        lines = response.read().decode().splitlines()
    assert lines[0].startswith("date,time,x-edge-location,sc-bytes,c-ip,cs-method,cs(Host),cs-uri-stem,sc-status")
    with pytest.raises(client.exceptions.BadRequestException, match="not associated"):
        client.generate_access_logs(appId=app["appId"], domainName="other.example")
    with pytest.raises(client.exceptions.BadRequestException, match="two weeks"):
        client.generate_access_logs(appId=app["appId"], domainName="logs.example", startTime=now - datetime.timedelta(days=15), endTime=now)
    with pytest.raises(client.exceptions.NotFoundException):
        client.generate_access_logs(appId="d0000000000000", domainName="logs.example")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="domainName"):
        raw_client.generate_access_logs(appId=app["appId"], domainName="not a domain")
