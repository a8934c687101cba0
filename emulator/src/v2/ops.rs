//! v2 emulator: `/filesystem/{system}/ops/*`, the synchronous file operations, acting on the
//! sandbox with the status codes and coreutils messages FirecREST v2 relays (transcripts 15–58).

use super::fs::{
    check, entry, entry_of, lookup_id, own_uid, remote_failure, remote_text, RemotePath, USER,
};
use super::http::{field, field_str, json_resp, no_content, ApiError};
use crate::atomic::AtomicFile;
use crate::exchange::{Body, Req, Resp};
use crate::ls::type_char;
use crate::multipart;
use crate::perm::{may, must, R, W, X};
use crate::portion::{self, Count};
use crate::sandbox::{Local, NewEntry, PinnedDir, Sandbox};
use crate::sniff;
pub(crate) use crate::tar::Tar;
use crate::util::{errtext, sha256_hex};
use serde_json::{json, Value};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// What the operations need from the emulator.
pub(crate) struct Ctx<'a> {
    pub sandbox: &'a Sandbox,
    pub system: &'a str,
    /// `dataOperation.max_ops_file_size`.
    pub max_ops: u64,
}

impl Ctx<'_> {
    pub fn path(&self, p: Option<&str>) -> Result<RemotePath, ApiError> {
        check(self.sandbox, self.system, p)
    }

    fn query_path(&self, req: &Req) -> Result<RemotePath, ApiError> {
        self.path(req.query("path"))
    }

    /// The main path of a JSON body (`path`, `sourcePath` or `source_path`).
    pub fn body_path(&self, body: &Value) -> Result<RemotePath, ApiError> {
        self.path(field_str(body, &["path", "sourcePath", "source_path"]))
    }

    /// The sandbox's write rule for writing `local` as `p`; `what` is the command's
    /// complaint, path included.
    fn writable(&self, p: &RemotePath, local: &Local, what: &str) -> Result<(), ApiError> {
        p.writable(self.sandbox, local)
            .map_err(|e| remote_failure(1, what, &e))
    }
}

/// Parses the JSON body of a POST/PUT (FastAPI: invalid JSON is a 400 validation error).
pub(crate) fn json_body(req: &mut Req) -> Result<Value, ApiError> {
    let mut buf = Vec::new();
    req.body()
        .take(1 << 20)
        .read_to_end(&mut buf)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    serde_json::from_slice(&buf).map_err(|e| {
        ApiError::validation(
            "body",
            "body",
            "json_invalid",
            &format!("JSON decode error: {e}"),
            &Value::Null,
        )
    })
}

/// An integer query parameter (absent → None; not an integer → validation error).
fn int_param(req: &Req, name: &str) -> Result<Option<i64>, ApiError> {
    match req.query(name) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| {
            ApiError::validation(
                "query",
                name,
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
                &json!(v),
            )
        }),
    }
}

/// A boolean query parameter as pydantic reads one (absent → false; `maybe` → validation error).
pub(crate) fn bool_param(req: &Req, name: &str) -> Result<bool, ApiError> {
    let Some(v) = req.query(name) else {
        return Ok(false);
    };
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true),
        "0" | "off" | "f" | "false" | "n" | "no" => Ok(false),
        _ => Err(ApiError::validation(
            "query",
            name,
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input",
            &json!(v),
        )),
    }
}

pub(crate) fn handle(ctx: &Ctx, op: &str, req: &mut Req) -> Result<Resp, ApiError> {
    match (req.method.as_str(), op) {
        ("GET", "ls") => ls(ctx, req),
        ("GET", "head") => head_tail(ctx, req, false),
        ("GET", "tail") => head_tail(ctx, req, true),
        ("GET", "view") => view(ctx, req),
        ("GET", "checksum") => checksum(ctx, req),
        ("GET", "file") => file_type(ctx, req),
        ("GET", "stat") => stat(ctx, req),
        ("GET", "download") => download(ctx, req),
        ("PUT", "chmod") => chmod(ctx, &json_body(req)?),
        ("PUT", "chown") => chown(ctx, &json_body(req)?),
        ("POST", "mkdir") => mkdir(ctx, &json_body(req)?),
        ("POST", "symlink") => symlink(ctx, &json_body(req)?),
        ("POST", "upload") => upload(ctx, req),
        ("POST", "compress") => run_tar(compress_cmd(ctx, &json_body(req)?)),
        ("POST", "extract") => run_tar(extract_cmd(ctx, &json_body(req)?)),
        ("DELETE", "rm") => rm(ctx, req),
        (
            _,
            "ls" | "head" | "tail" | "view" | "checksum" | "file" | "stat" | "download" | "chmod"
            | "chown" | "mkdir" | "symlink" | "upload" | "rm",
        ) => Err(ApiError::new(405, "Method Not Allowed")),
        _ => Err(ApiError::new(404, "Not Found")),
    }
}

