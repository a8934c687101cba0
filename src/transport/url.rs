//! URLs and form bodies: percent-encoding, query strings, and keeping the signature of a
//! presigned URL out of messages.

use crate::error::Error;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use ureq::http;

/// RFC 3986's unreserved characters stay as they are; everything else is %-encoded (a space as
/// `%20`, which every server reads the same in a path, a query and a form).
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(super) fn append_query(url: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let mut out = String::with_capacity(url.len() + 1 + encoded_len_hint(query));
    out.push_str(url);
    out.push(if url.contains('?') { '&' } else { '?' });
    push_form(&mut out, query);
    out
}

pub(crate) fn form_urlencode(fields: &[(String, String)]) -> String {
    let mut out = String::with_capacity(encoded_len_hint(fields));
    push_form(&mut out, fields);
    out
}

/// Every request builds its URL this way: one buffer, no string per field.
fn push_form(out: &mut String, fields: &[(String, String)]) {
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(k, ENCODED));
        out.push('=');
        out.extend(utf8_percent_encode(v, ENCODED));
    }
}

/// Room for the fields unencoded; a path with many encoded characters grows it once.
fn encoded_len_hint(fields: &[(String, String)]) -> usize {
    fields.iter().map(|(k, v)| k.len() + v.len() + 2).sum()
}

pub(crate) fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, ENCODED).to_string()
}

/// A path segment for URLs like `/status/systems/{name}`.
pub(crate) fn path_segment(s: &str) -> String {
    percent_encode(s)
}

/// Presigned URLs carry signatures in their query: messages show only scheme, host and path.
pub(crate) fn redact_query(url: &str) -> String {
    match url.find('?') {
        Some(i) => format!("{}?…", &url[..i]),
        None => url.to_string(),
    }
}

/// A URL as the log shows it: the query stays (FirecREST's parameters, a presigned URL's date
/// and lifetime help debugging) but the value of every parameter that signs or authorizes (S3's
/// `X-Amz-Signature` and `X-Amz-Credential`, `Signature`, `AWSAccessKeyId`, a key, a token) is
/// replaced.
pub(crate) fn loggable_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(k, _)| k);
            if is_credential_parameter(name) {
                format!("{name}=<redacted>")
            } else {
                pair.to_string()
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

fn is_credential_parameter(name: &str) -> bool {
    let name = percent_encoding::percent_decode_str(name)
        .decode_utf8_lossy()
        .to_ascii_lowercase();
    ["sig", "awsaccesskeyid", "policy"].contains(&name.as_str())
        || name.contains("signature")
        || name.contains("credential")
        || name.contains("token")
        || name.contains("key")
        || name.contains("secret")
        || name.contains("password")
}

/// A request the HTTP layer refuses to build (a URL it cannot parse). Presigned URLs carry their
/// signature in the query, so only the redacted URL is named.
pub(super) fn bad_request(url: &str, e: http::Error) -> Error {
    Error::invalid_argument(format!("bad request {}: {e}", redact_query(url)))
}

/// What of a presigned URL's query must not be shown: the whole query, and each value long
/// enough to be a signature, credential or session token, as written and decoded.
pub(super) fn query_secrets(url: &str) -> Vec<String> {
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    let mut out = vec![query.to_string()];
    for value in query
        .split('&')
        .filter_map(|kv| kv.split_once('=').map(|(_, v)| v))
    {
        if value.len() >= 8 {
            out.push(value.to_string());
            let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            if decoded != value {
                out.push(decoded.into_owned());
            }
        }
    }
    out
}

/// Some ureq errors quote the URI ("… is missing host"); a presigned URL's query is a credential.
pub(super) fn without_query(err: Error, url: &str) -> Error {
    match url.split_once('?') {
        Some((_, query)) if !query.is_empty() && err.message().contains(query) => {
            let message = err.message().replace(query, "…");
            err.with_message(message)
        }
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_encoding_and_redaction() {
        assert_eq!(
            append_query("http://h/a", &[("targetPath".into(), "/home/a b&c".into())]),
            "http://h/a?targetPath=%2Fhome%2Fa%20b%26c"
        );
        assert_eq!(percent_encode("aZ09-_.~ ü/"), "aZ09-_.~%20%C3%BC%2F");
        assert_eq!(
            redact_query("http://s3/b/k?X-Amz-Signature=secret"),
            "http://s3/b/k?…"
        );
        assert_eq!(
            query_secrets("http://s3/b/k?X-Amz-Credential=AK%2F2026&X-Amz-Expires=3600&s=x"),
            [
                "X-Amz-Credential=AK%2F2026&X-Amz-Expires=3600&s=x",
                "AK%2F2026",
                "AK/2026"
            ]
        );
        assert!(query_secrets("http://h/a").is_empty());
        assert_eq!(
            loggable_url(
                "http://s3/b/k?X-Amz-Credential=AK%2F1&X-Amz-Date=20261206T000000Z&X-Amz-Signature=s1g&X-Amz-Security-Token=t&partNumber=2&Signature=s2&AWSAccessKeyId=AK&uploadId=u&X-Goog-Signature=g"
            ),
            "http://s3/b/k?X-Amz-Credential=<redacted>&X-Amz-Date=20261206T000000Z&X-Amz-Signature=<redacted>&X-Amz-Security-Token=<redacted>&partNumber=2&Signature=<redacted>&AWSAccessKeyId=<redacted>&uploadId=u&X-Goog-Signature=<redacted>"
        );
        assert_eq!(
            loggable_url("http://h/a?targetPath=%2Fx"),
            "http://h/a?targetPath=%2Fx"
        );
    }
}
