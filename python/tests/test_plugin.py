"""Tests of the installed amplify_local package (scripts/test-wheel runs them in a virtual environment that has the
wheel, pytest, pytest-xdist and boto3, nothing else): the console script and `python -m`, the Server API, and the
pytest plugin's options, the endpoint variable, xdist, the marker and the log of failing tests, each in a pytest run
of its own (pytester)."""
import json
import os
import subprocess
import sys

import pytest

import amplify_local
from amplify_local.binary import COMPRESSED, PACKAGED

pytest_plugins = ["pytester"]


def test_the_console_script_and_python_m_run_the_binary():
    folder = os.path.dirname(sys.executable)
    for command in ([os.path.join(folder, "amplify-local"), "--version"], [sys.executable, "-m", "amplify_local", "--version"]):
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        assert result.stdout.strip() == amplify_local.__version__


def test_the_wheel_binary_is_unpacked_beside_its_compressed_copy():
    assert os.path.exists(COMPRESSED)
    assert amplify_local.binary_path() == PACKAGED
    assert os.access(PACKAGED, os.X_OK)


def test_a_binary_that_is_not_there_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere/amplify-local"):
        amplify_local.Server(str(tmp_path / "nowhere" / "amplify-local"))


def test_server_context_manager_and_its_options(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with amplify_local.Server(data_dir=str(data), build_mode="simulate", args=["--max-concurrent-builds", "2"]) as server:
        health = server.health()
        assert (health["status"], health["buildMode"], health["storage"]) == ("ok", "simulate", "sqlite")
        app = server.client().create_app(name="kept")["app"]
        assert server.reset() == {"status": "reset"}
        assert server.client().list_apps()["apps"] == []
        server.client().create_app(name="kept")
    assert not server.running
    with amplify_local.Server(data_dir=str(data)) as again:  # the data directory keeps the state
        assert [listed["name"] for listed in again.client().list_apps()["apps"]] == ["kept"]
    assert app["appId"]


def test_a_server_that_cannot_start_says_why():
    with pytest.raises(amplify_local.ServerError, match="--max-concurrent-builds"):
        amplify_local.Server(args=["--max-concurrent-builds", "zero"]).start()


PROBE = """
import json, os
def test_probe(amplify_local):
    health = amplify_local.health()
    amplify_local.client().create_app(name="probe")
    with open(os.environ["PROBE_OUT"] + "." + os.environ.get("PYTEST_XDIST_WORKER", "main"), "a") as out:
        out.write(json.dumps({"url": amplify_local.endpoint_url, "mode": health["buildMode"],
                              "storage": health["storage"], "apps": len(amplify_local.client().list_apps()["apps"])}) + "\\n")
"""


def probes(tmp_path):
    found = []
    for name in sorted(os.listdir(tmp_path)):
        if name.startswith("probe.json."):
            with open(tmp_path / name) as file:
                found += [json.loads(line) for line in file]
    return found


@pytest.fixture
def probe(pytester, tmp_path, monkeypatch):
    monkeypatch.setenv("PROBE_OUT", str(tmp_path / "probe.json"))
    monkeypatch.delenv("AMPLIFY_LOCAL_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AMPLIFY_LOCAL_BINARY", raising=False)
    return pytester


def test_defaults_a_simulating_server_in_memory_reset_before_each_test(probe, tmp_path):
    probe.makepyfile(test_one=PROBE, test_two=PROBE)
    probe.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
    seen = probes(tmp_path)
    assert [(s["mode"], s["storage"], s["apps"]) for s in seen] == [("simulate", "memory", 1)] * 2
    assert seen[0]["url"] == seen[1]["url"]  # one server for the session


def test_command_line_options_win_over_the_ini_file(probe, tmp_path):
    probe.makeini("[pytest]\namplify_local_build_mode = run\namplify_local_in_memory = false\n")
    probe.makepyfile(test_one=PROBE)
    probe.runpytest_subprocess("--amplify-local-build-mode", "auto").assert_outcomes(passed=1)
    assert [(s["mode"], s["storage"]) for s in probes(tmp_path)] == [("auto", "sqlite")]


def test_extra_flags_reach_the_server(probe):
    probe.makeini("[pytest]\namplify_local_args = --max-concurrent-builds zero\n")
    probe.makepyfile(test_one=PROBE)
    result = probe.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--max-concurrent-builds*"])


def test_the_binary_option(probe):
    probe.makepyfile(test_one=PROBE)
    result = probe.runpytest_subprocess("--amplify-local-binary", "/nonexistent/amplify-local")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*amplify-local binary not found at /nonexistent/amplify-local (given)*"])


def test_no_reset_when_the_ini_says_so(probe, tmp_path):
    probe.makeini("[pytest]\namplify_local_reset = false\n")
    probe.makepyfile(test_one=PROBE, test_two=PROBE)
    probe.runpytest_subprocess().assert_outcomes(passed=2)
    assert [s["apps"] for s in probes(tmp_path)] == [1, 2]


def test_the_endpoint_variable_uses_a_running_server(probe, tmp_path, monkeypatch):
    with amplify_local.Server(build_mode="simulate") as server:
        monkeypatch.setenv("AMPLIFY_LOCAL_ENDPOINT_URL", server.endpoint_url)
        probe.makepyfile(test_one=PROBE, test_marked="""
import pytest
@pytest.mark.amplify_local(build_mode="run")
def test_needs_real_builds(amplify_local):
    pass
""")
        result = probe.runpytest_subprocess("-rs")
        result.assert_outcomes(passed=1, skipped=1)
        result.stdout.fnmatch_lines(["*asks for build mode run*runs simulate*"])
        assert [s["url"] for s in probes(tmp_path)] == [server.endpoint_url]
        assert [app["name"] for app in server.client().list_apps()["apps"]] == ["probe"]


def test_a_marked_test_gets_a_server_of_its_kind(probe, tmp_path):
    probe.makepyfile(test_one=PROBE + """
import pytest
@pytest.mark.amplify_local(build_mode="run", args=["--max-concurrent-builds", "1"])
def test_marked(amplify_local, amplify_local_server):
    assert amplify_local.health()["buildMode"] == "run"
    assert amplify_local.endpoint_url != amplify_local_server.endpoint_url
    assert amplify_local_server.health()["buildMode"] == "simulate"

@pytest.mark.amplify_local(build_mode="sometimes")
def test_bad_marker(amplify_local):
    pass
""")
    result = probe.runpytest_subprocess()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*build_mode='sometimes': auto, run or simulate*"])


def test_xdist_gives_each_worker_its_own_server(probe, tmp_path):
    pytest.importorskip("xdist")
    probe.makepyfile(**{f"test_{n}": PROBE for n in range(6)})
    probe.runpytest_subprocess("-n", "2", "-p", "xdist").assert_outcomes(passed=6)
    seen = probes(tmp_path)
    assert len(seen) == 6 and all(s["apps"] == 1 for s in seen)
    assert len({s["url"] for s in seen}) == 2


def test_a_failing_test_shows_the_server_log_of_its_time(probe):
    probe.makepyfile(test_one="""
def test_fails(amplify_local):
    amplify_local.client().create_app(name="in-the-log")
    assert False
""")
    result = probe.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*amplify-local log (http://127.0.0.1:*, during the test)*", "*CreateApp*"])


def test_the_options_are_in_pytest_help(probe):
    probe.runpytest_subprocess("--help").stdout.fnmatch_lines([
        "amplify-local (a local AWS Amplify Hosting) for the tests:", "*--amplify-local-binary*",
        "*--amplify-local-build-mode*", "*--amplify-local-args*", "*--amplify-local-endpoint-url*",
        "*amplify_local_in_memory*", "*amplify_local_reset*"])
