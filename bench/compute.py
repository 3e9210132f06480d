"""SSR serving: requests per second and p99 through amplify-local to a deployment's compute (a Node.js server using
only the `http` module) against the same server asked directly and through nginx as a reverse proxy (keep-alive to
the server: what a proxy written in C keeps of the direct rate on the same machine), side by side in one run (wrk,
32 connections); and the time from DEPLOY's start to the first answered request.

Run through `bench/run-compute` (builds in release mode first). Prints a Markdown report and writes it to
bench/results-compute.md.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from builds import git, start_server
from hosting import free_port, wrk

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_JS = """const http = require('http');
http.createServer((req, res) => {
  res.writeHead(200, {'Content-Type': 'application/json'});
  res.end(JSON.stringify({path: req.url, at: Date.now()}));
}).listen(parseInt(process.env.PORT, 10));
"""
MANIFEST = {
    "version": 1, "framework": {"name": "bench", "version": "1.0.0"},
    "routes": [{"path": "/static/*", "target": {"kind": "Static"}}, {"path": "/*", "target": {"kind": "Compute", "src": "default"}}],
    "computeResources": [{"name": "default", "runtime": "nodejs20.x", "entrypoint": "server.js"}],
}
SPEC = """version: 1
frontend:
  phases:
    build:
      commands:
        - mkdir -p out/.amplify-hosting/static/static out/.amplify-hosting/compute/default
        - cp manifest.json out/.amplify-hosting/deploy-manifest.json
        - cp server.js out/.amplify-hosting/compute/default/server.js
  artifacts:
    baseDirectory: out
    files: ['**/*']
"""


def make_repo(folder):
    os.makedirs(folder)
    subprocess.run(["git", "init", "-q", "-b", "main", folder], check=True)
    for name, text in (("amplify.yml", SPEC), ("manifest.json", json.dumps(MANIFEST)), ("server.js", SERVER_JS)):
        with open(os.path.join(folder, name), "w") as file:
            file.write(text)
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "bench")


def start_nginx_proxy(root, upstream_port):
    """nginx proxying to 127.0.0.1:`upstream_port` with 64 keep-alive connections; (port, config) or None without nginx."""
    if not shutil.which("nginx"):
        return None
    port = free_port()
    config = os.path.join(root, "nginx-proxy.conf")
    with open(config, "w") as file:
        file.write(f"""worker_processes auto;
pid {root}/nginx-proxy.pid;
error_log {root}/nginx-proxy-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    upstream compute {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://compute; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; }}
    }}
}}
""")
    subprocess.run(["nginx", "-c", config], check=True)
    time.sleep(0.3)
    return port, config


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-compute-") as root:
        repo = os.path.join(root, "repo")
        make_repo(repo)
        process, client = start_server(options.binary, os.path.join(root, "data"), "--deploy-from", root)
        direct = None
        nginx = None
        try:
            app_id = client.create_app(name="bench", repository=repo, platform="WEB_COMPUTE")["app"]["appId"]
            client.create_branch(appId=app_id, branchName="main")
            deploy_to_first = []
            for _ in range(options.rounds):
                job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
                while (job := client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"])["summary"]["status"] not in ("SUCCEED", "FAILED"):
                    time.sleep(0.01)
                assert job["summary"]["status"] == "SUCCEED", job
                deploy = next(s for s in job["steps"] if s["stepName"] == "DEPLOY")
                # DEPLOY starts the compute and waits for it before the branch switches: its length is the time to the
                # first request the new deployment can answer.
                deploy_to_first.append((deploy["endTime"] - deploy["startTime"]).total_seconds() * 1000)
            port = client.meta.endpoint_url.rsplit(":", 1)[1]
            host = f"main.{app_id}.localhost"
            direct_port = free_port()
            direct = subprocess.Popen(["node", "-e", SERVER_JS], env={**os.environ, "PORT": str(direct_port)})
            time.sleep(0.5)
            urllib.request.urlopen(f"http://127.0.0.1:{direct_port}/warm").close()
            nginx = start_nginx_proxy(root, direct_port)
            rows = []
            for _ in range(options.rounds):
                through = wrk(f"http://127.0.0.1:{port}/api/items", host, options.seconds, 32)
                straight = wrk(f"http://127.0.0.1:{direct_port}/api/items", "127.0.0.1", options.seconds, 32)
                proxied = wrk(f"http://127.0.0.1:{nginx[0]}/api/items", "127.0.0.1", options.seconds, 32) if nginx else None
                rows.append((through, straight, proxied))
                print(f"through {through[0]:.0f} req/s, direct {straight[0]:.0f} req/s, nginx {proxied[0] if proxied else 0:.0f}", file=sys.stderr)
        finally:
            process.terminate()
            process.wait()
            if direct:
                direct.terminate()
            if nginx:
                subprocess.run(["nginx", "-c", nginx[1], "-s", "stop"], check=False)
    lines = [
        f"# SSR compute through amplify-local ({datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores)",
        "",
        f"wrk, 2 threads, 32 connections, {options.seconds} s each, taking turns; the same Node.js server (the `http`",
        "module) answering a small JSON. *Through*: `Host: main.<app>.localhost` on amplify-local's port, the manifest's",
        "`/*` → Compute route, proxied. *Direct*: the same server on its own port. *nginx*: nginx proxying to the same",
        "server with keep-alive (the reference: what a C reverse proxy keeps on these cores). Target: through ≥ 60% of direct.",
        "",
        "| round | through req/s | p50 / p99 (ms) | direct req/s | p50 / p99 (ms) | nginx req/s | through / direct | nginx / direct |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, (through, straight, proxied) in enumerate(rows, 1):
        reference = f"{proxied[0]:.0f} | " if proxied else "– | "
        ratio = f"{proxied[0] / straight[0]:.2f}" if proxied else "–"
        lines.append(
            f"| {number} | {through[0]:.0f} | {through[1]:.2f} / {through[2]:.2f} | {straight[0]:.0f} | {straight[1]:.2f} / {straight[2]:.2f} | "
            f"{reference}{through[0] / straight[0]:.2f} | {ratio} |"
        )
    lines += [
        "",
        f"DEPLOY's length (the output moved, the compute started and answering, the branch switched), {options.rounds} deploys: "
        + ", ".join(f"{value:.0f} ms" for value in deploy_to_first) + ".",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    with open(os.path.join(HERE, "results-compute.md"), "w") as out:
        out.write(report)


if __name__ == "__main__":
    main()
