//! The emulator's fake Slurm: one job table for both API versions and for both kinds of job,
//! v2's transfer jobs (run in-process by `v2::jobs`) and compute jobs, which run for real as
//! local processes: the script under `bash` (or its `#!` interpreter) in its working directory
//! inside the root, in its own process group, with the Slurm variables a job script expects.
//!
//! States move PENDING (for `Config::job_queue_delay`) → RUNNING → COMPLETED / FAILED /
//! CANCELLED / TIMEOUT. Cancelling, a time limit or stopping the emulator kill the job's whole
//! process group (SIGTERM, then SIGKILL after a grace period) and reap it; a job's leftover
//! background processes are killed when its script ends, as Slurm ends a job's steps.

use crate::sandbox::Local;
use crate::util::now_secs;
use crate::{State, SYSTEM};
use rustix::process::{kill_process_group, Pid, Signal};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The scheduler account jobs are charged to by default (also listed by userinfo).
pub(crate) const ACCOUNT: &str = "testproject";
pub(crate) const PARTITION: &str = "normal";
/// Slurm's default time limit (the recorded cluster's partition: 1 day), seconds.
const DEFAULT_LIMIT: u64 = 86_400;
/// What a shell answers where there is no Slurm: the scheduler's refusal with `--jobs off`
/// (the recorded v1 server had no Slurm; transcripts 76–80).
pub(crate) const NO_SBATCH: &str = "bash: line 1: sbatch: command not found";

/// The emulated cluster as `scontrol show` describes it: one node in one partition, and one
/// reservation (so that clients see every field of it filled).
pub(crate) mod cluster {
    pub(crate) const NODE: &str = "localhost";
    pub(crate) const CPUS: u32 = 2;
    pub(crate) const NODE_STATE: &str = "IDLE";
    pub(crate) const PARTITION_STATE: &str = "UP";
    pub(crate) const RESERVATION: &str = "maintenance";
    pub(crate) const RESERVATION_STATE: &str = "INACTIVE";
    pub(crate) const RESERVATION_START: &str = "2030-01-01T08:00:00";
    pub(crate) const RESERVATION_END: &str = "2030-01-01T12:00:00";
    /// Slurm prints a feature-less node's or reservation's features as `(null)`.
    pub(crate) const NO_FEATURES: &str = "(null)";
}

/// The same for any Slurm command.
pub(crate) fn no_command(cmd: &str) -> String {
    format!("bash: line 1: {cmd}: command not found")
}
/// How often a running job is looked at (exit, cancel, time limit, stop).
const POLL: Duration = Duration::from_millis(10);
/// SIGTERM → SIGKILL grace period (Slurm's KillWait is 30 s; short here, it is a test tool).
const KILL_WAIT: Duration = Duration::from_millis(500);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum JobState {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
    Timeout,
}

impl JobState {
    pub fn word(self) -> &'static str {
        match self {
            JobState::Pending => "PENDING",
            JobState::Running => "RUNNING",
            JobState::Completed => "COMPLETED",
            JobState::Failed => "FAILED",
            JobState::Cancelled => "CANCELLED",
            JobState::Timeout => "TIMEOUT",
        }
    }

    pub fn active(self) -> bool {
        matches!(self, JobState::Pending | JobState::Running)
    }
}

/// One job of the table.
#[derive(Clone)]
pub(crate) struct Job {
    pub name: String,
    pub state: JobState,
    pub exit_code: i32,
    /// The signal that ended the job (15 after a cancel or a time limit).
    pub signal: i32,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub working_dir: String,
    pub script: String,
    /// The script's remote path (v1 `job_file`); empty for a script given as text.
    pub script_path: String,
    /// Remote paths (v2 metadata; v1 job files). None: not known for this kind of job.
    pub stdin: String,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    /// Time limit, seconds.
    pub limit: u64,
    pub account: String,
    pub partition: String,
    /// Set by a cancel; the job's runner stops (and kills its process group).
    pub cancel: Arc<AtomicBool>,
    /// Compute jobs are not listed for a short while after submission (v2's early 404).
    pub listed_from: Option<Instant>,
}

