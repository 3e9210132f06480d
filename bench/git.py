"""Git-driven builds: how long from a `git push` to the job being PENDING (a repository on this machine, read every
--git-poll-seconds; and a push notification), and what following costs with 200 idle apps (the server's CPU time,
against the same server with polling off, in one run). Writes bench/results-git.md."""
import argparse
import hashlib
import hmac
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
import urllib.request

from bench import publish
from builds import start_server


def start(binary, data_dir, *extra):
    process, client = start_server(binary, data_dir, "--build-mode", "simulate", "--simulated-build-seconds", "0.1",
                                   "--max-apps-per-region", "500", *extra)
    return process, int(client.meta.endpoint_url.rsplit(":", 1)[1]), client


def git(folder, *args):
    subprocess.run(["git", "-C", folder, *args], check=True, capture_output=True)


def make_repo(folder):
    os.makedirs(folder)
    git(folder, "init", "-q", "-b", "main")
    git(folder, "-c", "user.email=b@example.com", "-c", "user.name=bench", "commit", "-q", "--allow-empty", "-m", "first")


def commit(folder, message):
    git(folder, "-c", "user.email=b@example.com", "-c", "user.name=bench", "commit", "-q", "--allow-empty", "-m", message)


def job_count(client, app_id):
    return len(client.list_jobs(appId=app_id, branchName="main")["jobSummaries"])


def wait_jobs(client, app_id, count, timeout=30):
    deadline = time.monotonic() + timeout
    while job_count(client, app_id) < count:
        if time.monotonic() > deadline:
            raise AssertionError("no job came of the push")
        time.sleep(0.01)


def poll_latency(client, root, rounds, poll_seconds):
    """Seconds from a commit on a followed branch to its job being listed (PENDING or later)."""
    repo = os.path.join(root, "latency")
    make_repo(repo)
    app_id = client.create_app(name="latency", repository=repo)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    time.sleep(poll_seconds + 1)  # the first reading records where following starts
    times = []
    for index in range(rounds):
        started = time.monotonic()
        commit(repo, f"push {index}")
        wait_jobs(client, app_id, index + 1)
        times.append(time.monotonic() - started)
        # The simulated build ends (so the next push builds at once), and the next push lands anywhere in the
        # poll interval, not just after a reading.
        time.sleep(random.uniform(0.3, 0.3 + poll_seconds))
    return times


def notification_latency(client, port, rounds):
    """Seconds from sending a signed push notification to its job being listed."""
    app_id = client.create_app(name="notified", repository="/srv/none")["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    settings = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/_amplify-local/git/{app_id}?account=123456789012"))
    times = []
    for index in range(rounds):
        sha = hashlib.sha1(str(index).encode()).hexdigest()
        body = json.dumps({"ref": "refs/heads/main", "after": sha, "head_commit": {"message": f"push {index}"}}).encode()
        signature = "sha256=" + hmac.new(settings["secret"].encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(settings["url"], data=body, method="POST", headers={
            "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature})
        started = time.monotonic()
        urllib.request.urlopen(request).read()
        wait_jobs(client, app_id, index + 1)
        times.append(time.monotonic() - started)
        time.sleep(0.3)
    return times


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(binary, root, apps, seconds, *extra):
    """The server's CPU (percent of one core) over `seconds` with `apps` idle apps, each following a repository."""
    data = tempfile.mkdtemp(dir=root)
    process, _, client = start(binary, data, *extra)
    try:
        for index in range(apps):
            repo = os.path.join(root, "repos", f"r{index}")
            if not os.path.exists(repo):
                make_repo(repo)
            app_id = client.create_app(name=f"idle-{index}", repository=repo)["app"]["appId"]
            client.create_branch(appId=app_id, branchName="main")
        time.sleep(12)  # every repository read at least once, and the start-up's work done
        before, started = cpu_seconds(process.pid), time.monotonic()
        time.sleep(seconds)
        return 100 * (cpu_seconds(process.pid) - before) / (time.monotonic() - started)
    finally:
        process.terminate()
        process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-git-") as root:
        process, port, client = start(options.binary, os.path.join(root, "data"), "--git-poll-seconds", "5")
        try:
            polled = poll_latency(client, root, options.rounds, 5)
            notified = notification_latency(client, port, options.rounds)
        finally:
            process.terminate()
            process.wait()
        following = idle_cpu(options.binary, root, options.apps, options.seconds, "--git-poll-seconds", "5")
        off = idle_cpu(options.binary, root, options.apps, options.seconds, "--git-poll-seconds", "0")

    def row(name, times, target):
        return (f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} | {target} |")

    report = "\n".join([
        f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on {os.cpu_count()} cores; release build; `bench/run-git`.",
        "",
        f"Time from a push to its job being listed ({options.rounds} pushes each; builds simulated):",
        "",
        "| push | median s | max s | target |",
        "|---|---:|---:|---|",
        row("commit in a repository on this machine (`--git-poll-seconds 5`)", polled, "< 6 s (poll + 1 s)"),
        row("push notification (`POST /_amplify-local/git/<appId>`)", notified, "< 1 s"),
        "",
        f"Server CPU with {options.apps} idle apps, each following its own repository on this machine, over {options.seconds} s:",
        "",
        "| server | CPU, % of one core | target |",
        "|---|---:|---|",
        f"| `--git-poll-seconds 5` (reads every repository's refs every 5 s) | {following:.2f} | < 2 |",
        f"| `--git-poll-seconds 0` (following off, same apps) | {off:.2f} | |",
        "",
    ])
    publish(report, "results-git.md")


if __name__ == "__main__":
    main()
