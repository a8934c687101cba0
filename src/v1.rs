//! FirecREST v1: the micro-service endpoints (status, utilities, storage, tasks).
//!
//! The error class of every call comes from the transport (the `X-*` error header, then the
//! HTTP status); the client above names the operation in the message.

mod transfer;

use crate::api::{local_script_unread, Api};
use crate::error::{Error, ErrorKind, Result};
use crate::jobs::{poll, Look};
use crate::session::Session;
use crate::transfers::{self, DownloadSink, Retries, Transfer};
use crate::transport::{path_segment, Method, Request, Stream};
use crate::types::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

/// The v1 operations, over one session.
pub(crate) struct V1 {
    session: Arc<Session>,
}

impl V1 {
    pub(crate) fn new(session: Arc<Session>) -> V1 {
        V1 { session }
    }

    fn get_member<T: DeserializeOwned>(&self, req: Request<'_>, key: &str) -> Result<T> {
        let resp = self.session.send(req)?;
        let context = resp.context().to_string();
        member(resp.json()?, key, &context)
    }

    fn send_discard(&self, req: Request<'_>) -> Result<()> {
        self.session.send(req)?.discard();
        Ok(())
    }

    /// GET a utilities endpoint with `targetPath`; the `output` member of the answer.
    fn get_output<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        system: &str,
        path: &str,
        extra: &[(&str, String)],
    ) -> Result<T> {
        let mut req = on_system(Method::Get, endpoint, system).query("targetPath", path);
        for (k, v) in extra {
            req = req.query(k, v.clone());
        }
        self.get_member(req, "output")
    }

    fn source_target(
        &self,
        method: Method,
        endpoint: &str,
        system: &str,
        source: &str,
        target: &str,
    ) -> Result<()> {
        self.send_discard(
            on_system(method, endpoint, system)
                .form([("sourcePath", source), ("targetPath", target)]),
        )
    }

    fn head_tail(
        &self,
        op: &str,
        system: &str,
        path: &str,
        options: HeadTailOptions,
        skip_param: &str,
    ) -> Result<String> {
        let extra = options.query(skip_param);
        self.get_output(&format!("/utilities/{op}"), system, path, &extra)
    }

    fn whoami_request(system: &str) -> Request<'static> {
        on_system(Method::Get, "/utilities/whoami", system)
    }
}

/// A utilities/storage request on `system` (v1 selects the system with a header).
fn on_system<'a>(method: Method, path: &str, system: &str) -> Request<'a> {
    Request::new(method, path).header("X-Machine-Name", system)
}

/// The `key` member of a JSON answer, converted.
fn member<T: DeserializeOwned>(mut v: Value, key: &str, context: &str) -> Result<T> {
    let inner = v.get_mut(key).map(Value::take).ok_or_else(|| {
        Error::new(ErrorKind::Json, format!("the answer has no \"{key}\"")).context(context)
    })?;
    serde_json::from_value(inner).map_err(|e| Error::from(e).context(context))
}

/// v1's ls entry, read straight from the answer: `size` is a string, `link_target` is "" for
/// non-links.
#[derive(serde::Deserialize)]
#[serde(remote = "FileEntryRef")]
struct RawEntry<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    link_target: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user: Cow<'a, str>,
    #[serde(borrow)]
    group: Cow<'a, str>,
    #[serde(borrow)]
    permissions: Cow<'a, str>,
    #[serde(borrow)]
    last_modified: Cow<'a, str>,
    #[serde(deserialize_with = "size_from_text_or_number")]
    size: u64,
}

impl<'a> ListedEntry<'a> for RawEntry<'a> {
    fn read<D: serde::Deserializer<'a>>(d: D) -> std::result::Result<FileEntryRef<'a>, D::Error> {
        RawEntry::deserialize(d)
    }
}

impl Api for V1 {
    fn version(&self) -> ApiVersion {
        ApiVersion::V1
    }

    fn all_services(&self) -> Result<Vec<Service>> {
        self.get_member(Request::get("/status/services"), "out")
    }

    fn service(&self, name: &str) -> Result<Service> {
        let req = Request::get(&format!("/status/services/{}", path_segment(name)));
        // The one status answer without an "out" wrapper.
        self.session.send(req)?.json()
    }

    fn all_systems(&self) -> Result<Vec<System>> {
        self.get_member(Request::get("/status/systems"), "out")
    }

    fn system(&self, system: &str) -> Result<System> {
        let path = format!("/status/systems/{}", path_segment(system));
        self.get_member(Request::get(&path), "out")
    }

