//! A typed value turned straight into the getters' document ([`Node`]), so that a JSON text the
//! library hands to C comes with its parsed form already built: the C getters never parse what
//! the library itself wrote. The text is then written from the document, and is the text
//! `serde_json::to_string` gives for the value (same field order, numbers and escapes).

use super::jsondoc::Node;
use serde::ser::{self, Serialize};
use serde_json::Number;
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

type Owned = Node<'static>;

/// A document and the block of text its strings borrow from.
pub(crate) struct Doc {
    /// Borrows from `strings`; read only through `&self`, so no borrow outlives the document.
    root: Owned,
    _strings: Strings,
}

impl Doc {
    pub(crate) fn root(&self) -> &Node<'_> {
        &self.root
    }
}

/// The strings of one document, copied into a few large blocks rather than one allocation
/// each: a 5,000-entry listing has 40,000 strings, and as many allocations and frees made the
/// allocator give its heap back and take it again on every call.
struct Strings {
    blocks: Vec<String>,
}

const BLOCK: usize = 16 * 1024;

impl Strings {
    fn add(&mut self, s: &str) -> &'static str {
        if s.is_empty() {
            return "";
        }
        let room = self.blocks.last().map_or(0, |b| b.capacity() - b.len());
        if room < s.len() {
            self.blocks.push(String::with_capacity(s.len().max(BLOCK)));
        }
        let Some(block) = self.blocks.last_mut() else {
            unreachable!("a block was just added")
        };
        let start = block.len();
        block.push_str(s);
        let added: *const str = &block[start..];
        // SAFETY: `push_str` within the capacity never moves a block's buffer, blocks are never
        // shrunk or removed, and moving a `String` does not move its buffer; the `Doc` holding
        // these blocks is the only owner of nodes borrowing from them and hands them out only
        // borrowed from itself.
        unsafe { &*added }
    }
}

/// The document of `value`, as serde_json would write it.
pub(crate) fn to_node<T: Serialize + ?Sized>(value: &T) -> Result<Doc, BuildError> {
    let mut strings = Strings { blocks: Vec::new() };
    let root = value.serialize(NodeSerializer(&mut strings))?;
    Ok(Doc {
        root,
        _strings: strings,
    })
}

/// `{"variant": value}`, serde_json's form of a non-unit enum variant.
fn tagged(variant: &'static str, value: Owned) -> Owned {
    Node::Object(vec![(Cow::Borrowed(variant), value)])
}

struct NodeSerializer<'a>(&'a mut Strings);

impl<'a> ser::Serializer for NodeSerializer<'a> {
    type Ok = Owned;
    type Error = BuildError;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Map<'a>;
    type SerializeStruct = Map<'a>;
    type SerializeStructVariant = Map<'a>;

