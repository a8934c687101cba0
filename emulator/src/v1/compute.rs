//! v1 `/compute`: submission (`jobs/upload`, `jobs/path`), `squeue` (`GET jobs`), `scancel`
//! (`DELETE jobs/{id}`) and `sacct` (`GET acct`), each answered 201/200 with a task that the
//! v1 task machinery moves to 200 with the `data` shapes of the API doc (A14, A16.12) or to 400
//! with the scheduler's complaint. The jobs themselves run in the emulator's `Slurm`.
//!
//! With `--jobs off` the tasks end as on the recorded server without Slurm (transcripts
//! 76–80): 400 "sbatch: command not found", and for `jobs/path` the upstream bug that
//! overwrites it a little later with 200 and `jobid: null`.

use super::errors::bad_request;
use super::storage::task_created;
use super::tasks::Tasks;
use super::{check_machine, optional, required, Call, Service};
use crate::exchange::Resp;
use crate::multipart::{self, Flow};
use crate::slurm::{
    cluster, no_command, resolve_checked, Access, Batch, Job, JobState, NO_SBATCH, PARTITION,
};
use crate::util::iso_time;
use crate::{State, HOME, SYSTEM};
use serde_json::{json, Map, Value};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// What the recorded server stores as `data` while a compute task is queued (extra/32).
const TASKS_URL: &str = "http://127.0.0.1:5003";
/// Largest batch script accepted by `jobs/upload`.
const SCRIPT_LIMIT: u64 = 1024 * 1024;
/// How much of a job's output files `job_data_out`/`job_data_err` show.
const DATA_TAIL: u64 = 1000;
/// After this many task delays, `jobs/path` under `--jobs off` overwrites its 400 with 200.
const OVERWRITE_STEPS: u32 = 5;

pub(super) fn route(tasks: &Arc<Tasks>, call: &mut Call, path: &str) -> Option<Resp> {
    let rest = path.trim_start_matches("/compute").trim_matches('/');
    let method = call.req.method.clone();
    let r = match (method.as_str(), rest) {
        ("POST", "jobs/upload") => upload(tasks, call),
        ("POST", "jobs/path") => from_path(tasks, call),
        ("GET", "jobs") => query(tasks, call, "squeue", squeue),
        ("GET", "acct") => query(tasks, call, "sacct", sacct),
        ("GET", "nodes") => scontrol(tasks, call, "nodes", nodes),
        ("GET", "partitions") => scontrol(tasks, call, "partitions", partitions),
        ("GET", "reservations") => scontrol(tasks, call, "reservations", reservations),
        ("DELETE", id) if id.starts_with("jobs/") && !id[5..].contains('/') => {
            cancel(tasks, call, &id[5..])
        }
        _ => return None,
    };
    Some(r.unwrap_or_else(|e| e))
}

/// A compute task at 100, with the data the recorded server stores then.
fn new_task(tasks: &Tasks, call: &Call) -> String {
    let id = tasks.create(&call.user, "compute", SYSTEM);
    tasks.update(&id, "100", json!(TASKS_URL));
    id
}

/// Runs `work` one task delay later on its own thread; its Ok/Err become the task's 200/400.
fn finish(
    tasks: &Arc<Tasks>,
    state: &Arc<State>,
    id: &str,
    work: impl FnOnce(&Arc<State>) -> Result<Value, String> + Send + 'static,
) {
    let (tasks, state, id) = (tasks.clone(), state.clone(), id.to_string());
    std::thread::spawn(move || {
        if !state.task_step() {
            return;
        }
        match work(&state) {
            Ok(data) => tasks.update(&id, "200", data),
            Err(e) => tasks.update(&id, "400", json!(e)),
        };
    });
}

/// The `env` field: a JSON object as a string.
fn env_of(call: &Call) -> Result<Vec<(String, String)>, Resp> {
    let Some(text) = call.param("env") else {
        return Ok(Vec::new());
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m
            .into_iter()
            .map(|(k, v)| {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                (k, v)
            })
            .collect()),
        _ => Err(bad_request(
            "Failed to submit job",
            "'env' parameter format is not valid",
        )),
    }
}

