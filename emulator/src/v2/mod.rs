//! FirecREST v2 routes: status, filesystem ops, transfer jobs with S3 multipart presigning, and
//! the job endpoints of the fake scheduler. Shapes, codes and headers follow the recorded
//! exchanges in `tests/emulator_v2_transcripts`, also where they differ from the API's
//! documentation.

mod fs;
mod http;
mod jobs;
mod ops;
mod s3;

use self::fs::{own_gid, own_uid, remote_failure, FILESYSTEM, USER};
use self::http::{field, field_str, json_resp, no_content, uuid4, ApiError};
use self::jobs::{render, Action, Logs, Scheduler};
use self::ops::{json_body, Ctx};
use self::s3::Multipart;
use super::exchange::{Req, Resp};
use super::server::Api;
use super::slurm::{cluster, Batch, ACCOUNT, NO_SBATCH, PARTITION};
use super::tokens::{bearer, TokenError};
use super::util::{now_secs, random_hex};
use super::{State, HOME, OFFLINE_SYSTEM, SYSTEM};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

/// `F7T-AppVersion` of the recorded server (a source build reports the literal `2.x.x`).
pub(crate) const APP_VERSION: &str = "2.x.x";
/// `dataOperation.max_ops_file_size`, as on the recorded server.
pub(crate) const MAX_OPS_FILE_SIZE: u64 = 5 * 1024 * 1024;

/// The release a server answers as: what differs between releases follows it.
#[derive(Debug, Clone)]
pub(crate) struct Release {
    /// The `F7T-AppVersion` header.
    pub(crate) name: String,
    /// (major, minor, patch); a source build (`2.x.x`) is newer than every release.
    number: (u32, u32, u32),
}

impl Release {
    pub(crate) fn parse(name: &str) -> Option<Release> {
        let mut parts = name.split('.');
        let mut next = || -> Option<u32> {
            match parts.next()? {
                "x" => Some(u32::MAX),
                n => n.parse().ok(),
            }
        };
        let number = (next()?, next()?, next()?);
        (parts.next().is_none() && number.0 == 2).then(|| Release {
            name: name.to_string(),
            number,
        })
    }

    /// Before 2.5.0 the transfer directives of an answer kept their Python (snake_case) names
    /// and a transfer job's id was a number.
    fn snake_case_directives(&self) -> bool {
        self.number < (2, 5, 0)
    }

    /// Before 2.5.0 one `dataOperation` sat beside the systems, and each system carried its
    /// own `datatransferJobsDirectives`.
    fn shared_data_operation(&self) -> bool {
        self.number < (2, 5, 0)
    }

    /// 2.5.7 added `name` and `time_window` to the job list; older releases ignore unknown
    /// query parameters and list seven days.
    fn job_list_filters(&self) -> bool {
        self.number >= (2, 5, 7)
    }
}
/// FirecREST's `min_token_ttl`: tokens closer to expiry are refused.
const MIN_TOKEN_TTL: i64 = 30;
/// `dataOperation.datatransfer_jobs_directives` (no `{account}`, so `account` stays optional).
const TRANSFER_DIRECTIVES: [&str; 2] = ["#SBATCH --nodes=1", "#SBATCH --time=0-00:15:00"];
/// The directive a system adds when its transfer jobs must be charged to an account.
const ACCOUNT_DIRECTIVE: &str = "#SBATCH --account={account}";
/// A second scheduler account of the user (userinfo lists it, not as the default).
pub(crate) const OTHER_ACCOUNT: &str = "otherproject";

pub(crate) struct V2 {
    multipart: Arc<Multipart>,
    scheduler: Arc<Scheduler>,
    started: i64,
    release: Release,
    max_ops: u64,
    /// The system's transfer-job directives name `{account}`, so a job needs one.
    needs_account: bool,
}

impl V2 {
    /// `max_part_size`: the multipart part size published in `maxPartSize`; `max_ops`: the
    /// system's `max_ops_file_size`; `needs_account`: the transfer-job directives name
    /// `{account}`.
    pub fn new(
        max_part_size: u64,
        max_ops: u64,
        release: Release,
        needs_account: bool,
    ) -> std::io::Result<V2> {
        let multipart = Arc::new(Multipart::new(max_part_size)?);
        Ok(V2 {
            scheduler: Arc::new(Scheduler::new(multipart.clone())),
            multipart,
            started: now_secs(),
            release,
            max_ops,
            needs_account,
        })
    }
}

