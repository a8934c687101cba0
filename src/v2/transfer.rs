//! v2 external transfers as `Transfer` backends: S3 multipart upload followed by the ingress job,
//! and the egress job followed by a presigned GET. The v1 status integers are derived from the
//! client's own progress and the job (C_API.md "Transfer status integers"):
//! upload 111 until the client has sent the parts (the part URLs come with the 201, so 110 is
//! never seen), 112 once S3 completed the object and the job is not running yet, 113 while it
//! runs, 114/115 from its end and log; download 116 while the job runs, 117/118 from its end.
//!
//! `invalidate` is `Unsupported`: v2 cannot revoke a presigned URL; it stays valid for the
//! system's `ttl` and the object expires with the bucket's lifecycle rule.

use super::jobs::{self, JobState, TransferJob};
use super::multipart::{self, Plan};
use super::{check_path, http, segment};
use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::transfers::*;
use crate::transport::Method;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

pub(crate) fn start_upload(
    c: &Client,
    system: &str,
    local_path: &Path,
    remote_path: &str,
) -> Result<Transfer> {
    let what = format!(
        "external_upload {} -> {system}:{remote_path}",
        local_path.display()
    );
    check_path(&what, remote_path)?;
    let meta = std::fs::metadata(local_path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("{what}: {e}")))?;
    if !meta.is_file() {
        return Err(Error::invalid_argument(format!(
            "{what}: the local path is not a regular file"
        )));
    }
    let size = meta.len();
    if size == 0 {
        return Err(Error::invalid_argument(format!(
            "{what}: the file is empty, and S3 multipart uploads need at least one byte; \
             use simple_upload for empty and small files"
        )));
    }
    let path = format!("/filesystem/{}/transfer/upload", segment(system)?);
    let body = json!({
        "path": remote_path,
        "transferDirectives": {"transferMethod": "s3", "fileSize": size},
    });
    let answer = http::send_json(c, Method::Post, &path, body, &what)?.body;
    let job = TransferJob::from_answer(system, &answer).map_err(|e| e.context(&what))?;
    let directives = answer["transferDirectives"].clone();
    let plan = Plan {
        part_urls: directives["partsUploadUrls"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(str::to_string))
            .collect(),
        complete_url: directives["completeUploadUrl"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        part_size: directives["maxPartSize"].as_u64().unwrap_or(0),
        size,
    };
    plan.check().map_err(|e| e.context(&what))?;
    if plan.complete_url.is_empty() {
        return Err(Error::new(
            ErrorKind::Json,
            format!("{what}: the server's answer has no completeUploadUrl"),
        ));
    }
    let backend = Upload {
        client: c.clone(),
        local_path: local_path.to_path_buf(),
        what,
        job,
        plan,
        directives,
        sent: false,
        status: UPLOAD_URL_READY,
        failure: String::new(),
    };
    Ok(Transfer::new(
        c,
        Direction::Upload,
        Box::new(backend),
        UPLOAD_URL_READY,
    ))
}

pub(crate) fn start_download(c: &Client, system: &str, remote_path: &str) -> Result<Transfer> {
    let what = format!("external_download {system}:{remote_path}");
    check_path(&what, remote_path)?;
    let path = format!("/filesystem/{}/transfer/download", segment(system)?);
    let body = json!({"path": remote_path, "transferDirectives": {"transferMethod": "s3"}});
    let answer = http::send_json(c, Method::Post, &path, body, &what)?.body;
    let job = TransferJob::from_answer(system, &answer).map_err(|e| e.context(&what))?;
    let directives = answer["transferDirectives"].clone();
    let url = directives["downloadUrl"]
        .as_str()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Json,
                format!("{what}: the server's answer has no downloadUrl"),
            )
        })?
        .to_string();
    let backend = Download {
        client: c.clone(),
        what,
        job,
        url,
        directives,
        status: DOWNLOAD_STAGING,
        failure: String::new(),
    };
    Ok(Transfer::new(
        c,
        Direction::Download,
        Box::new(backend),
        DOWNLOAD_STAGING,
    ))
}

struct Upload {
    client: Client,
    local_path: PathBuf,
    what: String,
    job: TransferJob,
    plan: Plan,
    directives: Value,
    sent: bool,
    status: i32,
    failure: String,
}

struct Download {
    client: Client,
    what: String,
    job: TransferJob,
    url: String,
    directives: Value,
    status: i32,
    failure: String,
}

