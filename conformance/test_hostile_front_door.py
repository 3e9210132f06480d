"""The front door (issue 33): a web page of another site, or one whose name was made to point here (DNS rebinding),
cannot drive the API, the admin endpoints or the console; bodies past the limit are 413 AWS errors; the console
cannot be framed. Sites, SDKs and the AWS CLI are unaffected."""
import http.client
import json
import os
import subprocess
import urllib.parse

import pytest

from conftest import Server, http_request, wait_for_status
from test_deployments import put
from test_hostile_files import make_zip
from test_hosting import deploy

UNSIGNED = "000000000000"  # the account of a request with no credential
ATTACKER = "https://attacker.example"
REBIND = "rebind.attacker.example"
STATE = "/_amplify-local/state"


def call(server, method, path, headers=None, body=None):
    """(status, headers, decoded JSON or None)."""
    status, answer_headers, data = http_request(server.port, method, path, headers or {}, body)
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        decoded = None
    return status, answer_headers, decoded


def assert_refused(answer, *phrases):
    status, headers, body = answer
    assert status == 403, answer
    assert headers["x-amzn-errortype"] == "AccessDeniedException" and body["__type"] == "AccessDeniedException", answer
    for phrase in phrases:
        assert phrase in body["message"], body


def app_names(server):
    status, _, body = call(server, "GET", "/apps")
    assert status == 200, body
    return [app["name"] for app in body["apps"]]


def own(server, host=None):
    """The headers of the console's own page (same origin) for a `Host`."""
    host = host or f"127.0.0.1:{server.port}"
    return {"Host": host, "Origin": f"http://{host}"}


def test_a_cross_origin_simple_post_creates_no_app(fresh_server):
    server = fresh_server()
    body = json.dumps({"name": "evil"}).encode()
    for headers in (
        {"Content-Type": "text/plain", "Origin": ATTACKER},  # what a <form> or fetch(no-cors) sends
        {"Content-Type": "application/json", "Origin": ATTACKER},
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": "null"},  # a sandboxed frame, a file:// page
        {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},  # no Origin, but the browser says whose
    ):
        assert_refused(call(server, "POST", "/apps", headers, body))
    assert_refused(call(server, "POST", "/apps", {"Content-Type": "text/plain", "Origin": ATTACKER}, body), f"Origin {ATTACKER}", "--allowed-origins")
    # Without any Origin, a body that is not JSON is refused too (a page's untyped fetch body sends no Content-Type).
    assert_refused(call(server, "POST", "/apps", {"Content-Type": "text/plain;charset=UTF-8"}, body), "application/json")
    assert_refused(call(server, "POST", "/apps", {}, body), "no Content-Type")
    assert app_names(server) == []
    assert call(server, "POST", "/apps", {"Content-Type": "application/json"}, body)[0] == 200
    assert app_names(server) == ["evil"]


def test_a_blind_state_import_then_start_deployment_is_refused(fresh_server):
    server = fresh_server()
    client = server.client(account=UNSIGNED)
    app_id = client.create_app(name="imported")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    status, _, document = call(server, "GET", STATE)
    assert status == 200 and len(document["apps"]) == 1
    server.reset()
    data = json.dumps(document).encode()
    assert_refused(call(server, "POST", STATE, {"Content-Type": "text/plain", "Origin": ATTACKER}, data))
    assert_refused(call(server, "POST", STATE, {"Content-Type": "application/json", "Origin": ATTACKER}, data))
    assert_refused(call(server, "POST", STATE, {"Content-Type": "text/plain"}, data), "application/json")
    assert_refused(call(server, "POST", "/_amplify-local/reset", {"Origin": ATTACKER}))
    assert app_names(server) == []
    # The same document from the server's own page (or a script) loads: it was a real one.
    status, _, loaded = call(server, "POST", STATE, {"Content-Type": "application/json", **own(server)}, data)
    assert (status, loaded) == (200, {"loaded": 1})
    start = json.dumps({"sourceUrl": "file:///etc", "sourceUrlType": "ZIP"}).encode()
    target = f"/apps/{app_id}/branches/main/deployments/start"
    assert_refused(call(server, "POST", target, {"Content-Type": "text/plain", "Origin": ATTACKER}, start))
    assert_refused(call(server, "POST", target, {"Content-Type": "application/json", "Host": f"{REBIND}:{server.port}"}, start))
    assert client.list_jobs(appId=app_id, branchName="main")["jobSummaries"] == []


