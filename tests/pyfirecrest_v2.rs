//! pyfirecrest's v2 client (firecrest.v2.Firecrest), unchanged, against the emulator started
//! with API v2: the official client is the witness that the emulator speaks FirecREST v2,
//! including the multi-part S3 transfers. The steps live in tests/py/witness_v2.py.

mod support;

use support::py;

use firecrest::types::ApiVersion;

#[test]
fn pyfirecrest_v2_client_works_against_the_emulator() {
    let Some(python) = py::witness_python(&[]) else {
        return;
    };
    let emu = py::start_emulator(ApiVersion::V2);
    let run = py::run_script(&python, "witness_v2.py", &emu);
    let files = py::assert_witness_passed(&run, &emu);
    // The direct upload and the multi-part upload each leave one file behind.
    assert_eq!(files, 2, "files reported by the script\n{}", run.stdout);
    py::assert_one_token(&emu);
}
