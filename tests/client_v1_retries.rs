//! Retries and transport failures: 429 with Retry-After, 503 then success, retries exhausted,
//! requests that must not be repeated, dropped connections, unreachable servers.

mod support;

use firecrest::{Client, ErrorKind, ListOptions, Options};
use firecrest_emulator::FaultAction;
use std::time::{Duration, Instant};
use support::*;

fn ls(c: &Client, emu: &firecrest_emulator::Emulator) -> firecrest::Result<()> {
    c.list_files("cluster", &emu.home(), ListOptions::default())
        .map(|_| ())
}

#[test]
fn rate_limit_honours_retry_after_seconds() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    c.api_version().unwrap();
    emu.add_fault(status_fault(
        Some("GET"),
        "/utilities/ls",
        429,
        Some("1"),
        1,
    ));
    let t = Instant::now();
    ls(&c, &emu).unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        t.elapsed()
    );
    assert_eq!(emu.counter("GET /utilities/ls"), 2);
}

#[test]
fn rate_limit_honours_retry_after_date() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    c.api_version().unwrap();
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(2));
    emu.add_fault(status_fault(
        Some("GET"),
        "/utilities/ls",
        429,
        Some(&when),
        1,
    ));
    ls(&c, &emu).unwrap();
    assert_eq!(emu.counter("GET /utilities/ls"), 2);
}

#[test]
fn service_unavailable_then_success() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    c.api_version().unwrap();
    emu.add_fault(status_fault(None, "/utilities/ls", 503, None, 2));
    ls(&c, &emu).unwrap();
    assert_eq!(emu.counter("GET /utilities/ls"), 3);
    // Stacked faults answer one request each, in the order added.
    emu.add_fault(status_fault(None, "/utilities/ls", 502, None, 1));
    emu.add_fault(status_fault(None, "/utilities/ls", 504, None, 1));
    ls(&c, &emu).unwrap();
    assert_eq!(emu.counter("GET /utilities/ls"), 6);
}

#[test]
fn retries_exhausted() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    c.api_version().unwrap();
    emu.add_fault(status_fault(None, "/utilities/ls", 503, None, 0));
    let e = ls(&c, &emu).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e:?}");
    assert_eq!(e.http_status(), 503);
    assert!(e.message().contains("after 3 retries"), "{e}");
    assert_eq!(emu.counter("GET /utilities/ls"), 4);
    emu.clear_faults();

    emu.add_fault(status_fault(None, "/utilities/ls", 429, Some("0"), 0));
    let e = ls(&c, &emu).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited, "{e:?}");

    let no_retries = client_with(
        &emu,
        Options {
            max_retries: 0,
            ..fast_options()
        },
    );
    let before = emu.counter("GET /utilities/ls");
    assert_eq!(
        ls(&no_retries, &emu).unwrap_err().kind(),
        ErrorKind::RateLimited
    );
    assert_eq!(emu.counter("GET /utilities/ls") - before, 1);
}

#[test]
fn a_very_long_retry_after_fails_at_once() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    c.api_version().unwrap();
    emu.add_fault(status_fault(None, "/utilities/ls", 429, Some("3600"), 1));
    let t = Instant::now();
    let e = ls(&c, &emu).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert!(t.elapsed() < Duration::from_secs(30));
}

#[test]
fn task_creating_post_is_not_repeated_after_a_gateway_error() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    c.api_version().unwrap();
    put_remote(&emu, &remote(&emu, "f.bin"), b"x");
    emu.add_fault(status_fault(
        Some("POST"),
        "/storage/xfer-external/download",
        502,
        None,
        1,
    ));
    let e = c
        .external_download("cluster", &remote(&emu, "f.bin"))
        .unwrap_err();
    assert_eq!(e.http_status(), 502, "{e:?}");
    assert_eq!(emu.counter("POST /storage/xfer-external/download"), 1);
}

#[test]
fn dropped_simple_download_leaves_no_file() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    c.api_version().unwrap();
    let data = pattern(1 << 20, 3);
    put_remote(&emu, &remote(&emu, "d.bin"), &data);
    emu.add_fault(fault(
        Some("GET"),
        "/utilities/download",
        FaultAction::DropAfter { bytes: 100_000 },
        1,
    ));
    let dir = scratch("drop-simple");
    let target = dir.join("d.bin");
    let e = c
        .simple_download("cluster", &remote(&emu, "d.bin"), &target)
        .unwrap_err();
    assert!(e.kind().is_transient_transport(), "{e:?}");
    assert!(e.message().contains("d.bin"), "{e}");
    assert!(entries(&dir).is_empty(), "{:?}", entries(&dir));
    // The next attempt succeeds and replaces nothing but the target.
    c.simple_download("cluster", &remote(&emu, "d.bin"), &target)
        .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), data);
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
