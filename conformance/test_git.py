"""Git-driven builds: real repositories the tests create and push to, followed by polling (on this machine, and one
served by `git daemon` on 127.0.0.1 standing for a remote) and by GitHub-format notifications."""
import hashlib
import hmac
import json
import os
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import ACCOUNT, POSTGRES, REGION, Server, http_request, wait_for_status
from test_multinode import Cluster

FINISHED = ("SUCCEED", "FAILED", "CANCELLED")
POLL = "0.2"

BUILD_SPEC = """version: 1
frontend:
  phases:
    build:
      commands:
        - echo "pr=$AWS_PULL_REQUEST_ID source=$AWS_PULL_REQUEST_SOURCE_BRANCH destination=$AWS_PULL_REQUEST_DESTINATION_BRANCH" > env.txt
  artifacts:
    baseDirectory: .
    files:
      - '**/*'
"""


class Repository:
    """A git repository on this machine that the test commits to, as a developer pushes."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "dev@example.com")
        self.git("config", "user.name", "Dev")
        self.commit("first", {"amplify.yml": BUILD_SPEC, "index.html": "<h1>first</h1>"})

    def git(self, *args):
        return subprocess.run(["git", "-C", self.path, *args], check=True, capture_output=True, text=True).stdout.strip()

    def commit(self, message, files=None, branch=None):
        if branch:
            self.git("checkout", "-q", "-B", branch)
        for name, text in (files or {"change.txt": message + str(time.monotonic())}).items():
            with open(os.path.join(self.path, name), "w") as file:
                file.write(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repository():
    with tempfile.TemporaryDirectory(prefix="amplify-local-git-") as directory:
        yield Repository(os.path.join(directory, "site"))


def jobs(client, app_id, branch):
    return client.list_jobs(appId=app_id, branchName=branch)["jobSummaries"]


def wait_for(condition, timeout=10, what="the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def branch_names(client, app_id):
    return sorted(branch["branchName"] for branch in client.list_branches(appId=app_id)["branches"])


def settle():
    """Long enough for several readings of a repository (every 0.2 s here)."""
    time.sleep(1.2)


def test_a_push_builds_that_commit_and_creating_builds_nothing(fresh_server, repository):
    server = fresh_server("--git-poll-seconds", POLL, "--build-mode", "auto")
    client = server.client()
    app_id = client.create_app(name="pushed", repository=repository.path)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    settle()
    assert jobs(client, app_id, "main") == []

    commit = repository.commit("Second commit")
    summary = wait_for(lambda: jobs(client, app_id, "main"), what="a job of the push")[0]
    assert (summary["jobType"], summary["commitId"], summary["commitMessage"]) == ("WEB_HOOK", commit, "Second commit")
    assert wait_for_status(client, app_id, "main", "1", FINISHED)["summary"]["status"] == "SUCCEED"
    settle()
    assert len(jobs(client, app_id, "main")) == 1, "one push, one build"

    repository.commit("Docs only [skip-cd]")
    settle()
    assert len(jobs(client, app_id, "main")) == 1, "[skip-cd] builds nothing"


def test_pushes_during_a_build_make_one_follow_up_of_the_newest(fresh_server, repository):
    server = fresh_server("--git-poll-seconds", POLL, "--simulated-build-seconds", "5")
    client = server.client()
    app_id = client.create_app(name="busy", repository=repository.path)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    settle()
    repository.commit("one")
    wait_for(lambda: jobs(client, app_id, "main"), what="the first build")
    wait_for_status(client, app_id, "main", "1", ("RUNNING",))
    newest = None
    for index in range(4):
        newest = repository.commit(f"quick {index}")
        time.sleep(0.3)
    assert len(jobs(client, app_id, "main")) == 1, "a push while the branch builds is a mark, not a job"
    follow_up = wait_for(lambda: next((job for job in jobs(client, app_id, "main") if job["jobId"] == "2"), None), timeout=15,
                         what="the follow-up build")
    assert follow_up["commitId"] == newest
    wait_for_status(client, app_id, "main", "2", FINISHED, timeout=15)
    settle()
    assert len(jobs(client, app_id, "main")) == 2


def test_new_git_branches_matching_the_patterns_get_a_branch_with_the_config(fresh_server, repository):
    server = fresh_server("--git-poll-seconds", POLL)
    client = server.client()
    app_id = client.create_app(
        name="patterns", repository=repository.path, enableAutoBranchCreation=True,
        autoBranchCreationPatterns=["feature/*", "release/**"],
        autoBranchCreationConfig={"stage": "DEVELOPMENT", "framework": "React", "environmentVariables": {"FROM": "config"},
                                  "enableAutoBuild": True},
    )["app"]["appId"]
    settle()
    repository.commit("a", branch="feature/login")
    repository.commit("b", branch="feature/deep/nested")  # `*` stays within one part of the name
    repository.commit("c", branch="release/2026/12")  # `**` crosses parts
    repository.commit("d", branch="hotfix")
    wait_for(lambda: branch_names(client, app_id) == ["feature/login", "release/2026/12"], what="the matching branches")
    settle()
    assert branch_names(client, app_id) == ["feature/login", "release/2026/12"]
    created = client.get_branch(appId=app_id, branchName="feature/login")["branch"]
    assert (created["stage"], created["framework"], created["environmentVariables"]) == ("DEVELOPMENT", "React", {"FROM": "config"})
    first = wait_for(lambda: jobs(client, app_id, "feature/login"), what="the first build")[0]
    assert first["commitMessage"] == "a" and first["jobType"] == "WEB_HOOK"

    # Patterns changed later apply to branches made later.
    client.update_app(appId=app_id, autoBranchCreationPatterns=["hotfix*"])
    repository.commit("e", branch="hotfix-2")
    wait_for(lambda: "hotfix-2" in branch_names(client, app_id), what="the branch of the new pattern")
    assert "hotfix" not in branch_names(client, app_id)


def test_deleted_git_branches_delete_their_branch_only_with_auto_deletion(fresh_server, repository):
    server = fresh_server("--git-poll-seconds", POLL)
    client = server.client()
    repository.commit("x", branch="gone")
    repository.commit("y", branch="kept")
    repository.git("checkout", "-q", "main")
    app_id = client.create_app(name="deletion", repository=repository.path, enableBranchAutoDeletion=True)["app"]["appId"]
    for name in ("main", "gone", "kept"):
        client.create_branch(appId=app_id, branchName=name)
    settle()
    repository.git("branch", "-q", "-D", "gone")
    wait_for(lambda: branch_names(client, app_id) == ["kept", "main"], what="the branch to go")

    client.update_app(appId=app_id, enableBranchAutoDeletion=False)
    repository.git("branch", "-q", "-D", "kept")
    settle()
    assert branch_names(client, app_id) == ["kept", "main"]


def test_a_listing_without_branches_deletes_nothing(fresh_server, repository):
    server = fresh_server("--git-poll-seconds", POLL)
    client = server.client()
    app_id = client.create_app(name="empty-listing", repository=repository.path, enableBranchAutoDeletion=True)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    settle()
    refs = os.path.join(repository.path, ".git", "refs", "heads")
    os.rename(refs, refs + ".away")  # the repository answers with no branch at all for a while
    settle()
    os.rename(refs + ".away", refs)
    settle()
    assert branch_names(client, app_id) == ["main"]


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notify(server, hook, event, payload, signature=None):
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    target = hook["url"].split(f"127.0.0.1:{server.port}", 1)[1]
    headers = {"Content-Type": "application/json", "X-GitHub-Event": event,
               "X-Hub-Signature-256": signature or sign(hook["secret"], body)}
    status, _, answer = http_request(server.port, "POST", target, headers, body)
    return status, json.loads(answer or b"{}")


def webhook_settings(server, app_id):
    status, _, body = http_request(server.port, "GET", f"/_amplify-local/git/{app_id}?account={ACCOUNT}&region={REGION}")
    assert status == 200
    return json.loads(body)


def pull_request(number, action, sha, source="feature/x", destination="main"):
    return {"action": action, "number": number,
            "pull_request": {"title": f"PR {number}", "head": {"ref": source, "sha": sha}, "base": {"ref": destination}}}


def test_pull_request_notifications_build_previews(fresh_server, repository):
    server = fresh_server("--git-poll-seconds", "0", "--build-mode", "auto")
    client = server.client()
    app_id = client.create_app(name="previews", repository=repository.path)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main", enablePullRequestPreview=True, environmentVariables={"SHARED": "yes"})
    hook = webhook_settings(server, app_id)
    assert hook["url"] == f"http://127.0.0.1:{server.port}/_amplify-local/git/{app_id}?account={ACCOUNT}&region={REGION}"
    assert len(hook["secret"]) == 64

    head = repository.commit("work", branch="feature/x")
    # A bad signature changes nothing.
    status, answer = notify(server, hook, "pull_request", pull_request(3, "opened", head), signature="sha256=" + "0" * 64)
    assert status == 401 and "X-Hub-Signature-256" in answer["message"]
    assert branch_names(client, app_id) == ["main"]

    status, answer = notify(server, hook, "pull_request", pull_request(3, "opened", head))
    assert status == 200, answer
    preview = client.get_branch(appId=app_id, branchName="pr-3")["branch"]
    assert (preview["stage"], preview["sourceBranch"], preview["destinationBranch"]) == ("PULL_REQUEST", "feature/x", "main")
    assert preview["environmentVariables"] == {"SHARED": "yes"}
    assert wait_for_status(client, app_id, "pr-3", "1", FINISHED, timeout=20)["summary"]["status"] == "SUCCEED"
    status, _, body = http_request(server.port, "GET", "/env.txt", {"Host": f"pr-3.{app_id}.localhost"})
    assert status == 200 and body.decode().strip() == "pr=3 source=feature/x destination=main"

    updated = repository.commit("more work", branch="feature/x")
    notify(server, hook, "pull_request", pull_request(3, "synchronize", updated))
    job = wait_for_status(client, app_id, "pr-3", "2", FINISHED, timeout=20)
    assert job["summary"]["commitId"] == updated

    notify(server, hook, "pull_request", pull_request(3, "closed", updated))
    assert branch_names(client, app_id) == ["main"]


def test_push_notifications(fresh_server, repository):
    server = fresh_server("--git-poll-seconds", "0")
    client = server.client()
    app_id = client.create_app(name="pushes", repository=repository.path, enableBranchAutoDeletion=True,
                               enableAutoBranchCreation=True, autoBranchCreationPatterns=["feature/*"])["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    hook = webhook_settings(server, app_id)
    push = {"ref": "refs/heads/main", "after": "a" * 40, "head_commit": {"id": "a" * 40, "message": "From the host",
                                                                          "timestamp": "2026-11-30T10:00:00Z"}}
    status, answer = notify(server, hook, "push", push)
    assert status == 200 and "builds" in answer["result"]
    summary = jobs(client, app_id, "main")[0]
    assert (summary["commitId"], summary["commitMessage"], summary["jobType"]) == ("a" * 40, "From the host", "WEB_HOOK")
    # The host sending it again (a retry) builds nothing more.
    wait_for_status(client, app_id, "main", "1", FINISHED)
    notify(server, hook, "push", push)
    assert len(jobs(client, app_id, "main")) == 1

    notify(server, hook, "push", {"ref": "refs/heads/feature/new", "after": "b" * 40, "created": True,
                                  "head_commit": {"id": "b" * 40, "message": "new"}})
    assert "feature/new" in branch_names(client, app_id)
    notify(server, hook, "push", {"ref": "refs/heads/feature/new", "after": "0" * 40, "deleted": True})
    assert "feature/new" not in branch_names(client, app_id)

    # Payloads over 256 KB are ignored, as on AWS; other events too.
    big = dict(push, after="c" * 40, padding="x" * (256 * 1024))
    status, answer = notify(server, hook, "push", big)
    assert status == 200 and "ignored" in answer["result"]
    status, answer = notify(server, hook, "ping", {"zen": "hi"})
    assert status == 200 and "ignored" in answer["result"]
    assert len(jobs(client, app_id, "main")) == 1
    status, answer = notify(server, hook, "push", {"ref": "refs/heads/main"})
    assert status == 400 and "after" in answer["message"]
    status, _, _ = http_request(server.port, "POST", f"/_amplify-local/git/d0000000000000?account={ACCOUNT}",
                                {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=00"}, b"{}")
    assert status == 401


def test_pull_request_refs_on_this_machine_build_previews(fresh_server, repository):
    server = fresh_server("--git-poll-seconds", POLL)
    client = server.client()
    app_id = client.create_app(name="pr-refs", repository=repository.path)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main", enablePullRequestPreview=True)
    settle()
    head = repository.commit("proposal", branch="topic")
    repository.git("checkout", "-q", "main")  # HEAD names the default branch, which a local pull request targets
    repository.git("update-ref", "refs/pull/12/head", head)
    preview = wait_for(lambda: "pr-12" in branch_names(client, app_id), what="the preview")
    assert preview
    branch = client.get_branch(appId=app_id, branchName="pr-12")["branch"]
    assert (branch["stage"], branch["sourceBranch"], branch["destinationBranch"]) == ("PULL_REQUEST", "topic", "main")
    assert wait_for(lambda: jobs(client, app_id, "pr-12"), what="the preview's build")[0]["commitId"] == head
    repository.git("update-ref", "-d", "refs/pull/12/head")
    wait_for(lambda: "pr-12" not in branch_names(client, app_id), what="the preview to go")


def test_an_unreachable_repository_is_retried_logged_once_and_followed_once_there(tmp_path):
    log = tmp_path / "server.log"
    server = Server("--git-poll-seconds", POLL, "--build-mode", "simulate", log_path=str(log)).start()
    try:
        client = server.client()
        path = str(tmp_path / "not-yet")
        app_id = client.create_app(name="unreachable", repository=path)["app"]["appId"]
        client.create_branch(appId=app_id, branchName="main")
        settle()
        settle()
        assert client.get_app(appId=app_id)["app"]["name"] == "unreachable"
        assert log.read_text().count("Cannot read the app's repository") == 1, "logged once, not at every reading"

        repository = Repository(path)  # it appears: the next attempt (backoff: 5 s) reads it, and following starts
        wait_for(lambda: "can be read again" in log.read_text(), timeout=15, what="the repository to be read again")
        settle()
        commit = repository.commit("now it is there")
        summary = wait_for(lambda: jobs(client, app_id, "main"), what="the build of the first push")[0]
        assert summary["commitId"] == commit
    finally:
        server.stop()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_remote_repository_over_git_daemon(fresh_server, repository, tmp_path):
    bare = tmp_path / "site.git"
    subprocess.run(["git", "clone", "-q", "--bare", repository.path, str(bare)], check=True)
    port = free_port()
    daemon = subprocess.Popen(["git", "daemon", "--export-all", "--reuseaddr", f"--base-path={tmp_path}", "--listen=127.0.0.1",
                               f"--port={port}", str(tmp_path)], stderr=subprocess.DEVNULL)
    try:
        url = f"git://127.0.0.1:{port}/site.git"
        wait_for(lambda: subprocess.run(["git", "ls-remote", url], capture_output=True).returncode == 0, what="git daemon")
        server = fresh_server("--git-remote-poll-seconds", POLL)
        client = server.client()
        app_id = client.create_app(name="remote", repository=url, accessToken="token")["app"]["appId"]
        client.create_branch(appId=app_id, branchName="main")
        settle()
        commit = repository.commit("pushed to the remote")
        repository.git("push", "-q", str(bare), "main")
        summary = wait_for(lambda: jobs(client, app_id, "main"), what="a job of the remote push")[0]
        assert (summary["commitId"], summary["jobType"]) == (commit, "WEB_HOOK")
    finally:
        daemon.terminate()
        daemon.wait()


def test_following_survives_a_restart(data_dir, repository):
    server = Server("--git-poll-seconds", POLL, "--build-mode", "simulate", data_dir=data_dir).start()
    try:
        client = server.client()
        app_id = client.create_app(name="restart", repository=repository.path)["app"]["appId"]
        client.create_branch(appId=app_id, branchName="main")
        settle()
    finally:
        server.stop()
    commit = repository.commit("while the server was down")
    server = Server("--git-poll-seconds", POLL, "--build-mode", "simulate", data_dir=data_dir).start()
    try:
        client = server.client()
        summary = wait_for(lambda: jobs(client, app_id, "main"), what="the build of the push made while down")[0]
        assert summary["commitId"] == commit
        settle()
        assert len(jobs(client, app_id, "main")) == 1
    finally:
        server.stop()


def test_a_push_waiting_when_the_server_stops_builds_after_the_restart(data_dir, repository):
    """The mark a push leaves while its branch builds is found again at the next start (without reading every branch)."""
    server = Server("--git-poll-seconds", POLL, "--build-mode", "simulate", "--simulated-build-seconds", "60", data_dir=data_dir).start()
    try:
        client = server.client()
        app_id = client.create_app(name="waiting", repository=repository.path)["app"]["appId"]
        for name in ("main", "other"):
            client.create_branch(appId=app_id, branchName=name)
        settle()
        repository.commit("one")
        wait_for(lambda: jobs(client, app_id, "main"), what="the first build")
        waiting = repository.commit("two, while one builds")
        settle()
        assert len(jobs(client, app_id, "main")) == 1
    finally:
        server.stop()
    server = Server("--git-poll-seconds", POLL, "--build-mode", "simulate", "--simulated-build-seconds", "0", data_dir=data_dir).start()
    try:
        client = server.client()
        follow_up = wait_for(lambda: next((job for job in jobs(client, app_id, "main") if job["jobId"] == "2"), None), timeout=15,
                             what="the build of the push that waited")
        assert follow_up["commitId"] == waiting
        assert jobs(client, app_id, "other") == []
    finally:
        server.stop()


@pytest.mark.skipif(not POSTGRES, reason="several nodes need PostgreSQL")
def test_two_nodes_never_build_one_push_twice(repository):
    cluster = Cluster(2, "--git-poll-seconds", "0.1")
    try:
        client = cluster.nodes[0].client()
        app_id = client.create_app(name="nodes", repository=repository.path)["app"]["appId"]
        client.create_branch(appId=app_id, branchName="main")
        settle()
        for index in range(5):
            repository.commit(f"push {index}")
            wait_for(lambda: len(jobs(client, app_id, "main")) == index + 1, timeout=15, what=f"the build of push {index}")
            wait_for_status(client, app_id, "main", str(index + 1), FINISHED, timeout=15)
        settle()
        assert len(jobs(client, app_id, "main")) == 5
    finally:
        cluster.close()
