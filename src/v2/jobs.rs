//! v2 transfer jobs (cp, mv, rm, upload, download): every one is a scheduler job whose success
//! is judged from its final state AND a success line in its output log, because a failing
//! `job_copy.sh` still ends COMPLETED with exit code 0 on a real server.

use super::http;
use super::V2;
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::{poll, Look, UNKNOWN_GRACE};
use crate::session::Session;
use crate::types::{JobInfo, JobState};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Success lines the server's job scripts write into `outputLog`.
pub(crate) const FILES_DONE: &str = "Files were successfully";
pub(crate) const INGRESS_DONE: &str = "File was successfully downloaded";
pub(crate) const EGRESS_DONE: &str = "Multipart file upload successfully completed";

/// One look at a transfer job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seen {
    /// The scheduler does not list it (yet).
    Unknown,
    Pending,
    Running,
    /// Final, with the scheduler's word.
    Finished(String),
}

/// `GET /compute/{system}/jobs/{id}` as a report; None for "Job not found." (404).
pub(crate) fn job_report(c: &Session, system: &str, job_id: &str) -> Result<Option<JobInfo>> {
    let path = format!(
        "/compute/{}/jobs/{}",
        http::segment(system)?,
        http::segment(job_id)?
    );
    let answer = match http::get(c, &path, &[], "") {
        Ok(reply) => reply.body,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    match answer["jobs"].as_array().and_then(|jobs| jobs.first()) {
        Some(job) => job_info(job).map(Some),
        None => Ok(None),
    }
}

/// A v2 `Job` as the shared report.
pub(crate) fn job_info(job: &Value) -> Result<JobInfo> {
    let text = |v: &Value| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let state = job["status"]["state"].as_str().ok_or_else(|| {
        Error::new(
            ErrorKind::Json,
            format!("the job answer has no status.state: {}", job["jobId"]),
        )
    })?;
    let job_state = JobState::from_word(state);
    Ok(JobInfo {
        job_id: text(&job["jobId"]).unwrap_or_default(),
        name: text(&job["name"]).unwrap_or_default(),
        state: state.to_string(),
        state_code: job_state.code(),
        user: text(&job["user"]),
        account: text(&job["account"]),
        partition: text(&job["partition"]),
        nodes: text(&job["nodes"]),
        working_directory: text(&job["workingDirectory"]),
        exit_code: job["status"]["exitCode"]
            .as_i64()
            .filter(|_| job_state.is_final())
            .map(|c| c as i32),
        start_time: text(&job["time"]["start"]),
        end_time: text(&job["time"]["end"]),
        stdout: None,
        stderr: None,
        script: None,
    })
}

/// A submitted transfer job (`transferJob` of a 201 answer).
#[derive(Debug, Clone)]
pub(crate) struct TransferJob {
    pub(crate) system: String,
    pub(crate) job_id: String,
    pub(crate) output_log: String,
    pub(crate) error_log: String,
    submitted: Instant,
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
    pub(crate) fn state(&self, c: &Session) -> Result<Seen> {
        let what = format!("transfer job {}", self.job_id);
        match job_report(c, &self.system, &self.job_id).map_err(|e| e.context(&what))? {
            None if self.submitted.elapsed() < UNKNOWN_GRACE => Ok(Seen::Unknown),
            None => Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "{what} is still unknown to the scheduler {} s after submission",
                    UNKNOWN_GRACE.as_secs()
                ),
            )),
            Some(info) => Ok(match info.job_state() {
                s if s.is_final() => Seen::Finished(info.state),
                JobState::Pending => Seen::Pending,
                _ => Seen::Running,
            }),
        }
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

    /// Polls with backoff until the job ends (however long it takes), then judges it.
    pub(crate) fn wait(&self, c: &Session, success_line: &str) -> Result<()> {
        let what = format!("transfer job {}", self.job_id);
        let state = poll(c.options(), NO_LIMIT, &what, || {
            Ok(match self.state(c)? {
                Seen::Finished(state) => Look::Done(state),
                other => Look::NotYet(format!("{other:?}")),
            })
        })?;
        self.outcome(c, &state, success_line)
    }
}

/// "No limit" as a span no job outlives, so deadline arithmetic cannot overflow.
const NO_LIMIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

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

/// The scheduler account a transfer job names (every job-backed operation asks here): the
/// caller's `Options::transfer_account` when set; else, when the system's
/// `datatransfer_jobs_directives` use `{account}` (the server refuses jobs without one, 400),
/// the user's default account (`userinfo.accounts[].default`); otherwise none.
pub(crate) fn account(c: &V2, system: &str) -> Result<Option<String>> {
    if let Some(chosen) = &c.session.options().transfer_account {
        return Ok(Some(chosen.clone()));
    }
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
    fn states_as_firecrest_judges_them() {
        assert_eq!(JobState::from_word("PENDING"), JobState::Pending);
        assert_eq!(JobState::from_word("RUNNING"), JobState::Running);
        assert_eq!(
            JobState::from_word("CANCELLED by 1002"),
            JobState::Cancelled
        );
        assert_eq!(JobState::from_word("COMPLETED,RUNNING"), JobState::Running);
        assert_eq!(JobState::from_word("COMPLETED,FAILED"), JobState::Completed);
        assert_eq!(JobState::from_word("F"), JobState::OtherFinal);
        assert_eq!(JobState::from_word("Q"), JobState::Pending);
        assert_eq!(JobState::from_word("WHATEVER"), JobState::Other);
        assert!(!JobState::Other.is_final());
        assert!(JobState::Timeout.is_final());
    }

    #[test]
    fn a_v2_job_as_a_report() {
        let job = serde_json::json!({"jobId": "42", "name": "quick-job",
            "status": {"state": "FAILED", "stateReason": "NonZeroExitCode", "exitCode": 3},
            "time": {"start": 1795715506, "end": 1795715507}, "account": "proj",
            "user": "fireuser", "workingDirectory": "/home/u", "partition": "normal",
            "nodes": "localhost"});
        let info = job_info(&job).unwrap();
        assert_eq!((info.job_id.as_str(), info.exit_code), ("42", Some(3)));
        assert_eq!(info.job_state(), JobState::Failed);
        assert_eq!(info.state_code, JobState::Failed.code());
        assert_eq!(info.start_time.as_deref(), Some("1795715506"));
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
