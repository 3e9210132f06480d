"""Hostile builds and computes (issue 33): a fork bomb stops at --build-max-processes, in the PID namespace of
`--build-sandbox none` and in the bubblewrap sandbox alike, and so does a compute's; StopJob and the build timeout
end every process a build started, also those that leave its session (setsid), outlive their parent (nohup, double
fork), ignore SIGTERM or clear their environment.

Each bomb is bounded by the test itself (a fixed count of forks, `timeout`, an `ulimit -u` of its own well above the
limit under test), so that a server that does not hold the limit fails the test instead of taking the machine."""
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import urllib.request
import uuid

import pytest

from conftest import Server, wait_for_status, store_free
from test_builds import FINISHED, build, log_of, make_repo, spec, start
from test_sandbox import SANDBOX

pytestmark = store_free

DEFAULT_LIMIT = 2048
MODES = [
    ("none", ()),
    ("bubblewrap", pytest.mark.skipif(not SANDBOX, reason="needs bubblewrap that can make a sandbox here")),
    # Neither bubblewrap nor unshare on the PATH: no PID namespace holds the build, only its process group (and, as
    # root, its control group).
    ("process-group", ()),
]


def containments(*values):
    """Each containment, with `values` after it."""
    return [pytest.param(name, *values, marks=marks, id=name) for name, marks in MODES]


CONTAINMENTS = containments()


@pytest.fixture(scope="module")
def path_without_namespaces():
    """A PATH of every program but `unshare` and `bwrap`, in a folder the builds' own users may read."""
    folder = tempfile.mkdtemp(prefix="amplify-local-no-namespaces-")
    os.chmod(folder, 0o755)
    for directory in os.environ["PATH"].split(":"):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            target = os.path.join(folder, name)
            if name not in ("unshare", "bwrap") and not os.path.lexists(target):
                os.symlink(os.path.join(directory, name), target)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def serve(fresh_server, path_without_namespaces):
    def start(containment, *args):
        """A server whose builds are held by `containment`."""
        if containment != "process-group":
            return fresh_server("--build-mode", "auto", "--build-sandbox", containment, *args)
        return fresh_server("--build-mode", "auto", "--build-sandbox", "none", *args, env={"PATH": path_without_namespaces})
    return start


def tagged(token):
    """Pids of the processes that carry `token` in their environment or their command line."""
    needle = token.encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        for part in ("environ", "cmdline"):
            try:
                with open(f"/proc/{entry}/{part}", "rb") as file:
                    if needle in file.read():
                        found.append(int(entry))
                        break
            except OSError:
                continue
    return found


def kill_tagged(token):
    """What a failing server left behind, so that one failure does not weigh on the next tests."""
    for _ in range(50):
        pids = tagged(token)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


class Peak:
    """Counts the processes tagged `token` in the background; `highest` is the most seen at once."""

    def __init__(self, token):
        self.token = token
        self.highest = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stopped.is_set():
            self.highest = max(self.highest, len(tagged(self.token)))
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()
        kill_tagged(self.token)


def healthy(server):
    started = time.monotonic()
    with urllib.request.urlopen(f"{server.endpoint}/_amplify-local/health", timeout=5) as response:
        assert json.load(response)["status"] == "ok"
    return time.monotonic() - started


def make_app(client, tmp_path, name, text, token, extra_variables=None):
    path, _ = make_repo(tmp_path / name, {"amplify.yml": text})
    variables = {"BUILD_TOKEN": token, **(extra_variables or {})}
    app_id = client.create_app(name=name, repository=path, environmentVariables=variables)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    return app_id


