//! No secret, token or presigned signature in the debug log or in the errors of failing calls:
//! this test binary installs a `log` logger that keeps every record of the library, runs
//! failing calls of every kind against the emulator on both versions (refused secrets, keys and
//! tokens, a failing token command, missing paths, a presigned download the store refuses,
//! retries), and greps everything it captured.

mod support;

use firecrest::{ApiVersion, Auth, Client, ListOptions, TransferState};
use log::{Level, LevelFilter, Log, Metadata, Record};
use std::sync::Mutex;
use std::time::Duration;
use support::*;

struct Capture(Mutex<Vec<String>>);

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &Record<'_>) {
        if record.target().starts_with("firecrest") && record.level() <= Level::Trace {
            self.0
                .lock()
                .unwrap()
                .push(format!("{} {}", record.level(), record.args()));
        }
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

fn install() {
    let _ = log::set_logger(&CAPTURE);
    log::set_max_level(LevelFilter::Trace);
}

/// The value of query parameter `name` in `url`.
fn query_value(url: &str, name: &str) -> String {
    url.split_once('?')
        .unwrap()
        .1
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in {url}"))
        .to_string()
}

#[test]
fn debug_logs_and_errors_of_failing_calls_carry_no_secret() {
    install();
    let mut errors = Vec::new();
    let mut secrets: Vec<String> = Vec::new();
    for api in [ApiVersion::V1, ApiVersion::V2] {
        let emu = emulator(api, |c| {
            c.api_key = Some("k3y-4pi-0123456789".into());
            c.task_delay = Duration::from_millis(20);
        });
        secrets.push(emu.client_secret());
        secrets.push("k3y-4pi-0123456789".into());
        let opts = options(Some(api));
        let home = emu.home();

        // Right credentials, failing calls; a 503 retried; a presigned download refused.
        let c = Client::new(&emu.url(), auth(&emu), opts.clone()).unwrap();
        c.list_files("cluster", &home, ListOptions::default())
            .unwrap();
        errors.push(
            c.list_files("cluster", &remote(&emu, "missing"), ListOptions::default())
                .unwrap_err(),
        );
        emu.add_fault(status_fault(None, &ops_path(api, "ls"), 503, Some("0"), 2));
        c.list_files("cluster", &home, ListOptions::default())
            .unwrap();
        put_remote(&emu, &remote(&emu, "data.bin"), &pattern(5000, 3));
        let mut t = c
            .external_download("cluster", &remote(&emu, "data.bin"))
            .unwrap();
        assert_eq!(
            t.wait(TransferState::DownloadReady, Duration::from_secs(60))
                .unwrap(),
            TransferState::DownloadReady
        );
        let link = t.object_storage_link().unwrap();
        secrets.push(query_value(&link, "X-Amz-Signature"));
        secrets.push(query_value(&link, "X-Amz-Credential"));
        let path = &link[link.find("/s3").unwrap()..link.find('?').unwrap()];
        emu.add_fault(status_fault(Some("GET"), path, 403, None, 0));
        let mut sink = Vec::new();
        errors.push(t.finish_download_to(&mut sink).unwrap_err());
        emu.clear_faults();

        // A wrong secret, by form and by Basic.
        let wrong = "wr0ng-s3cret-value";
        secrets.push(wrong.into());
        for a in [
            Auth::client_credentials(emu.client_id(), wrong, emu.token_url()),
            Auth::client_credentials_basic(emu.client_id(), wrong, emu.token_url()),
        ] {
            let c = Client::new(&emu.url(), a, opts.clone()).unwrap();
            errors.push(c.whoami(Some("cluster")).unwrap_err());
        }
        // A token the server refuses (bad signature), an expired-looking one.
        let token = emu.access_token();
        let tampered = format!("{token}x");
        secrets.push(tampered.clone());
        let c = Client::new(&emu.url(), Auth::static_token(tampered), opts.clone()).unwrap();
        errors.push(
            c.list_files("cluster", &home, ListOptions::default())
                .unwrap_err(),
        );
        // A wrong API key; a right one with a failing call.
        let c = Client::new(&emu.url(), Auth::api_key("k3y-wr0ng-000000"), opts.clone()).unwrap();
        secrets.push("k3y-wr0ng-000000".into());
        errors.push(
            c.list_files("cluster", &home, ListOptions::default())
                .unwrap_err(),
        );
        let c = Client::new(
            &emu.url(),
            Auth::api_key("k3y-4pi-0123456789"),
            opts.clone(),
        )
        .unwrap();
        errors.push(
            c.stat("cluster", &remote(&emu, "missing"), false)
                .unwrap_err(),
        );
        // A token command that prints a token and fails, and one whose token is refused.
        let printed = emu.access_token();
        secrets.push(printed.clone());
        let a = Auth::token_command(format!(
            "echo '{printed}'; echo 'refused: {printed}' >&2; exit 1"
        ));
        let c = Client::new(&emu.url(), a, opts.clone()).unwrap();
        errors.push(c.whoami(Some("cluster")).unwrap_err());
        let a = Auth::token_command("echo not-a-jwt-but-a-secret");
        secrets.push("not-a-jwt-but-a-secret".into());
        let c = Client::new(&emu.url(), a, opts.clone()).unwrap();
        errors.push(c.whoami(Some("cluster")).unwrap_err());
    }

    let log = CAPTURE.0.lock().unwrap().join("\n");
    println!("{log}");
    // The log shows what a user debugging needs.
    for needle in [
        "GET ",
        "-> 200",
        "-> 404",
        "HTTP 503, retry 1 of 3",
        "X-Correlation-ID: ",
        "token: requesting a new access token",
        "token: new access token",
        "token: running the token command",
        "X-Amz-Signature=<redacted>",
    ] {
        assert!(log.contains(needle), "the log lacks {needle:?}:\n{log}");
    }
    let messages: Vec<String> = errors.iter().map(|e| format!("{e} {e:?}")).collect();
    let everything = format!("{log}\n{}", messages.join("\n"));
    for s in &secrets {
        assert!(s.len() >= 8, "{s}");
        assert!(
            !everything.contains(s.as_str()),
            "{s} leaked:\n{everything}"
        );
    }
    // Nothing shaped like one: a JWT (base64 of `{"`), an Authorization header.
    for needle in ["eyJ", "Bearer ", "Basic "] {
        assert!(!everything.contains(needle), "{needle} in:\n{everything}");
    }
    // Every failure of a request names its correlation id.
    for e in &errors {
        assert!(
            e.correlation_id().is_some() || e.kind() == firecrest::ErrorKind::Auth,
            "{e:?}"
        );
    }
}
