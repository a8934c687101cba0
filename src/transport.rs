//! HTTP for everything above it: one ureq agent (one connection pool), retries with backoff,
//! and error answers turned into [`Error`]s. It knows nothing of tokens or clients: a request
//! arrives with its full URL and, when it needs one, its bearer token already set (the session
//! does both).
//!
//! ```text
//! let out: Value = session
//!     .send(Request::get("/utilities/ls")
//!         .header("X-Machine-Name", system)
//!         .query("targetPath", path))?
//!     .json()?;
//! ```
//!
//! * [`Request`] names a path under the FirecREST URL (`Request::get("/status/systems")`), which
//!   the session completes and authorizes, or an absolute URL sent without credentials
//!   (`Request::absolute(Method::Put, url)`: presigned staging URLs, the token endpoint).
//! * Bodies: [`Request::form`], [`Request::json`], [`Request::bytes`], [`Request::stream`] (a local
//!   file range or a one-shot reader, always with an exact `Content-Length`) and
//!   [`Request::multipart`] (text fields in order, then one streamed file part).
//! * [`Transport::send`] retries (429 with `Retry-After`, 503, and 502/504/transport errors on
//!   safe requests) and turns every error status — and any FirecREST `X-*` error header, even
//!   on a 2xx — into an [`Error`] whose message starts with the request's context, if it has
//!   one. [`Request::classifier`] swaps the classification (v2 error bodies, the token
//!   endpoint); a classifier usually starts from [`classify::classify_default`].
//!
//! Parts: `request` (what is sent), `retry` (when to send again), `classify` (error answers
//! as [`Error`]s), `url` (encoding and redaction), `multipart` (the staging form's layout);
//! this file sends and reads.

mod classify;
pub(crate) mod correlation;
mod multipart;
mod request;
mod resolve;
mod retry;
mod trust;
mod url;
#[cfg(test)]
pub(crate) mod wire;

use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use classify::{firecrest_error_header, map_ureq_error};
use multipart::MultipartLayout;
use request::Body;
use retry::{retry_after, with_retry_note, MAX_RETRY_WAIT};
use std::io;
use std::time::SystemTime;
use std::time::{Duration, Instant};
use ureq::http;
use url::{append_query, bad_request, form_urlencode, loggable_url, query_secrets, without_query};

pub(crate) use classify::{body_text, io_error, status_kind, xml_field, ErrorResponse};
pub(crate) use request::{LowSpeed, Method, Request, Stream};
#[cfg(test)]
pub(crate) use retry::parse_retry_after;
pub(crate) use retry::{backoff, poll_delay, saturating_secs};
pub(crate) use url::{path_segment, percent_encode, redact_query};

/// The header that carries the correlation id.
pub(crate) const CORRELATION_HEADER: &str = "X-Correlation-ID";

/// A successful answer (status < 400, no FirecREST error header).
pub(crate) struct Response {
    inner: http::Response<ureq::Body>,
    context: String,
    /// The largest JSON or text body read (`Options::max_answer_bytes`).
    limit: u64,
    /// What a streamed body must keep up with (`Options::low_speed_limit`).
    speed: LowSpeed,
    /// The body, when the transport read it already (to repeat a GET whose answer broke off).
    read: Option<Vec<u8>>,
}

