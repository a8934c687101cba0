//! v2 external transfers against the emulator: S3 multipart uploads sent by the client, the
//! ingress/egress jobs, the v1 status integers derived from them, faults and expiry.

mod client_v2_support;

use client_v2_support::*;
use firecrest::emulator::{Emulator, Fault, FaultAction};
use firecrest::transfers::*;
use firecrest::{ApiVersion, Client, ErrorKind, Options, Transfer};
use std::path::Path;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);

/// The emulator's part size, read from the directives of a throw-away upload.
fn part_size(emu: &Emulator, c: &Client) -> u64 {
    let dir = local_dir("probe");
    write_file(&dir.join("one"), 1, 0);
    let remote = format!("{}/probe", emu.home());
    let mut t = c
        .external_upload(&emu.system(), &dir.join("one"), &remote)
        .unwrap();
    let data = t.object_storage_data().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    let urls = data["partsUploadUrls"].as_array().unwrap();
    assert_eq!(urls.len(), 1, "{data}");
    data["maxPartSize"].as_u64().unwrap()
}

/// Polls `status` until a final value, keeping each distinct value in order.
fn follow(t: &mut Transfer, last: i32) -> Vec<i32> {
    let mut seen = vec![t.last_status()];
    let start = Instant::now();
    while start.elapsed() < LONG {
        let s = t.status().unwrap();
        if seen.last() != Some(&s) {
            seen.push(s);
        }
        if s == last || matches!(s, UPLOAD_FAILED | DOWNLOAD_FAILED) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    seen
}

/// Uploads a `size`-byte file and checks the status sequence and the remote checksum.
fn upload_round_trip(emu: &Emulator, c: &Client, size: usize, name: &str) {
    let dir = local_dir(name);
    let src = dir.join(name);
    let sum = write_file(&src, size, size as u64);
    let remote = format!("{}/{name}", emu.home());
    let sys = emu.system();

    let mut t = c.external_upload(&sys, &src, &remote).unwrap();
    assert_eq!(t.direction(), Direction::Upload);
    assert_eq!(t.status().unwrap(), UPLOAD_URL_READY);
    let mut progress_seen = std::sync::Arc::new(std::sync::Mutex::new(0u64));
    let p = progress_seen.clone();
    t.set_progress(Some(Box::new(move |done, total| {
        assert!(done <= total);
        *p.lock().unwrap() = done;
        true
    })));
    t.finish_upload().unwrap();
    assert_eq!(*progress_seen.lock().unwrap(), size as u64);
    let seen = follow(&mut t, UPLOAD_DONE);
    assert_eq!(seen.first(), Some(&UPLOAD_URL_READY), "{seen:?}");
    assert_eq!(seen.last(), Some(&UPLOAD_DONE), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(seen[1..seen.len() - 1]
        .iter()
        .all(|s| [UPLOAD_IN_STAGING, UPLOAD_MOVING].contains(s)));
    assert_eq!(c.checksum(&sys, &remote).unwrap(), sum);
    assert_eq!(sha256_file(&emu.local_path(&remote)), sum);
    let _ = std::mem::take(&mut progress_seen);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn upload_part_size_edges() {
    let (emu, c) = setup(ApiVersion::V2);
    let part = part_size(&emu, &c) as usize;
    upload_round_trip(&emu, &c, 1, "one-byte");
    upload_round_trip(&emu, &c, part, "one-part");
    upload_round_trip(&emu, &c, 3 * part, "exact-multiple");
    upload_round_trip(&emu, &c, 3 * part + 1, "one-byte-over");
}

#[test]
fn upload_in_parallel_parts() {
    let emu = emulator(ApiVersion::V2, |_| {});
    for parallel in [1, 3, 8] {
        let c = client_with(
            &emu,
            Options {
                parallel_parts: parallel,
                ..options(Some(ApiVersion::V2))
            },
        );
        let part = part_size(&emu, &c) as usize;
        upload_round_trip(&emu, &c, 5 * part - 7, &format!("parallel-{parallel}"));
    }
}

#[test]
fn failing_part_is_sent_again() {
    let (emu, c) = setup(ApiVersion::V2);
    let part = part_size(&emu, &c) as usize;
    for action in [
        FaultAction::Status {
            status: 500,
            retry_after: None,
        },
        FaultAction::DropAfter { bytes: 1000 },
    ] {
        emu.add_fault(Fault {
            method: Some("PUT".into()),
            path_prefix: "/s3/".into(),
            action,
            times: 1,
        });
        upload_round_trip(&emu, &c, 2 * part + 10, "retried");
    }
}

#[test]
fn part_failing_for_good_is_an_error() {
    let (emu, c) = setup(ApiVersion::V2);
    let dir = local_dir("broken");
    write_file(&dir.join("f"), 1000, 1);
    emu.add_fault(Fault {
        method: Some("PUT".into()),
        path_prefix: "/s3/".into(),
        action: FaultAction::Status {
            status: 500,
            retry_after: None,
        },
        times: 0,
    });
    let mut t = c
        .external_upload(&emu.system(), &dir.join("f"), &format!("{}/f", emu.home()))
        .unwrap();
    let e = t.finish_upload().unwrap_err();
    assert!(e.message().contains("part 1 of 1"), "{e:?}");
    assert!(!e.message().contains("X-Amz-Signature"), "{e:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn expired_part_url_is_a_clear_error() {
    let (emu, c) = setup(ApiVersion::V2);
    emu.set_url_ttl(Duration::from_secs(1));
    let dir = local_dir("expired");
    write_file(&dir.join("f"), 1000, 1);
    let mut t = c
        .external_upload(&emu.system(), &dir.join("f"), &format!("{}/f", emu.home()))
        .unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    let e = t.finish_upload().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
    assert!(e.message().contains("expired"), "{e:?}");
    assert!(!e.message().contains("Signature"), "{e:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn empty_file_is_refused() {
    let (emu, c) = setup(ApiVersion::V2);
    let dir = local_dir("empty");
    std::fs::write(dir.join("e"), b"").unwrap();
    let e = c
        .external_upload(&emu.system(), &dir.join("e"), &format!("{}/e", emu.home()))
        .map(drop)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("simple_upload"), "{e:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn upload_job_failure_is_115() {
    let (emu, c) = setup(ApiVersion::V2);
    emu.add_fault(Fault {
        method: Some("POST".into()),
        path_prefix: "/filesystem/cluster/transfer/upload".into(),
        action: FaultAction::FailTransfer,
        times: 1,
    });
    let dir = local_dir("ufail");
    write_file(&dir.join("f"), 1000, 1);
    let mut t = c
        .external_upload(&emu.system(), &dir.join("f"), &format!("{}/f", emu.home()))
        .unwrap();
    t.finish_upload().unwrap();
    let e = t.wait(UPLOAD_DONE, LONG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskFailed, "{e:?}");
    assert_eq!(e.task_status(), Some(UPLOAD_FAILED), "{e:?}");
    assert_eq!(t.last_status(), UPLOAD_FAILED);
    std::fs::remove_dir_all(dir).unwrap();
}

fn download(emu: &Emulator, c: &Client, remote: &str, local: &Path) -> Vec<i32> {
    let mut t = c.external_download(&emu.system(), remote).unwrap();
    assert_eq!(t.direction(), Direction::Download);
    assert_eq!(t.last_status(), DOWNLOAD_STAGING);
    let seen = follow(&mut t, DOWNLOAD_READY);
    assert!(t
        .object_storage_link()
        .unwrap()
        .starts_with("http://127.0.0.1"));
    t.finish_download(local).unwrap();
    let e = t.invalidate_object_storage_link().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e:?}");
    seen
}

#[test]
fn download_end_to_end() {
    let (emu, c) = setup(ApiVersion::V2);
    let part = part_size(&emu, &c) as usize;
    let data = bytes(2 * part + part / 2, 9);
    let remote = format!("{}/big.bin", emu.home());
    put_remote(&emu, &remote, &data);
    let dir = local_dir("download");
    let seen = download(&emu, &c, &remote, &dir.join("big.bin"));
    assert_eq!(seen, vec![DOWNLOAD_STAGING, DOWNLOAD_READY]);
    assert_eq!(sha256_file(&dir.join("big.bin")), sha256(&data));

    // A connection dropped mid-body is resumed with Range.
    emu.add_fault(Fault {
        method: Some("GET".into()),
        path_prefix: "/s3/".into(),
        action: FaultAction::DropAfter { bytes: 100_000 },
        times: 1,
    });
    download(&emu, &c, &remote, &dir.join("again.bin"));
    assert_eq!(sha256_file(&dir.join("again.bin")), sha256(&data));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn download_failures() {
    let (emu, c) = setup(ApiVersion::V2);
    let home = emu.home();
    let e = c
        .external_download(&emu.system(), &format!("{home}/missing"))
        .map(drop)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
    assert!(e.message().contains("No such file or directory"), "{e:?}");

    put_remote(&emu, &format!("{home}/f"), b"data");
    emu.add_fault(Fault {
        method: Some("POST".into()),
        path_prefix: "/filesystem/cluster/transfer/download".into(),
        action: FaultAction::FailTransfer,
        times: 1,
    });
    let mut t = c
        .external_download(&emu.system(), &format!("{home}/f"))
        .unwrap();
    let e = t.wait(DOWNLOAD_READY, LONG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskFailed, "{e:?}");
    assert_eq!(t.last_status(), DOWNLOAD_FAILED);
    let dir = local_dir("dfail");
    assert!(t.finish_download(&dir.join("f")).is_err());
    assert!(!dir.join("f").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn short_lived_tokens_are_renewed_before_v2_refuses_them() {
    // v2 refuses tokens with < 30 s left; with a 35 s lifetime the client must renew often.
    let emu = emulator(ApiVersion::V2, |c| c.token_ttl = Duration::from_secs(35));
    let c = client(&emu, ApiVersion::V2);
    let sys = emu.system();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        c.list_files(&sys, &emu.home(), Default::default()).unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(emu.counter("token_requests") >= 2);
}
