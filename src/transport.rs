//! HTTP transport shared by v1 and v2: one ureq agent, retries with backoff, error classification.
//!
//! Crate-internal API, used by `v1`, `v2`, `auth` and `transfers`:
//!
//! ```text
//! let out: Value = client.http()
//!     .send(Request::get("/utilities/ls")
//!         .header("X-Machine-Name", system)
//!         .query("targetPath", path)
//!         .context(format!("list_files {system}:{path}")))?
//!     .json()?;
//! ```
//!
//! * [`Request`] is built against the client's base URL (`Request::get("/status/systems")`) with
//!   the bearer token attached, or against an absolute URL without credentials
//!   (`Request::absolute(Method::Put, url)`, for presigned staging URLs).
//! * Bodies: [`Request::form`], [`Request::json`], [`Request::bytes`], [`Request::stream`] (a local
//!   file range or a one-shot reader, always with an exact `Content-Length`) and
//!   [`Request::multipart`] (text fields in order, then one streamed file part).
//! * [`Transport::send`] retries (429 with `Retry-After`, 503, and 502/504/transport errors on
//!   safe requests), refreshes the token once on 401, and turns every error status — and any
//!   FirecREST `X-*` error header, even on a 2xx — into an [`Error`] whose message starts with
//!   the request's context. [`Request::classifier`] swaps the classification (v2 error bodies,
//!   the token endpoint); a classifier usually starts from [`classify_default`].

mod multipart;

use crate::auth::Auth;
use crate::client::Options;
use crate::error::{Error, ErrorKind, Result};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Duration, SystemTime};
use ureq::http::{self, HeaderMap};

pub(crate) use multipart::MultipartLayout;

/// The longest `Retry-After` the client waits for; a longer one fails at once with RateLimited.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// Backoff without `Retry-After`: 250 ms, 500 ms, 1 s, … capped here.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// JSON and text answers larger than this are refused (ureq's default of 10 MB is too small for
/// big listings).
const MAX_TEXT_BODY: u64 = 1 << 30;
/// How much of an error body goes into a message.
const MAX_ERROR_TEXT: usize = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)] // the request API is shared with v2; not every item is used by v1
pub(crate) enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
}

impl Method {
    fn as_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Head => http::Method::HEAD,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
            Method::Delete => http::Method::DELETE,
        }
    }
}

/// Where a streamed body comes from.
pub(crate) enum StreamSource<'a> {
    /// Read once: a request with this body is never repeated.
    Reader(&'a mut dyn Read),
    /// A range of a local file, reopened for every attempt (so retries are possible).
    File { path: &'a Path, offset: u64 },
}

/// A streamed body of exactly `len` bytes.
pub(crate) struct Stream<'a> {
    pub(crate) source: StreamSource<'a>,
    pub(crate) len: u64,
}

impl<'a> Stream<'a> {
    pub(crate) fn reader(reader: &'a mut dyn Read, len: u64) -> Stream<'a> {
        Stream {
            source: StreamSource::Reader(reader),
            len,
        }
    }

    pub(crate) fn file(path: &'a Path, offset: u64, len: u64) -> Stream<'a> {
        Stream {
            source: StreamSource::File { path, offset },
            len,
        }
    }

    fn replayable(&self) -> bool {
        matches!(self.source, StreamSource::File { .. })
    }

    /// The stream's bytes for one attempt, counted into `progress`.
    fn open<'s>(
        &'s mut self,
        progress: Option<&'s mut (dyn FnMut(u64, u64) -> bool + 'a)>,
        aborted: &'s std::cell::Cell<bool>,
    ) -> io::Result<Box<dyn Read + 's>> {
        let len = self.len;
        let inner: Box<dyn Read + 's> = match &mut self.source {
            StreamSource::Reader(r) => Box::new((&mut **r).take(len)),
            StreamSource::File { path, offset } => {
                let mut f = File::open(path)?;
                f.seek(SeekFrom::Start(*offset))?;
                Box::new(f.take(len))
            }
        };
        Ok(Box::new(ExactReader {
            inner,
            done: 0,
            total: len,
            progress,
            aborted,
        }))
    }
}

