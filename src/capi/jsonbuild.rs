//! A typed value written as the JSON text the library hands to C, together with the index the
//! C getters read it by (a [`Doc`]): the getters never parse what the library itself wrote.
//!
//! The text is the one `serde_json::to_string` gives for the value (same field order, numbers
//! and escapes). The index is one 16-byte [`Slot`] per value, in document order, holding where
//! the value sits in the text (its field name is just before it): a string without escapes is
//! read from the text itself, so it is written once and stored nowhere else, and building the
//! index allocates nothing per value. A large listing's index is read and written while the
//! text is, so its size is what the caches hold: it is kept small.

use serde::ser::{self, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

/// Why a value could not be written. One pointer wide: every step of the writer returns a
/// `Result<(), BuildError>`, which then comes back in a register (a `String` inside made it
/// three words, returned through memory, a tenth of writing a listing).
#[derive(Debug)]
pub(crate) struct BuildError(Box<Message>);

#[derive(Debug)]
struct Message(String);

impl<T: Into<String>> From<T> for BuildError {
    fn from(text: T) -> BuildError {
        BuildError(Box::new(Message(text.into())))
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0 .0)
    }
}

impl std::error::Error for BuildError {}

impl ser::Error for BuildError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        BuildError::from(msg.to_string())
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

/// The largest text written: offsets, lengths and slot numbers then fit in 31 bits, leaving
/// the top bit of a `u32` for a flag.
const MAX_TEXT: usize = (1 << 31) - 1;
const FLAG: u32 = 1 << 31;

/// One value of the text. Its kind is its first byte's (`"`, `{`, `[`, `n`, `t`/`f`, else a
/// number); an object's field name is the string just before the value and its `:`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Slot {
    /// Where the value's text starts (a string's opening quote), and its length; `FLAG` set
    /// in `len` for a struct whose fields are all scalars (see [`Doc::field`]).
    open: u32,
    len: u32,
    /// The length of the field name's characters, when the value is an object's field; `FLAG`
    /// set when they hold escapes.
    key: u32,
    /// An object: one past its last slot, `FLAG` set when its field names are known distinct
    /// (a struct's: serde's derive names each field once), so a lookup may stop at the first
    /// match. An array: where its element count, its end slot and its elements' slots are in
    /// `Doc::elements`. A string: `FLAG` when its characters hold escapes.
    aux: u32,
}

/// The index of one JSON text (which it does not hold: the getters are given the text).
#[derive(Default)]
pub(crate) struct Doc {
    slots: Vec<Slot>,
    elements: Vec<u32>,
    /// The slots of the elements of the arrays being written (kept only to reuse its memory).
    pending: Vec<u32>,
    /// The length of the text, without its NUL.
    text_len: usize,
    /// Where among its fields a struct of scalars had the field last found by a name of each
    /// hash ([`hint_of`]): a C program reading a listing asks for the same few names of every
    /// entry, and each is then found at once instead of after the fields before it.
    hints: [AtomicU32; 8],
}

/// The slot of [`Doc::hints`] a field name's hint is kept in.
fn hint_of(name: &[u8]) -> usize {
    (name.len() + usize::from(name.first().copied().unwrap_or(0))) % 8
}

impl Slot {
    /// The length of the value's text.
    fn length(&self) -> usize {
        (self.len & !FLAG) as usize
    }
}

/// A value found in a text through its [`Doc`].
#[derive(Clone, Copy)]
pub(crate) struct Found<'a> {
    slot: &'a Slot,
    doc: &'a Doc,
    text: &'a [u8],
}

fn kind_of(first: u8) -> Kind {
    match first {
        b'"' => Kind::Str,
        b'{' => Kind::Object,
        b'[' => Kind::Array,
        b'n' => Kind::Null,
        b't' | b'f' => Kind::Bool,
        _ => Kind::Number,
    }
}

impl<'a> Found<'a> {
    pub(crate) fn kind(&self) -> Kind {
        kind_of(self.text[self.slot.open as usize])
    }

