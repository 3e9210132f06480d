"""amplify-local for Python: the server binary (`amplify-local`, `python -m amplify_local`), `Server` to run one from
Python, and a pytest plugin (the `amplify_local` fixture). See docs/python.md of amplify-local."""
from .binary import binary_path
from .endpoint import Endpoint
from .server import Server, ServerError

__all__ = ["Endpoint", "Server", "ServerError", "binary_path"]


def __getattr__(name):
    # The installed distribution's version, read only when asked for (importlib.metadata costs ~10 ms to import).
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version("amplify-local")
        except PackageNotFoundError:
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
