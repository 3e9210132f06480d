"""podman as these machines run it: as root, with no daemon, no registry and no systemd: runc, cgroupfs and the vfs
storage driver (what works in a container or VM without overlayfs) in a store of its own, and explicit ulimits for the containers (runc
cannot raise a container's limits above the host's hard ones: "error setting rlimit type 7"). $AMPLIFY_LOCAL_PODMAN
replaces the command (e.g. `podman` where podman's defaults work)."""
import os
import resource
import shlex
import shutil
import subprocess

# A store of its own (--root, --runroot): podman's default store keeps the driver it was first made with in its database,
# and refuses another ("database storage graph driver ... does not match"), so a machine whose default store some other
# podman made (a build's, with overlay) would fail here.
PODMAN = shlex.split(os.environ.get(
    "AMPLIFY_LOCAL_PODMAN",
    "podman --runtime runc --cgroup-manager cgroupfs --storage-driver vfs"
    " --root /var/lib/amplify-local-podman/storage --runroot /run/amplify-local-podman",
))


def podman_missing():
    """Why podman cannot run containers here, or None when it can."""
    if shutil.which(PODMAN[0]) is None:
        return f"{PODMAN[0]} is not installed (Debian: apt-get install podman runc uidmap slirp4netns)"
    info = subprocess.run(PODMAN + ["info"], capture_output=True, text=True)
    if info.returncode != 0:
        return f"`{' '.join(PODMAN)} info` failed: {info.stderr.strip()}"
    return None


def podman(*args, check=True, **options):
    return subprocess.run(PODMAN + list(args), check=check, **options)


# The most processes a container is given: runc failed here to set a limit of 65536 or more ("error setting rlimit
# type 6: operation not permitted", with the host's own limit at 96367), and 32768 works (measured).
MOST_PROCESSES = 32768


def ulimits():
    """`--ulimit` flags that give a container this process's own limits of open files, and of processes up to
    MOST_PROCESSES."""
    flags = []
    for name, limit, most in (("nofile", resource.RLIMIT_NOFILE, 1048576), ("nproc", resource.RLIMIT_NPROC, MOST_PROCESSES)):
        soft, hard = resource.getrlimit(limit)
        hard = most if hard == resource.RLIM_INFINITY else min(hard, most)
        soft = hard if soft == resource.RLIM_INFINITY else min(soft, hard)
        flags += ["--ulimit", f"{name}={soft}:{hard}"]
    return flags
