//! External (staged) transfers end to end against the emulator, each body run on v1 and v2: the
//! status sequence (v1's integers on both), the staging directives and presigned GET, integrity,
//! failures, resume after a dropped connection, progress and its abort, timeouts.

mod support;

use firecrest::Direction;
use firecrest::TransferState::{self, *};
use firecrest::{ApiVersion, Client, ErrorKind, Transfer};
use firecrest_emulator::{Config, Emulator, FaultAction};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

on_every_server!(
    common_external_transfers,
    external_download_end_to_end,
    external_upload_end_to_end,
    upload_to_a_directory_keeps_the_file_name,
    wait_drives_a_whole_upload,
    failed_transfers_are_task_failed_with_the_message,
    creation_errors_name_the_path,
    dropped_staged_download_resumes_with_range,
    staged_download_that_keeps_dropping_leaves_no_file,
    progress_callback_can_abort,
    wait_times_out,
);

const LONG: Duration = Duration::from_secs(60);

/// Polls once per few ms until `until` or a terminal status, recording every distinct status.
fn observe(t: &mut Transfer, until: TransferState) -> Vec<TransferState> {
    let mut seen = vec![t.last_status()];
    let deadline = std::time::Instant::now() + LONG;
    loop {
        let s = t.status().unwrap();
        if seen.last() != Some(&s) {
            seen.push(s);
        }
        if s == until
            || s.code() >= UploadDone.code()
                && s != UploadInStaging
                && s != UploadMoving
                && s != DownloadStaging
        {
            return seen;
        }
        assert!(std::time::Instant::now() < deadline, "stuck at {seen:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Where an upload of `name` goes: v1 takes the directory (the file keeps its name), v2 the
/// file's own path.
fn upload_target(api: ApiVersion, emu: &Emulator, name: &str) -> String {
    match api {
        ApiVersion::V1 => emu.home(),
        ApiVersion::V2 => remote(emu, name),
    }
}

fn slow_tasks(c: &mut Config) {
    c.task_delay = Duration::from_millis(60);
}

fn external_download_end_to_end(api: ApiVersion) {
    let emu = emulator(api, slow_tasks);
    let c = client(&emu);
    let data = pattern(3 << 20, 11);
    let src = remote(&emu, "big.bin");
    put_remote(&emu, &src, &data);

    let mut t = c.external_download("cluster", &src).unwrap();
    assert_eq!(t.direction(), Direction::Download);
    let seen = observe(&mut t, DownloadReady);
    // v2's transfer job starts staging at once.
    let first = match api {
        ApiVersion::V1 => Queued,
        ApiVersion::V2 => DownloadStaging,
    };
    assert_eq!(seen.first(), Some(&first), "{seen:?}");
    assert_eq!(seen.last(), Some(&DownloadReady), "{seen:?}");
    assert!(seen.contains(&DownloadStaging), "{seen:?}");

    let link = t.object_storage_link().unwrap();
    assert!(link.starts_with("http://127.0.0.1"), "{link}");
    if api == ApiVersion::V1 {
        // v1's task data carries the link as `url`.
        let info = t.object_storage_data().unwrap();
        assert_eq!(link, info["url"].as_str().unwrap(), "{info}");
    }

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

    match api {
        ApiVersion::V1 => {
            t.invalidate_object_storage_link().unwrap();
            assert_eq!(t.last_status(), Invalidated);
        }
        ApiVersion::V2 => {
            // v2 cannot invalidate a presigned URL: it says so.
            let e = t.invalidate_object_storage_link().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Unsupported, "{e:?}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn external_upload_end_to_end(api: ApiVersion) {
    let emu = emulator(api, slow_tasks);
    let c = client(&emu);
    let data = pattern((2 << 20) + 12345, 5);
    let dir = scratch("xup");
    let local = dir.join("ext-up.bin");
    std::fs::write(&local, &data).unwrap();

    let target = upload_target(api, &emu, "ext-up.bin");
    let mut t = c.external_upload("cluster", &local, &target).unwrap();
    assert_eq!(t.direction(), Direction::Upload);
    let mut seen = observe(&mut t, UploadUrlReady);
    assert_eq!(seen.last(), Some(&UploadUrlReady), "{seen:?}");
    let form = t.object_storage_data().unwrap();
    match api {
        // v1: the presigned POST form of the staging area
        ApiVersion::V1 => {
            assert_eq!(form["method"], "POST", "{form}");
            assert!(
                form["data"]["key"]
                    .as_str()
                    .unwrap()
                    .ends_with("/ext-up.bin"),
                "{form}"
            );
        }
        // v2: one presigned PUT a part (three of the 1 MiB parts)
        ApiVersion::V2 => {
            assert_eq!(
                form["partsUploadUrls"].as_array().unwrap().len(),
                3,
                "{form}"
            );
            assert!(form["completeUploadUrl"].is_string(), "{form}");
        }
    }

    let sent = Arc::new(Mutex::new(0u64));
    let s2 = sent.clone();
    t.set_progress(Some(Box::new(move |done, total| {
        assert_eq!(total, (2 << 20) + 12345);
        *s2.lock().unwrap() = done;
        true
    })));
    t.finish_upload().unwrap();
    assert_eq!(*sent.lock().unwrap(), data.len() as u64);
    seen.extend(observe(&mut t, UploadDone).into_iter().skip(1));
    assert_eq!(seen.last(), Some(&UploadDone), "{seen:?}");
    assert!(
        seen.iter()
            .any(|s| *s == UploadInStaging || *s == UploadMoving),
        "{seen:?}"
    );
    let mut sorted = seen.clone();
    sorted.sort_by_key(|s| s.code());
    assert_eq!(sorted, seen, "statuses only move forward: {seen:?}");

    let remote_file = remote(&emu, "ext-up.bin");
    assert_eq!(
        sha256_hex(&read_remote(&emu, &remote_file)),
        sha256_hex(&data)
    );
    assert!(c.verify_checksum("cluster", &remote_file, &local).unwrap());
    assert_eq!(t.wait(UploadDone, LONG).unwrap(), UploadDone);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A directory target means the same on both versions, as for `cp`: the file goes inside it
/// under its local name; any other path is the file's own.
fn upload_to_a_directory_keeps_the_file_name(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let dir = scratch("xup-dir");
    let local = dir.join("big.bin");
    std::fs::write(&local, pattern(70_000, 3)).unwrap();
    let sub = remote(&emu, "dest");
    c.mkdir("cluster", &sub, false).unwrap();
    for target in [sub.clone(), format!("{sub}/")] {
        let mut t = c.external_upload("cluster", &local, &target).unwrap();
        t.finish_upload().unwrap();
        assert_eq!(t.wait(UploadDone, LONG).unwrap(), UploadDone, "{target}");
        let placed = format!("{sub}/big.bin");
        assert_eq!(read_remote(&emu, &placed), pattern(70_000, 3), "{target}");
        c.remove("cluster", &placed).unwrap();
    }
    let named = format!("{sub}/other.bin");
    let mut t = c.external_upload("cluster", &local, &named).unwrap();
    t.finish_upload().unwrap();
    assert_eq!(t.wait(UploadDone, LONG).unwrap(), UploadDone);
    assert_eq!(read_remote(&emu, &named), pattern(70_000, 3));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn wait_drives_a_whole_upload(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let dir = scratch("xup-wait");
    let local = dir.join("w.bin");
    std::fs::write(&local, pattern(100_000, 9)).unwrap();
    let mut t = c
        .external_upload("cluster", &local, &remote(&emu, "renamed.bin"))
        .unwrap();
    // finish_upload waits for the form itself.
    t.finish_upload().unwrap();
    assert_eq!(t.wait(UploadDone, LONG).unwrap(), UploadDone);
    assert_eq!(
        read_remote(&emu, &remote(&emu, "renamed.bin")),
        pattern(100_000, 9)
    );
    let e = t.finish_download(&dir.join("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidState);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn failed_transfers_are_task_failed_with_the_message(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    put_remote(&emu, &remote(&emu, "f.bin"), b"payload");
    emu.add_fault(fault(
        Some("POST"),
        &transfer_path(api, "download"),
        FaultAction::FailTransfer,
        1,
    ));
    let mut t = c
        .external_download("cluster", &remote(&emu, "f.bin"))
        .unwrap();
    let e = t.wait(DownloadReady, LONG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskFailed, "{e:?}");
    assert!(
        matches!(e.task_status(), Some(DownloadFailed) | Some(TaskFailed)),
        "{e:?}"
    );
    if api == ApiVersion::V2 {
        // a failed job is the transfer's own failure status
        assert_eq!(t.last_status(), DownloadFailed);
    }
    assert!(e.message().contains("f.bin"), "{e}");
    let dir = scratch("xfail");
    assert_eq!(
        t.finish_download(&dir.join("f.bin")).unwrap_err().kind(),
        ErrorKind::TaskFailed
    );
    assert!(entries(&dir).is_empty());

    emu.add_fault(fault(
        Some("POST"),
        &transfer_path(api, "upload"),
        FaultAction::FailTransfer,
        1,
    ));
    let local = dir.join("u.bin");
    std::fs::write(&local, b"upload me").unwrap();
    let target = upload_target(api, &emu, "u.bin");
    let mut t = c.external_upload("cluster", &local, &target).unwrap();
    let sent = t.finish_upload();
    if api == ApiVersion::V2 {
        // the parts reach the store; the job that moves them fails afterwards
        assert!(sent.is_ok(), "{sent:?}");
    }
    let e = sent.and_then(|()| t.wait(UploadDone, LONG)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskFailed, "{e:?}");
    assert!(
        matches!(e.task_status(), Some(UploadFailed) | Some(TaskFailed)),
        "{e:?}"
    );
    if api == ApiVersion::V2 {
        assert_eq!(e.task_status(), Some(UploadFailed), "{e:?}");
        assert_eq!(t.last_status(), UploadFailed);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn creation_errors_name_the_path(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let e = c
        .external_download("cluster", &remote(&emu, "missing.bin"))
        .unwrap_err();
    assert_eq!(e.kind(), missing_path_kind(api), "{e:?}");
    assert!(e.message().contains("missing.bin"), "{e}");
    if api == ApiVersion::V2 {
        assert!(e.message().contains("No such file or directory"), "{e:?}");
    }
    let dir = scratch("xcreate");
    let local = dir.join("a.bin");
    std::fs::write(&local, b"a").unwrap();
    if api == ApiVersion::V1 {
        // (v2 answers 400 for a path outside its filesystems.)
        let e = c.external_upload("cluster", &local, "/root").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
    }
    let e = c
        .external_upload("nope", &local, &upload_target(api, &emu, "a.bin"))
        .unwrap_err();
    match api {
        ApiVersion::V1 => assert!(
            e.error_header()
                .unwrap()
                .0
                .starts_with("X-Machine-Does-Not-Exist"),
            "{e:?}"
        ),
        ApiVersion::V2 => assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}"),
    }
    let e = c
        .external_upload("cluster", &dir.join("absent.bin"), &emu.home())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn dropped_staged_download_resumes_with_range(api: ApiVersion) {
    let emu = emulator(api, |_| {});
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
    t.wait(DownloadReady, LONG).unwrap();
    emu.add_fault(fault(Some("GET"), "/s3/", action, times));
    t
}

fn staged_download_that_keeps_dropping_leaves_no_file(api: ApiVersion) {
    let emu = emulator(api, |_| {});
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

fn progress_callback_can_abort(api: ApiVersion) {
    let emu = emulator(api, |_| {});
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
    let target = upload_target(api, &emu, "u.bin");
    let mut t = c.external_upload("cluster", &local, &target).unwrap();
    t.set_progress(Some(Box::new(|done, _| done < 300_000)));
    let e = t.finish_upload().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AbortedByCallback, "{e:?}");
    // Nothing reached the remote file, and the transfer still waits for the upload.
    assert_eq!(t.status().unwrap(), UploadUrlReady);
    assert!(!emu.local_path(&remote(&emu, "u.bin")).exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn wait_times_out(api: ApiVersion) {
    let emu = emulator(api, |c| c.task_delay = Duration::from_secs(2));
    let c: Client = client(&emu);
    put_remote(&emu, &remote(&emu, "slow.bin"), b"x");
    let mut t = c
        .external_download("cluster", &remote(&emu, "slow.bin"))
        .unwrap();
    let e = t
        .wait(DownloadReady, Duration::from_millis(300))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
}

/// v1's staging area has its own size limit (v2's multipart store has none to meet).
#[test]
fn staging_size_limit_is_reported() {
    let emu = emulator(ApiVersion::V1, |_| {});
    emu.set_storage_max_file_size(100_000);
    let c = client(&emu);
    let dir = scratch("xlimit");
    let local = dir.join("big.bin");
    std::fs::write(&local, pattern(200_000, 1)).unwrap();
    let mut t = c.external_upload("cluster", &local, &emu.home()).unwrap();
    let e = t
        .finish_upload()
        .and_then(|()| t.wait(UploadDone, LONG).map(|_| ()))
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
    let e = t.wait(DownloadReady, LONG).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskFailed, "{e:?}");
    assert_eq!(e.task_status(), Some(DownloadFailed));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What a program written for v1's integers does, unchanged on v2: wait for 111, send, wait
/// for 114; start a download, wait for 117, fetch. Checksums must match on both versions.
fn common_external_transfers(api: ApiVersion) {
    let (emu, c) = setup(api);
    let sys = emu.system();
    let dir = scratch(&format!("common-{api:?}"));
    let src = dir.join("data.bin");
    let sum = write_file(&src, 3 * 1048576 + 5, 11);
    let remote = format!("{}/data.bin", emu.home());

    let mut up = c.external_upload(&sys, &src, &remote).unwrap();
    assert_eq!(up.wait(UploadUrlReady, LONG).unwrap(), UploadUrlReady);
    up.finish_upload().unwrap();
    assert_eq!(up.wait(UploadDone, LONG).unwrap(), UploadDone);
    assert_eq!(c.checksum(&sys, &remote).unwrap(), sum);

    let mut down = c.external_download(&sys, &remote).unwrap();
    assert_eq!(down.wait(DownloadReady, LONG).unwrap(), DownloadReady);
    down.finish_download(&dir.join("back.bin")).unwrap();
    assert_eq!(sha256_file(&dir.join("back.bin")), sum);
    std::fs::remove_dir_all(dir).unwrap();
}