    fn serialize_bool(self, v: bool) -> Result<Owned, BuildError> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Owned, BuildError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Owned, BuildError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Owned, BuildError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Owned, BuildError> {
        Ok(Node::Number(v.into()))
    }
    fn serialize_u8(self, v: u8) -> Result<Owned, BuildError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Owned, BuildError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Owned, BuildError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Owned, BuildError> {
        Ok(Node::Number(v.into()))
    }
    fn serialize_f32(self, v: f32) -> Result<Owned, BuildError> {
        // Through its shortest decimal text, as serde_json writes an f32 (0.1, not 0.100000001…).
        let shortest: f64 = v.to_string().parse().unwrap_or(f64::NAN);
        self.serialize_f64(if v.is_finite() { shortest } else { f64::NAN })
    }
    fn serialize_f64(self, v: f64) -> Result<Owned, BuildError> {
        // serde_json writes a non-finite number as null.
        Ok(Number::from_f64(v).map_or(Node::Null, Node::Number))
    }
    fn serialize_char(self, v: char) -> Result<Owned, BuildError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Owned, BuildError> {
        Ok(Node::Str(Cow::Borrowed(self.0.add(v))))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Owned, BuildError> {
        Ok(Node::Array(
            v.iter().map(|b| Node::Number((*b).into())).collect(),
        ))
    }
    fn serialize_none(self) -> Result<Owned, BuildError> {
        Ok(Node::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Owned, BuildError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Owned, BuildError> {
        Ok(Node::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Owned, BuildError> {
        Ok(Node::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Owned, BuildError> {
        Ok(Node::Str(Cow::Borrowed(variant)))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Owned, BuildError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Owned, BuildError> {
        Ok(tagged(variant, value.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a>, BuildError> {
        Ok(Seq {
            strings: self.0,
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, BuildError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'a>, BuildError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, BuildError> {
        Ok(Seq {
            strings: self.0,
            items: Vec::with_capacity(len),
            variant: Some(variant),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Map<'a>, BuildError> {
        Ok(Map {
            strings: self.0,
            fields: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Map<'a>, BuildError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Map<'a>, BuildError> {
        Ok(Map {
            strings: self.0,
            fields: Vec::with_capacity(len),
            key: None,
            variant: Some(variant),
        })
    }
}

struct Seq<'a> {
    strings: &'a mut Strings,
    items: Vec<Owned>,
    variant: Option<&'static str>,
}

impl Seq<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), BuildError> {
        self.items
            .push(value.serialize(NodeSerializer(self.strings))?);
        Ok(())
    }
    fn finish(self) -> Result<Owned, BuildError> {
        let array = Node::Array(self.items);
        Ok(match self.variant {
            Some(v) => tagged(v, array),
            None => array,
        })
    }
}

/// serde asks for one trait per sequence form; all four are a `Seq`'s `push` and `finish`.
macro_rules! seq_forms {
    ($($form:ident :: $add:ident),*) => {$(
        impl ser::$form for Seq<'_> {
            type Ok = Owned;
            type Error = BuildError;
            fn $add<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BuildError> {
                self.push(v)
            }
            fn end(self) -> Result<Owned, BuildError> {
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

struct Map<'a> {
    strings: &'a mut Strings,
    fields: Vec<(Cow<'static, str>, Owned)>,
    key: Option<Cow<'static, str>>,
    variant: Option<&'static str>,
}

impl Map<'_> {
    fn finish(self) -> Result<Owned, BuildError> {
        let object = Node::Object(self.fields);
        Ok(match self.variant {
            Some(v) => tagged(v, object),
            None => object,
        })
    }
}

/// A map key as serde_json accepts one: a string, or a number, boolean or char written as text.
fn key_text<T: Serialize + ?Sized>(
    key: &T,
    strings: &mut Strings,
) -> Result<Cow<'static, str>, BuildError> {
    match key.serialize(NodeSerializer(strings))? {
        Node::Str(s) => Ok(s),
        Node::Number(n) => Ok(Cow::Owned(n.to_string())),
        Node::Bool(b) => Ok(Cow::Borrowed(if b { "true" } else { "false" })),
        _ => Err(BuildError("key must be a string".into())),
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = Owned;
    type Error = BuildError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), BuildError> {
        self.key = Some(key_text(key, self.strings)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), BuildError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| BuildError("a map value without its key".into()))?;
        self.fields
            .push((key, v.serialize(NodeSerializer(self.strings))?));
        Ok(())
    }
    fn end(self) -> Result<Owned, BuildError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = Owned;
    type Error = BuildError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), BuildError> {
        self.fields.push((
            Cow::Borrowed(key),
            v.serialize(NodeSerializer(self.strings))?,
        ));
        Ok(())
    }
    fn end(self) -> Result<Owned, BuildError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Map<'_> {
    type Ok = Owned;
    type Error = BuildError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), BuildError> {
        ser::SerializeStruct::serialize_field(self, key, v)
    }
    fn end(self) -> Result<Owned, BuildError> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
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

    #[test]
    fn the_text_written_from_the_document_is_serde_jsons() {
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
        let doc = to_node(&sample).unwrap();
        let node = doc.root();
        let mut written = Vec::new();
        node.write_json(&mut written);
        assert_eq!(
            String::from_utf8(written).unwrap(),
            serde_json::to_string(&sample).unwrap()
        );
        assert!(matches!(node.pointer("/name"), Some(Node::Str(s)) if s == "plain"));
        assert!(matches!(
            node.pointer("/shapes/3/Named/w"),
            Some(Node::Number(_))
        ));
    }

    #[test]
    fn strings_of_any_length_keep_their_text_across_blocks() {
        let long = "x".repeat(BLOCK + 3);
        let values: Vec<String> = ["", "a", &long, "", "tail"]
            .iter()
            .map(|s| s.to_string())
            .chain((0..3000).map(|i| format!("entry-{i:05}")))
            .collect();
        let doc = to_node(&values).unwrap();
        let mut written = Vec::new();
        doc.root().write_json(&mut written);
        assert_eq!(written, serde_json::to_vec(&values).unwrap());
        assert!(matches!(doc.root().pointer("/2"), Some(Node::Str(s)) if *s == long));
        assert!(matches!(doc.root().pointer("/0"), Some(Node::Str(s)) if s.is_empty()));
    }

    #[test]
    fn a_key_that_is_no_text_is_an_error_as_in_serde_json() {
        let map: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into();
        assert!(to_node(&map).is_err());
        assert!(serde_json::to_string(&map).is_err());
    }
}