/// Counts bytes for progress, stops on a callback veto, and refuses to end early (a short
/// body would otherwise leave the server waiting for bytes that never come).
struct ExactReader<'s, 'a> {
    inner: Box<dyn Read + 's>,
    done: u64,
    total: u64,
    progress: Option<&'s mut (dyn FnMut(u64, u64) -> bool + 'a)>,
    aborted: &'s std::cell::Cell<bool>,
}

impl Read for ExactReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.done < self.total && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the local data ended after {} of {} bytes",
                    self.done, self.total
                ),
            ));
        }
        self.done += n as u64;
        if let Some(p) = self.progress.as_mut() {
            if n > 0 && !p(self.done, self.total) {
                self.aborted.set(true);
                return Err(io::Error::other("aborted by the progress callback"));
            }
        }
        Ok(n)
    }
}

#[allow(dead_code)] // JSON and raw bytes are v2's bodies
pub(crate) enum Body<'a> {
    Empty,
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
    Bytes {
        data: Vec<u8>,
        content_type: String,
    },
    Stream {
        stream: Stream<'a>,
        content_type: Option<String>,
    },
    Multipart {
        fields: Vec<(String, String)>,
        file_field: String,
        file_name: String,
        stream: Stream<'a>,
    },
}

impl Body<'_> {
    fn replayable(&self) -> bool {
        match self {
            Body::Stream { stream, .. } | Body::Multipart { stream, .. } => stream.replayable(),
            _ => true,
        }
    }
}

/// Turns an error answer into an `Error`. Give one to [`Request::classifier`] to replace
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

pub(crate) type ProgressFnRef<'a> = &'a mut (dyn FnMut(u64, u64) -> bool + 'a);

/// One HTTP request, described before it is sent so that it can be repeated.
pub(crate) struct Request<'a> {
    method: Method,
    url: String,
    absolute: bool,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Body<'a>,
    context: String,
    classifier: Classifier,
    idempotent: bool,
    progress: Option<ProgressFnRef<'a>>,
}

