"""Build and domain outcomes on demand, and the whole state as one document (export, reset, import)."""
import json
import time

import pytest

from conftest import ACCOUNT, REGION, Server, wait_for_status, wait_until
from test_builds import FINISHED, log_of, make_repo, spec, start
from test_faults import admin as unscoped_admin


def admin(server, method, path, body=None, query=""):
    """An admin request in the account and region the tests' clients use (an unsigned request names them)."""
    separator = "&" if query else "?"
    return unscoped_admin(server, method, path, body, f"{query}{separator}account={ACCOUNT}&region={REGION}")


def control(server, body, path="builds/control"):
    status, answer = admin(server, "POST", path, body)
    assert status == 200, answer
    return answer


@pytest.fixture
def simulated(fresh_server):
    return fresh_server("--simulated-build-seconds", "0.3")


def app_with_branches(client, *branches, repository="/srv/repo", **app_args):
    app = client.create_app(name="controlled", repository=repository, **app_args)["app"]["appId"]
    for branch in branches:
        client.create_branch(appId=app, branchName=branch)
    return app


def test_forced_failure_of_simulated_builds_then_normal_ones(simulated):
    client = simulated.client()
    app = app_with_branches(client, "main", "dev")
    control(simulated, {"appId": app, "branchName": "main", "action": "FAIL", "step": "DEPLOY", "reason": "disk full", "count": 2})
    for job_id in ("1", "2"):
        start(client, app)
        job = wait_for_status(client, app, "main", job_id, FINISHED)
        assert job["summary"]["status"] == "FAILED"
        deploy = next(step for step in job["steps"] if step["stepName"] == "DEPLOY")
        assert deploy["status"] == "FAILED" and deploy["statusReason"] == "disk full"
        assert "disk full (failed on purpose by a build control" in log_of(job, "DEPLOY")
    start(client, app)
    assert wait_for_status(client, app, "main", "3", FINISHED)["summary"]["status"] == "SUCCEED"
    start(client, app, "dev")  # another branch was never controlled
    assert wait_for_status(client, app, "dev", "1", FINISHED)["summary"]["status"] == "SUCCEED"


def test_hold_until_released_and_a_held_job_can_be_stopped(simulated):
    client = simulated.client()
    app = app_with_branches(client, "main")
    control(simulated, {"appId": app, "action": "HOLD", "status": "RUNNING", "count": 2})
    start(client, app)
    wait_for_status(client, app, "main", "1", ("RUNNING",))
    time.sleep(1.5)
    assert client.get_job(appId=app, branchName="main", jobId="1")["job"]["summary"]["status"] == "RUNNING"
    assert control(simulated, {"appId": app, "branchName": "main", "jobId": "1", "action": "RELEASE"}) == {"released": "1"}
    assert wait_for_status(client, app, "main", "1", FINISHED)["summary"]["status"] == "SUCCEED"
    status, body = admin(simulated, "POST", "builds/control", {"appId": app, "branchName": "main", "jobId": "1", "action": "RELEASE"})
    assert status == 404 and "is not held" in body["message"]
    start(client, app)
    wait_for_status(client, app, "main", "2", ("RUNNING",))
    client.stop_job(appId=app, branchName="main", jobId="2")
    assert wait_for_status(client, app, "main", "2", FINISHED)["summary"]["status"] == "CANCELLED"


def test_hold_in_provisioning_and_delay(simulated):
    client = simulated.client()
    app = app_with_branches(client, "main", "slow")
    control(simulated, {"appId": app, "branchName": "main", "action": "HOLD", "status": "PROVISIONING"})
    control(simulated, {"appId": app, "branchName": "slow", "action": "DELAY", "seconds": 1.5})
    start(client, app)
    start(client, app, "slow")
    # The delayed one reaches RUNNING (and stays there for its delay) while the held one, started with it, is still
    # PROVISIONING.
    wait_for_status(client, app, "slow", "1", ("RUNNING",))
    assert client.get_job(appId=app, branchName="main", jobId="1")["job"]["summary"]["status"] == "PROVISIONING"
    control(simulated, {"appId": app, "branchName": "main", "jobId": 1, "action": "RELEASE"})
    assert wait_for_status(client, app, "main", "1", FINISHED)["summary"]["status"] == "SUCCEED"
    slow = wait_for_status(client, app, "slow", "1", FINISHED)
    assert slow["summary"]["status"] == "SUCCEED"
    assert (slow["summary"]["endTime"] - slow["summary"]["startTime"]).total_seconds() >= 1.5


