//! FirecREST v1: the micro-service endpoints (status, utilities, storage, tasks).
//!
//! Every call names what it did in its errors ("mkdir cluster:/home/u/x: …"); the error class
//! comes from the transport (X-* header, then HTTP status).

mod transfer;

pub(crate) use transfer::{external_download, external_upload};

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{path_segment, Method, Request, Stream};
use crate::types::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::{Read, Write};

// ---- helpers

/// A utilities/storage request on `system` (v1 selects the system with a header).
fn on_system<'a>(method: Method, path: &str, system: &str, context: String) -> Request<'a> {
    Request::new(method, path)
        .header("X-Machine-Name", system)
        .context(context)
}

fn require(name: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        Err(Error::invalid_argument(format!("{name} is empty")))
    } else {
        Ok(())
    }
}

fn require_system_path(system: &str, path: &str) -> Result<()> {
    require("system", system)?;
    require("path", path)
}

/// The `key` member of a JSON answer, converted.
fn member<T: DeserializeOwned>(mut v: Value, key: &str, context: &str) -> Result<T> {
    let inner = v.get_mut(key).map(Value::take).ok_or_else(|| {
        Error::new(
            ErrorKind::Json,
            format!("{context}: the answer has no \"{key}\""),
        )
    })?;
    serde_json::from_value(inner).map_err(|e| Error::from(e).context(context))
}

fn get_member<T: DeserializeOwned>(c: &Client, req: Request<'_>, key: &str) -> Result<T> {
    let resp = c.http().send(req)?;
    let context = resp.context().to_string();
    member(resp.json()?, key, &context)
}

fn send_discard(c: &Client, req: Request<'_>) -> Result<()> {
    c.http().send(req)?.discard();
    Ok(())
}

fn flag(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

// ---- status

pub(crate) fn all_services(c: &Client) -> Result<Vec<Service>> {
    get_member(
        c,
        Request::get("/status/services").context("all_services"),
        "out",
    )
}

pub(crate) fn service(c: &Client, name: &str) -> Result<Service> {
    require("service name", name)?;
    let req = Request::get(&format!("/status/services/{}", path_segment(name)))
        .context(format!("service {name}"));
    let resp = c.http().send(req)?;
    // No "out" wrapper here (§A5).
    resp.json()
}

pub(crate) fn all_systems(c: &Client) -> Result<Vec<System>> {
    get_member(
        c,
        Request::get("/status/systems").context("all_systems"),
        "out",
    )
}

pub(crate) fn system(c: &Client, system: &str) -> Result<System> {
    require("system", system)?;
    get_member(
        c,
        Request::get(&format!("/status/systems/{}", path_segment(system)))
            .context(format!("system {system}")),
        "out",
    )
}

pub(crate) fn parameters(c: &Client) -> Result<Parameters> {
    get_member(
        c,
        Request::get("/status/parameters").context("parameters"),
        "out",
    )
}

pub(crate) fn filesystems(c: &Client, system: Option<&str>) -> Result<Value> {
    let req = match system {
        Some(s) => {
            require("system", s)?;
            Request::get(&format!("/status/filesystems/{}", path_segment(s)))
                .context(format!("filesystems {s}"))
        }
        None => Request::get("/status/filesystems").context("filesystems"),
    };
    get_member(c, req, "out")
}

// ---- identity

pub(crate) fn whoami(c: &Client, system: &str) -> Result<String> {
    get_member(c, whoami_request("whoami", system)?, "output")
}

pub(crate) fn groups(c: &Client, system: &str) -> Result<UserGroups> {
    get_member(
        c,
        whoami_request("groups", system)?.query("groups", "true"),
        "output",
    )
}

fn whoami_request(op: &str, system: &str) -> Result<Request<'static>> {
    require("system", system)?;
    Ok(on_system(
        Method::Get,
        "/utilities/whoami",
        system,
        format!("{op} {system}"),
    ))
}

// ---- utilities

/// v1's ls entry: `size` is a string, `link_target` is "" for non-links.
#[derive(serde::Deserialize)]
struct RawEntry {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    link_target: Option<String>,
    user: String,
    group: String,
    permissions: String,
    last_modified: String,
    size: Value,
}

impl RawEntry {
    fn into_entry(self) -> FileEntry {
        let size = match &self.size {
            Value::String(s) => s.trim().parse().unwrap_or(0),
            Value::Number(n) => n.as_u64().unwrap_or(0),
            _ => 0,
        };
        FileEntry {
            name: self.name,
            kind: self.kind,
            link_target: self.link_target.filter(|t| !t.is_empty()),
            user: self.user,
            group: self.group,
            permissions: self.permissions,
            last_modified: self.last_modified,
            size,
        }
    }
}