impl<'a> Request<'a> {
    /// A request to `path` under the client's base URL, with the bearer token.
    pub(crate) fn new(method: Method, path: &str) -> Request<'a> {
        Request {
            method,
            url: path.to_string(),
            absolute: false,
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            context: format!("{} {path}", method.as_http()),
            classifier: classify_default,
            idempotent: matches!(method, Method::Get | Method::Head),
            progress: None,
        }
    }

    pub(crate) fn get(path: &str) -> Request<'a> {
        Request::new(Method::Get, path)
    }
    pub(crate) fn post(path: &str) -> Request<'a> {
        Request::new(Method::Post, path)
    }
    #[allow(dead_code)]
    pub(crate) fn put(path: &str) -> Request<'a> {
        Request::new(Method::Put, path)
    }
    #[allow(dead_code)]
    pub(crate) fn delete(path: &str) -> Request<'a> {
        Request::new(Method::Delete, path)
    }

    /// A request to a full URL (token endpoint, presigned staging URLs): no bearer token.
    pub(crate) fn absolute(method: Method, url: &str) -> Request<'a> {
        let mut r = Request::new(method, url);
        r.absolute = true;
        r.context = format!("{} {}", method.as_http(), redact_query(url));
        r
    }

    pub(crate) fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_string(), value.into()));
        self
    }

    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// `application/x-www-form-urlencoded` fields.
    pub(crate) fn form<K: Into<String>, V: Into<String>>(
        mut self,
        fields: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.body = Body::Form(
            fields
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    #[allow(dead_code)]
    pub(crate) fn json(mut self, value: serde_json::Value) -> Self {
        self.body = Body::Json(value);
        self
    }

    #[allow(dead_code)]
    pub(crate) fn bytes(mut self, data: Vec<u8>, content_type: &str) -> Self {
        self.body = Body::Bytes {
            data,
            content_type: content_type.to_string(),
        };
        self
    }

    /// A raw streamed body with an exact `Content-Length`.
    pub(crate) fn stream(mut self, stream: Stream<'a>, content_type: Option<&str>) -> Self {
        self.body = Body::Stream {
            stream,
            content_type: content_type.map(str::to_string),
        };
        self
    }

    /// `multipart/form-data`: `fields` in order, then the file part, with an exact length.
    pub(crate) fn multipart(
        mut self,
        fields: Vec<(String, String)>,
        file_field: &str,
        file_name: &str,
        stream: Stream<'a>,
    ) -> Self {
        self.body = Body::Multipart {
            fields,
            file_field: file_field.to_string(),
            file_name: file_name.to_string(),
            stream,
        };
        self
    }

    /// Progress of a streamed body: (bytes sent, total); `false` aborts with AbortedByCallback.
    pub(crate) fn progress(mut self, progress: ProgressFnRef<'a>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// What the request does, for error messages ("mkdir cluster:/home/x").
    pub(crate) fn context(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    pub(crate) fn classifier(mut self, classifier: Classifier) -> Self {
        self.classifier = classifier;
        self
    }

    /// Marks a non-GET request as safe to repeat after a transport error or a 502/504
    /// (e.g. a PUT of one S3 part). POSTs that create tasks must never be marked.
    pub(crate) fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }
}

/// A successful answer (status < 400, no FirecREST error header).
pub(crate) struct Response {
    inner: http::Response<ureq::Body>,
    context: String,
}

impl Response {
    pub(crate) fn status(&self) -> u16 {
        self.inner.status().as_u16()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[allow(dead_code)]
    pub(crate) fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    pub(crate) fn content_length(&self) -> Option<u64> {
        self.inner.body().content_length()
    }

    pub(crate) fn context(&self) -> &str {
        &self.context
    }

    pub(crate) fn bytes(mut self) -> Result<Vec<u8>> {
        let context = self.context;
        self.inner
            .body_mut()
            .with_config()
            .limit(MAX_TEXT_BODY)
            .read_to_vec()
            .map_err(|e| map_ureq_error(e).context(&context))
    }

    #[allow(dead_code)]
    pub(crate) fn text(self) -> Result<String> {
        let context = self.context.clone();
        String::from_utf8(self.bytes()?).map_err(|_| {
            Error::new(ErrorKind::Json, "the answer is not UTF-8 text").context(&context)
        })
    }

    pub(crate) fn json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        let context = self.context.clone();
        let data = self.bytes()?;
        serde_json::from_slice(&data).map_err(|e| Error::from(e).context(&context))
    }

    /// The body as a stream (downloads); errors surface as `io::Error` (see [`io_error`]).
    pub(crate) fn into_reader(self) -> ureq::BodyReader<'static> {
        self.inner.into_body().into_reader()
    }

    /// Reads and drops the rest of the body so that the connection returns to the pool.
    pub(crate) fn discard(self) {
        let mut r = self.into_reader();
        let _ = io::copy(&mut r, &mut io::sink());
    }
}

/// The HTTP side of a client: one ureq agent (one connection pool), the base URL, the
/// authorization and the retry settings.
pub(crate) struct Transport {
    agent: ureq::Agent,
    pub(crate) base_url: String,
    pub(crate) auth: Auth,
    pub(crate) options: Options,
}

impl Transport {
    pub(crate) fn new(base_url: &str, auth: Auth, options: Options) -> Result<Transport> {
        let base_url = base_url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::invalid_argument(format!(
                "firecrest_url {base_url:?} must start with http:// or https://"
            )));
        }
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(options.user_agent.as_str())
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.io_timeout))
            .timeout_per_write(Some(options.io_timeout))
            .timeout_recv_response(Some(options.io_timeout))
            .max_idle_connections_per_host(8);
        if let Some(ca_file) = &options.ca_file {
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(load_ca_file(ca_file)?)
                    .build(),
            );
        }
        Ok(Transport {
            agent: config.build().into(),
            base_url,
            auth,
            options,
        })
    }

    /// Sends `req`, repeating it where that is safe, and classifies error answers.
    pub(crate) fn send(&self, mut req: Request<'_>) -> Result<Response> {
        let mut attempt: u32 = 0;
        let mut refreshed = false;
        loop {
            let token = if req.absolute {
                None
            } else {
                Some(self.auth.token(self).map_err(|e| e.context(&req.context))?)
            };
            let result = self.send_once(&mut req, token.as_deref());
            let can_repeat = req.body.replayable() && attempt < self.options.max_retries;
            match result {
                Err(e) => {
                    if can_repeat && req.idempotent && e.kind().is_transient_transport() {
                        std::thread::sleep(backoff(attempt));
                        attempt += 1;
                        continue;
                    }
                    return Err(with_retry_note(e.context(&req.context), attempt));
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if status == 401
                        && !refreshed
                        && req.body.replayable()
                        && token.is_some()
                        && self.auth.can_refresh()
                    {
                        // The token was refused (expired early, revoked): one new token, one retry.
                        self.auth.invalidate(token.as_deref().unwrap_or_default());
                        refreshed = true;
                        discard(resp);
                        continue;
                    }
                    let wait = match status {
                        429 | 503 => Some(
                            retry_after(resp.headers(), SystemTime::now())
                                .unwrap_or_else(|| backoff(attempt)),
                        ),
                        502 | 504 if req.idempotent => Some(backoff(attempt)),
                        _ => None,
                    };
                    if let Some(wait) = wait {
                        if can_repeat && wait <= MAX_RETRY_WAIT {
                            discard(resp);
                            std::thread::sleep(wait);
                            attempt += 1;
                            continue;
                        }
                    }
                    return self.check(resp, &req, attempt);
                }
            }
        }
    }

    fn send_once(
        &self,
        req: &mut Request<'_>,
        token: Option<&str>,
    ) -> Result<http::Response<ureq::Body>> {
        let url = if req.absolute {
            req.url.clone()
        } else {
            format!("{}{}", self.base_url, req.url)
        };
        let url = append_query(&url, &req.query);
        let mut builder = http::Request::builder()
            .method(req.method.as_http())
            .uri(&url);
        if let Some(token) = token {
            builder = builder.header("Authorization", format!("Bearer {token}"));
        }
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let aborted = std::cell::Cell::new(false);
        let progress = req.progress.as_deref_mut();
        let result = match &mut req.body {
            Body::Empty => {
                // Without a length ureq sends a body-less POST/PUT as `Transfer-Encoding:
                // chunked`, which WSGI servers and tiny_http handle badly (the emulator then
                // reads the empty chunk as the next request on the pooled connection).
                if matches!(req.method, Method::Post | Method::Put) {
                    builder = builder.header("Content-Length", "0");
                }
                let r = builder.body(()).map_err(|e| bad_request(&url, e))?;
                self.agent.run(r)
            }
            Body::Form(fields) => {
                let data = form_urlencode(fields).into_bytes();
                self.run_bytes(builder, &url, data, "application/x-www-form-urlencoded")?
            }
            Body::Json(value) => {
                let data = serde_json::to_vec(value)?;
                self.run_bytes(builder, &url, data, "application/json")?
            }
            Body::Bytes { data, content_type } => {
                self.run_bytes(builder, &url, data.clone(), content_type)?
            }
            Body::Stream {
                stream,
                content_type,
            } => {
                let len = stream.len;
                let mut reader = stream.open(progress, &aborted)?;
                if let Some(ct) = content_type {
                    builder = builder.header("Content-Type", ct.as_str());
                }
                let r = builder
                    .header("Content-Length", len.to_string())
                    .body(ureq::SendBody::from_reader(&mut reader))
                    .map_err(|e| bad_request(&url, e))?;
                self.agent.run(r)
            }
            Body::Multipart {
                fields,
                file_field,
                file_name,
                stream,
            } => {
                let layout = MultipartLayout::new(fields, file_field, file_name);
                let len = layout.body_len(stream.len);
                let file = stream.open(progress, &aborted)?;
                let mut reader = layout.reader(file);
                let r = builder
                    .header("Content-Type", layout.content_type())
                    .header("Content-Length", len.to_string())
                    .body(ureq::SendBody::from_reader(&mut reader))
                    .map_err(|e| bad_request(&url, e))?;
                self.agent.run(r)
            }
        };
        if aborted.get() {
            return Err(Error::new(
                ErrorKind::AbortedByCallback,
                "aborted by the progress callback",
            ));
        }
        result.map_err(|e| without_query(map_ureq_error(e), &url))
    }

    fn run_bytes(
        &self,
        builder: http::request::Builder,
        url: &str,
        data: Vec<u8>,
        content_type: &str,
    ) -> Result<std::result::Result<http::Response<ureq::Body>, ureq::Error>> {
        let r = builder
            .header("Content-Type", content_type)
            .body(data)
            .map_err(|e| bad_request(url, e))?;
        Ok(self.agent.run(r))
    }

    /// Error statuses and FirecREST error headers become errors; everything else is returned.
    fn check(
        &self,
        mut resp: http::Response<ureq::Body>,
        req: &Request<'_>,
        retries: u32,
    ) -> Result<Response> {
        let status = resp.status().as_u16();
        if status < 400 && firecrest_error_header(resp.headers()).is_none() {
            return Ok(Response {
                inner: resp,
                context: req.context.clone(),
            });
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .unwrap_or_default();
        let err = (req.classifier)(&ErrorResponse {
            status,
            headers: resp.headers(),
            body: &body,
            context: &req.context,
        });
        Err(with_retry_note(err, retries))
    }
}