/// Submits the script at `remote` (already on the system) from a task.
fn submit(
    tasks: &Arc<Tasks>,
    call: &Call,
    id: &str,
    remote: String,
    account: Option<String>,
    env: Vec<(String, String)>,
    overwrite_when_off: bool,
) {
    let t2 = tasks.clone();
    let id2 = id.to_string();
    finish(tasks, call.state, id, move |st| {
        if !st.slurm.enabled() {
            if overwrite_when_off {
                let (st, tasks, id) = (st.clone(), t2, id2);
                std::thread::spawn(move || {
                    for _ in 0..OVERWRITE_STEPS {
                        if !st.task_step() {
                            return;
                        }
                    }
                    tasks.update(
                        &id,
                        "200",
                        json!({"job_file_err": "Not available", "job_file_out": "Not available",
                               "job_info_extra": no_command("scontrol"), "jobid": null,
                               "result": "Job submitted"}),
                    );
                });
            }
            return Err(NO_SBATCH.to_string());
        }
        const WHAT: &str = "sbatch: error: Unable to open file";
        let (canonical, local) = resolve_checked(st, &remote, Access::Read, WHAT)?;
        let script =
            std::fs::read_to_string(local.obj()).map_err(|e| format!("{WHAT} {remote}: {e}"))?;
        // Run from a copy taken now, as sbatch does: the file may change or move.
        let script_file = st
            .slurm
            .spool(&script)
            .map_err(|e| format!("{WHAT} {remote}: {e}"))?;
        let dir = Path::new(&canonical)
            .parent()
            .map_or("/".to_string(), |p| p.to_string_lossy().into_owned());
        let batch = Batch {
            name: None,
            script,
            script_file,
            script_path: Some(canonical.clone()),
            working_dir: dir,
            account,
            partition: None,
            stdin: None,
            stdout: None,
            stderr: None,
            env,
        };
        let job = st.slurm.submit(st, batch)?;
        // Answer once the scheduler lists the job, so that squeue/sacct find it.
        while st.slurm.get(job).is_none() {
            if !st.pause(Duration::from_millis(5), &Default::default()) {
                return Err("sbatch: error: the emulator is stopping".into());
            }
        }
        let j = st.slurm.get(job).unwrap_or_else(|| Job::new("", "", ""));
        Ok(json!({
            "result": "Job submitted", "jobid": job.to_string(), "job_file": canonical,
            "job_file_out": j.stdout, "job_file_err": j.stderr,
            "job_data_out": "", "job_data_err": "", "job_info_extra": "Job info returned successfully",
        }))
    });
}

fn upload(tasks: &Arc<Tasks>, call: &mut Call) -> Result<Resp, Resp> {
    const WHAT: &str = "Failed to submit job";
    check_machine(call, Service::Storage, WHAT)?;
    let ct = call.req.content_type();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let parsed = if ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        multipart::for_each_field(call.req.body_stream(), &ct, SCRIPT_LIMIT, |part| {
            if part.name == "file" && part.file_name.is_some() {
                let name = part.file_name.clone().unwrap_or_default();
                let mut data = Vec::new();
                part.copy_to(&mut data)?;
                file = Some((name, data));
            } else {
                fields.push((part.name.clone(), part.text()?));
            }
            Ok(Flow::Continue)
        })
    } else {
        Ok(())
    };
    if let Err(e) = parsed {
        return Err(bad_request(WHAT, &e.to_string()));
    }
    call.params.extend(fields);
    let Some((name, data)) = file else {
        return Err(bad_request(
            "Failed to submit job file",
            "No batch file sent",
        ));
    };
    if data.is_empty() {
        return Err(bad_request(
            "Failed to submit job file",
            "Job file is empty",
        ));
    }
    let account = optional(call, "account", WHAT)?;
    let env = env_of(call)?;
    // The server sanitises the file name (secure_filename).
    let name: String = name
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = if name.trim_matches('.').is_empty() {
        "script.sh".to_string()
    } else {
        name
    };
    let id = new_task(tasks, call);
    let remote = format!("{HOME}/firecrest/{id}/{name}");
    // Through the sandbox: `firecrest/` in the home may be a symlink the user planted.
    let sb = &call.state.sandbox;
    let stored = sb
        .create_dir_all(&format!("{HOME}/firecrest/{id}"), &|r| sb.check_write(r))
        .and_then(|_| sb.resolve(&remote, true))
        .and_then(|(_, local)| {
            let mut f = crate::atomic::AtomicFile::create_in(&local)?;
            std::io::Write::write_all(&mut f, &data)?;
            f.commit()
        });
    if let Err(e) = stored {
        tasks.update(
            &id,
            "400",
            json!(format!("Unable to store the batch file: {e}")),
        );
        return Ok(task_created(&id));
    }
    submit(tasks, call, &id, remote, account, env, false);
    Ok(task_created(&id))
}

