//! The client handle, and the status and identity calls that return JSON.

use super::auth::firecrest_auth;
use super::boundary::CResult as Result;
use super::boundary::{arg_ref, arg_str, boundary, boundary_or, firecrest_status, opt_str, Out};
use super::options::firecrest_options;
use super::strings::{c_json, c_string};
use crate::client::{Client, Options};
use std::ffi::c_char;

/// A FirecREST client. Thread-safe: every function taking a `const firecrest_client *` may be
/// called on one client from several threads at once; they share its connection pool and token
/// cache. Free it with firecrest_client_free() once no thread uses it.
pub struct firecrest_client {
    pub(crate) client: Client,
}

/// Runs `f` with the client behind `c`, recording failures under `function`'s name.
pub(crate) unsafe fn with_client(
    function: &str,
    c: *const firecrest_client,
    f: impl FnOnce(&Client) -> Result<()>,
) -> firecrest_status {
    boundary(function, || f(&arg_ref(c, "c")?.client))
}

/// Runs `f` with the client and writes the JSON of its result to `*json_out`.
pub(crate) unsafe fn json_call<T: serde::Serialize>(
    function: &str,
    c: *const firecrest_client,
    json_out: *mut *mut c_char,
    f: impl FnOnce(&Client) -> Result<T>,
) -> firecrest_status {
    with_client(function, c, |client| {
        let out = Out::new(json_out, "json_out")?;
        let json = c_json(&f(client)?)?;
        out.write(json);
        Ok(())
    })
}

/// Runs `f` with the client and writes its text result to `*text_out`.
pub(crate) unsafe fn text_call(
    function: &str,
    c: *const firecrest_client,
    text_out: *mut *mut c_char,
    out_name: &str,
    f: impl FnOnce(&Client) -> Result<String>,
) -> firecrest_status {
    with_client(function, c, |client| {
        let out = Out::new(text_out, out_name)?;
        let text = c_string(f(client)?, out_name)?;
        out.write(text);
        Ok(())
    })
}

unsafe fn options_or_default(opts: *const firecrest_options) -> Options {
    opts.as_ref().map(|o| o.options.clone()).unwrap_or_default()
}

fn new_client(client: Client, out: Out<*mut firecrest_client>) {
    // SAFETY: checked by Out::new.
    unsafe { out.write(Box::into_raw(Box::new(firecrest_client { client }))) }
}

/// Creates a client for the FirecREST at `firecrest_url` (e.g. "https://api.cscs.ch/hpc/firecrest/v2").
/// `opts` may be NULL for the defaults; `auth` and `opts` are not kept (free them when you like).
/// No request is made here.
///
/// On success `*client_out` receives the client, freed with firecrest_client_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (a malformed URL), FIRECREST_STATUS_IO or FIRECREST_STATUS_TLS (an unreadable CA file).
#[no_mangle]
pub unsafe extern "C" fn firecrest_client_new(
    firecrest_url: *const c_char,
    auth: *const firecrest_auth,
    opts: *const firecrest_options,
    client_out: *mut *mut firecrest_client,
) -> firecrest_status {
    boundary("firecrest_client_new", || {
        let url = arg_str(firecrest_url, "firecrest_url")?;
        let auth = arg_ref(auth, "auth")?.auth.clone();
        let out = Out::new(client_out, "client_out")?;
        new_client(Client::new(url, auth, options_or_default(opts))?, out);
        Ok(())
    })
}

/// Creates a client from pyfirecrest's environment variables: FIRECREST_URL,
/// FIRECREST_CLIENT_ID, FIRECREST_CLIENT_SECRET and AUTH_TOKEN_URL (client credentials).
/// `opts` may be NULL for the defaults.
///
/// On success `*client_out` receives the client, freed with firecrest_client_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (a variable is missing or malformed; the message names it).
#[no_mangle]
pub unsafe extern "C" fn firecrest_client_new_from_env(
    opts: *const firecrest_options,
    client_out: *mut *mut firecrest_client,
) -> firecrest_status {
    boundary("firecrest_client_new_from_env", || {
        let out = Out::new(client_out, "client_out")?;
        new_client(Client::from_env(options_or_default(opts))?, out);
        Ok(())
    })
}

/// The server's FirecREST API version if already known (forced by the options or detected by an
/// earlier call): 1 or 2; 0 while unknown or when `c` is NULL. Makes no request; see
/// firecrest_client_detect_api_version().
#[no_mangle]
pub unsafe extern "C" fn firecrest_client_api_version(c: *const firecrest_client) -> i32 {
    boundary_or("firecrest_client_api_version", 0, || {
        c.as_ref()
            .and_then(|c| c.client.known_api_version())
            .map(|v| v.number())
            .unwrap_or(0)
    })
}

