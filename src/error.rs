//! One error type for the whole library. Each kind has a number that never changes, the value
//! of the C status (`firecrest_status`) it becomes at the C boundary; the statuses only C can
//! produce (a NULL argument, a buffer too small, a caught panic) belong to the C layer.

use crate::types::{TransferState, UnknownTimeWindow};
use std::fmt;
use std::sync::Arc;

/// What went wrong, as a number that never changes (`code()`, the C `firecrest_status`).
///
/// Ranges: caller errors 1–9, transport 10–29, HTTP/API 30–49, local I/O 50–59,
/// callback 60, internal 99. Values are never renumbered or reused. More kinds may come, so a
/// `match` needs a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument was empty, malformed or out of range (the message names it).
    InvalidArgument = 2,
    /// The call does not fit the object's state (e.g. `finish_upload` on a download).
    InvalidState = 4,
    Transport = 10,
    Dns = 11,
    Connect = 12,
    Tls = 13,
    Timeout = 14,
    Proxy = 15,
    Http = 30,
    Unauthorized = 31,
    Forbidden = 32,
    NotFound = 33,
    /// FirecREST reported a failure (an `X-*` error header, a v2 error body).
    ApiError = 34,
    RateLimited = 35,
    /// The token endpoint refused to issue a token.
    Auth = 36,
    /// An asynchronous task or transfer job ended in failure (115, 118, 400, FAILED job).
    TaskFailed = 37,
    /// The server's API version lacks the operation.
    Unsupported = 38,
    Json = 40,
    Io = 50,
    /// A progress or token callback asked to stop.
    AbortedByCallback = 60,
    Internal = 99,
}

impl ErrorKind {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// True for failures where repeating an idempotent request may succeed.
    pub fn is_transient_transport(self) -> bool {
        matches!(
            self,
            ErrorKind::Transport | ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Dns
        )
    }
}

/// The library's error: a kind, a message that names what was wrong, and the HTTP details
/// when the failure came from a server. Messages never contain a secret or a token. A local
/// I/O failure keeps the `std::io::Error` it came from as its `source()`.
#[derive(Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    http_status: u16,
    /// The FirecREST error header (`X-Invalid-Path`, …) when there was one: (name, value).
    /// Boxed: rare, and it keeps `Error` (in every `Result`) small.
    error_header: Option<Box<(String, String)>>,
    /// The transfer's state when the error ends a transfer (115, 118, 400).
    task_status: Option<TransferState>,
    /// The `X-Correlation-ID` of the request that failed, for the centre's support.
    correlation_id: Option<String>,
    /// The lower-level error this one explains (shared, so that `Error` stays `Clone`).
    #[source]
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            http_status: 0,
            error_header: None,
            task_status: None,
            correlation_id: None,
            source: None,
        }
    }

    /// Keeps `source` as the cause behind this error (`std::error::Error::source`).
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Arc::new(source));
        self
    }

    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub fn unsupported(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported, message)
    }

    pub fn with_http_status(mut self, status: u16) -> Error {
        self.http_status = status;
        self
    }

    pub fn with_error_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Error {
        self.error_header = Some(Box::new((name.into(), value.into())));
        self
    }

    /// Names the `X-Correlation-ID` of the request that failed (the first one named is kept:
    /// it is the innermost, the request itself).
    pub fn with_correlation_id(mut self, id: impl Into<String>) -> Error {
        if self.correlation_id.is_none() {
            self.correlation_id = Some(id.into());
        }
        self
    }

    pub fn with_task_status(mut self, status: TransferState) -> Error {
        self.task_status = Some(status);
        self
    }

    /// The same error (kind, HTTP details) told in other words.
    pub(crate) fn with_message(mut self, message: String) -> Error {
        self.message = message;
        self
    }

    /// Puts `context` in front of the message ("list_files cluster:/home/x: …"); an empty
    /// context changes nothing.
    pub fn context(mut self, context: impl fmt::Display) -> Error {
        let context = context.to_string();
        if !context.is_empty() {
            self.message = format!("{context}: {}", self.message);
        }
        self
    }

    /// The same error with every occurrence of each secret replaced, so that a server that
    /// echoes a request (a token endpoint its form, an API its Authorization header) cannot put
    /// a credential into a message.
    pub(crate) fn redact(mut self, secrets: &[String]) -> Error {
        for secret in secrets.iter().filter(|s| s.len() >= 4) {
            if self.message.contains(secret.as_str()) {
                self.message = self.message.replace(secret.as_str(), "<redacted>");
            }
            if let Some((_, value)) = self.error_header.as_deref_mut() {
                if value.contains(secret.as_str()) {
                    *value = value.replace(secret.as_str(), "<redacted>");
                }
            }
        }
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status of the response that failed, 0 when the failure was not an HTTP answer.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    pub fn error_header(&self) -> Option<(&str, &str)> {
        self.error_header
            .as_deref()
            .map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn task_status(&self) -> Option<TransferState> {
        self.task_status
    }

    /// The `X-Correlation-ID` the failing request carried: what to hand to the centre's
    /// support so that they can find it in their logs. None when no request failed (a bad
    /// argument, a local file).
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("http_status", &self.http_status)
            .field("error_header", &self.error_header)
            .field("task_status", &self.task_status)
            .field("correlation_id", &self.correlation_id)
            .finish()
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io, e.to_string()).with_source(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::new(ErrorKind::Json, format!("unexpected JSON: {e}")).with_source(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<UnknownTimeWindow> for Error {
    fn from(e: UnknownTimeWindow) -> Error {
        Error::invalid_argument(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn io_errors_keep_their_cause() {
        let e = Error::from(std::io::Error::new(std::io::ErrorKind::NotFound, "gone"))
            .context("reading x");
        assert_eq!(e.kind(), ErrorKind::Io);
        assert_eq!(e.message(), "reading x: gone");
        let cause = e.source().expect("a source");
        assert_eq!(cause.to_string(), "gone");
        assert!(Error::invalid_argument("x").source().is_none());
        assert_eq!(Error::invalid_argument("x").context("").message(), "x");
    }

    #[test]
    fn redaction_removes_every_occurrence() {
        let e = Error::new(
            ErrorKind::Auth,
            "client_secret=s3cr3t&x=s3cr3t: Bearer tok-123",
        )
        .with_error_header("X-Echo", "tok-123")
        .redact(&[
            "s3cr3t".to_string(),
            "tok-123".to_string(),
            "ab".to_string(),
        ]);
        assert_eq!(
            e.message(),
            "client_secret=<redacted>&x=<redacted>: Bearer <redacted>"
        );
        assert_eq!(e.error_header(), Some(("X-Echo", "<redacted>")));
    }
}
