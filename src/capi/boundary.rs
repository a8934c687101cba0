//! The one road across the C boundary: status codes, the thread-local last error, the panic
//! guard every export runs inside, and the argument checks that name what was wrong.

use crate::error::{Error, ErrorKind};
use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// The result of every fallible function: `FIRECREST_STATUS_OK` (0) or what went wrong.
///
/// The values are grouped in ranges and never renumbered: caller errors 1–9, transport 10–29,
/// HTTP/API 30–49, local I/O 50–59, callback 60, internal 98–99. After a failure,
/// firecrest_last_error_message() explains it and firecrest_last_error_http_status() gives the
/// server's HTTP status (0 when the failure was not an HTTP answer).
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum firecrest_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL (the message names it).
    NullArgument = 1,
    /// An argument was malformed: not UTF-8, out of range, an unknown value (the message names it).
    InvalidArgument = 2,
    /// The caller's buffer is too small; the required length was reported.
    BufferTooSmall = 3,
    /// The call does not fit the object's state (e.g. finish_upload on a download).
    InvalidState = 4,
    /// Another network failure (connection reset, malformed HTTP, too many redirects).
    Transport = 10,
    /// The server's name could not be resolved.
    Dns = 11,
    /// The connection was refused or could not be made.
    Connect = 12,
    /// TLS handshake or certificate failure.
    Tls = 13,
    /// A connect or I/O timeout, or firecrest_transfer_wait() ran out of time.
    Timeout = 14,
    /// The proxy failed or is misconfigured.
    Proxy = 15,
    /// The server answered with an unexpected HTTP status (see firecrest_last_error_http_status()).
    Http = 30,
    /// HTTP 401: the token was refused.
    Unauthorized = 31,
    /// HTTP 403: the user may not do this (e.g. an unavailable system).
    Forbidden = 32,
    /// HTTP 404: unknown endpoint, system or path.
    NotFound = 33,
    /// FirecREST reported a failure (its X-* error header or error body is in the message).
    ApiError = 34,
    /// HTTP 429 after the bounded retries.
    RateLimited = 35,
    /// The token endpoint refused to issue a token (wrong client id or secret).
    Auth = 36,
    /// A transfer or task ended in failure (115, 118, 400, or 302 invalidated).
    TaskFailed = 37,
    /// The server's FirecREST API version lacks this operation.
    Unsupported = 38,
    /// The server's answer, or a JSON argument, was not the expected JSON.
    Json = 40,
    /// A local file could not be read or written.
    Io = 50,
    /// A callback returned non-zero.
    AbortedByCallback = 60,
    /// A bug inside the library was caught at the boundary; the library is still usable.
    Panic = 98,
    /// An internal error that should not happen.
    Internal = 99,
}

/// Every error kind of the Rust library, for the checks below and the tests.
pub(crate) const ALL_KINDS: [ErrorKind; 21] = [
    ErrorKind::InvalidArgument,
    ErrorKind::InvalidState,
    ErrorKind::Transport,
    ErrorKind::Dns,
    ErrorKind::Connect,
    ErrorKind::Tls,
    ErrorKind::Timeout,
    ErrorKind::Proxy,
    ErrorKind::Http,
    ErrorKind::Unauthorized,
    ErrorKind::Forbidden,
    ErrorKind::NotFound,
    ErrorKind::ApiError,
    ErrorKind::RateLimited,
    ErrorKind::Auth,
    ErrorKind::TaskFailed,
    ErrorKind::Unsupported,
    ErrorKind::Json,
    ErrorKind::Io,
    ErrorKind::AbortedByCallback,
    ErrorKind::Internal,
];

/// The statuses only the C layer produces.
const C_ONLY: [firecrest_status; 3] = [
    firecrest_status::NullArgument,
    firecrest_status::BufferTooSmall,
    firecrest_status::Panic,
];