fn output(status: u16, value: Value) -> Result<Resp, ApiError> {
    Ok(json_resp(status, &json!({ "output": value })))
}

fn ls(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let deref = bool_param(req, "dereference")?;
    let numeric = bool_param(req, "numericUid")?;
    let hidden = bool_param(req, "showHidden")?;
    let recursive = bool_param(req, "recursive")?;
    let meta = if deref {
        p.target.metadata()
    } else {
        p.local.symlink_metadata()
    }
    .map_err(|e| remote_failure(2, &format!("ls: cannot access '{}'", p.remote), &e))?;
    if !meta.is_dir() {
        let name = req.query("path").unwrap_or(&p.remote);
        return output(
            200,
            json!([entry(ctx.sandbox, name, p.local.entry(), &meta, numeric)]),
        );
    }
    let mut out = Vec::new();
    let opts = ListOpts {
        hidden,
        recursive,
        deref,
        numeric,
    };
    let top = PinnedDir::at(p.target.obj())
        .map_err(|e| remote_failure(2, &format!("ls: cannot access '{}'", p.remote), &e))?;
    let mut ancestors = Vec::new();
    let dir = (p.target.remote(), &top);
    list_dir(ctx, &p, dir, "", &opts, &mut ancestors, &mut out)?;
    output(200, Value::Array(out))
}

struct ListOpts {
    hidden: bool,
    recursive: bool,
    deref: bool,
    numeric: bool,
}

/// `ls -l [-R]` of one directory (its canonical remote path, pinned): its entries, then
/// (recursive) each subdirectory's, names relative to the listed path. Subdirectories are
/// pinned without following a symlink (one swapped in meanwhile is skipped), except links
/// followed with `dereference`, resolved beneath the root as `ls -RL` follows them;
/// `ancestors` (device, inode) are the directories being listed above, a link back to one
/// being a loop ls refuses to list.
fn list_dir(
    ctx: &Ctx,
    top: &RemotePath,
    (dir_remote, dir): (&str, &PinnedDir),
    prefix: &str,
    o: &ListOpts,
    ancestors: &mut Vec<(u64, u64)>,
    out: &mut Vec<Value>,
) -> Result<(), ApiError> {
    let shown = format!(
        "{}{}",
        top.remote,
        if prefix.is_empty() {
            String::new()
        } else {
            format!("/{}", prefix.trim_end_matches('/'))
        }
    );
    // ls exits with 2 when it cannot list what it was given, with 1 for a subdirectory.
    let exit = if prefix.is_empty() { 2 } else { 1 };
    let denied = || {
        remote_text(
            exit,
            &format!("ls: cannot open directory '{shown}': Permission denied"),
        )
    };
    // The emulator may run as root, which reads anything; judge as the published user.
    if !fs::metadata(dir.path()).is_ok_and(|m| may(&m, R)) {
        return Err(denied());
    }
    ctx.sandbox.check_enter(dir_remote).map_err(|_| denied())?;
    let rd = fs::read_dir(dir.path())
        .map_err(|e| remote_failure(exit, &format!("ls: cannot open directory '{shown}'"), &e))?;
    let mut names: Vec<_> = rd.flatten().map(|e| e.file_name()).collect();
    names.sort();
    let mut subdirs = Vec::new();
    for name in names {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with('.') && !o.hidden {
            continue;
        }
        let local = dir.path().join(&name);
        let remote = format!("{}/{name}", dir_remote.trim_end_matches('/'));
        // dereference describes what a link points to, resolved beneath the root as every
        // path is; a dangling link is shown as itself.
        let followed = if o.deref {
            ctx.sandbox
                .resolve(&remote, true)
                .ok()
                .filter(|(_, l)| l.pinned())
                .and_then(|(r, l)| l.metadata().ok().map(|m| (m, Some((r, l)))))
        } else {
            None
        };
        let Some((meta, via)) =
            followed.or_else(|| fs::symlink_metadata(&local).ok().map(|m| (m, None)))
        else {
            continue;
        };
        let shown_name = format!("{prefix}{name}");
        out.push(entry(ctx.sandbox, &shown_name, &local, &meta, o.numeric));
        if o.recursive && meta.is_dir() {
            // A directory reached through a link is the one the sandbox resolved and pinned.
            let pinned = match &via {
                Some((_, l)) => PinnedDir::at(l.obj()),
                None => PinnedDir::open(&local),
            };
            if let Ok(pinned) = pinned {
                let remote = via.map_or(remote, |(r, _)| r);
                subdirs.push((remote, pinned, format!("{shown_name}/")));
            }
        }
    }
    // ls -R reports an unreadable subdirectory on stderr, goes on and exits with 1, which
    // FirecREST answers with that complaint (403) instead of the listing.
    let mut failed = None;
    let here = fs::metadata(dir.path()).map(|m| (m.dev(), m.ino()));
    if let Ok(id) = here {
        ancestors.push(id);
    }
    for (remote, pinned, prefix) in subdirs {
        let listed = match fs::metadata(pinned.path()) {
            Ok(m) if ancestors.contains(&(m.dev(), m.ino())) => Err(remote_text(
                2,
                &format!(
                    "ls: {}/{}: not listing already-listed directory",
                    top.remote.trim_end_matches('/'),
                    prefix.trim_end_matches('/')
                ),
            )),
            _ => list_dir(ctx, top, (&remote, &pinned), &prefix, o, ancestors, out),
        };
        if let Err(e) = listed {
            failed.get_or_insert(e);
        }
    }
    if here.is_ok() {
        ancestors.pop();
    }
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(())
}