impl Api for V2 {
    fn handle(&self, state: &Arc<State>, req: &mut Req) -> Option<Resp> {
        // Presigned S3 requests go to "another server": no FirecREST headers, case kept.
        if req.path.starts_with(s3::PREFIX) {
            return Some(self.multipart.handle(state, req));
        }
        // A wrong API key is the gateway's answer, before FirecREST sees the request.
        if let Some(Err(text)) = super::tokens::api_key_user(state, req) {
            return Some(Resp::json(401, json!({ "message": text })));
        }
        // FirecREST's outermost middleware refuses an X-Request-ID or X-Correlation-ID that is not a
        // UUID: a bare 400, before routing and without FirecREST's headers.
        if ["x-request-id", "x-correlation-id"]
            .iter()
            .any(|h| req.header(h).is_some_and(|v| !is_uuid(&v)))
        {
            return Some(Resp::new(400));
        }
        let mut user = None;
        let (resp, unhandled) = match self.route(state, req, &mut user) {
            Ok(r) => (r, false),
            Err(e) => {
                let unhandled = e.unhandled;
                (e.into_resp(user.as_deref()), unhandled)
            }
        };
        Some(decorate(resp, req, unhandled, &self.release.name))
    }
}

/// The headers of FirecREST's middleware (transcripts: lower-case names).
fn decorate(resp: Resp, req: &Req, unhandled: bool, app_version: &str) -> Resp {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut resp = resp
        .header(
            "f7t-timestamp",
            format!("{}.{:06}", now.as_secs(), now.subsec_micros()),
        )
        .header("f7t-appversion", app_version);
    if !unhandled {
        // Echoed as sent (checked above), or a fresh one as 32 hex digits.
        for name in ["x-request-id", "x-correlation-id"] {
            let id = req.header(name).unwrap_or_else(|| random_hex(16));
            resp = resp.header(name, id);
        }
    }
    resp
}

/// Whether `v` is a UUID as Python's `uuid.UUID` reads one: 32 hex digits, with or without
/// hyphens, braces or a `urn:uuid:` prefix.
fn is_uuid(v: &str) -> bool {
    let s = v.strip_prefix("urn:").unwrap_or(v);
    let s = s.strip_prefix("uuid:").unwrap_or(s);
    let s = s.trim_start_matches('{').trim_end_matches('}');
    let digits: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
    digits.len() == 32 && digits.iter().all(u8::is_ascii_hexdigit)
}

/// Authenticates as FirecREST v2 does; returns the user name. An API key is checked first, as
/// the gateway in front of FirecREST would.
fn authenticate(state: &State, req: &Req) -> Result<String, ApiError> {
    if let Some(Ok(user)) = super::tokens::api_key_user(state, req) {
        return Ok(user);
    }
    let Some(token) = bearer(req) else {
        return Err(
            ApiError::new(401, "Not authenticated").with_header("www-authenticate", "Bearer")
        );
    };
    let refused = |msg: &str| ApiError::new(401, msg).with_header("auth-token", token.clone());
    let claims = match state.tokens.verify(&token) {
        Ok(c) => c,
        Err(TokenError::Expired) => return Err(refused("Access token expired")),
        Err(_) => return Err(refused("Access token is invalid.")),
    };
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if exp - now_secs() < MIN_TOKEN_TTL {
        return Err(refused(
            "Access token expires too soon (less than 30s remaining).",
        ));
    }
    match claims.get("preferred_username").and_then(Value::as_str) {
        Some(u) if !u.is_empty() => Ok(u.to_string()),
        _ => Err(ApiError::bad_request(
            "Authentication token 'preferred_username' claim is missing",
        )),
    }
}

