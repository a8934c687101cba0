//! Requests described before they are sent, so that a retry can send them again: method, URL,
//! query, headers, body (in memory, or streamed from a reader or a replayable file range) and
//! how to classify an error answer.

use super::classify::{classify_default, Classifier};
use super::url::redact_query;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use ureq::http;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub(super) fn as_http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
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

    pub(super) fn replayable(&self) -> bool {
        matches!(self.source, StreamSource::File { .. })
    }

    /// The stream's bytes for one attempt, counted into `progress` and held to `speed`.
    pub(super) fn open<'s>(
        &'s mut self,
        progress: Option<&'s mut (dyn FnMut(u64, u64) -> bool + 'a)>,
        aborted: &'s std::cell::Cell<bool>,
        speed: LowSpeed,
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
            speed,
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
    speed: LowSpeed,
}

impl Read for ExactReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The transport asks for more only as the server accepts it: a slow reader here is a
        // slow upload.
        self.speed.check()?;
        let n = self.inner.read(buf)?;
        self.speed.count(n);
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
    pub(super) fn replayable(&self) -> bool {
        match self {
            Body::Stream { stream, .. } | Body::Multipart { stream, .. } => stream.replayable(),
            _ => true,
        }
    }
}

pub(crate) type ProgressFnRef<'a> = &'a mut (dyn FnMut(u64, u64) -> bool + 'a);

/// One HTTP request, described before it is sent so that it can be repeated.
pub(crate) struct Request<'a> {
    pub(super) method: Method,
    pub(super) url: String,
    pub(super) absolute: bool,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Body<'a>,
    pub(super) context: String,
    pub(super) classifier: Classifier,
    pub(super) idempotent: bool,
    pub(super) progress: Option<ProgressFnRef<'a>>,
    /// The header that authorizes the request (`Authorization: Bearer …`, an API key), set by
    /// the session: (name, value).
    pub(super) credential: Option<(String, String)>,
    /// Moves a file's data (a streamed body either way): held to the low-speed limit rather
    /// than to the whole-call deadline.
    pub(super) transfer: bool,
}

impl<'a> Request<'a> {
    /// A request to `path` under the FirecREST URL, which the session completes and authorizes.
    /// It has no context of its own: the operation that sends it names itself in the error.
    pub(crate) fn new(method: Method, path: &str) -> Request<'a> {
        Request {
            method,
            url: path.to_string(),
            absolute: false,
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            context: String::new(),
            classifier: classify_default,
            idempotent: method == Method::Get,
            progress: None,
            credential: None,
            transfer: false,
        }
    }

    pub(crate) fn get(path: &str) -> Request<'a> {
        Request::new(Method::Get, path)
    }
    pub(crate) fn post(path: &str) -> Request<'a> {
        Request::new(Method::Post, path)
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

    /// Whether the URL is complete (no FirecREST base URL, no credentials added).
    pub(crate) fn is_absolute(&self) -> bool {
        self.absolute
    }

    /// Puts the FirecREST URL in front of the path; the request is then absolute.
    pub(crate) fn resolve(&mut self, base_url: &str) {
        if !self.absolute {
            self.url = format!("{base_url}{}", self.url);
            self.absolute = true;
        }
    }

    /// The header that authorizes the request (replacing one sent before).
    pub(crate) fn set_credential(&mut self, name: &str, value: String) {
        self.credential = Some((name.to_string(), value));
    }

    pub(crate) fn has_credential(&self) -> bool {
        self.credential.is_some()
    }

    /// The method, as the log names it.
    pub(crate) fn method_name(&self) -> &'static str {
        match self.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// Whether the body can be sent again (in memory, or a file range reopened).
    pub(crate) fn replayable(&self) -> bool {
        self.body.replayable()
    }

    pub(crate) fn context_text(&self) -> &str {
        &self.context
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

    pub(crate) fn json(mut self, value: serde_json::Value) -> Self {
        self.body = Body::Json(value);
        self
    }

    pub(crate) fn bytes(mut self, data: Vec<u8>, content_type: &str) -> Self {
        self.body = Body::Bytes {
            data,
            content_type: content_type.to_string(),
        };
        self
    }

    /// The answer is a file's data, streamed by the caller (downloads): the request is held to
    /// the low-speed limit instead of the whole-call deadline.
    pub(crate) fn download(mut self) -> Self {
        self.transfer = true;
        self
    }

    /// A raw streamed body with an exact `Content-Length`.
    pub(crate) fn stream(mut self, stream: Stream<'a>, content_type: Option<&str>) -> Self {
        self.transfer = true;
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
        self.transfer = true;
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

/// libcurl's low-speed limit: fewer than `limit` bytes per second over a whole `window` is a
/// stalled transfer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LowSpeed {
    limit: u64,
    window: std::time::Duration,
    since: std::time::Instant,
    bytes: u64,
}

impl LowSpeed {
    pub(crate) fn new(limit: u64, window: std::time::Duration) -> LowSpeed {
        LowSpeed {
            limit,
            window,
            since: std::time::Instant::now(),
            bytes: 0,
        }
    }

    pub(crate) fn count(&mut self, n: usize) {
        self.bytes += n as u64;
    }

    /// At the end of each window: an error if the window moved too few bytes.
    pub(crate) fn check(&mut self) -> io::Result<()> {
        let elapsed = self.since.elapsed();
        if self.limit == 0 || elapsed < self.window {
            return Ok(());
        }
        let rate = self.bytes as f64 / elapsed.as_secs_f64();
        if rate < self.limit as f64 {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the transfer moved {:.0} bytes/s over {:.0} s, below the low-speed limit of \
                     {} bytes/s (Options::low_speed_limit)",
                    rate,
                    elapsed.as_secs_f64(),
                    self.limit
                ),
            ));
        }
        self.since = std::time::Instant::now();
        self.bytes = 0;
        Ok(())
    }
}
