"""Two nodes that share no folder (each its own --data-dir, files in an S3-compatible object store) against two nodes
on one shared data folder, in one run, both on one PostgreSQL database each: site requests through both nodes once
the site is cached, the time to publish a 100 MB deployment (and for the other node to serve it first), and how long
a build's log line takes to show when it is followed from the node that is not building.

Run through `bench/run-nodes`, which starts PostgreSQL (scripts/with-postgres) and SeaweedFS (scripts/with-object-store);
writes bench/results-objects.md.
"""
import argparse
import datetime
import http.client
import io
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from urllib.parse import urlsplit, urlunsplit

from bench import Process, call, wrk

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.environ["AMPLIFY_LOCAL_TEST_POSTGRES"]
S3 = os.environ["AMPLIFY_LOCAL_TEST_S3_ENDPOINT"]


def psql(sql):
    url = urlunsplit(urlsplit(SERVER)._replace(path="/postgres"))
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, capture_output=True)


class Setup:
    """Two nodes on a database of their own: on one data folder, or each on its own with the object store."""

    def __init__(self, name, binary, work, objects, build_mode="simulate"):
        self.name, self.objects = name, objects
        self.database = "bench_objects_" + uuid.uuid4().hex[:8]
        psql(f"CREATE DATABASE {self.database}")
        url = urlunsplit(urlsplit(SERVER)._replace(path="/" + self.database))
        extra = ["--database", url, "--build-mode", build_mode, "--deploy-from", tempfile.gettempdir()]
        env = dict(os.environ)
        if objects:
            extra += ["--object-store", f"s3://{os.environ['AMPLIFY_LOCAL_TEST_S3_BUCKET']}/bench-{uuid.uuid4().hex[:8]}",
                      "--object-store-endpoint", S3]
            env["AWS_ACCESS_KEY_ID"] = os.environ["AMPLIFY_LOCAL_TEST_S3_ACCESS_KEY_ID"]
            env["AWS_SECRET_ACCESS_KEY"] = os.environ["AMPLIFY_LOCAL_TEST_S3_SECRET_ACCESS_KEY"]
        self.nodes = []
        for index in range(2):
            folder = os.path.join(work, self.database, f"node-{index}" if objects else "shared")
            command = [binary, "serve", "--port", "{port}", "--log-level", "error", "--data-dir", folder, *extra]
            self.nodes.append(Process(command, "/_amplify-local/health", env=env))
        for node in self.nodes:
            node.start()

    def stop(self):
        for node in self.nodes:
            node.stop()
        psql(f"DROP DATABASE {self.database} WITH (FORCE)")


def put(url, body):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    connection.request("PUT", parts.path + "?" + parts.query, body=body)
    response = connection.getresponse()
    response.read()
    assert response.status == 200, response.status


def site_get(node, app_id, path):
    connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=300)
    connection.request("GET", path, headers={"Host": f"main.{app_id}.localhost"})
    response = connection.getresponse()
    body = response.read()
    return response.status, body


def deploy(node, app_id, zip_bytes):
    """Uploads and deploys the zip through `node`: seconds for the upload, and from StartDeployment to SUCCEED."""
    created = call(node.base, "POST", f"/apps/{app_id}/branches/main/deployments", {})
    started = time.perf_counter()
    put(created["zipUploadUrl"], zip_bytes)
    uploaded = time.perf_counter()
    call(node.base, "POST", f"/apps/{app_id}/branches/main/deployments/start", {"jobId": created["jobId"]})
    while True:
        status = call(node.base, "GET", f"/apps/{app_id}/branches/main/jobs/{created['jobId']}")["job"]["summary"]["status"]
        if status in ("SUCCEED", "FAILED"):
            break
        time.sleep(0.005)
    assert status == "SUCCEED", status
    return uploaded - started, time.perf_counter() - uploaded


def site_zip(megabytes):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("index.html", "<!doctype html><h1>bench</h1>" + "<p>text</p>" * 80)
        archive.writestr("assets/app.js", os.urandom(64 << 10))
        for index in range(megabytes):
            archive.writestr(f"media/{index:03}.bin", os.urandom(1 << 20))
    return buffer.getvalue()


