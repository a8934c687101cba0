//! Files on a system: listing, metadata, small changes, and the small (direct) transfers.

use super::boundary::CResult as Result;
use super::boundary::{
    arg_path, arg_str, firecrest_status, flag, opt_str, write_optional, CError, Out,
};
use super::client::{firecrest_client, json_call, text_call, with_client};
use super::stream::{arg_bytes, firecrest_write_cb, CallbackWriter};
use super::strings::c_json_array;
use crate::types::{HeadTailOptions, ListOptions};
use std::ffi::{c_char, c_void};

/// The entries of the directory `path` on `system` (like `ls -l`), as JSON: an array of
/// `{"name": string, "type": "-" | "d" | "l" | ..., "link_target": string | null, "user": string,
/// "group": string, "permissions": "rwxr-xr-x", "last_modified": "YYYY-MM-DDTHH:MM:SS",
/// "size": integer}`. `show_hidden` (0/1) includes names starting with a dot.
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_NOT_FOUND or FIRECREST_STATUS_API_ERROR (no such path, or not permitted; the
/// message has the server's text), transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_list_files(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    show_hidden: i32,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    let flags = list_flags(show_hidden, 0);
    list_files("firecrest_list_files", c, system, path, flags, json_out)
}

/// As firecrest_list_files(), and with `recursive` non-zero the entries of every subdirectory too
/// (their `name` is the path relative to `path`).
#[no_mangle]
pub unsafe extern "C" fn firecrest_list_files_recursive(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    show_hidden: i32,
    recursive: i32,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    let name = "firecrest_list_files_recursive";
    let flags = list_flags(show_hidden, recursive);
    list_files(name, c, system, path, flags, json_out)
}

/// firecrest_list_files_flags(): include names starting with a dot.
pub const FIRECREST_LIST_HIDDEN: i32 = 1;
/// firecrest_list_files_flags(): list every subdirectory too.
pub const FIRECREST_LIST_RECURSIVE: i32 = 2;
/// firecrest_list_files_flags(): owners and groups as numbers (`ls -n`).
pub const FIRECREST_LIST_NUMERIC_IDS: i32 = 4;
/// firecrest_list_files_flags(): describe what symbolic links point to (`ls -L`).
pub const FIRECREST_LIST_DEREFERENCE: i32 = 8;

/// As firecrest_list_files(), with its options as a sum of FIRECREST_LIST_HIDDEN,
/// FIRECREST_LIST_RECURSIVE, FIRECREST_LIST_NUMERIC_IDS and FIRECREST_LIST_DEREFERENCE (0: none).
/// Other bits are refused with FIRECREST_STATUS_INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn firecrest_list_files_flags(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    flags: i32,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    let name = "firecrest_list_files_flags";
    list_files(name, c, system, path, flags, json_out)
}

unsafe fn list_files(
    function: &str,
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    flags: i32,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    let args = || system_and_path(system, path);
    with_client(function, c, |client| {
        let out = Out::new(json_out, "json_out")?;
        let (system, path) = args()?;
        let known = FIRECREST_LIST_HIDDEN
            | FIRECREST_LIST_RECURSIVE
            | FIRECREST_LIST_NUMERIC_IDS
            | FIRECREST_LIST_DEREFERENCE;
        if flags & !known != 0 {
            return Err(CError::invalid_argument(format!(
                "flags: unknown bits {:#x} (FIRECREST_LIST_* sum to at most {known:#x})",
                flags & !known
            )));
        }
        let options = ListOptions {
            show_hidden: flags & FIRECREST_LIST_HIDDEN != 0,
            recursive: flags & FIRECREST_LIST_RECURSIVE != 0,
            numeric_uid: flags & FIRECREST_LIST_NUMERIC_IDS != 0,
            dereference: flags & FIRECREST_LIST_DEREFERENCE != 0,
        };
        // The JSON is written entry by entry as the answer is read, each entry borrowing
        // from the answer: the listing is never held whole.
        let json = c_json_array(|array| {
            Ok(client.list_files_with(system, path, options, &mut |entry| array.push(entry))?)
        })?;
        out.write(json);
        Ok(())
    })
}

/// The FIRECREST_LIST_* bits of the two older listing calls' 0/1 arguments.
fn list_flags(show_hidden: i32, recursive: i32) -> i32 {
    let mut flags = 0;
    if flag(show_hidden) {
        flags |= FIRECREST_LIST_HIDDEN;
    }
    if flag(recursive) {
        flags |= FIRECREST_LIST_RECURSIVE;
    }
    flags
}

/// Creates the directory `path` on `system`; with `parents` non-zero also missing parents (and no
/// error if it exists).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR (exists, no parent, not permitted), transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_mkdir(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    parents: i32,
) -> firecrest_status {
    with_client("firecrest_mkdir", c, |client| {
        Ok(client.mkdir(
            arg_str(system, "system")?,
            arg_str(path, "path")?,
            flag(parents),
        )?)
    })
}

