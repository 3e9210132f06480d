"""What the Prometheus metrics cost: GetJob on a server with metrics (the default) and on one started with
--no-metrics, in alternating rounds, one at a time, on one release build. Writes bench/results-metrics.md."""
import argparse
import statistics
import tempfile
import urllib.request

from bench import AUTH, prepared_server, publish, wrk


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=8)
    arguments = parser.parse_args()
    servers = {
        "metrics on": prepared_server(arguments.binary, tempfile.mkdtemp(prefix="amplify-bench-metrics-"), ["main"]),
        "metrics off (--no-metrics)": prepared_server(arguments.binary, tempfile.mkdtemp(prefix="amplify-bench-metrics-"), ["main"],
                                                      "--no-metrics"),
    }
    auth = [f"Authorization: {AUTH}"]
    results = {name: [] for name in servers}
    try:
        for server, app in servers.values():
            wrk(f"{server.base}/apps/{app}/branches/main/jobs/1", 2, arguments.connections, headers=auth)  # warm up
        for _ in range(arguments.rounds):
            for name, (server, app) in servers.items():
                results[name].append(wrk(f"{server.base}/apps/{app}/branches/main/jobs/1", arguments.seconds, arguments.connections,
                                         headers=auth))
        on_server, _ = servers["metrics on"]
        scraped = urllib.request.urlopen(f"{on_server.base}/_amplify-local/metrics").read().decode()
        assert 'amplify_local_requests_total{operation="GetJob",status="200"}' in scraped, "the server with metrics counted nothing"
    finally:
        for server, _ in servers.values():
            server.stop()

    def rates(rounds):
        return ", ".join(f"{result['rps']:,.0f}" for result in rounds)

    on = statistics.median(r["rps"] for r in results["metrics on"])
    off = statistics.median(r["rps"] for r in results["metrics off (--no-metrics)"])
    lines = [
        "# Metrics: what counting and timing every request costs",
        "",
        f"GetJob through wrk ({arguments.connections} connections, {arguments.seconds} s a round, {arguments.rounds} rounds each, "
        "alternating between two servers of one release build).",
        "",
        "| server | req/s (median) | each round | p99 ms (median) |",
        "|---|---|---|---|",
    ]
    for name, rounds in results.items():
        lines.append(f"| {name} | {statistics.median(r['rps'] for r in rounds):,.0f} | {rates(rounds)} | "
                     f"{statistics.median(r['p99'] for r in rounds):.2f} |")
    lines += ["", f"With metrics: {on / off:.3f}× the rate without (target: cost ≤ 5%, ≥ 0.95×).", ""]
    publish("\n".join(lines), "results-metrics.md")


if __name__ == "__main__":
    main()
