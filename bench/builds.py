"""What a real build costs amplify-local itself: a build whose commands do nothing, against doing the same
work by hand (git clone + bash + moving the artifacts) in the same run; then how the cost grows with the
repository's size and with the volume of log a build writes; then what the bubblewrap sandbox adds to a build
(the same no-op build on a server with `--build-sandbox none` and one with `bubblewrap`, taking turns); then what a
container of the build image adds (`--build-runtime podman` against `host`, taking turns; the test image of
conformance/build_images.py, in its overlay store).

Run through `bench/run-builds` (builds in release mode first). Prints a Markdown report and writes it to
bench/results-builds.md.
"""
import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = """version: 1
frontend:
  phases:
    preBuild:
      commands:
        - 'true'
    build:
      commands:
        - {command}
    postBuild:
      commands:
        - 'true'
  artifacts:
    baseDirectory: dist
    files:
      - '**/*'
"""


def git(folder, *args):
    subprocess.run(["git", "-C", folder, "-c", "user.email=b@example.com", "-c", "user.name=Bench", *args], check=True, capture_output=True)


def make_repo(folder, megabytes, command):
    os.makedirs(os.path.join(folder, "dist"))
    subprocess.run(["git", "init", "-q", "-b", "main", folder], check=True)
    with open(os.path.join(folder, "amplify.yml"), "w") as spec:
        spec.write(SPEC.format(command=command))
    with open(os.path.join(folder, "dist", "index.html"), "w") as index:
        index.write("<h1>bench</h1>\n")
    for number in range(megabytes * 10):  # 100 KB files of random bytes: nothing compresses
        with open(os.path.join(folder, f"blob-{number:05}.bin"), "wb") as blob:
            blob.write(os.urandom(100 * 1024))
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "bench")


def by_hand(repo, command, runs):
    """The same work without amplify-local: clone, run the commands in bash, move the artifacts."""
    times = []
    for _ in range(runs):
        work = tempfile.mkdtemp(prefix="bench-hand-")
        started = time.perf_counter()
        subprocess.run(["git", "clone", "-q", "--single-branch", "--no-tags", "--branch", "main", repo, f"{work}/repo"], check=True)
        subprocess.run(["bash", "-c", f"cd {work}/repo && true && {command} > {work}/log && true"], check=True)
        shutil.move(f"{work}/repo/dist", f"{work}/artifacts")
        times.append(time.perf_counter() - started)
        shutil.rmtree(work)
    return times


def start_server(binary, data_dir, *extra, env=None):
    """A server on a free port (build mode auto unless `extra` names one), and a client of it."""
    mode = [] if "--build-mode" in extra else ["--build-mode", "auto"]
    process = subprocess.Popen(
        [binary, "--port", "0", "--data-dir", data_dir, *mode, "--deploy-from", tempfile.gettempdir(), "--log-level", "error", *extra],
        stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
    )
    line = process.stdout.readline()
    port = int(line.split("listening on http://")[1].split()[0].rsplit(":", 1)[1])
    client = boto3.client(
        "amplify", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="123456789012", aws_secret_access_key="x", config=Config(retries={"total_max_attempts": 1}),
    )
    return process, client


def through_server(client, repo, runs, app_id=None):
    """StartJob → SUCCEED, as the job's own times say (endTime − startTime), one build at a time."""
    if app_id is None:
        app_id = client.create_app(name="bench", repository=repo)["app"]["appId"]
        client.create_branch(appId=app_id, branchName="main")
    times = []
    for _ in range(runs):
        job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
        while True:
            summary = client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"]["summary"]
            if summary["status"] in ("SUCCEED", "FAILED", "CANCELLED"):
                break
            time.sleep(0.005)
        if summary["status"] != "SUCCEED":
            steps = client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"]["steps"]
            logs = [urllib.request.urlopen(step["logUrl"]).read().decode()[-3000:] for step in steps if step.get("logUrl")]
            raise SystemExit(f"the build failed: {summary}\n{steps}\n" + "\n".join(logs))
        times.append((summary["endTime"] - summary["startTime"]).total_seconds())
    return times


