"""The servers of one pytest session (of one xdist worker): one per set of options the tests ask for, started when
first asked for and stopped at the session's end; or the server at $AMPLIFY_LOCAL_ENDPOINT_URL for them all."""
import os
import tempfile

from .endpoint import Endpoint
from .server import Server


class ServerPool:
    def __init__(self, *, binary, build_mode, args, endpoint_url, in_memory, log_level, cwd, basetemp, data_dirs):
        """`basetemp` is where the tests' temporary folders are (pytest's); `data_dirs()` makes a new folder for a
        server's state when `in_memory` is off (pytest's tmp_path_factory)."""
        self.binary = binary
        self.build_mode = build_mode
        self.args = list(args)
        self.endpoint_url = endpoint_url
        self.in_memory = in_memory
        self.log_level = log_level
        self.cwd = cwd
        self.basetemp = basetemp
        self.data_dirs = data_dirs
        self.servers = {}
        self.external = None
        self.external_health = None

    def deploy_from(self):
        """The folders a test's repositories are in: the project's, the temporary one (tempfile) and pytest's."""
        folders = []
        for folder in (self.cwd, tempfile.gettempdir(), self.basetemp):
            folder = os.path.realpath(str(folder))
            if not any(folder == known or folder.startswith(known + os.sep) for known in folders):
                folders.append(folder)
        return folders

    def get(self, build_mode=None, args=()):
        """The server for `build_mode` (None: the session's) and these extra flags, started if it was not. With an
        external server, that one, once it answers its health; a test that asks for other options is a ValueError,
        its message saying why (the fixture skips it)."""
        if self.endpoint_url:
            return self._external(build_mode, tuple(args))
        build_mode = build_mode or self.build_mode
        args = tuple(self.args) + tuple(args)
        key = (build_mode, args)
        server = self.servers.get(key)
        if server is None:
            server = Server(
                self.binary, build_mode=build_mode, args=args, cwd=self.cwd, log_level=self.log_level,
                data_dir=None if self.in_memory else self.data_dirs(),
                deploy_from=self.deploy_from(),
            )
            self.servers[key] = server
            server.start()
        return server

    def _external(self, build_mode, args):
        """The external server, for a test that asks for no build mode or its own, and for no flags."""
        if self.external is None:
            external = Endpoint(self.endpoint_url)
            try:
                self.external_health = external.health()
            except OSError as error:
                raise ConnectionError(f"no amplify-local answers at {self.endpoint_url} "
                                      f"($AMPLIFY_LOCAL_ENDPOINT_URL or --amplify-local-endpoint-url): {error}") from error
            self.external = external
        running = self.external_health.get("buildMode")
        if build_mode and build_mode != running:
            raise ValueError(f"the test asks for build mode {build_mode}; the server at {self.endpoint_url} runs {running}")
        if args:
            raise ValueError(f"the test asks for a server started with {' '.join(args)}; the one at {self.endpoint_url} "
                             f"was started by someone else")
        return self.external

    def close(self):
        for server in self.servers.values():
            server.stop()
        self.servers.clear()
