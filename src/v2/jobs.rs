//! v2 transfer jobs (cp, mv, rm, upload, download): every one is a scheduler job whose success
//! is judged from its final state AND a success line in its output log, because a failing
//! `job_copy.sh` still ends COMPLETED with exit code 0 on a real server.

use super::http;
use super::V2;
use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use crate::transport::poll_delay;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Success lines the server's job scripts write into `outputLog`.
pub(crate) const FILES_DONE: &str = "Files were successfully";
pub(crate) const INGRESS_DONE: &str = "File was successfully downloaded";
pub(crate) const EGRESS_DONE: &str = "Multipart file upload successfully completed";

/// States that end a job (Slurm); a job is finished when every comma-separated element of its
/// state contains one of these (or is PBS's `F`).
const FINAL_STATES: &[&str] = &[
    "BOOT_FAIL",
    "CANCELLED",
    "COMPLETED",
    "DEADLINE",
    "FAILED",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "PREEMPTED",
    "TIMEOUT",
];

/// How long a job may stay unknown to the scheduler ("Job not found.") after submission before
/// we give up; real schedulers take up to ~20 s to list a fresh job.
const UNKNOWN_GRACE: Duration = Duration::from_secs(90);

/// A submitted transfer job (`transferJob` of a 201 answer).
#[derive(Debug, Clone)]
pub(crate) struct TransferJob {
    pub(crate) system: String,
    pub(crate) job_id: String,
    pub(crate) output_log: String,
    pub(crate) error_log: String,
    submitted: Instant,
}

/// One look at a job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JobState {
    /// The scheduler does not list it (yet).
    Unknown,
    Pending,
    Running(String),
    Finished(String),
}

impl TransferJob {
    pub(crate) fn from_answer(system: &str, answer: &Value) -> Result<TransferJob> {
        let job = &answer["transferJob"];
        let text = |key: &Value| match key {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let missing = || {
            Error::new(
                ErrorKind::Json,
                // Only `transferJob`: the rest of the answer holds presigned URLs.
                format!(
                    "the server's transfer job answer lacks jobId or logs: transferJob = {job}"
                ),
            )
        };
        Ok(TransferJob {
            system: system.to_string(),
            job_id: text(&job["jobId"]).ok_or_else(missing)?,
            output_log: text(&job["logs"]["outputLog"]).ok_or_else(missing)?,
            error_log: text(&job["logs"]["errorLog"]).ok_or_else(missing)?,
            submitted: Instant::now(),
        })
    }

    /// One request: the job's state. "Job not found" within the grace period is `Unknown`.
    pub(crate) fn state(&self, c: &Session) -> Result<JobState> {
        let path = format!(
            "/compute/{}/jobs/{}",
            http::segment(&self.system)?,
            http::segment(&self.job_id)?
        );
        let what = format!("transfer job {}", self.job_id);
        let answer = match http::get(c, &path, &[], &what) {
            Ok(reply) => reply.body,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                if self.submitted.elapsed() < UNKNOWN_GRACE {
                    return Ok(JobState::Unknown);
                }
                return Err(e.context(format!(
                    "transfer job {} is still unknown to the scheduler {} s after submission",
                    self.job_id,
                    UNKNOWN_GRACE.as_secs()
                )));
            }
            Err(e) => return Err(e),
        };
        let state = answer["jobs"][0]["status"]["state"]
            .as_str()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Json,
                    format!("job {} answer has no jobs[0].status.state", self.job_id),
                )
            })?
            .to_string();
        Ok(classify(&state))
    }

    /// After the job finished: Ok when it COMPLETED and its output log has `success_line`,
    /// otherwise `TaskFailed` with the error log's text (or the state when the log is empty).
    pub(crate) fn outcome(&self, c: &Session, final_state: &str, success_line: &str) -> Result<()> {
        let completed = final_state.split(',').all(|s| s.contains("COMPLETED"));
        if completed {
            let log = read_log(c, &self.system, &self.output_log)?;
            if log.contains(success_line) {
                return Ok(());
            }
        }
        let errors = read_log(c, &self.system, &self.error_log).unwrap_or_default();
        let errors = last_chars(errors.trim(), 2000);
        let detail = if errors.is_empty() {
            "no error log".to_string()
        } else {
            errors.to_string()
        };
        Err(Error::new(
            ErrorKind::TaskFailed,
            format!(
                "transfer job {} ended {final_state} without reporting success: {detail}",
                self.job_id
            ),
        ))
    }

    /// Polls with backoff until the job ends, then judges it (`outcome`).
    pub(crate) fn wait(&self, c: &Session, success_line: &str) -> Result<()> {
        let o = c.options();
        let mut round = 0;
        loop {
            if let JobState::Finished(state) = self.state(c)? {
                return self.outcome(c, &state, success_line);
            }
            std::thread::sleep(poll_delay(o.poll_initial, o.poll_max, round));
            round = round.saturating_add(1);
        }
    }
}

