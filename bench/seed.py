"""Fills an amplify-local data directory with many apps, branches and jobs, fast, for the benchmark.

It does not invent the storage format: the server first creates one app, branch and finished job
through the API, and this copies those rows (what the server itself wrote), changing only their
identifiers. Run it on a stopped server's data directory.
"""
import json
import sqlite3


def seed(database_path, app_id, branch_name, job_count, app_account=None, app_count=0):
    """Gives branch `branch_name` of `app_id` jobs 1…job_count (copies of its job 1), and, when
    `app_account` is set, `app_count` apps in that account (copies of app `app_id`)."""
    db = sqlite3.connect(database_path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("BEGIN")
    app_seq, app_document = db.execute("SELECT seq, document FROM app WHERE appId = ?", (app_id,)).fetchone()
    branch_seq, branch_document = db.execute(
        "SELECT seq, document FROM branch WHERE appSeq = ? AND branchName = ?", (app_seq, branch_name)
    ).fetchone()
    template_seq = db.execute("SELECT seq FROM job WHERE branchSeq = ? AND jobId = 1", (branch_seq,)).fetchone()[0]
    columns = "status, jobType, commitId, commitMessage, commitTime, startTime, endTime, jobReason, sourceUrl, sourceUrlType, statusReason"
    db.execute(
        f"""WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
            INSERT INTO job (branchSeq, jobId, {columns}) SELECT branchSeq, i, {columns} FROM job, n WHERE job.seq = ?""",
        (job_count, template_seq),
    )
    db.execute(
        """INSERT INTO job_step (jobSeq, position, stepName, status, startTime, endTime, statusReason)
           SELECT job.seq, step.position, step.stepName, step.status, step.startTime, step.endTime, step.statusReason
           FROM job JOIN job_step AS step ON step.jobSeq = ? WHERE job.branchSeq = ? AND job.jobId > 1""",
        (template_seq, branch_seq),
    )
    branch = json.loads(branch_document)
    branch["totalNumberOfJobs"] = job_count
    branch["activeJobId"] = job_count
    db.execute("UPDATE branch SET document = ? WHERE seq = ?", (json.dumps(branch).encode(), branch_seq))
    if app_account:
        app = json.loads(app_document)
        rows = []
        for index in range(app_count):
            app["appId"] = f"d{index:013d}"
            app["scope"]["account"] = app_account
            rows.append((app_account, app["scope"]["region"], app["appId"], json.dumps(app, separators=(",", ":")).encode()))
        db.executemany("INSERT INTO app (account, region, appId, document) VALUES (?, ?, ?, ?)", rows)
    db.execute("COMMIT")
    db.close()


def seed_branches(database_path, app_id, count, prefix="b", template=None):
    """Adds branches prefix0…prefix{count-1} to `app_id`, copies of branch `template` (else its first) with no jobs."""
    db = sqlite3.connect(database_path, isolation_level=None)
    db.execute("BEGIN")
    app_seq = db.execute("SELECT seq FROM app WHERE appId = ?", (app_id,)).fetchone()[0]
    if template:
        row = db.execute("SELECT document FROM branch WHERE appSeq = ? AND branchName = ?", (app_seq, template)).fetchone()
    else:
        row = db.execute("SELECT document FROM branch WHERE appSeq = ? ORDER BY seq LIMIT 1", (app_seq,)).fetchone()
    template = json.loads(row[0])
    template["totalNumberOfJobs"] = 0
    template.pop("activeJobId", None)
    rows = []
    for index in range(count):
        template["branchName"] = template["displayName"] = f"{prefix}{index}"
        rows.append((app_seq, template["branchName"], json.dumps(template, separators=(",", ":")).encode()))
    db.executemany("INSERT INTO branch (appSeq, branchName, document) VALUES (?, ?, ?)", rows)
    db.execute("COMMIT")
    db.close()
