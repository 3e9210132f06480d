"""CreateApp, GetApp, ListApps, UpdateApp, DeleteApp."""
import datetime

import pytest


def test_create_app_fills_the_real_defaults(client):
    app = client.create_app(name="defaults")["app"]
    assert app["appId"].startswith("d") and len(app["appId"]) in (13, 14)
    assert app["appArn"] == f"arn:aws:amplify:us-east-1:123456789012:apps/{app['appId']}"
    assert app["defaultDomain"] == f"{app['appId']}.amplifyapp.com"
    assert app["platform"] == "WEB"
    assert app["enableBranchAutoBuild"] is False
    assert app["enableBranchAutoDeletion"] is False
    assert app["enableBasicAuth"] is False
    assert app["enableAutoBranchCreation"] is False
    assert app["customRules"] == []
    assert app["cacheConfig"] == {"type": "AMPLIFY_MANAGED"}
    # Members the model requires are present even when empty.
    assert (app["description"], app["repository"], app["environmentVariables"]) == ("", "", {})
    assert isinstance(app["createTime"], datetime.datetime)
    assert app["createTime"] == app["updateTime"]
    client.delete_app(appId=app["appId"])


def test_create_app_keeps_every_setting_and_hides_tokens(client):
    app = client.create_app(
        name="full",
        description="an app",
        repository="https://github.com/example/site",
        accessToken="ghp_secret",
        platform="WEB_COMPUTE",
        environmentVariables={"A": "1"},
        enableBranchAutoBuild=True,
        enableBasicAuth=True,
        basicAuthCredentials="dXNlcjpwYXNz",
        customRules=[{"source": "/<*>", "target": "/index.html", "status": "404-200"}],
        tags={"team": "web"},
        buildSpec="version: 1\n",
        customHeaders="customHeaders: []\n",
        enableAutoBranchCreation=True,
        autoBranchCreationPatterns=["feature/*"],
        autoBranchCreationConfig={"stage": "DEVELOPMENT", "enableAutoBuild": True},
        jobConfig={"buildComputeType": "LARGE_16GB"},
        cacheConfig={"type": "AMPLIFY_MANAGED_NO_COOKIES"},
        computeRoleArn="arn:aws:iam::123456789012:role/compute",
        iamServiceRoleArn="arn:aws:iam::123456789012:role/service",
    )["app"]
    fetched = client.get_app(appId=app["appId"])["app"]
    assert fetched == app
    assert fetched["repository"] == "https://github.com/example/site"
    assert fetched["customRules"] == [{"source": "/<*>", "target": "/index.html", "status": "404-200"}]
    assert fetched["tags"] == {"team": "web"}
    assert fetched["autoBranchCreationConfig"] == {"stage": "DEVELOPMENT", "enableAutoBuild": True}
    assert fetched["jobConfig"] == {"buildComputeType": "LARGE_16GB"}
    assert fetched["cacheConfig"] == {"type": "AMPLIFY_MANAGED_NO_COOKIES"}
    assert "accessToken" not in fetched and "oauthToken" not in fetched
    client.delete_app(appId=app["appId"])


def test_remote_repository_needs_a_token(client):
    with pytest.raises(client.exceptions.BadRequestException, match="token"):
        client.create_app(name="x", repository="https://github.com/example/site")


@pytest.mark.parametrize(
    "arguments, member",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "n" * 256}, "name"),
        ({"name": "x", "platform": "IOS"}, "platform"),
        ({"name": "x", "tags": {"aws:reserved": "v"}}, "tags"),
        ({"name": "x", "description": "d" * 1001}, "description"),
        ({"name": "x", "jobConfig": {"buildComputeType": "HUGE"}}, "jobConfig.buildComputeType"),
        ({"name": "x", "customRules": [{"source": "/a"}]}, "customRules.1.member.target"),
    ],
)
def test_create_app_refuses_bad_input(raw_client, arguments, member):
    before = raw_client.list_apps(maxResults=100)["apps"]
    with pytest.raises(raw_client.exceptions.BadRequestException) as error:
        raw_client.create_app(**arguments)
    assert f"'{member}" in error.value.response["message"]
    assert error.value.response["Error"]["Code"] == "BadRequestException"
    assert raw_client.list_apps(maxResults=100)["apps"] == before


def test_tokens_take_up_to_4096_characters(client, raw_client):
    """botocore 1.44's model: accessToken and oauthToken up to 4096 characters (GitHub's fine-grained tokens are long)."""
    app = client.create_app(name="long-token", repository="https://git.example.com/site", accessToken="t" * 4096)["app"]
    client.update_app(appId=app["appId"], oauthToken="o" * 4096)
    for member in ("accessToken", "oauthToken"):
        with pytest.raises(raw_client.exceptions.BadRequestException) as error:
            raw_client.update_app(appId=app["appId"], **{member: "t" * 4097})
        assert f"'{member}'" in error.value.response["message"]
    assert "accessToken" not in client.get_app(appId=app["appId"])["app"]


def test_get_app_errors(raw_client):
    with pytest.raises(raw_client.exceptions.NotFoundException) as error:
        raw_client.get_app(appId="d0000000000000")
    assert error.value.response["message"] == "App d0000000000000 not found."
    with pytest.raises(raw_client.exceptions.BadRequestException, match="appId"):
        raw_client.get_app(appId="XX")


