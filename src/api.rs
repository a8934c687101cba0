//! The table of operations: what every FirecREST API version implements, once each (`v1`,
//! `v2`). Arguments arrive checked and errors leave without the operation's name: the client
//! above does both, the same way for every version.

use crate::error::Result;
use crate::transfers::{DownloadSink, Transfer};
use crate::transport::Stream;
use crate::types::*;
use std::path::Path;

pub(crate) trait Api: Send + Sync {
    fn version(&self) -> ApiVersion;

    // ---- status and identity
    fn all_services(&self) -> Result<Vec<Service>>;
    fn service(&self, name: &str) -> Result<Service>;
    fn all_systems(&self) -> Result<Vec<System>>;
    fn system(&self, system: &str) -> Result<System>;
    fn parameters(&self) -> Result<Parameters>;
    fn filesystems(&self, system: Option<&str>) -> Result<serde_json::Value>;
    fn whoami(&self, system: &str) -> Result<String>;
    fn groups(&self, system: &str) -> Result<UserGroups>;

    // ---- the scheduler's view of a system
    fn nodes(&self, system: &str) -> Result<Vec<Node>>;
    fn partitions(&self, system: &str) -> Result<Vec<Partition>>;
    fn reservations(&self, system: &str) -> Result<Vec<Reservation>>;

    // ---- files on a system
    /// Each entry is handed to `read` as soon as it is read, while it still borrows from the
    /// server's answer, so that each caller makes only what it needs from it (an owned entry,
    /// or C's JSON). On an error, `read` may have had some entries already.
    fn list_files(
        &self,
        system: &str,
        path: &str,
        options: ListOptions,
        read: &mut dyn FnMut(&FileEntryRef<'_>),
    ) -> Result<()>;
    fn mkdir(&self, system: &str, path: &str, parents: bool) -> Result<()>;
    fn mv(&self, system: &str, source: &str, target: &str) -> Result<()>;
    fn copy(&self, system: &str, source: &str, target: &str) -> Result<()>;
    fn chmod(&self, system: &str, path: &str, mode: &str) -> Result<()>;
    /// At least one of `owner` and `group` is given (and non-empty).
    fn chown(
        &self,
        system: &str,
        path: &str,
        owner: Option<&str>,
        group: Option<&str>,
    ) -> Result<()>;
    fn remove(&self, system: &str, path: &str) -> Result<()>;
    fn symlink(&self, system: &str, target: &str, link_path: &str) -> Result<()>;
    fn file_type(&self, system: &str, path: &str) -> Result<String>;
    fn stat(&self, system: &str, path: &str, dereference: bool) -> Result<Stat>;
    fn checksum(&self, system: &str, path: &str) -> Result<String>;
    fn head(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String>;
    fn tail(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String>;
    fn view(&self, system: &str, path: &str) -> Result<String>;
    /// A gzip-compressed tar of `source` (relative to its parent directory) at `target`.
    fn compress(
        &self,
        system: &str,
        source: &str,
        target: &str,
        options: &CompressOptions,
    ) -> Result<()>;
    /// Extracts the gzip-compressed tar `source` into the existing directory `target_dir`.
    fn extract(&self, system: &str, source: &str, target_dir: &str) -> Result<()>;
    /// `body` is a file range (sent again after a 429/503 or a refused token) or a one-shot
    /// reader (sent once).
    fn simple_upload(
        &self,
        system: &str,
        body: Stream<'_>,
        remote_dir: &str,
        filename: &str,
    ) -> Result<()>;
    /// A download cut mid-body is sent again within the transport's budget, resumed with
    /// `Range` where the server honours it, else started over in `sink` if it can be.
    fn simple_download(
        &self,
        system: &str,
        remote_path: &str,
        sink: &mut dyn DownloadSink,
    ) -> Result<u64>;

    // ---- v1 tasks
    fn task(&self, task_id: &str) -> Result<Task>;
    fn tasks(&self, task_ids: Option<&[&str]>) -> Result<Vec<Task>>;

    // ---- external (staged) transfers; the local file is a readable regular file
    fn external_upload(
        &self,
        system: &str,
        local_path: &Path,
        remote_path: &str,
    ) -> Result<Transfer>;
    fn external_download(&self, system: &str, remote_path: &str) -> Result<Transfer>;

    // ---- batch jobs; `spec` is checked (a working directory, a non-empty script) and its
    // script is text or a remote path: the client reads a local script itself

    /// The new job's id.
    fn submit_job(&self, system: &str, spec: &JobSpec) -> Result<String>;
    /// None: the scheduler does not list the job (not yet, or not at all).
    fn job_info(&self, system: &str, job_id: &str) -> Result<Option<JobInfo>>;
    /// The user's jobs on `system`; `filter.name` is checked (not empty).
    fn jobs(&self, system: &str, filter: &JobFilter) -> Result<Vec<JobInfo>>;
    fn cancel_job(&self, system: &str, job_id: &str) -> Result<()>;
    /// `info` with what the scheduler knows of the job's files where the server says it
    /// separately (v2's metadata: the script, standard output and error paths).
    fn job_metadata(&self, system: &str, info: JobInfo) -> Result<JobInfo>;
    /// Runs `command` in the context of the running job (`srun --jobid`).
    fn attach_job(&self, system: &str, job_id: &str, command: &str) -> Result<()>;
}

/// A local script reaching an API version: `Client::submit_job` reads it into text first.
pub(crate) fn local_script_unread() -> crate::error::Error {
    crate::error::Error::new(
        crate::error::ErrorKind::Internal,
        "a local job script reached the API unread",
    )
}
