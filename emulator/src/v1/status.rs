//! `/status/*`: services, systems, parameters, filesystems.

use super::{Call, UTILITIES_MAX_MB};
use crate::exchange::Resp;
use crate::{OFFLINE_SYSTEM, SYSTEM};
use serde_json::{json, Value};

const SERVICES: [&str; 6] = [
    "utilities",
    "certificator",
    "compute",
    "tasks",
    "storage",
    "reservations",
];

fn service(name: &str) -> Value {
    json!({"service": name, "status": "available", "status_code": 200, "description": "server up & flask running"})
}

fn system(name: &str) -> Option<Value> {
    match name {
        SYSTEM => {
            Some(json!({"system": SYSTEM, "status": "available", "description": "System ready"}))
        }
        OFFLINE_SYSTEM => Some(
            json!({"system": OFFLINE_SYSTEM, "status": "not available", "description": "System does not accept connections"}),
        ),
        _ => None,
    }
}

fn filesystems(name: &str) -> Option<Value> {
    let (status, code) = match name {
        SYSTEM => ("available", 200),
        OFFLINE_SYSTEM => ("not available", 400),
        _ => return None,
    };
    Some(
        json!([{"name": "HOME", "path": "/home", "description": "Users home filesystem", "status": status, "status_code": code}]),
    )
}

fn param(name: &str, value: Value, unit: &str, description: &str) -> Value {
    json!({"name": name, "value": value, "unit": unit, "description": description})
}

fn parameters(call: &Call) -> Value {
    let storage_mb = call.state.store.max_object() / (1024 * 1024);
    json!({
        "compute": [param("WORKLOAD_MANAGER", json!("Slurm"), "", "Type of resource and workload manager used in compute microservice.")],
        "general": [
            param("FIRECREST_VERSION", json!("v1.16.6"), "", "FirecREST version."),
            param("FIRECREST_BUILD", json!("firecrest-emulator"), "", "FirecREST build timestamp."),
        ],
        "storage": [
            param("OBJECT_STORAGE", json!("s3v4"), "", "Type of object storage, like `swift`, `s3v2` or `s3v4`."),
            param("STORAGE_TEMPURL_EXP_TIME", json!(call.state.store.url_ttl().to_string()), "seconds", "Expiration time for temp URLs."),
            param("STORAGE_MAX_FILE_SIZE", json!(storage_mb.to_string()), "MB", "Maximum file size for temp URLs."),
            param("FILESYSTEMS", json!([{"system": SYSTEM, "mounted": ["/home"]}, {"system": OFFLINE_SYSTEM, "mounted": ["/home"]}]), "", "Available filesystems through the API."),
        ],
        "utilities": [
            param("UTILITIES_MAX_FILE_SIZE", json!(UTILITIES_MAX_MB.to_string()), "MB", "The maximum allowable file size for various operations of the utilities microservice."),
            param("UTILITIES_TIMEOUT", json!("5"), "seconds", "Maximum time duration for executing the commands in the cluster for the utilities microservice."),
        ],
    })
}

pub(super) fn route(call: &mut Call, path: &str) -> Option<Resp> {
    if call.req.method != "GET" {
        return None;
    }
    let rest: Vec<&str> = path
        .trim_start_matches("/status")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    Some(match rest.as_slice() {
        ["services"] => Resp::json(
            200,
            json!({"description": "List of services with status and description.",
                   "out": SERVICES.iter().map(|s| service(s)).collect::<Vec<_>>()}),
        ),
        ["services", name] => {
            if SERVICES.contains(name) {
                Resp::json(200, service(name))
            } else {
                Resp::json(
                    404,
                    json!({"description": "Service does not exists", "status_code": 404}),
                )
            }
        }
        ["systems"] => Resp::json(
            200,
            json!({"description": "List of systems with status and description.",
                   "out": [system(SYSTEM), system(OFFLINE_SYSTEM)]}),
        ),
        ["systems", name] => match system(name) {
            Some(s) => Resp::json(200, json!({"description": "System information", "out": s})),
            None => Resp::json(404, json!({"description": "System does not exists."})),
        },
        ["parameters"] => Resp::json(
            200,
            json!({"description": "Firecrest's parameters", "out": parameters(call)}),
        ),
        ["filesystems"] => Resp::json(
            200,
            json!({"description": "Filesystem information",
                   "out": {SYSTEM: filesystems(SYSTEM), OFFLINE_SYSTEM: filesystems(OFFLINE_SYSTEM)}}),
        ),
        ["filesystems", name] => {
            let description = format!("Filesystem information for system {name}");
            match filesystems(name) {
                Some(fs) => Resp::json(200, json!({"description": description, "out": fs})),
                None => Resp::json(
                    404,
                    json!({"description": description, "out": format!("System '{name}' doesn't exist")}),
                ),
            }
        }
        _ => return None,
    })
}