    fn parameters(&self) -> Result<Parameters> {
        self.get_member(Request::get("/status/parameters"), "out")
    }

    fn filesystems(&self, system: Option<&str>) -> Result<Value> {
        let req = match system {
            Some(s) => Request::get(&format!("/status/filesystems/{}", path_segment(s))),
            None => Request::get("/status/filesystems"),
        };
        self.get_member(req, "out")
    }

    fn whoami(&self, system: &str) -> Result<String> {
        self.get_member(V1::whoami_request(system), "output")
    }

    fn groups(&self, system: &str) -> Result<UserGroups> {
        self.get_member(V1::whoami_request(system).query("groups", "true"), "output")
    }

    fn nodes(&self, system: &str) -> Result<Vec<Node>> {
        let data = self.task_result(on_system(Method::Get, "/compute/nodes", system))?;
        Ok(listed(&data)
            .map(|n| Node {
                name: text_of(&n["NodeName"]).unwrap_or_default(),
                state: words(&n["State"]),
                partitions: words(&n["Partitions"]),
                features: words(&n["ActiveFeatures"])
                    .iter()
                    .flat_map(|f| feature_list(f))
                    .collect(),
            })
            .collect())
    }

    fn partitions(&self, system: &str) -> Result<Vec<Partition>> {
        let data = self.task_result(on_system(Method::Get, "/compute/partitions", system))?;
        Ok(listed(&data)
            .map(|p| Partition {
                name: text_of(&p["PartitionName"]).unwrap_or_default(),
                state: text_of(&p["State"]).unwrap_or_default(),
                total_cpus: count_of(&p["TotalCPUs"]),
                total_nodes: count_of(&p["TotalNodes"]),
                default: text_of(&p["Default"]).map(|d| d.eq_ignore_ascii_case("YES")),
            })
            .collect())
    }

