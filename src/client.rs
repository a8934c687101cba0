//! The blocking client. One `Client` serves FirecREST v1 and v2: it detects the server's API
//! version (or takes it from `Options`) and hands each operation to `v1` or `v2`.
//!
//! CONTRACT (skeleton): the signatures below are the public Rust API that `capi` wraps and that
//! users call. Bodies marked `todo!` are filled in by the client work (issues 3 and 6).

use crate::auth::Auth;
use crate::error::Result;
use crate::transfers::Transfer;
use crate::types::*;
use crate::{v1, v2};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Client settings. `Options::default()` is sane: timeouts set, TLS verified, retries bounded.
#[derive(Debug, Clone)]
pub struct Options {
    /// `None`: detect from the server on first use.
    pub api_version: Option<ApiVersion>,
    /// Connect timeout of every request.
    pub connect_timeout: Duration,
    /// Longest silence while reading or writing a body (not the whole transfer).
    pub io_timeout: Duration,
    /// A PEM file of extra trusted CA certificates.
    pub ca_file: Option<PathBuf>,
    /// Retries after the first attempt (429, 502/503/504, transport errors on safe requests).
    pub max_retries: u32,
    /// A cached token is refreshed this long before it expires (v2 refuses tokens with < 30 s left).
    pub token_refresh_margin: Duration,
    pub user_agent: String,
    /// First delay of the polling backoff in `Transfer::wait` and job waits.
    pub poll_initial: Duration,
    /// Longest delay of the polling backoff.
    pub poll_max: Duration,
    /// v2 multipart uploads: parts sent at once.
    pub parallel_parts: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            api_version: None,
            connect_timeout: Duration::from_secs(10),
            io_timeout: Duration::from_secs(60),
            ca_file: None,
            max_retries: 3,
            token_refresh_margin: Duration::from_secs(60),
            user_agent: format!("firecrest-rs/{}", env!("CARGO_PKG_VERSION")),
            poll_initial: Duration::from_millis(100),
            poll_max: Duration::from_secs(5),
            parallel_parts: 4,
        }
    }
}

/// A FirecREST client: thread-safe, cheap to clone (clones share the connection pool and the
/// token cache).
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) base_url: String,
    pub(crate) auth: Auth,
    pub(crate) options: Options,
}

#[allow(unused_variables)]
impl Client {
    pub fn new(firecrest_url: &str, auth: Auth, options: Options) -> Result<Client> {
        todo!()
    }

    /// `FIRECREST_URL`, `FIRECREST_CLIENT_ID`, `FIRECREST_CLIENT_SECRET`, `AUTH_TOKEN_URL`.
    pub fn from_env(options: Options) -> Result<Client> {
        todo!()
    }

    /// The server's API version, detected on first call (one request) unless forced.
    pub fn api_version(&self) -> Result<ApiVersion> {
        todo!()
    }

    /// The version if already known, without a request.
    pub fn known_api_version(&self) -> Option<ApiVersion> {
        todo!()
    }

    // ---- status and identity
    pub fn all_services(&self) -> Result<Vec<Service>> {
        match self.api_version()? {
            ApiVersion::V1 => v1::all_services(self),
            ApiVersion::V2 => v2::all_services(self),
        }
    }
    pub fn service(&self, name: &str) -> Result<Service> {
        match self.api_version()? {
            ApiVersion::V1 => v1::service(self, name),
            ApiVersion::V2 => v2::service(self, name),
        }
    }
    pub fn all_systems(&self) -> Result<Vec<System>> {
        match self.api_version()? {
            ApiVersion::V1 => v1::all_systems(self),
            ApiVersion::V2 => v2::all_systems(self),
        }
    }
    pub fn system(&self, system: &str) -> Result<System> {
        match self.api_version()? {
            ApiVersion::V1 => v1::system(self, system),
            ApiVersion::V2 => v2::system(self, system),
        }
    }
    pub fn parameters(&self) -> Result<Parameters> {
        match self.api_version()? {
            ApiVersion::V1 => v1::parameters(self),
            ApiVersion::V2 => v2::parameters(self),
        }
    }
    /// v1 `/status/filesystems[/{system}]`; on v2 the systems' `fileSystems`.
    pub fn filesystems(&self, system: Option<&str>) -> Result<serde_json::Value> {
        match self.api_version()? {
            ApiVersion::V1 => v1::filesystems(self, system),
            ApiVersion::V2 => v2::filesystems(self, system),
        }
    }
    /// With no system: the user name from the token's claims, no request.
    pub fn whoami(&self, system: Option<&str>) -> Result<String> {
        todo!()
    }
    pub fn groups(&self, system: &str) -> Result<UserGroups> {
        match self.api_version()? {
            ApiVersion::V1 => v1::groups(self, system),
            ApiVersion::V2 => v2::groups(self, system),
        }
    }

