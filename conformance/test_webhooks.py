"""CreateWebhook, GetWebhook, ListWebhooks, UpdateWebhook, DeleteWebhook, and POSTs to a webhook's URL."""
import http.client
import re
import urllib.parse

import pytest

from conftest import wait_for_status

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def post(url):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("POST", f"{parts.path}?{parts.query}", body=b"{}", headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.getheader("x-amzn-ErrorType"), body


def test_webhook_lifecycle(client, app, branch, server):
    created = client.create_webhook(appId=app["appId"], branchName="main", description="deploys")["webhook"]
    assert UUID.match(created["webhookId"])
    assert created["webhookArn"] == f"{app['appArn']}/webhooks/{created['webhookId']}"
    assert created["branchName"] == "main"
    assert created["description"] == "deploys"
    assert created["webhookUrl"].startswith(f"{server.endpoint}/prod/webhooks?id={created['webhookId']}&token=")
    assert re.search(r"token=[A-Za-z0-9]{40}&operation=startbuild$", created["webhookUrl"])
    assert client.get_webhook(webhookId=created["webhookId"])["webhook"] == created

    client.create_branch(appId=app["appId"], branchName="dev")
    updated = client.update_webhook(webhookId=created["webhookId"], branchName="dev", description="dev builds")["webhook"]
    assert updated["branchName"] == "dev"
    assert updated["description"] == "dev builds"
    assert updated["webhookUrl"] == created["webhookUrl"]
    assert updated["createTime"] == created["createTime"]

    listed = client.list_webhooks(appId=app["appId"])["webhooks"]
    assert [w["webhookId"] for w in listed] == [created["webhookId"]]
    deleted = client.delete_webhook(webhookId=created["webhookId"])["webhook"]
    assert deleted["webhookId"] == created["webhookId"]
    with pytest.raises(client.exceptions.NotFoundException, match=f"Webhook {created['webhookId']} not found"):
        client.get_webhook(webhookId=created["webhookId"])
    with pytest.raises(client.exceptions.NotFoundException):
        client.delete_webhook(webhookId=created["webhookId"])


def test_posting_the_url_starts_a_web_hook_job(client, app, branch):
    webhook = client.create_webhook(appId=app["appId"], branchName="main")["webhook"]
    status, _, _ = post(webhook["webhookUrl"])
    assert status == 200
    job = client.list_jobs(appId=app["appId"], branchName="main")["jobSummaries"][0]
    assert job["jobType"] == "WEB_HOOK"
    wait_for_status(client, app["appId"], "main", job["jobId"], {"SUCCEED"})


def test_posting_with_a_wrong_token_starts_nothing(client, app, branch):
    webhook = client.create_webhook(appId=app["appId"], branchName="main")["webhook"]
    forged = re.sub(r"token=[A-Za-z0-9]+", "token=" + "x" * 40, webhook["webhookUrl"])
    status, code, _ = post(forged)
    assert (status, code) == (401, "UnauthorizedException")
    status, code, _ = post(webhook["webhookUrl"].replace(webhook["webhookId"], "00000000-0000-4000-8000-000000000000"))
    assert (status, code) == (404, "NotFoundException")
    assert client.list_jobs(appId=app["appId"], branchName="main")["jobSummaries"] == []


def test_webhook_errors(client, raw_client, app, branch):
    with pytest.raises(client.exceptions.NotFoundException, match="Branch ghost not found"):
        client.create_webhook(appId=app["appId"], branchName="ghost")
    with pytest.raises(client.exceptions.NotFoundException, match="not found"):
        client.create_webhook(appId="d0000000000000", branchName="main")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="branchName"):
        raw_client.create_webhook(appId=app["appId"], branchName="")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="description"):
        raw_client.create_webhook(appId=app["appId"], branchName="main", description="d" * 1001)
    webhook = client.create_webhook(appId=app["appId"], branchName="main")["webhook"]
    with pytest.raises(client.exceptions.NotFoundException, match="Branch ghost not found"):
        client.update_webhook(webhookId=webhook["webhookId"], branchName="ghost")
    assert client.get_webhook(webhookId=webhook["webhookId"])["webhook"]["branchName"] == "main"
    with pytest.raises(raw_client.exceptions.BadRequestException, match="maxResults"):
        raw_client.list_webhooks(appId=app["appId"], maxResults=51)
    other_account = raw_client.meta.endpoint_url
    from conftest import make_client
    stranger = make_client(other_account, account="999999999999")
    with pytest.raises(stranger.exceptions.NotFoundException):
        stranger.get_webhook(webhookId=webhook["webhookId"])


def test_deleting_the_branch_deletes_its_webhooks(client, app, branch):
    webhook = client.create_webhook(appId=app["appId"], branchName="main")["webhook"]
    client.delete_branch(appId=app["appId"], branchName="main")
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_webhook(webhookId=webhook["webhookId"])
    assert client.list_webhooks(appId=app["appId"])["webhooks"] == []


def test_list_webhooks_pages(client, app, branch):
    ids = [client.create_webhook(appId=app["appId"], branchName="main")["webhook"]["webhookId"] for _ in range(5)]
    first = client.list_webhooks(appId=app["appId"], maxResults=2)
    second = client.list_webhooks(appId=app["appId"], maxResults=2, nextToken=first["nextToken"])
    third = client.list_webhooks(appId=app["appId"], maxResults=2, nextToken=second["nextToken"])
    assert [w["webhookId"] for page in (first, second, third) for w in page["webhooks"]] == ids
    assert "nextToken" not in third
