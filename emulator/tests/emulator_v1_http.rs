//! The v1 emulator over real HTTP: token lifetime, fault injection, the staging store's
//! signatures, expiry and ranges, path confinement, size limits and the transfer failures.

mod support;

use firecrest_emulator::{Config, Emulator, Fault, FaultAction};
use serde_json::Value;
use std::time::{Duration, Instant};
use support::v1::*;
use support::*;

struct Session {
    emu: Emulator,
    agent: ureq::Agent,
    auth: String,
}

impl Session {
    fn new(config: Config) -> Session {
        let emu = Emulator::start(config).unwrap();
        let auth = format!("Bearer {}", token(&emu));
        Session {
            emu,
            agent: agent(),
            auth,
        }
    }

    fn get(&self, path: &str) -> Answer {
        let url = format!("{}{path}", self.emu.url());
        send(
            &self.agent,
            "GET",
            &url,
            &[("Authorization", &self.auth), ("X-Machine-Name", "cluster")],
            None,
        )
        .unwrap()
    }

    fn call(&self, method: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
        let url = format!("{}{path}", self.emu.url());
        send(
            &self.agent,
            method,
            &url,
            &[("Authorization", &self.auth), ("X-Machine-Name", "cluster")],
            Some(form(fields)),
        )
        .unwrap()
    }

    /// POST utilities/upload with a multipart body.
    fn upload(&self, content_type: &str, body: Vec<u8>) -> Answer {
        let url = format!("{}/utilities/upload", self.emu.url());
        send(
            &self.agent,
            "POST",
            &url,
            &[("Authorization", &self.auth), ("X-Machine-Name", "cluster")],
            Some((content_type, body)),
        )
        .unwrap()
    }

    fn task(&self, id: &str) -> Value {
        self.get(&format!("/tasks/{id}")).json()["task"].clone()
    }

    /// Polls until the task reaches one of `states`; returns the task.
    fn wait(&self, id: &str, states: &[&str]) -> Value {
        let start = Instant::now();
        loop {
            let t = self.task(id);
            if states.iter().any(|s| t["status"] == *s) {
                return t;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "task {id} stuck at {}",
                t["status"]
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn start_upload(&self, name: &str) -> (String, String, Vec<(String, String)>) {
        let a = self.call(
            "POST",
            "/storage/xfer-external/upload",
            &[("targetPath", "/home/testuser"), ("sourcePath", name)],
        );
        assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
        let id = a.json()["task_id"].as_str().unwrap().to_string();
        let (url, fields) = staging_form(&self.wait(&id, &["111"]));
        (id, url, fields)
    }

    fn post_form(&self, url: &str, fields: &[(String, String)], file: &[u8]) -> Answer {
        let mut parts: Vec<(&str, Option<&str>, &[u8])> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), None, v.as_bytes()))
            .collect();
        parts.push(("file", Some("x.bin"), file));
        let (ct, body) = multipart(&parts);
        send(&self.agent, "POST", url, &[], Some((&ct, body))).unwrap()
    }

    /// A finished external download of `remote`: its presigned URL.
    fn download_url(&self, remote: &str) -> String {
        let a = self.call(
            "POST",
            "/storage/xfer-external/download",
            &[("sourcePath", remote)],
        );
        assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
        let id = a.json()["task_id"].as_str().unwrap().to_string();
        let t = self.wait(&id, &["117"]);
        t["data"]["url"].as_str().unwrap().to_string()
    }
}

fn s3_code(a: &Answer) -> String {
    let body = String::from_utf8_lossy(&a.body);
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("")
        .to_string()
}

#[test]
fn tokens_expire_after_their_ttl() {
    let s = Session::new(Config {
        token_ttl: Duration::from_secs(1),
        ..Config::default()
    });
    assert_eq!(s.get("/status/systems").status, 200);
    assert_eq!(s.emu.counter("token_requests"), 1);
    std::thread::sleep(Duration::from_millis(2200));
    let a = s.get("/status/systems");
    assert_eq!(a.status, 401);
    assert_eq!(a.json()["description"], "JWT token has expired");
    // HTTP Basic client authentication gets a fresh token.
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            s.emu.client_id(),
            s.emu.client_secret()
        ))
    };
    let a = send(
        &s.agent,
        "POST",
        &s.emu.token_url(),
        &[("Authorization", &format!("Basic {basic}"))],
        Some(form(&[("grant_type", "client_credentials")])),
    )
    .unwrap();
    assert_eq!(a.status, 200);
    let fresh = a.json()["access_token"].as_str().unwrap().to_string();
    let a = send(
        &s.agent,
        "GET",
        &format!("{}/status/systems", s.emu.url()),
        &[("Authorization", &format!("Bearer {fresh}"))],
        None,
    )
    .unwrap();
    assert_eq!(a.status, 200);
    assert_eq!(s.emu.counter("token_requests"), 2);
}

