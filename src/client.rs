//! The blocking client. One `Client` serves FirecREST v1 and v2: it detects the server's API
//! version (or takes it from `Options`) and hands each operation to `v1` or `v2`.
//!
//! CONTRACT (skeleton): the signatures below are the public Rust API that `capi` wraps and that
//! users call. Bodies marked `todo!` are filled in by the client work (issues 3 and 6).

use crate::auth::Auth;
use crate::error::{Error, ErrorKind, Result};
use crate::transfers::Transfer;
use crate::transport::{Request, Transport};
use crate::types::*;
use crate::{v1, v2};
use once_cell::sync::OnceCell;
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
    /// Base URL, authorization and options live in the transport, which every request uses.
    pub(crate) http: Transport,
    api_version: OnceCell<ApiVersion>,
    /// v2's `/status/systems` description, read by transfers (see `v2::SystemsCache`).
    pub(crate) v2_systems: v2::SystemsCache,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.http.base_url)
            .field("auth", &self.inner.http.auth)
            .field("api_version", &self.known_api_version())
            .finish()
    }
}

impl Client {
    pub fn new(firecrest_url: &str, auth: Auth, options: Options) -> Result<Client> {
        let api_version = OnceCell::new();
        if let Some(v) = options.api_version {
            let _ = api_version.set(v);
        }
        Ok(Client {
            inner: Arc::new(ClientInner {
                http: Transport::new(firecrest_url, auth, options)?,
                api_version,
                v2_systems: v2::SystemsCache::default(),
            }),
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
        self.inner
            .api_version
            .get_or_try_init(|| self.detect_api_version())
            .copied()
    }

    /// The version if already known, without a request.
    pub fn known_api_version(&self) -> Option<ApiVersion> {
        self.inner.api_version.get().copied()
    }

    fn detect_api_version(&self) -> Result<ApiVersion> {
        let context = "detecting the FirecREST API version (GET /status/systems)";
        let resp = self
            .http()
            .send(Request::get("/status/systems").context(context))?;
        let app_version = resp.header("f7t-appversion").map(str::to_string);
        let body: serde_json::Value = resp.json()?;
        if body.get("systems").is_some() || (app_version.is_some() && body.get("out").is_none()) {
            v2::remember_systems(self, body, app_version);
            Ok(ApiVersion::V2)
        } else if body.get("out").is_some() {
            Ok(ApiVersion::V1)
        } else {
            Err(Error::new(
                ErrorKind::Json,
                format!("{context}: the answer is neither v1 (\"out\") nor v2 (\"systems\")"),
            ))
        }
    }

    /// The transport every request goes through (crate-internal API, see `transport`).
    pub(crate) fn http(&self) -> &Transport {
        &self.inner.http
    }

    pub(crate) fn options(&self) -> &Options {
        &self.inner.http.options
    }

    /// The user FirecREST sees, from the access token's claims (§A2), without a request.
    fn username_from_token(&self) -> Result<String> {
        let token = self.inner.http.auth.token(self.http())?;
        crate::auth::username_from_token(&token).ok_or_else(|| {
            Error::new(
                ErrorKind::Auth,
                "whoami: the access token is not a JWT with preferred_username (pass a system to ask the server)",
            )
        })
    }

    /// Compares the SHA-256 of a local file with the server's checksum of `remote_path`;
    /// Err(Io) if the file cannot be read, Ok(false) if they differ.
    pub fn verify_checksum(
        &self,
        system: &str,
        remote_path: &str,
        local_path: &Path,
    ) -> Result<bool> {
        let local = crate::transfers::sha256_file(local_path)?;
        let remote = self.checksum(system, remote_path)?;
        Ok(remote.trim().eq_ignore_ascii_case(&local))
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
        let Some(system) = system else {
            return self.username_from_token();
        };
        match self.api_version()? {
            ApiVersion::V1 => v1::whoami(self, system),
            ApiVersion::V2 => Ok(v2::groups(self, system)?.user.name),
        }
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
        let context = |e: Error| e.context(format!("simple_upload {}", local_path.display()));
        let mut file = std::fs::File::open(local_path).map_err(|e| context(e.into()))?;
        let size = file.metadata().map_err(|e| context(e.into()))?.len();
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
        self.simple_upload_reader(system, &mut file, size, remote_dir, &name)
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
        crate::transfers::write_atomically(local_path, |file| {
            self.simple_download_to(system, remote_path, file)
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
