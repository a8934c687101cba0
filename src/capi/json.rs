//! Reading the library's JSON from C or Fortran without a JSON library: RFC 6901 pointers.

use super::boundary::{arg_str, boundary, firecrest_status, null_argument, Out};
use super::boundary::{CError, CResult};
use super::jsonbuild::{self, Doc, Found, Kind};
use super::jsondoc::Node;
use super::strings::{c_bytes_without_nul, with_handed_json};
use std::ffi::{c_char, CStr, CString};

fn json_error(message: String) -> CError {
    CError::new(firecrest_status::Json, message)
}

/// Runs `f` on the value `pointer` designates in `json` (`f` is given the pointer for its
/// messages; `what` names the pointer in this function's own, e.g. "argument `pointer`"). A
/// JSON text this library returned is read through the index written with it, without
/// parsing; any other text is parsed and written again with an index, so that both are read
/// the same way.
unsafe fn at_pointer<T>(
    json: *const c_char,
    pointer: *const c_char,
    what: &str,
    f: impl FnOnce(Found<'_>, Shown<'_>) -> CResult<T>,
) -> CResult<T> {
    with_handed_json(json, |handed| {
        let given = match handed {
            Some(_) => None,
            None => Some(arg_str(json, "json")?),
        };
        if pointer.is_null() {
            return Err(null_argument("pointer"));
        }
        // Looked up as bytes: a pointer that finds something matched UTF-8 field names and
        // digits only, so it is UTF-8 itself; it is checked when it finds nothing.
        let bytes = CStr::from_ptr(pointer).to_bytes();
        if bytes.first().is_some_and(|&b| b != b'/') {
            return Err(not_a_pointer(
                "pointer",
                arg_str(pointer.cast(), "pointer")?,
            ));
        }
        let foreign: (Vec<u8>, Doc);
        let (text, doc): (&[u8], &Doc) = match (handed, given) {
            (Some(doc), _) => (handed_text(json, doc), doc),
            (None, given) => {
                let node: Node<'_> = serde_json::from_str(given.unwrap_or_default())
                    .map_err(|e| json_error(format!("argument `json` is not valid JSON: {e}")))?;
                let (mut text, mut doc) = (Vec::new(), Doc::default());
                jsonbuild::write(&node, &mut text, &mut doc)
                    .map_err(|e| json_error(format!("argument `json`: {e}")))?;
                foreign = (text, doc);
                (&foreign.0, &foreign.1)
            }
        };
        match doc.pointer(text, bytes) {
            Some(value) => f(value, Shown(bytes)),
            None => {
                let pointer = arg_str(pointer, "pointer")?;
                Err(CError::invalid_argument(format!(
                    "{what} (\"{pointer}\") matches nothing in the JSON"
                )))
            }
        }
    })
}

/// The bytes of `json`, a text this library handed out, whose index `doc` is.
///
/// # Safety
/// `doc` is the index registered for `json` (found by [`with_handed_json`]): `json` is the
/// library's own text, not freed since it is still registered, `text_len` bytes long.
unsafe fn handed_text(json: *const c_char, doc: &Doc) -> &[u8] {
    std::slice::from_raw_parts(json.cast::<u8>(), doc.text_len())
}

/// Where a getter's value is: at a pointer, or at a pointer from an element of an array.
enum Place<'p> {
    Pointer(&'p [u8]),
    Element {
        array: &'p [u8],
        index: usize,
        member: &'p [u8],
    },
}

impl<'p> Place<'p> {
    /// # Safety
    /// `pointer` is NULL (no place) or a NUL-terminated string outliving `'p`.
    unsafe fn pointer(pointer: *const c_char) -> Option<Place<'p>> {
        (!pointer.is_null()).then(|| Place::Pointer(CStr::from_ptr(pointer).to_bytes()))
    }

    /// # Safety
    /// `array` and `member` are NULL (no place) or NUL-terminated strings outliving `'p`.
    unsafe fn element(
        array: *const c_char,
        index: usize,
        member: *const c_char,
    ) -> Option<Place<'p>> {
        if array.is_null() || member.is_null() {
            return None;
        }
        Some(Place::Element {
            array: CStr::from_ptr(array).to_bytes(),
            index,
            member: CStr::from_ptr(member).to_bytes(),
        })
    }

    #[inline(always)]
    fn find<'a>(&self, doc: &'a Doc, text: &'a [u8]) -> Option<Found<'a>> {
        match *self {
            Place::Pointer(pointer) => doc.pointer(text, pointer),
            Place::Element {
                array,
                index,
                member,
            } => doc.element(text, array, index, member),
        }
    }
}