impl V2 {
    fn route(
        &self,
        state: &Arc<State>,
        req: &mut Req,
        user: &mut Option<String>,
    ) -> Result<Resp, ApiError> {
        // FirecREST lower-cases the whole path before routing (the query is left alone).
        let path = req.path.to_lowercase();
        if path == "/status/liveness/" && req.method == "GET" {
            return Ok(json_resp(
                200,
                &json!({"healthcheckRuns": {SYSTEM: super::util::iso_time(now_secs()) + "Z"},
                        "lastUpdate": now_secs() - self.started}),
            ));
        }
        if path == "/status/liveness" {
            return Ok(
                Resp::new(307).header("location", format!("{}/status/liveness/", state.base_url))
            );
        }
        let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
        let known = matches!(seg.first(), Some(&("status" | "filesystem" | "compute")));
        if !known {
            return Err(ApiError::new(404, "Not Found"));
        }
        *user = Some(authenticate(state, req)?);
        let method = req.method.clone();
        match (method.as_str(), seg.as_slice()) {
            ("GET", ["status", "systems"]) => {
                let mut systems =
                    systems(self.multipart.part_size, self.max_ops, self.needs_account);
                if self.release.shared_data_operation() {
                    return Ok(json_resp(200, &before_2_5_0(&mut systems)));
                }
                Ok(json_resp(200, &json!({ "systems": systems })))
            }
            ("GET", ["status", sys, what]) => {
                system(sys)?;
                status_of(what)
            }
            (_, ["filesystem", sys, "ops", op]) => {
                system(sys)?;
                let ctx = ctx(state, self.max_ops);
                ops::handle(&ctx, op, req)
            }
            (_, ["filesystem", sys, "transfer", op]) => {
                system(sys)?;
                self.transfer(state, op, req)
            }
            (_, ["compute", sys, "jobs", rest @ ..]) => {
                system(sys)?;
                self.compute(state, req, rest)
            }
            _ => Err(ApiError::new(404, "Not Found")),
        }
    }
}

fn ctx(state: &State, max_ops: u64) -> Ctx<'_> {
    Ctx {
        sandbox: &state.sandbox,
        system: SYSTEM,
        max_ops,
    }
}

/// The system of a path segment: `cluster` serves, `offline` is down, others do not exist.
fn system(name: &str) -> Result<(), ApiError> {
    match name {
        SYSTEM => Ok(()),
        OFFLINE_SYSTEM => Err(ApiError::new(
            503,
            format!("System '{OFFLINE_SYSTEM}' is not available: its services are unhealthy."),
        )),
        _ => Err(ApiError::new(404, "System not found")),
    }
}

fn status_of(what: &str) -> Result<Resp, ApiError> {
    let (uid, gid) = (own_uid().to_string(), own_gid().to_string());
    let body = match what {
        "userinfo" => json!({
            "user": {"id": uid, "name": USER},
            "group": {"id": gid, "name": USER},
            "groups": [{"id": gid, "name": USER}],
            "accounts": [{"name": ACCOUNT, "default": true}, {"name": OTHER_ACCOUNT, "default": false}],
        }),
        "nodes" => json!({"nodes": [{
            "sockets": 1, "cores": 1, "threads": 1, "cpus": cluster::CPUS, "cpuLoad": 0.0,
            "freeMemory": 1024, "features": cluster::NO_FEATURES, "name": cluster::NODE,
            "address": "127.0.0.1", "hostname": cluster::NODE, "state": [cluster::NODE_STATE],
            "partitions": [PARTITION], "weight": 1, "allocMemory": 0, "allocCpus": 0,
            "idleCpus": cluster::CPUS}]}),
        "partitions" => json!({"partitions": [{"name": PARTITION, "cpus": cluster::CPUS,
            "totalNodes": 1, "partition": cluster::PARTITION_STATE}]}),
        "reservations" => json!({"reservations": [{"name": cluster::RESERVATION,
            "nodeList": cluster::NODE, "startTime": cluster::RESERVATION_START,
            "endTime": cluster::RESERVATION_END, "features": cluster::NO_FEATURES,
            "state": cluster::RESERVATION_STATE}]}),
        _ => return Err(ApiError::new(404, "Not Found")),
    };
    Ok(json_resp(200, &body))
}

