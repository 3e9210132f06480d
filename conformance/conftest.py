"""The conformance suite: boto3 (and the AWS CLI) against the real amplify-local binary.

The binary is $AMPLIFY_LOCAL_BINARY, else the newest of .build/{release,debug}/amplify-local.
Every server listens on 127.0.0.1 on a port the OS picks (--port 0) and says which on stdout.

With $AMPLIFY_LOCAL_CONFORMANCE_POSTGRES (a server's URL; scripts/test runs the suite a second time so),
every server keeps its state in PostgreSQL instead of SQLite: a database of its own, the same one again (and
the same node name) for a server restarted on the same data directory.
"""
import contextlib
import hashlib
import http.client
import http.server
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POSTGRES = os.environ.get("AMPLIFY_LOCAL_CONFORMANCE_POSTGRES")
on_postgres = pytest.mark.skipif(bool(POSTGRES), reason="about SQLite's own storage")
# Tests of what involves no store (connections, processes, rule matching) run once, on the SQLite run: the PostgreSQL
# run is for what the store does.
store_free = pytest.mark.skipif(bool(POSTGRES), reason="touches no store: run on SQLite only")


def postgres_database(data_dir):
    """The database a server keeps its state in on the PostgreSQL run: one per data directory, else a new one."""
    name = "conformance_" + (hashlib.sha1(data_dir.encode()).hexdigest()[:12] if data_dir else os.urandom(6).hex())
    exists = subprocess.run(["psql", "-tAq", POSTGRES, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if not exists:
        subprocess.run(["psql", "-q", POSTGRES, "-c", f"CREATE DATABASE {name}"], capture_output=True, check=True)
    return urlunsplit(urlsplit(POSTGRES)._replace(path="/" + name))
ACCOUNT = "123456789012"
REGION = "us-east-1"


def binary_path():
    explicit = os.environ.get("AMPLIFY_LOCAL_BINARY")
    if explicit:
        return explicit
    candidates = [os.path.join(ROOT, ".build", kind, "amplify-local") for kind in ("release", "debug")]
    existing = [path for path in candidates if os.path.exists(path)]
    if not existing:
        pytest.exit("amplify-local is not built: run `swift build` first (scripts/test does)", returncode=2)
    return max(existing, key=os.path.getmtime)


class Server:
    """One amplify-local process."""

    def __init__(self, *args, data_dir=None, env=None, log_path=None, cwd=None, prefix=None, deploy_from=tempfile.gettempdir()):
        """With `log_path`, the server logs at info level to that file; otherwise warnings only, to a temporary file. `cwd` is the
        folder it runs in (relative repository paths are taken from it). `prefix` is a command the server is run
        under (`prlimit --nofile=1024:1024 --`). `deploy_from` is the `--deploy-from` folder (given as
        AMPLIFY_LOCAL_DEPLOY_FROM): the temporary folder tests make repositories and zips in, unless the test passes
        its own (None: the server's default, the folder it runs in)."""
        self.args = list(args)
        self.prefix = list(prefix or [])
        self.cwd = cwd
        self.data_dir = data_dir
        self.env = dict(env or {})
        if deploy_from and "--deploy-from" not in self.args:
            self.env.setdefault("AMPLIFY_LOCAL_DEPLOY_FROM", deploy_from)
        self.log_path = log_path
        self.process = None
        self.port = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        level = "info" if self.log_path else "warning"
        command = [*self.prefix, binary_path(), "serve", "--host", "127.0.0.1", "--port", "0", "--log-level", level, *self.args]
        command += ["--data-dir", self.data_dir] if self.data_dir else ["--in-memory"]
        if POSTGRES and "--database" not in self.args:
            command += ["--database", postgres_database(self.data_dir)]
            if self.data_dir:
                # The same name when started again on the same data directory, as SQLite's server is the same one.
                command += ["--node-name", "conformance-" + hashlib.sha1(self.data_dir.encode()).hexdigest()[:12]]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AMPLIFY_LOCAL_")}
        environment.update(self.env)
        # The log goes to a file, never to a pipe left unread: a server whose log fills a pipe's 64 KiB blocks in
        # write(2) and stops answering (a thousand apps' warnings at a restart did).
        log = open(self.log_path, "a") if self.log_path else tempfile.TemporaryFile("w+")
        with log:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, env=environment, cwd=self.cwd)
            started = time.monotonic()
            line = self.process.stdout.readline()
            if "listening on http://" not in line:
                self.process.kill()
                self.process.wait()
                if self.log_path:
                    reason = open(self.log_path).read()
                else:
                    log.seek(0)
                    reason = log.read()
                raise RuntimeError(f"server did not start: {line!r} {reason}")
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.port = int(line.split("listening on http://")[1].split()[0].rsplit(":", 1)[1])
        while time.monotonic() - started < 10:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_amplify-local/health", timeout=1) as response:
                    if json.load(response)["status"] == "ok":
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("server never became healthy")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def reset(self):
        request = urllib.request.Request(f"{self.endpoint}/_amplify-local/reset", method="POST")
        urllib.request.urlopen(request).close()

    def client(self, account=ACCOUNT, region=REGION, validate=True):
        return make_client(self.endpoint, account, region, validate)


def make_client(endpoint, account=ACCOUNT, region=REGION, validate=True):
    """A boto3 Amplify client. Retries are off so that errors are seen once; `validate=False` turns off
    botocore's own parameter checks so that bad input reaches the server."""
    return boto3.client(
        "amplify",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=account,
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=validate),
    )


