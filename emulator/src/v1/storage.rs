//! `/storage/xfer-external/{upload,download,invalidate}`: transfers through the staging store,
//! as background tasks that move through the v1 states one `task_delay` apart.
//!
//! upload:   110 → 111 (presigned POST form) → [client POSTs the file] → 112 → 113 → 114
//!           (object copied to the target, then deleted); failures 115 (and 400 when the
//!           staged object is lost).
//! download: 100 → 116 → 117 (`data.url`, a presigned GET); failures 118, 400.
//! invalidate: deletes the task's staged objects (so its links stop working — unlike the real
//!           s3v4 server, whose object survives), then the task answers 302.

use super::errors::storage_header;
use super::tasks::Tasks;
use super::{check_machine, required, Call, Service};
use crate::atomic::AtomicFile;
use crate::exchange::Resp;
use crate::util::errtext;
use crate::{State, SYSTEM};
use serde_json::{json, Map, Value};
use std::fs::File;
use std::io;
use std::sync::Arc;

const SYSTEM_ADDR: &str = "127.0.0.1:22";

pub(super) fn route(tasks: &Arc<Tasks>, call: &mut Call, path: &str) -> Option<Resp> {
    if call.req.method != "POST" {
        return None;
    }
    Some(match path.trim_end_matches('/') {
        "/storage/xfer-external/upload" => upload(tasks, call).unwrap_or_else(|r| r),
        "/storage/xfer-external/download" => download(tasks, call).unwrap_or_else(|r| r),
        "/storage/xfer-external/invalidate" => invalidate(tasks, call),
        _ => return None,
    })
}

fn basename(p: &str) -> String {
    p.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string()
}

fn parent(p: &str) -> String {
    let t = p.trim_end_matches('/');
    match t.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => t[..i].to_string(),
        None => ".".to_string(),
    }
}

/// The server's "is this a directory the user can write" probe (it touches a hidden file).
fn writable_dir(state: &State, dir: &str) -> Result<(), String> {
    let probe = format!("{}/.firecrest-probe", dir.trim_end_matches('/'));
    let fail = |e: io::Error| format!("touch: cannot touch '{probe}': {}", errtext(&e));
    let (remote, local) = state.sandbox.resolve(dir, true).map_err(fail)?;
    let meta = local.metadata().map_err(fail)?;
    if !meta.is_dir() {
        return Err(fail(io::Error::from_raw_os_error(libc::ENOTDIR)));
    }
    state
        .sandbox
        .check_write(&format!("{}/x", remote.trim_end_matches('/')))
        .map_err(fail)
}

pub(super) fn task_created(id: &str) -> Resp {
    Resp::json(
        201,
        json!({"success": "Task created", "task_id": id, "task_url": format!("/tasks/{id}")}),
    )
}

fn upload(tasks: &Arc<Tasks>, call: &mut Call) -> Result<Resp, Resp> {
    check_machine(call, Service::Storage, "Failed operation")?;
    let target = required(call, "targetPath", "Failed to upload file")?;
    let source = required(call, "sourcePath", "Failed to upload file")?;
    let name = basename(&source);
    let state = call.state.clone();
    let final_path = if writable_dir(&state, &target).is_ok() {
        format!("{}/{name}", target.trim_end_matches('/'))
    } else {
        let dir = parent(&target);
        if let Err(stderr) = writable_dir(&state, &dir) {
            let (h, v) = storage_header(&stderr, &dir);
            return Err(Resp::json(
                400,
                json!({"description": "Failed to upload file", "error": "'targetPath' directory not allowed"}),
            )
            .header(h, v));
        }
        target.clone()
    };
    let id = tasks.create(&call.user, "storage", SYSTEM);
    let base = json!({
        "hash_id": id,
        "msg": "Waiting for Presigned URL to upload file to staging area (Amazon S3 - Signature v4)",
        "source": name,
        "status": "110",
        "system_addr": SYSTEM_ADDR,
        "system_name": SYSTEM,
        "target": final_path,
        "trace_id": "",
        "user": call.user,
    });
    tasks.update(&id, "110", base.clone());
    let job = Upload {
        tasks: tasks.clone(),
        state,
        id: id.clone(),
        user: call.user.clone(),
        source,
        name,
        target: final_path,
        base,
        fail: call.req.fail_transfer,
    };
    std::thread::spawn(move || job.run());
    Ok(task_created(&id))
}

