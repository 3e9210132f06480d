"""Where the amplify-local binary is: the one the wheel carries, unless another is named.

The wheel carries the binary xz-compressed (`bin/amplify-local.xz`: 25 MB, where the zip's own deflate would make it
38 MB, and wheels may use no better compression that every installer reads). It is unpacked once, at its first use,
beside itself (`bin/amplify-local`, which the wheel's RECORD names, so that `pip uninstall` removes it too), or, when
the package's folder is read-only (installed by another user), into the user's cache folder. The unpacked file is
checked against the SHA-256 that the wheel's script wrote (`bin/amplify-local.sha256`) before it is put in place,
under a name of its own and renamed: concurrent first uses (pytest-xdist's workers) do not see a partial file."""
import hashlib
import lzma
import os
import tempfile

ENVIRONMENT = "AMPLIFY_LOCAL_BINARY"
FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin")
PACKAGED = os.path.join(FOLDER, "amplify-local")
COMPRESSED = PACKAGED + ".xz"
CHECKSUM = PACKAGED + ".sha256"


def binary_path(explicit=None):
    """`explicit`, else $AMPLIFY_LOCAL_BINARY, else the binary inside this package (the wheel's, unpacked at its first
    use). Raises FileNotFoundError, naming what was looked at, when that file is not an executable."""
    path = explicit or os.environ.get(ENVIRONMENT)
    if not path:
        path = packaged_binary()
    path = os.path.abspath(os.path.expanduser(path))
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        origin = "given" if explicit else f"${ENVIRONMENT}" if os.environ.get(ENVIRONMENT) else "the package's own"
        raise FileNotFoundError(
            f"amplify-local binary not found at {path} ({origin}): install the wheel (pip install amplify-local), "
            f"or name a binary with ${ENVIRONMENT} or --amplify-local-binary"
        )
    return path


def packaged_binary():
    """The wheel's binary, unpacked if it was not yet; PACKAGED itself when the package has no compressed binary."""
    try:
        with open(CHECKSUM) as file:
            digest, size = file.read().split()[:2]
    except OSError:
        return PACKAGED  # a checkout (python/ on sys.path) or a package someone laid out by hand
    cached = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "amplify-local",
                          digest[:16], "amplify-local")
    for candidate in (PACKAGED, cached):
        try:
            if os.path.getsize(candidate) == int(size) and os.access(candidate, os.X_OK):
                return candidate
        except OSError:
            pass
    for candidate in (PACKAGED, cached):
        try:
            return _unpack(candidate, digest)
        except PermissionError:
            continue
    raise PermissionError(f"cannot unpack {COMPRESSED}: neither {FOLDER} nor {os.path.dirname(cached)} is writable")


def _unpack(target, digest):
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    descriptor, partial = tempfile.mkstemp(prefix=".amplify-local-", dir=folder)
    try:
        sha256 = hashlib.sha256()
        with os.fdopen(descriptor, "wb") as output, lzma.open(COMPRESSED) as source:
            while True:
                chunk = source.read(1 << 20)
                if not chunk:
                    break
                sha256.update(chunk)
                output.write(chunk)
        if sha256.hexdigest() != digest:
            raise OSError(f"{COMPRESSED} unpacks to a file whose SHA-256 is not {digest}: reinstall amplify-local")
        os.chmod(partial, 0o755)
        os.replace(partial, target)
    except BaseException:
        try:
            os.remove(partial)
        except OSError:
            pass
        raise
    return target
