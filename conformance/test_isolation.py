"""Accounts and regions: the access key id is the account, the credential scope the region."""
import pytest


def test_apps_are_invisible_across_accounts_and_regions(server):
    owner = server.client(account="111111111111", region="eu-west-1")
    app = owner.create_app(name="private")["app"]
    assert app["appArn"] == f"arn:aws:amplify:eu-west-1:111111111111:apps/{app['appId']}"
    for other in (server.client(account="222222222222", region="eu-west-1"), server.client(account="111111111111", region="us-west-2")):
        with pytest.raises(other.exceptions.NotFoundException):
            other.get_app(appId=app["appId"])
        with pytest.raises(other.exceptions.NotFoundException):
            other.delete_app(appId=app["appId"])
        assert app["appId"] not in [a["appId"] for a in other.list_apps(maxResults=100)["apps"]]
    assert owner.get_app(appId=app["appId"])["app"]["name"] == "private"
    owner.delete_app(appId=app["appId"])


def test_keys_that_are_not_account_ids_share_the_default_account(server):
    first = server.client(account="AKIAIOSFODNN7EXAMPLE")
    second = server.client(account="test")
    app = first.create_app(name="shared")["app"]
    assert ":000000000000:" in app["appArn"]
    assert second.get_app(appId=app["appId"])["app"]["appId"] == app["appId"]
    first.delete_app(appId=app["appId"])