#[test]
fn status_faults_answer_n_times_then_serve() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    s.emu.add_fault(Fault {
        method: Some("GET".into()),
        path_prefix: "/utilities/ls".into(),
        action: FaultAction::Status {
            status: 429,
            retry_after: Some("1".into()),
        },
        times: 2,
    });
    for _ in 0..2 {
        let a = s.get("/utilities/ls?targetPath=/home/testuser");
        assert_eq!(a.status, 429);
        assert_eq!(a.header("Retry-After"), Some("1"));
    }
    let a = s.get("/utilities/ls?targetPath=/home/testuser");
    assert_eq!(a.status, 200);
    assert_eq!(s.emu.counter("GET /utilities/ls"), 3);
    assert!(s.emu.counter("requests") >= 3);
    // A forever fault until cleared; other routes are not affected.
    s.emu.add_fault(Fault {
        method: None,
        path_prefix: "/status".into(),
        action: FaultAction::Status {
            status: 503,
            retry_after: None,
        },
        times: 0,
    });
    assert_eq!(s.get("/status/systems").status, 503);
    assert_eq!(s.get("/status/systems").status, 503);
    assert_eq!(s.get("/utilities/whoami").status, 200);
    s.emu.clear_faults();
    assert_eq!(s.get("/status/systems").status, 200);
    // A delay still serves the request.
    s.emu.add_fault(Fault {
        method: None,
        path_prefix: "/status/systems".into(),
        action: FaultAction::Delay(Duration::from_millis(50)),
        times: 1,
    });
    assert_eq!(s.get("/status/systems").status, 200);
}

#[test]
fn stacked_faults_answer_one_request_each_in_order() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let status = |status: u16, retry_after: Option<&str>| Fault {
        method: None,
        path_prefix: "/utilities/ls".into(),
        action: FaultAction::Status {
            status,
            retry_after: retry_after.map(String::from),
        },
        times: 1,
    };
    s.emu.add_fault(status(503, None));
    s.emu.add_fault(status(429, Some("2")));
    s.emu.add_fault(Fault {
        method: None,
        path_prefix: "/utilities/ls".into(),
        action: FaultAction::Delay(Duration::from_millis(300)),
        times: 1,
    });
    let ls = "/utilities/ls?targetPath=/home/testuser";
    let started = Instant::now();
    let first = s.get(ls);
    // The delay combines with the first status fault instead of waiting for its turn.
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(first.status, 503);
    assert_eq!(first.header("Retry-After"), None);
    let second = s.get(ls);
    assert_eq!(second.status, 429);
    assert_eq!(second.header("Retry-After"), Some("2"));
    assert_eq!(s.get(ls).status, 200);
    assert_eq!(s.emu.counter("GET /utilities/ls"), 3);
}