struct Upload {
    tasks: Arc<Tasks>,
    state: Arc<State>,
    id: String,
    user: String,
    source: String,
    name: String,
    target: String,
    base: Value,
    fail: bool,
}

fn with(base: &Value, status: &str, msg: Value) -> Value {
    let mut d = base.as_object().cloned().unwrap_or_default();
    d.insert("status".into(), json!(status));
    d.insert("msg".into(), msg);
    Value::Object(d)
}

impl Upload {
    fn run(self) {
        let (tasks, state) = (&self.tasks, &self.state);
        let key = format!("{}/{}", self.id, self.name);
        if !state.task_step() {
            return;
        }
        let (url, fields) = state.store.post_form(&self.user, &key);
        let get_url = state.store.presign_get(&self.user, &key);
        let mut command = format!("curl -f --show-error -s -i -X POST {url}");
        for (k, v) in &fields {
            command.push_str(&format!(" -F '{k}={v}'"));
        }
        command.push_str(&format!(" -F file=@{}", self.source));
        let data: Map<String, Value> = fields.into_iter().map(|(k, v)| (k, json!(v))).collect();
        let msg = json!({
            "parameters": {"method": "POST", "url": url, "data": data, "files": self.source,
                           "json": {}, "params": {}, "headers": {}},
            "command": command,
            "action": format!("curl -f -s -G -o '{}' -- '{get_url}'", self.target),
            "cert": ["<the emulator uses no SSH certificate>", "/tmp/firecrest-emulator"],
            "download_url": get_url,
        });
        let d111 = with(&self.base, "111", msg);
        if !tasks.update(&self.id, "111", d111.clone()) {
            return;
        }
        // The server polls the store for the object, like the real storage service's loop.
        loop {
            if !state.task_step() || !tasks.is_live(&self.id) {
                return;
            }
            if state.store.exists(&self.user, &key) {
                break;
            }
        }
        tasks.update(&self.id, "112", d111.clone());
        let d113 = json!({"source": self.name, "system_addr": SYSTEM_ADDR, "system_name": SYSTEM, "target": self.target});
        if !state.task_step() || !tasks.update(&self.id, "113", d113.clone()) {
            return;
        }
        if !state.task_step() {
            return;
        }
        let lost = state.store.take_failed(&self.user, &key);
        if self.fail || lost {
            tasks.update(&self.id, "115", d111);
            if lost {
                state.store.delete(&self.user, &key);
                if state.task_step() {
                    tasks.update(
                        &self.id,
                        "400",
                        json!("File was deleted from staging area. Start a new upload process"),
                    );
                }
            }
            return;
        }
        match self.copy_in(&key) {
            Ok(()) => {
                state.store.delete(&self.user, &key);
                tasks.update(&self.id, "114", d113);
            }
            Err(_) => {
                tasks.update(&self.id, "115", d111);
            }
        }
    }

    /// The cluster's `curl -o target <presigned GET>`: streamed, renamed into place when whole.
    fn copy_in(&self, key: &str) -> io::Result<()> {
        let state = &self.state;
        let object = state
            .store
            .object_file(&self.user, key)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        let (remote, local) = state.sandbox.resolve(&self.target, true)?;
        state.sandbox.check_write(&remote)?;
        let mut out = AtomicFile::create_in(&local)?;
        io::copy(&mut File::open(object)?, &mut out)?;
        out.commit()
    }
}