/// `/status/systems`: the shape of transcript 01 (dataOperation's own keys snake_case, the
/// data_transfer keys camelCase, secrets masked).
fn systems(part_size: u64, max_ops: u64, needs_account: bool) -> Value {
    let mut directives: Vec<&str> = TRANSFER_DIRECTIVES.to_vec();
    if needs_account {
        directives.push(ACCOUNT_DIRECTIVE);
    }
    let checked = super::util::iso_time(now_secs()) + "Z";
    let system = |name: &str, healthy: bool| {
        let health = |kind: &str| {
            let message = match (healthy, kind) {
                (false, _) => json!("emulated outage"),
                (true, "scheduler") => {
                    json!("[{'mode': 'primary', 'hostname': 'localhost', 'pinged': 'UP'}]")
                }
                _ => Value::Null,
            };
            json!({"serviceType": kind, "lastChecked": checked, "latency": 0.001, "healthy": healthy, "message": message})
        };
        let mut fs_health = health("filesystem");
        fs_health["path"] = json!(FILESYSTEM);
        json!({
            "name": name,
            "ssh": {"host": "127.0.0.1", "port": 22, "proxyHost": null, "proxyPort": null, "maxClients": 100,
                    "timeout": {"connection": 5, "login": 5, "commandExecution": 5, "idleTimeout": 60, "keepAlive": 5}},
            "scheduler": {"type": "slurm", "connectionMode": "ssh", "version": "24.11.0", "apiUrl": null,
                          "apiVersion": null, "timeout": 10},
            "servicesHealth": [health("scheduler"), health("ssh"), fs_health, health("s3")],
            "probing": {"services": {"ssh": {"timeout": 5}, "filesystem": {"timeout": 5},
                                     "scheduler": {"timeout": 5}, "s3": {"timeout": 5}},
                        "intervalCheck": 60},
            "lastHealthCheck": checked,
            "fileSystems": [{"path": FILESYSTEM, "dataType": "users", "defaultWorkDir": true}],
            "dataOperation": {
                "datatransfer_jobs_directives": directives,
                "max_ops_file_size": max_ops,
                "data_transfer": {
                    "serviceType": "s3", "name": "s3-storage", "privateUrl": "**********",
                    "publicUrl": "http://127.0.0.1", "accessKeyId": "**********",
                    "secretAccessKey": "**********", "region": "us-east-1", "ttl": 604800,
                    "tenant": null,
                    "multipart": {"use_split": false, "max_part_size": part_size,
                                  "parallel_runs": 3, "tmp_folder": "tmp"},
                    "bucketLifecycleConfiguration": {"days": 10}
                }
            }
        })
    };
    json!([system(SYSTEM, true), system(OFFLINE_SYSTEM, false)])
}

/// The `transferDirectives.transferMethod` check: only the configured `s3` is available.
fn transfer_method(body: &Value) -> Result<Value, ApiError> {
    let directives = field(body, &["transferDirectives", "transfer_directives"])
        .cloned()
        .ok_or_else(|| {
            ApiError::validation(
                "body",
                "transferDirectives",
                "missing",
                "Field required",
                &Value::Null,
            )
        })?;
    match field_str(&directives, &["transferMethod", "transfer_method"]) {
        Some("s3") => Ok(directives),
        Some("streamer" | "wormhole") => Err(ApiError::bad_request(
            "Requested transfer method is not available.",
        )),
        other => Err(ApiError::validation(
            "body",
            "transferDirectives",
            "union_tag_invalid",
            "Input tag does not match any of the expected tags: 's3', 'streamer', 'wormhole'",
            &json!(other),
        )),
    }
}