impl Response {
    pub(crate) fn status(&self) -> u16 {
        self.inner.status().as_u16()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers().get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn content_length(&self) -> Option<u64> {
        self.inner.body().content_length()
    }

    pub(crate) fn context(&self) -> &str {
        &self.context
    }

    pub(crate) fn bytes(mut self) -> Result<Vec<u8>> {
        if let Some(read) = self.read.take() {
            return Ok(read);
        }
        self.read_body()
    }

    /// Reads the whole body (bounded by the answer limit).
    fn read_body(&mut self) -> Result<Vec<u8>> {
        let (context, limit) = (&self.context, self.limit);
        // Sized once from the announced length (bounded by the limit): a large listing is then
        // read without the doublings and copies of a growing buffer.
        let announced = self.content_length().unwrap_or(0).min(limit);
        let announced = usize::try_from(announced).unwrap_or(0);
        let reader = &mut self.inner.body_mut().with_config().limit(limit).reader();
        if announced >= KEEP_FROM {
            let mut data = spare_body();
            read_over(reader, &mut data, announced).map(|_| data)
        } else {
            let mut data = Vec::with_capacity(announced);
            io::Read::read_to_end(reader, &mut data).map(|_| data)
        }
        .map_err(ureq::Error::from)
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => Error::new(
                ErrorKind::Http,
                format!(
                    "the answer is larger than {limit} bytes, the limit of JSON and text \
                         answers (Options::max_answer_bytes)"
                ),
            ),
            e => map_ureq_error(e),
        })
        .map_err(|e| e.context(context))
    }

    pub(crate) fn text(self) -> Result<String> {
        let context = self.context.clone();
        String::from_utf8(self.bytes()?).map_err(|_| {
            Error::new(ErrorKind::Json, "the answer is not UTF-8 text").context(&context)
        })
    }

    pub(crate) fn json<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        self.json_text()?.parse()
    }

    /// The whole body as text, for values that borrow their strings from it
    /// ([`JsonText::parse`]).
    pub(crate) fn json_text(self) -> Result<JsonText> {
        let context = self.context.clone();
        // UTF-8 checked once for the whole answer: read from bytes, serde_json checks every
        // string on its own, which costs more for the many short strings of a listing.
        let text = String::from_utf8(self.bytes()?).map_err(|_| {
            Error::new(ErrorKind::Json, "the answer is not UTF-8 text").context(&context)
        })?;
        Ok(JsonText { text, context })
    }

    /// The body as a stream (downloads); errors surface as `io::Error` (see [`io_error`]).
    pub(crate) fn into_reader(self) -> ureq::BodyReader<'static> {
        self.inner.into_body().into_reader()
    }

    /// The low-speed check for reading this body.
    pub(crate) fn low_speed(&self) -> LowSpeed {
        self.speed
    }

    /// Streams the body into `writer` (the downloads themselves go through
    /// `transfers::resumable_get`, which also sends a cut one again). A failure reading is classified as the
    /// network's (Transport, Timeout…), one writing as local (Io); a body shorter or longer than
    /// its announced length is an error, not a silently truncated file.
    #[cfg(test)]
    pub(crate) fn copy_to(self, writer: &mut dyn io::Write) -> Result<u64> {
        let context = self.context.clone();
        let expected = self.content_length();
        let mut speed = self.speed;
        let mut body = self.into_reader();
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        let writing = |e: io::Error| {
            Error::new(ErrorKind::Io, format!("writing: {e}"))
                .with_source(e)
                .context(&context)
        };
        loop {
            let n = match io::Read::read(&mut body, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(&e).context(&context)),
            };
            speed.count(n);
            speed.check().map_err(|e| io_error(&e).context(&context))?;
            writer.write_all(&buf[..n]).map_err(writing)?;
            total += n as u64;
        }
        writer.flush().map_err(writing)?;
        match expected {
            Some(len) if len != total => Err(Error::new(
                ErrorKind::Transport,
                format!("the server announced {len} bytes but sent {total}"),
            )
            .context(&context)),
            _ => Ok(total),
        }
    }

    pub(crate) fn discard(self) {
        discard(self.inner);
    }
}

/// A JSON answer read whole, with what was being done (for its errors). Its buffer is kept for
/// the next answer when it is dropped.
pub(crate) struct JsonText {
    text: String,
    context: String,
}

impl Drop for JsonText {
    fn drop(&mut self) {
        keep_body(std::mem::take(&mut self.text).into_bytes());
    }
}

/// The buffer of a large answer read whole, kept for the next: a large listing's megabyte,
/// allocated afresh for every call, went back to the kernel and was faulted in again page by
/// page each time. One buffer of at most 16 MiB (a listing of about 100,000 entries) is kept.
static SPARE_BODY: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// Buffers smaller than this are not worth keeping: the allocator reuses them by itself.
const KEEP_FROM: usize = 64 << 10;
const KEEP_UP_TO: usize = 16 << 20;

fn spare_body() -> Vec<u8> {
    let mut spare = SPARE_BODY.lock().unwrap_or_else(|e| e.into_inner());
    std::mem::take(&mut *spare)
}

