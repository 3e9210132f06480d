"""Sandboxed, sized builds: bubblewrap hides the data directory, other builds and the host's /tmp, can cut the
network, and a build's compute type sizes it (memory by a control group, CPUs by affinity)."""
import os
import shutil
import socket
import stat
import subprocess

import pytest

from conftest import Server, wait_for_status
from test_builds import FINISHED, build, log_of, make_repo, spec, start

SANDBOX = shutil.which("bwrap") is not None and subprocess.run(
    ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--proc", "/proc", "true"], capture_output=True
).returncode == 0
needs_sandbox = pytest.mark.skipif(not SANDBOX, reason="needs bubblewrap (Debian: bubblewrap) that can make a sandbox here")


@needs_sandbox
def test_a_sandboxed_build_sees_neither_the_data_directory_nor_other_builds_nor_the_hosts_tmp(fresh_server, tmp_path):
    data = tmp_path / "data"
    server = fresh_server("--build-mode", "auto", "--build-sandbox", "bubblewrap", data_dir=str(data), env={"SERVER_SECRET": "do-not-leak"})
    client = server.client()
    marker = f"amplify-local-sandbox-test-{os.getpid()}"
    script = "\n".join([
        f"ls -A {data} | wc -l | sed 's/^/data-entries=/'",
        f"cat {data}/amplify-local.sqlite > /dev/null 2>&1 && echo read-database || echo no-database",
        f"touch {data}/planted 2>/dev/null && echo planted-data || echo data-not-planted",
        'ls -A "$(dirname "$(dirname "$PWD")")" | wc -l | sed "s/^/workspaces=/"',
        "echo leak=[$SERVER_SECRET]",
        f"test -e /tmp/{marker} && echo saw-earlier-tmp || echo fresh-tmp",
        f"mkdir -p /tmp/{marker} && echo made > /tmp/{marker}/file",
        "touch /usr/planted 2>/dev/null && echo wrote-system || echo system-read-only",
        "echo nproc=$(nproc)",
        "sleep 2",
    ]) + "\n"
    text = spec("bash probe.sh")
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": text, "probe.sh": script})
    app_id = client.create_app(name="sandboxed", repository=path)["app"]["appId"]
    for branch in ("main", "other"):
        client.create_branch(appId=app_id, branchName=branch)
    subprocess.run(["git", "-C", path, "branch", "other"], check=True)
    # Two builds at once: neither sees the other's workspace.
    first, second = start(client, app_id, "main"), start(client, app_id, "other")
    jobs = [wait_for_status(client, app_id, branch, job_id, FINISHED, timeout=60) for branch, job_id in (("main", first), ("other", second))]
    for job in jobs:
        log = log_of(job)
        assert job["summary"]["status"] == "SUCCEED", (job["steps"][0].get("statusReason"), log)
        assert "# Sandbox: bubblewrap" in log
        assert "data-entries=0" in log and "no-database" in log and "data-not-planted" in log
        assert "workspaces=1" in log, log
        assert "leak=[]" in log and "fresh-tmp" in log and "system-read-only" in log
        assert f"nproc={min(4, os.cpu_count())}" in log
    assert not (data / "planted").exists()
    # What a build left in its /tmp went with it: not on the host, not in the next build.
    assert not os.path.exists(f"/tmp/{marker}")
    job = wait_for_status(client, app_id, "main", start(client, app_id, "main"), FINISHED, timeout=60)
    assert "fresh-tmp" in log_of(job)


@needs_sandbox
def test_build_network_none_cuts_the_network(fresh_server, tmp_path):
    probe = "import socket, sys\ntry:\n    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=3).close(); print('reached')\nexcept OSError as e:\n    print('unreachable', e)\n"
    for network, expected in (("all", "reached"), ("none", "unreachable")):
        server = fresh_server("--build-mode", "auto", "--build-network", network)
        client = server.client()
        path, _ = make_repo(tmp_path / f"repo-{network}", {"amplify.yml": spec(f"python3 probe.py {server.port}"), "probe.py": probe})
        _, job = build(client, path)
        log = log_of(job)
        assert job["summary"]["status"] == "SUCCEED", log
        assert expected in log.replace("unreachable", "UNREACHABLE" if expected == "reached" else "unreachable")
        if network == "none":
            assert ", no network" in log


def test_build_network_none_without_a_sandbox_is_refused_at_start(tmp_path):
    server = Server("--build-mode", "auto", "--build-sandbox", "none", "--build-network", "none")
    with pytest.raises(RuntimeError, match="--build-network none needs the bubblewrap sandbox"):
        server.start()


@pytest.mark.skipif(os.geteuid() != 0, reason="a memory control group needs root")
def test_a_build_that_runs_out_of_memory_fails_naming_its_compute_type(fresh_server, tmp_path):
    server = fresh_server("--build-mode", "auto", "--build-memory-mib", "64")
    client = server.client()
    hog = "x = bytearray(256 * 1024 * 1024)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\nprint('survived')\n"
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("echo before", "python3 hog.py"), "hog.py": hog})
    _, job = build(client, path, timeout=60)
    log = log_of(job)
    assert job["summary"]["status"] == "FAILED", log
    reason = job["steps"][0]["statusReason"]
    assert "# Build size: STANDARD_8GB: 4 vCPUs" in log and "64 MiB here, --build-memory-mib" in log
    if "a control group" in log:
        assert reason.startswith("The build ran out of memory: compute type STANDARD_8GB gives it 64 MiB"), reason
        assert "python3 hog.py" in reason and "survived" not in log
    else:
        # No control group here: the rlimit stops the allocation, and the command fails.
        assert "python3 hog.py" in reason


def test_the_database_and_its_write_ahead_log_are_the_servers_only(fresh_server, tmp_path):
    data = tmp_path / "data"
    server = fresh_server(data_dir=str(data))
    server.client().create_app(name="private", environmentVariables={"TOKEN": "secret-value"})
    for name in os.listdir(data):
        mode = stat.S_IMODE(os.stat(data / name).st_mode)
        if os.path.isfile(data / name):
            assert mode == 0o600, (name, oct(mode))
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o711