/// The server's FirecREST API version, 1 or 2, asking the server if it is not yet known (one
/// request, once per client).
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_client_detect_api_version(
    c: *const firecrest_client,
    version_out: *mut i32,
) -> firecrest_status {
    with_client("firecrest_client_detect_api_version", c, |client| {
        let out = Out::new(version_out, "version_out")?;
        out.write(client.api_version()?.number());
        Ok(())
    })
}

/// Frees a client. NULL is a no-op; freeing twice, or while another thread uses the client, is
/// undefined behaviour. Transfers started from it keep working.
#[no_mangle]
pub unsafe extern "C" fn firecrest_client_free(c: *mut firecrest_client) {
    if !c.is_null() {
        boundary_or("firecrest_client_free", (), || drop(Box::from_raw(c)));
    }
}

/// All systems and their health, as JSON: an array of
/// `{"system": string, "status": "available" | "not available", "description": string}`.
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_all_systems(
    c: *const firecrest_client,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    json_call("firecrest_all_systems", c, json_out, |client| {
        Ok(client.all_systems()?)
    })
}

/// One system, as JSON: `{"system": string, "status": "available" | "not available",
/// "description": string}`.
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_NOT_FOUND or FIRECREST_STATUS_API_ERROR (unknown system, named in the
/// message), transport and HTTP statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_system(
    c: *const firecrest_client,
    system: *const c_char,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    let system = || arg_str(system, "system");
    json_call("firecrest_system", c, json_out, |client| {
        Ok(client.system(system()?)?)
    })
}

/// The deployment's parameters, as JSON: an object whose keys are sections ("general",
/// "utilities", "storage", "compute"), each an array of `{"name": string, "value": any (a string,
/// except FILESYSTEMS which is an array), "unit": string, "description": string}`.
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_UNSUPPORTED (a
/// server without the endpoint), transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_parameters(
    c: *const firecrest_client,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    json_call("firecrest_parameters", c, json_out, |client| {
        Ok(client.parameters()?)
    })
}

/// All FirecREST micro-services and their health, as JSON: an array of `{"service": string,
/// "status": string, "status_code": integer | null, "description": string}`.
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_UNSUPPORTED
/// (FirecREST v2 has no services), transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_all_services(
    c: *const firecrest_client,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    json_call("firecrest_all_services", c, json_out, |client| {
        Ok(client.all_services()?)
    })
}

/// One micro-service, as JSON: `{"service": string, "status": string, "status_code": integer |
/// null, "description": string}`.
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_NOT_FOUND, FIRECREST_STATUS_UNSUPPORTED (FirecREST v2), transport, HTTP and
/// API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_service(
    c: *const firecrest_client,
    service: *const c_char,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    let service = || arg_str(service, "service");
    json_call("firecrest_service", c, json_out, |client| {
        Ok(client.service(service()?)?)
    })
}

/// The file systems of one system (`system` non-NULL) or of all, as JSON exactly as the server
/// describes them (v1 `/status/filesystems`, v2 the systems' `fileSystems`).
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_filesystems(
    c: *const firecrest_client,
    system: *const c_char,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    let system = || opt_str(system, "system");
    json_call("firecrest_filesystems", c, json_out, |client| {
        Ok(client.filesystems(system()?)?)
    })
}

/// The user name: with `system` NULL, from the access token's claims (no FirecREST request);
/// otherwise as `system` reports it.
///
/// On success `*username_out` receives the name, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// FIRECREST_STATUS_AUTH (no token), transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_whoami(
    c: *const firecrest_client,
    system: *const c_char,
    username_out: *mut *mut c_char,
) -> firecrest_status {
    let system = || opt_str(system, "system");
    text_call(
        "firecrest_whoami",
        c,
        username_out,
        "username_out",
        |client| Ok(client.whoami(system()?)?),
    )
}

/// The user's identity and groups on `system`, as JSON: `{"user": {"id": string, "name": string},
/// "group": {"id": string, "name": string}, "groups": [{"id": string, "name": string}, ...]}`.
///
/// On success `*json_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT,
/// transport, HTTP and API statuses.
#[no_mangle]
pub unsafe extern "C" fn firecrest_groups(
    c: *const firecrest_client,
    system: *const c_char,
    json_out: *mut *mut c_char,
) -> firecrest_status {
    let system = || arg_str(system, "system");
    json_call("firecrest_groups", c, json_out, |client| {
        Ok(client.groups(system()?)?)
    })
}
