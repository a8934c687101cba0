//! HTTP plumbing shared by the v1 and v2 emulators: a tiny_http server with a pool of worker
//! threads, a request wrapper, responses streamed from files, fault injection and counters.
//! The API versions plug in through [`Api`]; the token endpoint and the staging object store are
//! served here for both.

use super::multipart;
use super::State;
use crate::util::{parse_urlencoded, percent_decode_path};
use serde_json::Value;
use std::fs::File;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

/// A FirecREST API generation served by the emulator (v1 routes, v2 routes).
pub(crate) trait Api: Send + Sync {
    /// Serves one request; `None` means "no such route" (the server answers 404).
    fn handle(&self, state: &Arc<State>, req: &mut Req) -> Option<Resp>;
}

/// An incoming request with its path and query decoded once.
pub(crate) struct Req {
    inner: tiny_http::Request,
    pub method: String,
    /// Percent-decoded path without the query string.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Set by a `FailTransfer` fault: the transfer this request creates must fail.
    pub fail_transfer: bool,
}

impl Req {
    fn new(inner: tiny_http::Request) -> Req {
        let url = inner.url().to_string();
        let (path, query) = match url.split_once('?') {
            Some((p, q)) => (p.to_string(), parse_urlencoded(q)),
            None => (url, Vec::new()),
        };
        Req {
            method: inner.method().as_str().to_ascii_uppercase(),
            path: percent_decode_path(&path),
            query,
            inner,
            fail_transfer: false,
        }
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.inner
            .headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_string())
    }

    /// The first query parameter of that name.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn content_length(&self) -> Option<u64> {
        self.inner.body_length().map(|l| l as u64)
    }

    pub fn content_type(&self) -> String {
        self.header("Content-Type").unwrap_or_default()
    }

    pub fn body(&mut self) -> &mut dyn Read {
        self.inner.as_reader()
    }

    pub(crate) fn inner_mut(&mut self) -> &mut tiny_http::Request {
        &mut self.inner
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

/// Serves requests until `state.stopping` is set and the server is unblocked.
pub(crate) fn spawn_workers(
    server: Arc<tiny_http::Server>,
    state: Arc<State>,
    api: Arc<dyn Api>,
    workers: usize,
) -> Vec<JoinHandle<()>> {
    (0..workers)
        .map(|i| {
            let (server, state, api) = (server.clone(), state.clone(), api.clone());
            std::thread::Builder::new()
                .name(format!("firecrest-emulator-{i}"))
                .spawn(move || loop {
                    let rq = match server.recv() {
                        Ok(rq) => rq,
                        Err(_) => break,
                    };
                    if state.stopping() {
                        drop(rq);
                        break;
                    }
                    // A bug must cost one request (its connection drops), not a worker: the
                    // pool is small and a lost worker would leave the emulator stuck.
                    let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        serve(&state, api.as_ref(), rq)
                    }));
                    if served.is_err() {
                        state.counters.add("panics");
                    }
                })
                .expect("spawn an emulator worker thread")
        })
        .collect()
}

