//! FirecREST v2: status, filesystem ops, transfer jobs, S3 multipart.
//!
//! Results fill the same `types` structs as v1 (v1 field names, `None` where v2 lacks a field).
//! Choices where v2 has no direct equivalent:
//! - `all_services`, `service`, `task`, `tasks`: `Unsupported` (v2 has no services or task registry).
//! - `parameters`: assembled from `/status/systems` and the `F7T-AppVersion` header in v1's
//!   sections (`general`, `utilities`, `storage`, `compute`); sizes in MB (MiB) as v1 does.
//! - `mv`, `copy`: transfer jobs, waited for; success needs COMPLETED and the success line.
//! - `remove`: `ops/rm`; when that times out (408) the `transfer/rm` job, as pyfirecrest does.
//! - Small transfers are refused locally above `dataOperation.max_ops_file_size` (downloads:
//!   above the base64-encoded size that fits, about 0.75 × the limit).
//! - Those limits and the transfer-job directives come from the client's cached
//!   `/status/systems` description (`systems_cache`, 5 minutes); health is always asked afresh.

mod http;
mod jobs;
mod multipart;
mod systems_cache;
mod transfer;

pub(crate) use systems_cache::SystemsCache;
pub(crate) use transfer::{external_download, external_upload};

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::Method;
use crate::types::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::Arc;

use http::segment;
use jobs::TransferJob;

pub(crate) fn all_services(_c: &Client) -> Result<Vec<Service>> {
    Err(no_services("all_services"))
}

pub(crate) fn service(_c: &Client, name: &str) -> Result<Service> {
    Err(no_services(&format!("service {name}")))
}

fn no_services(what: &str) -> Error {
    Error::unsupported(format!(
        "{what}: FirecREST v2 has no micro-services to report on; \
         use all_systems (its status covers each system's scheduler, SSH, filesystems and S3)"
    ))
}

pub(crate) fn all_systems(c: &Client) -> Result<Vec<System>> {
    Ok(raw_systems(c)?.systems.iter().map(to_system).collect())
}

pub(crate) fn system(c: &Client, system: &str) -> Result<System> {
    Ok(to_system(&raw_systems(c)?.find(system)?))
}

/// `/status/systems` as the server sent it, with the server's version header.
pub(crate) struct RawSystems {
    pub(crate) systems: Vec<Value>,
    pub(crate) app_version: Option<String>,
}

impl RawSystems {
    fn from_answer(mut body: Value, app_version: Option<String>) -> Result<RawSystems> {
        match body.get_mut("systems").map(Value::take) {
            Some(Value::Array(systems)) => Ok(RawSystems {
                systems,
                app_version,
            }),
            _ => Err(Error::new(
                ErrorKind::Json,
                "/status/systems answer has no 'systems' list",
            )),
        }
    }

    /// The entry of `system` (names are case-insensitive on v2: the server lower-cases paths).
    pub(crate) fn find(&self, system: &str) -> Result<Value> {
        let wanted = system.to_lowercase();
        self.systems
            .iter()
            .find(|s| s["name"].as_str().map(str::to_lowercase).as_deref() == Some(&wanted))
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .systems
                    .iter()
                    .filter_map(|s| s["name"].as_str())
                    .collect();
                Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "system '{system}' not found (systems: {})",
                        known.join(", ")
                    ),
                )
            })
    }
}

/// `/status/systems` asked now (for health); the answer also refreshes the client's cache.
pub(crate) fn raw_systems(c: &Client) -> Result<Arc<RawSystems>> {
    Ok(c.inner.v2_systems.store(fetch_systems(c)?))
}

/// The configuration of `system` (limits, directives) from the client's cached description.
/// A system missing from a cached copy costs one fresh request: it may have been added since.
pub(crate) fn described_system(c: &Client, system: &str) -> Result<Value> {
    let mut fetched = false;
    let cached = c.inner.v2_systems.get_or_fetch(|| {
        fetched = true;
        fetch_systems(c)
    })?;
    match cached.find(system) {
        Err(e) if e.kind() == ErrorKind::NotFound && !fetched => raw_systems(c)?.find(system),
        found => found,
    }
}

