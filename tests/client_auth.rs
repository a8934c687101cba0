//! Authorization against the emulator, on v1 and v2 alike: token reuse, single flight, refresh
//! on expiry and on 401, failures that never show the secret; and v2's refusal of tokens close
//! to expiry.

mod support;

use firecrest::{ApiVersion, Auth, Client, ClientAuthMethod, ErrorKind, ListOptions};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

on_both_versions!(
    one_token_for_a_hundred_calls_on_four_threads,
    client_secret_basic_works,
    wrong_secret_is_an_auth_error_without_the_secret,
    bad_static_token_is_unauthorized_and_not_shown,
    token_expiry_mid_session_is_transparent,
    a_401_drops_the_token_and_retries_once,
    token_provider_is_asked_again_after_a_401,
);

#[test]
fn client_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Client>();
    check::<Auth>();
}

fn one_token_for_a_hundred_calls_on_four_threads(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            let home = emu.home();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    c.list_files("cluster", &home, ListOptions::default())
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(emu.counter("token_requests"), 1);
    assert_eq!(emu.counter(&format!("GET {}", ops_path(api, "ls"))), 100);
}

fn client_secret_basic_works(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let auth = Auth::client_credentials(emu.client_id(), emu.client_secret(), emu.token_url())
        .with_method(ClientAuthMethod::SecretBasic);
    let c = Client::new(&emu.url(), auth, fast_options()).unwrap();
    assert_eq!(c.whoami(Some("cluster")).unwrap(), "testuser");
}

fn wrong_secret_is_an_auth_error_without_the_secret(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let secret = "wrong-secret-Zq81x";
    let auth = Auth::client_credentials(emu.client_id(), secret, emu.token_url());
    let c = Client::new(&emu.url(), auth.clone(), fast_options()).unwrap();
    let e = c.all_systems().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e:?}");
    assert_eq!(e.http_status(), 401);
    assert!(e.message().contains("Invalid client"), "{e}");
    for text in [
        format!("{e}"),
        format!("{e:?}"),
        format!("{auth:?}"),
        format!("{c:?}"),
    ] {
        assert!(!text.contains(secret), "{text}");
        assert!(!text.contains(&emu.client_secret()), "{text}");
    }
}

fn bad_static_token_is_unauthorized_and_not_shown(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let token = "not-a-real-token-123";
    let c = Client::new(&emu.url(), Auth::static_token(token), fast_options()).unwrap();
    let e = c.all_systems().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e:?}");
    assert_eq!(e.http_status(), 401);
    assert!(!format!("{e:?}").contains(token));
    assert!(!format!("{c:?}").contains(token));
}

fn token_expiry_mid_session_is_transparent(api: ApiVersion) {
    // Tokens usable for 2 s: v2 refuses a token with less than 30 s left, so there it lives 30 s
    // longer.
    let usable = Duration::from_secs(2);
    let ttl = match api {
        ApiVersion::V1 => usable,
        ApiVersion::V2 => usable + Duration::from_secs(30),
    };
    let emu = emulator(api, |c| c.token_ttl = ttl);
    let c = client(&emu);
    for _ in 0..6 {
        c.list_files("cluster", &emu.home(), ListOptions::default())
            .unwrap();
        std::thread::sleep(Duration::from_millis(700));
    }
    let n = emu.counter("token_requests");
    assert!((2..=6).contains(&n), "token requests: {n}");
}

fn a_401_drops_the_token_and_retries_once(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let c = client(&emu);
    c.whoami(Some("cluster")).unwrap();
    assert_eq!(emu.counter("token_requests"), 1);
    let whoami = whoami_path(api);
    emu.add_fault(status_fault(Some("GET"), whoami, 401, None, 1));
    assert_eq!(c.whoami(Some("cluster")).unwrap(), "testuser");
    assert_eq!(emu.counter("token_requests"), 2);
    // Twice in a row: one retry only, then the 401 is reported.
    emu.add_fault(status_fault(Some("GET"), whoami, 401, None, 2));
    let e = c.whoami(Some("cluster")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e:?}");
}

fn token_provider_is_asked_again_after_a_401(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let calls = Arc::new(AtomicU32::new(0));
    let (url, id, secret) = (emu.token_url(), emu.client_id(), emu.client_secret());
    let calls2 = calls.clone();
    let provider = move || -> firecrest::Result<String> {
        // First a token the server refuses, then real ones.
        if calls2.fetch_add(1, Ordering::SeqCst) == 0 {
            Ok("stale-token".to_string())
        } else {
            Ok(fetch_token(&url, &id, &secret))
        }
    };
    let c = Client::new(&emu.url(), Auth::provider(provider), fast_options()).unwrap();
    assert_eq!(c.whoami(Some("cluster")).unwrap(), "testuser");
    assert!(calls.load(Ordering::SeqCst) >= 2);
}

/// A token straight from the emulator's endpoint, as a user's own provider would get one.
fn fetch_token(token_url: &str, id: &str, secret: &str) -> String {
    let mut resp = ureq::post(token_url)
        .send_form([
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

#[test]
fn token_endpoint_down_is_reported_as_transport() {
    let c = Client::new(
        "http://127.0.0.1:9",
        Auth::client_credentials("id", "secret-xyz", "http://127.0.0.1:9/token"),
        fast_options(),
    )
    .unwrap();
    let e = c.all_systems().unwrap_err();
    assert!(e.kind().is_transient_transport(), "{e:?}");
    assert!(!e.message().contains("secret-xyz"));
}

#[test]
fn from_env_reads_pyfirecrests_variables() {
    let emu = emulator(ApiVersion::V1, |_| {});
    // The only test in this binary that touches these variables.
    std::env::set_var("FIRECREST_URL", emu.url());
    std::env::set_var("FIRECREST_CLIENT_ID", emu.client_id());
    std::env::set_var("FIRECREST_CLIENT_SECRET", emu.client_secret());
    std::env::set_var("AUTH_TOKEN_URL", emu.token_url());
    let c = Client::from_env(fast_options()).unwrap();
    assert_eq!(c.whoami(Some("cluster")).unwrap(), "testuser");
    std::env::remove_var("AUTH_TOKEN_URL");
    let e = Client::from_env(fast_options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("AUTH_TOKEN_URL"), "{e}");
}

#[test]
fn short_lived_tokens_are_renewed_before_v2_refuses_them() {
    // v2 refuses tokens with < 30 s left. A 33 s token may be used for 3 s only; the default
    // margin (60 s) is longer than its life, yet no request may meet a refusal (a refused
    // request would be sent twice: the ls counter would exceed the calls made).
    let emu = emulator(ApiVersion::V2, |c| c.token_ttl = Duration::from_secs(33));
    let c = client_for(&emu, ApiVersion::V2);
    let (sys, home) = (emu.system(), emu.home());
    let start = Instant::now();
    let mut calls = 0;
    while start.elapsed() < Duration::from_secs(5) {
        c.list_files(&sys, &home, Default::default()).unwrap();
        calls += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(emu.counter("token_requests") >= 2, "the token was renewed");
    assert_eq!(emu.counter("GET /filesystem/cluster/ops/ls"), calls);
}
