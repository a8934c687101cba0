//! v2 emulator: `/filesystem/{system}/ops/*`, the synchronous file operations, acting on the
//! sandbox with the status codes and coreutils messages FirecREST v2 relays (transcripts 15–58).

use super::fs::{
    check, entry, entry_of, lookup_id, own_uid, remote_failure, remote_text, RemotePath, USER,
};
use super::http::{field, field_str, json_resp, no_content, truthy, ApiError};
use crate::atomic::AtomicFile;
use crate::ls::type_char;
use crate::multipart;
use crate::portion::{self, Count};
use crate::sandbox::Sandbox;
use crate::server::{Body, Req, Resp};
use crate::sniff;
pub(crate) use crate::tar::Tar;
use crate::util::{errtext, sha256_hex};
use serde_json::{json, Value};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

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
    fn writable(&self, p: &RemotePath, local: &Path, what: &str) -> Result<(), ApiError> {
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
    let deref = truthy(req.query("dereference"));
    let numeric = truthy(req.query("numericUid"));
    let hidden = truthy(req.query("showHidden"));
    let recursive = truthy(req.query("recursive"));
    let meta = if deref {
        fs::metadata(&p.target)
    } else {
        fs::symlink_metadata(&p.local)
    }
    .map_err(|e| remote_failure(2, &format!("ls: cannot access '{}'", p.remote), &e))?;
    if !meta.is_dir() {
        let name = req.query("path").unwrap_or(&p.remote);
        return output(
            200,
            json!([entry(ctx.sandbox, name, &p.local, &meta, numeric)]),
        );
    }
    let mut out = Vec::new();
    let opts = ListOpts {
        hidden,
        recursive,
        deref,
        numeric,
    };
    list_dir(ctx, &p, &p.target, "", &opts, &mut out)?;
    output(200, Value::Array(out))
}

struct ListOpts {
    hidden: bool,
    recursive: bool,
    deref: bool,
    numeric: bool,
}

/// `ls -l [-R]` of one directory: its entries, then (recursive) each subdirectory's, names
/// relative to the listed path.
fn list_dir(
    ctx: &Ctx,
    top: &RemotePath,
    dir: &Path,
    prefix: &str,
    o: &ListOpts,
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
    let denied = || {
        remote_text(
            2,
            &format!("ls: cannot open directory '{shown}': Permission denied"),
        )
    };
    // The emulator may run as root, which reads anything; honour the owner's read bit.
    let mode = fs::metadata(dir)
        .map(|m| m.permissions().mode())
        .unwrap_or(0);
    if mode & 0o400 == 0 {
        return Err(denied());
    }
    ctx.sandbox
        .check_enter(&ctx.sandbox.remote_of(dir))
        .map_err(|_| denied())?;
    let rd = fs::read_dir(dir)
        .map_err(|e| remote_failure(2, &format!("ls: cannot open directory '{shown}'"), &e))?;
    let mut names: Vec<_> = rd.flatten().map(|e| e.file_name()).collect();
    names.sort();
    let mut subdirs = Vec::new();
    for name in names {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with('.') && !o.hidden {
            continue;
        }
        let local = dir.join(&name);
        let meta = if o.deref {
            fs::metadata(&local).or_else(|_| fs::symlink_metadata(&local))
        } else {
            fs::symlink_metadata(&local)
        };
        let Ok(meta) = meta else { continue };
        let shown_name = format!("{prefix}{name}");
        out.push(entry(ctx.sandbox, &shown_name, &local, &meta, o.numeric));
        if o.recursive && meta.is_dir() {
            subdirs.push((local, format!("{shown_name}/")));
        }
    }
    for (local, prefix) in subdirs {
        // ls -R reports unreadable subdirectories on stderr and goes on.
        let _ = list_dir(ctx, top, &local, &prefix, o, out);
    }
    Ok(())
}

/// Opens a file for reading as `cmd` would, with its error messages.
fn open_read(p: &RemotePath, cant_open: &str, is_dir: &str) -> Result<(File, u64), ApiError> {
    let meta = fs::metadata(&p.target).map_err(|e| remote_failure(1, cant_open, &e))?;
    if meta.is_dir() {
        return Err(remote_text(1, is_dir));
    }
    let f = File::open(&p.target).map_err(|e| remote_failure(1, cant_open, &e))?;
    Ok((f, meta.len()))
}

