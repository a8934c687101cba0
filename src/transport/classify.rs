//! Error answers and failures as [`Error`]s: FirecREST's `X-*` error headers, the human text of
//! JSON, XML (S3) and HTML error bodies, and ureq's transport failures.

use crate::error::{Error, ErrorKind};
use std::io;
use ureq::http::{self, HeaderMap};

/// How much of an error body goes into a message.
const MAX_ERROR_TEXT: usize = 600;

/// Turns an error answer into an `Error`. Give one to [`Request::classifier`](super::Request::classifier) to replace
/// [`classify_default`] (v2 bodies, the token endpoint).
pub(crate) type Classifier = fn(&ErrorResponse<'_>) -> Error;

/// An error answer as the classifier sees it: the body has been read (up to a limit).
pub(crate) struct ErrorResponse<'a> {
    pub(crate) status: u16,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    /// What was being done ("list_files cluster:/home/x"); the message starts with it.
    pub(crate) context: &'a str,
}

/// The default classification: FirecREST's `X-*` error header first (ApiError, except
/// `X-Permission-Denied` → Forbidden), then the HTTP status. The message is
/// `<context>: <FirecREST's text> (HTTP <status>[, <header>: <value>])`.
pub(crate) fn classify_default(r: &ErrorResponse<'_>) -> Error {
    let header = firecrest_error_header(r.headers).or_else(|| {
        if r.status >= 400 {
            other_x_header(r.headers)
        } else {
            None
        }
    });
    let kind = match (&header, r.status) {
        (Some((name, _)), _) if name.eq_ignore_ascii_case("X-Permission-Denied") => {
            ErrorKind::Forbidden
        }
        (Some(_), _) => ErrorKind::ApiError,
        (None, status) => status_kind(status),
    };
    let text = body_text(r.body);
    let mut detail = format!("HTTP {}", r.status);
    if let Some((n, v)) = &header {
        detail.push_str(&format!(", {n}: {v}"));
    }
    let message = if text.is_empty() {
        match &header {
            Some((_, v)) if !v.is_empty() => format!("{v} ({detail})"),
            _ => format!("{} ({detail})", status_reason(r.status)),
        }
    } else {
        format!("{text} ({detail})")
    };
    let mut err = Error::new(kind, message)
        .context(r.context)
        .with_http_status(r.status);
    if let Some((n, v)) = header {
        err = err.with_error_header(n, v);
    }
    err
}

/// The kind an error status has when nothing more specific is known.
pub(crate) fn status_kind(status: u16) -> ErrorKind {
    match status {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        429 => ErrorKind::RateLimited,
        _ => ErrorKind::Http,
    }
}

/// FirecREST v1's error headers, on any status. Both spellings of
/// `X-Machine-Does-Not-Exist(s)` are in the list.
const FIRECREST_ERROR_HEADERS: &[&str] = &[
    "x-machine-does-not-exist",
    "x-machine-does-not-exists",
    "x-machine-not-available",
    "x-permission-denied",
    "x-invalid-path",
    "x-not-found",
    "x-exists",
    "x-not-a-directory",
    "x-a-directory",
    "x-invalid-owner",
    "x-invalid-group",
    "x-invalid-mode",
    "x-size-limit",
    "x-timeout",
    "x-error",
    "x-sbatch-error",
];

/// `X-*` headers that describe the exchange, not an error (v2, gateways, S3).
const INFORMATIONAL_X_HEADERS: &[&str] = &[
    "x-request-id",
    "x-correlation-id",
    "x-content-type-options",
    "x-frame-options",
    "x-xss-protection",
    "x-powered-by",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-kong-upstream-latency",
    "x-kong-proxy-latency",
    "x-kong-response-latency",
    "x-kong-request-id",
];

/// The FirecREST error header of an answer, with its canonical name ("X-Invalid-Path"); where
/// an answer has several, the one listed first above.
///
/// Every answer is checked, so this is one pass over its few headers: `HeaderMap::get` parses
/// the name it is given each time, and asking for each known name cost more than the rest of
/// a small call's own work.
pub(crate) fn firecrest_error_header(headers: &HeaderMap) -> Option<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-"))
        .filter_map(|(name, v)| {
            let rank = FIRECREST_ERROR_HEADERS
                .iter()
                .position(|known| *known == name.as_str())?;
            Some((rank, name, v))
        })
        .min_by_key(|(rank, _, _)| *rank)
        .map(|(_, name, v)| (canonical_header_name(name.as_str()), header_value(v)))
}

