//! Client options: a builder handle with typed setters (no struct layout for C or Fortran to mirror).

use super::boundary::{arg_mut, arg_path, arg_str, boundary, boundary_or, firecrest_status, Out};
use super::boundary::{CError, CResult};
use crate::options::{check_header_value, Options};
use crate::types::ApiVersion;
use std::ffi::c_char;
use std::time::Duration;

/// Client settings, copied by firecrest_client_new(); free with firecrest_options_free(). Not
/// synchronised: use one from one thread at a time.
pub struct firecrest_options {
    pub(crate) options: Options,
}

/// New options with the defaults: API version detected, connect timeout 10 s, I/O timeout 60 s,
/// TLS verified against the system's roots, 3 retries, token refreshed 60 s before it expires,
/// polling every 0.1 s growing to 5 s, 4 parallel parts for v2 uploads.
///
/// On success `*opts_out` receives the new object, freed with firecrest_options_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_new(
    opts_out: *mut *mut firecrest_options,
) -> firecrest_status {
    boundary("firecrest_options_new", || {
        let out = Out::new(opts_out, "opts_out")?;
        let o = Box::new(firecrest_options {
            options: Options::default(),
        });
        out.write(Box::into_raw(o));
        Ok(())
    })
}

/// Applies `set` to the options behind `o`.
unsafe fn update(
    function: &str,
    o: *mut firecrest_options,
    set: impl FnOnce(&mut Options) -> CResult<()>,
) -> firecrest_status {
    boundary(function, || set(&mut arg_mut(o, "o")?.options))
}

fn positive_ms(ms: u64, name: &str) -> CResult<Duration> {
    if ms == 0 {
        return Err(CError::invalid_argument(format!(
            "argument `{name}` must be greater than 0"
        )));
    }
    Ok(Duration::from_millis(ms))
}

/// The FirecREST API version to speak: 0 detects it from the server on first use (one request),
/// 1 or 2 forces it.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (another value).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_api_version(
    o: *mut firecrest_options,
    version: i32,
) -> firecrest_status {
    update("firecrest_options_set_api_version", o, |opts| {
        opts.api_version = match version {
            0 => None,
            n => Some(ApiVersion::from_number(n).ok_or_else(|| {
                CError::invalid_argument(format!(
                    "argument `version` is {n}; expected 0 (detect), 1 or 2"
                ))
            })?),
        };
        Ok(())
    })
}

/// The longest any single step of a request may take: connecting, and each silence while
/// sending or receiving. Not a limit on a whole transfer, which may take as long as its data needs.
/// Sets the connect and the I/O timeout together (see firecrest_options_set_connect_timeout_ms()).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (0).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_timeout_ms(
    o: *mut firecrest_options,
    ms: u64,
) -> firecrest_status {
    update("firecrest_options_set_timeout_ms", o, |opts| {
        let d = positive_ms(ms, "ms")?;
        opts.connect_timeout = d;
        opts.io_timeout = d;
        Ok(())
    })
}

/// The longest one call may take whose answer is read whole (a listing, a stat, a task poll:
/// everything but the data of a transfer), however slowly the server sends it (default 300 s).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (0).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_call_timeout_ms(
    o: *mut firecrest_options,
    ms: u64,
) -> firecrest_status {
    update("firecrest_options_set_call_timeout_ms", o, |opts| {
        opts.call_timeout = positive_ms(ms, "ms")?;
        Ok(())
    })
}

/// A transfer's data moving slower than `bytes_per_second` for `seconds` is given up with
/// FIRECREST_STATUS_TIMEOUT, as libcurl's CURLOPT_LOW_SPEED_LIMIT/TIME do (default 1024 bytes/s
/// over 60 s; a staged download resumes where it stopped, within the retry limit).
/// `bytes_per_second` 0 turns the check off.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (`seconds` 0).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_low_speed(
    o: *mut firecrest_options,
    bytes_per_second: u64,
    seconds: u64,
) -> firecrest_status {
    update("firecrest_options_set_low_speed", o, |opts| {
        opts.low_speed_time = positive_ms(seconds.saturating_mul(1000), "seconds")?;
        opts.low_speed_limit = bytes_per_second;
        Ok(())
    })
}

