//! What a C or Fortran user needs to debug a failure: the correlation id of the calling
//! thread's requests and the library's log, delivered to a callback.

use super::boundary::{boundary, opt_str, CError};
use crate::logging;
use log::LevelFilter;
use std::ffi::{c_char, c_void, CString};

/// No records (firecrest_set_log_callback()).
pub const FIRECREST_LOG_OFF: i32 = 0;
/// Failures only.
pub const FIRECREST_LOG_ERROR: i32 = 1;
/// Failures and a token command or token endpoint that failed.
pub const FIRECREST_LOG_WARN: i32 = 2;
/// Also retries (why, after how long) and token refreshes.
pub const FIRECREST_LOG_INFO: i32 = 3;
/// Also every request: method, URL (signatures removed), status, duration, correlation id.
pub const FIRECREST_LOG_DEBUG: i32 = 4;
/// Everything the library logs.
pub const FIRECREST_LOG_TRACE: i32 = 5;

// cbindgen needs literals above; these keep them equal to the `log` crate's levels.
const _: () = {
    assert!(FIRECREST_LOG_ERROR == log::Level::Error as i32);
    assert!(FIRECREST_LOG_WARN == log::Level::Warn as i32);
    assert!(FIRECREST_LOG_INFO == log::Level::Info as i32);
    assert!(FIRECREST_LOG_DEBUG == log::Level::Debug as i32);
    assert!(FIRECREST_LOG_TRACE == log::Level::Trace as i32);
};

/// Receives one log record: its level (a FIRECREST_LOG_* value) and its text, one line without a
/// newline, NUL-terminated and valid only during the call. Records never contain a secret, a
/// token, an Authorization header or a presigned URL's signature.
///
/// It is called on the thread that made the request, so from several threads at once when
/// clients are used from several threads; it must not call back into the library.
pub type firecrest_log_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, level: i32, message: *const c_char)>;

struct LogCallback {
    cb: unsafe extern "C" fn(*mut c_void, i32, *const c_char),
    userdata: *mut c_void,
}

// SAFETY: the C caller promises (see firecrest_set_log_callback) that the callback and its
// userdata may be used from any thread.
unsafe impl Send for LogCallback {}
unsafe impl Sync for LogCallback {}

impl LogCallback {
    fn call(&self, level: i32, line: &std::ffi::CStr) {
        // SAFETY: the callback contract is the caller's; the text outlives the call.
        unsafe { (self.cb)(self.userdata, level, line.as_ptr()) }
    }
}

/// Sends the library's log records up to `max_level` (a FIRECREST_LOG_* value) to `cb`, for the
/// whole process (libcurl's CURLOPT_DEBUGFUNCTION, for all clients at once). `cb` NULL or
/// FIRECREST_LOG_OFF stops the records. A callback replaces the lines the environment variable
/// FIRECREST_LOG=error|warn|info|debug|trace writes to stderr without any code.
///
/// `cb` and `userdata` are stored until replaced: they must stay valid until then and be safe to
/// call from every thread that uses a client.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_INVALID_ARGUMENT (`max_level` out of range),
/// FIRECREST_STATUS_INVALID_STATE (the program installed another Rust `log` logger, which receives
/// the records instead).
#[no_mangle]
pub unsafe extern "C" fn firecrest_set_log_callback(
    cb: firecrest_log_cb,
    userdata: *mut c_void,
    max_level: i32,
) -> super::boundary::firecrest_status {
    boundary("firecrest_set_log_callback", || {
        let level = match max_level {
            FIRECREST_LOG_OFF => LevelFilter::Off,
            FIRECREST_LOG_ERROR => LevelFilter::Error,
            FIRECREST_LOG_WARN => LevelFilter::Warn,
            FIRECREST_LOG_INFO => LevelFilter::Info,
            FIRECREST_LOG_DEBUG => LevelFilter::Debug,
            FIRECREST_LOG_TRACE => LevelFilter::Trace,
            n => {
                return Err(CError::invalid_argument(format!(
                    "argument `max_level` is {n}; expected FIRECREST_LOG_OFF (0) to FIRECREST_LOG_TRACE (5)"
                )))
            }
        };
        let sink: Option<logging::Callback> = match cb {
            Some(cb) if level != LevelFilter::Off => {
                let target = LogCallback { cb, userdata };
                Some(Box::new(move |level: log::Level, text: &str| {
                    // A NUL inside a record would cut it short in C: show it escaped.
                    let line = CString::new(text.replace('\0', "\\0")).unwrap_or_default();
                    target.call(level as i32, &line);
                }))
            }
            _ => None,
        };
        logging::set_callback(sink, level)?;
        Ok(())
    })
}

/// Sets the `X-Correlation-ID` of every request the calling thread makes from now on, with any
/// client (pyfirecrest's `correlation_id`): a UUID (e.g. "2b1c7e4c-5a0e-4d38-9d0c-6f7e3f1b9a11"),
/// since FirecREST v2 refuses any other. NULL goes back to the client's own
/// (firecrest_options_set_correlation_id()) or a fresh random id for each call. Other threads are
/// not affected: a program that runs requests on several threads sets an id on each.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_INVALID_ARGUMENT (not UTF-8, not a UUID).
#[no_mangle]
pub unsafe extern "C" fn firecrest_set_correlation_id(
    correlation_id: *const c_char,
) -> super::boundary::firecrest_status {
    boundary("firecrest_set_correlation_id", || {
        let id = opt_str(correlation_id, "correlation_id")?;
        if let Some(id) = id {
            crate::transport::correlation::check("argument `correlation_id`", id)?;
        }
        crate::transport::correlation::set_thread(id.map(str::to_string));
        Ok(())
    })
}
