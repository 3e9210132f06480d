"""Next.js SSR as Amplify hosts it (issue 27): a WEB_COMPUTE app whose artifacts are `.next` is built with
NEXT_PRIVATE_STANDALONE and its standalone output deployed as a compute, `/_next/static` and `public/` as static
files, `/_next/image` through image optimization; the failures in AWS's words; a static export stays static; a
monorepo's server.js is found through relativeAppDir; Nuxt's `.amplify-hosting` (Nitro's Amplify preset) serves.

The apps are made by `nextjs_fixture` (a `next` of Node's built-in modules that writes what `next build` 15 writes).
"""
import base64
import json
import os
import re
import shutil
import time

import pytest

from conftest import http_request, wait_for_status, wait_until
from nextjs_fixture import NEXT_VERSION, make_next_repo, write_repo
from test_builds import FINISHED, log_of, start

pytestmark = pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None, reason="needs Node.js and npm (Debian: nodejs, npm)")

IMMUTABLE = "public, max-age=31536000, immutable"
ROUTES = (
    "# Routes: /_next/image → ImageOptimization, /_next/static/* → Static (public, max-age=31536000, immutable), "
    "/*.* → Static, else Compute default, /* → Compute default."
)


@pytest.fixture
def next_server(data_dir, fresh_server):
    """A server that builds for real, with its data in `data_dir` (the tests look at the deployed files)."""
    server = fresh_server("--build-mode", "auto", data_dir=data_dir)
    server.data_dir = data_dir
    return server


def build(client, path, platform="WEB_COMPUTE", variables=None, branch_args=None, timeout=120):
    app = client.create_app(name="next", repository=path, platform=platform, environmentVariables=variables or {})["app"]
    client.create_branch(appId=app["appId"], branchName="main", **(branch_args or {}))
    return app["appId"], wait_for_status(client, app["appId"], "main", start(client, app["appId"]), FINISHED, timeout=timeout)


def get(server, app_id, path, method="GET", headers=None, body=None):
    return http_request(server.port, method, path, {"Host": f"main.{app_id}.localhost", **(headers or {})}, body)


def failure(job):
    """The failed step ({} when none failed)."""
    return next((step for step in job["steps"] if step["status"] == "FAILED"), {})


def deployed(server, name):
    """The deployed files (and folders) called `name`, in hidden folders too (`.next`)."""
    return [os.path.join(folder, name) for folder, folders, files in os.walk(server.data_dir) if name in files or name in folders]