impl Job {
    /// A new PENDING job.
    pub fn new(name: &str, working_dir: &str, script: &str) -> Job {
        Job {
            name: name.to_string(),
            state: JobState::Pending,
            exit_code: 0,
            signal: 0,
            start: None,
            end: None,
            working_dir: working_dir.to_string(),
            script: script.to_string(),
            script_path: String::new(),
            stdin: "/dev/null".to_string(),
            stdout: None,
            stderr: None,
            limit: DEFAULT_LIMIT,
            account: ACCOUNT.to_string(),
            partition: PARTITION.to_string(),
            cancel: Arc::new(AtomicBool::new(false)),
            listed_from: None,
        }
    }

    /// Seconds run so far (or in all).
    pub fn elapsed(&self) -> i64 {
        self.start
            .map(|s| self.end.unwrap_or_else(now_secs) - s)
            .unwrap_or(0)
    }

    /// The state as Slurm words it (`CANCELLED by <uid>`).
    pub fn state_text(&self) -> String {
        match self.state {
            JobState::Cancelled => format!("CANCELLED by {}", rustix::process::getuid().as_raw()),
            s => s.word().to_string(),
        }
    }
}

/// A compute job to run: what `sbatch` would get.
pub(crate) struct Batch {
    /// From the request; None: `#SBATCH --job-name` or the script's file name.
    pub name: Option<String>,
    pub script: String,
    /// The script file to run (already on the system).
    pub script_file: PathBuf,
    /// Its remote path, when it is on the system.
    pub script_path: Option<String>,
    pub working_dir: String,
    pub account: Option<String>,
    pub partition: Option<String>,
    /// Remote paths as given (relative to the working directory; `%j`, `%x` expanded here).
    pub stdin: Option<String>,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    pub env: Vec<(String, String)>,
}

/// The `#SBATCH` options the emulator honours.
#[derive(Default)]
struct Directives {
    name: Option<String>,
    output: Option<String>,
    error: Option<String>,
    time: Option<String>,
    account: Option<String>,
    partition: Option<String>,
}

/// Reads the `#SBATCH` lines at the top of the script (Slurm stops at the first command).
fn directives(script: &str) -> Directives {
    let mut d = Directives::default();
    for line in script.lines().skip_while(|l| l.starts_with("#!")) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with('#') {
            break;
        }
        let Some(opts) = line.strip_prefix("#SBATCH") else {
            continue;
        };
        let mut words = opts.split_whitespace();
        while let Some(w) = words.next() {
            let (key, value) = match w.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None if w.starts_with("--") => (w.to_string(), words.next().map(str::to_string)),
                // `-J name` or `-Jname`
                None if w.starts_with('-') && w.len() > 2 && w.is_char_boundary(2) => {
                    (w[..2].to_string(), Some(w[2..].to_string()))
                }
                None => (w.to_string(), words.next().map(str::to_string)),
            };
            let value = value.map(|v| v.trim_matches('"').to_string());
            match key.as_str() {
                "--job-name" | "-J" => d.name = value,
                "--output" | "-o" => d.output = value,
                "--error" | "-e" => d.error = value,
                "--time" | "-t" => d.time = value,
                "--account" | "-A" => d.account = value,
                "--partition" | "-p" => d.partition = value,
                _ => {}
            }
        }
    }
    d
}