def serve_rate(setup, app_id, path, seconds, connections):
    """Requests/s of `path` through both nodes at once (one wrk each, half the connections), added."""
    results = [None, None]

    def load(index):
        results[index] = wrk(f"{setup.nodes[index].base}{path}", seconds, connections // 2, threads=1,
                             headers=[f"Host: main.{app_id}.localhost"])

    threads = [threading.Thread(target=load, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result["non2xx"] == 0 for result in results), results
    return sum(result["rps"] for result in results), max(result["p99"] for result in results)


LOG_SPEC = """version: 1
frontend:
  phases:
    build:
      commands:
        - for i in $(seq 1 {lines}); do echo "stamp $(date +%s.%N)"; sleep 0.1; done
        - mkdir -p dist && echo ok > dist/index.html
  artifacts:
    baseDirectory: dist
    files: ['**/*']
"""


def log_latency(setup, work, lines):
    """Seconds from each log line's writing (its stamp) to its reading on the node that is not building."""
    repo = os.path.join(work, "log-repo")
    os.makedirs(repo, exist_ok=True)
    with open(os.path.join(repo, "amplify.yml"), "w") as handle:
        handle.write(LOG_SPEC.format(lines=lines))
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                    ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "log"]):
        subprocess.run(command, cwd=repo, check=True)
    a, b = setup.nodes
    app_id = call(a.base, "POST", "/apps", {"name": "logs", "repository": repo})["app"]["appId"]
    call(a.base, "POST", f"/apps/{app_id}/branches", {"branchName": "main"})
    # Node a builds: b is away until a has claimed the job.
    b.stop()
    job_id = call(a.base, "POST", f"/apps/{app_id}/branches/main/jobs", {"jobType": "RELEASE"})["jobSummary"]["jobId"]
    while call(a.base, "GET", f"/apps/{app_id}/branches/main/jobs/{job_id}")["job"]["summary"]["status"] == "PENDING":
        time.sleep(0.01)
    b.start()
    latencies, seen = [], b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = call(b.base, "GET", f"/apps/{app_id}/branches/main/jobs/{job_id}")["job"]
        build = next((step for step in job["steps"] if step["stepName"] == "BUILD"), None)
        if build and build.get("logUrl"):
            parts = urlsplit(build["logUrl"])
            connection = http.client.HTTPConnection("127.0.0.1", b.port, timeout=10)
            connection.request("GET", parts.path + "?" + parts.query, headers={"Range": f"bytes={len(seen)}-"})
            response = connection.getresponse()
            part = response.read()
            now = time.time()
            if response.status == 206 and part:
                # Whole lines only: a line cut at the end comes whole with the next read.
                text = part[: part.rfind(b"\n") + 1]
                for line in text.decode(errors="replace").splitlines():
                    stamp = line.rsplit("stamp ", 1)[-1].strip() if "stamp " in line else ""
                    if stamp.replace(".", "", 1).isdigit():
                        latencies.append(now - float(stamp))
                seen += text
        if job["summary"]["status"] in ("SUCCEED", "FAILED"):
            break
        time.sleep(0.02)
    return latencies


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--megabytes", type=int, default=100)
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="amplify-bench-objects-")
    os.chmod(work, 0o711)
    payload = site_zip(arguments.megabytes)
    rows = {}
    for name, objects in (("one shared data folder", False), ("object store (SeaweedFS), no shared folder", True)):
        setup = Setup(name, arguments.binary, work, objects)
        try:
            a, b = setup.nodes
            app_id = call(a.base, "POST", "/apps", {"name": "site"})["app"]["appId"]
            call(a.base, "POST", f"/apps/{app_id}/branches", {"branchName": "main"})
            upload, publish = deploy(a, app_id, payload)
            started = time.perf_counter()
            status, body = site_get(b, app_id, "/media/000.bin")
            first = time.perf_counter() - started
            assert status == 200 and len(body) == 1 << 20, status
            row = {"upload": upload, "publish": publish, "first": first}
            for label, path in (("index", "/"), ("asset", "/assets/app.js"), ("media", "/media/001.bin")):
                site_get(a, app_id, path), site_get(b, app_id, path)
                row[label] = serve_rate(setup, app_id, path, arguments.seconds, arguments.connections)
            rows[name] = row
        finally:
            setup.stop()
    log_setup = Setup("log", arguments.binary, work, True, build_mode="auto")
    try:
        latencies = log_latency(log_setup, work, lines=40)
    finally:
        log_setup.stop()
    shutil.rmtree(work, ignore_errors=True)
    report = render(rows, latencies, arguments)
    print(report)
    with open(os.path.join(HERE, "results-objects.md"), "w") as handle:
        handle.write(report)


def render(rows, latencies, arguments):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    shared, objects = rows["one shared data folder"], rows["object store (SeaweedFS), no shared folder"]
    lines = [
        f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({cpu}); two nodes, "
        f"PostgreSQL, SeaweedFS (`weed mini`) and wrk on the same machine. Sites: wrk on both nodes at once, {arguments.connections} "
        f"connections in all, {arguments.seconds} s per row, after each node served the file once (cached).",
        "",
        f"| files on | `/` (2 KB) req/s | `app.js` (64 KB) req/s | 1 MiB file req/s | {arguments.megabytes} MB zip upload s | publish s | "
        "first request on the other node s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['index'][0]:,.0f} | {row['asset'][0]:,.0f} | {row['media'][0]:,.0f} | {row['upload']:.2f} | "
            f"{row['publish']:.2f} | {row['first']:.2f} |"
        )
    other = latencies
    ratios = [objects[key][0] / shared[key][0] for key in ("index", "asset", "media")]
    lines += [
        "",
        f"A build's log (a line every 0.1 s, stamped by `date`) followed by range every 20 ms from the node that is not"
        f" building, {len(other)} lines: from the stamp to the read,"
        + (f" p50 {statistics.median(other) * 1000:.0f} ms, max {max(other) * 1000:.0f} ms." if other else " none."),
        "",
        "| target (issue 31) | measured | goal | met |",
        "|---|---:|---:|---|",
        f"| cached site requests, object store × shared folder (worst of the three files) | {min(ratios):.2f}× | ≥ 0.8× | {'yes' if min(ratios) >= 0.8 else 'no'} |",
        f"| publish of a {arguments.megabytes} MB deployment (upload + publish) | {objects['upload'] + objects['publish']:.2f} s "
        f"(shared folder {shared['upload'] + shared['publish']:.2f} s) | measured | — |",
        f"| a log line's latency on another node, max | {max(other) * 1000:.0f} ms | < 1 s | {'yes' if other and max(other) < 1 else 'no'} |"
        if other else "| a log line's latency on another node | no line read | < 1 s | no |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
