"""SSR apps (WEB_COMPUTE): a build's output in Amplify's deployment specification is served through its routes,
static files from static/ and the rest by its Node.js compute, proxied."""
import io
import json
import os
import shutil
import urllib.request
import zipfile

import pytest

from conftest import http_request, wait_for_status, wait_until
from nextjs_fixture import png
from test_builds import FINISHED, build, log_of, make_repo, real_server, start  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (Debian: nodejs)")

SERVER_JS = r"""
const http = require('http');
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    if (req.url === '/crash') { process.exit(3); }
    if (req.url.startsWith('/stream')) {
      res.writeHead(200, {'Content-Type': 'text/plain'});
      let n = 0;
      const timer = setInterval(() => { res.write('part ' + n + '\n'); if (++n === 5) { clearInterval(timer); res.end('done\n'); } }, 20);
      return;
    }
    res.writeHead(200, {'Content-Type': 'application/json', 'X-Served-By': 'compute'});
    res.end(JSON.stringify({
      method: req.method, url: req.url, body: body, host: req.headers['host'],
      forwardedHost: req.headers['x-forwarded-host'], forwardedFor: req.headers['x-forwarded-for'],
      forwardedProto: req.headers['x-forwarded-proto'],
      env: {branch: process.env.AWS_BRANCH, app: process.env.AWS_APP_ID, node: process.env.NODE_ENV,
            deployment: process.env.AWS_AMPLIFY_DEPLOYMENT_ID, secretVariable: process.env.APP_VARIABLE || null},
      version: process.env.VERSION_MARK || 'VERSION',
    }));
  });
});
server.listen(parseInt(process.env.PORT, 10), '127.0.0.1', () => { console.log('listening on ' + process.env.PORT); console.error('a warning'); });
"""

MANIFEST = {
    "version": 1,
    "framework": {"name": "handmade", "version": "1.0.0"},
    "routes": [
        {"path": "/assets/*", "target": {"kind": "Static", "cacheControl": "public, max-age=31536000, immutable"}},
        {"path": "/*.*", "target": {"kind": "Static"}, "fallback": {"kind": "Compute", "src": "default"}},
        {"path": "/_next/image", "target": {"kind": "ImageOptimization"}},
        {"path": "/*", "target": {"kind": "Compute", "src": "default"}},
    ],
    "computeResources": [{"name": "default", "runtime": "nodejs20.x", "entrypoint": "server.js"}],
    "imageSettings": {"sizes": [640, 1080], "domains": [], "formats": ["image/webp"], "minimumCacheTTL": 60, "dangerouslyAllowSVG": False},
}

SPEC = """version: 1
frontend:
  phases:
    build:
      commands:
        - mkdir -p out/.amplify-hosting/static/assets out/.amplify-hosting/compute/default
        - cp manifest.json out/.amplify-hosting/deploy-manifest.json
        - echo 'body{}' > out/.amplify-hosting/static/assets/site.css
        - echo 'robots' > out/.amplify-hosting/static/robots.txt
        - sed "s/VERSION/$MARK/" server.js > out/.amplify-hosting/compute/default/server.js
  artifacts:
    baseDirectory: out
    files: ['**/*']
"""


def repo(tmp_path, manifest=None, server=SERVER_JS, name="repo", extra=None):
    files = {"amplify.yml": SPEC, "manifest.json": json.dumps(manifest or MANIFEST), "server.js": server, **(extra or {})}
    path, _ = make_repo(tmp_path / name, files)
    return path


def get(server, app_id, path, method="GET", body=None, headers=None):
    status, response_headers, data = http_request(server.port, method, path, {"Host": f"main.{app_id}.localhost", **(headers or {})}, body)
    return status, response_headers, data