/// Slurm's time formats: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`; seconds.
pub(crate) fn parse_time(s: &str) -> Option<u64> {
    let s = s.trim();
    if matches!(s, "UNLIMITED" | "unlimited" | "infinite") {
        return Some(u64::MAX / 4);
    }
    let num = |p: &str| p.parse::<u64>().ok();
    if let Some((days, rest)) = s.split_once('-') {
        let p: Vec<&str> = rest.split(':').collect();
        let (h, m, sec) = match p.as_slice() {
            [h] => (num(h)?, 0, 0),
            [h, m] => (num(h)?, num(m)?, 0),
            [h, m, sec] => (num(h)?, num(m)?, num(sec)?),
            _ => return None,
        };
        return Some(num(days)? * 86_400 + h * 3600 + m * 60 + sec);
    }
    let p: Vec<&str> = s.split(':').collect();
    match p.as_slice() {
        [m] => Some(num(m)? * 60),
        [m, sec] => Some(num(m)? * 60 + num(sec)?),
        [h, m, sec] => Some(num(h)? * 3600 + num(m)? * 60 + num(sec)?),
        _ => None,
    }
}

/// `%j` → job id, `%x` → job name, `%%` → `%` in an output file name.
fn expand(pattern: &str, id: u64, name: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('j') | Some('A') => out.push_str(&id.to_string()),
            Some('x') => out.push_str(name),
            Some('u') => out.push_str(crate::USER),
            Some('%') => out.push('%'),
            Some(o) => {
                out.push('%');
                out.push(o);
            }
            None => out.push('%'),
        }
    }
    out
}

pub(crate) enum Access {
    Read,
    Write,
}

/// A remote path resolved through the sandbox (never outside the root) and checked for the
/// user's access; Err is `<what> <path>: <reason>`. Returns (canonical remote, local path).
pub(crate) fn resolve_checked(
    st: &State,
    remote: &str,
    access: Access,
    what: &str,
) -> Result<(String, Local), String> {
    let fail = |e: std::io::Error| format!("{what} {remote}: {e}");
    let (canonical, local) = st.sandbox.resolve(remote, true).map_err(fail)?;
    match access {
        Access::Read => st.sandbox.check_read(&canonical),
        Access::Write => st.sandbox.check_write(&canonical),
    }
    .map_err(fail)?;
    Ok((canonical, local))
}

/// A relative path taken from the working directory.
fn absolute(dir: &str, p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("{}/{p}", dir.trim_end_matches('/'))
    }
}

pub(crate) struct Slurm {
    jobs: Mutex<BTreeMap<u64, Job>>,
    next_id: Mutex<u64>,
    runners: Mutex<Vec<JoinHandle<()>>>,
    queue_delay: Duration,
    enabled: bool,
    /// Scripts given as text (v2 `script`), outside the root, like slurmd's spool.
    spool: tempfile::TempDir,
    spooled: std::sync::atomic::AtomicU64,
}

/// What a compute job's runner needs besides the table.
struct Run {
    id: u64,
    program: Vec<String>,
    script_file: PathBuf,
    /// Held open until the job starts: the process gets its directory and files through them.
    dir: Local,
    env: Vec<(String, String)>,
    /// None: /dev/null.
    stdin: Option<Local>,
    stdout: Local,
    stderr: Local,
    limit: Duration,
    cancel: Arc<AtomicBool>,
}

impl Slurm {
    pub fn new(queue_delay: Duration, enabled: bool) -> std::io::Result<Slurm> {
        Ok(Slurm {
            jobs: Mutex::new(BTreeMap::new()),
            next_id: Mutex::new(1),
            runners: Mutex::new(Vec::new()),
            queue_delay,
            enabled,
            spool: crate::fresh_temp_dir("spool")?,
            spooled: Default::default(),
        })
    }

    /// Stores a script given as text; returns the file to run.
    pub fn spool(&self, script: &str) -> std::io::Result<PathBuf> {
        let n = self.spooled.fetch_add(1, Ordering::SeqCst);
        let path = self.spool.path().join(format!("script-{n}.sh"));
        std::fs::write(&path, script)?;
        Ok(path)
    }

