//! A lying server in place of FirecREST, its token endpoint or a store: answers that echo the
//! request's credentials, garbage, HTML, truncated, dripping and endless bodies, redirects.
//! Every call ends in bounded time with a documented error kind, and no message carries the
//! client secret or a token in any spelling the client sent it in.

mod support;

use firecrest::{ApiVersion, Auth, Client, ErrorKind, Options};
use std::time::{Duration, Instant};
use support::liar::{Answer, Liar, Seen};
use support::*;

on_both_versions!(
    a_token_endpoint_echoing_its_form_leaks_no_secret,
    an_api_echoing_the_authorization_header_leaks_no_token,
    garbage_answers_end_in_documented_errors,
    redirects_carry_no_credentials,
);

/// A secret with characters that form-encoding and Basic authentication both change.
const SECRET: &str = "s3cr3t+/=&?é x%41";
const TOKEN: &str = "tok-3f9a8b7c6d5e4f3a2b1c";

/// Everything the request said, as text: what an echoing server would put in its answer.
fn echo(s: &Seen) -> String {
    format!("{}{}", s.head, String::from_utf8_lossy(&s.body))
}

/// The spellings of the secret a client sends: plain, form-encoded, inside Basic's base64.
fn secret_spellings(liar: &Liar) -> Vec<String> {
    let mut out = vec![SECRET.to_string()];
    for s in liar.seen() {
        if let Some(i) = echo(&s).find("client_secret=") {
            let v = echo(&s)[i + "client_secret=".len()..]
                .split(['&', '\r', '\n'])
                .next()
                .unwrap()
                .to_string();
            out.push(v);
        }
        if let Some(b) = s
            .header("authorization")
            .and_then(|a| a.strip_prefix("Basic "))
        {
            out.push(b.to_string());
        }
    }
    out
}

fn assert_clean(e: &firecrest::Error, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !e.message().contains(secret.as_str()),
            "{secret} leaked: {e}"
        );
        if let Some((name, value)) = e.error_header() {
            assert!(
                !value.contains(secret.as_str()),
                "{secret} leaked in {name}: {value}"
            );
        }
    }
}

fn client(url: &str, auth: Auth, api: ApiVersion) -> Client {
    let options = Options {
        api_version: Some(api),
        call_timeout: Duration::from_secs(2),
        io_timeout: Duration::from_secs(2),
        max_answer_bytes: 1 << 20,
        ..fast_options()
    };
    Client::new(url, auth, options).expect("client")
}

