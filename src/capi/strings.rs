//! Strings the library hands to C: allocated here, freed only by firecrest_string_free().

use super::boundary::{firecrest_status, CError, CResult};
use super::jsonbuild;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// The index of a JSON text this library handed out and C has not freed yet, written with the
/// text: a C program reading many values out of one listing never parses it (parsing it once
/// per value made reading a large listing quadratic; parsing it once still cost as much as
/// writing it).
type Doc = Arc<jsonbuild::Doc>;

/// A JSON text handed out: its index, and the capacity of the buffer it was written in (the
/// buffer is taken back whole when C frees the text).
struct Handed {
    doc: Doc,
    capacity: usize,
}

/// The buffers of a JSON text and its index, kept after C freed them for the next text. A
/// large listing's text and index are megabytes: allocated afresh for every call, the allocator
/// gave them back to the kernel and took them again each time, page by page (hundreds of page
/// faults per call, as much CPU as writing them).
#[derive(Default)]
struct Spare {
    text: Vec<u8>,
    doc: jsonbuild::Doc,
}

/// At most this many sets of buffers are kept (threads listing at the same time each need
/// one), and none larger than `SPARE_BYTES` (a listing of about 100,000 entries): what stays
/// allocated after the last text is freed is bounded.
const SPARES: usize = 2;
const SPARE_BYTES: usize = 16 << 20;

static SPARE: Mutex<Vec<Spare>> = Mutex::new(Vec::new());

fn spares() -> std::sync::MutexGuard<'static, Vec<Spare>> {
    SPARE.lock().unwrap_or_else(|e| e.into_inner())
}

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
type HandedMap = HashMap<usize, Handed, BuildHasherDefault<AddressHasher>>;

static HANDED: LazyLock<Mutex<HandedMap>> = LazyLock::new(Default::default);

fn handed() -> std::sync::MutexGuard<'static, HandedMap> {
    HANDED.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many JSON texts were freed so far: a freed text's address may then be another text's,
/// so a thread's remembered lookup ([`LAST`]) holds only while this has not moved.
static FREED: AtomicU64 = AtomicU64::new(0);

/// How many JSON texts are handed out and not freed: raised before a text's address is
/// returned, lowered after `FREED` counts its freeing.
static LIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The last JSON text this thread looked up (its address, `FREED` then, its index): a C
    /// program reading many values out of one text finds it without taking the registry's
    /// lock, and without counting references, on every get.
    static LAST: RefCell<Option<(usize, u64, Doc)>> = const { RefCell::new(None) };
}

/// Runs `f` with the index of `p` when `p` is a JSON text this library handed out (None for
/// any other text).
pub(crate) fn with_handed_json<R>(
    p: *const c_char,
    f: impl FnOnce(Option<&jsonbuild::Doc>) -> R,
) -> R {
    let freed = FREED.load(Ordering::Acquire);
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        let known = matches!(&*last, Some((at, then, _)) if *at == p as usize && *then == freed);
        if !known {
            *last = handed()
                .get(&(p as usize))
                .map(|h| (p as usize, freed, h.doc.clone()));
        }
        f(last.as_ref().map(|(_, _, doc)| &**doc))
    })
}

/// A library-allocated C string. Text with a NUL byte inside cannot be a C string, so it is an
/// error naming what it was rather than a silently shortened value.
pub(crate) fn c_string(s: String, what: &str) -> CResult<*mut c_char> {
    c_string_bytes(s.into_bytes(), what)
}

/// A library-allocated C string holding a copy of `s`, which the caller knows holds no NUL (a
/// value read out of a JSON text this library wrote): not scanned for one again.
pub(crate) fn c_bytes_without_nul(s: &[u8]) -> *mut c_char {
    debug_assert!(!s.contains(&0));
    let mut bytes = Vec::with_capacity(s.len() + 1);
    bytes.extend_from_slice(s);
    // SAFETY: no NUL inside, as the caller knows.
    unsafe { CString::from_vec_unchecked(bytes) }.into_raw()
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
    hand_out(|text, doc| jsonbuild::write(value, text, doc).map_err(serialising))
}

/// As [`c_json`], for an array whose elements `fill` pushes one by one as it reads them.
pub(crate) fn c_json_array(
    fill: impl FnOnce(&mut jsonbuild::ArrayWriter<'_, '_>) -> CResult<()>,
) -> CResult<*mut c_char> {
    hand_out(|text, doc| jsonbuild::write_array(text, doc, fill).map_err(serialising)?)
}

fn serialising(e: jsonbuild::BuildError) -> CError {
    CError::new(firecrest_status::Internal, format!("serialising JSON: {e}"))
}