impl V2 {
    fn transfer(&self, state: &Arc<State>, op: &str, req: &mut Req) -> Result<Resp, ApiError> {
        let ctx = ctx(state, self.max_ops);
        let method = req.method.clone();
        let mut account = req.query("account").map(str::to_string);
        let (action, extra, status) = match (method.as_str(), op) {
            ("POST", "cp" | "mv") => {
                let body = json_body(req)?;
                account = field_str(&body, &["account"]).map(str::to_string);
                let src = ctx.body_path(&body)?;
                // A required field of the request model: pydantic refuses its absence before
                // the route looks at the path.
                let Some(target) = field_str(&body, &["targetPath", "target_path"]) else {
                    return Err(ApiError::validation(
                        "body",
                        "targetPath",
                        "missing",
                        "Field required",
                        &body,
                    ));
                };
                let dst = ctx.path(Some(target))?;
                let action = if op == "cp" {
                    Action::Copy { src, dst }
                } else {
                    Action::Move { src, dst }
                };
                (action, None, 201)
            }
            ("DELETE", "rm") => {
                let path = ctx.path(req.query("path"))?;
                (Action::Remove { path }, None, 200)
            }
            ("POST", "upload") => {
                let body = json_body(req)?;
                account = field_str(&body, &["account"]).map(str::to_string);
                let target = ctx.body_path(&body)?;
                let directives = transfer_method(&body)?;
                let size = field(&directives, &["fileSize", "file_size"])
                    .and_then(Value::as_u64)
                    .ok_or_else(|| {
                        // The real server does not validate this and crashes on `None / int`.
                        ApiError::unhandled(
                            "(\"unsupported operand type(s) for /: 'NoneType' and 'int'\",)",
                        )
                    })?;
                let object = object_name(&target.remote);
                let (parts, complete) = self
                    .multipart
                    .create_upload(state, &object, size)
                    .map_err(|e| {
                        ApiError::new(500, format!("Unable to open the multipart upload: {e}"))
                    })?;
                let extra = json!({"transferMethod": "s3", "partsUploadUrls": parts,
                                   "completeUploadUrl": complete, "maxPartSize": self.multipart.part_size});
                (Action::Ingress { object, target }, Some(extra), 201)
            }
            ("POST", "download") => {
                let body = json_body(req)?;
                account = field_str(&body, &["account"]).map(str::to_string);
                let src = ctx.body_path(&body)?;
                transfer_method(&body)?;
                src.target.metadata().map_err(|e| {
                    remote_failure(1, &format!("stat: cannot statx '{}'", src.remote), &e)
                })?;
                let object = object_name(&src.remote);
                let (bucket, key) = object.split_once('/').unwrap_or((USER, ""));
                let url = state.store.presign_get(bucket, key);
                let extra = json!({"transferMethod": "s3", "downloadUrl": url});
                (Action::Egress { src, object }, Some(extra), 201)
            }
            ("POST", "compress") => {
                let body = json_body(req)?;
                account = field_str(&body, &["account"]).map(str::to_string);
                (Action::Tar(ops::compress_cmd(&ctx, &body)?), None, 201)
            }
            ("POST", "extract") => {
                let body = json_body(req)?;
                account = field_str(&body, &["account"]).map(str::to_string);
                (Action::Tar(ops::extract_cmd(&ctx, &body)?), None, 201)
            }
            (_, "cp" | "mv" | "rm" | "upload" | "download" | "compress" | "extract") => {
                return Err(ApiError::new(405, "Method Not Allowed"))
            }
            _ => return Err(ApiError::new(404, "Not Found")),
        };
        // The server formats the directives with the account only where they name one.
        let account = if self.needs_account {
            Some(account.ok_or_else(|| {
                ApiError::bad_request("Account parameter is required on this system.")
            })?)
        } else {
            None
        };
        let id = uuid4();
        let log = |name: String| ctx.path(Some(&format!("{HOME}/{name}")));
        let logs = Logs {
            working_dir: HOME.to_string(),
            output: log(format!(".f7t_file_handling_job_{id}.log"))?,
            error: log(format!(".f7t_file_handling_job_error_{id}.log"))?,
        };
        let log_paths = json!({"outputLog": logs.output.remote, "errorLog": logs.error.remote});
        let job = self
            .scheduler
            .submit(state, action, logs, req.fail_transfer, account);
        let old = self.release.snake_case_directives();
        let job_id = if old {
            json!(job)
        } else {
            json!(job.to_string())
        };
        let job_json = json!({
            "jobId": job_id, "system": SYSTEM, "workingDirectory": HOME, "logs": log_paths,
        });
        let mut body = json!({ "transferJob": job_json });
        if let Some(extra) = extra {
            body["transferDirectives"] = if old { snake_case_keys(extra) } else { extra };
        }
        Ok(json_resp(status, &body))
    }

