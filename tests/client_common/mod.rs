//! Shared set-up of the client tests: an emulator on its own port, a client with client
//! credentials, fixtures written straight into the emulator's root.
#![allow(dead_code)]

use firecrest::{Auth, Client, Options};
use firecrest_emulator::{Config, Emulator, Fault, FaultAction};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn start_v1() -> Emulator {
    start_with(Config::default())
}

pub fn start_with(config: Config) -> Emulator {
    Emulator::start(Config {
        api: firecrest_emulator::ApiVersion::V1,
        ..config
    })
    .expect("emulator starts")
}

/// Short backoff so that retry tests stay quick.
pub fn fast_options() -> Options {
    Options {
        poll_initial: Duration::from_millis(10),
        poll_max: Duration::from_millis(100),
        ..Options::default()
    }
}

pub fn auth(emu: &Emulator) -> Auth {
    Auth::client_credentials(emu.client_id(), emu.client_secret(), emu.token_url())
}

pub fn client(emu: &Emulator) -> Client {
    client_with(emu, fast_options())
}

pub fn client_with(emu: &Emulator, options: Options) -> Client {
    Client::new(&emu.url(), auth(emu), options).expect("client")
}

/// `home/name` as a remote path.
pub fn remote(emu: &Emulator, name: &str) -> String {
    format!("{}/{name}", emu.home())
}

/// Writes a remote file through the emulator's root (fixture, not through the client).
pub fn put_remote(emu: &Emulator, remote_path: &str, data: &[u8]) {
    let p = emu.local_path(remote_path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

pub fn read_remote(emu: &Emulator, remote_path: &str) -> Vec<u8> {
    std::fs::read(emu.local_path(remote_path)).unwrap()
}

/// A fresh local scratch directory for one test.
pub fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "firecrest-client-test-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Deterministic bytes that are not all the same (so offsets matter).
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u64)
                .wrapping_mul(2654435761)
                .wrapping_add(seed as u64) as u8
                ^ (i >> 12) as u8
        })
        .collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn fault(method: Option<&str>, prefix: &str, action: FaultAction, times: u32) -> Fault {
    Fault {
        method: method.map(str::to_string),
        path_prefix: prefix.to_string(),
        action,
        times,
    }
}

pub fn status_fault(
    method: Option<&str>,
    prefix: &str,
    status: u16,
    retry_after: Option<&str>,
    times: u32,
) -> Fault {
    fault(
        method,
        prefix,
        FaultAction::Status {
            status,
            retry_after: retry_after.map(str::to_string),
        },
        times,
    )
}

/// Files in `dir` (to check that no temporary file was left behind).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