/// Opens a file for reading as `cmd` would, with its error messages.
fn open_read(p: &RemotePath, cant_open: &str, is_dir: &str) -> Result<(File, u64), ApiError> {
    let meta = p
        .target
        .metadata()
        .map_err(|e| remote_failure(1, cant_open, &e))?;
    if meta.is_dir() {
        return Err(remote_text(1, is_dir));
    }
    must(&meta, R).map_err(|e| remote_failure(1, cant_open, &e))?;
    let f = File::open(p.target.obj()).map_err(|e| remote_failure(1, cant_open, &e))?;
    Ok((f, meta.len()))
}

/// What `head`/`tail` make of the option FirecREST builds from a signed count `v`: head gets
/// `v`, or `-v` with skipTrailing (a leading `-` means "all but the last"); tail gets `v`, or
/// `+v` with skipHeading (a leading `+` means "from the Nth on", a `-` is dropped). A count
/// left negative after that is coreutils' "invalid number". Returns (count, skip).
fn coreutils_count(
    cmd: &str,
    what: &str,
    v: i64,
    skip: bool,
    tail: bool,
) -> Result<(u64, bool), ApiError> {
    let invalid =
        |shown: String| remote_text(1, &format!("{cmd}: invalid number of {what}: '{shown}'"));
    match (tail, skip, v < 0) {
        // `--N`: head drops one `-` and complains about the rest.
        (false, true, true) => Err(invalid(v.to_string())),
        // `+-N`: tail keeps the `+` in its complaint.
        (true, true, true) => Err(invalid(format!("+{v}"))),
        (false, _, _) => Ok((v.unsigned_abs(), skip || v < 0)),
        (true, _, _) => Ok((v.unsigned_abs(), skip)),
    }
}

