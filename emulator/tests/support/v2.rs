//! The v2 side: a started v2 emulator with a token, JSON calls, job polling, S3 documents.

use super::{agent, call, encode, Reply};
use firecrest_emulator::{ApiVersion, Config, Emulator};
use serde_json::Value;
use std::time::{Duration, Instant};

pub struct V2 {
    pub emu: Emulator,
    pub agent: ureq::Agent,
    pub token: String,
}

impl V2 {
    pub fn start(config: Config) -> V2 {
        let emu = Emulator::start(Config {
            api: ApiVersion::V2,
            ..config
        })
        .expect("start the v2 emulator");
        let agent = agent();
        let token = super::token(&emu);
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

    /// Polls the job until `done(state)` holds; panics after 30 s. A new compute job is not
    /// listed at first (404 "Job not found."), as on a real scheduler.
    pub fn wait_job(&self, id: &str, done: impl Fn(&str) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let r = self.get(&format!("/compute/cluster/jobs/{id}"));
            if r.status == 404 && r.text().contains("Job not found") {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "job {id} never listed"
                );
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
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
