"""Hostile input: thousands of generated requests (fixed seed, bounded count, 127.0.0.1 only).

Every answer must be below 500 and, when an error, a well-formed AWS error; the server must stay healthy;
rejected requests must change nothing. `AMPLIFY_LOCAL_FUZZ_COUNT` and `AMPLIFY_LOCAL_FUZZ_SEED` run it
longer or differently (see the README).
"""
import http.client
import json
import os
import random

from conftest import http_request, make_client

COUNT = int(os.environ.get("AMPLIFY_LOCAL_FUZZ_COUNT", "3000"))
SEED = int(os.environ.get("AMPLIFY_LOCAL_FUZZ_SEED", "20261129"))
FUZZ_ACCOUNT = "555555555555"
AUTH = f"AWS4-HMAC-SHA256 Credential={FUZZ_ACCOUNT}/20261129/us-east-1/amplify/aws4_request, SignedHeaders=host, Signature=0"

TEMPLATES = [
    ("POST", "/apps"), ("GET", "/apps"), ("GET", "/apps/{app}"), ("POST", "/apps/{app}"), ("DELETE", "/apps/{app}"),
    ("POST", "/apps/{app}/branches"), ("GET", "/apps/{app}/branches"), ("GET", "/apps/{app}/branches/{branch}"),
    ("POST", "/apps/{app}/branches/{branch}"), ("DELETE", "/apps/{app}/branches/{branch}"),
    ("POST", "/apps/{app}/branches/{branch}/jobs"), ("GET", "/apps/{app}/branches/{branch}/jobs"),
    ("GET", "/apps/{app}/branches/{branch}/jobs/{job}"), ("DELETE", "/apps/{app}/branches/{branch}/jobs/{job}"),
    ("DELETE", "/apps/{app}/branches/{branch}/jobs/{job}/stop"), ("POST", "/apps/{app}/branches/{branch}/deployments"),
    ("POST", "/apps/{app}/branches/{branch}/deployments/start"), ("POST", "/apps/{app}/domains"),
    ("GET", "/apps/{app}/domains/{domain}"), ("POST", "/apps/{app}/webhooks"), ("GET", "/webhooks/{webhook}"),
    ("POST", "/webhooks/{webhook}"), ("POST", "/apps/{app}/backendenvironments"), ("GET", "/tags/{arn}"),
    ("POST", "/tags/{arn}"), ("DELETE", "/tags/{arn}"), ("GET", "/artifacts/{artifact}"), ("POST", "/apps/{app}/accesslogs"),
    ("POST", "/prod/webhooks"), ("GET", "/_amplify-local/logs/{app}/{branch}/{job}/x/y/z"), ("PUT", "/_amplify-local/uploads/a/b/c/d/1/zip"),
]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def hostile_text(rng):
    choices = [
        "", "%20", "d1", "dabc123", "main", "feature%2Fx", "%", "%ZZ", "%00", "..", "../../etc/passwd", "%2e%2e%2f",
        "a" * rng.choice([255, 256, 2001, 5000]), "%C3%BC", "%C3%28", "%FF%FE", "1", "0", "-1", "99999999999999999999999",
        "arn%3Aaws%3Aamplify%3Aus-east-1%3A555555555555%3Aapps%2Fd1", "null", "{}", "%0d%0aSet-Cookie:x", "*",
    ]
    return rng.choice(choices)


def hostile_value(rng, depth=0):
    kind = rng.randrange(12)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, 1e308, -1.5, 10**30])
    if kind == 3:
        return "x" * rng.choice([0, 1, 255, 256, 1001, 25001])
    if kind == 4:
        return "\u0000\u202e\ud7ff" + "\U0001F680"
    if kind == 5 and depth < 3:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 6 and depth < 3:
        return {rng.choice(MEMBERS): hostile_value(rng, depth + 1) for _ in range(rng.randrange(5))}
    return rng.choice(["RELEASE", "RETRY", "MANUAL", "WEB_HOOK", "WEB", "PRODUCTION", "ZIP", "https://x", "s3://b/k", "1"])


