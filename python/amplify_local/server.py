"""One amplify-local process of this one's: started on a free port of 127.0.0.1, ready when its health says so."""
import atexit
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from .binary import binary_path
from .endpoint import ACCOUNT, REGION, SECRET_KEY, Endpoint

LISTENING = "listening on http://"


def _reachable(host):
    """How this machine reaches a server listening on `host`: a wildcard address through the loopback one."""
    if host in ("0.0.0.0", "", "*"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class ServerError(RuntimeError):
    """The server did not start, or did not become healthy; the message carries its log."""


class Server(Endpoint):
    """An amplify-local server, as a context manager:

        with amplify_local.Server() as server:
            server.client().list_apps()

    `binary`: the executable (default: $AMPLIFY_LOCAL_BINARY, else the wheel's). State is in memory (`--in-memory`)
    unless `data_dir` is given, which is then used and kept. `build_mode` is `auto`, `run` or `simulate` (None: the
    binary's default, `auto`). `args` are more of the binary's flags (`amplify-local --help`). `deploy_from` are the
    folders `file://` repositories and deployments may be read from (the server's default is `cwd`, the folder it runs
    in). The log (at `log_level`) goes to `log_path`, else to a file of a temporary folder removed at `stop()`.
    The server's environment is this one's without any AMPLIFY_LOCAL_* variable, plus `env`: only the flags given
    here configure it."""

    def __init__(self, binary=None, *, host="127.0.0.1", port=0, data_dir=None, build_mode=None, args=(), env=None,
                 cwd=None, deploy_from=(), log_path=None, log_level="info", startup_timeout=30.0,
                 account=ACCOUNT, region=REGION, secret_key=SECRET_KEY):
        super().__init__(f"http://{_reachable(host)}:{port}", account=account, region=region, secret_key=secret_key)
        self.binary = binary_path(binary)
        self.host = host
        self.port = port
        self.data_dir = data_dir
        self.build_mode = build_mode
        self.args = list(args)
        self.env = dict(env or {})
        self.cwd = cwd
        self.deploy_from = list(deploy_from)
        self.log_path = log_path
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self.process = None
        self._folder = None
        self._reader = None

    def command(self):
        """The command line the server runs with."""
        command = [self.binary, "serve", "--host", self.host, "--port", str(self.port), "--log-level", self.log_level]
        command += ["--data-dir", str(self.data_dir)] if self.data_dir else ["--in-memory"]
        if self.build_mode:
            command += ["--build-mode", self.build_mode]
        for folder in self.deploy_from:
            command += ["--deploy-from", str(folder)]
        return command + self.args

    def start(self):
        """Starts the server and returns once its health endpoint answers `ok`; raises ServerError with its log when
        it exits first or takes longer than `startup_timeout` seconds."""
        if self.process is not None:
            raise ServerError("this server was started already")
        if self.log_path is None:
            self._folder = tempfile.mkdtemp(prefix="amplify-local-")
            self.log_path = os.path.join(self._folder, "amplify-local.log")
        environment = {key: value for key, value in os.environ.items() if not key.startswith("AMPLIFY_LOCAL_")}
        environment.update(self.env)
        deadline = time.monotonic() + self.startup_timeout
        # The log goes to a file: a pipe nobody reads would stop the server once 64 KiB of log filled it.
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                            env=environment, cwd=self.cwd)
        atexit.register(self.stop)
        try:
            line = self._first_line(deadline)
            if LISTENING not in line:
                raise ServerError(f"amplify-local did not start: {line.strip()!r}\n{self.log()}")
            address = line.split(LISTENING, 1)[1].split()[0]
            self.port = int(address.rsplit(":", 1)[1])
            self.endpoint_url = f"http://{_reachable(self.host)}:{self.port}"
            # What the server prints later (nothing, as of now) is read so that it never blocks on a full pipe.
            self._reader = threading.Thread(target=self.process.stdout.read, daemon=True)
            self._reader.start()
            self._wait_healthy(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _first_line(self, deadline):
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.process.stdout], [], [], remaining)[0]:
                raise ServerError(f"amplify-local said nothing in {self.startup_timeout:g} s\n{self.log()}")
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                self.process.wait()
                raise ServerError(f"amplify-local exited with status {self.process.returncode}: {line.decode(errors='replace')}\n"
                                  f"{self.log()}")
            line += chunk
        return line.decode(errors="replace")

    def _wait_healthy(self, deadline):
        # Health answers once the jobs a previous run left in progress are ended (with a data directory).
        while True:
            try:
                if self.health(timeout=max(0.1, deadline - time.monotonic())).get("status") == "ok":
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise ServerError(f"amplify-local exited with status {self.process.returncode}\n{self.log()}")
            if time.monotonic() > deadline:
                raise ServerError(f"amplify-local was not healthy in {self.startup_timeout:g} s\n{self.log()}")
            time.sleep(0.01)

    def log(self, since=0):
        """The server's log from byte `since` on (what `log_size()` said earlier: the log of what came after)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(since)
                return log.read().decode(errors="replace")
        except (OSError, TypeError):
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except (OSError, TypeError):
            return 0

    def stop(self, timeout=10.0):
        """Stops the server (SIGTERM; SIGKILL after `timeout` seconds) and removes its temporary folder. Idempotent."""
        atexit.unregister(self.stop)
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout:
            if self._reader:
                self._reader.join(timeout=1)
            process.stdout.close()
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