fn head_tail(ctx: &Ctx, req: &Req, tail: bool) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let bytes = int_param(req, "bytes")?;
    let lines = int_param(req, "lines")?;
    let requested = bool_param(req, if tail { "skipHeading" } else { "skipTrailing" })?;
    // FirecREST tests the counts for truth: a 0 is no option at all.
    let given = |v: Option<i64>| v.filter(|n| *n != 0);
    if given(bytes).is_some() && given(lines).is_some() {
        return Err(ApiError::bad_request(
            "Only one of `bytes` or `lines` can be specified.",
        ));
    }
    let cmd = if tail { "tail" } else { "head" };
    // Without an option, head and tail print 10 lines whatever skip says.
    let (count, skip) = match (given(bytes), given(lines)) {
        (Some(b), _) => {
            let (n, skip) = coreutils_count(cmd, "bytes", b, requested, tail)?;
            (Count::Bytes(n), skip)
        }
        (_, Some(l)) => {
            let (n, skip) = coreutils_count(cmd, "lines", l, requested, tail)?;
            (Count::Lines(n), skip)
        }
        _ => (Count::Lines(10), false),
    };
    let (mut f, size) = open_read(
        &p,
        &format!("{cmd}: cannot open '{}' for reading", p.remote),
        &format!("{cmd}: error reading '{}': Is a directory", p.remote),
    )?;
    let failed = |e| remote_failure(1, &format!("{cmd}: error reading '{}'", p.remote), &e);
    let range = portion::range(&mut f, size, count, tail, skip, ctx.max_ops).map_err(failed)?;
    if range.1.saturating_sub(range.0) > ctx.max_ops {
        return Err(ApiError::new(413, "Command output exceeded buffer limit."));
    }
    let content = portion::read(&mut f, range, ctx.max_ops).map_err(failed)?;
    // The positions FirecREST reports, computed from the counts as given (signs and all).
    let (start, end) = match (lines.or(bytes), tail) {
        (Some(n), false) => (0, if requested { -n } else { n }),
        (Some(n), true) => (if requested { n } else { -n }, -1),
        (None, false) => (0, 10),
        (None, true) => (10, -1),
    };
    output(
        200,
        json!({
            "content": String::from_utf8_lossy(&content),
            "contentType": if given(bytes).is_some() { "bytes" } else { "lines" },
            "startPosition": start,
            "endPosition": end,
        }),
    )
}

fn view(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    // The server's default is 5 MiB whatever the system's limit, so a system with a lower
    // limit refuses a `view` that does not send `size`.
    let size = int_param(req, "size")?.unwrap_or(5 * 1024 * 1024);
    let offset = int_param(req, "offset")?.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::bad_request(
            "`offset` value must be an integer value equal or greater than 0",
        ));
    }
    let offset = offset as u64;
    if size <= 0 {
        return Err(ApiError::bad_request(
            "`size` value must be an integer value greater than 0",
        ));
    }
    if size > ctx.max_ops as i64 {
        return Err(ApiError::bad_request(format!(
            "`size` value must be less than {} bytes",
            ctx.max_ops
        )));
    }
    let (mut f, _) = open_read(
        &p,
        &format!("dd: failed to open '{}'", p.remote),
        &format!("dd: error reading '{}': Is a directory", p.remote),
    )?;
    let mut data = Vec::new();
    f.seek(SeekFrom::Start(offset))
        .and_then(|_| f.take(size.max(0) as u64).read_to_end(&mut data))
        .map_err(|e| remote_failure(1, &format!("dd: error reading '{}'", p.remote), &e))?;
    output(200, json!(String::from_utf8_lossy(&data)))
}

fn checksum(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let (mut f, _) = open_read(
        &p,
        &format!("sha256sum: {}", p.remote),
        &format!("sha256sum: {}: Is a directory", p.remote),
    )?;
    let sum = sha256_hex(&mut f)
        .map_err(|e| remote_failure(1, &format!("sha256sum: {}", p.remote), &e))?;
    output(200, json!({"algorithm": "SHA256", "checksum": sum}))
}

/// `file -b`, reduced to the answers that matter to clients.
/// `file -b`, reduced to the answers that matter to clients. `file` reports a file it cannot
/// open on stdout and exits 0, so FirecREST answers 200 with that text.
fn file_type(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let given = req.query("path").unwrap_or(&p.remote);
    let meta = match p.local.symlink_metadata() {
        Ok(m) => m,
        Err(e) => {
            return output(
                200,
                json!(format!("cannot open `{given}' ({})", errtext(&e))),
            )
        }
    };
    let text = match type_char(&meta) {
        'l' => format!(
            "symbolic link to {}",
            fs::read_link(p.local.entry())
                .map(|t| ctx.sandbox.link_target_remote(&t))
                .unwrap_or_default()
        ),
        'd' => "directory".to_string(),
        _ if meta.len() == 0 => "empty".to_string(),
        _ if !may(&meta, R) => "regular file, no read permission".to_string(),
        _ => {
            let mut head = Vec::new();
            let _ =
                File::open(p.local.obj()).and_then(|f| f.take(sniff::HEAD).read_to_end(&mut head));
            sniff::describe(&head)
        }
    };
    output(200, json!(text))
}