/// A request the HTTP layer refuses to build (a URL it cannot parse). Presigned URLs carry their
/// signature in the query, so only the redacted URL is named.
fn bad_request(url: &str, e: http::Error) -> Error {
    Error::invalid_argument(format!("bad request {}: {e}", redact_query(url)))
}

/// Some ureq errors quote the URI ("… is missing host"); a presigned URL's query is a credential.
fn without_query(err: Error, url: &str) -> Error {
    match url.split_once('?') {
        Some((_, query)) if !query.is_empty() && err.message().contains(query) => {
            Error::new(err.kind(), err.message().replace(query, "…")).with_details_of(&err)
        }
        _ => err,
    }
}

/// Says in the message that the failure survived `retries` repetitions.
fn with_retry_note(err: Error, retries: u32) -> Error {
    if retries == 0 {
        return err;
    }
    let plural = if retries == 1 { "retry" } else { "retries" };
    let msg = format!("{} (after {retries} {plural})", err.message());
    Error::new(err.kind(), msg).with_details_of(&err)
}

impl Error {
    /// Copies HTTP status, error header and task status from `other`.
    pub(crate) fn with_details_of(mut self, other: &Error) -> Error {
        self = self.with_http_status(other.http_status());
        if let Some((n, v)) = other.error_header() {
            self = self.with_error_header(n, v);
        }
        if let Some(s) = other.task_status() {
            self = self.with_task_status(s);
        }
        self
    }
}

