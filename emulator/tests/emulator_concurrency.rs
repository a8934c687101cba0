//! Many keep-alive connections at once: every connection opened in a burst is served while the
//! others stay open (parallel multipart parts, parallel HPC jobs against one emulator).

use firecrest_emulator::ApiVersion;
use firecrest_emulator::{Config, Emulator};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends one keep-alive request on `conn` and reads the answer; returns the status code.
fn request(conn: &mut BufReader<TcpStream>) -> std::io::Result<u16> {
    conn.get_mut().write_all(
        b"GET /no/such/route HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n",
    )?;
    let mut status_line = String::new();
    conn.read_line(&mut status_line)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
    let mut len = 0usize;
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
    conn.by_ref()
        .take(len as u64)
        .read_to_end(&mut Vec::new())?;
    Ok(status)
}

fn burst(emu: &Emulator, connections: usize) {
    let addr = emu.url().trim_start_matches("http://").to_string();
    // Open every connection before the first request, as a client with parallel parts does.
    let mut conns: Vec<BufReader<TcpStream>> = (0..connections)
        .map(|_| {
            let s = TcpStream::connect(&addr).unwrap();
            // Far below the clients' 60 s, far above a loaded machine's scheduling delays.
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            BufReader::new(s)
        })
        .collect();
    for round in 0..2 {
        for (i, c) in conns.iter_mut().enumerate() {
            let status = request(c).unwrap_or_else(|e| {
                panic!("connection {i} of {connections} (round {round}) got no answer: {e}")
            });
            assert_eq!(status, 404, "connection {i}");
        }
    }
}

#[test]
fn dozens_of_keep_alive_connections_are_served_at_once() {
    for api in [ApiVersion::V1, ApiVersion::V2] {
        let emu = Emulator::start(Config {
            api,
            ..Config::default()
        })
        .unwrap();
        burst(&emu, 8);
        burst(&emu, 48);
    }
}
