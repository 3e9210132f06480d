"""Real builds: jobs clone a git repository made by the test and run its build spec with bash."""
import hashlib
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import POSTGRES, Server, wait_for_status

FINISHED = ("SUCCEED", "FAILED", "CANCELLED")


def git(folder, *args):
    return subprocess.run(
        ["git", "-C", str(folder), "-c", "user.email=test@example.com", "-c", "user.name=Test", *args],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def make_repo(folder, files, branch="main", message="first commit"):
    """A git repository with `files` ({path: text}) committed on `branch`; returns (path, commit id)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", branch, str(folder)], check=True)
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", message)
    return str(folder), git(folder, "rev-parse", "HEAD")


def spec(*commands, phase="build", extra=""):
    lines = "\n".join(f"        - {command!r}" if "'" not in command else f'        - "{command}"' for command in commands)
    return f"version: 1\nfrontend:\n  phases:\n    {phase}:\n      commands:\n{lines}\n{extra}"


SITE = spec(
    "mkdir -p dist",
    "echo \"<h1>$GREETING</h1>\" > dist/index.html",
    extra="  artifacts:\n    baseDirectory: dist\n    files:\n      - '**/*'\n",
)


def log_of(job, step="BUILD"):
    url = next(s["logUrl"] for s in job["steps"] if s["stepName"] == step)
    with urllib.request.urlopen(url) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        return response.read().decode()


def start(client, app_id, branch="main", **kwargs):
    return client.start_job(appId=app_id, branchName=branch, jobType="RELEASE", **kwargs)["jobSummary"]["jobId"]


def build(client, repository, files=None, branch="main", timeout=30, app_args=None, branch_args=None, **start_args):
    """Creates an app and branch on `repository`, starts a RELEASE job, waits for its end."""
    app = client.create_app(name="build", repository=repository, **(app_args or {}))["app"]
    client.create_branch(appId=app["appId"], branchName=branch, **(branch_args or {}))
    job_id = start(client, app["appId"], branch, **start_args)
    return app["appId"], wait_for_status(client, app["appId"], branch, job_id, FINISHED, timeout=timeout)


def workspaces(data):
    """The build workspaces of the server on `data`: under the data dir, or for a root server (whose builds run
    as users of their own) under a folder of the temporary folder named after the data dir."""
    root = data
    if os.geteuid() == 0:
        digest = hashlib.sha256(os.path.abspath(data).encode()).hexdigest()[:16]
        root = os.path.join(tempfile.gettempdir(), f"amplify-local-builds-{digest}")
    folder = os.path.join(root, "builds")
    if not os.path.isdir(folder):
        return []
    if POSTGRES:
        # A node of several (state in PostgreSQL) keeps its workspaces in a folder of its own.
        return [run for node in os.listdir(folder) for run in os.listdir(os.path.join(folder, node))]
    return os.listdir(folder)


def build_processes(token):
    """Processes whose environment carries `token` (set as an app variable): what a build left running."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if f"BUILD_TOKEN={token}".encode() in environ.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def wait_for_processes(token, count, timeout=20):
    """Waits until the build tagged `token` runs at least `count` processes."""
    deadline = time.monotonic() + timeout
    while len(build_processes(token)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(build_processes(token)) >= count


@pytest.fixture
def real_server(fresh_server):
    return fresh_server("--build-mode", "auto", env={"SERVER_SECRET": "do-not-leak"})


def test_build_runs_phases_with_environment_and_collects_artifacts(real_server, tmp_path):
    client = real_server.client()
    spec_text = """version: 1
env:
  variables:
    FROM_SPEC: spec
    SHARED: spec
frontend:
  phases:
    preBuild:
      commands:
        - export GREETING=hello
        - echo "pre $AWS_APP_ID $AWS_BRANCH $AWS_JOB_ID $AWS_COMMIT_ID"
    build:
      commands:
        - mkdir -p dist/sub && echo "<h1>$GREETING</h1>" > dist/index.html && echo x > dist/sub/a.txt && echo n > dist/notes.md
        - echo "vars FROM_SPEC=$FROM_SPEC SHARED=$SHARED APP_ONLY=$APP_ONLY BRANCH_WINS=$BRANCH_WINS TIMEOUT=$_BUILD_TIMEOUT"
        - echo "leak=[$SERVER_SECRET] home=$HOME pwd=$PWD"
    postBuild:
      commands:
        - echo post done
  artifacts:
    baseDirectory: dist
    files:
      - '**/*.html'
      - 'sub/*'
"""
    path, commit = make_repo(tmp_path / "repo", {"amplify.yml": spec_text}, message="Add the site\n\nWith a body.")
    app_id, job = build(
        client, path,
        app_args={"environmentVariables": {"APP_ONLY": "app", "BRANCH_WINS": "app", "SHARED": "app"}},
        branch_args={"environmentVariables": {"BRANCH_WINS": "branch"}},
    )
    assert job["summary"]["status"] == "SUCCEED", job
    assert job["summary"]["commitId"] == commit
    assert job["summary"]["commitMessage"] == "Add the site\n\nWith a body."
    assert [s["stepName"] for s in job["steps"]] == ["BUILD", "DEPLOY", "VERIFY"]
    assert all(s["status"] == "SUCCEED" and s["endTime"] >= s["startTime"] for s in job["steps"])
    log = log_of(job)
    assert f"pre {app_id} main 0000000001 {commit}" in log
    assert "vars FROM_SPEC=spec SHARED=app APP_ONLY=app BRANCH_WINS=branch TIMEOUT=30" in log
    assert "leak=[]" in log and "pwd=/" in log
    assert log.index("## Starting Frontend Build") < log.index("# Starting phase: preBuild") < log.index("# Starting phase: build")
    assert log.index("# Starting phase: build") < log.index("post done") < log.index("## Completed Frontend Build")
    # Every line starts with a timestamp and a level, or is indented under one (a piece of output that came at once).
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[(INFO|WARNING|ERROR)\]: ", line) or line.startswith(" " * 33)
               for line in log.splitlines()), log
    assert "# Build artifact upload completed: 2 files" in log_of(job, "DEPLOY")
    assert "index.html found" in log_of(job, "VERIFY")


def test_artifacts_land_in_the_data_dir_and_go_with_the_job(fresh_server, tmp_path):
    data = tmp_path / "data"
    client = fresh_server("--build-mode", "auto", data_dir=str(data)).client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SITE})
    app_id, job = build(client, path, app_args={"environmentVariables": {"GREETING": "hi"}})
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    artifact = data / "artifacts" / "123456789012" / "us-east-1" / app_id / "main" / "1" / "index.html"
    assert artifact.read_text() == "<h1>hi</h1>\n"
    assert workspaces(data) == [], "the workspace was not removed"
    client.delete_job(appId=app_id, branchName="main", jobId="1")
    assert not artifact.exists()


