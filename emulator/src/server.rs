//! HTTP plumbing shared by the v1 and v2 emulators: hyper's HTTP/1 connections on a tokio
//! runtime with our own accept loop, handing each request to a handler as an `exchange::Req`
//! and streaming its `Resp` back (from files where it can), fault injection and counters. The API versions plug in through
//! [`Api`]; the token endpoint and the staging object store are served here for both.
//!
//! Handlers are synchronous and run on tokio's blocking pool, one per request being served; an
//! idle keep-alive connection is a task, not a thread. Request bodies are never held whole: the
//! handler pulls them chunk by chunk from the connection, and response bodies stream from their
//! files.

use super::exchange::{Body, Req, Resp};
use super::State;
use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
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