def test_simulate_result_variable_fails_simulated_builds(simulated):
    client = simulated.client()
    app = app_with_branches(client, "main", "ok", environmentVariables={"AMPLIFY_LOCAL_SIMULATE_RESULT": "FAILED"})
    client.update_branch(appId=app, branchName="ok", environmentVariables={"AMPLIFY_LOCAL_SIMULATE_RESULT": "SUCCEED"})
    start(client, app)
    start(client, app, "ok")
    failed = wait_for_status(client, app, "main", "1", FINISHED)
    assert failed["summary"]["status"] == "FAILED"
    assert "AMPLIFY_LOCAL_SIMULATE_RESULT is FAILED" in failed["steps"][0]["statusReason"]
    assert wait_for_status(client, app, "ok", "1", FINISHED)["summary"]["status"] == "SUCCEED"


def test_forced_failure_and_hold_in_run_mode(fresh_server, tmp_path):
    server = fresh_server("--build-mode", "run")
    client = server.client()
    # The commands print "commands-ran-2" only when they run (the log also shows each command's text).
    path, _ = make_repo(tmp_path / "repo", {"amplify.yml": spec("echo commands-ran-$((1 + 1))", "mkdir -p dist", "echo hi > dist/index.html",
                                                                 extra="  artifacts:\n    baseDirectory: dist\n    files:\n      - '**/*'\n")})
    app = app_with_branches(client, "main", repository=path)
    control(server, {"appId": app, "action": "FAIL", "step": "BUILD", "reason": "compiler crashed"})
    start(client, app)
    job = wait_for_status(client, app, "main", "1", FINISHED, timeout=30)
    assert job["summary"]["status"] == "FAILED" and job["steps"][0]["statusReason"] == "compiler crashed"
    assert "the step did not run" in log_of(job) and "commands-ran-2" not in log_of(job)
    control(server, {"appId": app, "action": "HOLD", "status": "RUNNING"})
    start(client, app)
    wait_for_status(client, app, "main", "2", ("RUNNING",), timeout=30)
    time.sleep(1)
    job = client.get_job(appId=app, branchName="main", jobId="2")["job"]
    assert job["summary"]["status"] == "RUNNING"
    assert "commands-ran-2" not in log_of(job)  # held before its commands
    control(server, {"appId": app, "branchName": "main", "jobId": "2", "action": "RELEASE"})
    job = wait_for_status(client, app, "main", "2", FINISHED, timeout=30)
    assert job["summary"]["status"] == "SUCCEED"
    assert "commands-ran-2" in log_of(job)


@pytest.mark.parametrize("body,member", [
    ({"action": "FAIL"}, "appId"),
    ({"appId": "d1", "action": "EXPLODE"}, "action"),
    ({"appId": "d1", "action": "HOLD", "status": "SUCCEED"}, "status"),
    ({"appId": "d1", "action": "DELAY"}, "seconds"),
    ({"appId": "d1", "action": "FAIL", "step": "TEST"}, "step"),
    ({"appId": "d1", "action": "FAIL", "count": 0}, "count"),
    ({"appId": "d1", "action": "RELEASE", "branchName": "main"}, "jobId"),
])
def test_bad_build_controls_name_the_member(simulated, body, member):
    status, answer = admin(simulated, "POST", "builds/control", body)
    assert status == 400 and answer["message"].startswith(f"{member}:"), answer


