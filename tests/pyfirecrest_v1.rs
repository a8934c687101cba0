//! pyfirecrest's v1 client, unchanged, against the emulator (API v1): the official client is
//! the witness that the emulator speaks FirecREST v1. The steps live in tests/py/witness_v1.py.

#[path = "py/harness.rs"]
mod harness;

use firecrest::types::ApiVersion;

#[test]
fn pyfirecrest_v1_client_works_against_the_emulator() {
    // finish_upload runs the curl command the emulator puts in the task data.
    let Some(python) = harness::witness_python(&["curl"]) else {
        return;
    };
    let emu = harness::start_emulator(ApiVersion::V1);
    let run = harness::run_script(&python, "witness_v1.py", &emu);
    let files = harness::assert_witness_passed(&run, &emu);
    // simple_upload and external_upload each leave one file behind.
    assert_eq!(files, 2, "files reported by the script\n{}", run.stdout);
}