/// What `f` makes of the value at `place` in `json`, when `json` is a text this library handed
/// out and `f` can make something of it; None otherwise, and the getter's whole path
/// ([`at_pointer`]) then says why. A C program reads thousands of values out of one listing:
/// each is read here without carrying what an error would need.
#[inline(always)]
unsafe fn quick<T>(
    json: *const c_char,
    place: Option<Place<'_>>,
    f: impl FnOnce(Found<'_>) -> Option<T>,
) -> Option<T> {
    let place = place?;
    with_handed_json(json, |doc| {
        let doc = doc?;
        f(place.find(doc, handed_text(json, doc))?)
    })
}

/// A getter's value: what `lean` makes of the value at `place` ([`quick`]), or else what the
/// getter's whole path makes, which says why there is none.
#[inline(always)]
unsafe fn read<T>(
    json: *const c_char,
    place: Option<Place<'_>>,
    lean: impl FnOnce(Found<'_>) -> Option<T>,
    whole: impl FnOnce() -> CResult<T>,
) -> CResult<T> {
    match quick(json, place, lean) {
        Some(value) => Ok(value),
        None => whole(),
    }
}

/// The pointer an element getter reads, `array` + "/" + `index` + `member`, for its whole
/// path: each part checked first, so that an error names the argument at fault (a `member`
/// without its leading '/' would otherwise run into the index and name another field).
unsafe fn element_pointer(
    array: *const c_char,
    index: usize,
    member: *const c_char,
) -> CResult<CString> {
    let part = |p: *const c_char, name: &str| -> CResult<String> {
        let text = arg_str(p, name)?;
        if text.starts_with('/') || text.is_empty() {
            return Ok(text.to_owned());
        }
        Err(not_a_pointer(name, text))
    };
    let (array, member) = (part(array, "array")?, part(member, "member")?);
    // Both came from C strings: no NUL inside.
    Ok(CString::new(format!("{array}/{index}{member}")).expect("no NUL in C strings"))
}

/// The error of an argument that is no RFC 6901 pointer.
fn not_a_pointer(name: &str, text: &str) -> CError {
    CError::invalid_argument(format!(
        "argument `{name}` (\"{text}\") is not a JSON pointer: it must be empty or start with '/'"
    ))
}

/// What [`at_pointer`]'s messages call an element getter's pointer.
const ELEMENT: &str = "the pointer made of `array`, `index` and `member`";
const POINTER: &str = "argument `pointer`";

/// Why a value is no C string.
enum NoText {
    Null,
    HoldsNul,
    Unreadable,
}

/// The value as a library-allocated C string: a string's own characters (unescaped); a
/// number, boolean, array or object as its compact text.
fn c_text(v: &Found<'_>) -> Result<*mut c_char, NoText> {
    match v.kind() {
        Kind::Str => {
            let s = v.string().ok_or(NoText::Unreadable)?;
            // Only an escaped string can hold a NUL: the text itself holds none, it writes one
            // as `\u0000`.
            if matches!(s, std::borrow::Cow::Owned(_)) && s.contains(&0) {
                return Err(NoText::HoldsNul);
            }
            Ok(c_bytes_without_nul(&s))
        }
        Kind::Null => Err(NoText::Null),
        // A number, boolean, array or object: its compact text, as written.
        _ => Ok(c_bytes_without_nul(v.raw())),
    }
}

/// The value as an integer: a JSON integer, or a string holding a decimal integer.
fn integer(v: &Found<'_>) -> Option<i64> {
    match v.kind() {
        Kind::Number => json_integer(v.raw()),
        Kind::Str => std::str::from_utf8(&v.string()?).ok()?.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON number's text as an `i64`, when it is an integer that fits: what `str::parse` makes
/// of it, read straight from the bytes, as a listing's thousands of sizes are.
fn json_integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // Counted below zero, where i64 reaches one further (i64::MIN has no positive twin).
    let mut n = 0i64;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_sub(i64::from(d))?;
    }
    if negative {
        Some(n)
    } else {
        n.checked_neg()
    }
}

/// A pointer that found something, for messages: UTF-8 (it matched field names and digits),
/// turned into text only when a message is written.
#[derive(Clone, Copy)]
struct Shown<'a>(&'a [u8]);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.0))
    }
}