fn stat(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let meta = if bool_param(req, "dereference")? {
        p.target.metadata()
    } else {
        p.local.symlink_metadata()
    }
    .map_err(|e| remote_failure(1, &format!("stat: cannot statx '{}'", p.remote), &e))?;
    let size = ctx.sandbox.size_of(&p.local, &meta);
    output(
        200,
        json!({
            "mode": meta.mode(), "ino": meta.ino(), "dev": meta.dev(), "nlink": meta.nlink(),
            "uid": meta.uid(), "gid": meta.gid(), "size": size,
            "atime": meta.atime(), "ctime": meta.ctime(), "mtime": meta.mtime(),
        }),
    )
}

fn download(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let (f, size) = open_read(
        &p,
        &format!("base64: {}", p.remote),
        "base64: read error: Is a directory",
    )?;
    // The file travels base64-encoded through an SSH output buffer of max_ops_file_size.
    if size.div_ceil(3) * 4 > ctx.max_ops {
        return Err(ApiError::new(413, "Command output exceeded buffer limit."));
    }
    let mut resp = Resp::new(200).header("content-type", "application/octet-stream");
    resp.body = Body::File(f, size);
    Ok(resp)
}

fn chmod(ctx: &Ctx, body: &Value) -> Result<Resp, ApiError> {
    let p = ctx.body_path(body)?;
    // `mode` is a required field of the request model: pydantic refuses its absence.
    let Some(mode) = field_str(body, &["mode"]) else {
        return Err(ApiError::validation(
            "body",
            "mode",
            "missing",
            "Field required",
            body,
        ));
    };
    ctx.writable(
        &p,
        &p.target,
        &format!("chmod: changing permissions of '{}'", p.remote),
    )?;
    let bits = (!mode.is_empty() && mode.len() <= 4)
        .then(|| u32::from_str_radix(mode, 8).ok())
        .flatten()
        .ok_or_else(|| {
            remote_text(
                1,
                &format!("chmod: invalid mode: '{mode}'\nTry 'chmod --help' for more information."),
            )
        })?;
    p.target
        .metadata()
        .map_err(|e| remote_failure(1, &format!("chmod: cannot access '{}'", p.remote), &e))?;
    fs::set_permissions(p.target.obj(), fs::Permissions::from_mode(bits))
        .map_err(|e| remote_failure(1, &format!("chmod: cannot access '{}'", p.remote), &e))?;
    output(200, entry_of(ctx.sandbox, &p)?)
}

/// chown as a non-root user: only a no-op change to one's own ids succeeds.
fn chown(ctx: &Ctx, body: &Value) -> Result<Resp, ApiError> {
    let p = ctx.body_path(body)?;
    let owner = field_str(body, &["owner"]).unwrap_or("");
    let group = field_str(body, &["group"]).unwrap_or("");
    let spec = format!("{owner}:{group}");
    let uid = (!owner.is_empty()).then(|| lookup_id("/etc/passwd", owner));
    let gid = (!group.is_empty()).then(|| lookup_id("/etc/group", group));
    match (uid, gid) {
        (Some(None), None) => {
            return Err(remote_text(1, &format!("chown: invalid spec: '{spec}'")))
        }
        (Some(None), Some(_)) => {
            return Err(remote_text(1, &format!("chown: invalid user: '{spec}'")))
        }
        (_, Some(None)) => return Err(remote_text(1, &format!("chown: invalid group: '{spec}'"))),
        _ => {}
    }
    let meta = p
        .target
        .metadata()
        .map_err(|e| remote_failure(1, &format!("chown: cannot access '{}'", p.remote), &e))?;
    // Only the emulated user's own names and ids are no-ops; any other user (root included,
    // even when the emulator itself runs as root) is refused as for a non-root user.
    let own_user = [USER.to_string(), own_uid().to_string()];
    let own_group = [USER.to_string(), meta.gid().to_string()];
    let changes_owner = !owner.is_empty() && !own_user.contains(&owner.to_string());
    let changes_group = !group.is_empty() && !own_group.contains(&group.to_string());
    if changes_owner || changes_group {
        return Err(remote_text(
            1,
            &format!(
                "chown: changing ownership of '{}': Operation not permitted",
                p.remote
            ),
        ));
    }
    output(200, entry_of(ctx.sandbox, &p)?)
}

