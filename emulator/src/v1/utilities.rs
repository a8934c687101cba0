//! `/utilities/*`: blocking file operations on the emulated cluster.

use super::archive;
use super::errors::{bad_request, command_failed};
use super::fsops::{self, Portion, USER_ID};
use super::{check_machine, optional, required, Call, Service, UTILITIES_MAX_BYTES};
use crate::atomic::AtomicFile;
use crate::exchange::{Body, Resp};
use crate::multipart::{self, Flow};
use crate::sandbox::Local;
use crate::store;
use crate::USER;
use serde_json::{json, Value};
use std::fs::File;
use std::io::{self, Seek, SeekFrom};

fn ok(status: u16, description: &str, output: Value) -> Resp {
    Resp::json(
        status,
        json!({"description": description, "output": output}),
    )
}

fn done(op: &str, status: u16, r: Result<(), String>) -> Resp {
    match r {
        Ok(()) => ok(status, &format!("Success to {op} file."), json!("")),
        Err(e) => command_failed(op, &e),
    }
}

/// Text output of head/tail/view (kept whole: FirecREST trims only other commands' stdout).
fn text_output(
    op: &str,
    description_op: &str,
    r: Result<Vec<u8>, String>,
    grep: Option<&str>,
) -> Resp {
    let data = match r {
        Ok(d) => d,
        Err(e) => return command_failed(op, &e),
    };
    let mut text = String::from_utf8_lossy(&data).into_owned();
    if let Some(pattern) = grep {
        let kept: String = text
            .split_inclusive('\n')
            .filter(|l| l.contains(pattern))
            .collect();
        if kept.is_empty() {
            return Resp::json(
                404,
                json!({"description": format!("Error on {op} operation with grep"), "error": "pattern not found"}),
            )
            .header("X-Not-Found", "pattern not found");
        }
        text = kept;
    }
    ok(
        200,
        &format!("Success to {description_op} file."),
        json!(text),
    )
}

pub(super) fn route(call: &mut Call, path: &str) -> Option<Resp> {
    let op = path.trim_start_matches("/utilities/").trim_end_matches('/');
    let method = call.req.method.clone();
    let expected = match op {
        "ls" | "file" | "stat" | "checksum" | "head" | "tail" | "view" | "download" | "whoami" => {
            "GET"
        }
        "mkdir" | "copy" | "symlink" | "upload" | "compress" | "extract" => "POST",
        "rename" | "chmod" | "chown" => "PUT",
        "rm" => "DELETE",
        _ => return None,
    };
    if method != expected {
        return Some(Resp::json(
            405,
            json!({"message": "The method is not allowed for the requested URL."}),
        ));
    }
    let description = format!("Error on {op} operation");
    if let Err(r) = check_machine(call, Service::Utilities, &description) {
        return Some(r);
    }
    Some(match serve(call, op, &description) {
        Ok(r) | Err(r) => r,
    })
}

fn serve(call: &mut Call, op: &str, description: &str) -> Result<Resp, Resp> {
    let sb = &call.state.sandbox;
    let target = |call: &Call| required(call, "targetPath", description);
    Ok(match op {
        "whoami" => {
            if call.flag("groups") {
                let id = json!({"name": USER, "id": USER_ID.to_string()});
                ok(
                    200,
                    "User information",
                    json!({"user": id, "group": id, "groups": [id]}),
                )
            } else {
                ok(200, "User information", json!(call.user))
            }
        }
        "ls" => {
            let p = target(call)?;
            let (hidden, recursive) = (call.flag("showhidden"), call.flag("recursive"));
            match fsops::ls(sb, &p, hidden, recursive, call.flag("followLinks")) {
                Ok(v) => ok(200, "List of contents", ls_options(call, v)),
                Err(e) => command_failed(op, &e),
            }
        }
        "mkdir" => {
            let p = target(call)?;
            done(op, 201, fsops::mkdir(sb, &p, call.has("p")))
        }
        "rename" | "copy" => {
            let src = required(call, "sourcePath", description)?;
            let dst = target(call)?;
            if op == "rename" {
                done(op, 200, fsops::rename(sb, &src, &dst))
            } else {
                done(op, 201, fsops::copy(sb, &src, &dst))
            }
        }
        "chmod" => {
            let p = target(call)?;
            let mode = required(call, "mode", description)?;
            match fsops::chmod(sb, &p, &mode) {
                Ok(out) => ok(200, "Success to chmod file or directory.", json!(out)),
                Err(e) => command_failed(op, &e),
            }
        }
        "chown" => {
            let p = target(call)?;
            let owner = optional(call, "owner", description)?.unwrap_or_default();
            let group = optional(call, "group", description)?.unwrap_or_default();
            if owner.is_empty() && group.is_empty() {
                return Err(bad_request(
                    "Error in chown operation",
                    "group or owner must be set",
                ));
            }
            match fsops::chown(sb, &p, &owner, &group) {
                Ok(out) => ok(200, "Success to chown file or directory.", json!(out)),
                Err(e) => command_failed(op, &e),
            }
        }
        "rm" => {
            let p = target(call)?;
            match fsops::rm(sb, &p) {
                Ok(()) => Resp::new(204).header("Content-Type", "application/json"),
                Err(e) => command_failed(op, &e),
            }
        }
        "symlink" => {
            let t = target(call)?;
            let link = required(call, "linkPath", description)?;
            done(op, 201, fsops::symlink(sb, &t, &link))
        }
        "file" => {
            let p = target(call)?;
            match fsops::file_type(sb, &p) {
                Ok(out) => ok(200, "Success to file file.", json!(out)),
                Err(e) => command_failed(op, &e),
            }
        }
        "stat" => {
            let p = match call.param("targetPath") {
                Some(_) => target(call)?,
                None => required(call, "sourcePath", description)?,
            };
            match fsops::stat(sb, &p, call.flag("dereference")) {
                Ok(out) => ok(200, "Success to stat file.", out),
                Err(e) => command_failed(op, &e),
            }
        }
        "checksum" => {
            let p = target(call)?;
            match fsops::checksum(sb, &p) {
                Ok(out) => ok(200, "Success to checksum file.", json!(out)),
                Err(e) => command_failed(op, &e),
            }
        }
        "compress" | "extract" => {
            let src = required(call, "sourcePath", description)?;
            let dst = target(call)?;
            let r = if op == "compress" {
                archive::compress(sb, &src, &dst, call.flag("dereference"))
            } else {
                archive::extract(sb, &src, &dst)
            };
            done(op, 201, r)
        }
        "head" | "tail" | "view" => head_tail(call, op, description)?,
        "download" => download(call)?,
        "upload" => upload(call)?,
        _ => Resp::json(
            400,
            json!({"description": description, "error": "Operation not supported by the emulator"}),
        ),
    })
}

