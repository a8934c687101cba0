//! v2 external transfers as `Transfer` backends: S3 multipart upload followed by the ingress job,
//! and the egress job followed by a presigned GET. The transfer states (v1's status integers)
//! are derived from the client's own progress and the job:
//! upload 111 until the client has sent the parts (the part URLs come with the 201, so 110 is
//! never seen), 112 once S3 completed the object and the job is not running yet, 113 while it
//! runs, 114/115 from its end and log; download 116 while the job runs, 117/118 from its end.
//!
//! `invalidate` is `Unsupported`: v2 cannot revoke a presigned URL; it stays valid for the
//! system's `ttl` and the object expires with the bucket's lifecycle rule.

use super::jobs::{self, Seen, TransferJob};
use super::multipart::{self, Plan};
use super::{check_path, http, segment, V2};
use crate::api::Api;
use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use crate::transfers::{upload_source_size, Backend, Direction, Transfer, TransferState};
use crate::transport::Method;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use TransferState::{
    DownloadFailed, DownloadReady, DownloadStaging, UploadDone, UploadFailed, UploadInStaging,
    UploadMoving, UploadUrlReady,
};

pub(crate) fn external_upload(
    c: &V2,
    system: &str,
    local_path: &Path,
    remote_path: &str,
) -> Result<Transfer> {
    check_path(remote_path)?;
    let size = upload_source_size(local_path)?;
    if size == 0 {
        return Err(Error::invalid_argument(
            "the file is empty, and S3 multipart uploads need at least one byte; \
             use simple_upload for empty and small files",
        ));
    }
    let target = upload_target(c, system, local_path, remote_path)?;
    let what = format!(
        "external_upload {} -> {system}:{target}",
        local_path.display()
    );
    let directives = json!({"transferMethod": "s3", "fileSize": size});
    let (job, directives) = submit(c, system, "upload", &target, directives)?;
    let plan = Plan {
        part_urls: directives["partsUploadUrls"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u.as_str().map(str::to_string))
            .collect(),
        complete_url: required_url(&directives, "completeUploadUrl")?,
        part_size: directives["maxPartSize"].as_u64().unwrap_or(0),
        size,
    };
    plan.check()?;
    let side = Side::Upload {
        local_path: local_path.to_path_buf(),
        plan,
        sent: false,
    };
    Ok(JobTransfer::start(c, what, job, directives, side))
}

pub(crate) fn external_download(c: &V2, system: &str, remote_path: &str) -> Result<Transfer> {
    let what = format!("external_download {system}:{remote_path}");
    check_path(remote_path)?;
    let directives = json!({"transferMethod": "s3"});
    let (job, directives) = submit(c, system, "download", remote_path, directives)?;
    let url = required_url(&directives, "downloadUrl")?;
    Ok(JobTransfer::start(
        c,
        what,
        job,
        directives,
        Side::Download { url },
    ))
}

/// The file path an upload to `remote_path` writes. v2's ingress job refuses a directory as
/// its target, and only after the whole file has been staged; v1 and `cp` put the file inside
/// the directory under its own name. Asking first gives both versions that one meaning.
fn upload_target(c: &V2, system: &str, local_path: &Path, remote_path: &str) -> Result<String> {
    match c.stat(system, remote_path, true) {
        Ok(stat) if is_directory(stat.mode) => {
            let name = local_path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::invalid_argument("the local file name is not UTF-8"))?;
            let target = format!("{}/{name}", remote_path.trim_end_matches('/'));
            check_path(&target)?;
            Ok(target)
        }
        Ok(_) => Ok(remote_path.to_string()),
        // A new file: the job creates it (or reports why it cannot).
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(remote_path.to_string()),
        Err(e) => Err(e),
    }
}

/// `S_IFDIR` in a `stat` mode.
fn is_directory(mode: i64) -> bool {
    mode & 0o170000 == 0o040000
}

/// POST `transfer/{op}`: the job and the answer's `transferDirectives`.
fn submit(
    c: &V2,
    system: &str,
    op: &str,
    remote_path: &str,
    directives: Value,
) -> Result<(TransferJob, Value)> {
    let path = format!("/filesystem/{}/transfer/{op}", segment(system)?);
    let mut body = json!({"path": remote_path, "transferDirectives": directives});
    if let Some(account) = jobs::account(c, system)? {
        body["account"] = json!(account);
    }
    let answer = http::send_json(&c.session, Method::Post, &path, body, "")?.body;
    let job = TransferJob::from_answer(system, &answer)?;
    Ok((job, camel_case_keys(answer["transferDirectives"].clone())))
}

/// Servers before 2.5.0 spelled the directives' keys in snake_case (`parts_upload_urls`), later
/// ones in camelCase; both are read as camelCase, as pyfirecrest does.
fn camel_case_keys(directives: Value) -> Value {
    let Value::Object(map) = directives else {
        return directives;
    };
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        let mut camel = String::with_capacity(key.len());
        let mut upper = false;
        for ch in key.chars() {
            match ch {
                '_' if !camel.is_empty() => upper = true,
                _ if upper => {
                    camel.extend(ch.to_uppercase());
                    upper = false;
                }
                _ => camel.push(ch),
            }
        }
        // A server that sent both spellings: the camelCase one wins.
        if camel == key || !out.contains_key(&camel) {
            out.insert(camel, value);
        }
    }
    Value::Object(out)
}

