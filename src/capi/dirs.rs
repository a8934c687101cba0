//! Archives on a system (compress, extract) and whole-directory transfers.

use super::boundary::{arg_path, arg_str, firecrest_status, flag, opt_str};
use super::client::{firecrest_client, with_client};
use super::transfers::{firecrest_progress_cb, progress_fn};
use crate::types::CompressOptions;
use std::ffi::{c_char, c_void};

/// Writes a gzip-compressed tar of `source` (a file or directory on `system`) at `target`. The
/// archive holds `source` under its own name (`tar -C dirname(source) basename(source)`).
/// `dereference` non-zero archives what symlinks point to instead of the links. `match_pattern`
/// (nullable) archives instead the regular files under the parent of `source` whose path
/// (`./name/...`) matches this regular expression as a whole (the server runs `find . -type f
/// -regex`); FirecREST v1 has no such option (FIRECREST_STATUS_UNSUPPORTED when given). On FirecREST v2, when the server's
/// command times out the compression runs again as a scheduler job and the call waits for it.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_UNSUPPORTED, FIRECREST_STATUS_NOT_FOUND or FIRECREST_STATUS_API_ERROR (no such
/// source, not permitted; the message has the server's text), FIRECREST_STATUS_TASK_FAILED (the
/// v2 job failed), transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_compress(
    c: *const firecrest_client,
    system: *const c_char,
    source: *const c_char,
    target: *const c_char,
    dereference: i32,
    match_pattern: *const c_char,
) -> firecrest_status {
    with_client("firecrest_compress", c, |client| {
        let options = CompressOptions {
            dereference: flag(dereference),
            match_pattern: opt_str(match_pattern, "match_pattern")?.map(str::to_string),
        };
        Ok(client.compress(
            arg_str(system, "system")?,
            arg_str(source, "source")?,
            arg_str(target, "target")?,
            &options,
        )?)
    })
}

/// Extracts the gzip-compressed tar `source` on `system` into the existing directory
/// `target_dir` (members already there are replaced, others kept). On FirecREST v2, when the
/// server's command times out the extraction runs again as a scheduler job and the call waits.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_NOT_FOUND or FIRECREST_STATUS_API_ERROR (no such archive or directory, not
/// permitted, not an archive), FIRECREST_STATUS_TASK_FAILED, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_extract(
    c: *const firecrest_client,
    system: *const c_char,
    source: *const c_char,
    target_dir: *const c_char,
) -> firecrest_status {
    with_client("firecrest_extract", c, |client| {
        Ok(client.extract(
            arg_str(system, "system")?,
            arg_str(source, "source")?,
            arg_str(target_dir, "target_dir")?,
        )?)
    })
}

/// Uploads the local directory tree `local_dir` (bytes) so that `remote_dir` on `system` holds
/// its contents (`local_dir/a/b` arrives as `remote_dir/a/b`), like `cp -R local_dir/.
/// remote_dir`: `remote_dir` and its parents are created if missing; into an existing
/// `remote_dir` the tree is merged (files of the same name replaced, others kept).
///
/// The tree travels as one gzip-compressed tar: packed locally, sent directly or through the
/// staging area by its size, extracted by the server, then the remote archive
/// (`remote_dir/.firecrest-upload-<random>.tar.gz`) is removed, also when a step fails.
/// Permission bits travel (the server's extraction applies the user's umask); symlinks travel
/// as links and must point inside the tree; devices, FIFOs and sockets are refused.
///
/// `cb` (nullable) follows the archive's bytes as firecrest_transfer_set_progress() describes
/// (a direct send reports once, at its end); a non-zero return stops the call with
/// FIRECREST_STATUS_ABORTED_BY_CALLBACK. `userdata` is passed back unchanged.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (also: `local_dir` is not a directory), FIRECREST_STATUS_IO (reading the tree; a link out of
/// it), FIRECREST_STATUS_ABORTED_BY_CALLBACK, FIRECREST_STATUS_API_ERROR,
/// FIRECREST_STATUS_TASK_FAILED, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_upload_dir(
    c: *const firecrest_client,
    system: *const c_char,
    local_dir: *const c_char,
    remote_dir: *const c_char,
    cb: firecrest_progress_cb,
    userdata: *mut c_void,
) -> firecrest_status {
    with_client("firecrest_upload_dir", c, |client| {
        Ok(client.upload_dir(
            arg_str(system, "system")?,
            arg_path(local_dir, "local_dir")?,
            arg_str(remote_dir, "remote_dir")?,
            progress_fn(cb, userdata),
        )?)
    })
}

/// Downloads the directory tree `remote_dir` on `system` as the new local directory
/// `local_dir` (bytes), like `cp -R remote_dir local_dir`. `local_dir` must not exist
/// (FIRECREST_STATUS_INVALID_ARGUMENT otherwise) and its parent must: the tree is unpacked into
/// a temporary directory beside it and renamed into place at the end, so on failure nothing is
/// left behind.
///
/// The server compresses the tree into `.<name>.firecrest-<random>.tar.gz` in `remote_dir`'s
/// parent (which must be writable); the archive comes directly or through the staging area by
/// its size and is removed remotely, also when a step fails. Permission bits travel; symlinks
/// travel as links and must point inside the tree; an archive member that would land outside
/// `local_dir` fails the call. `cb` and `userdata` as in firecrest_upload_dir().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_IO (writing the tree; a member out of it), FIRECREST_STATUS_ABORTED_BY_CALLBACK,
/// FIRECREST_STATUS_NOT_FOUND or FIRECREST_STATUS_API_ERROR (no such directory, not permitted),
/// FIRECREST_STATUS_TASK_FAILED, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_download_dir(
    c: *const firecrest_client,
    system: *const c_char,
    remote_dir: *const c_char,
    local_dir: *const c_char,
    cb: firecrest_progress_cb,
    userdata: *mut c_void,
) -> firecrest_status {
    with_client("firecrest_download_dir", c, |client| {
        Ok(client.download_dir(
            arg_str(system, "system")?,
            arg_str(remote_dir, "remote_dir")?,
            arg_path(local_dir, "local_dir")?,
            progress_fn(cb, userdata),
        )?)
    })
}