pub(crate) fn list_files(
    c: &Client,
    system: &str,
    path: &str,
    options: ListOptions,
) -> Result<Vec<FileEntry>> {
    require_system_path(system, path)?;
    let mut req = on_system(
        Method::Get,
        "/utilities/ls",
        system,
        format!("list_files {system}:{path}"),
    )
    .query("targetPath", path);
    if options.show_hidden {
        req = req.query("showhidden", "true");
    }
    if options.recursive {
        req = req.query("recursive", "true");
    }
    let raw: Vec<RawEntry> = get_member(c, req, "output")?;
    Ok(raw.into_iter().map(RawEntry::into_entry).collect())
}

pub(crate) fn mkdir(c: &Client, system: &str, path: &str, parents: bool) -> Result<()> {
    require_system_path(system, path)?;
    let mut form = vec![("targetPath", path.to_string())];
    if parents {
        // The server turns on -p when the field is present at all, whatever its value.
        form.push(("p", "true".to_string()));
    }
    send_discard(
        c,
        on_system(
            Method::Post,
            "/utilities/mkdir",
            system,
            format!("mkdir {system}:{path}"),
        )
        .form(form),
    )
}

fn source_target(
    c: &Client,
    method: Method,
    endpoint: &str,
    op: &str,
    system: &str,
    source: &str,
    target: &str,
) -> Result<()> {
    require("system", system)?;
    require("source", source)?;
    require("target", target)?;
    send_discard(
        c,
        on_system(
            method,
            endpoint,
            system,
            format!("{op} {system}:{source} -> {target}"),
        )
        .form([("sourcePath", source), ("targetPath", target)]),
    )
}

pub(crate) fn mv(c: &Client, system: &str, source: &str, target: &str) -> Result<()> {
    source_target(
        c,
        Method::Put,
        "/utilities/rename",
        "mv",
        system,
        source,
        target,
    )
}

pub(crate) fn copy(c: &Client, system: &str, source: &str, target: &str) -> Result<()> {
    source_target(
        c,
        Method::Post,
        "/utilities/copy",
        "copy",
        system,
        source,
        target,
    )
}

pub(crate) fn chmod(c: &Client, system: &str, path: &str, mode: &str) -> Result<()> {
    require_system_path(system, path)?;
    require("mode", mode)?;
    send_discard(
        c,
        on_system(
            Method::Put,
            "/utilities/chmod",
            system,
            format!("chmod {mode} {system}:{path}"),
        )
        .form([("targetPath", path), ("mode", mode)]),
    )
}

pub(crate) fn chown(
    c: &Client,
    system: &str,
    path: &str,
    owner: Option<&str>,
    group: Option<&str>,
) -> Result<()> {
    require_system_path(system, path)?;
    let owner = owner.filter(|o| !o.is_empty());
    let group = group.filter(|g| !g.is_empty());
    if owner.is_none() && group.is_none() {
        return Err(Error::invalid_argument(format!(
            "chown {system}:{path}: give an owner, a group or both"
        )));
    }
    let mut form = vec![("targetPath", path)];
    form.extend(owner.map(|o| ("owner", o)));
    form.extend(group.map(|g| ("group", g)));
    send_discard(
        c,
        on_system(
            Method::Put,
            "/utilities/chown",
            system,
            format!(
                "chown {}:{} {system}:{path}",
                owner.unwrap_or(""),
                group.unwrap_or("")
            ),
        )
        .form(form),
    )
}

pub(crate) fn remove(c: &Client, system: &str, path: &str) -> Result<()> {
    require_system_path(system, path)?;
    // DELETE with a form body: that is what the server reads.
    send_discard(
        c,
        on_system(
            Method::Delete,
            "/utilities/rm",
            system,
            format!("remove {system}:{path}"),
        )
        .form([("targetPath", path)]),
    )
}

pub(crate) fn symlink(c: &Client, system: &str, target: &str, link_path: &str) -> Result<()> {
    require("system", system)?;
    require("target", target)?;
    require("link_path", link_path)?;
    send_discard(
        c,
        on_system(
            Method::Post,
            "/utilities/symlink",
            system,
            format!("symlink {system}:{link_path} -> {target}"),
        )
        .form([("targetPath", target), ("linkPath", link_path)]),
    )
}

fn get_output<T: DeserializeOwned>(
    c: &Client,
    op: &str,
    endpoint: &str,
    system: &str,
    path: &str,
    extra: &[(&str, String)],
) -> Result<T> {
    require_system_path(system, path)?;
    let mut req = on_system(
        Method::Get,
        endpoint,
        system,
        format!("{op} {system}:{path}"),
    )
    .query("targetPath", path);
    for (k, v) in extra {
        req = req.query(k, v.clone());
    }
    get_member(c, req, "output")
}

pub(crate) fn file_type(c: &Client, system: &str, path: &str) -> Result<String> {
    get_output(c, "file_type", "/utilities/file", system, path, &[])
}

