"""Hostile files (issue 33): file:// sources only from --deploy-from folders, never the data folder; zips and build
output unpacked inside the site only (links resolved as the kernel resolves them, chains included); sizes counted as
written, not as a zip's headers say. Each test failed on the binary before this change."""
import io
import json
import os
import struct
import urllib.request
import zipfile
import zlib

import pytest

from conftest import ACCOUNT, REGION, Server, http_request, serving_files, wait_for_status
from test_builds import FINISHED, SITE, log_of, make_repo, start
from test_deployments import put

PASSWD = b"root:x:0:0"


def admin(server, method, path, body=None):
    """A JSON admin request in the tests' account and region; returns (status, decoded body)."""
    data = None if body is None else json.dumps(body).encode()
    url = f"{server.endpoint}/_amplify-local/{path}?account={ACCOUNT}&region={REGION}"
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def site_get(server, app_id, path, branch="main"):
    return http_request(server.port, "GET", path, {"Host": f"{branch}.{app_id}.localhost"})


def manual_app(client, platform="WEB"):
    app_id = client.create_app(name="hostile", platform=platform)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    return app_id


def deploy_zip(client, app_id, data, timeout=30):
    created = client.create_deployment(appId=app_id, branchName="main")
    put(created["zipUploadUrl"], data)
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    return wait_for_status(client, app_id, "main", created["jobId"], FINISHED, timeout=timeout)


def link(archive, name, target):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    archive.writestr(info, target)


def make_zip(entries):
    """`entries`: (name, text) for files, (name, "->", target) for symbolic links, in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            if len(entry) == 3:
                link(archive, entry[0], entry[2])
            else:
                archive.writestr(entry[0], entry[1])
    return buffer.getvalue()


def lying_zip(name, real_size, declared_size):
    """A zip of one deflated entry of `real_size` zero bytes whose headers say `declared_size`."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    data = b"".join(compressor.compress(chunk) for _ in range(real_size // len(chunk))) + compressor.flush()
    crc = 0
    for _ in range(real_size // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    encoded = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), declared_size, len(encoded), 0) + encoded
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 20, 0, 8, 0, 0, crc, len(data), declared_size, len(encoded), 0, 0, 0, 0,
        0o100644 << 16, 0,
    ) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    return local + data + central + end


@pytest.fixture
def folders(tmp_path):
    """`allowed/` (the --deploy-from folder) holding the data folder, and `outside/` beside it."""
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    (allowed / "data").mkdir(parents=True)
    outside.mkdir()
    return allowed, allowed / "data", outside


@pytest.fixture
def guarded(folders):
    allowed, data, _ = folders
    server = Server("--build-mode", "auto", data_dir=str(data), env={"AMPLIFY_LOCAL_DEPLOY_FROM": str(allowed)}).start()
    yield server
    server.stop()


def refused_at_the_call(client, app_id, source_url, source_type, *expected):
    with pytest.raises(client.exceptions.BadRequestException) as error:
        client.start_deployment(appId=app_id, branchName="main", sourceUrl=source_url, sourceUrlType=source_type)
    message = str(error.value)
    for text in expected:
        assert text in message, message
    assert client.list_jobs(appId=app_id, branchName="main")["jobSummaries"] == []  # nothing was made


def test_file_sources_outside_deploy_from_and_the_data_folder_are_refused_at_the_call(guarded, folders):
    allowed, data, outside = folders
    client = guarded.client()
    app_id = manual_app(client)
    refused_at_the_call(client, app_id, "file:///etc", "BUCKET_PREFIX", "/etc", "--deploy-from")
    refused_at_the_call(client, app_id, "file:///etc/passwd", "ZIP", "/etc/passwd", "--deploy-from")
    refused_at_the_call(client, app_id, "file://localhost/etc", "BUCKET_PREFIX", "--deploy-from")
    refused_at_the_call(client, app_id, f"file://{outside}", "BUCKET_PREFIX", str(outside), "--deploy-from")
    refused_at_the_call(client, app_id, f"file://{allowed}/../outside", "BUCKET_PREFIX", "--deploy-from")
    # The data folder (its URL-signing key, the database with every tenant's variables), though inside --deploy-from.
    assert (data / "url-signing.key").exists()
    refused_at_the_call(client, app_id, f"file://{data}", "BUCKET_PREFIX", "data folder")
    refused_at_the_call(client, app_id, f"file://{data}/url-signing.key", "ZIP", "data folder")
    refused_at_the_call(client, app_id, f"file://{allowed}", "BUCKET_PREFIX", "holds the server's own files")
    # A link inside the allowed folder is the folder it points at.
    os.symlink("/etc", allowed / "etc")
    os.symlink("data", allowed / "state")
    refused_at_the_call(client, app_id, f"file://{allowed}/etc", "BUCKET_PREFIX", "(/etc)", "--deploy-from")
    refused_at_the_call(client, app_id, f"file://{allowed}/state", "BUCKET_PREFIX", "data folder")
    # What is inside is deployed.
    (allowed / "site").mkdir()
    (allowed / "site" / "index.html").write_text("allowed")
    job = client.start_deployment(appId=app_id, branchName="main", sourceUrl=f"file://{allowed}/site", sourceUrlType="BUCKET_PREFIX")
    assert wait_for_status(client, app_id, "main", job["jobSummary"]["jobId"], FINISHED)["summary"]["status"] == "SUCCEED"
    assert site_get(guarded, app_id, "/")[2] == b"allowed"
    assert site_get(guarded, app_id, "/passwd")[0] == 404


