"""Several amplify-local nodes on one PostgreSQL database and one data directory, clients spread across them.

Needs $AMPLIFY_LOCAL_TEST_POSTGRES (scripts/test starts a throwaway server and sets it); each test gets a
database of its own.
"""
import contextlib
import json
import os
import shutil
import re
import subprocess
import tempfile
import threading
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import POSTGRES, Server, http_request, wait_for_status
from test_hosting import deploy, make_zip, put

SERVER = os.environ.get("AMPLIFY_LOCAL_TEST_POSTGRES")
pytestmark = [
    pytest.mark.skipif(not SERVER, reason="no PostgreSQL server: AMPLIFY_LOCAL_TEST_POSTGRES is not set"),
    # The nodes are on a database of their own whichever store the suite's other servers use: once is enough.
    pytest.mark.skipif(bool(POSTGRES), reason="its nodes make their own PostgreSQL database: run in the SQLite pass only"),
]
FINISHED = ("SUCCEED", "FAILED", "CANCELLED")


def psql(sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", SERVER, "-c", sql], check=True, capture_output=True)


class Node(Server):
    """A server that logs to a file, so that tests can read which jobs it claimed."""

    def claims(self):
        """The jobs this node claimed, as `appId/branch/jobId`."""
        with open(self.log_path) as log:
            return re.findall(r"job\.id=(\S+) node=\S+ \[AmplifyBuilds\] Claimed a job", log.read())


class Cluster:
    def __init__(self, count, *args):
        self.database = "amplify_multinode_" + uuid.uuid4().hex[:8]
        psql(f"CREATE DATABASE {self.database}")
        parts = urlsplit(SERVER)
        self.url = urlunsplit(parts._replace(path="/" + self.database))
        self.directory = tempfile.TemporaryDirectory(prefix="amplify-local-nodes-")
        self.nodes = []
        # Started together: their migrations race, and take turns on the advisory lock.
        threads = [threading.Thread(target=self.add, args=(index, args)) for index in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(self.nodes) == count, "a node did not start"
        self.nodes.sort(key=lambda node: node.log_path)

    def add(self, index, args):
        node = Node(
            "--database", self.url, "--build-mode", "simulate", *args,
            data_dir=self.directory.name, log_path=os.path.join(self.directory.name, f"node-{index}.log"),
        )
        node.start()
        self.nodes.append(node)

    def clients(self):
        return [node.client() for node in self.nodes]

    def claims(self):
        return [claim for node in self.nodes for claim in node.claims()]

    def close(self):
        for node in self.nodes:
            node.stop()
        psql(f"DROP DATABASE {self.database} WITH (FORCE)")
        self.directory.cleanup()


@contextlib.contextmanager
def clusters(kind, count):
    """A function that starts a cluster of `kind` (of `count` nodes unless told), each closed at the end."""
    made = []

    def start(nodes=count, *args):
        made.append(kind(nodes, *args))
        return made[-1]

    try:
        yield start
    finally:
        for instance in made:
            instance.close()


@pytest.fixture
def cluster():
    with clusters(Cluster, 3) as start:
        yield start


def test_any_node_answers_any_request_with_the_same_result(cluster):
    a, b, c = cluster(3).clients()
    app = a.create_app(name="shared", repository="/srv/repositories/site", tags={"team": "web"})["app"]
    app_id = app["appId"]
    b.create_branch(appId=app_id, branchName="main", stage="PRODUCTION")
    c.update_app(appId=app_id, description="changed on c")
    webhook = a.create_webhook(appId=app_id, branchName="main")["webhook"]
    b.create_backend_environment(appId=app_id, environmentName="staging")
    c.tag_resource(resourceArn=app["appArn"], tags={"cost": "42"})
    answers = []
    for client in (a, b, c):
        hook = client.get_webhook(webhookId=webhook["webhookId"])["webhook"]
        # The URL names the node that was asked (behind a load balancer, the balancer's address).
        hook["webhookUrl"] = re.sub(r"^http://[^/]+", "", hook["webhookUrl"])
        answers.append((
            client.get_app(appId=app_id)["app"],
            client.list_apps()["apps"],
            client.get_branch(appId=app_id, branchName="main")["branch"],
            hook,
            client.list_backend_environments(appId=app_id)["backendEnvironments"],
            client.list_tags_for_resource(resourceArn=app["appArn"])["tags"],
        ))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0]["description"] == "changed on c"
    assert answers[0][5] == {"team": "web", "cost": "42"}
    a.delete_app(appId=app_id)
    for client in (b, c):
        with pytest.raises(client.exceptions.NotFoundException):
            client.get_app(appId=app_id)


def test_job_ids_stay_sequential_and_one_job_runs_per_branch_under_concurrent_starts(cluster):
    clients = cluster(3, "--simulated-build-seconds", "0.2").clients()
    app_id = clients[0].create_app(name="race", repository="/srv/repositories/site")["app"]["appId"]
    clients[0].create_branch(appId=app_id, branchName="main")
    started, refused, errors, most_active = [], [], [], [0]
    deadline = time.monotonic() + 4

    def hammer(client):
        while time.monotonic() < deadline:
            try:
                started.append(client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"])
            except client.exceptions.LimitExceededException:
                refused.append(1)
            except Exception as error:  # anything else is a failure of the test
                errors.append(error)
            time.sleep(0.01)

    def watch(client):
        # Meanwhile, no answer ever shows two jobs of the branch in progress.
        while time.monotonic() < deadline:
            jobs = client.list_jobs(appId=app_id, branchName="main", maxResults=10)["jobSummaries"]
            most_active[0] = max(most_active[0], sum(job["status"] not in FINISHED for job in jobs))

    threads = [threading.Thread(target=hammer, args=(client,)) for client in clients for _ in range(2)]
    threads += [threading.Thread(target=watch, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(started) >= 3 and refused
    assert most_active[0] == 1
    assert sorted(int(job_id) for job_id in started) == list(range(1, len(started) + 1))
    last = str(len(started))
    wait_for_status(clients[1], app_id, "main", last, FINISHED)
    summaries = []
    token = None
    while True:
        page = clients[2].list_jobs(appId=app_id, branchName="main", maxResults=50, **({"nextToken": token} if token else {}))
        summaries += page["jobSummaries"]
        token = page.get("nextToken")
        if not token:
            break
    assert [int(job["jobId"]) for job in summaries] == list(range(len(started), 0, -1))
    assert all(job["status"] == "SUCCEED" for job in summaries)
    assert clients[0].get_branch(appId=app_id, branchName="main")["branch"]["totalNumberOfJobs"] == last


def test_each_job_is_built_by_exactly_one_node(cluster):
    nodes = cluster(3, "--simulated-build-seconds", "0.3")
    clients = nodes.clients()
    app_id = clients[0].create_app(name="spread", repository="/srv/repositories/site")["app"]["appId"]
    branches = [f"b{index}" for index in range(12)]
    for index, name in enumerate(branches):
        clients[index % 3].create_branch(appId=app_id, branchName=name)
    for index, name in enumerate(branches):
        clients[(index + 1) % 3].start_job(appId=app_id, branchName=name, jobType="RELEASE")
    for index, name in enumerate(branches):
        job = wait_for_status(clients[(index + 2) % 3], app_id, name, "1", FINISHED, timeout=30)
        assert job["summary"]["status"] == "SUCCEED"
    claims = nodes.claims()
    assert sorted(claims) == sorted(f"{app_id}/{name}/1" for name in branches)
    assert len([node for node in nodes.nodes if node.claims()]) >= 2, "the builds were not spread over the nodes"


def builder(nodes, key, timeout=10):
    """The node that claimed the job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        owners = [node for node in nodes.nodes if key in node.claims()]
        if owners:
            assert len(owners) == 1
            return owners[0]
        time.sleep(0.05)
    raise AssertionError(f"no node claimed {key}")


def test_stop_job_on_any_node_stops_the_build_where_it_runs(cluster):
    nodes = cluster(2, "--simulated-build-seconds", "120")
    first = nodes.clients()[0]
    app_id = first.create_app(name="stop", repository="/srv/repositories/site")["app"]["appId"]
    first.create_branch(appId=app_id, branchName="main")
    first.start_job(appId=app_id, branchName="main", jobType="RELEASE")
    owner = builder(nodes, f"{app_id}/main/1")
    other = next(node for node in nodes.nodes if node is not owner).client()
    wait_for_status(other, app_id, "main", "1", ("PROVISIONING", "RUNNING"))
    stopped = time.monotonic()
    assert other.stop_job(appId=app_id, branchName="main", jobId="1")["jobSummary"]["status"] == "CANCELLING"
    job = wait_for_status(owner.client(), app_id, "main", "1", FINISHED, timeout=10)
    assert job["summary"]["status"] == "CANCELLED"
    assert time.monotonic() - stopped < 5


def test_a_dead_nodes_job_ends_failed_once_its_lease_runs_out(cluster):
    nodes = cluster(2, "--simulated-build-seconds", "120", "--build-lease-seconds", "2")
    first = nodes.clients()[0]
    app_id = first.create_app(name="lease", repository="/srv/repositories/site")["app"]["appId"]
    first.create_branch(appId=app_id, branchName="main")
    first.start_job(appId=app_id, branchName="main", jobType="RELEASE")
    owner = builder(nodes, f"{app_id}/main/1")
    survivor = next(node for node in nodes.nodes if node is not owner)
    wait_for_status(survivor.client(), app_id, "main", "1", ("PROVISIONING", "RUNNING"))
    owner.kill9()
    # Still running while the lease lasts; FAILED with a reason soon after.
    assert survivor.client().get_job(appId=app_id, branchName="main", jobId="1")["job"]["summary"]["status"] in ("PROVISIONING", "RUNNING")
    job = wait_for_status(survivor.client(), app_id, "main", "1", FINISHED, timeout=15)
    assert job["summary"]["status"] == "FAILED"
    assert "abandoned" in job["steps"][-1]["statusReason"]
    # The branch is free again, and the survivor builds its next job.
    survivor.client().start_job(appId=app_id, branchName="main", jobType="RELEASE")
    assert builder(nodes, f"{app_id}/main/2") is survivor


def test_a_site_deployed_through_one_node_is_served_by_every_node(cluster):
    nodes = cluster(2)
    a, b = nodes.clients()
    app_id = a.create_app(name="site")["app"]["appId"]
    a.create_branch(appId=app_id, branchName="main")
    # The upload URL that node a signs works on node b: they share the data directory and its signing key.
    created = a.create_deployment(appId=app_id, branchName="main")
    url = created["zipUploadUrl"].replace(f":{nodes.nodes[0].port}/", f":{nodes.nodes[1].port}/")
    assert put(url, make_zip({"index.html": "<h1>one</h1>"})) == 200
    b.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    assert wait_for_status(a, app_id, "main", created["jobId"], FINISHED)["summary"]["status"] == "SUCCEED"
    for node in nodes.nodes:
        status, _, body = http_request(node.port, "GET", "/", {"Host": f"main.{app_id}.localhost:{node.port}"})
        assert (status, body) == (200, b"<h1>one</h1>")
    # A second deployment shows on both at once: no node serves from a stale cache.
    deploy(b, app_id, {"index.html": "<h1>two</h1>"})
    for node in nodes.nodes:
        status, _, body = http_request(node.port, "GET", "/", {"Host": f"main.{app_id}.localhost:{node.port}"})
        assert (status, body) == (200, b"<h1>two</h1>")


def deploy_ssr(client):
    """An SSR app whose branch main is a deployment of test_compute's bundle, deployed through `client`; its id."""
    from test_compute import bundle_zip

    app_id = client.create_app(name="ssr", platform="WEB_COMPUTE")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    created = client.create_deployment(appId=app_id, branchName="main")
    assert put(created["zipUploadUrl"], bundle_zip("assets/site.css")) == 200
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    job = wait_for_status(client, app_id, "main", created["jobId"], FINISHED, timeout=60)
    assert job["summary"]["status"] == "SUCCEED", [(step["stepName"], step.get("statusReason")) for step in job["steps"]]
    return app_id


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (Debian: nodejs)")
def test_every_node_serves_an_ssr_deployment_through_a_compute_of_its_own(cluster):
    from test_compute import computes, wait_until

    nodes = cluster(2)
    a, b = nodes.clients()
    app_id = deploy_ssr(a)
    for node in nodes.nodes:
        status, _, body = http_request(node.port, "GET", "/api/x", {"Host": f"main.{app_id}.localhost:{node.port}"})
        assert status == 200 and json.loads(body)["url"] == "/api/x", (status, body)
    assert len(computes(app_id)) == 2  # each node started the one it serves
    # A node that starts again removes what it left, not what another node runs.
    running = set(computes(app_id))
    nodes.nodes[1].stop()
    nodes.nodes[1].start()
    b = nodes.nodes[1].client()
    assert len(running & set(computes(app_id))) == 1
    status, _, _ = http_request(nodes.nodes[0].port, "GET", "/api/y", {"Host": f"main.{app_id}.localhost"})
    assert status == 200 and len(running & set(computes(app_id))) == 1
    b.delete_app(appId=app_id)
    assert wait_until(lambda: computes(app_id) == []), "a node kept a compute of a deleted app"


def test_a_domain_association_deleted_through_one_node_stops_serving_on_every_node_at_once(cluster):
    from test_domains import serving, wait

    nodes = cluster(2)
    a, b = nodes.clients()
    app_id = a.create_app(name="domains")["app"]["appId"]
    a.create_branch(appId=app_id, branchName="main")
    assert deploy(a, app_id, {"index.html": "<h1>main</h1>"})["summary"]["status"] == "SUCCEED"
    a.create_domain_association(appId=app_id, domainName="nodes.example", subDomainSettings=[
        {"prefix": "", "branchName": "main"}, {"prefix": "www", "branchName": "main"}])
    wait(a, app_id, "nodes.example", {"CREATING", "PENDING_VERIFICATION", "PENDING_DEPLOYMENT"}, {"AVAILABLE"})
    hosts = ("nodes.example", "www.nodes.example")
    assert [serving(node.port, host) for node in nodes.nodes for host in hosts] == ["<h1>main</h1>"] * 4
    a.update_domain_association(appId=app_id, domainName="nodes.example", subDomainSettings=[{"prefix": "", "branchName": "main"}])
    assert [serving(node.port, "www.nodes.example") for node in nodes.nodes] == [None, None]
    assert [serving(node.port, "nodes.example") for node in nodes.nodes] == ["<h1>main</h1>"] * 2
    b.delete_domain_association(appId=app_id, domainName="nodes.example")
    assert [serving(node.port, host) for node in nodes.nodes for host in hosts] == [None] * 4
