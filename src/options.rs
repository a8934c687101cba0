//! What a client can be told: timeouts, retries, trust, polling, parallelism. Plain data read
//! by every layer below the client, so it lives apart from them all.

use crate::types::ApiVersion;
use std::path::PathBuf;
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