fn type_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Null => "null",
        Kind::Bool => "a boolean",
        Kind::Number => "a number",
        Kind::Str => "a string",
        Kind::Array => "an array",
        Kind::Object => "an object",
    }
}

/// A string value whose characters cannot be read back (the index of a text the library wrote
/// always has them).
fn unreadable() -> CError {
    CError::new(
        firecrest_status::Internal,
        "a string of the JSON text cannot be read back",
    )
}

/// The value at the RFC 6901 `pointer` (e.g. "/0/system"; "" is the whole document) in the JSON
/// text `json`, as text: a string's own characters (unescaped); a number, boolean, array or
/// object as compact JSON text.
///
/// A JSON text this library returned (and not yet freed) is never parsed: the library kept an
/// index of where each value sits in it when it wrote it, and every get goes straight to the
/// value, so reading every entry of a large listing costs no parse at all. Such a text must not
/// be changed in place (the getters read it through that index, and would find wrong values or
/// fail); copy it first.
///
/// On success `*value_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, a malformed pointer, or nothing at the pointer), FIRECREST_STATUS_JSON (`json` is
/// not JSON, the value is null, or a string holding a NUL character).
#[no_mangle]
pub unsafe extern "C" fn firecrest_json_get_string(
    json: *const c_char,
    pointer: *const c_char,
    value_out: *mut *mut c_char,
) -> firecrest_status {
    boundary("firecrest_json_get_string", || {
        let out = Out::new(value_out, "value_out")?;
        let place = Place::pointer(pointer);
        out.write(read(
            json,
            place,
            |v| c_text(&v).ok(),
            || text_at(json, pointer, POINTER),
        )?);
        Ok(())
    })
}

/// firecrest_json_get_string's whole path, which says why there is no text.
unsafe fn text_at(json: *const c_char, pointer: *const c_char, what: &str) -> CResult<*mut c_char> {
    at_pointer(json, pointer, what, |v, pointer| {
        c_text(&v).map_err(|why| match why {
            NoText::Null => json_error(format!("the value at \"{pointer}\" is null")),
            // The documented status for a string that no C string can hold.
            NoText::HoldsNul => json_error(format!(
                "the string at \"{pointer}\" holds a NUL character and cannot be returned as a C string"
            )),
            NoText::Unreadable => unreadable(),
        })
    })
}

/// The integer at the RFC 6901 `pointer` in the JSON text `json`: a JSON integer, or a string
/// holding a decimal integer (e.g. "42", as some FirecREST fields are sent).
///
/// On success `*value_out` receives it.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, a malformed pointer, or nothing at the pointer), FIRECREST_STATUS_JSON (`json` is
/// not JSON, or the value is not an integer that fits int64_t).
#[no_mangle]
pub unsafe extern "C" fn firecrest_json_get_int(
    json: *const c_char,
    pointer: *const c_char,
    value_out: *mut i64,
) -> firecrest_status {
    boundary("firecrest_json_get_int", || {
        let out = Out::new(value_out, "value_out")?;
        let place = Place::pointer(pointer);
        out.write(read(
            json,
            place,
            |v| integer(&v),
            || integer_at(json, pointer, POINTER),
        )?);
        Ok(())
    })
}