def domain_status(client, app, domain):
    return client.get_domain_association(appId=app, domainName=domain)["domainAssociation"]


def test_a_domain_made_to_fail_is_seen_failing_by_a_waiter_loop(simulated):
    client = simulated.client()
    app = app_with_branches(client, "main")
    control(simulated, {"appId": app, "domainName": "broken.example.com", "status": "FAILED", "reason": "CNAME not found"}, "domains/control")
    client.create_domain_association(appId=app, domainName="broken.example.com", subDomainSettings=[{"prefix": "www", "branchName": "main"}])
    seen = []
    deadline = time.monotonic() + 10
    while True:  # as Terraform's waiter: until AVAILABLE (success) or FAILED (failure)
        association = domain_status(client, app, "broken.example.com")
        seen.append(association["domainStatus"])
        if association["domainStatus"] in ("AVAILABLE", "FAILED"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert seen[-1] == "FAILED" and "PENDING_VERIFICATION" in seen and "AVAILABLE" not in seen
    assert association["statusReason"] == "CNAME not found"


def test_a_domain_stops_where_asked_after_it_was_created(simulated):
    client = simulated.client()
    app = app_with_branches(client, "main")
    client.create_domain_association(appId=app, domainName="stuck.example.com", subDomainSettings=[{"prefix": "", "branchName": "main"}])
    answer = control(simulated, {"appId": app, "domainName": "stuck.example.com", "stopAt": "PENDING_VERIFICATION"}, "domains/control")
    assert answer["applies"] == "now"
    time.sleep(4.5)
    assert domain_status(client, app, "stuck.example.com")["domainStatus"] == "PENDING_VERIFICATION"
    status, body = admin(simulated, "POST", "domains/control", {"appId": app, "domainName": "x.example.com", "stopAt": "NOWHERE"})
    assert status == 400 and body["message"].startswith("stopAt:")
    status, body = admin(simulated, "POST", "domains/control", {"appId": "dnothere", "domainName": "x.example.com", "stopAt": "CREATING"})
    assert status == 404


def answers(client):
    """Every Get and List answer of the account, with what changes by itself left out (signed URLs)."""
    seen = {"apps": client.list_apps()["apps"]}
    for app in seen["apps"]:
        app_id = app["appId"]
        seen[app_id] = {
            "app": client.get_app(appId=app_id)["app"],
            "branches": client.list_branches(appId=app_id)["branches"],
            "webhooks": client.list_webhooks(appId=app_id)["webhooks"],
            "domains": client.list_domain_associations(appId=app_id)["domainAssociations"],
            "environments": client.list_backend_environments(appId=app_id)["backendEnvironments"],
            "tags": client.list_tags_for_resource(resourceArn=app["appArn"])["tags"],
        }
        for branch in seen[app_id]["branches"]:
            name = branch["branchName"]
            jobs = client.list_jobs(appId=app_id, branchName=name)["jobSummaries"]
            details = []
            for job in jobs:
                detail = client.get_job(appId=app_id, branchName=name, jobId=job["jobId"])["job"]
                for step in detail["steps"]:
                    step.pop("logUrl", None)
                details.append(detail)
                details.append(client.list_tags_for_resource(resourceArn=job["jobArn"])["tags"])
            seen[app_id][name] = {"branch": client.get_branch(appId=app_id, branchName=name)["branch"], "jobs": jobs, "details": details,
                                  "tags": client.list_tags_for_resource(resourceArn=branch["branchArn"])["tags"]}
    return json.loads(json.dumps(seen, default=str, sort_keys=True))


def strip_signed(value):
    """Thumbnail URLs are signed with an expiry: compare them without their query."""
    if isinstance(value, dict):
        return {k: (v.split("?")[0] if k == "thumbnailUrl" and isinstance(v, str) else strip_signed(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_signed(v) for v in value]
    return value


def test_state_export_reset_import_answers_the_same(simulated):
    client = simulated.client()
    app = client.create_app(name="stateful", repository="/srv/repo", environmentVariables={"A": "1"}, tags={"team": "web"},
                            customRules=[{"source": "/old", "target": "/new", "status": "301"}])["app"]["appId"]
    client.create_branch(appId=app, branchName="main", stage="PRODUCTION", tags={"env": "prod"})
    client.create_branch(appId=app, branchName="feature/x")
    for _ in range(2):
        job = start(client, app)
        wait_for_status(client, app, "main", job, FINISHED)
    client.tag_resource(resourceArn=client.get_job(appId=app, branchName="main", jobId="2")["job"]["summary"]["jobArn"], tags={"run": "2"})
    client.delete_job(appId=app, branchName="main", jobId="1")
    client.create_webhook(appId=app, branchName="main", description="ci")
    client.create_domain_association(appId=app, domainName="example.com", subDomainSettings=[{"prefix": "www", "branchName": "main"}])
    client.create_backend_environment(appId=app, environmentName="prod", stackName="amplify-stack")
    other = client.create_app(name="empty")["app"]["appId"]
    assert wait_until(lambda: domain_status(client, app, "example.com")["domainStatus"] == "AVAILABLE")
    before = strip_signed(answers(client))

    status, document = admin(simulated, "GET", "state")
    assert status == 200 and {a["app"]["appId"] for a in document["apps"]} == {app, other}
    status, only = admin(simulated, "GET", "state", query=f"?appId={other}")
    assert [a["app"]["appId"] for a in only["apps"]] == [other]

    admin(simulated, "POST", "reset")
    assert client.list_apps()["apps"] == []
    status, answer = admin(simulated, "POST", "state", document)
    assert status == 200 and answer == {"loaded": 2}
    assert strip_signed(answers(client)) == before
    # Counters go on where they were: the next job is number 3.
    assert start(client, app) == "3"
    status, body = admin(simulated, "POST", "state", document)
    assert status == 400 and "already holds" in body["message"]


def test_a_malformed_import_changes_nothing(simulated):
    client = simulated.client()
    source = client.create_app(name="source")["app"]["appId"]
    client.create_branch(appId=source, branchName="main")
    document = admin(simulated, "GET", "state")[1]
    admin(simulated, "POST", "reset")
    good = document["apps"][0]
    broken = json.loads(json.dumps(good))
    broken["app"]["appId"] = "dbroken1"
    for branch in broken["branches"]:
        branch["branch"]["appId"] = "dbroken1"
    broken["webhooks"] = [{"scope": broken["app"]["scope"], "webhookId": "w1", "appId": "dbroken1", "branchName": "nope", "description": "",
                           "token": "t", "createTime": 0, "updateTime": 0}]
    status, body = admin(simulated, "POST", "state", {"apps": [good, broken]})
    assert status == 400 and body["message"].startswith("apps.2.webhooks.1:"), body
    assert client.list_apps()["apps"] == []
    status, body = admin(simulated, "POST", "state", {"apps": [{"app": {"appId": "d1"}}]})
    assert status == 400 and body["message"].startswith("The state document cannot be read: apps.1.app."), body
    status, body = admin(simulated, "POST", "state", {"apps": "many"})
    assert status == 400
    assert client.list_apps()["apps"] == []


def test_state_from_a_file_at_start(simulated, tmp_path):
    client = simulated.client()
    app = app_with_branches(client, "main")
    state = tmp_path / "state.json"
    state.write_text(json.dumps(admin(simulated, "GET", "state")[1]))
    data = tmp_path / "data"
    server = Server("--init", str(state), data_dir=str(data)).start()
    try:
        assert [a["appId"] for a in server.client().list_apps()["apps"]] == [app]
        server.client().create_branch(appId=app, branchName="dev")
    finally:
        server.stop()
    server = Server("--init", str(state), data_dir=str(data)).start()  # not loaded again over what is there
    try:
        assert [b["branchName"] for b in server.client().list_branches(appId=app)["branches"]] == ["main", "dev"]
    finally:
        server.stop()
