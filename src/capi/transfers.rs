//! External (staged) transfers, followed by polling the v1 status integers on v1 and v2 alike.

use super::boundary::CResult as Result;
use super::boundary::{
    arg_mut, arg_path, arg_str, boundary, boundary_or, firecrest_status, write_optional, Out,
};
use super::client::{firecrest_client, with_client};
use super::stream::{firecrest_write_cb, CallbackWriter};
use super::strings::{c_json, c_string};
use crate::transfers::{self, Transfer, TransferState};
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// Accepted, not started.
pub const FIRECREST_TASK_QUEUED: i32 = 100;
/// Upload: waiting for the staging-area URL.
pub const FIRECREST_UPLOAD_WAITING_URL: i32 = 110;
/// Upload: the client may send the file (firecrest_transfer_finish_upload()).
pub const FIRECREST_UPLOAD_URL_READY: i32 = 111;
/// Upload: the staging area has the whole file.
pub const FIRECREST_UPLOAD_IN_STAGING: i32 = 112;
/// Upload: moving from the staging area to the system.
pub const FIRECREST_UPLOAD_MOVING: i32 = 113;
/// Upload: the file is in place (success).
pub const FIRECREST_UPLOAD_DONE: i32 = 114;
/// Upload: error.
pub const FIRECREST_UPLOAD_FAILED: i32 = 115;
/// Download: moving from the system to the staging area.
pub const FIRECREST_DOWNLOAD_STAGING: i32 = 116;
/// Download: the link is ready (firecrest_transfer_finish_download()) (success).
pub const FIRECREST_DOWNLOAD_READY: i32 = 117;
/// Download: error.
pub const FIRECREST_DOWNLOAD_FAILED: i32 = 118;
/// Finished.
pub const FIRECREST_TASK_DONE: i32 = 200;
/// The staging link was invalidated.
pub const FIRECREST_TASK_INVALIDATED: i32 = 302;
/// Finished with errors.
pub const FIRECREST_TASK_FAILED: i32 = 400;

// cbindgen needs literals above; these keep them equal to the Rust API's states.
const _: () = {
    assert!(FIRECREST_TASK_QUEUED == TransferState::Queued.code());
    assert!(FIRECREST_UPLOAD_WAITING_URL == TransferState::UploadWaitingUrl.code());
    assert!(FIRECREST_UPLOAD_URL_READY == TransferState::UploadUrlReady.code());
    assert!(FIRECREST_UPLOAD_IN_STAGING == TransferState::UploadInStaging.code());
    assert!(FIRECREST_UPLOAD_MOVING == TransferState::UploadMoving.code());
    assert!(FIRECREST_UPLOAD_DONE == TransferState::UploadDone.code());
    assert!(FIRECREST_UPLOAD_FAILED == TransferState::UploadFailed.code());
    assert!(FIRECREST_DOWNLOAD_STAGING == TransferState::DownloadStaging.code());
    assert!(FIRECREST_DOWNLOAD_READY == TransferState::DownloadReady.code());
    assert!(FIRECREST_DOWNLOAD_FAILED == TransferState::DownloadFailed.code());
    assert!(FIRECREST_TASK_DONE == TransferState::TaskDone.code());
    assert!(FIRECREST_TASK_INVALIDATED == TransferState::Invalidated.code());
    assert!(FIRECREST_TASK_FAILED == TransferState::TaskFailed.code());
};

/// An external upload or download in progress. Not synchronised: use it from one thread at a
/// time (any thread). It does not need its client to stay alive. Free it with
/// firecrest_transfer_free().
pub struct firecrest_transfer {
    transfer: Transfer,
}

/// Progress of a transfer's data: `done` of `total` bytes (`total` 0 = unknown). Return 0 to go
/// on; a non-zero return stops the transfer, which then fails with
/// FIRECREST_STATUS_ABORTED_BY_CALLBACK. Called on the thread that called
/// firecrest_transfer_finish_upload() or firecrest_transfer_finish_download().
pub type firecrest_progress_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, done: u64, total: u64) -> i32>;

/// The C caller's userdata, moved into the Rust progress closure.
struct Userdata(*mut c_void);

// SAFETY: the closure runs only inside calls on the transfer, which the caller makes from one
// thread at a time; the pointer is only handed back to the caller's callback.
unsafe impl Send for Userdata {}

impl Userdata {
    /// A method, so closures capture the whole (Send) wrapper rather than the raw field.
    fn ptr(&self) -> *mut c_void {
        self.0
    }
}

/// The C caller's progress callback as the Rust one (None when `cb` is NULL).
pub(crate) fn progress_fn(
    cb: firecrest_progress_cb,
    userdata: *mut c_void,
) -> Option<transfers::ProgressFn> {
    cb.map(|cb| {
        let userdata = Userdata(userdata);
        Box::new(move |done: u64, total: u64| {
            // SAFETY: the caller gave this callback and userdata for this purpose.
            unsafe { cb(userdata.ptr(), done, total) == 0 }
        }) as transfers::ProgressFn
    })
}