/// firecrest_json_get_int's whole path, which says why there is no integer.
unsafe fn integer_at(json: *const c_char, pointer: *const c_char, what: &str) -> CResult<i64> {
    at_pointer(json, pointer, what, |v, pointer| {
        if v.kind() == Kind::Str && v.string().is_none() {
            return Err(unreadable());
        }
        integer(&v).ok_or_else(|| {
            // A number or boolean is shown; a string or container may be a presigned URL
            // or a whole answer, which does not belong in an error message.
            let shown = match v.kind() {
                Kind::Number | Kind::Bool => {
                    format!(" ({})", String::from_utf8_lossy(v.raw()))
                }
                _ => String::new(),
            };
            json_error(format!(
                "the value at \"{pointer}\" is {}{shown}, not an integer that fits int64_t",
                type_name(v.kind())
            ))
        })
    })
}

/// As firecrest_json_get_string, for the value at `member`, an RFC 6901 pointer from element
/// `index` (from 0) of the array at the pointer `array`: the value firecrest_json_get_string
/// finds at `array` + "/" + `index` + `member`, e.g. `("", 17, "/name")` for "/17/name".
/// A program reading every entry of a listing need not write a pointer for each value.
///
/// On success `*value_out` receives the text, freed with firecrest_string_free().
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, `array` or `member` neither empty nor starting with '/', or nothing there),
/// FIRECREST_STATUS_JSON (`json` is not JSON, the value is null, or a string holding a NUL
/// character).
#[no_mangle]
pub unsafe extern "C" fn firecrest_json_get_string_at(
    json: *const c_char,
    array: *const c_char,
    index: usize,
    member: *const c_char,
    value_out: *mut *mut c_char,
) -> firecrest_status {
    boundary("firecrest_json_get_string_at", || {
        let out = Out::new(value_out, "value_out")?;
        let place = Place::element(array, index, member);
        out.write(read(
            json,
            place,
            |v| c_text(&v).ok(),
            || {
                let pointer = element_pointer(array, index, member)?;
                text_at(json, pointer.as_ptr(), ELEMENT)
            },
        )?);
        Ok(())
    })
}

/// As firecrest_json_get_int, for the value at `member`, an RFC 6901 pointer from element
/// `index` (from 0) of the array at the pointer `array` (see firecrest_json_get_string_at).
///
/// On success `*value_out` receives it.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, `array` or `member` neither empty nor starting with '/', or nothing there),
/// FIRECREST_STATUS_JSON (`json` is not JSON, or the value is not an integer that fits
/// int64_t).
#[no_mangle]
pub unsafe extern "C" fn firecrest_json_get_int_at(
    json: *const c_char,
    array: *const c_char,
    index: usize,
    member: *const c_char,
    value_out: *mut i64,
) -> firecrest_status {
    boundary("firecrest_json_get_int_at", || {
        let out = Out::new(value_out, "value_out")?;
        let place = Place::element(array, index, member);
        out.write(read(
            json,
            place,
            |v| integer(&v),
            || {
                let pointer = element_pointer(array, index, member)?;
                integer_at(json, pointer.as_ptr(), ELEMENT)
            },
        )?);
        Ok(())
    })
}