fn download(tasks: &Arc<Tasks>, call: &mut Call) -> Result<Resp, Resp> {
    check_machine(call, Service::Storage, "Failed operation")?;
    let source = required(call, "sourcePath", "Failed to download file")?;
    let state = call.state.clone();
    if let Err(stderr) = readable_file(&state, &source) {
        let (h, v) = storage_header(&stderr, &source);
        return Err(Resp::json(400, json!({"description": "sourcePath error"})).header(h, v));
    }
    let id = tasks.create(&call.user, "storage", SYSTEM);
    let job = Download {
        tasks: tasks.clone(),
        state,
        id: id.clone(),
        user: call.user.clone(),
        source,
        fail: call.req.fail_transfer,
    };
    std::thread::spawn(move || job.run());
    Ok(task_created(&id))
}

/// The server's `head -c 1` probe; Ok with the open file.
fn readable_file(state: &State, path: &str) -> Result<File, String> {
    let fail = |e: io::Error| format!("head: cannot open '{path}' for reading: {}", errtext(&e));
    let (remote, local) = state.sandbox.resolve(path, true).map_err(fail)?;
    state.sandbox.check_read(&remote).map_err(fail)?;
    let meta = local.metadata().map_err(fail)?;
    if meta.is_dir() {
        return Err(format!("head: error reading '{path}': Is a directory"));
    }
    File::open(local.obj()).map_err(fail)
}

struct Download {
    tasks: Arc<Tasks>,
    state: Arc<State>,
    id: String,
    user: String,
    source: String,
    fail: bool,
}

impl Download {
    fn run(self) {
        let (tasks, state) = (&self.tasks, &self.state);
        let name = basename(&self.source);
        let key = format!("{}/{name}", self.id);
        let data = |extra: Option<(&str, String)>| {
            let mut d = json!({"source": self.source, "system_name": SYSTEM});
            if let Some((k, v)) = extra {
                d[k] = json!(v);
            }
            d
        };
        if !state.task_step() || !tasks.update(&self.id, "116", data(None)) {
            return;
        }
        if !state.task_step() {
            return;
        }
        let staging_failed =
            |why: &str| format!("Upload to Staging area has failed. Object: {name}. {why}");
        if self.fail {
            tasks.update(
                &self.id,
                "118",
                data(Some((
                    "error",
                    staging_failed("curl: (22) The requested URL returned error: 500"),
                ))),
            );
            return;
        }
        let mut file = match readable_file(state, &self.source) {
            Ok(f) => f,
            Err(e) => {
                tasks.update(&self.id, "400", data(Some(("error", e))));
                return;
            }
        };
        let too_big = file
            .metadata()
            .is_ok_and(|m| m.len() > state.store.max_object());
        if too_big {
            tasks.update(
                &self.id,
                "118",
                data(Some((
                    "error",
                    staging_failed(
                        "curl: (22) The requested URL returned error: 400 (EntityTooLarge)",
                    ),
                ))),
            );
            return;
        }
        if let Err(e) = state.store.put_file(&self.user, &key, &mut file) {
            tasks.update(
                &self.id,
                "118",
                data(Some(("error", staging_failed(&errtext(&e))))),
            );
            return;
        }
        let url = state.store.presign_get(&self.user, &key);
        if !tasks.update(&self.id, "117", data(Some(("url", url)))) {
            state.store.delete(&self.user, &key);
        }
    }
}

fn invalidate(tasks: &Tasks, call: &mut Call) -> Resp {
    let bad = |e: &str| Resp::json(400, json!({ "error": e }));
    let Some(id) = call.req.header("X-Task-Id") else {
        return bad("Header X-Task-Id missing");
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return bad("Header X-Task-Id is not alphanumeric");
    }
    match tasks.get(&id) {
        Some(t) if t.user == call.user && t.service == "storage" => {}
        _ => return bad("Invalid X-Task-Id"),
    }
    // The real server fails with an unhandled exception when the prefix holds no object.
    if call.state.store.delete_prefix(&call.user, &id) == 0 {
        return Resp::flask_500();
    }
    tasks.invalidate(&id);
    Resp::json(201, json!({"success": "URL invalidated successfully"}))
}
