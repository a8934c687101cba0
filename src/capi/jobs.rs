//! Batch jobs from C: submit (a script's text, a local file, a script on the system), attach by
//! id, follow the state, wait, cancel, list; scheduler options through `firecrest_job_options`.

use super::boundary::{
    arg_mut, arg_path, arg_ref, arg_str, boundary, boundary_or, firecrest_status, opt_str, CError,
    CResult as Result, Out,
};
use super::client::{firecrest_client, json_call, with_client};
use super::strings::{c_json, c_string};
use crate::jobs::Job;
use crate::types::{JobFilter, JobScript, JobSpec, JobState, TimeWindow};
use std::ffi::c_char;
use std::time::Duration;

/// Waiting in the queue.
pub const FIRECREST_JOB_PENDING: i32 = 1;
/// Running (or finishing).
pub const FIRECREST_JOB_RUNNING: i32 = 2;
/// Finished with exit code 0.
pub const FIRECREST_JOB_COMPLETED: i32 = 3;
/// Finished with a non-zero exit code (see firecrest_job_exit_code()).
pub const FIRECREST_JOB_FAILED: i32 = 4;
/// Cancelled.
pub const FIRECREST_JOB_CANCELLED: i32 = 5;
/// Reached its time limit.
pub const FIRECREST_JOB_TIMEOUT: i32 = 6;
/// Killed for using too much memory.
pub const FIRECREST_JOB_OUT_OF_MEMORY: i32 = 7;
/// A node failed.
pub const FIRECREST_JOB_NODE_FAIL: i32 = 8;
/// Preempted.
pub const FIRECREST_JOB_PREEMPTED: i32 = 9;
/// Failed to boot.
pub const FIRECREST_JOB_BOOT_FAIL: i32 = 10;
/// Reached its deadline.
pub const FIRECREST_JOB_DEADLINE: i32 = 11;
/// Finished, in a state without a name here (the scheduler's word is in the info JSON).
pub const FIRECREST_JOB_OTHER_FINAL: i32 = 98;
/// A state without a name here, not final (the scheduler's word is in the info JSON).
pub const FIRECREST_JOB_OTHER: i32 = 99;

// cbindgen needs literals above; these keep them equal to the Rust API's states.
const _: () = {
    assert!(FIRECREST_JOB_PENDING == JobState::Pending.code());
    assert!(FIRECREST_JOB_RUNNING == JobState::Running.code());
    assert!(FIRECREST_JOB_COMPLETED == JobState::Completed.code());
    assert!(FIRECREST_JOB_FAILED == JobState::Failed.code());
    assert!(FIRECREST_JOB_CANCELLED == JobState::Cancelled.code());
    assert!(FIRECREST_JOB_TIMEOUT == JobState::Timeout.code());
    assert!(FIRECREST_JOB_OUT_OF_MEMORY == JobState::OutOfMemory.code());
    assert!(FIRECREST_JOB_NODE_FAIL == JobState::NodeFail.code());
    assert!(FIRECREST_JOB_PREEMPTED == JobState::Preempted.code());
    assert!(FIRECREST_JOB_BOOT_FAIL == JobState::BootFail.code());
    assert!(FIRECREST_JOB_DEADLINE == JobState::Deadline.code());
    assert!(FIRECREST_JOB_OTHER_FINAL == JobState::OtherFinal.code());
    assert!(FIRECREST_JOB_OTHER == JobState::Other.code());
};

/// A batch job on a system. Not synchronised: use it from one thread at a time (any thread).
/// It does not need its client to stay alive. Free it with firecrest_job_free().
pub struct firecrest_job {
    job: Job,
}

/// Scheduler options of a submission (job name, account, partition, reservation, environment,
/// output files). Not synchronised. Free it with firecrest_job_options_free().
pub struct firecrest_job_options {
    name: Option<String>,
    account: Option<String>,
    partition: Option<String>,
    reservation: Option<String>,
    env: Vec<(String, String)>,
    stdout: Option<String>,
    stderr: Option<String>,
}