def test_failing_command_fails_the_job_and_later_phases_do_not_run(real_server, tmp_path):
    client = real_server.client()
    text = spec("echo one", "exit 3", "echo never") + "    postBuild:\n      commands:\n        - echo postbuild-ran\n"
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": text})
    _, job = build(client, path)
    assert job["summary"]["status"] == "FAILED"
    step = job["steps"][0]
    assert (step["stepName"], step["status"]) == ("BUILD", "FAILED")
    assert "exit code 3" in step["statusReason"] and "exit 3" in step["statusReason"], step
    assert "frontend.build" in step["statusReason"]
    log = log_of(job)
    assert "echo never" not in log.replace("Executing command: echo one", "") and "postbuild-ran" not in log
    assert len(job["steps"]) == 1


def test_build_spec_precedence_branch_then_repository_then_app(real_server, tmp_path):
    """As on AWS: the app's build settings apply unless the repository has an amplify.yml; a branch's buildSpec
    (set through the API) is the most specific of all. The log's first lines say which one was used and why."""
    client = real_server.client()
    bare, _ = make_repo(tmp_path / "bare", {"README.md": "no build spec here\n"})
    _, job = build(client, bare, app_args={"buildSpec": spec("echo from-app")})
    log = log_of(job)
    assert "from-app" in log and "Using the build spec from the app's buildSpec (the branch has none" in log
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("echo from-repository")})
    _, job = build(client, path)
    assert "from-repository" in log_of(job)
    _, job = build(client, path, app_args={"buildSpec": spec("echo from-app")})
    log = log_of(job)
    assert "from-repository" in log and "echo from-app" not in log
    assert "amplify.yml in the repository (a build spec in the repository takes precedence over the app's buildSpec)" in log
    _, job = build(client, path, app_args={"buildSpec": spec("echo from-app")}, branch_args={"buildSpec": spec("echo from-branch")})
    log = log_of(job)
    assert "from-branch" in log and "echo from-app" not in log and "echo from-repository" not in log
    assert "the branch's buildSpec (it takes precedence over the repository's amplify.yml and the app's buildSpec)" in log


