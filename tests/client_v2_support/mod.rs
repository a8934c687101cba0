//! What the v2 client tests add to `client_common`: emulators and clients of either API
//! version, and local files of non-repeating bytes.
#![allow(dead_code)]

use crate::client_common::{client_with, fast_options, sha256_hex};
use firecrest::{ApiVersion, Client, Options};
use firecrest_emulator::{Config, Emulator};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

pub fn emulator(api: ApiVersion, tweak: impl FnOnce(&mut Config)) -> Emulator {
    let mut config = Config {
        api: firecrest_emulator::ApiVersion::from_number(api.number()).expect("v1 or v2"),
        ..Config::default()
    };
    tweak(&mut config);
    Emulator::start(config).expect("emulator starts")
}

/// Fast polling; `api` None lets the client detect the version.
pub fn options(api: Option<ApiVersion>) -> Options {
    Options {
        api_version: api,
        ..fast_options()
    }
}

pub fn client_for(emu: &Emulator, api: ApiVersion) -> Client {
    client_with(emu, options(Some(api)))
}

/// An emulator speaking `api` and a client forced to it.
pub fn setup(api: ApiVersion) -> (Emulator, Client) {
    let emu = emulator(api, |_| {});
    let c = client_for(&emu, api);
    (emu, c)
}

/// Bytes that never repeat at a power-of-two period (xorshift): a part sent at the wrong
/// offset changes the checksum. (`client_common::pattern` repeats every 1 MiB, the
/// emulator's part size.)
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

/// Writes `bytes(size, seed)` to `path`; returns its sha256.
pub fn write_file(path: &Path, size: usize, seed: u64) -> String {
    let data = bytes(size, seed);
    std::fs::write(path, &data).unwrap();
    sha256_hex(&data)
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
