"""Issue 33's hostile batch in one run against one server: every finding's attack, one after another, on a server that
already holds a built site and a manually deployed one. Afterwards the server still answers, and every earlier app,
branch, job and site is as it was. Each attack's own refusal is tested in conformance/test_hostile_*.py; this test is
about what the whole batch leaves behind."""
import json
import socket

from conftest import http_request, wait_for_status
from test_builds import FINISHED, SITE, make_repo, start
from test_hostile_files import PASSWD, climb, deploy_zip, lying_zip, make_zip, manual_app, site_get
from test_hostile_rules import LAUGHS

ATTACKER = "https://attacker.example"


def snapshot(client):
    """What the API says of every app, branch and job (times and signed URLs left out: they change per call)."""
    volatile = {"updateTime", "thumbnailUrl", "logUrl", "artifactsUrl", "testArtifactsUrl", "testConfigUrl", "screenshots"}

    def clean(value):
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items() if key not in volatile}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    state = {}
    for app in client.list_apps()["apps"]:
        branches = client.list_branches(appId=app["appId"])["branches"]
        state[app["appId"]] = clean({
            "app": app,
            "branches": branches,
            "jobs": {branch["branchName"]: client.list_jobs(appId=app["appId"], branchName=branch["branchName"])["jobSummaries"]
                     for branch in branches},
        })
    return state


def drip(port, count):
    """`count` connections that each send a request head's first bytes and then nothing (slowloris)."""
    sockets = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port))
        connection.sendall(b"GET /apps HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sockets.append(connection)
    return sockets


def test_the_hostile_batch_leaves_every_earlier_app_branch_job_and_site_intact(fresh_server, tmp_path):
    server = fresh_server("--build-mode", "auto", "--max-upload-bytes", "1000000", "--header-timeout", "2",
                          data_dir=str(tmp_path / "data"))
    client = server.client()
    # What was there before: a site built from a repository, and a manual deployment.
    make_repo(tmp_path / "site", {"amplify.yml": SITE})
    built = client.create_app(name="built", repository=str(tmp_path / "site"), environmentVariables={"GREETING": "kept"})["app"]
    client.create_branch(appId=built["appId"], branchName="main")
    job = wait_for_status(client, built["appId"], "main", start(client, built["appId"]), FINISHED, timeout=60)
    assert job["summary"]["status"] == "SUCCEED", job
    manual = manual_app(client)
    assert deploy_zip(client, manual, make_zip([("index.html", "manual")]))["summary"]["status"] == "SUCCEED"
    sites = {built["appId"]: site_get(server, built["appId"], "/")[2], manual: site_get(server, manual, "/")[2]}
    assert sites == {built["appId"]: b"<h1>kept</h1>\n", manual: b"manual"}
    before = snapshot(client)

    answers = []
    # A page's blind POSTs, and a rebound host name.
    answers.append(http_request(server.port, "POST", "/apps", {"Origin": ATTACKER, "Content-Type": "text/plain"},
                                json.dumps({"name": "from-a-page"}).encode()))
    answers.append(http_request(server.port, "POST", "/_amplify-local/state", {"Origin": ATTACKER, "Content-Type": "text/plain"},
                                json.dumps({"apps": []}).encode()))
    answers.append(http_request(server.port, "POST", "/_amplify-local/reset", {"Origin": ATTACKER}))
    answers.append(http_request(server.port, "GET", "/apps", {"Host": "rebind.attacker.example"}))
    # A body past the limit.
    answers.append(http_request(server.port, "POST", "/apps", {"Content-Type": "application/json"},
                                b'{"name": "' + b"x" * (7 << 20) + b'"}'))
    assert [answer[0] for answer in answers] == [403, 403, 403, 403, 413], [answer[:1] + answer[2:][:1] for answer in answers]
    # An app of the attacker's own: files outside, zips that escape or lie, rules and headers that cost a request dearly.
    hostile = manual_app(client, platform="WEB_COMPUTE")
    try:
        client.start_deployment(appId=hostile, branchName="main", sourceUrl="file:///etc", sourceUrlType="BUCKET_PREFIX")
        raise AssertionError("file:///etc was deployed")
    except client.exceptions.BadRequestException:
        pass
    escaping = make_zip([("b", "->", "."), ("x", "->", climb()), ("x" + str(tmp_path / "escaped.txt"), "escaped"),
                         ("passwd", "->", climb() + "etc/passwd")])
    assert deploy_zip(client, hostile, escaping)["summary"]["status"] == "FAILED"
    assert deploy_zip(client, hostile, lying_zip("zeros.bin", 20 << 20, 10))["summary"]["status"] == "FAILED"
    assert not (tmp_path / "escaped.txt").exists()
    assert PASSWD not in site_get(server, hostile, "/passwd")[2]
    client.update_app(appId=hostile, customRules=[
        {"source": "</^/(a+)+$/>", "target": "/index.html", "status": "200"},
        {"source": "/<*>", "target": "/<*>", "status": "301"},
    ])
    try:
        client.update_app(appId=hostile, customHeaders=LAUGHS)
        raise AssertionError("customHeaders with nested aliases were taken")
    except client.exceptions.BadRequestException:
        pass
    assert site_get(server, hostile, "/" + "a" * 28 + "!")[0] < 500
    status, headers, _ = site_get(server, hostile, "//evil.example/x")
    assert not headers.get("location", "").startswith("//"), headers
    slow = drip(server.port, 50)
    # Each read waits for the server to close the connection (--header-timeout is 2 s, counted from the drip).
    closed = 0
    for connection in slow:
        connection.settimeout(5)
        try:
            while connection.recv(1024):  # a 408, then the end; a connection still held open times out here
                pass
            closed += 1
        except ConnectionResetError:
            closed += 1
        except socket.timeout:
            pass
        connection.close()
    assert closed == 50

    # Afterwards: the server answers, and everything from before is as it was.
    assert http_request(server.port, "GET", "/_amplify-local/health")[0] == 200
    after = snapshot(client)
    assert set(after) == set(before) | {hostile}
    changed = {app: [(part, key, before[app][part][key], after[app][part][key]) for part in ("app",) for key in before[app][part]
                     if after[app][part].get(key) != before[app][part][key]] + [part for part in ("branches", "jobs") if after[app][part] != before[app][part]]
               for app in before if after[app] != before[app]}
    assert not changed, changed
    for app_id, body in sites.items():
        assert site_get(server, app_id, "/")[2] == body
    # And the server still builds.
    job = wait_for_status(client, built["appId"], "main", start(client, built["appId"]), FINISHED, timeout=60)
    assert job["summary"]["status"] == "SUCCEED", job
