//! v2 emulator: remote paths, `File` entries and coreutils-style failures, the pieces every
//! filesystem operation and transfer job shares.

use super::http::ApiError;
use crate::ls::{perm_string, type_char};
use crate::sandbox::{Local, Sandbox};
use crate::util::{errtext, iso_time};
use serde_json::{json, Value};
use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The one configured filesystem (`fileSystems[0].path`); every path must lie under it.
pub(crate) const FILESYSTEM: &str = "/home";

/// A checked remote path and the local files behind it.
#[derive(Debug, Clone)]
pub(crate) struct RemotePath {
    /// Normalised absolute remote path (what messages show).
    pub remote: String,
    /// The local file, a symlink in the last component kept (lstat, rm, rename).
    pub local: Local,
    /// The local file with every symlink followed inside the sandbox (stat, read).
    pub target: Local,
}

impl RemotePath {
    /// The sandbox's write rule for writing `local` (this path's `local`, its `target`, or a
    /// file inside it), judged where it is after symlinks (as v1 does), so a link can carry
    /// a write neither somewhere the user may not write nor away from a directory they may.
    pub fn writable(&self, sandbox: &Sandbox, local: &Local) -> io::Result<()> {
        sandbox.check_write(local.remote())
    }
}

/// The server's path checks (health probing on): present, absolute, inside `fileSystems`
/// after folding `..`. Symlinks resolve inside the sandbox, never outside the root.
pub(crate) fn check(
    sandbox: &Sandbox,
    system: &str,
    path: Option<&str>,
) -> Result<RemotePath, ApiError> {
    let path = path.ok_or_else(|| {
        ApiError::bad_request(
            "Unable to decode request and retreive the required path or source_path parameter.",
        )
    })?;
    if !path.starts_with('/') {
        return Err(ApiError::bad_request(format!(
            "The provided path ({path}) is not an absolute path."
        )));
    }
    let remote = sandbox.normalize(path);
    let inside = remote == FILESYSTEM || remote.starts_with(&format!("{FILESYSTEM}/"));
    if !inside {
        return Err(ApiError::bad_request(format!(
            "The provided path ({remote}) does not match any of the defined filesystem paths for the requested system ({system})."
        )));
    }
    // No lexical fallback when resolution fails (a symlink loop): the OS would then follow
    // the links itself, reading absolute and `..` targets on the host.
    let resolve = |follow| {
        sandbox
            .resolve(&remote, follow)
            .map(|(_, local)| local)
            .map_err(|e| remote_failure(1, &format!("cannot access '{remote}'"), &e))
    };
    Ok(RemotePath {
        local: resolve(false)?,
        target: resolve(true)?,
        remote,
    })
}

/// The `ls -l` entry of a file, named `name`; `local` is its entry (never followed).
pub(crate) fn entry(
    sandbox: &Sandbox,
    name: &str,
    local: &Path,
    meta: &Metadata,
    numeric: bool,
) -> Value {
    let kind = type_char(meta);
    let link_target = if kind == 'l' {
        std::fs::read_link(local)
            .ok()
            .map(|t| sandbox.link_target_remote(&t))
    } else {
        None
    };
    let size = match &link_target {
        Some(t) => t.len() as u64,
        None => meta.len(),
    };
    json!({
        "name": ls_c_name(name),
        "type": kind.to_string(),
        "linkTarget": link_target.as_deref().map(ls_c_name),
        "user": id_name(meta.uid(), own_uid(), "/etc/passwd", numeric),
        "group": id_name(meta.gid(), own_gid(), "/etc/group", numeric),
        "permissions": perm_string(meta.mode()),
        "lastModified": iso_time(meta.mtime()),
        "size": size.to_string(),
    })
}

