"""The release archive against today's dynamic release build, in one run: archive and binary sizes, ready time (start
to the first successful health check) and idle memory (RSS) of each binary. Writes bench/results-release.md."""
import argparse
import os
import statistics
import subprocess
import tarfile
import tempfile
import time
import urllib.request

from bench import memory_mib, publish


def ready(binary):
    """Starts `binary` on a fresh data directory; returns (milliseconds to the first healthy answer, idle RSS in MiB)."""
    with tempfile.TemporaryDirectory(prefix="bench-release-") as data:
        started = time.monotonic()
        process = subprocess.Popen([binary, "--port", "0", "--data-dir", data, "--log-level", "error"],
                                   stdout=subprocess.PIPE, text=True)
        try:
            line = process.stdout.readline()
            port = int(line.split("listening on http://")[1].split()[0].rsplit(":", 1)[1])
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_amplify-local/health", timeout=1) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.001)
            milliseconds = (time.monotonic() - started) * 1000
            time.sleep(2)
            return milliseconds, memory_mib(process.pid)[0]
        finally:
            process.terminate()
            process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--archive", required=True)
    parser.add_argument("--dynamic", required=True, help="today's release binary (swift build -c release)")
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-release-") as unpacked:
        with tarfile.open(options.archive) as tar:
            tar.extractall(unpacked, filter="tar")
            static = os.path.join(unpacked, tar.getnames()[0].split("/")[0], "amplify-local")
        stripped_dynamic = os.path.join(unpacked, "amplify-local-dynamic-stripped")
        subprocess.run(["strip", "--strip-all", "-o", stripped_dynamic, options.dynamic], check=True)
        results = {"static": [], "dynamic": []}
        for _ in range(options.runs):  # interleaved, so both meet the same machine
            results["static"].append(ready(static))
            results["dynamic"].append(ready(options.dynamic))
        xz = options.archive[: -len(".tar.gz")] + ".tar.xz"
        sizes = {
            "archive (.tar.gz)": os.path.getsize(options.archive),
            "archive (.tar.xz)": os.path.getsize(xz) if os.path.exists(xz) else 0,
            "static binary, stripped (in the archive)": os.path.getsize(static),
            "dynamic binary (swift build -c release)": os.path.getsize(options.dynamic),
            "dynamic binary, stripped": os.path.getsize(stripped_dynamic),
        }
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC on {os.cpu_count()} cores; `bench/run-release`.",
        "",
        "| file | MB | target |",
        "|---|---:|---|",
    ]
    targets = {"archive (.tar.gz)": "≤ 25 MB", "archive (.tar.xz)": "≤ 25 MB", "static binary, stripped (in the archive)": "≤ 60 MB"}
    for name, size in sizes.items():
        lines.append(f"| {name} | {size / 1_000_000:.1f} | {targets.get(name, '')} |")
    lines += [
        "",
        f"Ready time and idle RSS, {options.runs} starts of each, interleaved (median; min–max):",
        "",
        "| binary | ready ms | idle RSS MiB |",
        "|---|---:|---:|",
    ]
    for name in ("static", "dynamic"):
        times = [value[0] for value in results[name]]
        rss = [value[1] for value in results[name]]
        lines.append(f"| {name} | {statistics.median(times):.1f} ({min(times):.1f}–{max(times):.1f}) | "
                     f"{statistics.median(rss):.1f} ({min(rss):.1f}–{max(rss):.1f}) |")
    lines.append("")
    publish("\n".join(lines), "results-release.md")


if __name__ == "__main__":
    main()