/// Keeps a `/status/systems` answer read for another reason (API version detection), so the
/// first transfer does not ask again. An answer without a systems list is not kept.
pub(crate) fn remember_systems(c: &Client, body: Value, app_version: Option<String>) {
    if let Ok(raw) = RawSystems::from_answer(body, app_version) {
        c.inner.v2_systems.store(raw);
    }
}

fn fetch_systems(c: &Client) -> Result<RawSystems> {
    let reply = http::get(c, "/status/systems", &[], "systems")?;
    RawSystems::from_answer(reply.body, reply.app_version)
}

/// v1's view of a system: available unless a health probe says otherwise.
fn to_system(v: &Value) -> System {
    let health = v["servicesHealth"].as_array();
    let unhealthy: Vec<String> = health
        .into_iter()
        .flatten()
        .filter(|h| h["healthy"] == Value::Bool(false))
        .map(|h| {
            let mut what = h["serviceType"].as_str().unwrap_or("service").to_string();
            if let Some(p) = h["path"].as_str() {
                what = format!("{what} {p}");
            }
            match h["message"].as_str() {
                Some(m) if !m.is_empty() => format!("{what}: {m}"),
                _ => what,
            }
        })
        .collect();
    let (status, description) = if !unhealthy.is_empty() {
        (
            "not available",
            format!("unhealthy: {}", unhealthy.join("; ")),
        )
    } else if health.is_none() {
        ("available", "System ready (not health-checked yet)".into())
    } else {
        ("available", "System ready".into())
    };
    System {
        system: v["name"].as_str().unwrap_or_default().to_string(),
        status: status.to_string(),
        description,
    }
}

/// `max_ops_file_size` of a system: the largest `ops/upload` body and SSH output buffer.
fn ops_limit(c: &Client, system: &str) -> Result<u64> {
    let entry = described_system(c, system)?;
    entry["dataOperation"]["max_ops_file_size"]
        .as_u64()
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Json,
                format!("system {system} publishes no dataOperation.max_ops_file_size"),
            )
        })
}

/// v1's `/status/parameters` rebuilt from what v2 publishes. Per-system limits become the
/// smallest value over all systems (v1 parameters are global).
pub(crate) fn parameters(c: &Client) -> Result<Parameters> {
    let raw = raw_systems(c)?;
    let min_of = |f: &dyn Fn(&Value) -> Option<u64>| raw.systems.iter().filter_map(f).min();
    let param = |name: &str, value: Value, unit: &str, description: &str| Parameter {
        name: name.into(),
        value,
        unit: unit.into(),
        description: description.into(),
    };
    let mut p = Parameters::default();

    p.sections.insert(
        "general".into(),
        vec![param(
            "FIRECREST_VERSION",
            json!(raw.app_version.clone().unwrap_or_default()),
            "",
            "FirecREST version (the server's F7T-AppVersion header).",
        )],
    );

    let mut utilities = Vec::new();
    if let Some(max) = min_of(&|s| s["dataOperation"]["max_ops_file_size"].as_u64()) {
        utilities.push(param(
            "UTILITIES_MAX_FILE_SIZE",
            json!(mib(max)),
            "MB",
            "The maximum allowable file size for direct uploads and downloads \
             (dataOperation.max_ops_file_size; downloads travel base64-encoded, so about 0.75 of it).",
        ));
    }
    if let Some(t) = min_of(&|s| s["ssh"]["timeout"]["commandExecution"].as_u64()) {
        utilities.push(param(
            "UTILITIES_TIMEOUT",
            json!(t.to_string()),
            "seconds",
            "Maximum time for executing a command on the system (ssh.timeout.commandExecution).",
        ));
    }
    p.sections.insert("utilities".into(), utilities);

    let mut storage = Vec::new();
    let transfer = raw
        .systems
        .iter()
        .map(|s| &s["dataOperation"]["data_transfer"])
        .find(|t| t.is_object());
    if let Some(t) = transfer {
        if let Some(kind) = t["serviceType"].as_str() {
            storage.push(param(
                "OBJECT_STORAGE",
                json!(kind),
                "",
                "Type of external transfer (data_transfer.serviceType).",
            ));
        }
        if let Some(ttl) = t["ttl"].as_u64() {
            storage.push(param(
                "STORAGE_TEMPURL_EXP_TIME",
                json!(ttl.to_string()),
                "seconds",
                "Expiration time for temp URLs.",
            ));
        }
        storage.push(param(
            "STORAGE_MAX_FILE_SIZE",
            json!(mib(S3_MAX_OBJECT)),
            "MB",
            "Maximum file size for external transfers (the S3 object limit, 5 TiB).",
        ));
    }
    let mounted: Vec<Value> = raw
        .systems
        .iter()
        .map(|s| {
            let paths: Vec<&str> = s["fileSystems"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["path"].as_str())
                .collect();
            json!({"system": s["name"], "mounted": paths})
        })
        .collect();
    storage.push(param(
        "FILESYSTEMS",
        Value::Array(mounted),
        "",
        "Available filesystems through the API.",
    ));
    p.sections.insert("storage".into(), storage);

    let scheduler = raw
        .systems
        .iter()
        .find_map(|s| s["scheduler"]["type"].as_str());
    if let Some(kind) = scheduler {
        let name = match kind {
            "slurm" => "Slurm",
            "pbs" => "PBS",
            other => other,
        };
        p.sections.insert(
            "compute".into(),
            vec![param(
                "WORKLOAD_MANAGER",
                json!(name),
                "",
                "Type of resource and workload manager used in compute microservice.",
            )],
        );
    }
    Ok(p)
}