fn new_transfer(transfer: Transfer, out: Out<*mut firecrest_transfer>) {
    // SAFETY: checked by Out::new.
    unsafe { out.write(Box::into_raw(Box::new(firecrest_transfer { transfer }))) }
}

/// Runs `f` with the transfer behind `t`.
unsafe fn with_transfer(
    function: &str,
    t: *mut firecrest_transfer,
    f: impl FnOnce(&mut Transfer) -> Result<()>,
) -> firecrest_status {
    boundary(function, || f(&mut arg_mut(t, "t")?.transfer))
}

/// Starts an external upload of the local file `local_path` (bytes) to `remote_path` (the full
/// remote file name) on `system`, for files larger than firecrest_simple_upload() allows.
///
/// Then: wait for FIRECREST_UPLOAD_URL_READY (firecrest_transfer_wait()), send the file with
/// firecrest_transfer_finish_upload(), and wait for FIRECREST_UPLOAD_DONE.
///
/// On success `*transfer_out` receives the transfer, freed with firecrest_transfer_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_IO (the local file), FIRECREST_STATUS_API_ERROR, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_external_upload(
    c: *const firecrest_client,
    system: *const c_char,
    local_path: *const c_char,
    remote_path: *const c_char,
    transfer_out: *mut *mut firecrest_transfer,
) -> firecrest_status {
    with_client("firecrest_external_upload", c, |client| {
        let system = arg_str(system, "system")?;
        let local_path = arg_path(local_path, "local_path")?;
        let remote_path = arg_str(remote_path, "remote_path")?;
        let out = Out::new(transfer_out, "transfer_out")?;
        new_transfer(
            client.external_upload(system, local_path, remote_path)?,
            out,
        );
        Ok(())
    })
}

/// Starts an external download of `remote_path` on `system`: the server copies it to the staging
/// area. Then wait for FIRECREST_DOWNLOAD_READY and fetch it with
/// firecrest_transfer_finish_download() (which also waits), or hand
/// firecrest_transfer_object_storage_link() to another tool.
///
/// On success `*transfer_out` receives the transfer, freed with firecrest_transfer_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_external_download(
    c: *const firecrest_client,
    system: *const c_char,
    remote_path: *const c_char,
    transfer_out: *mut *mut firecrest_transfer,
) -> firecrest_status {
    with_client("firecrest_external_download", c, |client| {
        let system = arg_str(system, "system")?;
        let remote_path = arg_str(remote_path, "remote_path")?;
        let out = Out::new(transfer_out, "transfer_out")?;
        new_transfer(client.external_download(system, remote_path)?, out);
        Ok(())
    })
}

/// Asks the server once and gives the transfer's status integer (FIRECREST_UPLOAD_* /
/// FIRECREST_DOWNLOAD_* / FIRECREST_TASK_*). A failed transfer is a value here
/// (e.g. FIRECREST_UPLOAD_FAILED), not an error.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_status(
    t: *mut firecrest_transfer,
    status_out: *mut i32,
) -> firecrest_status {
    with_transfer("firecrest_transfer_status", t, |transfer| {
        let out = Out::new(status_out, "status_out")?;
        out.write(transfer.status()?.code());
        Ok(())
    })
}

/// The status integer seen by the last firecrest_transfer_status() or firecrest_transfer_wait()
/// (also after they failed), without a request.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_last_status(
    t: *const firecrest_transfer,
    status_out: *mut i32,
) -> firecrest_status {
    boundary("firecrest_transfer_last_status", || {
        let t = super::boundary::arg_ref(t, "t")?;
        let out = Out::new(status_out, "status_out")?;
        out.write(t.transfer.last_status().code());
        Ok(())
    })
}

/// Polls the server (with backoff, see firecrest_options_set_poll_interval_ms()) until the status
/// is `until_status` or a terminal one, for at most `timeout_ms` milliseconds (0 = no limit).
///
/// On success `*status_out` receives the status reached: `until_status` or a successful terminal
/// status (FIRECREST_UPLOAD_DONE, FIRECREST_DOWNLOAD_READY, FIRECREST_TASK_DONE).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_TIMEOUT,
/// FIRECREST_STATUS_TASK_FAILED (a failure status: 115, 118, 400 or 302; the message has the
/// server's reason and firecrest_transfer_last_status() the integer), transport, HTTP and API
/// statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_wait(
    t: *mut firecrest_transfer,
    until_status: i32,
    timeout_ms: u64,
    status_out: *mut i32,
) -> firecrest_status {
    with_transfer("firecrest_transfer_wait", t, |transfer| {
        let out = Out::new(status_out, "status_out")?;
        let timeout = match timeout_ms {
            // "No limit" as a span no job outlives, so deadline arithmetic cannot overflow.
            0 => Duration::from_secs(100 * 365 * 24 * 3600),
            ms => Duration::from_millis(ms),
        };
        out.write(
            transfer
                .wait(TransferState::from_code(until_status), timeout)?
                .code(),
        );
        Ok(())
    })
}