fn required_url(directives: &Value, key: &str) -> Result<String> {
    match directives[key].as_str() {
        Some(url) if !url.is_empty() => Ok(url.to_string()),
        _ => Err(Error::new(
            ErrorKind::Json,
            format!("the server's answer has no {key}"),
        )),
    }
}

/// A v2 external transfer: the job, and what only one direction has.
struct JobTransfer {
    session: Arc<Session>,
    what: String,
    job: TransferJob,
    directives: Value,
    side: Side,
    status: TransferState,
    failure: String,
}

enum Side {
    Upload {
        local_path: PathBuf,
        plan: Plan,
        sent: bool,
    },
    Download {
        url: String,
    },
}

impl JobTransfer {
    fn start(c: &V2, what: String, job: TransferJob, directives: Value, side: Side) -> Transfer {
        let (direction, status) = match side {
            Side::Upload { .. } => (Direction::Upload, UploadUrlReady),
            Side::Download { .. } => (Direction::Download, DownloadStaging),
        };
        let backend = JobTransfer {
            session: Arc::clone(&c.session),
            what,
            job,
            directives,
            side,
            status,
            failure: String::new(),
        };
        Transfer::new(&c.session, direction, Box::new(backend), status)
    }

    fn wrong_direction(&self, op: &str) -> Error {
        Error::new(
            ErrorKind::InvalidState,
            format!("{}: {op} does not apply to this direction", self.what),
        )
    }
}

fn is_final(status: TransferState) -> bool {
    matches!(
        status,
        UploadDone | UploadFailed | DownloadReady | DownloadFailed
    )
}

impl Backend for JobTransfer {
    /// No request before the upload is sent (the job only waits for the object); then one
    /// look at the job: unknown/pending, running, or its verdict from state and log.
    fn poll(&mut self) -> Result<TransferState> {
        let (line, [waiting, running, ok, failed]) = match &self.side {
            Side::Upload { sent: false, .. } => return Ok(self.status),
            Side::Upload { .. } => (
                jobs::INGRESS_DONE,
                [UploadInStaging, UploadMoving, UploadDone, UploadFailed],
            ),
            Side::Download { .. } => (
                jobs::EGRESS_DONE,
                [
                    DownloadStaging,
                    DownloadStaging,
                    DownloadReady,
                    DownloadFailed,
                ],
            ),
        };
        if is_final(self.status) {
            return Ok(self.status);
        }
        let c = &self.session;
        let state = self.job.state(c).map_err(|e| e.context(&self.what))?;
        self.status = match state {
            Seen::Unknown | Seen::Pending => waiting,
            Seen::Running => running,
            Seen::Finished(state) => match self.job.outcome(c, &state, line) {
                Ok(()) => ok,
                Err(e) if e.kind() == ErrorKind::TaskFailed => {
                    self.failure = e.message().to_string();
                    failed
                }
                Err(e) => return Err(e.context(&self.what)),
            },
        };
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
        let Side::Upload {
            local_path,
            plan,
            sent,
        } = &mut self.side
        else {
            return Err(self.wrong_direction("finish_upload"));
        };
        if *sent {
            return Err(Error::new(
                ErrorKind::InvalidState,
                format!("{}: the file was already sent", self.what),
            ));
        }
        let now = std::fs::metadata(&*local_path)
            .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {e}", self.what)))?
            .len();
        if now != plan.size {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "{}: the file changed size since the transfer started ({} → {now} bytes)",
                    self.what, plan.size
                ),
            ));
        }
        multipart::upload(&self.session, local_path, plan, &self.what, progress)?;
        *sent = true;
        self.status = UploadInStaging;
        Ok(())
    }

    fn download_url(&mut self) -> Result<String> {
        match &self.side {
            Side::Download { url } if self.status == DownloadReady => Ok(url.clone()),
            Side::Download { .. } => Err(Error::new(
                ErrorKind::InvalidState,
                format!(
                    "{}: the staged object is not ready (status {})",
                    self.what, self.status
                ),
            )),
            Side::Upload { .. } => Err(Error::new(
                ErrorKind::InvalidState,
                format!(
                    "{}: a v2 upload has one presigned URL per part, not one link; \
                     object_storage_data lists them (partsUploadUrls, completeUploadUrl)",
                    self.what
                ),
            )),
        }
    }

    /// v2 cannot revoke a presigned URL (see the module comment).
    fn invalidate(&mut self) -> Result<()> {
        Err(Error::unsupported(format!(
            "{}: FirecREST v2 cannot invalidate a presigned URL; it stays valid until the \
             system's ttl passes and the staged object expires with the bucket's lifecycle rule",
            self.what
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_in_either_spelling() {
        let old = json!({"transfer_method": "s3", "parts_upload_urls": ["u"],
                         "complete_upload_url": "c", "max_part_size": 5});
        let new = json!({"transferMethod": "s3", "partsUploadUrls": ["u"],
                         "completeUploadUrl": "c", "maxPartSize": 5});
        assert_eq!(camel_case_keys(old), new);
        assert_eq!(camel_case_keys(new.clone()), new);
        let both = json!({"download_url": "old", "downloadUrl": "new"});
        assert_eq!(camel_case_keys(both)["downloadUrl"], "new");
        assert_eq!(camel_case_keys(json!(null)), json!(null));
    }
}