@pytest.fixture(scope="session")
def server():
    """A shared in-memory server with fast simulated builds (real builds have their own tests)."""
    instance = Server("--build-mode", "simulate", "--simulated-build-seconds", "0.3").start()
    yield instance
    instance.stop()


@pytest.fixture
def fresh_server():
    """A server of the test's own, for tests that depend on timing or whole-server state."""
    instances = []

    def start(*args, data_dir=None, env=None):
        """Builds are simulated unless the test passes a --build-mode of its own."""
        mode = [] if "--build-mode" in args else ["--build-mode", "simulate"]
        instance = Server(*mode, *args, data_dir=data_dir, env=env).start()
        instances.append(instance)
        return instance

    yield start
    for instance in instances:
        instance.stop()


@pytest.fixture
def data_dir():
    with tempfile.TemporaryDirectory(prefix="amplify-local-") as directory:
        yield directory


@pytest.fixture
def client(server):
    return server.client()


@pytest.fixture
def raw_client(server):
    """A client that sends bad input as it is."""
    return server.client(validate=False)


@pytest.fixture
def app(client):
    """An app connected to a repository on this machine, so that RELEASE jobs are allowed."""
    created = client.create_app(name="conformance", repository="/srv/repositories/site")["app"]
    yield created
    try:
        client.delete_app(appId=created["appId"])
    except client.exceptions.NotFoundException:
        pass


@pytest.fixture
def branch(client, app):
    return client.create_branch(appId=app["appId"], branchName="main")["branch"]


def http_request(port, method, target, headers=None, body=None):
    """One raw HTTP request to 127.0.0.1:`port`, sent as given (a `Host` header replaces the usable one);
    returns (status, headers with lowercase names, body)."""
    headers = headers or {}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, target, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None or method in ("POST", "PUT", "PATCH", "DELETE"):
            connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


def wait_until(condition, timeout=15, interval=0.1):
    """Calls `condition` until it answers something true, or `timeout` seconds have passed; returns its last answer
    (so `assert wait_until(...)` fails when it never came true). Use it instead of a fixed sleep wherever what the
    sleep waits for can be asked."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


def wait_for_status(client, app_id, branch_name, job_id, statuses, timeout=10):
    """Polls GetJob until the job's status is one of `statuses`; returns the job."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get_job(appId=app_id, branchName=branch_name, jobId=job_id)["job"]
        if job["summary"]["status"] in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} stayed {job['summary']['status']}, expected one of {statuses}")
        time.sleep(0.05)


@contextlib.contextmanager
def serving_files(files):
    """A plain HTTP server on 127.0.0.1 for the time of the block, answering GET with `files` ({path: bytes}) and 404
    for any other path; yields its base URL (`http://127.0.0.1:PORT`)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *arguments):
            pass

    source = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=source.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{source.server_address[1]}"
    finally:
        source.shutdown()