/// Upload: sends the local file to the staging area (once the status is
/// FIRECREST_UPLOAD_URL_READY; waits for it if needed), reporting progress to the callback set
/// with firecrest_transfer_set_progress(). Afterwards the server moves it into place: wait for
/// FIRECREST_UPLOAD_DONE.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_STATE
/// (a download), FIRECREST_STATUS_IO (the local file), FIRECREST_STATUS_ABORTED_BY_CALLBACK,
/// FIRECREST_STATUS_TASK_FAILED, transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_finish_upload(
    t: *mut firecrest_transfer,
) -> firecrest_status {
    with_transfer("firecrest_transfer_finish_upload", t, |transfer| {
        Ok(transfer.finish_upload()?)
    })
}

/// Download: waits until the staged file is ready, then streams it into the local file
/// `local_path` (bytes), reporting progress to the callback set with
/// firecrest_transfer_set_progress(). The data goes to a temporary file beside `local_path`,
/// renamed only when complete: on failure `local_path` is untouched. A dropped connection is
/// resumed where it stopped.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_INVALID_STATE (an upload), FIRECREST_STATUS_IO (the local file),
/// FIRECREST_STATUS_ABORTED_BY_CALLBACK, FIRECREST_STATUS_TASK_FAILED, transport, HTTP and API
/// statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_finish_download(
    t: *mut firecrest_transfer,
    local_path: *const c_char,
) -> firecrest_status {
    with_transfer("firecrest_transfer_finish_download", t, |transfer| {
        Ok(transfer.finish_download(arg_path(local_path, "local_path")?)?)
    })
}

/// Download: as firecrest_transfer_finish_download(), into the caller's write callback (see
/// firecrest_write_cb) instead of a file, e.g. to keep the data in memory or pipe it elsewhere.
/// Progress goes to the callback set with firecrest_transfer_set_progress(). On success
/// `*size_out` (nullable) receives the number of bytes delivered.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_STATE
/// (an upload), FIRECREST_STATUS_ABORTED_BY_CALLBACK, FIRECREST_STATUS_TASK_FAILED, transport,
/// HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_finish_download_cb(
    t: *mut firecrest_transfer,
    cb: firecrest_write_cb,
    userdata: *mut c_void,
    size_out: *mut u64,
) -> firecrest_status {
    with_transfer("firecrest_transfer_finish_download_cb", t, |transfer| {
        let mut writer = CallbackWriter::new(cb, userdata)?;
        let result = transfer.finish_download_to(&mut writer);
        write_optional(size_out, writer.outcome(result)?);
        Ok(())
    })
}

/// The presigned URL of the staged object (a download: once ready, waiting if needed), for tools
/// such as curl or wget. Anyone holding it can fetch the file until it expires or is invalidated.
///
/// On success `*url_out` receives the URL, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_STATE,
/// FIRECREST_STATUS_TASK_FAILED, transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_object_storage_link(
    t: *mut firecrest_transfer,
    url_out: *mut *mut c_char,
) -> firecrest_status {
    with_transfer("firecrest_transfer_object_storage_link", t, |transfer| {
        let out = Out::new(url_out, "url_out")?;
        out.write(c_string(transfer.object_storage_link()?, "the link")?);
        Ok(())
    })
}

/// The server's staging instructions, as JSON exactly as the server sends them: on v1 the task's
/// `data.msg.parameters` (upload) or `data` (download), on v2 the `transferDirectives` object.
/// This is the one JSON output whose schema differs between API versions.
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_STATE,
/// transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_object_storage_data(
    t: *mut firecrest_transfer,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    with_transfer("firecrest_transfer_object_storage_data", t, |transfer| {
        let out = Out::new(json_out, "json_out")?;
        out.write(c_json(&transfer.object_storage_data()?)?);
        Ok(())
    })
}

/// Invalidates the staged object's link so that nobody can fetch it any more (call it after a
/// download). The status becomes FIRECREST_TASK_INVALIDATED where the server reports it.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_STATE,
/// transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_invalidate(
    t: *mut firecrest_transfer,
) -> firecrest_status {
    with_transfer("firecrest_transfer_invalidate", t, |transfer| {
        Ok(transfer.invalidate_object_storage_link()?)
    })
}

/// Sets (or with `cb` NULL removes) the progress callback of the transfer's data movement
/// (firecrest_transfer_finish_upload(), firecrest_transfer_finish_download()). `userdata` is
/// passed back unchanged and must stay valid while the transfer may call `cb`.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_set_progress(
    t: *mut firecrest_transfer,
    cb: firecrest_progress_cb,
    userdata: *mut c_void,
) -> firecrest_status {
    with_transfer("firecrest_transfer_set_progress", t, |transfer| {
        transfer.set_progress(progress_fn(cb, userdata));
        Ok(())
    })
}

/// Frees a transfer (its staged object stays until invalidated or expired). NULL is a no-op;
/// freeing twice is undefined behaviour.
#[no_mangle]
pub unsafe extern "C" fn firecrest_transfer_free(t: *mut firecrest_transfer) {
    if !t.is_null() {
        boundary_or("firecrest_transfer_free", (), || drop(Box::from_raw(t)));
    }
}
