"""Builds in a container of their build image under podman (issue 30): `--build-runtime podman|auto`, `--build-image`,
and the app's `_CUSTOM_IMAGE`. The image (build_images.py) is a debootstrap minbase root with git, Node.js and a file and a
tool only it has, in a podman store of its own; the server reaches it through CONTAINERS_STORAGE_CONF."""
import subprocess
import time
import uuid

import pytest

import build_images
from conftest import Server, http_request, store_free, wait_for_status, wait_until
from test_builds import FINISHED, log_of, make_repo, spec, start
from test_secrets import admin

MISSING = build_images.podman_missing()
# Builds in containers have no store behaviour of their own: SQLite only.
pytestmark = [store_free, pytest.mark.skipif(MISSING is not None, reason=f"podman cannot run build containers here: {MISSING}")]

SITE = spec(
    "mkdir -p out",
    "cat /etc/amplify-local-test-image > out/index.html",
    "only-in-the-image >> out/index.html",
    "node --version >> out/index.html",
    "nvm which-one >> out/index.html",
    "pwd >> out/index.html",
    "id -u >> out/index.html",
    'echo "var=$GREETING" >> out/index.html',
    "printenv secrets >> out/index.html",
    extra="  artifacts:\n    baseDirectory: out\n    files:\n      - '**/*'\n",
)


@pytest.fixture(scope="module")
def image():
    return build_images.image()


def container_server(*args, data_dir=None):
    return Server("--build-mode", "run", *args, data_dir=data_dir, env=build_images.environment()).start()


def site(server, app_id):
    status, _, body = http_request(server.port, "GET", "/", {"Host": f"main.{app_id}.localhost:{server.port}"})
    assert status == 200, body
    return body.decode()


def make_app(client, repository, **variables):
    app = client.create_app(name="contained", repository=repository, environmentVariables=variables)["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    return app["appId"]


def long_build_server(image, tmp_path, *commands):
    """A server building in containers of `image`, the data directory, and a repository whose build runs `commands`
    (a ten-minute sleep unless given)."""
    data = str(tmp_path / "data")
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec(*(commands or ("sleep 600",)))})
    return container_server("--build-runtime", "podman", "--build-image", image, data_dir=data), data, path


def start_in_a_container(client, app_id, data):
    """Starts the app's build and waits until its container is there; its job id."""
    job_id = start(client, app_id)
    assert wait_until(lambda: build_images.containers(data), timeout=60)
    return job_id


def test_a_build_runs_in_the_build_image_at_amplifys_path(image, tmp_path):
    path, _ = make_repo(tmp_path / "my-site", {"amplify.yml": SITE})
    server = container_server("--build-runtime", "podman", "--build-image", image, data_dir=str(tmp_path / "data"))
    try:
        client = server.client()
        app_id = make_app(client, path, GREETING="hello")
        assert admin(server, "PUT", f"{app_id}/TOKEN", b"s3cr3t-value")[0] == 200
        job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=120)
        log = log_of(job)
        assert job["summary"]["status"] == "SUCCEED", log
        page = site(server, app_id)
        assert "amplify-local's test build image" in page and "a tool only the image has" in page
        assert f"v{build_images.NODE}" in page
        assert "the image's nvm: which-one" in page and "# nvm: the image's (/root/.nvm)" in log
        workdir = next(line for line in page.splitlines() if line.startswith("/"))
        assert workdir.startswith("/codebuild/output/src") and workdir.endswith("/src/my-site"), page
        # Root in the container (as on Amplify), which is a user of the build's own on the host.
        assert "\n0\n" in page
        assert "var=hello" in page and '{"TOKEN":"s3cr3t-value"}' in page
        assert "s3cr3t-value" not in log
        assert f"# Build image: {image} (--build-image), in a podman container" in log
        assert "limited by podman" in log
        # Nothing left behind.
        assert build_images.containers(str(tmp_path / "data")) == []
    finally:
        server.stop()


def test_custom_image_chooses_the_image_per_app_and_others_build_on_the_host(image, tmp_path):
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec(
        "mkdir -p out", "(cat /etc/amplify-local-test-image 2>/dev/null || echo on-the-host) > out/index.html",
        extra="  artifacts:\n    baseDirectory: out\n    files:\n      - '**/*'\n")})
    server = container_server("--build-runtime", "auto", data_dir=str(tmp_path / "data"))
    try:
        client = server.client()
        contained = make_app(client, path, _CUSTOM_IMAGE=image)
        plain = make_app(client, path)
        jobs = {app_id: start(client, app_id) for app_id in (contained, plain)}
        for app_id, job_id in jobs.items():
            job = wait_for_status(client, app_id, "main", job_id, FINISHED, timeout=120)
            assert job["summary"]["status"] == "SUCCEED", log_of(job)
        assert "amplify-local's test build image" in site(server, contained)
        assert "on-the-host" in site(server, plain)
        assert f"# Build image: {image} (_CUSTOM_IMAGE)" in log_of(client.get_job(appId=contained, branchName="main", jobId="1")["job"])
    finally:
        server.stop()