def test_monorepo_application_is_chosen_by_app_root(real_server, tmp_path):
    client = real_server.client()
    text = """version: 1
applications:
  - appRoot: apps/web
    frontend:
      phases:
        build:
          commands:
            - echo "building web in $(basename $PWD)"
            - mkdir -p out && echo web > out/index.html
      artifacts:
        baseDirectory: out
        files: ['**/*']
  - appRoot: apps/docs
    frontend:
      phases:
        build:
          commands:
            - echo "building docs"
"""
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": text, "apps/web/.keep": "", "apps/docs/.keep": ""})
    _, job = build(client, path, app_args={"environmentVariables": {"AMPLIFY_MONOREPO_APP_ROOT": "apps/web"}})
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    assert "building web in web" in log_of(job)
    _, job = build(client, path)
    assert job["summary"]["status"] == "FAILED"
    assert "AMPLIFY_MONOREPO_APP_ROOT" in job["steps"][0]["statusReason"]


@pytest.mark.parametrize(
    "files, reason",
    [
        ({"README.md": "no spec"}, "No build spec"),
        ({"amplify.yml": "frontend: [unclosed"}, "Invalid build spec (amplify.yml in the repository): The build spec is not valid YAML"),
        ({"amplify.yml": "version: 1\n"}, "has no frontend or backend section"),
        ({"amplify.yml": "version: 1\nfrontend:\n  phases:\n    build:\n      commands: {a: b}\n"}, "frontend.phases.build.commands must be a list (line 5)"),
        ({"amplify.yml": spec("true", extra="  artifacts:\n    baseDirectory: missing\n")}, "artifacts folder missing was not found"),
    ],
)
def test_bad_build_specs_fail_with_a_reason(real_server, tmp_path, files, reason):
    client = real_server.client()
    path, _ = make_repo(tmp_path / "repo", files)
    _, job = build(client, path)
    assert job["summary"]["status"] == "FAILED"
    assert reason in next(s["statusReason"] for s in job["steps"] if s["status"] == "FAILED")


def test_a_repository_that_cannot_be_cloned_fails_the_job(real_server, tmp_path):
    client = real_server.client()
    _, job = build(client, str(tmp_path / "no-such-repository"))
    assert job["summary"]["status"] == "FAILED"
    assert "Could not clone branch main" in job["steps"][0]["statusReason"]
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("true")})
    _, job = build(client, path, branch="no-such-branch")
    assert job["summary"]["status"] == "FAILED"
    assert "Could not clone branch no-such-branch" in job["steps"][0]["statusReason"]


def test_a_commit_id_builds_that_commit(real_server, tmp_path):
    client = real_server.client()
    path, first = make_repo(tmp_path / "repo", {"amplify.yml": spec("cat version.txt"), "version.txt": "version-one"})
    make_repo(tmp_path / "repo", {"version.txt": "version-two"}, message="second")
    _, job = build(client, path, commitId=first)
    assert job["summary"]["commitId"] == first and job["summary"]["commitMessage"] == "first commit"
    assert "version-one" in log_of(job)
    _, job = build(client, path, commitId="0" * 40)
    assert job["summary"]["status"] == "FAILED"
    assert "was not found on branch main" in job["steps"][0]["statusReason"]