fn classify(state: &str) -> JobState {
    let finished = state
        .split(',')
        .map(str::trim)
        .all(|s| FINAL_STATES.iter().any(|f| s.contains(f)) || s == "F");
    if finished {
        JobState::Finished(state.to_string())
    } else if state.contains("PENDING") || state == "Q" {
        JobState::Pending
    } else {
        JobState::Running(state.to_string())
    }
}

/// A job log through `ops/view` (what pyfirecrest does).
fn read_log(c: &Session, system: &str, path: &str) -> Result<String> {
    let query = [("path", path.to_string())];
    let what = format!("reading the job log {path}");
    let reply = http::get(c, &super::ops_path(system, "view")?, &query, &what)?;
    super::output_string(reply.body["output"].clone(), &what)
}

fn last_chars(s: &str, n: usize) -> &str {
    match s.char_indices().rev().nth(n.saturating_sub(1)) {
        Some((i, _)) => &s[i..],
        None => s,
    }
}

/// The scheduler account a transfer job must name: when the system's
/// `datatransfer_jobs_directives` use `{account}`, the server refuses jobs without one (400),
/// so the user's default account (`userinfo.accounts[].default`) is sent; otherwise none.
pub(crate) fn account(c: &V2, system: &str) -> Result<Option<String>> {
    let entry = c.described_system(system)?;
    if !needs_account(&entry) {
        return Ok(None);
    }
    let path = format!("/status/{}/userinfo", http::segment(system)?);
    let info = http::get(&c.session, &path, &[], "userinfo")?.body;
    default_account(&info).map(Some).ok_or_else(|| {
        Error::invalid_argument(format!(
            "{system}'s transfer jobs need a scheduler account and the user has no default one"
        ))
    })
}

fn needs_account(system: &Value) -> bool {
    system["dataOperation"]["datatransfer_jobs_directives"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|d| d.as_str().is_some_and(|d| d.contains("{account}")))
}

fn default_account(userinfo: &Value) -> Option<String> {
    let accounts = userinfo["accounts"].as_array()?;
    accounts
        .iter()
        .find(|a| a["default"] == Value::Bool(true))
        .or_else(|| accounts.first())
        .and_then(|a| a["name"].as_str())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_job_answer_does_not_show_the_presigned_urls() {
        let answer = serde_json::json!({
            "transferJob": {"logs": {"outputLog": "/o", "errorLog": "/e"}},
            "transferDirectives": {"downloadUrl": "http://s3/b/k?X-Amz-Signature=s3cr3t"}
        });
        let e = TransferJob::from_answer("cluster", &answer).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Json);
        assert!(e.message().contains("/o"), "{e}");
        assert!(!e.message().contains("s3cr3t"), "{e}");
    }

    #[test]
    fn states() {
        assert_eq!(classify("PENDING"), JobState::Pending);
        assert_eq!(classify("RUNNING"), JobState::Running("RUNNING".into()));
        assert_eq!(
            classify("CANCELLED by 1002"),
            JobState::Finished("CANCELLED by 1002".into())
        );
        assert_eq!(
            classify("COMPLETED,RUNNING"),
            JobState::Running("COMPLETED,RUNNING".into())
        );
        assert_eq!(classify("F"), JobState::Finished("F".into()));
    }

    #[test]
    fn account_only_when_the_directives_ask() {
        let sys =
            |d: Value| serde_json::json!({"dataOperation": {"datatransfer_jobs_directives": d}});
        assert!(!needs_account(&sys(serde_json::json!([
            "#SBATCH --nodes=1"
        ]))));
        assert!(needs_account(&sys(serde_json::json!([
            "#SBATCH --account={account}"
        ]))));
        let info = serde_json::json!({"accounts": [{"name": "a", "default": false},
                                                   {"name": "b", "default": true}]});
        assert_eq!(default_account(&info).as_deref(), Some("b"));
        assert_eq!(
            default_account(&serde_json::json!({"accounts": null})),
            None
        );
    }

    #[test]
    fn tail_of_long_text() {
        assert_eq!(last_chars("abcdef", 3), "def");
        assert_eq!(last_chars("ab", 3), "ab");
    }
}
