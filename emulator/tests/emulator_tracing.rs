//! Tracing headers and API keys at the HTTP level: FirecREST v2's middleware echoes an
//! `X-Correlation-ID` that is a UUID, makes one up when there is none, and refuses any other
//! with a bare 400; v1 ignores the header. An API key the emulator is configured with stands in
//! for a bearer token on both versions (as a Kong key-auth gateway would).

mod support;

use firecrest_emulator::{ApiVersion, Config, Emulator};
use support::{agent, call};

const ID: &str = "2b1c7e4c-5a0e-4d38-9d0c-6f7e3f1b9a11";

fn start(api: ApiVersion, key: Option<&str>) -> Emulator {
    Emulator::start(Config {
        api,
        api_key: key.map(str::to_string),
        ..Config::default()
    })
    .expect("emulator starts")
}

#[test]
fn v2_echoes_checks_and_makes_up_correlation_ids() {
    let emu = start(ApiVersion::V2, None);
    let bearer = format!("Bearer {}", support::token(&emu));
    let url = format!("{}/status/systems", emu.url());
    let a = agent();
    let sent = call(
        &a,
        "GET",
        &url,
        &[("Authorization", &bearer), ("X-Correlation-ID", ID)],
        None,
    );
    assert_eq!(sent.status, 200);
    assert_eq!(sent.header("x-correlation-id"), Some(ID), "echoed as sent");
    let made = call(&a, "GET", &url, &[("Authorization", &bearer)], None);
    let id = made.header("x-correlation-id").expect("made up");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(made.header("x-request-id").is_some());
    let bad = call(
        &a,
        "GET",
        &url,
        &[
            ("Authorization", &bearer),
            ("X-Correlation-ID", "my-workflow-1"),
        ],
        None,
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.is_empty(), "{}", bad.text());
    assert_eq!(bad.header("f7t-appversion"), None);
    // Before routing and authentication: an unknown path or no token changes nothing.
    let bad = call(
        &a,
        "GET",
        &format!("{}/nowhere", emu.url()),
        &[("X-Correlation-ID", "x")],
        None,
    );
    assert_eq!(bad.status, 400);
    let seen: Vec<_> = emu
        .requests_seen()
        .into_iter()
        .filter(|r| !r.path.contains("/token"))
        .collect();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].correlation_id.as_deref(), Some(ID));
    assert_eq!(seen[0].path, "/status/systems");
    assert_eq!(seen[1].correlation_id, None);
}

#[test]
fn v1_ignores_correlation_ids() {
    let emu = start(ApiVersion::V1, None);
    let bearer = format!("Bearer {}", support::token(&emu));
    let url = format!("{}/status/systems", emu.url());
    let r = call(
        &agent(),
        "GET",
        &url,
        &[("Authorization", &bearer), ("X-Correlation-ID", "anything")],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-correlation-id"), None);
    assert_eq!(
        emu.requests_seen()
            .last()
            .unwrap()
            .correlation_id
            .as_deref(),
        Some("anything")
    );
}

#[test]
fn api_keys_stand_in_for_tokens_on_both_versions() {
    for api in [ApiVersion::V1, ApiVersion::V2] {
        let emu = start(api, Some("k3y-for-tests"));
        let url = format!("{}/status/systems", emu.url());
        let a = agent();
        let ok = call(&a, "GET", &url, &[("X-API-Key", "k3y-for-tests")], None);
        assert_eq!(ok.status, 200, "{api:?}: {}", ok.text());
        let wrong = call(&a, "GET", &url, &[("X-API-Key", "nope")], None);
        assert_eq!(wrong.status, 401, "{api:?}");
        assert!(
            wrong.text().contains("Invalid authentication credentials"),
            "{}",
            wrong.text()
        );
        assert!(!wrong.text().contains("nope"));
        // Without a key the bearer token decides, as before.
        let none = call(&a, "GET", &url, &[], None);
        assert_eq!(none.status, 401, "{api:?}");
    }
    // An emulator without a key ignores the header.
    let emu = start(ApiVersion::V2, None);
    let url = format!("{}/status/systems", emu.url());
    let r = call(
        &agent(),
        "GET",
        &url,
        &[("X-API-Key", "k3y-for-tests")],
        None,
    );
    assert_eq!(r.status, 401);
}
