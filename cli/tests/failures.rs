//! Each kind of failure: its exit code and its one line `firecrest: <command>: <message>`,
//! naming the system or path with FirecREST's own text; and no secret in any output.

mod common;

use common::*;
use firecrest_emulator::ApiVersion;
use std::path::Path;

/// The one line on stderr, and nothing on stdout.
fn one_line(run: &Run, code: i32, command: &str) -> String {
    assert_eq!(
        run.code, code,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert_eq!(run.stdout, "", "a failure prints nothing on stdout");
    let line = run.stderr.trim_end();
    assert!(!line.contains('\n'), "one line: {line}");
    let prefix = format!("firecrest: {command}: ");
    assert!(line.starts_with(&prefix), "{line}");
    line.to_string()
}

fn unknown_system(api: ApiVersion) {
    let emu = start(api);
    let line = one_line(&run(&emu, &["ls", "-s", "nosuch", &emu.home()]), 1, "ls");
    assert!(line.contains("nosuch"), "{line}");
    // v1: X-Machine-Does-Not-Exist; v2: the error body's message.
    let lower = line.to_lowercase();
    assert!(
        lower.contains("not exist") || lower.contains("not found"),
        "{line}"
    );
}
both!(unknown_system_is_1, unknown_system);

fn missing_path(api: ApiVersion) {
    let emu = start(api);
    let path = remote(&emu, "nothing-here");
    for command in ["ls", "stat", "checksum", "head"] {
        let line = one_line(&run(&emu, &[command, &path]), 1, command);
        assert!(line.contains(&path), "{line}");
        assert!(line.contains("No such file or directory"), "{line}");
    }
    let dir = scratch(&format!("missing-{api:?}"));
    let target = dir.join("x");
    let line = one_line(
        &run(&emu, &["download", &path, target.to_str().unwrap()]),
        1,
        "download",
    );
    assert!(line.contains(&path), "{line}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no file left");
    let local = dir.join("absent.bin");
    let line = one_line(
        &run(&emu, &["upload", local.to_str().unwrap(), &emu.home()]),
        1,
        "upload",
    );
    assert!(line.contains("absent.bin"), "{line}");
    std::fs::remove_dir_all(&dir).unwrap();
}
both!(missing_path_is_1, missing_path);

fn bad_credentials(api: ApiVersion) {
    let emu = start(api);
    let args = ["--client-secret", "wrong", "ls", &emu.home()];
    let line = one_line(&run(&emu, &args), 1, "ls");
    assert!(line.contains("token"), "{line}");
    assert!(line.contains("401") || line.contains("nvalid"), "{line}");
}
both!(bad_credentials_are_1, bad_credentials);

fn usage_errors(api: ApiVersion) {
    let emu = start(api);
    let env = env_of(&emu);
    let without = |names: &[&str]| -> Vec<(String, String)> {
        env.iter()
            .filter(|(k, _)| !names.contains(&k.as_str()))
            .cloned()
            .collect()
    };
    let bin = Path::new(BIN);
    // clap's own errors: exit 2, usage on stderr.
    for args in [
        &["ls"][..],
        &["bogus"],
        &["ls", "--bogus", "/x"],
        &["mkdir"],
    ] {
        let r = run(&emu, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("Usage"), "{}", r.stderr);
    }
    let r = run_with(bin, &without(&["FIRECREST_SYSTEM"]), &["ls", "/x"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--system"), "{}", r.stderr);
    // Configuration as pyfirecrest checks it: exit 2 too.
    let line = one_line(
        &run_with(bin, &without(&["FIRECREST_URL"]), &["ls", "/x"]),
        2,
        "ls",
    );
    assert!(line.contains("--firecrest-url"), "{line}");
    let r = run_with(bin, &without(&["FIRECREST_CLIENT_SECRET"]), &["ls", "/x"]);
    assert!(one_line(&r, 2, "ls").contains("Missing: --client-secret"));
    let none = without(&[
        "FIRECREST_CLIENT_ID",
        "FIRECREST_CLIENT_SECRET",
        "AUTH_TOKEN_URL",
    ]);
    let r = run_with(bin, &none, &["ls", "/x"]);
    assert!(one_line(&r, 2, "ls").contains("No authentication method"));
    let r = run(&emu, &["--token-command", "true", "ls", "/x"]);
    assert!(one_line(&r, 2, "ls").contains("mutually exclusive"));
    let r = run(&emu, &["--client-auth-method", "magic", "ls", "/x"]);
    assert_eq!(r.code, 2);
}
both!(usage_errors_are_2, usage_errors);

#[test]
fn options_without_a_back_end_say_so() {
    let emu = start(ApiVersion::V2);
    let r = run(&emu, &["--api-key", "k", "ls", "/x"]);
    assert_eq!(
        r.code, 2,
        "an API key with client credentials: mutually exclusive"
    );
}

/// An API key (FIRECREST_API_KEY, --api-key-header), a chosen correlation id, and the id of a
/// failing request on the error line; --debug shows each request with its id.
fn api_keys_and_correlation_ids(api: ApiVersion) {
    let emu = firecrest_emulator::Emulator::start(firecrest_emulator::Config {
        api,
        api_key: Some("k3y-cli-0123456789".into()),
        ..Default::default()
    })
    .unwrap();
    let env = |key: &str| -> Vec<(String, String)> {
        env_of(&emu)
            .into_iter()
            .filter(|(k, _)| !k.starts_with("FIRECREST_CLIENT") && k != "AUTH_TOKEN_URL")
            .chain([("FIRECREST_API_KEY".to_string(), key.to_string())])
            .collect()
    };
    let home = emu.home();
    let listed = run_with(Path::new(BIN), &env("k3y-cli-0123456789"), &["ls", &home]).ok();
    assert!(listed.json().is_array());
    let r = run_with(Path::new(BIN), &env("wr0ng-cli-key"), &["ls", &home]);
    let line = one_line(&r, 1, "ls");
    assert!(!line.contains("wr0ng-cli-key"), "{line}");
    let r = run_with(
        Path::new(BIN),
        &env("k3y-cli-0123456789"),
        &["--api-key-header", "X-Other", "ls", &home],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);

    let id = "2b1c7e4c-5a0e-4d38-9d0c-6f7e3f1b9a11";
    let missing = remote(&emu, "missing");
    let r = run(&emu, &["--correlation-id", id, "stat", &missing]);
    let line = one_line(&r, 1, "stat");
    assert!(
        line.ends_with(&format!("[X-Correlation-ID: {id}]")),
        "{line}"
    );
    assert!(emu
        .requests_seen()
        .iter()
        .any(|s| s.correlation_id.as_deref() == Some(id)));
    // A fresh id otherwise, on the error line and in the --debug lines of the same request.
    let r = run(&emu, &["--debug", "stat", &missing]);
    let last = r.stderr.lines().last().unwrap_or("");
    let fresh = last
        .rsplit_once("[X-Correlation-ID: ")
        .map(|(_, id)| id.trim_end_matches(']'))
        .unwrap_or_else(|| panic!("{}", r.stderr));
    assert_ne!(fresh, id);
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("firecrest: debug: GET ") && l.contains(fresh)),
        "{}",
        r.stderr
    );
    let r = run(&emu, &["--correlation-id", "not-a-uuid", "ls", &home]);
    assert!(one_line(&r, 1, "ls").contains("not a UUID"), "{}", r.stderr);
}
both!(
    api_keys_and_correlation_ids_work,
    api_keys_and_correlation_ids
);

/// An access token, fetched as any client would.
fn token(emu: &firecrest_emulator::Emulator) -> String {
    let body = ureq::post(&emu.token_url())
        .send_form([
            ("grant_type", "client_credentials"),
            ("client_id", emu.client_id().as_str()),
            ("client_secret", emu.client_secret().as_str()),
        ])
        .expect("a token")
        .body_mut()
        .read_to_string()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

fn no_secrets(api: ApiVersion) {
    let emu = start(api);
    let secret = emu.client_secret();
    let home = emu.home();
    let missing = remote(&emu, "missing");
    let lines: &[&[&str]] = &[
        &["--debug", "ls", &home],
        &["--verbose", "systems"],
        &["--debug", "id", "--json"],
        &["--debug", "stat", &missing],
        &["--debug", "ls", "-s", "nosuch", &home],
        &["--debug", "--client-secret", "wrong", "ls", &home],
        &["--help"],
        &["ls", "--help"],
        &["--debug", "ls"],
    ];
    let check = |r: &Run, args: &[&str], token: Option<&str>| {
        for text in [&r.stdout, &r.stderr] {
            assert!(!text.contains(&secret), "the secret in {args:?}: {text}");
            assert!(
                !text.contains("wrong"),
                "a given secret in {args:?}: {text}"
            );
            // JWTs start with the base64 of '{"': no token of any kind is printed.
            assert!(!text.contains("eyJ"), "a token in {args:?}: {text}");
            if let Some(t) = token {
                assert!(!text.contains(t), "the token in {args:?}: {text}");
            }
        }
    };
    for args in lines {
        check(&run(&emu, args), args, None);
    }
    // The token command's token, which the test knows.
    let token = token(&emu);
    let env: Vec<_> = env_of(&emu)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("FIRECREST_CLIENT") && k != "AUTH_TOKEN_URL")
        .chain([(
            "FIRECREST_TOKEN_COMMAND".to_string(),
            format!("echo {token}"),
        )])
        .collect();
    for args in lines.iter().filter(|a| !a.contains(&"--client-secret")) {
        check(&run_with(Path::new(BIN), &env, args), args, Some(&token));
    }
    let listed = run_with(Path::new(BIN), &env, &["ls", &home]).ok();
    assert!(listed.json().is_array());
    // A failing token command: its exit status, not its output.
    let mut env = env;
    env.last_mut().unwrap().1 = format!("echo {token}; exit 3");
    let r = run_with(Path::new(BIN), &env, &["ls", &home]);
    check(&r, &["ls"], Some(&token));
    assert!(
        one_line(&r, 1, "ls").contains("token command"),
        "{}",
        r.stderr
    );
}
both!(no_secret_is_printed, no_secrets);