    /// The value's own bytes in the text: a string's characters as written (escaped), any
    /// other value's compact JSON text.
    pub(crate) fn raw(&self) -> &'a [u8] {
        let (open, len) = (self.slot.open as usize, self.slot.length());
        if self.kind() == Kind::Str {
            &self.text[open + 1..open + len - 1]
        } else {
            &self.text[open..open + len]
        }
    }

    /// A string's characters, unescaped (None for any other value). A string without escapes
    /// is its bytes in the text, which came from a `&str`: UTF-8 already.
    pub(crate) fn string(&self) -> Option<Cow<'a, [u8]>> {
        if self.kind() != Kind::Str {
            return None;
        }
        if self.slot.aux & FLAG != 0 {
            let (open, len) = (self.slot.open as usize, self.slot.length());
            unescape(&self.text[open..open + len]).map(|s| Cow::Owned(s.into_bytes()))
        } else {
            Some(Cow::Borrowed(self.raw()))
        }
    }

    /// An array's length (None for any other value).
    pub(crate) fn array_len(&self) -> Option<usize> {
        (self.kind() == Kind::Array).then(|| self.doc.elements[self.slot.aux as usize] as usize)
    }
}

fn unescape(quoted: &[u8]) -> Option<String> {
    serde_json::from_slice(quoted).ok()
}

