//! A lying server: a loopback HTTP/1.1 listener that stands in for a broken FirecREST, a broken
//! token endpoint or a hostile store. Each connection carries one request, recorded whole, and
//! gets whatever answer the test's handler makes of it: garbage, HTML, a truncated or endless
//! body, bytes dripped one at a time, an echo of the request, a redirect. The client under test
//! speaks real HTTP to it; only the server is made up.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the liar received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The request head as sent (request line and headers).
    pub head: String,
    pub body: Vec<u8>,
}

impl Seen {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// What the liar sends back.
pub enum Answer {
    /// These bytes, then the connection closes.
    Raw(Vec<u8>),
    /// `head` (ending in the blank line), then `body` one byte every `every`.
    Drip {
        head: String,
        body: Vec<u8>,
        every: Duration,
    },
    /// `head` (chunked), then chunks of `x` forever, or until the client hangs up.
    Endless { head: String },
}

impl Answer {
    /// A complete answer with `status`, extra header lines (each ending in CRLF) and a body.
    pub fn full(status: u16, headers: &str, content_type: &str, body: &[u8]) -> Answer {
        let mut raw = format!(
            "HTTP/1.1 {status} Liar\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Connection: close\r\n{headers}\r\n",
            body.len()
        )
        .into_bytes();
        raw.extend_from_slice(body);
        Answer::Raw(raw)
    }

    pub fn json(status: u16, body: &str) -> Answer {
        Answer::full(status, "", "application/json", body.as_bytes())
    }
}

type Handler = dyn Fn(&Seen) -> Answer + Send + Sync;

pub struct Liar {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Liar {
    pub fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Liar {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (handler, log) = (handler.clone(), log.clone());
                std::thread::spawn(move || serve(conn, &*handler, &log));
            }
        });
        Liar { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests had this method and path (query aside).
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.path.split('?').next() == Some(path))
            .count()
    }
}

fn serve(mut sock: TcpStream, handler: &Handler, log: &Mutex<Vec<Seen>>) {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(30)));
    let Some(seen) = read_request(&mut sock) else {
        return;
    };
    log.lock().unwrap().push(seen.clone());
    match handler(&seen) {
        Answer::Raw(bytes) => {
            let _ = sock.write_all(&bytes);
        }
        Answer::Drip { head, body, every } => {
            if sock.write_all(head.as_bytes()).is_err() {
                return;
            }
            for b in body {
                std::thread::sleep(every);
                if sock.write_all(&[b]).is_err() {
                    return;
                }
            }
        }
        Answer::Endless { head } => {
            if sock.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
            while sock.write_all(chunk.as_bytes()).is_ok() {}
        }
    }
    let _ = sock.shutdown(std::net::Shutdown::Write);
    // Let the client read what was sent before the socket goes away.
    let mut rest = [0u8; 1024];
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    while matches!(sock.read(&mut rest), Ok(n) if n > 0) {}
}

/// Reads one request: its head, then as much body as its Content-Length announces. None when
/// the peer closes (or fails) first.
pub fn read_request(sock: &mut impl Read) -> Option<Seen> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while raw.len() < end + length {
        let n = sock.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let mut first = head.lines().next()?.split(' ');
    Some(Seen {
        method: first.next()?.to_string(),
        path: first.next()?.to_string(),
        head,
        body: raw[end..end + length].to_vec(),
    })
}
