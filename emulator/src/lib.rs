//! A local FirecREST server (API v1 or v2) for tests, demos and users' own codes: token
//! endpoint, FirecREST endpoints acting on real files under a root directory, an embedded staging
//! object store with presigned URLs, and fault injection.
//!
//! The public API below is what the tests, the C/Fortran test drivers and the
//! `firecrest-emulator` binary use. Fixed facts other modules rely on:
//! - system `cluster` (available) and `offline` (listed as not available);
//! - user `testuser`, home `/home/testuser` (writable), client id `firecrest-test-client`,
//!   a client secret drawn at random on every start;
//! - everything listens on 127.0.0.1, one port.
//!
//! Layout: `server` (HTTP on hyper and tokio, synchronous handlers on the blocking pool, faults
//! applied, counters), `tokens` (token endpoint, JWTs), `sandbox` (remote paths → files under
//! the root, no escape: walked with `openat(O_PATH|O_NOFOLLOW)` and used through the held
//! descriptors, named `/proc/<pid>/fd/<n>`, so `/proc` must be mounted), `perm` (mode bits as
//! the published user sees them, also when the emulator runs as root), `store` (staging object store under `/s3/`), `multipart` (multer over
//! the request body), `slurm` (the job table and compute jobs as local processes), `faults`,
//! the file mechanics both
//! versions share (`atomic` temp-and-rename writes, `copy` of trees, `portion` for head/tail),
//! and one route module per API version (`v1`, `v2`), chosen by `Config::api`.
//!
//! Where the v1 emulator knowingly differs from the recorded server:
//! - `xfer-external/invalidate` deletes the staged objects, so invalidated links stop working
//!   (404). The real s3v4 server leaves the object in place. As recorded, the single task form
//!   then answers 302 while the list form keeps the stored record for 300 s, and invalidating
//!   a task without staged objects (e.g. a finished upload) is Flask's 500 page.
//! - 115 is final (the real server retries while the object is still staged). A staged object
//!   lost through a `FailTransfer` fault on the store POST gives 115, then 400, as recorded.
//! - Timestamps are UTC; the system's users are `testuser` (uid 1001) and `root`; `/root` is
//!   unreadable, and only the home and `/tmp` are writable; xfer-internal is not emulated;
//!   nodes, partitions and reservations are the one of each in `slurm::cluster`, not the
//!   recorded server's; compress with `dereference` follows links resolved inside the root
//!   (one the host would resolve outside fails as unreadable), archiving a copy made through
//!   the sandbox (see `tar`).
//! - Compute jobs (`slurm`) run the user's scripts for real, as local processes of the user
//!   running the emulator, with a working directory inside the root; see `slurm` for what of
//!   Slurm is honoured.

#![forbid(unsafe_code)]

mod atomic;
mod copy;
mod exchange;
mod faults;
mod incoming;
mod ls;
mod multipart;
mod perm;
mod portion;
mod sandbox;
mod server;
mod slurm;
mod sniff;
mod store;
mod tar;
mod tokens;
mod util;
mod v1;
mod v2;

pub use faults::parse_fault;

pub use faults::SeenRequest;
use faults::{Counters, Faults, Seen};
use sandbox::Sandbox;
use server::Api;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tempfile::TempDir;
use tokens::Tokens;

/// The FirecREST API generation the emulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    V1 = 1,
    V2 = 2,
}

impl ApiVersion {
    /// 1 or 2, as clients number the versions; None for any other number.
    pub fn from_number(n: i32) -> Option<ApiVersion> {
        match n {
            1 => Some(ApiVersion::V1),
            2 => Some(ApiVersion::V2),
            _ => None,
        }
    }
}

pub const SYSTEM: &str = "cluster";
pub const OFFLINE_SYSTEM: &str = "offline";
pub const USER: &str = "testuser";
pub const HOME: &str = "/home/testuser";
pub const CLIENT_ID: &str = "firecrest-test-client";

