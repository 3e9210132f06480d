"""Instructions per request, counted by valgrind's callgrind: repeatable where wall time is too noisy to decide (a
loaded machine, two builds compared). Each binary is started under callgrind with its state in memory; an app with a
finished job and a deployed site is made; then, for each kind of request, the counters are zeroed, N requests are
sent on one kept-alive connection, and the instructions counted are divided by N.

    python3 bench/callgrind.py --binary NAME=PATH [--binary NAME=PATH ...] [--requests 500]
"""
import argparse
import glob
import http.client
import io
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
import zipfile


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(connection, method, path, headers=None, body=None):
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return data


def callgrind_total(out_dir):
    """The instructions of the newest dump in `out_dir`."""
    newest = max(glob.glob(os.path.join(out_dir, "cg.out*")), key=os.path.getmtime)
    with open(newest) as handle:
        for line in handle:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {newest}")


def measure(binary, requests):
    out_dir = tempfile.mkdtemp(prefix="callgrind-")
    port = free_port()
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_dir}/cg.out", "--dump-instr=no",
         binary, "serve", "--port", str(port), "--in-memory", "--build-mode", "simulate", "--simulated-build-seconds", "0",
         "--log-level", "error"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_amplify-local/health", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        api = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        json_headers = {"Content-Type": "application/json"}
        app_id = json.loads(call(api, "POST", "/apps", json_headers, json.dumps({"name": "bench"})))["app"]["appId"]
        call(api, "POST", f"/apps/{app_id}/branches", json_headers, json.dumps({"branchName": "main"}))
        call(api, "POST", f"/apps/{app_id}/branches/main/jobs", json_headers, json.dumps({"jobType": "RELEASE"}))
        while json.loads(call(api, "GET", f"/apps/{app_id}/branches/main/jobs/1"))["job"]["summary"]["status"] != "SUCCEED":
            time.sleep(0.5)
        manual = json.loads(call(api, "POST", "/apps", json_headers, json.dumps({"name": "site"})))["app"]["appId"]
        call(api, "POST", f"/apps/{manual}/branches", json_headers, json.dumps({"branchName": "main"}))
        created = json.loads(call(api, "POST", f"/apps/{manual}/branches/main/deployments", json_headers, b"{}"))
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("index.html", "x" * 1024)
            zipped.writestr("large.bin", os.urandom(100 * 1024))
        upload = urllib.request.Request(created["zipUploadUrl"], data=archive.getvalue(), method="PUT")
        urllib.request.urlopen(upload, timeout=60).read()
        call(api, "POST", f"/apps/{manual}/branches/main/deployments/start", json_headers,
             json.dumps({"jobId": created["jobId"]}))
        while json.loads(call(api, "GET", f"/apps/{manual}/branches/main/jobs/{created['jobId']}"))["job"]["summary"]["status"] != "SUCCEED":
            time.sleep(0.5)
        site = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        kinds = {
            "GetJob": (api, "GET", f"/apps/{app_id}/branches/main/jobs/1", {}),
            "ListJobs": (api, "GET", f"/apps/{app_id}/branches/main/jobs", {}),
            "site 1 KB": (site, "GET", "/index.html", {"Host": f"main.{manual}.localhost"}),
            "site 100 KB": (site, "GET", "/large.bin", {"Host": f"main.{manual}.localhost"}),
        }
        results = {}
        for name, (connection, method, path, headers) in kinds.items():
            for _ in range(20):  # warm: caches filled, code paths touched
                call(connection, method, path, headers)
            subprocess.run(["callgrind_control", "--zero", str(server.pid)], check=True, capture_output=True)
            for _ in range(requests):
                call(connection, method, path, headers)
            subprocess.run(["callgrind_control", "--dump", str(server.pid)], check=True, capture_output=True)
            time.sleep(0.5)
            results[name] = callgrind_total(out_dir) / requests
        return results
    finally:
        server.terminate()
        server.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", action="append", required=True, help="NAME=PATH")
    parser.add_argument("--requests", type=int, default=500)
    arguments = parser.parse_args()
    table = {}
    for spec in arguments.binary:
        name, path = spec.split("=", 1)
        table[name] = measure(path, arguments.requests)
    names = list(table)
    kinds = list(table[names[0]])
    print("| request | " + " | ".join(f"{name} (instructions)" for name in names) + (" | change |" if len(names) == 2 else " |"))
    print("|---|" + "---:|" * (len(names) + (1 if len(names) == 2 else 0)))
    for kind in kinds:
        cells = [f"{table[name][kind]:,.0f}" for name in names]
        change = f" | {table[names[1]][kind] / table[names[0]][kind] - 1:+.1%}" if len(names) == 2 else ""
        print(f"| {kind} | " + " | ".join(cells) + change + " |")


if __name__ == "__main__":
    main()