impl firecrest_status {
    /// Exhaustive, so a new `ErrorKind` does not compile until it has a C status.
    pub const fn from_kind(kind: ErrorKind) -> firecrest_status {
        use firecrest_status as S;
        match kind {
            ErrorKind::InvalidArgument => S::InvalidArgument,
            ErrorKind::InvalidState => S::InvalidState,
            ErrorKind::Transport => S::Transport,
            ErrorKind::Dns => S::Dns,
            ErrorKind::Connect => S::Connect,
            ErrorKind::Tls => S::Tls,
            ErrorKind::Timeout => S::Timeout,
            ErrorKind::Proxy => S::Proxy,
            ErrorKind::Http => S::Http,
            ErrorKind::Unauthorized => S::Unauthorized,
            ErrorKind::Forbidden => S::Forbidden,
            ErrorKind::NotFound => S::NotFound,
            ErrorKind::ApiError => S::ApiError,
            ErrorKind::RateLimited => S::RateLimited,
            ErrorKind::Auth => S::Auth,
            ErrorKind::TaskFailed => S::TaskFailed,
            ErrorKind::Unsupported => S::Unsupported,
            ErrorKind::Json => S::Json,
            ErrorKind::Io => S::Io,
            ErrorKind::AbortedByCallback => S::AbortedByCallback,
            ErrorKind::Internal => S::Internal,
        }
    }

    /// The status with this number, if there is one (C may pass any integer).
    pub fn from_code(code: i32) -> Option<firecrest_status> {
        if code == 0 {
            return Some(firecrest_status::Ok);
        }
        ALL_KINDS
            .iter()
            .map(|&k| firecrest_status::from_kind(k))
            .chain(C_ONLY)
            .find(|s| *s as i32 == code)
    }

    /// The constant's name as the header spells it.
    pub fn name(self) -> &'static CStr {
        use firecrest_status as S;
        match self {
            S::Ok => c"FIRECREST_STATUS_OK",
            S::NullArgument => c"FIRECREST_STATUS_NULL_ARGUMENT",
            S::InvalidArgument => c"FIRECREST_STATUS_INVALID_ARGUMENT",
            S::BufferTooSmall => c"FIRECREST_STATUS_BUFFER_TOO_SMALL",
            S::InvalidState => c"FIRECREST_STATUS_INVALID_STATE",
            S::Transport => c"FIRECREST_STATUS_TRANSPORT",
            S::Dns => c"FIRECREST_STATUS_DNS",
            S::Connect => c"FIRECREST_STATUS_CONNECT",
            S::Tls => c"FIRECREST_STATUS_TLS",
            S::Timeout => c"FIRECREST_STATUS_TIMEOUT",
            S::Proxy => c"FIRECREST_STATUS_PROXY",
            S::Http => c"FIRECREST_STATUS_HTTP",
            S::Unauthorized => c"FIRECREST_STATUS_UNAUTHORIZED",
            S::Forbidden => c"FIRECREST_STATUS_FORBIDDEN",
            S::NotFound => c"FIRECREST_STATUS_NOT_FOUND",
            S::ApiError => c"FIRECREST_STATUS_API_ERROR",
            S::RateLimited => c"FIRECREST_STATUS_RATE_LIMITED",
            S::Auth => c"FIRECREST_STATUS_AUTH",
            S::TaskFailed => c"FIRECREST_STATUS_TASK_FAILED",
            S::Unsupported => c"FIRECREST_STATUS_UNSUPPORTED",
            S::Json => c"FIRECREST_STATUS_JSON",
            S::Io => c"FIRECREST_STATUS_IO",
            S::AbortedByCallback => c"FIRECREST_STATUS_ABORTED_BY_CALLBACK",
            S::Panic => c"FIRECREST_STATUS_PANIC",
            S::Internal => c"FIRECREST_STATUS_INTERNAL",
        }
    }
}

// The C values are the Rust ones, checked while compiling.
const _: () = {
    let mut i = 0;
    while i < ALL_KINDS.len() {
        assert!(firecrest_status::from_kind(ALL_KINDS[i]) as i32 == ALL_KINDS[i] as i32);
        i += 1;
    }
};

impl From<ErrorKind> for firecrest_status {
    fn from(kind: ErrorKind) -> firecrest_status {
        firecrest_status::from_kind(kind)
    }
}

/// A status as an argument: a plain integer on the Rust side, because C may pass any value and
/// an out-of-range Rust enum would be undefined behaviour. The header calls it `firecrest_status`.
pub type firecrest_status_arg = i32;

/// An error on its way to C: the Rust library's errors, plus the failures only the C layer
/// has (a NULL argument, a caller's buffer too small, a caught panic).
#[derive(Debug)]
pub(crate) struct CError {
    status: firecrest_status,
    message: String,
    http_status: u16,
    correlation_id: Option<String>,
}

