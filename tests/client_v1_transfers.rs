//! External (staged) transfers end to end against the emulator: the status sequence, the
//! staging form and presigned GET, integrity, failures, resume after a dropped connection.

mod support;

use firecrest::transfers::*;
use firecrest::{Client, ErrorKind, Transfer};
use firecrest_emulator::{Config, FaultAction};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const LONG: Duration = Duration::from_secs(60);

/// Polls once per few ms until `until` or a terminal status, recording every distinct status.
fn observe(t: &mut Transfer, until: i32) -> Vec<i32> {
    let mut seen = vec![t.last_status()];
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let s = t.status().unwrap();
        if seen.last() != Some(&s) {
            seen.push(s);
        }
        if s == until
            || s >= UPLOAD_DONE
                && s != UPLOAD_IN_STAGING
                && s != UPLOAD_MOVING
                && s != DOWNLOAD_STAGING
        {
            return seen;
        }
        assert!(std::time::Instant::now() < deadline, "stuck at {seen:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn slow_tasks(c: &mut Config) {
    c.task_delay = Duration::from_millis(60);
}

#[test]
fn external_download_end_to_end() {
    let emu = emulator(firecrest::ApiVersion::V1, slow_tasks);
    let c = client(&emu);
    let data = pattern(3 << 20, 11);
    let src = remote(&emu, "big.bin");
    put_remote(&emu, &src, &data);

    let mut t = c.external_download("cluster", &src).unwrap();
    assert_eq!(t.direction(), Direction::Download);
    let seen = observe(&mut t, DOWNLOAD_READY);
    assert_eq!(seen.first(), Some(&TASK_QUEUED), "{seen:?}");
    assert_eq!(seen.last(), Some(&DOWNLOAD_READY), "{seen:?}");
    assert!(seen.contains(&DOWNLOAD_STAGING), "{seen:?}");

    let info = t.object_storage_data().unwrap();
    assert!(
        info["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1"),
        "{info}"
    );
    assert_eq!(
        t.object_storage_link().unwrap(),
        info["url"].as_str().unwrap()
    );

    let progress = Arc::new(Mutex::new(Vec::new()));
    let p2 = progress.clone();
    t.set_progress(Some(Box::new(move |done, total| {
        p2.lock().unwrap().push((done, total));
        true
    })));
    let dir = scratch("xdown");
    let target = dir.join("big.bin");
    t.finish_download(&target).unwrap();
    let got = std::fs::read(&target).unwrap();
    assert_eq!(sha256_hex(&got), sha256_hex(&data));
    assert!(c.verify_checksum("cluster", &src, &target).unwrap());
    assert_eq!(entries(&dir), vec!["big.bin"]);
    let last = progress.lock().unwrap().last().copied();
    assert_eq!(last, Some((data.len() as u64, data.len() as u64)));

    let mut mem = Vec::new();
    assert_eq!(t.finish_download_to(&mut mem).unwrap(), data.len() as u64);
    assert_eq!(mem, data);

    t.invalidate_object_storage_link().unwrap();
    assert_eq!(t.last_status(), TASK_INVALIDATED);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn external_upload_end_to_end() {
    let emu = emulator(firecrest::ApiVersion::V1, slow_tasks);
    let c = client(&emu);
    let data = pattern((2 << 20) + 12345, 5);
    let dir = scratch("xup");
    let local = dir.join("ext-up.bin");
    std::fs::write(&local, &data).unwrap();

    let mut t = c.external_upload("cluster", &local, &emu.home()).unwrap();
    assert_eq!(t.direction(), Direction::Upload);
    let mut seen = observe(&mut t, UPLOAD_URL_READY);
    assert_eq!(seen.last(), Some(&UPLOAD_URL_READY), "{seen:?}");
    let form = t.object_storage_data().unwrap();
    assert_eq!(form["method"], "POST", "{form}");
    assert!(
        form["data"]["key"]
            .as_str()
            .unwrap()
            .ends_with("/ext-up.bin"),
        "{form}"
    );

    let sent = Arc::new(Mutex::new(0u64));
    let s2 = sent.clone();
    t.set_progress(Some(Box::new(move |done, total| {
        assert_eq!(total, (2 << 20) + 12345);
        *s2.lock().unwrap() = done;
        true
    })));
    t.finish_upload().unwrap();
    assert_eq!(*sent.lock().unwrap(), data.len() as u64);
    seen.extend(observe(&mut t, UPLOAD_DONE).into_iter().skip(1));
    assert_eq!(seen.last(), Some(&UPLOAD_DONE), "{seen:?}");
    assert!(
        seen.iter()
            .any(|s| *s == UPLOAD_IN_STAGING || *s == UPLOAD_MOVING),
        "{seen:?}"
    );
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "statuses only move forward: {seen:?}");

    let remote_file = remote(&emu, "ext-up.bin");
    assert_eq!(
        sha256_hex(&read_remote(&emu, &remote_file)),
        sha256_hex(&data)
    );
    assert!(c.verify_checksum("cluster", &remote_file, &local).unwrap());
    assert_eq!(t.wait(UPLOAD_DONE, LONG).unwrap(), UPLOAD_DONE);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wait_drives_a_whole_upload() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    let dir = scratch("xup-wait");
    let local = dir.join("w.bin");
    std::fs::write(&local, pattern(100_000, 9)).unwrap();
    let mut t = c
        .external_upload("cluster", &local, &remote(&emu, "renamed.bin"))
        .unwrap();
    // finish_upload waits for the form itself.
    t.finish_upload().unwrap();
    assert_eq!(t.wait(UPLOAD_DONE, LONG).unwrap(), UPLOAD_DONE);
    assert_eq!(
        read_remote(&emu, &remote(&emu, "renamed.bin")),
        pattern(100_000, 9)
    );
    let e = t.finish_download(&dir.join("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidState);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failed_transfers_are_task_failed_with_the_message() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    put_remote(&emu, &remote(&emu, "f.bin"), b"payload");
    emu.add_fault(fault(
        Some("POST"),
        "/storage/xfer-external/download",
        FaultAction::FailTransfer,
        1,
    ));
    let mut t = c
        .external_download("cluster", &remote(&emu, "f.bin"))
        .unwrap();
    let e = t.wait(DOWNLOAD_READY, LONG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskFailed, "{e:?}");
    assert!(
        matches!(e.task_status(), Some(DOWNLOAD_FAILED) | Some(TASK_FAILED)),
        "{e:?}"
    );
    assert!(e.message().contains("f.bin"), "{e}");
    let dir = scratch("xfail");
    assert_eq!(
        t.finish_download(&dir.join("f.bin")).unwrap_err().kind(),
        ErrorKind::TaskFailed
    );
    assert!(entries(&dir).is_empty());

    emu.add_fault(fault(
        Some("POST"),
        "/storage/xfer-external/upload",
        FaultAction::FailTransfer,
        1,
    ));
    let local = dir.join("u.bin");
    std::fs::write(&local, b"upload me").unwrap();
    let mut t = c.external_upload("cluster", &local, &emu.home()).unwrap();
    let r = t.finish_upload().and_then(|()| t.wait(UPLOAD_DONE, LONG));
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskFailed, "{e:?}");
    assert!(
        matches!(e.task_status(), Some(UPLOAD_FAILED) | Some(TASK_FAILED)),
        "{e:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn creation_errors_name_the_path() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    let e = c
        .external_download("cluster", &remote(&emu, "missing.bin"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ApiError, "{e:?}");
    assert!(e.message().contains("missing.bin"), "{e}");
    let dir = scratch("xcreate");
    let local = dir.join("a.bin");
    std::fs::write(&local, b"a").unwrap();
    let e = c.external_upload("cluster", &local, "/root").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
    let e = c.external_upload("nope", &local, &emu.home()).unwrap_err();
    assert!(
        e.error_header()
            .unwrap()
            .0
            .starts_with("X-Machine-Does-Not-Exist"),
        "{e:?}"
    );
    let e = c
        .external_upload("cluster", &dir.join("absent.bin"), &emu.home())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dropped_staged_download_resumes_with_range() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let data = pattern(4 << 20, 21);
    let mut t = ready_download(&emu, &data, FaultAction::DropAfter { bytes: 1_000_000 }, 2);
    let dir = scratch("resume");
    let target = dir.join("r.bin");
    t.finish_download(&target).unwrap();
    assert_eq!(
        sha256_hex(&std::fs::read(&target).unwrap()),
        sha256_hex(&data)
    );
    assert_eq!(entries(&dir), vec!["r.bin"]);
    // One GET for each drop plus the one that finished.
    assert_eq!(emu.counter("GET /s3"), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A download of `data` (remote r.bin) whose link is ready, with `action` on the store's GETs.
fn ready_download(
    emu: &firecrest_emulator::Emulator,
    data: &[u8],
    action: FaultAction,
    times: u32,
) -> Transfer {
    let c = client(emu);
    put_remote(emu, &remote(emu, "r.bin"), data);
    let mut t = c
        .external_download("cluster", &remote(emu, "r.bin"))
        .unwrap();
    t.wait(DOWNLOAD_READY, LONG).unwrap();
    emu.add_fault(fault(Some("GET"), "/s3/", action, times));
    t
}

#[test]
fn staged_download_that_keeps_dropping_leaves_no_file() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let mut t = ready_download(
        &emu,
        &pattern(1 << 20, 2),
        FaultAction::DropAfter { bytes: 0 },
        0,
    );
    let dir = scratch("resume-fail");
    let target = dir.join("r.bin");
    std::fs::write(&target, b"previous content").unwrap();
    let e = t.finish_download(&target).unwrap_err();
    assert!(e.kind().is_transient_transport(), "{e:?}");
    assert_eq!(entries(&dir), vec!["r.bin"]);
    assert_eq!(std::fs::read(&target).unwrap(), b"previous content");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn progress_callback_can_abort() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    let c = client(&emu);
    put_remote(&emu, &remote(&emu, "p.bin"), &pattern(2 << 20, 4));
    let mut t = c
        .external_download("cluster", &remote(&emu, "p.bin"))
        .unwrap();
    t.set_progress(Some(Box::new(|done, _| done < 500_000)));
    let dir = scratch("abort");
    let e = t.finish_download(&dir.join("p.bin")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AbortedByCallback, "{e:?}");
    assert!(entries(&dir).is_empty());

    let local = dir.join("u.bin");
    std::fs::write(&local, pattern(2 << 20, 8)).unwrap();
    let mut t = c.external_upload("cluster", &local, &emu.home()).unwrap();
    t.set_progress(Some(Box::new(|done, _| done < 300_000)));
    let e = t.finish_upload().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AbortedByCallback, "{e:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wait_times_out() {
    let emu = emulator(firecrest::ApiVersion::V1, |c| {
        c.task_delay = Duration::from_secs(2)
    });
    let c: Client = client(&emu);
    put_remote(&emu, &remote(&emu, "slow.bin"), b"x");
    let mut t = c
        .external_download("cluster", &remote(&emu, "slow.bin"))
        .unwrap();
    let e = t
        .wait(DOWNLOAD_READY, Duration::from_millis(300))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
}

#[test]
fn staging_size_limit_is_reported() {
    let emu = emulator(firecrest::ApiVersion::V1, |_| {});
    emu.set_storage_max_file_size(100_000);
    let c = client(&emu);
    let dir = scratch("xlimit");
    let local = dir.join("big.bin");
    std::fs::write(&local, pattern(200_000, 1)).unwrap();
    let mut t = c.external_upload("cluster", &local, &emu.home()).unwrap();
    let e = t
        .finish_upload()
        .and_then(|()| t.wait(UPLOAD_DONE, LONG).map(|_| ()))
        .unwrap_err();
    // The store refuses the POST (S3: 400 EntityTooLarge), and the message says where.
    assert_eq!(e.kind(), ErrorKind::Http, "{e:?}");
    assert!(
        e.message().contains("staging area") && e.message().contains("EntityTooLarge"),
        "{e}"
    );
    assert!(!emu.local_path(&remote(&emu, "big.bin")).exists());

    put_remote(&emu, &remote(&emu, "big-remote.bin"), &pattern(200_000, 2));
    let mut t = c
        .external_download("cluster", &remote(&emu, "big-remote.bin"))
        .unwrap();
    let e = t.wait(DOWNLOAD_READY, LONG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskFailed, "{e:?}");
    assert_eq!(e.task_status(), Some(DOWNLOAD_FAILED));
    std::fs::remove_dir_all(&dir).unwrap();
}
