//! tests/c/debug.c against the emulator on both versions: client credentials by HTTP Basic, an
//! API key, token commands, correlation ids and the log callback from C; and FIRECREST_LOG=debug,
//! which turns on the library's log on stderr without a line of code, with no secret in it.

mod support;

use firecrest::ApiVersion;
use support::c::{build, c_toolchain, check_c_test, run, show, VALGRIND};
use support::{emulator, emulator_env, tool_available, Scratch};

on_both_versions!(debugging_from_c, firecrest_log_writes_stderr_lines);

const KEY: &str = "k3y-for-c-0123456789";

fn debugging_from_c(api: ApiVersion) {
    if !c_toolchain() {
        return;
    }
    let scratch = Scratch::new(&format!("c-debug-v{}", api.number()));
    let dir = build(&scratch, &["debug"]);
    let emu = emulator(api, |c| c.api_key = Some(KEY.into()));
    let token_file = scratch.path().join("token");
    std::fs::write(&token_file, emu.access_token()).unwrap();
    let mut env = emulator_env(&emu);
    env.push(("FIRECREST_TEST_API_KEY", KEY.into()));
    env.push((
        "FIRECREST_TEST_TOKEN_FILE",
        token_file.to_str().unwrap().into(),
    ));
    let out = run(&scratch, &[], &dir.join("debug"), &[], &env);
    check_c_test(&out, &format!("debug (v{})", api.number()));
    // The fresh id the program saw in its last error reached the emulator.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fresh = stdout
        .lines()
        .find_map(|l| l.strip_prefix("fresh id: "))
        .unwrap_or_else(|| panic!("{}", show(&out)));
    assert!(
        emu.requests_seen()
            .iter()
            .any(|r| r.correlation_id.as_deref() == Some(fresh)),
        "{fresh} never reached the emulator"
    );
    // The new functions leak nothing and touch no freed memory (the log callback's closure, the
    // correlation ids, the token command's pipes and threads).
    if api == ApiVersion::V2 && tool_available("valgrind", "memory checks of the C programs") {
        let out = run(&scratch, VALGRIND, &dir.join("debug"), &[], &env);
        check_c_test(&out, "debug under valgrind");
    }
}

fn firecrest_log_writes_stderr_lines(api: ApiVersion) {
    if !c_toolchain() {
        return;
    }
    let scratch = Scratch::new(&format!("c-log-v{}", api.number()));
    let dir = build(&scratch, &["debug"]);
    let emu = emulator(api, |_| {});
    let mut env = emulator_env(&emu);
    env.push(("FIRECREST_LOG", "debug".into()));
    let out = run(&scratch, &[], &dir.join("debug"), &["stderr"], &env);
    check_c_test(&out, "debug stderr");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failed_id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("failed id: "))
        .unwrap_or_else(|| panic!("{}", show(&out)));
    assert!(stderr.contains("firecrest DEBUG GET "), "{}", show(&out));
    assert!(
        stderr.contains("firecrest INFO  token: new access token"),
        "{}",
        show(&out)
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(failed_id) && l.contains("no-such-dir")),
        "the failing request and its id:\n{}",
        show(&out)
    );
    for secret in [emu.client_secret().as_str(), "eyJ", "Bearer"] {
        assert!(!stderr.contains(secret), "{secret} on stderr:\n{stderr}");
    }
    // Without the variable: not a line.
    let env = emulator_env(&emu);
    let out = run(&scratch, &[], &dir.join("debug"), &["stderr"], &env);
    check_c_test(&out, "debug stderr, no log");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("firecrest "),
        "{}",
        show(&out)
    );
}
