"""Hosting: every branch's live site at http://<displayName>.<appId>.localhost:<port>/, on the API's port."""
import base64
import http.server
import io
import os
import threading
import time
import urllib.request
import zipfile

import pytest

from conftest import http_request, wait_for_status, wait_until

FINISHED = ("SUCCEED", "FAILED", "CANCELLED")


def make_zip(files, links=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        for name, target in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, target)
    return buffer.getvalue()


def put(url, body):
    request = urllib.request.Request(url, data=body, method="PUT")
    with urllib.request.urlopen(request) as response:
        return response.status


class Site:
    """Requests to one branch's site, by Host header, on the server's port."""

    def __init__(self, server, app_id, display="main"):
        self.port = server.port
        self.host = f"{display}.{app_id}.localhost:{server.port}" if display else f"{app_id}.localhost:{server.port}"

    def get(self, path, method="GET", headers=None):
        return http_request(self.port, method, path, {"Host": self.host, **(headers or {})})


def deploy(client, app_id, files, branch="main", links=()):
    """A manual deployment of `files` through CreateDeployment + zip upload + StartDeployment."""
    created = client.create_deployment(appId=app_id, branchName=branch)
    put(created["zipUploadUrl"], make_zip(files, links))
    client.start_deployment(appId=app_id, branchName=branch, jobId=created["jobId"])
    return wait_for_status(client, app_id, branch, created["jobId"], FINISHED)


SITE = {
    "index.html": "<h1>home</h1>",
    "docs/index.html": "<h1>docs</h1>",
    "assets/app.js": "console.log(1)",
    "assets/site.css": "body{}",
    "data.json": '{"a":1}',
    "404.html": "custom not found",
    "big.txt": "0123456789" * 100,
}