/// S3's largest object, the bound on a v2 external transfer.
const S3_MAX_OBJECT: u64 = 5 << 40;

/// Bytes as v1's "MB" string (MiB): "5" for 5 MiB, "0.0625" for 64 KiB.
fn mib(bytes: u64) -> String {
    let v = bytes as f64 / 1048576.0;
    if bytes % 1048576 == 0 {
        (bytes / 1048576).to_string()
    } else {
        format!("{v}")
    }
}

/// v1's `/status/filesystems` shape from the systems' `fileSystems` (`status_code` is null:
/// v2 has no per-filesystem HTTP probe, only the health flag used for `status`).
pub(crate) fn filesystems(c: &Client, system: Option<&str>) -> Result<serde_json::Value> {
    let raw = raw_systems(c)?;
    match system {
        Some(name) => Ok(filesystems_of(&raw.find(name)?)),
        None => Ok(Value::Object(
            raw.systems
                .iter()
                .map(|s| {
                    let name = s["name"].as_str().unwrap_or_default().to_string();
                    (name, filesystems_of(s))
                })
                .collect(),
        )),
    }
}

fn filesystems_of(system: &Value) -> Value {
    let health = system["servicesHealth"].as_array();
    let entries = system["fileSystems"].as_array().into_iter().flatten();
    Value::Array(
        entries
            .map(|f| {
                let path = f["path"].as_str().unwrap_or_default();
                let kind = f["dataType"].as_str().unwrap_or_default();
                let healthy = health
                    .into_iter()
                    .flatten()
                    .filter(|h| h["serviceType"] == "filesystem" && h["path"] == path)
                    .all(|h| h["healthy"] != Value::Bool(false));
                let mut description = format!("{kind} filesystem");
                if f["defaultWorkDir"] == Value::Bool(true) {
                    description.push_str(" (default working directory)");
                }
                json!({
                    "name": kind.to_uppercase(),
                    "path": path,
                    "description": description,
                    "status": if healthy { "available" } else { "not available" },
                    "status_code": null,
                })
            })
            .collect(),
    )
}

pub(crate) fn groups(c: &Client, system: &str) -> Result<UserGroups> {
    userinfo(c, system, &format!("groups {system}"))
}

fn userinfo(c: &Client, system: &str, what: &str) -> Result<UserGroups> {
    let path = format!("/status/{}/userinfo", segment(system)?);
    let reply = http::get(c, &path, &[], what)?;
    serde_json::from_value(reply.body).map_err(|e| Error::from(e).context(what))
}

/// The `Client` method behind a v2 endpoint, so messages read the same on v1 and v2.
fn method_name(op: &str) -> &str {
    match op {
        "ls" => "list_files",
        "file" => "file_type",
        "cp" => "copy",
        other => other,
    }
}

