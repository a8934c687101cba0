//! pyfirecrest 3.10's ApiKeyAuth, TokenCommandAuth and correlation_id, unchanged, against the
//! v2 emulator: the witness that the emulator takes an API key, a token from a command and the
//! X-Correlation-ID header as pyfirecrest sends them, and refuses an id that is not a UUID as
//! FirecREST v2 does. The steps live in tests/py/witness_tracing.py.

mod support;

use firecrest::types::ApiVersion;
use support::{emulator, py, Scratch};

#[test]
fn pyfirecrest_api_keys_token_commands_and_correlation_ids() {
    let Some(python) = py::witness_python(&[]) else {
        return;
    };
    let emu = emulator(ApiVersion::V2, |c| {
        c.api_key = Some("k3y-pyfirecrest-0123".into())
    });
    let scratch = Scratch::new("py-tracing");
    let token_file = scratch.path().join("token");
    std::fs::write(&token_file, emu.access_token()).unwrap();
    let extra = [
        (
            "FIRECREST_WITNESS_API_KEY",
            "k3y-pyfirecrest-0123".to_string(),
        ),
        (
            "FIRECREST_WITNESS_TOKEN_COMMAND",
            format!("cat '{}'", token_file.display()),
        ),
    ];
    let run = py::run_script_with(&python, "witness_tracing.py", &emu, &extra);
    py::assert_witness_passed(&run, &emu);
    let sent = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("CORRELATION "))
        .unwrap_or_else(|| panic!("no correlation id reported:\n{}", run.stdout));
    let seen = emu.requests_seen();
    assert!(
        seen.iter()
            .any(|r| r.correlation_id.as_deref() == Some(sent)),
        "{sent} never reached the emulator"
    );
    assert!(seen
        .iter()
        .any(|r| r.correlation_id.as_deref() == Some("my-workflow-1234")));
}
