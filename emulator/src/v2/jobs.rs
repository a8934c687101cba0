//! v2 emulator: a fake Slurm for transfer jobs. Each job lives in a thread that moves it
//! PENDING → RUNNING → COMPLETED/FAILED, `task_delay` apart, does the real work on the
//! sandbox (copy, move, remove, S3 ingress/egress) and writes the job scripts' log lines,
//! since clients decide success from the output log, not from the state (transcripts 63–68).

use super::fs::{date_line, RemotePath, USER};
use super::ops::Tar;
use super::s3::Multipart;
use crate::atomic::move_into_place;
use crate::copy::copy_tree;
use crate::sandbox::Local;
use crate::slurm::{Job, JobState};
use crate::util::now_secs;
use crate::State;
use md5::Digest;
use serde_json::{json, Value};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `#SBATCH --time=0-00:15:00` of `datatransfer_jobs_directives`, in seconds.
const TRANSFER_TIME_LIMIT: u64 = 900;
/// How long an ingress job waits for the client to complete the upload.
const INGRESS_PATIENCE: Duration = Duration::from_secs(3600);

pub(crate) enum Action {
    Copy {
        src: RemotePath,
        dst: RemotePath,
    },
    Move {
        src: RemotePath,
        dst: RemotePath,
    },
    Remove {
        path: RemotePath,
    },
    /// Wait for `object` in the store, then move it to `target`.
    Ingress {
        object: String,
        target: RemotePath,
    },
    /// Put `src` into the store as `object`.
    Egress {
        src: RemotePath,
        object: String,
    },
    /// compress / extract.
    Tar(Tar),
}

impl Action {
    fn job_name(&self) -> &'static str {
        match self {
            Action::Copy { .. } => "CopyFiles",
            Action::Move { .. } => "MoveFiles",
            Action::Remove { .. } => "DeleteFiles",
            Action::Ingress { .. } => "IngressFileTransfer",
            Action::Egress { .. } => "OutgressFileTransfer",
            Action::Tar(t) if t.compress => "CompressFiles",
            Action::Tar(_) => "ExtractFiles",
        }
    }
}

/// Where a job runs and logs (remote paths and their local files).
pub(crate) struct Logs {
    pub working_dir: String,
    pub output: RemotePath,
    pub error: RemotePath,
}

/// Runs transfer jobs; their records live in the emulator's one job table (`State::slurm`).
pub(crate) struct Scheduler {
    multipart: Arc<Multipart>,
}

/// What a job's work ended with: exit code (0 = success) and whether to mark it FAILED.
struct Outcome {
    exit_code: i32,
    failed: bool,
}

impl Scheduler {
    pub fn new(multipart: Arc<Multipart>) -> Scheduler {
        Scheduler { multipart }
    }

    /// Queues a job; `fail` (fault injection) makes it end FAILED without doing its work.
    /// `account`: the one the system's directives put in the script (None: the default).
    pub fn submit(
        self: &Arc<Self>,
        st: &Arc<State>,
        action: Action,
        logs: Logs,
        fail: bool,
        account: Option<String>,
    ) -> u64 {
        let account_line = account
            .as_ref()
            .map(|a| format!("#SBATCH --account={a}\n"))
            .unwrap_or_default();
        let mut job = Job::new(
            action.job_name(),
            &logs.working_dir,
            &format!(
                "#!/bin/bash -l\n#SBATCH --job-name={}\n#SBATCH --nodes=1\n#SBATCH --time=0-00:15:00\n{account_line}",
                action.job_name()
            ),
        );
        if let Some(a) = account {
            job.account = a;
        }
        job.limit = TRANSFER_TIME_LIMIT;
        let cancel = job.cancel.clone();
        let id = st.slurm.insert(job);
        let (me, st) = (self.clone(), st.clone());
        std::thread::spawn(move || me.run(&st, id, action, logs, fail, cancel));
        id
    }

    fn run(
        &self,
        st: &State,
        id: u64,
        action: Action,
        logs: Logs,
        fail: bool,
        cancel: Arc<AtomicBool>,
    ) {
        if !st.pause(st.task_delay, &cancel) {
            return;
        }
        st.slurm.set(id, |j| {
            j.state = JobState::Running;
            j.start = Some(now_secs());
        });
        let log = JobLog::new(&logs);
        let outcome = if fail {
            log.err(&format!(
                "{} Transfer failed: failure injected by the emulator (FailTransfer)",
                stamp()
            ));
            Outcome {
                exit_code: 1,
                failed: true,
            }
        } else {
            self.work(st, id, &action, &log, &cancel)
        };
        if !st.pause(st.task_delay, &cancel) {
            return;
        }
        st.slurm.set(id, |j| {
            j.state = if outcome.failed {
                JobState::Failed
            } else {
                JobState::Completed
            };
            j.exit_code = outcome.exit_code;
            j.end = Some(now_secs());
        });
    }

