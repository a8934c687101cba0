//! FirecREST v1: the micro-service endpoints (status, utilities, storage, tasks).
//!
//! Every call names what it did in its errors ("mkdir cluster:/home/u/x: …"); the error class
//! comes from the transport (X-* header, then HTTP status).

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::transfers::{Backend, Direction, Transfer, TASK_QUEUED};
use crate::transport::{path_segment, Method, Request, Stream};
use crate::types::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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

// ---- external transfers

#[derive(serde::Deserialize)]
struct TaskCreated {
    task_id: String,
}

pub(crate) fn external_upload(
    c: &Client,
    system: &str,
    local_path: &Path,
    remote_path: &str,
) -> Result<Transfer> {
    require_system_path(system, remote_path)?;
    let context = format!(
        "external_upload {} -> {system}:{remote_path}",
        local_path.display()
    );
    let meta = std::fs::metadata(local_path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("{context}: {e}")))?;
    if !meta.is_file() {
        return Err(Error::invalid_argument(format!(
            "{context}: the local path is not a regular file"
        )));
    }
    let basename = local_path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            Error::invalid_argument(format!("{context}: the local file name is not UTF-8"))
        })?
        .to_string();
    // The server only uses the basename of sourcePath (§A11), so send nothing else.
    let created: TaskCreated = c
        .http()
        .send(
            on_system(
                Method::Post,
                "/storage/xfer-external/upload",
                system,
                context.clone(),
            )
            .form([
                ("targetPath", remote_path),
                ("sourcePath", basename.as_str()),
            ]),
        )?
        .json()?;
    let backend = V1Transfer {
        client: c.clone(),
        task_id: created.task_id,
        context,
        direction: Direction::Upload,
        local: Some((local_path.to_path_buf(), basename)),
        last_body: None,
    };
    Ok(Transfer::new(
        c,
        Direction::Upload,
        Box::new(backend),
        TASK_QUEUED,
    ))
}

pub(crate) fn external_download(c: &Client, system: &str, remote_path: &str) -> Result<Transfer> {
    require_system_path(system, remote_path)?;
    let context = format!("external_download {system}:{remote_path}");
    let created: TaskCreated = c
        .http()
        .send(
            on_system(
                Method::Post,
                "/storage/xfer-external/download",
                system,
                context.clone(),
            )
            .form([("sourcePath", remote_path)]),
        )?
        .json()?;
    let backend = V1Transfer {
        client: c.clone(),
        task_id: created.task_id,
        context,
        direction: Direction::Download,
        local: None,
        last_body: None,
    };
    Ok(Transfer::new(
        c,
        Direction::Download,
        Box::new(backend),
        TASK_QUEUED,
    ))
}

/// A v1 external transfer: a storage task polled through `GET /tasks/{id}`.
struct V1Transfer {
    client: Client,
    task_id: String,
    context: String,
    direction: Direction,
    /// Upload: the local file and the basename sent as `sourcePath`.
    local: Option<(PathBuf, String)>,
    /// The last task answer, raw: the staging form's field order lives only in the text.
    last_body: Option<Vec<u8>>,
}

/// Just enough of the task to get `data.msg.parameters` with `data` in the server's order.
#[derive(serde::Deserialize)]
struct FormTask {
    task: FormTaskInner,
}
#[derive(serde::Deserialize)]
struct FormTaskInner {
    data: FormData,
}
#[derive(serde::Deserialize)]
struct FormData {
    msg: FormMsg,
}
#[derive(serde::Deserialize)]
struct FormMsg {
    parameters: FormParameters,
}
#[derive(serde::Deserialize)]
struct FormParameters {
    #[serde(default)]
    method: String,
    url: String,
    #[serde(default)]
    data: OrderedFields,
    #[serde(default)]
    params: OrderedFields,
    #[serde(default)]
    headers: OrderedFields,
}

/// A JSON object as (name, text) pairs in document order; numbers become decimal strings.
#[derive(Default)]
struct OrderedFields(Vec<(String, String)>);

impl<'de> serde::Deserialize<'de> for OrderedFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OrderedFields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<OrderedFields, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    let text = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    out.push((k, text));
                }
                Ok(OrderedFields(out))
            }
            fn visit_unit<E>(self) -> std::result::Result<OrderedFields, E> {
                Ok(OrderedFields::default())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<OrderedFields, A::Error> {
                while seq.next_element::<Value>()?.is_some() {}
                Ok(OrderedFields::default())
            }
        }
        d.deserialize_any(V)
    }
}