impl Doc {
    /// The bytes the index holds allocated.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + (self.elements.capacity() + self.pending.capacity()) * 4
    }

    /// The length of the text this document indexes.
    pub(crate) fn text_len(&self) -> usize {
        self.text_len
    }

    /// One past the last slot of the value at slot `i`.
    fn end(&self, text: &[u8], i: usize) -> usize {
        let slot = &self.slots[i];
        match text[slot.open as usize] {
            b'{' => (slot.aux & !FLAG) as usize,
            b'[' => self.elements[slot.aux as usize + 1] as usize,
            _ => i + 1,
        }
    }

    /// The value at the RFC 6901 `pointer` ("" is the whole document) of `text`, the text this
    /// document was written with. A repeated field name finds its last value, as with
    /// `serde_json::Value`.
    #[inline(always)]
    pub(crate) fn pointer<'a>(&'a self, text: &'a [u8], pointer: &[u8]) -> Option<Found<'a>> {
        let here = self.walk(text, 0, pointer)?;
        self.found(text, here)
    }

    /// The value at `member`, a pointer from element `index` of the array at `array`: what
    /// [`Doc::pointer`] finds at `array` + "/" + `index` + `member`, without a C program
    /// writing that pointer out for every element it reads. None when `array` is no array
    /// (where that pointer may still name an object's field "0", "1", …: the getters then
    /// look it up whole).
    #[inline(always)]
    pub(crate) fn element<'a>(
        &'a self,
        text: &'a [u8],
        array: &[u8],
        index: usize,
        member: &[u8],
    ) -> Option<Found<'a>> {
        let at = self.walk(text, 0, array)?;
        let slot = self.slots.get(at)?;
        if text[slot.open as usize] != b'[' {
            return None;
        }
        let here = self.walk(text, self.element_slot(slot, index)?, member)?;
        self.found(text, here)
    }

    fn found<'a>(&'a self, text: &'a [u8], here: usize) -> Option<Found<'a>> {
        Some(Found {
            slot: self.slots.get(here)?,
            doc: self,
            text,
        })
    }

    /// The slot of element `index` of the array whose slot is `array`.
    #[inline(always)]
    fn element_slot(&self, array: &Slot, index: usize) -> Option<usize> {
        let at = array.aux as usize;
        if index >= self.elements[at] as usize {
            return None;
        }
        Some(self.elements[at + 2 + index] as usize)
    }

    /// The slot `pointer` leads to from the value at slot `from`.
    ///
    /// A C program reading a listing calls this once per value, so each reference token is
    /// read once, as what the value it applies to needs: an array's as the index it is, an
    /// object's as a field name compared in place (a `~` escape, rare, is the one copy).
    #[inline(always)]
    fn walk(&self, text: &[u8], from: usize, pointer: &[u8]) -> Option<usize> {
        let mut here = from;
        let mut rest = pointer;
        while let Some((&slash, after)) = rest.split_first() {
            if slash != b'/' {
                return None;
            }
            let slot = self.slots.get(here)?;
            let taken;
            (here, taken) = match text[slot.open as usize] {
                b'[' => {
                    let (index, taken) = array_index(after)?;
                    (self.element_slot(slot, index)?, taken)
                }
                b'{' => {
                    let (mut end, mut tilde) = (0, false);
                    while let Some(&b) = after.get(end) {
                        if b == b'/' {
                            break;
                        }
                        tilde |= b == b'~';
                        end += 1;
                    }
                    let token = &after[..end];
                    let found = if tilde {
                        self.escaped_field(text, here, token)
                    } else {
                        self.field(text, here, token)
                    };
                    (found?, end)
                }
                _ => return None,
            };
            rest = &after[taken..];
        }
        Some(here)
    }

    /// As [`Doc::field`], for a reference token holding `~` escapes (rare: kept out of the
    /// way of the common lookups).
    #[cold]
    #[inline(never)]
    fn escaped_field(&self, text: &[u8], object: usize, token: &[u8]) -> Option<usize> {
        // Not UTF-8: it names no field (and is refused as such by the caller).
        let t = std::str::from_utf8(token).ok()?;
        let name = t.replace("~1", "/").replace("~0", "~");
        self.field(text, object, name.as_bytes())
    }

    /// The slot of the last field named `name` of the object at `object` (the first, when
    /// its names are distinct).
    #[inline(always)]
    fn field(&self, text: &[u8], object: usize, name: &[u8]) -> Option<usize> {
        let head = &self.slots[object];
        let (end, distinct) = ((head.aux & !FLAG) as usize, head.aux & FLAG != 0);
        // A name of this length without escapes: most fields differ from it in length alone.
        let plain = u32::try_from(name.len()).ok().filter(|n| n & FLAG == 0);
        if head.len & FLAG != 0 {
            // A struct of scalars: every slot up to `end` is one of its fields, each named
            // once, so the field is wherever a slot of that name is, and first looked for where
            // it was in the last such struct.
            let hint = &self.hints[hint_of(name)];
            let guess = object + 1 + hint.load(Ordering::Relaxed) as usize;
            if guess < end && self.named(text, guess, name, plain) {
                return Some(guess);
            }
            let found = (object + 1..end).find(|&i| self.named(text, i, name, plain))?;
            hint.store((found - object - 1) as u32, Ordering::Relaxed);
            return Some(found);
        }
        let (mut i, mut found) = (object + 1, None);
        while i < end {
            if self.named(text, i, name, plain) {
                found = Some(i);
                if distinct {
                    break;
                }
            }
            i = self.end(text, i);
        }
        found
    }

    /// Whether the field at slot `i` is named `name` (`plain`: its length, when that can be
    /// a name's length without escapes).
    #[inline(always)]
    fn named(&self, text: &[u8], i: usize, name: &[u8], plain: Option<u32>) -> bool {
        let slot = &self.slots[i];
        // The name's characters end two bytes before the value (its quote and the `:`).
        let key_end = slot.open as usize - 2;
        if Some(slot.key) == plain {
            same_bytes(&text[key_end - name.len()..key_end], name)
        } else if slot.key & FLAG != 0 {
            let key_len = (slot.key & !FLAG) as usize;
            unescape(&text[key_end - key_len - 1..=key_end]).is_some_and(|k| k.as_bytes() == name)
        } else {
            false
        }
    }
}

