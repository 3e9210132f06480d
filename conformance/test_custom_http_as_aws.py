"""customHttp.yml read as AWS reads it (issue 34): after the build phases, with AWS's log lines; a `customHeaders` that
is not a list deploys as if there were no file; a monorepo app's file at the repository's root, in the monorepo form;
a manual deployment's file at its root; a build spec's deprecated `customHeaders`; the app's `customHeaders` in the
monorepo form, and refused when its top level is not a mapping; a value with a line break deploys and answers 502. And
a corpus of real files from public repositories, each built and its first header checked as served."""
import io
import json
import os
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor

import botocore.exceptions
import pytest

from conftest import http_request, wait_for_status
from test_builds import FINISHED, SITE, build, log_of, make_repo, real_server, spec, start  # noqa: F401 (a fixture)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "custom-http")

APP_HEADERS = "customHeaders:\n  - pattern: '**/*'\n    headers:\n      - key: X-From\n        value: app\n"
FILE_HEADERS = "customHeaders:\n  - pattern: '**/*'\n    headers:\n      - key: X-From\n        value: file\n"
NOT_A_LIST = "!!Invalid custom header config file. The `customHeaders` key should be an array"


def get(server, app_id, path="/", branch="main"):
    status, headers, body = http_request(server.port, "GET", path, {"Host": f"{branch}.{app_id}.localhost"})
    return status, headers, body


def monorepo_spec(root="web"):
    return f"""version: 1
applications:
  - appRoot: {root}
    frontend:
      phases:
        build:
          commands: ['mkdir -p out && echo {root} > out/index.html']
      artifacts:
        baseDirectory: out
        files: ['**/*']
"""


def test_a_custom_http_yml_the_build_writes_counts(real_server, tmp_path):
    client = real_server.client()
    writes = spec(
        "mkdir -p dist", "echo hi > dist/index.html",
        "printf 'customHeaders:\\n  - pattern: index.html\\n    headers:\\n      - key: X-Written\\n        value: by-build\\n' > customHttp.yml",
        extra="  artifacts:\n    baseDirectory: dist\n    files:\n      - '**/*'\n",
    )
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": writes})
    app_id, job = build(client, path)
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    log = log_of(job)
    # Read where AWS reads it: after the phases (and the cache), in the BUILD log.
    assert log.index("## Build completed successfully") < log.index("# Custom headers from customHttp.yml")
    assert get(real_server, app_id)[1]["x-written"] == "by-build"


def test_no_custom_http_yml_logs_no_custom_headers_found(real_server, tmp_path):
    client = real_server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SITE})
    app_id, job = build(client, path, app_args={"customHeaders": APP_HEADERS})
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    assert "[INFO]: # No custom headers found." in log_of(job)
    assert get(real_server, app_id)[1]["x-from"] == "app"


@pytest.mark.parametrize("text", [
    # Vercel's format copied (amplify-hosting#3049): no customHeaders key.
    "headers:\n  - source: '/(.*)'\n    headers:\n      - key: X-From\n        value: file\n",
    # Every entry commented out: customHeaders is null.
    "customHeaders:\n#  - pattern: '**/*'\n#    headers:\n#      - key: X-From\n#        value: file\n",
    "customHeaders: nope\n",
    "",
], ids=["vercel-headers", "commented-out", "a-string", "empty"])
def test_a_custom_headers_key_that_is_not_a_list_deploys_with_the_app_headers(real_server, tmp_path, text):
    client = real_server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SITE, "customHttp.yml": text})
    app_id, job = build(client, path, app_args={"customHeaders": APP_HEADERS})
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    log = log_of(job)
    assert f"[INFO]: {NOT_A_LIST}" in log
    assert log.index("## Build completed successfully") < log.index(NOT_A_LIST)
    assert get(real_server, app_id)[1]["x-from"] == "app"