def test_a_rebound_host_is_refused_unless_allowed(fresh_server):
    server = fresh_server()
    port = server.port
    assert_refused(call(server, "GET", "/apps", {"Host": f"{REBIND}:{port}"}), f"Host {REBIND}", "--allowed-hosts")
    assert_refused(call(server, "GET", "/apps", {"Host": REBIND}))
    assert_refused(call(server, "GET", "/_amplify-local/health", {"Host": f"{REBIND}:{port}"}))
    assert_refused(call(server, "GET", STATE, {"Host": f"localhost.attacker.example:{port}"}))
    assert_refused(call(server, "GET", "/_amplify-local/console/", {"Host": f"{REBIND}:{port}"}))
    # Names that cannot be rebound: IP literals, localhost and the names under it, the --host value.
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST.:{port}", f"[::1]:{port}", f"a.b.c.localhost:{port}", "10.0.0.7"):
        assert call(server, "GET", "/apps", {"Host": host})[0] == 200, host
    allowed = fresh_server("--allowed-hosts", REBIND, "--allowed-hosts", "*.corp.test")
    for host in (f"{REBIND}:{allowed.port}", REBIND.upper(), "build.corp.test"):
        assert call(allowed, "GET", "/apps", {"Host": host})[0] == 200, host
    assert_refused(call(allowed, "GET", "/apps", {"Host": "other.attacker.example"}))
    assert_refused(call(allowed, "GET", "/apps", {"Host": "corp.test"}))
    from_env = fresh_server(env={"AMPLIFY_LOCAL_ALLOWED_HOSTS": f"one.test, {REBIND}"})
    assert call(from_env, "GET", "/apps", {"Host": REBIND})[0] == 200
    assert_refused(call(from_env, "GET", "/apps", {"Host": "two.test"}))


def test_allowed_origins_let_a_named_origin_through_with_cors(fresh_server):
    page = "http://localhost:3000"
    server = fresh_server("--allowed-origins", page)
    status, headers, _ = call(server, "OPTIONS", "/apps", {
        "Origin": page, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,authorization,x-amz-date",
    })
    assert status == 204 and headers["access-control-allow-origin"] == page
    assert "POST" in headers["access-control-allow-methods"] and "x-amz-date" in headers["access-control-allow-headers"]
    status, headers, body = call(server, "POST", "/apps", {"Origin": page, "Content-Type": "application/json"}, b'{"name": "from-page"}')
    assert status == 200 and body["app"]["name"] == "from-page"
    assert headers["access-control-allow-origin"] == page and "x-amzn-RequestId" in headers["access-control-expose-headers"]
    # Still JSON only, and only that origin.
    assert_refused(call(server, "POST", "/apps", {"Origin": page, "Content-Type": "text/plain"}, b'{"name": "plain"}'))
    assert_refused(call(server, "POST", "/apps", {"Origin": "http://localhost:3001", "Content-Type": "application/json"}, b'{"name": "x"}'))
    status, headers, _ = call(server, "OPTIONS", "/apps", {"Origin": ATTACKER, "Access-Control-Request-Method": "POST"})
    assert status == 403 and "access-control-allow-origin" not in headers
    assert app_names(server) == ["from-page"]
    from_env = fresh_server(env={"AMPLIFY_LOCAL_ALLOWED_ORIGINS": f"http://127.0.0.1:5173,{page}"})
    assert call(from_env, "GET", "/apps", {"Origin": "http://127.0.0.1:5173"})[0] == 200
    with pytest.raises(RuntimeError, match="--allowed-origins localhost:3000"):
        Server("--allowed-origins", "localhost:3000").start()
    with pytest.raises(RuntimeError, match="--allowed-hosts http://x.test"):
        Server("--allowed-hosts", "http://x.test").start()


