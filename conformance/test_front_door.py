"""What a newcomer meets first: the help, start-up failures, relative repositories, stopping and deleting a job."""
import os
import socket
import subprocess
import time

from conftest import Server, binary_path, http_request, wait_for_status
from test_builds import FINISHED, SITE, log_of, make_repo, spec, start

STOPPED = "The job was stopped (StopJob) before it finished."


def run_binary(*args, cwd=None, timeout=20, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AMPLIFY_LOCAL_")} | (env or {})
    return subprocess.run([binary_path(), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=environment)


def test_help_shows_the_serve_options_at_the_top_level():
    result = run_binary("--help")
    assert result.returncode == 0
    for option in ("--port", "--data-dir", "--in-memory", "--build-mode", "--auth", "--database"):
        assert option in result.stdout, option
    assert "serve" in result.stdout
    assert "no files at all" not in result.stdout
    assert "temporary folder" in result.stdout


def test_a_data_dir_that_cannot_be_made_is_one_line_naming_the_flag(tmp_path):
    result = run_binary("--data-dir", "/proc/amplify-local-x", "--port", "0", cwd=tmp_path)
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == ["Error: --data-dir /proc/amplify-local-x: cannot create /proc/amplify-local-x: No such file or directory."], lines


def test_a_port_in_use_is_one_line_and_leaves_no_data_directory(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data = tmp_path / "state"
        result = run_binary("--port", str(port), "--data-dir", str(data), "--build-mode", "simulate", cwd=tmp_path)
    assert result.returncode != 0
    output = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(output) == 1, output
    assert output[0].startswith(f"Error: --port {port}: 127.0.0.1:{port} is already in use"), output
    assert "CancellationError" not in result.stderr
    assert not data.exists()


def test_a_relative_repository_is_on_this_machine_and_built_for_real(tmp_path):
    make_repo(tmp_path / "site", {"amplify.yml": SITE})
    server = Server(cwd=str(tmp_path)).start()  # build mode auto
    try:
        client = server.client()
        app = client.create_app(name="relative", repository="./site", environmentVariables={"GREETING": "relative"})["app"]
        client.create_branch(appId=app["appId"], branchName="main")
        job = wait_for_status(client, app["appId"], "main", start(client, app["appId"]), FINISHED, timeout=30)
        assert job["summary"]["status"] == "SUCCEED", job
        assert "Cloning repository: ./site" in log_of(job)
        status, _, body = http_request(server.port, "GET", "/", {"Host": f"main.{app['appId']}.localhost"})
        assert status == 200 and b"<h1>relative</h1>" in body
    finally:
        server.stop()


def test_a_stopped_job_says_so_and_cannot_be_deleted_while_it_stops(fresh_server, tmp_path):
    server = fresh_server("--build-mode", "run")
    client = server.client()
    # The build ignores SIGTERM, so the job stays CANCELLING until the SIGKILL that follows 5 s later.
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("trap '' TERM", "echo started", "sleep 60")})
    app = client.create_app(name="stop", repository=path)["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    job_id = start(client, app["appId"])
    deadline = time.monotonic() + 20
    while "started" not in log_of(wait_for_status(client, app["appId"], "main", job_id, ("RUNNING",))):
        assert time.monotonic() < deadline, "the build never started"
        time.sleep(0.1)
    assert client.stop_job(appId=app["appId"], branchName="main", jobId=job_id)["jobSummary"]["status"] == "CANCELLING"
    try:
        client.delete_job(appId=app["appId"], branchName="main", jobId=job_id)
        raise AssertionError("DeleteJob of a stopping job succeeded")
    except client.exceptions.BadRequestException as error:
        assert str(error).endswith(f"Job {job_id} is still stopping (CANCELLING) and cannot be deleted yet.")
    job = wait_for_status(client, app["appId"], "main", job_id, FINISHED, timeout=20)
    assert job["summary"]["status"] == "CANCELLED"
    build = next(step for step in job["steps"] if step["stepName"] == "BUILD")
    assert build["status"] == "CANCELLED" and build["statusReason"] == STOPPED
    assert log_of(job).rstrip().endswith(STOPPED)
    client.delete_job(appId=app["appId"], branchName="main", jobId=job_id)



def test_a_machine_without_git_simulates_in_auto_and_refuses_run(tmp_path):
    """What a binary needs at run time is checked at start: real builds need git, bash and tar on PATH."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("bash", "tar"):  # everything a build needs but git
        os.symlink(subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip(), tools / tool)
    result = subprocess.run([binary_path(), "--build-mode", "run", "--port", "0", "--in-memory"], capture_output=True, text=True,
                            timeout=20, env={"PATH": str(tools)})
    assert result.returncode != 0
    assert "--build-mode run: real builds need git, bash and tar on PATH; git not found" in result.stderr

    make_repo(tmp_path / "site", {"amplify.yml": SITE})
    server = Server(log_path=str(tmp_path / "server.log"), env={"PATH": str(tools)}).start()  # build mode auto
    try:
        client = server.client()
        app = client.create_app(name="no-git", repository=str(tmp_path / "site"))["app"]
        client.create_branch(appId=app["appId"], branchName="main")
        job = wait_for_status(client, app["appId"], "main", start(client, app["appId"]), FINISHED, timeout=30)
        assert job["summary"]["status"] == "SUCCEED"
        assert "git not found on this machine's PATH" in log_of(job)
        assert (tmp_path / "server.log").read_text().count("Builds are simulated: git not found on PATH") == 1
    finally:
        server.stop()