#[test]
fn drop_after_cuts_the_body_and_closes_the_connection() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    s.emu.add_fault(Fault {
        method: None,
        path_prefix: "/utilities/download".into(),
        action: FaultAction::DropAfter { bytes: 100 },
        times: 1,
    });
    let started = Instant::now();
    let r = send(
        &s.agent,
        "GET",
        &format!(
            "{}/utilities/download?sourcePath=/home/testuser/hello.txt",
            s.emu.url()
        ),
        &[("Authorization", &s.auth), ("X-Machine-Name", "cluster")],
        None,
    );
    assert!(r.is_err(), "a cut body must be an error for the client");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the connection must be closed, not left hanging"
    );
    let a = s.get("/utilities/download?sourcePath=/home/testuser/hello.txt");
    assert_eq!(a.status, 200);
    assert_eq!(a.body, hello_text().as_bytes());
    // A request body longer than the cut: the connection drops while the client sends.
    let (id, url, fields) = s.start_upload("cut.bin");
    s.emu.add_fault(Fault {
        method: Some("POST".into()),
        path_prefix: "/s3/".into(),
        action: FaultAction::DropAfter { bytes: 1000 },
        times: 1,
    });
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), None, v.as_bytes()))
        .collect();
    let content = data(4 * 1024 * 1024);
    parts.push(("file", Some("cut.bin"), &content));
    let (ct, body) = multipart(&parts);
    let r = send(&agent(), "POST", &url, &[], Some((&ct, body)));
    assert!(r.is_err(), "the upload must fail when the connection drops");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(s.task(&id)["status"], "111");
    assert!(!s.emu.local_path("/home/testuser/cut.bin").exists());
    assert_eq!(s.post_form(&url, &fields, &content).status, 204);
    assert_eq!(s.wait(&id, &["114", "115"])["status"], "114");
    assert_eq!(
        std::fs::read(s.emu.local_path("/home/testuser/cut.bin")).unwrap(),
        content
    );
}

#[test]
fn fail_transfer_faults_end_tasks_in_115_118_and_400() {
    let s = Session::new(Config {
        task_delay: Duration::from_millis(5),
        ..Config::default()
    });
    make_fixtures(&s.emu);
    // Upload: the task fails at the staging → cluster step.
    s.emu.add_fault(Fault {
        method: Some("POST".into()),
        path_prefix: "/storage/xfer-external/upload".into(),
        action: FaultAction::FailTransfer,
        times: 1,
    });
    let (id, url, fields) = s.start_upload("a.bin");
    assert_eq!(s.post_form(&url, &fields, b"abc").status, 204);
    let t = s.wait(&id, &["114", "115", "400"]);
    assert_eq!(t["status"], "115");
    assert!(!s.emu.local_path("/home/testuser/a.bin").exists());
    // Staging POST: the object is lost: 115, then 400.
    s.emu.add_fault(Fault {
        method: Some("POST".into()),
        path_prefix: "/s3/".into(),
        action: FaultAction::FailTransfer,
        times: 1,
    });
    let (id, url, fields) = s.start_upload("b.bin");
    assert_eq!(s.post_form(&url, &fields, b"abc").status, 204);
    let t = s.wait(&id, &["400", "114"]);
    assert_eq!(t["status"], "400");
    assert_eq!(
        t["data"],
        "File was deleted from staging area. Start a new upload process"
    );
    // Download: 118 with an error text.
    s.emu.add_fault(Fault {
        method: None,
        path_prefix: "/storage/xfer-external/download".into(),
        action: FaultAction::FailTransfer,
        times: 1,
    });
    let a = s.call(
        "POST",
        "/storage/xfer-external/download",
        &[("sourcePath", "/home/testuser/hello.txt")],
    );
    let id = a.json()["task_id"].as_str().unwrap().to_string();
    let t = s.wait(&id, &["117", "118", "400"]);
    assert_eq!(t["status"], "118");
    assert!(t["data"]["error"]
        .as_str()
        .unwrap()
        .starts_with("Upload to Staging area has failed"));
    // Download whose source disappears before the copy: 400.
    let s2 = Session::new(Config {
        task_delay: Duration::from_millis(300),
        ..Config::default()
    });
    make_fixtures(&s2.emu);
    let a = s2.call(
        "POST",
        "/storage/xfer-external/download",
        &[("sourcePath", "/home/testuser/job.sh")],
    );
    let id = a.json()["task_id"].as_str().unwrap().to_string();
    std::fs::remove_file(s2.emu.local_path("/home/testuser/job.sh")).unwrap();
    let t = s2.wait(&id, &["117", "118", "400"]);
    assert_eq!(t["status"], "400");
}

