"""Following a growing step log: what one poll costs (`Range: bytes=N-` near the end, the way a client follows a
log) for a 1 KB and a 50 MB log, side by side on one release build. Writes bench/results-logs.md."""
import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request

from builds import make_repo, start_server
from bench import publish, wrk



def built_log(client, repo):
    """Builds `repo` once; returns the BUILD step's log URL and the log's size in bytes."""
    app_id = client.create_app(name="logs", repository=repo)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    while True:
        job = client.get_job(appId=app_id, branchName="main", jobId=job_id)["job"]
        if job["summary"]["status"] in ("SUCCEED", "FAILED"):
            break
        time.sleep(0.2)
    assert job["summary"]["status"] == "SUCCEED", job["steps"]
    url = next(step["logUrl"] for step in job["steps"] if step["stepName"] == "BUILD")
    with urllib.request.urlopen(url) as response:
        return url, len(response.read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    cases = [("1 KB", "echo " + "x" * 1000), ("50 MB", "yes 0123456789abcdef0123456789abcdef0123456789abcdef | head -c 50000000")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as root:
        os.chmod(root, 0o755)  # a root server builds as nobody, who must reach the repositories
        process, client = start_server(options.binary, os.path.join(root, "data"))
        try:
            logs = []
            for number, (name, command) in enumerate(cases):
                repo = os.path.join(root, f"repo-{number}")
                make_repo(repo, 0, f"'{command}'")
                logs.append((name, *built_log(client, repo)))
            results = {name: {"new": [], "nothing": []} for name, _, _ in logs}
            for _ in range(options.rounds):
                for name, url, size in logs:
                    # A poll that finds 100 new bytes (206), and one that finds nothing new (416).
                    results[name]["new"].append(wrk(url, options.seconds, options.connections, headers=[f"Range: bytes={size - 100}-"]))
                    results[name]["nothing"].append(wrk(url, options.seconds, options.connections, headers=[f"Range: bytes={size}-"]))
            for name, _, size in logs:
                new = statistics.median(r["rps"] for r in results[name]["new"])
                nothing = statistics.median(r["rps"] for r in results[name]["nothing"])
                p99 = statistics.median(r["p99"] for r in results[name]["new"])
                rows.append((name, size, new, nothing, p99))
                print(f"{name}: {new:,.0f} polls/s with 100 new bytes, {nothing:,.0f} with none", file=sys.stderr)
        finally:
            process.terminate()
    small, large = rows
    lines = [
        "# Following a log: the cost of one poll",
        "",
        f"`Range: bytes=N-` on a BUILD step's log URL through wrk ({options.connections} connections, {options.seconds} s a run, "
        f"{options.rounds} rounds each, medians), one release build, the logs made by real builds.",
        "",
        "| log | size (bytes) | polls/s, 100 new bytes (206) | polls/s, nothing new (416) | p99 ms (206) |",
        "|---|---|---|---|---|",
        *[f"| {name} | {size:,} | {new:,.0f} | {nothing:,.0f} | {p99:.2f} |" for name, size, new, nothing, p99 in rows],
        "",
        f"50 MB against 1 KB: {large[2] / small[2]:.2f}× the polls/s with new bytes, {large[3] / small[3]:.2f}× with nothing new "
        "(target: flat, about 1×).",
        "",
    ]
    publish("\n".join(lines), "results-logs.md")


if __name__ == "__main__":
    main()