    fn work(
        &self,
        st: &State,
        id: u64,
        action: &Action,
        log: &JobLog,
        cancel: &AtomicBool,
    ) -> Outcome {
        let ok = Outcome {
            exit_code: 0,
            failed: false,
        };
        let failed = |code| Outcome {
            exit_code: code,
            failed: true,
        };
        // The shell scripts of cp/mv/rm end their failure branch with `exit $?` after an echo,
        // so those jobs end COMPLETED with exit code 0 even when the command failed.
        let shell = |title: &str, verb: &str, noun: &str, r: Result<(), String>| {
            log.out(&format!("{} {title} Job (id:{id})", stamp()));
            match r {
                Ok(()) => log.out(&format!("{} Files were successfully {verb}.", stamp())),
                Err(e) => {
                    log.err(&e);
                    log.err(&format!(
                        "{} Unable to {noun} files exit code:0 error: ",
                        stamp()
                    ));
                }
            }
            Outcome {
                exit_code: 0,
                failed: false,
            }
        };
        match action {
            Action::Copy { src, dst } => {
                let r = destination(st, src, dst).and_then(|to| {
                    writable(st, "cp: cannot create", dst, &to)?;
                    copy(src, dst, &to)
                });
                shell("Copy Files", "copied", "copy", r)
            }
            Action::Move { src, dst } => {
                let r = destination(st, src, dst).and_then(|to| {
                    writable(st, "mv: cannot move to", dst, &to)?;
                    writable(st, "mv: cannot remove", src, &src.local)?;
                    mv(src, dst, &to)
                });
                shell("Move Files", "moved", "move", r)
            }
            Action::Tar(t) => {
                let r = t.run().map_err(|(_, stderr)| stderr);
                if t.compress {
                    shell("Compress Files", "compressed", "compress", r)
                } else {
                    shell("Extract Files", "extracted", "extract", r)
                }
            }
            Action::Remove { path } => {
                let r = writable(st, "rm: cannot remove", path, &path.local).and_then(|_| rm(path));
                shell("Delete Files", "removed", "remove", r)
            }
            Action::Ingress { object, target } => {
                log.out(&format!("{} Ingress File Transfer Job (id:{id})", stamp()));
                // The server's script tests the target before it waits for the object, and
                // names an unset variable in its message (hence the double space).
                if target.target.pinned() && target.target.metadata().is_ok_and(|m| m.is_dir()) {
                    log.err(&format!(
                        "{} targetPath must point to a file path:  is a directory.",
                        stamp()
                    ));
                    return failed(3);
                }
                log.out(&format!(
                    "{} Waiting till file to tranfer is available...",
                    stamp()
                ));
                let started = Instant::now();
                let (bucket, key) = object.split_once('/').unwrap_or((object, ""));
                let obj = loop {
                    if let Some(o) = st.store.object_file(bucket, key) {
                        break o;
                    }
                    let waited = started.elapsed() >= INGRESS_PATIENCE;
                    let gave_up = self.multipart.take_failed(object);
                    if gave_up
                        || waited
                        || !st.pause(st.task_delay.max(Duration::from_millis(10)), cancel)
                    {
                        log.err(&format!(
                            "{} File to transfer not found in S3 bucket",
                            stamp()
                        ));
                        return failed(1);
                    }
                };
                log.out(&format!("{} File to transfer found in S3 bucket", stamp()));
                log.out(&format!(
                    "{} Downloading file to: {} ...",
                    stamp(),
                    target.remote
                ));
                if let Err(e) = writable(
                    st,
                    "curl: (23) Failure writing output to",
                    target,
                    &target.local,
                ) {
                    log.err(&e);
                    return failed(23);
                }
                let size = fs::metadata(&obj).map(|m| m.len()).unwrap_or(0);
                if let Err(e) = move_into_place(&obj, &target.local) {
                    log.err(&format!(
                        "curl: (23) Failure writing output to destination: {e}"
                    ));
                    return failed(1);
                }
                st.store.delete(bucket, key);
                log.out(&format!("{} Received {size} bytes", stamp()));
                log.out(&format!(
                    "{} File was successfully downloaded (size: {:.3}MB)",
                    stamp(),
                    size as f64 / 1_048_576.0
                ));
                ok
            }
            Action::Egress { src, object } => {
                log.out(&format!("{} Upload File Job (id:{id})", stamp()));
                let size = match src.target.metadata() {
                    Ok(m) if m.is_file() => m.len(),
                    _ => {
                        log.err(&format!("File {} not found", src.remote));
                        return failed(34);
                    }
                };
                let parts = size.div_ceil(self.multipart.part_size).max(1);
                log.out(&format!(
                    "Uploading file:{} into {parts} chunks",
                    src.remote
                ));
                log.out(&format!(
                    "[INFO] Creating temporary folder:tmp/{}/",
                    super::http::uuid4()
                ));
                for n in 1..=parts {
                    log.out(&format!("[INFO] Uploading part {n}..."));
                }
                let (bucket, key) = object.split_once('/').unwrap_or((object, ""));
                let put = fs::File::open(src.target.obj()).and_then(|f| {
                    // The bytes are hashed once, per part; the object's ETag is S3's multipart
                    // one, made from the parts' MD5s.
                    let mut parts = PartMd5s::new(f, self.multipart.part_size);
                    let mut md5s = Vec::new();
                    st.store.put_file_tagged(bucket, key, &mut parts, |parts| {
                        md5s = parts.finish();
                        multipart_etag(&md5s)
                    })?;
                    Ok(md5s)
                });
                let md5s = match put {
                    Ok(m) => m,
                    Err(e) => {
                        log.err(&format!("[ERROR] Upload failed: {e}"));
                        return failed(70);
                    }
                };
                log.out("[INFO] Parts upload completed.");
                for (n, md5) in md5s.iter().enumerate() {
                    log.out(&format!(
                        "[INFO] Upload of part {} succeded with ETag: {md5}|",
                        n + 1
                    ));
                }
                log.out("[INFO] Signaling multipart upload completion");
                log.out("[INFO] Multipart file upload successfully completed");
                ok
            }
        }
    }
}

