//! Authorization objects (pyfirecrest's `ClientCredentialsAuth` and friends).

use super::boundary::{arg_str, boundary, boundary_or, firecrest_status, Out};
use crate::auth::Auth;
use crate::error::{Error, ErrorKind, Result};
use std::ffi::{c_char, c_void};

/// An authorization object: how clients obtain access tokens. Opaque; create it with one of the
/// firecrest_auth_*_new() functions and free it with firecrest_auth_free(). Clients made from it
/// keep their own reference, so it may be freed as soon as the clients exist. Clients made from
/// one auth object share its token cache.
pub struct firecrest_auth {
    pub(crate) auth: Auth,
}

/// Supplies an access token: write it, NUL-terminated, into `buf` (`buf_len` bytes, at least
/// 16384) and return 0. A non-zero return fails the request that needed the token with
/// FIRECREST_STATUS_ABORTED_BY_CALLBACK.
///
/// It is called whenever a client needs a token (the library does not cache what it returns), on
/// the thread making that call: when a client is shared between threads, concurrently from
/// several of them.
pub type firecrest_token_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, buf: *mut c_char, buf_len: usize) -> i32>;

const TOKEN_BUFFER_LEN: usize = 16384;

struct TokenCallback {
    cb: unsafe extern "C" fn(*mut c_void, *mut c_char, usize) -> i32,
    userdata: *mut c_void,
}

// SAFETY: the C caller promises (see firecrest_auth_callback_new) that the callback and its
// userdata may be used from any thread that uses a client built from this auth object.
unsafe impl Send for TokenCallback {}
unsafe impl Sync for TokenCallback {}

impl TokenCallback {
    fn token(&self) -> Result<String> {
        let mut buf = vec![0u8; TOKEN_BUFFER_LEN];
        // SAFETY: buf is writable for its whole length; the callback contract is the caller's.
        let rc = unsafe { (self.cb)(self.userdata, buf.as_mut_ptr().cast(), buf.len()) };
        if rc != 0 {
            return Err(Error::new(
                ErrorKind::AbortedByCallback,
                format!("the token callback returned {rc}"),
            ));
        }
        let len = buf.iter().position(|&b| b == 0).ok_or_else(|| {
            Error::invalid_argument(format!(
                "the token callback did not NUL-terminate its token within {TOKEN_BUFFER_LEN} bytes"
            ))
        })?;
        buf.truncate(len);
        let token = String::from_utf8(buf).map_err(|_| {
            Error::invalid_argument("the token callback wrote a token that is not UTF-8")
        })?;
        if token.is_empty() {
            return Err(Error::invalid_argument(
                "the token callback wrote an empty token",
            ));
        }
        Ok(token)
    }
}

fn new_auth(auth: Auth, auth_out: Out<*mut firecrest_auth>) {
    // SAFETY: checked by Out::new.
    unsafe { auth_out.write(Box::into_raw(Box::new(firecrest_auth { auth }))) }
}

/// OAuth2 client credentials (pyfirecrest's `ClientCredentialsAuth`): `client_id` and
/// `client_secret` are sent as form fields to `token_url`; tokens are reused until shortly before
/// they expire. No request is made here; a wrong secret shows on the first call that needs a token
/// (FIRECREST_STATUS_AUTH).
///
/// On success `*auth_out` receives a new object, freed with firecrest_auth_free(). The strings
/// are copied.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, or empty).
#[no_mangle]
pub unsafe extern "C" fn firecrest_auth_client_credentials_new(
    client_id: *const c_char,
    client_secret: *const c_char,
    token_url: *const c_char,
    auth_out: *mut *mut firecrest_auth,
) -> firecrest_status {
    boundary("firecrest_auth_client_credentials_new", || {
        let (id, secret, url) = credentials(client_id, client_secret, token_url)?;
        let out = Out::new(auth_out, "auth_out")?;
        new_auth(Auth::client_credentials(id, secret, url), out);
        Ok(())
    })
}

/// OAuth2 client credentials sent by HTTP Basic authentication (`client_secret_basic`, pyfirecrest's
/// `client_auth_method="client_secret_basic"`): as firecrest_auth_client_credentials_new(), but
/// `client_id:client_secret` travel in the token request's Authorization header instead of its
/// form, as some identity providers require.
///
/// On success `*auth_out` receives a new object, freed with firecrest_auth_free(). The strings
/// are copied.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, or empty).
#[no_mangle]
pub unsafe extern "C" fn firecrest_auth_client_credentials_basic_new(
    client_id: *const c_char,
    client_secret: *const c_char,
    token_url: *const c_char,
    auth_out: *mut *mut firecrest_auth,
) -> firecrest_status {
    boundary("firecrest_auth_client_credentials_basic_new", || {
        let (id, secret, url) = credentials(client_id, client_secret, token_url)?;
        let out = Out::new(auth_out, "auth_out")?;
        new_auth(Auth::client_credentials_basic(id, secret, url), out);
        Ok(())
    })
}

