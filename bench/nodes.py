"""GetJob and StartJob throughput on one node with SQLite, one node with PostgreSQL and two nodes sharing
one PostgreSQL database, in one run.

Run through `bench/run-nodes`, which builds in release mode and starts a throwaway PostgreSQL cluster
(scripts/with-postgres --durable: it fsyncs its commits, as SQLite's store does) whose URL is in
$AMPLIFY_LOCAL_TEST_POSTGRES. Load comes from wrk; with two nodes, two wrk processes load one node each,
at the same time, with half the connections each, and their rates are added; the last setup puts nginx in
front of two nodes (bench/nginx-nodes.conf, the README's example) and loads nginx. Writes bench/results-nodes.md.
"""
import argparse
import datetime
import os
import platform
import shutil
import subprocess
import tempfile
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import seed
from bench import AUTH, Process, amplify_command, call, free_port, lua_sequence, wait_finished, wrk

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.environ["AMPLIFY_LOCAL_TEST_POSTGRES"]


def psql(sql, database="postgres"):
    url = urlunsplit(urlsplit(SERVER)._replace(path="/" + database))
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, capture_output=True)


class Setup:
    """One way of running amplify-local: its nodes, and how their state is seeded."""

    def __init__(self, name, binary, data_dir, nodes, database=None, balancer=False):
        self.name = name
        self.balancer = balancer
        self.nginx = None
        self.binary = binary
        self.data_dir = data_dir
        self.nodes = nodes
        self.database = database
        self.extra = []
        if database:
            psql(f"CREATE DATABASE {database}")
            self.extra = ["--database", urlunsplit(urlsplit(SERVER)._replace(path="/" + database))]
        self.servers = []

    def start(self, build_seconds):
        command = amplify_command(self.binary, self.data_dir, "--build-mode", "simulate", "--simulated-build-seconds", build_seconds, *self.extra)
        self.servers = [Process(command, "/_amplify-local/health") for _ in range(self.nodes)]
        for server in self.servers:
            server.start()
        if self.balancer:
            self.nginx = self.start_nginx()

    def start_nginx(self):
        """nginx in front of the nodes, with bench/nginx-nodes.conf; returns its config file."""
        port = free_port()
        with open(os.path.join(HERE, "nginx-nodes.conf")) as template:
            text = template.read()
        replacements = {
            "@USER@": "user root;" if os.geteuid() == 0 else "", "@ROOT@": self.data_dir, "@PORT@": str(port),
            "@NODE1@": str(self.servers[0].port), "@NODE2@": str(self.servers[1].port),
        }
        for token, value in replacements.items():
            text = text.replace(token, value)
        config = os.path.join(self.data_dir, "nginx.conf")
        with open(config, "w") as out:
            out.write(text)
        subprocess.run(["nginx", "-c", config], check=True)
        time.sleep(0.3)
        self.front = f"http://127.0.0.1:{port}"
        return config

    def stop(self):
        if self.nginx:
            subprocess.run(["nginx", "-c", self.nginx, "-s", "stop"], check=False)
            self.nginx = None
        for server in self.servers:
            server.stop()

    def prepare(self, branches):
        """An app with branch `main` (one finished job) and `branches` fresh branches b0…; returns the app id."""
        self.start("0")
        base = self.servers[0].base
        app = call(base, "POST", "/apps", {"name": "bench", "repository": "/srv/repo"})["app"]["appId"]
        call(base, "POST", f"/apps/{app}/branches", {"branchName": "main"})
        call(base, "POST", f"/apps/{app}/branches/main/jobs", {"jobType": "RELEASE"})
        wait_finished(base, app, "main", 1)
        call(base, "POST", f"/apps/{app}/branches", {"branchName": "tmpl"})
        self.stop()
        if self.database:
            # Copies of branch tmpl, as the server wrote it, renamed (its name ends its ARN too).
            psql(
                f"""INSERT INTO branch (appSeq, branchName, document)
                    SELECT appSeq, 'b' || i, convert_to(replace(convert_from(document, 'UTF8'), 'tmpl"', 'b' || i || '"'), 'UTF8')
                    FROM branch, generate_series(0, {branches - 1}) AS i WHERE branchName = 'tmpl'""",
                self.database,
            )
        else:
            seed.seed_branches(os.path.join(self.data_dir, "amplify-local.sqlite"), app, branches, template="tmpl")
        return app

    def load(self, seconds, connections, script=None, path="/"):
        """wrk on every node at once, the connections split between them; returns the summed rate and the
        worst of their latencies."""
        bases = [self.front] if self.balancer else [server.base for server in self.servers]
        results = [None] * len(bases)
        share = max(1, connections // len(bases))

        def run(index):
            threads = 2 if len(bases) == 1 else 1
            body = script(index, len(bases), threads) if script else None
            results[index] = wrk(f"{bases[index]}{path}", seconds, share, threads=threads, script=body, headers=[f"Authorization: {AUTH}"])

        workers = [threading.Thread(target=run, args=(index,)) for index in range(len(bases))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return {
            "rps": sum(result["rps"] for result in results),
            "p50": max(result["p50"] for result in results),
            "p99": max(result["p99"] for result in results),
            "non2xx": sum(result["non2xx"] for result in results),
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--branches", type=int, default=100_000)
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="amplify-bench-nodes-")
    setups = [
        Setup("SQLite, 1 node", arguments.binary, os.path.join(work, "sqlite"), 1),
        Setup("PostgreSQL, 1 node", arguments.binary, os.path.join(work, "pg1"), 1, database="bench_one_node"),
        Setup("PostgreSQL, 2 nodes", arguments.binary, os.path.join(work, "pg2"), 2, database="bench_two_nodes"),
        Setup("PostgreSQL, 2 nodes behind nginx", arguments.binary, os.path.join(work, "pg2lb"), 2, database="bench_balanced", balancer=True),
    ]
    rows = {}
    for setup in setups:
        app = setup.prepare(arguments.branches)
        # Builds last an hour: StartJob only queues (each node builds 5 at a time, the rest wait PENDING).
        setup.start("3600")
        get_job = setup.load(arguments.seconds, arguments.connections, path=f"/apps/{app}/branches/main/jobs/1")

        def start_jobs(index, nodes, threads):
            # Node `index` of `nodes` takes branches index, index + nodes, …; each wrk thread a share of those.
            return lua_sequence("POST", f"/apps/{app}/branches/bNUMBER/jobs", index, nodes * threads, body={"jobType": "RELEASE"})

        start_job = setup.load(arguments.seconds, arguments.connections, script=start_jobs)
        setup.stop()
        rows[setup.name] = {"GetJob": get_job, "StartJob": start_job}
    for setup in setups:
        if setup.database:
            psql(f"DROP DATABASE {setup.database} WITH (FORCE)")
    shutil.rmtree(work, ignore_errors=True)

    report = render(rows, arguments)
    print(report)
    with open(os.path.join(HERE, "results-nodes.md"), "w") as handle:
        handle.write(report)


def render(rows, arguments):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    version = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores ({cpu}), Linux "
        f"{platform.release()}, {version}; server, nodes and wrk on the same machine. wrk: {arguments.connections} connections "
        f"in all, {arguments.seconds} s per row; PostgreSQL fsyncs its commits (as SQLite's store does).",
        "",
        "| setup | GetJob req/s | p50 ms | p99 ms | vs SQLite | StartJob req/s | p50 ms | p99 ms | vs SQLite |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base = rows["SQLite, 1 node"]
    for name, row in rows.items():
        get_job, start_job = row["GetJob"], row["StartJob"]
        errors = get_job["non2xx"] + start_job["non2xx"]
        lines.append(
            f"| {name}{f' ({errors} non-2xx)' if errors else ''} | {get_job['rps']:,.0f} | {get_job['p50']:.2f} | {get_job['p99']:.2f} | "
            f"{get_job['rps'] / base['GetJob']['rps']:.2f}× | {start_job['rps']:,.0f} | {start_job['p50']:.2f} | {start_job['p99']:.2f} | "
            f"{start_job['rps'] / base['StartJob']['rps']:.2f}× |"
        )
    postgres = next((row for name, row in rows.items() if name.startswith("PostgreSQL, 1 node")), None)
    if postgres:
        get_job = postgres["GetJob"]["rps"] / base["GetJob"]["rps"]
        start_job = postgres["StartJob"]["rps"] / base["StartJob"]["rps"]
        lines += [
            "", "| target (issue 19) | measured | goal | met |", "|---|---:|---:|---|",
            f"| PostgreSQL GetJob, × SQLite's | {get_job:.2f}× | ≥ 0.7× | {'yes' if get_job >= 0.7 else 'no'} |",
            f"| PostgreSQL StartJob, × SQLite's | {start_job:.2f}× | ≥ 0.5× | {'yes' if start_job >= 0.5 else 'no'} |",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
