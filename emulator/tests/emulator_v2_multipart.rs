//! The v2 emulator's large transfers over real HTTP: S3 multipart edge cases (part boundaries,
//! repeated and expired part URLs, bad completion documents), ranged downloads, the transfer
//! jobs' state progression and injected failures.

mod support;

use firecrest_emulator::{Config, Fault, FaultAction};
use md5::{Digest, Md5};
use serde_json::{json, Value};
use std::time::Duration;
use support::v2::{complete_xml, pattern, V2};
use support::{call, Reply};

const PART: usize = 1 << 20;

fn emulator() -> V2 {
    V2::start(Config::default())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Opens an upload of `size` bytes to `target` (pyfirecrest's snake_case body).
fn open_upload(v2: &V2, target: &str, size: usize) -> Value {
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/transfer/upload",
        &json!({"path": target, "transfer_directives": {"transfer_method": "s3", "file_size": size}}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

fn put(v2: &V2, url: &str, data: &[u8]) -> Reply {
    call(&v2.agent, "PUT", url, &[], Some(data.to_vec()))
}

fn post_xml(v2: &V2, url: &str, xml: &str) -> Reply {
    call(&v2.agent, "POST", url, &[], Some(xml.as_bytes().to_vec()))
}

fn urls(t: &Value) -> (Vec<String>, String) {
    let td = &t["transferDirectives"];
    let parts = td["partsUploadUrls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    (parts, td["completeUploadUrl"].as_str().unwrap().to_string())
}

fn job_id(t: &Value) -> String {
    t["transferJob"]["jobId"].as_str().unwrap().to_string()
}

/// Uploads `data` in maxPartSize parts, completes, and returns the part ETags.
fn upload_all(v2: &V2, t: &Value, data: &[u8]) -> Vec<(u32, String)> {
    let (parts, complete) = urls(t);
    let size = t["transferDirectives"]["maxPartSize"].as_u64().unwrap() as usize;
    let mut etags = Vec::new();
    for (i, url) in parts.iter().enumerate() {
        let chunk = &data[i * size..((i + 1) * size).min(data.len())];
        let r = put(v2, url, chunk);
        assert_eq!(r.status, 200, "part {}: {}", i + 1, r.text());
        let etag = r.header("etag").unwrap().to_string();
        assert_eq!(etag, format!("\"{}\"", hex(&Md5::digest(chunk))));
        etags.push((i as u32 + 1, etag));
    }
    let r = post_xml(v2, &complete, &complete_xml(&etags));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains("<CompleteMultipartUploadResult"),
        "{}",
        r.text()
    );
    etags
}

/// Writes /home/testuser/a.txt and starts transfer/`op` (cp or mv) of it to `target`.
fn start_on_a_txt(v2: &V2, op: &str, target: &str) -> Reply {
    std::fs::write(v2.emu.local_path("/home/testuser/a.txt"), b"abc").unwrap();
    v2.send_json(
        "POST",
        &format!("/filesystem/cluster/transfer/{op}"),
        &json!({"path": "/home/testuser/a.txt", "targetPath": target}),
    )
}

fn output_log(v2: &V2, t: &Value) -> String {
    v2.view(t["transferJob"]["logs"]["outputLog"].as_str().unwrap())
}

fn upload_round_trip(len: usize, expected_parts: usize) {
    let v2 = emulator();
    let data = pattern(len, 3);
    let target = format!("/home/testuser/up-{len}.bin");
    let t = open_upload(&v2, &target, len);
    assert_eq!(urls(&t).0.len(), expected_parts);
    assert_eq!(t["transferDirectives"]["maxPartSize"], json!(PART));
    upload_all(&v2, &t, &data);
    let job = v2.wait_job(&job_id(&t), |s| s != "PENDING" && s != "RUNNING");
    assert_eq!(job["status"]["state"], "COMPLETED");
    assert_eq!(job["name"], "IngressFileTransfer");
    assert!(output_log(&v2, &t).contains("File was successfully downloaded"));
    assert_eq!(std::fs::read(v2.emu.local_path(&target)).unwrap(), data);
}

#[test]
fn upload_of_an_exact_multiple_of_the_part_size() {
    upload_round_trip(2 * PART, 2);
}

#[test]
fn upload_one_byte_over_a_part_boundary() {
    upload_round_trip(2 * PART + 1, 3);
}

#[test]
fn zero_byte_upload_gets_no_part_urls() {
    let v2 = emulator();
    let t = open_upload(&v2, "/home/testuser/empty.bin", 0);
    assert!(urls(&t).0.is_empty());
}

#[test]
fn a_part_uploaded_twice_keeps_the_second_body() {
    let v2 = emulator();
    let target = "/home/testuser/twice.bin";
    let (first, second) = (pattern(1000, 1), pattern(1000, 2));
    let t = open_upload(&v2, target, 1000);
    let (parts, complete) = urls(&t);
    let e1 = put(&v2, &parts[0], &first)
        .header("etag")
        .unwrap()
        .to_string();
    let e2 = put(&v2, &parts[0], &second)
        .header("etag")
        .unwrap()
        .to_string();
    assert_ne!(e1, e2);
    let stale = post_xml(&v2, &complete, &complete_xml(&[(1, e1)]));
    assert_eq!(stale.status, 400);
    assert!(
        stale.text().contains("<Code>InvalidPart</Code>"),
        "{}",
        stale.text()
    );
    let ok = post_xml(&v2, &complete, &complete_xml(&[(1, e2.clone())]));
    assert_eq!(ok.status, 200, "{}", ok.text());
    v2.wait_job(&job_id(&t), |s| s == "COMPLETED");
    assert_eq!(std::fs::read(v2.emu.local_path(target)).unwrap(), second);
    // The upload is closed now: its URLs lead nowhere.
    let late = put(&v2, &parts[0], &first);
    assert_eq!(late.status, 404);
    assert!(late.text().contains("NoSuchUpload"), "{}", late.text());
    let again = post_xml(&v2, &complete, &complete_xml(&[(1, e2)]));
    assert_eq!(again.status, 404);
}

#[test]
fn expired_and_tampered_part_urls_are_refused() {
    let v2 = emulator();
    let t = open_upload(&v2, "/home/testuser/x.bin", 10);
    let url = urls(&t).0[0].clone();
    let tampered = url.replace("partNumber=1", "partNumber=2");
    let r = put(&v2, &tampered, b"0123456789");
    assert_eq!(r.status, 403);
    assert!(r.text().contains("SignatureDoesNotMatch"), "{}", r.text());

    v2.emu.set_url_ttl(Duration::from_secs(1));
    let t = open_upload(&v2, "/home/testuser/y.bin", 10);
    let url = urls(&t).0[0].clone();
    assert!(url.contains("X-Amz-Expires=1&"), "{url}");
    std::thread::sleep(Duration::from_millis(2100));
    let r = put(&v2, &url, b"0123456789");
    assert_eq!(r.status, 403);
    assert!(r.text().contains("Request has expired"), "{}", r.text());
}

#[test]
fn bad_completion_documents_get_s3_errors() {
    let v2 = emulator();
    let data = pattern(2 * PART + 10, 5);
    let t = open_upload(&v2, "/home/testuser/bad.bin", data.len());
    let (parts, complete) = urls(&t);
    let mut etags = Vec::new();
    for (i, url) in parts.iter().enumerate() {
        let chunk = &data[i * PART..((i + 1) * PART).min(data.len())];
        etags.push((
            i as u32 + 1,
            put(&v2, url, chunk).header("etag").unwrap().to_string(),
        ));
    }
    let code = |xml: &str| {
        let r = post_xml(&v2, &complete, xml);
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(r.header("content-type"), Some("application/xml"));
        let text = r.text();
        let start = text.find("<Code>").expect("an S3 error") + 6;
        text[start..text.find("</Code>").unwrap()].to_string()
    };
    assert_eq!(code("this is not xml"), "MalformedXML");
    assert_eq!(
        code("<CompleteMultipartUpload></CompleteMultipartUpload>"),
        "MalformedXML"
    );
    let mut reversed = etags.clone();
    reversed.reverse();
    assert_eq!(code(&complete_xml(&reversed)), "InvalidPartOrder");
    let mut wrong = etags.clone();
    wrong[1].1 = "\"00000000000000000000000000000000\"".into();
    assert_eq!(code(&complete_xml(&wrong)), "InvalidPart");
    let mut unknown = etags.clone();
    unknown.push((4, etags[0].1.clone()));
    assert_eq!(code(&complete_xml(&unknown)), "InvalidPart");
    // A short part that is not the last one.
    let short = put(&v2, &parts[0], b"tiny")
        .header("etag")
        .unwrap()
        .to_string();
    let mut small = etags.clone();
    small[0].1 = short;
    assert_eq!(code(&complete_xml(&small)), "EntityTooSmall");
    // Errors leave the upload open: the right document still completes it.
    put(&v2, &parts[0], &data[..PART]);
    let r = post_xml(&v2, &complete, &complete_xml(&etags));
    assert_eq!(r.status, 200, "{}", r.text());
    v2.wait_job(&job_id(&t), |s| s == "COMPLETED");
    assert_eq!(
        std::fs::read(v2.emu.local_path("/home/testuser/bad.bin")).unwrap(),
        data
    );
}

/// Writes `data` at `remote` and stages it for download through the store: the transfer's
/// answer and its download URL, once the egress job has completed.
fn stage_download(v2: &V2, remote: &str, data: &[u8]) -> (Value, String) {
    std::fs::write(v2.emu.local_path(remote), data).unwrap();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/transfer/download",
        &json!({"source_path": remote, "transfer_directives": {"transferMethod": "s3"}}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let t = r.json();
    let url = t["transferDirectives"]["downloadUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let job = v2.wait_job(&job_id(&t), |s| s != "PENDING" && s != "RUNNING");
    assert_eq!(job["status"]["state"], "COMPLETED");
    assert_eq!(job["name"], "OutgressFileTransfer");
    (t, url)
}

#[test]
fn download_through_the_store_with_ranges() {
    let v2 = emulator();
    let data = pattern(2 * PART + 123, 7);
    let (t, url) = stage_download(&v2, "/home/testuser/out.bin", &data);
    let log = output_log(&v2, &t);
    assert!(
        log.contains("[INFO] Multipart file upload successfully completed"),
        "{log}"
    );
    assert!(log.contains("into 3 chunks"), "{log}");
    // The ETags the egress job logs are those of the parts.
    let first = format!("ETag: {}|", hex(&Md5::digest(&data[..PART])));
    assert!(log.contains(&first), "{log}");

    let whole = call(&v2.agent, "GET", &url, &[], None);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, data);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    let range = |spec: &str| call(&v2.agent, "GET", &url, &[("Range", spec)], None);
    let r = range("bytes=0-99");
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &data[..100]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-99/{}", data.len()).as_str())
    );
    let r = range(&format!("bytes={}-", PART));
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &data[PART..]);
    let r = range("bytes=-10");
    assert_eq!(r.body, &data[data.len() - 10..]);
    let r = range(&format!("bytes={}-", data.len() + 5));
    assert_eq!(r.status, 416);
}

#[test]
fn a_completed_upload_has_the_multipart_etag_and_its_parts_become_the_file() {
    let v2 = emulator();
    let data = pattern(3 * PART + 17, 9);
    let target = "/home/testuser/etag.bin";
    let t = open_upload(&v2, target, data.len());
    let (parts, complete) = urls(&t);
    let mut etags = Vec::new();
    let mut md5s = Md5::new();
    for (i, url) in parts.iter().enumerate() {
        let chunk = &data[i * PART..((i + 1) * PART).min(data.len())];
        let r = put(&v2, url, chunk);
        assert_eq!(r.status, 200, "{}", r.text());
        md5s.update(Md5::digest(chunk));
        etags.push((i as u32 + 1, r.header("etag").unwrap().to_string()));
    }
    let r = post_xml(&v2, &complete, &complete_xml(&etags));
    assert_eq!(r.status, 200, "{}", r.text());
    // S3's ETag of a multipart object: the MD5 of the parts' MD5s, dash, the part count.
    let expected = format!("<ETag>\"{}-4\"</ETag>", hex(&md5s.finalize()));
    assert!(r.text().contains(&expected), "{}", r.text());
    let job = v2.wait_job(&job_id(&t), |s| s != "PENDING" && s != "RUNNING");
    assert_eq!(job["status"]["state"], "COMPLETED");
    assert_eq!(std::fs::read(v2.emu.local_path(target)).unwrap(), data);
}

#[test]
fn staged_objects_expire_as_under_a_lifecycle_rule() {
    let v2 = V2::start(Config {
        staging_expiry: Duration::from_millis(300),
        ..Config::default()
    });
    let data = pattern(PART + 5, 4);
    let (_, url) = stage_download(&v2, "/home/testuser/old.bin", &data);
    // Gone once it is older than the rule's age, however valid the URL still is.
    let started = std::time::Instant::now();
    let gone = loop {
        let r = call(&v2.agent, "GET", &url, &[], None);
        if r.status == 404 {
            break r;
        }
        assert_eq!(r.status, 200);
        assert!(started.elapsed() < Duration::from_secs(30), "never expired");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        gone.text().contains("<Code>NoSuchKey</Code>"),
        "{}",
        gone.text()
    );
}

#[test]
fn download_of_a_missing_file_is_404() {
    let v2 = emulator();
    let r = v2.send_json(
        "POST",
        "/filesystem/cluster/transfer/download",
        &json!({"path": "/home/testuser/nope", "transferDirectives": {"transferMethod": "s3"}}),
    );
    assert_eq!(r.status, 404);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("No such file or directory"));
}

#[test]
fn transfer_jobs_go_pending_running_completed() {
    let v2 = V2::start(Config {
        task_delay: Duration::from_millis(400),
        ..Config::default()
    });
    let r = start_on_a_txt(&v2, "cp", "/home/testuser/b.txt");
    assert_eq!(r.status, 201, "{}", r.text());
    let t = r.json();
    let id = job_id(&t);
    let mut seen: Vec<String> = Vec::new();
    loop {
        let job = v2.get(&format!("/compute/cluster/jobs/{id}")).json()["jobs"][0].clone();
        let state = job["status"]["state"].as_str().unwrap().to_string();
        if state == "PENDING" {
            assert_eq!(job["tasks"], json!([]));
            assert_eq!(job["nodes"], "None assigned");
        }
        if seen.last() != Some(&state) {
            seen.push(state.clone());
        }
        if state == "COMPLETED" {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let order = ["PENDING", "RUNNING", "COMPLETED"];
    let positions: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("a known state"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "states went {seen:?}"
    );
    assert!(seen.len() >= 2, "states seen: {seen:?}");
    assert!(output_log(&v2, &t).contains("Files were successfully copied."));
    assert_eq!(
        std::fs::read(v2.emu.local_path("/home/testuser/b.txt")).unwrap(),
        b"abc"
    );
}

#[test]
fn fail_transfer_fault_fails_the_job() {
    let v2 = emulator();
    v2.emu.add_fault(Fault {
        method: Some("POST".into()),
        path_prefix: "/filesystem/cluster/transfer/mv".into(),
        action: FaultAction::FailTransfer,
        times: 1,
    });
    let r = start_on_a_txt(&v2, "mv", "/home/testuser/b.txt");
    assert_eq!(r.status, 201);
    let t = r.json();
    let job = v2.wait_job(&job_id(&t), |s| s != "PENDING" && s != "RUNNING");
    assert_eq!(job["status"]["state"], "FAILED");
    assert_eq!(job["status"]["stateReason"], "NonZeroExitCode");
    assert_ne!(job["status"]["exitCode"], 0);
    assert!(!output_log(&v2, &t).contains("successfully"));
    assert!(
        v2.emu.local_path("/home/testuser/a.txt").exists(),
        "a failed mv moved the file"
    );
}

#[test]
fn fail_transfer_on_completion_is_a_200_error_and_fails_the_ingress_job() {
    let v2 = emulator();
    v2.emu.add_fault(Fault {
        method: Some("POST".into()),
        path_prefix: "/s3-multipart/".into(),
        action: FaultAction::FailTransfer,
        times: 1,
    });
    let t = open_upload(&v2, "/home/testuser/never.bin", 10);
    let (parts, complete) = urls(&t);
    let etag = put(&v2, &parts[0], b"0123456789")
        .header("etag")
        .unwrap()
        .to_string();
    let r = post_xml(&v2, &complete, &complete_xml(&[(1, etag)]));
    assert_eq!(r.status, 200);
    assert!(r.text().contains("<Error>"), "{}", r.text());
    let job = v2.wait_job(&job_id(&t), |s| s != "PENDING" && s != "RUNNING");
    assert_eq!(job["status"]["state"], "FAILED");
    assert!(!v2.emu.local_path("/home/testuser/never.bin").exists());
}

#[test]
fn ingress_into_a_directory_fails_with_exit_code_3() {
    let v2 = emulator();
    std::fs::create_dir(v2.emu.local_path("/home/testuser/adir")).unwrap();
    let t = open_upload(&v2, "/home/testuser/adir", 10);
    upload_all(&v2, &t, b"0123456789");
    let job = v2.wait_job(&job_id(&t), |s| s != "PENDING" && s != "RUNNING");
    assert_eq!(job["status"]["state"], "FAILED");
    assert_eq!(job["status"]["exitCode"], 3);
}

#[test]
fn upload_needs_the_configured_transfer_method_and_a_size() {
    let v2 = emulator();
    let send = |td: Value| {
        v2.send_json(
            "POST",
            "/filesystem/cluster/transfer/upload",
            &json!({"path": "/home/testuser/x.bin", "transferDirectives": td}),
        )
    };
    let r = send(json!({"transferMethod": "streamer"}));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "Requested transfer method is not available."
    );
    let r = send(json!({"transferMethod": "ftp"}));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errorType"], "validation");
    let r = send(json!({"transferMethod": "s3"}));
    assert_eq!(r.status, 500);
    assert!(r.header("x-request-id").is_none());
}

#[test]
fn part_size_follows_the_config() {
    let v2 = V2::start(Config {
        max_part_size: 1000,
        ..Config::default()
    });
    let data = pattern(2500, 4);
    let t = open_upload(&v2, "/home/testuser/small-parts.bin", data.len());
    assert_eq!(t["transferDirectives"]["maxPartSize"], 1000);
    assert_eq!(urls(&t).0.len(), 3);
    let systems = v2.get("/status/systems").json();
    assert_eq!(
        systems["systems"][0]["dataOperation"]["data_transfer"]["multipart"]["max_part_size"],
        1000
    );
    upload_all(&v2, &t, &data);
    v2.wait_job(&job_id(&t), |s| s == "COMPLETED");
    assert_eq!(
        std::fs::read(v2.emu.local_path("/home/testuser/small-parts.bin")).unwrap(),
        data
    );
}

#[test]
fn transfer_jobs_cannot_write_outside_the_home() {
    let v2 = emulator();
    let r = start_on_a_txt(&v2, "cp", "/home/a.txt");
    assert_eq!(r.status, 201);
    let t = r.json();
    // Like job_copy.sh, the job ends COMPLETED; only the logs tell the failure.
    v2.wait_job(&job_id(&t), |s| s == "COMPLETED");
    assert!(!output_log(&v2, &t).contains("successfully"));
    let err = v2.view(t["transferJob"]["logs"]["errorLog"].as_str().unwrap());
    assert!(err.contains("Permission denied"), "{err}");
    assert!(!v2.emu.local_path("/home/a.txt").exists());
}

#[test]
fn cancelling_a_pending_transfer_job() {
    let v2 = V2::start(Config {
        task_delay: Duration::from_secs(2),
        ..Config::default()
    });
    let r = start_on_a_txt(&v2, "cp", "/home/testuser/b.txt");
    let id = job_id(&r.json());
    let r = v2.delete(&format!("/compute/cluster/jobs/{id}"));
    assert_eq!(r.status, 204, "{}", r.text());
    let job = v2.wait_job(&id, |s| s.starts_with("CANCELLED"));
    assert_eq!(job["status"]["interruptSignal"], 15);
    let r = v2.delete("/compute/cluster/jobs/999999");
    assert_eq!(r.status, 500);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("Invalid job id specified"));
    assert!(!v2.emu.local_path("/home/testuser/b.txt").exists());
}
