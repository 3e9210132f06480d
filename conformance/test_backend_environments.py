"""CreateBackendEnvironment, GetBackendEnvironment, ListBackendEnvironments, DeleteBackendEnvironment."""
import pytest


def test_backend_environment_lifecycle(client, app):
    created = client.create_backend_environment(appId=app["appId"], environmentName="staging")["backendEnvironment"]
    assert created["backendEnvironmentArn"] == f"{app['appArn']}/backendenvironments/staging"
    assert created["environmentName"] == "staging"
    assert created["stackName"] and created["deploymentArtifacts"]
    assert created["createTime"] == created["updateTime"]
    assert client.get_backend_environment(appId=app["appId"], environmentName="staging")["backendEnvironment"] == created
    named = client.create_backend_environment(appId=app["appId"], environmentName="prod", stackName="my-stack",
                                              deploymentArtifacts="my-bucket")["backendEnvironment"]
    assert (named["stackName"], named["deploymentArtifacts"]) == ("my-stack", "my-bucket")
    listed = client.list_backend_environments(appId=app["appId"])["backendEnvironments"]
    assert [e["environmentName"] for e in listed] == ["staging", "prod"]
    only = client.list_backend_environments(appId=app["appId"], environmentName="prod")["backendEnvironments"]
    assert only == [named]
    assert client.delete_backend_environment(appId=app["appId"], environmentName="staging")["backendEnvironment"] == created
    with pytest.raises(client.exceptions.NotFoundException, match="Backend environment staging not found"):
        client.get_backend_environment(appId=app["appId"], environmentName="staging")
    with pytest.raises(client.exceptions.NotFoundException):
        client.delete_backend_environment(appId=app["appId"], environmentName="staging")


def test_backend_environment_errors(client, raw_client, app):
    client.create_backend_environment(appId=app["appId"], environmentName="dev")
    with pytest.raises(client.exceptions.BadRequestException, match="already exists"):
        client.create_backend_environment(appId=app["appId"], environmentName="dev")
    with pytest.raises(client.exceptions.NotFoundException, match="App d0000000000000 not found"):
        client.create_backend_environment(appId="d0000000000000", environmentName="dev")
    for arguments, member in [
        ({"environmentName": ""}, "environmentName"),
        ({"environmentName": "x", "stackName": ""}, "stackName"),
        ({"environmentName": "x", "deploymentArtifacts": "a" * 1001}, "deploymentArtifacts"),
    ]:
        with pytest.raises(raw_client.exceptions.BadRequestException) as error:
            raw_client.create_backend_environment(appId=app["appId"], **arguments)
        assert f"'{member}'" in error.value.response["message"]
    with pytest.raises(raw_client.exceptions.BadRequestException, match="maxResults"):
        raw_client.list_backend_environments(appId=app["appId"], maxResults=51)
    assert [e["environmentName"] for e in client.list_backend_environments(appId=app["appId"])["backendEnvironments"]] == ["dev"]


def test_deleting_the_app_deletes_its_environments(client):
    app = client.create_app(name="gen1")["app"]
    client.create_backend_environment(appId=app["appId"], environmentName="dev")
    client.delete_app(appId=app["appId"])
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_backend_environment(appId=app["appId"], environmentName="dev")
