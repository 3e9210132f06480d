"""CreateDomainAssociation, GetDomainAssociation, ListDomainAssociations, UpdateDomainAssociation,
DeleteDomainAssociation, polled the way Terraform's waiters poll them."""
import time

import pytest

from conftest import http_request
from test_hosting import deploy

# terraform-provider-aws internal/service/amplify/wait.go
CREATED_PENDING = {"CREATING", "IN_PROGRESS", "REQUESTING_CERTIFICATE"}
CREATED_TARGET = {"PENDING_VERIFICATION", "PENDING_DEPLOYMENT", "AVAILABLE"}
VERIFIED_PENDING = {"UPDATING", "IN_PROGRESS", "PENDING_VERIFICATION"}
VERIFIED_TARGET = {"PENDING_DEPLOYMENT", "AVAILABLE"}


def wait(client, app_id, domain, pending, target, timeout=15):
    """Polls like Terraform's StateChangeConf: every status seen is pending or target."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        association = client.get_domain_association(appId=app_id, domainName=domain)["domainAssociation"]
        status = association["domainStatus"]
        seen.append(status)
        assert status in pending | target, f"{status} is outside the waiter's sets ({seen})"
        if status in target:
            return association, seen
        assert time.monotonic() < deadline, f"stuck in {seen}"
        time.sleep(0.2)


def test_domain_association_walks_to_available(client, app):
    client.create_branch(appId=app["appId"], branchName="main")
    client.create_branch(appId=app["appId"], branchName="dev")
    created = client.create_domain_association(
        appId=app["appId"], domainName="example.com",
        subDomainSettings=[{"prefix": "", "branchName": "main"}, {"prefix": "dev", "branchName": "dev"}],
    )["domainAssociation"]
    assert created["domainAssociationArn"] == f"{app['appArn']}/domains/example.com"
    assert created["domainStatus"] == "CREATING"
    assert created["enableAutoSubDomain"] is False
    assert [s["subDomainSetting"] for s in created["subDomains"]] == [{"prefix": "", "branchName": "main"}, {"prefix": "dev", "branchName": "dev"}]
    assert all(s["verified"] is False and s["dnsRecord"].endswith("CNAME <pending>") for s in created["subDomains"])
    association, _ = wait(client, app["appId"], "example.com", CREATED_PENDING, CREATED_TARGET)
    assert association["certificateVerificationDNSRecord"].startswith("_")
    association, _ = wait(client, app["appId"], "example.com", VERIFIED_PENDING, VERIFIED_TARGET)
    final, _ = wait(client, app["appId"], "example.com", {"PENDING_DEPLOYMENT"}, {"AVAILABLE"})
    assert all(s["verified"] is True and s["dnsRecord"].endswith(".cloudfront.net") for s in final["subDomains"])
    assert final["certificate"]["type"] == "AMPLIFY_MANAGED"

    updated = client.update_domain_association(
        appId=app["appId"], domainName="example.com", subDomainSettings=[{"prefix": "www", "branchName": "main"}],
        enableAutoSubDomain=True, autoSubDomainCreationPatterns=["feature/*"],
    )["domainAssociation"]
    assert updated["domainStatus"] == "UPDATING"
    assert [s["subDomainSetting"]["prefix"] for s in updated["subDomains"]] == ["www"]
    assert updated["autoSubDomainCreationPatterns"] == ["feature/*"]
    wait(client, app["appId"], "example.com", VERIFIED_PENDING, VERIFIED_TARGET)
    final, _ = wait(client, app["appId"], "example.com", {"PENDING_DEPLOYMENT"}, {"AVAILABLE"})
    assert final["updateStatus"] == "UPDATE_COMPLETE"

    assert [d["domainName"] for d in client.list_domain_associations(appId=app["appId"])["domainAssociations"]] == ["example.com"]
    deleted = client.delete_domain_association(appId=app["appId"], domainName="example.com")["domainAssociation"]
    assert deleted["domainName"] == "example.com"
    with pytest.raises(client.exceptions.NotFoundException, match="Domain example.com not found"):
        client.get_domain_association(appId=app["appId"], domainName="example.com")


def test_domain_association_errors(client, raw_client, app):
    client.create_branch(appId=app["appId"], branchName="main")
    with pytest.raises(client.exceptions.BadRequestException, match="A subdomain cannot point to a non-existent branch"):
        client.create_domain_association(appId=app["appId"], domainName="a.example", subDomainSettings=[{"prefix": "", "branchName": "ghost"}])
    client.create_domain_association(appId=app["appId"], domainName="taken.example", subDomainSettings=[{"prefix": "", "branchName": "main"}])
    other = client.create_app(name="other")["app"]
    with pytest.raises(client.exceptions.BadRequestException, match="already associated with another Amplify app: taken.example"):
        client.create_domain_association(appId=other["appId"], domainName="taken.example", subDomainSettings=[])
    client.delete_app(appId=other["appId"])
    with pytest.raises(client.exceptions.BadRequestException, match="non-existent branch"):
        client.update_domain_association(appId=app["appId"], domainName="taken.example", subDomainSettings=[{"prefix": "x", "branchName": "ghost"}])
    assert client.get_domain_association(appId=app["appId"], domainName="taken.example")["domainAssociation"]["subDomains"][0]["subDomainSetting"]["branchName"] == "main"
    with pytest.raises(raw_client.exceptions.BadRequestException, match="domainName"):
        raw_client.create_domain_association(appId=app["appId"], domainName="-bad-.example", subDomainSettings=[])
    with pytest.raises(raw_client.exceptions.BadRequestException, match="subDomainSettings"):
        raw_client.create_domain_association(appId=app["appId"], domainName="b.example")
    with pytest.raises(raw_client.exceptions.BadRequestException, match="customCertificateArn"):
        raw_client.create_domain_association(appId=app["appId"], domainName="c.example", subDomainSettings=[],
                                             certificateSettings={"type": "CUSTOM"})
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_domain_association(appId=app["appId"], domainName="nothing.example")
    with pytest.raises(client.exceptions.NotFoundException, match="App d0000000000000 not found"):
        client.list_domain_associations(appId="d0000000000000")
    assert [d["domainName"] for d in client.list_domain_associations(appId=app["appId"])["domainAssociations"]] == ["taken.example"]


def test_deleting_a_branch_removes_its_subdomains(client, app):
    for name in ("main", "dev"):
        client.create_branch(appId=app["appId"], branchName=name)
    client.create_domain_association(appId=app["appId"], domainName="cascade.example",
                                     subDomainSettings=[{"prefix": "", "branchName": "main"}, {"prefix": "dev", "branchName": "dev"}])
    client.delete_branch(appId=app["appId"], branchName="dev")
    association = client.get_domain_association(appId=app["appId"], domainName="cascade.example")["domainAssociation"]
    assert [s["subDomainSetting"]["branchName"] for s in association["subDomains"]] == ["main"]


def serving(port, host):
    """The site's page when `host` is served as one of the test's custom domains, else None (the API answered)."""
    status, _, body = http_request(port, "GET", "/", {"Host": host})
    return body.decode() if status == 200 and body.startswith(b"<h1>") else None


@pytest.fixture
def deployed(client):
    """An app without a repository whose branches main and dev have a deployed page each."""
    app_id = client.create_app(name="domains")["app"]["appId"]
    for name in ("main", "dev"):
        client.create_branch(appId=app_id, branchName=name)
        assert deploy(client, app_id, {"index.html": f"<h1>{name}</h1>"}, branch=name)["summary"]["status"] == "SUCCEED"
    yield app_id
    client.delete_app(appId=app_id)


def test_a_deleted_association_stops_serving_every_one_of_its_hosts_at_once(client, server, deployed):
    client.create_domain_association(appId=deployed, domainName="gone.example", subDomainSettings=[
        {"prefix": "", "branchName": "main"}, {"prefix": "www", "branchName": "main"}, {"prefix": "dev", "branchName": "dev"}])
    wait(client, deployed, "gone.example", {"CREATING", "PENDING_VERIFICATION", "PENDING_DEPLOYMENT"}, {"AVAILABLE"})
    hosts = {"gone.example": "<h1>main</h1>", "www.gone.example": "<h1>main</h1>", "dev.gone.example:4566": "<h1>dev</h1>"}
    # Each host was just served (whatever a server keeps of that is as fresh as it gets) ...
    assert {host: serving(server.port, host) for host in hosts} == hosts
    client.delete_domain_association(appId=deployed, domainName="gone.example")
    # ... and none is the next moment, as on AWS once the association is gone.
    assert {host: serving(server.port, host) for host in hosts} == dict.fromkeys(hosts)


def test_an_update_that_removes_a_subdomain_stops_it_at_once_and_keeps_serving_the_others(client, server, deployed):
    client.create_domain_association(appId=deployed, domainName="kept.example", subDomainSettings=[
        {"prefix": "www", "branchName": "main"}, {"prefix": "dev", "branchName": "dev"}])
    wait(client, deployed, "kept.example", {"CREATING", "PENDING_VERIFICATION", "PENDING_DEPLOYMENT"}, {"AVAILABLE"})
    assert (serving(server.port, "www.kept.example"), serving(server.port, "dev.kept.example")) == ("<h1>main</h1>", "<h1>dev</h1>")
    updated = client.update_domain_association(appId=deployed, domainName="kept.example", subDomainSettings=[
        {"prefix": "www", "branchName": "main"}, {"prefix": "new", "branchName": "dev"}])["domainAssociation"]
    assert updated["domainStatus"] == "UPDATING"
    # While the update walks: the removed subdomain is gone, the kept one still serves, the added one waits.
    assert serving(server.port, "dev.kept.example") is None
    assert serving(server.port, "www.kept.example") == "<h1>main</h1>"
    assert serving(server.port, "new.kept.example") is None
    wait(client, deployed, "kept.example", {"UPDATING", "PENDING_DEPLOYMENT"}, {"AVAILABLE"})
    assert [serving(server.port, f"{prefix}.kept.example") for prefix in ("www", "dev", "new")] == ["<h1>main</h1>", None, "<h1>dev</h1>"]
