"""The web console's pages: how long the app page and the branch page take to render (request to last byte, one
keep-alive connection, one request at a time) and how large they are, with 10 and with 1,000 jobs on the branch.

Run through `bench/run-console` (builds in release mode first). Prints a Markdown report and writes it to
bench/results-console.md. The jobs are copies of a finished job (bench/seed.py) in the SQLite store.
"""
import argparse
import datetime
import http.client
import os
import platform
import statistics
import sys
import tempfile
import time

import boto3
from botocore.config import Config

from builds import start_server
from seed import seed

ACCOUNT = "000000000000"  # the open console's account: an unsigned request's


def prepared(binary, root, jobs):
    """A stopped server's data directory with an app whose branch `main` has `jobs` finished jobs; (data, appId)."""
    data = os.path.join(root, f"data-{jobs}")
    process, server = start_server(binary, data, "--build-mode", "simulate", "--simulated-build-seconds", "0.05")
    client = boto3.client(
        "amplify", endpoint_url=server.meta.endpoint_url, region_name="us-east-1", aws_access_key_id=ACCOUNT,
        aws_secret_access_key="x", config=Config(retries={"total_max_attempts": 1}),
    )
    try:
        # Builds are simulated: the repository is only named.
        app_id = client.create_app(name="console bench", repository=root)["app"]["appId"]
        client.create_branch(appId=app_id, branchName="main")
        job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
        while client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"]["summary"]["status"] not in ("SUCCEED", "FAILED"):
            time.sleep(0.02)
    finally:
        process.terminate()
        process.wait()
    if jobs > 1:
        seed(os.path.join(data, "amplify-local.sqlite"), app_id, "main", jobs)
    return data, app_id


def serve(binary, data):
    """The server on `data`, and its port."""
    process, client = start_server(binary, data, "--build-mode", "simulate")
    return process, int(client.meta.endpoint_url.rsplit(":", 1)[1])


def measure(port, path, runs):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    times, size = [], 0
    for _ in range(runs + 5):
        started = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200, (response.status, body[:200])
        times.append(elapsed)
        size = len(body)
    times = sorted(times[5:])
    return statistics.median(times), times[int(len(times) * 0.95) - 1], size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runs", type=int, default=100)
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-console-") as root:
        for jobs in (10, 1000):
            data, app_id = prepared(options.binary, root, jobs)
            process, port = serve(options.binary, data)
            try:
                for name, path in (("app", f"/_amplify-local/console/apps/{app_id}"), ("branch", f"/_amplify-local/console/apps/{app_id}/branches/main")):
                    median, p95, size = measure(port, path, options.runs)
                    rows.append((name, jobs, median, p95, size))
                    print(f"{name} page, {jobs} jobs: {median:.1f} ms median, {p95:.1f} ms p95, {size} bytes", file=sys.stderr)
            finally:
                process.terminate()
                process.wait()
    lines = [
        f"# Console pages ({datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores)",
        "",
        f"One keep-alive connection, {options.runs} requests after 5 to warm up, request to last byte. The branch page",
        "shows the newest 50 jobs (older ones a page further); the app page each branch's latest job. Target: under 50 ms,",
        "no page over 150 KB.",
        "",
        "| page | jobs on the branch | median ms | p95 ms | bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {name} | {jobs:,} | {median:.1f} | {p95:.1f} | {size:,} |" for name, jobs, median, p95, size in rows]
    report = "\n".join(lines) + "\n"
    print(report)
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results-console.md"), "w") as out:
        out.write(report)


if __name__ == "__main__":
    main()