fn new_job(job: Job, out: Out<*mut firecrest_job>) {
    // SAFETY: checked by Out::new.
    unsafe { out.write(Box::into_raw(Box::new(firecrest_job { job }))) }
}

unsafe fn with_job(
    function: &str,
    j: *mut firecrest_job,
    f: impl FnOnce(&mut Job) -> Result<()>,
) -> firecrest_status {
    boundary(function, || f(&mut arg_mut(j, "j")?.job))
}

/// The spec of a submission: the script, the working directory and the options (nullable).
unsafe fn spec(
    script: JobScript,
    working_dir: *const c_char,
    opts: *const firecrest_job_options,
) -> Result<JobSpec> {
    let mut spec = JobSpec::new(script, arg_str(working_dir, "working_dir")?);
    if let Some(o) = opts.as_ref() {
        spec.name = o.name.clone();
        spec.account = o.account.clone();
        spec.partition = o.partition.clone();
        spec.reservation = o.reservation.clone();
        spec.env = o.env.clone();
        spec.stdout = o.stdout.clone();
        spec.stderr = o.stderr.clone();
    }
    Ok(spec)
}

unsafe fn submit(
    function: &str,
    c: *const firecrest_client,
    system: *const c_char,
    script: impl FnOnce() -> Result<JobScript>,
    working_dir: *const c_char,
    opts: *const firecrest_job_options,
    job_out: *mut *mut firecrest_job,
) -> firecrest_status {
    with_client(function, c, |client| {
        let system = arg_str(system, "system")?;
        let spec = spec(script()?, working_dir, opts)?;
        let out = Out::new(job_out, "job_out")?;
        new_job(client.submit_job(system, &spec)?, out);
        Ok(())
    })
}

/// Submits the batch script `script` (its text: "#!/bin/bash\n#SBATCH ...\n...") on `system`;
/// it runs in the remote directory `working_dir`, where relative paths in the script and the
/// default output files land (on FirecREST v1 and v2 alike).
///
/// On success `*job_out` receives the job, freed with firecrest_job_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (an empty script), FIRECREST_STATUS_API_ERROR (the scheduler refused it), transport and HTTP
/// statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_submit(
    c: *const firecrest_client,
    system: *const c_char,
    script: *const c_char,
    working_dir: *const c_char,
    job_out: *mut *mut firecrest_job,
) -> firecrest_status {
    let script = || Ok(JobScript::Text(arg_str(script, "script")?.to_string()));
    submit(
        "firecrest_job_submit",
        c,
        system,
        script,
        working_dir,
        std::ptr::null(),
        job_out,
    )
}

/// Submits the batch script already on the system at `remote_script` (an absolute path); it
/// runs in `working_dir`, as for firecrest_job_submit().
///
/// Returns as firecrest_job_submit().
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_submit_path(
    c: *const firecrest_client,
    system: *const c_char,
    remote_script: *const c_char,
    working_dir: *const c_char,
    job_out: *mut *mut firecrest_job,
) -> firecrest_status {
    let script = || {
        Ok(JobScript::Remote(
            arg_str(remote_script, "remote_script")?.to_string(),
        ))
    };
    submit(
        "firecrest_job_submit_path",
        c,
        system,
        script,
        working_dir,
        std::ptr::null(),
        job_out,
    )
}

/// The general submission: the script is given by exactly one of `script` (its text),
/// `local_script` (a file on this machine, read and sent) and `remote_script` (a path on the
/// system); the other two are NULL. `opts` (nullable) carries the scheduler options.
///
/// Returns as firecrest_job_submit(), and FIRECREST_STATUS_INVALID_ARGUMENT when not exactly one
/// script is given, FIRECREST_STATUS_IO when the local script cannot be read.
// The C signature takes every way of giving a script side by side.
#[allow(clippy::too_many_arguments)]
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_submit_with(
    c: *const firecrest_client,
    system: *const c_char,
    script: *const c_char,
    local_script: *const c_char,
    remote_script: *const c_char,
    working_dir: *const c_char,
    opts: *const firecrest_job_options,
    job_out: *mut *mut firecrest_job,
) -> firecrest_status {
    let script = || {
        let given = [script, local_script, remote_script]
            .iter()
            .filter(|p| !p.is_null())
            .count();
        if given != 1 {
            return Err(CError::invalid_argument(
                "give exactly one of `script`, `local_script` and `remote_script`",
            ));
        }
        Ok(if let Some(text) = opt_str(script, "script")? {
            JobScript::Text(text.to_string())
        } else if !local_script.is_null() {
            JobScript::LocalFile(arg_path(local_script, "local_script")?.to_path_buf())
        } else {
            JobScript::Remote(arg_str(remote_script, "remote_script")?.to_string())
        })
    };
    submit(
        "firecrest_job_submit_with",
        c,
        system,
        script,
        working_dir,
        opts,
        job_out,
    )
}