/// Whether two byte strings of the same length are equal: a field name is a few bytes, which a
/// loop compares in fewer steps than a call to `memcmp`.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() > 16 {
        return a == b;
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// The array index an RFC 6901 reference token at the start of `token` writes (decimal digits,
/// no leading zero but "0" itself, up to the next `/`), and the token's length.
fn array_index(token: &[u8]) -> Option<(usize, usize)> {
    let (mut n, mut len) = (0usize, 0);
    while let Some(&b) = token.get(len) {
        if b == b'/' {
            break;
        }
        let d = b.wrapping_sub(b'0');
        if d > 9 || (len == 1 && n == 0) {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(usize::from(d))?;
        len += 1;
    }
    (len > 0).then_some((n, len))
}

/// Copies `src` to `dst`: a field name or value of a listing is a few bytes, which one or two
/// overlapping word moves copy in fewer steps than a call to `memcpy` (the call and its choice
/// of method cost more than the copy).
///
/// # Safety
/// `dst` has room for `src.len()` bytes and does not overlap `src`.
#[inline]
unsafe fn copy_short(src: &[u8], dst: *mut u8) {
    let (n, s) = (src.len(), src.as_ptr());
    // Two moves of one width, the second ending where the bytes end (overlapping the first).
    macro_rules! two {
        ($t:ty) => {{
            let w = std::mem::size_of::<$t>();
            let (a, b) = (
                s.cast::<$t>().read_unaligned(),
                s.add(n - w).cast::<$t>().read_unaligned(),
            );
            dst.cast::<$t>().write_unaligned(a);
            dst.add(n - w).cast::<$t>().write_unaligned(b);
        }};
    }
    match n {
        0 => {}
        1..=3 => {
            for i in 0..n {
                dst.add(i).write(*s.add(i));
            }
        }
        4..=7 => two!(u32),
        8..=15 => two!(u64),
        16..=32 => two!(u128),
        _ => std::ptr::copy_nonoverlapping(s, dst, n),
    }
}

/// Whether `s` holds a byte JSON escapes (below 0x20, `"` or `\\`), looked for eight bytes at a
/// time: most strings of a listing have none and are copied whole.
pub(crate) fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of a byte lane is set for some lane below `n` (exact as to whether any is,
    // for n <= 0x80); a byte of 0x80 or more never counts.
    let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGH;
    let special = |v: u64| {
        below(v, 0x20)
            | below(v ^ (ONES * u64::from(b'"')), 1)
            | below(v ^ (ONES * u64::from(b'\\')), 1)
            != 0
    };
    let word = |chunk: &[u8]| {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(chunk);
        u64::from_le_bytes(lanes)
    };
    if s.len() < 8 {
        if s.len() < 4 {
            return s.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        }
        // Four to seven bytes (most field names): the first four and the last four, as one
        // word (the lanes of the second four that repeat the first are looked at twice).
        let four = |chunk: &[u8]| {
            let mut lanes = [0u8; 4];
            lanes.copy_from_slice(chunk);
            u64::from(u32::from_le_bytes(lanes))
        };
        let word = four(&s[..4]) | (four(&s[s.len() - 4..]) << 32);
        return special(word);
    }
    let mut chunks = s.chunks_exact(8);
    if chunks.any(|chunk| special(word(chunk))) {
        return true;
    }
    // The last bytes, as the last eight (some looked at twice): one word, not a byte loop or
    // a short copy (whose word read back stalls on the bytes just stored).
    special(word(&s[s.len() - 8..]))
}

/// Writes `value`'s JSON text into `text` (emptied first) and its index into `doc` (emptied
/// first): both may be buffers of an earlier text, reused.
pub(crate) fn write<T: Serialize + ?Sized>(
    value: &T,
    text: &mut Vec<u8>,
    doc: &mut Doc,
) -> Result<(), BuildError> {
    let mut w = Writer::new(text, doc);
    value.serialize(&mut w)?;
    w.done()
}

/// An array being written element by element, as its elements come (see [`write_array`]).
pub(crate) struct ArrayWriter<'w, 'a> {
    array: Compound<'w, 'a>,
    failed: Option<BuildError>,
}

impl ArrayWriter<'_, '_> {
    /// Appends one element (after a failure, nothing: the failure is what `write_array` returns).
    pub(crate) fn push<T: Serialize + ?Sized>(&mut self, v: &T) {
        if self.failed.is_none() {
            self.failed = self.array.element(v).err();
        }
    }
}

/// As [`write`], for an array whose elements `fill` pushes as it comes by them (a listing read
/// entry by entry is never held whole); `fill`'s own result is returned.
pub(crate) fn write_array<R>(
    text: &mut Vec<u8>,
    doc: &mut Doc,
    fill: impl FnOnce(&mut ArrayWriter<'_, '_>) -> R,
) -> Result<R, BuildError> {
    let mut w = Writer::new(text, doc);
    let mut array = ArrayWriter {
        array: w.compound(true, None),
        failed: None,
    };
    let filled = fill(&mut array);
    let ArrayWriter { array, failed } = array;
    if let Some(e) = failed {
        return Err(e);
    }
    array.finish()?;
    w.done()?;
    Ok(filled)
}

struct Writer<'a> {
    text: &'a mut Vec<u8>,
    doc: &'a mut Doc,
    /// The field name just written, for the value's slot (its `Slot::key`).
    key: u32,
    /// Struct field names (serde's derive gives each as a `&'static str`, the same one for
    /// every value of the type) found to need no escape, by a hash of their address: a
    /// listing writes the same eight names for every entry, and they are looked at once.
    plain_names: [&'static str; 16],
}

impl<'a> Writer<'a> {
    /// A writer of a new text into `text` and `doc`, emptied first.
    fn new(text: &'a mut Vec<u8>, doc: &'a mut Doc) -> Writer<'a> {
        text.clear();
        doc.slots.clear();
        doc.elements.clear();
        doc.pending.clear();
        Writer {
            text,
            doc,
            key: 0,
            plain_names: [""; 16],
        }
    }

    /// Checks the text's size, and notes it in the index.
    fn done(self) -> Result<(), BuildError> {
        if self.text.len() > MAX_TEXT {
            return Err(BuildError::from("the JSON text is 2 GiB or more"));
        }
        self.doc.text_len = self.text.len();
        Ok(())
    }

    /// Starts a value's slot at the current end of the text; its number.
    #[inline(always)]
    fn open(&mut self) -> usize {
        let key = std::mem::take(&mut self.key);
        self.doc.slots.push(Slot {
            open: self.text.len() as u32,
            key,
            ..Slot::default()
        });
        self.doc.slots.len() - 1
    }

    /// Ends the value of slot `i` at the current end of the text.
    #[inline(always)]
    fn close(&mut self, i: usize) {
        let len = self.text.len() as u32;
        let slot = &mut self.doc.slots[i];
        slot.len = len.wrapping_sub(slot.open);
    }

    /// A value that holds no other, written by `write`: its slot is pushed once, whole, after
    /// it (`aux` as `write` says).
    #[inline(always)]
    fn scalar(&mut self, write: impl FnOnce(&mut Self) -> u32) {
        let open = self.text.len() as u32;
        let key = std::mem::take(&mut self.key);
        let aux = write(self);
        let len = (self.text.len() as u32).wrapping_sub(open);
        self.doc.slots.push(Slot {
            open,
            len,
            key,
            aux,
        });
    }

    /// A float as serde_json writes it (a non-finite one is `null`).
    fn number<N: Serialize>(&mut self, n: N) {
        // Writing into a Vec cannot fail.
        self.scalar(|w| {
            serde_json::to_writer(&mut *w.text, &n).unwrap_or(());
            0
        });
    }

    /// An integer, in the digits serde_json writes (itoa's, as serde_json's own).
    fn integer<N: itoa::Integer>(&mut self, n: N) {
        self.scalar(|w| {
            w.text
                .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            0
        });
    }

    /// A JSON string, followed by a `:` when `colon`; whether it holds escapes.
    #[inline(always)]
    fn string(&mut self, text: &str, colon: bool) -> bool {
        if needs_escape(text.as_bytes()) {
            // Escaped as serde_json escapes; writing into a Vec cannot fail.
            serde_json::to_writer(&mut *self.text, text).unwrap_or(());
            if colon {
                self.text.push(b':');
            }
            return true;
        }
        self.plain(text.as_bytes(), colon);
        false
    }

    /// A JSON string whose bytes need no escape, followed by a `:` when `colon`.
    ///
    /// Most strings of a listing: quotes around the bytes as they are, written in place in
    /// one reservation (pushing byte by byte checked the capacity each time, and copying each
    /// string called `memcpy`: a third of writing a listing).
    #[inline(always)]
    fn plain(&mut self, s: &[u8], colon: bool) {
        let t = &mut *self.text;
        t.reserve(s.len() + 3);
        let at = t.len();
        // SAFETY: `reserve` made room for the quotes, the bytes and the `:` after `at`; every
        // byte up to the new length is written before the length is set.
        unsafe {
            let p = t.as_mut_ptr().add(at);
            p.write(b'"');
            copy_short(s, p.add(1));
            p.add(1 + s.len()).write(b'"');
            if colon {
                p.add(2 + s.len()).write(b':');
            }
            t.set_len(at + s.len() + 2 + usize::from(colon));
        }
    }

    fn str_value(&mut self, s: &str) {
        self.scalar(|w| if w.string(s, false) { FLAG } else { 0 });
    }

    /// A struct's field name, then the `:`: as [`Writer::key`], looked at once per name.
    #[inline(always)]
    fn struct_key(&mut self, name: &'static str) {
        let known = (name.as_ptr() as usize >> 3) % 16;
        if std::ptr::eq(self.plain_names[known], name) {
            self.plain(name.as_bytes(), true);
            self.key = name.len() as u32;
            return;
        }
        self.key(name);
        if self.key & FLAG == 0 {
            self.plain_names[known] = name;
        }
    }

    /// A field name, then the `:`; the value's slot takes its length.
    #[inline(always)]
    fn key(&mut self, name: &str) {
        let start = self.text.len();
        let escaped = self.string(name, true);
        let len = (self.text.len() - start - 3) as u32;
        self.key = if escaped { len | FLAG } else { len };
    }

    fn compound<'w>(&'w mut self, array: bool, variant: Option<&'static str>) -> Compound<'w, 'a> {
        let outer = variant.map(|v| {
            let i = self.open();
            self.text.push(b'{');
            self.key(v);
            i
        });
        let slot = self.open();
        self.text.push(if array { b'[' } else { b'{' });
        let pending = self.doc.pending.len();
        Compound {
            w: self,
            slot,
            outer,
            first: true,
            members: 0,
            pending,
            distinct: false,
            keyed: false,
        }
    }

    /// A struct's object: its field names are distinct.
    fn structure<'w>(&'w mut self, variant: Option<&'static str>) -> Compound<'w, 'a> {
        let mut c = self.compound(false, variant);
        c.distinct = true;
        c
    }
}