def test_logs_read_like_amplifys(real_server, tmp_path):
    """Amplify's console format: `<stamp> [INFO]: ` for output, `[WARNING]` for standard error, lines of one piece of
    output indented under the first, the phase and section markers, and `!!! Build failed` at the end of a failure."""
    client = real_server.client()
    text = spec("cat lines.txt", "echo to-stderr >&2", "exit 3")  # cat writes the three lines at once
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": text, "lines.txt": "one\ntwo\nthree\n"})
    _, job = build(client, path)
    log = log_of(job)
    lines = log.splitlines()
    first = next(i for i, line in enumerate(lines) if line.endswith("[INFO]: one") or line == " " * 33 + "one")
    assert lines[first + 1] == " " * 33 + "two" and lines[first + 2] == " " * 33 + "three"
    assert re.search(r"Z \[INFO\]: # Build size: STANDARD_8GB: 4 vCPUs", log)
    assert re.search(r"Z \[WARNING\]: to-stderr$", log, re.M)
    assert "## Starting Frontend Build" in log and "# Starting phase: build" in log and "# Executing command: exit 3" in log
    assert re.search(r"Z \[ERROR\]: !!! Build failed$", log, re.M)
    assert "[ERROR]: !!! Error: Command failed with exit code 3 in frontend.build: exit 3" in log
    assert "## Build completed successfully" not in log


def test_cache_paths_are_restored_in_the_next_build(real_server, tmp_path):
    client = real_server.client()
    text = spec(
        "test -f node_modules/marker && echo cache-hit || echo cache-miss",
        "mkdir -p node_modules && echo 1 > node_modules/marker",
        extra="  cache:\n    paths:\n      - node_modules/**/*\n",
    )
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": text})
    app_id, job = build(client, path)
    assert "cache-miss" in log_of(job) and "# No cache found" in log_of(job)
    assert "# Starting caching..." in log_of(job) and "# Caching completed" in log_of(job)
    job_id = start(client, app_id)
    job = wait_for_status(client, app_id, "main", job_id, FINISHED, timeout=30)
    assert "cache-hit" in log_of(job) and "# Extraction completed" in log_of(job), log_of(job)


def test_auto_mode_simulates_remote_repositories(real_server):
    client = real_server.client()
    _, job = build(client, "https://example.com/org/site.git", app_args={"accessToken": "token"})
    assert job["summary"]["status"] == "SUCCEED"
    assert "--build-mode run" in log_of(job)


def test_stop_job_ends_the_build_and_every_process_it_started(real_server, tmp_path):
    client = real_server.client()
    token = uuid.uuid4().hex
    text = spec("sleep 300 &", "setsid sleep 300 < /dev/null > /dev/null 2>&1 &", "echo started", "sleep 300")
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": text})
    app = client.create_app(name="stop", repository=path, environmentVariables={"BUILD_TOKEN": token})["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    job_id = start(client, app["appId"])
    wait_for_processes(token, 3)
    stopped_at = time.monotonic()
    client.stop_job(appId=app["appId"], branchName="main", jobId=job_id)
    job = wait_for_status(client, app["appId"], "main", job_id, FINISHED, timeout=15)
    assert job["summary"]["status"] == "CANCELLED"
    assert time.monotonic() - stopped_at < 10
    assert build_processes(token) == []


def test_a_build_that_forks_daemons_ends_and_leaves_no_process(real_server, tmp_path):
    client = real_server.client()
    token = uuid.uuid4().hex
    text = spec("nohup sleep 300 &", "setsid sleep 300 &", "(sleep 300 &) ; echo forked")
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": text})
    _, job = build(client, path, app_args={"environmentVariables": {"BUILD_TOKEN": token}})
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    assert "forked" in log_of(job)
    assert build_processes(token) == []


def test_build_timeout_fails_a_build_that_runs_too_long(real_server, tmp_path):
    client = real_server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("sleep 300")})
    _, job = build(client, path, app_args={"environmentVariables": {"_BUILD_TIMEOUT": "0.02"}})
    assert job["summary"]["status"] == "FAILED"
    assert "timed out after 0.02 minutes (_BUILD_TIMEOUT)" in job["steps"][0]["statusReason"]