def test_a_missing_image_fails_the_build_naming_it(image, tmp_path):
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("echo never")})
    server = container_server("--build-runtime", "podman", data_dir=str(tmp_path / "data"))
    try:
        client = server.client()
        app_id = make_app(client, path, _CUSTOM_IMAGE="localhost/amplify-local-missing:1")
        job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=120)
        assert job["summary"]["status"] == "FAILED"
        reason = job["steps"][0]["statusReason"]
        assert "localhost/amplify-local-missing:1" in reason and "could not be pulled" in reason, reason
        # With no image named at all, --build-runtime podman refuses the build and says how to name one.
        other = make_app(client, path)
        job = wait_for_status(client, other, "main", start(client, other), FINISHED, timeout=60)
        assert job["summary"]["status"] == "FAILED" and "_CUSTOM_IMAGE" in job["steps"][0]["statusReason"]
    finally:
        server.stop()


def test_a_memory_hog_is_killed_with_the_sizes_message(image, tmp_path):
    hog = "node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'"
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec(hog)})
    server = container_server("--build-runtime", "podman", "--build-image", image, "--build-memory-mib", "96",
                              data_dir=str(tmp_path / "data"))
    try:
        client = server.client()
        app_id = make_app(client, path)
        job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=120)
        assert job["summary"]["status"] == "FAILED", log_of(job)
        assert "The build ran out of memory" in job["steps"][0]["statusReason"], log_of(job)
    finally:
        server.stop()


def test_stop_job_ends_the_container(image, tmp_path):
    server, data, path = long_build_server(image, tmp_path, "echo started", "sleep 600")
    try:
        client = server.client()
        app_id = make_app(client, path)
        job_id = start_in_a_container(client, app_id, data)
        began = time.monotonic()
        client.stop_job(appId=app_id, branchName="main", jobId=job_id)
        job = wait_for_status(client, app_id, "main", job_id, {"CANCELLED"}, timeout=30)
        assert job["summary"]["status"] == "CANCELLED"
        assert wait_until(lambda: build_images.containers(data) == [], timeout=15)
        # SIGTERM reached the build's processes (the first process passes it on): no 5 s wait for SIGKILL.
        assert time.monotonic() - began < 5, time.monotonic() - began
    finally:
        server.stop()


def test_no_variable_or_secret_is_on_podmans_command_line_or_in_its_record(image, tmp_path):
    server, data, path = long_build_server(image, tmp_path)
    try:
        client = server.client()
        app_id = make_app(client, path, VISIBLE_VARIABLE="variable-value-" + uuid.uuid4().hex)
        assert admin(server, "PUT", f"{app_id}/TOKEN", b"secret-value-in-a-file")[0] == 200
        start_in_a_container(client, app_id, data)
        names = build_images.containers(data)
        command_lines = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        record = build_images.podman("inspect", names[0], capture_output=True, text=True).stdout
        for text in (command_lines, record):
            assert "variable-value-" not in text and "secret-value-in-a-file" not in text
    finally:
        server.stop()


def test_a_server_killed_during_a_build_leaves_no_container(image, tmp_path):
    server, data, path = long_build_server(image, tmp_path)
    try:
        client = server.client()
        app_id = make_app(client, path)
        start_in_a_container(client, app_id, data)
    finally:
        server.kill9()
    # The container outlives the server (conmon holds it) until the next start removes it by its label.
    assert build_images.containers(data)
    server = container_server("--build-runtime", "podman", "--build-image", image, data_dir=data)
    try:
        assert wait_until(lambda: build_images.containers(data) == [], timeout=30)
        job = server.client().get_job(appId=app_id, branchName="main", jobId="1")["job"]
        assert job["summary"]["status"] == "FAILED"
    finally:
        server.stop()


def test_a_server_stopped_during_a_build_removes_its_container(image, tmp_path):
    server, data, path = long_build_server(image, tmp_path)
    try:
        client = server.client()
        app_id = make_app(client, path)
        start_in_a_container(client, app_id, data)
    finally:
        server.stop()
    # SIGTERM cancels the build; its container is removed before the server exits, not left to the next start.
    assert server.process.returncode == 0
    assert build_images.containers(data) == []