def test_the_default_is_the_folder_the_server_started_in(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "site.zip").write_bytes(make_zip([("index.html", "from the working folder")]))
    server = Server("--build-mode", "simulate", cwd=str(work), deploy_from=None).start()
    try:
        client = server.client()
        app_id = manual_app(client)
        refused_at_the_call(client, app_id, "file:///etc", "BUCKET_PREFIX", "--deploy-from")
        refused_at_the_call(client, app_id, f"file://{tmp_path}", "BUCKET_PREFIX", "--deploy-from")
        job = client.start_deployment(appId=app_id, branchName="main", sourceUrl=f"file://{work}/site.zip")["jobSummary"]
        assert wait_for_status(client, app_id, "main", job["jobId"], FINISHED)["summary"]["status"] == "SUCCEED"
        assert site_get(server, app_id, "/")[2] == b"from the working folder"
    finally:
        server.stop()


def test_a_repository_outside_deploy_from_is_not_cloned(guarded, folders):
    allowed, data, outside = folders
    client = guarded.client()
    outside_repo, _ = make_repo(outside / "site", {"amplify.yml": SITE})
    inside_repo, _ = make_repo(allowed / "site", {"amplify.yml": SITE})
    os.symlink(outside_repo, allowed / "linked")
    for repository in (outside_repo, f"file://{outside_repo}", str(allowed / "linked"), str(data)):
        app_id = client.create_app(name="outside", repository=repository)["app"]["appId"]
        client.create_branch(appId=app_id, branchName="main")
        job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=30)
        assert job["summary"]["status"] == "FAILED", repository
        reason = next(step["statusReason"] for step in job["steps"] if step.get("statusReason"))
        assert "--deploy-from" in reason or "data folder" in reason, reason
        assert "Cloning repository" not in log_of(job)
    app_id = client.create_app(name="inside", repository=inside_repo)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    job = wait_for_status(client, app_id, "main", start(client, app_id), FINISHED, timeout=30)
    assert job["summary"]["status"] == "SUCCEED", job


def rename_branch(document, name="main\n"):
    branch = document["apps"][0]["branches"][0]
    branch["branch"]["branchName"] = name
    for job in branch["jobs"]:
        job["job"]["key"]["branchName"] = name


def test_a_state_document_cannot_smuggle_a_file_source_or_bad_names(guarded):
    client = guarded.client()
    app_id = manual_app(client)
    client.create_deployment(appId=app_id, branchName="main")
    document = admin(guarded, "GET", "state")[1]
    admin(guarded, "POST", "reset")
    job = document["apps"][0]["branches"][0]["jobs"][0]["job"]
    job.update(status="PENDING", sourceUrl="file:///etc", sourceUrlType="BUCKET_PREFIX")
    for change, member in (
        (rename_branch, "branchName"),
        (lambda d: d["apps"][0]["branches"][0]["jobs"][0]["job"].update(sourceUrl="ftp://x/y"), "sourceUrl"),
    ):
        broken = json.loads(json.dumps(document))
        change(broken)
        status, body = admin(guarded, "POST", "state", broken)
        assert status == 400 and member in body["message"], body
        assert client.list_apps()["apps"] == []
    status, body = admin(guarded, "POST", "state", document)
    assert status == 200, body
    # The job runs, and is checked as StartDeployment checks: /etc is not published.
    done = wait_for_status(client, app_id, "main", str(job["key"]["jobId"]), FINISHED)
    assert done["summary"]["status"] == "FAILED"
    assert "--deploy-from" in done["steps"][-1]["statusReason"]
    assert site_get(guarded, app_id, "/passwd")[0] == 404


def climb(levels=30):
    """A link target spelled as `.` (each `b` is a link to `.`): on disk, `levels` folders up."""
    return "b/" * levels + "../" * levels


