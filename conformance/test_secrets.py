"""Build secrets: set through the admin endpoint or `amplify-local secrets`, given to builds as the `secrets`
variable (JSON), hidden in logs, absent from the API and sealed in the database."""
import json
import os
import subprocess
import urllib.parse

import pytest

from conftest import ACCOUNT as ACCOUNT_OF_CLIENT
from conftest import POSTGRES, binary_path, http_request, wait_for_status
from test_auth import ACCOUNT, KEY, SECRET, signed_client
from test_builds import build, log_of, make_repo, spec

VALUE = "pa$$word-Ünïcode-\"quoted\"-1234567890"


def admin(server, method, path, body=None):
    target = f"/_amplify-local/secrets/{path}?account={ACCOUNT_OF_CLIENT}"
    status, _, answer = http_request(server.port, method, target, {"Host": f"127.0.0.1:{server.port}"}, body)
    return status, (json.loads(answer) if answer else None)


def cli(*args, input=None, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AMPLIFY_LOCAL_", "AWS_"))}
    environment.update(env or {})
    return subprocess.run([binary_path(), "secrets", *args], input=input, capture_output=True, text=True, env=environment, timeout=30)


@pytest.fixture
def server(fresh_server, data_dir):
    return fresh_server("--build-mode", "auto", data_dir=data_dir)


def test_the_admin_endpoint_sets_lists_and_deletes_without_showing_values(server):
    client = server.client()
    app_id = client.create_app(name="secrets")["app"]["appId"]
    assert admin(server, "PUT", f"{app_id}/TOKEN", VALUE.encode())[0] == 200
    assert admin(server, "PUT", f"{app_id}/SHARED", b"app-shared")[0] == 200
    status, answer = admin(server, "PUT", f"{app_id}/feature%2Fx/SHARED", b"branch-shared")
    assert status == 200 and answer["secret"]["branch"] == "feature/x" and answer["secret"]["name"] == "SHARED"
    status, answer = admin(server, "GET", app_id)
    assert status == 200
    assert [(s["name"], s.get("branch")) for s in answer["secrets"]] == [("SHARED", None), ("TOKEN", None), ("SHARED", "feature/x")]
    assert all(set(s) <= {"name", "branch", "updatedAt"} for s in answer["secrets"])
    assert VALUE not in json.dumps(answer) and "app-shared" not in json.dumps(answer)
    # What a branch's builds get: the app's, its own over them.
    _, answer = admin(server, "GET", f"{app_id}/feature%2Fx")
    assert [(s["name"], s.get("branch")) for s in answer["secrets"]] == [("SHARED", "feature/x"), ("TOKEN", None)]
    # Errors, AWS-style, and nothing changed.
    status, answer = admin(server, "PUT", f"{app_id}/bad%20name", b"x")
    assert status == 400 and "may hold only letters" in answer["message"]
    assert admin(server, "PUT", f"{app_id}/EMPTY", b"")[0] == 400
    assert admin(server, "PUT", f"{app_id}/BIG", b"x" * 8193)[0] == 400
    status, answer = admin(server, "PUT", "d0000000000/TOKEN", b"x")
    assert status == 404 and "d0000000000" in answer["message"]
    status, answer = admin(server, "DELETE", f"{app_id}/NOPE")
    assert status == 404 and "Secret NOPE not found" in answer["message"]
    assert admin(server, "DELETE", f"{app_id}/feature%2Fx/SHARED")[0] == 200
    _, answer = admin(server, "GET", f"{app_id}/feature%2Fx")
    assert [(s["name"], s.get("branch")) for s in answer["secrets"]] == [("SHARED", None), ("TOKEN", None)]
    # They go with the app.
    client.delete_app(appId=app_id)
    assert admin(server, "GET", app_id)[0] == 404


def test_a_branchs_own_secrets_go_with_delete_branch(server):
    client = server.client()
    app_id = client.create_app(name="secrets-branch")["app"]["appId"]
    for branch in ("feature", "feature/x"):
        client.create_branch(appId=app_id, branchName=branch)
    assert admin(server, "PUT", f"{app_id}/TOKEN", b"app-token")[0] == 200
    assert admin(server, "PUT", f"{app_id}/feature/TOKEN", b"feature-token")[0] == 200
    assert admin(server, "PUT", f"{app_id}/feature%2Fx/TOKEN", b"other-token")[0] == 200
    client.delete_branch(appId=app_id, branchName="feature")
    _, answer = admin(server, "GET", app_id)
    assert [(s["name"], s.get("branch")) for s in answer["secrets"]] == [("TOKEN", None), ("TOKEN", "feature/x")]
    # A branch made again under the name is another branch: its builds get the app's secret, not the old one's.
    client.create_branch(appId=app_id, branchName="feature")
    _, answer = admin(server, "GET", f"{app_id}/feature")
    assert [(s["name"], s.get("branch")) for s in answer["secrets"]] == [("TOKEN", None)]


def test_builds_get_them_as_json_and_logs_hide_them(server, tmp_path):
    client = server.client()
    show = 'import json, os\ns = json.loads(os.environ["secrets"])\nprint("token is " + s["TOKEN"] + ", shared is " + s["SHARED"])\n'
    commands = ['echo "all: $secrets"', "python3 show.py", 'test "$(printf %s "$secrets" | wc -c)" -gt 10']
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec(*commands), "show.py": show})
    app_id = client.create_app(name="secrets", repository=path)["app"]["appId"]
    client.create_branch(appId=app_id, branchName="main")
    admin(server, "PUT", f"{app_id}/TOKEN", VALUE.encode())
    admin(server, "PUT", f"{app_id}/SHARED", b"app-shared")
    admin(server, "PUT", f"{app_id}/main/SHARED", b"main-shared")
    job_id = client.start_job(appId=app_id, branchName="main", jobType="RELEASE")["jobSummary"]["jobId"]
    job = wait_for_status(client, app_id, "main", job_id, ("SUCCEED", "FAILED"), timeout=60)
    log = log_of(job)
    assert job["summary"]["status"] == "SUCCEED", (job["steps"][0].get("statusReason"), log)
    assert "token is ***, shared is ***" in log
    assert "all: {" in log and "2 secrets are in the secrets environment variable" in log
    for text in (VALUE, "main-shared", json.dumps(VALUE)[1:-1]):
        assert text not in log
    for answer in (client.get_app(appId=app_id), client.get_branch(appId=app_id, branchName="main"), job):
        assert VALUE not in json.dumps(answer, default=str) and "main-shared" not in json.dumps(answer, default=str)
    if not POSTGRES:
        # Sealed in the database: no trace of a value in the file or its write-ahead log.
        for name in os.listdir(server.data_dir):
            if name.startswith("amplify-local.sqlite"):
                content = open(os.path.join(server.data_dir, name), "rb").read()
                assert VALUE.encode() not in content and b"main-shared" not in content


