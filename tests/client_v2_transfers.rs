//! What only v2's external transfers have, against the emulator: S3 multipart uploads sent by
//! the client (part sizes, parallel parts, retried and failing parts, expired URLs, the
//! completion request), staging that starts at once, and the transfer job's log. What v1 and v2
//! share is in client_transfers.rs.

mod support;

use firecrest::Direction;
use firecrest::TransferState::{self, *};
use firecrest::{ApiVersion, Client, ErrorKind, Options, Transfer};
use firecrest_emulator::{Emulator, FaultAction};
use std::path::Path;
use std::time::{Duration, Instant};
use support::*;

const LONG: Duration = Duration::from_secs(60);

/// A `size`-byte local file, in a scratch directory removed when dropped, and its upload to
/// `remote` started.
fn start_upload(emu: &Emulator, c: &Client, size: usize, remote: &str) -> (Scratch, Transfer) {
    let dir = Scratch::new("upload");
    let local = dir.path().join("f");
    write_file(&local, size, size as u64);
    let t = c.external_upload(&emu.system(), &local, remote).unwrap();
    (dir, t)
}

/// The emulator's part size, read from the directives of a throw-away upload.
fn part_size(emu: &Emulator, c: &Client) -> u64 {
    let (_dir, mut t) = start_upload(emu, c, 1, &format!("{}/probe", emu.home()));
    let data = t.object_storage_data().unwrap();
    let urls = data["partsUploadUrls"].as_array().unwrap();
    assert_eq!(urls.len(), 1, "{data}");
    data["maxPartSize"].as_u64().unwrap()
}

/// The store prefix of a presigned URL ("/s3-multipart/"), for faults aimed at it.
fn url_prefix(url: &str) -> String {
    let path = &url[url.find("://").unwrap() + 3..];
    let path = &path[path.find('/').unwrap()..];
    format!("/{}/", path[1..].split('/').next().unwrap())
}

/// The prefix of the emulator's part URLs, from a throw-away upload.
fn part_prefix(emu: &Emulator, c: &Client) -> String {
    let (_dir, mut t) = start_upload(emu, c, 1, &format!("{}/pp", emu.home()));
    let data = t.object_storage_data().unwrap();
    url_prefix(data["partsUploadUrls"][0].as_str().unwrap())
}