/// `/filesystem/{system}/ops/{op}`.
fn ops_path(system: &str, op: &str) -> Result<String> {
    Ok(format!("/filesystem/{}/ops/{op}", segment(system)?))
}

/// The server quotes paths with `'` in its remote shell, so such paths cannot work.
fn check_path(what: &str, path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(Error::invalid_argument(format!(
            "{what}: the path is empty"
        )));
    }
    if path.contains('\'') || path.contains('\0') {
        return Err(Error::invalid_argument(format!(
            "{what}: FirecREST v2 cannot handle paths containing a single quote or NUL: {path:?}"
        )));
    }
    Ok(())
}

/// GET `ops/{op}?path=…&extra…` on `system`; the `output` field of the answer.
fn ops_get(
    c: &Client,
    system: &str,
    op: &str,
    path: &str,
    extra: &[(&str, String)],
) -> Result<Value> {
    let what = format!("{} {system}:{path}", method_name(op));
    check_path(&what, path)?;
    let mut query = vec![("path", path.to_string())];
    query.extend(extra.iter().cloned());
    let reply = http::get(c, &ops_path(system, op)?, &query, &what)?;
    Ok(reply.body["output"].clone())
}

/// A JSON-bodied `ops` call (mkdir, chmod, chown, symlink).
fn ops_send(
    c: &Client,
    method: Method,
    system: &str,
    op: &str,
    path: &str,
    body: Value,
) -> Result<Value> {
    let what = format!("{} {system}:{path}", method_name(op));
    check_path(&what, path)?;
    let reply = http::send_json(c, method, &ops_path(system, op)?, body, &what)?;
    Ok(reply.body)
}

fn output_string(v: Value, what: &str) -> Result<String> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(Error::new(
            ErrorKind::Json,
            format!("{what}: expected a text output, got {other}"),
        )),
    }
}

pub(crate) fn list_files(
    c: &Client,
    system: &str,
    path: &str,
    options: ListOptions,
) -> Result<Vec<FileEntry>> {
    let output = ops_get(
        c,
        system,
        "ls",
        path,
        &[
            ("showHidden", options.show_hidden.to_string()),
            ("recursive", options.recursive.to_string()),
        ],
    )?;
    output
        .as_array()
        .ok_or_else(|| Error::new(ErrorKind::Json, format!("ls {system}:{path}: no list")))?
        .iter()
        .map(file_entry)
        .collect()
}