/// A job as `GET /compute/{system}/jobs/{id}` shows it (transcripts 87, 93–95).
pub(crate) fn render(id: u64, j: &Job) -> Value {
    let state = j.state_text();
    let reason = match j.state {
        JobState::Failed => "NonZeroExitCode",
        JobState::Timeout => "TimeLimit",
        _ => "None",
    };
    let status = |state: &str, reason: Value| json!({"state": state, "stateReason": reason, "exitCode": j.exit_code, "interruptSignal": j.signal});
    let elapsed = j.elapsed();
    let started = j.start.is_some();
    let tasks: Vec<Value> = if started {
        vec![json!({
            "id": format!("{id}.batch"), "name": "batch",
            "status": status(j.state.word(), Value::Null),
            "time": {"elapsed": elapsed, "start": j.start, "end": j.end, "suspended": 0, "limit": null}
        })]
    } else {
        Vec::new()
    };
    json!({
        "jobId": id.to_string(),
        "name": j.name,
        "status": status(&state, json!(reason)),
        "tasks": tasks,
        "time": {"elapsed": elapsed, "start": j.start, "end": j.end, "suspended": 0, "limit": j.limit},
        "account": j.account,
        "allocationNodes": u32::from(started),
        "cluster": crate::SYSTEM,
        "group": USER,
        "nodes": if started { "localhost" } else { "None assigned" },
        "partition": j.partition,
        "killRequestUser": null,
        "user": USER,
        "workingDirectory": j.working_dir,
        "priority": 1,
    })
}

/// A reader that notes the MD5 of every `part_size` chunk passing through (the ETags the
/// egress job's part uploads would get).
struct PartMd5s<R> {
    inner: R,
    part_size: u64,
    in_part: u64,
    md5: md5::Md5,
    done: Vec<String>,
}

impl<R: io::Read> PartMd5s<R> {
    fn new(inner: R, part_size: u64) -> Self {
        PartMd5s {
            inner,
            part_size,
            in_part: 0,
            md5: md5::Md5::new(),
            done: Vec::new(),
        }
    }