/// A handle for the existing job `job_id` on `system` (no request; an unknown id shows at the
/// first state or wait: FIRECREST_STATUS_NOT_FOUND).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (a job id with characters other than letters, digits, '_', '.', '-').
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_open(
    c: *const firecrest_client,
    system: *const c_char,
    job_id: *const c_char,
    job_out: *mut *mut firecrest_job,
) -> firecrest_status {
    with_client("firecrest_job_open", c, |client| {
        let system = arg_str(system, "system")?;
        let job_id = arg_str(job_id, "job_id")?;
        let out = Out::new(job_out, "job_out")?;
        new_job(client.job(system, job_id)?, out);
        Ok(())
    })
}

/// The job's id, as the scheduler names it. `*id_out` is freed with firecrest_string_free().
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_id(
    j: *const firecrest_job,
    id_out: *mut *mut c_char,
) -> firecrest_status {
    boundary("firecrest_job_id", || {
        let job = &arg_ref(j, "j")?.job;
        let out = Out::new(id_out, "id_out")?;
        out.write(c_string(job.id().to_string(), "id_out")?);
        Ok(())
    })
}

/// Asks the scheduler once: `*state_out` receives a FIRECREST_JOB_* state. Shortly after
/// submission a job the scheduler does not list yet is FIRECREST_JOB_PENDING.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_NOT_FOUND (the
/// scheduler does not know the job), transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_state(
    j: *mut firecrest_job,
    state_out: *mut i32,
) -> firecrest_status {
    with_job("firecrest_job_state", j, |job| {
        let out = Out::new(state_out, "state_out")?;
        out.write(job.state()?.code());
        Ok(())
    })
}

/// Polls with backoff (the options' poll interval) until the job is final; `*state_out`
/// receives its final FIRECREST_JOB_* state (a failed job is a state, not an error).
/// `timeout_ms` 0: no limit. After the timeout: FIRECREST_STATUS_TIMEOUT, and the job keeps
/// running (cancel it with firecrest_job_cancel() if it should not).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_TIMEOUT,
/// FIRECREST_STATUS_NOT_FOUND, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_wait(
    j: *mut firecrest_job,
    timeout_ms: u64,
    state_out: *mut i32,
) -> firecrest_status {
    with_job("firecrest_job_wait", j, |job| {
        let out = Out::new(state_out, "state_out")?;
        let timeout = match timeout_ms {
            // "No limit" as a span no job outlives, so deadline arithmetic cannot overflow.
            0 => Duration::from_secs(100 * 365 * 24 * 3600),
            ms => Duration::from_millis(ms),
        };
        out.write(job.wait(timeout)?.code());
        Ok(())
    })
}

/// The job's exit code, once it is final (after firecrest_job_wait() or a final
/// firecrest_job_state()).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_STATE
/// (the job is not known to be final, or the scheduler gave no exit code).
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_exit_code(
    j: *mut firecrest_job,
    exit_code_out: *mut i32,
) -> firecrest_status {
    with_job("firecrest_job_exit_code", j, |job| {
        let out = Out::new(exit_code_out, "exit_code_out")?;
        let code = job.exit_code().ok_or_else(|| {
            CError::new(
                firecrest_status::InvalidState,
                format!(
                    "job {}: no exit code yet (wait for a final state first)",
                    job.id()
                ),
            )
        })?;
        out.write(code);
        Ok(())
    })
}