def test_a_standalone_next_app_builds_and_serves_as_amplify_serves_it(next_server, tmp_path):
    client = next_server.client()
    app_id, job = build(client, make_next_repo(tmp_path / "web"))
    build_log, deploy_log = log_of(job), log_of(job, "DEPLOY")
    assert job["summary"]["status"] == "SUCCEED", (failure(job).get("statusReason"), build_log, deploy_log)
    # The variable reached the build (the fixture's next writes standalone/ only then), logged as Amplify logged it.
    assert "[INFO]: Setting NEXT_PRIVATE_STANDALONE=true to produce .next/standalone directory" in build_log
    assert "NEXT_PRIVATE_STANDALONE=true" in build_log and f"▲ Next.js {NEXT_VERSION}" in build_log
    assert f"# Next.js {NEXT_VERSION} server build: .next/standalone/server.js is the compute's entrypoint." in build_log
    assert "# Generated deploy-manifest.json from the Next.js standalone output in .next" in deploy_log
    assert f"Next.js {NEXT_VERSION}, 4 routes" in deploy_log and ROUTES in deploy_log
    assert client.get_branch(appId=app_id, branchName="main")["branch"]["framework"] == "Next.js - SSR"

    # The generated manifest beside the deployment.
    [manifest_file] = deployed(next_server, "deploy-manifest.json")
    manifest = json.load(open(manifest_file))
    assert manifest["framework"] == {"name": "Next.js", "version": NEXT_VERSION}
    assert manifest["computeResources"] == [{"name": "default", "runtime": "nodejs20.x", "entrypoint": "server.js"}]
    assert manifest["imageSettings"]["sizes"] == [640, 750, 828, 1080, 1200, 1920, 2048, 3840, 16, 32, 48, 64, 96, 128, 256, 384]
    assert manifest["imageSettings"]["formats"] == ["image/webp"] and manifest["imageSettings"]["minimumCacheTTL"] == 60

    # The page, from the compute (Next's own headers), referencing its hashed chunks.
    status, headers, body = get(next_server, app_id, "/")
    page = body.decode()
    assert status == 200 and "<h1>Hello from Next.js</h1>" in page, page
    assert headers["x-powered-by"] == "Next.js" and headers["x-nextjs-cache"] == "HIT"
    assets = re.findall(r'(?:src|href)="(/_next/static/[^"]+)"', page)
    assert any(asset.endswith(".js") for asset in assets) and any(asset.endswith(".css") for asset in assets)
    for asset in assets:
        status, headers, body = get(next_server, app_id, asset)
        assert status == 200 and body and headers["cache-control"] == IMMUTABLE, asset
        assert "x-powered-by" not in headers  # static, not the compute
    build_id = open(next(path for path in deployed(next_server, "BUILD_ID") if path.endswith("/compute/default/.next/BUILD_ID"))).read()
    status, headers, body = get(next_server, app_id, f"/_next/static/{build_id}/_buildManifest.js")
    assert status == 200 and body.startswith(b"self.__BUILD_MANIFEST=") and headers["cache-control"] == IMMUTABLE
    assert get(next_server, app_id, "/_next/static/chunks/missing-0000.js")[0] == 404

    # public/: files with a dot as static files, the others by Next's server (public/ is beside server.js too).
    status, headers, body = get(next_server, app_id, "/robots.txt")
    assert status == 200 and body == b"User-agent: *\nAllow: /\n" and "x-powered-by" not in headers
    status, headers, _ = get(next_server, app_id, "/images/photo.png")
    assert status == 200 and headers["content-type"] == "image/png"
    status, headers, body = get(next_server, app_id, "/LICENSE")
    assert status == 200 and headers["x-powered-by"] == "Next.js" and b"served by the Next.js server" in body

    # Route handlers, dynamic routes, the not-found page: all Next's.
    status, headers, body = get(next_server, app_id, "/api/hello")
    answer = json.loads(body)
    assert status == 200 and answer["hello"] == "world" and answer["nodeEnv"] == "production"
    assert answer["host"] == f"main.{app_id}.localhost" and answer["hostname"] in ("0.0.0.0", "127.0.0.1") and answer["port"]
    status, _, body = get(next_server, app_id, "/api/hello", method="POST", body=b"ping")
    assert status == 201 and json.loads(body) == {"received": "ping"}
    status, headers, body = get(next_server, app_id, "/blog/first-post")
    assert status == 200 and "<h1>Post first-post</h1>" in body.decode() and headers["cache-control"].startswith("private, no-cache")
    status, _, body = get(next_server, app_id, "/no-such-page")
    assert status == 404 and "This page could not be found." in body.decode()
    status, _, body = get(next_server, app_id, "/missing.json")  # a dot, no such file: the compute's 404
    assert status == 404 and "This page could not be found." in body.decode()

    # /_next/image through the image optimization, with the build's image sizes.
    status, headers, body = get(next_server, app_id, "/_next/image?url=%2Fimages%2Fphoto.png&w=640&q=75", headers={"Accept": "image/avif,image/webp,*/*"})
    assert status == 200 and "x-amplify-local-image" in headers and headers["vary"] == "Accept"
    if shutil.which("vipsthumbnail"):
        assert headers["content-type"] == "image/webp" and body[:4] == b"RIFF" and headers["x-amplify-local-image"].startswith("resized with libvips")
    assert get(next_server, app_id, "/_next/image?url=%2Fimages%2Fphoto.png&w=16&q=75")[0] == 200  # an imageSizes width
    assert get(next_server, app_id, "/_next/image?url=%2Fimages%2Fphoto.png&w=500&q=75")[0] == 400  # not one of them

    # ISR: the stale page is made again and written into the deployment's .next/server/app (writable by the compute,
    # which runs as a user of its own in a read-only deployment), its data into .next/cache/fetch-cache.
    [isr_file] = [path for path in deployed(next_server, "isr.html") if "/compute/default/.next/server/app/" in path]
    built = open(isr_file).read()
    # Asked until its revalidate second has passed (fresh until then: HIT, the page built): then STALE, still that page.
    answer = wait_until(lambda: (answer := get(next_server, app_id, "/isr"))[1].get("x-nextjs-cache") != "HIT" and answer, timeout=10)
    assert answer, "the ISR page was never stale"
    status, headers, body = answer
    assert status == 200 and headers["x-nextjs-cache"] == "STALE" and body.decode() == built
    deadline = time.monotonic() + 10
    # Written whole once it ends as a page does (the write is not atomic, as Next's is not).
    while ((regenerated := open(isr_file).read()) == built or not regenerated.endswith("</html>")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert regenerated != built, "the ISR page was not written again"
    status, headers, body = get(next_server, app_id, "/isr")
    assert status == 200 and headers["x-nextjs-cache"] == "HIT" and body.decode() == regenerated
    assert [path for path in deployed(next_server, "fetch-cache") if "/compute/default/.next/cache/" in path]
    output = http_request(next_server.port, "GET", f"/_amplify-local/computes/{app_id}/main/output?account=123456789012")[2].decode()
    assert "✓ Ready in" in output and "Failed to update prerender cache" not in output, output
    # The cache is the compute's (a user of its own under a root server); the rest of the deployment is not.
    [server_js] = deployed(next_server, "server.js")
    if os.geteuid() == 0:
        assert os.stat(isr_file).st_uid >= 2_100_000_000 and os.stat(server_js).st_uid != os.stat(isr_file).st_uid


def test_custom_headers_and_basic_auth_apply_to_a_next_app(next_server, tmp_path):
    client = next_server.client()
    credentials = base64.b64encode(b"user:secret").decode()
    app = client.create_app(
        name="next", repository=make_next_repo(tmp_path / "web"), platform="WEB_COMPUTE",
        customHeaders="customHeaders:\n  - pattern: '**/*'\n    headers:\n      - key: X-Frame-Options\n        value: DENY\n",
    )["app"]
    app_id = app["appId"]
    client.create_branch(appId=app_id, branchName="main", enableBasicAuth=True, basicAuthCredentials=credentials)
    job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=120)
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    status, headers, _ = get(next_server, app_id, "/")
    assert status == 401 and headers["www-authenticate"].startswith("Basic")
    authorized = {"Authorization": f"Basic {credentials}"}
    for path, by_compute in (("/", True), ("/api/hello", True), ("/robots.txt", False)):
        status, headers, _ = get(next_server, app_id, path, headers=authorized)
        assert status == 200 and headers["x-frame-options"] == "DENY", path
        assert ("x-powered-by" in headers) == by_compute, path