fn from_path(tasks: &Arc<Tasks>, call: &mut Call) -> Result<Resp, Resp> {
    const WHAT: &str = "Failed to submit job";
    check_machine(call, Service::Storage, WHAT)?;
    let target = required(call, "targetPath", WHAT)?;
    let account = optional(call, "account", WHAT)?;
    let env = env_of(call)?;
    let id = new_task(tasks, call);
    submit(tasks, call, &id, target, account, env, true);
    Ok(task_created(&id))
}

/// The job ids of `?jobs=1,2`; None: all.
fn wanted(call: &Call) -> Option<Vec<u64>> {
    call.param("jobs")
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
}

/// `GET /compute/jobs` and `/compute/acct`: a task whose data `render` makes from the jobs.
fn query(
    tasks: &Arc<Tasks>,
    call: &mut Call,
    cmd: &'static str,
    render: fn(&State, &[(u64, Job)]) -> Value,
) -> Result<Resp, Resp> {
    let what = if cmd == "squeue" {
        "Failed to retrieve jobs information"
    } else {
        "Failed to retrieve account information"
    };
    check_machine(call, Service::Storage, what)?;
    optional(call, "jobs", what)?;
    let ids = wanted(call);
    let id = new_task(tasks, call);
    finish(tasks, call.state, &id, move |st| {
        if !st.slurm.enabled() {
            return Err(no_command(cmd));
        }
        let jobs: Vec<(u64, Job)> = st
            .slurm
            .all()
            .into_iter()
            .filter(|(id, _)| ids.as_ref().is_none_or(|w| w.contains(id)))
            .collect();
        Ok(render(st, &jobs))
    });
    let mut r = task_created(&id);
    r.status = 200;
    Ok(r)
}

/// `scontrol show {what}` as a task: its records, filtered by the comma list in the query
/// parameter of the same name (`nodes`, `partitions`, `reservations`).
fn scontrol(
    tasks: &Arc<Tasks>,
    call: &mut Call,
    what: &'static str,
    records: fn() -> Vec<(&'static str, Value)>,
) -> Result<Resp, Resp> {
    check_machine(
        call,
        Service::Storage,
        &format!("Failed to retrieve {what} information"),
    )?;
    let wanted: Option<Vec<String>> = call
        .param(what)
        .map(|list| list.split(',').map(str::to_string).collect());
    let id = new_task(tasks, call);
    finish(tasks, call.state, &id, move |st| {
        if !st.slurm.enabled() {
            return Err(no_command("scontrol"));
        }
        let chosen: Vec<Value> = records()
            .into_iter()
            .filter(|(name, _)| wanted.as_ref().is_none_or(|w| w.iter().any(|n| n == name)))
            .map(|(_, record)| record)
            .collect();
        Ok(Value::Array(chosen))
    });
    let mut r = task_created(&id);
    r.status = 200;
    Ok(r)
}

/// `scontrol show nodes` as FirecREST v1 parses it (the keys pyfirecrest's NodeInfo lists).
fn nodes() -> Vec<(&'static str, Value)> {
    vec![(
        cluster::NODE,
        json!({"NodeName": cluster::NODE, "ActiveFeatures": [cluster::NO_FEATURES],
               "Partitions": [PARTITION], "State": [cluster::NODE_STATE]}),
    )]
}

fn partitions() -> Vec<(&'static str, Value)> {
    vec![(
        PARTITION,
        json!({"PartitionName": PARTITION, "State": cluster::PARTITION_STATE, "Default": "YES",
               "TotalCPUs": cluster::CPUS.to_string(), "TotalNodes": "1"}),
    )]
}

fn reservations() -> Vec<(&'static str, Value)> {
    vec![(
        cluster::RESERVATION,
        json!({"ReservationName": cluster::RESERVATION, "State": cluster::RESERVATION_STATE,
               "Nodes": cluster::NODE, "StartTime": cluster::RESERVATION_START,
               "EndTime": cluster::RESERVATION_END, "Features": cluster::NO_FEATURES}),
    )]
}

fn cancel(tasks: &Arc<Tasks>, call: &mut Call, job: &str) -> Result<Resp, Resp> {
    check_machine(call, Service::Storage, "Failed to delete job")?;
    let job = job.to_string();
    let id = new_task(tasks, call);
    finish(tasks, call.state, &id, move |st| {
        if !st.slurm.enabled() {
            return Err(no_command("scancel"));
        }
        st.slurm.scancel(&job).map(|()| json!(""))
    });
    let mut r = task_created(&id);
    r.status = 200;
    Ok(r)
}

/// Slurm's `[D-]H:MM:SS` / `M:SS` (squeue `%M`, `%L`).
fn short_duration(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h) {
        (0, 0) => format!("{m}:{s:02}"),
        (0, h) => format!("{h}:{m:02}:{s:02}"),
        (d, h) => format!("{d}-{h:02}:{m:02}:{s:02}"),
    }
}

