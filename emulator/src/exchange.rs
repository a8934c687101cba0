//! One request and its answer as the emulator's handlers see them: the path and query decoded
//! once, the body read as it arrives; the answer's status, headers and body (bytes or a file).

use super::incoming::BodyStream;
use super::multipart;
use crate::util::{parse_urlencoded, percent_decode_path};
use hyper::body::Incoming;
use hyper::{HeaderMap, Request};
use serde_json::Value;
use std::fs::File;
use std::io::{self, Read};
use tokio::runtime::Handle;

/// An incoming request with its path and query decoded once.
pub(crate) struct Req {
    pub method: String,
    /// Percent-decoded path without the query string.
    pub path: String,
    pub query: Vec<(String, String)>,
    headers: HeaderMap,
    pub(crate) body: BodyStream,
    /// Set by a `FailTransfer` fault: the transfer this request creates must fail.
    pub fail_transfer: bool,
}

impl Req {
    pub(crate) fn new(request: Request<Incoming>, rt: Handle) -> Req {
        let (parts, body) = request.into_parts();
        Req {
            method: parts.method.as_str().to_ascii_uppercase(),
            path: percent_decode_path(parts.uri.path()),
            query: parts.uri.query().map(parse_urlencoded).unwrap_or_default(),
            headers: parts.headers,
            body: BodyStream::new(body, rt),
            fail_transfer: false,
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    /// The first query parameter of that name.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn content_length(&self) -> Option<u64> {
        self.body.exact_len()
    }

    pub fn content_type(&self) -> String {
        self.header("Content-Type").unwrap_or_default()
    }

    pub fn body(&mut self) -> &mut dyn Read {
        &mut self.body
    }

    pub(crate) fn body_stream(&mut self) -> &mut BodyStream {
        &mut self.body
    }

    /// The text fields of a urlencoded or multipart body (files in a multipart body are read
    /// and dropped; routes that take files parse the multipart body themselves). At most
    /// `limit` bytes are read.
    pub fn form(&mut self, limit: u64) -> io::Result<Vec<(String, String)>> {
        let ct = self.content_type();
        if ct.to_ascii_lowercase().starts_with("multipart/form-data") {
            let mut fields = Vec::new();
            multipart::for_each_field(&mut self.body, &ct, limit, |part| {
                if part.file_name.is_none() {
                    fields.push((part.name.clone(), part.text()?));
                } else {
                    part.discard()?;
                }
                Ok(multipart::Flow::Continue)
            })?;
            return Ok(fields);
        }
        let mut body = Vec::new();
        self.body().take(limit).read_to_end(&mut body)?;
        Ok(parse_urlencoded(&String::from_utf8_lossy(&body)))
    }
}

/// The body of a response.
pub(crate) enum Body {
    Empty,
    Bytes(Vec<u8>),
    /// Streamed from an open file: `len` bytes from its current position.
    File(File, u64),
}

pub(crate) struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Resp {
    pub fn new(status: u16) -> Resp {
        Resp {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// A JSON answer serialised the way Flask does (compact, keys sorted by serde_json's map).
    pub fn json(status: u16, value: Value) -> Resp {
        let mut body = serde_json::to_vec(&value).unwrap_or_default();
        body.push(b'\n');
        Resp::new(status)
            .header("Content-Type", "application/json")
            .bytes(body)
    }

    pub fn bytes(mut self, body: Vec<u8>) -> Resp {
        self.body = Body::Bytes(body);
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Resp {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Werkzeug's page for a `Range` beyond the end of the file sent.
    pub fn flask_416(size: u64) -> Resp {
        Resp::new(416)
            .header("Content-Type", "text/html; charset=utf-8")
            .header("Content-Range", format!("bytes */{size}"))
            .bytes(
                b"<!doctype html>\n<html lang=en>\n<title>416 Requested Range Not Satisfiable</title>\n<h1>Requested Range Not Satisfiable</h1>\n<p>The server cannot provide the requested range.</p>\n"
                    .to_vec(),
            )
    }

    /// Flask's page for an unhandled exception.
    pub fn flask_500() -> Resp {
        Resp::new(500)
            .header("Content-Type", "text/html; charset=utf-8")
            .bytes(
                b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n"
                    .to_vec(),
            )
    }
}
