//! Strings the library hands to C: allocated here, freed only by firecrest_string_free().

use super::boundary::{firecrest_status, CError, CResult};
use super::jsondoc::Node;
use serde::Serialize;
use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::sync::{Arc, LazyLock, Mutex};

/// A JSON text this library handed out and C has not freed yet, and its parsed form once a
/// getter asked for it: a C program reading many values out of one listing parses it once,
/// not once per value (which made reading a large listing quadratic).
struct Handed {
    len: usize,
    /// Borrows from the text, which outlives it: the entry goes before the text is freed.
    doc: Option<Arc<Node<'static>>>,
}

/// Keyed by the text's address; an entry is removed by firecrest_string_free() before the
/// memory can be reused.
static HANDED: LazyLock<Mutex<HashMap<usize, Handed>>> = LazyLock::new(Default::default);

fn handed() -> std::sync::MutexGuard<'static, HashMap<usize, Handed>> {
    HANDED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The parsed document of `p`, when `p` is a JSON text this library handed out (parsed on the
/// first call, shared afterwards); None for any other text.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string.
pub(crate) unsafe fn handed_json(p: *const c_char) -> Option<CResult<Arc<Node<'static>>>> {
    let len = {
        let map = handed();
        let h = map.get(&(p as usize))?;
        if let Some(doc) = &h.doc {
            return Some(Ok(doc.clone()));
        }
        h.len
    };
    // Parsed outside the lock: other threads' getters on other texts go on meanwhile.
    // SAFETY: the library allocated `len` bytes and a NUL at `p`, and C has not freed them
    // (firecrest_string_free removes the entry first).
    let bytes: &'static [u8] = std::slice::from_raw_parts(p.cast::<u8>(), len);
    let doc = match serde_json::from_slice::<Node<'static>>(bytes) {
        Ok(v) => Arc::new(v),
        // Changed in place by the caller: not the text handed out any more.
        Err(e) => {
            return Some(Err(CError::new(
                firecrest_status::Json,
                format!("argument `json` is not valid JSON: {e}"),
            )))
        }
    };
    if let Some(h) = handed().get_mut(&(p as usize)) {
        h.doc = Some(doc.clone());
    }
    Some(Ok(doc))
}

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
    let len = text.len();
    let p = c_string(text, "the JSON text")?;
    handed().insert(p as usize, Handed { len, doc: None });
    Ok(p)
}

/// Frees a string returned by this library (a `char **..._out`). NULL is a no-op. Never pass a
/// string from anywhere else, and never free a library string with free().
#[no_mangle]
pub unsafe extern "C" fn firecrest_string_free(s: *mut c_char) {
    if !s.is_null() {
        super::boundary::boundary_or("firecrest_string_free", (), || {
            handed().remove(&(s as usize));
            drop(CString::from_raw(s))
        });
    }
}
