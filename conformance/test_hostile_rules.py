"""Bounded work per request: an app's custom rules, deployment routes and custom headers cost a visitor's request
little whatever their owner wrote (issue 33), and a redirect built from the request's path stays on the site."""
import io
import json
import urllib.request
from urllib.parse import urlsplit
import zipfile

import pytest

from conftest import http_request, wait_for_status
from test_builds import SITE, build, make_repo
from test_hosting import FINISHED, SITE as FILES, Site, deploy, hosting  # noqa: F401 (a fixture)

# `a: &a [x, …]`, `b: &b [*a, …]`, …: nine levels of nine make 9**9 (387 million) strings out of 450 bytes.
LAUGHS = "customHeaders:\n  - pattern: '**/*'\n    headers:\n      - key: X-Laughs\n        value: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"      - key: X-{level}\n        value: &{chr(ord('a') + level)} [{','.join(['*' + chr(ord('a') + level - 1)] * 9)}]\n"
    for level in range(1, 9)
)


def test_a_backtracking_regex_rule_costs_a_request_little_and_does_not_match(hosting):
    server, client, app_id = hosting
    deploy(client, app_id, FILES)
    client.update_app(appId=app_id, customRules=[
        {"source": "</^/(a+)+$/>", "target": "/index.html", "status": "200"},
        {"source": "</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|ttf|map|json)$)([^.]+$)/>", "target": "/index.html", "status": "200"},
    ])
    site = Site(server, app_id)
    # 30 bytes that `^/(a+)+$` tries in 2**28 ways before it fails (some 6 s without a limit; 27 bytes, 0.7 s).
    # (No timing asserted: speed is bench's. The budget shows in the answer and the explanation below; without one,
    # the request would outlast the tests' 10 s socket timeout at a few bytes more.)
    status, _, body = site.get("/" + "a" * 28 + "!")
    # The first rule gave up (it does not match), so the next one, the single-page app's, answers.
    assert (status, body) == (200, b"<h1>home</h1>")
    assert site.get("/aaaa")[:3:2] == (200, b"<h1>home</h1>")  # the same rule matches where it can
    assert site.get("/assets/app.js")[2] == b"console.log(1)"
    explained = json.loads(http_request(server.port, "POST", f"/_amplify-local/explain?account=123456789012&region=us-east-1",
                                        {"Content-Type": "application/json"},
                                        json.dumps({"appId": app_id, "branchName": "main", "path": "/" + "a" * 28 + "!"}).encode())[2])
    assert explained["rule"]["index"] == 1 and "rule 0" in explained["note"], explained