#[test]
fn external_upload_and_download_move_real_bytes() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let content = data(3 * 1024 * 1024 + 17);
    let (id, url, fields) = s.start_upload("up.bin");
    assert_eq!(s.post_form(&url, &fields, &content).status, 204);
    let t = s.wait(&id, &["114", "115", "400"]);
    assert_eq!(t["status"], "114", "{t}");
    let local = s.emu.local_path("/home/testuser/up.bin");
    assert_eq!(std::fs::read(&local).unwrap(), content);
    // The same form cannot be used for a different key; a re-POST of the same form works.
    let url = s.download_url("/home/testuser/up.bin");
    let a = send(&s.agent, "GET", &url, &[], None).unwrap();
    assert_eq!(a.status, 200);
    assert_eq!(a.body, content);
    assert_eq!(
        a.header("Content-Length"),
        Some(&*content.len().to_string())
    );
}

#[test]
fn presigned_urls_support_ranges_and_refuse_tampering_and_expiry() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let url = s.download_url("/home/testuser/hello.txt");
    let hello = hello_text().into_bytes();
    let a = send(&s.agent, "GET", &url, &[("Range", "bytes=10-19")], None).unwrap();
    assert_eq!(a.status, 206);
    assert_eq!(a.header("Content-Range"), Some("bytes 10-19/1590"));
    assert_eq!(a.body, &hello[10..20]);
    let a = send(&s.agent, "GET", &url, &[("Range", "bytes=-5")], None).unwrap();
    assert_eq!((a.status, a.body.as_slice()), (206, &hello[1585..]));
    let a = send(&s.agent, "GET", &url, &[("Range", "bytes=5000-")], None).unwrap();
    assert_eq!(a.status, 416);
    // Tampered signature, missing signature, other key.
    let tampered = format!("{}0", &url[..url.len() - 1]);
    let tampered = if tampered == url {
        format!("{}1", &url[..url.len() - 1])
    } else {
        tampered
    };
    let a = send(&s.agent, "GET", &tampered, &[], None).unwrap();
    assert_eq!(
        (a.status, s3_code(&a).as_str()),
        (403, "SignatureDoesNotMatch")
    );
    let unsigned = url.split('?').next().unwrap();
    assert_eq!(
        send(&s.agent, "GET", unsigned, &[], None).unwrap().status,
        403
    );
    let other_key = url.replace("/hello.txt?", "/job.sh?");
    assert_eq!(
        send(&s.agent, "GET", &other_key, &[], None).unwrap().status,
        403
    );
    // Expired links.
    s.emu.set_url_ttl(Duration::ZERO);
    let expired = s.download_url("/home/testuser/job.sh");
    let a = send(&s.agent, "GET", &expired, &[], None).unwrap();
    assert_eq!((a.status, s3_code(&a).as_str()), (403, "AccessDenied"));
    assert!(String::from_utf8_lossy(&a.body).contains("Request has expired"));
}

#[test]
fn invalidated_links_stop_working_and_the_task_says_302() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let a = s.call(
        "POST",
        "/storage/xfer-external/download",
        &[("sourcePath", "/home/testuser/hello.txt")],
    );
    let id = a.json()["task_id"].as_str().unwrap().to_string();
    let url = s.wait(&id, &["117"])["data"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(send(&s.agent, "GET", &url, &[], None).unwrap().status, 200);
    let a = send(
        &s.agent,
        "POST",
        &format!("{}/storage/xfer-external/invalidate", s.emu.url()),
        &[("Authorization", &s.auth), ("X-Task-Id", &id)],
        None,
    )
    .unwrap();
    assert_eq!(a.status, 201);
    assert_eq!(s.task(&id)["status"], "302");
    let a = send(&s.agent, "GET", &url, &[], None).unwrap();
    assert_eq!((a.status, s3_code(&a).as_str()), (404, "NoSuchKey"));
}

