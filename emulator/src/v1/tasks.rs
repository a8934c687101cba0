//! The v1 task registry and `/tasks`. Status codes are strings; the single form wraps the task
//! in `{"task": …}`, adds `task_url` and strips `data.msg.{cert,action,download_url}`; the list
//! form is an object keyed by id holding the stored records as they are.
//!
//! Invalidation follows the recorded server: the single form answers 302 at once, while the
//! list form keeps the stored record until it expires 300 s later.

use super::{has_forbidden_char, Call};
use crate::exchange::Resp;
use crate::util::{iso_time, now_secs, random_hex};
use md5::{Digest, Md5};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// After an invalidation the list form drops the task after this long (Redis TTL).
const INVALIDATED_TTL: i64 = 300;

pub(crate) fn description(status: &str) -> &'static str {
    match status {
        "100" => "Queued",
        "101" => "In progress",
        "110" => "Waiting for Form URL from Object Storage to be retrieved",
        "111" => "Form URL from Object Storage received",
        "112" => "Object Storage confirms that upload to Object Storage has finished",
        "113" => "Download from Object Storage to server has started",
        "114" => "Download from Object Storage to server has finished",
        "115" => "Download from Object Storage error",
        "116" => "Started upload from filesystem to Object Storage",
        "117" => "Upload from filesystem to Object Storage has finished succesfully",
        "118" => "Upload from filesystem to Object Storage has finished with errors",
        "200" => "Finished successfully",
        "300" => "Deleted on request",
        "301" => "Marked for expiration in persistence",
        "302" => "Task not longer valid",
        _ => "Finished with errors",
    }
}

#[derive(Clone)]
pub(crate) struct Task {
    pub id: String,
    pub user: String,
    pub service: String,
    pub system: String,
    pub status: String,
    pub data: Value,
    created: i64,
    updated: i64,
    invalidated_at: Option<i64>,
}

impl Task {
    fn record(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("task_id".into(), json!(self.id));
        m.insert("hash_id".into(), json!(self.id));
        m.insert("user".into(), json!(self.user));
        m.insert("service".into(), json!(self.service));
        m.insert("system".into(), json!(self.system));
        m.insert("status".into(), json!(self.status));
        m.insert("description".into(), json!(description(&self.status)));
        m.insert("data".into(), self.data.clone());
        m.insert("created_at".into(), json!(iso_time(self.created)));
        m.insert("updated_at".into(), json!(iso_time(self.updated)));
        m.insert("last_modify".into(), json!(iso_time(self.updated)));
        m
    }

    /// `GET /tasks/<id>`.
    fn single(&self) -> Value {
        let mut m = self.record();
        if let Some(at) = self.invalidated_at {
            m.insert("status".into(), json!("302"));
            m.insert("description".into(), json!(description("302")));
            m.insert("data".into(), json!(""));
            m.insert("updated_at".into(), json!(iso_time(at)));
            m.insert("last_modify".into(), json!(iso_time(at)));
        }
        if let Some(msg) = m
            .get_mut("data")
            .and_then(|d| d.get_mut("msg"))
            .and_then(Value::as_object_mut)
        {
            for k in ["cert", "action", "download_url"] {
                msg.remove(k);
            }
        }
        m.insert("task_url".into(), json!(format!("/tasks/{}", self.id)));
        Value::Object(m)
    }
}

pub(crate) struct Tasks {
    map: Mutex<HashMap<String, Task>>,
    counter: AtomicU64,
    nonce: String,
}

impl Tasks {
    pub fn new() -> Tasks {
        Tasks {
            map: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
            nonce: random_hex(8),
        }
    }

    /// A new task at 100 ("Queued"); its id is an md5 hex like the server's.
    pub fn create(&self, user: &str, service: &str, system: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let id = hex::encode(Md5::digest(format!("{user}-{n}-{}", self.nonce)));
        let now = now_secs();
        self.map.lock().unwrap_or_else(|e| e.into_inner()).insert(
            id.clone(),
            Task {
                id: id.clone(),
                user: user.to_string(),
                service: service.to_string(),
                system: system.to_string(),
                status: "100".to_string(),
                data: json!("Queued"),
                created: now,
                updated: now,
                invalidated_at: None,
            },
        );
        id
    }

    /// Moves a task on; false if it was invalidated or is gone (its worker should stop).
    pub fn update(&self, id: &str, status: &str, data: Value) -> bool {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(id) {
            Some(t) if t.invalidated_at.is_none() => {
                t.status = status.to_string();
                t.data = data;
                t.updated = now_secs();
                true
            }
            _ => false,
        }
    }

    pub fn get(&self, id: &str) -> Option<Task> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    pub fn is_live(&self, id: &str) -> bool {
        self.get(id).is_some_and(|t| t.invalidated_at.is_none())
    }

    pub fn invalidate(&self, id: &str) {
        if let Some(t) = self
            .map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(id)
        {
            t.invalidated_at.get_or_insert(now_secs());
        }
    }

    fn list(&self, user: &str, ids: Option<&[&str]>) -> Value {
        let now = now_secs();
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Map::new();
        let visible = |t: &Task| {
            t.user == user && t.invalidated_at.is_none_or(|at| now - at < INVALIDATED_TTL)
        };
        match ids {
            Some(ids) => {
                for id in ids {
                    if let Some(t) = map.get(*id).filter(|t| visible(t)) {
                        out.insert(t.id.clone(), Value::Object(t.record()));
                    }
                }
            }
            None => {
                for t in map.values().filter(|t| visible(t)) {
                    out.insert(t.id.clone(), Value::Object(t.record()));
                }
            }
        }
        Value::Object(out)
    }
}

pub(super) fn route(tasks: &Tasks, call: &mut Call, path: &str) -> Option<Resp> {
    if call.req.method != "GET" {
        return None;
    }
    let rest = path.trim_start_matches("/tasks").trim_matches('/');
    if rest.is_empty() {
        let ids = call.param("tasks").map(str::to_string);
        if let Some(ids) = &ids {
            if has_forbidden_char(ids) {
                return Some(Resp::json(
                    400,
                    json!({"description": "Failed to retrieve tasks information", "error": "'tasks' has invalid char"}),
                ));
            }
        }
        let list: Option<Vec<&str>> = ids.as_deref().map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        });
        return Some(Resp::json(
            200,
            json!({"tasks": tasks.list(&call.user, list.as_deref())}),
        ));
    }
    if rest.contains('/') {
        return None;
    }
    Some(match tasks.get(rest) {
        None => Resp::json(404, json!({"error": format!("Task {rest} does not exist")})),
        Some(t) if t.user != call.user => Resp::json(
            403,
            json!({"description": "Operation not permitted. Invalid task owner."}),
        ),
        Some(t) => Resp::json(200, json!({"task": t.single()})),
    })
}
