//! Strings the library hands to C: allocated here, freed only by firecrest_string_free().

use super::boundary::{firecrest_status, CError, CResult};
use super::jsonbuild;
use serde::Serialize;
use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, LazyLock, Mutex};

/// The index of a JSON text this library handed out and C has not freed yet, written with the
/// text: a C program reading many values out of one listing never parses it (parsing it once
/// per value made reading a large listing quadratic; parsing it once still cost as much as
/// writing it).
type Doc = Arc<jsonbuild::Doc>;

/// Hashes a text's address: addresses are distinct already, so one multiplication spreads them
/// (SipHash's resistance to chosen keys buys nothing here, and costs on every get).
#[derive(Default, Clone, Copy)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
}

/// Keyed by the text's address; an entry is removed by firecrest_string_free() before the
/// memory can be reused.
static HANDED: LazyLock<Mutex<HashMap<usize, Doc, BuildHasherDefault<AddressHasher>>>> =
    LazyLock::new(Default::default);

fn handed() -> std::sync::MutexGuard<'static, HashMap<usize, Doc, BuildHasherDefault<AddressHasher>>>
{
    HANDED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The index of `p`, when `p` is a JSON text this library handed out; None for any other
/// text.
pub(crate) fn handed_json(p: *const c_char) -> Option<Doc> {
    handed().get(&(p as usize)).cloned()
}

/// A library-allocated C string. Text with a NUL byte inside cannot be a C string, so it is an
/// error naming what it was rather than a silently shortened value.
pub(crate) fn c_string(s: String, what: &str) -> CResult<*mut c_char> {
    c_string_bytes(s.into_bytes(), what)
}

/// A library-allocated C string holding a copy of `s`, allocated once at its final size.
pub(crate) fn c_bytes(s: &[u8], what: &str) -> CResult<*mut c_char> {
    let mut bytes = Vec::with_capacity(s.len() + 1);
    bytes.extend_from_slice(s);
    c_string_bytes(bytes, what)
}

fn c_string_bytes(bytes: Vec<u8>, what: &str) -> CResult<*mut c_char> {
    CString::new(bytes).map(CString::into_raw).map_err(|e| {
        CError::new(
            firecrest_status::InvalidState,
            format!(
                "{what} contains a NUL byte at offset {} and cannot be returned as a C string",
                e.nul_position()
            ),
        )
    })
}

/// The JSON text of a `src/types.rs` value (serde_json escapes NUL, so this cannot fail on it),
/// registered with its index for the getters.
pub(crate) fn c_json<T: Serialize + ?Sized>(value: &T) -> CResult<*mut c_char> {
    let (mut text, mut doc) = (Vec::with_capacity(4096), jsonbuild::Doc::default());
    jsonbuild::write(value, &mut text, &mut doc)
        .map_err(|e| CError::new(firecrest_status::Internal, format!("serialising JSON: {e}")))?;
    // Room for the NUL, so that CString::new does not grow the buffer.
    text.reserve_exact(1);
    let p = c_string_bytes(text, "the JSON text")?;
    handed().insert(p as usize, Arc::new(doc));
    Ok(p)
}

/// Frees a string returned by this library (a `char **..._out`). NULL is a no-op. Never pass a
/// string from anywhere else, and never free a library string with free().
#[no_mangle]
pub unsafe extern "C" fn firecrest_string_free(s: *mut c_char) {
    if !s.is_null() {
        super::boundary::boundary_or("firecrest_string_free", (), || {
            // Out of the map before the text is freed; the document is dropped after the lock
            // is released, so other threads' getters do not wait on a large listing's drop.
            let doc = handed().remove(&(s as usize));
            drop(CString::from_raw(s));
            drop(doc)
        });
    }
}
