"""Connections an attacker holds or a build opens (issue 33): a request head must come within --header-timeout,
connections past --max-connections are refused before file descriptors run out, and builds and computes reach
sites only, never the server's API, admin endpoints or console."""
import json
import os
import shutil
import socket
import time
import urllib.request

import pytest

from conftest import ACCOUNT, Server, http_request, wait_for_status, wait_until, store_free
from test_builds import FINISHED, log_of, make_repo, start

pytestmark = store_free

ROOT_BUILD_USERS = os.geteuid() == 0 and shutil.which("setpriv") is not None
needs_build_users = pytest.mark.skipif(
    not ROOT_BUILD_USERS,
    reason="builds run as users of their own only when the server is root (with setpriv); otherwise as the server's own user, "
    "which no peer check can tell from the user's own clients",
)


def connect(port, timeout=3):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setblocking(False)
    return sock


def closed_by_server(sock):
    """Whether the server closed `sock` (reading what it sent first: a 408 or a 503); False while it is open."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def health(port, timeout=3):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_amplify-local/health", timeout=timeout) as response:
        return response.status


def test_slowloris_heads_are_cut_at_the_header_timeout(fresh_server):
    """1,000 connections each dripping a request head a byte every few seconds are closed once --header-timeout
    (default 10 s) has passed since they opened; a client that sends its head at once is answered meanwhile."""
    server = fresh_server()
    socks = [connect(server.port) for _ in range(1000)]
    head = b"GET /_amplify-local/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 64
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < 16 and sent < len(head):
        for sock in socks:
            try:
                sock.send(head[sent:sent + 1])
            except OSError:
                pass
        sent += 1
        assert health(server.port) == 200
        time.sleep(2)
    open_ones = [sock for sock in socks if not closed_by_server(sock)]
    for sock in socks:
        sock.close()
    assert open_ones == [], f"{len(open_ones)} of 1000 slow heads still open after {time.monotonic() - started:.0f} s"


def test_a_slow_head_gets_a_408_and_an_idle_keepalive_connection_lives_past_the_header_timeout(fresh_server):
    server = fresh_server("--header-timeout", "2")
    # Part of a head, then nothing: a 408 (AWS-shaped), then the connection closes.
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    slow.sendall(b"GET /apps HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    began = time.monotonic()
    answer = b""
    while chunk := slow.recv(65536):
        answer += chunk
    assert 1.5 < time.monotonic() - began < 9  # the timeout is the feature: not before it, and well before the socket gives up
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"x-amzn-errortype: requesttimeoutexception" in answer.lower()
    assert b"--header-timeout" in answer and b'"__type":"RequestTimeoutException"' in answer  # the body every error has
    slow.close()
    # A kept-alive connection idle between requests is not cut by the header timeout (the idle timeout does that),
    # and its next head is timed from its first byte.
    kept = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    request = b"GET /_amplify-local/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    kept.sendall(request)
    assert kept.recv(65536).startswith(b"HTTP/1.1 200")
    time.sleep(3)
    kept.sendall(request)
    assert kept.recv(65536).startswith(b"HTTP/1.1 200")
    kept.close()


def test_idle_keepalive_connections_end_at_the_idle_timeout(fresh_server):
    server = fresh_server("--idle-timeout", "1")
    kept = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    kept.sendall(b"GET /_amplify-local/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert kept.recv(65536).startswith(b"HTTP/1.1 200")
    began = time.monotonic()
    assert kept.recv(65536) == b""
    assert time.monotonic() - began < 9
    kept.close()


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs util-linux's prlimit")
def test_idle_connections_past_the_cap_are_refused_at_once_and_never_lock_clients_out():
    """At RLIMIT_NOFILE=1024, 1,100 half-open connections that send nothing: the ones past --max-connections are
    refused at once (a 503, then closed) before descriptors run out, and a new client is answered once the idle
    ones time out (--header-timeout)."""
    server = Server("--build-mode", "simulate", prefix=["prlimit", "--nofile=1024:1024", "--"]).start()
    try:
        socks = []
        deadline = time.monotonic() + 30
        while len(socks) < 1100 and time.monotonic() < deadline:
            try:
                socks.append(connect(server.port, timeout=2))
            except OSError:
                break
        # At once: well within the 10 s after which the idle ones would be closed anyway.
        wait_until(lambda: sum(closed_by_server(sock) for sock in socks) >= 1100 - 1024 + 256, timeout=5)
        refused = [sock for sock in socks if closed_by_server(sock)]
        assert len(refused) >= 1100 - 1024 + 256, f"only {len(refused)} of {len(socks)} refused at once"
        # The first refused one was told why.
        probe = connect(server.port)
        probe.setblocking(True)
        probe.settimeout(3)
        answer = b""
        try:
            while chunk := probe.recv(65536):
                answer += chunk
        except OSError:
            pass
        probe.close()
        assert answer.startswith(b"HTTP/1.1 503") and b"ServiceUnavailableException" in answer and b"--max-connections" in answer, answer
        assert b"retry-after: 1" in answer.lower() and b'"__type":"ServiceUnavailableException"' in answer, answer
        # Once the idle ones are closed (10 s after they opened), clients are served again.
        served = False
        while time.monotonic() < deadline + 15 and not served:
            try:
                served = health(server.port, timeout=2) == 200
            except OSError:
                time.sleep(0.5)
        assert served, "no client answered after the idle connections should have timed out"
        for sock in socks:
            sock.close()
        assert health(server.port) == 200
    finally:
        server.stop()


def test_1500_concurrent_connections_are_all_served(fresh_server):
    """What held before issue 33 holds still: the cap (under the usual limits) leaves room for 1,500 at once."""
    server = fresh_server()
    socks = [connect(server.port) for _ in range(1500)]
    request = b"GET /_amplify-local/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for sock in socks:
        sock.setblocking(True)
        sock.sendall(request)
    answered = 0
    for sock in socks:
        sock.settimeout(10)
        if sock.recv(65536).startswith(b"HTTP/1.1 200"):
            answered += 1
        sock.close()
    assert answered == 1500


PROBE = """set +e
mkdir -p dist
echo "<h1>site $BUILD_ROUND</h1>" > dist/index.html
if [ "$BUILD_ROUND" = probe ]; then
  for target in "/_amplify-local/state?account=$STATE_ACCOUNT" /apps /_amplify-local/console/; do
    name=$(echo "${target%%\\?*}" | tr -c 'a-z\\n' '_')
    curl -s --max-time 5 "http://127.0.0.1:$SERVER_PORT$target" > "dist/$name.txt"
    echo "$?" > "dist/$name.exit"
  done
  curl -s --max-time 5 -H "Host: main.$AWS_APP_ID.localhost" "http://127.0.0.1:$SERVER_PORT/" > dist/site.txt
  echo "$?" > dist/site.exit