/// Polls `status` until a final value, keeping each distinct value in order.
fn follow(t: &mut Transfer, last: TransferState) -> Vec<TransferState> {
    let mut seen = vec![t.last_status()];
    let start = Instant::now();
    while start.elapsed() < LONG {
        let s = t.status().unwrap();
        if seen.last() != Some(&s) {
            seen.push(s);
        }
        if s == last || matches!(s, UploadFailed | DownloadFailed) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    seen
}

/// Uploads a `size`-byte file and checks the status sequence and the remote checksum;
/// returns the emulator's counter key of the part PUTs and the number of parts.
fn upload_round_trip(emu: &Emulator, c: &Client, size: usize, name: &str) -> (String, usize) {
    let dir = scratch(name);
    let src = dir.join(name);
    let sum = write_file(&src, size, size as u64);
    let remote = format!("{}/{name}", emu.home());
    let sys = emu.system();

    let mut t = c.external_upload(&sys, &src, &remote).unwrap();
    assert_eq!(t.direction(), Direction::Upload);
    assert_eq!(t.status().unwrap(), UploadUrlReady);
    let urls = t.object_storage_data().unwrap()["partsUploadUrls"].clone();
    let first = urls[0].as_str().unwrap();
    let path = &first[first.find("/s3").unwrap()..first.find('?').unwrap()];
    let counter_key = format!("PUT {path}");
    let progress_seen = std::sync::Arc::new(std::sync::Mutex::new(0u64));
    let p = progress_seen.clone();
    t.set_progress(Some(Box::new(move |done, total| {
        assert!(done <= total);
        *p.lock().unwrap() = done;
        true
    })));
    t.finish_upload().unwrap();
    assert_eq!(*progress_seen.lock().unwrap(), size as u64);
    let seen = follow(&mut t, UploadDone);
    assert_eq!(seen.first(), Some(&UploadUrlReady), "{seen:?}");
    assert_eq!(seen.last(), Some(&UploadDone), "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0].code() < w[1].code()),
        "{seen:?}"
    );
    assert!(seen[1..seen.len() - 1]
        .iter()
        .all(|s| [UploadInStaging, UploadMoving].contains(s)));
    assert_eq!(c.checksum(&sys, &remote).unwrap(), sum);
    assert_eq!(sha256_file(&emu.local_path(&remote)), sum);
    std::fs::remove_dir_all(dir).unwrap();
    (counter_key, urls.as_array().unwrap().len())
}

#[test]
fn upload_part_size_edges() {
    let (emu, c) = setup(ApiVersion::V2);
    let part = part_size(&emu, &c) as usize;
    let parts = |size, name| upload_round_trip(&emu, &c, size, name).1;
    assert_eq!(parts(1, "one-byte"), 1);
    assert_eq!(parts(part, "one-part"), 1);
    assert_eq!(parts(3 * part, "exact-multiple"), 3);
    assert_eq!(parts(3 * part + 1, "one-byte-over"), 4);
}

/// The looks at v2 jobs (`GET /compute/{system}/jobs/{id}`) the emulator has received so far.
fn job_looks(emu: &Emulator) -> usize {
    emu.requests_seen()
        .iter()
        .filter(|r| {
            r.method == "GET" && r.path.starts_with("/compute/") && r.path.contains("/jobs/")
        })
        .count()
}

/// A wait's delays follow the transfer's age, not the time the wait itself has lasted: the
/// parts of this upload go out 8 s after it began (its job waiting for the object all along),
/// so the wait for the job's end looks about every 0.8 s or more, where a schedule started
/// afresh would look after 0.1, 0.3, 0.7, 1.2 s, … ; the end is still seen.
#[test]
fn an_upload_sent_late_is_waited_for_at_its_age() {
    // The job looks for the object, and copies it, at this pace.
    let emu = emulator(ApiVersion::V2, |c| {
        c.task_delay = Duration::from_millis(500)
    });
    let c = client_with(
        &emu,
        Options {
            api_version: Some(ApiVersion::V2),
            ..Options::default()
        },
    );
    let remote = format!("{}/sent-late", emu.home());
    let (_dir, mut t) = start_upload(&emu, &c, 1000, &remote);
    let created = Instant::now();
    std::thread::sleep(Duration::from_secs(8));
    t.finish_upload().unwrap();
    let before = job_looks(&emu);
    let age_at_start = created.elapsed().as_secs_f64();
    assert_eq!(t.wait(UploadDone, LONG).unwrap(), UploadDone);
    let waited = created.elapsed().as_secs_f64() - age_at_start;
    let looks = job_looks(&emu) - before;
    // The first look, then one per delay, each at least a tenth of the age the wait began at
    // (measured here a little after the transfer began, so the bound is a little generous).
    let allowed = 2 + (waited * 10.0 / age_at_start).floor() as usize;
    assert!(
        looks <= allowed,
        "{looks} looks in a wait of {waited:.2} s begun at an age of {age_at_start:.2} s; \
         the schedule allows {allowed}"
    );
    assert_eq!(
        std::fs::metadata(emu.local_path(&remote)).unwrap().len(),
        1000
    );
}

#[test]
fn upload_in_parallel_parts() {
    let emu = emulator(ApiVersion::V2, |_| {});
    // 8 parts at once: more connections than the 4 threads tiny_http keeps ready.
    for parallel in [1, 3, 4, 8] {
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
    let prefix = part_prefix(&emu, &c);
    for status in [500, 503] {
        emu.add_fault(status_fault(Some("PUT"), &prefix, status, None, 1));
        let (key, parts) = upload_round_trip(&emu, &c, 2 * part + 10, &format!("retried-{status}"));
        assert_eq!(
            emu.counter(&key),
            parts as u64 + 1,
            "one part was sent twice"
        );
    }
}

#[test]
fn part_failing_for_good_is_an_error() {
    let (emu, c) = setup(ApiVersion::V2);
    let prefix = part_prefix(&emu, &c);
    emu.add_fault(status_fault(Some("PUT"), &prefix, 500, None, 0));
    let (_dir, mut t) = start_upload(&emu, &c, 1000, &format!("{}/f", emu.home()));
    let e = t.finish_upload().unwrap_err();
    assert!(e.message().contains("part 1 of 1"), "{e:?}");
    assert!(!e.message().contains("X-Amz-Signature"), "{e:?}");
}

#[test]
fn expired_part_url_is_a_clear_error() {
    let (emu, c) = setup(ApiVersion::V2);
    emu.set_url_ttl(Duration::from_secs(1));
    let (_dir, mut t) = start_upload(&emu, &c, 1000, &format!("{}/f", emu.home()));
    std::thread::sleep(Duration::from_millis(2100));
    let e = t.finish_upload().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e:?}");
    assert!(e.message().contains("expired"), "{e:?}");
    assert!(!e.message().contains("Signature"), "{e:?}");
}

#[test]
fn empty_file_is_refused() {
    let (emu, c) = setup(ApiVersion::V2);
    let dir = scratch("empty");
    std::fs::write(dir.join("e"), b"").unwrap();
    let e = c
        .external_upload(&emu.system(), &dir.join("e"), &format!("{}/e", emu.home()))
        .map(drop)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("simple_upload"), "{e:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Follows an external download to `local`; returns the statuses seen and the link.
fn download(
    emu: &Emulator,
    c: &Client,
    remote: &str,
    local: &Path,
) -> (Vec<TransferState>, String) {
    let mut t = c.external_download(&emu.system(), remote).unwrap();
    assert_eq!(t.direction(), Direction::Download);
    assert_eq!(t.last_status(), DownloadStaging);
    let seen = follow(&mut t, DownloadReady);
    let link = t.object_storage_link().unwrap();
    assert!(link.starts_with("http://127.0.0.1"), "{link}");
    t.finish_download(local).unwrap();
    let e = t.invalidate_object_storage_link().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e:?}");
    (seen, link)
}

#[test]
fn download_end_to_end() {
    let (emu, c) = setup(ApiVersion::V2);
    let part = part_size(&emu, &c) as usize;
    let data = bytes(2 * part + part / 2, 9);
    let remote = format!("{}/big.bin", emu.home());
    put_remote(&emu, &remote, &data);
    let dir = scratch("download");
    let (seen, link) = download(&emu, &c, &remote, &dir.join("big.bin"));
    assert_eq!(seen, vec![DownloadStaging, DownloadReady]);
    let got = std::fs::read(dir.join("big.bin")).unwrap();
    assert_eq!(got.len(), data.len());
    let first_diff = got.iter().zip(data.iter()).position(|(a, b)| a != b);
    assert_eq!(first_diff, None);

    // A connection dropped mid-body is resumed with Range.
    emu.add_fault(fault(
        Some("GET"),
        &url_prefix(&link),
        FaultAction::DropAfter { bytes: 100_000 },
        1,
    ));
    download(&emu, &c, &remote, &dir.join("again.bin"));
    assert_eq!(sha256_file(&dir.join("again.bin")), sha256_hex(&data));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn completion_error_inside_a_200_is_an_error() {
    let (emu, c) = setup(ApiVersion::V2);
    let prefix = part_prefix(&emu, &c);
    emu.add_fault(fault(Some("POST"), &prefix, FaultAction::FailTransfer, 1));
    let (_dir, mut t) = start_upload(&emu, &c, 1000, &format!("{}/f", emu.home()));
    let e = t.finish_upload().unwrap_err();
    assert!(
        e.message().contains("completing the multipart upload"),
        "{e:?}"
    );
    assert!(e.message().contains("S3 InternalError"), "{e:?}");
}

#[test]
fn upload_into_a_missing_directory_fails_with_the_job_log() {
    let (emu, c) = setup(ApiVersion::V2);
    let remote = format!("{}/no-such-dir/f", emu.home());
    let (_dir, mut t) = start_upload(&emu, &c, 1000, &remote);
    t.finish_upload().unwrap();
    let e = t.wait(UploadDone, LONG).unwrap_err();
    assert_eq!(e.task_status(), Some(UploadFailed), "{e:?}");
    assert!(e.message().contains("no-such-dir"), "{e:?}");
}

#[test]
fn an_upload_has_no_single_link() {
    let (emu, c) = setup(ApiVersion::V2);
    let (_dir, mut t) = start_upload(&emu, &c, 10, &format!("{}/f", emu.home()));
    let e = t.object_storage_link().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidState, "{e:?}");
    assert!(
        e.message()
            .contains("not one link; object_storage_data lists them"),
        "{e}"
    );
}

/// The account charged for transfer jobs: the user's default where the system's directives need
/// one, or the caller's choice (`Options::transfer_account`) for cp, mv, rm and external
/// transfers alike.
#[test]
fn transfer_jobs_are_charged_to_the_chosen_account() {
    let emu = emulator(ApiVersion::V2, |c| c.transfer_jobs_need_account = true);
    let charged = |c: &Client, name: &str| -> Vec<String> {
        let jobs = c.jobs("cluster").unwrap();
        jobs.iter()
            .filter(|j| j.name == name)
            .map(|j| j.account.clone().unwrap_or_default())
            .collect()
    };
    let src = remote(&emu, "a.txt");
    put_remote(&emu, &src, b"account\n");

    let c = client(&emu);
    c.copy("cluster", &src, &remote(&emu, "b.txt")).unwrap();
    assert_eq!(charged(&c, "CopyFiles"), ["testproject"]);

    let chosen = client_with(
        &emu,
        Options {
            transfer_account: Some("otherproject".into()),
            ..fast_options()
        },
    );
    chosen
        .copy("cluster", &src, &remote(&emu, "c.txt"))
        .unwrap();
    chosen
        .mv("cluster", &remote(&emu, "c.txt"), &remote(&emu, "d.txt"))
        .unwrap();
    assert_eq!(charged(&c, "CopyFiles"), ["testproject", "otherproject"]);
    assert_eq!(charged(&c, "MoveFiles"), ["otherproject"]);
    let (_dir, mut t) = start_upload(&emu, &chosen, 1000, &remote(&emu, "up.bin"));
    t.finish_upload().unwrap();
    assert_eq!(t.wait(UploadDone, LONG).unwrap(), UploadDone);
    assert_eq!(charged(&c, "IngressFileTransfer"), ["otherproject"]);

    let e = Client::new(
        &emu.url(),
        auth(&emu),
        Options {
            transfer_account: Some("two words".into()),
            ..fast_options()
        },
    )
    .expect_err("a bad account is refused");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}
