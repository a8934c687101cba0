//! The blocking client. One `Client` serves FirecREST v1 and v2: it learns the server's API
//! version (or takes it from `Options`), checks every argument the same way for both, hands
//! the operation to that version's implementation of the operation table (`api::Api`), and
//! names the operation, system and path in any error that comes back.

use crate::api::Api;
use crate::auth::Auth;
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::Job;
pub use crate::options::Options;
use crate::session::Session;
use crate::transfers::{self, Transfer};
use crate::transport::{Request, Stream};
use crate::types::*;
use crate::v1::V1;
use crate::v2::V2;
use once_cell::sync::OnceCell;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

mod dirs;

/// A FirecREST client: thread-safe, cheap to clone (clones share the connection pool, the
/// token cache and what was learnt about the server).
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    session: Arc<Session>,
    /// The server's API version's operations, chosen on first use (shared with job handles).
    api: OnceCell<Arc<dyn Api>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.session.base_url())
            .field("auth", self.inner.session.auth())
            .field("api_version", &self.known_api_version())
            .finish()
    }
}

/// An argument that must not be empty (nor carry a NUL, which no server can take).
fn require(name: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        Err(Error::invalid_argument(format!("{name} is empty")))
    } else if value.contains('\0') {
        Err(Error::invalid_argument(format!(
            "{name} contains a NUL character: {:?}",
            shown(value)
        )))
    } else {
        Ok(())
    }
}

/// A system name: one URL path segment on v2 and a header value on v1, so the same characters
/// are accepted on both (letters, digits, '-', '_', '.').
fn require_system(system: &str) -> Result<()> {
    require("system", system)?;
    let ok = system
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok && system != "." && system != ".." {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "invalid system name {:?}: letters, digits, '-', '_' and '.' only",
            shown(system)
        )))
    }
}

/// A name inside a directory: one path component, not `.` or `..` (the server would store it
/// under another name, or outside the directory).
fn require_file_name(name: &str) -> Result<()> {
    require("filename", name)?;
    if name.contains('/') || name == "." || name == ".." {
        return Err(Error::invalid_argument(format!(
            "filename {:?} must be a plain file name (no '/', not '.' or '..')",
            shown(name)
        )));
    }
    Ok(())
}

/// An argument as a message quotes it: at most 200 characters, so that a huge argument does
/// not make a huge message.
fn shown(arg: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 200;
    match arg.char_indices().nth(MAX) {
        None => arg.into(),
        Some((end, _)) => format!("{}…({} bytes)", &arg[..end], arg.len()).into(),
    }
}

/// A batch script with something in it.
fn require_script(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::invalid_argument("the job script is empty"));
    }
    require("script", text)
}

/// A scheduler's job id: letters, digits and `_`, `.`, `-` (array and PBS ids).
fn require_job_id(id: &str) -> Result<()> {
    require("job_id", id)?;
    if id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "invalid job id {:?}: letters, digits, '_', '.' and '-' only",
            shown(id)
        )))
    }
}

/// Runs `f` with `id` as the `X-Correlation-ID` of every request the calling thread makes
/// inside it, whatever client makes them (pyfirecrest's `correlation_id` context manager). The
/// id must be a UUID: FirecREST v2 refuses any other (HTTP 400).
///
/// ```
/// # fn main() -> firecrest::Result<()> {
/// let seen = firecrest::with_correlation_id("2b1c7e4c-5a0e-4d38-9d0c-6f7e3f1b9a11", || 42)?;
/// assert_eq!(seen, 42);
/// # Ok(())
/// # }
/// ```
pub fn with_correlation_id<T>(id: &str, f: impl FnOnce() -> T) -> Result<T> {
    crate::transport::correlation::check("correlation id", id)?;
    Ok(crate::transport::correlation::with_id(id.to_string(), f))
}

fn require_system_path(system: &str, path: &str) -> Result<()> {
    require_system(system)?;
    require("path", path)
}

