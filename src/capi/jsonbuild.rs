//! A typed value written as the JSON text the library hands to C, together with the index the
//! C getters read it by (a [`Doc`]): the getters never parse what the library itself wrote.
//!
//! The text is the one `serde_json::to_string` gives for the value (same field order, numbers
//! and escapes). The index is one [`Slot`] per value, in document order, holding where the value
//! (and its field name) sit in the text: a string without escapes is read from the text itself,
//! so it is written once and stored nowhere else, and building the index allocates nothing per
//! value.

use serde::ser::{self, Serialize};
use std::borrow::Cow;
use std::fmt;

#[derive(Debug)]
pub(crate) struct BuildError(String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl ser::Error for BuildError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        BuildError(msg.to_string())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    Str,
    Array,
    Object,
}

/// One value of the text. Offsets are `u32` to keep the index small; a text of 4 GiB or more
/// is refused when written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    /// A string's characters between its quotes; any other value's whole text.
    start: u32,
    len: u32,
    /// The field name's characters between its quotes, when the value is an object's field.
    key_start: u32,
    key_len: u32,
    /// One past this value's last slot: a container's contents follow it.
    end: u32,
    /// An array: where its element count, then its elements' slots, are in `Doc::elements`.
    elements: u32,
    kind: Kind,
    /// The string's characters (or the field name's) hold escapes: read them unescaped.
    escaped: bool,
    key_escaped: bool,
    /// An object whose field names are known to be distinct (a struct's: serde's derive names
    /// each field once), so that a lookup may stop at the first name that matches.
    distinct_keys: bool,
}

impl Slot {
    fn new(kind: Kind, start: usize) -> Slot {
        Slot {
            start: start as u32,
            len: 0,
            key_start: 0,
            key_len: 0,
            end: 0,
            elements: 0,
            kind,
            escaped: false,
            key_escaped: false,
            distinct_keys: false,
        }
    }
}

/// The index of one JSON text (which it does not hold: the getters are given the text).
#[derive(Default)]
pub(crate) struct Doc {
    slots: Vec<Slot>,
    elements: Vec<u32>,
    /// The length of the text, without its NUL.
    text_len: usize,
}

/// A value found in a text through its [`Doc`].
#[derive(Clone, Copy)]
pub(crate) struct Found<'a> {
    slot: &'a Slot,
    doc: &'a Doc,
    text: &'a [u8],
}

impl<'a> Found<'a> {
    pub(crate) fn kind(&self) -> Kind {
        self.slot.kind
    }

    /// The value's own bytes in the text: a string's characters as written (escaped), any
    /// other value's compact JSON text.
    pub(crate) fn raw(&self) -> &'a [u8] {
        let start = self.slot.start as usize;
        &self.text[start..start + self.slot.len as usize]
    }

    /// A string's characters, unescaped (None for any other value). A string without escapes
    /// is its bytes in the text, which came from a `&str`: UTF-8 already.
    pub(crate) fn string(&self) -> Option<Cow<'a, [u8]>> {
        if self.slot.kind != Kind::Str {
            return None;
        }
        if self.slot.escaped {
            unescape(quoted(self.text, self.slot.start, self.slot.len))
                .map(|s| Cow::Owned(s.into_bytes()))
        } else {
            Some(Cow::Borrowed(self.raw()))
        }
    }

    /// An array's length (None for any other value).
    pub(crate) fn array_len(&self) -> Option<usize> {
        (self.slot.kind == Kind::Array)
            .then(|| self.doc.elements[self.slot.elements as usize] as usize)
    }
}

/// A string or key with its quotes, as written.
fn quoted(text: &[u8], start: u32, len: u32) -> &[u8] {
    &text[start as usize - 1..(start + len) as usize + 1]
}

fn unescape(quoted: &[u8]) -> Option<String> {
    serde_json::from_slice(quoted).ok()
}