fn discard(mut resp: http::Response<ureq::Body>) {
    let _ = io::copy(&mut resp.body_mut().as_reader(), &mut io::sink());
}

/// The default classification: FirecREST's `X-*` error header first (ApiError, except
/// `X-Permission-Denied` → Forbidden), then the HTTP status. The message is
/// "<context>: <FirecREST's text> (HTTP <status>[, <header>: <value>])".
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
        (None, 401) => ErrorKind::Unauthorized,
        (None, 403) => ErrorKind::Forbidden,
        (None, 404) => ErrorKind::NotFound,
        (None, 429) => ErrorKind::RateLimited,
        (None, _) => ErrorKind::Http,
    };
    let text = body_text(r.body);
    let mut detail = format!("HTTP {}", r.status);
    if let Some((n, v)) = &header {
        detail.push_str(&format!(", {n}: {v}"));
    }
    let message = if text.is_empty() {
        match &header {
            Some((_, v)) if !v.is_empty() => format!("{}: {v} ({detail})", r.context),
            _ => format!("{}: {} ({detail})", r.context, status_reason(r.status)),
        }
    } else {
        format!("{}: {text} ({detail})", r.context)
    };
    let mut err = Error::new(kind, message).with_http_status(r.status);
    if let Some((n, v)) = header {
        err = err.with_error_header(n, v);
    }
    err
}