def computes(app_id):
    """The pids of Node processes running a compute of the app (not the sandbox's around them)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                environ = open(f"/proc/{entry}/environ", "rb").read().split(b"\0")
                if open(f"/proc/{entry}/comm").read().strip() != "node":
                    continue
            except OSError:
                continue
            if f"AWS_APP_ID={app_id}".encode() in environ and any(v.startswith(b"AWS_AMPLIFY_DEPLOYMENT_ID=") for v in environ):
                found.append(int(entry))
    return found


def test_routes_serve_static_files_and_the_compute(real_server, tmp_path):
    client = real_server.client()
    app_id, job = build(client, repo(tmp_path), app_args={"platform": "WEB_COMPUTE", "environmentVariables": {"MARK": "v1", "APP_VARIABLE": "withheld"}})
    deploy = log_of(job, "DEPLOY")
    assert job["summary"]["status"] == "SUCCEED", (job["steps"][-1].get("statusReason"), deploy)
    assert "# Found out/.amplify-hosting/deploy-manifest.json: handmade 1.0.0, 4 routes" in deploy
    assert "not the app's or branch's environment variables" in deploy and "The compute answers on PORT " in deploy
    assert client.get_branch(appId=app_id, branchName="main")["branch"]["framework"] == "handmade"
    # Static, with the route's Cache-Control.
    status, headers, body = get(real_server, app_id, "/assets/site.css")
    assert status == 200 and body == b"body{}\n" and headers["cache-control"] == "public, max-age=31536000, immutable"
    assert get(real_server, app_id, "/robots.txt")[2] == b"robots\n"
    # Compute: method, path, query, body, forwarded headers, AWS's environment and not the app's variables.
    status, headers, body = get(real_server, app_id, "/api/items?x=1", method="POST", body=b'{"a": 1}', headers={"Content-Type": "application/json"})
    answer = json.loads(body)
    assert status == 200 and headers["x-served-by"] == "compute"
    assert answer["method"] == "POST" and answer["url"] == "/api/items?x=1" and answer["body"] == '{"a": 1}'
    assert answer["host"] == f"main.{app_id}.localhost" and answer["forwardedHost"] == f"main.{app_id}.localhost"
    assert answer["forwardedFor"] == "127.0.0.1" and answer["forwardedProto"] == "http"
    assert answer["env"] == {"branch": "main", "app": app_id, "node": "production", "deployment": "main-1", "secretVariable": None}
    assert answer["version"] == "VERSION"  # the build's variables reach the build, not the compute; the file was made with MARK=v1
    # A large request body streams through whole.
    status, _, body = get(real_server, app_id, "/api/upload", method="POST", body=b"x" * 3_000_000)
    assert status == 200 and len(json.loads(body)["body"]) == 3_000_000
    # A Static route's fallback: no such file → the compute.
    assert json.loads(get(real_server, app_id, "/missing.json")[2])["url"] == "/missing.json"
    # Streaming answers come whole.
    status, _, body = get(real_server, app_id, "/stream")
    assert status == 200 and body == b"".join(f"part {n}\n".encode() for n in range(5)) + b"done\n"
    # ImageOptimization: the contract's parameters checked, the original served.
    assert get(real_server, app_id, "/_next/image?url=/assets/site.css&w=640&q=75")[0] == 200
    assert get(real_server, app_id, "/_next/image?url=/assets/site.css&w=500&q=75")[0] == 400
    assert get(real_server, app_id, "/_next/image?url=https://example.com/a.png&w=640&q=75")[0] == 400
    # The compute's output is kept, and its address is in the DEPLOY log.
    assert f"Its output: GET /_amplify-local/computes/{app_id}/main/output" in deploy
    status, _, body = http_request(real_server.port, "GET", f"/_amplify-local/computes/{app_id}/main/output?account=123456789012")
    text = body.decode()
    assert status == 200 and "compute of deployment main-1 starting: node server.js" in text
    assert "listening on" in text and "a warning" in text
    assert http_request(real_server.port, "GET", f"/_amplify-local/computes/{app_id}/nope/output?account=123456789012")[0] == 404


def test_a_redeploy_switches_to_the_new_compute_and_stops_the_old_one(real_server, tmp_path):
    client = real_server.client()
    path = repo(tmp_path, server=SERVER_JS.replace("'VERSION'", "'first'"))
    app_id, job = build(client, path, app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "SUCCEED"
    assert json.loads(get(real_server, app_id, "/")[2])["version"] == "first"
    first = computes(app_id)
    assert len(first) == 1
    make_repo(tmp_path / "repo", {"server.js": SERVER_JS.replace("'VERSION'", "'second'")}, message="second")
    job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=60)
    assert job["summary"]["status"] == "SUCCEED"
    assert json.loads(get(real_server, app_id, "/")[2])["version"] == "second"
    assert wait_until(lambda: not any(pid in computes(app_id) for pid in first)), "the old compute still runs"
    # Deleting the branch stops its compute.
    client.delete_branch(appId=app_id, branchName="main")
    assert wait_until(lambda: computes(app_id) == []), "a compute outlived its branch"


@pytest.mark.parametrize("change, reason", [
    (lambda m: {**m, "routes": m["routes"][:-1]}, "The last route must be the catch-all /*"),
    (lambda m: {**m, "framework": {"name": "x", "version": "latest"}}, "not a valid semver"),
    (lambda m: {**m, "computeResources": [{"name": "default", "runtime": "nodejs20.x", "entrypoint": "missing.js"}]}, "compute/default/missing.js"),
])
def test_an_invalid_manifest_fails_deploy_with_awss_words(real_server, tmp_path, change, reason):
    client = real_server.client()
    _, job = build(client, repo(tmp_path, manifest=change(MANIFEST)), app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "FAILED"
    step = job["steps"][-1]
    assert step["stepName"] == "DEPLOY"
    assert step["statusReason"].startswith("We failed to validate the deploy-manifest.json file found in your build output directory.")
    assert reason in step["statusReason"] and reason in log_of(job, "DEPLOY")


def test_links_inside_the_output_are_kept_and_links_out_refused(real_server, tmp_path):
    client = real_server.client()
    inside = SPEC.replace("  artifacts:", "        - ln -s assets/site.css out/.amplify-hosting/static/alias.css\n  artifacts:")
    path, _ = make_repo(tmp_path / "inside", {"amplify.yml": inside, "manifest.json": json.dumps(MANIFEST), "server.js": SERVER_JS})
    app_id, job = build(client, path, app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    assert get(real_server, app_id, "/alias.css")[2] == b"body{}\n"
    outside = SPEC.replace("  artifacts:", "        - ln -s /etc/passwd out/.amplify-hosting/static/passwd.txt\n  artifacts:")
    path, _ = make_repo(tmp_path / "outside", {"amplify.yml": outside, "manifest.json": json.dumps(MANIFEST), "server.js": SERVER_JS})
    _, job = build(client, path, app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "FAILED"
    assert "symbolic link static/passwd.txt points outside it (to /etc/passwd)" in job["steps"][-1]["statusReason"]


def test_a_compute_that_crashes_is_started_again(real_server, tmp_path):
    client = real_server.client()
    app_id, job = build(client, repo(tmp_path), app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "SUCCEED"
    before = computes(app_id)
    assert get(real_server, app_id, "/crash")[0] == 502  # the process ended without answering
    status, _, body = get(real_server, app_id, "/after")
    assert status == 200 and json.loads(body)["url"] == "/after"
    assert computes(app_id) and computes(app_id) != before
    status, _, body = http_request(real_server.port, "GET", f"/_amplify-local/computes/{app_id}/main/output?account=123456789012")
    assert "ended (exit code 3)" in body.decode()


def test_the_compute_runs_sandboxed_as_a_user_of_its_own(real_server, tmp_path):
    """As Lambda's: the deployment read-only, /tmp its own; the data directory out of sight; another user than the server."""
    probe = SERVER_JS.replace("res.writeHead(200, {'Content-Type': 'application/json', 'X-Served-By': 'compute'});", """
      const fs = require('fs');
      let writable = true;
      try { fs.writeFileSync('planted.txt', 'x'); } catch (e) { writable = false; }
      fs.writeFileSync('/tmp/scratch', 'ok');
      res.writeHead(200, {'Content-Type': 'application/json'});
      res.end(JSON.stringify({uid: process.getuid(), writable: writable, tmp: fs.readFileSync('/tmp/scratch', 'utf8')}));
      return;""")
    client = real_server.client()
    app_id, job = build(client, repo(tmp_path, server=probe), app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    answer = json.loads(get(real_server, app_id, "/")[2])
    assert answer["tmp"] == "ok"
    if os.geteuid() == 0:
        assert 2_100_000_000 <= answer["uid"] < 2_116_000_000
    if shutil.which("bwrap"):
        assert answer["writable"] is False


def bundle_zip(link_target):
    """A zip of the deployment specification's output with a symbolic link static/alias.css → `link_target`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deploy-manifest.json", json.dumps(MANIFEST))
        archive.writestr("static/assets/site.css", "body{}\n")
        archive.writestr("compute/default/server.js", SERVER_JS)
        link = zipfile.ZipInfo("static/alias.css")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, link_target)
    return buffer.getvalue()


def deploy_zip(client, app_id, data):
    created = client.create_deployment(appId=app_id, branchName="main")
    urllib.request.urlopen(urllib.request.Request(created["zipUploadUrl"], data=data, method="PUT")).close()
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    return wait_for_status(client, app_id, "main", created["jobId"], FINISHED, timeout=60)


def test_a_manual_deployment_of_the_specification_deploys_the_same_way(real_server):
    client = real_server.client()
    app_id = client.create_app(name="manual-ssr", platform="WEB_COMPUTE")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    job = deploy_zip(client, app_id, bundle_zip("assets/site.css"))
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    assert "# Found the upload/deploy-manifest.json: handmade 1.0.0" in log_of(job, "DEPLOY")
    assert get(real_server, app_id, "/alias.css")[2] == b"body{}\n"  # the link inside was kept
    assert json.loads(get(real_server, app_id, "/api")[2])["url"] == "/api"
    job = deploy_zip(client, app_id, bundle_zip("../../../etc/passwd"))
    assert job["summary"]["status"] == "FAILED"
    assert "symbolic link static/alias.css points outside it" in job["steps"][-1]["statusReason"]
    assert json.loads(get(real_server, app_id, "/api")[2])["url"] == "/api"  # the live deployment goes on


def test_a_compute_that_does_not_listen_on_port_fails_deploy_naming_it(real_server, tmp_path):
    client = real_server.client()
    path = repo(tmp_path, server="setInterval(() => {}, 1000);\n")
    _, job = build(client, path, app_args={"platform": "WEB_COMPUTE"}, timeout=60)
    assert job["summary"]["status"] == "FAILED"
    assert "nothing listened on PORT" in job["steps"][-1]["statusReason"]


def test_image_optimization_resizes_with_libvips(real_server, tmp_path):
    spec = SPEC.replace("  artifacts:", "        - cp photo.png out/.amplify-hosting/static/assets/photo.png\n  artifacts:")
    path, _ = make_repo(tmp_path / "images", {"amplify.yml": spec, "manifest.json": json.dumps(MANIFEST), "server.js": SERVER_JS})
    (tmp_path / "images" / "photo.png").write_bytes(png(1200, 800))
    make_repo(tmp_path / "images", {}, message="photo")
    client = real_server.client()
    app_id, job = build(client, path, app_args={"platform": "WEB_COMPUTE"})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    status, headers, body = get(real_server, app_id, "/_next/image?url=%2Fassets%2Fphoto.png&w=640&q=75", headers={"Accept": "image/png,*/*"})
    assert status == 200 and headers["vary"] == "Accept" and headers["cache-control"] == "public, max-age=60"
    if shutil.which("vipsthumbnail") is None:
        assert headers["x-amplify-local-image"].startswith("unoptimized") and body == png(1200, 800)
        return
    assert headers["content-type"] == "image/png" and headers["x-amplify-local-image"].startswith("resized with libvips")
    assert body[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(body[16:20], "big") == 640  # IHDR width
    # WebP for a client that takes it (imageSettings.formats lists it); made once, then served from the cache.
    status, headers, body = get(real_server, app_id, "/_next/image?url=/assets/photo.png&w=1080&q=50", headers={"Accept": "image/avif,image/webp,*/*"})
    assert status == 200 and headers["content-type"] == "image/webp" and body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    assert get(real_server, app_id, "/_next/image?url=/assets/photo.png&w=1080&q=50", headers={"Accept": "image/webp"})[2] == body
    # Not an image libvips reads: the original, said so; a missing one: 404; out of the site: refused.
    status, headers, body = get(real_server, app_id, "/_next/image?url=/assets/site.css&w=640&q=75")
    assert status == 200 and body == b"body{}\n" and headers["x-amplify-local-image"].startswith("unoptimized")
    assert get(real_server, app_id, "/_next/image?url=/assets/none.png&w=640&q=75")[0] == 404
    assert get(real_server, app_id, "/_next/image?url=/../deploy-manifest.json&w=640&q=75")[0] in (400, 404)