impl V1Transfer {
    fn fetch(&mut self) -> Result<Value> {
        let req = Request::get(&format!("/tasks/{}", path_segment(&self.task_id)))
            .context(format!("{}: task {}", self.context, self.task_id));
        let body = self.client.http().send(req)?.bytes()?;
        let value: Value =
            serde_json::from_slice(&body).map_err(|e| Error::from(e).context(&self.context))?;
        self.last_body = Some(body);
        Ok(value)
    }

    fn last_task(&self) -> Option<Value> {
        let body = self.last_body.as_ref()?;
        let mut v: Value = serde_json::from_slice(body).ok()?;
        Some(v.get_mut("task")?.take())
    }

    fn last_data(&mut self) -> Result<Value> {
        if self.last_body.is_none() {
            self.fetch()?;
        }
        Ok(self
            .last_task()
            .and_then(|mut t| t.get_mut("data").map(Value::take))
            .unwrap_or(Value::Null))
    }

    fn form(&self) -> Result<FormParameters> {
        let body = self.last_body.as_deref().unwrap_or_default();
        serde_json::from_slice::<FormTask>(body)
            .map(|t| t.task.data.msg.parameters)
            .map_err(|e| {
                Error::new(
                    ErrorKind::Json,
                    format!(
                        "{}: the task has no staging form (data.msg.parameters): {e}",
                        self.context
                    ),
                )
            })
    }
}

impl Backend for V1Transfer {
    fn poll(&mut self) -> Result<i32> {
        let v = self.fetch()?;
        let raw: RawTask = member(v, "task", &self.context)?;
        Ok(raw.into_task()?.status)
    }

    fn failure_message(&self) -> String {
        let Some(task) = self.last_task() else {
            return "no task information".to_string();
        };
        let data = &task["data"];
        let text = match data {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Object(m) => m.get("error").or_else(|| m.get("msg")).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            _ => None,
        };
        text.or_else(|| task["description"].as_str().map(str::to_string))
            .unwrap_or_else(|| data.to_string())
    }

    fn object_storage_data(&mut self) -> Result<Value> {
        let data = self.last_data()?;
        Ok(match self.direction {
            Direction::Upload => data.pointer("/msg/parameters").cloned().unwrap_or(data),
            Direction::Download => data,
        })
    }

    fn finish_upload(&mut self, progress: &mut dyn FnMut(u64, u64) -> bool) -> Result<()> {
        let Some((path, basename)) = self.local.clone() else {
            return Err(Error::new(
                ErrorKind::InvalidState,
                format!("{}: not an upload", self.context),
            ));
        };
        if self.last_body.is_none() {
            self.fetch()?;
        }
        let form = self.form()?;
        let context = format!("{}: sending the file to the staging area", self.context);
        let len = std::fs::metadata(&path)
            .map_err(|e| Error::new(ErrorKind::Io, format!("{context}: {e}")))?
            .len();
        let stream = Stream::file(&path, 0, len);
        let mut req = if form.method.eq_ignore_ascii_case("PUT") {
            // s3v2: the raw bytes, signature in the query string.
            let mut r = Request::absolute(Method::Put, &form.url)
                .stream(stream, None)
                .idempotent(true);
            for (k, v) in &form.params.0 {
                r = r.query(k, v.clone());
            }
            r
        } else {
            // s3v4 / swift: a POST form, fields in the given order, the file last as `file`;
            // Swift names the object after the part's filename, which must be the basename.
            let mut r = Request::absolute(Method::Post, &form.url).multipart(
                form.data.0.clone(),
                "file",
                &basename,
                stream,
            );
            for (k, v) in &form.params.0 {
                r = r.query(k, v.clone());
            }
            r
        };
        for (k, v) in &form.headers.0 {
            req = req.header(k, v.clone());
        }
        send_discard(&self.client, req.context(context).progress(progress))
    }

