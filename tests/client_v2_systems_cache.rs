//! v2 reads limits and job directives from `/status/systems`; the client keeps that description
//! (shared by clones) so repeated transfers cost one systems request, while health stays fresh.

mod support;

use firecrest::TransferState::DownloadReady;
use firecrest::{ApiVersion, ErrorKind};
use std::time::Duration;
use support::*;

const SYSTEMS: &str = "GET /status/systems";

#[test]
fn small_transfers_ask_for_the_systems_once() {
    let (emu, c) = setup(ApiVersion::V2);
    let (sys, home) = (emu.system(), emu.home());
    let clone = c.clone();
    let n = 6;
    for i in 0..n {
        let client = if i % 2 == 0 { &c } else { &clone };
        let data = bytes(1000 + i, i as u64);
        client
            .simple_upload_bytes(&sys, &data, &home, &format!("f{i}"))
            .unwrap();
        assert_eq!(read_remote(&emu, &format!("{home}/f{i}")), data);
        let mut back = Vec::new();
        let size = client
            .simple_download_to(&sys, &format!("{home}/f{i}"), &mut back)
            .unwrap();
        assert_eq!((size, back), (data.len() as u64, data));
    }
    assert_eq!(emu.counter("POST /filesystem/cluster/ops/upload"), n as u64);
    assert_eq!(emu.counter(SYSTEMS), 1);

    // The limit still applies from the cached description.
    let limit = 5 * 1024 * 1024 + 1;
    let e = c
        .simple_upload_bytes(&sys, &vec![0u8; limit], &home, "big")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e:?}");
    assert!(e.to_string().contains("max_ops_file_size"), "{e}");
    assert_eq!(emu.counter(SYSTEMS), 1);
}

#[test]
fn threads_missing_together_share_one_request() {
    let (emu, c) = setup(ApiVersion::V2);
    let (sys, home) = (emu.system(), emu.home());
    std::thread::scope(|s| {
        for i in 0..4u64 {
            let (c, sys, home) = (c.clone(), &sys, &home);
            s.spawn(move || {
                let data = bytes(100, i);
                c.simple_upload_bytes(sys, &data, home, &format!("t{i}"))
                    .unwrap();
            });
        }
    });
    for i in 0..4u64 {
        assert_eq!(read_remote(&emu, &format!("{home}/t{i}")), bytes(100, i));
    }
    assert_eq!(emu.counter(SYSTEMS), 1);
}

#[test]
fn health_is_always_asked_and_refreshes_the_cache() {
    let (emu, c) = setup(ApiVersion::V2);
    let (sys, home) = (emu.system(), emu.home());
    assert_eq!(c.all_systems().unwrap().len(), 2);
    assert_eq!(c.system("offline").unwrap().status, "not available");
    assert_eq!(emu.counter(SYSTEMS), 2);
    // Already described by the health answer: no request of its own.
    c.simple_upload_bytes(&sys, b"x", &home, "x").unwrap();
    assert_eq!(emu.counter(SYSTEMS), 2);
    assert_eq!(c.system(&sys).unwrap().status, "available");
    assert_eq!(emu.counter(SYSTEMS), 3);
}

#[test]
fn an_unknown_system_is_asked_again_and_named() {
    let (emu, c) = setup(ApiVersion::V2);
    c.simple_upload_bytes(&emu.system(), b"x", &emu.home(), "x")
        .unwrap();
    let e = c
        .simple_upload_bytes("nosuch", b"x", &emu.home(), "x")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
    assert!(e.to_string().contains("nosuch"), "{e}");
    // The cached copy may predate the system: one fresh request before giving up.
    assert_eq!(emu.counter(SYSTEMS), 2);
}

#[test]
fn transfer_jobs_ask_for_the_systems_once() {
    let (emu, c) = setup(ApiVersion::V2);
    let (sys, home) = (emu.system(), emu.home());
    let data = bytes(3000, 7);
    put_remote(&emu, &format!("{home}/src"), &data);
    c.copy(&sys, &format!("{home}/src"), &format!("{home}/copy1"))
        .unwrap();
    c.copy(&sys, &format!("{home}/src"), &format!("{home}/copy2"))
        .unwrap();
    let mut t = c.external_download(&sys, &format!("{home}/copy2")).unwrap();
    t.wait(DownloadReady, Duration::from_secs(60)).unwrap();
    let mut back = Vec::new();
    t.finish_download_to(&mut back).unwrap();
    assert_eq!(back, data);
    assert_eq!(read_remote(&emu, &format!("{home}/copy1")), data);
    assert_eq!(emu.counter(SYSTEMS), 1);
}

#[test]
fn detecting_the_version_describes_the_systems() {
    let emu = emulator(ApiVersion::V2, |_| {});
    let c = client_with(&emu, options(None));
    let (sys, home) = (emu.system(), emu.home());
    assert_eq!(c.api_version().unwrap(), ApiVersion::V2);
    assert_eq!(emu.counter(SYSTEMS), 1);
    // The detection's answer is the description the small transfer reads.
    c.simple_upload_bytes(&sys, b"x", &home, "x").unwrap();
    assert_eq!(read_remote(&emu, &format!("{home}/x")), b"x");
    assert_eq!(emu.counter(SYSTEMS), 1);
}