    fn reservations(&self, system: &str) -> Result<Vec<Reservation>> {
        let data = self.task_result(on_system(Method::Get, "/compute/reservations", system))?;
        Ok(listed(&data)
            .map(|r| Reservation {
                name: text_of(&r["ReservationName"]).unwrap_or_default(),
                state: text_of(&r["State"]).unwrap_or_default(),
                nodes: text_of(&r["Nodes"]).unwrap_or_default(),
                start_time: text_of(&r["StartTime"]).unwrap_or_default(),
                end_time: text_of(&r["EndTime"]).unwrap_or_default(),
                features: feature_list(&text_of(&r["Features"]).unwrap_or_default()),
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
        let mut req = on_system(Method::Get, "/utilities/ls", system).query("targetPath", path);
        if options.show_hidden {
            req = req.query("showhidden", "true");
        }
        if options.recursive {
            req = req.query("recursive", "true");
        }
        if options.numeric_uid {
            req = req.query("numericUid", "true");
        }
        if options.dereference {
            req = req.query("followLinks", "true");
        }
        let text = self.session.send(req)?.json_text()?;
        text.parse_seed(OutputEntries::<RawEntry>::new(read))
    }

    fn mkdir(&self, system: &str, path: &str, parents: bool) -> Result<()> {
        let mut form = vec![("targetPath", path.to_string())];
        if parents {
            // The server turns on -p when the field is present at all, whatever its value.
            form.push(("p", "true".to_string()));
        }
        self.send_discard(on_system(Method::Post, "/utilities/mkdir", system).form(form))
    }

    fn mv(&self, system: &str, source: &str, target: &str) -> Result<()> {
        self.source_target(Method::Put, "/utilities/rename", system, source, target)
    }

    fn copy(&self, system: &str, source: &str, target: &str) -> Result<()> {
        self.source_target(Method::Post, "/utilities/copy", system, source, target)
    }

    fn chmod(&self, system: &str, path: &str, mode: &str) -> Result<()> {
        self.send_discard(
            on_system(Method::Put, "/utilities/chmod", system)
                .form([("targetPath", path), ("mode", mode)]),
        )
    }

    fn chown(
        &self,
        system: &str,
        path: &str,
        owner: Option<&str>,
        group: Option<&str>,
    ) -> Result<()> {
        let mut form = vec![("targetPath", path)];
        form.extend(owner.map(|o| ("owner", o)));
        form.extend(group.map(|g| ("group", g)));
        self.send_discard(on_system(Method::Put, "/utilities/chown", system).form(form))
    }

    fn remove(&self, system: &str, path: &str) -> Result<()> {
        // DELETE with a form body: that is what the server reads.
        self.send_discard(
            on_system(Method::Delete, "/utilities/rm", system).form([("targetPath", path)]),
        )
    }

    fn compress(
        &self,
        system: &str,
        source: &str,
        target: &str,
        options: &CompressOptions,
    ) -> Result<()> {
        if options.match_pattern.is_some() {
            return Err(Error::unsupported(
                "FirecREST v1 compresses a whole file or directory: a match pattern needs v2",
            ));
        }
        let mut form = vec![("sourcePath", source), ("targetPath", target)];
        if options.dereference {
            // The server tests the field's presence and truth, as pyfirecrest sends it.
            form.push(("dereference", "true"));
        }
        self.send_discard(on_system(Method::Post, "/utilities/compress", system).form(form))
    }

    fn extract(&self, system: &str, source: &str, target_dir: &str) -> Result<()> {
        // `type` (the server's name for it) auto: the archive type follows the file's suffix.
        self.send_discard(on_system(Method::Post, "/utilities/extract", system).form([
            ("sourcePath", source),
            ("targetPath", target_dir),
            ("type", "auto"),
        ]))
    }

    fn symlink(&self, system: &str, target: &str, link_path: &str) -> Result<()> {
        self.send_discard(
            on_system(Method::Post, "/utilities/symlink", system)
                .form([("targetPath", target), ("linkPath", link_path)]),
        )
    }

    fn file_type(&self, system: &str, path: &str) -> Result<String> {
        self.get_output("/utilities/file", system, path, &[])
    }

    fn stat(&self, system: &str, path: &str, dereference: bool) -> Result<Stat> {
        let extra = if dereference {
            vec![("dereference", "true".to_string())]
        } else {
            Vec::new()
        };
        self.get_output("/utilities/stat", system, path, &extra)
    }

    fn checksum(&self, system: &str, path: &str) -> Result<String> {
        self.get_output("/utilities/checksum", system, path, &[])
    }

    fn head(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String> {
        self.head_tail("head", system, path, options, "skip_ending")
    }

    fn tail(&self, system: &str, path: &str, options: HeadTailOptions) -> Result<String> {
        self.head_tail("tail", system, path, options, "skip_beginning")
    }

    fn view(&self, system: &str, path: &str) -> Result<String> {
        self.get_output("/utilities/view", system, path, &[])
    }

    fn simple_upload(
        &self,
        system: &str,
        body: Stream<'_>,
        remote_dir: &str,
        filename: &str,
    ) -> Result<()> {
        let req = on_system(Method::Post, "/utilities/upload", system).multipart(
            vec![("targetPath".to_string(), remote_dir.to_string())],
            "file",
            filename,
            body,
        );
        self.send_discard(req)
    }

    fn simple_download(
        &self,
        system: &str,
        remote_path: &str,
        sink: &mut dyn DownloadSink,
    ) -> Result<u64> {
        // Flask's send_file answers a Range with 206, so a cut download resumes.
        transfers::resumable_get(
            &self.session,
            &|| {
                on_system(Method::Get, "/utilities/download", system)
                    .query("sourcePath", remote_path)
            },
            "",
            sink,
            &mut |_, _| true,
            Retries::PerCall,
        )
    }

    fn task(&self, task_id: &str) -> Result<Task> {
        let raw: RawTask = self.get_member(
            Request::get(&format!("/tasks/{}", path_segment(task_id))),
            "task",
        )?;
        raw.into_task()
    }

    fn tasks(&self, task_ids: Option<&[&str]>) -> Result<Vec<Task>> {
        let mut req = Request::get("/tasks");
        if let Some(ids) = task_ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            req = req.query("tasks", ids.join(","));
        }
        // An object keyed by task id, not an array.
        let map: serde_json::Map<String, Value> = self.get_member(req, "tasks")?;
        let mut out = map
            .into_iter()
            .map(|(_, v)| serde_json::from_value::<RawTask>(v)?.into_task())
            .collect::<Result<Vec<_>>>()?;
        match task_ids {
            Some(ids) => out.sort_by_key(|t| ids.iter().position(|i| *i == t.task_id)),
            None => out.sort_by(|a, b| a.created_at.cmp(&b.created_at)),
        }
        Ok(out)
    }

    fn external_upload(
        &self,
        system: &str,
        local_path: &Path,
        remote_path: &str,
    ) -> Result<Transfer> {
        transfer::external_upload(&self.session, system, local_path, remote_path)
    }

    fn external_download(&self, system: &str, remote_path: &str) -> Result<Transfer> {
        transfer::external_download(&self.session, system, remote_path)
    }

    /// v1 runs a job in its script's directory: the script (with the options v1's endpoints
    /// lack written in as `#SBATCH` lines) is placed in the working directory and submitted
    /// by path.
    fn submit_job(&self, system: &str, spec: &JobSpec) -> Result<String> {
        let text = match &spec.script {
            JobScript::Text(text) => text.clone(),
            JobScript::LocalFile(_) => return Err(local_script_unread()),
            JobScript::Remote(path) => {
                let mut bytes = Vec::new();
                self.simple_download(system, path, &mut bytes)?;
                String::from_utf8(bytes).map_err(|_| {
                    Error::invalid_argument(format!("the script {path} is not UTF-8 text"))
                })?
            }
        };
        let script = with_directives(&text, spec);
        let name = format!("firecrest-job-{}.sh", unique_suffix());
        let mut body = script.as_bytes();
        let len = body.len() as u64;
        self.simple_upload(
            system,
            Stream::reader(&mut body, len),
            &spec.working_dir,
            &name,
        )?;
        let target = format!("{}/{name}", spec.working_dir.trim_end_matches('/'));
        let mut form = vec![("targetPath", target)];
        if let Some(account) = &spec.account {
            form.push(("account", account.clone()));
        }
        if !spec.env.is_empty() {
            let env: serde_json::Map<String, Value> = spec
                .env
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            form.push(("env", Value::Object(env).to_string()));
        }
        let data =
            self.task_result(on_system(Method::Post, "/compute/jobs/path", system).form(form))?;
        // A server bug records a failed submission as 200 with a null jobid.
        match &data["jobid"] {
            Value::String(id) if !id.is_empty() => Ok(id.clone()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(Error::new(
                ErrorKind::TaskFailed,
                format!(
                    "the job was not submitted: {}",
                    data["job_info_extra"]
                        .as_str()
                        .unwrap_or("no job id in the answer")
                ),
            )),
        }
    }

    /// squeue while the job is listed there, then sacct (which has the exit code).
    fn job_info(&self, system: &str, job_id: &str) -> Result<Option<JobInfo>> {
        let queued = self
            .task_result(on_system(Method::Get, "/compute/jobs", system).query("jobs", job_id))?;
        if let Some(entry) =
            listed(&queued).find(|e| text_of(&e["jobid"]).as_deref() == Some(job_id))
        {
            return Ok(Some(squeue_info(entry)));
        }
        let accounted = self
            .task_result(on_system(Method::Get, "/compute/acct", system).query("jobs", job_id))?;
        let found = listed(&accounted)
            .find(|e| text_of(&e["jobid"]).as_deref() == Some(job_id))
            .map(sacct_info);
        Ok(found)
    }

    /// squeue lists queued and running jobs only, so there is no window to choose.
    fn jobs(&self, system: &str, filter: &JobFilter) -> Result<Vec<JobInfo>> {
        if let Some(window) = filter.time_window {
            return Err(Error::unsupported(format!(
                "FirecREST v1 lists only queued and running jobs (squeue); a time window \
                 ({}) needs FirecREST v2 2.5.7 or later",
                window.as_str()
            )));
        }
        let queued = self.task_result(on_system(Method::Get, "/compute/jobs", system))?;
        Ok(listed(&queued)
            .map(squeue_info)
            .filter(|j| filter.name.as_ref().is_none_or(|n| *n == j.name))
            .collect())
    }

    /// squeue's answer already names the files.
    fn job_metadata(&self, _system: &str, info: JobInfo) -> Result<JobInfo> {
        Ok(info)
    }

    fn attach_job(&self, _system: &str, _job_id: &str, _command: &str) -> Result<()> {
        Err(Error::unsupported(
            "FirecREST v1 cannot run a command inside a running job",
        ))
    }

    fn cancel_job(&self, system: &str, job_id: &str) -> Result<()> {
        let path = format!("/compute/jobs/{}", path_segment(job_id));
        self.task_result(on_system(Method::Delete, &path, system))
            .map(drop)
    }
}

impl V1 {
    /// Sends a request that creates a compute task and waits for its verdict: the task's
    /// `data` at 200; its error text at 400. Bounded by the call deadline.
    fn task_result(&self, req: Request<'_>) -> Result<Value> {
        #[derive(serde::Deserialize)]
        struct Created {
            task_id: String,
        }
        let created: Created = self.session.send(req)?.json()?;
        let what = format!("compute task {}", created.task_id);
        let path = format!("/tasks/{}", path_segment(&created.task_id));
        let options = self.session.options().clone();
        poll(&options, options.call_timeout, &what, || {
            let raw: RawTask = self.get_member(Request::get(&path), "task")?;
            let task = raw.into_task()?;
            Ok(match task.status {
                200 => Look::Done(Ok(task.data)),
                s if s >= 400 => Look::Done(Err(Error::new(
                    ErrorKind::TaskFailed,
                    match &task.data {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                ))),
                s => Look::NotYet(format!("at status {s}")),
            })
        })?
    }
}

/// The entries of a compute task's data: an object keyed "0", "1", … (squeue) or an array
/// (sacct); `{}` when there are none.
fn listed(data: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match data {
        Value::Object(m) => Box::new(m.values()),
        Value::Array(a) => Box::new(a.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

/// A list of words that `scontrol`'s parser gives as a list or as one comma-separated text.
fn words(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(text_of).collect(),
        other => text_of(other)
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

/// A count sent as a number or as its text.
fn count_of(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// What squeue and sacct entries share: id, name, state, user, partition, nodes.
fn job_entry(e: &Value) -> JobInfo {
    let state = text_of(&e["state"]).unwrap_or_default();
    JobInfo {
        job_id: text_of(&e["jobid"]).unwrap_or_default(),
        name: text_of(&e["name"]).unwrap_or_default(),
        state_code: JobState::from_word(&state).code(),
        state,
        user: text_of(&e["user"]),
        account: None,
        partition: text_of(&e["partition"]),
        nodes: text_of(&e["nodelist"]),
        working_directory: None,
        exit_code: None,
        start_time: None,
        end_time: None,
        stdout: None,
        stderr: None,
        script: None,
    }
}

/// A squeue entry. The server swaps two fields: `time` holds the start time.
fn squeue_info(e: &Value) -> JobInfo {
    JobInfo {
        start_time: text_of(&e["time"]),
        stdout: text_of(&e["job_file_out"]),
        stderr: text_of(&e["job_file_err"]),
        script: text_of(&e["job_file"]),
        ..job_entry(e)
    }
}

/// An sacct entry: `exit_code` is "code:signal", meaningful once the job is final.
fn sacct_info(e: &Value) -> JobInfo {
    let info = job_entry(e);
    let exit_code = text_of(&e["exit_code"])
        .and_then(|c| c.split(':').next().and_then(|n| n.trim().parse().ok()))
        .filter(|_| info.job_state().is_final());
    JobInfo {
        exit_code,
        start_time: text_of(&e["start_time"]),
        end_time: text_of(&e["termination_time"]),
        ..info
    }
}

/// The script with `#SBATCH` lines for the options v1's endpoints cannot carry, after the
/// `#!` line (sbatch reads directives only before the first command).
fn with_directives(script: &str, spec: &JobSpec) -> String {
    let mut lines = Vec::new();
    let mut add = |flag: &str, v: &Option<String>| {
        if let Some(v) = v {
            lines.push(format!("#SBATCH --{flag}={v}"));
        }
    };
    add("job-name", &spec.name);
    add("partition", &spec.partition);
    add("reservation", &spec.reservation);
    add("output", &spec.stdout);
    add("error", &spec.stderr);
    if lines.is_empty() {
        return script.to_string();
    }
    let directives = lines.join("\n");
    match script.strip_prefix("#!") {
        Some(rest) => {
            let (shebang, body) = rest.split_once('\n').unwrap_or((rest, ""));
            format!("#!{shebang}\n{directives}\n{body}")
        }
        None => format!("{directives}\n{script}"),
    }
}

/// A name no other submission of this process uses at the same moment.
fn unique_suffix() -> String {
    let mut bytes = [0u8; 6];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes.copy_from_slice(&nanos.to_le_bytes()[..6]);
    }
    hex::encode(bytes)
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

#[cfg(test)]
mod properties {
    use super::*;
    use crate::properties::{any_json, config};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(config())]

        /// Whatever a task or a squeue/sacct entry holds, it is read or refused, never a panic.
        #[test]
        fn any_task_or_job_answer_is_read_or_refused(v in any_json()) {
            if let Ok(raw) = serde_json::from_value::<RawTask>(v.clone()) {
                let _ = raw.into_task();
            }
            let _ = squeue_info(&v);
            let _ = sacct_info(&v);
        }

        /// A task status is read as the server writes it, a string or a number.
        #[test]
        fn a_task_status_is_read_in_either_spelling(code in any::<i32>(), quoted in any::<bool>()) {
            let status = if quoted { Value::from(format!(" {code}")) } else { Value::from(code) };
            let raw: RawTask =
                serde_json::from_value(serde_json::json!({"task_id": "t", "status": status})).unwrap();
            prop_assert_eq!(raw.into_task().unwrap().status, code);
        }
    }
}