@pytest.mark.parametrize("containment", CONTAINMENTS)
def test_a_fork_bomb_stops_at_the_default_process_limit(serve, tmp_path, containment):
    """3,000 background processes asked for; the build has at most the default 2,048 at once, says so in its log,
    and the server goes on answering and building."""
    server = serve(containment)
    client = server.client()
    token = uuid.uuid4().hex
    bomb = spec("ulimit -u 4000 2>/dev/null; for i in $(seq 3000); do sleep 30 & done; echo forked", "sleep 3")
    app_id = make_app(client, tmp_path, "bomb", bomb, token)
    with Peak(token) as peak:
        job_id = start(client, app_id)
        job = wait_for_status(client, app_id, "main", job_id, FINISHED, timeout=120)
        assert healthy(server) < 2
    assert 1000 < peak.highest <= DEFAULT_LIMIT, peak.highest
    log = log_of(job)
    assert "# Processes: at most 2048 processes and threads (--build-max-processes)" in log
    if job["summary"]["status"] == "FAILED" and os.geteuid() == 0:
        # The control group tells that its limit is what failed the build.
        assert "limit of 2048 processes and threads (--build-max-processes)" in job["steps"][0]["statusReason"]
    assert tagged(token) == []
    # The server builds on.
    _, after = build(client, make_repo(tmp_path / "after", {"amplify.yml": spec("echo after")})[0], timeout=60)
    assert after["summary"]["status"] == "SUCCEED", log_of(after)


@pytest.mark.parametrize("containment", CONTAINMENTS)
def test_a_classic_fork_bomb_is_held_at_build_max_processes_while_other_builds_run(serve, tmp_path, containment):
    server = serve(containment, "--build-max-processes", "100")
    client = server.client()
    token = uuid.uuid4().hex
    # The bomb's own bounds: 12 seconds (timeout kills its whole process group), 1,000 processes of the build's user.
    bomb = spec("ulimit -u 1000; timeout -s KILL 12 bash -c 'b() { b | b & }; b; sleep 30' || true", "echo after-the-bomb")
    app_id = make_app(client, tmp_path, "classic", bomb, token)
    other = make_app(client, tmp_path, "other", spec("echo other-build"), uuid.uuid4().hex)
    with Peak(token) as peak:
        job_id = start(client, app_id)
        deadline = time.monotonic() + 20
        while peak.highest < 50 and time.monotonic() < deadline:
            time.sleep(0.1)
        # During the bomb: the server answers, and another app's build runs to its end.
        assert healthy(server) < 2
        other_job = wait_for_status(client, other, "main", start(client, other), FINISHED, timeout=60)
        assert other_job["summary"]["status"] == "SUCCEED", log_of(other_job)
        job = wait_for_status(client, app_id, "main", job_id, FINISHED, timeout=60)
    assert 50 <= peak.highest <= 100, peak.highest
    log = log_of(job)
    assert job["summary"]["status"] == "SUCCEED", job["steps"][0].get("statusReason")
    assert "after-the-bomb" in log
    assert "# Processes: at most 100 processes and threads (--build-max-processes)" in log
    if os.geteuid() == 0:
        assert "[WARNING]: The build reached its limit of 100 processes and threads (--build-max-processes)" in log
    assert tagged(token) == []


def test_build_max_processes_below_16_is_refused_at_start():
    server = Server("--build-max-processes", "3")
    with pytest.raises(RuntimeError, match="--build-max-processes must be at least 16"):
        server.start()


STUBBORN = [
    # (Raw strings: the YAML double-quoted form of a command with single quotes needs \" for a quote.)
    # Leaves the session and ignores SIGTERM and SIGHUP.
    r"setsid nohup bash -c 'trap \"\" TERM HUP; while true; do sleep 1; done' > /dev/null 2>&1 &",
    # Ignores SIGTERM, in the build's session.
    r"bash -c 'trap \"\" TERM; while true; do sleep 1; done' &",
    # A double fork: its parent is gone at once, it is nobody's child in the build.
    r"(setsid bash -c 'trap \"\" TERM; exec sleep 300' < /dev/null > /dev/null 2>&1 &)",
    # No environment of the build's (no marker to find it by); the token is in its command line only.
    r"env -i setsid bash -c 'trap \"\" TERM; while true; do sleep 1; done; : $BUILD_TOKEN_LITERAL' > /dev/null 2>&1 &",
    "echo started",
]


def stubborn_spec(token, last):
    return spec(*[command.replace("$BUILD_TOKEN_LITERAL", token) for command in STUBBORN], last)


