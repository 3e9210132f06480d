"""Next.js SSR through amplify-local (issue 27), side by side with the generic compute of bench/compute.py, in one run:

- StartJob to the first page: the time from StartJob of the Next.js fixture (conformance/nextjs_fixture.py: `npm ci`,
  `next build` with NEXT_PRIVATE_STANDALONE, the standalone output made into a deployment, its server.js started) to
  the first `GET /` answered with the page, polled every 10 ms; and DEPLOY's own length;
- requests per second and p50/p99 (wrk, 32 connections) through amplify-local's port to the deployment's compute —
  the prerendered `/` and the route handler `/api/hello` of Next's server.js, and the generic compute's small JSON —
  against the same servers asked directly (the fixture's server.js from a build of its own, `node -e` for the generic
  one), taking turns. Target: through ≥ 60% of direct.

Run through `bench/run-nextjs` (builds in release mode first). Prints a Markdown report and writes it to
bench/results-nextjs.md.
"""
import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "conformance"))

from builds import start_server  # noqa: E402
from compute import SERVER_JS, make_repo as make_compute_repo  # noqa: E402
from hosting import free_port, wrk  # noqa: E402
from nextjs_fixture import make_next_repo  # noqa: E402


def page(port, host, path="/"):
    """(status, body) of one GET, or (None, b"") when nothing answers yet."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except OSError:
        return None, b""


def start_to_first_page(client, app_id, port, rounds):
    """Per round: (StartJob → first `/` with the page, ms; DEPLOY's length, ms)."""
    host = f"main.{app_id}.localhost"
    results = []
    for _ in range(rounds):
        # A page of a new deployment: the BUILD_ID in the page changes with each build.
        before = page(port, host)[1]
        started = time.monotonic()
        job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
        polls = 0
        while True:
            status, body = page(port, host)
            if status == 200 and b"Hello from Next.js" in body and body != before:
                break
            polls += 1
            if polls % 50 == 0:
                job = client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"]
                if job["summary"]["status"] in ("FAILED", "CANCELLED") or time.monotonic() - started > 300:
                    raise RuntimeError(f"no page: {[(step['stepName'], step.get('statusReason')) for step in job['steps']]}")
            time.sleep(0.01)
        first = (time.monotonic() - started) * 1000
        while (job := client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"])["summary"]["status"] not in ("SUCCEED", "FAILED"):
            time.sleep(0.01)
        assert job["summary"]["status"] == "SUCCEED", job
        deploy = next(step for step in job["steps"] if step["stepName"] == "DEPLOY")
        results.append((first, (deploy["endTime"] - deploy["startTime"]).total_seconds() * 1000))
    return results


def build_locally(repo, root):
    """The fixture built outside amplify-local (npm ci, next build with standalone output): its server.js."""
    folder = os.path.join(root, "direct")
    subprocess.run(["git", "clone", "-q", repo, folder], check=True)
    subprocess.run(["npm", "ci"], cwd=folder, check=True, capture_output=True)
    subprocess.run(["npm", "run", "build"], cwd=folder, check=True, capture_output=True, env={**os.environ, "NEXT_PRIVATE_STANDALONE": "true"})
    return os.path.join(folder, ".next", "standalone", "server.js")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-nextjs-") as root:
        next_repo = make_next_repo(os.path.join(root, "web"))
        compute_repo = os.path.join(root, "compute")
        make_compute_repo(compute_repo)
        process, client = start_server(options.binary, os.path.join(root, "data"), "--deploy-from", root)
        direct = []
        try:
            port = int(client.meta.endpoint_url.rsplit(":", 1)[1])
            next_app = client.create_app(name="next", repository=next_repo, platform="WEB_COMPUTE")["app"]["appId"]
            client.create_branch(appId=next_app, branchName="main")
            first_pages = start_to_first_page(client, next_app, port, options.rounds)
            compute_app = client.create_app(name="compute", repository=compute_repo, platform="WEB_COMPUTE")["app"]["appId"]
            client.create_branch(appId=compute_app, branchName="main")
            job_id = client.start_job(appId=compute_app, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
            while (status := client.get_job(appId=compute_app, branchName="main", jobId=job_id)["job"]["summary"]["status"]) not in ("SUCCEED", "FAILED"):
                time.sleep(0.01)
            assert status == "SUCCEED"

            server_js = build_locally(next_repo, root)
            next_port, compute_port = free_port(), free_port()
            direct.append(subprocess.Popen(["node", server_js], env={**os.environ, "PORT": str(next_port), "HOSTNAME": "127.0.0.1"},
                                           stdout=subprocess.DEVNULL))
            direct.append(subprocess.Popen(["node", "-e", SERVER_JS], env={**os.environ, "PORT": str(compute_port)}))
            time.sleep(0.7)
            for probe in (next_port, compute_port):
                urllib.request.urlopen(f"http://127.0.0.1:{probe}/").close()
            targets = [
                ("Next.js `/` (prerendered page)", f"main.{next_app}.localhost", next_port, "/"),
                ("Next.js `/api/hello` (route handler)", f"main.{next_app}.localhost", next_port, "/api/hello"),
                ("generic compute (bench/compute.py's server)", f"main.{compute_app}.localhost", compute_port, "/api/items"),
            ]
            rows = {name: [] for name, *_ in targets}
            for _ in range(options.rounds):
                for name, host, direct_port, path in targets:
                    through = wrk(f"http://127.0.0.1:{port}{path}", host, options.seconds, 32)
                    straight = wrk(f"http://127.0.0.1:{direct_port}{path}", "127.0.0.1", options.seconds, 32)
                    rows[name].append((through, straight))
                    print(f"{name}: through {through[0]:.0f} req/s, direct {straight[0]:.0f} req/s", file=sys.stderr)
        finally:
            process.terminate()
            process.wait()
            for server in direct:
                server.terminate()
                server.wait()
    lines = [
        f"# Next.js SSR through amplify-local ({datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores)",
        "",
        "The Next.js fixture (conformance/nextjs_fixture.py: its `next build` writes next 15's standalone output; its",
        "server.js is Next's template starting a server of Node's `http` module) deployed on a `WEB_COMPUTE` app.",
        "",
        "## StartJob to the first page",
        "",
        "From StartJob to the first `GET /` that answers the new deployment's page (clone, `npm ci`, `next build`, the",
        "deployment made, server.js started and answering, the branch switched), and DEPLOY's own length:",
        "",
        "| round | StartJob → first page (ms) | DEPLOY (ms) |",
        "|---:|---:|---:|",
    ]
    lines += [f"| {number} | {first:.0f} | {deploy:.0f} |" for number, (first, deploy) in enumerate(first_pages, 1)]
    lines += [
        "",
        "## Through amplify-local against the server asked directly",
        "",
        f"wrk, 2 threads, 32 connections, {options.seconds} s each, taking turns, {options.rounds} rounds. *Through*: `Host:",
        "main.<app>.localhost` on amplify-local's port, the manifest's `/*` → Compute route, proxied. *Direct*: the same",
        "server on its own port (the fixture's server.js from a build of its own). Target: through ≥ 60% of direct.",
        "",
        "| server | round | through req/s | p50 / p99 (ms) | direct req/s | p50 / p99 (ms) | through / direct |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, measured in rows.items():
        for number, (through, straight) in enumerate(measured, 1):
            lines.append(
                f"| {name} | {number} | {through[0]:.0f} | {through[1]:.2f} / {through[2]:.2f} | {straight[0]:.0f} | "
                f"{straight[1]:.2f} / {straight[2]:.2f} | {through[0] / straight[0]:.2f} |"
            )
    report = "\n".join(lines) + "\n"
    print(report)
    with open(os.path.join(HERE, "results-nextjs.md"), "w") as out:
        out.write(report)


if __name__ == "__main__":
    main()
