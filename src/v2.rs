//! FirecREST v2: status, filesystem ops, transfer jobs, S3 multipart.
//!
//! Results fill the same `types` structs as v1 (v1 field names, `None` where v2 lacks a field).
//! Choices where v2 has no direct equivalent:
//! - `all_services`, `service`, `task`, `tasks`: `Unsupported` (v2 has no services or task registry).
//! - `parameters`: assembled from `/status/systems` and the `F7T-AppVersion` header in v1's
//!   sections (`general`, `utilities`, `storage`, `compute`); sizes in MB (MiB) as v1 does.
//! - `mv`, `copy`: transfer jobs, waited for; success needs COMPLETED and the success line.
//! - `remove`, `compress`, `extract`: `ops/*`; when that times out (408) the `transfer/*` job,
//!   as pyfirecrest does.
//! - Small transfers are refused locally above `dataOperation.max_ops_file_size` (downloads:
//!   above the base64-encoded size that fits, about 0.75 × the limit).
//! - Those limits and the transfer-job directives come from a cached `/status/systems`
//!   description (`systems_cache`, 5 minutes); health is always asked afresh.

mod http;
mod jobs;
mod multipart;
mod systems_cache;
mod transfer;

use crate::api::{local_script_unread, Api};
use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use crate::transfers::Transfer;
use crate::transport::{Method, Stream};
use crate::types::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use http::segment;
use jobs::TransferJob;
use systems_cache::SystemsCache;

/// The v2 operations, over one session, with the systems' description they read their limits
/// and transfer directives from.
pub(crate) struct V2 {
    session: Arc<Session>,
    systems: SystemsCache,
}

impl V2 {
    /// `seen`: a `/status/systems` answer already read (while detecting the API version) and
    /// its `F7T-AppVersion`, kept so that the first transfer does not ask again.
    pub(crate) fn new(session: Arc<Session>, seen: Option<(Value, Option<String>)>) -> V2 {
        let v2 = V2 {
            session,
            systems: SystemsCache::default(),
        };
        if let Some((body, app_version)) = seen {
            if let Ok(raw) = RawSystems::from_answer(body, app_version) {
                v2.systems.store(raw);
            }
        }
        v2
    }

    /// `/status/systems` asked now (for health); the answer also refreshes the cache.
    fn raw_systems(&self) -> Result<Arc<RawSystems>> {
        Ok(self.systems.store(self.fetch_systems()?))
    }

    fn fetch_systems(&self) -> Result<RawSystems> {
        let reply = http::get(&self.session, "/status/systems", &[], "")?;
        RawSystems::from_answer(reply.body, reply.app_version)
    }

    /// The configuration of `system` (limits, directives) from the cached description. A
    /// system missing from a cached copy costs one fresh request: it may have been added since.
    pub(crate) fn described_system(&self, system: &str) -> Result<Value> {
        let mut fetched = false;
        let cached = self.systems.get_or_fetch(|| {
            fetched = true;
            self.fetch_systems()
        })?;
        match cached.find(system) {
            Err(e) if e.kind() == ErrorKind::NotFound && !fetched => {
                self.raw_systems()?.find(system)
            }
            found => found,
        }
    }

