"""Server CPU time per request, two binaries side by side: for comparing a change on a machine that is not quiet.

Throughput moves with whatever else runs; the CPU time the server itself spends per answered request (its utime +
stime from /proc, over the requests wrk completed) moves much less. Each round starts both binaries on fresh data
folders, seeds an app with a branch, a finished (simulated) job and a manual deployment, then loads each in turn with
wrk: GetJob, and a 1 KB site file. Rounds alternate the order. Prints a Markdown table of the medians.

    python3 bench/cpu_per_request.py --before OLD_BINARY --after NEW_BINARY [--rounds 5] [--seconds 5]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

from hosting import deploy, start_amplify_local

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def requests_done(seconds, *arguments):
    """wrk's completed requests (the `N requests in` line) for one load."""
    output = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", *arguments], capture_output=True, text=True, check=True).stdout
    return int(next(line for line in output.splitlines() if "requests in" in line).split()[0])


def measure(binary, seconds):
    """(µs of server CPU per GetJob, per 1 KB site request) for one fresh server."""
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as data:
        process, port, client = start_amplify_local(binary, data)
        try:
            site_app = deploy(client, {"index": ("index.html", 100), "1k": ("1k.txt", 1024)})
            app = client.create_app(name="cpu", repository="/nonexistent/repository")["app"]["appId"]  # its job fails at once: a GetJob to read
            client.create_branch(appId=app, branchName="main")
            client.start_job(appId=app, branchName="main", jobType="RELEASE")
            deadline = time.monotonic() + 30
            while client.get_job(appId=app, branchName="main", jobId="1")["job"]["summary"]["status"] not in ("SUCCEED", "FAILED"):
                assert time.monotonic() < deadline, "the job did not finish"
                time.sleep(0.1)
            results = []
            for arguments in ([f"http://127.0.0.1:{port}/apps/{app}/branches/main/jobs/1"],
                              ["-H", f"Host: main.{site_app}.localhost", f"http://127.0.0.1:{port}/1k.txt"]):
                before = cpu_seconds(process.pid)
                done = requests_done(seconds, *arguments)
                results.append((cpu_seconds(process.pid) - before) / done * 1e6)
            return results
        finally:
            process.terminate()
            process.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    options = parser.parse_args()
    samples = {"before": [], "after": []}
    for round_number in range(options.rounds):
        order = ["before", "after"] if round_number % 2 == 0 else ["after", "before"]
        for name in order:
            samples[name].append(measure(getattr(options, name), options.seconds))
    print(f"Server CPU per request (µs, median of {options.rounds} alternating rounds; wrk 2 threads, 32 connections, "
          f"{options.seconds} s per load)\n")
    print("| load | before | after | change |\n|---|---|---|---|")
    for index, label in enumerate(["GetJob", "site file, 1 KB"]):
        before = statistics.median(sample[index] for sample in samples["before"])
        after = statistics.median(sample[index] for sample in samples["after"])
        spread = lambda name: f"{min(s[index] for s in samples[name]):.0f}–{max(s[index] for s in samples[name]):.0f}"
        print(f"| {label} | {before:.0f} ({spread('before')}) | {after:.0f} ({spread('after')}) | {100 * (after - before) / before:+.1f}% |")


if __name__ == "__main__":
    main()