def test_a_monorepo_app_reads_the_repository_root_file_and_names_it(real_server, tmp_path):
    client = real_server.client()
    root = "applications:\n  - appRoot: web\n    customHeaders:\n      - pattern: '**/*'\n        headers: [{key: X-From, value: root}]\n"
    files = {"amplify.yml": monorepo_spec(), "customHttp.yml": root, "web/customHttp.yml": FILE_HEADERS}
    path, _ = make_repo(tmp_path / "repo", files)
    app_id, job = build(client, path, app_args={"environmentVariables": {"AMPLIFY_MONOREPO_APP_ROOT": "web"}})
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    assert "# Custom headers from customHttp.yml at the repository's root (its application with appRoot web)" in log_of(job)
    assert get(real_server, app_id)[1]["x-from"] == "root"


def test_a_monorepo_app_whose_file_has_no_applications_fails_with_awss_lines(real_server, tmp_path):
    client = real_server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": monorepo_spec(), "customHttp.yml": FILE_HEADERS, "web/.keep": ""})
    _, job = build(client, path, app_args={"environmentVariables": {"AMPLIFY_MONOREPO_APP_ROOT": "web"}})
    assert job["summary"]["status"] == "FAILED"
    log = log_of(job)
    first = log.index('[ERROR]: !!!Monorepo spec provided without "applications" key')
    assert first < log.index("[ERROR]: !!!Unable to save headers")
    assert 'Monorepo spec provided without "applications" key' in job["steps"][0]["statusReason"]
    assert [step["stepName"] for step in job["steps"]] == ["BUILD"]


def test_a_monorepo_app_whose_root_has_no_entry_fails_with_awss_lines(real_server, tmp_path):
    client = real_server.client()
    other = "applications:\n  - appRoot: docs\n    customHeaders:\n      - pattern: '**/*'\n        headers: [{key: X-From, value: docs}]\n"
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": monorepo_spec(), "customHttp.yml": other, "web/.keep": ""})
    # A branch's variable over the app's, as for its build spec.
    _, job = build(
        client, path, app_args={"environmentVariables": {"AMPLIFY_MONOREPO_APP_ROOT": "docs"}},
        branch_args={"environmentVariables": {"AMPLIFY_MONOREPO_APP_ROOT": "web"}},
    )
    assert job["summary"]["status"] == "FAILED"
    log = log_of(job)
    assert log.index("[ERROR]: !!!Invalid monorepo spec, no appRoot matching web found") < log.index("[ERROR]: !!!Unable to save headers")


def site_zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def deploy_zip(client, app_id, files):
    created = client.create_deployment(appId=app_id, branchName="main")
    request = urllib.request.Request(created["zipUploadUrl"], data=site_zip(files), method="PUT")
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    return wait_for_status(client, app_id, "main", created["jobId"], FINISHED)


def manual_app(client, **app_args):
    app_id = client.create_app(name="manual", **app_args)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    return app_id


def test_a_manual_deployment_honours_its_custom_http_yml(real_server, tmp_path):
    client = real_server.client()
    app_id = manual_app(client, customHeaders=APP_HEADERS)
    job = deploy_zip(client, app_id, {"index.html": "<h1>zip</h1>", "customHttp.yml": FILE_HEADERS})
    assert job["summary"]["status"] == "SUCCEED"
    assert "Found customHttp.yml, applying custom headers..." in log_of(job, "DEPLOY")
    assert get(real_server, app_id)[1]["x-from"] == "file"

    # A folder (file:// sourceUrl) by the same rules: a customHeaders that is not a list gives none.
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "index.html").write_text("<h1>folder</h1>")
    (folder / "customHttp.yml").write_text("headers:\n  - source: '/'\n")
    job_id = client.start_deployment(appId=app_id, branchName="main", sourceUrl=f"file://{folder}", sourceUrlType="BUCKET_PREFIX")["jobSummary"]["jobId"]
    job = wait_for_status(client, app_id, "main", job_id, FINISHED)
    assert job["summary"]["status"] == "SUCCEED"
    assert NOT_A_LIST in log_of(job, "DEPLOY")
    assert get(real_server, app_id)[1]["x-from"] == "app"


