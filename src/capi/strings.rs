//! Strings the library hands to C: allocated here, freed only by firecrest_string_free().

use super::boundary::{firecrest_status, CError, CResult};
use serde::Serialize;
use std::ffi::{c_char, CString};

/// A library-allocated C string. Text with a NUL byte inside cannot be a C string, so it is an
/// error naming what it was rather than a silently shortened value.
pub(crate) fn c_string(s: String, what: &str) -> CResult<*mut c_char> {
    CString::new(s).map(CString::into_raw).map_err(|e| {
        CError::new(
            firecrest_status::InvalidState,
            format!(
                "{what} contains a NUL byte at offset {} and cannot be returned as a C string",
                e.nul_position()
            ),
        )
    })
}

/// The JSON text of a `src/types.rs` value (serde_json escapes NUL, so this cannot fail on it).
pub(crate) fn c_json<T: Serialize + ?Sized>(value: &T) -> CResult<*mut c_char> {
    let text = serde_json::to_string(value)
        .map_err(|e| CError::new(firecrest_status::Internal, format!("serialising JSON: {e}")))?;
    c_string(text, "the JSON text")
}

/// Frees a string returned by this library (a `char **..._out`). NULL is a no-op. Never pass a
/// string from anywhere else, and never free a library string with free().
#[no_mangle]
pub unsafe extern "C" fn firecrest_string_free(s: *mut c_char) {
    if !s.is_null() {
        super::boundary::boundary_or("firecrest_string_free", (), || drop(CString::from_raw(s)));
    }
}