/// Any other `X-*` header of an error answer that is not known to be informational: FirecREST
/// versions add headers, and a header we do not know is better shown than dropped.
fn other_x_header(headers: &HeaderMap) -> Option<(String, String)> {
    headers.iter().find_map(|(name, v)| {
        let n = name.as_str();
        let informational = INFORMATIONAL_X_HEADERS.contains(&n)
            || n.starts_with("x-amz")
            || n.starts_with("x-ratelimit")
            || n.starts_with("x-rate-limit");
        (n.starts_with("x-") && !informational).then(|| (canonical_header_name(n), header_value(v)))
    })
}

fn header_value(v: &http::HeaderValue) -> String {
    String::from_utf8_lossy(v.as_bytes()).trim().to_string()
}

fn canonical_header_name(lower: &str) -> String {
    lower
        .split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// FirecREST's human text from an error body: `error`, else `description`, else `message`
/// (v1 services, v1 gateway, v2); a non-JSON body is shown as text, shortened.
pub(crate) fn body_text(body: &[u8]) -> String {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        for key in [
            "error",
            "description",
            "message",
            "error_description",
            "detail",
        ] {
            match map.get(key) {
                Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {
                    return shorten(s.trim());
                }
                Some(v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                    return shorten(&v.to_string());
                }
                _ => {}
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.starts_with('<') && text.contains("<Error>") {
        // An S3 error document: <Error><Code>EntityTooLarge</Code><Message>…</Message>.
        let code = xml_field(text, "Code").unwrap_or("").trim();
        let message = xml_field(text, "Message").unwrap_or("").trim();
        let joined = [code, message]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(": ");
        if !joined.is_empty() {
            return shorten(&joined);
        }
    }
    if text.starts_with('<') && text.to_ascii_lowercase().contains("<html") {
        // An HTML error page: its title is the useful part.
        if let Some(title) = between(text, "<title>", "</title>") {
            return shorten(title.trim());
        }
    }
    shorten(text)
}

/// The text of the first `<tag>…</tag>` (tag names in any case): S3's XML errors.
pub(crate) fn xml_field<'t>(xml: &'t str, tag: &str) -> Option<&'t str> {
    let tag = tag.to_ascii_lowercase();
    between(xml, &format!("<{tag}>"), &format!("</{tag}>"))
}

/// The text between `start` and `end` (both lower-case; `text` is matched in any case).
fn between<'t>(text: &'t str, start: &str, end: &str) -> Option<&'t str> {
    let lower = text.to_ascii_lowercase();
    let a = lower.find(start)? + start.len();
    let b = lower[a..].find(end)? + a;
    text.get(a..b)
}

fn shorten(s: &str) -> String {
    if s.len() <= MAX_ERROR_TEXT {
        return s.to_string();
    }
    let mut end = MAX_ERROR_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn status_reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("error")
}

/// ureq's failures as our transport kinds.
pub(crate) fn map_ureq_error(e: ureq::Error) -> Error {
    use ureq::Error as U;
    let kind = match &e {
        U::Timeout(_) => ErrorKind::Timeout,
        U::HostNotFound => ErrorKind::Dns,
        U::ConnectionFailed => ErrorKind::Connect,
        U::Io(io) => return io_error(io),
        U::Tls(_) | U::Pem(_) | U::Rustls(_) | U::TlsRequired => ErrorKind::Tls,
        U::InvalidProxyUrl | U::ConnectProxyFailed(_) => ErrorKind::Proxy,
        U::BadUri(_) | U::Http(_) | U::RequireHttpsOnly(_) => ErrorKind::InvalidArgument,
        U::BodyExceedsLimit(_) => ErrorKind::Http,
        _ => ErrorKind::Transport,
    };
    Error::new(kind, e.to_string())
}