/// An array or object being written; `outer`, the `{"variant": …}` around it; `pending`, where
/// its elements' slots start in `Doc::pending`.
struct Compound<'w, 'a> {
    w: &'w mut Writer<'a>,
    slot: usize,
    outer: Option<usize>,
    first: bool,
    /// How many elements or fields were written.
    members: u32,
    pending: usize,
    distinct: bool,
    /// A map's key is written and waits for its value.
    keyed: bool,
}

impl Compound<'_, '_> {
    #[inline(always)]
    fn comma(&mut self) {
        if !self.first {
            self.w.text.push(b',');
        }
        self.first = false;
        self.members += 1;
    }

    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BuildError> {
        self.comma();
        let next = self.w.doc.slots.len() as u32;
        self.w.doc.pending.push(next);
        v.serialize(&mut *self.w)
    }

    fn finish(self) -> Result<(), BuildError> {
        let w = self.w;
        let end = w.doc.slots.len() as u32;
        let array = w.text[w.doc.slots[self.slot].open as usize] == b'[';
        if array {
            w.text.push(b']');
            // Count, end, then every element's slot: a getter finds any element at once.
            let at = w.doc.elements.len() as u32;
            let count = (w.doc.pending.len() - self.pending) as u32;
            w.doc.elements.extend([count, end]);
            w.doc.elements.extend(w.doc.pending.drain(self.pending..));
            w.doc.slots[self.slot].aux = at;
        } else {
            w.text.push(b'}');
            w.doc.slots[self.slot].aux = if self.distinct { end | FLAG } else { end };
        }
        w.close(self.slot);
        // A struct whose every field took one slot (a scalar, or an empty array or object):
        // every slot up to `end` is one of its fields.
        if !array && self.distinct && end as usize - self.slot - 1 == self.members as usize {
            w.doc.slots[self.slot].len |= FLAG;
        }
        if let Some(outer) = self.outer {
            w.text.push(b'}');
            w.close(outer);
            w.doc.slots[outer].aux = end | FLAG;
        }
        Ok(())
    }
}

