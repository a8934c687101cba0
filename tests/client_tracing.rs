//! What a user needs to debug a failure, and the token sources centres offer, against the
//! emulator on both versions: every request carries an X-Correlation-ID (the client's, the
//! thread's, or a fresh UUID per call) and a failing call's error names it; tokens from a
//! command (cached until the JWT expires, refreshed, failing and hanging commands); API keys.

mod support;

use firecrest::{
    with_correlation_id, ApiVersion, Auth, Client, ErrorKind, JobScript, JobSpec, ListOptions,
    Options, TransferState,
};
use firecrest_emulator::Emulator;
use std::time::{Duration, Instant};
use support::*;

on_both_versions!(
    correlation_ids_reach_the_server_and_name_failures,
    a_clients_own_correlation_id,
    token_command_tokens_are_cached_until_they_expire,
    failing_and_hanging_token_commands_are_auth_errors,
    api_keys,
    transfers_and_jobs_keep_the_id_of_the_call_that_made_them,
);

const ID: &str = "2b1c7e4c-5a0e-4d38-9d0c-6f7e3f1b9a11";

/// The correlation ids the emulator saw on FirecREST's own routes (not the token endpoint).
fn ids_seen(emu: &Emulator, from: usize) -> Vec<Option<String>> {
    emu.requests_seen()[from..]
        .iter()
        .filter(|r| !r.path.contains("/token"))
        .map(|r| r.correlation_id.clone())
        .collect()
}

fn correlation_ids_reach_the_server_and_name_failures(api: ApiVersion) {
    let (emu, c) = setup(api);
    let home = emu.home();
    // One fresh UUID per call, the same on every request of that call.
    c.list_files("cluster", &home, ListOptions::default())
        .unwrap();
    c.list_files("cluster", &home, ListOptions::default())
        .unwrap();
    let seen = ids_seen(&emu, 0);
    assert_eq!(seen.len(), 2, "{seen:?}");
    let (a, b) = (seen[0].clone().unwrap(), seen[1].clone().unwrap());
    assert_ne!(a, b);
    assert!(a.len() == 36 && b.len() == 36, "{a} {b}");

    // A failing call names the id its request carried, which the server saw.
    let n = emu.requests_seen().len();
    let e = c
        .list_files("cluster", &remote(&emu, "missing"), ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), missing_path_kind(api), "{e:?}");
    let sent = ids_seen(&emu, n);
    assert_eq!(sent.len(), 1);
    assert_eq!(e.correlation_id(), sent[0].as_deref(), "{e:?}");

    // The thread's choice covers every request inside it; a retried request keeps it.
    emu.add_fault(status_fault(None, &ops_path(api, "ls"), 503, Some("0"), 1));
    let n = emu.requests_seen().len();
    let e = with_correlation_id(ID, || {
        c.list_files("cluster", &home, ListOptions::default())
            .unwrap();
        c.mkdir("cluster", "/root/forbidden", false).unwrap_err()
    })
    .unwrap();
    let sent = ids_seen(&emu, n);
    assert_eq!(sent.len(), 3, "503, its retry, mkdir: {sent:?}");
    assert!(sent.iter().all(|s| s.as_deref() == Some(ID)), "{sent:?}");
    assert_eq!(e.correlation_id(), Some(ID));
    // Outside it, fresh ids again.
    c.list_files("cluster", &home, ListOptions::default())
        .unwrap();
    assert_ne!(ids_seen(&emu, 0).last().unwrap().as_deref(), Some(ID));

    // Not a UUID: refused before any request, naming the argument.
    let e = with_correlation_id("my-workflow-1234", || ()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("my-workflow-1234"), "{e}");
    // A failure that is not a request's has no id.
    let e = c
        .list_files("cluster", "", ListOptions::default())
        .unwrap_err();
    assert_eq!(e.correlation_id(), None);
}

fn a_clients_own_correlation_id(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let options = Options {
        correlation_id: Some(ID.to_string()),
        ..options(Some(api))
    };
    let c = client_with(&emu, options.clone());
    c.list_files("cluster", &emu.home(), ListOptions::default())
        .unwrap();
    let e = c
        .stat("cluster", &remote(&emu, "missing"), false)
        .unwrap_err();
    assert_eq!(e.correlation_id(), Some(ID));
    let seen = ids_seen(&emu, 0);
    assert!(
        !seen.is_empty() && seen.iter().all(|s| s.as_deref() == Some(ID)),
        "{seen:?}"
    );
    // The token endpoint sees it too.
    assert!(emu
        .requests_seen()
        .iter()
        .filter(|r| r.path.contains("/token"))
        .all(|r| r.correlation_id.as_deref() == Some(ID)));

    let bad = Options {
        correlation_id: Some("not a uuid".into()),
        ..options
    };
    let e = Client::new(&emu.url(), auth(&emu), bad).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("correlation_id"), "{e}");
}

/// A command that counts its runs in `dir/runs` and prints the token in `dir/token`.
fn counting_command(dir: &std::path::Path) -> String {
    format!("echo run >> '{0}/runs'; cat '{0}/token'", dir.display())
}

