//! pyfirecrest's v1 client, unchanged, against the emulator (API v1): the official client is
//! the witness that the emulator speaks FirecREST v1. The steps live in tests/py/witness_v1.py.

mod support;

use support::py;

use firecrest::types::ApiVersion;
use firecrest_emulator::{Fault, FaultAction};

#[test]
fn pyfirecrest_v1_client_works_against_the_emulator() {
    // finish_upload runs the curl command the emulator puts in the task data.
    let Some(python) = py::witness_python(&["curl"]) else {
        return;
    };
    let emu = py::start_emulator(ApiVersion::V1);
    // The script's first call meets a gateway rate limit; pyfirecrest must wait and retry.
    emu.add_fault(Fault {
        method: Some("GET".into()),
        path_prefix: "/status/systems".into(),
        action: FaultAction::Status {
            status: 429,
            retry_after: Some("0".into()),
        },
        times: 1,
    });
    let run = py::run_script(&python, "witness_v1.py", &emu);
    let files = py::assert_witness_passed(&run, &emu);
    // simple_upload and external_upload each leave one file behind.
    assert_eq!(files, 2, "files reported by the script\n{}", run.stdout);
    assert_eq!(
        emu.counter("GET /status/systems"),
        2,
        "the 429 and pyfirecrest's retry"
    );
    py::assert_one_token(&emu);
}