impl Doc {
    /// The bytes the index holds allocated.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>() + self.elements.capacity() * 4
    }

    /// The length of the text this document indexes.
    pub(crate) fn text_len(&self) -> usize {
        self.text_len
    }

    /// The value at the RFC 6901 `pointer` ("" is the whole document) of `text`, the text this
    /// document was written with. A repeated field name finds its last value, as with
    /// `serde_json::Value`.
    pub(crate) fn pointer<'a>(&'a self, text: &'a [u8], pointer: &str) -> Option<Found<'a>> {
        let mut here = 0usize;
        let mut rest = pointer.as_bytes();
        if let Some((&first, after)) = rest.split_first() {
            if first != b'/' {
                return None;
            }
            rest = after;
            loop {
                // One reference token, up to the next '/': scanned once, for its end and for
                // whether it holds an escape.
                let (mut end, mut tilde) = (0, false);
                while end < rest.len() && rest[end] != b'/' {
                    tilde |= rest[end] == b'~';
                    end += 1;
                }
                let token: Cow<[u8]> = if tilde {
                    let t = String::from_utf8_lossy(&rest[..end]);
                    Cow::Owned(t.replace("~1", "/").replace("~0", "~").into_bytes())
                } else {
                    Cow::Borrowed(&rest[..end])
                };
                let slot = self.slots.get(here)?;
                here = match slot.kind {
                    Kind::Object => self.field(text, here, &token)?,
                    Kind::Array => {
                        let at = slot.elements as usize;
                        let count = self.elements[at] as usize;
                        let i = array_index(&token).filter(|&i| i < count)?;
                        self.elements[at + 1 + i] as usize
                    }
                    _ => return None,
                };
                if end == rest.len() {
                    break;
                }
                rest = &rest[end + 1..];
            }
        }
        Some(Found {
            slot: self.slots.get(here)?,
            doc: self,
            text,
        })
    }

    /// The slot of the last field named `name` of the object at `object` (the first, when
    /// its names are distinct).
    fn field(&self, text: &[u8], object: usize, name: &[u8]) -> Option<usize> {
        let (end, distinct) = (
            self.slots[object].end as usize,
            self.slots[object].distinct_keys,
        );
        let (mut i, mut found) = (object + 1, None);
        while i < end {
            let slot = &self.slots[i];
            let start = slot.key_start as usize;
            let same = if slot.key_escaped {
                unescape(quoted(text, slot.key_start, slot.key_len))
                    .is_some_and(|k| k.as_bytes() == name)
            } else {
                slot.key_len as usize == name.len() && &text[start..start + name.len()] == name
            };
            if same {
                found = Some(i);
                if distinct {
                    break;
                }
            }
            i = slot.end as usize;
        }
        found
    }
}

/// An array index as RFC 6901 writes it: decimal digits, no leading zero but "0" itself.
fn array_index(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &d| {
        let d = d.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(usize::from(d))
    })
}

/// Whether `s` holds a byte JSON escapes (below 0x20, `"` or `\\`), looked for eight bytes at a
/// time: most strings of a listing have none and are copied whole.
pub(crate) fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of a byte lane is set for some lane below `n` (exact as to whether any is,
    // for n <= 0x80); a byte of 0x80 or more never counts.
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGH;
    let mut chunks = s.chunks_exact(8);
    for chunk in &mut chunks {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(chunk);
        let v = u64::from_le_bytes(lanes);
        if below(v, 0x20)
            | below(v ^ (ONES * u64::from(b'"')), 1)
            | below(v ^ (ONES * u64::from(b'\\')), 1)
            != 0
        {
            return true;
        }
    }
    // The last bytes, in a word filled up with spaces (which need no escape).
    let tail = chunks.remainder();
    let mut lanes = [b' '; 8];
    lanes[..tail.len()].copy_from_slice(tail);
    let v = u64::from_le_bytes(lanes);
    below(v, 0x20)
        | below(v ^ (ONES * u64::from(b'"')), 1)
        | below(v ^ (ONES * u64::from(b'\\')), 1)
        != 0
}

