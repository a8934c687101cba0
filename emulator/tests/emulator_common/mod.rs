//! Helpers shared by the emulator tests: a plain HTTP client (ureq) that returns every status,
//! multipart bodies, tokens and the fixture files the v1 transcripts were recorded with.
#![allow(dead_code)]

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
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
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

pub fn form(fields: &[(&str, &str)]) -> (&'static str, Vec<u8>) {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
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

pub fn hello_text() -> String {
    (1..=30)
        .map(|i| format!("line {i:02}: the quick brown fox jumps over the lazy dog\n"))
        .collect()
}

/// The files the v1 transcripts were recorded with (see their README), under the home.
pub fn make_fixtures(emu: &Emulator) {
    let home = emu.local_path("/home/testuser");
    std::fs::create_dir_all(home.join("dir1/sub")).unwrap();
    std::fs::write(home.join("hello.txt"), hello_text()).unwrap();
    std::fs::write(home.join(".hidden"), "hidden content\n").unwrap();
    std::fs::write(home.join("dir1/inner.txt"), "inner text\n").unwrap();
    std::fs::write(home.join("dir1/sub/deep.txt"), "deep\n").unwrap();
    std::fs::write(home.join("empty.txt"), "").unwrap();
    std::fs::write(
        home.join("job.sh"),
        "#!/bin/bash\n#SBATCH --job-name=f7t-test\necho hello from job\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("hello.txt", home.join("link-to-hello")).unwrap();
}

/// Deterministic test data of `n` bytes.
pub fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// The presigned staging form of an upload task at 111: (url, fields in order).
pub fn staging_form(task: &serde_json::Value) -> (String, Vec<(String, String)>) {
    let p = &task["data"]["msg"]["parameters"];
    let fields = p["data"]
        .as_object()
        .expect("111 data.msg.parameters.data")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    (p["url"].as_str().unwrap_or("").to_string(), fields)
}
