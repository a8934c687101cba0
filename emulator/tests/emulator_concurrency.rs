//! Many keep-alive connections at once: every connection opened in a burst is served while the
//! others stay open (parallel multipart parts, parallel HPC jobs against one emulator).

mod support;

use firecrest_emulator::ApiVersion;
use firecrest_emulator::{Config, Emulator};
use std::io::BufReader;
use std::net::TcpStream;
use std::time::Duration;
use support::raw;

fn burst(emu: &Emulator, connections: usize) {
    // Open every connection before the first request, as a client with parallel parts does.
    // The read timeout is far below the clients' 60 s, far above a loaded machine's delays.
    let mut conns: Vec<BufReader<TcpStream>> = (0..connections)
        .map(|_| BufReader::new(raw::connect(emu, Duration::from_secs(20))))
        .collect();
    for round in 0..2 {
        for (i, c) in conns.iter_mut().enumerate() {
            let status = raw::get(c, "/no/such/route").unwrap_or_else(|e| {
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