fn head_tail(ctx: &Ctx, req: &Req, tail: bool) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let bytes = int_param(req, "bytes")?;
    let lines = int_param(req, "lines")?;
    if bytes.is_some() && lines.is_some() {
        return Err(ApiError::bad_request(
            "Only one of `bytes` or `lines` can be specified.",
        ));
    }
    let skip = truthy(req.query(if tail { "skipHeading" } else { "skipTrailing" }));
    let cmd = if tail { "tail" } else { "head" };
    let (mut f, size) = open_read(
        &p,
        &format!("{cmd}: cannot open '{}' for reading", p.remote),
        &format!("{cmd}: error reading '{}': Is a directory", p.remote),
    )?;
    let (n, count) = match (bytes, lines) {
        (Some(b), _) => (b.unsigned_abs(), Count::Bytes(b.unsigned_abs())),
        (_, Some(l)) => (l.unsigned_abs(), Count::Lines(l.unsigned_abs())),
        _ => (10, Count::Lines(10)),
    };
    let failed = |e| remote_failure(1, &format!("{cmd}: error reading '{}'", p.remote), &e);
    let range = portion::range(&mut f, size, count, tail, skip, ctx.max_ops).map_err(failed)?;
    if range.1.saturating_sub(range.0) > ctx.max_ops {
        return Err(ApiError::new(413, "Command output exceeded buffer limit."));
    }
    let content = portion::read(&mut f, range, ctx.max_ops).map_err(failed)?;
    let n = n as i64;
    let (start, end) = match (tail, skip) {
        (false, false) => (0, n),
        (false, true) => (0, -n),
        (true, false) => (-n, -1),
        (true, true) => (n, -1),
    };
    output(
        200,
        json!({
            "content": String::from_utf8_lossy(&content),
            "contentType": if matches!(count, Count::Bytes(_)) { "bytes" } else { "lines" },
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
fn file_type(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let meta = fs::symlink_metadata(&p.local).map_err(|e| {
        remote_text(
            1,
            &format!("file: cannot open `{}' ({})", p.remote, errtext(&e)),
        )
    })?;
    let text = match type_char(&meta) {
        'l' => format!(
            "symbolic link to {}",
            fs::read_link(&p.local)
                .map(|t| ctx.sandbox.link_target_remote(&t))
                .unwrap_or_default()
        ),
        'd' => "directory".to_string(),
        _ if meta.len() == 0 => "empty".to_string(),
        _ => {
            let mut head = Vec::new();
            let _ = File::open(&p.local).and_then(|f| f.take(sniff::HEAD).read_to_end(&mut head));
            sniff::describe(&head)
        }
    };
    output(200, json!(text))
}

fn stat(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let meta = if truthy(req.query("dereference")) {
        fs::metadata(&p.target)
    } else {
        fs::symlink_metadata(&p.local)
    }
    .map_err(|e| remote_failure(1, &format!("stat: cannot statx '{}'", p.remote), &e))?;
    output(
        200,
        json!({
            "mode": meta.mode(), "ino": meta.ino(), "dev": meta.dev(), "nlink": meta.nlink(),
            "uid": meta.uid(), "gid": meta.gid(), "size": meta.size(),
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
    let mode = field_str(body, &["mode"]).unwrap_or("");
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
    fs::set_permissions(&p.target, fs::Permissions::from_mode(bits))
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
    let meta = fs::metadata(&p.target)
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
    let r = if parent {
        fs::create_dir_all(&p.local)
    } else {
        fs::create_dir(&p.local)
    };
    r.map_err(|e| remote_failure(1, &what, &e))?;
    output(201, entry_of(ctx.sandbox, &p)?)
}

fn symlink(ctx: &Ctx, body: &Value) -> Result<Resp, ApiError> {
    let target = ctx.body_path(body)?;
    let link = ctx.path(field_str(body, &["linkPath", "link_path"]))?;
    let what = format!("ln: failed to create symbolic link '{}'", link.remote);
    ctx.writable(&link, &link.local, &what)?;
    std::os::unix::fs::symlink(ctx.sandbox.link_target_local(&target.remote), &link.local)
        .map_err(|e| remote_failure(1, &what, &e))?;
    output(201, entry_of(ctx.sandbox, &link)?)
}

fn rm(ctx: &Ctx, req: &Req) -> Result<Resp, ApiError> {
    let p = ctx.query_path(req)?;
    let what = format!("rm: cannot remove '{}'", p.remote);
    let meta = fs::symlink_metadata(&p.local).map_err(|e| remote_failure(1, &what, &e))?;
    ctx.writable(&p, &p.local, &what)?;
    if meta.is_dir() {
        fs::remove_dir_all(&p.local)
    } else {
        fs::remove_file(&p.local)
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
    let parsed = multipart::for_each_field(req, &ct, u64::MAX, |part| {
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
        let target = dir.target.join(&name);
        let file = match dir
            .writable(ctx.sandbox, &target)
            .and_then(|_| AtomicFile::create(&target))
        {
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

fn tar(ctx: &Ctx, args: Vec<std::ffi::OsString>, into: Option<PathBuf>) -> Tar {
    Tar::new(ctx.sandbox, args, into)
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
    let parent = src.local.parent().unwrap_or(Path::new("/")).to_path_buf();
    let name = src.local.file_name().unwrap_or_default().to_os_string();
    let mode = format!("-c{flag}f");
    let pattern = field_str(body, &["matchPattern", "match_pattern"]).filter(|p| !p.is_empty());
    let dereference = field(body, &["dereference"])
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut args = vec![mode.into(), dst.target.into_os_string()];
    if pattern.is_none() {
        args.extend(["-C".into(), parent.clone().into_os_string(), name]);
    }
    let mut cmd = tar(ctx, args, None);
    if let Some(pattern) = pattern {
        // As the server: `cd dirname(path); find . -type f -regex PATTERN | tar --files-from -`.
        cmd = cmd.matching(parent, pattern);
    }
    if dereference {
        cmd = cmd.dereference(src.local);
    }
    Ok(cmd)
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
        src.target.into_os_string(),
        "--no-same-owner".into(),
        "--no-same-permissions".into(),
    ];
    Ok(tar(ctx, args, Some(dst.target)))
}

fn run_tar(cmd: Result<Tar, ApiError>) -> Result<Resp, ApiError> {
    cmd?.run()
        .map(|_| no_content())
        .map_err(|(code, stderr)| remote_text(code, &stderr))
}