/// Writes `value`'s JSON text into `text` (emptied first) and its index into `doc` (emptied
/// first): both may be buffers of an earlier text, reused.
pub(crate) fn write<T: Serialize + ?Sized>(
    value: &T,
    text: &mut Vec<u8>,
    doc: &mut Doc,
) -> Result<(), BuildError> {
    text.clear();
    doc.slots.clear();
    doc.elements.clear();
    let mut w = Writer {
        text,
        doc,
        key: None,
    };
    value.serialize(&mut w)?;
    if u32::try_from(w.text.len()).is_err() {
        return Err(BuildError("the JSON text is 4 GiB or more".into()));
    }
    w.doc.text_len = w.text.len();
    Ok(())
}

/// A field name's place in the text, waiting for its value's slot.
#[derive(Clone, Copy)]
struct Key {
    start: u32,
    len: u32,
    escaped: bool,
}

struct Writer<'a> {
    text: &'a mut Vec<u8>,
    doc: &'a mut Doc,
    key: Option<Key>,
}

impl<'a> Writer<'a> {
    /// Starts a value's slot (at the current end of the text); its index.
    fn open(&mut self, kind: Kind) -> usize {
        let mut slot = Slot::new(kind, self.text.len());
        if let Some(key) = self.key.take() {
            slot.key_start = key.start;
            slot.key_len = key.len;
            slot.key_escaped = key.escaped;
        }
        self.doc.slots.push(slot);
        self.doc.slots.len() - 1
    }

    /// Ends the value of slot `i` at the current end of the text.
    fn close(&mut self, i: usize) {
        let end = self.doc.slots.len() as u32;
        let len = self.text.len() as u32;
        let slot = &mut self.doc.slots[i];
        slot.len = len.wrapping_sub(slot.start);
        slot.end = end;
    }

    fn scalar(&mut self, kind: Kind, write: impl FnOnce(&mut Vec<u8>)) {
        let i = self.open(kind);
        write(self.text);
        self.close(i);
    }

    /// A number as serde_json writes it (a non-finite float is `null`).
    fn number<N: Serialize>(&mut self, n: N) {
        let i = self.open(Kind::Number);
        // Writing into a Vec cannot fail.
        serde_json::to_writer(&mut *self.text, &n).unwrap_or(());
        if self.text[self.doc.slots[i].start as usize..] == *b"null" {
            self.doc.slots[i].kind = Kind::Null;
        }
        self.close(i);
    }

    /// A JSON string; where its characters are, and whether they hold escapes.
    fn string(&mut self, s: &str) -> (u32, u32, bool) {
        let escaped = needs_escape(s.as_bytes());
        let open = self.text.len() as u32;
        if escaped {
            serde_json::to_writer(&mut *self.text, s).unwrap_or(());
        } else {
            self.text.reserve(s.len() + 2);
            self.text.push(b'"');
            self.text.extend_from_slice(s.as_bytes());
            self.text.push(b'"');
        }
        // Between the opening quote and the closing one.
        let len = self.text.len() as u32 - open - 2;
        (open + 1, len, escaped)
    }

    fn str_value(&mut self, s: &str) {
        let i = self.open(Kind::Str);
        let (start, len, escaped) = self.string(s);
        let slot = &mut self.doc.slots[i];
        slot.start = start;
        slot.len = len;
        slot.escaped = escaped;
        slot.end = i as u32 + 1;
    }

    /// A field name, then the `:`; its value's slot takes it.
    fn key(&mut self, name: &str) {
        let (start, len, escaped) = self.string(name);
        self.text.push(b':');
        self.key = Some(Key {
            start,
            len,
            escaped,
        });
    }

    fn compound<'w>(&'w mut self, kind: Kind, variant: Option<&'static str>) -> Compound<'w, 'a> {
        let outer = variant.map(|v| {
            let i = self.open(Kind::Object);
            self.text.push(b'{');
            self.key(v);
            i
        });
        let slot = self.open(kind);
        self.text
            .push(if kind == Kind::Array { b'[' } else { b'{' });
        Compound {
            w: self,
            slot,
            outer,
            first: true,
        }
    }
}