@pytest.mark.parametrize("command, step, reason", [
    ("rm .next/required-server-files.json", "BUILD", "Can't find required-server-files.json in build output directory"),
    ("rm -rf .next/standalone", "BUILD", "Standalone directory not found in .next/standalone. Please enable output standalone on your next.config.js file or set NEXT_PRIVATE_STANDALONE=true."),
    ("rm .next/standalone/server.js", "BUILD", "The standalone directory .next/standalone is missing a server.js file"),
    ("rm -rf .next/standalone/node_modules .next/standalone/vendor", "BUILD", "The 'node_modules' folder is missing the 'next' dependency."),
    ("truncate -s 240M .next/standalone/large.bin", "DEPLOY", "exceeds the max allowed size of230686720 bytes. Please reduce the size ofyour build output and try again."),
    ("ln -s /etc/passwd public/passwd.txt", "DEPLOY", "symbolic link static/passwd.txt points outside it (to /etc/passwd)"),
])
def test_an_output_amplify_cannot_deploy_fails_with_amplifys_reason(next_server, tmp_path, command, step, reason):
    client = next_server.client()
    _, job = build(client, make_next_repo(tmp_path / "web", extra_build=[command]))
    assert job["summary"]["status"] == "FAILED"
    failed = failure(job)
    assert failed["stepName"] == step and reason in failed["statusReason"], failed
    if step == "BUILD":
        assert f"[ERROR]: !!! CustomerError: {reason}" in log_of(job)
    assert "NEXT_PRIVATE_STANDALONE=true" in log_of(job)


