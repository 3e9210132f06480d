"""Static file serving: amplify-local's sites against nginx (Debian's package) on the same files, in one run.

Run through `bench/run-hosting` (installs nginx and wrk if missing, builds in release mode first). A manual
deployment puts the files live on amplify-local; nginx serves the very same folder. wrk (a second process)
loads each in turn. Prints a Markdown report and writes it to bench/results-hosting.md.
"""
import argparse
import datetime
import io
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = {
    "index.html (1 KB)": ("index.html", 1024),
    "app.js (100 KB)": ("assets/app.js", 100 * 1024),
    "photo.jpg (1 MB)": ("img/photo.jpg", 1024 * 1024),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, host, seconds, connections):
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Host: {host}", url],
        check=True, capture_output=True, text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def latency(label):
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    assert errors is None, output
    return rate, latency("50"), latency("99")


def start_amplify_local(binary, data_dir):
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--data-dir", data_dir, "--log-level", "error"], stdout=subprocess.PIPE, text=True
    )
    process.stdout.readline()
    client = boto3.client(
        "amplify", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="123456789012", aws_secret_access_key="x", config=Config(retries={"total_max_attempts": 1}),
    )
    return process, port, client


def deploy(client, files):
    app_id = client.create_app(name="bench")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, size in files.values():
            archive.writestr(path, os.urandom(size))
    created = client.create_deployment(appId=app_id, branchName="main")
    urllib.request.urlopen(urllib.request.Request(created["zipUploadUrl"], data=buffer.getvalue(), method="PUT")).close()
    client.start_deployment(appId=app_id, branchName="main", jobId=created["jobId"])
    while client.get_job(appId=app_id, branchName="main", jobId=created["jobId"])["job"]["summary"]["status"] != "SUCCEED":
        time.sleep(0.05)
    return app_id


def start_nginx(root, folder):
    port = free_port()
    config = os.path.join(root, "nginx.conf")
    with open(config, "w") as out:
        # The workers read the same folder as amplify-local, which is under a private temporary folder.
        user = "user root;" if os.geteuid() == 0 else ""
        out.write(f"""
{user}
worker_processes auto;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {root}/nginx-access.log;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    server {{
        listen 127.0.0.1:{port};
        root {folder};
        etag on;
    }}
}}
""")
    subprocess.run(["nginx", "-c", config], check=True)
    time.sleep(0.3)
    return port, config


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-hosting-") as root:
        data = os.path.join(root, "data")
        process, port, client = start_amplify_local(options.binary, data)
        nginx_config = None
        try:
            app_id = deploy(client, FILES)
            folder = os.path.join(data, "artifacts", "123456789012", "us-east-1", app_id, "main", "1")
            nginx_port, nginx_config = start_nginx(root, folder)
            host = f"main.{app_id}.localhost:{port}"
            for name, (path, _) in FILES.items():
                ours = wrk(f"http://127.0.0.1:{port}/{path}", host, options.seconds, options.connections)
                theirs = wrk(f"http://127.0.0.1:{nginx_port}/{path}", f"127.0.0.1:{nginx_port}", options.seconds, options.connections)
                rows.append((name, ours, theirs))
                print(f"{name}: amplify-local {ours[0]:.0f} req/s, nginx {theirs[0]:.0f} req/s", file=sys.stderr)
        finally:
            if nginx_config:
                subprocess.run(["nginx", "-c", nginx_config, "-s", "stop"], check=False)
            process.terminate()
            process.wait()
    nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    lines = [
        f"# Static files: amplify-local against nginx ({datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores)",
        "",
        f"wrk, 2 threads, {options.connections} connections, {options.seconds} s per cell, on 127.0.0.1; {nginx_version} with",
        "`worker_processes auto`, `sendfile on`, access log on, serving the folder amplify-local serves the deployment from.",
        "",
        "| file | amplify-local req/s | p50 / p99 (ms) | nginx req/s | p50 / p99 (ms) | amplify-local / nginx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, ours, theirs in rows:
        lines.append(
            f"| {name} | {ours[0]:,.0f} | {ours[1]:.2f} / {ours[2]:.2f} | {theirs[0]:,.0f} | {theirs[1]:.2f} / {theirs[2]:.2f} | {ours[0] / theirs[0]:.2f} |"
        )
    goals = {"index.html": 0.5, "app.js": 0.8, "photo.jpg": 0.95}
    lines += ["", "| target (issue 19) | measured | goal | met |", "|---|---:|---:|---|"]
    for name, ours, theirs in rows:
        goal = next(value for key, value in goals.items() if name.startswith(key))
        lines.append(f"| {name}, × nginx | {ours[0] / theirs[0]:.2f}× | ≥ {goal}× | {'yes' if ours[0] / theirs[0] >= goal else 'no'} |")
    report = "\n".join(lines) + "\n"
    print(report)
    with open(os.path.join(HERE, "results-hosting.md"), "w") as out:
        out.write(report)


if __name__ == "__main__":
    main()