    /// False with `--jobs off`: sbatch refuses every submission.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Job>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_id(&self) -> u64 {
        let mut n = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        *n - 1
    }

    /// Adds a job (transfer jobs: their runner is the caller's); returns its id.
    pub fn insert(&self, job: Job) -> u64 {
        let id = self.next_id();
        self.lock().insert(id, job);
        id
    }

    /// Changes a job unless it was cancelled.
    pub fn set(&self, id: u64, f: impl FnOnce(&mut Job)) {
        if let Some(job) = self.lock().get_mut(&id) {
            if job.state != JobState::Cancelled {
                f(job);
            }
        }
    }

    /// A job as listed by the scheduler (compute jobs only after their listing delay).
    pub fn get(&self, id: u64) -> Option<Job> {
        self.lock()
            .get(&id)
            .filter(|j| j.listed_from.is_none_or(|t| Instant::now() >= t))
            .cloned()
    }

    /// The listed jobs, oldest first.
    pub fn all(&self) -> Vec<(u64, Job)> {
        let now = Instant::now();
        self.lock()
            .iter()
            .filter(|(_, j)| j.listed_from.is_none_or(|t| now >= t))
            .map(|(id, j)| (*id, j.clone()))
            .collect()
    }

    /// `scancel <raw>`: Err is scancel's complaint (unknown id, job already ended). A running
    /// job's runner then kills its process group.
    pub fn scancel(&self, raw: &str) -> Result<(), String> {
        let refuse = |why: &str| {
            Err(format!(
                "scancel: error: Kill job error on job id {raw}: {why}"
            ))
        };
        let mut jobs = self.lock();
        let Some(job) = raw.parse().ok().and_then(|id: u64| jobs.get_mut(&id)) else {
            return refuse("Invalid job id specified");
        };
        if !job.state.active() {
            return refuse("Job/step already completing or completed");
        }
        job.cancel.store(true, Ordering::SeqCst);
        job.state = JobState::Cancelled;
        job.signal = 15;
        job.exit_code = 0;
        job.end = Some(now_secs());
        Ok(())
    }

    /// `sbatch`: queues a compute job and starts its runner; Err is sbatch's complaint.
    pub fn submit(&self, st: &Arc<State>, b: Batch) -> Result<u64, String> {
        let d = directives(&b.script);
        let limit = match &d.time {
            Some(t) => parse_time(t)
                .ok_or_else(|| "sbatch: error: Invalid time limit specification".to_string())?,
            None => DEFAULT_LIMIT,
        };
        let name = b.name.clone().or(d.name).unwrap_or_else(|| {
            let file = b.script_path.as_deref().map(Path::new);
            file.unwrap_or(&b.script_file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sbatch".into())
        });
        let (dir_remote, dir) = st
            .sandbox
            .resolve(&b.working_dir, true)
            .map_err(|e| format!("sbatch: error: chdir({}): {e}", b.working_dir))?;
        st.sandbox
            .check_enter(&dir_remote)
            .map_err(|e| format!("sbatch: error: chdir({}): {e}", b.working_dir))?;
        if !dir.pinned() || !dir.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(format!(
                "sbatch: error: chdir({}): No such file or directory",
                b.working_dir
            ));
        }
        let id = self.next_id();
        let default_out = "slurm-%j.out".to_string();
        let out_pattern = b.stdout.clone().or(d.output).unwrap_or(default_out);
        let err_pattern = b.stderr.clone().or(d.error).unwrap_or(out_pattern.clone());
        // Output files resolve through the sandbox and must be writable by the user.
        let writable = |pattern: &str| {
            let remote = absolute(&dir_remote, &expand(pattern, id, &name));
            resolve_checked(st, &remote, Access::Write, "sbatch: error:")
        };
        let (out_remote, stdout) = writable(&out_pattern)?;
        let (err_remote, stderr) = writable(&err_pattern)?;
        let (in_remote, stdin) = match &b.stdin {
            Some(p) => {
                let (r, l) = resolve_checked(
                    st,
                    &absolute(&dir_remote, p),
                    Access::Read,
                    "sbatch: error:",
                )?;
                (r, Some(l))
            }
            None => ("/dev/null".to_string(), None),
        };
        let program = match b.script.lines().next().and_then(|l| l.strip_prefix("#!")) {
            Some(line) if !line.trim().is_empty() => {
                line.split_whitespace().map(str::to_string).collect()
            }
            _ => vec!["bash".to_string()],
        };
        let mut job = Job::new(&name, &b.working_dir, &b.script);
        job.script_path = b.script_path.clone().unwrap_or_default();
        job.stdin = in_remote;
        job.stdout = Some(out_remote);
        job.stderr = Some(err_remote);
        job.limit = limit;
        if let Some(a) = b.account.clone().or(d.account) {
            job.account = a;
        }
        if let Some(p) = b.partition.clone().or(d.partition) {
            job.partition = p;
        }
        job.listed_from = Some(Instant::now() + self.queue_delay / 2);
        let mut env = vec![
            ("SLURM_JOB_ID".to_string(), id.to_string()),
            ("SLURM_JOBID".to_string(), id.to_string()),
            ("SLURM_JOB_NAME".to_string(), name.clone()),
            ("SLURM_SUBMIT_DIR".to_string(), b.working_dir.clone()),
            ("SLURM_CLUSTER_NAME".to_string(), SYSTEM.to_string()),
            ("SLURM_JOB_ACCOUNT".to_string(), job.account.clone()),
            ("SLURM_JOB_PARTITION".to_string(), job.partition.clone()),
            ("SLURM_JOB_USER".to_string(), crate::USER.to_string()),
            ("SLURM_NNODES".to_string(), "1".to_string()),
            ("SLURM_JOB_NODELIST".to_string(), "localhost".to_string()),
        ];
        env.extend(b.env);
        let run = Run {
            id,
            program,
            script_file: b.script_file,
            dir,
            env,
            stdin,
            stdout,
            stderr,
            limit: Duration::from_secs(limit),
            cancel: job.cancel.clone(),
        };
        // Checked and registered under the runners' lock, so that `stop_all` (which comes
        // after `stopping` is set) joins every runner that may start a process.
        let mut runners = self.runners.lock().unwrap_or_else(|e| e.into_inner());
        if st.stopping() {
            return Err(
                "sbatch: error: Batch job submission failed: the emulator is stopping".into(),
            );
        }
        self.lock().insert(id, job);
        let st2 = st.clone();
        runners.retain(|h| !h.is_finished());
        runners.push(std::thread::spawn(move || st2.slurm.run(&st2, run)));
        Ok(id)
    }

    fn run(&self, st: &State, run: Run) {
        if !st.pause(self.queue_delay, &run.cancel) {
            return;
        }
        let id = run.id;
        let mut child = match spawn(&run) {
            Ok(c) => c,
            Err(e) => {
                if let Ok(mut f) = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(run.stderr.entry())
                {
                    use std::io::Write;
                    let _ = writeln!(f, "slurmstepd: error: execve(): {}: {e}", run.program[0]);
                }
                self.set(id, |j| {
                    let now = now_secs();
                    (j.state, j.exit_code, j.start, j.end) =
                        (JobState::Failed, 127, Some(now), Some(now));
                });
                return;
            }
        };
        let pgid = Pid::from_child(&child);
        let started = Instant::now();
        self.set(id, |j| {
            j.state = JobState::Running;
            j.start = Some(now_secs());
        });
        let (end_state, status) = loop {
            match child.try_wait() {
                Ok(Some(status)) => break (None, status),
                Ok(None) => {}
                Err(_) => break (None, terminate(pgid, &mut child)),
            }
            if run.cancel.load(Ordering::SeqCst) || st.stopping() {
                break (Some(JobState::Cancelled), terminate(pgid, &mut child));
            }
            if started.elapsed() >= run.limit {
                break (Some(JobState::Timeout), terminate(pgid, &mut child));
            }
            std::thread::sleep(POLL);
        };
        // The script is done: end what it left behind in its process group.
        let _ = kill_process_group(pgid, Signal::KILL);
        self.set(id, |j| {
            j.end = Some(now_secs());
            match end_state {
                Some(s) => {
                    j.state = s;
                    j.signal = 15;
                }
                None => {
                    use std::os::unix::process::ExitStatusExt;
                    let code = status.code().unwrap_or(0);
                    j.signal = status.signal().unwrap_or(0);
                    j.exit_code = code;
                    j.state = if code == 0 && j.signal == 0 {
                        JobState::Completed
                    } else {
                        JobState::Failed
                    };
                }
            }
        });
    }

    /// Stops every compute job (the emulator is stopping): their runners see the stop, kill
    /// their process groups and reap them; this waits for all of them.
    pub fn stop_all(&self) {
        let runners = std::mem::take(&mut *self.runners.lock().unwrap_or_else(|e| e.into_inner()));
        for h in runners {
            let _ = h.join();
        }
    }
}

