//! The committed `include/firecrest.h` must be what cbindgen generates from `src/capi/` now
//! (build.rs writes that to OUT_DIR on every build). Refresh with
//! `FIRECREST_UPDATE_HEADER=1 cargo build`.

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/firecrest.h"));
const COMMITTED: &str = include_str!("../include/firecrest.h");

#[test]
fn committed_header_matches_generated() {
    if GENERATED != COMMITTED {
        let line = GENERATED
            .lines()
            .zip(COMMITTED.lines())
            .position(|(g, c)| g != c)
            .unwrap_or_else(|| GENERATED.lines().count().min(COMMITTED.lines().count()))
            + 1;
        panic!(
            "include/firecrest.h is out of date (first difference at line {line}); \
             run `FIRECREST_UPDATE_HEADER=1 cargo build` and commit it"
        );
    }
}

#[test]
fn version_macros_match_cargo() {
    for (name, value) in [
        ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        let line = format!("#define FIRECREST_VERSION_{name} {value}\n");
        assert!(COMMITTED.contains(&line), "header lacks {line:?}");
    }
    // The exported symbol, reached as C reaches it.
    let v = unsafe { std::ffi::CStr::from_ptr(firecrest_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

// Links the library into this test, so the symbol below resolves.
use firecrest as _;

extern "C" {
    fn firecrest_version() -> *const std::ffi::c_char;
}

/// The functions the READMEs and the examples document for C users.
#[test]
fn every_required_function_is_declared() {
    for name in [
        "firecrest_version",
        "firecrest_status_str",
        "firecrest_last_error_message",
        "firecrest_last_error_http_status",
        "firecrest_string_free",
        "firecrest_auth_client_credentials_new",
        "firecrest_auth_static_token_new",
        "firecrest_auth_callback_new",
        "firecrest_auth_free",
        "firecrest_options_new",
        "firecrest_options_set_api_version",
        "firecrest_options_set_timeout_ms",
        "firecrest_options_set_ca_file",
        "firecrest_options_set_ca_file_only",
        "firecrest_options_set_max_retries",
        "firecrest_options_free",
        "firecrest_client_new",
        "firecrest_client_new_from_env",
        "firecrest_client_api_version",
        "firecrest_client_free",
        "firecrest_all_systems",
        "firecrest_system",
        "firecrest_parameters",
        "firecrest_all_services",
        "firecrest_whoami",
        "firecrest_list_files",
        "firecrest_mkdir",
        "firecrest_mv",
        "firecrest_copy",
        "firecrest_remove",
        "firecrest_checksum",
        "firecrest_simple_upload",
        "firecrest_simple_download",
        "firecrest_external_upload",
        "firecrest_external_download",
        "firecrest_transfer_status",
        "firecrest_transfer_wait",
        "firecrest_transfer_finish_upload",
        "firecrest_transfer_finish_download",
        "firecrest_transfer_object_storage_link",
        "firecrest_transfer_object_storage_data",
        "firecrest_transfer_invalidate",
        "firecrest_transfer_set_progress",
        "firecrest_transfer_free",
        "firecrest_json_get_string",
        "firecrest_json_get_int",
        "firecrest_json_array_len",
        "firecrest_json_get_string_at",
        "firecrest_json_get_int_at",
    ] {
        assert!(
            COMMITTED.contains(&format!(" {name}(")) || COMMITTED.contains(&format!("*{name}(")),
            "{name} (part of the documented C interface) is not declared in include/firecrest.h"
        );
    }
    // Fortran identifiers are limited to 63 characters; the module uses the C names.
    for line in COMMITTED.lines() {
        if let Some(name) = line
            .split('(')
            .next()
            .and_then(|s| s.split([' ', '*']).next_back())
        {
            if name.starts_with("firecrest_") {
                assert!(name.len() <= 63, "{name} is longer than 63 characters");
            }
        }
    }
}