/// sacct's `[D-]HH:MM:SS`.
fn long_duration(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// The last `DATA_TAIL` bytes of a job's output file.
fn tail(st: &State, remote: Option<&str>) -> String {
    let Some(remote) = remote else {
        return String::new();
    };
    let Ok((_, local)) = st.sandbox.resolve(remote, true) else {
        return String::new();
    };
    let mut buf = Vec::new();
    if let Ok(mut f) = std::fs::File::open(local.obj()) {
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(DATA_TAIL)));
        let _ = f.read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// `squeue` of the active jobs: an object keyed "0", "1", … (`{}` when none). As on the real
/// server, `start_time` holds the elapsed time and `time` the start time (A16.12).
fn squeue(st: &State, jobs: &[(u64, Job)]) -> Value {
    let mut out = Map::new();
    for (id, j) in jobs.iter().filter(|(_, j)| j.state.active()) {
        let elapsed = j.elapsed();
        let left = (j.limit as i64).saturating_sub(elapsed);
        let running = j.state == JobState::Running;
        out.insert(
            out.len().to_string(),
            json!({
                "jobid": id.to_string(), "partition": j.partition, "name": j.name, "user": crate::USER,
                "state": j.state.word(), "start_time": short_duration(elapsed),
                "time": j.start.map_or("N/A".to_string(), iso_time),
                "time_left": short_duration(left), "nodes": "1",
                "nodelist": if running { "localhost" } else { "" },
                "job_file": j.script_path, "job_file_out": j.stdout, "job_file_err": j.stderr,
                "job_data_out": tail(st, j.stdout.as_deref()),
                "job_data_err": tail(st, j.stderr.as_deref()),
                "job_info_extra": "Job info returned successfully",
            }),
        );
    }
    Value::Object(out)
}

/// `sacct`: an array (`{}` when there is no job).
fn sacct(_: &State, jobs: &[(u64, Job)]) -> Value {
    if jobs.is_empty() {
        return json!({});
    }
    let rows: Vec<Value> = jobs
        .iter()
        .map(|(id, j)| {
            let elapsed = long_duration(j.elapsed());
            json!({
                "jobid": id.to_string(), "partition": j.partition, "name": j.name, "user": crate::USER,
                "state": j.state_text(), "start_time": j.start.map_or("Unknown".to_string(), iso_time),
                "time": elapsed, "cpu_time": elapsed, "elapsed_time": elapsed,
                "termination_time": j.end.map_or("Unknown".to_string(), iso_time),
                "time_left": long_duration(j.limit as i64), "nodes": "1",
                "nodelist": if j.start.is_some() { "localhost" } else { "None assigned" },
                "exit_code": format!("{}:{}", j.exit_code, j.signal),
            })
        })
        .collect();
    Value::Array(rows)
}