/// Renames or moves `source` to `target` on `system`.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, FIRECREST_STATUS_TASK_FAILED (large moves run as a job on v2),
/// transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_mv(
    c: *const firecrest_client,
    system: *const c_char,
    source: *const c_char,
    target: *const c_char,
) -> firecrest_status {
    with_client("firecrest_mv", c, |client| {
        Ok(client.mv(
            arg_str(system, "system")?,
            arg_str(source, "source")?,
            arg_str(target, "target")?,
        )?)
    })
}

/// Copies `source` to `target` on `system` (recursively for a directory).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, FIRECREST_STATUS_TASK_FAILED, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_copy(
    c: *const firecrest_client,
    system: *const c_char,
    source: *const c_char,
    target: *const c_char,
) -> firecrest_status {
    with_client("firecrest_copy", c, |client| {
        Ok(client.copy(
            arg_str(system, "system")?,
            arg_str(source, "source")?,
            arg_str(target, "target")?,
        )?)
    })
}

/// Removes `path` on `system` (recursively for a directory).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, FIRECREST_STATUS_TASK_FAILED, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_remove(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
) -> firecrest_status {
    with_client("firecrest_remove", c, |client| {
        Ok(client.remove(arg_str(system, "system")?, arg_str(path, "path")?)?)
    })
}

/// Changes the mode of `path` on `system`; `mode` as chmod takes it, e.g. "755" or "u+x".
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_chmod(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    mode: *const c_char,
) -> firecrest_status {
    with_client("firecrest_chmod", c, |client| {
        Ok(client.chmod(
            arg_str(system, "system")?,
            arg_str(path, "path")?,
            arg_str(mode, "mode")?,
        )?)
    })
}

/// Changes the owner and/or group of `path` on `system` (either may be NULL, not both).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_chown(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    owner: *const c_char,
    group: *const c_char,
) -> firecrest_status {
    with_client("firecrest_chown", c, |client| {
        Ok(client.chown(
            arg_str(system, "system")?,
            arg_str(path, "path")?,
            opt_str(owner, "owner")?,
            opt_str(group, "group")?,
        )?)
    })
}

/// Creates the symbolic link `link_path` pointing at `target` on `system`.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_symlink(
    c: *const firecrest_client,
    system: *const c_char,
    target: *const c_char,
    link_path: *const c_char,
) -> firecrest_status {
    with_client("firecrest_symlink", c, |client| {
        Ok(client.symlink(
            arg_str(system, "system")?,
            arg_str(target, "target")?,
            arg_str(link_path, "link_path")?,
        )?)
    })
}

/// The type of the file `path` on `system` as `file -b` describes it (e.g. "ASCII text").
///
/// On success `*type_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_file_type(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    type_out: *mut *mut c_char,
) -> firecrest_status {
    let args = || system_and_path(system, path);
    text_call("firecrest_file_type", c, type_out, "type_out", |client| {
        let (system, path) = args()?;
        Ok(client.file_type(system, path)?)
    })
}

/// `stat` of `path` on `system` (following a symbolic link when `dereference` is non-zero), as
/// JSON: `{"mode": integer (with the file-type bits), "ino", "dev", "nlink", "uid", "gid", "size",
/// "atime", "mtime", "ctime": integers}`.
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_stat(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    dereference: i32,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    let args = || system_and_path(system, path);
    json_call("firecrest_stat", c, json_out, |client| {
        let (system, path) = args()?;
        Ok(client.stat(system, path, flag(dereference))?)
    })
}

/// The SHA-256 digest of the file `path` on `system`, as 64 lowercase hex digits.
///
/// On success `*sha256_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_checksum(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    sha256_out: *mut *mut c_char,
) -> firecrest_status {
    let args = || system_and_path(system, path);
    text_call(
        "firecrest_checksum",
        c,
        sha256_out,
        "sha256_out",
        |client| {
            let (system, path) = args()?;
            Ok(client.checksum(system, path)?)
        },
    )
}

/// The `system` and `path` arguments most calls take, checked before any request.
unsafe fn system_and_path<'a>(
    system: *const c_char,
    path: *const c_char,
) -> Result<(&'a str, &'a str)> {
    Ok((arg_str(system, "system")?, arg_str(path, "path")?))
}

fn head_tail_options(bytes: u64, lines: u64, skip: i32) -> HeadTailOptions {
    HeadTailOptions {
        bytes: (bytes > 0).then_some(bytes),
        lines: (lines > 0).then_some(lines),
        skip: flag(skip),
    }
}

/// The beginning of the text file `path` on `system`: the first `bytes` bytes or `lines` lines
/// (0 = unset; both 0 = 10 lines; not both). With `skip` non-zero, everything except the last
/// `bytes`/`lines` instead.
///
/// On success `*text_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (also: both counts set, or the content holds a NUL byte), FIRECREST_STATUS_API_ERROR,
/// transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_head(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    bytes: u64,
    lines: u64,
    skip: i32,
    text_out: *mut *mut c_char,
) -> firecrest_status {
    let args = || system_and_path(system, path);
    text_call("firecrest_head", c, text_out, "text_out", |client| {
        let (system, path) = args()?;
        Ok(client.head(system, path, head_tail_options(bytes, lines, skip))?)
    })
}