/// Whether downloads are flushed to the disk (fsync) before they are renamed into place
/// (`on` non-zero; default off, as with curl and rsync: a download never appears half-written
/// either way, fsync adds durability against a crash of the machine at a cost in time).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_fsync(
    o: *mut firecrest_options,
    on: i32,
) -> firecrest_status {
    update("firecrest_options_set_fsync", o, |opts| {
        opts.fsync_downloads = on != 0;
        Ok(())
    })
}

/// The connect timeout alone (default 10 s).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (0).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_connect_timeout_ms(
    o: *mut firecrest_options,
    ms: u64,
) -> firecrest_status {
    update("firecrest_options_set_connect_timeout_ms", o, |opts| {
        opts.connect_timeout = positive_ms(ms, "ms")?;
        Ok(())
    })
}

/// A PEM file of CA certificates trusted besides the system's store (e.g. a centre's own CA). The
/// system's store is the one curl reads: SSL_CERT_FILE and SSL_CERT_DIR when set, otherwise the
/// distribution's bundle (the library's built-in Mozilla roots where the machine has none). The
/// path is a local path (bytes); the file is read when the client is created.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (empty).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_ca_file(
    o: *mut firecrest_options,
    pem_path: *const c_char,
) -> firecrest_status {
    update("firecrest_options_set_ca_file", o, |opts| {
        opts.ca_file = Some(arg_path(pem_path, "pem_path")?.to_path_buf());
        opts.ca_file_only = false;
        Ok(())
    })
}

/// Trusts only the CA certificates of this PEM file, not the system's store (a private
/// deployment, a test CA). The file is read when the client is created.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (empty).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_ca_file_only(
    o: *mut firecrest_options,
    pem_path: *const c_char,
) -> firecrest_status {
    update("firecrest_options_set_ca_file_only", o, |opts| {
        opts.ca_file = Some(arg_path(pem_path, "pem_path")?.to_path_buf());
        opts.ca_file_only = true;
        Ok(())
    })
}

/// Retries after the first attempt (default 3), for HTTP 429/502/503/504 and for transport
/// failures of requests that are safe to repeat. 0 disables retrying.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_max_retries(
    o: *mut firecrest_options,
    retries: u32,
) -> firecrest_status {
    update("firecrest_options_set_max_retries", o, |opts| {
        opts.max_retries = retries;
        Ok(())
    })
}

/// How long before its expiry a cached token is replaced (default 60 s; FirecREST v2 refuses
/// tokens with less than 30 s left). 0 uses a token until it expires.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_token_refresh_margin_s(
    o: *mut firecrest_options,
    seconds: u64,
) -> firecrest_status {
    update("firecrest_options_set_token_refresh_margin_s", o, |opts| {
        opts.token_refresh_margin = Duration::from_secs(seconds);
        Ok(())
    })
}

/// The polling of firecrest_transfer_wait() and firecrest_job_wait(): `initial_ms` first,
/// doubling up to half a second, then a tenth of the time waited so far (for a transfer, of
/// its age since it was created), at most `max_ms`; an end is so noticed at most 10 % of the
/// wait (or half a second) late. Defaults 100 ms and 5000 ms.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (0, or `initial_ms` > `max_ms`).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_poll_interval_ms(
    o: *mut firecrest_options,
    initial_ms: u64,
    max_ms: u64,
) -> firecrest_status {
    update("firecrest_options_set_poll_interval_ms", o, |opts| {
        let initial = positive_ms(initial_ms, "initial_ms")?;
        let max = positive_ms(max_ms, "max_ms")?;
        if initial > max {
            return Err(CError::invalid_argument(format!(
                "argument `initial_ms` ({initial_ms}) is greater than `max_ms` ({max_ms})"
            )));
        }
        opts.poll_initial = initial;
        opts.poll_max = max;
        Ok(())
    })
}