fi
"""

SPEC = """version: 1
frontend:
  phases:
    build:
      commands:
        - bash probe.sh
  artifacts:
    baseDirectory: dist
    files: ['**/*']
"""


@needs_build_users
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize("sandbox", ["none", "auto"])
def test_a_build_reaches_sites_but_not_the_api_admin_or_console(fresh_server, tmp_path, sandbox):
    server = fresh_server("--build-mode", "auto", "--build-sandbox", sandbox)
    client = server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SPEC, "probe.sh": PROBE})
    secret = f"not-for-builds-{os.getpid()}"
    app_id = client.create_app(
        name="prober", repository=path, environmentVariables={"SERVER_PORT": str(server.port), "STATE_ACCOUNT": ACCOUNT, "OTHER_SECRET": secret}
    )["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main", environmentVariables={"BUILD_ROUND": "first"})
    job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=60)
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    client.update_branch(appId=app_id, branchName="main", environmentVariables={"BUILD_ROUND": "probe"})
    job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=60)
    assert job["summary"]["status"] == "SUCCEED", log_of(job)

    def site(name):
        status, _, body = http_request(server.port, "GET", f"/{name}", {"Host": f"main.{app_id}.localhost"})
        assert status == 200, name
        return body.decode()

    # The site of the first build, fetched by the second.
    assert site("site.exit").strip() == "0" and "<h1>site first</h1>" in site("site.txt")
    for name in ("__amplify_local_state", "_apps", "__amplify_local_console_"):
        # curl: 52 (empty reply) or 56 (connection reset): no answer at all.
        assert site(f"{name}.exit").strip() in ("52", "56"), (name, site(f"{name}.exit"), site(f"{name}.txt")[:300])
        assert site(f"{name}.txt") == ""
    # The server goes on answering everyone else.
    assert client.get_app(appId=app_id)["app"]["environmentVariables"]["OTHER_SECRET"] == secret


COMPUTE_JS = r"""
const http = require('http');
const os = require('os');
function target() {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list) {
      if (a.family === 'IPv4' && a.address.startsWith('169.254.')) {
        const parts = a.address.split('.').map(Number);
        parts[3] -= 1;
        return parts.join('.');
      }
    }
  }
  return '127.0.0.1';
}
http.createServer((req, res) => {
  const reply = (o) => { res.writeHead(200, {'Content-Type': 'application/json'}); res.end(JSON.stringify(o)); };
  const query = new URL(req.url, 'http://x').searchParams;
  const port = parseInt(query.get('port'), 10);
  const host = target();
  const probe = http.get({host, port, path: '/_amplify-local/state?account=' + query.get('account'), timeout: 4000}, (r) => {
    let body = '';
    r.on('data', (c) => { body += c; });
    r.on('end', () => reply({host, status: r.statusCode, body}));
  });
  probe.on('timeout', () => { probe.destroy(); reply({host, error: 'timeout'}); });
  probe.on('error', (e) => reply({host, error: e.code || String(e)}));
}).listen(parseInt(process.env.PORT, 10), '0.0.0.0');
"""

COMPUTE_SPEC = """version: 1
frontend:
  phases:
    build:
      commands:
        - mkdir -p out/.amplify-hosting/static out/.amplify-hosting/compute/default
        - cp manifest.json out/.amplify-hosting/deploy-manifest.json
        - cp server.js out/.amplify-hosting/compute/default/server.js
  artifacts:
    baseDirectory: out
    files: ['**/*']
