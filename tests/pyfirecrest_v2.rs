//! pyfirecrest's v2 client (firecrest.v2.Firecrest), unchanged, against the emulator started
//! with API v2: the official client is the witness that the emulator speaks FirecREST v2,
//! including the multi-part S3 transfers. The steps live in tests/py/witness_v2.py.

#[path = "py/harness.rs"]
mod harness;

use firecrest::types::ApiVersion;

#[test]
fn pyfirecrest_v2_client_works_against_the_emulator() {
    let Some(python) = harness::witness_python(&[]) else {
        return;
    };
    let emu = harness::start_emulator(ApiVersion::V2);
    let run = harness::run_script(&python, "witness_v2.py", &emu);
    let files = harness::assert_witness_passed(&run, &emu);
    // The direct upload and the multi-part upload each leave one file behind.
    assert_eq!(files, 2, "files reported by the script\n{}", run.stdout);
    harness::assert_one_token(&emu);
}