def test_the_variable_is_set_only_for_compute_apps_and_an_apps_own_value_is_kept(next_server, tmp_path):
    client = next_server.client()
    path = make_next_repo(tmp_path / "web")
    # A WEB app: no variable, so next build writes no standalone/; its .next is deployed as files, with a warning.
    _, job = build(client, path, platform="WEB")
    log = log_of(job)
    assert job["summary"]["status"] == "SUCCEED", log
    assert "NEXT_PRIVATE_STANDALONE=unset" in log and "Setting NEXT_PRIVATE_STANDALONE" not in log
    assert ".next is a Next.js build output, and the app's platform is WEB" in log
    # The app's own value reaches the build as it is.
    app_id, job = build(client, path, variables={"NEXT_PRIVATE_STANDALONE": "1"})
    log = log_of(job)
    assert job["summary"]["status"] == "SUCCEED", (log, log_of(job, "DEPLOY"))
    assert "NEXT_PRIVATE_STANDALONE=1" in log and "# NEXT_PRIVATE_STANDALONE is set by the app or branch (1): kept." in log
    assert "Setting NEXT_PRIVATE_STANDALONE" not in log
    assert get(next_server, app_id, "/")[0] == 200


@pytest.mark.parametrize("base", [".next", "out"])
def test_a_static_export_stays_static(next_server, tmp_path, base):
    client = next_server.client()
    app_id, job = build(client, make_next_repo(tmp_path / "web", export=True, base=base))
    deploy_log = log_of(job, "DEPLOY")
    assert job["summary"]["status"] == "SUCCEED", (failure(job).get("statusReason"), deploy_log)
    if base == ".next":
        assert "the static export in out is deployed as static files (Next.js - SSG)" in deploy_log
    assert "deploy-manifest" not in deploy_log.replace("No deploy-manifest.json in out", "")
    assert client.get_branch(appId=app_id, branchName="main")["branch"]["framework"] == "Next.js - SSG"
    status, headers, body = get(next_server, app_id, "/")
    assert status == 200 and "<h1>Hello from Next.js</h1>" in body.decode() and "x-powered-by" not in headers
    chunk = re.findall(r'src="(/_next/static/chunks/[^"]+\.js)"', body.decode())[0]
    assert get(next_server, app_id, chunk)[0] == 200
    assert get(next_server, app_id, "/robots.txt")[2] == b"User-agent: *\nAllow: /\n"
    assert not deployed(next_server, "server.js")