fn serve(state: &Arc<State>, api: &dyn Api, rq: tiny_http::Request) {
    let mut req = Req::new(rq);
    state.counters.add("requests");
    state
        .counters
        .add(&format!("{} {}", req.method, route_key(&req.path)));
    let matched = state.faults.matching(&req.method, &req.path);
    if let Some(d) = matched.delay {
        std::thread::sleep(d);
    }
    if let Some((status, retry_after)) = matched.status {
        let mut resp = injected(status);
        if let Some(r) = retry_after {
            resp = resp.header("Retry-After", r);
        }
        respond(state, req, resp, None);
        return;
    }
    req.fail_transfer = matched.fail_transfer;
    let drop_after = matched.drop_after;
    if let Some(n) = drop_after {
        if req.content_length().is_some_and(|l| l > n) {
            // A request body longer than the cut: the connection drops while the client sends.
            let _ = io::copy(&mut req.body().take(n), &mut io::sink());
            if let Some(peer) = req.inner.remote_addr().copied() {
                close_connection(state.port(), peer, Cut::Reset);
            }
            return;
        }
    }
    let resp = if req.path == super::tokens::TOKEN_PATH {
        state.counters.add("token_requests");
        super::tokens::handle(state, &mut req)
    } else if req.path.starts_with(super::store::STORE_PREFIX) {
        super::store::handle(state, &mut req)
    } else {
        api.handle(state, &mut req).unwrap_or_else(|| {
            Resp::json(
                404,
                serde_json::json!({"message": "no Route matched with those values"}),
            )
        })
    };
    respond(state, req, resp, drop_after);
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

fn respond(state: &State, req: Req, resp: Resp, drop_after: Option<u64>) {
    let Req { inner, .. } = req;
    let peer = inner.remote_addr().copied();
    let status = tiny_http::StatusCode(resp.status);
    let headers: Vec<tiny_http::Header> = resp
        .headers
        .iter()
        .filter_map(|(k, v)| tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).ok())
        .collect();
    let (reader, len): (Box<dyn Read + Send>, u64) = match resp.body {
        Body::Empty => (Box::new(io::empty()), 0),
        Body::Bytes(b) => {
            let l = b.len() as u64;
            (Box::new(io::Cursor::new(b)), l)
        }
        Body::File(f, l) => (Box::new(f.take(l)), l),
    };
    let reader: Box<dyn Read + Send> = match drop_after {
        Some(n) => Box::new(reader.take(n)),
        None => reader,
    };
    // Always Content-Length, never chunked (as FirecREST and S3 answer): a body cut short by
    // DropAfter must look incomplete to the client, and tiny_http would otherwise chunk bodies
    // over 32 KiB and end the cut body with a valid final chunk.
    let response = tiny_http::Response::new(status, headers, reader, Some(len as usize), None)
        .with_chunked_threshold(usize::MAX);
    let _ = inner.respond(response);
    if drop_after.is_some() {
        if let Some(peer) = peer {
            // tiny_http keeps the connection open for the next request; close it so the client
            // sees the body cut short at once instead of waiting for the missing bytes.
            close_connection(state.port(), peer, Cut::Close);
        }
    }
}

/// Sets TCP_NODELAY on the listening socket; Linux passes it on to accepted connections.
/// tiny_http writes a response in several small pieces, and with Nagle's algorithm each piece
/// after the first waits for the client's delayed ACK (≈40 ms per request).
pub(crate) fn no_delay(listener: &std::net::TcpListener) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: setsockopt on a valid socket fd with a pointer to a live c_int of the given size.
    unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            &one as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// How a connection is dropped.
#[derive(Clone, Copy, PartialEq)]
enum Cut {
    /// FIN: the client reads what was sent, then sees the connection close.
    Close,
    /// RST: a client still sending gets an error at once instead of filling the socket buffer.
    Reset,
}

/// The socket fds (tiny_http holds two per connection) between our port and `peer`.
fn connection_fds(local_port: u16, peer: SocketAddr) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|&fd| {
            sock_addr(fd, true) == Some(peer)
                && sock_addr(fd, false).map(|a| a.port()) == Some(local_port)
        })
        .collect()
}

fn close_connection(local_port: u16, peer: SocketAddr, cut: Cut) {
    let fds = connection_fds(local_port, peer);
    if cut == Cut::Close {
        for fd in fds {
            // SAFETY: shutdown on a socket fd owned by tiny_http only changes its TCP state;
            // tiny_http then sees EOF and drops the connection.
            unsafe {
                libc::shutdown(fd, libc::SHUT_RDWR);
            }
        }
        return;
    }
    // SAFETY: the socket is closed with SO_LINGER 0 (so the kernel sends RST) by putting
    // /dev/null in place of each of its fds with dup2, which is atomic: the fd numbers tiny_http
    // owns stay valid (reads see EOF, writes vanish) until tiny_http closes them itself.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if null < 0 {
            return;
        }
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        for fd in fds {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &linger as *const libc::linger as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
            libc::dup2(null, fd);
        }
        libc::close(null);
    }
}

fn sock_addr(fd: i32, peer: bool) -> Option<SocketAddr> {
    // SAFETY: sockaddr_storage is plain data; the kernel writes at most `len` bytes into it.
    unsafe {
        let mut storage: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let p = &mut storage as *mut _ as *mut libc::sockaddr;
        let rc = if peer {
            libc::getpeername(fd, p, &mut len)
        } else {
            libc::getsockname(fd, p, &mut len)
        };
        if rc != 0 {
            return None;
        }
        match storage.ss_family as i32 {
            libc::AF_INET => {
                let a = &*(p as *const libc::sockaddr_in);
                let ip = std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
                Some(SocketAddr::from((ip, u16::from_be(a.sin_port))))
            }
            libc::AF_INET6 => {
                let a = &*(p as *const libc::sockaddr_in6);
                let ip = std::net::Ipv6Addr::from(a.sin6_addr.s6_addr);
                Some(SocketAddr::from((ip, u16::from_be(a.sin6_port))))
            }
            _ => None,
        }
    }
}