/// The end of the text file `path` on `system`: as firecrest_head(), counting from the end (with
/// `skip` non-zero: everything except the first `bytes`/`lines`).
#[no_mangle]
pub unsafe extern "C" fn firecrest_tail(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    bytes: u64,
    lines: u64,
    skip: i32,
    text_out: *mut *mut c_char,
) -> firecrest_status {
    let args = || system_and_path(system, path);
    text_call("firecrest_tail", c, text_out, "text_out", |client| {
        let (system, path) = args()?;
        Ok(client.tail(system, path, head_tail_options(bytes, lines, skip))?)
    })
}

/// The content of the small text file `path` on `system` (the server limits the size). FirecREST
/// v1 servers answer with the first 10 lines only; v2 with the whole file (up to its limit).
///
/// On success `*text_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (also: the content holds a NUL byte), FIRECREST_STATUS_API_ERROR (too large, no such file),
/// transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_view(
    c: *const firecrest_client,
    system: *const c_char,
    path: *const c_char,
    text_out: *mut *mut c_char,
) -> firecrest_status {
    let args = || system_and_path(system, path);
    text_call("firecrest_view", c, text_out, "text_out", |client| {
        let (system, path) = args()?;
        Ok(client.view(system, path)?)
    })
}

/// Uploads the local file `local_path` (bytes, any encoding) into the directory `remote_dir` on
/// `system`, named `filename`, or the local file's name when `filename` is NULL. Streams the file
/// in one request; the server limits the size (see firecrest_parameters(), UTILITIES_MAX_FILE_SIZE)
/// and larger files go through firecrest_external_upload().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_IO (the local file), FIRECREST_STATUS_API_ERROR (too large, no such
/// directory), transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_simple_upload(
    c: *const firecrest_client,
    system: *const c_char,
    local_path: *const c_char,
    remote_dir: *const c_char,
    filename: *const c_char,
) -> firecrest_status {
    with_client("firecrest_simple_upload", c, |client| {
        Ok(client.simple_upload(
            arg_str(system, "system")?,
            arg_path(local_path, "local_path")?,
            arg_str(remote_dir, "remote_dir")?,
            opt_str(filename, "filename")?,
        )?)
    })
}

/// Downloads the file `remote_path` on `system` into the local file `local_path` (bytes). The
/// data goes to a temporary file beside `local_path`, renamed only when complete: on failure
/// `local_path` is untouched. The server limits the size; larger files go through
/// firecrest_external_download().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_IO (the local file), FIRECREST_STATUS_API_ERROR (too large, no such file),
/// transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_simple_download(
    c: *const firecrest_client,
    system: *const c_char,
    remote_path: *const c_char,
    local_path: *const c_char,
) -> firecrest_status {
    with_client("firecrest_simple_download", c, |client| {
        Ok(client.simple_download(
            arg_str(system, "system")?,
            arg_str(remote_path, "remote_path")?,
            arg_path(local_path, "local_path")?,
        )?)
    })
}

/// Uploads `len` bytes from the caller's memory at `data` (NULL allowed when `len` is 0) as the
/// file `filename` in the directory `remote_dir` on `system`. The same size limit as
/// firecrest_simple_upload() applies. The bytes are only read during the call.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_API_ERROR (too large, no such directory), transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_simple_upload_buffer(
    c: *const firecrest_client,
    system: *const c_char,
    data: *const u8,
    len: usize,
    remote_dir: *const c_char,
    filename: *const c_char,
) -> firecrest_status {
    with_client("firecrest_simple_upload_buffer", c, |client| {
        Ok(client.simple_upload_bytes(
            arg_str(system, "system")?,
            arg_bytes(data, len, "data")?,
            arg_str(remote_dir, "remote_dir")?,
            arg_str(filename, "filename")?,
        )?)
    })
}

/// Downloads the file `remote_path` on `system` into the caller's write callback (see
/// firecrest_write_cb), e.g. to keep it in memory. On success `*size_out` (nullable) receives the
/// number of bytes delivered. The same size limit as firecrest_simple_download() applies.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_ABORTED_BY_CALLBACK, FIRECREST_STATUS_API_ERROR (too large, no such file),
/// transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_simple_download_cb(
    c: *const firecrest_client,
    system: *const c_char,
    remote_path: *const c_char,
    cb: firecrest_write_cb,
    userdata: *mut c_void,
    size_out: *mut u64,
) -> firecrest_status {
    with_client("firecrest_simple_download_cb", c, |client| {
        let (system, remote_path) = (
            arg_str(system, "system")?,
            arg_str(remote_path, "remote_path")?,
        );
        let mut writer = CallbackWriter::new(cb, userdata)?;
        let result = client.simple_download_to(system, remote_path, &mut writer);
        write_optional(size_out, writer.outcome(result)?);
        Ok(())
    })
}