MEMBERS = [
    "name", "description", "repository", "platform", "environmentVariables", "customRules", "tags", "branchName", "stage",
    "jobType", "jobId", "commitTime", "commitId", "domainName", "subDomainSettings", "environmentName", "sourceUrl",
    "sourceUrlType", "fileMap", "ttl", "enableAutoBuild", "jobConfig", "cacheConfig", "certificateSettings", "backend",
]


def hostile_body(rng):
    kind = rng.randrange(10)
    if kind == 0:
        return b""
    if kind == 1:
        return b"{" * rng.choice([1, 100, 10000])
    if kind == 2:
        return b"[" * 5000 + b"]" * 5000
    if kind == 3:
        return b'{"name": "\xff\xfe invalid utf8"}'
    if kind == 4:
        return b'{"name": 1e999, "maxResults": NaN}'
    if kind == 5:
        return json.dumps(hostile_value(rng)).encode()
    if kind == 6:
        return b'{"a":' * 3000 + b"1" + b"}" * 3000
    return json.dumps({rng.choice(MEMBERS): hostile_value(rng) for _ in range(rng.randrange(1, 6))}).encode()


def hostile_query(rng):
    parts = []
    for _ in range(rng.randrange(4)):
        key = rng.choice(["maxResults", "nextToken", "tagKeys", "environmentName", "id", "token", "", "%ZZ"])
        parts.append(f"{key}={hostile_text(rng)}")
    return "&".join(parts)


def test_hostile_requests_get_clean_errors(fresh_server):
    server = fresh_server("--simulated-build-seconds", "0")
    victim_client = server.client()
    victim = victim_client.create_app(name="victim", repository="/srv/repo")["app"]
    victim_client.create_branch(appId=victim["appId"], branchName="main")
    victim_client.start_job(appId=victim["appId"], branchName="main", jobType="RELEASE")
    before = snapshot(victim_client, victim["appId"])

    rng = random.Random(SEED)
    statuses = {}
    created = deleted = 0
    for index in range(COUNT):
        method, template = rng.choice(TEMPLATES)
        if rng.random() < 0.2:
            method = rng.choice(METHODS)
        path = template
        for label in ("{app}", "{branch}", "{job}", "{domain}", "{webhook}", "{arn}", "{artifact}"):
            path = path.replace(label, victim["appId"] if label == "{app}" and rng.random() < 0.1 else hostile_text(rng))
        query = hostile_query(rng)
        target = path + ("?" + query if query else "")
        headers = {"Authorization": AUTH} if rng.random() < 0.8 else {"Authorization": hostile_text(rng)}
        if rng.random() < 0.7:
            headers["Content-Type"] = rng.choice(["application/json", "text/plain", "application/x-www-form-urlencoded"])
        body = hostile_body(rng) if method in ("POST", "PUT", "PATCH", "DELETE") or rng.random() < 0.1 else None
        status, response_headers, data = send(server.port, method, target, body, headers)
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500, f"request {index}: {method} {target[:200]} {body[:200] if body else b''} -> {status} {data[:300]}"
        if status >= 400 and method != "HEAD" and not target.startswith("/_amplify-local/"):
            payload = json.loads(data)
            assert payload["message"], (method, target)
            assert response_headers.get("x-amzn-errortype") == payload["__type"], (method, target)
        assert response_headers.get("x-amzn-requestid"), (method, target)
        # Only requests signed for the fuzz account count: a hostile Authorization puts the app in another account.
        ours = headers["Authorization"] == AUTH
        if ours and status == 200 and method == "POST" and path == "/apps":
            created += 1
        if ours and status == 200 and method == "DELETE" and path.count("/") == 2 and path.startswith("/apps/"):
            deleted += 1

    fuzz_client = make_client(server.endpoint, account=FUZZ_ACCOUNT)
    assert len(list_all_apps(fuzz_client)) == created - deleted
    assert snapshot(victim_client, victim["appId"]) == before
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", "/_amplify-local/health")
    assert connection.getresponse().status == 200
    print(f"fuzzed {COUNT} requests with seed {SEED}: statuses {dict(sorted(statuses.items()))}")


