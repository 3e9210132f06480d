"""CreateBranch, GetBranch, ListBranches, UpdateBranch, DeleteBranch."""
import pytest


def test_create_branch_fills_the_real_defaults(client, app):
    branch = client.create_branch(appId=app["appId"], branchName="dev")["branch"]
    assert branch["branchArn"] == f"{app['appArn']}/branches/dev"
    assert branch["branchName"] == "dev"
    assert branch["stage"] == "NONE"
    assert branch["displayName"] == "dev"
    assert branch["enableNotification"] is False
    assert branch["enableAutoBuild"] is True
    assert branch["enableBasicAuth"] is False
    assert branch["enablePerformanceMode"] is False
    assert branch["enablePullRequestPreview"] is False
    assert branch["enableSkewProtection"] is False
    assert branch["ttl"] == "5"
    assert branch["totalNumberOfJobs"] == "0"
    assert branch["customDomains"] == []
    # Members the model requires are present even when empty.
    assert (branch["description"], branch["framework"], branch["activeJobId"]) == ("", "", "")


def test_branch_names_with_slashes(client, app):
    branch = client.create_branch(appId=app["appId"], branchName="feature/login")["branch"]
    assert branch["branchArn"].endswith("/branches/feature/login")
    assert branch["displayName"] == "feature-login"
    assert client.get_branch(appId=app["appId"], branchName="feature/login")["branch"] == branch
    updated = client.update_branch(appId=app["appId"], branchName="feature/login", description="slashes")["branch"]
    assert updated["description"] == "slashes"
    assert client.delete_branch(appId=app["appId"], branchName="feature/login")["branch"]["branchName"] == "feature/login"


def test_create_branch_keeps_every_setting(client, app):
    branch = client.create_branch(
        appId=app["appId"], branchName="prod", description="production", stage="PRODUCTION", framework="React",
        enableNotification=True, enableAutoBuild=False, enableSkewProtection=True, environmentVariables={"API": "x"},
        basicAuthCredentials="dXNlcjpwYXNz", enableBasicAuth=True, enablePerformanceMode=True, tags={"tier": "1"},
        buildSpec="version: 1\n", ttl="30", displayName="live", enablePullRequestPreview=True,
        pullRequestEnvironmentName="pr", backendEnvironmentArn="arn:aws:amplify:us-east-1:123456789012:apps/d1/backendenvironments/prod",
        backend={"stackArn": "arn:aws:cloudformation:us-east-1:123456789012:stack/amplify/abc"},
        computeRoleArn="arn:aws:iam::123456789012:role/compute",
    )["branch"]
    assert client.get_branch(appId=app["appId"], branchName="prod")["branch"] == branch
    assert branch["stage"] == "PRODUCTION"
    assert branch["displayName"] == "live"
    assert branch["ttl"] == "30"
    assert branch["tags"] == {"tier": "1"}
    assert branch["backend"] == {"stackArn": "arn:aws:cloudformation:us-east-1:123456789012:stack/amplify/abc"}


def test_create_branch_errors(client, raw_client, app):
    client.create_branch(appId=app["appId"], branchName="taken")
    with pytest.raises(client.exceptions.BadRequestException, match="already exists"):
        client.create_branch(appId=app["appId"], branchName="taken")
    with pytest.raises(client.exceptions.NotFoundException, match="App d0000000000000 not found"):
        client.create_branch(appId="d0000000000000", branchName="x")
    for arguments, member in [
        ({"branchName": ""}, "branchName"),
        ({"branchName": "b" * 256}, "branchName"),
        ({"branchName": "x", "stage": "PROD"}, "stage"),
        ({"branchName": "x", "ttl": "five"}, "ttl"),
        ({"branchName": "x", "backend": {"stackArn": "not-an-arn-at-all-really"}}, "backend.stackArn"),
    ]:
        with pytest.raises(raw_client.exceptions.BadRequestException) as error:
            raw_client.create_branch(appId=app["appId"], **arguments)
        assert f"'{member}'" in error.value.response["message"]
    names = [b["branchName"] for b in client.list_branches(appId=app["appId"])["branches"]]
    assert names == ["taken"]


def test_get_branch_errors(client, app):
    with pytest.raises(client.exceptions.NotFoundException) as error:
        client.get_branch(appId=app["appId"], branchName="nope")
    assert error.value.response["message"] == "Branch nope not found."
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_branch(appId="d0000000000000", branchName="main")


def test_list_branches_pages(client, app):
    names = [f"b{index}" for index in range(5)]
    for name in names:
        client.create_branch(appId=app["appId"], branchName=name)
    pages = list(client.get_paginator("list_branches").paginate(appId=app["appId"], PaginationConfig={"PageSize": 2}))
    assert [b["branchName"] for page in pages for b in page["branches"]] == names
    assert len(pages) == 3


def test_list_branches_errors(client, raw_client, app):
    with pytest.raises(raw_client.exceptions.BadRequestException, match="maxResults"):
        raw_client.list_branches(appId=app["appId"], maxResults=51)
    with pytest.raises(client.exceptions.NotFoundException):
        client.list_branches(appId="d0000000000000")


def test_update_branch(client, raw_client, app):
    client.create_branch(appId=app["appId"], branchName="main", environmentVariables={"A": "1"})
    updated = client.update_branch(appId=app["appId"], branchName="main", stage="BETA", enableAutoBuild=False)["branch"]
    assert updated["stage"] == "BETA"
    assert updated["enableAutoBuild"] is False
    assert updated["environmentVariables"] == {"A": "1"}
    with pytest.raises(client.exceptions.BadRequestException, match="Environment variables cannot have an empty key."):
        client.update_branch(appId=app["appId"], branchName="main", environmentVariables={"": ""})
    assert client.get_branch(appId=app["appId"], branchName="main")["branch"]["environmentVariables"] == {"A": "1"}
    cleared = client.update_branch(appId=app["appId"], branchName="main", environmentVariables={" ": ""})["branch"]
    assert cleared["environmentVariables"] == {}
    with pytest.raises(raw_client.exceptions.BadRequestException, match="stage"):
        raw_client.update_branch(appId=app["appId"], branchName="main", stage="GAMMA", description="no")
    assert client.get_branch(appId=app["appId"], branchName="main")["branch"]["description"] == ""
    with pytest.raises(client.exceptions.NotFoundException):
        client.update_branch(appId=app["appId"], branchName="ghost", stage="BETA")


def test_delete_branch_cascades_and_stops_its_job(client, app):
    client.create_branch(appId=app["appId"], branchName="main")
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
    deleted = client.delete_branch(appId=app["appId"], branchName="main")["branch"]
    assert deleted["branchName"] == "main"
    assert deleted["totalNumberOfJobs"] == "1"
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_branch(appId=app["appId"], branchName="main")
    with pytest.raises(client.exceptions.NotFoundException):
        client.list_jobs(appId=app["appId"], branchName="main")
    with pytest.raises(client.exceptions.NotFoundException):
        client.delete_branch(appId=app["appId"], branchName="main")
    # A new branch of that name is a new branch: its jobs count from 1 again.
    client.create_branch(appId=app["appId"], branchName="main")
    assert client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")["jobSummary"]["jobId"] == "1"
