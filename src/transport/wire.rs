//! A one-shot loopback HTTP listener that records the request it gets: to check what the client
//! puts on the wire (lengths, part order, credentials) without a mock of the client itself.

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

/// Accepts connections on loopback and answers each request with a 200 whose `len`-byte body
/// arrives one byte every `every` (a server that drips); stops after `len` bytes or when the
/// client hangs up, and after `connections` connections.
pub(crate) fn drip(len: usize, every: std::time::Duration, connections: usize) -> String {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut sock, _)) = listener.accept() else {
                return;
            };
            read_head(&mut sock);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
            );
            if sock.write_all(head.as_bytes()).is_err() {
                continue;
            }
            for _ in 0..len {
                std::thread::sleep(every);
                if sock.write_all(b" ").and_then(|()| sock.flush()).is_err() {
                    break;
                }
            }
        }
    });
    url
}

/// Answers requests with `body`, but closes the first `cuts` connections halfway through it
/// (a dropped connection mid-body); serves `cuts + 1` connections in all.
pub(crate) fn cut_short(body: &'static [u8], cuts: usize) -> String {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for i in 0..=cuts {
            let Ok((mut sock, _)) = listener.accept() else {
                return;
            };
            read_head(&mut sock);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let part = if i < cuts {
                &body[..body.len() / 2]
            } else {
                body
            };
            let _ = sock
                .write_all(head.as_bytes())
                .and_then(|()| sock.write_all(part));
        }
    });
    url
}

/// Reads a request up to the end of its head (the tests' requests have no body).
fn read_head(sock: &mut std::net::TcpStream) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}