def test_the_command_line_works_on_a_running_server_and_a_stopped_one(fresh_server, data_dir):
    server = fresh_server(data_dir=data_dir)
    app_id = server.client().create_app(name="secrets")["app"]["appId"]
    endpoint = ["--endpoint", server.endpoint]
    # As the AWS CLI: the key is the account (a 12-digit key with --auth off), the request signed.
    keys = {"AWS_ACCESS_KEY_ID": ACCOUNT_OF_CLIENT, "AWS_SECRET_ACCESS_KEY": "anything"}
    result = cli("set", app_id, "TOKEN", "from-cli", *endpoint)
    assert result.returncode != 0 and f"App {app_id} not found" in result.stderr  # unsigned: account 000000000000
    result = cli("set", app_id, "TOKEN", "from-cli", *endpoint, env=keys)
    assert result.returncode == 0 and f"Set secret TOKEN of app {app_id}." in result.stdout, result.stderr
    result = cli("set", app_id, "PIPED", "-", "--branch", "feature/x", "--account", ACCOUNT_OF_CLIENT, *endpoint, input="from-stdin\n")
    assert result.returncode == 0, result.stderr
    listed = json.loads(cli("list", app_id, *endpoint, env=keys).stdout)["secrets"]
    assert [(s["name"], s.get("branch")) for s in listed] == [("TOKEN", None), ("PIPED", "feature/x")]
    result = cli("set", app_id, "bad name", "x", *endpoint, env=keys)
    assert result.returncode != 0 and "may hold only letters" in result.stderr
    result = cli("delete", app_id, "NOPE", *endpoint, env=keys)
    assert result.returncode != 0 and "Secret NOPE not found" in result.stderr
    assert cli("delete", app_id, "PIPED", "--branch", "feature/x", *endpoint, env=keys).returncode == 0

    if POSTGRES:
        return  # the data directory of a server on PostgreSQL holds no store; --endpoint is the way there
    # A running server holds its data directory.
    local = ["--data-dir", data_dir, "--account", ACCOUNT_OF_CLIENT]
    result = cli("list", app_id, *local)
    assert result.returncode != 0 and "already using the data directory" in result.stderr
    server.stop()
    result = cli("set", app_id, "OFFLINE", "set-while-stopped", *local)
    assert result.returncode == 0, result.stderr
    listed = json.loads(cli("list", app_id, *local).stdout)["secrets"]
    assert [s["name"] for s in listed] == ["OFFLINE", "TOKEN"]
    # The server opens what was sealed while it was stopped: a build gets it.
    server.start()
    status, answer = admin(server, "GET", app_id)
    assert [s["name"] for s in answer["secrets"]] == ["OFFLINE", "TOKEN"]


def test_under_auth_strict_the_endpoint_needs_a_signature_and_the_cli_signs(fresh_server, tmp_path):
    path = tmp_path / "credentials"
    path.write_text(f"{KEY}:{SECRET}:{ACCOUNT}\n")
    server = fresh_server("--auth", "strict", "--credentials", str(path))
    app_id = signed_client(server).create_app(name="secrets")["app"]["appId"]
    status, answer = admin(server, "PUT", f"{app_id}/TOKEN", b"x")
    assert status == 403 and answer["__type"] == "MissingAuthenticationTokenException"
    signed = {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
    result = cli("set", app_id, "TOKEN", "signed", "--endpoint", server.endpoint, env=signed)
    assert result.returncode == 0, result.stderr
    listed = json.loads(cli("list", app_id, "--endpoint", server.endpoint, env=signed).stdout)["secrets"]
    assert [s["name"] for s in listed] == ["TOKEN"]
    result = cli("list", app_id, "--endpoint", server.endpoint, env={**signed, "AWS_SECRET_ACCESS_KEY": "wrong"})
    assert result.returncode != 0 and "signature" in result.stderr.lower()