def test_a_monorepo_apps_manual_deployment_without_applications_fails(real_server):
    client = real_server.client()
    app_id = manual_app(client, environmentVariables={"AMPLIFY_MONOREPO_APP_ROOT": "web"})
    job = deploy_zip(client, app_id, {"index.html": "<h1>zip</h1>", "customHttp.yml": FILE_HEADERS})
    assert job["summary"]["status"] == "FAILED"
    log = log_of(job, "DEPLOY")
    assert '[ERROR]: !!!Monorepo spec provided without "applications" key' in log and "[ERROR]: !!!Unable to save headers" in log


def test_a_build_specs_custom_headers_warn_and_apply_without_a_custom_http_yml(real_server, tmp_path):
    client = real_server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SITE + FILE_HEADERS})
    app_id, job = build(client, path, app_args={"customHeaders": APP_HEADERS})
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    warnings = [line for line in log_of(job).splitlines() if "[WARNING]: customHeaders in the build spec are deprecated" in line]
    assert len(warnings) == 1 and "customHttp.yml" in warnings[0]
    assert get(real_server, app_id)[1]["x-from"] == "file"

    # customHttp.yml wins over them.
    other = tmp_path / "other"
    other_headers = FILE_HEADERS.replace("value: file", "value: customHttp")
    path, _ = make_repo(other, {"amplify.yml": SITE + FILE_HEADERS, "customHttp.yml": other_headers})
    app_id, job = build(client, path)
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    assert get(real_server, app_id)[1]["x-from"] == "customHttp"


def test_the_apps_custom_headers_in_the_monorepo_form_apply_by_the_branchs_app_root(real_server):
    client = real_server.client()
    headers = """applications:
  - appRoot: docs
    customHeaders:
      - pattern: '**/*'
        headers: [{key: X-App, value: docs}]
  - appRoot: /web/
    customHeaders:
      - pattern: '**/*'
        headers: [{key: X-App, value: web}]
"""
    app_id = client.create_app(name="mono", customHeaders=headers)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main", environmentVariables={"AMPLIFY_MONOREPO_APP_ROOT": "web"})
    job = deploy_zip(client, app_id, {"index.html": "<h1>web</h1>"})
    assert job["summary"]["status"] == "SUCCEED"
    assert get(real_server, app_id)[1]["x-app"] == "web"
    client.update_branch(appId=app_id, branchName="main", environmentVariables={"AMPLIFY_MONOREPO_APP_ROOT": "docs"})
    assert get(real_server, app_id)[1]["x-app"] == "docs"


@pytest.mark.parametrize("text", [
    # The console's form pasted without its customHeaders key (amplify-hosting#1207).
    "- pattern: '**/*'\n  headers:\n    - key: X-Frame-Options\n      value: DENY\n",
    "just a string",
])
def test_the_apps_custom_headers_must_be_key_value_pairs(real_server, text):
    client = real_server.client()
    message = "Invalid spec, yaml parsing error: Invalid spec, top level must be key value pairs"
    with pytest.raises(botocore.exceptions.ClientError) as error:
        client.create_app(name="flat", customHeaders=text)
    assert error.value.response["Error"]["Code"] == "BadRequestException" and message in str(error.value)
    assert [app["name"] for app in client.list_apps()["apps"]] == []
    app_id = client.create_app(name="kept", customHeaders=APP_HEADERS)["app"]["appId"]
    with pytest.raises(botocore.exceptions.ClientError) as error:
        client.update_app(appId=app_id, customHeaders=text, description="changed")
    assert error.value.response["Error"]["Code"] == "BadRequestException" and message in str(error.value)
    app = client.get_app(appId=app_id)["app"]
    assert app["customHeaders"] == APP_HEADERS and app.get("description", "") == ""