/// What a fault does to the requests it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Answer with this status (and `Retry-After` if given) instead of serving the request.
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    /// Close the connection after this many body bytes: of the request body when it is longer
    /// (the upload is cut), else of the response body (the download is cut).
    DropAfter { bytes: u64 },
    /// Wait before serving.
    Delay(Duration),
    /// Make the transfer task/job that this request creates fail (v1 115/118/400, v2 FAILED).
    FailTransfer,
}

/// A fault: requests whose method matches (None = any) and whose path starts with
/// `path_prefix` get `action`, `times` times (0 = forever).
///
/// Faults stack in the order they were added: a request takes at most one fault of each
/// action kind, the earliest added that matches and has uses left, and only that one's use is
/// counted. So 503 once then 429 once on one path answer the first request 503 and the second
/// 429. A `Delay` combines with a `Status` (wait, then the injected answer); `DropAfter` and
/// `FailTransfer` act only on a request that is served, so a `Status` that replaces the answer
/// leaves them (unused) for the next matching request.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub method: Option<String>,
    pub path_prefix: String,
    pub action: FaultAction,
    pub times: u32,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub api: ApiVersion,
    /// 0: any free port.
    pub port: u16,
    /// Where the systems' files live; None: a fresh temporary directory removed on stop.
    pub root: Option<PathBuf>,
    pub token_ttl: Duration,
    /// Spacing of task/job state changes, so that clients really poll.
    pub task_delay: Duration,
    pub faults: Vec<Fault>,
    /// v2: the S3 multipart part size published as `maxPartSize` (small, so that tests cross
    /// part boundaries cheaply; real servers use GiB).
    pub max_part_size: u64,
    /// How long a compute job stays PENDING before its script starts. A v2 compute job is
    /// not listed (404 "Job not found.") for the first half of it, as a real scheduler takes
    /// a moment to list a new job.
    pub job_queue_delay: Duration,
    /// false: the scheduler refuses every submission (v1 tasks end 400, v2 answers an error).
    pub jobs_enabled: bool,
    /// An API key accepted in place of a bearer token (in `api_key_header`), as a gateway in
    /// front of FirecREST (Kong's key-auth) accepts one: a right key is the user `testuser`, a
    /// wrong one is Kong's 401. None: keys are not looked at.
    pub api_key: Option<String>,
    /// The header an API key travels in (`X-API-Key`, pyfirecrest's default).
    pub api_key_header: String,
    /// v2: the release answered as, `F7T-AppVersion` (`2.x.x`, a source build newer than every
    /// release, by default). Before 2.5.0 transfer directives are snake_case; before 2.5.7 the
    /// job list ignores `name` and `time_window`. See [`Config::check`].
    pub server_version: String,
    /// v2: the system's `dataOperation.max_ops_file_size` (5 MiB), which bounds direct
    /// transfers, head/tail output and `view`'s `size`.
    pub max_ops_file_size: u64,
    /// v2: the system's transfer-job directives name `{account}`, so cp, mv, rm jobs, external
    /// transfers, compress and extract need an `account` (400 without one) and are charged to
    /// it; off by default, as on the recorded server.
    pub transfer_jobs_need_account: bool,
    /// Staged objects older than this are deleted, as the bucket's lifecycle rule does on a
    /// real deployment (v2 default: 10 days).
    pub staging_expiry: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            api: ApiVersion::V1,
            port: 0,
            root: None,
            token_ttl: Duration::from_secs(300),
            task_delay: Duration::from_millis(20),
            faults: Vec::new(),
            max_part_size: 1024 * 1024,
            job_queue_delay: Duration::from_millis(100),
            jobs_enabled: true,
            api_key: None,
            api_key_header: "X-API-Key".to_string(),
            server_version: v2::APP_VERSION.to_string(),
            max_ops_file_size: v2::MAX_OPS_FILE_SIZE,
            transfer_jobs_need_account: false,
            staging_expiry: Duration::from_secs(10 * 86_400),
        }
    }
}

impl Config {
    /// The settings a server could not have: an unknown v2 release, a zero size.
    pub fn check(&self) -> Result<(), String> {
        if v2::Release::parse(&self.server_version).is_none() {
            return Err(format!(
                "server version '{}' is not a 2.x.y release (e.g. 2.4.0) or 2.x.x",
                self.server_version
            ));
        }
        if self.max_ops_file_size == 0 || self.max_part_size == 0 {
            return Err("max_ops_file_size and max_part_size must be at least 1 byte".into());
        }
        Ok(())
    }
}