    /// `max_ops_file_size` of a system: the largest `ops/upload` body and SSH output buffer.
    fn ops_limit(&self, system: &str) -> Result<u64> {
        let entry = self.described_system(system)?;
        entry["dataOperation"]["max_ops_file_size"]
            .as_u64()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Json,
                    format!("system {system} publishes no dataOperation.max_ops_file_size"),
                )
            })
    }

    /// GET `ops/{op}?path=…&extra…` on `system`; the `output` field of the answer.
    fn ops_get(
        &self,
        system: &str,
        op: &str,
        path: &str,
        extra: &[(&str, String)],
    ) -> Result<Value> {
        check_path(path)?;
        let mut query = vec![("path", path.to_string())];
        query.extend(extra.iter().cloned());
        let mut reply = http::get(&self.session, &ops_path(system, op)?, &query, "")?;
        Ok(reply.body["output"].take())
    }

    /// A JSON-bodied `ops` call (mkdir, chmod, chown, symlink).
    fn ops_send(
        &self,
        method: Method,
        system: &str,
        op: &str,
        path: &str,
        body: Value,
    ) -> Result<()> {
        check_path(path)?;
        http::send_json(&self.session, method, &ops_path(system, op)?, body, "")?;
        Ok(())
    }

    /// cp/mv: submit the transfer job and wait for its verdict.
    fn transfer_job_op(&self, system: &str, op: &str, source: &str, target: &str) -> Result<()> {
        check_path(source)?;
        check_path(target)?;
        let path = format!("/filesystem/{}/transfer/{op}", segment(system)?);
        let mut body = json!({"path": source, "targetPath": target});
        if let Some(account) = jobs::account(self, system)? {
            body["account"] = json!(account);
        }
        let reply = http::send_json(&self.session, Method::Post, &path, body, "")?;
        TransferJob::from_answer(system, &reply.body)?.wait(&self.session, jobs::FILES_DONE)
    }

    /// compress/extract: `ops/{op}` at once; when the server's command times out there (408),
    /// the same body as a `transfer/{op}` job, waited for, as pyfirecrest does.
    fn ops_or_job(&self, system: &str, op: &str, path: &str, mut body: Value) -> Result<()> {
        match self.ops_send(Method::Post, system, op, path, body.clone()) {
            Err(e) if e.http_status() == 408 => {
                if let Some(account) = jobs::account(self, system)? {
                    body["account"] = json!(account);
                }
                let jobpath = format!("/filesystem/{}/transfer/{op}", segment(system)?);
                let reply = http::send_json(&self.session, Method::Post, &jobpath, body, "")?;
                TransferJob::from_answer(system, &reply.body)?.wait(&self.session, jobs::FILES_DONE)
            }
            other => other,
        }
    }

    /// head/tail: at most one of bytes and lines; `skip` is skipTrailing (head) / skipHeading (tail).
    fn head_tail(
        &self,
        op: &str,
        skip_name: &str,
        system: &str,
        path: &str,
        options: HeadTailOptions,
    ) -> Result<String> {
        let query = options.query(skip_name);
        let mut output = self.ops_get(system, op, path, &query)?;
        output_string(output["content"].take(), op)
    }
}

fn no_services() -> Error {
    Error::unsupported(
        "FirecREST v2 has no micro-services to report on; \
         use all_systems (its status covers each system's scheduler, SSH, filesystems and S3)",
    )
}

fn no_tasks() -> Error {
    Error::unsupported(
        "FirecREST v2 has no task registry; its asynchronous operations are scheduler jobs \
         (external transfers are followed through their Transfer handle)",
    )
}

impl Api for V2 {
    fn version(&self) -> ApiVersion {
        ApiVersion::V2
    }

    fn all_services(&self) -> Result<Vec<Service>> {
        Err(no_services())
    }

    fn service(&self, _name: &str) -> Result<Service> {
        Err(no_services())
    }

    fn all_systems(&self) -> Result<Vec<System>> {
        Ok(self.raw_systems()?.systems.iter().map(to_system).collect())
    }

    fn system(&self, system: &str) -> Result<System> {
        Ok(to_system(&self.raw_systems()?.find(system)?))
    }

    fn parameters(&self) -> Result<Parameters> {
        Ok(parameters_from(&*self.raw_systems()?))
    }

    fn filesystems(&self, system: Option<&str>) -> Result<Value> {
        filesystems_from(&*self.raw_systems()?, system)
    }

    fn whoami(&self, system: &str) -> Result<String> {
        Ok(self.groups(system)?.user.name)
    }

    fn groups(&self, system: &str) -> Result<UserGroups> {
        let path = format!("/status/{}/userinfo", segment(system)?);
        let reply = http::get(&self.session, &path, &[], "")?;
        Ok(serde_json::from_value(reply.body)?)
    }

    fn list_files(&self, system: &str, path: &str, options: ListOptions) -> Result<Vec<FileEntry>> {
        check_path(path)?;
        let query = [
            ("path", path.to_string()),
            ("showHidden", options.show_hidden.to_string()),
            ("recursive", options.recursive.to_string()),
        ];
        // Read straight into entries: a listing can hold many thousands.
        let answer: LsAnswer = http::get_json(&self.session, &ops_path(system, "ls")?, &query)?;
        Ok(answer.output.into_iter().map(V2Entry::into_entry).collect())
    }