/// The number of elements of the array at the RFC 6901 `pointer` in the JSON text `json`
/// ("" for a document that is an array).
///
/// On success `*len_out` receives it.
///
/// Returns FIRECREST_STATUS_OK, FIRECREST_STATUS_NULL_ARGUMENT, FIRECREST_STATUS_INVALID_ARGUMENT
/// (not UTF-8, a malformed pointer, or nothing at the pointer), FIRECREST_STATUS_JSON (`json` is
/// not JSON, or the value is not an array).
#[no_mangle]
pub unsafe extern "C" fn firecrest_json_array_len(
    json: *const c_char,
    pointer: *const c_char,
    len_out: *mut usize,
) -> firecrest_status {
    boundary("firecrest_json_array_len", || {
        let out = Out::new(len_out, "len_out")?;
        let n = at_pointer(json, pointer, POINTER, |v, pointer| {
            v.array_len().ok_or_else(|| {
                json_error(format!(
                    "the value at \"{pointer}\" is {}, not an array",
                    type_name(v.kind())
                ))
            })
        })?;
        out.write(n);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::{CStr, CString};

    fn get_string(json: &str, pointer: &str) -> (firecrest_status, Option<String>) {
        let (j, p) = (CString::new(json).unwrap(), CString::new(pointer).unwrap());
        let mut out: *mut c_char = std::ptr::null_mut();
        let s = unsafe { firecrest_json_get_string(j.as_ptr(), p.as_ptr(), &mut out) };
        if out.is_null() {
            return (s, None);
        }
        let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
        unsafe { crate::capi::strings::firecrest_string_free(out) };
        (s, Some(text))
    }

    fn last_error() -> String {
        let mut buf = [0 as c_char; 512];
        let mut len = 0usize;
        let s = unsafe {
            crate::capi::boundary::firecrest_last_error_message(
                buf.as_mut_ptr(),
                buf.len(),
                &mut len,
            )
        };
        assert_eq!(s, firecrest_status::Ok);
        unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_str()
            .unwrap()
            .to_string()
    }

    fn get_int(json: &str, pointer: &str) -> (firecrest_status, i64) {
        let (j, p) = (CString::new(json).unwrap(), CString::new(pointer).unwrap());
        let mut out = -1i64;
        let s = unsafe { firecrest_json_get_int(j.as_ptr(), p.as_ptr(), &mut out) };
        (s, out)
    }

    /// The address of the index of `p`, when `p` is a registered JSON text.
    fn index_of(p: *const c_char) -> Option<usize> {
        with_handed_json(p, |doc| doc.map(|d| d as *const Doc as usize))
    }

    /// Every entry's name and size read back from a handed-out listing-like text.
    fn read_all(p: *const c_char, n: usize, tag: &str) {
        for i in 0..n {
            let ptr = CString::new(format!("/{i}/name")).unwrap();
            let mut out: *mut c_char = std::ptr::null_mut();
            let s = unsafe { firecrest_json_get_string(p, ptr.as_ptr(), &mut out) };
            assert_eq!(s, firecrest_status::Ok);
            let got = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
            unsafe { crate::capi::strings::firecrest_string_free(out) };
            assert_eq!(got, format!("{tag}{i}"));
            let mut k = -1i64;
            let ptr = CString::new(format!("/{i}/size")).unwrap();
            let s = unsafe { firecrest_json_get_int(p, ptr.as_ptr(), &mut k) };
            assert_eq!((s, k), (firecrest_status::Ok, i as i64));
        }
        let mut len = 0usize;
        let s = unsafe { firecrest_json_array_len(p, c"".as_ptr(), &mut len) };
        assert_eq!((s, len), (firecrest_status::Ok, n));
    }

    fn listing(n: usize, tag: &str) -> *mut c_char {
        let entries: Vec<serde_json::Value> = (0..n)
            .map(|i| serde_json::json!({"name": format!("{tag}{i}"), "size": i}))
            .collect();
        crate::capi::strings::c_json(&entries).unwrap()
    }

    #[test]
    fn a_text_the_library_handed_out_is_read_from_its_document_and_forgotten_when_freed() {
        let p = listing(50, "f");
        let doc = index_of(p).expect("registered");
        read_all(p, 50, "f");
        // Every get used the one index.
        assert_eq!(index_of(p), Some(doc));
        unsafe { crate::capi::strings::firecrest_string_free(p) };
        assert_eq!(index_of(p), None);
    }

    /// Freed texts' buffers are written again (often at the same address): every text is read
    /// as its own, by the thread that freed the last one and by another that read it.
    #[test]
    fn a_text_written_where_a_freed_one_was_is_read_as_itself_by_every_thread() {
        let (to_other, other_gets) = std::sync::mpsc::channel::<(usize, usize, String)>();
        let (done, wait_done) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || {
            for (p, n, tag) in other_gets {
                read_all(p as *const c_char, n, &tag);
                done.send(()).unwrap();
            }
        });
        for (round, n) in [300usize, 5, 1000, 0, 40].into_iter().enumerate() {
            let tag = format!("r{round}-");
            let p = listing(n, &tag);
            read_all(p, n, &tag);
            to_other.send((p as usize, n, tag.clone())).unwrap();
            wait_done.recv().unwrap();
            read_all(p, n, &tag);
            unsafe { crate::capi::strings::firecrest_string_free(p) };
        }
        drop(to_other);
        other.join().unwrap();
    }

    /// Freeing a value read out of a text skips the registry only when no other text could be
    /// the one freed: a text freed by another thread after this one looked it up, and a text
    /// this thread never looked up, are still taken back through the registry.
    #[test]
    fn a_text_is_taken_back_whichever_thread_looked_it_up_last() {
        let x = listing(20, "x");
        let y = listing(20, "y");
        read_all(x, 20, "x");
        let x_at = x as usize;
        std::thread::spawn(move || unsafe {
            crate::capi::strings::firecrest_string_free(x_at as *mut c_char)
        })
        .join()
        .unwrap();
        // This thread last looked up `x`, now freed, and never `y`: freeing `y` must find it.
        unsafe { crate::capi::strings::firecrest_string_free(y) };
        assert_eq!(index_of(y), None);
        assert_eq!(index_of(x), None);
    }

    /// A text the library handed out (read through its index, errors told by the whole path)
    /// and the same text given as any other: every getter answers both alike, values and
    /// errors with their messages.
    #[test]
    fn a_handed_text_and_a_copy_of_it_answer_alike() {
        let value = serde_json::json!({
            "null": null, "n": -5, "s": "x\u{0}y", "q": " 42 ", "big": 1e30,
            "u": u64::MAX, "arr": [1, "2", null, {"k": true}], "t": true, "plain": "text",
            "esc\"aped": "a\tb", "": 0
        });
        let handed = crate::capi::strings::c_json(&value).unwrap();
        let copy = unsafe { CStr::from_ptr(handed) }.to_owned();
        let pointers = [
            "",
            "/null",
            "/n",
            "/s",
            "/q",
            "/big",
            "/u",
            "/arr",
            "/arr/1",
            "/arr/2",
            "/arr/3",
            "/arr/3/k",
            "/arr/9",
            "/arr/01",
            "/t",
            "/plain",
            "/esc\"aped",
            "/",
            "/nope",
            "nope",
            "/plain/x",
        ];
        for p in pointers {
            let ptr = CString::new(p).unwrap();
            let [a, b] = [handed.cast_const(), copy.as_ptr()].map(|json| {
                answers(
                    |out| unsafe { firecrest_json_get_string(json, ptr.as_ptr(), out) },
                    |out| unsafe { firecrest_json_get_int(json, ptr.as_ptr(), out) },
                )
            });
            assert_eq!(a, b, "pointer {p:?}");
        }
        unsafe { crate::capi::strings::firecrest_string_free(handed) };
    }

    /// What a string getter and an integer getter answer: status, value and last error.
    type Answers = (
        firecrest_status,
        Option<String>,
        Option<String>,
        firecrest_status,
        i64,
        Option<String>,
    );

    fn answers(
        string: impl FnOnce(*mut *mut c_char) -> firecrest_status,
        int: impl FnOnce(*mut i64) -> firecrest_status,
    ) -> Answers {
        let mut text: *mut c_char = std::ptr::null_mut();
        let s1 = string(&mut text);
        let e1 = (s1 != firecrest_status::Ok).then(last_error);
        let t1 = (!text.is_null()).then(|| {
            let t = unsafe { CStr::from_ptr(text) }
                .to_str()
                .unwrap()
                .to_string();
            unsafe { crate::capi::strings::firecrest_string_free(text) };
            t
        });
        let mut n = -1i64;
        let s2 = int(&mut n);
        let e2 = (s2 != firecrest_status::Ok).then(last_error);
        (s1, t1, e1, s2, n, e2)
    }

    #[test]
    fn an_element_getter_reads_what_its_whole_pointer_reads() {
        let value = serde_json::json!({
            "list": [{"name": "a", "size": 1, "deep": [7, {"a/b": "x"}]},
                     {"name": null, "size": " 2 ", "deep": []}, 3, "s"],
            "obj": {"0": "zero", "1": {"name": "one"}}, "": [["inner", 5]]
        });
        let handed = crate::capi::strings::c_json(&value).unwrap();
        let copy = unsafe { CStr::from_ptr(handed) }.to_owned();
        let arrays = [
            "",
            "/list",
            "/list/0/deep",
            "/obj",
            "/",
            "//0",
            "/nope",
            "/list/2",
        ];
        let members = [
            "",
            "/name",
            "/size",
            "/deep",
            "/deep/1/a~1b",
            "/0",
            "/1",
            "/nope",
        ];
        // The messages differ in the function and in what they call the pointer, only.
        let alike = |e: Option<String>| {
            e.map(|e| {
                e.replace("_at:", ":")
                    .replace(ELEMENT, "argument `pointer`")
            })
        };
        for json in [handed.cast_const(), copy.as_ptr()] {
            for array in arrays {
                for index in 0..5 {
                    for member in members {
                        let whole = CString::new(format!("{array}/{index}{member}")).unwrap();
                        let expected = answers(
                            |out| unsafe { firecrest_json_get_string(json, whole.as_ptr(), out) },
                            |out| unsafe { firecrest_json_get_int(json, whole.as_ptr(), out) },
                        );
                        let (a, m) = (CString::new(array).unwrap(), CString::new(member).unwrap());
                        let (s1, t1, e1, s2, n, e2) = answers(
                            |out| unsafe {
                                firecrest_json_get_string_at(
                                    json,
                                    a.as_ptr(),
                                    index,
                                    m.as_ptr(),
                                    out,
                                )
                            },
                            |out| unsafe {
                                firecrest_json_get_int_at(json, a.as_ptr(), index, m.as_ptr(), out)
                            },
                        );
                        let got = (s1, t1, alike(e1), s2, n, alike(e2));
                        assert_eq!(got, expected, "{array:?} {index} {member:?}");
                    }
                }
            }
        }
        // A part that is no pointer, or NULL, is named; the value out is left alone.
        let (list, name, bare) = (c"/list", c"/name", c"name");
        let cases = [
            (
                bare.as_ptr(),
                name.as_ptr(),
                firecrest_status::InvalidArgument,
                "`array` (\"name\")",
            ),
            (
                list.as_ptr(),
                bare.as_ptr(),
                firecrest_status::InvalidArgument,
                "`member` (\"name\")",
            ),
            (
                std::ptr::null(),
                name.as_ptr(),
                firecrest_status::NullArgument,
                "`array`",
            ),
            (
                list.as_ptr(),
                std::ptr::null(),
                firecrest_status::NullArgument,
                "`member`",
            ),
        ];
        for (array, member, status, named) in cases {
            for json in [handed.cast_const(), copy.as_ptr()] {
                let (s1, t1, e1, s2, n, e2) = answers(
                    |out| unsafe { firecrest_json_get_string_at(json, array, 0, member, out) },
                    |out| unsafe { firecrest_json_get_int_at(json, array, 0, member, out) },
                );
                assert_eq!((s1, t1, s2, n), (status, None, status, -1), "{named}");
                for e in [e1.unwrap(), e2.unwrap()] {
                    assert!(e.contains(named), "{e}");
                }
            }
        }
        unsafe { crate::capi::strings::firecrest_string_free(handed) };
    }

    #[test]
    fn a_json_integer_is_read_as_str_parse_reads_it() {
        let cases = [
            "0",
            "-0",
            "7",
            "-7",
            "42",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "1.5",
            "1e3",
            "-",
            "",
            "1-",
            "0x10",
            "00012",
            "-0012",
        ];
        for t in cases {
            assert_eq!(json_integer(t.as_bytes()), t.parse::<i64>().ok(), "{t:?}");
        }
    }

    #[test]
    fn a_string_holding_nul_is_a_json_status() {
        let (s, out) = get_string(r#"{"name":"a\u0000b"}"#, "/name");
        assert_eq!((s, out), (firecrest_status::Json, None));
        assert!(last_error().contains("NUL"), "{}", last_error());
    }

    #[test]
    fn pointers_follow_rfc_6901() {
        let doc = r#"[{"system":"cluster","a/b":{"m~n":"x\"y"},"size":"42","n":7,"z":null}]"#;
        assert_eq!(
            get_string(doc, "/0/system"),
            (firecrest_status::Ok, Some("cluster".into()))
        );
        assert_eq!(
            get_string(doc, "/0/a~1b/m~0n"),
            (firecrest_status::Ok, Some("x\"y".into()))
        );
        assert_eq!(
            get_string(doc, "/0/n"),
            (firecrest_status::Ok, Some("7".into()))
        );
        assert_eq!(get_string(doc, "/0/z").0, firecrest_status::Json);
        assert_eq!(get_string(doc, "/1").0, firecrest_status::InvalidArgument);
        assert_eq!(get_string(doc, "0").0, firecrest_status::InvalidArgument);
        assert_eq!(get_string("{", "").0, firecrest_status::Json);
        assert_eq!(get_int(doc, "/0/n"), (firecrest_status::Ok, 7));
        assert_eq!(get_int(doc, "/0/size"), (firecrest_status::Ok, 42));
        assert_eq!(get_int(doc, "/0/system").0, firecrest_status::Json);
        let url = r#"{"url":"http://s3/b/k?X-Amz-Signature=s3cr3t","big":1e300}"#;
        assert_eq!(get_int(url, "/url").0, firecrest_status::Json);
        assert!(!last_error().contains("s3cr3t"), "{}", last_error());
        assert_eq!(get_int(url, "").0, firecrest_status::Json);
        assert!(!last_error().contains("s3cr3t"), "{}", last_error());
        assert_eq!(get_int(url, "/big").0, firecrest_status::Json);
        assert!(last_error().contains("(1e+300)"), "{}", last_error());
        let j = CString::new(doc).unwrap();
        let mut len = 0usize;
        let s = unsafe { firecrest_json_array_len(j.as_ptr(), c"".as_ptr(), &mut len) };
        assert_eq!((s, len), (firecrest_status::Ok, 1));
        let s = unsafe { firecrest_json_array_len(j.as_ptr(), c"/0".as_ptr(), &mut len) };
        assert_eq!(s, firecrest_status::Json);
    }

    mod properties {
        use super::*;
        use crate::properties::{any_json, config};
        use proptest::prelude::*;

        /// A key as an RFC 6901 reference token: `~` is `~0`, `/` is `~1`.
        fn escape(key: &str) -> String {
            key.replace('~', "~0").replace('/', "~1")
        }

        proptest! {
            #![proptest_config(config())]

            /// Any document and any pointer give a status, never a panic; a pointer that does
            /// not start with '/' is refused as an argument.
            #[test]
            fn any_document_and_pointer_give_a_status(
                doc in any_json(),
                text in "[^\\x00]{0,40}",
                pointer in "(/|~|~0|~1|[a-z0-9])*",
            ) {
                for json in [doc.to_string(), text] {
                    let (s, _) = get_string(&json, &pointer);
                    let _ = get_int(&json, &pointer);
                    if !pointer.is_empty() && !pointer.starts_with('/') {
                        prop_assert_eq!(s, firecrest_status::InvalidArgument);
                    }
                    let (j, p) = (CString::new(json).unwrap(), CString::new(pointer.clone()).unwrap());
                    let mut len = 0usize;
                    let _ = unsafe { firecrest_json_array_len(j.as_ptr(), p.as_ptr(), &mut len) };
                }
            }

            /// Keys with `~` and `/` are found through their escaped tokens, at any depth.
            #[test]
            fn escaped_keys_find_their_values(
                keys in prop::collection::vec("[a-z~/]{0,6}", 1..4),
                value in "[a-zA-Z0-9 ]{0,12}",
            ) {
                let mut doc = serde_json::Value::from(value.clone());
                for key in keys.iter().rev() {
                    doc = serde_json::json!({ key.as_str(): doc });
                }
                let pointer: String = keys.iter().map(|k| format!("/{}", escape(k))).collect();
                prop_assert_eq!(
                    get_string(&doc.to_string(), &pointer),
                    (firecrest_status::Ok, Some(value))
                );
            }
        }
    }
}