impl Client {
    pub fn new(firecrest_url: &str, auth: Auth, options: Options) -> Result<Client> {
        let forced = options.api_version;
        let session = Arc::new(Session::new(firecrest_url, auth, options)?);
        let api = OnceCell::new();
        if let Some(version) = forced {
            let _ = api.set(api_for(&session, version, None));
        }
        Ok(Client {
            inner: Arc::new(ClientInner { session, api }),
        })
    }

    /// `FIRECREST_URL`, `FIRECREST_CLIENT_ID`, `FIRECREST_CLIENT_SECRET`, `AUTH_TOKEN_URL`.
    pub fn from_env(options: Options) -> Result<Client> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Error::invalid_argument(format!("environment variable {name} is not set"))
                })
        };
        let auth = Auth::client_credentials(
            var("FIRECREST_CLIENT_ID")?,
            var("FIRECREST_CLIENT_SECRET")?,
            var("AUTH_TOKEN_URL")?,
        );
        Client::new(&var("FIRECREST_URL")?, auth, options)
    }

    /// The server's API version, detected on first call (one request) unless forced.
    ///
    /// Detection asks `GET /status/systems`: v2 answers `{"systems": [...]}` with an
    /// `F7T-AppVersion` header, v1 answers `{"description": ..., "out": [...]}`.
    pub fn api_version(&self) -> Result<ApiVersion> {
        Ok(self.api()?.version())
    }

    /// The version if already known, without a request.
    pub fn known_api_version(&self) -> Option<ApiVersion> {
        self.inner.api.get().map(|a| a.version())
    }

    fn api(&self) -> Result<&dyn Api> {
        self.shared_api().map(|a| a.as_ref())
    }

    fn shared_api(&self) -> Result<&Arc<dyn Api>> {
        self.inner
            .api
            .get_or_try_init(|| detect(&self.inner.session))
    }

    /// Runs `op` on the server's API version; an error names `what` was being done.
    fn call<T>(
        &self,
        what: impl FnOnce() -> String,
        op: impl FnOnce(&dyn Api) -> Result<T>,
    ) -> Result<T> {
        self.inner
            .session
            .call(|| self.api().and_then(op))
            .map_err(|e| e.context(what()))
    }

    /// Compares the SHA-256 of a local file with the server's checksum of `remote_path`;
    /// Err(Io) if the file cannot be read, Ok(false) if they differ.
    pub fn verify_checksum(
        &self,
        system: &str,
        remote_path: &str,
        local_path: &Path,
    ) -> Result<bool> {
        let local = transfers::sha256_file(local_path)?;
        let remote = self.checksum(system, remote_path)?;
        Ok(remote.trim().eq_ignore_ascii_case(&local))
    }

    // ---- status and identity
    pub fn all_services(&self) -> Result<Vec<Service>> {
        self.call(|| "all_services".into(), |a| a.all_services())
    }
    pub fn service(&self, name: &str) -> Result<Service> {
        let what = || format!("service {name}");
        require("service name", name).map_err(|e| e.context(what()))?;
        self.call(what, |a| a.service(name))
    }
    pub fn all_systems(&self) -> Result<Vec<System>> {
        self.call(|| "all_systems".into(), |a| a.all_systems())
    }
    pub fn system(&self, system: &str) -> Result<System> {
        let what = || format!("system {system}");
        require_system(system).map_err(|e| e.context(what()))?;
        self.call(what, |a| a.system(system))
    }
    pub fn parameters(&self) -> Result<Parameters> {
        self.call(|| "parameters".into(), |a| a.parameters())
    }
    /// v1 `/status/filesystems[/{system}]`; on v2 the systems' `fileSystems`.
    pub fn filesystems(&self, system: Option<&str>) -> Result<serde_json::Value> {
        let what = || match system {
            Some(s) => format!("filesystems {s}"),
            None => "filesystems".into(),
        };
        if let Some(s) = system {
            require_system(s).map_err(|e| e.context(what()))?;
        }
        self.call(what, |a| a.filesystems(system))
    }
    /// With no system: the user name from the token's claims, no request.
    pub fn whoami(&self, system: Option<&str>) -> Result<String> {
        let Some(system) = system else {
            return self
                .inner
                .session
                .username_from_token()
                .map_err(|e| e.context("whoami"));
        };
        let what = || format!("whoami {system}");
        require_system(system).map_err(|e| e.context(what()))?;
        self.call(what, |a| a.whoami(system))
    }
    pub fn groups(&self, system: &str) -> Result<UserGroups> {
        let what = || format!("groups {system}");
        require_system(system).map_err(|e| e.context(what()))?;
        self.call(what, |a| a.groups(system))
    }

    // ---- the scheduler's view of a system

    /// The system's compute nodes.
    pub fn nodes(&self, system: &str) -> Result<Vec<Node>> {
        let what = || format!("nodes {}", shown(system));
        require_system(system).map_err(|e| e.context(what()))?;
        self.call(what, |a| a.nodes(system))
    }

    /// The system's scheduler partitions.
    pub fn partitions(&self, system: &str) -> Result<Vec<Partition>> {
        let what = || format!("partitions {}", shown(system));
        require_system(system).map_err(|e| e.context(what()))?;
        self.call(what, |a| a.partitions(system))
    }

    /// The system's scheduler reservations.
    pub fn reservations(&self, system: &str) -> Result<Vec<Reservation>> {
        let what = || format!("reservations {}", shown(system));
        require_system(system).map_err(|e| e.context(what()))?;
        self.call(what, |a| a.reservations(system))
    }

    // ---- files on a system
    pub fn list_files(
        &self,
        system: &str,
        path: &str,
        options: ListOptions,
    ) -> Result<Vec<FileEntry>> {
        let mut entries = Vec::new();
        self.list_files_with(system, path, options, &mut |entry| {
            entries.push(entry.to_entry())
        })?;
        Ok(entries)
    }

    /// `list_files` with each entry handed to `read` as it is read, while it borrows from the
    /// server's answer (the C layer writes its JSON from them without owning their strings or
    /// holding the listing whole).
    pub(crate) fn list_files_with(
        &self,
        system: &str,
        path: &str,
        options: ListOptions,
        read: &mut dyn FnMut(&FileEntryRef<'_>),
    ) -> Result<()> {
        self.on_path("list_files", system, path, |a| {
            a.list_files(system, path, options, read)
        })
    }
    pub fn mkdir(&self, system: &str, path: &str, parents: bool) -> Result<()> {
        self.on_path("mkdir", system, path, |a| a.mkdir(system, path, parents))
    }
    pub fn mv(&self, system: &str, source: &str, target: &str) -> Result<()> {
        self.source_target("mv", system, source, target, |a| {
            a.mv(system, source, target)
        })
    }
    pub fn copy(&self, system: &str, source: &str, target: &str) -> Result<()> {
        self.source_target("copy", system, source, target, |a| {
            a.copy(system, source, target)
        })
    }
    pub fn chmod(&self, system: &str, path: &str, mode: &str) -> Result<()> {
        let what = || format!("chmod {} {}:{}", shown(mode), shown(system), shown(path));
        require_system_path(system, path)
            .and_then(|()| require("mode", mode))
            .map_err(|e| e.context(what()))?;
        self.call(what, |a| a.chmod(system, path, mode))
    }
    /// At least one of `owner` and `group`; an empty one counts as not given.
    pub fn chown(
        &self,
        system: &str,
        path: &str,
        owner: Option<&str>,
        group: Option<&str>,
    ) -> Result<()> {
        let owner = owner.filter(|o| !o.is_empty());
        let group = group.filter(|g| !g.is_empty());
        let what = || {
            format!(
                "chown {}:{} {system}:{path}",
                owner.unwrap_or(""),
                group.unwrap_or("")
            )
        };
        require_system_path(system, path).map_err(|e| e.context(what()))?;
        if owner.is_none() && group.is_none() {
            return Err(Error::invalid_argument(format!(
                "chown {system}:{path}: give an owner, a group or both"
            )));
        }
        self.call(what, |a| a.chown(system, path, owner, group))
    }
    pub fn remove(&self, system: &str, path: &str) -> Result<()> {
        self.on_path("remove", system, path, |a| a.remove(system, path))
    }
    /// Creates `link_path` pointing at `target`.
    pub fn symlink(&self, system: &str, target: &str, link_path: &str) -> Result<()> {
        let what = || {
            format!(
                "symlink {}:{} -> {}",
                shown(system),
                shown(link_path),
                shown(target)
            )
        };
        require_system(system)
            .and_then(|()| require("target", target))
            .and_then(|()| require("link_path", link_path))
            .map_err(|e| e.context(what()))?;
        self.call(what, |a| a.symlink(system, target, link_path))
    }
    /// The output of `file -b`.
    pub fn file_type(&self, system: &str, path: &str) -> Result<String> {
        self.on_path("file_type", system, path, |a| a.file_type(system, path))
    }
    pub fn stat(&self, system: &str, path: &str, dereference: bool) -> Result<Stat> {
        self.on_path("stat", system, path, |a| a.stat(system, path, dereference))
    }
    /// SHA-256 hex digest of a remote file.
    pub fn checksum(&self, system: &str, path: &str) -> Result<String> {
        self.on_path("checksum", system, path, |a| a.checksum(system, path))
    }
    pub fn head(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String> {
        self.head_tail("head", system, path, options, |a| {
            a.head(system, path, options)
        })
    }
    pub fn tail(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String> {
        self.head_tail("tail", system, path, options, |a| {
            a.tail(system, path, options)
        })
    }
    pub fn view(&self, system: &str, path: &str) -> Result<String> {
        self.on_path("view", system, path, |a| a.view(system, path))
    }

    /// Writes a gzip-compressed tar of `source` (a file or directory, archived relative to its
    /// parent, so the archive holds `basename(source)/…`) at `target`. On v2 a command that
    /// times out on the server (408) is run again as a transfer job and waited for.
    pub fn compress(
        &self,
        system: &str,
        source: &str,
        target: &str,
        options: &CompressOptions,
    ) -> Result<()> {
        if let Some(pattern) = &options.match_pattern {
            require("match_pattern", pattern)
                .map_err(|e| e.context(format!("compress {}:{}", shown(system), shown(source))))?;
        }
        self.source_target("compress", system, source, target, |a| {
            a.compress(system, source, target, options)
        })
    }
    /// Extracts the gzip-compressed tar `source` into the existing directory `target_dir`
    /// (members already there are replaced, others kept, as `tar -x` does).
    pub fn extract(&self, system: &str, source: &str, target_dir: &str) -> Result<()> {
        self.source_target("extract", system, source, target_dir, |a| {
            a.extract(system, source, target_dir)
        })
    }

    /// The largest file the direct (non-staged) path moves in `direction`, from the server's
    /// `UTILITIES_MAX_FILE_SIZE` (v2: its `max_ops_file_size`; a v2 download travels base64-
    /// encoded, so 3/4 of it). None when the server publishes no limit.
    pub fn direct_transfer_limit(&self, direction: transfers::Direction) -> Result<Option<u64>> {
        let parameters = self.parameters()?;
        // UTILITIES_MAX_FILE_SIZE is in MB (MiB: the v2 server's byte limit / 2^20).
        let Some(limit_mb) = parameters
            .get("UTILITIES_MAX_FILE_SIZE")
            .and_then(|v| v.trim().parse::<f64>().ok())
        else {
            return Ok(None);
        };
        let limit = (limit_mb * 1048576.0) as u64;
        if direction == transfers::Direction::Download && self.api()?.version() == ApiVersion::V2 {
            return Ok(Some(limit / 4 * 3));
        }
        Ok(Some(limit))
    }

    /// Streams a local file into `remote_dir` (named `filename`, default the local basename).
    pub fn simple_upload(
        &self,
        system: &str,
        local_path: &Path,
        remote_dir: &str,
        filename: Option<&str>,
    ) -> Result<()> {
        // The same check as external uploads: a readable regular file (a device or a /proc
        // file would upload as something else than it reads).
        let size =
            transfers::upload_source_size(local_path).map_err(|e| e.context("simple_upload"))?;
        let name = match filename {
            Some(n) => n.to_string(),
            None => local_path
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| {
                    Error::invalid_argument(format!(
                        "simple_upload: local path {} has no UTF-8 file name; pass filename",
                        local_path.display()
                    ))
                })?
                .to_string(),
        };
        // A file range is reopened for every attempt, so a 429/503 or a refused token costs
        // a repeat, not a failure.
        self.upload(system, Stream::file(local_path, 0, size), remote_dir, &name)
    }

    pub fn simple_upload_bytes(
        &self,
        system: &str,
        data: &[u8],
        remote_dir: &str,
        filename: &str,
    ) -> Result<()> {
        let mut body = data;
        self.simple_upload_reader(system, &mut body, data.len() as u64, remote_dir, filename)
    }

    /// Streams `size` bytes from `body` into `remote_dir/filename`. The reader can be read
    /// once, so this upload is never repeated.
    pub fn simple_upload_reader(
        &self,
        system: &str,
        body: &mut dyn Read,
        size: u64,
        remote_dir: &str,
        filename: &str,
    ) -> Result<()> {
        self.upload(system, Stream::reader(body, size), remote_dir, filename)
    }

    fn upload(
        &self,
        system: &str,
        body: Stream<'_>,
        remote_dir: &str,
        filename: &str,
    ) -> Result<()> {
        let what = || {
            format!(
                "simple_upload {}:{}/{}",
                shown(system),
                shown(remote_dir),
                shown(filename)
            )
        };
        require_system(system)
            .and_then(|()| require("remote_dir", remote_dir))
            .and_then(|()| require_file_name(filename))
            .map_err(|e| e.context(what()))?;
        self.call(what, |a| {
            a.simple_upload(system, body, remote_dir, filename)
        })
    }

    /// Streams into a temporary file beside `local_path`, renamed only when complete.
    pub fn simple_download(
        &self,
        system: &str,
        remote_path: &str,
        local_path: &Path,
    ) -> Result<()> {
        let sync = self.inner.session.options().fsync_downloads;
        transfers::write_atomically(local_path, sync, |file| {
            self.simple_download_into(system, remote_path, file)
                .map(|_| ())
        })
    }
    /// Returns the number of bytes written.
    pub fn simple_download_to(
        &self,
        system: &str,
        remote_path: &str,
        writer: &mut dyn Write,
    ) -> Result<u64> {
        self.simple_download_into(system, remote_path, &mut transfers::Appending(writer))
    }

    /// Into a sink that may start over when a cut download cannot resume.
    pub(crate) fn simple_download_into(
        &self,
        system: &str,
        remote_path: &str,
        sink: &mut dyn transfers::DownloadSink,
    ) -> Result<u64> {
        self.on_path("simple_download", system, remote_path, |a| {
            a.simple_download(system, remote_path, sink)
        })
    }

    // ---- v1 tasks (UNSUPPORTED on v2)
    pub fn task(&self, task_id: &str) -> Result<Task> {
        let what = || format!("task {task_id}");
        require("task_id", task_id).map_err(|e| e.context(what()))?;
        self.call(what, |a| a.task(task_id))
    }
    /// `None`: all of the user's tasks.
    pub fn tasks(&self, task_ids: Option<&[&str]>) -> Result<Vec<Task>> {
        self.call(|| "tasks".into(), |a| a.tasks(task_ids))
    }

    // ---- external (staged) transfers
    /// Starts a staged upload of a local regular file (checked before anything is sent).
    pub fn external_upload(
        &self,
        system: &str,
        local_path: &Path,
        remote_path: &str,
    ) -> Result<Transfer> {
        let what = || {
            format!(
                "external_upload {} -> {}:{}",
                local_path.display(),
                shown(system),
                shown(remote_path)
            )
        };
        require_system_path(system, remote_path)
            .and_then(|()| transfers::upload_source_size(local_path).map(drop))
            .map_err(|e| e.context(what()))?;
        self.call(what, |a| a.external_upload(system, local_path, remote_path))
    }
    pub fn external_download(&self, system: &str, remote_path: &str) -> Result<Transfer> {
        self.on_path("external_download", system, remote_path, |a| {
            a.external_download(system, remote_path)
        })
    }

    // ---- batch jobs

    /// Submits a batch job; the handle knows its system and id. The job runs in
    /// `spec.working_dir` on v1 and v2 alike. A local script is read here (its errors name
    /// it); the job's own failure later is a state, not an error.
    pub fn submit_job(&self, system: &str, spec: &JobSpec) -> Result<Job> {
        let what = || format!("submit_job {}:{}", shown(system), shown(&spec.working_dir));
        let mut spec = spec.clone();
        let checked = require_system(system)
            .and_then(|()| require("working_dir", &spec.working_dir))
            .and_then(|()| match &spec.script {
                JobScript::Text(text) => require_script(text),
                JobScript::Remote(path) => require("script path", path),
                JobScript::LocalFile(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        Error::new(ErrorKind::Io, format!("script {}: {e}", path.display()))
                            .with_source(e)
                    })?;
                    require_script(&text)?;
                    spec.script = JobScript::Text(text);
                    Ok(())
                }
            });
        checked.map_err(|e| e.context(what()))?;
        // One call: the submission and the job's later requests share its correlation id.
        self.inner.session.call(|| {
            let api = Arc::clone(self.shared_api().map_err(|e| e.context(what()))?);
            let id = api
                .submit_job(system, &spec)
                .map_err(|e| e.context(what()))?;
            Ok(Job::new(
                api,
                self.inner.session.options(),
                system,
                &id,
                true,
            ))
        })
    }

    /// A handle for a job that already exists (no request).
    pub fn job(&self, system: &str, job_id: &str) -> Result<Job> {
        let what = || format!("job {}:{}", shown(system), shown(job_id));
        require_system(system)
            .and_then(|()| require_job_id(job_id))
            .map_err(|e| e.context(what()))?;
        self.inner.session.call(|| {
            let api = Arc::clone(self.shared_api().map_err(|e| e.context(what()))?);
            Ok(Job::new(
                api,
                self.inner.session.options(),
                system,
                job_id,
                false,
            ))
        })
    }

    /// The user's jobs on `system`, as the scheduler lists them (on FirecREST v2 from 2.5.7,
    /// ended jobs of the last day; before, of the last week).
    pub fn jobs(&self, system: &str) -> Result<Vec<JobInfo>> {
        self.jobs_filtered(system, &JobFilter::default())
    }

    /// The user's jobs on `system` that `filter` keeps. A name is matched on every version
    /// (by the client where the server cannot); a time window needs FirecREST v2 2.5.7 or
    /// later (`Unsupported` on v1 and on older v2 servers, which list a fixed window).
    pub fn jobs_filtered(&self, system: &str, filter: &JobFilter) -> Result<Vec<JobInfo>> {
        let what = || format!("jobs {}", shown(system));
        require_system(system).map_err(|e| e.context(what()))?;
        if let Some(name) = &filter.name {
            // The server's bound (OpenPBS's longest job name).
            if name.is_empty() || name.contains('\0') || name.chars().count() > 235 {
                return Err(Error::invalid_argument(format!(
                    "job name {name:?}: empty, NUL-carrying or longer than 235 characters"
                ))
                .context(what()));
            }
        }
        self.call(what, |a| a.jobs(system, filter))
    }

    // ---- the shapes most operations share

    /// `op system:path`: both checked, the error named.
    fn on_path<T>(
        &self,
        op: &str,
        system: &str,
        path: &str,
        f: impl FnOnce(&dyn Api) -> Result<T>,
    ) -> Result<T> {
        let what = || format!("{op} {}:{}", shown(system), shown(path));
        require_system_path(system, path).map_err(|e| e.context(what()))?;
        self.call(what, f)
    }

    fn source_target(
        &self,
        op: &str,
        system: &str,
        source: &str,
        target: &str,
        f: impl FnOnce(&dyn Api) -> Result<()>,
    ) -> Result<()> {
        let what = || {
            format!(
                "{op} {}:{} -> {}",
                shown(system),
                shown(source),
                shown(target)
            )
        };
        require_system(system)
            .and_then(|()| require("source", source))
            .and_then(|()| require("target", target))
            .map_err(|e| e.context(what()))?;
        self.call(what, f)
    }

    fn head_tail(
        &self,
        op: &str,
        system: &str,
        path: &str,
        options: HeadTailOptions,
        f: impl FnOnce(&dyn Api) -> Result<String>,
    ) -> Result<String> {
        if options.bytes.is_some() && options.lines.is_some() {
            return Err(Error::invalid_argument(format!(
                "{op} {system}:{path}: give bytes or lines, not both"
            )));
        }
        self.on_path(op, system, path, f)
    }
}

