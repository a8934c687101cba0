//! The `firecrest-emulator` binary: the six `KEY=value` lines, serving, fault flags, exit 0 on
//! SIGTERM and SIGINT, and a large staging upload and download that do not grow its memory.

mod support;

use rustix::process::{kill_process, Pid, Signal};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

const KEYS: [&str; 6] = [
    "FIRECREST_URL",
    "AUTH_TOKEN_URL",
    "FIRECREST_CLIENT_ID",
    "FIRECREST_CLIENT_SECRET",
    "FIRECREST_SYSTEM",
    "FIRECREST_HOME",
];

struct Running {
    child: Child,
    env: BTreeMap<String, String>,
}

impl Drop for Running {
    /// A failed test must not leave the emulator running.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn start(args: &[&str]) -> Running {
    start_with(args, &[])
}

fn start_with(args: &[&str], env: &[(&str, &std::path::Path)]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_firecrest-emulator"))
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start firecrest-emulator");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut env = BTreeMap::new();
    for key in KEYS {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let (k, v) = line.trim_end().split_once('=').expect("KEY=value line");
        assert_eq!(k, key, "line order");
        assert!(
            !v.is_empty() && !v.contains(' '),
            "{k} must be eval-able: {v:?}"
        );
        env.insert(k.to_string(), v.to_string());
    }
    Running { child, env }
}

fn stop(mut r: Running, signal: Signal) -> i32 {
    kill_process(Pid::from_child(&r.child), signal).expect("signal the emulator");
    let start = Instant::now();
    loop {
        if let Some(status) = r.child.try_wait().unwrap() {
            return status.code().expect("exited normally, not by a signal");
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no exit after the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn bin_token(env: &BTreeMap<String, String>) -> String {
    let a = send(
        &agent(),
        "POST",
        &env["AUTH_TOKEN_URL"],
        &[],
        Some(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &env["FIRECREST_CLIENT_ID"]),
            ("client_secret", &env["FIRECREST_CLIENT_SECRET"]),
        ])),
    )
    .unwrap();
    assert_eq!(a.status, 200);
    a.json()["access_token"].as_str().unwrap().to_string()
}