/// The job as the scheduler reports it now (one request, none once final), as JSON:
/// `{"job_id": string, "name": string, "state": string (the scheduler's word),
/// "state_code": FIRECREST_JOB_*, "user", "account", "partition", "nodes",
/// "working_directory": string | null, "exit_code": int | null (once final),
/// "start_time", "end_time": string | null, "stdout", "stderr", "script": string | null}`.
/// `*json_out` is freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_NOT_FOUND,
/// transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_info(
    j: *mut firecrest_job,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    with_job("firecrest_job_info", j, |job| {
        let out = Out::new(json_out, "json_out")?;
        let json = c_json(&job.info()?)?;
        out.write(json);
        Ok(())
    })
}

/// Asks the scheduler to cancel the job (its state becomes FIRECREST_JOB_CANCELLED).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_NOT_FOUND,
/// FIRECREST_STATUS_API_ERROR, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_cancel(j: *mut firecrest_job) -> firecrest_status {
    with_job("firecrest_job_cancel", j, |job| Ok(job.cancel()?))
}

/// Frees a job handle (the job itself goes on). NULL is a no-op; freeing twice is undefined
/// behaviour.
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_free(j: *mut firecrest_job) {
    if !j.is_null() {
        boundary_or("firecrest_job_free", (), || drop(Box::from_raw(j)));
    }
}

/// The user's jobs on `system`, as a JSON array of the objects firecrest_job_info() gives.
/// `*json_out` is freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_jobs(
    c: *const firecrest_client,
    system: *const c_char,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    json_call("firecrest_jobs", c, json_out, |client| {
        Ok(client.jobs(arg_str(system, "system")?)?)
    })
}

/// As firecrest_jobs(), keeping only jobs called `name` (NULL: any) and, on FirecREST v2 2.5.7
/// or later, reaching back `time_window` for ended jobs: "1h", "8h", "24h", "3d" or "7d" (NULL:
/// the server's default, a day). A time window on v1 or an older v2 server is
/// FIRECREST_STATUS_UNSUPPORTED. `*json_out` is freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (an empty name, an unknown window), FIRECREST_STATUS_UNSUPPORTED, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_jobs_filtered(
    c: *const firecrest_client,
    system: *const c_char,
    name: *const c_char,
    time_window: *const c_char,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    json_call("firecrest_jobs_filtered", c, json_out, |client| {
        let system = arg_str(system, "system")?;
        let time_window = match opt_str(time_window, "time_window")? {
            None => None,
            Some(text) => Some(text.parse::<TimeWindow>().map_err(crate::Error::from)?),
        };
        let filter = JobFilter {
            name: opt_str(name, "name")?.map(str::to_string),
            time_window,
        };
        Ok(client.jobs_filtered(system, &filter)?)
    })
}

/// The compute nodes of `system`, as a JSON array of `{"name": string, "state": [string],
/// "partitions": [string], "features": [string]}` (`state` holds Slurm's words, e.g. "IDLE").
/// `*json_out` is freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_nodes(
    c: *const firecrest_client,
    system: *const c_char,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    json_call("firecrest_nodes", c, json_out, |client| {
        Ok(client.nodes(arg_str(system, "system")?)?)
    })
}

/// The scheduler partitions of `system`, as a JSON array of `{"name": string, "state": string,
/// "total_cpus": int|null, "total_nodes": int|null, "default": bool|null}` (`default` is null
/// on FirecREST v2, which does not say). `*json_out` is freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_partitions(
    c: *const firecrest_client,
    system: *const c_char,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    json_call("firecrest_partitions", c, json_out, |client| {
        Ok(client.partitions(arg_str(system, "system")?)?)
    })
}

/// The scheduler reservations of `system`, as a JSON array of `{"name": string, "state": string,
/// "nodes": string, "start_time": string, "end_time": string, "features": [string]}` (times
/// `YYYY-MM-DDTHH:MM:SS`). `*json_out` is freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_reservations(
    c: *const firecrest_client,
    system: *const c_char,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    json_call("firecrest_reservations", c, json_out, |client| {
        Ok(client.reservations(arg_str(system, "system")?)?)
    })
}