def send(port, method, target, body, headers):
    return http_request(port, method, target, headers, body)


def list_all_apps(client):
    return [app for page in client.get_paginator("list_apps").paginate() for app in page["apps"]]


def snapshot(client, app_id):
    """Everything the victim account has, as the API shows it."""
    app = client.get_app(appId=app_id)["app"]
    branches = client.list_branches(appId=app_id)["branches"]
    jobs = {b["branchName"]: client.list_jobs(appId=app_id, branchName=b["branchName"])["jobSummaries"] for b in branches}
    for summaries in jobs.values():
        for summary in summaries:
            summary.pop("status", None)
            summary.pop("endTime", None)
    return app, branches, jobs, [a["appId"] for a in list_all_apps(client)]


def test_hostile_site_requests_get_clean_answers(fresh_server):
    """The same against a live site: hostile hosts, paths, methods, ranges and credentials."""
    import io
    import urllib.request
    import zipfile

    from conftest import wait_for_status

    server = fresh_server()
    client = server.client()
    app_id = client.create_app(name="site")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    client.update_app(appId=app_id, customRules=[
        {"source": "/r/<x>/<*>", "target": "/<x>/<*>", "status": "301"},
        {"source": "</^[^.]+$/>", "target": "/index.html", "status": "200"},
        {"source": "/<*>", "target": "/index.html", "status": "404-200"},
    ])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<h1>site</h1>")
        archive.writestr("a/b.txt", "0123456789" * 100)
    created = client.create_deployment(appId=app_id, branchName="main")
    urllib.request.urlopen(urllib.request.Request(created["zipUploadUrl"], data=buffer.getvalue(), method="PUT")).close()
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    wait_for_status(client, app_id, "main", created["jobId"], ("SUCCEED",))

    rng = random.Random(SEED + 1)
    hosts = [f"main.{app_id}.localhost:{server.port}", f"{app_id}.localhost", f"MAIN.{app_id.upper()}.LOCALHOST.",
             f"x.main.{app_id}.localhost", f"main..localhost", ".localhost", f"main.{app_id}.localhost:abc", "localhost"]
    statuses = {}
    for index in range(COUNT // 3):
        path = "/" + "/".join(hostile_text(rng) for _ in range(rng.randrange(1, 4)))
        headers = {"Host": rng.choice(hosts)}
        if rng.random() < 0.3:
            headers["Range"] = rng.choice(["bytes=0-0", "bytes=-5", "bytes=5-", "bytes=9999-1", "bytes=a-b", "bytes=0-1,3-4", "items=0-1"])
        if rng.random() < 0.2:
            headers["If-None-Match"] = rng.choice(['"x"', "*", "W/\"" + "a" * 300 + "\""])
        if rng.random() < 0.2:
            headers["Authorization"] = rng.choice(["Basic", "Basic !!!", "Basic " + "A" * 1000, "Bearer x"])
        method = rng.choice(["GET", "GET", "HEAD", "POST", "PUT", "OPTIONS"])
        status, _, data = send(server.port, method, path, None, headers)
        statuses[status] = statuses.get(status, 0) + 1
        assert status < 500 or status == 502, f"request {index}: {method} {path} {headers} -> {status} {data[:200]}"
        assert b"root:" not in data
    status, _, data = send(server.port, "GET", "/", None, {"Host": f"main.{app_id}.localhost"})
    assert (status, data) == (200, b"<h1>site</h1>")
    print(f"fuzzed {COUNT // 3} site requests with seed {SEED + 1}: statuses {dict(sorted(statuses.items()))}")