def test_a_log_can_be_followed_while_the_build_runs(real_server, tmp_path):
    client = real_server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("echo first-line", "sleep 2", "echo last-line")})
    app = client.create_app(name="follow", repository=path)["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    job_id = start(client, app["appId"])
    deadline = time.monotonic() + 15
    partial = ""
    while "first-line" not in partial and time.monotonic() < deadline:
        job = client.get_job(appId=app["appId"], branchName="main", jobId=job_id)["job"]
        partial = log_of(job) if job["steps"] else ""
        time.sleep(0.1)
    assert "first-line" in partial and "last-line" not in partial
    assert client.get_job(appId=app["appId"], branchName="main", jobId=job_id)["job"]["summary"]["status"] == "RUNNING"
    job = wait_for_status(client, app["appId"], "main", job_id, FINISHED, timeout=15)
    assert "last-line" in log_of(job)
    # Following: `Range: bytes=N-` gives what came after the first N bytes; 416 when nothing did.
    url = job["steps"][0]["logUrl"]
    seen = len(partial.encode())
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": f"bytes={seen}-"})) as response:
        rest = response.read().decode()
        assert response.status == 206 and response.headers["Content-Range"].startswith(f"bytes {seen}-")
    assert partial + rest == log_of(job) and "last-line" in rest and "first-line" not in rest
    with pytest.raises(urllib.error.HTTPError) as nothing_new:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Range": f"bytes={len(log_of(job).encode())}-"}))
    assert nothing_new.value.code == 416


def test_a_flood_of_log_is_cut_at_the_limit(fresh_server, tmp_path):
    client = fresh_server("--build-mode", "auto", "--max-log-bytes", "200000").client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("yes 'a line of build output' | head -c 50000000", "echo after-flood")})
    _, job = build(client, path, timeout=60)
    assert job["summary"]["status"] == "SUCCEED"
    log = log_of(job)
    assert len(log.encode()) < 210_000
    assert "The log reached its limit of 200000 bytes" in log


def test_deleting_the_branch_during_a_build_stops_it_and_removes_everything(fresh_server, tmp_path):
    data = tmp_path / "data"
    client = fresh_server("--build-mode", "auto", data_dir=str(data)).client()
    token = uuid.uuid4().hex
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("setsid sleep 300 &", "sleep 300")})
    app = client.create_app(name="delete", repository=path, environmentVariables={"BUILD_TOKEN": token})["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    start(client, app["appId"])
    wait_for_processes(token, 2)
    client.delete_branch(appId=app["appId"], branchName="main")
    deadline = time.monotonic() + 15
    while (build_processes(token) or workspaces(data)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert build_processes(token) == []
    assert workspaces(data) == []
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_job(appId=app["appId"], branchName="main", jobId="1")


def test_builds_wait_for_a_free_slot_in_order(fresh_server, tmp_path):
    client = fresh_server("--build-mode", "auto", "--max-concurrent-builds", "1").client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("sleep 1")})
    app = client.create_app(name="queue", repository=path)["app"]
    for name in ("main", "two"):
        git(path, "branch", "-f", name) if name != "main" else None
        client.create_branch(appId=app["appId"], branchName=name)
    first = start(client, app["appId"], "main")
    second = start(client, app["appId"], "two")
    wait_for_status(client, app["appId"], "main", first, ("RUNNING",), timeout=15)
    assert client.get_job(appId=app["appId"], branchName="two", jobId=second)["job"]["summary"]["status"] == "PENDING"
    one = wait_for_status(client, app["appId"], "main", first, FINISHED, timeout=30)
    two = wait_for_status(client, app["appId"], "two", second, FINISHED, timeout=30)
    assert one["summary"]["status"] == two["summary"]["status"] == "SUCCEED"
    assert two["steps"][0]["startTime"] >= one["summary"]["endTime"]