    fn mkdir(&self, system: &str, path: &str, parents: bool) -> Result<()> {
        let body = json!({"path": path, "parent": parents});
        self.ops_send(Method::Post, system, "mkdir", path, body)
    }

    fn mv(&self, system: &str, source: &str, target: &str) -> Result<()> {
        self.transfer_job_op(system, "mv", source, target)
    }

    fn copy(&self, system: &str, source: &str, target: &str) -> Result<()> {
        self.transfer_job_op(system, "cp", source, target)
    }

    fn chmod(&self, system: &str, path: &str, mode: &str) -> Result<()> {
        let body = json!({"path": path, "mode": mode});
        self.ops_send(Method::Put, system, "chmod", path, body)
    }

    fn chown(
        &self,
        system: &str,
        path: &str,
        owner: Option<&str>,
        group: Option<&str>,
    ) -> Result<()> {
        let body =
            json!({"path": path, "owner": owner.unwrap_or(""), "group": group.unwrap_or("")});
        self.ops_send(Method::Put, system, "chown", path, body)
    }

    fn remove(&self, system: &str, path: &str) -> Result<()> {
        check_path(path)?;
        let query = [("path", path.to_string())];
        match http::delete(&self.session, &ops_path(system, "rm")?, &query, "") {
            // A remote `rm -r` slower than the command timeout: do it as a job instead.
            Err(e) if e.http_status() == 408 => {
                let jobpath = format!("/filesystem/{}/transfer/rm", segment(system)?);
                let mut query = query.to_vec();
                if let Some(account) = jobs::account(self, system)? {
                    query.push(("account", account));
                }
                let reply = http::delete(&self.session, &jobpath, &query, "")?;
                TransferJob::from_answer(system, &reply.body)?.wait(&self.session, jobs::FILES_DONE)
            }
            other => other.map(drop),
        }
    }

    fn compress(
        &self,
        system: &str,
        source: &str,
        target: &str,
        options: &CompressOptions,
    ) -> Result<()> {
        check_path(target)?;
        let mut body = json!({
            "path": source,
            "targetPath": target,
            "dereference": options.dereference,
            "compression": "gzip",
        });
        if let Some(pattern) = &options.match_pattern {
            body["matchPattern"] = json!(pattern);
        }
        self.ops_or_job(system, "compress", source, body)
    }

    fn extract(&self, system: &str, source: &str, target_dir: &str) -> Result<()> {
        check_path(target_dir)?;
        let body = json!({"path": source, "targetPath": target_dir, "compression": "gzip"});
        self.ops_or_job(system, "extract", source, body)
    }

    fn symlink(&self, system: &str, target: &str, link_path: &str) -> Result<()> {
        check_path(target)?;
        let body = json!({"path": target, "linkPath": link_path});
        self.ops_send(Method::Post, system, "symlink", link_path, body)
    }

    fn file_type(&self, system: &str, path: &str) -> Result<String> {
        output_string(self.ops_get(system, "file", path, &[])?, "file")
    }

    fn stat(&self, system: &str, path: &str, dereference: bool) -> Result<Stat> {
        let output = self.ops_get(
            system,
            "stat",
            path,
            &[("dereference", dereference.to_string())],
        )?;
        Ok(serde_json::from_value(output)?)
    }

    fn checksum(&self, system: &str, path: &str) -> Result<String> {
        let output = self.ops_get(system, "checksum", path, &[])?;
        let algorithm = output["algorithm"].as_str().unwrap_or_default();
        match output["checksum"].as_str() {
            Some(sum) if algorithm.eq_ignore_ascii_case("sha256") => Ok(sum.to_string()),
            _ => Err(Error::new(
                ErrorKind::Json,
                format!("expected a SHA256 checksum, got {output}"),
            )),
        }
    }