def test_the_servers_own_origin_works_and_answers_say_nosniff(fresh_server):
    server = fresh_server()
    port = server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        status, headers, body = call(server, "POST", "/apps", {"Content-Type": "application/json", **own(server, host)}, b'{"name": "mine"}')
        assert status == 200, body
        assert headers["x-content-type-options"] == "nosniff"
    # Another port or name of the same machine is another origin (a dev server's page, a site of this server).
    for origin in (f"http://localhost:{port + 1}", f"http://localhost:{port}", f"http://main.d1abc.localhost:{port}"):
        assert_refused(call(server, "POST", "/apps", {"Content-Type": "application/json", "Host": f"127.0.0.1:{port}", "Origin": origin}, b"{}"))
    # Errors, admin answers and signed log URLs are never sniffed either.
    for path in ("/apps/dnope", "/_amplify-local/health", "/_amplify-local/logs/x"):
        assert http_request(port, "GET", path)[1]["x-content-type-options"] == "nosniff", path
    assert app_names(server) == ["mine", "mine"]


def test_sites_still_serve_a_foreign_origin_while_the_api_refuses_it(fresh_server):
    server = fresh_server()
    client = server.client(account=UNSIGNED)
    app_id = client.create_app(name="site")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    assert deploy(client, app_id, {"index.html": "<h1>served</h1>"})["summary"]["status"] == "SUCCEED"
    foreign = {"Origin": ATTACKER, "Sec-Fetch-Site": "cross-site"}
    status, headers, body = http_request(server.port, "GET", "/", {"Host": f"main.{app_id}.localhost:{server.port}", **foreign})
    assert (status, body) == (200, b"<h1>served</h1>")
    assert "x-content-type-options" not in headers  # a site's headers are its own (customHeaders)
    assert http_request(server.port, "GET", "/", {"Host": f"{app_id}.localhost", **foreign})[0] == 200
    assert_refused(call(server, "GET", f"/apps/{app_id}", foreign))


def console_csrf(server, path="/_amplify-local/console/"):
    page = http_request(server.port, "GET", path)[2].decode()
    return page.split('name="csrf" value="')[1].split('"')[0]


def test_the_console_cannot_be_framed_sniffed_or_posted_to_from_another_site(fresh_server):
    server = fresh_server()
    for path in ("/_amplify-local/console/", "/_amplify-local/console/console.js", "/_amplify-local/console/apps/dnope"):
        status, headers, _ = http_request(server.port, "GET", path)
        assert status in (200, 404), path
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff", path
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "default-src 'none'" in policy, policy
    status, headers, _ = http_request(server.port, "GET", "/", {"Accept": "text/html"})
    assert status == 302 and headers["x-frame-options"] == "DENY"
    form = f"csrf={console_csrf(server)}&name=framed&platform=WEB".encode()
    forms = {"Content-Type": "application/x-www-form-urlencoded"}
    # A valid CSRF token does not help another site's page: the console checks Origin and Host too.
    assert_refused(call(server, "POST", "/_amplify-local/console/apps", {**forms, "Origin": ATTACKER}, form))
    assert_refused(call(server, "POST", "/_amplify-local/console/apps", {**forms, "Host": f"{REBIND}:{server.port}"}, form))
    assert app_names(server) == []
    status, headers, _ = http_request(server.port, "POST", "/_amplify-local/console/apps", {**forms, **own(server)}, form)
    assert status == 303 and headers["x-frame-options"] == "DENY"
    assert app_names(server) == ["framed"]


def chunked(server, path, headers, parts):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("POST", path, body=iter(parts), headers={"Transfer-Encoding": "chunked", **headers}, encode_chunked=True)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read())
    finally:
        connection.close()


def assert_too_large(answer, limit):
    status, headers, body = answer
    assert status == 413, answer
    assert headers["x-amzn-errortype"] == "RequestTooLargeException" and body["__type"] == "RequestTooLargeException", answer
    assert str(limit) in body["message"], body


