//! Helpers for the client tests against the emulator (one emulator per test, port 0).
#![allow(dead_code)]

use firecrest::emulator::{Config, Emulator};
use firecrest::{ApiVersion, Auth, Client, Options};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn emulator(api: ApiVersion, tweak: impl FnOnce(&mut Config)) -> Emulator {
    let mut config = Config {
        api,
        task_delay: Duration::from_millis(20),
        ..Config::default()
    };
    tweak(&mut config);
    Emulator::start(config).expect("emulator starts")
}

/// Fast polling, so tests do not sleep long; `api` None lets the client detect the version.
pub fn options(api: Option<ApiVersion>) -> Options {
    Options {
        api_version: api,
        poll_initial: Duration::from_millis(10),
        poll_max: Duration::from_millis(100),
        ..Options::default()
    }
}

pub fn client_with(emu: &Emulator, options: Options) -> Client {
    let auth = Auth::client_credentials(emu.client_id(), emu.client_secret(), emu.token_url());
    Client::new(&emu.url(), auth, options).expect("client")
}

pub fn client(emu: &Emulator, api: ApiVersion) -> Client {
    client_with(emu, options(Some(api)))
}

/// Both at once: an emulator speaking `api` and a client forced to it.
pub fn setup(api: ApiVersion) -> (Emulator, Client) {
    let emu = emulator(api, |_| {});
    let c = client(&emu, api);
    (emu, c)
}

/// Deterministic, incompressible-looking bytes (xorshift), different per `seed`.
pub fn bytes(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub fn write_file(path: &Path, size: usize, seed: u64) -> String {
    let data = bytes(size, seed);
    std::fs::write(path, &data).unwrap();
    sha256(&data)
}

pub fn sha256(data: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(data);
    format!("{:x}", h.finalize())
}

pub fn sha256_file(path: &Path) -> String {
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    format!("{:x}", h.finalize())
}

/// A fresh local scratch directory for one test.
pub fn local_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "firecrest-client-v2-{tag}-{}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes a file straight into the emulator's sandbox (test setup without the client).
pub fn put_remote(emu: &Emulator, remote: &str, data: &[u8]) {
    let p = emu.local_path(remote);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}