fn mkdir(ctx: &Ctx, body: &Value) -> Result<Resp, ApiError> {
    let p = ctx.body_path(body)?;
    let parent = field(body, &["parent"])
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let what = format!("mkdir: cannot create directory '{}'", p.remote);
    ctx.writable(&p, &p.local, &what)?;
    let sb = ctx.sandbox;
    if parent {
        let made = sb.create_dir_all(&p.remote, &|r| sb.check_write(r));
        made.map_err(|e| remote_failure(1, &what, &e))?;
        // Resolved again: the entry of `p` was not there when `p` was resolved.
        return output(201, entry_of(sb, &ctx.path(Some(&p.remote))?)?);
    }
    sb.create_new(p.local.remote(), NewEntry::Dir)
        .map_err(|e| remote_failure(1, &what, &e))?;
    output(201, entry_of(sb, &p)?)
}

fn symlink(ctx: &Ctx, body: &Value) -> Result<Resp, ApiError> {
    let target = ctx.body_path(body)?;
    let link = ctx.path(field_str(body, &["linkPath", "link_path"]))?;
    let what = format!("ln: failed to create symbolic link '{}'", link.remote);
    ctx.writable(&link, &link.local, &what)?;
    ctx.sandbox
        .create_new(link.local.remote(), NewEntry::Symlink(&target.remote))
        .map_err(|e| remote_failure(1, &what, &e))?;
    output(201, entry_of(ctx.sandbox, &link)?)
}

fn rm(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let what = format!("rm: cannot remove '{}'", p.remote);
    let meta = p
        .local
        .symlink_metadata()
        .map_err(|e| remote_failure(1, &what, &e))?;
    ctx.writable(&p, &p.local, &what)?;
    // Both act on the entry in its pinned parent; remove_dir_all descends with O_NOFOLLOW.
    if meta.is_dir() {
        fs::remove_dir_all(p.local.entry())
    } else {
        fs::remove_file(p.local.entry())
    }
    .map_err(|e| remote_failure(1, &what, &e))?;
    Ok(no_content())
}

/// Refuses writes past `limit` bytes (the upload size limit, checked while streaming).
struct Limited<W> {
    inner: W,
    left: u64,
}

impl<W: Write> Write for Limited<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() as u64 > self.left {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, "too large"));
        }
        let n = self.inner.write(buf)?;
        self.left -= n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Bytes of multipart framing (boundaries, part headers, small fields) allowed around a file.
const MULTIPART_SLACK: u64 = 64 * 1024;

/// `ops/upload?path=<dir>`, multipart part `file`: written beside the target and renamed, so a
/// failed upload leaves nothing behind.
fn upload(ctx: &Ctx, req: &mut Req) -> Result<Resp, ApiError> {
    let dir = ctx.query_path(req)?;
    let ct = req.content_type();
    let mut result: Option<Result<(), ApiError>> = None;
    let max = ctx.max_ops;
    // A body whose declared length leaves no doubt gets its 413 before a byte of it is read;
    // the slack covers the multipart framing around a file of exactly the largest size.
    if req
        .content_length()
        .is_some_and(|l| l > max + MULTIPART_SLACK)
    {
        return Err(ApiError::new(413, "File to upload is too large."));
    }
    let parsed = multipart::for_each_field(req.body_stream(), &ct, u64::MAX, |part| {
        if part.name != "file" || result.is_some() {
            part.discard()?;
            return Ok(multipart::Flow::Continue);
        }
        let name = part.file_name.clone().unwrap_or_else(|| "upload".into());
        let name = Path::new(&name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".into());
        let remote = format!("{}/{name}", dir.remote);
        let failed = |e| remote_failure(1, &format!("bash: line 1: {remote}"), &e);
        let inside = format!("{}/{name}", dir.target.remote().trim_end_matches('/'));
        let file = match ctx.sandbox.resolve(&inside, false).and_then(|(_, target)| {
            dir.writable(ctx.sandbox, &target)?;
            // `cat > dir/name` as the published user: the directory's w and x bits.
            must(&dir.target.metadata()?, W + X)?;
            AtomicFile::create_in(&target)
        }) {
            Ok(f) => f,
            Err(e) => {
                part.discard()?;
                result = Some(Err(failed(e)));
                return Ok(multipart::Flow::Continue);
            }
        };
        let mut out = Limited {
            inner: file,
            left: max,
        };
        result = Some(match part.copy_to(&mut out) {
            Ok(_) => out.inner.commit().map_err(failed),
            Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
                Err(ApiError::new(413, "File to upload is too large."))
            }
            Err(e) => Err(ApiError::bad_request(format!(
                "Error reading the upload: {e}"
            ))),
        });
        if matches!(result, Some(Err(_))) {
            return Ok(multipart::Flow::Stop);
        }
        Ok(multipart::Flow::Continue)
    });
    match (result, parsed) {
        (Some(r), _) => r.map(|_| no_content()),
        (None, Err(e)) => Err(ApiError::bad_request(format!(
            "Invalid multipart body: {e}"
        ))),
        (None, Ok(())) => Err(ApiError::validation(
            "body",
            "file",
            "missing",
            "Field required",
            &Value::Null,
        )),
    }
}