    /// The parts' MD5s, hex, once everything is read.
    fn finish(&mut self) -> Vec<String> {
        if self.in_part > 0 || self.done.is_empty() {
            let md5 = std::mem::take(&mut self.md5).finalize();
            self.done.push(hex::encode(md5));
            self.in_part = 0;
        }
        std::mem::take(&mut self.done)
    }
}

/// S3's ETag of an object uploaded in parts: the MD5 of the parts' MD5s, then `-` and their
/// count.
fn multipart_etag(part_md5s: &[String]) -> String {
    let mut md5 = md5::Md5::new();
    for m in part_md5s {
        md5.update(hex::decode(m).unwrap_or_default());
    }
    format!("{}-{}", hex::encode(md5.finalize()), part_md5s.len())
}

impl<R: io::Read> io::Read for PartMd5s<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = (self.part_size - self.in_part).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        self.md5.update(&buf[..n]);
        self.in_part += n as u64;
        if self.in_part == self.part_size {
            let md5 = std::mem::take(&mut self.md5).finalize();
            self.done.push(hex::encode(md5));
            self.in_part = 0;
        }
        Ok(n)
    }
}

/// The date prefix of the job scripts' log lines.
fn stamp() -> String {
    date_line(now_secs())
}

/// Appends lines to the job's output and error logs (in their pinned directories, never
/// through a symlink in the last component).
struct JobLog {
    out: Local,
    err: Local,
}

impl JobLog {
    fn new(logs: &Logs) -> JobLog {
        let log = JobLog {
            out: logs.output.local.clone(),
            err: logs.error.local.clone(),
        };
        // Slurm creates both files when the job starts.
        log.append(&log.out, None);
        log.append(&log.err, None);
        log
    }

    fn append(&self, path: &Local, line: Option<&str>) {
        let opened = OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path.entry());
        if let (Ok(mut f), Some(line)) = (opened, line) {
            let _ = writeln!(f, "{line}");
        }
    }

    fn out(&self, line: &str) {
        self.append(&self.out, Some(line));
    }

    fn err(&self, line: &str) {
        self.append(&self.err, Some(line));
    }
}

/// The sandbox's write permission (home and /tmp only), as the job's command would report it.
fn writable(st: &State, what: &str, p: &RemotePath, local: &Local) -> Result<(), String> {
    p.writable(&st.sandbox, local)
        .map_err(|_| format!("{what} '{}': Permission denied", p.remote))
}

/// The target of `cp`/`mv`: inside `dst` when it is an existing directory, reached through the
/// sandbox's resolution (the OS would follow a symlink at `dst.local` out of the root).
fn destination(st: &State, src: &RemotePath, dst: &RemotePath) -> Result<Local, String> {
    if dst.target.pinned() && dst.target.metadata().is_ok_and(|m| m.is_dir()) {
        let inside = format!(
            "{}/{}",
            dst.target.remote().trim_end_matches('/'),
            src.local.name()
        );
        let (_, to) = st
            .sandbox
            .resolve(&inside, false)
            .map_err(|e| format!("cp: cannot create '{}': {e}", dst.remote))?;
        Ok(to)
    } else {
        Ok(dst.local.clone())
    }
}

fn missing(cmd: &str, verb: &str, p: &RemotePath) -> String {
    format!(
        "{cmd}: cannot {verb} '{}': No such file or directory",
        p.remote
    )
}

/// `cp --force -Rd`: recursive, symlinks copied as links.
fn copy(src: &RemotePath, dst: &RemotePath, to: &Local) -> Result<(), String> {
    if src.local.symlink_metadata().is_err() {
        return Err(missing("cp", "stat", src));
    }
    copy_tree(src.local.entry(), to.entry())
        .map_err(|e| format!("cp: cannot create '{}': {e}", dst.remote))
}

fn mv(src: &RemotePath, dst: &RemotePath, to: &Local) -> Result<(), String> {
    if src.local.symlink_metadata().is_err() {
        return Err(missing("mv", "stat", src));
    }
    fs::rename(src.local.entry(), to.entry())
        .map_err(|e| format!("mv: cannot move '{}' to '{}': {e}", src.remote, dst.remote))
}

fn rm(path: &RemotePath) -> Result<(), String> {
    let meta = path
        .local
        .symlink_metadata()
        .map_err(|_| missing("rm", "remove", path))?;
    let r = if meta.is_dir() {
        fs::remove_dir_all(path.local.entry())
    } else {
        fs::remove_file(path.local.entry())
    };
    r.map_err(|e| format!("rm: cannot remove '{}': {e}", path.remote))
}