impl CError {
    pub(crate) fn new(status: firecrest_status, message: impl Into<String>) -> CError {
        CError {
            status,
            message: message.into(),
            http_status: 0,
            correlation_id: None,
        }
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> CError {
        CError::new(firecrest_status::InvalidArgument, message)
    }
}

impl From<Error> for CError {
    /// The message gains FirecREST's error header when it does not already quote it.
    fn from(e: Error) -> CError {
        let mut message = e.message().to_string();
        if let Some((name, value)) = e.error_header() {
            if !message.contains(value) {
                message.push_str(&format!(" ({name}: {value})"));
            }
        }
        CError {
            status: e.kind().into(),
            message,
            http_status: e.http_status(),
            correlation_id: e.correlation_id().map(str::to_string),
        }
    }
}

pub(crate) type CResult<T> = std::result::Result<T, CError>;

struct LastError {
    message: String,
    http_status: u16,
    correlation_id: Option<String>,
}

thread_local! {
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn set_last_error(function: &str, e: &CError) {
    let message = format!("{function}: {}", e.message);
    LAST_ERROR.with(|l| {
        *l.borrow_mut() = Some(LastError {
            message,
            http_status: e.http_status,
            correlation_id: e.correlation_id.clone(),
        })
    });
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// Runs the body of a fallible export: a panic becomes `Panic`, an error is recorded as the
/// thread's last error (prefixed with the C function's name) and returned as its status.
pub(crate) fn boundary(function: &str, f: impl FnOnce() -> CResult<()>) -> firecrest_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => firecrest_status::Ok,
        Ok(Err(e)) => {
            set_last_error(function, &e);
            e.status
        }
        Err(payload) => {
            let e = CError::new(
                firecrest_status::Panic,
                format!("internal panic: {}", panic_text(payload.as_ref())),
            );
            set_last_error(function, &e);
            firecrest_status::Panic
        }
    }
}

/// Runs the body of an export that cannot report a status (`_free`, getters): a panic yields
/// `fallback`.
pub(crate) fn boundary_or<T>(function: &str, fallback: T, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(payload) => {
            let e = CError::new(
                firecrest_status::Panic,
                format!("internal panic: {}", panic_text(payload.as_ref())),
            );
            set_last_error(function, &e);
            fallback
        }
    }
}

pub(crate) fn null_argument(name: &str) -> CError {
    CError::new(
        firecrest_status::NullArgument,
        format!("argument `{name}` is NULL"),
    )
}

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, name: &str) -> CResult<&'a str> {
    match opt_str(p, name)? {
        Some(s) => Ok(s),
        None => Err(null_argument(name)),
    }
}

/// An optional (nullable) string argument.
///
/// # Safety
/// As `arg_str`.
pub(crate) unsafe fn opt_str<'a>(p: *const c_char, name: &str) -> CResult<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    let bytes = CStr::from_ptr(p).to_bytes();
    std::str::from_utf8(bytes).map(Some).map_err(|e| {
        CError::invalid_argument(format!(
            "argument `{name}` is not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })
}

/// A local path: bytes, since file names need not be UTF-8.
///
/// # Safety
/// As `arg_str`.
pub(crate) unsafe fn arg_path<'a>(p: *const c_char, name: &str) -> CResult<&'a Path> {
    use std::os::unix::ffi::OsStrExt;
    if p.is_null() {
        return Err(null_argument(name));
    }
    let bytes = CStr::from_ptr(p).to_bytes();
    if bytes.is_empty() {
        return Err(CError::invalid_argument(format!(
            "argument `{name}` is an empty path"
        )));
    }
    Ok(Path::new(std::ffi::OsStr::from_bytes(bytes)))
}

/// A required handle, shared.
///
/// # Safety
/// `p` is NULL or a live handle of type `T` that outlives `'a`.
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, name: &str) -> CResult<&'a T> {
    p.as_ref().ok_or_else(|| null_argument(name))
}

/// A required handle, exclusive.
///
/// # Safety
/// `p` is NULL or a live handle of type `T`, not used elsewhere during `'a`.
pub(crate) unsafe fn arg_mut<'a, T>(p: *mut T, name: &str) -> CResult<&'a mut T> {
    p.as_mut().ok_or_else(|| null_argument(name))
}

/// An output pointer, checked before any work so that a NULL costs no request.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    pub(crate) fn new(p: *mut T, name: &str) -> CResult<Out<T>> {
        if p.is_null() {
            Err(null_argument(name))
        } else {
            Ok(Out(p))
        }
    }

    /// Writes the result; called only on success.
    ///
    /// # Safety
    /// The pointer given to `new` is valid for a write of `T`.
    pub(crate) unsafe fn write(self, value: T) {
        self.0.write(value)
    }
}

