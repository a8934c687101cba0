//! Compute jobs run for real, over loopback, on both API versions: submission from text and
//! from a remote path, output read back through the API, a failing job, cancel (the process
//! group is gone), a time limit, unknown ids and systems, `--jobs off`, a fault on a compute
//! route, and no orphan process after the emulator stops.

mod support;

use firecrest_emulator::{ApiVersion, Config, Emulator, Fault, FaultAction};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::v2::V2;
use support::{agent, call, encode, form, group_members, multipart, send, token, Answer};

const DIR: &str = "/home/testuser";

/// Waits until the process group is empty; panics after 10 s.
fn wait_group_gone(pgid: u32) {
    let start = Instant::now();
    while !group_members(pgid).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "process group {pgid} still alive: {:?}",
            group_members(pgid)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a file the job writes (its shell's pid) and reads it.
fn wait_pid_file(emu: &Emulator, remote: &str) -> u32 {
    support::wait_pid_file(&emu.local_path(remote))
}

// ---------------------------------------------------------------------------------------
// v2

fn submit_v2(v2: &V2, job: Value) -> String {
    let r = v2.send_json("POST", "/compute/cluster/jobs", &json!({ "job": job }));
    assert_eq!(r.status, 201, "submit: {}", r.text());
    r.json()["jobId"].as_str().unwrap().to_string()
}

fn finished(s: &str) -> bool {
    ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"]
        .iter()
        .any(|w| s.starts_with(w))
}

/// A running job that sleeps (one sleep in the background, one in the foreground); returns
/// its id and the pid of its shell, which leads its process group.
fn sleeper(v2: &V2) -> (String, u32) {
    let id = submit_v2(
        v2,
        json!({"workingDirectory": DIR,
               "script": "#!/bin/bash\necho $$ > sleeper-$SLURM_JOB_ID.pid\nsleep 300 &\nsleep 301\n"}),
    );
    v2.wait_job(&id, |s| s == "RUNNING");
    let pid = wait_pid_file(&v2.emu, &format!("{DIR}/sleeper-{id}.pid"));
    assert!(!group_members(pid).is_empty());
    (id, pid)
}

#[test]
fn v2_script_job_runs_and_its_output_is_read_through_the_api() {
    let v2 = V2::start(Config::default());
    let started = Instant::now();
    let id = submit_v2(
        &v2,
        json!({"name": "writer", "workingDirectory": DIR,
               "script": "#!/bin/bash\necho \"job $SLURM_JOB_ID $SLURM_JOB_NAME $MYVAR $SLURM_SUBMIT_DIR\"\necho data > written.txt\necho oops >&2\n",
               "env": {"MYVAR": "42"}}),
    );
    let job = v2.wait_job(&id, finished);
    eprintln!(
        "v2: submit to {} in {:?} (job_queue_delay 100 ms)",
        job["status"]["state"],
        started.elapsed()
    );
    assert_eq!(job["status"]["state"], "COMPLETED", "{job}");
    assert_eq!(job["status"]["exitCode"], 0);
    assert_eq!(job["name"], "writer");
    assert_eq!(job["workingDirectory"], DIR);
    assert_eq!(job["time"]["limit"], 86400);
    assert_eq!(v2.view(&format!("{DIR}/written.txt")), "data\n");
    // stdout and stderr both go to slurm-%j.out by default.
    let out = v2.view(&format!("{DIR}/slurm-{id}.out"));
    assert!(
        out.contains(&format!("job {id} writer 42 {DIR}")) && out.contains("oops"),
        "{out}"
    );
    let meta = v2.get(&format!("/compute/cluster/jobs/{id}/metadata"));
    assert_eq!(meta.status, 200);
    let m = &meta.json()["jobs"][0];
    assert_eq!(m["standardOutput"], format!("{DIR}/slurm-{id}.out"));
    assert!(m["script"].as_str().unwrap().contains("written.txt"));
    let list = v2.get("/compute/cluster/jobs?allusers=true&time_window=1h&name=writer");
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["jobs"][0]["jobId"], id.as_str());
}

#[test]
fn v2_script_path_sbatch_options_and_a_failing_job() {
    let v2 = V2::start(Config::default());
    std::fs::create_dir_all(v2.emu.local_path(&format!("{DIR}/jobs"))).unwrap();
    std::fs::write(
        v2.emu.local_path(&format!("{DIR}/jobs/fail.sh")),
        "#!/bin/bash\n#SBATCH -J named\n#SBATCH --output=out-%j-%x.txt\n#SBATCH -e err-%j.txt\n#SBATCH --time=00:05:00\necho to-out\necho to-err >&2\nexit 3\n",
    )
    .unwrap();
    let id = submit_v2(
        &v2,
        json!({"workingDirectory": format!("{DIR}/jobs"), "scriptPath": format!("{DIR}/jobs/fail.sh"),
               "env": ["A=1"]}),
    );
    let job = v2.wait_job(&id, finished);
    assert_eq!(job["status"]["state"], "FAILED", "{job}");
    assert_eq!(job["status"]["stateReason"], "NonZeroExitCode");
    assert_eq!(job["status"]["exitCode"], 3);
    assert_eq!(job["tasks"][0]["status"]["exitCode"], 3);
    assert_eq!(job["name"], "named");
    assert_eq!(job["time"]["limit"], 300);
    assert_eq!(
        v2.view(&format!("{DIR}/jobs/out-{id}-named.txt")),
        "to-out\n"
    );
    assert_eq!(v2.view(&format!("{DIR}/jobs/err-{id}.txt")), "to-err\n");
    // A fixed output name is truncated by the next job, as Slurm's default open mode does.
    let fixed = |text: &str| {
        let id = submit_v2(
            &v2,
            json!({"workingDirectory": DIR, "script": format!("echo {text}\n"), "standardOutput": "fixed.out"}),
        );
        v2.wait_job(&id, finished);
    };
    fixed("first");
    fixed("second");
    assert_eq!(v2.view(&format!("{DIR}/fixed.out")), "second\n");
}

#[test]
fn v2_cancel_kills_the_process_group() {
    let v2 = V2::start(Config::default());
    let (id, pid) = sleeper(&v2);
    assert_eq!(
        v2.delete(&format!("/compute/cluster/jobs/{id}")).status,
        204
    );
    let job = v2.wait_job(&id, finished);
    let state = job["status"]["state"].as_str().unwrap();
    assert!(state.starts_with("CANCELLED by "), "{state}");
    assert_eq!(job["status"]["interruptSignal"], 15);
    wait_group_gone(pid);
    // scancel of an ended job complains, and the server passes that on (as for unknown ids).
    let again = v2.delete(&format!("/compute/cluster/jobs/{id}"));
    assert_eq!(again.status, 500);
    assert!(
        again.text().contains("already completing or completed"),
        "{}",
        again.text()
    );
}

#[test]
fn v2_time_limit_ends_in_timeout() {
    let v2 = V2::start(Config::default());
    let id = submit_v2(
        &v2,
        json!({"workingDirectory": DIR, "script": "#!/bin/bash\n#SBATCH --time=0:01\necho $$ > timeout.pid\nsleep 30\n"}),
    );
    let job = v2.wait_job(&id, finished);
    assert_eq!(job["status"]["state"], "TIMEOUT", "{job}");
    assert_eq!(job["time"]["limit"], 1);
    wait_group_gone(wait_pid_file(&v2.emu, &format!("{DIR}/timeout.pid")));
}

#[test]
fn v2_unknown_ids_systems_early_404_and_refused_paths() {
    let v2 = V2::start(Config {
        job_queue_delay: Duration::from_secs(2),
        ..Config::default()
    });
    let r = v2.get("/compute/cluster/jobs/999999");
    assert_eq!(
        (r.status, r.json()["message"].clone()),
        (404, json!("Job not found."))
    );
    let r = v2.get("/compute/cluster/jobs/12_3");
    assert_eq!(
        (r.status, r.json()["errorType"].clone()),
        (400, json!("validation"))
    );
    let r = v2.send_json(
        "POST",
        "/compute/nosuch/jobs",
        &json!({"job": {"workingDirectory": DIR, "script": "true"}}),
    );
    assert_eq!(
        (r.status, r.json()["message"].clone()),
        (404, json!("System not found"))
    );
    let r = v2.send_json(
        "POST",
        "/compute/cluster/jobs",
        &json!({"job": {"script": "true"}}),
    );
    assert_eq!(r.status, 400);
    // A new job is not listed for the first half of the queue delay (a real scheduler's lag).
    let id = submit_v2(&v2, json!({"workingDirectory": DIR, "script": "true\n"}));
    let r = v2.get(&format!("/compute/cluster/jobs/{id}"));
    assert_eq!(
        (r.status, r.json()["message"].clone()),
        (404, json!("Job not found."))
    );
    assert_eq!(v2.get("/compute/cluster/jobs").json()["jobs"], json!([]));
    let job = v2.wait_job(&id, |s| s == "PENDING");
    assert_eq!(job["nodes"], "None assigned");
    // Output paths resolve through the sandbox and must be writable.
    let r = v2.send_json(
        "POST",
        "/compute/cluster/jobs",
        &json!({"job": {"workingDirectory": DIR, "script": "true\n", "standardOutput": "/root/out"}}),
    );
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.text().contains("Permission denied"), "{}", r.text());
    let r = v2.send_json(
        "POST",
        "/compute/cluster/jobs",
        &json!({"job": {"workingDirectory": "/home/testuser/../../../nowhere", "script": "true\n"}}),
    );
    assert_eq!(r.status, 500, "{}", r.text());
}

