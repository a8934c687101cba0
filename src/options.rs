//! What a client can be told: timeouts, retries, trust, polling, parallelism. Plain data read
//! by every layer below the client, so it lives apart from them all.

use crate::error::{Error, Result};
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
    /// A PEM file of CA certificates trusted besides the system's store (`SSL_CERT_FILE`,
    /// `SSL_CERT_DIR`, else the distribution's bundle; the built-in Mozilla roots where the
    /// machine has no store).
    pub ca_file: Option<PathBuf>,
    /// Trust only the certificates of `ca_file`, not the system's store (a private deployment,
    /// a test CA).
    pub ca_file_only: bool,
    /// Retries after the first attempt (429, 502/503/504, transport errors on safe requests).
    pub max_retries: u32,
    /// A cached token is refreshed this long before it expires (v2 refuses tokens with < 30 s left).
    pub token_refresh_margin: Duration,
    pub user_agent: String,
    /// First delay between looks in `Transfer::wait` and job waits; it doubles up to half a
    /// second, then the delay is a tenth of the time waited so far (for a transfer, of its age
    /// since it was created): an end is noticed at most 10 % of the wait (or half a second) late.
    pub poll_initial: Duration,
    /// Longest delay between looks.
    pub poll_max: Duration,
    /// v2 multipart uploads: parts sent at once.
    pub parallel_parts: usize,
    /// The largest JSON or text answer read (a listing, a task); a larger one is an error
    /// rather than memory spent without bound. Downloads are streamed and not limited.
    pub max_answer_bytes: u64,
    /// The longest one request may take whose answer is read whole (everything but the data
    /// of a transfer), however slowly the server drips its bytes.
    pub call_timeout: Duration,
    /// A transfer slower than `low_speed_limit` bytes per second for `low_speed_time` is given
    /// up (libcurl's CURLOPT_LOW_SPEED_LIMIT/TIME); a limit of 0 turns the check off.
    pub low_speed_limit: u64,
    pub low_speed_time: Duration,
    /// Downloads reach the disk (fsync) before they are renamed into place. Off by default, as
    /// with curl and rsync: the rename alone already keeps a half-written file from appearing.
    pub fsync_downloads: bool,
    /// The `X-Correlation-ID` of every request of this client, a UUID (FirecREST v2 refuses
    /// anything else); None: a fresh random one for each call. A thread's own choice
    /// (`firecrest::with_correlation_id`) overrides it.
    pub correlation_id: Option<String>,
    /// The scheduler account charged for the jobs FirecREST v2 runs on the user's behalf: cp,
    /// mv, rm (when it becomes a job), external transfers, compress, extract. `None`: the user's
    /// default account where the system's job directives need one, else none. v1 runs these
    /// operations without the scheduler, so it has no use for it.
    pub transfer_account: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            api_version: None,
            connect_timeout: Duration::from_secs(10),
            io_timeout: Duration::from_secs(60),
            ca_file: None,
            ca_file_only: false,
            max_retries: 3,
            token_refresh_margin: Duration::from_secs(60),
            user_agent: format!("firecrest-rs/{}", env!("CARGO_PKG_VERSION")),
            poll_initial: Duration::from_millis(100),
            poll_max: Duration::from_secs(5),
            parallel_parts: 4,
            max_answer_bytes: 64 << 20,
            call_timeout: Duration::from_secs(300),
            low_speed_limit: 1024,
            low_speed_time: Duration::from_secs(60),
            fsync_downloads: false,
            correlation_id: None,
            transfer_account: None,
        }
    }
}

impl Options {
    /// Refuses what no request could carry: a User-Agent with control characters (a CR/LF
    /// would split the header), a correlation id that is not a UUID.
    pub(crate) fn check(&self) -> Result<()> {
        check_header_value("user_agent", &self.user_agent)?;
        if let Some(id) = &self.correlation_id {
            crate::transport::correlation::check("correlation_id", id)?;
        }
        if let Some(account) = &self.transfer_account {
            check_account(account)?;
        }
        Ok(())
    }
}

/// A scheduler account name: not empty, no whitespace or control characters (it becomes part
/// of a job's `#SBATCH --account=` line).
pub(crate) fn check_account(account: &str) -> Result<()> {
    if account.is_empty() || account.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_argument(format!(
            "transfer_account {account:?} is not a scheduler account name \
             (empty, or with whitespace or control characters)"
        )));
    }
    Ok(())
}

/// A header value has no control characters (tab aside): a CR or LF would end the header.
pub(crate) fn check_header_value(name: &str, value: &str) -> Result<()> {
    match value
        .bytes()
        .find(|&b| (b < b' ' && b != b'\t') || b == 0x7f)
    {
        None => Ok(()),
        Some(b) => Err(Error::invalid_argument(format!(
            "{name} contains the control character 0x{b:02x}, which no HTTP header may carry"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_without_control_characters() {
        assert!(check_header_value("ua", "firecrest/1.0 (ü)\tx").is_ok());
        let e = check_header_value("user_agent", "ua\r\nX: 1").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        assert!(e.message().contains("user_agent"), "{e}");
        assert!(Options {
            user_agent: "a\nb".into(),
            ..Options::default()
        }
        .check()
        .is_err());
    }
}