    fn compute(&self, state: &Arc<State>, req: &mut Req, rest: &[&str]) -> Result<Resp, ApiError> {
        let method = req.method.clone();
        let job_id = |raw: &str| -> Result<u64, ApiError> {
            if raw.is_empty() || !raw.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(ApiError::validation(
                    "path",
                    "job_id",
                    "string_pattern_mismatch",
                    "String should match pattern '^[a-zA-Z0-9]+$'",
                    &json!(raw),
                ));
            }
            Ok(raw.parse().unwrap_or(0))
        };
        let not_found = || ApiError::new(404, "Job not found.");
        let slurm = &state.slurm;
        match (method.as_str(), rest) {
            ("GET", []) => {
                let filters = self.release.job_list_filters();
                let window = req
                    .query("time_window")
                    .filter(|_| filters)
                    .unwrap_or("24h");
                if !["1h", "8h", "24h", "3d", "7d"].contains(&window) {
                    return Err(ApiError::validation(
                        "query",
                        "time_window",
                        "enum",
                        "Input should be '1h', '8h', '24h', '3d' or '7d'",
                        &json!(window),
                    ));
                }
                // One user, so `allusers` lists the same jobs; every job is inside the window.
                let name = req.query("name").filter(|_| filters);
                let jobs: Vec<Value> = slurm
                    .all()
                    .iter()
                    .filter(|(_, j)| name.is_none_or(|n| n == j.name))
                    .map(|(id, j)| render(*id, j))
                    .collect();
                Ok(json_resp(200, &json!({ "jobs": jobs })))
            }
            ("POST", []) => {
                let body = json_body(req)?;
                let job = body.get("job").cloned().unwrap_or(Value::Null);
                let batch = batch(state, &job)?;
                if !slurm.enabled() {
                    return Err(ApiError::new(
                        500,
                        format!("Unexpected Slurm command response. exit_status:127 std_err:{NO_SBATCH}\n"),
                    ));
                }
                let id = slurm.submit(state, batch).map_err(|e| {
                    ApiError::new(
                        500,
                        format!("Unexpected Slurm command response. exit_status:1 std_err:{e}\n"),
                    )
                })?;
                Ok(json_resp(201, &json!({"jobId": id.to_string()})))
            }
            ("GET", [id]) => {
                let id = job_id(id)?;
                let job = slurm.get(id).ok_or_else(not_found)?;
                Ok(json_resp(200, &json!({"jobs": [render(id, &job)]})))
            }
            ("GET", [id, "metadata"]) => {
                let id = job_id(id)?;
                let j = slurm.get(id).ok_or_else(not_found)?;
                let meta = json!({"jobId": id.to_string(), "script": j.script, "standardInput": j.stdin,
                                  "standardOutput": j.stdout, "standardError": j.stderr});
                Ok(json_resp(200, &json!({"jobs": [meta]})))
            }
            // Accepted, not run: the emulator has no `srun --overlap` into a job's allocation.
            ("PUT", [id, "attach"]) => {
                let id = job_id(id)?;
                let body = json_body(req)?;
                if field_str(&body, &["command"]).is_none() {
                    return Err(ApiError::validation(
                        "body",
                        "command",
                        "missing",
                        "Field required",
                        &body,
                    ));
                }
                slurm.get(id).ok_or_else(not_found)?;
                Ok(no_content())
            }
            ("DELETE", [id]) => {
                job_id(id)?;
                slurm.scancel(id).map_err(|e| {
                    ApiError::new(
                        500,
                        format!("Unexpected Slurm command response. exit_status:1 std_err:{e}\n"),
                    )
                })?;
                Ok(no_content())
            }
            _ => Err(ApiError::new(404, "Not Found")),
        }
    }
}

