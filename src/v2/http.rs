//! v2 requests over the shared transport: JSON answers with the `F7T-AppVersion` header, v2
//! error bodies (`{"errorType","message","data":{"fields":[…]}}`) and S3 XML errors.

use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use crate::transfers::{self, DownloadSink, Retries};
use crate::transport::xml_field;
use crate::transport::{
    body_text, status_kind, ErrorResponse, JsonText, Method, Request, Response, Stream,
};
use serde_json::Value;

/// A successful v2 answer: the JSON body (`Null` for 204) and the server's version header.
pub(crate) struct Reply {
    pub(crate) body: Value,
    pub(crate) app_version: Option<String>,
}

/// A system name or job id as one URL path segment. The server routes on lower-cased paths,
/// so anything that could change the path's shape is refused here with a clear message.
pub(crate) fn segment(value: &str) -> Result<String> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok && value != "." && value != ".." {
        Ok(value.to_string())
    } else {
        Err(Error::invalid_argument(format!(
            "invalid system or job name {value:?}: letters, digits, '-', '_' and '.' only"
        )))
    }
}

fn build<'a>(method: Method, path: &str, query: &[(&str, String)], what: &str) -> Request<'a> {
    let mut req = Request::new(method, path)
        .context(what)
        .classifier(classify_v2);
    for (k, v) in query {
        req = req.query(k, v.clone());
    }
    req
}

fn reply(resp: Response) -> Result<Reply> {
    let app_version = resp.header("f7t-appversion").map(str::to_string);
    let context = resp.context().to_string();
    let bytes = resp.bytes()?;
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(|e| Error::from(e).context(&context))?
    };
    Ok(Reply { body, app_version })
}

pub(crate) fn get(c: &Session, path: &str, query: &[(&str, String)], what: &str) -> Result<Reply> {
    reply(c.send(build(Method::Get, path, query, what))?)
}

/// GET, the answer read whole, to be read straight into values that borrow from it (no
/// intermediate JSON value).
pub(crate) fn get_json_text(c: &Session, path: &str, query: &[(&str, String)]) -> Result<JsonText> {
    c.send(build(Method::Get, path, query, ""))?.json_text()
}

pub(crate) fn delete(
    c: &Session,
    path: &str,
    query: &[(&str, String)],
    what: &str,
) -> Result<Reply> {
    reply(c.send(build(Method::Delete, path, query, what))?)
}

pub(crate) fn send_json(
    c: &Session,
    method: Method,
    path: &str,
    body: Value,
    what: &str,
) -> Result<Reply> {
    reply(c.send(build(method, path, &[], what).json(body))?)
}

/// `ops/upload`: multipart with the file part `file` named `filename`, streamed.
pub(crate) fn upload(
    c: &Session,
    path: &str,
    query: &[(&str, String)],
    filename: &str,
    body: Stream<'_>,
    what: &str,
) -> Result<()> {
    let req = build(Method::Post, path, query, what).multipart(Vec::new(), "file", filename, body);
    c.send(req)?.discard();
    Ok(())
}

/// `ops/download`: the raw bytes into `sink`; checks the length the server announced. The
/// server answers a Range with the whole file (200), so a cut download starts over.
pub(crate) fn download(
    c: &Session,
    path: &str,
    query: &[(&str, String)],
    sink: &mut dyn DownloadSink,
    what: &str,
) -> Result<u64> {
    transfers::resumable_get(
        c,
        &|| build(Method::Get, path, query, what),
        what,
        sink,
        &mut |_, _| true,
        Retries::PerCall,
    )
}

/// v2 error bodies: 401/403/404/429 keep their kinds; anything else the server explains is
/// an `ApiError`. Validation errors list their fields (the `message` of those is the whole
/// lower-cased pydantic dump, with server source paths).
pub(crate) fn classify_v2(r: &ErrorResponse<'_>) -> Error {
    let body: Value = serde_json::from_slice(r.body).unwrap_or(Value::Null);
    let text = match (&body["errorType"], body["data"]["fields"].as_array()) {
        (Value::String(t), Some(fields)) if t == "validation" && !fields.is_empty() => {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| {
                    format!(
                        "{} {}: {}",
                        f["location"].as_str().unwrap_or("request"),
                        f["name"].as_str().unwrap_or("?"),
                        f["message"].as_str().unwrap_or("invalid")
                    )
                })
                .collect();
            format!("invalid request: {}", parts.join("; "))
        }
        _ => body_text(r.body),
    };
    let kind = match status_kind(r.status) {
        ErrorKind::Http if body["errorType"].is_string() => ErrorKind::ApiError,
        kind => kind,
    };
    let text = if text.is_empty() {
        "no explanation".to_string()
    } else {
        text
    };
    Error::new(kind, format!("{text} (HTTP {})", r.status))
        .context(r.context)
        .with_http_status(r.status)
}

/// S3's XML errors (`<Error><Code>…</Code><Message>…</Message>`), never the URL's signature.
pub(crate) fn classify_s3(r: &ErrorResponse<'_>) -> Error {
    let text = String::from_utf8_lossy(r.body);
    let kind = match r.status {
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        429 => ErrorKind::RateLimited,
        _ => ErrorKind::Http,
    };
    Error::new(
        kind,
        format!("{} (HTTP {})", s3_error_text(&text), r.status),
    )
    .context(r.context)
    .with_http_status(r.status)
}

/// `S3 <Code>: <Message>`, with a hint when a presigned URL has expired.
pub(crate) fn s3_error_text(xml: &str) -> String {
    let code = xml_field(xml, "Code").unwrap_or("error");
    let message = xml_field(xml, "Message").unwrap_or("").trim();
    let mut text = format!("S3 {code}: {message}");
    if message.to_ascii_lowercase().contains("expired") || code.contains("Expired") {
        text.push_str(" (the presigned URL has expired; start a new transfer)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert!(segment("cluster").is_ok());
        assert!(segment("a/b").is_err());
        assert!(segment("..").is_err());
        assert!(segment("").is_err());
    }

    #[test]
    fn s3_expired() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>\
                   <Message>Request has expired</Message></Error>";
        let t = s3_error_text(xml);
        assert!(t.starts_with("S3 AccessDenied: Request has expired"));
        assert!(t.contains("presigned URL has expired"));
    }
}
