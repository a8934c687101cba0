//! The transfer model shared by v1 and v2: one handle, followed by polling the v1 status integers
//! (../shared/C_API.md "Transfer status integers"). On v2 the integers are derived from the
//! client's own progress and the transfer job's state.
//!
//! CONTRACT (skeleton): constants and the public methods of `Transfer` are fixed; the bodies are
//! filled in by the client work (issues 3 and 6).

use crate::error::Result;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

pub const TASK_QUEUED: i32 = 100;
pub const UPLOAD_WAITING_URL: i32 = 110;
pub const UPLOAD_URL_READY: i32 = 111;
pub const UPLOAD_IN_STAGING: i32 = 112;
pub const UPLOAD_MOVING: i32 = 113;
pub const UPLOAD_DONE: i32 = 114;
pub const UPLOAD_FAILED: i32 = 115;
pub const DOWNLOAD_STAGING: i32 = 116;
pub const DOWNLOAD_READY: i32 = 117;
pub const DOWNLOAD_FAILED: i32 = 118;
pub const TASK_DONE: i32 = 200;
pub const TASK_INVALIDATED: i32 = 302;
pub const TASK_FAILED: i32 = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upload,
    Download,
}

/// Progress callback: (bytes done, bytes total). Returning `false` aborts the transfer with
/// `ErrorKind::AbortedByCallback`.
pub type ProgressFn = Box<dyn FnMut(u64, u64) -> bool + Send>;

/// An external upload or download in progress. Used from one thread at a time.
pub struct Transfer {
    pub(crate) direction: Direction,
}

/// pyfirecrest's names for the two kinds of handle.
pub type ExternalUpload = Transfer;
pub type ExternalDownload = Transfer;

#[allow(unused_variables)]
impl Transfer {
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Asks the server once; returns the status integer (a failure status is a value here).
    pub fn status(&mut self) -> Result<i32> {
        todo!()
    }

    /// The status seen by the last `status`/`wait`, without a request.
    pub fn last_status(&self) -> i32 {
        todo!()
    }

    /// Polls with backoff until the status is `until`, or a terminal status is reached.
    /// Success terminal (114, 117, 200) or `until` → Ok(status); failure terminal (115, 118,
    /// 400, 302) → Err(TaskFailed) carrying the task's message; `timeout` → Err(Timeout).
    pub fn wait(&mut self, until: i32, timeout: Duration) -> Result<i32> {
        todo!()
    }

    /// The staging instructions: v1 `data.msg.parameters` (upload) or `data` (download);
    /// v2 `transferDirectives`.
    pub fn object_storage_data(&mut self) -> Result<serde_json::Value> {
        todo!()
    }

    /// Sends the local file to the staging area (v1 presigned form / v2 multipart parts).
    pub fn finish_upload(&mut self) -> Result<()> {
        todo!()
    }

    /// Waits for the link, then streams it into a temporary file beside `local_path`, renamed
    /// only when complete; resumes with `Range` after a dropped connection.
    pub fn finish_download(&mut self, local_path: &Path) -> Result<()> {
        todo!()
    }

    pub fn finish_download_to(&mut self, writer: &mut dyn Write) -> Result<u64> {
        todo!()
    }

    /// The presigned URL of the staged object (download: once ready).
    pub fn object_storage_link(&mut self) -> Result<String> {
        todo!()
    }

    pub fn invalidate_object_storage_link(&mut self) -> Result<()> {
        todo!()
    }

    pub fn set_progress(&mut self, progress: Option<ProgressFn>) {
        todo!()
    }
}

/// What differs between v1 (tasks, one presigned form) and v2 (jobs, S3 multipart). `Transfer`
/// holds one of these and does the shared work itself: the wait loop with backoff, streaming the
/// staged object to disk with `Range` resume, progress, integrity.
#[allow(dead_code)]
pub(crate) trait Backend: Send {
    /// One request to the server; the current status integer.
    fn poll(&mut self) -> Result<i32>;
    /// The message explaining a failure status (the task's or job's error text).
    fn failure_message(&self) -> String;
    fn object_storage_data(&mut self) -> Result<serde_json::Value>;
    /// Upload only: send the local file to the staging area.
    fn finish_upload(&mut self, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<()>;
    /// Download only: the presigned URL of the staged object, once the status says it is ready.
    fn download_url(&mut self) -> Result<String>;
    fn invalidate(&mut self) -> Result<()>;
}