/// A `JobDescription` (B9) as a batch job: the script text is spooled, or `scriptPath` read
/// through the sandbox; the working directory and output files resolve in `Slurm::submit`.
fn batch(state: &State, job: &Value) -> Result<Batch, ApiError> {
    let Some(dir) = field_str(job, &["workingDirectory", "working_directory"]) else {
        return Err(ApiError::validation(
            "body",
            "job",
            "missing",
            "Field required",
            job,
        ));
    };
    let text = |names: &[&str]| field_str(job, names).map(str::to_string);
    let (script, script_file, script_path) =
        match (text(&["script"]), text(&["scriptPath", "script_path"])) {
            (Some(script), _) => {
                let file = state.slurm.spool(&script).map_err(|e| {
                    ApiError::new(500, format!("Unable to store the job script: {e}"))
                })?;
                (script, file, None)
            }
            (None, Some(path)) => {
                let sp = ctx(state, MAX_OPS_FILE_SIZE).path(Some(&path))?;
                let script = std::fs::read_to_string(sp.target.obj()).map_err(|e| {
                    remote_failure(1, &format!("sbatch: error: Unable to open file {path}"), &e)
                })?;
                // Run from a copy taken now, as sbatch does: the file may change or move.
                let file = state.slurm.spool(&script).map_err(|e| {
                    ApiError::new(500, format!("Unable to store the job script: {e}"))
                })?;
                (script, file, Some(sp.remote))
            }
            (None, None) => {
                return Err(ApiError::validation(
                    "body",
                    "job",
                    "value_error",
                    "Value error, One of 'script' or 'scriptPath' must be set",
                    job,
                ))
            }
        };
    let env = match job.get("env") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        _ => vec![("F7T_version".to_string(), "v2.0.0".to_string())],
    };
    Ok(Batch {
        name: text(&["name"]),
        script,
        script_file,
        script_path,
        working_dir: dir.to_string(),
        account: text(&["account"]),
        partition: text(&["partition"]),
        stdin: text(&["standardInput", "standard_input"]),
        stdout: text(&["standardOutput", "standard_output"]),
        stderr: text(&["standardError", "standard_error"]),
        env,
    })
}

/// `/status/systems` as servers before 2.5.0 answered it: the (one) `dataOperation` beside the
/// systems, the transfer-job directives on each system.
fn before_2_5_0(systems: &mut Value) -> Value {
    let mut shared = Value::Null;
    for system in systems.as_array_mut().into_iter().flatten() {
        if let Some(Value::Object(mut op)) = system
            .as_object_mut()
            .and_then(|s| s.remove("dataOperation"))
        {
            let directives = op.remove("datatransfer_jobs_directives");
            system["datatransferJobsDirectives"] = directives.unwrap_or_else(|| json!([]));
            shared = Value::Object(op);
        }
    }
    json!({"systems": systems.take(), "dataOperation": shared})
}

/// The keys of a directives object as servers before 2.5.0 sent them (`parts_upload_urls`).
fn snake_case_keys(directives: Value) -> Value {
    let Value::Object(map) = directives else {
        return directives;
    };
    let snake = |key: &str| {
        key.chars().fold(String::new(), |mut out, c| {
            if c.is_ascii_uppercase() {
                out.push('_');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
            out
        })
    };
    Value::Object(map.into_iter().map(|(k, v)| (snake(&k), v)).collect())
}

/// `<user>/<uuid4>/<basename>`: bucket and key of a transfer's object.
fn object_name(remote: &str) -> String {
    let base = Path::new(remote)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    format!("{USER}/{}/{base}", uuid4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases() {
        let r = |v: &str| Release::parse(v).unwrap();
        assert!(r("2.4.0").snake_case_directives() && !r("2.4.0").job_list_filters());
        assert!(!r("2.5.0").snake_case_directives() && !r("2.5.6").job_list_filters());
        assert!(r("2.5.7").job_list_filters() && r(APP_VERSION).job_list_filters());
        for bad in ["", "2.5", "1.16.6", "2.5.x.1", "v2.5.0"] {
            assert!(Release::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn old_directive_spelling() {
        let camel = json!({"transferMethod": "s3", "partsUploadUrls": [], "maxPartSize": 1});
        let snake = json!({"transfer_method": "s3", "parts_upload_urls": [], "max_part_size": 1});
        assert_eq!(snake_case_keys(camel), snake);
    }
}