@pytest.mark.parametrize("containment", CONTAINMENTS)
def test_stop_job_ends_processes_that_leave_the_session_or_ignore_sigterm(serve, tmp_path, containment):
    server = serve(containment)
    client = server.client()
    token = uuid.uuid4().hex
    app_id = make_app(client, tmp_path, "stubborn", stubborn_spec(token, "sleep 300"), token)
    try:
        job_id = start(client, app_id)
        deadline = time.monotonic() + 30
        while len(tagged(token)) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(tagged(token)) >= 5, client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"]
        stopped_at = time.monotonic()
        client.stop_job(appId=app_id, branchName="main", jobId=job_id)
        job = wait_for_status(client, app_id, "main", job_id, FINISHED, timeout=20)
        assert job["summary"]["status"] == "CANCELLED"
        # The SIGTERM's grace (5 s), then nothing of the build is left.
        while tagged(token) and time.monotonic() - stopped_at < 8:
            time.sleep(0.1)
        assert tagged(token) == [], [open(f"/proc/{pid}/cmdline", "rb").read() for pid in tagged(token)]
    finally:
        kill_tagged(token)


@pytest.mark.parametrize("containment", CONTAINMENTS)
def test_the_build_timeout_ends_processes_that_leave_the_session_or_ignore_sigterm(serve, tmp_path, containment):
    server = serve(containment)
    client = server.client()
    token = uuid.uuid4().hex
    app_id = make_app(client, tmp_path, "stubborn", stubborn_spec(token, "sleep 300"), token, {"_BUILD_TIMEOUT": "0.1"})
    try:
        job_id = start(client, app_id)
        deadline = time.monotonic() + 30
        while len(tagged(token)) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(tagged(token)) >= 5
        job = wait_for_status(client, app_id, "main", job_id, FINISHED, timeout=30)
        assert job["summary"]["status"] == "FAILED"
        assert "timed out after 0.1 minutes (_BUILD_TIMEOUT)" in job["steps"][0]["statusReason"]
        ended_at = time.monotonic()
        while tagged(token) and time.monotonic() - ended_at < 3:
            time.sleep(0.1)
        assert tagged(token) == []
    finally:
        kill_tagged(token)


FORKING_SERVER = r"""
const http = require('http');
const { spawn } = require('child_process');
const server = http.createServer((req, res) => {
  if (!req.url.startsWith('/fork')) { res.end('fine'); return; }
  const wanted = parseInt(new URL(req.url, 'http://x').searchParams.get('n'), 10);
  let started = 0, failed = 0;
  const settled = () => {
    if (started + failed === wanted) { res.writeHead(200, {'Content-Type': 'application/json'}); res.end(JSON.stringify({started, failed})); }
  };
  for (let i = 0; i < wanted; i++) {
    let child;
    try { child = spawn('sleep', ['20'], {stdio: 'ignore'}); } catch (e) { failed++; settled(); continue; }
    child.on('spawn', () => { started++; settled(); });
    child.on('error', () => { failed++; settled(); });
  }
});
server.listen(parseInt(process.env.PORT, 10), () => console.log('listening'));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (Debian: nodejs)")
@pytest.mark.parametrize(("containment", "limit", "forks"), [
    *containments(64, 300),
    # The default, without the option: 2,300 children asked for.
    pytest.param("none", DEFAULT_LIMIT, 2300, id="none-default"),
])
def test_a_compute_that_forks_without_end_stops_at_build_max_processes(serve, tmp_path, containment, limit, forks):
    from test_compute import MANIFEST, SPEC, computes, get

    server = serve(containment, *(["--build-max-processes", str(limit)] if limit != DEFAULT_LIMIT else []))
    client = server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SPEC, "manifest.json": json.dumps(MANIFEST), "server.js": FORKING_SERVER})
    app_id, job = build(client, path, timeout=90, app_args={"platform": "WEB_COMPUTE"})
    token = f"AWS_APP_ID={app_id}"
    try:
        assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
        with Peak(token) as peak:
            status, _, body = get(server, app_id, f"/fork?n={forks}")
            assert status == 200, body
            answer = json.loads(body)
            time.sleep(0.5)
            # The compute's node, its threads and its children: `limit` at most, so many of those asked for could not
            # start.
            assert answer["started"] < limit and answer["failed"] > 0, answer
            assert limit / 2 < peak.highest <= limit, peak.highest
            # It still answers.
            assert get(server, app_id, "/")[2] == b"fine"
            assert computes(app_id)
    finally:
        kill_tagged(token)