@pytest.fixture
def hosting(fresh_server):
    server = fresh_server()
    client = server.client()
    app = client.create_app(name="site")["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    return server, client, app["appId"]


def test_a_deployment_is_served_with_types_index_head_etag_and_ranges(hosting):
    server, client, app_id = hosting
    site = Site(server, app_id)
    assert site.get("/")[0] == 404  # nothing deployed yet
    job = deploy(client, app_id, SITE)
    assert job["summary"]["status"] == "SUCCEED"
    status, headers, body = site.get("/")
    assert (status, body) == (200, b"<h1>home</h1>")
    assert headers["content-type"].startswith("text/html")
    assert site.get("/assets/app.js")[1]["content-type"] in ("application/javascript", "text/javascript")
    assert site.get("/assets/site.css")[1]["content-type"].startswith("text/css")
    assert site.get("/data.json")[1]["content-type"].startswith("application/json")
    assert site.get("/docs/")[2] == b"<h1>docs</h1>"
    status, headers, _ = site.get("/docs")
    assert status == 301 and headers["location"] == "/docs/"
    status, headers, body = site.get("/big.txt", method="HEAD")
    assert (status, body, headers["content-length"]) == (200, b"", "1000")
    etag = site.get("/big.txt")[1]["etag"]
    assert site.get("/big.txt", headers={"If-None-Match": etag})[0] == 304
    status, headers, body = site.get("/big.txt", headers={"Range": "bytes=10-19"})
    assert (status, body, headers["content-range"]) == (206, b"0123456789", "bytes 10-19/1000")
    assert site.get("/missing.html")[0] == 404
    assert site.get("/", method="POST")[0] == 405
    # The API on the same port is untouched.
    assert client.get_app(appId=app_id)["app"]["productionBranch"]["branchName"] == "main"


def test_production_branch_thumbnail_and_the_bare_app_host(hosting):
    server, client, app_id = hosting
    assert "productionBranch" not in client.get_app(appId=app_id)["app"]
    assert "thumbnailUrl" not in client.get_branch(appId=app_id, branchName="main")["branch"]
    deploy(client, app_id, SITE)
    production = client.get_app(appId=app_id)["app"]["productionBranch"]
    assert production["branchName"] == "main" and production["status"] == "SUCCEED"
    thumbnail = client.get_branch(appId=app_id, branchName="main")["branch"]["thumbnailUrl"]
    assert thumbnail == production["thumbnailUrl"]
    with urllib.request.urlopen(thumbnail) as response:
        assert response.headers["Content-Type"] == "image/svg+xml" and b"<svg" in response.read()
    # <appId>.localhost is the production branch's site.
    assert Site(server, app_id, display=None).get("/")[2] == b"<h1>home</h1>"


def test_file_map_and_source_url_deployments_go_live(hosting, tmp_path):
    server, client, app_id = hosting
    site = Site(server, app_id)
    created = client.create_deployment(appId=app_id, branchName="main", fileMap={"index.html": "x", "css/a.css": "y"})
    for name, url in created["fileUploadUrls"].items():
        put(url, f"file {name}".encode())
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    assert wait_for_status(client, app_id, "main", created["jobId"], FINISHED)["summary"]["status"] == "SUCCEED"
    assert site.get("/css/a.css")[2] == b"file css/a.css"
    archive = tmp_path / "site.zip"
    archive.write_bytes(make_zip({"index.html": "from a file zip"}))
    job_id = client.start_deployment(appId=app_id, branchName="main", sourceUrl=f"file://{archive}")["jobSummary"]["jobId"]
    assert wait_for_status(client, app_id, "main", job_id, FINISHED)["summary"]["status"] == "SUCCEED"
    assert site.get("/")[2] == b"from a file zip"
    folder = tmp_path / "bucket"
    (folder / "sub").mkdir(parents=True)
    (folder / "index.html").write_text("from a folder")
    (folder / "sub" / "x.txt").write_text("x")
    os.symlink("/etc/passwd", folder / "passwd")
    job_id = client.start_deployment(appId=app_id, branchName="main", sourceUrl=f"file://{folder}", sourceUrlType="BUCKET_PREFIX")["jobSummary"]["jobId"]
    assert wait_for_status(client, app_id, "main", job_id, FINISHED)["summary"]["status"] == "SUCCEED"
    assert site.get("/")[2] == b"from a folder" and site.get("/sub/x.txt")[2] == b"x"
    assert site.get("/passwd")[0] == 404


def test_custom_rules_apply_top_down_first_match_wins(hosting):
    server, client, app_id = hosting
    deploy(client, app_id, SITE)
    client.update_app(appId=app_id, customRules=[
        {"source": "/old.html", "target": "/docs/", "status": "301"},
        {"source": "/blog/<year>/<slug>", "target": "/posts/<slug>?year=<year>", "status": "302"},
        {"source": "/docs/<*>", "target": "/documents/<*>", "status": "301"},
        {"source": "/docs/never", "target": "/never", "status": "301"},
        {"source": "/app/<*>", "target": "/index.html", "status": "200"},
        {"source": "/country-only", "target": "/docs/", "status": "301", "condition": "<US>"},
        {"source": "/<*>", "target": "/404.html", "status": "404"},
    ])
    site = Site(server, app_id)
    status, headers, _ = site.get("/old.html")
    assert (status, headers["location"]) == (301, "/docs/")
    status, headers, _ = site.get("/blog/2026/hello")
    assert (status, headers["location"]) == (302, "/posts/hello?year=2026")
    status, headers, _ = site.get("/docs/never")
    assert (status, headers["location"]) == (301, "/documents/never")
    status, _, body = site.get("/app/some/route")
    assert (status, body) == (200, b"<h1>home</h1>")
    # 404 rules apply only to what does not exist.
    assert site.get("/data.json")[:3:2] == (200, b'{"a":1}')
    status, _, body = site.get("/nowhere")
    assert (status, body) == (404, b"custom not found")
    assert site.get("/country-only")[0] == 404


def test_single_page_app_rules(hosting):
    server, client, app_id = hosting
    deploy(client, app_id, SITE)
    client.update_app(appId=app_id, customRules=[
        {"source": "</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|ttf|map|json)$)([^.]+$)/>", "target": "/index.html", "status": "200"},
    ])
    site = Site(server, app_id)
    assert site.get("/users/42")[:3:2] == (200, b"<h1>home</h1>")
    assert site.get("/assets/app.js")[2] == b"console.log(1)"
    client.update_app(appId=app_id, customRules=[{"source": "/<*>", "target": "/index.html", "status": "404-200"}])
    assert site.get("/deep/link")[:3:2] == (200, b"<h1>home</h1>")
    assert site.get("/data.json")[2] == b'{"a":1}'


def test_custom_headers_are_added(hosting):
    server, client, app_id = hosting
    deploy(client, app_id, SITE)
    client.update_app(appId=app_id, customHeaders="""customHeaders:
  - pattern: '**/*'
    headers:
      - key: 'Strict-Transport-Security'
        value: 'max-age=31536000'
  - pattern: '*.json'
    headers:
      - key: 'Cache-Control'
        value: 'no-store'
""")
    site = Site(server, app_id)
    headers = site.get("/data.json")[1]
    assert headers["strict-transport-security"] == "max-age=31536000" and headers["cache-control"] == "no-store"
    headers = site.get("/")[1]
    assert headers["strict-transport-security"] == "max-age=31536000" and "cache-control" not in headers


def test_basic_auth_app_level_and_branch_override(hosting):
    server, client, app_id = hosting
    deploy(client, app_id, SITE)
    app_credentials = base64.b64encode(b"team:app-secret").decode()
    client.update_app(appId=app_id, enableBasicAuth=True, basicAuthCredentials=app_credentials)
    site = Site(server, app_id)
    status, headers, _ = site.get("/")
    assert status == 401 and headers["www-authenticate"].startswith("Basic realm=")
    assert site.get("/", headers={"Authorization": "Basic " + base64.b64encode(b"team:wrong").decode()})[0] == 401
    assert site.get("/", headers={"Authorization": f"Basic {app_credentials}"})[0] == 200
    branch_credentials = base64.b64encode(b"qa:branch-secret").decode()
    client.update_branch(appId=app_id, branchName="main", enableBasicAuth=True, basicAuthCredentials=branch_credentials)
    assert site.get("/", headers={"Authorization": f"Basic {app_credentials}"})[0] == 401
    assert site.get("/", headers={"Authorization": f"Basic {branch_credentials}"})[0] == 200


@pytest.mark.parametrize("path", [
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/docs/..%2f..%2f..%2fetc/passwd",
    "/./index.html/../../x",
    "/%00index.html",
])
def test_requests_cannot_leave_the_site_folder(hosting, path):
    server, client, app_id = hosting
    deploy(client, app_id, SITE)
    status, _, body = Site(server, app_id).get(path)
    assert 400 <= status < 500 and b"root:" not in body


@pytest.mark.parametrize("files, links, reason", [
    ({"../escape.html": "x"}, (), "outside the site folder"),
    ({"/abs/path.html": "x"}, (), "outside the site folder"),
    ({"ok.html": "x"}, (("link", "/etc/passwd"),), "symbolic link"),
    ({}, (), None),
])
def test_zip_entries_that_escape_are_refused(hosting, files, links, reason):
    server, client, app_id = hosting
    if reason is None:
        created = client.create_deployment(appId=app_id, branchName="main")
        put(created["zipUploadUrl"], b"not a zip at all")
        client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
        job = wait_for_status(client, app_id, "main", created["jobId"], FINISHED)
        reason = "not a zip archive"
    else:
        job = deploy(client, app_id, files, links=links)
    assert job["summary"]["status"] == "FAILED"
    assert reason in job["steps"][0]["statusReason"]
    assert Site(server, app_id).get("/")[0] == 404


def test_a_new_deployment_switches_atomically(hosting):
    server, client, app_id = hosting
    deploy(client, app_id, {"index.html": "v1" * 5000, "a.txt": "a"})
    site = Site(server, app_id)
    seen, bad, stop = set(), [], threading.Event()

    def read():
        while not stop.is_set():
            status, _, body = site.get("/")
            text = body.decode()
            if status != 200 or len(set(text[i:i + 2] for i in range(0, len(text), 2))) != 1:
                bad.append((status, text[:20]))
            else:
                seen.add(text[:2])

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for version in range(2, 6):
        assert deploy(client, app_id, {"index.html": f"v{version}" * 5000})["summary"]["status"] == "SUCCEED"
    assert wait_until(lambda: "v5" in seen, timeout=10), "no reader saw the last deployment"
    stop.set()
    for reader in readers:
        reader.join()
    assert bad == []
    assert "v5" in seen and len(seen) >= 2


def test_deleting_the_live_job_branch_or_app_takes_the_site_down(hosting):
    server, client, app_id = hosting
    site = Site(server, app_id)
    deploy(client, app_id, SITE)
    second = deploy(client, app_id, {"index.html": "second"})
    assert site.get("/")[2] == b"second"
    client.delete_job(appId=app_id, branchName="main", jobId=second["summary"]["jobId"])
    assert site.get("/")[0] == 404
    assert "productionBranch" not in client.get_app(appId=app_id)["app"]
    deploy(client, app_id, SITE)
    assert site.get("/")[0] == 200
    client.delete_branch(appId=app_id, branchName="main")
    assert site.get("/")[0] == 404
    client.create_branch(appId=app_id, branchName="main")
    deploy(client, app_id, SITE)
    assert site.get("/")[0] == 200
    client.delete_app(appId=app_id)
    assert site.get("/")[0] == 404


def test_a_site_answer_kept_in_memory_never_outlives_the_write_that_changes_it(hosting):
    """A repeated GET is answered from memory (same bytes and headers, its own request ids, its own access log
    line) until the next write: every change below shows on the very next request."""
    server, client, app_id = hosting
    site = Site(server, app_id)
    started = time.time() - 5
    deploy(client, app_id, SITE)
    answers = [site.get("/data.json") for _ in range(3)]
    assert {(status, body) for status, _, body in answers} == {(200, b'{"a":1}')}
    same = lambda headers: {k: v for k, v in headers.items() if k not in ("x-amz-cf-id", "x-amzn-requestid", "date")}
    assert same(answers[1][1]) == same(answers[0][1]) == same(answers[2][1])
    assert len({headers["x-amz-cf-id"] for _, headers, _ in answers}) == 3
    assert all(len(headers["x-amz-cf-id"]) == 56 for _, headers, _ in answers)
    assert len({headers["x-amzn-requestid"] for _, headers, _ in answers}) == 3
    etag = answers[0][1]["etag"]
    # Conditional and partial requests are not answered from memory.
    assert site.get("/data.json", headers={"If-None-Match": etag})[0] == 304
    status, headers, body = site.get("/data.json", headers={"Range": "bytes=1-3"})
    assert (status, body, headers["content-range"]) == (206, b'"a"', "bytes 1-3/7")
    # Each write shows on the next request.
    client.update_app(appId=app_id, customHeaders="customHeaders:\n  - pattern: '*.json'\n    headers:\n      - key: 'Cache-Control'\n        value: 'no-store'\n")
    assert site.get("/data.json")[1]["cache-control"] == "no-store"
    credentials = base64.b64encode(b"team:secret").decode()
    client.update_branch(appId=app_id, branchName="main", enableBasicAuth=True, basicAuthCredentials=credentials)
    assert site.get("/data.json")[0] == 401
    assert site.get("/data.json", headers={"Authorization": f"Basic {credentials}"})[0] == 200
    assert site.get("/data.json")[0] == 401  # the authorized answer is not kept for others
    client.update_branch(appId=app_id, branchName="main", enableBasicAuth=False)
    assert site.get("/data.json")[2] == b'{"a":1}'
    second = deploy(client, app_id, {"data.json": '{"a":2}'})
    assert site.get("/data.json")[2] == b'{"a":2}'
    client.delete_job(appId=app_id, branchName="main", jobId=second["summary"]["jobId"])
    assert site.get("/data.json")[0] == 404
    # A branch made again reuses its job numbers, so its folders: the new deployment shows, not what was kept.
    client.delete_branch(appId=app_id, branchName="main")
    assert site.get("/data.json")[0] == 404
    client.create_branch(appId=app_id, branchName="main")
    deploy(client, app_id, {"data.json": '{"a":3}'})
    assert [site.get("/data.json")[2] for _ in range(2)] == [b'{"a":3}'] * 2
    client.update_branch(appId=app_id, branchName="main", enableSkewProtection=True)
    status, headers, _ = site.get("/data.json", headers={"Accept": "text/html"})
    assert status == 200 and headers["set-cookie"].startswith("_dpl=")
    logs = client.generate_access_logs(appId=app_id, domainName=f"{app_id}.amplifyapp.com", startTime=started, endTime=time.time() + 5)
    with urllib.request.urlopen(logs["logUrl"]) as response:
        rows = [line.split(",") for line in response.read().decode().splitlines()[1:]]
    assert [row[8] for row in rows] == ["200"] * 3 + ["304", "206", "200", "401", "200", "401", "200", "200", "404", "200", "200", "200"]
    # (no line for the request while the branch was gone: no site answered it)
    assert len({row[14] for row in rows}) == len(rows)  # every line its own request id


def test_access_logs_record_every_request(hosting):
    server, client, app_id = hosting
    deploy(client, app_id, SITE)
    site = Site(server, app_id)
    started = time.time() - 5
    site.get("/", headers={"User-Agent": "conformance-agent"})
    site.get("/missing")
    logs = client.generate_access_logs(appId=app_id, domainName=f"{app_id}.amplifyapp.com", startTime=started, endTime=time.time() + 5)
    with urllib.request.urlopen(logs["logUrl"]) as response:
        lines = response.read().decode().splitlines()
    assert lines[0].startswith("date,time,x-edge-location,sc-bytes,c-ip,cs-method,cs(Host),cs-uri-stem,sc-status")
    rows = [line.split(",") for line in lines[1:]]
    assert [(r[5], r[7], r[8]) for r in rows] == [("GET", "/", "200"), ("GET", "/missing", "404")]
    assert rows[0][4] == "127.0.0.1" and rows[0][10] == "conformance-agent"
    columns = lines[0].split(",")
    assert all(len(row) == len(columns) == 33 for row in rows)
    named = [dict(zip(columns, row)) for row in rows]
    assert [(n["x-edge-result-type"], n["x-edge-response-result-type"], n["x-edge-detailed-result-type"]) for n in named] == [
        ("Miss", "Miss", "Miss"), ("Error", "Error", "Error")]
    assert named[0]["sc-content-type"] == "text/html" and named[0]["sc-bytes"] == named[0]["sc-content-len"] == str(len(SITE["index.html"]))
    assert named[0]["cs-protocol-version"] == "HTTP/1.1" and named[0]["x-edge-location"] == "LOCAL" and named[0]["cs-uri-query"] == "-"
    assert named[0]["time-taken"] == named[0]["time-to-first-byte"] and int(named[0]["c-port"]) > 0
    with pytest.raises(client.exceptions.BadRequestException):
        client.generate_access_logs(appId=app_id, domainName="not-associated.example.com")


def test_a_zip_that_unpacks_to_too_much_is_refused(fresh_server):
    client = fresh_server("--max-upload-bytes", "100000").client()
    app_id = client.create_app(name="bomb")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", b"0" * 1_000_000)  # ~1 KB compressed, 1 MB unpacked: over 4 × 100,000
    assert len(buffer.getvalue()) < 100_000
    created = client.create_deployment(appId=app_id, branchName="main")
    put(created["zipUploadUrl"], buffer.getvalue())
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    job = wait_for_status(client, app_id, "main", created["jobId"], FINISHED)
    assert job["summary"]["status"] == "FAILED"
    assert "unpacks to 1000000 bytes, more than the 400000" in job["steps"][0]["statusReason"]


def test_uploads_are_limited_and_streamed_to_disk(fresh_server):
    server = fresh_server("--max-upload-bytes", "1000")
    client = server.client()
    app_id = client.create_app(name="limit")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    created = client.create_deployment(appId=app_id, branchName="main")
    with pytest.raises(urllib.error.HTTPError) as error:
        put(created["zipUploadUrl"], b"x" * 5000)
    assert error.value.code == 413
    # Nothing was kept: the deployment has no upload.
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    job = wait_for_status(client, app_id, "main", created["jobId"], FINISHED)
    assert "Nothing was uploaded" in job["steps"][0]["statusReason"]


def test_a_real_build_goes_live(fresh_server, tmp_path):
    import subprocess
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "amplify.yml").write_text(
        "version: 1\nfrontend:\n  phases:\n    build:\n      commands:\n        - mkdir -p out && echo built-$AWS_JOB_ID > out/index.html\n"
        "  artifacts:\n    baseDirectory: out\n    files: ['**/*']\n"
    )
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "x"], check=True)
    server = fresh_server("--build-mode", "auto")
    client = server.client()
    app_id = client.create_app(name="built", repository=str(repo))["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    assert wait_for_status(client, app_id, "main", job_id, FINISHED, timeout=30)["summary"]["status"] == "SUCCEED"
    assert Site(server, app_id).get("/")[2] == b"built-0000000001\n"


def deployed_site_with_data(fresh_server, tmp_path):
    """A server on a data directory of the test's own, with a deployed site; returns it, the folder and the app id."""
    data = tmp_path / "data"
    server = fresh_server(data_dir=str(data))
    client = server.client()
    app_id = client.create_app(name="logged")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    deploy(client, app_id, SITE)
    return server, data, app_id


def test_access_log_lines_are_written_within_a_second_with_no_request_after(fresh_server, tmp_path):
    server, data, app_id = deployed_site_with_data(fresh_server, tmp_path)
    Site(server, app_id).get("/assets/app.js")
    sent = time.monotonic()
    while True:  # no request follows: the line reaches the file by itself
        logs = list((data / "access-logs").rglob("*.csv"))
        if logs and "/assets/app.js" in logs[0].read_text():
            break
        assert time.monotonic() - sent < 2, "the access log line was not written within a second (and some slack)"
        time.sleep(0.05)


def test_access_log_lines_are_written_at_shutdown(fresh_server, tmp_path):
    server, data, app_id = deployed_site_with_data(fresh_server, tmp_path)
    Site(server, app_id).get("/docs/")
    server.stop()
    logs = list((data / "access-logs").rglob("*.csv"))
    assert len(logs) == 1 and ",GET," in logs[0].read_text() and "/docs/" in logs[0].read_text()