/// A JSON text `write` writes (into buffers kept from an earlier text, when there are some),
/// handed out and registered with its index for the getters.
fn hand_out(
    write: impl FnOnce(&mut Vec<u8>, &mut jsonbuild::Doc) -> CResult<()>,
) -> CResult<*mut c_char> {
    let Spare { mut text, mut doc } = spares().pop().unwrap_or_default();
    write(&mut text, &mut doc)?;
    // No NUL inside: JSON's own characters are printable, and the writer escapes every control
    // character of a string or a field name (as `\u0000` for NUL).
    debug_assert!(!text.contains(&0));
    text.push(0);
    // Handed to C as it is, capacity and all, and taken back whole by firecrest_string_free().
    let mut text = std::mem::ManuallyDrop::new(text);
    let (p, capacity) = (text.as_mut_ptr(), text.capacity());
    let doc = Arc::new(doc);
    handed().insert(p as usize, Handed { doc, capacity });
    LIVE.fetch_add(1, Ordering::Release);
    Ok(p.cast::<c_char>())
}

/// Takes back the buffers of a JSON text C freed, keeping them for the next one when there is
/// room.
///
/// # Safety
/// `p` is the text `handed` was registered for by [`c_json`], now out of the registry.
unsafe fn take_back(p: *mut c_char, handed: Handed) {
    let len = handed.doc.text_len() + 1;
    // SAFETY: c_json made `p` from a Vec<u8> of this length (the text and its NUL) and capacity
    // and forgot it; C hands a text back once.
    let mut text = Vec::from_raw_parts(p.cast::<u8>(), len, handed.capacity);
    // A getter still holding the index (another thread reading a text being freed, which the
    // C contract forbids) keeps it; only an index no one else holds is reused.
    if let Ok(doc) = Arc::try_unwrap(handed.doc) {
        if text.capacity() + doc.capacity_bytes() <= SPARE_BYTES {
            let mut spares = spares();
            if spares.len() < SPARES {
                text.clear();
                spares.push(Spare { text, doc });
            }
        }
    }
}

/// Whether `s`, a string this library returned and C has not freed, is surely no JSON text
/// (so freeing it needs no look into the registry, whose lock costs more than the free): no
/// text is handed out, or only one, which this thread looked up last and which is not `s`.
/// A C program freeing each value it read out of a listing frees thousands of these.
fn surely_not_handed(s: *mut c_char) -> bool {
    // `LIVE` is read before `FREED`: a text freed meanwhile by another thread has raised
    // `FREED` before lowering `LIVE`, so a count that misses it comes with an epoch that
    // shows it.
    match LIVE.load(Ordering::Acquire) {
        0 => true,
        1 => {
            let freed = FREED.load(Ordering::Acquire);
            // (A thread being torn down has no remembered lookup left: the registry decides.)
            LAST.try_with(|last| {
                matches!(&*last.borrow(), Some((at, then, _)) if *then == freed && *at != s as usize)
            })
            .unwrap_or(false)
        }
        _ => false,
    }
}

/// Frees a string returned by this library (a `char **..._out`). NULL is a no-op. Never pass a
/// string from anywhere else, and never free a library string with free().
///
/// The memory of a freed JSON text (and of what the getters read it by) is kept for the next
/// JSON text the library writes, so that listing a large directory again and again does not
/// allocate it afresh each time: at most two such sets of buffers, none over 16 MiB.
#[no_mangle]
pub unsafe extern "C" fn firecrest_string_free(s: *mut c_char) {
    if !s.is_null() {
        super::boundary::boundary_or("firecrest_string_free", (), || {
            if surely_not_handed(s) {
                drop(CString::from_raw(s));
                return;
            }
            // Out of the map before the text is freed or reused, and counted, so that no thread
            // takes another text at this address for it.
            let handed = {
                let mut map = handed();
                let handed = map.remove(&(s as usize));
                if handed.is_some() {
                    FREED.fetch_add(1, Ordering::Release);
                    LIVE.fetch_sub(1, Ordering::Release);
                }
                handed
            };
            match handed {
                Some(handed) => {
                    // This thread's remembered lookup lets go of the index, so that it can be
                    // reused.
                    // (A thread being torn down has no remembered lookup left to let go.)
                    let _ = LAST.try_with(|last| {
                        let mut last = last.borrow_mut();
                        if matches!(&*last, Some((at, _, _)) if *at == s as usize) {
                            *last = None;
                        }
                    });
                    take_back(s, handed)
                }
                None => drop(CString::from_raw(s)),
            }
        });
    }
}