#[test]
fn prints_six_lines_serves_and_exits_0_on_sigterm() {
    let root = std::env::temp_dir().join(format!("emu-bin-root-{}", std::process::id()));
    let r = start(&[
        "--port",
        "0",
        "--root",
        root.to_str().unwrap(),
        "--fault",
        "GET /status/systems=503*1",
    ]);
    assert_eq!(r.env["FIRECREST_SYSTEM"], "cluster");
    assert_eq!(r.env["FIRECREST_HOME"], "/home/testuser");
    assert!(r.env["FIRECREST_URL"].starts_with("http://127.0.0.1:"));
    let auth = format!("Bearer {}", bin_token(&r.env));
    let url = format!("{}/status/systems", r.env["FIRECREST_URL"]);
    let get = || send(&agent(), "GET", &url, &[("Authorization", &auth)], None).unwrap();
    assert_eq!(get().status, 503);
    assert_eq!(get().status, 200);
    // The home is writable and lives under --root.
    let a = send(
        &agent(),
        "POST",
        &format!("{}/utilities/mkdir", r.env["FIRECREST_URL"]),
        &[("Authorization", &auth), ("X-Machine-Name", "cluster")],
        Some(form(&[("targetPath", "/home/testuser/made-by-test")])),
    )
    .unwrap();
    assert_eq!(a.status, 201);
    assert!(root.join("home/testuser/made-by-test").is_dir());
    assert_eq!(stop(r, Signal::TERM), 0);
    // A root given by the user is kept.
    assert!(root.join("home/testuser/made-by-test").is_dir());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn sigterm_and_sigint_remove_the_temporary_storage() {
    for (api, signal) in [("v1", Signal::TERM), ("v2", Signal::INT)] {
        let tmp = std::env::temp_dir().join(format!("emu-bin-tmp-{api}-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let r = start_with(&["--api", api], &[("TMPDIR", &tmp)]);
        let made = std::fs::read_dir(&tmp).unwrap().count();
        assert!(
            made > 0,
            "{api}: the root and the staging area are temporary"
        );
        assert_eq!(stop(r, signal), 0);
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{api}: left behind {left:?}");
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}

#[test]
fn sigterm_kills_the_running_jobs() {
    let root = std::env::temp_dir().join(format!("emu-bin-jobs-{}", std::process::id()));
    let r = start(&[
        "--api",
        "v2",
        "--root",
        root.to_str().unwrap(),
        "--job-queue-delay-ms",
        "0",
    ]);
    let auth = format!("Bearer {}", bin_token(&r.env));
    let url = format!("{}/compute/cluster/jobs", r.env["FIRECREST_URL"]);
    let job = serde_json::json!({"job": {"workingDirectory": "/home/testuser",
        "script": "#!/bin/bash\necho $$ > bin-job.pid\nsleep 300\n"}});
    let submit = || {
        send(
            &agent(),
            "POST",
            &url,
            &[("Authorization", &auth)],
            Some(("application/json", job.to_string().into_bytes())),
        )
        .unwrap()
    };
    assert_eq!(submit().status, 201);
    let pid = wait_pid_file(&root.join("home/testuser/bin-job.pid"));
    assert!(!group_members(pid).is_empty());
    assert_eq!(stop(r, Signal::TERM), 0);
    assert_eq!(group_members(pid), Vec::<u32>::new(), "job processes left");
    std::fs::remove_dir_all(&root).unwrap();

    // --jobs off: the scheduler refuses.
    let r = start(&["--api", "v2", "--jobs", "off"]);
    let auth = format!("Bearer {}", bin_token(&r.env));
    let url = format!("{}/compute/cluster/jobs", r.env["FIRECREST_URL"]);
    let a = send(
        &agent(),
        "POST",
        &url,
        &[("Authorization", &auth)],
        Some(("application/json", job.to_string().into_bytes())),
    )
    .unwrap();
    assert_eq!(a.status, 500);
    assert!(
        a.text().contains("sbatch: command not found"),
        "{}",
        a.text()
    );
    assert_eq!(stop(r, Signal::INT), 0);
    let bad = Command::new(env!("CARGO_BIN_EXE_firecrest-emulator"))
        .args(["--jobs", "maybe"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn exits_0_on_sigint_and_refuses_bad_flags() {
    let r = start(&["--api", "v1", "--token-ttl", "60", "--task-delay-ms", "5"]);
    assert_eq!(stop(r, Signal::INT), 0);
    let help = Command::new(env!("CARGO_BIN_EXE_firecrest-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("--fault") && text.contains("drop:BYTES") && text.contains("Retry-After")
    );
    for bad in [
        &["--port", "x"][..],
        &["--fault", "nonsense"][..],
        &["--api", "v3"][..],
        &["--bogus"][..],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_firecrest-emulator"))
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
        assert!(!o.stderr.is_empty());
    }
}

/// Resident-set high-water mark of a process, KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// A reader of `n` generated bytes between a prefix and a suffix (a multipart body that is
/// never held in memory).
struct Generated {
    prefix: Vec<u8>,
    left: u64,
    suffix: Vec<u8>,
    pos: usize,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.len());
            buf[..n].copy_from_slice(&self.prefix[..n]);
            self.prefix.drain(..n);
            return Ok(n);
        }
        if self.left > 0 {
            let n = (self.left.min(buf.len() as u64)) as usize;
            buf[..n].fill(b'z');
            self.left -= n as u64;
            return Ok(n);
        }
        let n = (self.suffix.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.suffix[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn a_large_staging_upload_and_download_are_streamed() {
    const SIZE: u64 = 256 * 1024 * 1024;
    let r = start(&["--port", "0", "--task-delay-ms", "5"]);
    let base = r.env["FIRECREST_URL"].clone();
    let auth = format!("Bearer {}", bin_token(&r.env));
    let a = send(
        &agent(),
        "POST",
        &format!("{base}/storage/xfer-external/upload"),
        &[("Authorization", &auth), ("X-Machine-Name", "cluster")],
        Some(form(&[
            ("targetPath", "/home/testuser"),
            ("sourcePath", "big.bin"),
        ])),
    )
    .unwrap();
    let id = a.json()["task_id"].as_str().unwrap().to_string();
    let started = Instant::now();
    let params = loop {
        let t = send(
            &agent(),
            "GET",
            &format!("{base}/tasks/{id}"),
            &[("Authorization", &auth)],
            None,
        )
        .unwrap()
        .json();
        if t["task"]["status"] == "111" {
            break t["task"]["data"]["msg"]["parameters"].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(5));
    };
    let before = peak_rss_kib(r.child.id());
    let mut prefix = Vec::new();
    for (k, v) in params["data"].as_object().unwrap() {
        prefix.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{}\r\n",
                v.as_str().unwrap()
            )
            .as_bytes(),
        );
    }
    prefix.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n").as_bytes(),
    );
    let body = Generated {
        prefix,
        left: SIZE,
        suffix: format!("\r\n--{BOUNDARY}--\r\n").into_bytes(),
        pos: 0,
    };
    let resp = agent()
        .post(params["url"].as_str().unwrap())
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .send(ureq::SendBody::from_owned_reader(body))
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let grown = peak_rss_kib(r.child.id()).saturating_sub(before);
    eprintln!("peak RSS grew by {grown} KiB during the {SIZE}-byte upload (before: {before} KiB)");
    assert!(
        grown < 64 * 1024,
        "the emulator's peak memory grew by {grown} KiB during a {SIZE}-byte upload"
    );
    // The same file back through an external download: the presigned GET streams it.
    let task = |id: &str| {
        send(
            &agent(),
            "GET",
            &format!("{base}/tasks/{id}"),
            &[("Authorization", &auth)],
            None,
        )
        .unwrap()
        .json()
    };
    let started = Instant::now();
    while task(&id)["task"]["status"] != "114" {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "upload not done"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let a = send(
        &agent(),
        "POST",
        &format!("{base}/storage/xfer-external/download"),
        &[("Authorization", &auth), ("X-Machine-Name", "cluster")],
        Some(form(&[("sourcePath", "/home/testuser/big.bin")])),
    )
    .unwrap();
    let id = a.json()["task_id"].as_str().unwrap().to_string();
    let started = Instant::now();
    let url = loop {
        let t = task(&id);
        if t["task"]["status"] == "117" {
            break t["task"]["data"]["url"].as_str().unwrap().to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "download not staged"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let before = peak_rss_kib(r.child.id());
    let resp = agent().get(&url).call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let got = std::io::copy(&mut resp.into_body().into_reader(), &mut std::io::sink()).unwrap();
    assert_eq!(got, SIZE);
    let grown = peak_rss_kib(r.child.id()).saturating_sub(before);
    eprintln!("peak RSS grew by {grown} KiB during the {SIZE}-byte download");
    assert!(
        grown < 64 * 1024,
        "the emulator's peak memory grew by {grown} KiB during a {SIZE}-byte download"
    );
    assert_eq!(stop(r, Signal::TERM), 0);
}
