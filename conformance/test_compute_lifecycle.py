"""SSR computes over time: port 3000 in a network namespace of each compute's own, a redeploy under load with no
failed request (the old compute drained, then asked to stop), skew protection, and server restarts and crashes."""
import json
import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from conftest import Server, http_request, wait_for_status, wait_until
from test_builds import FINISHED, build, log_of, make_repo, real_server, start  # noqa: F401 (a fixture)
from test_compute import MANIFEST, SPEC, computes

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (Debian: nodejs)")

NAMESPACES = os.geteuid() == 0 and shutil.which("ip") is not None

# Listens on port 3000 of all addresses, as Nitro's aws-amplify preset does; stops when asked (SIGTERM) once its
# requests have ended, saying so; /slow answers after 150 ms.
SERVER_JS = r"""
const http = require('http');
const fs = require('fs');
const server = http.createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end(JSON.stringify({version: 'VERSION', url: req.url, port: server.address().port, portVariable: process.env.PORT,
                            deployment: process.env.AWS_AMPLIFY_DEPLOYMENT_ID, branch: process.env.AWS_BRANCH}));
  };
  if (req.url.startsWith('/slow')) { setTimeout(answer, 150); } else { answer(); }
});
process.on('SIGTERM', () => { console.log('got SIGTERM'); server.close(() => process.exit(0)); });
server.listen(3000, () => console.log('listening on 3000'));
"""

VERSIONED_SPEC = SPEC.replace(
    "        - echo 'robots' > out/.amplify-hosting/static/robots.txt\n",
    "        - echo \"$MARK\" > out/.amplify-hosting/static/version.txt\n",
)


def repo(tmp_path, version, name="repo"):
    files = {"amplify.yml": VERSIONED_SPEC, "manifest.json": json.dumps(MANIFEST), "server.js": SERVER_JS.replace("VERSION", version)}
    path, _ = make_repo(tmp_path / name, files, message=version)
    return path


def get(server, app_id, path, branch="main", headers=None):
    return http_request(server.port, "GET", path, {"Host": f"{branch}.{app_id}.localhost", **(headers or {})})


def answer(server, app_id, path="/", branch="main", headers=None):
    status, response_headers, body = get(server, app_id, path, branch, headers)
    assert status == 200, (status, response_headers, body)
    return json.loads(body)


def redeploy(client, tmp_path, app_id, version, branch="main"):
    repo(tmp_path, version)
    job = wait_for_status(client, app_id, branch, start(client, app_id, branch), FINISHED, timeout=60)
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    return job


def output(server, app_id, branch="main"):
    return http_request(server.port, "GET", f"/_amplify-local/computes/{app_id}/{branch}/output?account=123456789012")[2].decode()


def compute_network():
    """What computes' networks hold on the machine: the server's ends of their veth pairs (`al<mark>h<slot>`), and
    the /30s' unreachable routes (each server's own priority, from 0x3A000000)."""
    if not NAMESPACES:
        return set()
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    names = {line.split(":")[1].strip().split("@")[0] for line in links.splitlines() if ":" in line}
    routes = subprocess.run(["ip", "-4", "route", "show", "type", "unreachable"], capture_output=True, text=True).stdout
    ours = {line.strip() for line in routes.splitlines() if " metric " in line and int(line.split(" metric ")[1].split()[0]) >> 16 == 0x3A00}
    return {name for name in names if re.fullmatch(r"al[0-9a-f]{4}h[0-9]+", name)} | ours


def links(network):
    return {entry for entry in network if not entry.startswith("unreachable")}


def network_namespace(pid):
    return os.readlink(f"/proc/{pid}/ns/net")


