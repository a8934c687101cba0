"""pyfirecrest's compute calls, unchanged, against the emulator: v1 (firecrest.v1.Firecrest:
submit from a script string and from a local file, poll, poll_active, cancel) or v2
(firecrest.v2.Firecrest: submit, job_info, job_metadata, cancel_job).

Run by emulator/tests/pyfirecrest_jobs.rs with the API version as the only argument and the
emulator's coordinates in the environment (FIRECREST_URL, AUTH_TOKEN_URL, FIRECREST_CLIENT_ID,
FIRECREST_CLIENT_SECRET, FIRECREST_SYSTEM, FIRECREST_HOME). Prints each step; exits non-zero on
the first wrong result.
"""

import os
import sys
import tempfile
import time

import firecrest

TIMEOUT = 60
FINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT")


def step(name):
    print(f"== {name}", flush=True)


def check(cond, what, got=None):
    if not cond:
        raise AssertionError(f"{what}: got {got!r}")


def auth():
    a = firecrest.ClientCredentialsAuth(
        os.environ["FIRECREST_CLIENT_ID"],
        os.environ["FIRECREST_CLIENT_SECRET"],
        os.environ["AUTH_TOKEN_URL"],
    )
    a.timeout = 30
    return a


def until(what, f):
    start = time.time()
    while True:
        got = f()
        if got is not None:
            return got
        if time.time() - start > TIMEOUT:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def v1(system, home):
    client = firecrest.v1.Firecrest(firecrest_url=os.environ["FIRECREST_URL"], authorization=auth())
    client.timeout = 30
    client.polling_sleep_times = [0.05] * 200

    step("v1 submit(script_str)")
    job = client.submit(system, script_str="#!/bin/bash\necho \"from $SLURM_JOB_ID $WHO\"\n", env_vars={"WHO": "py"})
    print(f"   {job}")
    check(job["result"] == "Job submitted", "result", job)
    jobid = job["jobid"]

    def done(j):
        rows = client.poll(system, [j])
        return rows[0] if rows and rows[0]["state"].split()[0] in FINAL else None

    row = until("the job to end", lambda: done(jobid))
    check(row["state"] == "COMPLETED", "state", row)
    check(row["exit_code"] == "0:0", "exit_code", row)
    out = client.head(system, job["job_file_out"])
    check(f"from {jobid} py" in out, "job output", out)

    step("v1 submit(script_local_path), poll_active, cancel")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "long.sh")
        with open(path, "w") as f:
            f.write("#!/bin/bash\nsleep 300\n")
        job = client.submit(system, script_local_path=path)
    jobid = job["jobid"]
    active = until(
        "the job to run",
        lambda: [r for r in client.poll_active(system, [jobid]) if r["state"] == "RUNNING"] or None,
    )
    check(active[0]["jobid"] == jobid, "poll_active jobid", active)
    client.cancel(system, jobid)
    row = until("the job to be cancelled", lambda: done(jobid))
    check(row["state"].startswith("CANCELLED"), "state", row)
    check(client.poll_active(system, [jobid]) == [], "poll_active after cancel")


def v2(system, home):
    client = firecrest.v2.Firecrest(firecrest_url=os.environ["FIRECREST_URL"], authorization=auth())
    client.timeout = 30

    def info(j):
        try:
            return client.job_info(system, j)
        except firecrest.FirecrestException as e:
            if "Job not found" in str(e):
                return None
            raise

    step("v2 submit, job_info, job_metadata")
    job = client.submit(system, working_dir=home, script_str="#!/bin/bash\necho \"v2 $SLURM_JOB_ID $WHO\"\nexit 4\n",
                        env_vars={"WHO": "py"})
    print(f"   {job}")
    jobid = job["jobId"]
    j = until("the job to end", lambda: (lambda i: i if i and i[0]["status"]["state"] in FINAL else None)(info(jobid)))
    check(j[0]["status"]["state"] == "FAILED", "state", j)
    check(j[0]["status"]["exitCode"] == 4, "exitCode", j)
    meta = client.job_metadata(system, jobid)
    check(meta[0]["standardOutput"] == f"{home}/slurm-{jobid}.out", "standardOutput", meta)
    out = client.view(system, meta[0]["standardOutput"])
    check(out == f"v2 {jobid} py\n", "job output", out)
    check(any(x["jobId"] == jobid for x in client.job_info(system)), "job in the list")

    step("v2 cancel_job")
    job = client.submit(system, working_dir=home, script_str="#!/bin/bash\nsleep 300\n")
    jobid = job["jobId"]
    until("the job to run", lambda: (lambda i: i if i and i[0]["status"]["state"] == "RUNNING" else None)(info(jobid)))
    client.cancel_job(system, jobid)
    j = until("the job to be cancelled",
              lambda: (lambda i: i if i and i[0]["status"]["state"].startswith("CANCELLED") else None)(info(jobid)))
    check(j[0]["status"]["interruptSignal"] == 15, "interruptSignal", j)


def main():
    system, home = os.environ["FIRECREST_SYSTEM"], os.environ["FIRECREST_HOME"].rstrip("/")
    {"v1": v1, "v2": v2}[sys.argv[1]](system, home)
    print("WITNESS-OK", flush=True)


if __name__ == "__main__":
    main()