pub(crate) fn stat(c: &Client, system: &str, path: &str, dereference: bool) -> Result<Stat> {
    let extra = if dereference {
        vec![("dereference", flag(true).to_string())]
    } else {
        Vec::new()
    };
    get_output(c, "stat", "/utilities/stat", system, path, &extra)
}

pub(crate) fn checksum(c: &Client, system: &str, path: &str) -> Result<String> {
    get_output(c, "checksum", "/utilities/checksum", system, path, &[])
}

fn head_tail(
    c: &Client,
    op: &str,
    system: &str,
    path: &str,
    options: HeadTailOptions,
    skip_param: &str,
) -> Result<String> {
    let extra = options.query(&format!("{op} {system}:{path}"), skip_param)?;
    get_output(c, op, &format!("/utilities/{op}"), system, path, &extra)
}

pub(crate) fn head(
    c: &Client,
    system: &str,
    path: &str,
    options: HeadTailOptions,
) -> Result<String> {
    head_tail(c, "head", system, path, options, "skip_ending")
}

pub(crate) fn tail(
    c: &Client,
    system: &str,
    path: &str,
    options: HeadTailOptions,
) -> Result<String> {
    head_tail(c, "tail", system, path, options, "skip_beginning")
}

pub(crate) fn view(c: &Client, system: &str, path: &str) -> Result<String> {
    get_output(c, "view", "/utilities/view", system, path, &[])
}

pub(crate) fn simple_upload_reader(
    c: &Client,
    system: &str,
    body: &mut dyn Read,
    size: u64,
    remote_dir: &str,
    filename: &str,
) -> Result<()> {
    require("system", system)?;
    require("remote_dir", remote_dir)?;
    require("filename", filename)?;
    let req = on_system(
        Method::Post,
        "/utilities/upload",
        system,
        format!("simple_upload {system}:{remote_dir}/{filename}"),
    )
    .multipart(
        vec![("targetPath".to_string(), remote_dir.to_string())],
        "file",
        filename,
        Stream::reader(body, size),
    );
    send_discard(c, req)
}

pub(crate) fn simple_download_to(
    c: &Client,
    system: &str,
    remote_path: &str,
    writer: &mut dyn Write,
) -> Result<u64> {
    require_system_path(system, remote_path)?;
    let context = format!("simple_download {system}:{remote_path}");
    let req = on_system(Method::Get, "/utilities/download", system, context)
        .query("sourcePath", remote_path);
    c.http().send(req)?.copy_to(writer)
}

// ---- tasks

/// A task as the server sends it: status is a string, extra keys are ignored.
#[derive(serde::Deserialize)]
struct RawTask {
    task_id: String,
    status: Value,
    #[serde(default)]
    description: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    system: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    created_at: String,
    #[serde(default)]
    updated_at: String,
    #[serde(default)]
    data: Value,
}

impl RawTask {
    fn into_task(self) -> Result<Task> {
        let status = match &self.status {
            Value::String(s) => s.trim().parse().ok(),
            Value::Number(n) => n.as_i64().map(|n| n as i32),
            _ => None,
        }
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Json,
                format!(
                    "task {}: status {} is not an integer",
                    self.task_id, self.status
                ),
            )
        })?;
        Ok(Task {
            task_id: self.task_id,
            status,
            description: self.description,
            service: self.service,
            system: self.system,
            user: self.user,
            created_at: self.created_at,
            updated_at: self.updated_at,
            data: self.data,
        })
    }
}

pub(crate) fn task(c: &Client, task_id: &str) -> Result<Task> {
    require("task_id", task_id)?;
    let raw: RawTask = get_member(
        c,
        Request::get(&format!("/tasks/{}", path_segment(task_id)))
            .context(format!("task {task_id}")),
        "task",
    )?;
    raw.into_task()
}

pub(crate) fn tasks(c: &Client, task_ids: Option<&[&str]>) -> Result<Vec<Task>> {
    let mut req = Request::get("/tasks").context("tasks");
    if let Some(ids) = task_ids {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        req = req.query("tasks", ids.join(","));
    }
    // An object keyed by task id (§A16.1), not an array.
    let map: serde_json::Map<String, Value> = get_member(c, req, "tasks")?;
    let mut out = map
        .into_iter()
        .map(|(_, v)| {
            serde_json::from_value::<RawTask>(v)
                .map_err(|e| Error::from(e).context("tasks"))?
                .into_task()
        })
        .collect::<Result<Vec<_>>>()?;
    match task_ids {
        Some(ids) => out.sort_by_key(|t| ids.iter().position(|i| *i == t.task_id)),
        None => out.sort_by(|a, b| a.created_at.cmp(&b.created_at)),
    }
    Ok(out)
}
