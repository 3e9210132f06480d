"""Minimal Debian roots, made with debootstrap once per machine and kept in $AMPLIFY_LOCAL_ROOTFS_CACHE (default
/var/cache/amplify-local/rootfs): `minbase` (debootstrap --variant=minbase), `minbase-git` (with git), and what
scripts/test-archive and scripts/image make of them. Needs root, debootstrap and bubblewrap."""
import os
import shutil
import subprocess

CACHE = os.environ.get("AMPLIFY_LOCAL_ROOTFS_CACHE", "/var/cache/amplify-local/rootfs")
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"


def say(message):
    print(f"== {message}", flush=True)


def root(name, make):
    """The cached root `name`, made by `make(path)` the first time (into a temporary path, moved in place when done)."""
    path = os.path.join(CACHE, name)
    if not os.path.exists(os.path.join(path, "usr", "bin", "bash")):
        os.makedirs(CACHE, exist_ok=True)
        partial = path + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        say(f"making the root {name} (once per machine)")
        make(partial)
        os.rename(partial, path)
    return path


def minbase(path):
    subprocess.run(["debootstrap", "--variant=minbase", SUITE, path, MIRROR], check=True, stdout=subprocess.DEVNULL)


def install(path, packages):
    """Debian's `packages` installed into the root at `path` (through apt, in the sandbox, on the host's network)."""
    shutil.copy("/etc/resolv.conf", os.path.join(path, "etc", "resolv.conf"))
    sandbox(path, ["apt-get", "update", "-qq"], check=True)
    sandbox(path, ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True,
            env={"DEBIAN_FRONTEND": "noninteractive"})
    sandbox(path, ["apt-get", "clean"], check=True)


def with_git(path):
    subprocess.run(["cp", "-a", root("minbase", minbase), path], check=True)
    install(path, ["git"])


def sandbox(path, command, env=None, **options):
    """`command` with `path` as its whole file system (and its own /proc, /dev, /tmp), on the host's network."""
    environment = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", **(env or {})}
    wrapped = ["bwrap", "--bind", path, "/", "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", "--unshare-pid",
               "--die-with-parent", "--clearenv"]
    for key, value in environment.items():
        wrapped += ["--setenv", key, value]
    return subprocess.run(wrapped + command, **options) if "check" in options else subprocess.Popen(wrapped + command, **options)