/// New, empty job options. `*opts_out` is freed with firecrest_job_options_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_options_new(
    opts_out: *mut *mut firecrest_job_options,
) -> firecrest_status {
    boundary("firecrest_job_options_new", || {
        let out = Out::new(opts_out, "opts_out")?;
        out.write(Box::into_raw(Box::new(firecrest_job_options {
            name: None,
            account: None,
            partition: None,
            reservation: None,
            env: Vec::new(),
            stdout: None,
            stderr: None,
        })));
        Ok(())
    })
}

unsafe fn set_text(
    function: &str,
    o: *mut firecrest_job_options,
    value: *const c_char,
    field: impl FnOnce(&mut firecrest_job_options) -> &mut Option<String>,
) -> firecrest_status {
    boundary(function, || {
        let o = arg_mut(o, "o")?;
        *field(o) = opt_str(value, "value")?.map(str::to_string);
        Ok(())
    })
}

/// The job's name (nullable: none). The string is copied.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_options_set_name(
    o: *mut firecrest_job_options,
    value: *const c_char,
) -> firecrest_status {
    set_text("firecrest_job_options_set_name", o, value, |o| &mut o.name)
}

/// The scheduler account to charge (nullable: the user's default). The string is copied.
///
/// Returns as firecrest_job_options_set_name().
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_options_set_account(
    o: *mut firecrest_job_options,
    value: *const c_char,
) -> firecrest_status {
    set_text("firecrest_job_options_set_account", o, value, |o| {
        &mut o.account
    })
}

/// The partition (nullable: the system's default). The string is copied.
///
/// Returns as firecrest_job_options_set_name().
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_options_set_partition(
    o: *mut firecrest_job_options,
    value: *const c_char,
) -> firecrest_status {
    set_text("firecrest_job_options_set_partition", o, value, |o| {
        &mut o.partition
    })
}

/// The reservation (nullable: none). The string is copied.
///
/// Returns as firecrest_job_options_set_name().
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_options_set_reservation(
    o: *mut firecrest_job_options,
    value: *const c_char,
) -> firecrest_status {
    set_text("firecrest_job_options_set_reservation", o, value, |o| {
        &mut o.reservation
    })
}

/// The standard output file (a remote path, `%j` is the job id; nullable: the scheduler's
/// default, `slurm-<id>.out` in the working directory). The string is copied.
///
/// Returns as firecrest_job_options_set_name().
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_options_set_stdout(
    o: *mut firecrest_job_options,
    value: *const c_char,
) -> firecrest_status {
    set_text("firecrest_job_options_set_stdout", o, value, |o| {
        &mut o.stdout
    })
}

/// The standard error file, as firecrest_job_options_set_stdout().
///
/// Returns as firecrest_job_options_set_name().
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_options_set_stderr(
    o: *mut firecrest_job_options,
    value: *const c_char,
) -> firecrest_status {
    set_text("firecrest_job_options_set_stderr", o, value, |o| {
        &mut o.stderr
    })
}

/// Adds the environment variable `name`=`value` to the job (in order; both copied).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (an empty name, or one containing '=').
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_options_add_env(
    o: *mut firecrest_job_options,
    name: *const c_char,
    value: *const c_char,
) -> firecrest_status {
    boundary("firecrest_job_options_add_env", || {
        let o = arg_mut(o, "o")?;
        let name = arg_str(name, "name")?;
        let value = arg_str(value, "value")?;
        if name.is_empty() || name.contains('=') {
            return Err(CError::invalid_argument(format!(
                "argument `name` {name:?} is not a variable name"
            )));
        }
        o.env.push((name.to_string(), value.to_string()));
        Ok(())
    })
}

/// Frees job options. NULL is a no-op; freeing twice is undefined behaviour. Submissions made
/// with them keep their own copy.
#[no_mangle]
pub unsafe extern "C" fn firecrest_job_options_free(o: *mut firecrest_job_options) {
    if !o.is_null() {
        boundary_or("firecrest_job_options_free", (), || drop(Box::from_raw(o)));
    }
}
