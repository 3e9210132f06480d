"""Two amplify-local nodes that share no folder: one PostgreSQL database and an S3-compatible object store
(`--object-store`), each node with a --data-dir of its own. What one node publishes, uploads or collects, the other
serves; deletions take their objects with them; an outage of the store is a clear 503 that ends with it.

Needs $AMPLIFY_LOCAL_TEST_POSTGRES and $AMPLIFY_LOCAL_TEST_S3_ENDPOINT: scripts/test runs the suite under
scripts/with-object-store (SeaweedFS), and this file again under `scripts/with-object-store --rclone`.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config

from conftest import POSTGRES, http_request, wait_for_status
from test_builds import make_repo
from test_hosting import deploy, make_zip, put
from test_multinode import FINISHED, SERVER, Cluster, Node, builder, clusters, deploy_ssr

S3 = os.environ.get("AMPLIFY_LOCAL_TEST_S3_ENDPOINT")
BUCKET = os.environ.get("AMPLIFY_LOCAL_TEST_S3_BUCKET")
CONTROL = os.environ.get("AMPLIFY_LOCAL_TEST_S3_CONTROL")
pytestmark = [
    pytest.mark.skipif(not SERVER, reason="no PostgreSQL server: AMPLIFY_LOCAL_TEST_POSTGRES is not set"),
    pytest.mark.skipif(not S3, reason="no object store: run under scripts/with-object-store"),
    pytest.mark.skipif(bool(POSTGRES), reason="its nodes make their own PostgreSQL database: run in the SQLite pass only"),
]


def s3():
    return boto3.client(
        "s3", endpoint_url=S3, region_name="us-east-1",
        aws_access_key_id=os.environ["AMPLIFY_LOCAL_TEST_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AMPLIFY_LOCAL_TEST_S3_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
    )


class ObjectCluster(Cluster):
    """Nodes on one database and one object store prefix, each with a data folder of its own."""

    def __init__(self, count, *args):
        self.prefix = "nodes-" + uuid.uuid4().hex[:8]
        super().__init__(count, *args)

    def add(self, index, args):
        # Builds and computes run as nobody, who must pass through to the node's data folder (made 0711 by the node).
        os.chmod(self.directory.name, 0o711)
        folder = os.path.join(self.directory.name, f"node-{index}")
        node = Node(
            "--database", self.url, "--build-mode", "simulate", "--object-store", f"s3://{BUCKET}/{self.prefix}",
            "--object-store-endpoint", S3, *args,
            data_dir=folder, log_path=os.path.join(self.directory.name, f"node-{index}.log"),
            env={
                "AWS_ACCESS_KEY_ID": os.environ["AMPLIFY_LOCAL_TEST_S3_ACCESS_KEY_ID"],
                "AWS_SECRET_ACCESS_KEY": os.environ["AMPLIFY_LOCAL_TEST_S3_SECRET_ACCESS_KEY"],
            },
        )
        node.start()
        self.nodes.append(node)

    def keys(self, under=""):
        """The objects the nodes keep under `under` (a path of the data folder's layout)."""
        client, keys, token = s3(), [], None
        while True:
            page = client.list_objects_v2(
                Bucket=BUCKET, Prefix=f"{self.prefix}/{under}", **({"ContinuationToken": token} if token else {}))
            keys += [item["Key"][len(self.prefix) + 1:] for item in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return keys
            token = page["NextContinuationToken"]


@pytest.fixture
def nodes():
    with clusters(ObjectCluster, 2) as start:
        yield start


def deployed(nodes, name, files):
    """Two nodes, an app with a branch main, and `files` deployed to it through the first node."""
    cluster = nodes()
    a, b = cluster.clients()
    app_id = a.create_app(name=name)["app"]["appId"]
    a.create_branch(appId=app_id, branchName="main")
    assert deploy(a, app_id, files)["summary"]["status"] == "SUCCEED"
    return cluster, a, b, app_id


def get(node, app_id, path="/", branch="main"):
    status, _, body = http_request(node.port, "GET", path, {"Host": f"{branch}.{app_id}.localhost:{node.port}"})
    return status, body


def on(node, url):
    """A URL one node handed out, asked of `node` instead."""
    return url.replace(url.split("/")[2], f"127.0.0.1:{node.port}", 1)


def files_under(folder):
    return sorted(os.path.relpath(os.path.join(root, name), folder) for root, _, names in os.walk(folder) for name in names)


def test_a_site_deployed_through_one_node_is_served_by_the_other_which_never_had_its_files(nodes):
    cluster = nodes()
    first, second = cluster.nodes
    a, b = cluster.clients()
    app_id = a.create_app(name="site")["app"]["appId"]
    a.create_branch(appId=app_id, branchName="main")
    # Uploaded through b, deployed by whichever node claims the job, served by both.
    created = a.create_deployment(appId=app_id, branchName="main")
    site = {"index.html": "<h1>one</h1>", "assets/app.js": "x" * 300_000, "deep/a b/ünï.txt": "name"}
    assert put(on(second, created["zipUploadUrl"]), make_zip(site)) == 200
    b.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    assert wait_for_status(a, app_id, "main", created["jobId"], FINISHED)["summary"]["status"] == "SUCCEED"
    assert cluster.keys("uploads/") == []  # a deployment's uploads go once it is deployed
    deployer = builder(cluster, f"{app_id}/main/{created['jobId']}")
    other = second if deployer is first else first
    assert not any("artifacts" in path for path in files_under(other.data_dir)), "the other node had the site before it was asked"
    for node in (other, deployer):
        assert get(node, app_id) == (200, b"<h1>one</h1>")
        assert get(node, app_id, "/assets/app.js") == (200, b"x" * 300_000)
        assert get(node, app_id, "/deep/a%20b/%C3%BCn%C3%AF.txt") == (200, b"name")
    stored = [key for key in cluster.keys("artifacts/") if f"/main/{created['jobId']}" in key]
    job = created["jobId"]
    assert sorted(key.split("/main/", 1)[1] for key in stored) == sorted([f"{job}/{path}" for path in site] + [f"{job}.folder.json"])
    # The next deployment shows on both at once.
    deploy(b, app_id, {"index.html": "<h1>two</h1>"})
    assert [get(node, app_id) for node in cluster.nodes] == [(200, b"<h1>two</h1>")] * 2


def test_custom_headers_of_a_deployments_customhttp_yml_come_with_it_to_the_other_node(nodes):
    custom = "customHeaders:\n  - pattern: '**/*'\n    headers:\n      - key: X-From-Yml\n        value: deployed\n"
    cluster, _, _, app_id = deployed(nodes, "headers", {"index.html": "<h1>h</h1>", "customHttp.yml": custom})
    for node in cluster.nodes:
        status, headers, _ = http_request(node.port, "GET", "/", {"Host": f"main.{app_id}.localhost:{node.port}"})
        assert status == 200 and headers.get("x-from-yml") == "deployed", (node.port, headers)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (Debian: nodejs)")
def test_an_ssr_deployment_runs_on_a_node_that_fetched_its_bundle(nodes):
    cluster = nodes()
    app_id = deploy_ssr(cluster.clients()[0])
    for node in cluster.nodes:
        status, body = get(node, app_id, "/api/x")
        assert status == 200 and json.loads(body)["url"] == "/api/x", (status, body)


SLOW_SPEC = """version: 1
frontend:
  phases:
    build:
      commands:
        - for i in $(seq 1 10); do echo "line $i"; sleep 0.3; done
        - mkdir -p dist && echo '<h1>slow</h1>' > dist/index.html
  artifacts:
    baseDirectory: dist
    files: ['**/*']
"""


def test_a_log_is_followed_by_range_on_the_node_that_is_not_building(nodes, tmp_path):
    cluster = nodes(2, "--build-mode", "auto")
    a, _ = cluster.clients()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SLOW_SPEC})
    app_id = a.create_app(name="logs", repository=path)["app"]["appId"]
    a.create_branch(appId=app_id, branchName="main")
    job_id = a.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    building = builder(cluster, f"{app_id}/main/{job_id}")
    watcher = next(node for node in cluster.nodes if node is not building)
    client = watcher.client()
    seen, parts = b"", 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"]
        build = next((step for step in job["steps"] if step["stepName"] == "BUILD"), None)
        if build and build.get("logUrl"):
            request = urllib.request.Request(on(watcher, build["logUrl"]), headers={"Range": f"bytes={len(seen)}-"})
            try:
                with urllib.request.urlopen(request) as response:
                    part = response.read()
            except urllib.error.HTTPError as error:
                assert error.code == 416, error.code  # nothing new yet
                part = b""
            if part:
                parts += 1
                seen += part
        if job["summary"]["status"] in FINISHED:
            break
        time.sleep(0.1)
    assert job["summary"]["status"] == "SUCCEED"
    with urllib.request.urlopen(on(building, build["logUrl"])) as response:
        whole = response.read()
    assert seen == whole and b"line 10" in whole and parts >= 3, (len(seen), len(whole), parts)