def test_a_monorepo_apps_server_js_is_found_through_relative_app_dir(next_server, tmp_path):
    client = next_server.client()
    app_id, job = build(client, make_next_repo(tmp_path / "mono", monorepo=True), variables={"AMPLIFY_MONOREPO_APP_ROOT": "apps/web"})
    build_log, deploy_log = log_of(job), log_of(job, "DEPLOY")
    assert job["summary"]["status"] == "SUCCEED", (failure(job).get("statusReason"), build_log, deploy_log)
    assert "Setting NEXT_PRIVATE_STANDALONE=true" in build_log
    assert "# Next.js 15.5.4 server build: apps/web/.next/standalone/apps/web/server.js is the compute's entrypoint." in build_log
    [manifest_file] = deployed(next_server, "deploy-manifest.json")
    assert json.load(open(manifest_file))["computeResources"][0]["entrypoint"] == "apps/web/server.js"
    status, headers, body = get(next_server, app_id, "/")
    assert status == 200 and "<h1>Hello from Next.js</h1>" in body.decode() and headers["x-powered-by"] == "Next.js"
    chunk = re.findall(r'src="(/_next/static/chunks/[^"]+\.js)"', body.decode())[0]
    status, headers, _ = get(next_server, app_id, chunk)
    assert status == 200 and headers["cache-control"] == IMMUTABLE
    assert json.loads(get(next_server, app_id, "/api/hello")[2])["hello"] == "world"
    assert get(next_server, app_id, "/robots.txt")[2] == b"User-agent: *\nAllow: /\n"
    # next's package was traced as Next traces it: node_modules/next a link to the copied vendor/next.
    [link] = [path for path in deployed(next_server, "next") if path.endswith("/compute/default/node_modules/next")]
    assert os.path.islink(link) and os.readlink(link) == "../vendor/next"


def test_without_a_build_spec_a_next_app_on_web_compute_is_detected_as_ssr(next_server, tmp_path):
    client = next_server.client()
    app_id, job = build(client, make_next_repo(tmp_path / "web", spec=False))
    log = log_of(job)
    assert job["summary"]["status"] == "SUCCEED", (failure(job).get("statusReason"), log)
    assert "# Detected Next.js - SSR from package.json" in log and "Setting NEXT_PRIVATE_STANDALONE=true" in log
    assert client.get_branch(appId=app_id, branchName="main")["branch"]["framework"] == "Next.js - SSR"
    assert "<h1>Hello from Next.js</h1>" in get(next_server, app_id, "/")[2].decode()


# Nuxt: Nitro picks its aws-amplify preset when it sees AWS_APP_ID (std-env's provider table) and writes
# .amplify-hosting; amplify-local sets no NITRO_PRESET, as Amplify sets none. A `nuxt` of the repository's own that
# builds as Nitro's preset does (its manifest's routes are Nitro's).
NUXT_BIN = r"""#!/usr/bin/env node
const fs = require('fs')
const path = require('path')
const amplify = !!process.env.AWS_APP_ID
console.log('Nuxt 3.13.2 with Nitro 2.9.7')
console.log('\u2139 Building for Nitro preset: ' + (amplify ? 'aws-amplify' : 'node-server'))
const out = amplify ? '.amplify-hosting' : '.output'
fs.rmSync(out, { recursive: true, force: true })
const statics = amplify ? path.join(out, 'static') : path.join(out, 'public')
const server = amplify ? path.join(out, 'compute', 'default') : path.join(out, 'server')
fs.mkdirSync(path.join(statics, '_nuxt'), { recursive: true })
fs.mkdirSync(server, { recursive: true })
fs.writeFileSync(path.join(statics, '_nuxt', 'entry.B1a2c3.js'), 'console.log("nuxt client")')
fs.writeFileSync(path.join(statics, 'favicon.txt'), 'icon')
fs.writeFileSync(path.join(server, amplify ? 'server.js' : 'index.mjs'), `const http = require('http')
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html', 'X-Powered-By': 'Nuxt' })
  res.end('<div id="__nuxt"><h1>Hello from Nuxt</h1><script src="/_nuxt/entry.B1a2c3.js"></script></div>' + req.url)
}).listen(parseInt(process.env.PORT, 10) || 3000)
`)
if (amplify) {
  fs.writeFileSync(path.join(out, 'deploy-manifest.json'), JSON.stringify({
    version: 1,
    routes: [
      { path: '/_nuxt/*', target: { kind: 'Static', cacheControl: 'public, max-age=31536000, immutable' } },
      { path: '/*.*', target: { kind: 'Static' }, fallback: { kind: 'Compute', src: 'default' } },
      { path: '/*', target: { kind: 'Compute', src: 'default' } },
    ],
    computeResources: [{ name: 'default', entrypoint: 'server.js', runtime: 'nodejs20.x' }],
    framework: { name: 'nuxt', version: '3.13.2' },
  }, null, 2))
}
console.log('[success] [nitro] Nuxt Nitro server built')
"""


