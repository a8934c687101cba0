//! HTTP plumbing shared by the v1 and v2 emulators: hyper's HTTP/1 connections on a tokio
//! runtime with our own accept loop, a request wrapper whose body synchronous handlers read,
//! responses streamed from files, fault injection and counters. The API versions plug in through
//! [`Api`]; the token endpoint and the staging object store are served here for both.
//!
//! Handlers are synchronous and run on tokio's blocking pool, one per request being served; an
//! idle keep-alive connection is a task, not a thread. Request bodies are never held whole: the
//! handler pulls them chunk by chunk from the connection, and response bodies stream from their
//! files.

use super::multipart;
use super::State;
use crate::util::{parse_urlencoded, percent_decode_path};
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use http_body::Body as _;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::fs::File;
use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Connections served at once; the next ones wait in the listen backlog.
const MAX_CONNECTIONS: usize = 1024;
/// Handlers running at once (blocking-pool threads; idle ones end after a few seconds).
const MAX_HANDLERS: usize = 128;
/// How long a stop waits for requests in progress before it drops their connections.
const GRACE: Duration = Duration::from_secs(2);
/// Request body bytes still read and thrown away after an early answer (e.g. 413), so that a
/// client that sends its whole body before reading sees the answer instead of a reset; a longer
/// body gets its connection closed.
const DRAIN_LIMIT: u64 = 64 << 20;
/// How long a response cut by a drop fault waits before the connection drops, so that the
/// bytes before the cut reach the client.
const FLUSH_BEFORE_CUT: Duration = Duration::from_millis(50);
/// Read size for response bodies streamed from files.
const FILE_CHUNK: usize = 256 * 1024;

/// A FirecREST API generation served by the emulator (v1 routes, v2 routes).
pub(crate) trait Api: Send + Sync {
    /// Serves one request; `None` means "no such route" (the server answers 404).
    fn handle(&self, state: &Arc<State>, req: &mut Req) -> Option<Resp>;
}

/// A request body as the connection delivers it, chunk by chunk: a `Stream` for multer and a
/// blocking `Read` for handlers (which run outside the runtime and wait on it).
pub(crate) struct BodyStream {
    body: Incoming,
    rt: Handle,
    /// The part of the last chunk that `read` has not handed out yet.
    left: Bytes,
    /// Set after a chunk is returned: the next poll is `Pending` once (waking itself at once).
    /// multer's buffer pulls from its stream until it is pending, so a stream that is always
    /// ready would be read whole into memory before the first field is handed out.
    just_yielded: bool,
    done: bool,
}

impl BodyStream {
    fn new(body: Incoming, rt: Handle) -> BodyStream {
        BodyStream {
            body,
            rt,
            left: Bytes::new(),
            just_yielded: false,
            done: false,
        }
    }

    /// The runtime the connection runs on (multipart parsing waits on it too).
    pub(crate) fn runtime(&self) -> Handle {
        self.rt.clone()
    }

    /// Reads and throws away at least `limit` bytes (whole chunks); true when the body ended.
    async fn discard(&mut self, limit: u64) -> bool {
        let mut seen = 0;
        while seen < limit {
            match self.next().await {
                Some(Ok(chunk)) => seen += chunk.len() as u64,
                Some(Err(_)) => return false,
                None => return true,
            }
        }
        false
    }

    fn finished(&self) -> bool {
        self.done || (self.left.is_empty() && http_body::Body::is_end_stream(&self.body))
    }
}

impl futures_util::Stream for BodyStream {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        let this = self.get_mut();
        if !this.left.is_empty() {
            return Poll::Ready(Some(Ok(std::mem::take(&mut this.left))));
        }
        if this.done {
            return Poll::Ready(None);
        }
        if this.just_yielded {
            this.just_yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    this.done = true;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(io::Error::other(e))));
                }
                // Trailers and empty chunks carry no body bytes.
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if !data.is_empty() => {
                        this.just_yielded = true;
                        return Poll::Ready(Some(Ok(data)));
                    }
                    _ => continue,
                },
            }
        }
    }
}

impl Read for BodyStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left.is_empty() {
            let rt = self.rt.clone();
            match rt.block_on(self.next()) {
                Some(chunk) => self.left = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.left.len());
        buf[..n].copy_from_slice(&self.left.split_to(n));
        Ok(n)
    }
}