/// A name as the server relays it: `ls --quoting-style=c` in the C locale prints every byte
/// outside printable ASCII as an escape, and the server's `shlex.split` then removes the
/// quotes and the `\\`/`\"` escapes but keeps the others as text (`ü` arrives as `\303\274`).
pub(crate) fn ls_c_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name.as_bytes() {
        match b {
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out
}

/// The entry of `path` itself, named by its full remote path (mkdir, chmod, symlink…).
pub(crate) fn entry_of(sandbox: &Sandbox, path: &RemotePath) -> Result<Value, ApiError> {
    let meta = path
        .local
        .symlink_metadata()
        .map_err(|e| remote_failure(2, &format!("ls: cannot access '{}'", path.remote), &e))?;
    Ok(entry(
        sandbox,
        &path.remote,
        path.local.entry(),
        &meta,
        false,
    ))
}

/// The emulated user owns whatever the emulator process owns.
pub(crate) const USER: &str = "testuser";

pub(crate) fn own_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

pub(crate) fn own_gid() -> u32 {
    rustix::process::getgid().as_raw()
}

/// How `ls` shows an owner: the emulated user for the process's own id, else the name in
/// `file` (passwd or group format), else the number.
fn id_name(id: u32, own: u32, file: &str, numeric: bool) -> String {
    if numeric {
        id.to_string()
    } else if id == own {
        USER.into()
    } else {
        lookup_name(file, id).unwrap_or_else(|| id.to_string())
    }
}

/// Name of an id in a passwd-format file.
fn lookup_name(file: &str, id: u32) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == id.to_string()).then(|| f[0].to_string())
    })
}

/// Id of a name in a passwd-format file; the emulated user maps to the process's own ids.
pub(crate) fn lookup_id(file: &str, name: &str) -> Option<u32> {
    if name == USER {
        return Some(if file.ends_with("passwd") {
            own_uid()
        } else {
            own_gid()
        });
    }
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[0] == name)
            .then(|| f[2].parse().ok())
            .flatten()
    })
}

/// A failed remote command as the server reports it: the status follows the text of stderr
/// (`base_command_error_handling.py`), the message wraps it.
pub(crate) fn remote_failure(exit: i32, what: &str, err: &io::Error) -> ApiError {
    remote_text(exit, &format!("{what}: {}", errtext(err)))
}

pub(crate) fn remote_text(exit: i32, stderr: &str) -> ApiError {
    let status = if stderr.contains("No such file or directory") {
        404
    } else if stderr.contains("Permission denied") || stderr.contains("Operation not permitted") {
        403
    } else if stderr.contains("File exists") || stderr.contains("invalid user") {
        400
    } else {
        500
    };
    ApiError::new(
        status,
        format!("Remote process failed with exit status:{exit} and error message:{stderr}"),
    )
}

/// `date`'s default output in UTC, which the transfer job scripts prefix their log lines with.
pub(crate) fn date_line(epoch: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // iso_time gives `YYYY-MM-DDTHH:MM:SS`; 1970-01-01 was a Thursday.
    let iso = iso_time(epoch);
    let month: usize = iso[5..7].parse().unwrap_or(1);
    let day: u32 = iso[8..10].parse().unwrap_or(1);
    format!(
        "{} {} {day:2} {} UTC {}",
        DAYS[epoch.div_euclid(86_400).rem_euclid(7) as usize],
        MONTHS[month.clamp(1, 12) - 1],
        &iso[11..],
        &iso[..4]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_lines() {
        assert_eq!(date_line(1_795_715_435), "Thu Nov 26 17:50:35 UTC 2026");
        assert_eq!(date_line(0), "Thu Jan  1 00:00:00 UTC 1970");
    }

    #[test]
    fn names_as_ls_quotes_them() {
        assert_eq!(ls_c_name("\u{fc}n.txt"), "\\303\\274n.txt");
        assert_eq!(ls_c_name("a b\"c\\d"), "a b\"c\\d");
        assert_eq!(ls_c_name("x\ny\u{1}"), "x\\ny\\001");
    }
}