    // ---- files on a system
    pub fn list_files(
        &self,
        system: &str,
        path: &str,
        options: ListOptions,
    ) -> Result<Vec<FileEntry>> {
        match self.api_version()? {
            ApiVersion::V1 => v1::list_files(self, system, path, options),
            ApiVersion::V2 => v2::list_files(self, system, path, options),
        }
    }
    pub fn mkdir(&self, system: &str, path: &str, parents: bool) -> Result<()> {
        match self.api_version()? {
            ApiVersion::V1 => v1::mkdir(self, system, path, parents),
            ApiVersion::V2 => v2::mkdir(self, system, path, parents),
        }
    }
    pub fn mv(&self, system: &str, source: &str, target: &str) -> Result<()> {
        match self.api_version()? {
            ApiVersion::V1 => v1::mv(self, system, source, target),
            ApiVersion::V2 => v2::mv(self, system, source, target),
        }
    }
    pub fn copy(&self, system: &str, source: &str, target: &str) -> Result<()> {
        match self.api_version()? {
            ApiVersion::V1 => v1::copy(self, system, source, target),
            ApiVersion::V2 => v2::copy(self, system, source, target),
        }
    }
    pub fn chmod(&self, system: &str, path: &str, mode: &str) -> Result<()> {
        match self.api_version()? {
            ApiVersion::V1 => v1::chmod(self, system, path, mode),
            ApiVersion::V2 => v2::chmod(self, system, path, mode),
        }
    }
    pub fn chown(
        &self,
        system: &str,
        path: &str,
        owner: Option<&str>,
        group: Option<&str>,
    ) -> Result<()> {
        match self.api_version()? {
            ApiVersion::V1 => v1::chown(self, system, path, owner, group),
            ApiVersion::V2 => v2::chown(self, system, path, owner, group),
        }
    }
    pub fn remove(&self, system: &str, path: &str) -> Result<()> {
        match self.api_version()? {
            ApiVersion::V1 => v1::remove(self, system, path),
            ApiVersion::V2 => v2::remove(self, system, path),
        }
    }
    /// Creates `link_path` pointing at `target`.
    pub fn symlink(&self, system: &str, target: &str, link_path: &str) -> Result<()> {
        match self.api_version()? {
            ApiVersion::V1 => v1::symlink(self, system, target, link_path),
            ApiVersion::V2 => v2::symlink(self, system, target, link_path),
        }
    }
    /// The output of `file -b`.
    pub fn file_type(&self, system: &str, path: &str) -> Result<String> {
        match self.api_version()? {
            ApiVersion::V1 => v1::file_type(self, system, path),
            ApiVersion::V2 => v2::file_type(self, system, path),
        }
    }
    pub fn stat(&self, system: &str, path: &str, dereference: bool) -> Result<Stat> {
        match self.api_version()? {
            ApiVersion::V1 => v1::stat(self, system, path, dereference),
            ApiVersion::V2 => v2::stat(self, system, path, dereference),
        }
    }
    /// SHA-256 hex digest of a remote file.
    pub fn checksum(&self, system: &str, path: &str) -> Result<String> {
        match self.api_version()? {
            ApiVersion::V1 => v1::checksum(self, system, path),
            ApiVersion::V2 => v2::checksum(self, system, path),
        }
    }
    pub fn head(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String> {
        match self.api_version()? {
            ApiVersion::V1 => v1::head(self, system, path, options),
            ApiVersion::V2 => v2::head(self, system, path, options),
        }
    }
    pub fn tail(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String> {
        match self.api_version()? {
            ApiVersion::V1 => v1::tail(self, system, path, options),
            ApiVersion::V2 => v2::tail(self, system, path, options),
        }
    }
    pub fn view(&self, system: &str, path: &str) -> Result<String> {
        match self.api_version()? {
            ApiVersion::V1 => v1::view(self, system, path),
            ApiVersion::V2 => v2::view(self, system, path),
        }
    }
    /// Streams a local file into `remote_dir` (named `filename`, default the local basename).
    pub fn simple_upload(
        &self,
        system: &str,
        local_path: &Path,
        remote_dir: &str,
        filename: Option<&str>,
    ) -> Result<()> {
        todo!("open the file, take its size and basename, call simple_upload_reader")
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

    /// Streams `size` bytes from `body` into `remote_dir/filename`.
    pub fn simple_upload_reader(
        &self,
        system: &str,
        body: &mut dyn Read,
        size: u64,
        remote_dir: &str,
        filename: &str,
    ) -> Result<()> {
        match self.api_version()? {
            ApiVersion::V1 => {
                v1::simple_upload_reader(self, system, body, size, remote_dir, filename)
            }
            ApiVersion::V2 => {
                v2::simple_upload_reader(self, system, body, size, remote_dir, filename)
            }
        }
    }

    /// Streams into a temporary file beside `local_path`, renamed only when complete.
    pub fn simple_download(
        &self,
        system: &str,
        remote_path: &str,
        local_path: &Path,
    ) -> Result<()> {
        todo!()
    }
    /// Returns the number of bytes written.
    pub fn simple_download_to(
        &self,
        system: &str,
        remote_path: &str,
        writer: &mut dyn Write,
    ) -> Result<u64> {
        match self.api_version()? {
            ApiVersion::V1 => v1::simple_download_to(self, system, remote_path, writer),
            ApiVersion::V2 => v2::simple_download_to(self, system, remote_path, writer),
        }
    }

    // ---- v1 tasks (UNSUPPORTED on v2)
    pub fn task(&self, task_id: &str) -> Result<Task> {
        match self.api_version()? {
            ApiVersion::V1 => v1::task(self, task_id),
            ApiVersion::V2 => v2::task(self, task_id),
        }
    }
    /// `None`: all of the user's tasks.
    pub fn tasks(&self, task_ids: Option<&[&str]>) -> Result<Vec<Task>> {
        match self.api_version()? {
            ApiVersion::V1 => v1::tasks(self, task_ids),
            ApiVersion::V2 => v2::tasks(self, task_ids),
        }
    }

    // ---- external (staged) transfers
    pub fn external_upload(
        &self,
        system: &str,
        local_path: &Path,
        remote_path: &str,
    ) -> Result<Transfer> {
        match self.api_version()? {
            ApiVersion::V1 => v1::external_upload(self, system, local_path, remote_path),
            ApiVersion::V2 => v2::external_upload(self, system, local_path, remote_path),
        }
    }
    pub fn external_download(&self, system: &str, remote_path: &str) -> Result<Transfer> {
        match self.api_version()? {
            ApiVersion::V1 => v1::external_download(self, system, remote_path),
            ApiVersion::V2 => v2::external_download(self, system, remote_path),
        }
    }
}
