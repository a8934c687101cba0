//! What the emulator tests share: a plain HTTP client (ureq, not the client under test) that
//! returns every status as data, form and multipart bodies, tokens, raw keep-alive exchanges,
//! and per API version the fixtures (`v1`) and a started emulator with its token (`v2`).
//! Each test binary uses part of it.
#![allow(dead_code)]

pub mod raw;
pub mod v1;
pub mod v2;

use firecrest_emulator::Emulator;
use std::collections::BTreeMap;
use std::io::Read;
use std::time::Duration;

pub struct Answer {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(300)])
            )
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
    /// The body as text, for messages and XML.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The v2 tests' name for an answer.
pub type Reply = Answer;

/// Every status is an answer; a redirect (v1's 302 of an invalidated task, v2's 307 of
/// /status/liveness) comes back as one instead of being followed.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .new_agent()
}

/// One request; `body` is (content type, bytes). Every status comes back as an `Answer`.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, Vec<u8>)>,
) -> Result<Answer, ureq::Error> {
    macro_rules! with_headers {
        ($rb:expr) => {{
            let mut rb = $rb;
            for (k, v) in headers {
                rb = rb.header(*k, *v);
            }
            rb
        }};
    }
    let resp = match (method, body) {
        ("GET", _) => with_headers!(agent.get(url)).call(),
        ("HEAD", _) => with_headers!(agent.head(url)).call(),
        (m, body) => {
            let (ct, bytes) = body.unwrap_or(("application/x-www-form-urlencoded", Vec::new()));
            let rb = match m {
                "POST" => agent.post(url),
                "PUT" => agent.put(url),
                "DELETE" => agent.delete(url).force_send_body(),
                other => panic!("method {other} not supported by the test helper"),
            };
            with_headers!(rb)
                .header("Content-Type", ct)
                .send(&bytes[..])
        }
    }?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut body = Vec::new();
    resp.into_body().into_reader().read_to_end(&mut body)?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// One request; a `Content-Type` among `headers` types the body (default octet-stream).
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Reply {
    let ct = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map_or("application/octet-stream", |(_, v)| *v);
    let others: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-type"))
        .copied()
        .collect();
    send(agent, method, url, &others, body.map(|b| (ct, b)))
        .expect("HTTP exchange with the emulator")
}

/// Query-string (and form) encoding of a value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn form(fields: &[(&str, &str)]) -> (&'static str, Vec<u8>) {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    ("application/x-www-form-urlencoded", body.into_bytes())
}

pub const BOUNDARY: &str = "emulator-test-boundary-7f3a";

/// A multipart body: (name, filename, data) in order.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let mut body = Vec::new();
    for (name, filename, data) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}

/// An access token from the emulator's token endpoint.
pub fn token(emu: &Emulator) -> String {
    let a = send(
        &agent(),
        "POST",
        &emu.token_url(),
        &[],
        Some(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &emu.client_id()),
            ("client_secret", &emu.client_secret()),
        ])),
    )
    .expect("token request");
    assert_eq!(
        a.status,
        200,
        "token endpoint: {}",
        String::from_utf8_lossy(&a.body)
    );
    a.json()["access_token"].as_str().unwrap().to_string()
}

/// Live (non-zombie) processes whose process group is `pgid`.
pub fn group_members(pgid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …
        let after = stat.rsplit_once(')').map_or("", |(_, a)| a);
        let f: Vec<&str> = after.split_whitespace().collect();
        if f.len() > 2 && f[0] != "Z" && f[2] == pgid.to_string() {
            out.push(pid);
        }
    }
    out
}

/// Waits for a job's pid file (its shell's pid, the leader of its process group) and reads
/// it; panics after 10 s.
pub fn wait_pid_file(local: &std::path::Path) -> u32 {
    let start = std::time::Instant::now();
    loop {
        if let Some(pid) = std::fs::read_to_string(local)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return pid;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} never written",
            local.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