def test_list_apps_pages_in_creation_order(fresh_server):
    client = fresh_server().client()
    ids = [client.create_app(name=f"app{index}")["app"]["appId"] for index in range(7)]
    first = client.list_apps(maxResults=3)
    assert [app["appId"] for app in first["apps"]] == ids[:3]
    assert "nextToken" in first
    listed = [app["appId"] for page in client.get_paginator("list_apps").paginate(PaginationConfig={"PageSize": 2}) for app in page["apps"]]
    assert listed == ids
    last = client.list_apps(maxResults=7)
    assert "nextToken" not in last
    assert len(client.list_apps(maxResults=0)["apps"]) == 7


def test_list_apps_errors(raw_client):
    with pytest.raises(raw_client.exceptions.BadRequestException, match="maxResults"):
        raw_client.list_apps(maxResults=101)
    with pytest.raises(raw_client.exceptions.BadRequestException, match="nextToken"):
        raw_client.list_apps(nextToken="not-a-token")


def test_update_app_changes_only_what_it_names(client):
    app = client.create_app(name="before", description="keep", environmentVariables={"A": "1", "B": "2"},
                            customRules=[{"source": "/a", "target": "/b"}])["app"]
    updated = client.update_app(appId=app["appId"], name="after", enableBasicAuth=True)["app"]
    assert updated["name"] == "after"
    assert updated["description"] == "keep"
    assert updated["enableBasicAuth"] is True
    assert updated["environmentVariables"] == {"A": "1", "B": "2"}
    assert updated["updateTime"] >= app["updateTime"]
    assert updated["createTime"] == app["createTime"]
    # An empty map changes nothing; {" ": ""} (what Terraform sends) clears; an empty key is refused (shared/amplify-api.md
    # §5.3: AWS stopped taking Terraform's old {"": ""}); [] clears the rules.
    assert client.update_app(appId=app["appId"], environmentVariables={})["app"]["environmentVariables"] == {"A": "1", "B": "2"}
    assert client.update_app(appId=app["appId"], environmentVariables={"C": "3"})["app"]["environmentVariables"] == {"C": "3"}
    with pytest.raises(client.exceptions.BadRequestException, match="Environment variables cannot have an empty key."):
        client.update_app(appId=app["appId"], name="changed", environmentVariables={"": ""})
    assert client.get_app(appId=app["appId"])["app"]["environmentVariables"] == {"C": "3"}
    assert client.get_app(appId=app["appId"])["app"]["name"] == "after"
    assert client.update_app(appId=app["appId"], environmentVariables={" ": ""})["app"]["environmentVariables"] == {}
    assert client.update_app(appId=app["appId"], customRules=[])["app"]["customRules"] == []
    assert client.get_app(appId=app["appId"])["app"]["name"] == "after"
    client.delete_app(appId=app["appId"])


def test_update_app_errors_change_nothing(client, raw_client):
    app = client.create_app(name="stable")["app"]
    with pytest.raises(raw_client.exceptions.BadRequestException, match="platform"):
        raw_client.update_app(appId=app["appId"], name="changed", platform="DESKTOP")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="token"):
        raw_client.update_app(appId=app["appId"], name="changed", repository="https://gitlab.com/x/y")
    assert client.get_app(appId=app["appId"])["app"]["name"] == "stable"
    with pytest.raises(client.exceptions.NotFoundException):
        client.update_app(appId="d0000000000000", name="x")
    client.delete_app(appId=app["appId"])


def test_delete_app_returns_it_and_removes_everything(client):
    app = client.create_app(name="doomed", repository="/srv/repo")["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
    deleted = client.delete_app(appId=app["appId"])["app"]
    assert deleted == app
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_app(appId=app["appId"])
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_job(appId=app["appId"], branchName="main", jobId="1")
    with pytest.raises(client.exceptions.NotFoundException):
        client.delete_app(appId=app["appId"])



def test_auto_branch_creation_gets_a_default_config_and_its_variables_clear(client):
    app = client.create_app(name="auto", enableAutoBranchCreation=True, autoBranchCreationPatterns=["feature/*"])["app"]
    assert app["autoBranchCreationConfig"] == {"stage": "NONE"}
    assert client.get_app(appId=app["appId"])["app"]["autoBranchCreationConfig"] == {"stage": "NONE"}
    config = {"stage": "DEVELOPMENT", "environmentVariables": {"A": "1"}}
    updated = client.update_app(appId=app["appId"], autoBranchCreationConfig=config)["app"]
    assert updated["autoBranchCreationConfig"]["environmentVariables"] == {"A": "1"}
    with pytest.raises(client.exceptions.BadRequestException, match="empty key"):
        client.update_app(appId=app["appId"], autoBranchCreationConfig={"stage": "BETA", "environmentVariables": {"": ""}})
    assert client.get_app(appId=app["appId"])["app"]["autoBranchCreationConfig"]["stage"] == "DEVELOPMENT"
    cleared = client.update_app(appId=app["appId"], autoBranchCreationConfig={"stage": "DEVELOPMENT", "environmentVariables": {" ": ""}})
    assert cleared["app"]["autoBranchCreationConfig"].get("environmentVariables", {}) == {}
    plain = client.create_app(name="manual")["app"]
    assert "autoBranchCreationConfig" not in plain
    client.delete_app(appId=app["appId"])
    client.delete_app(appId=plain["appId"])
