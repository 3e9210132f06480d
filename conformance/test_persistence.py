"""State lives in the data directory: it survives a restart and a kill -9."""
import os

from conftest import POSTGRES, Server, on_postgres, wait_for_status


def test_state_survives_a_restart(data_dir):
    server = Server("--build-mode", "simulate", "--simulated-build-seconds", "0", data_dir=data_dir).start()
    client = server.client()
    app = client.create_app(name="durable", repository="/srv/repo")["app"]
    client.create_branch(appId=app["appId"], branchName="main")
    client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")
    job = wait_for_status(client, app["appId"], "main", "1", {"SUCCEED"})
    server.stop()
    if not POSTGRES:
        assert os.path.exists(os.path.join(data_dir, "amplify-local.sqlite"))

    server = Server("--build-mode", "simulate", data_dir=data_dir).start()
    client = server.client()
    assert client.get_app(appId=app["appId"])["app"] == app
    assert client.get_job(appId=app["appId"], branchName="main", jobId="1")["job"]["summary"] == job["summary"]
    assert client.start_job(appId=app["appId"], branchName="main", jobType="RELEASE")["jobSummary"]["jobId"] == "2"
    server.stop()


def test_acknowledged_writes_survive_kill_9(data_dir):
    server = Server("--build-mode", "simulate", "--simulated-build-seconds", "60", data_dir=data_dir).start()
    client = server.client()
    apps = [client.create_app(name=f"app{index}", repository="/srv/repo")["app"]["appId"] for index in range(20)]
    client.create_branch(appId=apps[0], branchName="main")
    client.start_job(appId=apps[0], branchName="main", jobType="RELEASE")
    wait_for_status(client, apps[0], "main", "1", {"RUNNING"})
    deleted = client.delete_app(appId=apps[-1])["app"]["appId"]
    server.kill9()

    server = Server("--build-mode", "simulate", data_dir=data_dir).start()
    client = server.client()
    listed = [app["appId"] for app in client.list_apps(maxResults=100)["apps"]]
    assert listed == apps[:-1]
    assert deleted not in listed
    # The build that was running when the server died ends FAILED, with the reason on its step.
    job = wait_for_status(client, apps[0], "main", "1", {"FAILED"}, timeout=5)
    assert "endTime" in job["summary"]
    assert "interrupted" in job["steps"][-1]["statusReason"]
    server.stop()


def test_in_memory_mode_writes_no_files(tmp_path):
    server = Server(env={"AMPLIFY_LOCAL_DATA_DIR": str(tmp_path / "data")}).start()
    server.client().create_app(name="ephemeral")
    server.stop()
    assert not (tmp_path / "data").exists()


@on_postgres
def test_a_data_directory_has_one_server(data_dir):
    first = Server("--build-mode", "simulate", data_dir=data_dir).start()
    try:
        second = Server("--build-mode", "simulate", data_dir=data_dir)
        try:
            second.start()
            raise AssertionError("a second server started on the same data directory")
        except RuntimeError as error:
            assert "already using the data directory" in str(error)
    finally:
        first.stop()
    Server("--build-mode", "simulate", data_dir=data_dir).start().stop()