fn spawn(run: &Run) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    // Slurm's default `--open-mode=truncate`; appending writes keep stdout and stderr in order
    // when they share a file.
    // Each in its pinned directory, never through a symlink in the last component.
    let open = |p: &Local| {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(p.entry())?;
        f.set_len(0)?;
        Ok::<File, std::io::Error>(f)
    };
    let out = open(&run.stdout)?;
    let err = if run.stderr.remote() == run.stdout.remote() {
        out.try_clone()?
    } else {
        open(&run.stderr)?
    };
    let stdin = match &run.stdin {
        Some(l) => File::open(l.obj())?,
        None => File::open("/dev/null")?,
    };
    Command::new(&run.program[0])
        .args(&run.program[1..])
        .arg(&run.script_file)
        .current_dir(run.dir.obj())
        .envs(run.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .process_group(0)
        .spawn()
}

/// SIGTERM to the job's process group, SIGKILL after `KILL_WAIT`; reaps the script.
fn terminate(pgid: Pid, child: &mut Child) -> ExitStatus {
    let _ = kill_process_group(pgid, Signal::TERM);
    let until = Instant::now() + KILL_WAIT;
    while Instant::now() < until {
        if let Ok(Some(s)) = child.try_wait() {
            let _ = kill_process_group(pgid, Signal::KILL);
            return s;
        }
        std::thread::sleep(POLL);
    }
    let _ = kill_process_group(pgid, Signal::KILL);
    let _ = child.kill();
    child.wait().unwrap_or_else(|_| {
        use std::os::unix::process::ExitStatusExt;
        ExitStatus::from_raw(9)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats() {
        assert_eq!(parse_time("5"), Some(300));
        assert_eq!(parse_time("1:30"), Some(90));
        assert_eq!(parse_time("00:05:00"), Some(300));
        assert_eq!(parse_time("1-02:03:04"), Some(93_784));
        assert_eq!(parse_time("0-00:15:00"), Some(900));
        assert_eq!(parse_time("x"), None);
    }

    #[test]
    fn sbatch_lines() {
        // A short option glued to a non-ASCII value must not split a character.
        assert_eq!(directives("#SBATCH -Jé\n").name.as_deref(), Some("é"));
        assert!(directives("#SBATCH -é\n").name.is_none());
        let d = directives("#!/bin/bash\n#SBATCH -J one\n#SBATCH --output=o-%j.txt --time 1:00\n#SBATCH -e err\necho\n#SBATCH --job-name=late\n");
        assert_eq!(d.name.as_deref(), Some("one"));
        assert_eq!(d.output.as_deref(), Some("o-%j.txt"));
        assert_eq!(d.error.as_deref(), Some("err"));
        assert_eq!(d.time.as_deref(), Some("1:00"));
        assert_eq!(expand("o-%j-%x.%%", 7, "n"), "o-7-n.%");
    }
}