#[test]
fn staging_forms_refuse_tampering_expiry_and_a_file_before_the_fields() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let (id, url, fields) = s.start_upload("form.bin");
    let set = |name: &str, value: &str| -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if k == name {
                        value.to_string()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect()
    };
    let policy = fields
        .iter()
        .find(|(k, _)| k == "policy")
        .unwrap()
        .1
        .clone();
    let mut bad_policy = policy.clone();
    bad_policy.insert(5, 'A');
    let a = s.post_form(&url, &set("policy", &bad_policy), b"x");
    assert_eq!(
        (a.status, s3_code(&a).as_str()),
        (403, "SignatureDoesNotMatch")
    );
    let a = s.post_form(&url, &set("key", &format!("{id}/other.bin")), b"x");
    assert_eq!((a.status, s3_code(&a).as_str()), (403, "AccessDenied"));
    let other_bucket = url.replace("/s3/testuser", "/s3/someone");
    let a = s.post_form(&other_bucket, &fields, b"x");
    assert_eq!(a.status, 403);
    // The file part first: S3 needs the fields before the file.
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("file", Some("x"), b"x")];
    parts.extend(fields.iter().map(|(k, v)| (k.as_str(), None, v.as_bytes())));
    let (ct, body) = multipart(&parts);
    let a = send(&s.agent, "POST", &url, &[], Some((&ct, body))).unwrap();
    assert_eq!((a.status, s3_code(&a).as_str()), (400, "InvalidArgument"));
    // Nothing was stored: the task still waits for the upload.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(s.task(&id)["status"], "111");
    // An expired form.
    s.emu.set_url_ttl(Duration::ZERO);
    let (_, url, fields) = s.start_upload("late.bin");
    let a = s.post_form(&url, &fields, b"x");
    assert_eq!((a.status, s3_code(&a).as_str()), (403, "AccessDenied"));
    assert!(String::from_utf8_lossy(&a.body).contains("Policy expired"));
}

#[test]
fn paths_never_leave_the_root() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let outside = std::env::temp_dir().join(format!("emu-outside-{}", std::process::id()));
    std::fs::write(&outside, "secret outside the root\n").unwrap();
    let outside_s = outside.to_str().unwrap().to_string();
    // `..` stops at the remote root.
    let dots = format!("/home/testuser/../../../../..{outside_s}");
    let a = s.get(&format!("/utilities/head?targetPath={dots}"));
    assert_eq!(a.status, 400, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.header("X-Invalid-Path"), Some("path is an invalid path"));
    // A symlink to a host path is read inside the root.
    std::os::unix::fs::symlink(&outside, s.emu.local_path("/home/testuser/esc")).unwrap();
    let a = s.get("/utilities/head?targetPath=/home/testuser/esc");
    assert_eq!(a.status, 400);
    assert!(!String::from_utf8_lossy(&a.body).contains("secret"));
    std::os::unix::fs::symlink(
        "../../../../../../..",
        s.emu.local_path("/home/testuser/up"),
    )
    .unwrap();
    let rel = format!("/home/testuser/up{outside_s}");
    let a = s.get(&format!("/utilities/download?sourcePath={rel}"));
    assert_eq!(a.status, 400);
    // The symlink endpoint stores targets inside the root.
    let a = s.call(
        "POST",
        "/utilities/symlink",
        &[
            ("targetPath", &outside_s),
            ("linkPath", "/home/testuser/lnk"),
        ],
    );
    assert_eq!(a.status, 201);
    let a = s.get("/utilities/view?targetPath=/home/testuser/lnk");
    assert_eq!(a.status, 400);
    // Writes outside the home and /tmp are refused; the root itself cannot be removed.
    let a = s.call("DELETE", "/utilities/rm", &[("targetPath", "/")]);
    assert_eq!(a.status, 400);
    assert!(s.emu.local_path("/home/testuser/hello.txt").exists());
    let a = s.call("POST", "/utilities/mkdir", &[("targetPath", "/etc/x")]);
    assert!(a.header("X-Permission-Denied").is_some());
    // Copying a host file in through `..` finds nothing.
    let a = s.call(
        "POST",
        "/utilities/copy",
        &[
            ("sourcePath", &dots),
            ("targetPath", "/home/testuser/stolen"),
        ],
    );
    assert_eq!(a.status, 400);
    assert!(!s.emu.local_path("/home/testuser/stolen").exists());
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "secret outside the root\n"
    );
    std::fs::remove_file(&outside).unwrap();
}