def manifest_zip(route_path):
    manifest = {
        "version": 1, "framework": {"name": "handmade", "version": "1.0.0"},
        "routes": [{"path": route_path, "target": {"kind": "Static", "cacheControl": "no-store"}}, {"path": "/*", "target": {"kind": "Static"}}],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deploy-manifest.json", json.dumps(manifest))
        archive.writestr("static/index.html", "<h1>ssr home</h1>")
    return buffer.getvalue()


def test_a_route_with_many_wildcards_costs_a_request_little(fresh_server):
    server = fresh_server()
    client = server.client()
    app_id = client.create_app(name="routes", platform="WEB_COMPUTE")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    created = client.create_deployment(appId=app_id, branchName="main")
    urllib.request.urlopen(urllib.request.Request(created["zipUploadUrl"], data=manifest_zip("/" + "*a" * 12 + "*b"), method="PUT")).close()
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    job = wait_for_status(client, app_id, "main", created["jobId"], FINISHED)
    assert job["summary"]["status"] == "SUCCEED", job["steps"]
    site = Site(server, app_id)
    status, headers, _ = site.get("/" + "a" * 60)  # backtracking would outlast the 10 s socket timeout many times over
    assert status == 404 and headers.get("cache-control") != "no-store"  # the last route took it: no such file
    explained = json.loads(http_request(server.port, "POST", "/_amplify-local/explain?account=123456789012&region=us-east-1",
                                        {"Content-Type": "application/json"},
                                        json.dumps({"appId": app_id, "branchName": "main", "path": "/xaxaxaxaxaxaxaxaxaxaxaxab"}).encode())[2])
    assert explained["route"]["path"] == "/" + "*a" * 12 + "*b"
    assert site.get("/")[:3:2] == (200, b"<h1>ssr home</h1>")


def test_custom_headers_with_yaml_aliases_are_refused_when_written(hosting):
    server, client, app_id = hosting
    deploy(client, app_id, FILES)
    assert len(LAUGHS) < 700
    for call in (lambda: client.update_app(appId=app_id, customHeaders=LAUGHS),
                 lambda: client.create_app(name="laughs", customHeaders=LAUGHS)):
        with pytest.raises(client.exceptions.BadRequestException) as error:
            call()
        assert "customHeaders" in str(error.value) and "anchor" in str(error.value)
    assert client.get_app(appId=app_id)["app"].get("customHeaders", "") == ""
    assert [app["name"] for app in client.list_apps()["apps"]] == ["site"]
    # Anchor-free YAML with `&` and `*` in its values is the usual kind and stays accepted.
    usual = ("customHeaders:\n  - pattern: '**/*'\n    headers:\n      - key: Content-Security-Policy\n"
             "        value: \"default-src 'self' *.example.com; img-src * data:\"\n      - key: X-Query\n        value: a=1&b=2\n")
    client.update_app(appId=app_id, customHeaders=usual)
    status, headers, _ = Site(server, app_id).get("/")
    assert status == 200
    assert headers["content-security-policy"] == "default-src 'self' *.example.com; img-src * data:" and headers["x-query"] == "a=1&b=2"


def test_a_custom_http_yml_with_yaml_aliases_fails_the_build_naming_it(fresh_server, tmp_path):
    # The repository is read from tmp_path (a folder file:// sources may come from; older servers ignore the variable).
    client = fresh_server("--build-mode", "auto", env={"AMPLIFY_LOCAL_DEPLOY_FROM": str(tmp_path)}).client()
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": SITE, "customHttp.yml": LAUGHS})
    app_id, job = build(client, path)
    assert job["summary"]["status"] == "FAILED"
    reason = job["steps"][0]["statusReason"]
    assert "customHttp.yml" in reason and "anchor" in reason, reason
    assert client.get_app(appId=app_id)["app"]["name"] == "build"  # the server is still there


@pytest.mark.parametrize("request_path", ["/go//evil.example/x", "/go/%2Fevil.example/x", "/go/%5Cevil.example/x", "/go/%09/evil.example/x",
                                          "/to/https://evil.example/x"])
def test_a_redirect_built_from_the_path_stays_on_the_site(hosting, request_path):
    server, client, app_id = hosting
    deploy(client, app_id, FILES)
    client.update_app(appId=app_id, customRules=[
        {"source": "/go/<*>", "target": "/<*>", "status": "301"},
        {"source": "/to/<*>", "target": "<*>", "status": "301"},
        {"source": "/away/<*>", "target": "https://example.com/<*>", "status": "302"},
        {"source": "/cdn/<*>", "target": "//cdn.example.com/<*>", "status": "302"},
    ])
    site = Site(server, app_id)
    status, headers, _ = site.get(request_path)
    location = headers["location"]
    # What a browser makes of it: tabs and line breaks dropped, `\\` read as `/`; no scheme, no host.
    browser = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    assert status == 301 and browser.startswith("/") and not browser.startswith("//"), location
    assert urlsplit(browser).scheme == "" and urlsplit(browser).netloc == "", location
    assert location.endswith("evil.example/x")
    # Targets written to name a host keep it.
    assert site.get("/away//x")[1]["location"] == "https://example.com//x"
    assert site.get("/cdn/a.js")[1]["location"] == "//cdn.example.com/a.js"
    assert site.get("/go/docs/")[1]["location"] == "/docs/"
