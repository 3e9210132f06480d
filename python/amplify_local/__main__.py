"""`python -m amplify_local ARGS` and the `amplify-local` console script: the binary itself, with ARGS."""
import os
import sys

from .binary import binary_path


def main():
    try:
        path = binary_path()
    except FileNotFoundError as error:
        sys.exit(str(error))
    os.execv(path, ["amplify-local", *sys.argv[1:]])


if __name__ == "__main__":
    main()
