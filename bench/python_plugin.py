"""The pytest plugin's costs (issue 29), with the installed amplify_local package (the wheel's):

- session: the time from starting `python -m pytest` to the first test's first line, for a one-test project whose
  test uses the `amplify_local` fixture (the plugin starts a server, waits for its health, resets it), against the
  same project with the plugin off (`-p no:amplify_local`) and a test without the fixture. Rounds alternate the two.
- reset: `Endpoint.reset()` (POST /_amplify-local/reset, what the fixture does before each test), on a server that
  holds what a test leaves (3 apps with a branch each and a finished simulated job), and on an empty one.

Prints a Markdown table of medians (and the 90th percentile of the resets). Results: docs/performance.md.

    python bench/python_plugin.py [--rounds 10] [--resets 200]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import amplify_local

TEST = """
import os, time
def test_first({fixture}):
    with open(os.environ["FIRST_TEST_AT"], "w") as out:
        out.write(repr(time.time()))
"""


def session_seconds(folder, fixture, plugin_off):
    """Seconds from the process start to the first line of the test."""
    project = os.path.join(folder, "with" if fixture else "without")
    os.makedirs(project, exist_ok=True)
    with open(os.path.join(project, "test_first.py"), "w") as test:
        test.write(TEST.format(fixture="amplify_local" if fixture else ""))
    stamp = os.path.join(folder, "stamp")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(["-p", "no:amplify_local"] if plugin_off else [])]
    started = time.time()
    subprocess.run(command, cwd=project, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "FIRST_TEST_AT": stamp, "PYTHONDONTWRITEBYTECODE": "1"})
    with open(stamp) as file:
        return float(file.read()) - started


def reset_milliseconds(server, count, populate):
    amplify = server.client()
    times = []
    for _ in range(count):
        if populate:
            for n in range(3):
                app_id = amplify.create_app(name=f"app{n}", repository="https://github.com/example/site",
                                            accessToken="a-token")["app"]["appId"]
                amplify.create_branch(appId=app_id, branchName="main")
                amplify.start_job(appId=app_id, branchName="main", jobType="RELEASE")
        started = time.perf_counter()
        server.reset()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--resets", type=int, default=200)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amplify-local-bench-") as folder:
        amplify_local.binary_path()  # unpacked before anything is timed
        session_seconds(folder, True, False)  # the page cache warmed for both
        plain, plugin = [], []
        for round_number in range(options.rounds):
            order = [(plain, False, True), (plugin, True, False)]
            for times, fixture, off in order if round_number % 2 == 0 else order[::-1]:
                times.append(session_seconds(folder, fixture, off))
    with amplify_local.Server(build_mode="simulate", args=["--simulated-build-seconds", "0"]) as server:
        reset_milliseconds(server, 20, True)  # warm-up
        populated = reset_milliseconds(server, options.resets, True)
        empty = reset_milliseconds(server, options.resets, False)

    def p90(values):
        return sorted(values)[int(len(values) * 0.9)]

    print(textwrap.dedent(f"""
        | measure | median | note |
        |---|---|---|
        | pytest start → first test, plugin off, no fixture | {statistics.median(plain) * 1000:.0f} ms | {options.rounds} rounds |
        | pytest start → first test, `amplify_local` fixture | {statistics.median(plugin) * 1000:.0f} ms | server started, healthy, reset |
        | added by the plugin per session | {(statistics.median(plugin) - statistics.median(plain)) * 1000:.0f} ms | target < 300 ms |
        | reset, after 3 apps + branches + jobs | {statistics.median(populated):.2f} ms (p90 {p90(populated):.2f}) | {options.resets} resets; target < 5 ms |
        | reset, empty state | {statistics.median(empty):.2f} ms (p90 {p90(empty):.2f}) | {options.resets} resets |
        """).strip())


if __name__ == "__main__":
    main()