def test_bodies_over_the_limit_are_413_aws_errors(fresh_server):
    server = fresh_server()
    json_type = {"Content-Type": "application/json"}
    big = b'{"name": "' + b"a" * (7 << 20) + b'"}'
    assert_too_large(call(server, "POST", "/apps", json_type, big), 6 << 20)
    assert_too_large(chunked(server, "/apps", json_type, [big[i:i + (1 << 20)] for i in range(0, len(big), 1 << 20)]), 6 << 20)
    assert_too_large(call(server, "POST", "/_amplify-local/faults", json_type, big), 6 << 20)
    forms = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_too_large(call(server, "POST", "/_amplify-local/console/apps", forms, b"name=" + b"a" * (2 << 20)), 1 << 20)
    # A zip dropped on the console's branch page, past the limit: an error it shows, not a 500.
    client = server.client(account=UNSIGNED)
    app_id = client.create_app(name="drop")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    page = http_request(server.port, "GET", f"/_amplify-local/console/apps/{app_id}/branches/main")[2].decode()
    token = page.split('data-csrf="')[1].split('"')[0]
    status, _, body = call(server, "POST", f"/_amplify-local/console/apps/{app_id}/branches/main/deploy",
                           {"Content-Type": "application/zip", "X-CSRF-Token": token}, b"PK" + b"\0" * (7 << 20))
    assert status == 413 and str(6 << 20) in body["message"], (status, body)
    assert app_names(server) == ["drop"]
    assert call(server, "GET", "/_amplify-local/health")[0] == 200


def test_boto3_and_the_aws_cli_pass_the_door_that_refuses_a_page(fresh_server, tmp_path):
    server = fresh_server()
    client = server.client()
    created = client.create_app(name="sdk", environmentVariables={"A": "1"})
    assert created["ResponseMetadata"]["HTTPHeaders"]["x-content-type-options"] == "nosniff"
    app_id = created["app"]["appId"]
    client.update_app(appId=app_id, description="updated")
    client.create_branch(appId=app_id, branchName="feature/x")
    client.tag_resource(resourceArn=created["app"]["appArn"], tags={"k": "v"})
    deployment = client.create_deployment(appId=app_id, branchName="feature/x")
    client.delete_branch(appId=app_id, branchName="feature/x")
    assert deployment["jobId"] == "1"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(AWS_ACCESS_KEY_ID="123456789012", AWS_SECRET_ACCESS_KEY="secret", AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="",
                       AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    for endpoint in (server.endpoint, f"http://localhost:{server.port}"):
        listed = subprocess.run(["aws", "amplify", "list-apps", "--endpoint-url", endpoint, "--output", "json"],
                                capture_output=True, text=True, env=environment, timeout=60)
        assert listed.returncode == 0, listed.stderr
        assert [app["name"] for app in json.loads(listed.stdout)["apps"]] == ["sdk"]
    made = subprocess.run(["aws", "amplify", "create-app", "--name", "cli", "--endpoint-url", server.endpoint, "--output", "json"],
                          capture_output=True, text=True, env=environment, timeout=60)
    assert made.returncode == 0 and json.loads(made.stdout)["app"]["name"] == "cli", made.stderr
    assert sorted(app["name"] for app in client.list_apps()["apps"]) == ["cli", "sdk"]
    # The same server refuses the page that would call it the same way.
    assert_refused(call(server, "GET", "/apps", {"Host": f"{REBIND}:{server.port}"}))


def test_a_chunked_upload_past_the_limit_is_413_and_leaves_room_for_a_good_one(fresh_server):
    """A signed upload URL sent chunked (no Content-Length to refuse it by): cut at --max-upload-bytes, 413, not 500."""
    server = fresh_server("--max-upload-bytes", "100000")
    client = server.client()
    app_id = client.create_app(name="uploads")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    created = client.create_deployment(appId=app_id, branchName="main")
    url = urllib.parse.urlsplit(created["zipUploadUrl"])
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    connection.putrequest("PUT", f"{url.path}?{url.query}")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    try:
        for _ in range(30):
            connection.send(b"2710\r\n" + b"x" * 10000 + b"\r\n")
        connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server may close as soon as it has answered
    answer = connection.getresponse()
    assert answer.status == 413, (answer.status, answer.read())
    assert b"100000 bytes" in answer.read()
    connection.close()
    put(created["zipUploadUrl"], make_zip([("index.html", "fits")]))
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    assert wait_for_status(client, app_id, "main", created["jobId"], ("SUCCEED", "FAILED"))["summary"]["status"] == "SUCCEED"
