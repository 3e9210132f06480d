"""What fault rules cost requests they do not match: GetJob with no rules, then with 20 rules that name GetJob but
another app (each is checked, none fires), in alternating rounds on one server. Writes bench/results-faults.md."""
import argparse
import json
import os
import statistics
import tempfile
import urllib.request

from bench import AUTH, prepared_server, publish, wrk



def admin(base, method, path, body=None):
    request = urllib.request.Request(f"{base}/_amplify-local/{path}", data=None if body is None else json.dumps(body).encode(), method=method)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4)
    arguments = parser.parse_args()
    server, app = prepared_server(arguments.binary, tempfile.mkdtemp(prefix="amplify-bench-faults-"), ["main"])
    base = server.base
    url = f"{base}/apps/{app}/branches/main/jobs/1"
    auth = [f"Authorization: {AUTH}"]
    wrk(url, 2, arguments.connections, headers=auth)  # warm up
    without, with_rules = [], []
    for _ in range(arguments.rounds):
        admin(base, "DELETE", "faults")
        without.append(wrk(url, arguments.seconds, arguments.connections, headers=auth))
        for index in range(20):
            admin(base, "POST", "faults", {"operations": ["GetJob"], "appId": f"dnomatch{index}", "error": "InternalFailureException"})
        with_rules.append(wrk(url, arguments.seconds, arguments.connections, headers=auth))
    fired = sum(rule["fired"] for rule in admin(base, "GET", "faults")["rules"])
    server.stop()
    assert fired == 0, "a rule for another app fired"
    def rates(results):
        return ", ".join(f"{result['rps']:,.0f}" for result in results)

    zero = statistics.median(r["rps"] for r in without)
    twenty = statistics.median(r["rps"] for r in with_rules)
    lines = [
        "# Fault rules: the cost of rules that do not match",
        "",
        f"GetJob through wrk ({arguments.connections} connections, {arguments.seconds} s a round, {arguments.rounds} rounds each, alternating, one server).",
        "",
        "| rules | req/s (median) | each round | p99 ms (median) |",
        "|---|---|---|---|",
        f"| 0 | {zero:,.0f} | {rates(without)} | {statistics.median(r['p99'] for r in without):.2f} |",
        f"| 20 (GetJob, other apps) | {twenty:,.0f} | {rates(with_rules)} | {statistics.median(r['p99'] for r in with_rules):.2f} |",
        "",
        f"With 20 rules: {twenty / zero:.3f}× the rate with none (target: within 5%, ≥ 0.95×).",
        "",
    ]
    publish("\n".join(lines), "results-faults.md")


if __name__ == "__main__":
    main()