/// Writes `value` to a nullable output pointer (one the caller may pass as NULL to ignore).
///
/// # Safety
/// `p` is NULL or valid for a write of `T`.
pub(crate) unsafe fn write_optional<T>(p: *mut T, value: T) {
    if !p.is_null() {
        p.write(value)
    }
}

/// A C `int32_t` flag: 0 is false, anything else true.
pub(crate) fn flag(v: i32) -> bool {
    v != 0
}

/// Copies the message of the last failure on the calling thread into `buf` (NUL-terminated).
///
/// `buf` may be NULL only when `buf_len` is 0 (to ask for the length). `len_out` (nullable)
/// receives the message's full length in bytes, without the NUL. When the message and its NUL do
/// not fit, `buf` receives as much as fits (still NUL-terminated) and the function returns
/// FIRECREST_STATUS_BUFFER_TOO_SMALL. With no failure yet on this thread the message is empty.
/// The message stays until the next failure on this thread (a success does not clear it), and
/// this function never replaces it.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_BUFFER_TOO_SMALL, or
/// FIRECREST_STATUS_NULL_ARGUMENT (`buf` NULL with `buf_len` > 0).
#[no_mangle]
pub unsafe extern "C" fn firecrest_last_error_message(
    buf: *mut c_char,
    buf_len: usize,
    len_out: *mut usize,
) -> firecrest_status {
    // Its own statuses are not recorded as the last error, which would replace the message
    // being read; only a panic is.
    boundary_or(
        "firecrest_last_error_message",
        firecrest_status::Panic,
        || {
            LAST_ERROR.with(|l| {
                let l = l.borrow();
                let message = l.as_ref().map(|e| e.message.as_bytes()).unwrap_or(b"");
                copy_out(message, buf, buf_len, len_out)
            })
        },
    )
}

/// Copies `text` into the caller's buffer as firecrest_last_error_message() documents.
///
/// # Safety
/// `buf` is NULL or writable for `buf_len` bytes; `len_out` is NULL or writable.
unsafe fn copy_out(
    text: &[u8],
    buf: *mut c_char,
    buf_len: usize,
    len_out: *mut usize,
) -> firecrest_status {
    if buf.is_null() && buf_len > 0 {
        return firecrest_status::NullArgument;
    }
    if !len_out.is_null() {
        *len_out = text.len();
    }
    if buf_len == 0 {
        return firecrest_status::BufferTooSmall;
    }
    let n = text.len().min(buf_len - 1);
    std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
    *buf.add(n) = 0;
    if n < text.len() {
        firecrest_status::BufferTooSmall
    } else {
        firecrest_status::Ok
    }
}

/// Copies the `X-Correlation-ID` of the request behind the last failure on the calling thread
/// into `buf` (NUL-terminated): the id to give the centre's support, who can find the request
/// in their logs with it. Empty when that failure was not a request's (a NULL or malformed
/// argument, a local file) or there was none. `buf`, `buf_len` and `len_out` work as in
/// firecrest_last_error_message(); a 37-byte buffer holds any id the library generates.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_BUFFER_TOO_SMALL, or
/// FIRECREST_STATUS_NULL_ARGUMENT (`buf` NULL with `buf_len` > 0).
#[no_mangle]
pub unsafe extern "C" fn firecrest_last_error_correlation_id(
    buf: *mut c_char,
    buf_len: usize,
    len_out: *mut usize,
) -> firecrest_status {
    boundary_or(
        "firecrest_last_error_correlation_id",
        firecrest_status::Panic,
        || {
            LAST_ERROR.with(|l| {
                let l = l.borrow();
                let id = l
                    .as_ref()
                    .and_then(|e| e.correlation_id.as_deref())
                    .unwrap_or("");
                copy_out(id.as_bytes(), buf, buf_len, len_out)
            })
        },
    )
}

