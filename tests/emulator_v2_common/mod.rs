//! Helpers of the v2 emulator tests: an emulator with a token, and plain HTTP calls (ureq)
//! that return every status as data.

#![allow(dead_code)]

use firecrest::emulator::{Config, Emulator};
use firecrest::ApiVersion;
use serde_json::Value;
use std::io::Read;
use std::time::{Duration, Instant};

pub struct Reply {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): status {} body {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct V2 {
    pub emu: Emulator,
    pub agent: ureq::Agent,
    pub token: String,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into()
}

fn reply(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut resp = resp.expect("HTTP exchange with the emulator");
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
    resp.body_mut()
        .as_reader()
        .read_to_end(&mut body)
        .expect("read the body");
    Reply {
        status,
        headers,
        body,
    }
}

/// One request; `auth` adds the bearer token; `json` is sent as the body of POST/PUT.
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Reply {
    macro_rules! with_headers {
        ($rb:expr) => {{
            let mut rb = $rb;
            for (k, v) in headers {
                rb = rb.header(*k, *v);
            }
            rb
        }};
    }
    let r = match method {
        "GET" => with_headers!(agent.get(url)).call(),
        "HEAD" => with_headers!(agent.head(url)).call(),
        "DELETE" => with_headers!(agent.delete(url)).call(),
        "POST" => with_headers!(agent.post(url)).send(body.unwrap_or_default()),
        "PUT" => with_headers!(agent.put(url)).send(body.unwrap_or_default()),
        m => panic!("method {m} not supported by the test helper"),
    };
    reply(r)
}

impl V2 {
    pub fn start(config: Config) -> V2 {
        let emu = Emulator::start(Config {
            api: ApiVersion::V2,
            ..config
        })
        .expect("start the v2 emulator");
        let agent = agent();
        let token = token(&agent, &emu);
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

pub fn token(agent: &ureq::Agent, emu: &Emulator) -> String {
    let r = agent
        .post(&emu.token_url())
        .send_form([
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id().as_str()),
            ("client_secret", emu.client_secret().as_str()),
        ])
        .expect("token request");
    let r = reply(Ok(r));
    assert_eq!(r.status, 200, "token endpoint: {}", r.text());
    r.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
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
