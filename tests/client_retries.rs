//! Retries and transport failures, on v1 and v2 alike: 429 with Retry-After, 503 then success,
//! retries exhausted, requests that must not be repeated, dropped connections, unreachable
//! servers.

mod support;

use firecrest::{ApiVersion, Client, ErrorKind, ListOptions, Options};
use firecrest_emulator::{Emulator, FaultAction};
use std::time::{Duration, Instant};
use support::*;

on_both_versions!(
    rate_limit_honours_retry_after_seconds,
    rate_limit_honours_retry_after_date,
    service_unavailable_then_success,
    retries_exhausted,
    a_very_long_retry_after_fails_at_once,
    task_creating_post_is_not_repeated_after_a_gateway_error,
    a_simple_download_cut_once_resumes_or_starts_over,
    a_simple_download_cut_every_time_fails_in_bounded_time_and_leaves_no_file,
    a_download_whose_destination_fails_is_not_sent_again,
    a_failing_token_endpoint_is_retried_and_not_a_wrong_secret,
    an_upload_from_a_path_is_repeated_after_a_503,
);

/// The token endpoint's path on the emulator.
fn token_path(emu: &Emulator) -> String {
    emu.token_url().trim_start_matches(&emu.url()).to_string()
}

fn a_failing_token_endpoint_is_retried_and_not_a_wrong_secret(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let token = token_path(&emu);
    emu.add_fault(status_fault(Some("POST"), &token, 503, None, 1));
    let c = client_for(&emu, api);
    c.all_systems()
        .expect("a 503 from the token endpoint is retried");
    assert_eq!(emu.counter(&format!("POST {token}")), 2);

    // An endpoint that keeps failing is an HTTP failure, not a refused secret.
    emu.add_fault(status_fault(Some("POST"), &token, 500, None, 0));
    let e = client_for(&emu, api).all_systems().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e}");
    assert!(e.message().contains("HTTP 500"), "{e}");
    assert!(!e.message().contains(&emu.client_secret()), "{e}");
}

fn an_upload_from_a_path_is_repeated_after_a_503(api: ApiVersion) {
    let (emu, c, _) = detected(api);
    let upload = ops_path(api, "upload");
    emu.add_fault(status_fault(Some("POST"), &upload, 503, None, 1));
    let dir = Scratch::new("upload-503");
    let local = dir.0.join("again.txt");
    std::fs::write(&local, b"sent twice, stored once\n").unwrap();
    c.simple_upload("cluster", &local, &emu.home(), None)
        .expect("a file is sent again after a 503");
    assert_eq!(emu.counter(&format!("POST {upload}")), 2);
    assert_eq!(
        read_remote(&emu, &remote(&emu, "again.txt")),
        b"sent twice, stored once\n"
    );
}

fn ls(c: &Client, emu: &Emulator) -> firecrest::Result<()> {
    c.list_files("cluster", &emu.home(), ListOptions::default())
        .map(|_| ())
}

/// An emulator speaking `api`, a client that has detected it, and the path of `ls` there.
fn detected(api: ApiVersion) -> (Emulator, Client, String) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    assert_eq!(c.api_version().unwrap(), api);
    (emu, c, ops_path(api, "ls"))
}

fn rate_limit_honours_retry_after_seconds(api: ApiVersion) {
    let (emu, c, ls_path) = detected(api);
    emu.add_fault(status_fault(Some("GET"), &ls_path, 429, Some("1"), 1));
    let t = Instant::now();
    ls(&c, &emu).unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        t.elapsed()
    );
    assert_eq!(emu.counter(&format!("GET {ls_path}")), 2);
}

fn rate_limit_honours_retry_after_date(api: ApiVersion) {
    let (emu, c, ls_path) = detected(api);
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    emu.add_fault(status_fault(Some("GET"), &ls_path, 429, Some(&when), 1));
    ls(&c, &emu).unwrap();
    assert_eq!(emu.counter(&format!("GET {ls_path}")), 2);
}