/// A token answer the client accepts.
fn token_answer() -> Answer {
    Answer::json(
        200,
        &format!(r#"{{"access_token":"{TOKEN}","expires_in":600,"token_type":"Bearer"}}"#),
    )
}

fn a_token_endpoint_echoing_its_form_leaks_no_secret(api: ApiVersion) {
    let liar = Liar::start(|s| {
        let text = serde_json::to_string(&echo(s)).unwrap();
        Answer::full(
            401,
            "",
            "application/json",
            format!(r#"{{"error":"invalid_client","error_description":{text}}}"#).as_bytes(),
        )
    });
    let token_url = format!("{}/token", liar.url());
    for auth in [
        Auth::client_credentials("firecrest-client", SECRET, &token_url),
        Auth::client_credentials_basic("firecrest-client", SECRET, &token_url),
    ] {
        let e = client(&liar.url(), auth, api).all_systems().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
        assert!(
            e.message().contains("invalid_client"),
            "keeps the server's text: {e}"
        );
        let spellings = secret_spellings(&liar);
        assert!(
            spellings.len() >= 2,
            "the form and the Basic header were seen"
        );
        assert_clean(&e, &spellings);
    }
}

fn an_api_echoing_the_authorization_header_leaks_no_token(api: ApiVersion) {
    // The API answers with the request in its body and in v1's error header.
    let liar = Liar::start(|s| {
        if s.path.starts_with("/token") {
            return token_answer();
        }
        let text = echo(s);
        let header_line = s
            .header("authorization")
            .map(|a| format!("X-Invalid-Path: you sent {a}\r\n"))
            .unwrap_or_default();
        let body = serde_json::json!({ "message": text, "description": text }).to_string();
        Answer::full(400, &header_line, "application/json", body.as_bytes())
    });
    let token_url = format!("{}/token", liar.url());
    let provided = "provided-token-0123456789";
    let auths = [
        Auth::client_credentials("firecrest-client", SECRET, &token_url),
        Auth::static_token("static-token-0123456789"),
        Auth::provider(move || Ok(provided.to_string())),
    ];
    for auth in auths {
        let c = client(&liar.url(), auth, api);
        let e = c
            .list_files("cluster", "/home/u", Default::default())
            .unwrap_err();
        assert_eq!(e.http_status(), 400, "{e}");
        assert!(
            e.message().contains("you sent") || e.message().contains("GET "),
            "{e}"
        );
        let sent: Vec<String> = liar
            .seen()
            .iter()
            .filter_map(|s| s.header("authorization"))
            .filter_map(|a| a.strip_prefix("Bearer "))
            .map(str::to_string)
            .collect();
        assert!(!sent.is_empty());
        assert_clean(&e, &sent);
    }
}

fn garbage_answers_end_in_documented_errors(api: ApiVersion) {
    type Case = (&'static str, fn() -> Answer, &'static [ErrorKind]);
    let cases: [Case; 8] = [
        (
            "garbage",
            || Answer::full(200, "", "application/json", b"\x00\xffnot json at all"),
            &[ErrorKind::Json],
        ),
        (
            "HTML 200",
            || Answer::full(200, "", "text/html", b"<html><body>Login</body></html>"),
            &[ErrorKind::Json],
        ),
        (
            "HTML 502",
            || {
                Answer::full(
                    502,
                    "",
                    "text/html",
                    b"<html><h1>502 Bad Gateway</h1></html>",
                )
            },
            &[ErrorKind::Http],
        ),
        (
            "wrong JSON shape",
            || Answer::json(200, r#"{"systems": 7, "output": "x"}"#),
            &[ErrorKind::Json],
        ),
        (
            "truncated",
            || {
                Answer::Raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{\"systems\": [".to_vec())
            },
            &[ErrorKind::Transport],
        ),
        (
            "bad status line",
            || Answer::Raw(b"HTTP/9 OK OK\r\n\r\n".to_vec()),
            &[ErrorKind::Transport, ErrorKind::Http],
        ),
        (
            "drip-fed",
            || {
                Answer::Drip {
            head: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n".into(),
            body: vec![b' '; 100_000],
            every: Duration::from_millis(50),
        }
            },
            &[ErrorKind::Timeout],
        ),
        (
            "endless",
            || {
                Answer::Endless {
            head: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".into(),
        }
            },
            &[ErrorKind::Http],
        ),
    ];
    for (name, answer, kinds) in cases {
        let liar = Liar::start(move |s| {
            if s.path.starts_with("/token") {
                token_answer()
            } else {
                answer()
            }
        });
        let auth = Auth::client_credentials("id", SECRET, format!("{}/token", liar.url()));
        let c = client(&liar.url(), auth, api);
        let started = Instant::now();
        let e = c.all_systems().unwrap_err();
        let took = started.elapsed();
        assert!(kinds.contains(&e.kind()), "{name}: {:?} {e}", e.kind());
        // Retries (3, with backoff) of a 2 s call at most, and some slack for a loaded machine.
        assert!(took < Duration::from_secs(12), "{name}: took {took:?}");
        assert!(
            e.message().contains("all_systems"),
            "{name}: names the call: {e}"
        );
        assert!(e.message().len() < 4096, "{name}: a bounded message");
    }
}

fn redirects_carry_no_credentials(api: ApiVersion) {
    let elsewhere = Liar::start(|_| Answer::json(200, r#"{"systems": [], "out": []}"#));
    let to = elsewhere.url();
    let liar = Liar::start(move |s| {
        if s.path.starts_with("/token") {
            // A token endpoint that moves, body and all.
            return Answer::full(307, &format!("Location: {to}/token\r\n"), "text/plain", b"");
        }
        Answer::full(
            302,
            &format!("Location: {to}{}\r\n", s.path),
            "text/plain",
            b"",
        )
    });
    let auth = Auth::client_credentials("id", SECRET, format!("{}/token", liar.url()));
    let _ = client(&liar.url(), auth, api).all_systems();
    let token = Auth::static_token("static-token-0123456789");
    let _ = client(&liar.url(), token, api).all_systems();
    assert!(!liar.seen().is_empty());
    for s in elsewhere.seen() {
        assert_eq!(s.header("authorization"), None, "{}", s.head);
        assert!(!echo(&s).contains("client_secret"), "{}", echo(&s));
    }
}

/// A store that echoes the presigned URL it was asked for (S3 puts the request in some error
/// bodies): the signature never reaches a message, and no local file is left. v1's task flow,
/// played by the liar.
#[test]
fn a_store_echoing_the_presigned_url_leaks_no_signature() {
    const SIGNATURE: &str = "5ig0a7ure0f0the0presigned0url";
    let liar = Liar::start(|s| {
        let base = format!("http://{}", s.header("host").unwrap());
        match (s.method.as_str(), s.path.split('?').next().unwrap()) {
            (_, "/token") => token_answer(),
            ("POST", "/storage/xfer-external/download") => {
                Answer::json(201, r#"{"success":"Task created","task_id":"t1"}"#)
            }
            ("GET", "/tasks/t1") => Answer::json(
                200,
                &serde_json::json!({"task": {
                    "task_id": "t1", "status": "117", "description": "Started upload from filesystem to Object Storage",
                    "data": {"url": format!(
                        "{base}/s3/bucket/f.bin?X-Amz-Credential=AK%2F20260101&X-Amz-Signature={SIGNATURE}"
                    )}
                }})
                .to_string(),
            ),
            _ => {
                let xml = format!(
                    "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>{} {} \
                     was refused</Message></Error>",
                    s.method, s.path
                );
                Answer::full(403, "", "application/xml", xml.as_bytes())
            }
        }
    });
    let auth = Auth::client_credentials("id", SECRET, format!("{}/token", liar.url()));
    let c = client(&liar.url(), auth, ApiVersion::V1);
    let mut t = c.external_download("cluster", "/home/u/f.bin").unwrap();
    let dir = Scratch::new("liar-store");
    let target = dir.path().join("f.bin");
    let e = t.finish_download(&target).unwrap_err();
    assert_eq!(e.http_status(), 403, "{e}");
    assert!(
        e.message().contains("AccessDenied"),
        "keeps the store's text: {e}"
    );
    assert!(!e.message().contains(SIGNATURE), "signature leaked: {e}");
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    let link = t.object_storage_link().unwrap();
    assert!(
        link.contains(SIGNATURE),
        "the link itself is the user's to have"
    );
}