/// FirecREST v2 external uploads: how many parts are sent at once (default 4, at least 1).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (0).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_parallel_parts(
    o: *mut firecrest_options,
    parts: u32,
) -> firecrest_status {
    update("firecrest_options_set_parallel_parts", o, |opts| {
        if parts == 0 {
            return Err(CError::invalid_argument(
                "argument `parts` must be at least 1",
            ));
        }
        opts.parallel_parts = parts as usize;
        Ok(())
    })
}

/// The User-Agent header of every request (default "firecrest-rs/<version>"). The string is copied.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, or a control character such as CR or LF, which no header may carry).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_user_agent(
    o: *mut firecrest_options,
    user_agent: *const c_char,
) -> firecrest_status {
    update("firecrest_options_set_user_agent", o, |opts| {
        let user_agent = arg_str(user_agent, "user_agent")?;
        check_header_value("user_agent", user_agent)?;
        opts.user_agent = user_agent.to_string();
        Ok(())
    })
}

/// The scheduler account charged for the jobs FirecREST v2 runs for cp, mv, rm, external
/// transfers, compress and extract (default: the user's default account where the system needs
/// one). v1 runs these without the scheduler and ignores it. The string is copied.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, empty, or with whitespace or control characters).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_transfer_account(
    o: *mut firecrest_options,
    account: *const c_char,
) -> firecrest_status {
    update("firecrest_options_set_transfer_account", o, |opts| {
        let account = arg_str(account, "account")?;
        crate::options::check_account(account)?;
        opts.transfer_account = Some(account.to_string());
        Ok(())
    })
}

/// The largest JSON or text answer the client reads (a listing, a task), in bytes (default
/// 64 MiB); a larger answer fails with FIRECREST_STATUS_HTTP instead of using memory without
/// bound. Downloads are streamed and not limited by it.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (0).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_max_answer_bytes(
    o: *mut firecrest_options,
    bytes: u64,
) -> firecrest_status {
    update("firecrest_options_set_max_answer_bytes", o, |opts| {
        if bytes == 0 {
            return Err(CError::invalid_argument(
                "argument `bytes` must be at least 1",
            ));
        }
        opts.max_answer_bytes = bytes;
        Ok(())
    })
}

/// The `X-Correlation-ID` of every request of clients made with these options: a UUID (e.g.
/// "2b1c7e4c-5a0e-4d38-9d0c-6f7e3f1b9a11"), since FirecREST v2 refuses any other. NULL (the
/// default): a fresh random id for each call. firecrest_set_correlation_id() overrides it on
/// one thread. After a failure, firecrest_last_error_correlation_id() gives the id that failed.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT (`o`),
/// FIRECREST_STATUS_INVALID_ARGUMENT (not UTF-8, not a UUID).
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_set_correlation_id(
    o: *mut firecrest_options,
    correlation_id: *const c_char,
) -> firecrest_status {
    update("firecrest_options_set_correlation_id", o, |opts| {
        let id = super::boundary::opt_str(correlation_id, "correlation_id")?;
        if let Some(id) = id {
            crate::transport::correlation::check("argument `correlation_id`", id)?;
        }
        opts.correlation_id = id.map(str::to_string);
        Ok(())
    })
}

/// Frees options. NULL is a no-op; freeing twice is undefined behaviour. Clients made with them
/// keep their own copy.
#[no_mangle]
pub unsafe extern "C" fn firecrest_options_free(o: *mut firecrest_options) {
    if !o.is_null() {
        boundary_or("firecrest_options_free", (), || drop(Box::from_raw(o)));
    }
}
