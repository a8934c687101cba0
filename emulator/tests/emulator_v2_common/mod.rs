//! Helpers of the v2 emulator tests: an emulator with a token, and plain HTTP calls (ureq)
//! that return every status as data.

#![allow(dead_code, unused_imports)]

use firecrest_emulator::{ApiVersion, Config, Emulator};

use serde_json::Value;
use std::time::{Duration, Instant};

/// The v1 tests' HTTP helpers (plain ureq, every status returned), shared.
#[path = "../emulator_common/mod.rs"]
mod base;

pub use base::{multipart, Answer as Reply};

/// The text of a body, for messages and XML.
pub trait Text {
    fn text(&self) -> String;
}

impl Text for Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct V2 {
    pub emu: Emulator,
    pub agent: ureq::Agent,
    pub token: String,
}

/// Like the v1 agent, but a redirect (307 of /status/liveness) comes back as an answer.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
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
    base::send(agent, method, url, &others, body.map(|b| (ct, b)))
        .expect("HTTP exchange with the emulator")
}

impl V2 {
    pub fn start(config: Config) -> V2 {
        let emu = Emulator::start(Config {
            api: ApiVersion::V2,
            ..config
        })
        .expect("start the v2 emulator");
        let agent = agent();
        let token = base::token(&emu);
        V2 { emu, agent, token }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.url())
    }

    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    pub fn get(&self, path: &str) -> Reply {
        let auth = self.bearer();
        call(
            &self.agent,
            "GET",
            &self.url(path),
            &[("Authorization", &auth)],
            None,
        )
    }

    pub fn send_json(&self, method: &str, path: &str, body: &Value) -> Reply {
        let auth = self.bearer();
        call(
            &self.agent,
            method,
            &self.url(path),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(body.to_string().into_bytes()),
        )
    }

    pub fn delete(&self, path: &str) -> Reply {
        let auth = self.bearer();
        call(
            &self.agent,
            "DELETE",
            &self.url(path),
            &[("Authorization", &auth)],
            None,
        )
    }

    /// Polls the job until `done(state)` holds; panics after 30 s.
    pub fn wait_job(&self, id: &str, done: impl Fn(&str) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let r = self.get(&format!("/compute/cluster/jobs/{id}"));
            assert_eq!(r.status, 200, "job {id}: {}", r.text());
            let job = r.json()["jobs"][0].clone();
            if done(job["status"]["state"].as_str().unwrap_or("")) {
                return job;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "job {id} stuck in {}",
                job["status"]["state"]
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// ops/view of a remote file's text.
    pub fn view(&self, path: &str) -> String {
        let r = self.get(&format!(
            "/filesystem/cluster/ops/view?path={}",
            encode(path)
        ));
        assert_eq!(r.status, 200, "view {path}: {}", r.text());
        r.json()["output"].as_str().unwrap_or("").to_string()
    }
}

/// Query-string encoding of a value.
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

/// The CompleteMultipartUpload document for (part number, ETag) pairs, as pyfirecrest writes it.
pub fn complete_xml(parts: &[(u32, String)]) -> String {
    let mut xml = String::from(
        "<?xml version='1.0' encoding='utf-8'?>\n<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    for (n, etag) in parts {
        xml.push_str(&format!(
            "<Part><ETag>{etag}</ETag><PartNumber>{n}</PartNumber></Part>"
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    xml
}

/// Deterministic test bytes.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed)
        .collect()
}