    fn download_url(&mut self) -> Result<String> {
        let data = self.last_data()?;
        let url = match (&self.direction, &data) {
            // Servers ≤ 1.13 put the bare URL in data.
            (Direction::Download, Value::String(s)) => Some(s.clone()),
            (Direction::Download, v) => v.get("url").and_then(Value::as_str).map(str::to_string),
            (Direction::Upload, _) => self.form().ok().map(|f| f.url),
        };
        url.filter(|u| !u.is_empty()).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidState,
                format!("{}: the task has no staging URL yet", self.context),
            )
        })
    }

    fn invalidate(&mut self) -> Result<()> {
        let req = Request::post("/storage/xfer-external/invalidate")
            .header("X-Task-Id", self.task_id.clone())
            .context(format!("{}: invalidate", self.context));
        send_discard(&self.client, req)
    }

    fn describe(&self) -> String {
        format!("{} (task {})", self.context, self.task_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::wire::{capture_one_request, content_length};
    use crate::{Auth, Options};

    /// An upload whose task (as raw JSON text, so that field order is the test's) carries
    /// `parameters`, with the local file `data`.
    fn upload_at_111(url: &str, parameters: &str, data: &[u8], tag: &str) -> (V1Transfer, PathBuf) {
        let dir = std::env::temp_dir().join(format!("fc-v1-form-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let local = dir.join("file.dat");
        std::fs::write(&local, data).unwrap();
        let options = Options {
            api_version: Some(ApiVersion::V1),
            ..Options::default()
        };
        let body = format!(
            r#"{{"task":{{"task_id":"abc","status":"111","data":{{"msg":{{"parameters":{parameters},"command":"curl ..."}}}}}}}}"#
        );
        let backend = V1Transfer {
            client: Client::new(url, Auth::static_token("t"), options).unwrap(),
            task_id: "abc".into(),
            context: "external_upload test".into(),
            direction: Direction::Upload,
            local: Some((local, "file.dat".into())),
            last_body: Some(body.into_bytes()),
        };
        (backend, dir)
    }

    fn split(raw: &[u8]) -> (String, &[u8]) {
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        (
            String::from_utf8_lossy(&raw[..end]).to_string(),
            &raw[end + 4..],
        )
    }

    #[test]
    fn s3v4_form_keeps_the_field_order_and_puts_the_file_last() {
        let (url, server) = capture_one_request();
        let params = format!(
            r#"{{"method":"POST","url":"{url}/testuser","data":{{"key":"abc/file.dat","x-amz-date":"D","policy":"P","x-amz-algorithm":"A"}},"files":"file.dat","json":{{}},"params":{{}},"headers":{{}}}}"#
        );
        let (mut b, dir) = upload_at_111(&url, &params, b"0123456789", "s3v4");
        b.finish_upload(&mut |_, _| true).unwrap();
        let raw = server.join().unwrap();
        let (head, body) = split(&raw);
        assert!(head.starts_with("POST /testuser HTTP/1.1"), "{head}");
        let text = String::from_utf8_lossy(body);
        let at = |name: &str| text.find(&format!("name=\"{name}\"")).unwrap();
        assert!(at("key") < at("x-amz-date") && at("x-amz-date") < at("policy"));
        assert!(at("policy") < at("x-amz-algorithm") && at("x-amz-algorithm") < at("file"));
        assert!(text.contains(
            "filename=\"file.dat\"\r\nContent-Type: application/octet-stream\r\n\r\n0123456789\r\n"
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn s3v2_put_sends_raw_bytes_with_the_signature_in_the_query() {
        let (url, server) = capture_one_request();
        let params = format!(
            r#"{{"method":"PUT","url":"{url}/testuser/abc/file.dat","data":{{}},"files":"file.dat","json":{{}},"params":{{"AWSAccessKeyId":"K","Signature":"S/+=","Expires":1700000000}},"headers":{{}}}}"#
        );
        let data = vec![7u8; 70_000];
        let (mut b, dir) = upload_at_111(&url, &params, &data, "s3v2");
        b.finish_upload(&mut |_, _| true).unwrap();
        let raw = server.join().unwrap();
        let (head, body) = split(&raw);
        assert!(
            head.starts_with(
                "PUT /testuser/abc/file.dat?AWSAccessKeyId=K&Signature=S%2F%2B%3D&Expires=1700000000 "
            ),
            "{head}"
        );
        assert_eq!(content_length(&head.to_ascii_lowercase()), Some(data.len()));
        assert_eq!(body, &data[..]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn swift_form_sends_numbers_as_text_and_names_the_file_after_the_source() {
        let (url, server) = capture_one_request();
        let params = format!(
            r#"{{"method":"POST","url":"{url}/v1/AUTH_x/testuser/abc/","data":{{"max_file_size":5368709120,"max_file_count":1,"expires":1700000000,"signature":"sig","redirect":""}},"files":"file.dat","json":{{}},"params":{{}},"headers":{{}}}}"#
        );
        let (mut b, dir) = upload_at_111(&url, &params, b"swift", "swift");
        b.finish_upload(&mut |_, _| true).unwrap();
        let raw = server.join().unwrap();
        let (head, body) = split(&raw);
        assert!(head.starts_with("POST /v1/AUTH_x/testuser/abc/ "), "{head}");
        let text = String::from_utf8_lossy(body);
        for (name, value) in [
            ("max_file_size", "5368709120"),
            ("max_file_count", "1"),
            ("expires", "1700000000"),
            ("signature", "sig"),
            ("redirect", ""),
        ] {
            assert!(
                text.contains(&format!("name=\"{name}\"\r\n\r\n{value}\r\n")),
                "{name}: {text}"
            );
        }
        assert!(
            text.find("name=\"redirect\"").unwrap() < text.find("filename=\"file.dat\"").unwrap()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
