"""Where the amplify-local binary is: the one the wheel carries, unless another is named."""
import os

ENVIRONMENT = "AMPLIFY_LOCAL_BINARY"
PACKAGED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "amplify-local")


def binary_path(explicit=None):
    """`explicit`, else $AMPLIFY_LOCAL_BINARY, else the binary inside this package (the wheel's). Raises
    FileNotFoundError, naming what was looked at, when that file is not an executable."""
    path = explicit or os.environ.get(ENVIRONMENT) or PACKAGED
    path = os.path.abspath(os.path.expanduser(path))
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        origin = "given" if explicit else f"${ENVIRONMENT}" if os.environ.get(ENVIRONMENT) else "the package's own"
        raise FileNotFoundError(
            f"amplify-local binary not found at {path} ({origin}): install the wheel (pip install amplify-local), "
            f"or name a binary with ${ENVIRONMENT} or --amplify-local-binary"
        )
    return path