impl<'a> Writer<'a> {
    /// A struct's object: its field names are distinct.
    fn structure<'w>(&'w mut self, variant: Option<&'static str>) -> Compound<'w, 'a> {
        let c = self.compound(Kind::Object, variant);
        c.w.doc.slots[c.slot].distinct_keys = true;
        c
    }
}

/// An array or object being written; `outer`, the `{"variant": …}` around it.
struct Compound<'w, 'a> {
    w: &'w mut Writer<'a>,
    slot: usize,
    outer: Option<usize>,
    first: bool,
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if !self.first {
            self.w.text.push(b',');
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BuildError> {
        self.comma();
        v.serialize(&mut *self.w)
    }

    fn field<T: Serialize + ?Sized>(&mut self, name: &str, v: &T) -> Result<(), BuildError> {
        self.comma();
        self.w.key(name);
        v.serialize(&mut *self.w)
    }

    fn finish(self) -> Result<(), BuildError> {
        let w = self.w;
        let kind = w.doc.slots[self.slot].kind;
        w.text.push(if kind == Kind::Array { b']' } else { b'}' });
        w.close(self.slot);
        if kind == Kind::Array {
            // The elements are the slots from here to the end, each one's `end` leading to the
            // next: listed once, so that the getters find any of them without walking.
            let at = w.doc.elements.len();
            w.doc.elements.push(0);
            let (mut i, end) = (self.slot + 1, w.doc.slots[self.slot].end as usize);
            while i < end {
                w.doc.elements.push(i as u32);
                i = w.doc.slots[i].end as usize;
            }
            w.doc.elements[at] = (w.doc.elements.len() - at - 1) as u32;
            w.doc.slots[self.slot].elements = at as u32;
        }
        if let Some(outer) = self.outer {
            w.text.push(b'}');
            w.close(outer);
        }
        Ok(())
    }
}

/// A map key as serde_json accepts one: a string, or a number or boolean written as text.
fn key_text<T: Serialize + ?Sized>(key: &T) -> Result<String, BuildError> {
    let text = serde_json::to_string(key).map_err(|e| BuildError(e.to_string()))?;
    match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str(&text).map_err(|e| BuildError(e.to_string())),
        Some(b'0'..=b'9' | b'-' | b't' | b'f') => Ok(text),
        _ => Err(BuildError("key must be a string".into())),
    }
}

impl<'w, 'a> ser::Serializer for &'w mut Writer<'a> {
    type Ok = ();
    type Error = BuildError;
    type SerializeSeq = Compound<'w, 'a>;
    type SerializeTuple = Compound<'w, 'a>;
    type SerializeTupleStruct = Compound<'w, 'a>;
    type SerializeTupleVariant = Compound<'w, 'a>;
    type SerializeMap = Compound<'w, 'a>;
    type SerializeStruct = Compound<'w, 'a>;
    type SerializeStructVariant = Compound<'w, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), BuildError> {
        self.scalar(Kind::Bool, |t| {
            t.extend_from_slice(if v { b"true" } else { b"false" })
        });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), BuildError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), BuildError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), BuildError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), BuildError> {
        self.number(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), BuildError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), BuildError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), BuildError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), BuildError> {
        self.number(v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), BuildError> {
        self.number(v);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), BuildError> {
        self.number(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), BuildError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), BuildError> {
        self.str_value(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), BuildError> {
        let mut seq = self.compound(Kind::Array, None);
        for b in v {
            seq.element(b)?;
        }
        seq.finish()
    }
    fn serialize_none(self) -> Result<(), BuildError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), BuildError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), BuildError> {
        self.scalar(Kind::Null, |t| t.extend_from_slice(b"null"));
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), BuildError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), BuildError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), BuildError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), BuildError> {
        let outer = self.open(Kind::Object);
        self.text.push(b'{');
        self.key(variant);
        value.serialize(&mut *self)?;
        self.text.push(b'}');
        self.close(outer);
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(Kind::Array, None))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(Kind::Array, None))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(Kind::Array, None))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(Kind::Array, Some(variant)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(Kind::Object, None))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.structure(None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.structure(Some(variant)))
    }
}

