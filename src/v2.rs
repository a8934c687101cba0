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
pub(crate) mod jobs;
mod multipart;
mod systems_cache;
mod transfer;

use crate::api::{local_script_unread, Api};
use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use crate::transfers::{DownloadSink, Transfer};
use crate::transport::{Method, Stream};
use crate::types::*;
use serde_json::{json, Value};
use std::borrow::Cow;
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

    /// The server's `F7T-AppVersion`, from the cached systems' description.
    fn app_version(&self) -> Result<Option<String>> {
        let cached = self.systems.get_or_fetch(|| self.fetch_systems())?;
        Ok(cached.app_version.clone())
    }

    /// `/status/{system}/{what}`'s list (nodes, partitions, reservations); `null` is none.
    fn status_list(&self, system: &str, what: &str) -> Result<Vec<Value>> {
        let path = format!("/status/{}/{what}", segment(system)?);
        let mut reply = http::get(&self.session, &path, &[], "")?;
        match reply.body[what].take() {
            Value::Array(list) => Ok(list),
            Value::Null => Ok(Vec::new()),
            other => Err(Error::new(
                ErrorKind::Json,
                format!("expected a list of {what}, got {other}"),
            )),
        }
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

    fn nodes(&self, system: &str) -> Result<Vec<Node>> {
        let listed = match self.status_list(system, "nodes") {
            // The server's word for an empty list; an unknown system is "System not found".
            Err(e) if e.kind() == ErrorKind::NotFound && e.message().contains("No nodes found") => {
                Vec::new()
            }
            other => other?,
        };
        Ok(listed
            .iter()
            .map(|n| Node {
                name: text(&n["name"]),
                state: texts(&n["state"]),
                partitions: texts(&n["partitions"]),
                features: texts(&n["features"])
                    .iter()
                    .flat_map(|f| feature_list(f))
                    .collect(),
            })
            .collect())
    }

    fn partitions(&self, system: &str) -> Result<Vec<Partition>> {
        let listed = self.status_list(system, "partitions")?;
        Ok(listed
            .iter()
            .map(|p| Partition {
                name: text(&p["name"]),
                state: text(&p["partition"]),
                total_cpus: p["cpus"].as_u64(),
                total_nodes: p["totalNodes"].as_u64(),
                default: None,
            })
            .collect())
    }

    fn reservations(&self, system: &str) -> Result<Vec<Reservation>> {
        let listed = self.status_list(system, "reservations")?;
        Ok(listed
            .iter()
            .map(|r| Reservation {
                name: text(&r["name"]),
                state: text(&r["state"]),
                nodes: text(&r["nodeList"]),
                start_time: text(&r["startTime"]),
                end_time: text(&r["endTime"]),
                features: feature_list(&text(&r["features"])),
            })
            .collect())
    }

    fn list_files(
        &self,
        system: &str,
        path: &str,
        options: ListOptions,
        read: &mut dyn FnMut(&FileEntryRef<'_>),
    ) -> Result<()> {
        check_path(path)?;
        let query = [
            ("path", path.to_string()),
            ("showHidden", options.show_hidden.to_string()),
            ("recursive", options.recursive.to_string()),
            ("numericUid", options.numeric_uid.to_string()),
            ("dereference", options.dereference.to_string()),
        ];
        // Read straight into entries: a listing can hold many thousands.
        let text = http::get_json_text(&self.session, &ops_path(system, "ls")?, &query)?;
        text.parse_seed(OutputEntries::<V2Entry>::new(read))
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

    /// The file's text from offset 0, as much as the system allows: `size` is sent as the
    /// system's limit because the server's default (5 MiB) is refused where the limit is lower.
    fn view(&self, system: &str, path: &str) -> Result<String> {
        let size = self.ops_limit(system)?;
        let output = self.ops_get(system, "view", path, &[("size", size.to_string())])?;
        output_string(output, "view")
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
        sink: &mut dyn DownloadSink,
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
            sink,
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

    /// `name` and `time_window` exist from 2.5.7 on; older servers ignore unknown query
    /// parameters, so for them the client matches the name itself and refuses a window.
    fn jobs(&self, system: &str, filter: &JobFilter) -> Result<Vec<JobInfo>> {
        let path = format!("/compute/{}/jobs", segment(system)?);
        let mut query = Vec::new();
        if filter.name.is_some() || filter.time_window.is_some() {
            let version = self.app_version()?;
            if release_at_least(version.as_deref(), (2, 5, 7)) {
                if let Some(name) = &filter.name {
                    query.push(("name", name.clone()));
                }
                if let Some(window) = filter.time_window {
                    query.push(("time_window", window.as_str().to_string()));
                }
            } else if let Some(window) = filter.time_window {
                return Err(Error::unsupported(format!(
                    "this FirecREST ({}) lists ended jobs of a fixed window; time_window ({}) \
                     needs 2.5.7 or later",
                    version.as_deref().unwrap_or("version unknown"),
                    window.as_str()
                )));
            }
        }
        let reply = http::get(&self.session, &path, &query, "")?;
        // `null` when the user has none.
        let listed = reply.body["jobs"].as_array().into_iter().flatten();
        let mut jobs = Vec::new();
        for job in listed {
            let info = jobs::job_info(job)?;
            if filter.name.as_ref().is_none_or(|n| *n == info.name) {
                jobs.push(info);
            }
        }
        Ok(jobs)
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
        let shared = body.get_mut("dataOperation").map(Value::take);
        match body.get_mut("systems").map(Value::take) {
            Some(Value::Array(mut systems)) => {
                for system in &mut systems {
                    data_operation_per_system(system, shared.as_ref());
                }
                Ok(RawSystems {
                    systems,
                    app_version,
                })
            }
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

/// Servers before 2.5.0 publish one `dataOperation` beside the systems (limits, staging) and
/// each system's `datatransferJobsDirectives` on the system itself; later ones put both in the
/// system's `dataOperation`. Both are read as the later shape.
fn data_operation_per_system(system: &mut Value, shared: Option<&Value>) {
    let Value::Object(entry) = system else {
        return;
    };
    let directives = entry
        .remove("datatransferJobsDirectives")
        .or_else(|| entry.remove("datatransfer_jobs_directives"));
    let data_operation = entry
        .entry("dataOperation")
        .or_insert_with(|| shared.cloned().unwrap_or_else(|| json!({})));
    if let (Some(directives), Value::Object(op)) = (directives, data_operation) {
        op.entry("datatransfer_jobs_directives")
            .or_insert(directives);
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

/// Whether `F7T-AppVersion` names `wanted` or a later release. A source build says `2.x.x`
/// (newer than every release, as is an `x` anywhere); a missing or unreadable version is
/// taken as older, so the client does not send what the server may not know.
fn release_at_least(version: Option<&str>, wanted: (u32, u32, u32)) -> bool {
    let Some(version) = version else {
        return false;
    };
    let mut parts = version
        .trim()
        .trim_start_matches('v')
        .split(['.', '-', '+']);
    let mut next = || -> Option<u32> {
        match parts.next()? {
            "x" => Some(u32::MAX),
            n => n.parse().ok(),
        }
    };
    match (next(), next(), next()) {
        (Some(a), Some(b), Some(c)) => (a, b, c) >= wanted,
        _ => false,
    }
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

/// A text field; empty where absent.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// A list of words sent as a list or as one comma-separated text.
fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().map(text).filter(|t| !t.is_empty()).collect(),
        Value::String(s) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
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

/// A v2 `File`: `size` arrives as a string, `linkTarget` null for non-links.
#[derive(serde::Deserialize)]
#[serde(remote = "FileEntryRef", rename_all = "camelCase")]
struct V2Entry<'a> {
    #[serde(default, borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    link_target: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    user: Cow<'a, str>,
    #[serde(default, borrow)]
    group: Cow<'a, str>,
    #[serde(default, borrow)]
    permissions: Cow<'a, str>,
    #[serde(default, borrow)]
    last_modified: Cow<'a, str>,
    #[serde(deserialize_with = "size_from_text_or_number")]
    size: u64,
}

impl<'a> ListedEntry<'a> for V2Entry<'a> {
    fn read<D: serde::Deserializer<'a>>(d: D) -> std::result::Result<FileEntryRef<'a>, D::Error> {
        V2Entry::deserialize(d)
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
        let entry = |v: Value| {
            let text = v.to_string();
            V2Entry::read(&mut serde_json::Deserializer::from_str(&text))
                .map(|e| e.decoded().to_entry())
        };
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
    fn an_ls_answer_is_read_entry_by_entry() {
        let read = |answer: &str| {
            let mut names = Vec::new();
            let mut de = serde_json::Deserializer::from_str(answer);
            let mut each = |e: &FileEntryRef<'_>| names.push(e.name.to_string());
            let seed = OutputEntries::<V2Entry>::new(&mut each);
            let read = serde::de::DeserializeSeed::deserialize(seed, &mut de);
            read.map(|()| names)
        };
        let e = |name: &str| format!(r#"{{"name":"{name}","type":"-","size":"1"}}"#);
        let answer = format!(
            r#"{{"before":[1,{{}}],"output":[{},{}],"after":null}}"#,
            e("a"),
            e(r"bü")
        );
        assert_eq!(read(&answer).unwrap(), ["a", "bü"]);
        assert_eq!(read(r#"{"output":[]}"#).unwrap(), Vec::<String>::new());
        let missing = read(r#"{"outputs":[]}"#).unwrap_err().to_string();
        assert!(missing.contains("missing field `output`"), "{missing}");
        let twice = format!(r#"{{"output":[],"output":[{}]}}"#, e("a"));
        assert!(read(&twice)
            .unwrap_err()
            .to_string()
            .contains("duplicate field"));
        let bad = r#"{"output":[{"name":"a","size":"lots"}]}"#;
        assert!(read(bad).is_err());
        assert!(read(r#"{"output":{}}"#).is_err());
    }

    #[test]
    fn systems_before_2_5_0() {
        let old = json!({"systems": [{"name": "c", "datatransferJobsDirectives": ["#SBATCH -A {account}"]}],
                         "dataOperation": {"max_ops_file_size": 1024, "data_transfer": {"serviceType": "s3"}}});
        let raw = RawSystems::from_answer(old, Some("2.4.2".into())).unwrap();
        let op = &raw.find("c").unwrap()["dataOperation"];
        assert_eq!(op["max_ops_file_size"], 1024);
        assert_eq!(op["data_transfer"]["serviceType"], "s3");
        assert_eq!(
            op["datatransfer_jobs_directives"][0],
            "#SBATCH -A {account}"
        );
        let new = json!({"systems": [{"name": "c", "dataOperation": {"max_ops_file_size": 7}}]});
        let raw = RawSystems::from_answer(new, None).unwrap();
        assert_eq!(
            raw.find("c").unwrap()["dataOperation"]["max_ops_file_size"],
            7
        );
    }

    #[test]
    fn releases_compared() {
        let at = |v| release_at_least(v, (2, 5, 7));
        assert!(at(Some("2.x.x")) && at(Some("2.5.7")) && at(Some("2.6.0")) && at(Some("3.0.0")));
        assert!(!at(Some("2.5.6")) && !at(Some("2.4.0")) && !at(None) && !at(Some("dev")));
        assert!(at(Some("v2.5.7-rc1")));
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