#[test]
fn v2_jobs_off_and_a_fault_on_a_compute_route() {
    let v2 = V2::start(Config {
        jobs_enabled: false,
        ..Config::default()
    });
    let job = json!({"job": {"workingDirectory": DIR, "script": "true\n"}});
    let r = v2.send_json("POST", "/compute/cluster/jobs", &job);
    assert_eq!(r.status, 500);
    assert!(
        r.text().contains("sbatch: command not found"),
        "{}",
        r.text()
    );
    let v2 = V2::start(Config::default());
    v2.emu.add_fault(Fault {
        method: Some("POST".into()),
        path_prefix: "/compute/cluster/jobs".into(),
        action: FaultAction::Status {
            status: 503,
            retry_after: None,
        },
        times: 1,
    });
    assert_eq!(
        v2.send_json("POST", "/compute/cluster/jobs", &job).status,
        503
    );
    assert_eq!(
        v2.send_json("POST", "/compute/cluster/jobs", &job).status,
        201
    );
}

#[test]
fn stopping_the_emulator_leaves_no_orphan() {
    let v2 = V2::start(Config::default());
    let (_, pid) = sleeper(&v2);
    drop(v2);
    // Stopping kills and reaps the job's process group before it returns.
    assert!(
        group_members(pid).is_empty(),
        "still alive after stop: {:?}",
        group_members(pid)
    );
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

// ---------------------------------------------------------------------------------------
// v1

struct V1 {
    emu: Emulator,
    agent: ureq::Agent,
    auth: String,
}

impl V1 {
    fn start(config: Config) -> V1 {
        let emu = Emulator::start(Config {
            api: ApiVersion::V1,
            ..config
        })
        .unwrap();
        let auth = format!("Bearer {}", token(&emu));
        V1 {
            emu,
            agent: agent(),
            auth,
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<(&str, Vec<u8>)>) -> Answer {
        self.send_to("cluster", method, path, body)
    }

    fn send_to(
        &self,
        machine: &str,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let url = format!("{}{path}", self.emu.url());
        let h = [
            ("Authorization", self.auth.as_str()),
            ("X-Machine-Name", machine),
        ];
        send(&self.agent, method, &url, &h, body).unwrap()
    }

    fn task(&self, id: &str) -> Value {
        let a = call(
            &self.agent,
            "GET",
            &format!("{}/tasks/{id}", self.emu.url()),
            &[("Authorization", &self.auth)],
            None,
        );
        assert_eq!(a.status, 200, "{}", a.text());
        a.json()["task"].clone()
    }

    /// Waits for the task of a 200/201 answer to reach 200 or 400.
    fn finish(&self, a: &Answer) -> Value {
        assert!(matches!(a.status, 200 | 201), "{} {}", a.status, a.text());
        let id = a.json()["task_id"].as_str().unwrap().to_string();
        let start = Instant::now();
        loop {
            let t = self.task(&id);
            if t["status"] == "200" || t["status"] == "400" {
                return t;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "task stuck: {t}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn upload(&self, name: &str, script: &str, env: Option<&str>) -> Answer {
        let mut parts: Vec<(&str, Option<&str>, &[u8])> =
            vec![("file", Some(name), script.as_bytes())];
        if let Some(e) = env {
            parts.push(("env", None, e.as_bytes()));
        }
        let (ct, body) = multipart(&parts);
        self.send("POST", "/compute/jobs/upload", Some((&ct, body)))
    }

    fn acct(&self, job: &str) -> Value {
        let t = self.finish(&self.send("GET", &format!("/compute/acct?jobs={job}"), None));
        assert_eq!(t["status"], "200", "{t}");
        t["data"][0].clone()
    }

    /// Polls sacct until the job has ended.
    fn wait_done(&self, job: &str) -> Value {
        let start = Instant::now();
        loop {
            let row = self.acct(job);
            if finished(row["state"].as_str().unwrap_or("")) {
                return row;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "job stuck: {row}"
            );
        }
    }
}

#[test]
fn v1_upload_job_writes_a_file_downloaded_through_the_api() {
    let v1 = V1::start(Config::default());
    let started = Instant::now();
    let a = v1.upload(
        "my job.sh",
        "#!/bin/bash\necho \"v1 $SLURM_JOB_ID $GREETING\" > result.txt\n",
        Some(r#"{"GREETING": "hi"}"#),
    );
    assert_eq!(a.status, 201);
    let t = v1.finish(&a);
    assert_eq!(t["status"], "200", "{t}");
    let d = &t["data"];
    assert_eq!(d["result"], "Job submitted");
    let job = d["jobid"].as_str().unwrap().to_string();
    let task_id = t["task_id"].as_str().unwrap();
    // The uploaded script is kept under <home>/firecrest/<task_id>/ and runs there.
    let dir = format!("{DIR}/firecrest/{task_id}");
    assert_eq!(d["job_file"], format!("{dir}/my_job.sh"));
    assert_eq!(d["job_file_out"], format!("{dir}/slurm-{job}.out"));
    let row = v1.wait_done(&job);
    eprintln!("v1: submit to {} in {:?}", row["state"], started.elapsed());
    assert_eq!(row["state"], "COMPLETED", "{row}");
    assert_eq!(row["exit_code"], "0:0");
    let a = v1.send(
        "GET",
        &format!(
            "/utilities/download?sourcePath={}",
            encode(&format!("{dir}/result.txt"))
        ),
        None,
    );
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), format!("v1 {job} hi\n"));
}

#[test]
fn v1_path_job_failing_squeue_cancel_and_timeout() {
    let v1 = V1::start(Config::default());
    let write = |name: &str, text: &str| {
        std::fs::write(v1.emu.local_path(&format!("{DIR}/{name}")), text).unwrap()
    };
    write("fail.sh", "#!/bin/bash\nexit 2\n");
    write("long.sh", "#!/bin/bash\necho $$ > long.pid\nsleep 300\n");
    write("limit.sh", "#!/bin/bash\n#SBATCH -t 0:01\nsleep 30\n");
    let submit = |name: &str| {
        let path = format!("{DIR}/{name}");
        let t = v1.finish(&v1.send(
            "POST",
            "/compute/jobs/path",
            Some(form(&[("targetPath", path.as_str())])),
        ));
        assert_eq!(t["status"], "200", "{t}");
        t["data"]["jobid"].as_str().unwrap().to_string()
    };
    let failing = submit("fail.sh");
    let row = v1.wait_done(&failing);
    assert_eq!(
        (row["state"].clone(), row["exit_code"].clone()),
        (json!("FAILED"), json!("2:0"))
    );

    let long = submit("long.sh");
    let pid = wait_pid_file(&v1.emu, &format!("{DIR}/long.pid"));
    let t = v1.finish(&v1.send("GET", &format!("/compute/jobs?jobs={long}"), None));
    assert_eq!(t["data"]["0"]["jobid"], long.as_str(), "{t}");
    assert_eq!(t["data"]["0"]["state"], "RUNNING");
    let t = v1.finish(&v1.send("DELETE", &format!("/compute/jobs/{long}"), Some(form(&[]))));
    assert_eq!(t["status"], "200", "{t}");
    assert!(t["data"].is_string());
    let row = v1.wait_done(&long);
    assert!(
        row["state"].as_str().unwrap().starts_with("CANCELLED by "),
        "{row}"
    );
    wait_group_gone(pid);
    // Finished jobs leave squeue.
    let t = v1.finish(&v1.send("GET", &format!("/compute/jobs?jobs={long}"), None));
    assert_eq!(t["data"], json!({}));

    let limited = submit("limit.sh");
    assert_eq!(v1.wait_done(&limited)["state"], "TIMEOUT");
}

#[test]
fn v1_unknown_job_machine_and_jobs_off() {
    let v1 = V1::start(Config::default());
    let t = v1.finish(&v1.send("DELETE", "/compute/jobs/999", Some(form(&[]))));
    assert_eq!(t["status"], "400");
    assert!(
        t["data"].as_str().unwrap().contains("Invalid job id"),
        "{t}"
    );
    let t = v1.finish(&v1.send("GET", "/compute/acct?jobs=999", None));
    assert_eq!(t["data"], json!({}));
    let a = v1.send_to(
        "nope",
        "POST",
        "/compute/jobs/path",
        Some(form(&[("targetPath", "/home/testuser/x.sh")])),
    );
    assert_eq!(a.status, 400);
    assert_eq!(
        a.header("X-Machine-Does-Not-Exists"),
        Some("Machine does not exists")
    );
    // A missing script: the task ends 400 with sbatch's complaint.
    let t = v1.finish(&v1.send(
        "POST",
        "/compute/jobs/path",
        Some(form(&[("targetPath", "/home/testuser/missing.sh")])),
    ));
    assert_eq!(t["status"], "400", "{t}");

    // --jobs off: as the recorded server without Slurm; while queued, the task's data is
    // the tasks-service URL (extra/32).
    let off = V1::start(Config {
        jobs_enabled: false,
        task_delay: Duration::from_millis(300),
        ..Config::default()
    });
    let a = off.upload("j.sh", "true\n", None);
    let id = a.json()["task_id"].as_str().unwrap().to_string();
    let queued = off.task(&id);
    assert_eq!(
        (queued["status"].clone(), queued["data"].clone()),
        (json!("100"), json!("http://127.0.0.1:5003"))
    );
    let t = off.finish(&a);
    assert_eq!(
        (t["status"].clone(), t["data"].clone()),
        (
            json!("400"),
            json!("bash: line 1: sbatch: command not found")
        )
    );
}
