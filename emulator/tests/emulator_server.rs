//! The HTTP server itself: a drop fault ends the exchange at once whatever the body's size,
//! idle keep-alive connections cost no thread each, and a body over a route's limit is refused
//! from its declared length without being read.

mod support;

use firecrest_emulator::{parse_fault, ApiVersion, Config, Emulator};
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::raw;
use support::v2::V2;

/// The tests of this file count threads: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Far beyond what any answer here needs: a test that waits this long has failed.
const PATIENCE: Duration = Duration::from_secs(30);
/// What "at once" means on a loaded 2-core machine.
const PROMPT: Duration = Duration::from_secs(5);

/// POSTs a 100-byte form to the token endpoint and reads until the server closes the
/// connection; returns what came back and how long it took.
fn post_100_bytes(emu: &Emulator) -> (Vec<u8>, Duration) {
    let mut conn = raw::connect(emu, PATIENCE);
    let body = format!(
        "grant_type=client_credentials&client_id=x&client_secret={}",
        "s".repeat(44)
    );
    assert_eq!(body.len(), 100);
    let start = Instant::now();
    conn.write_all(
        format!(
            "POST /auth/realms/kcrealm/protocol/openid-connect/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n{body}"
        )
        .as_bytes(),
    )
    .unwrap();
    let mut got = Vec::new();
    // A reset ends the read as an error; what arrived before it is in `got`.
    let _ = conn.read_to_end(&mut got);
    (got, start.elapsed())
}

#[test]
fn a_drop_fault_ends_an_exchange_with_a_small_body_at_once() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let emu = Emulator::start(Config::default()).unwrap();
    // The request body (100 bytes) is longer than the cut: no answer at all.
    emu.add_fault(parse_fault("POST /auth=drop:50").unwrap());
    let (got, took) = post_100_bytes(&emu);
    assert!(took < PROMPT, "the cut upload hung for {took:?}");
    assert!(
        got.is_empty(),
        "an answer came: {:?}",
        String::from_utf8_lossy(&got)
    );
    // The body is shorter than the cut: the answer (shorter too) comes whole, then the
    // connection closes instead of waiting for the client's next request.
    emu.add_fault(parse_fault("POST /auth=drop:1000").unwrap());
    let (got, took) = post_100_bytes(&emu);
    assert!(took < PROMPT, "the connection stayed open for {took:?}");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(text.ends_with('}') || text.ends_with("}\n"), "{text}");
    // The answer is longer than the cut: it stops short of its Content-Length.
    emu.add_fault(parse_fault("POST /auth=drop:10").unwrap());
    let mut conn = BufReader::new(raw::connect(&emu, PATIENCE));
    let start = Instant::now();
    conn.get_mut()
        .write_all(b"POST /auth/realms/kcrealm/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    let (status, len) = raw::read_head(&mut conn).unwrap();
    let mut body = Vec::new();
    let _ = conn.read_to_end(&mut body);
    assert!(start.elapsed() < PROMPT, "the cut download hung");
    assert_eq!((status, body.len()), (400, 10), "Content-Length {len}");
    assert!(len > 10);
}

#[test]
fn idle_keep_alive_connections_take_no_thread_each() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let emu = Emulator::start(Config::default()).unwrap();
    let mut first = BufReader::new(raw::connect(&emu, PATIENCE));
    assert_eq!(raw::get(&mut first, "/no/such/route").unwrap(), 404);
    let before = raw::threads();
    let mut idle: Vec<BufReader<TcpStream>> = (0..300)
        .map(|_| BufReader::new(raw::connect(&emu, PATIENCE)))
        .collect();
    // Connections are accepted in order: once a later one is served, all 300 are accepted.
    let mut last = BufReader::new(raw::connect(&emu, PATIENCE));
    assert_eq!(raw::get(&mut last, "/no/such/route").unwrap(), 404);
    let after = raw::threads();
    assert!(
        after < before + 30,
        "300 idle connections: {before} threads before, {after} after"
    );
    // Idle is not forgotten: each of them is still served.
    for (i, c) in idle.iter_mut().enumerate().step_by(30) {
        assert_eq!(
            raw::get(c, "/no/such/route").unwrap(),
            404,
            "connection {i}"
        );
    }
}

#[test]
fn an_oversized_upload_is_refused_before_its_body_is_read() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let v2 = V2::start(Config {
        api: ApiVersion::V2,
        ..Config::default()
    });
    let mut conn = BufReader::new(raw::connect(&v2.emu, PATIENCE));
    let start = Instant::now();
    // 64 MiB announced (the limit is 5 MiB); only the first part headers are ever sent.
    let head = format!(
        "POST /filesystem/cluster/ops/upload?path=/home/testuser HTTP/1.1\r\nHost: x\r\n\
         Authorization: {}\r\nContent-Type: multipart/form-data; boundary=b\r\n\
         Content-Length: {}\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"big\"\r\n\r\n",
        v2.bearer(),
        64u64 << 20
    );
    conn.get_mut().write_all(head.as_bytes()).unwrap();
    conn.get_mut().write_all(&[7u8; 4096]).unwrap();
    let (status, _) = raw::read_head(&mut conn).expect("an answer before the body is sent");
    assert_eq!(status, 413);
    assert!(
        start.elapsed() < PROMPT,
        "answered after {:?}",
        start.elapsed()
    );
    assert!(!v2.emu.local_path("/home/testuser/big").exists());
}
