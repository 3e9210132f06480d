"""amplify-local's benchmark: side by side, in one run, against moto's server and a bare Hummingbird route.

Run through `bench/run`, which builds in release mode first. Load comes from wrk (a second process);
StartJob→finished cycles come from a small threaded client in this file. Prints a Markdown report and
writes it to bench/results.md.
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import seed

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "123456789012"
AUTH = f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/20261129/us-east-1/amplify/aws4_request, SignedHeaders=host, Signature=0"
MOTO_AUTH = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/apigateway/aws4_request, SignedHeaders=host, Signature=0"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mib(pid):
    """Resident set size, and the part of it that is anonymous memory (heap and stacks, as opposed to
    mapped program and library code), in MiB."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                values[parts[0][:-1]] = int(parts[1]) / 1024
    return values["Rss"], values["Anonymous"]


class Process:
    def __init__(self, command, health_path, env=None):
        self.port = free_port()
        self.command = [part.replace("{port}", str(self.port)) for part in command]
        self.health_path = health_path
        self.env = env
        self.process = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        """Starts the process; returns seconds until its health check first answered 200."""
        started = time.perf_counter()
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        while time.perf_counter() - started < timeout:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", self.health_path)
                if connection.getresponse().status == 200:
                    connection.close()
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.001)
        raise RuntimeError(f"{self.command[0]} did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def call(base, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(base.split("//")[1].split(":")[0], int(base.rsplit(":", 1)[1]), timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    connection.request(method, path, body=payload, headers={"Authorization": AUTH, "Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return json.loads(data) if data else {}


def wait_finished(base, app_id, branch, job_id):
    while call(base, "GET", f"/apps/{app_id}/branches/{branch}/jobs/{job_id}")["job"]["summary"]["status"] != "SUCCEED":
        time.sleep(0.002)


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url, seconds, connections, threads=2, script=None, headers=()):
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script:
        handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        handle.write(script)
        handle.close()
        command += ["-s", handle.name]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    if script:
        os.unlink(handle.name)

    def latency(percent):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        return float(match.group(1)) * UNITS[match.group(2)]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency(50),
        "p99": latency(99),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non2xx": int(errors.group(1)) if errors else 0,
    }


def lua_post(body):
    return f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(body))}\nwrk.headers["Content-Type"] = "application/json"\n'


def lua_sequence(method, path_template, first, threads, body=None):
    """Each request uses the next number: thread t sends first+t, first+t+threads, …"""
    body_line = f"wrk.body = {json.dumps(json.dumps(body))}\nwrk.headers['Content-Type'] = 'application/json'\n" if body else ""
    return f"""
{body_line}local count = 0
local threads = 0
function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end
function request()
  local n = {first} + index + count * {threads}
  count = count + 1
  local path = string.gsub("{path_template}", "NUMBER", tostring(n))
  return wrk.format("{method}", path)
end
"""


def cycles(base, app_id, branches, seconds):
    """StartJob, then GetJob until SUCCEED, in a loop per branch; returns cycles/s and cycle latency."""
    latencies = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(branch):
        host, port = "127.0.0.1", int(base.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Authorization": AUTH, "Content-Type": "application/json"}
        while time.perf_counter() < deadline:
            begun = time.perf_counter()
            connection.request("POST", f"/apps/{app_id}/branches/{branch}/jobs", body=b'{"jobType":"RELEASE"}', headers=headers)
            response = connection.getresponse()
            job_id = json.loads(response.read())["jobSummary"]["jobId"]
            while True:
                connection.request("GET", f"/apps/{app_id}/branches/{branch}/jobs/{job_id}", headers=headers)
                status = json.loads(connection.getresponse().read())["job"]["summary"]["status"]
                if status == "SUCCEED":
                    break
                time.sleep(0.001)
            with lock:
                latencies.append((time.perf_counter() - begun) * 1000)
        connection.close()

    workers = [threading.Thread(target=worker, args=(branch,)) for branch in branches]
    begun = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - begun
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "requests": len(latencies),
        "non2xx": 0,
    }


def amplify_command(binary, data_dir, *extra):
    # The benchmark creates far more apps than AWS's default quota of 25 allows.
    return [binary, "serve", "--port", "{port}", "--log-level", "error", "--data-dir", data_dir,
            "--max-apps-per-region", "100000000", *extra]


