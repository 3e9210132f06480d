"""No build spec anywhere: the framework is detected from the repository as Amplify does, and built."""
import json
import shutil

import pytest

from conftest import http_request
from test_builds import build, log_of, make_repo, real_server  # noqa: F401 (a fixture)

PACKAGE = {"name": "site", "version": "1.0.0", "private": True, "scripts": {"build": "node build.js"}}
LOCK = {
    "name": "site", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
    "packages": {"": {"name": "site", "version": "1.0.0"}},
}
BUILD_JS = (
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist/assets', {recursive: true});\n"
    "fs.writeFileSync('dist/index.html', '<h1>built by ' + process.env.npm_command + '</h1>');\n"
    "fs.writeFileSync('dist/assets/app.js', 'console.log(1)');\n"
)


def page(server, app_id, path="/"):
    status, _, body = http_request(server.port, "GET", path, {"Host": f"main.{app_id}.localhost"})
    return status, body.decode(errors="replace")


def framework(client, app_id):
    return client.get_branch(appId=app_id, branchName="main")["branch"].get("framework")


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs npm (Debian: nodejs, npm)")
@pytest.mark.parametrize("lockfile, install", [(True, "npm ci"), (False, "npm install")])
def test_a_package_json_with_a_build_script_is_installed_and_built(real_server, tmp_path, lockfile, install):
    files = {"package.json": json.dumps(PACKAGE), "build.js": BUILD_JS}
    if lockfile:
        files["package-lock.json"] = json.dumps(LOCK)
    path, _ = make_repo(tmp_path / "repo", files)
    client = real_server.client()
    app_id, job = build(client, path, timeout=120)
    log = log_of(job)
    assert job["summary"]["status"] == "SUCCEED", log
    assert "# No build spec: the branch and the app have no buildSpec, and the repository has no amplify.yml." in log
    assert "# Detected Web from package.json (build script \"node build.js\"" in log
    assert f"# Executing command: {install}" in log and "# Executing command: npm run build" in log
    assert page(real_server, app_id) == (200, "<h1>built by run-script</h1>")
    assert page(real_server, app_id, "/assets/app.js")[0] == 200
    assert framework(client, app_id) == "Web"


def test_a_framework_set_on_the_branch_is_kept(real_server, tmp_path):
    path, _ = make_repo(tmp_path / "repo", {"index.html": "<h1>plain</h1>"})
    client = real_server.client()
    app_id, job = build(client, path, branch_args={"framework": "My own"})
    assert job["summary"]["status"] == "SUCCEED"
    assert framework(client, app_id) == "My own"


def test_plain_html_deploys_the_repository_without_git(real_server, tmp_path):
    path, _ = make_repo(tmp_path / "repo", {"index.html": "<h1>plain</h1>", "css/site.css": "h1{}"})
    client = real_server.client()
    app_id, job = build(client, path)
    log = log_of(job)
    assert job["summary"]["status"] == "SUCCEED", log
    assert "# Detected Web from index.html and no package.json." in log and "deployed as it is" in log
    assert page(real_server, app_id) == (200, "<h1>plain</h1>")
    assert page(real_server, app_id, "/css/site.css")[0] == 200
    assert page(real_server, app_id, "/.git/HEAD")[1] != open(f"{path}/.git/HEAD").read()
    assert framework(client, app_id) == "Web"


@pytest.mark.skipif(shutil.which("hugo") is None, reason="needs hugo (Debian: hugo)")
def test_a_hugo_site_is_built_with_hugo(real_server, tmp_path):
    files = {
        "hugo.toml": "baseURL = '/'\ntitle = 'Detected'\ndisableKinds = ['taxonomy', 'term', 'RSS', 'sitemap']\n",
        "layouts/index.html": "<h1>{{ .Site.Title }} by Hugo</h1>\n",
    }
    path, _ = make_repo(tmp_path / "repo", files)
    client = real_server.client()
    app_id, job = build(client, path, timeout=60)
    log = log_of(job)
    assert job["summary"]["status"] == "SUCCEED", log
    assert "# Detected Hugo from hugo.toml." in log and "# Executing command: hugo" in log
    status, body = page(real_server, app_id)
    assert status == 200 and "Detected by Hugo" in body
    assert framework(client, app_id) == "Hugo"


@pytest.mark.parametrize(
    "files, reason",
    [
        ({"README.md": "nothing"}, "no framework detected (no package.json with a build script, no Hugo configuration, no index.html): add an amplify.yml"),
        ({"package.json": json.dumps({"name": "x", "scripts": {"test": "true"}})}, "package.json has no build script"),
        ({"package.json": "{not json"}, "package.json is not a JSON object"),
        ({"package.json": json.dumps(PACKAGE), "yarn.lock": ""}, "yarn.lock, but yarn is not installed"),
        ({"package.json": json.dumps(PACKAGE), "pnpm-lock.yaml": ""}, "pnpm-lock.yaml, but pnpm is not installed"),
        (
            {"package.json": json.dumps({**PACKAGE, "scripts": {"build": "next build"}, "dependencies": {"next": "15.0.0"}})},
            "Detected Next.js - SSR",
        ),
        ({"package.json": json.dumps(PACKAGE), "build.js": "console.log('no output')"}, "none of the output folders Web builds into was made"),
    ],
)
def test_what_cannot_be_detected_or_built_fails_saying_why(real_server, tmp_path, files, reason):
    if "yarn.lock" in files and (shutil.which("yarn") or shutil.which("yarnpkg")):
        pytest.skip("yarn is installed here")
    if "pnpm-lock.yaml" in files and shutil.which("pnpm"):
        pytest.skip("pnpm is installed here")
    if "build.js" in files and shutil.which("npm") is None:
        pytest.skip("needs npm")
    path, _ = make_repo(tmp_path / "repo", files)
    client = real_server.client()
    _, job = build(client, path, timeout=120)
    assert job["summary"]["status"] == "FAILED"
    assert reason in job["steps"][0]["statusReason"]