/// The operations of `version` over `session`; `seen` is a `/status/systems` answer already
/// read, which v2 keeps as its description of the systems.
fn api_for(
    session: &Arc<Session>,
    version: ApiVersion,
    seen: Option<(serde_json::Value, Option<String>)>,
) -> Arc<dyn Api> {
    match version {
        ApiVersion::V1 => Arc::new(V1::new(Arc::clone(session))),
        ApiVersion::V2 => Arc::new(V2::new(Arc::clone(session), seen)),
    }
}

/// Asks `GET /status/systems` which API the server speaks.
fn detect(session: &Arc<Session>) -> Result<Arc<dyn Api>> {
    let context = "detecting the FirecREST API version (GET /status/systems)";
    let resp = session.send(Request::get("/status/systems").context(context))?;
    let app_version = resp.header("f7t-appversion").map(str::to_string);
    let body: serde_json::Value = resp.json()?;
    if body.get("systems").is_some() || (app_version.is_some() && body.get("out").is_none()) {
        Ok(api_for(session, ApiVersion::V2, Some((body, app_version))))
    } else if body.get("out").is_some() {
        Ok(api_for(session, ApiVersion::V1, None))
    } else {
        Err(Error::new(
            ErrorKind::Json,
            format!("{context}: the answer is neither v1 (\"out\") nor v2 (\"systems\")"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked_alike_for_both_versions() {
        assert!(require_system("daint-1.x_y").is_ok());
        for bad in ["", "a/b", "..", "a b", "a\0b"] {
            let e = require_system(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
        }
        assert!(require_file_name("data.bin").is_ok());
        for bad in ["", ".", "..", "../escape.txt", "a/b"] {
            assert!(require_file_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn messages_quote_at_most_a_few_hundred_characters() {
        let long = "x/".repeat(1 << 19);
        let e = require_system(&long).unwrap_err();
        assert!(e.message().len() < 400, "{} bytes", e.message().len());
        assert!(e.message().contains("(1048576 bytes)"), "{e}");
        assert_eq!(shown("short"), "short");
    }
}