/// The HTTP status of the response behind the last failure on the calling thread; 0 when that
/// failure was not an HTTP answer (or there was none).
#[no_mangle]
pub extern "C" fn firecrest_last_error_http_status() -> i32 {
    boundary_or("firecrest_last_error_http_status", 0, || {
        LAST_ERROR.with(|l| {
            l.borrow()
                .as_ref()
                .map(|e| i32::from(e.http_status))
                .unwrap_or(0)
        })
    })
}

/// The name of a status code, e.g. "FIRECREST_STATUS_NOT_FOUND": a static string, never freed.
/// An unknown value gives "FIRECREST_STATUS_UNKNOWN".
#[no_mangle]
pub extern "C" fn firecrest_status_str(status: firecrest_status_arg) -> *const c_char {
    boundary_or("firecrest_status_str", std::ptr::null(), || {
        firecrest_status::from_code(status)
            .map(|s| s.name())
            .unwrap_or(c"FIRECREST_STATUS_UNKNOWN")
            .as_ptr()
    })
}

/// The library's version, e.g. "0.1.0" (the same as FIRECREST_VERSION_MAJOR/MINOR/PATCH at the
/// time the library was built): a static string, never freed.
#[no_mangle]
pub extern "C" fn firecrest_version() -> *const c_char {
    boundary_or("firecrest_version", std::ptr::null(), || {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    })
}

/// Test-only (cargo feature `test-exports`, header macro FIRECREST_TEST_EXPORTS): panics inside
/// the boundary with `message` (nullable), to show that a panic comes back as
/// FIRECREST_STATUS_PANIC with the message in firecrest_last_error_message().
#[cfg(feature = "test-exports")]
#[no_mangle]
pub unsafe extern "C" fn firecrest_test_panic(message: *const c_char) -> firecrest_status {
    boundary("firecrest_test_panic", || {
        let message = opt_str(message, "message")?.unwrap_or("test panic");
        panic!("{message}");
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_equals_its_error_kind() {
        for kind in ALL_KINDS {
            let status = firecrest_status::from(kind);
            assert_eq!(status as i32, kind.code(), "{kind:?}");
            assert_eq!(firecrest_status::from_code(kind.code()), Some(status));
            let name = status.name().to_str().unwrap();
            let expected = format!("{kind:?}").chars().fold(String::new(), |mut s, c| {
                if c.is_uppercase() && !s.is_empty() {
                    s.push('_');
                }
                s.push(c.to_ascii_uppercase());
                s
            });
            assert_eq!(name, format!("FIRECREST_STATUS_{expected}"));
        }
        for status in C_ONLY {
            assert_eq!(firecrest_status::from_code(status as i32), Some(status));
            assert!(ALL_KINDS.iter().all(|&k| k.code() != status as i32));
        }
        assert_eq!(firecrest_status::Ok as i32, 0);
        assert_eq!(firecrest_status::from_code(7), None);
    }

    #[test]
    fn last_error_is_copied_and_truncated() {
        let status = boundary("firecrest_x", || {
            Err(Error::new(ErrorKind::NotFound, "no such path /a")
                .with_http_status(404)
                .into())
        });
        assert_eq!(status, firecrest_status::NotFound);
        assert_eq!(firecrest_last_error_http_status(), 404);
        let mut buf = [0 as c_char; 64];
        let mut len = 0usize;
        let s = unsafe { firecrest_last_error_message(buf.as_mut_ptr(), buf.len(), &mut len) };
        assert_eq!(s, firecrest_status::Ok);
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
        assert_eq!(text, "firecrest_x: no such path /a");
        assert_eq!(len, text.len());
        let s = unsafe { firecrest_last_error_message(buf.as_mut_ptr(), 5, &mut len) };
        assert_eq!(s, firecrest_status::BufferTooSmall);
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes(), b"fire");
        assert_eq!(len, text.len());
    }

    #[test]
    fn panic_is_caught() {
        let status = boundary("firecrest_y", || panic!("boom"));
        assert_eq!(status, firecrest_status::Panic);
        let mut buf = [0 as c_char; 64];
        unsafe { firecrest_last_error_message(buf.as_mut_ptr(), buf.len(), std::ptr::null_mut()) };
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
        assert!(text.contains("boom"), "{text}");
    }
}