/// tar's flag for a `compression` value.
fn tar_flag(body: &Value) -> Result<&'static str, ApiError> {
    match field_str(body, &["compression"]).unwrap_or("gzip") {
        "none" => Ok(""),
        "gzip" => Ok("z"),
        "bzip2" => Ok("j"),
        "xz" => Ok("J"),
        other => Err(ApiError::validation(
            "body",
            "compression",
            "enum",
            "Input should be 'none', 'bzip2', 'gzip' or 'xz'",
            &json!(other),
        )),
    }
}

/// `compress`: `tar -c` of `path` (relative to its parent) into `targetPath`.
pub(crate) fn compress_cmd(ctx: &Ctx, body: &Value) -> Result<Tar, ApiError> {
    let src = ctx.body_path(body)?;
    let dst = ctx.path(field_str(body, &["targetPath", "target_path"]))?;
    let flag = tar_flag(body)?;
    ctx.writable(
        &dst,
        &dst.target,
        &format!("tar: cannot open '{}'", dst.remote),
    )?;
    let mode = format!("-c{flag}f");
    let pattern = field_str(body, &["matchPattern", "match_pattern"]).filter(|p| !p.is_empty());
    let dereference = field(body, &["dereference"])
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // tar writes the archive to stdout; the emulator puts it in place (Tar::archive).
    let args = vec![mode.into(), "-".into()];
    let mut cmd = Tar::new(ctx.sandbox, args, vec![src.local.clone()], None).archive(dst.target);
    cmd = match pattern {
        // As the server: `cd dirname(path); find . -type f -regex PATTERN | tar --files-from -`.
        Some(pattern) => {
            let parent = match src.local.remote().rsplit_once('/') {
                Some(("", _)) | None => "/",
                Some((parent, _)) => parent,
            };
            let (_, dir) = ctx
                .sandbox
                .resolve(parent, true)
                .map_err(|e| remote_failure(1, &format!("cd: {parent}"), &e))?;
            cmd.matching(dir, pattern)
        }
        None => cmd.named(src.local),
    };
    Ok(if dereference { cmd.dereference() } else { cmd })
}

/// `extract`: `tar -x` of `path` into the directory `targetPath`.
pub(crate) fn extract_cmd(ctx: &Ctx, body: &Value) -> Result<Tar, ApiError> {
    let src = ctx.body_path(body)?;
    let dst = ctx.path(field_str(body, &["targetPath", "target_path"]))?;
    let flag = tar_flag(body)?;
    ctx.writable(
        &dst,
        &dst.target,
        &format!("tar: cannot write into '{}'", dst.remote),
    )?;
    // --no-same-owner/-permissions: an archive must not plant setuid files or foreign owners.
    let args = vec![
        format!("-x{flag}f").into(),
        src.target.obj().as_os_str().to_owned(),
        "--no-same-owner".into(),
        "--no-same-permissions".into(),
    ];
    Ok(Tar::new(
        ctx.sandbox,
        args,
        vec![src.target],
        Some(dst.target),
    ))
}

fn run_tar(cmd: Result<Tar, ApiError>) -> Result<Resp, ApiError> {
    cmd?.run()
        .map(|_| no_content())
        .map_err(|(code, stderr)| remote_text(code, &stderr))
}