    fn head(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String> {
        self.head_tail("head", "skipTrailing", system, path, options)
    }

    fn tail(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String> {
        self.head_tail("tail", "skipHeading", system, path, options)
    }

    /// The file's text (the server's default `size` of 5 MiB from offset 0).
    fn view(&self, system: &str, path: &str) -> Result<String> {
        output_string(self.ops_get(system, "view", path, &[])?, "view")
    }

    fn simple_upload(
        &self,
        system: &str,
        body: Stream<'_>,
        remote_dir: &str,
        filename: &str,
    ) -> Result<()> {
        let size = body.len;
        check_path(remote_dir)?;
        check_path(filename)?;
        let limit = self.ops_limit(system)?;
        if size > limit {
            return Err(Error::invalid_argument(format!(
                "{size} bytes exceed the {limit}-byte limit of direct uploads on {system} \
                 (dataOperation.max_ops_file_size); use external_upload for larger files"
            )));
        }
        let query = [("path", remote_dir.to_string())];
        http::upload(
            &self.session,
            &ops_path(system, "upload")?,
            &query,
            filename,
            body,
            "",
        )
    }

    fn simple_download(
        &self,
        system: &str,
        remote_path: &str,
        writer: &mut dyn Write,
    ) -> Result<u64> {
        let size = self.stat(system, remote_path, true)?.size.max(0) as u64;
        let limit = self.ops_limit(system)?;
        let largest = largest_direct_download(limit);
        if size > largest {
            return Err(Error::invalid_argument(format!(
                "the file has {size} bytes; direct downloads on {system} travel base64-encoded \
                 through a {limit}-byte buffer (dataOperation.max_ops_file_size), so at most {largest} \
                 bytes fit; use external_download"
            )));
        }
        let query = [("path", remote_path.to_string())];
        http::download(
            &self.session,
            &ops_path(system, "download")?,
            &query,
            writer,
            "",
        )
    }

    fn task(&self, _task_id: &str) -> Result<Task> {
        Err(no_tasks())
    }

    fn tasks(&self, _task_ids: Option<&[&str]>) -> Result<Vec<Task>> {
        Err(no_tasks())
    }

    fn external_upload(
        &self,
        system: &str,
        local_path: &Path,
        remote_path: &str,
    ) -> Result<Transfer> {
        transfer::external_upload(self, system, local_path, remote_path)
    }

    fn external_download(&self, system: &str, remote_path: &str) -> Result<Transfer> {
        transfer::external_download(self, system, remote_path)
    }

    fn submit_job(&self, system: &str, spec: &JobSpec) -> Result<String> {
        let mut job = json!({"workingDirectory": spec.working_dir});
        match &spec.script {
            JobScript::Text(text) => job["script"] = json!(text),
            JobScript::Remote(path) => job["scriptPath"] = json!(path),
            JobScript::LocalFile(_) => return Err(local_script_unread()),
        }
        let optional = [
            ("name", &spec.name),
            ("account", &spec.account),
            ("partition", &spec.partition),
            ("reservation", &spec.reservation),
            ("standardOutput", &spec.stdout),
            ("standardError", &spec.stderr),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                job[key] = json!(v);
            }
        }
        if !spec.env.is_empty() {
            let env: serde_json::Map<String, Value> = spec
                .env
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            job["env"] = Value::Object(env);
        }
        let path = format!("/compute/{}/jobs", segment(system)?);
        let reply = http::send_json(&self.session, Method::Post, &path, json!({"job": job}), "")?;
        match &reply.body["jobId"] {
            Value::String(id) if !id.is_empty() => Ok(id.clone()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(Error::new(
                ErrorKind::Json,
                format!("the submission answer has no jobId: {other}"),
            )),
        }
    }

    fn job_info(&self, system: &str, job_id: &str) -> Result<Option<JobInfo>> {
        jobs::job_report(&self.session, system, job_id)
    }

    fn jobs(&self, system: &str) -> Result<Vec<JobInfo>> {
        let path = format!("/compute/{}/jobs", segment(system)?);
        let reply = http::get(&self.session, &path, &[], "")?;
        // `null` when the user has none.
        reply.body["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(jobs::job_info)
            .collect()
    }

    fn job_metadata(&self, system: &str, mut info: JobInfo) -> Result<JobInfo> {
        let path = format!(
            "/compute/{}/jobs/{}/metadata",
            segment(system)?,
            segment(&info.job_id)?
        );
        let reply = http::get(&self.session, &path, &[], "")?;
        let meta = &reply.body["jobs"][0];
        let text = |key: &str| {
            meta[key]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        info.script = text("script").or(info.script);
        info.stdout = text("standardOutput").or(info.stdout);
        info.stderr = text("standardError").or(info.stderr);
        Ok(info)
    }

    fn attach_job(&self, system: &str, job_id: &str, command: &str) -> Result<()> {
        let path = format!(
            "/compute/{}/jobs/{}/attach",
            segment(system)?,
            segment(job_id)?
        );
        http::send_json(
            &self.session,
            Method::Put,
            &path,
            json!({"command": command}),
            "",
        )
        .map(drop)
    }

    fn cancel_job(&self, system: &str, job_id: &str) -> Result<()> {
        let path = format!("/compute/{}/jobs/{}", segment(system)?, segment(job_id)?);
        http::delete(&self.session, &path, &[], "").map(drop)
    }
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

/// v1's `/status/parameters` rebuilt from what v2 publishes. Per-system limits become the
/// smallest value over all systems (v1 parameters are global).
fn parameters_from(raw: &RawSystems) -> Parameters {
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
    p
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
fn filesystems_from(raw: &RawSystems, system: Option<&str>) -> Result<Value> {
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

/// `/filesystem/{system}/ops/{op}`.
fn ops_path(system: &str, op: &str) -> Result<String> {
    Ok(format!("/filesystem/{}/ops/{op}", segment(system)?))
}

/// The server quotes paths with `'` in its remote shell, so such paths cannot work.
fn check_path(path: &str) -> Result<()> {
    if path.contains('\'') {
        return Err(Error::invalid_argument(format!(
            "FirecREST v2 cannot handle paths containing a single quote: {path:?}"
        )));
    }
    Ok(())
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

/// `ops/ls`'s answer.
#[derive(serde::Deserialize)]
struct LsAnswer {
    output: Vec<V2Entry>,
}

/// A v2 `File`: `size` arrives as a string, `linkTarget` null for non-links.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Entry {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    link_target: Option<String>,
    #[serde(default)]
    user: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    permissions: String,
    #[serde(default)]
    last_modified: String,
    #[serde(deserialize_with = "size_from_text_or_number")]
    size: u64,
}

impl V2Entry {
    /// As v1's entry.
    fn into_entry(self) -> FileEntry {
        FileEntry {
            name: self.name,
            kind: self.kind,
            link_target: self.link_target.filter(|s| !s.is_empty()),
            user: self.user,
            group: self.group,
            permissions: self.permissions,
            last_modified: self.last_modified,
            size: self.size,
        }
    }
}

/// Largest file whose base64 encoding (4 bytes per 3) fits the `limit`-byte output buffer.
fn largest_direct_download(limit: u64) -> u64 {
    limit / 4 * 3
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
        // A real server refuses a 4,000,000-byte direct download with its 5 MiB limit: the
        // edge is about 3.93 MB.
        assert_eq!(largest_direct_download(5242880), 3932160);
    }

    #[test]
    fn file_entry_from_v2() {
        let entry = |v: Value| serde_json::from_value::<V2Entry>(v).map(V2Entry::into_entry);
        let v = json!({"name":"l","type":"l","linkTarget":"/x","user":"u","group":"g",
                       "permissions":"rwxrwxrwx","lastModified":"2026-11-26T17:50:29","size":"50"});
        let e = entry(v).unwrap();
        assert_eq!((e.size, e.link_target.as_deref()), (50, Some("/x")));
        let v = json!({"name":"f","type":"-","linkTarget":null,"user":"u","group":"g",
                       "permissions":"rw-r--r--","lastModified":"t","size":"580"});
        assert_eq!(entry(v).unwrap().link_target, None);
        let v = json!({"name":"f","type":"-","user":"u","group":"g","size":"lots"});
        assert!(entry(v).is_err());
        let v = json!({"name":"f","type":"-","user":"u","group":"g","size":7});
        assert_eq!(entry(v).unwrap().size, 7);
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