def nuxt_files(spec):
    files = {
        "package.json": json.dumps({"name": "shop", "version": "1.0.0", "private": True, "scripts": {"build": "nuxt build"},
                                    "dependencies": {"nuxt": "file:vendor/nuxt"}}),
        "package-lock.json": json.dumps({"name": "shop", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": {
            "": {"name": "shop", "version": "1.0.0", "dependencies": {"nuxt": "file:vendor/nuxt"}},
            "node_modules/nuxt": {"resolved": "vendor/nuxt", "link": True},
            "vendor/nuxt": {"version": "3.13.2", "bin": {"nuxt": "bin/nuxt"}}}}),
        "vendor/nuxt/package.json": json.dumps({"name": "nuxt", "version": "3.13.2", "bin": {"nuxt": "bin/nuxt"}}),
        "vendor/nuxt/bin/nuxt": NUXT_BIN,
        ".npmrc": "audit=false\nfund=false\nupdate-notifier=false\noffline=true\n",
    }
    if spec:
        files["amplify.yml"] = ("version: 1\nfrontend:\n  phases:\n    preBuild:\n      commands:\n        - npm ci\n    build:\n      commands:\n"
                                "        - npm run build\n  artifacts:\n    baseDirectory: .amplify-hosting\n    files:\n      - '**/*'\n")
    return files


@pytest.mark.parametrize("spec", [True, False], ids=["amplify.yml", "detected"])
def test_a_nuxt_app_whose_build_writes_amplify_hosting_is_served_as_a_compute(next_server, tmp_path, spec):
    path = write_repo(tmp_path / "shop", nuxt_files(spec))
    client = next_server.client()
    app_id, job = build(client, path)
    build_log, deploy_log = log_of(job), log_of(job, "DEPLOY")
    assert job["summary"]["status"] == "SUCCEED", (failure(job).get("statusReason"), build_log, deploy_log)
    assert "Building for Nitro preset: aws-amplify" in build_log and "NITRO_PRESET" not in build_log
    if not spec:
        assert "# Detected Nuxt from package.json" in build_log
    assert "deploy-manifest.json: nuxt 3.13.2, 3 routes" in deploy_log
    status, headers, body = get(next_server, app_id, "/products/1")
    assert status == 200 and headers["x-powered-by"] == "Nuxt" and body.endswith(b"/products/1")
    status, headers, _ = get(next_server, app_id, "/_nuxt/entry.B1a2c3.js")
    assert status == 200 and headers["cache-control"] == IMMUTABLE
    assert get(next_server, app_id, "/favicon.txt")[2] == b"icon"


def test_skew_protection_keeps_serving_a_clients_next_deployment(next_server, tmp_path):
    client = next_server.client()
    path = make_next_repo(tmp_path / "web")
    app_id, job = build(client, path, branch_args={"enableSkewProtection": True})
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    first = get(next_server, app_id, "/")[2].decode()
    [old_chunk] = re.findall(r'src="(/_next/static/chunks/main-app-[^"]+\.js)"', first)
    write_repo(path, {"app/page.js": "exports.default = () => '<main><h1>Hello again</h1></main>'\n"}, message="second")
    job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=120)
    assert job["summary"]["status"] == "SUCCEED", log_of(job, "DEPLOY")
    assert "<h1>Hello again</h1>" in get(next_server, app_id, "/")[2].decode()
    # The first deployment's client: its page from its own compute, its chunks from its own static files.
    status, _, body = get(next_server, app_id, "/", headers={"X-Amplify-Dpl": "main-1"})
    assert status == 200 and body.decode() == first
    assert get(next_server, app_id, old_chunk)[0] == 404  # the live deployment has other chunks
    status, headers, _ = get(next_server, app_id, old_chunk + "?dpl=main-1")
    assert status == 200 and headers["cache-control"] == IMMUTABLE