def test_test_artifacts_and_get_artifact_url_work_from_the_other_node(nodes, tmp_path):
    from test_test_phase import SPEC

    cluster = nodes(2, "--build-mode", "auto")
    a, _ = cluster.clients()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SPEC.replace("{command}", "echo tests-passed")})
    app_id = a.create_app(name="tested", repository=path)["app"]["appId"]
    a.create_branch(appId=app_id, branchName="main")
    job_id = a.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    job = wait_for_status(a, app_id, "main", job_id, FINISHED, timeout=90)
    assert job["summary"]["status"] == "SUCCEED", [(s["stepName"], s.get("statusReason")) for s in job["steps"]]
    other = next(node for node in cluster.nodes if node is not builder(cluster, f"{app_id}/main/{job_id}"))
    client = other.client()
    artifacts = client.list_artifacts(appId=app_id, branchName="main", jobId=job_id)["artifacts"]
    video = next(item for item in artifacts if item["artifactFileName"] == "videos/home.cy.js.mp4")
    with urllib.request.urlopen(on(other, client.get_artifact_url(artifactId=video["artifactId"])["artifactUrl"])) as response:
        assert response.read() == b"MP4"
    step = next(s for s in client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"]["steps"] if s["stepName"] == "TEST")
    assert "testArtifactsUrl" in step, step
    with urllib.request.urlopen(on(other, step["testArtifactsUrl"])) as response:
        assert response.read()[:2] == b"PK"
    assert get(other, app_id) == (200, b"<h1>tested</h1>\n")


def test_a_node_killed_during_an_upload_leaves_nothing_half_published(nodes):
    cluster, a, b, app_id = deployed(nodes, "killed", {"index.html": "<h1>before</h1>"})
    first, second = cluster.nodes
    created = a.create_deployment(appId=app_id, branchName="main")
    target = on(first, created["zipUploadUrl"])
    host_port, path = target.split("/", 3)[2], "/" + target.split("/", 3)[3]
    connection = http.client.HTTPConnection(host_port, timeout=10)
    connection.putrequest("PUT", path)
    connection.putheader("Content-Length", str(50 << 20))
    connection.endheaders()
    for _ in range(8):
        connection.send(b"\0" * (1 << 20))
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    with pytest.raises((ConnectionError, OSError, http.client.HTTPException)):
        for _ in range(64):
            connection.send(b"\0" * (1 << 20))
        connection.getresponse()
    assert not [key for key in cluster.keys("uploads/") if f"/main/{created['jobId']}/" in key]
    b.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    job = wait_for_status(b, app_id, "main", created["jobId"], FINISHED)
    assert job["summary"]["status"] == "FAILED" and "Nothing was uploaded" in job["steps"][-1]["statusReason"]
    assert get(second, app_id) == (200, b"<h1>before</h1>")


def pause_store():
    open(os.path.join(CONTROL, "paused"), "w").close()
    with open(os.path.join(CONTROL, "server.pid")) as file:
        os.kill(int(file.read()), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", int(S3.rsplit(":", 1)[1]))) != 0:
                return
        time.sleep(0.05)
    raise AssertionError("the object store still answers")


def resume_store():
    os.remove(os.path.join(CONTROL, "paused"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            s3().list_objects_v2(Bucket=BUCKET, MaxKeys=1)
            return
        except Exception:
            time.sleep(0.1)
    raise AssertionError("the object store did not come back")


@pytest.mark.skipif(not CONTROL, reason="the object store cannot be stopped: AMPLIFY_LOCAL_TEST_S3_CONTROL is not set")
def test_an_object_store_outage_is_a_clear_503_and_nothing_acknowledged_is_lost(nodes):
    cluster, a, b, app_id = deployed(nodes, "outage", {"index.html": "<h1>main</h1>"})
    first, second = cluster.nodes
    a.create_branch(appId=app_id, branchName="later")
    assert deploy(a, app_id, {"index.html": "<h1>later</h1>"}, branch="later")["summary"]["status"] == "SUCCEED"
    served = get(first, app_id)  # first holds main's site now; second has not seen either
    assert served == (200, b"<h1>main</h1>")
    load, stop = [], threading.Event()

    def requests():
        while not stop.is_set():
            load.append(get(first, app_id)[0])

    worker = threading.Thread(target=requests)
    worker.start()
    created = b.create_deployment(appId=app_id, branchName="main")
    pause_store()
    try:
        status, body = get(second, app_id, branch="later")
        assert status == 503 and b"object store" in body, (status, body)
        with pytest.raises(urllib.error.HTTPError) as refused:
            put(on(second, created["zipUploadUrl"]), make_zip({"index.html": "<h1>three</h1>"}))
        assert refused.value.code == 503 and b"object store" in refused.value.read()
        # A site the node holds goes on being served.
        assert get(first, app_id) == (200, b"<h1>main</h1>")
    finally:
        resume_store()
        stop.set()
        worker.join()
    assert set(load) == {200}, set(load)
    # Back: the store may answer 500 for a moment more (SeaweedFS while its volume server registers); until it serves,
    # each answer is the same clear 503.
    deadline, answers = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        answers.append(get(second, app_id, branch="later"))
        if answers[-1][0] != 503:
            break
        time.sleep(0.2)
    assert answers[-1] == (200, b"<h1>later</h1>"), answers[-1]
    assert all(b"object store" in body for status, body in answers[:-1])
    assert get(second, app_id) == (200, b"<h1>main</h1>")
    assert put(on(second, created["zipUploadUrl"]), make_zip({"index.html": "<h1>three</h1>"})) == 200
    a.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    assert wait_for_status(a, app_id, "main", created["jobId"], FINISHED)["summary"]["status"] == "SUCCEED"
    assert [get(node, app_id) for node in cluster.nodes] == [(200, b"<h1>three</h1>")] * 2


def test_delete_job_branch_and_app_remove_their_objects(nodes):
    cluster = nodes()
    a, b = cluster.clients()
    app_id = a.create_app(name="deleted")["app"]["appId"]
    other_id = a.create_app(name="kept")["app"]["appId"]
    for app in (app_id, other_id):
        for name in ("main", "dev"):
            a.create_branch(appId=app, branchName=name)
            deploy(a, app, {"index.html": f"<h1>{name}</h1>"}, branch=name)
    second_job = deploy(a, app_id, {"index.html": "<h1>again</h1>"})["summary"]["jobId"]

    def objects(app, branch=None, job=None):
        under = f"{app}/" + (f"{branch}/" if branch else "") + (f"{job}/" if job else "")
        return [key for key in cluster.keys() if f"/{under}" in key]

    assert objects(app_id, "main", "1") and objects(app_id, "main", second_job)
    b.delete_job(appId=app_id, branchName="main", jobId="1")
    assert objects(app_id, "main", "1") == [] and objects(app_id, "main", second_job)
    assert [get(node, app_id, branch="dev") for node in cluster.nodes] == [(200, b"<h1>dev</h1>")] * 2
    b.delete_branch(appId=app_id, branchName="dev")
    assert objects(app_id, "dev") == [] and objects(app_id, "main")
    # The branch made again starts its job ids over: the other node does not serve the old job 1 it fetched.
    a.create_branch(appId=app_id, branchName="dev")
    assert get(cluster.nodes[1], app_id, branch="dev")[0] == 404
    assert deploy(b, app_id, {"index.html": "<h1>dev again</h1>"}, branch="dev")["summary"]["jobId"] == "1"
    assert [get(node, app_id, branch="dev") for node in cluster.nodes] == [(200, b"<h1>dev again</h1>")] * 2
    b.delete_app(appId=app_id)
    assert objects(app_id) == []
    assert objects(other_id, "main") and objects(other_id, "dev")


def test_access_logs_from_any_node_hold_every_nodes_requests(nodes):
    cluster, _, b, app_id = deployed(nodes, "logged", {"index.html": "<h1>logged</h1>"})
    first, second = cluster.nodes
    assert get(first, app_id, "/from-first")[0] == 404 and get(second, app_id, "/from-second")[0] == 404
    # The other node's lines come within seconds (each node puts its hour every 5 s); the asking node's at once.
    deadline, paths = time.monotonic() + 20, set()
    while time.monotonic() < deadline:
        url = on(second, b.generate_access_logs(appId=app_id, domainName=f"{app_id}.amplifyapp.com")["logUrl"])
        with urllib.request.urlopen(url) as response:
            rows = response.read().decode().splitlines()
        paths = {row.split(",")[7] for row in rows[1:]}
        assert "/from-second" in paths, rows
        if "/from-first" in paths:
            break
        time.sleep(0.5)
    assert {"/from-first", "/from-second"} <= paths, paths
    assert rows[0].startswith("date,time,")
    b.delete_app(appId=app_id)
    assert [key for key in cluster.keys("access-logs/") if f"/{app_id}/" in key] == []