fn service_unavailable_then_success(api: ApiVersion) {
    let (emu, c, ls_path) = detected(api);
    emu.add_fault(status_fault(None, &ls_path, 503, None, 2));
    ls(&c, &emu).unwrap();
    assert_eq!(emu.counter(&format!("GET {ls_path}")), 3);
    // Stacked faults answer one request each, in the order added.
    emu.add_fault(status_fault(None, &ls_path, 502, None, 1));
    emu.add_fault(status_fault(None, &ls_path, 504, None, 1));
    ls(&c, &emu).unwrap();
    assert_eq!(emu.counter(&format!("GET {ls_path}")), 6);
}

fn retries_exhausted(api: ApiVersion) {
    let (emu, c, ls_path) = detected(api);
    emu.add_fault(status_fault(None, &ls_path, 503, None, 0));
    let e = ls(&c, &emu).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e:?}");
    assert_eq!(e.http_status(), 503);
    assert!(e.message().contains("after 3 retries"), "{e}");
    assert_eq!(emu.counter(&format!("GET {ls_path}")), 4);
    emu.clear_faults();

    emu.add_fault(status_fault(None, &ls_path, 429, Some("0"), 0));
    let e = ls(&c, &emu).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e:?}");

    let no_retries = client_with(
        &emu,
        Options {
            max_retries: 0,
            ..fast_options()
        },
    );
    let before = emu.counter(&format!("GET {ls_path}"));
    assert_eq!(
        ls(&no_retries, &emu).unwrap_err().kind(),
        ErrorKind::RateLimited
    );
    assert_eq!(emu.counter(&format!("GET {ls_path}")) - before, 1);
}

fn a_very_long_retry_after_fails_at_once(api: ApiVersion) {
    let (emu, c, ls_path) = detected(api);
    emu.add_fault(status_fault(None, &ls_path, 429, Some("3600"), 1));
    let t = Instant::now();
    let e = ls(&c, &emu).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!(t.elapsed() < Duration::from_secs(30));
}

fn task_creating_post_is_not_repeated_after_a_gateway_error(api: ApiVersion) {
    let (emu, c, _) = detected(api);
    put_remote(&emu, &remote(&emu, "f.bin"), b"x");
    let start = transfer_path(api, "download");
    emu.add_fault(status_fault(Some("POST"), &start, 502, None, 1));
    let e = c
        .external_download("cluster", &remote(&emu, "f.bin"))
        .unwrap_err();
    assert_eq!(e.http_status(), 502, "{e:?}");
    assert_eq!(emu.counter(&format!("POST {start}")), 1);
}

/// `GET <download path>` on `api`, as the emulator's counters name it.
fn download_counter(api: ApiVersion) -> String {
    format!("GET {}", ops_path(api, "download"))
}