@pytest.mark.skipif(not NAMESPACES, reason="network namespaces need root and iproute2 (Debian: iproute2)")
def test_computes_listen_on_port_3000_each_in_a_namespace_of_its_own(real_server, tmp_path):
    client = real_server.client()
    before = compute_network()
    path = repo(tmp_path, "first")
    subprocess.run(["git", "-C", str(path), "branch", "dev"], check=True)
    app_id, job = build(client, path, app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    assert "The compute answers on port 3000 in a network namespace of its own (169.254." in log_of(job, "DEPLOY")
    client.create_branch(appId=app_id, branchName="dev")
    job = wait_for_status(client, app_id, "dev", start(client, app_id, "dev"), FINISHED, timeout=60)
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    # Two servers on port 3000 at once, each with PORT=3000.
    main, dev = answer(real_server, app_id), answer(real_server, app_id, branch="dev")
    assert (main["branch"], main["port"], main["portVariable"]) == ("main", 3000, "3000")
    assert (dev["branch"], dev["port"], dev["portVariable"]) == ("dev", 3000, "3000")
    assert len(links(compute_network() - before)) == 2
    # Each in a namespace of its own (without names: it is made for the process and ends with it).
    assert len({network_namespace(pid) for pid in computes(app_id)} | {network_namespace("self")}) == 3
    assert len(compute_network() - before) == 4  # and their /30s' unreachable routes
    # Deleting the app stops both and removes their pairs at once (their routes 10 s later).
    client.delete_app(appId=app_id)
    assert wait_until(lambda: computes(app_id) == []), "a compute outlived its app"
    assert wait_until(lambda: links(compute_network() - before) == set()), "a veth pair outlived its compute"


def test_a_redeploy_under_load_fails_no_request_and_the_old_compute_is_asked_to_stop(real_server, tmp_path):
    client = real_server.client()
    app_id, job = build(client, repo(tmp_path, "first"), app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    first = computes(app_id)
    results, stop = [], threading.Event()

    def load(path):
        while not stop.is_set():
            try:
                status, _, body = get(real_server, app_id, path)
                results.append((status, json.loads(body)["version"] if status == 200 else body))
            except Exception as error:  # noqa: BLE001 (any failure counts)
                results.append((0, repr(error)))

    threads = [threading.Thread(target=load, args=("/slow" if n % 2 else "/",)) for n in range(8)]
    for thread in threads:
        thread.start()
    try:
        assert wait_until(lambda: sum(version == "first" for _, version in results) >= 20), "the first compute never answered"
        redeploy(client, tmp_path, app_id, "second")
        assert wait_until(lambda: any(version == "second" for _, version in results[-8:]), timeout=10)
        # The load goes on until the first compute is retired (drained, then stopped): no request may fail meanwhile.
        assert wait_until(lambda: not any(pid in computes(app_id) for pid in first)), "the first compute was never retired"
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    failed = [result for result in results if result[0] != 200]
    assert not failed, failed[:5]
    versions = [version for _, version in results]
    assert "first" in versions and "second" in versions and len(results) > 100
    # The first compute was drained, then asked to stop (SIGTERM reached node, which ended on its own).
    assert wait_until(lambda: not any(pid in computes(app_id) for pid in first))
    assert wait_until(lambda: "got SIGTERM" in output(real_server, app_id) and "main-1 ended (exit code 0)" in output(real_server, app_id)), output(real_server, app_id)


def test_skew_protection_serves_the_deployment_a_request_names(real_server, tmp_path):
    client = real_server.client()
    app_args = {"platform": "WEB_COMPUTE", "environmentVariables": {"MARK": "one"}}
    app_id, job = build(client, repo(tmp_path, "first"), app_args=app_args, branch_args={"enableSkewProtection": True})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    # A first visit is pinned to the live deployment by the _dpl cookie.
    status, headers, _ = get(real_server, app_id, "/")
    assert status == 200 and headers["set-cookie"] == "_dpl=main-1; Path=/; SameSite=Lax"
    assert "set-cookie" not in get(real_server, app_id, "/", headers={"Cookie": "_dpl=main-1"})[1]
    client.update_app(appId=app_id, environmentVariables={"MARK": "two"})
    redeploy(client, tmp_path, app_id, "second")
    assert answer(real_server, app_id)["version"] == "second"
    # The header, then the query parameter, then the cookie name the deployment; its compute is started on demand.
    old = answer(real_server, app_id, "/api", headers={"X-Amplify-Dpl": "main-1"})
    assert (old["version"], old["deployment"]) == ("first", "main-1")
    assert answer(real_server, app_id, "/api?dpl=main-1")["version"] == "first"
    assert answer(real_server, app_id, "/api?dpl=main-1", headers={"X-Amplify-Dpl": "main-2"})["version"] == "second"
    asset = {"Cookie": "theme=dark; _dpl=main-1", "Sec-Fetch-Mode": "cors"}
    assert answer(real_server, app_id, "/api", headers=asset)["version"] == "first"
    assert get(real_server, app_id, "/version.txt", headers=asset)[2] == b"one\n"  # the old deployment's static files
    # A page load goes to the live deployment and pins the browser to it; an unknown id gets the live one.
    status, headers, body = get(real_server, app_id, "/", headers={"Cookie": "_dpl=main-1", "Sec-Fetch-Mode": "navigate"})
    assert json.loads(body)["version"] == "second" and headers["set-cookie"] == "_dpl=main-2; Path=/; SameSite=Lax"
    assert answer(real_server, app_id, "/api", headers={"X-Amplify-Dpl": "main-99"})["version"] == "second"
    assert answer(real_server, app_id, "/api", headers={"X-Amplify-Dpl": "other-1"})["version"] == "second"
    # DeleteJob of a kept deployment stops it being served (and its compute).
    client.delete_job(appId=app_id, branchName="main", jobId="1")
    assert answer(real_server, app_id, "/api", headers={"X-Amplify-Dpl": "main-1"})["version"] == "second"
    assert wait_until(lambda: len(computes(app_id)) == 1)
    # Without protection a request cannot name a deployment.
    client.update_branch(appId=app_id, branchName="main", enableSkewProtection=False)
    redeploy(client, tmp_path, app_id, "third")
    assert answer(real_server, app_id, "/api", headers={"X-Amplify-Dpl": "main-2"})["version"] == "third"
    assert "set-cookie" not in get(real_server, app_id, "/")[1]


def test_computes_end_with_the_server_and_come_back_after_a_restart_or_a_crash(tmp_path, data_dir):
    server = Server("--build-mode", "auto", data_dir=data_dir).start()
    try:
        client = server.client()
        before = compute_network()
        app_id, job = build(client, repo(tmp_path, "first"), app_args={"platform": "WEB_COMPUTE"})
        assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
        assert computes(app_id)
        server.stop()
        assert computes(app_id) == [], "a compute outlived the server"
        assert compute_network() - before == set(), "a stopped server left its computes' network"
        server.start()
        assert answer(server, app_id)["version"] == "first"  # started again at its first request
        crashed = compute_network() - before
        assert len(crashed) == 2  # a pair and its route
        server.kill9()
        assert wait_until(lambda: computes(app_id) == []), "a compute outlived a crashed server"
        server.start()  # removes what the crash left (in the background, just after the start)
        assert wait_until(lambda: compute_network() & crashed == set()), "what the crash left is still there"
        assert answer(server, app_id)["version"] == "first"
    finally:
        server.stop()


@pytest.mark.skipif(not NAMESPACES, reason="network namespaces need root and iproute2 (Debian: iproute2)")
def test_a_compute_without_the_sandbox_ends_with_a_killed_server_too(tmp_path, data_dir):
    """The sandbox dies with its parent; without one, node is told to (setpriv --pdeathsig, after its change of user)."""
    server = Server("--build-mode", "auto", "--build-sandbox", "none", data_dir=data_dir).start()
    try:
        before = compute_network()
        app_id, job = build(server.client(), repo(tmp_path, "first"), app_args={"platform": "WEB_COMPUTE"})
        assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
        assert answer(server, app_id)["version"] == "first" and computes(app_id)
        server.kill9()
        assert wait_until(lambda: computes(app_id) == []), "a compute outlived a crashed server"
        server.start()
        assert wait_until(lambda: compute_network() - before == set()), "what the crash left is still there"
        assert answer(server, app_id)["version"] == "first"
    finally:
        server.stop()


@pytest.mark.skipif(not NAMESPACES, reason="network namespaces need root and iproute2 (Debian: iproute2)")
def test_a_compute_that_ends_as_it_starts_answers_503_never_what_the_default_route_reaches(real_server, tmp_path):
    """Its pair goes when it ends: a request must not then leave through the machine's default route, where in these
    sandboxes a proxy answers anything (an empty 404 was once passed on as the compute's answer)."""
    late = SERVER_JS.replace("const http = require('http');", """const http = require('http');
if (Date.now() > Number(require('fs').readFileSync('built.txt', 'utf8')) + 3000) { console.log('too late'); process.exit(1); }""")
    spec = VERSIONED_SPEC.replace(
        "        - echo \"$MARK\" > out/.amplify-hosting/static/version.txt\n",
        "        - echo \"$MARK\" > out/.amplify-hosting/static/version.txt\n        - date +%s%3N > out/.amplify-hosting/compute/default/built.txt\n",
    )
    path, _ = make_repo(tmp_path / "late", {"amplify.yml": spec, "manifest.json": json.dumps(MANIFEST), "server.js": late.replace("VERSION", "late")})
    client = real_server.client()
    app_id, job = build(client, path, app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    assert answer(real_server, app_id)["version"] == "late"
    time.sleep(3)
    for pid in computes(app_id):
        os.kill(pid, 9)
    # Each start now ends at once: 502 for a request that met the ending, then 503 with the reason, never anything else.
    answers = [get(real_server, app_id, "/") for _ in range(4)]
    assert all(status in (502, 503) and b"compute" in body for status, _, body in answers), answers
    assert any(b"ended (exit code 1) before it listened" in body for _, _, body in answers), answers
    assert "too late" in output(real_server, app_id)


def test_a_domain_associations_subdomains_serve_their_branches_once_available(real_server, tmp_path):
    client = real_server.client()
    path = repo(tmp_path, "first")
    subprocess.run(["git", "-C", str(path), "branch", "dev"], check=True)
    app_id, job = build(client, path, app_args={"platform": "WEB_COMPUTE", "environmentVariables": {"MARK": "m"}})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    client.create_branch(appId=app_id, branchName="dev")
    assert wait_for_status(client, app_id, "dev", start(client, app_id, "dev"), FINISHED, timeout=60)["summary"]["status"] == "SUCCEED"
    client.create_domain_association(
        appId=app_id, domainName="Example.com",
        subDomainSettings=[{"prefix": "www", "branchName": "main"}, {"prefix": "", "branchName": "main"}, {"prefix": "dev", "branchName": "dev"}],
    )

    def site(host, path="/api"):
        return http_request(real_server.port, "GET", path, {"Host": host})

    assert site("www.example.com")[0] != 200  # not AVAILABLE yet: the request is the API's
    assert wait_until(lambda: client.get_domain_association(appId=app_id, domainName="Example.com")["domainAssociation"]["domainStatus"] == "AVAILABLE")
    for host, branch in (("www.example.com", "main"), ("WWW.Example.com:4566", "main"), ("example.com", "main"), ("dev.example.com", "dev")):
        status, _, body = site(host)
        assert status == 200 and json.loads(body)["branch"] == branch, (host, status, body)
    assert site("dev.example.com", "/version.txt")[2] == b"m\n"  # static routes too
    assert site("shop.example.com")[0] != 200 and site("www.example.org")[0] != 200
    client.delete_domain_association(appId=app_id, domainName="Example.com")
    assert wait_until(lambda: site("www.example.com")[0] != 200, timeout=5), "a deleted association still serves"


def test_stop_job_during_deploy_stops_the_new_compute_and_keeps_the_live_one(real_server, tmp_path):
    client = real_server.client()
    app_id, job = build(client, repo(tmp_path, "first"), app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    live = computes(app_id)
    # The next deployment's server takes 3 s to listen: DEPLOY waits for it, and is stopped meanwhile.
    slow = SERVER_JS.replace("VERSION", "second").replace("server.listen(3000,", "setTimeout(() => server.listen(3000,").replace(
        "console.log('listening on 3000'));", "console.log('listening on 3000')), 3000);")
    make_repo(tmp_path / "repo", {"server.js": slow}, message="slow")
    job_id = start(client, app_id)
    assert wait_until(lambda: len(computes(app_id)) == 2, timeout=30), "the new compute never started"
    client.stop_job(appId=app_id, branchName="main", jobId=job_id)
    assert wait_for_status(client, app_id, "main", job_id, FINISHED, timeout=30)["summary"]["status"] == "CANCELLED"
    assert wait_until(lambda: computes(app_id) == live), "the stopped deployment's compute still runs"
    assert answer(real_server, app_id)["version"] == "first"