/// Tokens printed by a command (pyfirecrest's `TokenCommandAuth`): `/bin/sh -c command`, whose
/// standard output, trimmed of surrounding white space, is the access token. A token that is a
/// JWT is reused until shortly before its `exp` (firecrest_options_set_token_refresh_margin_s(),
/// 60 s by default); any other token is asked for before every request. A command
/// that exits non-zero, prints nothing, or runs longer than `timeout_ms` (0: 60 000) fails the
/// request that needed the token with FIRECREST_STATUS_AUTH, and the message quotes the end of
/// its standard error (without the token or anything shaped like one). The command itself is
/// never shown in messages or logs.
///
/// The command runs with the calling program's environment and working directory, on the thread
/// that needs the token (one at a time per auth object).
///
/// On success `*auth_out` receives a new object, freed with firecrest_auth_free(). The string
/// is copied.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, or only white space).
#[no_mangle]
pub unsafe extern "C" fn firecrest_auth_token_command_new(
    command: *const c_char,
    timeout_ms: u64,
    auth_out: *mut *mut firecrest_auth,
) -> firecrest_status {
    boundary("firecrest_auth_token_command_new", || {
        let command = arg_str(command, "command")?;
        let out = Out::new(auth_out, "auth_out")?;
        let mut auth = Auth::token_command(command);
        if timeout_ms > 0 {
            auth = auth.with_command_timeout(std::time::Duration::from_millis(timeout_ms));
        }
        auth.check()?;
        new_auth(auth, out);
        Ok(())
    })
}

/// An API key (pyfirecrest's `ApiKeyAuth`), sent as it is on every request in the header
/// `header_name` (nullable: "X-API-Key") instead of `Authorization: Bearer`. There is no
/// refresh: a refused key is FIRECREST_STATUS_UNAUTHORIZED. Operations that read the user from the
/// token (firecrest_whoami() without a system) need a system with an API key.
///
/// On success `*auth_out` receives a new object, freed with firecrest_auth_free(). The strings
/// are copied.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, an empty key, a key with control characters, a header name that is not one).
#[no_mangle]
pub unsafe extern "C" fn firecrest_auth_api_key_new(
    api_key: *const c_char,
    header_name: *const c_char,
    auth_out: *mut *mut firecrest_auth,
) -> firecrest_status {
    boundary("firecrest_auth_api_key_new", || {
        let key = arg_str(api_key, "api_key")?;
        let header = super::boundary::opt_str(header_name, "header_name")?;
        let out = Out::new(auth_out, "auth_out")?;
        let mut auth = Auth::api_key(key);
        if let Some(h) = header {
            auth = auth.with_api_key_header(h);
        }
        auth.check()?;
        new_auth(auth, out);
        Ok(())
    })
}

/// A fixed access token, sent as it is (no refresh).
///
/// On success `*auth_out` receives a new object, freed with firecrest_auth_free(). The token is
/// copied.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, or empty).
#[no_mangle]
pub unsafe extern "C" fn firecrest_auth_static_token_new(
    access_token: *const c_char,
    auth_out: *mut *mut firecrest_auth,
) -> firecrest_status {
    boundary("firecrest_auth_static_token_new", || {
        let token = non_empty(arg_str(access_token, "access_token")?, "access_token")?;
        let out = Out::new(auth_out, "auth_out")?;
        new_auth(Auth::static_token(token), out);
        Ok(())
    })
}

/// Tokens from the caller's own function (see firecrest_token_cb), e.g. one reading a token file
/// that another process refreshes.
///
/// `cb` and `userdata` are stored: they must stay valid until every client made from this object
/// is freed, and be safe to call from every thread that uses those clients.
///
/// On success `*auth_out` receives a new object, freed with firecrest_auth_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT (`cb` or `auth_out`).
#[no_mangle]
pub unsafe extern "C" fn firecrest_auth_callback_new(
    cb: firecrest_token_cb,
    userdata: *mut c_void,
    auth_out: *mut *mut firecrest_auth,
) -> firecrest_status {
    boundary("firecrest_auth_callback_new", || {
        let cb = cb.ok_or_else(|| super::boundary::null_argument("cb"))?;
        let out = Out::new(auth_out, "auth_out")?;
        let provider = TokenCallback { cb, userdata };
        new_auth(Auth::provider(move || provider.token()), out);
        Ok(())
    })
}

/// Frees an authorization object. NULL is a no-op; freeing twice is undefined behaviour. Clients
/// made from it keep working.
#[no_mangle]
pub unsafe extern "C" fn firecrest_auth_free(auth: *mut firecrest_auth) {
    if !auth.is_null() {
        boundary_or("firecrest_auth_free", (), || drop(Box::from_raw(auth)));
    }
}

/// The three strings of client credentials, each required and not empty.
///
/// # Safety
/// As `arg_str`, for each pointer.
unsafe fn credentials<'a>(
    client_id: *const c_char,
    client_secret: *const c_char,
    token_url: *const c_char,
) -> Result<(&'a str, &'a str, &'a str), super::boundary::CError> {
    Ok((
        non_empty(arg_str(client_id, "client_id")?, "client_id")?,
        non_empty(arg_str(client_secret, "client_secret")?, "client_secret")?,
        non_empty(arg_str(token_url, "token_url")?, "token_url")?,
    ))
}

fn non_empty<'a>(s: &'a str, name: &str) -> Result<&'a str> {
    if s.is_empty() {
        Err(Error::invalid_argument(format!(
            "argument `{name}` is empty"
        )))
    } else {
        Ok(s)
    }
}