/// An `io::Error` from reading or writing a body: ureq's own errors travel inside it.
pub(crate) fn io_error(e: &io::Error) -> Error {
    // rustls reports a refused certificate or a failed handshake as an I/O error carrying its
    // own error: that is TLS, not the local disk or the network.
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return Error::new(ErrorKind::Tls, inner.to_string());
    }
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
        let kind = match inner {
            ureq::Error::Timeout(_) => ErrorKind::Timeout,
            ureq::Error::HostNotFound => ErrorKind::Dns,
            ureq::Error::ConnectionFailed => ErrorKind::Connect,
            _ => ErrorKind::Transport,
        };
        return Error::new(kind, inner.to_string());
    }
    let kind = match e.kind() {
        io::ErrorKind::ConnectionRefused => ErrorKind::Connect,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ErrorKind::Timeout,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::NotConnected => ErrorKind::Transport,
        _ => ErrorKind::Io,
    };
    Error::new(kind, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_error_header_listed_first_wins_whatever_the_answer_order() {
        // HeaderMap keeps insertion order: the generic header comes first in the answer.
        let h = headers(&[
            ("x-request-id", "abc"),
            ("x-error", "generic"),
            ("x-permission-denied", "/home/x: permission denied"),
        ]);
        assert_eq!(
            firecrest_error_header(&h),
            Some((
                "X-Permission-Denied".into(),
                "/home/x: permission denied".into()
            ))
        );
        let h = headers(&[
            ("x-request-id", "abc"),
            ("content-type", "application/json"),
        ]);
        assert_eq!(firecrest_error_header(&h), None);
    }

    #[test]
    fn classification_prefers_x_headers_and_keeps_the_text() {
        let h = headers(&[("x-invalid-path", "/home/x is an invalid path")]);
        let e = classify_default(&ErrorResponse {
            status: 400,
            headers: &h,
            body:
                br#"{"description":"Error on ls operation","error":"ls: cannot access '/home/x'"}"#,
            context: "list_files cluster:/home/x",
        });
        assert_eq!(e.kind(), ErrorKind::ApiError);
        assert_eq!(e.http_status(), 400);
        assert_eq!(
            e.error_header(),
            Some(("X-Invalid-Path", "/home/x is an invalid path"))
        );
        assert!(e
            .message()
            .starts_with("list_files cluster:/home/x: ls: cannot access"));

        let h = headers(&[("x-machine-does-not-exists", "Machine does not exists")]);
        let e = classify_default(&ErrorResponse {
            status: 400,
            headers: &h,
            body: b"{}",
            context: "external_download nope:/a",
        });
        assert_eq!(e.kind(), ErrorKind::ApiError);
        assert!(
            e.message().contains("Machine does not exists"),
            "{}",
            e.message()
        );

        let h = headers(&[("x-permission-denied", "User does not have permissions")]);
        let e = classify_default(&ErrorResponse {
            status: 400,
            headers: &h,
            body: br#"{"description":"d"}"#,
            context: "c",
        });
        assert_eq!(e.kind(), ErrorKind::Forbidden);

        let h = headers(&[("x-request-id", "abc")]);
        for (status, kind) in [
            (401, ErrorKind::Unauthorized),
            (403, ErrorKind::Forbidden),
            (404, ErrorKind::NotFound),
            (429, ErrorKind::RateLimited),
            (413, ErrorKind::Http),
        ] {
            let e = classify_default(&ErrorResponse {
                status,
                headers: &h,
                body: br#"{"message":"gateway says no"}"#,
                context: "c",
            });
            assert_eq!(e.kind(), kind, "status {status}");
            assert_eq!(e.error_header(), None);
            assert!(e.message().contains("gateway says no"));
        }
        let h = headers(&[("x-brand-new-error", "something")]);
        let e = classify_default(&ErrorResponse {
            status: 400,
            headers: &h,
            body: b"",
            context: "c",
        });
        assert_eq!(e.kind(), ErrorKind::ApiError);
        assert_eq!(e.error_header(), Some(("X-Brand-New-Error", "something")));
    }

    #[test]
    fn body_text_order() {
        assert_eq!(body_text(br#"{"description":"d","error":"e"}"#), "e");
        assert_eq!(body_text(br#"{"description":"d"}"#), "d");
        assert_eq!(body_text(br#"{"message":"m"}"#), "m");
        assert_eq!(
            body_text(b"<html><head><title>500 Internal Server Error</title></head></html>"),
            "500 Internal Server Error"
        );
        assert_eq!(body_text(b"  plain  "), "plain");
        assert_eq!(
            body_text(
                b"<?xml version=\"1.0\"?>\n<Error><Code>EntityTooLarge</Code>\n<Message>Too big</Message></Error>"
            ),
            "EntityTooLarge: Too big"
        );
    }
}
