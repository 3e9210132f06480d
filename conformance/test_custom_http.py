"""customHttp.yml in the repository: the deployment's custom headers, replacing the app's for it (as on AWS)."""
from conftest import http_request, wait_for_status
from test_builds import SITE, build, git, log_of, make_repo, real_server, start  # noqa: F401 (a fixture)

APP_HEADERS = """customHeaders:
  - pattern: '**/*'
    headers:
      - key: X-From
        value: app
      - key: X-App-Only
        value: 'yes'
"""

REPO_HEADERS = """customHeaders:
  - pattern: '**/*'
    headers:
      - key: X-From
        value: repository
  - pattern: '*.html'
    headers:
      - key: Cache-Control
        value: no-cache
"""


def headers_of(server, app_id, path="/"):
    status, headers, _ = http_request(server.port, "GET", path, {"Host": f"main.{app_id}.localhost"})
    assert status == 200
    return headers


def test_custom_http_yml_replaces_the_app_headers_for_its_deployment(real_server, tmp_path):
    client = real_server.client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SITE, "customHttp.yml": REPO_HEADERS})
    app_id, job = build(client, path, app_args={"customHeaders": APP_HEADERS, "environmentVariables": {"GREETING": "hi"}})
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    assert "# Custom headers from customHttp.yml: they replace the app's customHeaders for this deployment." in log_of(job)
    assert "Custom headers: customHttp.yml." in log_of(job, "DEPLOY")
    headers = headers_of(real_server, app_id)
    assert headers["x-from"] == "repository" and headers["cache-control"] == "no-cache" and "x-app-only" not in headers

    # The next deployment has no customHttp.yml: the app's headers are back.
    git(path, "rm", "-q", "customHttp.yml")
    git(path, "commit", "-q", "-m", "no more headers file")
    job_id = start(client, app_id)
    assert wait_for_status(client, app_id, "main", job_id, ("SUCCEED", "FAILED"))["summary"]["status"] == "SUCCEED"
    headers = headers_of(real_server, app_id)
    assert headers["x-from"] == "app" and headers["x-app-only"] == "yes"


def test_the_monorepo_form_gives_the_headers_of_the_application_built(real_server, tmp_path):
    client = real_server.client()
    spec = """version: 1
applications:
  - appRoot: web
    frontend:
      phases:
        build:
          commands: ['mkdir -p out && echo web > out/index.html']
      artifacts:
        baseDirectory: out
        files: ['**/*']
"""
    headers = """applications:
  - appRoot: docs
    customHeaders:
      - pattern: '**/*'
        headers: [{key: X-App, value: docs}]
  - appRoot: web
    customHeaders:
      - pattern: '**/*'
        headers: [{key: X-App, value: web}]
"""
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec, "customHttp.yml": headers, "web/.keep": ""})
    app_id, job = build(client, path, app_args={"environmentVariables": {"AMPLIFY_MONOREPO_APP_ROOT": "web"}})
    assert job["summary"]["status"] == "SUCCEED", log_of(job)
    assert headers_of(real_server, app_id)["x-app"] == "web"


def test_a_bad_custom_http_yml_fails_the_build_with_the_reason(real_server, tmp_path):
    client = real_server.client()
    for number, (files, reason) in enumerate([
        ({"customHttp.yml": "customHeaders: [unclosed"}, "customHttp.yml is not valid YAML"),
        ({"customHttp.yml": "customHeaders:\n  - pattern: '*'\n    headers: nope\n"}, "customHeaders[0].headers must be a list of key and value"),
        ({"customHttp.yml": "customHeaders:\n  - headers: []\n"}, "customHeaders[0] needs a pattern"),
        # A pattern and no headers list stays an error (AWS's 502 is for a value it cannot send, not for this).
        ({"customHttp.yml": "customHeaders:\n  - pattern: '*.html'\n"}, "customHeaders[0].headers must be a list of key and value"),
        ({"customHttp.yml": "customHeaders:\n  - pattern: '*'\n    headers: [{key: 'bad name', value: x}]\n"}, "needs a key (a header name)"),
    ]):
        folder = tmp_path / f"repo{number}"
        path, _ = make_repo(folder, {"amplify.yml": SITE, **files})
        _, job = build(client, path)
        assert job["summary"]["status"] == "FAILED"
        step = job["steps"][0]
        assert step["stepName"] == "BUILD" and reason in step["statusReason"], step["statusReason"]
        assert len(job["steps"]) == 1