def test_zip_link_chains_cannot_write_or_serve_outside_the_site(guarded, folders):
    _, data, outside = folders
    client = guarded.client()
    app_id = manual_app(client, platform="WEB_COMPUTE")
    good = deploy_zip(client, app_id, make_zip([("index.html", "good"), ("b", "->", "."), ("alias.html", "->", "b/b/index.html")]))
    assert good["summary"]["status"] == "SUCCEED", good
    assert site_get(guarded, app_id, "/alias.html")[2] == b"good"  # a link that stays inside is kept
    escaped = outside / "escaped.txt"
    writes = make_zip([("b", "->", "."), ("up", "->", "b/b/../.."), ("x", "->", climb()), ("x" + str(escaped), "escaped"),
                       ("up/escaped.txt", "escaped")])
    job = deploy_zip(client, app_id, writes)
    assert job["summary"]["status"] == "FAILED"
    assert "symbolic link" in job["steps"][-1]["statusReason"]
    assert not escaped.exists()
    assert not any(name == "escaped.txt" for _, _, files in os.walk(data) for name in files)
    reads = make_zip([("index.html", "x"), ("b", "->", "."), ("passwd", "->", climb() + "etc/passwd")])
    job = deploy_zip(client, app_id, reads)
    assert job["summary"]["status"] == "FAILED"
    assert "symbolic link passwd points outside" in job["steps"][-1]["statusReason"]
    status, _, body = site_get(guarded, app_id, "/passwd")
    assert PASSWD not in body
    assert site_get(guarded, app_id, "/")[2] == b"good"  # the live deployment goes on


def test_a_page_s_state_import_then_start_deployment_writes_nothing_outside(guarded, folders):
    """The blind pair: a state document fixes an app id, then StartDeployment fetches a zip of link chains."""
    _, _, outside = folders
    client = guarded.client()
    app_id = manual_app(client, platform="WEB_COMPUTE")
    document = admin(guarded, "GET", "state")[1]
    admin(guarded, "POST", "reset")
    assert admin(guarded, "POST", "state", document)[0] == 200
    escaped = outside / "from-a-page.txt"
    body = make_zip([("b", "->", "."), ("x", "->", climb()), ("x" + str(escaped), "written")])
    with serving_files({"/evil.zip": body}) as base:
        job = client.start_deployment(appId=app_id, branchName="main", sourceUrl=f"{base}/evil.zip")["jobSummary"]
        done = wait_for_status(client, app_id, "main", job["jobId"], FINISHED, timeout=30)
    assert done["summary"]["status"] == "FAILED"
    assert "symbolic link" in done["steps"][-1]["statusReason"]
    assert not escaped.exists()


def test_a_zip_whose_sizes_lie_is_stopped_at_the_limit(folders):
    allowed, data, _ = folders
    server = Server("--max-upload-bytes", "1000000", data_dir=str(data), env={"AMPLIFY_LOCAL_DEPLOY_FROM": str(allowed)}).start()
    try:
        client = server.client()
        app_id = manual_app(client)
        assert deploy_zip(client, app_id, make_zip([("index.html", "before")]))["summary"]["status"] == "SUCCEED"
        bomb = lying_zip("zeros.bin", 100 << 20, 10)
        assert len(bomb) < 200_000
        job = deploy_zip(client, app_id, bomb)
        assert job["summary"]["status"] == "FAILED"
        reason = job["steps"][-1]["statusReason"]
        assert "4000000" in reason and "4 × --max-upload-bytes" in reason, reason
        assert site_get(server, app_id, "/")[2] == b"before"  # nothing half-published
        assert site_get(server, app_id, "/zeros.bin")[0] == 404
        written = sum(os.path.getsize(os.path.join(folder, name)) for folder, _, names in os.walk(data) for name in names
                      if not os.path.islink(os.path.join(folder, name)))
        assert written < 20 << 20, f"{written} bytes left in the data folder"
    finally:
        server.stop()


def test_under_auth_strict_a_signed_tenant_is_refused_too(folders):
    """Signing proves who asks, not that the server's disk is theirs: the same refusals, and the credentials file."""
    from test_auth import KEY, SECRET, signed_client
    allowed, data, _ = folders
    credentials = allowed / "credentials"
    credentials.write_text(f"{KEY}:{SECRET}:210987654321\n")
    server = Server("--auth", "strict", "--credentials", str(credentials), data_dir=str(data),
                    env={"AMPLIFY_LOCAL_DEPLOY_FROM": str(allowed)}).start()
    try:
        client = signed_client(server)
        app_id = manual_app(client)
        refused_at_the_call(client, app_id, "file:///etc", "BUCKET_PREFIX", "--deploy-from")
        refused_at_the_call(client, app_id, f"file://{data}", "BUCKET_PREFIX", "data folder")
        refused_at_the_call(client, app_id, f"file://{credentials}", "ZIP", "server's own files")
        refused_at_the_call(client, app_id, f"file://{allowed}", "BUCKET_PREFIX", "holds the server's own files")
    finally:
        server.stop()
