//! FirecREST v1 routes: status, utilities, tasks and external transfers, as the real v1.16
//! micro-services answer behind their gateway (one base URL).

mod archive;
mod compute;
mod errors;
mod fsops;
mod status;
mod storage;
mod tasks;
mod utilities;

use super::exchange::{Req, Resp};
use super::server::Api;
use super::tokens::{bearer, Tokens};
use super::{State, OFFLINE_SYSTEM, SYSTEM};
use serde_json::json;
use std::sync::Arc;
use tasks::Tasks;

/// Largest form body read for non-file requests.
const FORM_LIMIT: u64 = 1024 * 1024;
/// UTILITIES_MAX_FILE_SIZE, MiB.
pub(crate) const UTILITIES_MAX_MB: u64 = 5;
pub(crate) const UTILITIES_MAX_BYTES: u64 = UTILITIES_MAX_MB * 1024 * 1024;

pub(crate) struct V1 {
    tasks: Arc<Tasks>,
}

impl V1 {
    pub fn new() -> V1 {
        V1 {
            tasks: Arc::new(Tasks::new()),
        }
    }
}

/// A request being served, with its parameters (query for GET, form fields otherwise).
pub(crate) struct Call<'a> {
    pub state: &'a Arc<State>,
    pub req: &'a mut Req,
    pub params: Vec<(String, String)>,
    pub user: String,
}

impl Call<'_> {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.param(name).is_some()
    }

    /// FirecREST's boolean: "true", "yes", "1" (any case).
    pub fn flag(&self, name: &str) -> bool {
        self.param(name)
            .is_some_and(|v| ["true", "yes", "1"].contains(&v.to_ascii_lowercase().as_str()))
    }
}

/// The characters FirecREST refuses in path and name parameters.
pub(crate) fn has_forbidden_char(s: &str) -> bool {
    s.chars()
        .any(|c| "<>|;\"'&\\()`".contains(c) || (c as u32) < 0x20)
}

/// A required, checked parameter: `'<name>' not specified` / `is empty` / `has invalid char`.
pub(crate) fn required(call: &Call, name: &str, description: &str) -> Result<String, Resp> {
    match call.param(name) {
        None => Err(errors::bad_request(
            description,
            &format!("'{name}' not specified"),
        )),
        Some("") => Err(errors::bad_request(
            description,
            &format!("'{name}' is empty"),
        )),
        Some(v) if has_forbidden_char(v) => Err(errors::bad_request(
            description,
            &format!("'{name}' has invalid char"),
        )),
        Some(v) => Ok(v.to_string()),
    }
}

/// An optional parameter, still checked for forbidden characters.
pub(crate) fn optional(call: &Call, name: &str, description: &str) -> Result<Option<String>, Resp> {
    match call.param(name) {
        Some(v) if has_forbidden_char(v) => Err(errors::bad_request(
            description,
            &format!("'{name}' has invalid char"),
        )),
        v => Ok(v.map(str::to_string)),
    }
}

/// How each service words an unknown machine (the storage and compute header has a trailing s).
#[derive(Clone, Copy)]
pub(crate) enum Service {
    Utilities,
    Storage,
}

/// Checks `X-Machine-Name`; `description` is the service's text for this operation.
pub(crate) fn check_machine(call: &Call, service: Service, description: &str) -> Result<(), Resp> {
    let Some(machine) = call.req.header("X-Machine-Name") else {
        return Err(Resp::json(
            400,
            json!({"description": "No machine name given"}),
        ));
    };
    if machine == SYSTEM {
        return Ok(());
    }
    if machine == OFFLINE_SYSTEM {
        return Err(Resp::json(
            400,
            json!({"description": description, "error": "Machine is not available"}),
        )
        .header("X-Machine-Not-Available", "Machine is not available"));
    }
    let (name, text) = match service {
        Service::Utilities => ("X-Machine-Does-Not-Exist", "Machine does not exist"),
        Service::Storage => ("X-Machine-Does-Not-Exists", "Machine does not exists"),
    };
    Err(Resp::json(400, json!({"description": description, "error": text})).header(name, text))
}

fn unauthorized(text: &str) -> Resp {
    Resp::json(401, json!({ "description": text }))
}

impl Api for V1 {
    fn handle(&self, state: &Arc<State>, req: &mut Req) -> Option<Resp> {
        let path = req.path.clone();
        let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
        if !["status", "utilities", "tasks", "storage", "compute"].contains(&service) {
            return None;
        }
        let user = match super::tokens::api_key_user(state, req) {
            Some(Ok(user)) => user,
            Some(Err(text)) => return Some(Resp::json(401, json!({ "message": text }))),
            None => {
                let Some(token) = bearer(req) else {
                    return Some(unauthorized("No Auth Header given"));
                };
                match state.tokens.verify(&token) {
                    Ok(claims) => Tokens::username(&claims),
                    Err(e) => return Some(unauthorized(e.v1_text())),
                }
            }
        };
        let is_upload = path == "/utilities/upload" || path == "/compute/jobs/upload";
        let params = if req.method == "GET"
            || is_upload
            || path.starts_with("/storage/xfer-external/invalidate")
        {
            req.query.clone()
        } else {
            req.form(FORM_LIMIT).unwrap_or_default()
        };
        let mut call = Call {
            state,
            req,
            params,
            user,
        };
        match service {
            "status" => status::route(&mut call, &path),
            "utilities" => utilities::route(&mut call, &path),
            "tasks" => tasks::route(&self.tasks, &mut call, &path),
            "storage" => storage::route(&self.tasks, &mut call, &path),
            "compute" => compute::route(&self.tasks, &mut call, &path),
            _ => None,
        }
    }
}
