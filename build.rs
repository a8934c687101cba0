//! Generates the C header from `src/capi/` with cbindgen into OUT_DIR on every build, and
//! refreshes the committed `include/firecrest.h` when FIRECREST_UPDATE_HEADER is set.
//!
//! The shared library of a plain `cargo build` has no SONAME: a program linked with
//! `-L target/release -lfirecrest` records and loads `libfirecrest.so`, the file cargo makes. The
//! versioned installation (SONAME libfirecrest.so.0.y, its symlinks, firecrest.pc) is cargo-c's
//! (`cargo cinstall`, configured by `[package.metadata.capi]` in Cargo.toml).

use std::env;
use std::path::PathBuf;

/// The header's opening comment: what a C reader must know before the declarations.
const PREAMBLE: &str = r#"/*
 * firecrest.h: blocking FirecREST client (API v1 and v2) for C and Fortran.
 *
 * Conventions
 * - Fallible functions return firecrest_status (0 = FIRECREST_STATUS_OK). Outputs go through the
 *   trailing *_out pointers and are written only on success. After a failure,
 *   firecrest_last_error_message() and firecrest_last_error_http_status() give details on the
 *   calling thread; the message names the argument, system or path and carries FirecREST's own
 *   error text, never a secret or a token. firecrest_last_error_correlation_id() gives the
 *   X-Correlation-ID of the failing request, which the centre's support can find in their logs.
 * - Debugging: FIRECREST_LOG=error|warn|info|debug|trace in the environment prints the library's
 *   log on stderr (each request's method, URL without signatures, status, duration and
 *   correlation id; retries; token refreshes); firecrest_set_log_callback() takes it instead.
 * - Strings in: NUL-terminated UTF-8 (local file paths: any bytes). NULL where a pointer is
 *   required gives FIRECREST_STATUS_NULL_ARGUMENT; arguments marked nullable may be NULL.
 * - Strings out (char **..._out): allocated by the library, owned by the caller, freed with
 *   firecrest_string_free() (never free()). Static strings (firecrest_version(),
 *   firecrest_status_str()) are never freed.
 * - Handles are opaque, created by *_new / starting calls, freed by their *_free; *_free(NULL) is
 *   a no-op, freeing twice is undefined behaviour. Objects passed to a constructor are copied or
 *   shared: they may be freed right after it returns.
 * - JSON outputs have one schema whatever the server's API version (v1 field names, null where a
 *   version lacks a field); firecrest_json_get_string/_get_int/_array_len read them with RFC 6901
 *   pointers, firecrest_json_get_string_at/_get_int_at with a pointer from an array's element.
 * - No panic crosses this interface: a bug inside the library comes back as FIRECREST_STATUS_PANIC.
 *
 * Thread safety
 * - firecrest_client is thread-safe: functions taking a const firecrest_client * may be called
 *   concurrently on one client from several threads; they share its connection pool and token
 *   cache. Free it only when no other thread uses it.
 * - firecrest_auth may be shared by clients on any threads once created.
 * - firecrest_options and firecrest_transfer are not synchronised: use each from one thread at a
 *   time (it may be a different thread each time).
 * - The last error is thread-local. Callbacks run on the thread that made the call (a token
 *   callback: on every thread using a client made from its auth object).
 *
 * ABI: no stability between 0.y minor versions; `cargo cinstall` installs the shared library with
 * the SONAME libfirecrest.so.0.y.
 */"#;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let version = |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).expect("version");
    let (major, minor, patch) = (version("MAJOR"), version("MINOR"), version("PATCH"));

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("reading cbindgen.toml");
    config.header = Some(PREAMBLE.to_string());
    config.after_includes = Some(format!(
        "\n#define FIRECREST_VERSION_MAJOR {major}\n#define FIRECREST_VERSION_MINOR {minor}\n\
         #define FIRECREST_VERSION_PATCH {patch}\n\
         /** The version as one comparable number, e.g. 0.1.0 -> 100 (MAJOR*10000 + MINOR*100 + PATCH). */\n\
         #define FIRECREST_VERSION_NUMBER \
         (FIRECREST_VERSION_MAJOR * 10000 + FIRECREST_VERSION_MINOR * 100 + FIRECREST_VERSION_PATCH)\n"
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/capi/mod.rs"))
        .generate()
        .expect("cbindgen could not generate the C header from src/capi/");
    bindings.write_to_file(out_dir.join("firecrest.h"));
    if env::var_os("FIRECREST_UPDATE_HEADER").is_some() {
        // write_to_file leaves an identical file untouched, so a current header is never rewritten.
        bindings.write_to_file(crate_dir.join("include/firecrest.h"));
    }
    println!("cargo:rerun-if-changed=src/capi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=FIRECREST_UPDATE_HEADER");
    println!("cargo:include={}", out_dir.display());
}
