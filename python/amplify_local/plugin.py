"""The pytest plugin (entry point `pytest11: amplify_local`): fixtures that give tests an amplify-local server.

- `amplify_local` (function): the server, its state reset before the test; `.endpoint_url`, `.client(...)`.
- `amplify_local_server` (session): the session's server, not reset (for state made once per session).
- `@pytest.mark.amplify_local(build_mode="run", args=[...])`: a test that needs a server started otherwise (real
  builds) gets one of its own kind, shared by the tests that ask for the same.

One server per session (per xdist worker), started when a test first asks for it; its log is attached to the report
of a test that fails. Options: `pytest --help`, section amplify-local, and docs/python.md."""
import os
import shlex

import pytest

from .pool import ServerPool

ENDPOINT_ENVIRONMENT = "AMPLIFY_LOCAL_ENDPOINT_URL"
BINARY_ENVIRONMENT = "AMPLIFY_LOCAL_BINARY"
BUILD_MODES = ("auto", "run", "simulate")
LOG_TAIL_BYTES = 64 * 1024
# name: (help, ini type, default); each is an ini option amplify_local_<name> and, but for the ini-only ones, the
# command-line option --amplify-local-<name>, which wins.
SETTINGS = {
    "binary": ("the amplify-local binary (default: $AMPLIFY_LOCAL_BINARY, else the wheel's)", "string", ""),
    "build_mode": ("the servers' --build-mode: auto, run or simulate (default simulate: jobs run through their "
                   "states without running anything; mark a test amplify_local(build_mode='run') for real builds)",
                   "string", "simulate"),
    "args": ("more flags for the servers, as a shell would split them ('--max-concurrent-builds 2')", "args", []),
    "endpoint_url": ("use the amplify-local running at this URL instead of starting one "
                     "(also $AMPLIFY_LOCAL_ENDPOINT_URL)", "string", ""),
}
INI_ONLY = {
    "in_memory": ("keep the servers' state in memory (true), or in a data directory under pytest's tmp_path_factory "
                  "(false), kept with pytest's temporary folders for inspection", "bool", True),
    "log_level": ("the servers' --log-level (their log is attached to failing tests)", "string", "info"),
    "reset": ("reset the server's state before each test that uses the amplify_local fixture", "bool", True),
}


def pytest_addoption(parser):
    group = parser.getgroup("amplify-local", "amplify-local (a local AWS Amplify Hosting) for the tests")
    for name, (help_text, kind, default) in {**SETTINGS, **INI_ONLY}.items():
        parser.addini(f"amplify_local_{name}", help_text, type=kind, default=default)
    for name, (help_text, _, _) in SETTINGS.items():
        group.addoption(f"--amplify-local-{name.replace('_', '-')}", dest=f"amplify_local_{name}", default=None,
                        help=help_text, choices=BUILD_MODES if name == "build_mode" else None)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "amplify_local(build_mode=None, args=()): the test's amplify-local server is started with this "
        "--build-mode (auto, run: real builds; simulate) and these extra flags")


def setting(config, name):
    """The command line's value, else the environment's (the binary, the endpoint), else the ini file's."""
    given = config.getoption(f"amplify_local_{name}", default=None)
    if given is not None:
        return shlex.split(given) if name == "args" else given
    environment = {"binary": BINARY_ENVIRONMENT, "endpoint_url": ENDPOINT_ENVIRONMENT}.get(name)
    if environment and os.environ.get(environment):
        return os.environ[environment]
    value = config.getini(f"amplify_local_{name}")
    if name == "binary" and value and not os.path.isabs(value):
        return os.path.join(str(config.rootpath), value)  # relative to the project, as ini paths are
    return value


@pytest.fixture(scope="session")
def _amplify_local_pool(request, tmp_path_factory):
    config = request.config
    build_mode = setting(config, "build_mode")
    if build_mode not in BUILD_MODES:
        raise pytest.UsageError(f"amplify_local_build_mode is {build_mode!r}: auto, run or simulate")
    pool = ServerPool(
        binary=setting(config, "binary") or None, build_mode=build_mode, args=setting(config, "args"),
        endpoint_url=setting(config, "endpoint_url") or None, in_memory=config.getini("amplify_local_in_memory"),
        log_level=config.getini("amplify_local_log_level"), cwd=str(config.rootpath),
        basetemp=str(tmp_path_factory.getbasetemp()), data_dirs=lambda: str(tmp_path_factory.mktemp("amplify-local")),
    )
    yield pool
    pool.close()


def _server(pool, build_mode=None, args=()):
    try:
        return pool.get(build_mode, args)
    except ValueError as why:  # an external server that is not the one asked for
        pytest.skip(str(why))


@pytest.fixture(scope="session")
def amplify_local_server(_amplify_local_pool):
    """The session's amplify-local (of this xdist worker), with the configured options; its state is not reset."""
    return _server(_amplify_local_pool)


@pytest.fixture
def amplify_local(request, _amplify_local_pool):
    """An amplify-local for this test, its state reset first (`POST /_amplify-local/reset`); `.endpoint_url`,
    `.client(service="amplify", region=…, account=…)`, `.reset()`. A test marked amplify_local(build_mode=…,
    args=…) gets a server started so."""
    marker = request.node.get_closest_marker("amplify_local")
    options = dict(marker.kwargs) if marker else {}
    unknown = set(options) - {"build_mode", "args"}
    if unknown or (marker and marker.args):
        raise pytest.UsageError(f"{request.node.nodeid}: amplify_local takes build_mode= and args=, not "
                                f"{', '.join(sorted(unknown)) or marker.args}")
    if options.get("build_mode") not in (None, *BUILD_MODES):
        raise pytest.UsageError(f"{request.node.nodeid}: build_mode={options['build_mode']!r}: auto, run or simulate")
    args = options.get("args", ())
    server = _server(_amplify_local_pool, options.get("build_mode"), shlex.split(args) if isinstance(args, str) else args)
    if request.config.getini("amplify_local_reset"):
        server.reset()
    request.node._amplify_local_log = (server, server.log_size() if hasattr(server, "log_size") else 0)
    return server


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    used = getattr(item, "_amplify_local_log", None)
    if used is None or not report.failed or not hasattr(used[0], "log"):
        return
    server, since = used
    text = server.log(since)
    if len(text) > LOG_TAIL_BYTES:
        text = "[…]\n" + text[-LOG_TAIL_BYTES:]
    if text:
        report.sections.append((f"amplify-local log ({server.endpoint_url}, during the test)", text))