/// An incoming request with its path and query decoded once.
pub(crate) struct Req {
    pub method: String,
    /// Percent-decoded path without the query string.
    pub path: String,
    pub query: Vec<(String, String)>,
    headers: HeaderMap,
    body: BodyStream,
    /// Set by a `FailTransfer` fault: the transfer this request creates must fail.
    pub fail_transfer: bool,
}

impl Req {
    fn new(request: Request<Incoming>, rt: Handle) -> Req {
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
        http_body::Body::size_hint(&self.body.body).exact()
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
            multipart::for_each_field(self, &ct, limit, |part| {
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

/// A running server: the accept loop and its connections on a runtime of their own thread.
pub(crate) struct Server {
    stop: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `listener` (already bound, so clients may connect at once) until [`Server::stop`].
    pub fn start(
        listener: std::net::TcpListener,
        state: Arc<State>,
        api: Arc<dyn Api>,
    ) -> io::Result<Server> {
        listener.set_nonblocking(true)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(MAX_HANDLERS)
            .thread_keep_alive(Duration::from_secs(2))
            .thread_name("firecrest-emulator")
            .enable_all()
            .build()?;
        let listener = {
            let _entered = rt.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let stop = CancellationToken::new();
        let shared = Arc::new(Shared { state, api });
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("firecrest-emulator-accept".into())
            .spawn(move || {
                rt.block_on(accept_loop(listener, shared, stopped));
                // Handlers still running (a client that stopped sending mid-body) see their
                // connection gone and end; they are not waited for beyond this.
                rt.shutdown_timeout(GRACE);
            })?;
        Ok(Server {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops accepting, lets requests in progress finish for a moment, closes every connection
    /// and returns when the server's threads are gone.
    pub fn stop(&mut self) {
        self.stop.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Shared {
    state: Arc<State>,
    api: Arc<dyn Api>,
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    stop: CancellationToken,
) {
    let connections = TaskTracker::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = async {
                let permit = slots.clone().acquire_owned().await;
                (permit, listener.accept().await)
            } => accepted,
        };
        let (Ok(permit), Ok((socket, _))) = accepted else {
            // Out of file descriptors or the like: wait instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // Headers and a small body go out in separate writes; without this each write after
        // the first waits for the client's delayed ACK (≈40 ms per request).
        let _ = socket.set_nodelay(true);
        let (shared, stop) = (shared.clone(), stop.clone());
        connections.spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { shared.serve(request).await }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(socket), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(GRACE, conn).await;
                }
            }
        });
    }
    drop(listener);
    connections.close();
    let _ = tokio::time::timeout(GRACE * 2, connections.wait()).await;
}

/// A connection-ending error: hyper closes the connection without (finishing) an answer.
fn cut_connection(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, why.to_string())
}

impl Shared {
    async fn serve(self: Arc<Self>, request: Request<Incoming>) -> io::Result<Response<OutBody>> {
        let state = &self.state;
        let mut req = Req::new(request, Handle::current());
        state.counters.add("requests");
        state.seen.add(crate::SeenRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            correlation_id: req.header("x-correlation-id"),
        });
        state
            .counters
            .add(&format!("{} {}", req.method, route_key(&req.path)));
        if req.header("Range").is_some() {
            // Tests see whether a client resumed (a range asked for), whatever the answer.
            state
                .counters
                .add(&format!("{} {} Range", req.method, route_key(&req.path)));
        }
        let matched = state.faults.matching(&req.method, &req.path);
        if let Some(d) = matched.delay {
            tokio::time::sleep(d).await;
        }
        if let Some((status, retry_after)) = matched.status {
            let mut resp = injected(status);
            if let Some(r) = retry_after {
                resp = resp.header("Retry-After", r);
            }
            return Ok(finish(req, resp, None));
        }
        req.fail_transfer = matched.fail_transfer;
        let drop_after = matched.drop_after;
        if let Some(n) = drop_after {
            if req.content_length().is_some_and(|l| l > n) {
                // A request body longer than the cut: the connection drops while the client
                // sends (closing a socket with unread data resets it, so the client learns at
                // once).
                req.body.discard(n).await;
                return Err(cut_connection("request body cut by a drop fault"));
            }
        }
        let shared = self.clone();
        let served = tokio::task::spawn_blocking(move || {
            let resp = shared.route(&mut req);
            (req, resp)
        })
        .await;
        match served {
            Ok((req, resp)) => Ok(finish(req, resp, drop_after)),
            Err(_) => {
                // A bug costs one request (its connection drops), not the server.
                state.counters.add("panics");
                Err(cut_connection("the handler panicked"))
            }
        }
    }

    fn route(&self, req: &mut Req) -> Resp {
        let state = &self.state;
        if req.path == super::tokens::TOKEN_PATH {
            state.counters.add("token_requests");
            super::tokens::handle(state, req)
        } else if req.path.starts_with(super::store::STORE_PREFIX) {
            super::store::handle(state, req)
        } else {
            self.api.handle(state, req).unwrap_or_else(|| {
                Resp::json(
                    404,
                    serde_json::json!({"message": "no Route matched with those values"}),
                )
            })
        }
    }
}

/// An injected error answer, worded like the component that sends it in a real deployment:
/// Flask's page for 500, the Kong gateway's `{"message"}` bodies otherwise.
fn injected(status: u16) -> Resp {
    let message = match status {
        500 => return Resp::flask_500(),
        429 => "API rate limit exceeded",
        502 => "An invalid response was received from the upstream server",
        503 => "failure to get a peer from the ring-balancer",
        504 => "The upstream server is timing out",
        _ => "injected fault",
    };
    Resp::json(status, serde_json::json!({ "message": message }))
}

/// The path with long ids replaced, so counters group by route (`/tasks/<id>` → `/tasks/*`).
fn route_key(path: &str) -> String {
    let p = path.trim_end_matches('/');
    if p.starts_with("/tasks/") {
        return "/tasks/*".to_string();
    }
    if p.starts_with(super::store::STORE_PREFIX) {
        return super::store::STORE_PREFIX.trim_end_matches('/').to_string();
    }
    p.to_string()
}

/// The hyper response for `resp`. A request body the handler left unread is drained in the
/// background (up to [`DRAIN_LIMIT`]) while the answer goes out. With `drop_after`, the
/// connection ends after that many body bytes: the body stream fails there, and hyper drops the
/// connection with the body short of its Content-Length; a shorter body goes out whole and
/// the connection is closed after it.
fn finish(req: Req, resp: Resp, drop_after: Option<u64>) -> Response<OutBody> {
    let mut body = req.body;
    if !body.finished() {
        tokio::spawn(async move { body.discard(DRAIN_LIMIT).await });
    }
    let (chunks, len): (BoxStream<'static, io::Result<Bytes>>, u64) = match resp.body {
        Body::Empty => (stream::empty().boxed(), 0),
        Body::Bytes(b) => {
            let len = b.len() as u64;
            (stream::once(async move { Ok(Bytes::from(b)) }).boxed(), len)
        }
        Body::File(f, len) => {
            let file = tokio::fs::File::from_std(f).take(len);
            let chunks = tokio_util::io::ReaderStream::with_capacity(file, FILE_CHUNK);
            (chunks.boxed(), len)
        }
    };
    let mut out = Response::new(OutBody {
        chunks,
        len,
        left: drop_after.map_or(len, |n| n.min(len)),
        cut: drop_after.is_some_and(|n| n < len),
        flush_wait: None,
    });
    *out.status_mut() = hyper::StatusCode::from_u16(resp.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = out.headers_mut();
    for (k, v) in &resp.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_bytes(v.as_bytes()),
        ) {
            headers.append(k, v);
        }
    }
    if drop_after.is_some() {
        headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    out
}

/// A response body: `left` bytes of `chunks` go out, then the body ends, or fails when `cut`
/// (a drop fault). Its length is always known, so hyper sends Content-Length, never chunks (as
/// FirecREST and S3 answer), and a cut body looks incomplete to the client.
pub(crate) struct OutBody {
    chunks: BoxStream<'static, io::Result<Bytes>>,
    len: u64,
    left: u64,
    cut: bool,
    flush_wait: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl http_body::Body for OutBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if this.left == 0 {
            if !this.cut {
                return Poll::Ready(None);
            }
            // hyper drops what it has not written yet when a body fails: give it a moment to
            // flush the bytes before the cut.
            let flushed = this
                .flush_wait
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(FLUSH_BEFORE_CUT)));
            return flushed
                .as_mut()
                .poll(cx)
                .map(|()| Some(Err(cut_connection("response cut by a drop fault"))));
        }
        match this.chunks.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(mut chunk))) => {
                chunk.truncate(chunk.len().min(this.left as usize));
                this.left -= chunk.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            other => other.map(|c| c.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.len == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}
