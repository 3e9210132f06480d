"""Racing StartJob, StopJob, DeleteJob and DeleteBranch on one branch from many clients leaves a
consistent state: at most one active job, ids unique and increasing, nothing orphaned."""
import random
import threading

from conftest import make_client, wait_for_status


def test_racing_job_operations_stay_consistent(fresh_server):
    server = fresh_server("--simulated-build-seconds", "0.05")
    client = server.client()
    app = client.create_app(name="race", repository="/srv/repo")["app"]["appId"]
    client.create_branch(appId=app, branchName="main")
    errors = []

    def racer(seed):
        rng = random.Random(seed)
        racer_client = make_client(server.endpoint)
        for _ in range(60):
            action = rng.randrange(10)
            try:
                if action < 4:
                    racer_client.start_job(appId=app, branchName="main", jobType="RELEASE")
                elif action < 6:
                    racer_client.stop_job(appId=app, branchName="main", jobId=str(rng.randint(1, 40)))
                elif action < 9:
                    racer_client.delete_job(appId=app, branchName="main", jobId=str(rng.randint(1, 40)))
                elif rng.random() < 0.3:
                    racer_client.delete_branch(appId=app, branchName="main")
                    racer_client.create_branch(appId=app, branchName="main")
            except racer_client.exceptions.ClientError as error:
                code = error.response["Error"]["Code"]
                if code not in ("BadRequestException", "NotFoundException", "LimitExceededException"):
                    errors.append(code)

    threads = [threading.Thread(target=racer, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    try:
        jobs = [j for page in client.get_paginator("list_jobs").paginate(appId=app, branchName="main") for j in page["jobSummaries"]]
    except client.exceptions.NotFoundException:
        client.create_branch(appId=app, branchName="main")
        jobs = []
    ids = [int(job["jobId"]) for job in jobs]
    assert ids == sorted(set(ids), reverse=True), "job ids are unique and listed newest first"
    active = [job for job in jobs if job["status"] in ("CREATED", "PENDING", "PROVISIONING", "RUNNING", "CANCELLING")]
    assert len(active) <= 1
    for job in active:
        wait_for_status(client, app, "main", job["jobId"], {"SUCCEED", "FAILED", "CANCELLED"})
    branch = client.get_branch(appId=app, branchName="main")["branch"]
    assert int(branch["totalNumberOfJobs"]) >= (max(ids) if ids else 0)
    # A job started now gets the next id, and the branch is free again.
    next_job = client.start_job(appId=app, branchName="main", jobType="RELEASE")["jobSummary"]
    assert int(next_job["jobId"]) == int(branch["totalNumberOfJobs"]) + 1