def taking_turns(binary, root, runs, servers, env=None):
    """Median no-op build time of each server (name → its options), the servers taking turns build by build."""
    repo = os.path.join(root, "repo-turns")
    if not os.path.exists(repo):
        make_repo(repo, 0, "'true'")
    started = {name: start_server(binary, os.path.join(root, f"data-{name}"), *extra, env=env) for name, extra in servers.items()}
    times = {name: [] for name in started}
    try:
        apps = {}
        for name, (_, client) in started.items():
            apps[name] = client.create_app(name="bench", repository=repo)["app"]["appId"]
            client.create_branch(appId=apps[name], branchName="main")
        for _ in range(runs):
            for name, (_, client) in started.items():
                times[name] += through_server(client, repo, 1, app_id=apps[name])
    finally:
        for process, _ in started.values():
            process.terminate()
            process.wait()
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def container_cost(binary, root, runs):
    """The no-op build on the host and in a container of the test build image, or why it cannot be measured."""
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "conformance"))
    import build_images

    missing = build_images.podman_missing()
    if missing:
        return missing
    image = build_images.image()
    return taking_turns(
        binary, root, runs, {"host": ["--build-runtime", "host"], "podman": ["--build-runtime", "podman", "--build-image", image]},
        env=build_images.environment(),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    cases = [
        ("no-op build, 1 small file", 0, "'true'", options.runs),
        ("repository of 10 MB", 10, "'true'", max(5, options.runs // 3)),
        ("repository of 100 MB", 100, "'true'", 3),
        ("1 MB of log", 0, "yes 0123456789abcdef0123456789abcdef0123456789abcdef | head -c 1000000", max(5, options.runs // 3)),
        ("10 MB of log", 0, "yes 0123456789abcdef0123456789abcdef0123456789abcdef | head -c 10000000", 3),
        ("50 MB of log", 0, "yes 0123456789abcdef0123456789abcdef0123456789abcdef | head -c 50000000", 3),
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-builds-") as root:
        process, client = start_server(options.binary, os.path.join(root, "data"))
        try:
            for number, (name, megabytes, command, runs) in enumerate(cases):
                repo = os.path.join(root, f"repo-{number}")
                make_repo(repo, megabytes, command)
                hand = statistics.median(by_hand(repo, command.strip("'"), runs))
                served = statistics.median(through_server(client, repo, runs))
                rows.append((name, runs, hand * 1000, served * 1000, (served - hand) * 1000))
                print(f"{name}: by hand {hand * 1000:.0f} ms, amplify-local {served * 1000:.0f} ms", file=sys.stderr)
        finally:
            process.terminate()
            process.wait()
        sandbox = taking_turns(options.binary, root, options.runs, {
            "none": ["--build-sandbox", "none"], "bubblewrap": ["--build-sandbox", "bubblewrap"],
        }) if shutil.which("bwrap") else None
        containers = container_cost(options.binary, root, options.runs)
    lines = [
        f"# Build overhead ({datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores)",
        "",
        "Median time of one build. *By hand*: `git clone` + the commands in bash + moving `dist` (no server).",
        "*amplify-local*: StartJob → SUCCEED from the job's own times (clone, build spec, bash in the sandbox when",
        "bwrap is installed, logs written to SQLite as they come, artifacts, three steps). *Overhead* is the difference.",
        "",
        "| case | runs | by hand (ms) | amplify-local (ms) | overhead (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {name} | {runs} | {hand:.0f} | {served:.0f} | {overhead:+.0f} |" for name, runs, hand, served, overhead in rows]
    lines += ["", "## The sandbox's cost", ""]
    if sandbox is None:
        lines.append("bwrap is not installed here: not measured.")
    else:
        lines += [
            f"The no-op build, {options.runs} runs each, the two servers taking turns (target: the sandbox adds < 150 ms):",
            "",
            "| `--build-sandbox` | median build (ms) |",
            "|---|---:|",
            f"| none | {sandbox['none']:.0f} |",
            f"| bubblewrap | {sandbox['bubblewrap']:.0f} |",
            f"| **the sandbox adds** | **{sandbox['bubblewrap'] - sandbox['none']:+.0f}** |",
        ]
    lines += ["", "## A container's cost", ""]
    if isinstance(containers, str):
        lines.append(f"podman cannot run build containers here ({containers}): not measured.")
    else:
        lines += [
            f"The no-op build, {options.runs} runs each, the two servers taking turns; the container is of the test image",
            "(conformance/build_images.py) in an overlay store (target: the container adds < 1 s):",
            "",
            "| `--build-runtime` | median build (ms) |",
            "|---|---:|",
            f"| host | {containers['host']:.0f} |",
            f"| podman | {containers['podman']:.0f} |",
            f"| **the container adds** | **{containers['podman'] - containers['host']:+.0f}** |",
        ]
    report = "\n".join(lines) + "\n"
    print(report)
    with open(os.path.join(HERE, "results-builds.md"), "w") as out:
        out.write(report)


if __name__ == "__main__":
    main()
