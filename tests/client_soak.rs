//! The soak: 16 threads share one client and mix operations (upload, list, download, checksum,
//! staged transfers, mkdir, rm) for a bounded time, on both API versions; every byte that comes
//! back is checked against what was sent. The quick variant runs in the normal suite; the long
//! one (`cargo test --test client_soak -- --ignored`, `SOAK_SECONDS`, default 60) is for the
//! hours before a release.

mod support;

use firecrest::{ApiVersion, Client, ListOptions, TransferState};
use firecrest_emulator::Emulator;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::*;

const THREADS: usize = 16;

on_both_versions!(quick_soak);

fn quick_soak(api: ApiVersion) {
    soak(api, Duration::from_secs(4), 2);
}

#[test]
#[ignore = "long: run with --ignored (SOAK_SECONDS sets the length)"]
fn long_soak_v1() {
    soak(ApiVersion::V1, seconds(), usize::MAX);
}

#[test]
#[ignore = "long: run with --ignored (SOAK_SECONDS sets the length)"]
fn long_soak_v2() {
    soak(ApiVersion::V2, seconds(), usize::MAX);
}

fn seconds() -> Duration {
    let s = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(s)
}

/// Runs THREADS threads on one client until `length` has passed (each finishing its round) or
/// each did `rounds` rounds, whichever comes first; at least one round each.
fn soak(api: ApiVersion, length: Duration, rounds: usize) {
    let emu = emulator(api, |c| c.task_delay = Duration::from_millis(10));
    let c = client_for(&emu, api);
    let ops = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (emu, c, ops, bytes) = (&emu, &c, &ops, &bytes);
            s.spawn(move || {
                let mut round = 0;
                while round < rounds && (round == 0 || started.elapsed() < length) {
                    one_round(api, emu, c, t, round, ops, bytes);
                    round += 1;
                }
            });
        }
    });
    let took = started.elapsed();
    eprintln!(
        "soak {api:?}: {THREADS} threads, {} operations, {} bytes checked in {:.1} s",
        ops.load(Ordering::Relaxed),
        bytes.load(Ordering::Relaxed),
        took.as_secs_f64()
    );
    // Bounded: the last round of each thread may start just before the end.
    assert!(took < length + Duration::from_secs(60), "took {took:?}");
}

fn one_round(
    api: ApiVersion,
    emu: &Emulator,
    c: &Client,
    t: usize,
    round: usize,
    ops: &AtomicU64,
    bytes: &AtomicU64,
) {
    let tag = format!("t{t}-r{round}");
    let dir = Scratch::new(&format!("soak-{tag}"));
    let size = 1000 + (t * 7919 + round * 104_729) % 200_000;
    let data = bytes_for(size, (t * 1000 + round) as u64);
    let local = dir.path().join(format!("{tag}.bin"));
    std::fs::write(&local, &data).unwrap();
    let remote_dir = remote(emu, &tag);
    let count = |n: u64| ops.fetch_add(n, Ordering::Relaxed);

    c.mkdir("cluster", &remote_dir, true).unwrap();
    c.simple_upload("cluster", &local, &remote_dir, None)
        .unwrap_or_else(|e| panic!("{tag}: upload: {e}"));
    let remote_file = format!("{remote_dir}/{tag}.bin");
    let listed = c
        .list_files("cluster", &remote_dir, ListOptions::default())
        .unwrap();
    assert!(
        listed.iter().any(|e| e.name == format!("{tag}.bin")),
        "{tag}: {listed:?}"
    );
    let back = dir.path().join("back.bin");
    c.simple_download("cluster", &remote_file, &back).unwrap();
    assert_eq!(
        sha256_file(&back),
        sha256_hex(&data),
        "{tag}: simple download"
    );
    assert!(
        c.verify_checksum("cluster", &remote_file, &local).unwrap(),
        "{tag}"
    );
    count(6);

    // Every fourth thread also takes the staged path both ways.
    if t % 4 == 0 {
        let staged = remote(emu, &format!("{tag}/staged.bin"));
        let target = match api {
            ApiVersion::V1 => remote_dir.clone(),
            _ => staged.clone(),
        };
        let up = dir.path().join("staged.bin");
        std::fs::write(&up, &data).unwrap();
        let mut x = c.external_upload("cluster", &up, &target).unwrap();
        x.finish_upload().unwrap();
        x.wait(TransferState::UploadDone, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{tag}: staged upload: {e}"));
        let mut x = c.external_download("cluster", &staged).unwrap();
        let down = dir.path().join("staged-back.bin");
        x.finish_download(&down)
            .unwrap_or_else(|e| panic!("{tag}: staged download: {e}"));
        assert_eq!(
            sha256_file(&down),
            sha256_hex(&data),
            "{tag}: staged round trip"
        );
        count(4);
        bytes.fetch_add(2 * data.len() as u64, Ordering::Relaxed);
    }
    c.remove("cluster", &remote_dir).unwrap();
    count(1);
    bytes.fetch_add(2 * data.len() as u64, Ordering::Relaxed);
}

fn bytes_for(size: usize, seed: u64) -> Vec<u8> {
    support::bytes(size, seed)
}
