"""SIGKILL during concurrent writes: every acknowledged write is there after a restart, nothing deleted
comes back, and no job stays unfinished."""
import threading
import time

from conftest import Server, make_client, wait_for_status

WRITERS = 6
SECONDS = 2.0


def test_kill_9_during_concurrent_writes(data_dir):
    server = Server("--build-mode", "simulate", "--simulated-build-seconds", "0.2", "--max-apps-per-region", "100000", data_dir=data_dir).start()
    acknowledged = {"apps": set(), "deleted": set(), "branches": set(), "jobs": set(), "deleted_jobs": set()}
    # A delete that was sent but not answered when the server died may or may not have happened.
    deleting = set()
    lock = threading.Lock()
    stop = threading.Event()

    def writer(index):
        client = make_client(server.endpoint)
        count = 0
        while not stop.is_set():
            try:
                app = client.create_app(name=f"w{index}-{count}", repository="/srv/repo")["app"]["appId"]
                with lock:
                    acknowledged["apps"].add(app)
                client.create_branch(appId=app, branchName="main")
                with lock:
                    acknowledged["branches"].add(app)
                client.start_job(appId=app, branchName="main", jobType="RELEASE")
                with lock:
                    acknowledged["jobs"].add(app)
                if count % 3 == 0:
                    with lock:
                        deleting.add(app)
                    client.delete_app(appId=app)
                    with lock:
                        acknowledged["deleted"].add(app)
                count += 1
            except Exception:
                # The server died mid-request: that write was not acknowledged.
                return

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(WRITERS)]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    server.kill9()
    stop.set()
    for thread in threads:
        thread.join()

    server = Server("--build-mode", "simulate", "--simulated-build-seconds", "0.2", "--max-apps-per-region", "100000", data_dir=data_dir).start()
    client = server.client()
    present = {app["appId"] for page in client.get_paginator("list_apps").paginate() for app in page["apps"]}
    assert acknowledged["apps"] - deleting <= present, "an acknowledged app is missing"
    assert not (acknowledged["deleted"] & present), "a deleted app came back"
    for app in acknowledged["branches"] - deleting:
        client.get_branch(appId=app, branchName="main")
    for app in acknowledged["jobs"] - deleting:
        job = wait_for_status(client, app, "main", "1", {"SUCCEED", "FAILED", "CANCELLED"}, timeout=30)
        if job["summary"]["status"] == "FAILED":
            assert "interrupted" in job["steps"][-1]["statusReason"]
    server.stop()
    print(f"acknowledged before SIGKILL: {len(acknowledged['apps'])} apps, {len(acknowledged['branches'])} branches, "
          f"{len(acknowledged['jobs'])} jobs, {len(acknowledged['deleted'])} deletes; all found after restart")