def prepared_server(binary, data_dir, branches, *extra):
    """A started server with one app (on a repository) and the given branches, each with one finished
    job. Returns the server and the app id."""
    server = Process(amplify_command(binary, data_dir, "--build-mode", "simulate", "--simulated-build-seconds", "0", *extra), "/_amplify-local/health")
    server.start()
    app = call(server.base, "POST", "/apps", {"name": "bench", "repository": "/srv/repo"})["app"]["appId"]
    for branch in branches:
        call(server.base, "POST", f"/apps/{app}/branches", {"branchName": branch})
        call(server.base, "POST", f"/apps/{app}/branches/{branch}/jobs", {"jobType": "RELEASE"})
        wait_finished(server.base, app, branch, 1)
    return server, app


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--ceiling", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--jobs", type=int, default=100_000)
    arguments = parser.parse_args()
    seconds, connections = arguments.seconds, arguments.connections
    work = tempfile.mkdtemp(prefix="amplify-bench-")
    rows = {}
    notes = []

    # Start-up and idle memory, interleaved with the bare route's starts.
    startups, ceiling_startups = [], []
    for run in range(10):
        server = Process(amplify_command(arguments.binary, os.path.join(work, f"start{run}")), "/_amplify-local/health")
        startups.append(server.start() * 1000)
        if run == 0:
            time.sleep(1)
            idle_rss = memory_mib(server.process.pid)
        server.stop()
        bare = Process([arguments.ceiling, "--port", "{port}"], "/health")
        ceiling_startups.append(bare.start() * 1000)
        bare.stop()
    startup_ms = statistics.median(startups)

    # amplify-local under load.
    server, app = prepared_server(arguments.binary, os.path.join(work, "load"), ["main"])
    base = server.base
    for job_id in range(2, 51):
        call(base, "POST", f"/apps/{app}/branches/main/jobs", {"jobType": "RELEASE"})
        wait_finished(base, app, "main", job_id)
    get_job_body = len(json.dumps(call(base, "GET", f"/apps/{app}/branches/main/jobs/1")))
    auth = [f"Authorization: {AUTH}"]
    rows["GetJob"] = wrk(f"{base}/apps/{app}/branches/main/jobs/1", seconds, connections, headers=auth)
    rows["ListJobs (50 per page)"] = wrk(f"{base}/apps/{app}/branches/main/jobs?maxResults=50", seconds, connections, headers=auth)
    rows["CreateApp"] = wrk(f"{base}/apps", seconds, connections, script=lua_post({"name": "load"}), headers=auth)
    cycle_branches = [f"cycle{index}" for index in range(16)]
    for branch in cycle_branches:
        call(base, "POST", f"/apps/{app}/branches", {"branchName": branch})
    rows["StartJob→finished (16 clients)"] = cycles(base, app, cycle_branches, seconds)
    server.stop()

    # StartJob and DeleteJob need fresh targets for every request: seed them, then load.
    seeded = os.path.join(work, "seeded")
    server, app = prepared_server(arguments.binary, seeded, ["main"])
    server.stop()
    database = os.path.join(seeded, "amplify-local.sqlite")
    seed.seed(database, app, "main", 400_000)
    seed.seed_branches(database, app, 400_000)
    server = Process(amplify_command(arguments.binary, seeded, "--build-mode", "simulate", "--simulated-build-seconds", "3600"), "/_amplify-local/health")
    server.start()
    base = server.base
    rows["StartJob"] = wrk(f"{base}/", seconds, connections, script=lua_sequence(
        "POST", f"/apps/{app}/branches/bNUMBER/jobs", 0, 2, body={"jobType": "RELEASE"}), headers=auth)
    rows["DeleteJob"] = wrk(f"{base}/", seconds, connections, script=lua_sequence(
        "DELETE", f"/apps/{app}/branches/main/jobs/NUMBER", 1, 2), headers=auth)
    server.stop()

    # The ceiling: a bare Hummingbird route with a body the size of GetJob's.
    ceiling = Process([arguments.ceiling, "--port", "{port}", "--body-bytes", str(get_job_body)], "/health")
    ceiling.start()
    time.sleep(1)
    ceiling_rss = memory_mib(ceiling.process.pid)
    rows["ceiling: bare Hummingbird GET"] = wrk(f"{ceiling.base}/apps/x", seconds, connections)
    ceiling.stop()

    # moto's server: apigatewayv2 GetApi and CreateApi, the same shapes of work.
    moto = Process([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "{port}"], "/moto-api/")
    moto.start()
    moto_auth = [f"Authorization: {MOTO_AUTH}"]
    request = urllib.request.Request(f"{moto.base}/v2/apis", data=json.dumps({"name": "bench", "protocolType": "HTTP"}).encode(),
                                     headers={"Authorization": MOTO_AUTH, "Content-Type": "application/json"}, method="POST")
    api_id = json.load(urllib.request.urlopen(request))["apiId"]
    rows["moto: apigatewayv2 GetApi"] = wrk(f"{moto.base}/v2/apis/{api_id}", seconds, connections, headers=moto_auth)
    rows["moto: apigatewayv2 CreateApi"] = wrk(f"{moto.base}/v2/apis", seconds, connections,
                                                 script=lua_post({"name": "load", "protocolType": "HTTP"}), headers=moto_auth)
    moto.stop()

    # Page cost as the collection grows, and memory with 100,000 jobs.
    pages = os.path.join(work, "pages")
    server, app = prepared_server(arguments.binary, pages, ["small", "large"])
    server.stop()
    database = os.path.join(pages, "amplify-local.sqlite")
    seed.seed(database, app, "small", 100, app_account="111111111111", app_count=100)
    seed.seed(database, app, "large", arguments.jobs, app_account="222222222222", app_count=arguments.jobs)
    server.start()
    base = server.base
    deep = call(base, "GET", f"/apps/{app}/branches/large/jobs?maxResults=50")
    for _ in range(arguments.jobs // 100):
        deep = call(base, "GET", f"/apps/{app}/branches/large/jobs?maxResults=50&nextToken={deep['nextToken']}")
    deep_token = deep["nextToken"]
    page_rows = {
        "ListJobs, 100 jobs": wrk(f"{base}/apps/{app}/branches/small/jobs?maxResults=50", seconds, connections, headers=auth),
        f"ListJobs, {arguments.jobs:,} jobs, first page": wrk(f"{base}/apps/{app}/branches/large/jobs?maxResults=50", seconds, connections, headers=auth),
        f"ListJobs, {arguments.jobs:,} jobs, middle page": wrk(
            f"{base}/apps/{app}/branches/large/jobs?maxResults=50&nextToken={deep_token}", seconds, connections, headers=auth),
        "ListApps, 100 apps": wrk(f"{base}/apps?maxResults=50", seconds, connections,
                                  headers=["Authorization: " + AUTH.replace(ACCOUNT, "111111111111")]),
        f"ListApps, {arguments.jobs:,} apps": wrk(f"{base}/apps?maxResults=50", seconds, connections,
                                                  headers=["Authorization: " + AUTH.replace(ACCOUNT, "222222222222")]),
    }
    loaded_rss = memory_mib(server.process.pid)
    server.stop()
    shutil.rmtree(work, ignore_errors=True)

    report = render(rows, page_rows, startup_ms, startups, idle_rss, loaded_rss, ceiling_rss, arguments, get_job_body)
    report += "\n" + targets(rows, statistics.median(ceiling_startups), startup_ms, idle_rss[0], ceiling_rss[0])
    publish(report, "results.md")


def target_table(measured):
    """Issue 19's targets beside what was measured: rows of (target, measured text, goal text, met)."""
    lines = ["| target | measured | goal | met |", "|---|---:|---:|---|"]
    for name, value, goal, met in measured:
        lines.append(f"| {name} | {value} | {goal} | {'yes' if met else 'no'} |")
    return "\n".join(lines) + "\n"


def targets(rows, ceiling_ready_ms, ready_ms, idle_rss, ceiling_rss):
    ceiling = rows["ceiling: bare Hummingbird GET"]["rps"]
    create = rows["moto: apigatewayv2 CreateApi"]["rps"]
    get_job, list_jobs = rows["GetJob"], rows["ListJobs (50 per page)"]
    create_app, start_job = rows["CreateApp"]["rps"] / create, rows["StartJob"]["rps"] / create
    return target_table([
        ("GetJob, of the bare route's rate", f"{get_job['rps'] / ceiling:.0%}", "≥ 50%", get_job["rps"] / ceiling >= 0.5),
        ("GetJob p99, 32 connections", f"{get_job['p99']:.2f} ms", "< 5 ms", get_job["p99"] < 5),
        ("ListJobs page of 50, of the bare route's rate", f"{list_jobs['rps'] / ceiling:.0%}", "≥ 25%", list_jobs["rps"] / ceiling >= 0.25),
        ("CreateApp, × moto's CreateApi", f"{create_app:.1f}×", "≥ 20×", create_app >= 20),
        ("StartJob, × moto's CreateApi", f"{start_job:.1f}×", "≥ 15×", start_job >= 15),
        ("ready, × the bare route's", f"{ready_ms / ceiling_ready_ms:.2f}× ({ready_ms:.1f} / {ceiling_ready_ms:.1f} ms)", "≤ 1.5×",
         ready_ms / ceiling_ready_ms <= 1.5),
        ("idle RSS, × bare Hummingbird's", f"{idle_rss / ceiling_rss:.2f}× ({idle_rss:.1f} / {ceiling_rss:.1f} MiB)", "≤ 1.2×",
         idle_rss / ceiling_rss <= 1.2),
    ])


def publish(report, filename):
    """Prints a benchmark's report and keeps it as bench/<filename>."""
    print(report)
    with open(os.path.join(HERE, filename), "w") as handle:
        handle.write(report)


def render(rows, page_rows, startup_ms, startups, idle_rss, loaded_rss, ceiling_rss, arguments, body_size):
    ceiling = rows["ceiling: bare Hummingbird GET"]["rps"]
    moto_get = rows["moto: apigatewayv2 GetApi"]["rps"]
    moto_create = rows["moto: apigatewayv2 CreateApi"]["rps"]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    lines = [
        f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({cpu}), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, Linux {platform.release()}. "
        f"wrk: 2 threads, {arguments.connections} connections, {arguments.seconds} s per row, on the same machine.",
        "",
        "| operation | requests/s | p50 ms | p99 ms | non-2xx | vs ceiling | vs moto |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        versus_ceiling = f"{row['rps'] / ceiling:.0%}" if not name.startswith(("moto", "ceiling")) else ""
        if name in ("GetJob", "ListJobs (50 per page)"):
            versus_moto = f"{row['rps'] / moto_get:.0f}× GetApi"
        elif name in ("CreateApp", "StartJob", "DeleteJob", "StartJob→finished (16 clients)"):
            versus_moto = f"{row['rps'] / moto_create:.0f}× CreateApi"
        else:
            versus_moto = ""
        lines.append(f"| {name} | {row['rps']:,.0f} | {row['p50']:.2f} | {row['p99']:.2f} | {row['non2xx']} | {versus_ceiling} | {versus_moto} |")
    lines += ["", "| list page (50 items) | requests/s | p50 ms | p99 ms | p50 vs smallest |", "|---|---:|---:|---:|---:|"]
    small_jobs = page_rows["ListJobs, 100 jobs"]["p50"]
    small_apps = page_rows["ListApps, 100 apps"]["p50"]
    for name, row in page_rows.items():
        reference = small_apps if name.startswith("ListApps") else small_jobs
        lines.append(f"| {name} | {row['rps']:,.0f} | {row['p50']:.2f} | {row['p99']:.2f} | {row['p50'] / reference:.2f}× |")
    lines += [
        "",
        f"- Ready to serve (process start → first 200 from /_amplify-local/health): median {startup_ms:.1f} ms "
        f"(min {min(startups):.1f}, max {max(startups):.1f}, 10 starts, SQLite data dir).",
        f"- Resident memory (RSS): {idle_rss[0]:.1f} MiB idle, of which {idle_rss[1]:.1f} MiB anonymous (heap and stacks; "
        f"the rest is mapped code of the program and its libraries); {loaded_rss[0]:.1f} MiB ({loaded_rss[1]:.1f} MiB anonymous) with {arguments.jobs:,} jobs and "
        f"{arguments.jobs:,} apps stored, after paging through all of them.",
        f"- The bare Hummingbird ceiling idles at {ceiling_rss[0]:.1f} MiB RSS ({ceiling_rss[1]:.1f} MiB anonymous).",
        f"- GetJob's body is {body_size} bytes; the ceiling answers with a body of that size.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