/// serde asks for one trait per sequence form; all four are a `Compound`'s `element` and
/// `finish`.
macro_rules! seq_forms {
    ($($form:ident :: $add:ident),*) => {$(
        impl ser::$form for Compound<'_, '_> {
            type Ok = ();
            type Error = BuildError;
            fn $add<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BuildError> {
                self.element(v)
            }
            fn end(self) -> Result<(), BuildError> {
                self.finish()
            }
        }
    )*};
}

seq_forms!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = BuildError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), BuildError> {
        let name = key_text(key)?;
        self.comma();
        self.w.key(&name);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BuildError> {
        if self.w.key.is_none() {
            return Err(BuildError("a map value without its key".into()));
        }
        v.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), BuildError> {
        self.finish()
    }
}

/// serde asks for one trait per struct form; both are a `Compound`'s `field` and `finish`.
macro_rules! struct_forms {
    ($($form:ident),*) => {$(
        impl ser::$form for Compound<'_, '_> {
            type Ok = ();
            type Error = BuildError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                v: &T,
            ) -> Result<(), BuildError> {
                self.field(name, v)
            }
            fn end(self) -> Result<(), BuildError> {
                self.finish()
            }
        }
    )*};
}

struct_forms!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::jsondoc::Node;
    use serde::Serialize;
    use serde_json::Value;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    enum Shape {
        Unit,
        New(u8),
        Pair(i32, String),
        Named { w: f64, tag: Option<char> },
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Sample<'a> {
        name: &'a str,
        escaped: String,
        size: u64,
        delta: i64,
        ratio: f32,
        nan: f64,
        none: Option<String>,
        shapes: Vec<Shape>,
        by_number: BTreeMap<u32, bool>,
        by_flag: BTreeMap<bool, ()>,
        unit: Unit,
        #[serde(with = "serde_bytes_like")]
        raw: Vec<u8>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
    }

    mod serde_bytes_like {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }

    fn written<T: Serialize + ?Sized>(value: &T) -> (Vec<u8>, Doc) {
        let (mut text, mut doc) = (b"left over".to_vec(), Doc::default());
        write(value, &mut text, &mut doc).unwrap();
        (text, doc)
    }

    /// What the index finds at `pointer`, read back as a value.
    fn found(text: &[u8], doc: &Doc, pointer: &str) -> Option<Value> {
        let v = doc.pointer(text, pointer)?;
        Some(match v.kind() {
            Kind::Str => {
                Value::String(String::from_utf8(v.string().unwrap().into_owned()).unwrap())
            }
            _ => serde_json::from_slice(v.raw()).unwrap(),
        })
    }

    /// What serde_json finds at `pointer`, written and read back the same way (reading a float
    /// back is not exact without serde_json's `float_roundtrip`, so both sides read its text).
    fn expected(value: &Value, pointer: &str) -> Option<Value> {
        let v = value.pointer(pointer)?;
        Some(serde_json::from_str(&v.to_string()).unwrap())
    }

    /// Every pointer of `v` that designates something, escaped as RFC 6901 says.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    pointers(item, format!("{at}/{i}"), out);
                }
            }
            Value::Object(fields) => {
                for (k, item) in fields {
                    let k = k.replace('~', "~0").replace('/', "~1");
                    pointers(item, format!("{at}/{k}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }

    #[test]
    fn the_text_written_is_serde_jsons_and_its_index_finds_every_value() {
        let sample = Sample {
            name: "plain",
            escaped: "quote \" back \\ nul \0 tab \t é".into(),
            size: u64::MAX,
            delta: -7,
            ratio: 0.1,
            nan: f64::NAN,
            none: None,
            shapes: vec![
                Shape::Unit,
                Shape::New(3),
                Shape::Pair(-1, "x".into()),
                Shape::Named {
                    w: 2.5,
                    tag: Some('t'),
                },
            ],
            by_number: [(2, true), (10, false)].into(),
            by_flag: [(true, ())].into(),
            unit: Unit,
            raw: vec![0, 255],
            skipped: None,
        };
        let (text, doc) = written(&sample);
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            serde_json::to_string(&sample).unwrap()
        );
        let value: Value = serde_json::from_slice(&text).unwrap();
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        for p in &all {
            assert_eq!(found(&text, &doc, p), expected(&value, p), "{p}");
        }
        assert_eq!(doc.pointer(&text, "/nan").unwrap().kind(), Kind::Null);
        assert_eq!(doc.pointer(&text, "/shapes").unwrap().array_len(), Some(4));
        assert_eq!(doc.pointer(&text, "/shapes/4").map(|v| v.kind()), None);
    }

    #[test]
    fn pointers_find_what_serde_json_finds() {
        let text = r#"{"a":[{"x":1},{"y":"t\"u"}],"a/b":{"m~n":true},"d":2,"d":3,"":0,"z":null}"#;
        let node: Node = serde_json::from_str(text).unwrap();
        let (written, doc) = written(&node);
        let value: Value = serde_json::from_str(text).unwrap();
        for p in [
            "",
            "/a",
            "/a/0",
            "/a/0/x",
            "/a/1/y",
            "/a~1b/m~0n",
            "/d",
            "/",
            "/z",
            "/a/01",
            "/a/+1",
            "/a/2",
            "/a/-",
            "/a/99999999999999999999999",
            "/nope",
            "/a/0/x/deeper",
            "a",
        ] {
            // serde_json keeps the last of a repeated key; so does the index.
            assert_eq!(
                found(&written, &doc, p),
                expected(&value, p),
                "pointer {p:?}"
            );
        }
    }

    #[test]
    fn strings_needing_an_escape_are_found_at_any_place() {
        let special: Vec<u8> = (0u8..0x20).chain([b'"', b'\\']).collect();
        for len in 1..20 {
            let plain: Vec<u8> = (0..len)
                .map(|i| [b'a', 0x7f, 0x20, 0x80, 0xff][i % 5])
                .collect();
            assert!(!needs_escape(&plain), "{plain:?}");
            for at in 0..len {
                for &b in &special {
                    let mut bytes = plain.clone();
                    bytes[at] = b;
                    assert!(needs_escape(&bytes), "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn a_large_array_is_indexed_element_by_element() {
        let long = "x".repeat(70_000);
        let values: Vec<String> = ["", "a", &long, "", "tail\n"]
            .iter()
            .map(|s| s.to_string())
            .chain((0..3000).map(|i| format!("entry-{i:05}")))
            .collect();
        let (text, doc) = written(&values);
        assert_eq!(text, serde_json::to_vec(&values).unwrap());
        let root = doc.pointer(&text, "").unwrap();
        assert_eq!(root.array_len(), Some(values.len()));
        for (i, v) in values.iter().enumerate() {
            let got = doc.pointer(&text, &format!("/{i}")).unwrap();
            assert_eq!(got.string().unwrap(), v.as_bytes());
        }
    }

    #[test]
    fn a_key_that_is_no_text_is_an_error_as_in_serde_json() {
        let map: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into();
        let (mut text, mut doc) = (Vec::new(), Doc::default());
        assert!(write(&map, &mut text, &mut doc).is_err());
        assert!(serde_json::to_string(&map).is_err());
    }

    mod properties {
        use super::*;
        use crate::properties::{any_json, config};
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(config())]

            /// Any value is written as serde_json writes it, and every value inside it is
            /// found at its pointer, the same as serde_json finds it.
            #[test]
            fn any_value_is_written_as_serde_json_and_found_everywhere(value in any_json()) {
                let (text, doc) = written(&value);
                prop_assert_eq!(&text, &serde_json::to_vec(&value).unwrap());
                let mut all = Vec::new();
                pointers(&value, String::new(), &mut all);
                for p in &all {
                    prop_assert_eq!(found(&text, &doc, p), expected(&value, p), "{}", p);
                }
            }
        }
    }
}