/// Everything the routes of either API version share: one per running emulator.
pub(crate) struct State {
    pub base_url: String,
    pub sandbox: Sandbox,
    pub tokens: Tokens,
    pub store: Store,
    pub faults: Faults,
    pub counters: Counters,
    pub seen: Seen,
    /// (header, key) of the API key accepted, if any.
    pub api_key: Option<(String, String)>,
    pub task_delay: Duration,
    pub slurm: slurm::Slurm,
    stopping: AtomicBool,
}

impl State {
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Sleeps one task step; false when the emulator is stopping (background work should end).
    pub fn task_step(&self) -> bool {
        self.pause(self.task_delay, &AtomicBool::new(false))
    }

    /// Waits `d` in short slices; false as soon as the emulator stops or `cancel` is set, so
    /// background work never outlives the emulator by a whole task delay.
    pub fn pause(&self, d: Duration, cancel: &AtomicBool) -> bool {
        let until = std::time::Instant::now() + d;
        loop {
            if self.stopping() || cancel.load(Ordering::SeqCst) {
                return false;
            }
            let now = std::time::Instant::now();
            if now >= until {
                return true;
            }
            std::thread::sleep((until - now).min(Duration::from_millis(20)));
        }
    }
}

/// The routes of the configured API version.
fn api_for(config: &Config) -> std::io::Result<Arc<dyn Api>> {
    match config.api {
        ApiVersion::V1 => Ok(Arc::new(v1::V1::new())),
        ApiVersion::V2 => {
            let release = config
                .check()
                .and_then(|()| v2::Release::parse(&config.server_version).ok_or_else(String::new));
            let release =
                release.map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            Ok(Arc::new(v2::V2::new(
                config.max_part_size,
                config.max_ops_file_size,
                release,
                config.transfer_jobs_need_account,
            )?))
        }
    }
}

/// A fresh directory under the system's temporary directory, removed when dropped.
fn fresh_temp_dir(tag: &str) -> std::io::Result<TempDir> {
    tempfile::Builder::new()
        .prefix(&format!("firecrest-emulator-{tag}-"))
        .tempdir()
}

/// A running emulator. Dropping it stops the server (and removes a temporary root).
pub struct Emulator {
    state: Arc<State>,
    server: server::Server,
    root: PathBuf,
    temp_root: Option<TempDir>,
    store_dir: Option<TempDir>,
    sweeper: Option<std::thread::JoinHandle<()>>,
}