fn a_simple_download_cut_once_resumes_or_starts_over(api: ApiVersion) {
    let (emu, c, _) = detected(api);
    let data = pattern(1 << 20, 5);
    put_remote(&emu, &remote(&emu, "cut.bin"), &data);
    emu.add_fault(fault(
        Some("GET"),
        &ops_path(api, "download"),
        FaultAction::DropAfter { bytes: 300_000 },
        1,
    ));
    let dir = scratch("cut-once");
    let target = dir.join("cut.bin");
    c.simple_download("cluster", &remote(&emu, "cut.bin"), &target)
        .expect("a download cut once is sent again");
    // Identical bytes: v1 (Flask's send_file) resumed at byte 300000 with a 206; v2 (a plain
    // Response) ignored the Range and the temporary file started over from byte 0.
    assert_eq!(std::fs::read(&target).unwrap(), data);
    assert_eq!(
        entries(&dir),
        vec!["cut.bin".to_string()],
        "no temporary file left"
    );
    let counter = download_counter(api);
    assert_eq!(emu.counter(&counter), 2);
    assert_eq!(
        emu.counter(&format!("{counter} Range")),
        1,
        "the second asked to resume"
    );

    // Into a caller's writer: v1 resumes; v2 cannot take back what the writer already has.
    emu.add_fault(fault(
        Some("GET"),
        &ops_path(api, "download"),
        FaultAction::DropAfter { bytes: 300_000 },
        1,
    ));
    let mut out = Vec::new();
    let result = c.simple_download_to("cluster", &remote(&emu, "cut.bin"), &mut out);
    match api {
        ApiVersion::V1 => {
            assert_eq!(result.unwrap(), data.len() as u64);
            assert_eq!(out, data);
        }
        _ => {
            let e = result.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
            assert!(e.message().contains("does not support Range"), "{e}");
            assert!(e.message().contains("cut.bin"), "{e}");
        }
    }
    assert_eq!(emu.counter(&counter), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A destination that fails as a full disk does, after `room` bytes.
struct FullDisk {
    room: usize,
}

impl std::io::Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::other("No space left on device"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn a_download_whose_destination_fails_is_not_sent_again(api: ApiVersion) {
    let (emu, c, _) = detected(api);
    put_remote(&emu, &remote(&emu, "full.bin"), &pattern(1 << 20, 7));
    let e = c
        .simple_download_to(
            "cluster",
            &remote(&emu, "full.bin"),
            &mut FullDisk { room: 200_000 },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e:?}");
    assert!(e.message().contains("No space left"), "{e}");
    assert!(!e.message().contains("retr"), "{e}");
    assert_eq!(emu.counter(&download_counter(api)), 1);
}

fn a_simple_download_cut_every_time_fails_in_bounded_time_and_leaves_no_file(api: ApiVersion) {
    let (emu, c, _) = detected(api);
    let data = pattern(1 << 20, 3);
    put_remote(&emu, &remote(&emu, "d.bin"), &data);
    emu.add_fault(fault(
        Some("GET"),
        &ops_path(api, "download"),
        FaultAction::DropAfter { bytes: 100_000 },
        0,
    ));
    let dir = scratch("drop-simple");
    let target = dir.join("d.bin");
    let started = Instant::now();
    let e = c
        .simple_download("cluster", &remote(&emu, "d.bin"), &target)
        .unwrap_err();
    // The default budget: 3 retries, backing off 0.25 + 0.5 + 1 s (with jitter).
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");
    assert!(e.message().contains("d.bin"), "{e}");
    assert!(e.message().contains("after 3 retries"), "{e}");
    assert_eq!(emu.counter(&download_counter(api)), 4);
    assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));

    // An existing destination is left as it was.
    std::fs::write(&target, b"keep me\n").unwrap();
    let e = c
        .simple_download("cluster", &remote(&emu, "d.bin"), &target)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me\n");
    assert_eq!(entries(&dir), vec!["d.bin".to_string()]);

    // The network failed, not the local disk: the next attempt succeeds and replaces nothing
    // but the target.
    emu.clear_faults();
    c.simple_download("cluster", &remote(&emu, "d.bin"), &target)
        .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), data);
    assert_eq!(entries(&dir), vec!["d.bin".to_string()]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreachable_server_is_a_connect_error() {
    // Port 9 (discard) is closed on loopback.
    let c = Client::new(
        "http://127.0.0.1:9",
        firecrest::Auth::static_token("t"),
        Options {
            max_retries: 1,
            ..fast_options()
        },
    )
    .unwrap();
    let e = c.all_systems().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e:?}");
    assert!(e.message().contains("/status/systems"), "{e}");
    assert!(e.message().contains("after 1 retry"), "{e}");
}

#[test]
fn bad_url_and_ca_file_are_rejected_early() {
    let e = Client::new(
        "ftp://x",
        firecrest::Auth::static_token("t"),
        Options::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let dir = scratch("ca");
    let pem = dir.join("empty.pem");
    std::fs::write(&pem, "no certificates here").unwrap();
    let e = Client::new(
        "https://example.invalid",
        firecrest::Auth::static_token("t"),
        Options {
            ca_file: Some(pem),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e:?}");
    let e = Client::new(
        "https://example.invalid",
        firecrest::Auth::static_token("t"),
        Options {
            ca_file: Some(dir.join("missing.pem")),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
