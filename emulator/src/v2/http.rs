//! v2 emulator: FirecREST v2's error body (`ApiResponseError`) and the small request helpers
//! the v2 routes share.

use crate::exchange::Resp;
use crate::util::random_hex;
use serde_json::{json, Value};

/// An error reply in v2's `ApiResponseError` shape.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
    pub error_type: &'static str,
    pub data: Value,
    /// Unhandled server errors carry `user: null` and no request-id headers.
    pub unhandled: bool,
    pub headers: Vec<(String, String)>,
}

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            error_type: "error",
            data: Value::Null,
            unhandled: false,
            headers: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    /// FastAPI request validation, which FirecREST maps to 400 with `data.fields`.
    /// `message` mimics the lower-cased pydantic text (clients should read `data.fields`).
    pub fn validation(
        location: &str,
        name: &str,
        kind: &str,
        msg: &str,
        input: &Value,
    ) -> ApiError {
        let text = format!(
            "1 validation error:\n  {{'type': '{kind}', 'loc': ('{location}', '{name}'), 'msg': \"{msg}\", 'input': {input}}}"
        );
        ApiError {
            status: 400,
            message: capitalise_lower(&text),
            error_type: "validation",
            data: json!({"fields": [{"location": location, "name": name, "message": msg}]}),
            unhandled: false,
            headers: Vec::new(),
        }
    }

    /// A Python exception escaping a route: 500 whose message is the exception's args.
    pub fn unhandled(message: impl Into<String>) -> ApiError {
        ApiError {
            unhandled: true,
            ..ApiError::new(500, message)
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> ApiError {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// `user` is the authenticated name, when authentication got that far.
    pub fn into_resp(self, user: Option<&str>) -> Resp {
        let user = if self.unhandled { None } else { user };
        let body = json!({
            "errorType": self.error_type,
            "message": self.message,
            "causedBy": null,
            "data": self.data,
            "user": user,
        });
        let mut resp = json_resp(self.status, &body);
        if let Some(u) = user {
            resp = resp.header("f7t-authusername", u);
        }
        resp.headers.extend(self.headers);
        resp
    }
}

/// Python's `str.capitalize()`: first character upper, the rest lower.
fn capitalise_lower(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A JSON body field accepted under its camelCase or snake_case name (pydantic aliases).
pub(crate) fn field<'v>(body: &'v Value, names: &[&str]) -> Option<&'v Value> {
    names
        .iter()
        .find_map(|n| body.get(*n).filter(|v| !v.is_null()))
}

pub(crate) fn field_str<'v>(body: &'v Value, names: &[&str]) -> Option<&'v str> {
    field(body, names).and_then(Value::as_str)
}

/// A version-4 UUID string.
pub(crate) fn uuid4() -> String {
    let h = random_hex(16);
    let variant = ["8", "9", "a", "b"][usize::from_str_radix(&h[16..17], 16).unwrap_or(0) % 4];
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        variant,
        &h[17..20],
        &h[20..32]
    )
}

/// A JSON answer as FastAPI sends it (compact, no trailing newline).
pub(crate) fn json_resp(status: u16, value: &Value) -> Resp {
    Resp::new(status)
        .header("content-type", "application/json")
        .bytes(value.to_string().into_bytes())
}

/// FastAPI's 204: a JSON content type and no body.
pub(crate) fn no_content() -> Resp {
    Resp::new(204).header("content-type", "application/json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let u = uuid4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