fn runs(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("runs"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

fn token_command_tokens_are_cached_until_they_expire(api: ApiVersion) {
    // 33 s tokens: reused for 2 to 3 s (v2 refuses tokens with less than 30 s left; `exp` is
    // in whole seconds), long enough for three calls on a loaded machine, short enough to wait.
    let emu = emulator(api, |c| c.token_ttl = Duration::from_secs(33));
    let dir = Scratch::new("token-command");
    std::fs::write(
        dir.path().join("token"),
        format!("{}\n", emu.access_token()),
    )
    .unwrap();
    let auth = Auth::token_command(counting_command(dir.path()));
    let c = Client::new(&emu.url(), auth.clone(), options(Some(api))).unwrap();
    for _ in 0..3 {
        c.list_files("cluster", &emu.home(), ListOptions::default())
            .unwrap();
    }
    assert_eq!(
        runs(dir.path()),
        1,
        "a JWT is reused until shortly before it expires"
    );
    assert_eq!(c.whoami(None).unwrap(), "testuser");
    std::thread::sleep(Duration::from_millis(3200));
    std::fs::write(dir.path().join("token"), emu.access_token()).unwrap();
    c.list_files("cluster", &emu.home(), ListOptions::default())
        .unwrap();
    assert_eq!(runs(dir.path()), 2, "refreshed at expiry");

    // A token the server refuses (401) is asked for once more.
    std::fs::write(dir.path().join("token"), "not-a-valid-token").unwrap();
    std::thread::sleep(Duration::from_millis(3200));
    let e = c
        .list_files("cluster", &emu.home(), ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e:?}");
    assert_eq!(
        runs(dir.path()),
        4,
        "a refused token is asked for again once"
    );
    assert!(!e.message().contains("not-a-valid-token"), "{e}");
    assert!(e.correlation_id().is_some());
}

fn failing_and_hanging_token_commands_are_auth_errors(api: ApiVersion) {
    let emu = emulator(api, |_| {});
    let secret_token = emu.access_token();
    let failing = Auth::token_command(format!(
        "echo '{secret_token}'; echo 'oidc-agent: no session for profile cscs' >&2; exit 2"
    ));
    let c = Client::new(&emu.url(), failing, options(Some(api))).unwrap();
    let e = c
        .list_files("cluster", &emu.home(), ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e:?}");
    let m = e.message();
    assert!(
        m.contains("exit 2") && m.contains("no session for profile cscs"),
        "{m}"
    );
    assert!(m.contains("list_files cluster:"), "{m}");
    assert!(!m.contains(&secret_token), "{m}");

    let silent = Auth::token_command("true");
    let c = Client::new(&emu.url(), silent, options(Some(api))).unwrap();
    let e = c.whoami(Some("cluster")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.message().contains("no output"), "{e}");

    let hanging = Auth::token_command("sleep 30").with_command_timeout(Duration::from_millis(300));
    let c = Client::new(&emu.url(), hanging, options(Some(api))).unwrap();
    let started = Instant::now();
    let e = c.whoami(Some("cluster")).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.message().contains("no token within"), "{e}");

    let e = Client::new(&emu.url(), Auth::token_command("  "), options(Some(api))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

fn api_keys(api: ApiVersion) {
    let emu = emulator(api, |c| c.api_key = Some("k3y-0123456789".into()));
    let c = Client::new(
        &emu.url(),
        Auth::api_key("k3y-0123456789"),
        options(Some(api)),
    )
    .unwrap();
    c.list_files("cluster", &emu.home(), ListOptions::default())
        .unwrap();
    assert_eq!(c.whoami(Some("cluster")).unwrap(), "testuser");
    // No token to read the user from.
    let e = c.whoami(None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e:?}");

    let wrong = Client::new(
        &emu.url(),
        Auth::api_key("wr0ng-key-value"),
        options(Some(api)),
    )
    .unwrap();
    let e = wrong
        .list_files("cluster", &emu.home(), ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e:?}");
    assert!(!e.message().contains("wr0ng-key-value"), "{e}");
    assert!(!format!("{:?}", Auth::api_key("wr0ng-key-value")).contains("wr0ng"));

    // Another header name: the emulator takes the key only in its own header.
    let other = Auth::api_key("k3y-0123456789").with_api_key_header("X-Other-Key");
    let c = Client::new(&emu.url(), other, options(Some(api))).unwrap();
    let e = c
        .list_files("cluster", &emu.home(), ListOptions::default())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e:?}");

    for bad in [
        Auth::api_key(""),
        Auth::api_key("a\nb"),
        Auth::api_key("k").with_api_key_header("Bad Header"),
    ] {
        let e = Client::new(&emu.url(), bad, options(Some(api))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e:?}");
    }
}

fn transfers_and_jobs_keep_the_id_of_the_call_that_made_them(api: ApiVersion) {
    let (emu, c) = setup(api);
    put_remote(&emu, &remote(&emu, "data.bin"), &pattern(3000, 1));
    let n = emu.requests_seen().len();
    let mut t = c
        .external_download("cluster", &remote(&emu, "data.bin"))
        .unwrap();
    t.wait(TransferState::DownloadReady, Duration::from_secs(60))
        .unwrap();
    let mut data = Vec::new();
    t.finish_download_to(&mut data).unwrap();
    assert_eq!(data.len(), 3000);
    let seen = ids_seen(&emu, n);
    assert!(
        seen.len() >= 3,
        "create, poll(s), staged download: {seen:?}"
    );
    assert!(
        seen.iter().all(|s| s.is_some() && *s == seen[0]),
        "{seen:?}"
    );

    let n = emu.requests_seen().len();
    let spec = JobSpec::new(JobScript::Text("#!/bin/bash\necho hi\n".into()), emu.home());
    let mut job = c.submit_job("cluster", &spec).unwrap();
    job.wait(Duration::from_secs(60)).unwrap();
    let seen = ids_seen(&emu, n);
    assert!(seen.len() >= 2, "submit, poll(s): {seen:?}");
    assert!(
        seen.iter().all(|s| s.is_some() && *s == seen[0]),
        "{seen:?}"
    );
    // The thread's own choice still wins.
    let n = emu.requests_seen().len();
    with_correlation_id(ID, || job.state().unwrap()).unwrap();
    assert!(ids_seen(&emu, n).iter().all(|s| s.as_deref() == Some(ID)));
}