impl Emulator {
    pub fn start(config: Config) -> std::io::Result<Emulator> {
        let api = api_for(&config)?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        let port = listener.local_addr()?.port();
        let base_url = format!("http://127.0.0.1:{port}");
        let (root, temp_root) = match &config.root {
            Some(r) => {
                std::fs::create_dir_all(r)?;
                (r.clone(), None)
            }
            None => {
                let d = fresh_temp_dir("root")?;
                (d.path().to_path_buf(), Some(d))
            }
        };
        for d in [HOME, "/tmp", "/root"] {
            std::fs::create_dir_all(root.join(d.trim_start_matches('/')))?;
        }
        let store_dir = fresh_temp_dir("staging")?;
        let state = Arc::new(State {
            sandbox: Sandbox::new(&root, HOME)?,
            tokens: Tokens::new(CLIENT_ID, USER, config.token_ttl),
            store: Store::new(store_dir.path().to_path_buf(), &base_url, 604_800),
            base_url,
            faults: Faults::default(),
            counters: Counters::default(),
            seen: Seen::default(),
            api_key: config
                .api_key
                .clone()
                .map(|k| (config.api_key_header.clone(), k)),
            task_delay: config.task_delay,
            slurm: slurm::Slurm::new(config.job_queue_delay, config.jobs_enabled)?,
            stopping: AtomicBool::new(false),
        });
        for f in config.faults {
            state.faults.add(f);
        }
        let server = server::Server::start(listener, state.clone(), api)?;
        let sweeper = {
            let state = state.clone();
            let age = config.staging_expiry;
            // A tenth of the age between sweeps: an object outlives its age by at most 10 %.
            let every = (age / 10).clamp(Duration::from_millis(50), Duration::from_secs(60));
            std::thread::Builder::new()
                .name("staging-lifecycle".into())
                .spawn(move || {
                    while state.pause(every, &AtomicBool::new(false)) {
                        state.store.expire(age);
                    }
                })?
        };
        Ok(Emulator {
            state,
            server,
            root,
            temp_root,
            store_dir: Some(store_dir),
            sweeper: Some(sweeper),
        })
    }
    /// FIRECREST_URL
    pub fn url(&self) -> String {
        self.state.base_url.clone()
    }
    /// AUTH_TOKEN_URL
    pub fn token_url(&self) -> String {
        format!("{}{}", self.state.base_url, tokens::TOKEN_PATH)
    }
    pub fn client_id(&self) -> String {
        self.state.tokens.client_id.clone()
    }
    pub fn client_secret(&self) -> String {
        self.state.tokens.client_secret.clone()
    }
    /// A fresh access token for the user, as the token endpoint issues them (for tests of token
    /// sources that get their tokens elsewhere: a command, a file).
    pub fn access_token(&self) -> String {
        self.state.tokens.issue(&self.state.base_url)
    }
    /// FIRECREST_SYSTEM: the available system.
    pub fn system(&self) -> String {
        SYSTEM.to_string()
    }
    /// FIRECREST_HOME: a remote directory the user may write.
    pub fn home(&self) -> String {
        HOME.to_string()
    }
    /// The `KEY=value` lines the binary prints (FIRECREST_URL … FIRECREST_HOME), one per line.
    pub fn env_lines(&self) -> String {
        format!(
            "FIRECREST_URL={}\nAUTH_TOKEN_URL={}\nFIRECREST_CLIENT_ID={}\nFIRECREST_CLIENT_SECRET={}\nFIRECREST_SYSTEM={}\nFIRECREST_HOME={}\n",
            self.url(),
            self.token_url(),
            self.client_id(),
            self.client_secret(),
            self.system(),
            self.home()
        )
    }
    /// The local directory behind remote paths.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// The local file behind a remote absolute path.
    pub fn local_path(&self, remote: &str) -> PathBuf {
        self.state.sandbox.local_lexical(remote)
    }
    pub fn add_fault(&self, fault: Fault) {
        self.state.faults.add(fault)
    }
    pub fn clear_faults(&self) {
        self.state.faults.clear()
    }
    /// Named counters: `requests`, `token_requests`, and per route `"<METHOD> <path>"`
    /// (e.g. `"GET /utilities/ls"`, `"GET /tasks/*"`, `"POST /s3"`), and `"<METHOD> <path> Range"`
    /// for the requests among those that carried a `Range` header.
    pub fn counter(&self, name: &str) -> u64 {
        self.state.counters.get(name)
    }
    /// Every request received so far (method, path, `X-Correlation-ID`), oldest first.
    pub fn requests_seen(&self) -> Vec<SeenRequest> {
        self.state.seen.all()
    }
    /// How long presigned staging forms and URLs stay valid (STORAGE_TEMPURL_EXP_TIME;
    /// default 7 days). Affects forms and URLs issued afterwards.
    pub fn set_url_ttl(&self, ttl: Duration) {
        self.state.store.set_url_ttl(ttl.as_secs())
    }
    /// The largest object the staging store accepts (STORAGE_MAX_FILE_SIZE; default 5120 MiB).
    pub fn set_storage_max_file_size(&self, bytes: u64) {
        self.state.store.set_max_object(bytes)
    }
    pub fn stop(self) {
        drop(self)
    }

    fn shutdown(&mut self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        self.server.stop();
        // Compute jobs end with the emulator: their process groups are killed and reaped.
        self.state.slurm.stop_all();
        if let Some(t) = self.sweeper.take() {
            let _ = t.join();
        }
        for dir in [self.temp_root.take(), self.store_dir.take()]
            .into_iter()
            .flatten()
        {
            let _ = dir.close();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}