/// A v2 `File` as v1's entry: `size` arrives as a string, `linkTarget` null for non-links.
fn file_entry(v: &Value) -> Result<FileEntry> {
    let text = |key: &str| v[key].as_str().unwrap_or_default().to_string();
    let size = match &v["size"] {
        Value::String(s) => s.trim().parse::<u64>().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
    .ok_or_else(|| Error::new(ErrorKind::Json, format!("ls entry with a bad size: {v}")))?;
    Ok(FileEntry {
        name: text("name"),
        kind: text("type"),
        link_target: v["linkTarget"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        user: text("user"),
        group: text("group"),
        permissions: text("permissions"),
        last_modified: text("lastModified"),
        size,
    })
}

pub(crate) fn mkdir(c: &Client, system: &str, path: &str, parents: bool) -> Result<()> {
    let body = json!({"path": path, "parent": parents});
    ops_send(c, Method::Post, system, "mkdir", path, body).map(drop)
}

pub(crate) fn mv(c: &Client, system: &str, source: &str, target: &str) -> Result<()> {
    transfer_job_op(c, system, "mv", source, target)
}

pub(crate) fn copy(c: &Client, system: &str, source: &str, target: &str) -> Result<()> {
    transfer_job_op(c, system, "cp", source, target)
}

/// cp/mv: submit the transfer job and wait for its verdict.
fn transfer_job_op(c: &Client, system: &str, op: &str, source: &str, target: &str) -> Result<()> {
    let what = format!("{} {system}:{source} -> {target}", method_name(op));
    check_path(&what, source)?;
    check_path(&what, target)?;
    let path = format!("/filesystem/{}/transfer/{op}", segment(system)?);
    let mut body = json!({"path": source, "targetPath": target});
    if let Some(account) = jobs::account(c, system, &what)? {
        body["account"] = json!(account);
    }
    let reply = http::send_json(c, Method::Post, &path, body, &what)?;
    TransferJob::from_answer(system, &reply.body)
        .and_then(|job| job.wait(c, jobs::FILES_DONE))
        .map_err(|e| e.context(&what))
}

pub(crate) fn chmod(c: &Client, system: &str, path: &str, mode: &str) -> Result<()> {
    let body = json!({"path": path, "mode": mode});
    ops_send(c, Method::Put, system, "chmod", path, body).map(drop)
}

pub(crate) fn chown(
    c: &Client,
    system: &str,
    path: &str,
    owner: Option<&str>,
    group: Option<&str>,
) -> Result<()> {
    if owner.is_none() && group.is_none() {
        return Err(Error::invalid_argument(format!(
            "chown {system}:{path}: give an owner, a group or both"
        )));
    }
    let body = json!({"path": path, "owner": owner.unwrap_or(""), "group": group.unwrap_or("")});
    ops_send(c, Method::Put, system, "chown", path, body).map(drop)
}

pub(crate) fn remove(c: &Client, system: &str, path: &str) -> Result<()> {
    let what = format!("remove {system}:{path}");
    check_path(&what, path)?;
    let query = [("path", path.to_string())];
    match http::delete(c, &ops_path(system, "rm")?, &query, &what) {
        // A remote `rm -r` slower than the command timeout: do it as a job instead.
        Err(e) if e.http_status() == 408 => {
            let jobpath = format!("/filesystem/{}/transfer/rm", segment(system)?);
            let mut query = query.to_vec();
            if let Some(account) = jobs::account(c, system, &what)? {
                query.push(("account", account));
            }
            let reply = http::delete(c, &jobpath, &query, &what)?;
            TransferJob::from_answer(system, &reply.body)
                .and_then(|job| job.wait(c, jobs::FILES_DONE))
                .map_err(|e| e.context(&what))
        }
        other => other.map(drop),
    }
}

pub(crate) fn symlink(c: &Client, system: &str, target: &str, link_path: &str) -> Result<()> {
    check_path(&format!("symlink {system}:{link_path} -> {target}"), target)?;
    let body = json!({"path": target, "linkPath": link_path});
    ops_send(c, Method::Post, system, "symlink", link_path, body).map(drop)
}

pub(crate) fn file_type(c: &Client, system: &str, path: &str) -> Result<String> {
    output_string(ops_get(c, system, "file", path, &[])?, "file")
}

pub(crate) fn stat(c: &Client, system: &str, path: &str, dereference: bool) -> Result<Stat> {
    let output = ops_get(
        c,
        system,
        "stat",
        path,
        &[("dereference", dereference.to_string())],
    )?;
    Ok(serde_json::from_value(output)?)
}

pub(crate) fn checksum(c: &Client, system: &str, path: &str) -> Result<String> {
    let output = ops_get(c, system, "checksum", path, &[])?;
    let algorithm = output["algorithm"].as_str().unwrap_or_default();
    match output["checksum"].as_str() {
        Some(sum) if algorithm.eq_ignore_ascii_case("sha256") => Ok(sum.to_string()),
        _ => Err(Error::new(
            ErrorKind::Json,
            format!("checksum {system}:{path}: expected a SHA256 checksum, got {output}"),
        )),
    }
}

/// head/tail: at most one of bytes and lines; `skip` is skipTrailing (head) / skipHeading (tail).
fn head_tail(
    c: &Client,
    op: &str,
    skip_name: &str,
    system: &str,
    path: &str,
    options: HeadTailOptions,
) -> Result<String> {
    let query = options.query(&format!("{op} {system}:{path}"), skip_name)?;
    let output = ops_get(c, system, op, path, &query)?;
    output_string(output["content"].clone(), op)
}

pub(crate) fn head(
    c: &Client,
    system: &str,
    path: &str,
    options: HeadTailOptions,
) -> Result<String> {
    head_tail(c, "head", "skipTrailing", system, path, options)
}

pub(crate) fn tail(
    c: &Client,
    system: &str,
    path: &str,
    options: HeadTailOptions,
) -> Result<String> {
    head_tail(c, "tail", "skipHeading", system, path, options)
}

/// The file's text (the server's default `size` of 5 MiB from offset 0).
pub(crate) fn view(c: &Client, system: &str, path: &str) -> Result<String> {
    output_string(ops_get(c, system, "view", path, &[])?, "view")
}

pub(crate) fn simple_upload_reader(
    c: &Client,
    system: &str,
    body: &mut dyn Read,
    size: u64,
    remote_dir: &str,
    filename: &str,
) -> Result<()> {
    let what = format!("simple_upload {system}:{remote_dir}/{filename}");
    check_path(&what, remote_dir)?;
    check_path(&what, filename)?;
    let limit = ops_limit(c, system).map_err(|e| e.context(&what))?;
    if size > limit {
        return Err(Error::invalid_argument(format!(
            "{what}: {size} bytes exceed the {limit}-byte limit of direct uploads on {system} \
             (dataOperation.max_ops_file_size); use external_upload for larger files"
        )));
    }
    let query = [("path", remote_dir.to_string())];
    http::upload(
        c,
        &ops_path(system, "upload")?,
        &query,
        filename,
        body,
        size,
        &what,
    )
}

/// Largest file whose base64 encoding (4 bytes per 3) fits the `limit`-byte output buffer.
fn largest_direct_download(limit: u64) -> u64 {
    limit / 4 * 3
}

pub(crate) fn simple_download_to(
    c: &Client,
    system: &str,
    remote_path: &str,
    writer: &mut dyn Write,
) -> Result<u64> {
    let what = format!("simple_download {system}:{remote_path}");
    let size = stat(c, system, remote_path, true)
        .map_err(|e| e.context(&what))?
        .size
        .max(0) as u64;
    let limit = ops_limit(c, system).map_err(|e| e.context(&what))?;
    let largest = largest_direct_download(limit);
    if size > largest {
        return Err(Error::invalid_argument(format!(
            "{what}: the file has {size} bytes; direct downloads on {system} travel base64-encoded \
             through a {limit}-byte buffer (dataOperation.max_ops_file_size), so at most {largest} \
             bytes fit; use external_download"
        )));
    }
    let query = [("path", remote_path.to_string())];
    http::download(c, &ops_path(system, "download")?, &query, writer, &what)
}

pub(crate) fn task(_c: &Client, task_id: &str) -> Result<Task> {
    Err(no_tasks(&format!("task {task_id}")))
}

pub(crate) fn tasks(_c: &Client, _task_ids: Option<&[&str]>) -> Result<Vec<Task>> {
    Err(no_tasks("tasks"))
}

fn no_tasks(what: &str) -> Error {
    Error::unsupported(format!(
        "{what}: FirecREST v2 has no task registry; its asynchronous operations are scheduler jobs \
         (external transfers are followed through their Transfer handle)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mib_strings() {
        assert_eq!(mib(5242880), "5");
        assert_eq!(mib(65536), "0.0625");
    }

    #[test]
    fn base64_bound() {
        // transcript 52: 4,000,000 bytes fail with the 5 MiB limit; ~3.93 MB is the edge.
        assert_eq!(largest_direct_download(5242880), 3932160);
    }

    #[test]
    fn file_entry_from_v2() {
        let v = json!({"name":"l","type":"l","linkTarget":"/x","user":"u","group":"g",
                       "permissions":"rwxrwxrwx","lastModified":"2026-11-26T17:50:29","size":"50"});
        let e = file_entry(&v).unwrap();
        assert_eq!((e.size, e.link_target.as_deref()), (50, Some("/x")));
        let v = json!({"name":"f","type":"-","linkTarget":null,"user":"u","group":"g",
                       "permissions":"rw-r--r--","lastModified":"t","size":"580"});
        assert_eq!(file_entry(&v).unwrap().link_target, None);
    }

    #[test]
    fn health_to_status() {
        let v = json!({"name":"c","servicesHealth":[{"serviceType":"ssh","healthy":true},
            {"serviceType":"filesystem","healthy":false,"path":"/home","message":"down"}]});
        let s = to_system(&v);
        assert_eq!(s.status, "not available");
        assert!(s.description.contains("filesystem /home: down"));
    }
}