/// A map key as serde_json accepts one: a string, or a number or boolean written as text.
fn key_text<T: Serialize + ?Sized>(key: &T) -> Result<String, BuildError> {
    let text = serde_json::to_string(key).map_err(|e| BuildError::from(e.to_string()))?;
    match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str(&text).map_err(|e| BuildError::from(e.to_string())),
        Some(b'0'..=b'9' | b'-' | b't' | b'f') => Ok(text),
        _ => Err(BuildError::from("key must be a string")),
    }
}

// The methods a struct of strings and numbers calls (a listed entry: a struct, its fields,
// strings, an integer, an option) are inlined into that struct's own `serialize`, which then
// writes each field without a call: a call per field and per value, each passing the writer
// and a result back, was a fifth of writing a listing.
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
        self.scalar(|w| {
            w.text.extend_from_slice(if v { b"true" } else { b"false" });
            0
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
        self.integer(v);
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
    #[inline(always)]
    fn serialize_u64(self, v: u64) -> Result<(), BuildError> {
        self.integer(v);
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
    #[inline(always)]
    fn serialize_str(self, v: &str) -> Result<(), BuildError> {
        self.str_value(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), BuildError> {
        let mut seq = self.compound(true, None);
        for b in v {
            seq.element(b)?;
        }
        seq.finish()
    }
    #[inline(always)]
    fn serialize_none(self) -> Result<(), BuildError> {
        self.serialize_unit()
    }
    #[inline(always)]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), BuildError> {
        value.serialize(self)
    }
    #[inline(always)]
    fn serialize_unit(self) -> Result<(), BuildError> {
        self.scalar(|w| {
            w.text.extend_from_slice(b"null");
            0
        });
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
        let outer = self.open();
        self.text.push(b'{');
        self.key(variant);
        value.serialize(&mut *self)?;
        self.text.push(b'}');
        self.close(outer);
        self.doc.slots[outer].aux = self.doc.slots.len() as u32 | FLAG;
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(true, None))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(true, None))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(true, None))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(true, Some(variant)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'w, 'a>, BuildError> {
        Ok(self.compound(false, None))
    }
    #[inline(always)]
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
        self.keyed = true;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BuildError> {
        if !std::mem::take(&mut self.keyed) {
            return Err(BuildError::from("a map value without its key"));
        }
        v.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), BuildError> {
        self.finish()
    }
}

/// serde asks for one trait per struct form; both write a field (its comma, its name, its
/// value) and `finish`.
macro_rules! struct_forms {
    ($($form:ident),*) => {$(
        impl ser::$form for Compound<'_, '_> {
            type Ok = ();
            type Error = BuildError;
            #[inline(always)]
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                v: &T,
            ) -> Result<(), BuildError> {
                self.comma();
                self.w.struct_key(name);
                v.serialize(&mut *self.w)
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

    /// `value` written, checked to be serde_json's text, read back as a `Value`, with every
    /// pointer of it.
    fn written_with_pointers<T: Serialize + ?Sized>(
        value: &T,
    ) -> (Vec<u8>, Doc, Value, Vec<String>) {
        let (text, doc) = written(value);
        assert_eq!(text, serde_json::to_vec(value).unwrap());
        let parsed: Value = serde_json::from_slice(&text).unwrap();
        let mut all = Vec::new();
        pointers(&parsed, String::new(), &mut all);
        (text, doc, parsed, all)
    }

    /// What the index finds at `pointer`, read back as a value.
    fn found(text: &[u8], doc: &Doc, pointer: &str) -> Option<Value> {
        let v = doc.pointer(text, pointer.as_bytes())?;
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
        assert_eq!(doc.pointer(&text, b"/nan").unwrap().kind(), Kind::Null);
        assert_eq!(doc.pointer(&text, b"/shapes").unwrap().array_len(), Some(4));
        assert_eq!(doc.pointer(&text, b"/shapes/4").map(|v| v.kind()), None);
    }

    #[test]
    fn pointers_find_what_serde_json_finds() {
        let text = r#"{"a":[{"x":1},{"y":"t\"u"}],"a/b":{"m~n":true},"d":2,"d":3,"":0,"z":null,"q\"k":{"n\nl":[],"d\u0000":{}}}"#;
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
            "/q\"k",
            "/q\"k/n\nl",
            "/q\"k/n\nl/0",
            "/q\"k/d\u{0}",
            "/q\"k/d",
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
        let root = doc.pointer(&text, b"").unwrap();
        assert_eq!(root.array_len(), Some(values.len()));
        for (i, v) in values.iter().enumerate() {
            let got = doc.pointer(&text, format!("/{i}").as_bytes()).unwrap();
            assert_eq!(got.string().unwrap(), v.as_bytes());
        }
    }

    /// Many values of structs with plain, escaped and skipped fields are written as serde_json
    /// writes them and read back right.
    #[test]
    fn many_structs_keep_their_field_names() {
        #[derive(Serialize)]
        struct Row {
            #[serde(rename = "quoted \"name\"")]
            odd: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            maybe: Option<u8>,
            plain: String,
        }
        let rows: Vec<Row> = (0..40)
            .map(|i| Row {
                odd: i,
                maybe: (i % 3 == 0).then_some(i as u8),
                plain: format!("p{i}"),
            })
            .collect();
        let (text, doc, value, all) = written_with_pointers(&rows);
        for p in &all {
            assert_eq!(found(&text, &doc, p), expected(&value, p), "{p}");
        }
        assert!(all.contains(&"/39/quoted \"name\"".to_string()));
    }

    #[test]
    fn fields_are_found_wherever_the_last_struct_had_them() {
        // Structs of scalars whose fields move (skipped ones), with names that share a hint
        // ("name" and "fame"), among structs that hold one (whose own slots are not all
        // fields): every field of every element is found, in an order that jumps about.
        #[derive(Serialize)]
        struct Flat {
            #[serde(skip_serializing_if = "Option::is_none")]
            a: Option<u8>,
            name: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            fame: Option<u8>,
            size: u64,
            empty: Vec<u8>,
        }
        #[derive(Serialize)]
        struct Holder {
            fame: u8,
            inner: Flat,
            name: String,
        }
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Row {
            Flat(Flat),
            Holder(Holder),
        }
        let flat = |i: u64| Flat {
            a: (i % 2 == 0).then_some(1),
            name: format!("n{i}"),
            fame: (i % 3 == 0).then_some(2),
            size: i,
            empty: Vec::new(),
        };
        let rows: Vec<Row> = (0..30)
            .map(|i| match i % 5 {
                4 => Row::Holder(Holder {
                    fame: 9,
                    inner: flat(i + 100),
                    name: format!("h{i}"),
                }),
                _ => Row::Flat(flat(i)),
            })
            .collect();
        let (text, doc, value, mut all) = written_with_pointers(&rows);
        for i in 0..30 {
            for name in ["a", "fame", "empty", "inner/name", "inner/fame", "nope"] {
                all.push(format!("/{i}/{name}"));
            }
        }
        // The same pointers in a scrambled order, twice over.
        let n = all.len();
        for k in 0..2 * n {
            let p = &all[(k * 7919) % n];
            assert_eq!(found(&text, &doc, p), expected(&value, p), "{p}");
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