/// One look at the job: `running` while it is unknown, pending or running; at its end the
/// verdict from its state and log (`ok` or `failed`, with the failure text kept).
fn judge(
    c: &Client,
    job: &TransferJob,
    success_line: &str,
    [waiting, running, ok, failed]: [i32; 4],
    failure: &mut String,
) -> Result<i32> {
    Ok(match job.state(c)? {
        JobState::Unknown | JobState::Pending => waiting,
        JobState::Running(_) => running,
        JobState::Finished(state) => match job.outcome(c, &state, success_line) {
            Ok(()) => ok,
            Err(e) if e.kind() == ErrorKind::TaskFailed => {
                *failure = e.message().to_string();
                failed
            }
            Err(e) => return Err(e),
        },
    })
}

fn is_final(status: i32) -> bool {
    matches!(
        status,
        UPLOAD_DONE | UPLOAD_FAILED | DOWNLOAD_READY | DOWNLOAD_FAILED
    )
}

fn no_invalidate(what: &str) -> Error {
    Error::unsupported(format!(
        "{what}: FirecREST v2 cannot invalidate a presigned URL; it stays valid until the \
         system's ttl passes and the staged object expires with the bucket's lifecycle rule"
    ))
}

impl Backend for Upload {
    fn poll(&mut self) -> Result<i32> {
        if self.sent && !is_final(self.status) {
            let states = [UPLOAD_IN_STAGING, UPLOAD_MOVING, UPLOAD_DONE, UPLOAD_FAILED];
            let c = &self.client;
            self.status = judge(c, &self.job, jobs::INGRESS_DONE, states, &mut self.failure)
                .map_err(|e| e.context(&self.what))?;
        }
        Ok(self.status)
    }

    fn failure_message(&self) -> String {
        self.failure.clone()
    }

    fn describe(&self) -> String {
        format!("{} (job {})", self.what, self.job.job_id)
    }

    fn object_storage_data(&mut self) -> Result<Value> {
        Ok(self.directives.clone())
    }

    fn finish_upload(&mut self, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<()> {
        if self.sent {
            return Err(Error::new(
                ErrorKind::InvalidState,
                format!("{}: the file was already sent", self.what),
            ));
        }
        let now = std::fs::metadata(&self.local_path)
            .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {e}", self.what)))?
            .len();
        if now != self.plan.size {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "{}: the file changed size since the transfer started ({} → {now} bytes)",
                    self.what, self.plan.size
                ),
            ));
        }
        multipart::upload(
            &self.client,
            &self.local_path,
            &self.plan,
            &self.what,
            progress,
        )?;
        self.sent = true;
        self.status = UPLOAD_IN_STAGING;
        Ok(())
    }

    fn download_url(&mut self) -> Result<String> {
        Err(Error::new(
            ErrorKind::InvalidState,
            format!("{}: an upload has no download URL", self.what),
        ))
    }

    fn invalidate(&mut self) -> Result<()> {
        Err(no_invalidate(&self.what))
    }
}

impl Backend for Download {
    fn poll(&mut self) -> Result<i32> {
        if !is_final(self.status) {
            let states = [
                DOWNLOAD_STAGING,
                DOWNLOAD_STAGING,
                DOWNLOAD_READY,
                DOWNLOAD_FAILED,
            ];
            let c = &self.client;
            self.status = judge(c, &self.job, jobs::EGRESS_DONE, states, &mut self.failure)
                .map_err(|e| e.context(&self.what))?;
        }
        Ok(self.status)
    }

    fn failure_message(&self) -> String {
        self.failure.clone()
    }

    fn describe(&self) -> String {
        format!("{} (job {})", self.what, self.job.job_id)
    }

    fn object_storage_data(&mut self) -> Result<Value> {
        Ok(self.directives.clone())
    }

    fn finish_upload(&mut self, _progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<()> {
        Err(Error::new(
            ErrorKind::InvalidState,
            format!("{}: finish_upload on a download", self.what),
        ))
    }

    fn download_url(&mut self) -> Result<String> {
        if self.status == DOWNLOAD_READY {
            Ok(self.url.clone())
        } else {
            Err(Error::new(
                ErrorKind::InvalidState,
                format!(
                    "{}: the staged object is not ready (status {})",
                    self.what, self.status
                ),
            ))
        }
    }

    fn invalidate(&mut self) -> Result<()> {
        Err(no_invalidate(&self.what))
    }
}
