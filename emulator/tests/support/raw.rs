//! HTTP spoken by hand over a TCP socket, for what a client library hides: many idle
//! connections, a body announced but not sent, a connection dropped mid-exchange.

use firecrest_emulator::Emulator;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A connection to the emulator with a read timeout of `timeout`.
pub fn connect(emu: &Emulator, timeout: Duration) -> TcpStream {
    let s = TcpStream::connect(emu.url().trim_start_matches("http://")).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    s
}

/// Reads a status line and headers; returns the status and the Content-Length (0 if none).
pub fn read_head(conn: &mut BufReader<TcpStream>) -> std::io::Result<(u16, u64)> {
    let mut status_line = String::new();
    conn.read_line(&mut status_line)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
    let mut len = 0;
    loop {
        let mut line = String::new();
        conn.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    Ok((status, len))
}

/// Sends one keep-alive GET of `path` on `conn` and reads the answer; returns the status code.
pub fn get(conn: &mut BufReader<TcpStream>, path: &str) -> std::io::Result<u16> {
    conn.get_mut().write_all(
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
            .as_bytes(),
    )?;
    let (status, len) = read_head(conn)?;
    conn.by_ref().take(len).read_to_end(&mut Vec::new())?;
    Ok(status)
}

/// The number of threads of this process (`Threads:` of /proc/self/status).
pub fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Threads: in /proc/self/status")
}