/// `numericUid` (ids instead of names) and paging (`pageSize` with `pageNumber`, from 1; an
/// out-of-range page gives the whole list, as the server does).
fn ls_options(call: &Call, mut entries: Value) -> Value {
    if call.flag("numericUid") {
        if let Some(list) = entries.as_array_mut() {
            for e in list {
                for k in ["user", "group"] {
                    let id = if e[k] == USER { USER_ID } else { 0 };
                    e[k] = json!(id.to_string());
                }
            }
        }
    }
    let size = call.param("pageSize").and_then(|v| v.parse::<usize>().ok());
    let number = call
        .param("pageNumber")
        .and_then(|v| v.parse::<usize>().ok());
    if let (Some(size), Some(number), Some(list)) = (size, number, entries.as_array()) {
        let start = number.saturating_sub(1).saturating_mul(size);
        if size > 0 && number > 0 && start < list.len() {
            let end = (start + size).min(list.len());
            return Value::Array(list[start..end].to_vec());
        }
    }
    entries
}

fn head_tail(call: &Call, op: &str, description: &str) -> Result<Resp, Resp> {
    let sb = &call.state.sandbox;
    let p = required(call, "targetPath", description)?;
    let bytes = optional(call, "bytes", description)?;
    let lines = optional(call, "lines", description)?;
    let grep = optional(call, "grep", description)?;
    if bytes.is_some() && lines.is_some() {
        return Err(bad_request(
            description,
            "Can not specify both 'bytes' and 'lines'",
        ));
    }
    let portion = Portion {
        bytes: bytes.as_deref(),
        lines: lines.as_deref(),
        skip: call.flag(if op == "tail" {
            "skip_beginning"
        } else {
            "skip_ending"
        }),
        limit: UTILITIES_MAX_BYTES,
    };
    Ok(match op {
        "head" => text_output(op, op, fsops::head(sb, &p, &portion), grep.as_deref()),
        "tail" => text_output(op, op, fsops::tail(sb, &p, &portion), grep.as_deref()),
        _ => {
            match fsops::fsize(sb, &p) {
                Err(e) => return Ok(command_failed("fsize", &e)),
                Ok(size) if size > UTILITIES_MAX_BYTES => {
                    return Ok(size_limit("Failed to view file content"))
                }
                Ok(_) => {}
            }
            // view is head without skip: the first bytes of the file, up to the size limit.
            let portion = Portion {
                skip: false,
                ..portion
            };
            text_output(
                "head",
                "head",
                fsops::head(sb, &p, &portion),
                grep.as_deref(),
            )
        }
    })
}

fn size_limit(description: &str) -> Resp {
    Resp::json(400, json!({ "description": description }))
        .header("X-Size-Limit", "File exceeds size limit")
}