def test_a_server_killed_during_a_build_fails_the_job_and_kills_its_processes(tmp_path):
    data = str(tmp_path / "data")
    token = uuid.uuid4().hex
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("setsid sleep 300 &", "sleep 300")})
    server = Server("--build-mode", "auto", data_dir=data).start()
    try:
        client = server.client()
        app = client.create_app(name="restart", repository=path, environmentVariables={"BUILD_TOKEN": token})["app"]
        client.create_branch(appId=app["appId"], branchName="main")
        start(client, app["appId"])
        wait_for_processes(token, 2)
    finally:
        server.kill9()
    server = Server("--build-mode", "auto", data_dir=data).start()
    try:
        job = server.client().get_job(appId=app["appId"], branchName="main", jobId="1")["job"]
        assert job["summary"]["status"] == "FAILED"
        assert "interrupted" in job["steps"][0]["statusReason"]
        # The new server kills what the build left running, then removes its workspace, as it starts.
        deadline = time.monotonic() + 10
        while (build_processes(token) or workspaces(data)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert build_processes(token) == []
        assert workspaces(data) == []
    finally:
        server.stop()


def test_run_mode_builds_every_repository_and_simulate_never_does(fresh_server, tmp_path):
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("echo really-built")})
    client = fresh_server("--build-mode", "simulate", "--simulated-build-seconds", "0").client()
    _, job = build(client, path)
    assert "really-built" not in log_of(job) and "simulate" in log_of(job)
    client = fresh_server("--build-mode", "run").client()
    _, job = build(client, "file://" + path)
    assert "really-built" in log_of(job)


@pytest.mark.skipif(os.geteuid() != 0, reason="builds drop privileges only when the server runs as root")
@pytest.mark.skipif(os.geteuid() != 0, reason="builds change user only when the server is root")
def test_builds_of_a_root_server_run_as_a_user_of_their_own_and_cannot_read_the_database(fresh_server, tmp_path):
    """Without the sandbox (test_sandbox.py has it), a root server's build runs as a user of its own."""
    data = tmp_path / "data"
    client = fresh_server("--build-mode", "auto", "--build-sandbox", "none", data_dir=str(data)).client()
    text = spec(
        "echo uid=$(id -u)",
        f"cat {data}/amplify-local.sqlite > /dev/null && echo read-database || echo database-refused",
        f"ls {data} > /dev/null 2>&1 && echo listed-data || echo listing-refused",
        f"touch {data}/planted 2>/dev/null && echo planted || echo write-refused",
        "sudo -n true 2>/dev/null && echo sudo-worked || echo no-sudo",
    )
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": text})
    _, job = build(client, path)
    log = log_of(job)
    assert job["summary"]["status"] == "SUCCEED", log
    uid = int(re.search(r"uid=(\d+)", log).group(1))
    assert 2_100_000_000 <= uid < 2_116_000_000
    assert "database-refused" in log and "listing-refused" in log and "write-refused" in log and "no-sudo" in log
    assert not (data / "planted").exists()


def test_a_webhook_push_builds_for_real(real_server, tmp_path):
    client = real_server.client()
    path, first = make_repo(tmp_path / "repo", {"amplify.yml": spec("echo built $AWS_COMMIT_ID")})
    app = client.create_app(name="hook", repository=path)["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    _, second = make_repo(tmp_path / "repo", {"README.md": "pushed"}, message="pushed commit")
    url = client.create_webhook(appId=app["appId"], branchName="main")["webhook"]["webhookUrl"]
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    job = wait_for_status(client, app["appId"], "main", "1", FINISHED, timeout=30)
    assert (job["summary"]["jobType"], job["summary"]["status"]) == ("WEB_HOOK", "SUCCEED")
    assert job["summary"]["commitId"] == second != first
    assert f"built {second}" in log_of(job)