def test_a_header_value_with_a_line_break_deploys_and_answers_502_where_it_matches(real_server, tmp_path):
    client = real_server.client()
    folded = "customHeaders:\n  - pattern: '*.html'\n    headers:\n      - key: Content-Security-Policy\n        value: >\n          default-src 'self';\n          img-src 'self'\n"
    site = spec(
        "mkdir -p dist", "echo hi > dist/index.html", "echo data > dist/data.txt",
        extra="  artifacts:\n    baseDirectory: dist\n    files:\n      - '**/*'\n",
    )
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": site, "customHttp.yml": folded})
    app_id, job = build(client, path)
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    assert "[WARNING]: Custom header Content-Security-Policy in customHttp.yml has a line break in its value" in log_of(job)
    status, _, body = get(real_server, app_id, "/index.html")
    assert status == 502 and b"Content-Security-Policy" in body
    status, _, body = get(real_server, app_id, "/data.txt")
    assert (status, body.strip()) == (200, b"data")


def corpus_spec(request, root):
    """A build spec whose build makes `request` (and an index.html) in its output folder, in `root` for a monorepo."""
    commands = f"['mkdir -p dist/$(dirname {request})', 'echo page > dist/index.html', 'echo file > dist/{request}']"
    frontend = f"frontend:\n  phases:\n    build:\n      commands: {commands}\n  artifacts:\n    baseDirectory: dist\n    files: ['**/*']\n"
    if root is None:
        return "version: 1\n" + frontend
    return f"version: 1\napplications:\n  - appRoot: {root}\n" + "".join(f"    {line}\n" for line in frontend.splitlines())


def test_a_corpus_of_real_custom_http_files_builds_and_serves_the_first_header(fresh_server, tmp_path):
    """Each file of conformance/fixtures/custom-http (sources.json names where it comes from) built in a repository
    of its own, the builds at once on one server; the first header of each is served for a path its first pattern
    matches (none for the files whose customHeaders is not a list: AWS deploys them as if there were none)."""
    server = fresh_server("--build-mode", "auto", "--max-concurrent-builds", "8")
    client = server.client()
    with open(os.path.join(FIXTURES, "sources.json")) as index:
        corpus = json.load(index)
    assert len(corpus) >= 20
    started = []
    for number, entry in enumerate(corpus):
        with open(os.path.join(FIXTURES, entry["file"])) as fixture:
            text = fixture.read()
        root = entry.get("appRoot")
        files = {"amplify.yml": corpus_spec(entry["request"].lstrip("/"), root), "customHttp.yml": text, **({f"{root}/.keep": ""} if root else {})}
        path, _ = make_repo(tmp_path / f"repo{number}", files)
        app_args = {"environmentVariables": {"AMPLIFY_MONOREPO_APP_ROOT": root}} if root else {}
        app_id = client.create_app(name=f"corpus{number}", repository=path, customHeaders=APP_HEADERS, **app_args)["app"]["appId"]
        client.create_branch(appId=app_id, branchName="main")
        started.append((entry, app_id, start(client, app_id)))

    def finished(item):
        entry, app_id, job_id = item
        return entry, app_id, wait_for_status(client, app_id, "main", job_id, FINISHED, timeout=180)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(finished, started))
    for entry, app_id, job in results:
        assert job["summary"]["status"] == "SUCCEED", (entry["file"], log_of(job))
        status, headers, _ = get(server, app_id, entry["request"])
        assert status == 200, entry["file"]
        expected = entry["first_header"]
        if expected is None:
            assert NOT_A_LIST in log_of(job) and headers["x-from"] == "app", entry["file"]
            continue
        assert headers.get(expected["key"].lower()) == expected["value"], (entry["file"], headers)
        assert "x-from" not in headers, entry["file"]