"""

COMPUTE_MANIFEST = {
    "version": 1,
    "framework": {"name": "probe", "version": "1.0.0"},
    "routes": [{"path": "/*", "target": {"kind": "Compute", "src": "default"}}],
    "computeResources": [{"name": "default", "runtime": "nodejs20.x", "entrypoint": "server.js"}],
}


@needs_build_users
@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
@pytest.mark.parametrize("network", ["namespace", "loopback"])
def test_a_compute_gets_no_answer_from_the_server_even_bound_to_every_address(fresh_server, tmp_path, network):
    """Bound to 0.0.0.0, the server is reachable from a compute's namespace at the host's side of its veth pair; a
    compute on the loopback reaches 127.0.0.1. Neither gets an answer."""
    if network == "namespace" and (shutil.which("ip") is None or shutil.which("unshare") is None):
        pytest.skip("network namespaces need iproute2 and util-linux's unshare")
    server = fresh_server("--build-mode", "auto", "--host", "0.0.0.0", "--compute-network", network)
    client = server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": COMPUTE_SPEC, "manifest.json": json.dumps(COMPUTE_MANIFEST), "server.js": COMPUTE_JS})
    app_id = client.create_app(name="compute-prober", repository=path, platform="WEB_COMPUTE")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=60)
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    status, _, body = http_request(server.port, "GET", f"/probe?port={server.port}&account={ACCOUNT}", {"Host": f"main.{app_id}.localhost"})
    assert status == 200, body
    answer = json.loads(body)
    assert answer["host"].startswith("169.254.") == (network == "namespace"), answer
    assert "body" not in answer and answer.get("error") in ("ECONNRESET", "ECONNREFUSED", "EHOSTUNREACH", "ETIMEDOUT", "timeout"), answer
