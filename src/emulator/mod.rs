//! A local FirecREST server (API v1 or v2) for tests, demos and users' own codes: token
//! endpoint, FirecREST endpoints acting on real files under a root directory, an embedded staging
//! object store with presigned URLs, and fault injection.
//!
//! CONTRACT (skeleton): the public API below is what the tests, the C/Fortran test drivers and the
//! `firecrest-emulator` binary use. Fixed facts other modules rely on:
//! - system `cluster` (available) and `offline` (listed as not available);
//! - user `testuser`, home `/home/testuser` (writable), client id `firecrest-test-client`,
//!   a client secret drawn at random on every start;
//! - everything listens on 127.0.0.1, one port.

use crate::types::ApiVersion;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a fault does to the requests it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Answer with this status (and `Retry-After` if given) instead of serving the request.
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    /// Serve the request but close the connection after this many body bytes.
    DropAfter { bytes: u64 },
    /// Wait before serving.
    Delay(Duration),
    /// Make the transfer task/job that this request creates fail (v1 115/118/400, v2 FAILED).
    FailTransfer,
}

/// A fault: requests whose method matches (None = any) and whose path starts with
/// `path_prefix` get `action`, `times` times (0 = forever).
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
        }
    }
}

/// A running emulator. Dropping it stops the server (and removes a temporary root).
pub struct Emulator {
    _private: (),
}

#[allow(unused_variables)]
impl Emulator {
    pub fn start(config: Config) -> std::io::Result<Emulator> {
        todo!()
    }
    /// FIRECREST_URL
    pub fn url(&self) -> String {
        todo!()
    }
    /// AUTH_TOKEN_URL
    pub fn token_url(&self) -> String {
        todo!()
    }
    pub fn client_id(&self) -> String {
        todo!()
    }
    pub fn client_secret(&self) -> String {
        todo!()
    }
    /// FIRECREST_SYSTEM: the available system.
    pub fn system(&self) -> String {
        todo!()
    }
    /// FIRECREST_HOME: a remote directory the user may write.
    pub fn home(&self) -> String {
        todo!()
    }
    /// The `KEY=value` lines the binary prints (FIRECREST_URL … FIRECREST_HOME), one per line.
    pub fn env_lines(&self) -> String {
        todo!()
    }
    /// The local directory behind remote paths.
    pub fn root(&self) -> &Path {
        todo!()
    }
    /// The local file behind a remote absolute path.
    pub fn local_path(&self, remote: &str) -> PathBuf {
        todo!()
    }
    pub fn add_fault(&self, fault: Fault) {
        todo!()
    }
    pub fn clear_faults(&self) {
        todo!()
    }
    /// Named counters, e.g. `token_requests`, `requests`.
    pub fn counter(&self, name: &str) -> u64 {
        todo!()
    }
    pub fn stop(self) {
        todo!()
    }
}