/// Keeps `body` for the next large answer, its bytes as they are: [`read_over`] writes over
/// them instead of zeroing the buffer first.
fn keep_body(body: Vec<u8>) {
    if (KEEP_FROM..=KEEP_UP_TO).contains(&body.capacity()) {
        let mut spare = SPARE_BODY.lock().unwrap_or_else(|e| e.into_inner());
        if spare.capacity() < body.capacity() {
            *spare = body;
        }
    }
}

/// Reads `reader` to its end into `data`, writing over the bytes it holds (a kept buffer's,
/// an earlier answer) and zeroing only the room it adds: `read_to_end` zeroes all the room it
/// reads into on every call (a large listing's megabyte, each time).
fn read_over(reader: &mut impl io::Read, data: &mut Vec<u8>, announced: usize) -> io::Result<()> {
    let mut filled = 0;
    let result = loop {
        if filled == data.len() {
            // The announced rest (a body may send more than it said: 64 KiB more at a time).
            data.resize(filled + announced.saturating_sub(filled).max(64 << 10), 0);
        }
        match reader.read(&mut data[filled..]) {
            Ok(0) => break Ok(()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    data.truncate(filled);
    result
}

impl JsonText {
    /// The answer as `T`, whose strings may borrow from the text: a string without escapes is
    /// then never copied.
    pub(crate) fn parse<'a, T: serde::Deserialize<'a>>(&'a self) -> Result<T> {
        self.parse_seed(std::marker::PhantomData::<T>)
    }

    /// The answer read by `seed` (one that hands what it reads on as it goes), borrowing as
    /// [`JsonText::parse`] does; nothing may follow the JSON value.
    pub(crate) fn parse_seed<'a, S: serde::de::DeserializeSeed<'a>>(
        &'a self,
        seed: S,
    ) -> Result<S::Value> {
        let mut de = serde_json::Deserializer::from_str(&self.text);
        seed.deserialize(&mut de)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| Error::from(e).context(&self.context))
    }
}

/// The HTTP side of a client: one ureq agent (one connection pool) and the retry bound.
pub(crate) struct Transport {
    agent: ureq::Agent,
    max_retries: u32,
    max_answer_bytes: u64,
    call_timeout: std::time::Duration,
    low_speed: (u64, std::time::Duration),
    /// What the agent trusts, in words, for certificate errors.
    trusted: String,
}

impl Transport {
    pub(crate) fn new(options: &Options) -> Result<Transport> {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(options.user_agent.as_str())
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.io_timeout))
            .timeout_per_write(Some(options.io_timeout))
            .timeout_recv_response(Some(options.io_timeout))
            .max_idle_connections_per_host(8);
        let trust = trust::trust(options)?;
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(trust.roots)
                .build(),
        );
        Ok(Transport {
            trusted: trust.described,
            agent: ureq::Agent::with_parts(
                config.build(),
                ureq::unversioned::transport::DefaultConnector::default(),
                resolve::CachingResolver::default(),
            ),
            max_retries: options.max_retries,
            max_answer_bytes: options.max_answer_bytes,
            call_timeout: options.call_timeout,
            low_speed: (options.low_speed_limit, options.low_speed_time),
        })
    }

    /// Sends `req` (full URL, credentials set), repeating it where that is safe, and classifies
    /// error answers. The request is borrowed, so a caller may send it again (after a 401).
    /// Every attempt carries the call's correlation id (a fresh one outside any call), and an
    /// error names it.
    pub(crate) fn send(&self, req: &mut Request<'_>) -> Result<Response> {
        let id = correlation::current().unwrap_or_else(correlation::fresh);
        let result = self
            .send_with_id(req, &id)
            .map_err(|e| e.with_correlation_id(id.as_str()));
        if req.credential.is_some() {
            return result;
        }
        // A request without a credential is a presigned URL (or the token endpoint): its query
        // is the credential, and a store may echo it in its error.
        result.map_err(|e| e.redact(&query_secrets(&req.url)))
    }

    fn send_with_id(&self, req: &mut Request<'_>, id: &str) -> Result<Response> {
        let mut attempt: u32 = 0;
        // The URL as the log shows it costs as much as a small request's own work: it is made
        // only when a record is written.
        let shown_cell = std::cell::OnceCell::new();
        let method = req.method_name();
        loop {
            let started = Instant::now();
            let result = self.send_once(req, id);
            let took = started.elapsed();
            let can_repeat = req.body.replayable() && attempt < self.max_retries;
            match result {
                Err(e) => {
                    log::debug!(target: crate::logging::TARGET,
                        "{method} {}: no answer ({:?}) after {} ms [{CORRELATION_HEADER}: {id}]",
                        shown(&shown_cell, req), e.kind(), took.as_millis());
                    if can_repeat && req.idempotent && e.kind().is_transient_transport() {
                        let wait = backoff(attempt);
                        log_retry(
                            method,
                            shown(&shown_cell, req),
                            &format!("{:?}", e.kind()),
                            wait,
                            attempt,
                            self.max_retries,
                        );
                        std::thread::sleep(wait);
                        attempt += 1;
                        continue;
                    }
                    return Err(with_retry_note(e.context(&req.context), attempt));
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    log::debug!(target: crate::logging::TARGET,
                        "{method} {} -> {status} in {} ms [{CORRELATION_HEADER}: {id}]",
                        shown(&shown_cell, req), took.as_millis());
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
                            log_retry(
                                method,
                                shown(&shown_cell, req),
                                &format!("HTTP {status}"),
                                wait,
                                attempt,
                                self.max_retries,
                            );
                            std::thread::sleep(wait);
                            attempt += 1;
                            continue;
                        }
                        log::info!(target: crate::logging::TARGET,
                            "{method} {}: HTTP {status} not retried (wait {} ms, {attempt} of {} retries used)",
                            shown(&shown_cell, req), wait.as_millis(), self.max_retries);
                    }
                    let mut resp = self.check(resp, req, attempt)?;
                    // An answer read whole is read here, so that a GET whose body breaks off
                    // (a reset, a timeout mid-body) is sent again like one that got no answer.
                    if req.idempotent && !req.transfer {
                        match resp.read_body() {
                            Ok(bytes) => resp.read = Some(bytes),
                            // Not a Timeout: the call's deadline is the deadline.
                            Err(e) if can_repeat && e.kind() == ErrorKind::Transport => {
                                let wait = backoff(attempt);
                                log_retry(
                                    method,
                                    shown(&shown_cell, req),
                                    "the answer broke off",
                                    wait,
                                    attempt,
                                    self.max_retries,
                                );
                                std::thread::sleep(wait);
                                attempt += 1;
                                continue;
                            }
                            Err(e) => return Err(with_retry_note(e, attempt)),
                        }
                    }
                    return Ok(resp);
                }
            }
        }
    }

    fn low_speed(&self) -> LowSpeed {
        LowSpeed::new(self.low_speed.0, self.low_speed.1)
    }

    /// Runs one exchange; a request whose answer is read whole gets the whole-call deadline.
    fn run<B: ureq::AsSendBody>(
        &self,
        r: http::Request<B>,
        transfer: bool,
    ) -> std::result::Result<http::Response<ureq::Body>, ureq::Error> {
        if transfer {
            self.agent.run(r)
        } else {
            let r = self
                .agent
                .configure_request(r)
                .timeout_global(Some(self.call_timeout))
                .build();
            self.agent.run(r)
        }
    }

    fn send_once(&self, req: &mut Request<'_>, id: &str) -> Result<http::Response<ureq::Body>> {
        let url = append_query(&req.url, &req.query);
        let mut builder = http::Request::builder()
            .method(req.method.as_http())
            .uri(&url)
            .header(CORRELATION_HEADER, id);
        if let Some((name, value)) = &req.credential {
            builder = builder.header(name.as_str(), value.as_str());
        }
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let aborted = std::cell::Cell::new(false);
        let transfer = req.transfer;
        let speed = self.low_speed();
        let progress = req.progress.as_deref_mut();
        let result = match &mut req.body {
            Body::Empty => {
                // Without a length ureq sends a body-less POST/PUT as `Transfer-Encoding:
                // chunked`, which some servers (WSGI ones among them) handle badly: they read
                // the empty chunk as the next request on the pooled connection.
                if matches!(req.method, Method::Post | Method::Put) {
                    builder = builder.header("Content-Length", "0");
                }
                let r = builder.body(()).map_err(|e| bad_request(&url, e))?;
                self.run(r, transfer)
            }
            Body::Form(fields) => {
                let data = form_urlencode(fields).into_bytes();
                self.run_bytes(
                    builder,
                    &url,
                    &data,
                    "application/x-www-form-urlencoded",
                    transfer,
                )?
            }
            Body::Json(value) => {
                let data = serde_json::to_vec(value)?;
                self.run_bytes(builder, &url, &data, "application/json", transfer)?
            }
            Body::Bytes { data, content_type } => {
                self.run_bytes(builder, &url, data, content_type, transfer)?
            }
            Body::Stream {
                stream,
                content_type,
            } => {
                let len = stream.len;
                let mut reader = stream.open(progress, &aborted, speed)?;
                if let Some(ct) = content_type {
                    builder = builder.header("Content-Type", ct.as_str());
                }
                let r = builder
                    .header("Content-Length", len.to_string())
                    .body(ureq::SendBody::from_reader(&mut reader))
                    .map_err(|e| bad_request(&url, e))?;
                self.run(r, transfer)
            }
            Body::Multipart {
                fields,
                file_field,
                file_name,
                stream,
            } => {
                let layout = MultipartLayout::new(fields, file_field, file_name);
                let len = layout.body_len(stream.len);
                let file = stream.open(progress, &aborted, speed)?;
                let mut reader = layout.reader(file);
                let r = builder
                    .header("Content-Type", layout.content_type())
                    .header("Content-Length", len.to_string())
                    .body(ureq::SendBody::from_reader(&mut reader))
                    .map_err(|e| bad_request(&url, e))?;
                self.run(r, transfer)
            }
        };
        if aborted.get() {
            return Err(Error::new(
                ErrorKind::AbortedByCallback,
                "aborted by the progress callback",
            ));
        }
        result.map_err(|e| {
            let e = trust::explain(map_ureq_error(e), &url, &self.trusted);
            without_query(e, &url)
        })
    }

    fn run_bytes(
        &self,
        builder: http::request::Builder,
        url: &str,
        data: &[u8],
        content_type: &str,
        transfer: bool,
    ) -> Result<std::result::Result<http::Response<ureq::Body>, ureq::Error>> {
        let r = builder
            .header("Content-Type", content_type)
            .body(data)
            .map_err(|e| bad_request(url, e))?;
        Ok(self.run(r, transfer))
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
                limit: self.max_answer_bytes,
                speed: self.low_speed(),
                read: None,
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

/// Says why a request is sent again, after how long, and how many retries are left.
/// `req`'s URL with its query, credentials redacted, made once per call and only for the log.
fn shown<'c>(cell: &'c std::cell::OnceCell<String>, req: &Request<'_>) -> &'c str {
    cell.get_or_init(|| loggable_url(&append_query(&req.url, &req.query)))
}

fn log_retry(method: &str, url: &str, why: &str, wait: Duration, attempt: u32, max: u32) {
    log::info!(target: crate::logging::TARGET,
        "{method} {url}: {why}, retry {} of {max} in {} ms", attempt + 1, wait.as_millis());
}

/// Reads and drops the rest of the body so that the connection returns to the pool.
fn discard(mut resp: http::Response<ureq::Body>) {
    let _ = io::copy(&mut resp.body_mut().as_reader(), &mut io::sink());
}

#[cfg(test)]
mod tests {
    use super::wire::{capture_one_request, content_length, drip};
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn a_dripping_answer_ends_at_the_call_deadline() {
        let url = drip(1000, Duration::from_millis(50), 1);
        let options = Options {
            call_timeout: Duration::from_secs(1),
            ..Options::default()
        };
        let http = Transport::new(&options).unwrap();
        let started = Instant::now();
        let result = http
            .send(&mut Request::absolute(
                Method::Get,
                &format!("{url}/status/systems"),
            ))
            .and_then(Response::bytes);
        let e = result.expect_err("1000 bytes at 20 bytes/s cannot arrive in 1 s");
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_get_whose_answer_breaks_off_is_sent_again() {
        let body = br#"{"out": [1, 2, 3]}"#;
        let url = super::wire::cut_short(body, 2);
        let http = Transport::new(&Options::default()).unwrap();
        let mut req = Request::absolute(Method::Get, &format!("{url}/tasks"));
        let bytes = http.send(&mut req).unwrap().bytes().unwrap();
        assert_eq!(bytes, body);

        // A request that may not be repeated reports the cut instead.
        let url = super::wire::cut_short(body, 1);
        let mut req = Request::absolute(Method::Post, &format!("{url}/tasks"));
        let e = http.send(&mut req).and_then(Response::bytes).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    }

    #[test]
    fn a_dripping_download_ends_at_the_low_speed_limit() {
        let url = drip(1000, Duration::from_millis(50), 1);
        let options = Options {
            low_speed_limit: 100,
            low_speed_time: Duration::from_secs(1),
            call_timeout: Duration::from_millis(10),
            ..Options::default()
        };
        let http = Transport::new(&options).unwrap();
        let started = Instant::now();
        let mut req = Request::absolute(Method::Get, &format!("{url}/big")).download();
        let resp = http
            .send(&mut req)
            .expect("a download is not held to the call deadline");
        let e = resp.copy_to(&mut std::io::sink()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        assert!(e.message().contains("low-speed limit"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_bad_presigned_url_does_not_show_its_signature() {
        let http = Transport::new(&Options::default()).unwrap();
        let url = "http://bad host/b/k?X-Amz-Signature=s3cr3t";
        let Err(e) =
            http.send(&mut Request::absolute(Method::Put, url).bytes(b"x".to_vec(), "text/plain"))
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
        let http = Transport::new(&Options::default()).unwrap();
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
        let mut req = Request::absolute(Method::Post, &format!("{url}/bucket"))
            .multipart(
                fields,
                "file",
                "data.bin",
                Stream::file(&file, 0, data.len() as u64),
            )
            .progress(&mut progress);
        assert_eq!(http.send(&mut req).unwrap().status(), 204);
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
        let http = Transport::new(&Options::default()).unwrap();
        let data = vec![9u8; 100_000];
        let mut reader = &data[..];
        let mut req = Request::absolute(Method::Put, &format!("{url}/b/k?Signature=x"))
            .stream(Stream::reader(&mut reader, data.len() as u64), None);
        http.send(&mut req).unwrap();
        let raw = server.join().unwrap();
        let head = String::from_utf8_lossy(&raw[..200]).to_ascii_lowercase();
        assert!(head.starts_with("put /b/k?signature=x "), "{head}");
        assert!(head.contains("content-length: 100000"), "{head}");
        assert!(!head.contains("transfer-encoding"));
    }

    /// A reader handing out `chunk` bytes at a time, then failing if `fail` says so.
    struct Chunks<'a> {
        data: &'a [u8],
        chunk: usize,
        fail: bool,
    }

    impl io::Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.data.is_empty() && self.fail {
                return Err(io::Error::other("cut"));
            }
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_kept_buffer_is_read_over_to_exactly_the_new_answer() {
        let old: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let new: Vec<u8> = (0..150_000u32).map(|i| (i % 13) as u8 + b'a').collect();
        // Shorter than what the buffer held, longer than announced, announced exactly, and a
        // buffer that held nothing: the bytes are the new answer's, no more.
        for (held, announced) in [
            (&old, 150_000),
            (&old, 70_000),
            (&new, 150_000),
            (&vec![], 0),
        ] {
            for chunk in [1000, 65_536, 1 << 20] {
                let mut data = held.clone();
                let mut reader = Chunks {
                    data: &new,
                    chunk,
                    fail: false,
                };
                read_over(&mut reader, &mut data, announced).unwrap();
                assert!(data == new, "held {}, announced {announced}", held.len());
            }
        }
        // A read that fails mid-way is an error, and the buffer keeps only what was read.
        let mut data = old.clone();
        let mut reader = Chunks {
            data: &new[..1000],
            chunk: 300,
            fail: true,
        };
        assert!(read_over(&mut reader, &mut data, 150_000).is_err());
        assert_eq!(data, new[..1000]);
    }
}