#[test]
fn utilities_size_limits() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let big = data(5 * 1024 * 1024 + 1024);
    let (ct, body) = multipart(&[
        ("targetPath", None, b"/home/testuser"),
        ("file", Some("big.bin"), &big),
    ]);
    let a = s.upload(&ct, body);
    assert_eq!(a.status, 413);
    assert!(!s.emu.local_path("/home/testuser/big.bin").exists());
    std::fs::write(s.emu.local_path("/home/testuser/big.bin"), &big).unwrap();
    let a = s.get("/utilities/download?sourcePath=/home/testuser/big.bin");
    assert_eq!(
        (a.status, a.header("X-Size-Limit")),
        (400, Some("File exceeds size limit"))
    );
    // Small uploads land whole; the parameters publish the limits.
    let (ct, body) = multipart(&[
        ("targetPath", None, b"/home/testuser"),
        ("file", Some("small.bin"), &big[..1000]),
    ]);
    let a = s.upload(&ct, body);
    assert_eq!(a.status, 201);
    assert_eq!(
        std::fs::read(s.emu.local_path("/home/testuser/small.bin")).unwrap(),
        &big[..1000]
    );
    s.emu.set_storage_max_file_size(2 * 1024 * 1024);
    let p = s.get("/status/parameters").json();
    let find = |section: &str, name: &str| {
        p["out"][section]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(find("utilities", "UTILITIES_MAX_FILE_SIZE"), "5");
    assert_eq!(find("storage", "STORAGE_MAX_FILE_SIZE"), "2");
    // The store refuses larger objects.
    let (_, url, fields) = s.start_upload("huge.bin");
    let a = s.post_form(&url, &fields, &data(2 * 1024 * 1024 + 1));
    assert_eq!((a.status, s3_code(&a).as_str()), (400, "EntityTooLarge"));
}

#[test]
fn ls_options_page_and_show_ids() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let names = |a: &Answer| -> Vec<String> {
        a.json()["output"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    let all = names(&s.get("/utilities/ls?targetPath=/home/testuser"));
    assert_eq!(
        all,
        ["dir1", "empty.txt", "hello.txt", "job.sh", "link-to-hello"]
    );
    let page = s.get("/utilities/ls?targetPath=/home/testuser&pageSize=2&pageNumber=2");
    assert_eq!(names(&page), ["hello.txt", "job.sh"]);
    let out_of_range = s.get("/utilities/ls?targetPath=/home/testuser&pageSize=2&pageNumber=9");
    assert_eq!(names(&out_of_range), all);
    let ids = s
        .get("/utilities/ls?targetPath=/home/testuser&numericUid=true")
        .json();
    assert_eq!(ids["output"][0]["user"], "1001");
    let hidden = names(&s.get("/utilities/ls?targetPath=/home/testuser&showhidden=true"));
    assert_eq!(hidden[0], ".hidden");
}

#[test]
fn upload_with_the_file_before_its_target_lands_whole() {
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let bytes = data(300 * 1024 + 7);
    let (ct, body) = multipart(&[
        ("file", Some("late-target.bin"), &bytes),
        ("targetPath", None, b"/home/testuser"),
    ]);
    let a = s.upload(&ct, body);
    assert_eq!(a.status, 201);
    assert_eq!(
        std::fs::read(s.emu.local_path("/home/testuser/late-target.bin")).unwrap(),
        bytes
    );
}

/// Mode bits hold for the published user even when the emulator runs as root (as in CI): a
/// mode-000 file cannot be read, a mode-000 directory takes no upload, and nothing is written.
#[test]
fn mode_000_is_refused_as_to_a_user_who_is_not_root() {
    use std::os::unix::fs::PermissionsExt;
    let s = Session::new(Config::default());
    make_fixtures(&s.emu);
    let home = s.emu.local_path("/home/testuser");
    std::fs::set_permissions(home.join("hello.txt"), PermissionsExt::from_mode(0o000)).unwrap();
    let a = s.get("/utilities/head?targetPath=/home/testuser/hello.txt");
    assert_eq!(a.status, 400, "{}", a.text());
    assert!(a.header("X-Permission-Denied").is_some(), "{:?}", a.headers);
    std::fs::set_permissions(home.join("dir1"), PermissionsExt::from_mode(0o000)).unwrap();
    let (ct, body) = multipart(&[
        ("targetPath", None, b"/home/testuser/dir1"),
        ("file", Some("up.txt"), b"data"),
    ]);
    let a = s.upload(&ct, body);
    std::fs::set_permissions(home.join("dir1"), PermissionsExt::from_mode(0o755)).unwrap();
    assert_eq!(a.status, 400, "{}", a.text());
    assert!(a.header("X-Permission-Denied").is_some(), "{:?}", a.headers);
    assert!(!home.join("dir1/up.txt").exists());
}