fn download(call: &Call) -> Result<Resp, Resp> {
    let sb = &call.state.sandbox;
    let p = required(call, "sourcePath", "Error on download operation")?;
    match fsops::fsize(sb, &p) {
        Err(e) => return Ok(command_failed("fsize", &e)),
        Ok(size) if size > UTILITIES_MAX_BYTES => return Ok(size_limit("Failed to download file")),
        Ok(_) => {}
    }
    let (mut file, len) = match fsops::open_download(sb, &p) {
        Ok(f) => f,
        Err(e) => return Ok(command_failed("base64", &e)),
    };
    let name = p.rsplit('/').next().unwrap_or("file").to_string();
    let mut resp = Resp::new(200)
        .header("Content-Type", "application/octet-stream")
        .header(
            "Content-Disposition",
            format!("attachment; filename={name}"),
        )
        .header("Cache-Control", "no-cache")
        .header("Accept-Ranges", "bytes");
    // Flask's send_file is conditional: a satisfiable byte range gets 206 and that part, one
    // beyond the end 416, and a header Werkzeug cannot parse is ignored (the whole file).
    let mut part_len = len;
    if let Some(range) = call.req.header("Range") {
        if store::parse_range(&range, u64::MAX).is_some() {
            let Some((first, last)) = store::parse_range(&range, len) else {
                return Ok(Resp::flask_416(len));
            };
            if file.seek(SeekFrom::Start(first)).is_err() {
                return Ok(Resp::flask_500());
            }
            resp.status = 206;
            resp = resp.header("Content-Range", format!("bytes {first}-{last}/{len}"));
            part_len = last - first + 1;
        }
    }
    resp.body = Body::File(file, part_len);
    Ok(resp)
}

/// Where the file part of an upload goes: straight to its final place when `targetPath` came
/// first (the usual order), else to a spool file outside the sandbox until it is known.
enum Sink {
    File(AtomicFile),
    Spool(Spool),
}

/// An anonymous temporary file (unlinked at once, so nothing is left behind whatever happens).
struct Spool(File);

impl Spool {
    fn new() -> io::Result<Spool> {
        tempfile::tempfile().map(Spool)
    }
}

fn upload(call: &mut Call) -> Result<Resp, Resp> {
    const OP: &str = "upload";
    let too_large = || {
        Resp::json(
            413,
            json!({"description": format!("Failed to upload file. The file is over {UTILITIES_MAX_BYTES} bytes")}),
        )
    };
    if call
        .req
        .content_length()
        .is_some_and(|l| l > UTILITIES_MAX_BYTES)
    {
        return Err(too_large());
    }
    let ct = call.req.content_type();
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(bad_request("Error on upload operation", "No file in query"));
    }
    let state = call.state.clone();
    let sb = &state.sandbox;
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file: Option<(String, Sink)> = None;
    let mut early: Option<Resp> = None;
    let result =
        multipart::for_each_field(call.req.body_stream(), &ct, UTILITIES_MAX_BYTES, |part| {
            if part.name != "file" || part.file_name.is_none() {
                fields.push((part.name.clone(), part.text()?));
                return Ok(Flow::Continue);
            }
            let name = part.file_name.clone().unwrap_or_default();
            let name = name.rsplit('/').next().unwrap_or("").to_string();
            let target = fields
                .iter()
                .find(|(k, _)| k == "targetPath")
                .map(|(_, v)| v.clone());
            let mut sink = match target {
                Some(t) if !super::has_forbidden_char(&t) && !super::has_forbidden_char(&name) => {
                    match fsops::upload_target(sb, &t, &name) {
                        Ok(local) => Sink::File(AtomicFile::create_in(&local)?),
                        Err(e) => {
                            early = Some(command_failed(OP, &e));
                            return Ok(Flow::Stop);
                        }
                    }
                }
                _ => Sink::Spool(Spool::new()?),
            };
            match &mut sink {
                Sink::File(f) => part.copy_to(f)?,
                Sink::Spool(f) => part.copy_to(&mut f.0)?,
            };
            file = Some((name, sink));
            Ok(Flow::Continue)
        });
    if let Some(r) = early {
        return Err(r);
    }
    match result {
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => return Err(too_large()),
        Err(e) => return Err(bad_request("Error on upload operation", &e.to_string())),
        Ok(()) => {}
    }
    let form = Call {
        state: call.state,
        req: call.req,
        params: fields,
        user: call.user.clone(),
    };
    let target = required(&form, "targetPath", "Error on upload operation")?;
    let Some((name, sink)) = file else {
        return Err(bad_request("Error on upload operation", "No file in query"));
    };
    if name.is_empty() || super::has_forbidden_char(&name) {
        return Err(bad_request(
            "Error on upload operation",
            "'file' has invalid char",
        ));
    }
    let written = match sink {
        Sink::File(f) => f.commit(),
        Sink::Spool(spool) => match fsops::upload_target(sb, &target, &name) {
            Ok(local) => write_spooled(&local, spool),
            Err(e) => return Ok(command_failed(OP, &e)),
        },
    };
    Ok(match written {
        Ok(()) => ok(201, "File upload successful", json!("")),
        Err(e) => command_failed(
            OP,
            &format!(
                "bash: line 1: {target}/{name}: {}",
                crate::util::errtext(&e)
            ),
        ),
    })
}

fn write_spooled(local: &Local, Spool(mut spool): Spool) -> io::Result<()> {
    let mut f = AtomicFile::create_in(local)?;
    spool.seek(SeekFrom::Start(0))?;
    io::copy(&mut spool, &mut f)?;
    f.commit()
}