/// FirecREST v1's error headers (§A4 of the spec), any status. Both spellings of
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

/// The FirecREST error header of an answer, with its canonical name ("X-Invalid-Path").
pub(crate) fn firecrest_error_header(headers: &HeaderMap) -> Option<(String, String)> {
    FIRECREST_ERROR_HEADERS.iter().find_map(|name| {
        headers
            .get(*name)
            .map(|v| (canonical_header_name(name), header_value(v)))
    })
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
        let code = between(text, "<code>", "</code>").unwrap_or("").trim();
        let message = between(text, "<message>", "</message>")
            .unwrap_or("")
            .trim();
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

/// `Retry-After` as a delay: delta-seconds or an HTTP date (relative to `now`).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    parse_retry_after(v, now)
}

pub(crate) fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs));
        }
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Delay before retry number `attempt` (0-based) when the server named none: exponential from
/// 250 ms, capped, with up to 25 % jitter so that many clients do not retry in step.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(250)
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
}

/// The polling schedule of waits: `initial`, doubling, capped at `max`.
pub(crate) fn poll_delay(initial: Duration, max: Duration, round: u32) -> Duration {
    initial.saturating_mul(1u32 << round.min(16)).min(max)
}

fn append_query(url: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", form_urlencode(query))
}

pub(crate) fn form_urlencode(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
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

fn load_ca_file(path: &Path) -> Result<ureq::tls::RootCerts> {
    let pem = std::fs::read(path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("ca_file {}: {e}", path.display())))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Tls,
                    format!("ca_file {}: {e}", path.display()),
                ))
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::invalid_argument(format!(
            "ca_file {}: no PEM certificate found",
            path.display()
        )));
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&certs))
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
    use super::wire::{capture_one_request, content_length};
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let d0 = backoff(0);
        assert!(d0 >= Duration::from_millis(250) && d0 <= Duration::from_millis(313));
        assert!(backoff(2) >= Duration::from_secs(1));
        assert!(backoff(30) <= MAX_BACKOFF + MAX_BACKOFF / 4);
        assert_eq!(
            poll_delay(Duration::from_millis(100), Duration::from_secs(1), 0),
            Duration::from_millis(100)
        );
        assert_eq!(
            poll_delay(Duration::from_millis(100), Duration::from_secs(1), 3),
            Duration::from_millis(800)
        );
        assert_eq!(
            poll_delay(Duration::from_millis(100), Duration::from_secs(1), 10),
            Duration::from_secs(1)
        );
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, http::HeaderValue::from_static(v));
        }
        h
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

    #[test]
    fn query_encoding_and_redaction() {
        assert_eq!(
            append_query("http://h/a", &[("targetPath".into(), "/home/a b&c".into())]),
            "http://h/a?targetPath=%2Fhome%2Fa%20b%26c"
        );
        assert_eq!(
            redact_query("http://s3/b/k?X-Amz-Signature=secret"),
            "http://s3/b/k?…"
        );
    }

    #[test]
    fn a_bad_presigned_url_does_not_show_its_signature() {
        let http = Transport::new(
            "http://127.0.0.1:9",
            Auth::static_token("t"),
            Options::default(),
        )
        .unwrap();
        let url = "http://bad host/b/k?X-Amz-Signature=s3cr3t";
        let Err(e) =
            http.send(Request::absolute(Method::Put, url).bytes(b"x".to_vec(), "text/plain"))
        else {
            panic!("a URL with a space was sent");
        };
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e:?}");
        assert!(e.message().contains("http://bad host/b/k"), "{e}");
        assert!(!e.message().contains("s3cr3t"), "{e}");

        let e = without_query(
            Error::new(
                ErrorKind::InvalidArgument,
                format!("bad uri: {url} is missing host"),
            ),
            url,
        );
        assert!(!e.message().contains("s3cr3t"), "{e}");
    }

    #[test]
    fn staging_form_has_a_length_and_the_file_last() {
        let dir = std::env::temp_dir().join(format!("fc-transport-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("data.bin");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &data).unwrap();

        let (url, server) = capture_one_request();
        let http = Transport::new(&url, Auth::static_token("t"), Options::default()).unwrap();
        let fields = vec![
            ("key".to_string(), "id/data.bin".to_string()),
            ("policy".to_string(), "p".to_string()),
            ("x-amz-signature".to_string(), "s".to_string()),
        ];
        let mut seen = 0;
        let mut progress = |done: u64, _total: u64| {
            seen = done;
            true
        };
        let req = Request::absolute(Method::Post, &format!("{url}/bucket"))
            .multipart(
                fields,
                "file",
                "data.bin",
                Stream::file(&file, 0, data.len() as u64),
            )
            .progress(&mut progress);
        assert_eq!(http.send(req).unwrap().status(), 204);
        assert_eq!(seen, data.len() as u64);

        let raw = server.join().unwrap();
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
        assert!(!head.contains("transfer-encoding"), "{head}");
        assert!(
            !head.contains("authorization"),
            "no credentials to staging: {head}"
        );
        let body = &raw[end + 4..];
        assert_eq!(content_length(&head), Some(body.len()));
        let text = String::from_utf8_lossy(body);
        let key = text.find("name=\"key\"").unwrap();
        let sig = text.find("name=\"x-amz-signature\"").unwrap();
        let filepart = text.find("name=\"file\"; filename=\"data.bin\"").unwrap();
        assert!(key < sig && sig < filepart);
        let start = body
            .windows(4)
            .skip(filepart)
            .position(|w| w == b"\r\n\r\n")
            .unwrap()
            + filepart
            + 4;
        assert_eq!(&body[start..start + data.len()], &data[..]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn raw_stream_put_has_a_length() {
        let (url, server) = capture_one_request();
        let http = Transport::new(&url, Auth::static_token("t"), Options::default()).unwrap();
        let data = vec![9u8; 100_000];
        let mut reader = &data[..];
        let req = Request::absolute(Method::Put, &format!("{url}/b/k?Signature=x"))
            .stream(Stream::reader(&mut reader, data.len() as u64), None);
        http.send(req).unwrap();
        let raw = server.join().unwrap();
        let head = String::from_utf8_lossy(&raw[..200]).to_ascii_lowercase();
        assert!(head.starts_with("put /b/k?signature=x "), "{head}");
        assert!(head.contains("content-length: 100000"), "{head}");
        assert!(!head.contains("transfer-encoding"));
    }
}

/// A one-shot loopback HTTP listener that records the request it gets: to check what the client
/// puts on the wire (lengths, part order, credentials) without a mock of the client itself.
#[cfg(test)]
pub(crate) mod wire {
    use std::io::Read;

    /// The Content-Length of a lower-cased request head.
    pub(crate) fn content_length(head: &str) -> Option<usize> {
        head.lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
    }

    /// Accepts one connection on loopback, reads one request (headers + Content-Length body),
    /// answers 204 and hands back the raw request.
    pub(crate) fn capture_one_request() -> (String, std::thread::JoinHandle<Vec<u8>>) {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            let mut raw = Vec::new();
            let mut buf = [0u8; 65536];
            loop {
                let n = sock.read(&mut buf).unwrap();
                assert!(n > 0, "connection closed before the request ended");
                raw.extend_from_slice(&buf[..n]);
                let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                if raw.len() >= end + 4 + content_length(&head).unwrap_or(0) {
                    break;
                }
            }
            sock.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                .unwrap();
            raw
        });
        (url, handle)
    }
}
