//! [`EditFields`]: a value written as its own `Serialize` writes it, with some top-level
//! fields left out or replaced. Exporters that rewrite part of a record (the OpenAI
//! sanitizer drops or rebuilds `span_data.usage`) use it instead of writing the record's
//! fields again themselves, so the wire format stays written in one place.

use std::fmt;

use serde::ser::{self, Serialize, Serializer};
use serde_json::Value;

use crate::limits::serializer_proxy::{forward, forward_compounds, forward_scalars};

/// What to do with one field in [`EditFields`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum FieldEdit<'a> {
    /// Leave the field out.
    Omit,
    /// Write this value in the field's place.
    Replace(&'a Value),
}

/// `value` serialized as its own `Serialize` writes it, except that the fields of its
/// top-level struct named in `edits` are left out or replaced (in place: the key order
/// stays). Only struct fields are edited (span data, spans, traces serialize as structs);
/// nested values and map entries are written unchanged.
///
/// ```
/// use serde_json::json;
/// use trace_core::span_data::{ResponseSpanData, SpanData};
/// use trace_core::wire::{self, EditFields, FieldEdit};
///
/// let data = SpanData::from(ResponseSpanData { response_id: Some("r".into()), ..Default::default() });
/// let usage = json!({"input_tokens": 1});
/// let replaced = wire::to_json_string(&EditFields::new(&data, &[("usage", FieldEdit::Replace(&usage))])).unwrap();
/// assert_eq!(replaced, r#"{"type":"response","response_id":"r","usage":{"input_tokens":1}}"#);
/// let omitted = wire::to_json_string(&EditFields::new(&data, &[("usage", FieldEdit::Omit)])).unwrap();
/// assert_eq!(omitted, r#"{"type":"response","response_id":"r"}"#);
/// ```
pub struct EditFields<'a, T: ?Sized> {
    value: &'a T,
    edits: &'a [(&'a str, FieldEdit<'a>)],
}

impl<'a, T: ?Sized> EditFields<'a, T> {
    /// `value`, with the fields named in `edits` left out or replaced.
    pub fn new(value: &'a T, edits: &'a [(&'a str, FieldEdit<'a>)]) -> Self {
        Self { value, edits }
    }
}

impl<T: ?Sized> fmt::Debug for EditFields<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = self.edits.iter().map(|(k, _)| *k).collect();
        f.debug_struct("EditFields").field("edited", &keys).finish_non_exhaustive()
    }
}

impl<T: Serialize + ?Sized> Serialize for EditFields<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Editor { inner: serializer, edits: self.edits })
    }
}

/// The serializer of the top-level value: forwards everything, editing struct fields.
struct Editor<'a, S> {
    inner: S,
    edits: &'a [(&'a str, FieldEdit<'a>)],
}

/// A struct being written, with its fields edited.
struct EditedStruct<'a, C> {
    inner: C,
    edits: &'a [(&'a str, FieldEdit<'a>)],
}

/// The edit of the field `key`, if any.
fn edit_of<'a>(edits: &'a [(&'a str, FieldEdit<'a>)], key: &str) -> Option<FieldEdit<'a>> {
    edits.iter().find(|(k, _)| *k == key).map(|(_, e)| *e)
}

macro_rules! edited_struct {
    ($trait:ident) => {
        impl<C: ser::$trait> ser::$trait for EditedStruct<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;

            fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), C::Error> {
                match edit_of(self.edits, key) {
                    None => self.inner.serialize_field(key, value),
                    Some(FieldEdit::Omit) => self.inner.skip_field(key),
                    Some(FieldEdit::Replace(v)) => self.inner.serialize_field(key, v),
                }
            }

            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                match edit_of(self.edits, key) {
                    Some(FieldEdit::Replace(v)) => self.inner.serialize_field(key, v),
                    _ => self.inner.skip_field(key),
                }
            }

            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    };
}

edited_struct!(SerializeStruct);
edited_struct!(SerializeStructVariant);

impl<'a, S: Serializer> Editor<'a, S> {
    /// Opens `inner`'s struct with `open` and edits its fields.
    fn edited<C>(self, open: impl FnOnce(S) -> Result<C, S::Error>) -> Result<EditedStruct<'a, C>, S::Error> {
        Ok(EditedStruct { inner: open(self.inner)?, edits: self.edits })
    }
}

impl<'a, S: Serializer> Serializer for Editor<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = EditedStruct<'a, S::SerializeStruct>;
    type SerializeStructVariant = EditedStruct<'a, S::SerializeStructVariant>;

    forward_scalars!();
    forward! {
        serialize_f32(v: f32) -> S::Ok;
        serialize_f64(v: f64) -> S::Ok;
        serialize_some<T>(value: &T) -> S::Ok;
        serialize_newtype_struct<T>(name: &'static str, value: &T) -> S::Ok;
        serialize_newtype_variant<T>(name: &'static str, index: u32, variant: &'static str, value: &T) -> S::Ok;
    }
    forward_compounds!(seqs: inner, structs: edited);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::limits::{DEPTH_LIMIT_MARKER, MAX_JSON_DEPTH};
    use crate::span_data::{GenerationSpanData, SpanData};
    use crate::wire::to_json_string;

    #[test]
    fn only_top_level_fields_named_are_edited_in_place() {
        let data = SpanData::from(GenerationSpanData {
            input: Some(vec![json!({"usage": 1})]),
            usage: Some(Box::new(crate::JsonMap::from_iter([("input_tokens".to_owned(), json!(1))]))),
            ..Default::default()
        });
        let new = json!({"x": 1});
        let out = to_json_string(&EditFields::new(&data, &[("usage", FieldEdit::Replace(&new))])).unwrap();
        assert_eq!(
            out,
            r#"{"type":"generation","input":[{"usage":1}],"output":null,"model":null,"model_config":null,"usage":{"x":1}}"#
        );
        let out =
            to_json_string(&EditFields::new(&data, &[("model", FieldEdit::Omit), ("usage", FieldEdit::Omit)])).unwrap();
        assert_eq!(out, r#"{"type":"generation","input":[{"usage":1}],"output":null,"model_config":null}"#);
        // Not a struct: unchanged.
        let map = json!({"usage": 1});
        assert_eq!(to_json_string(&EditFields::new(&map, &[("usage", FieldEdit::Omit)])).unwrap(), r#"{"usage":1}"#);
    }

    #[test]
    fn a_replacement_is_depth_limited_where_it_is_written() {
        let deep = crate::limits::nested_arrays(MAX_JSON_DEPTH + 10);
        let data = SpanData::from(GenerationSpanData::default());
        let out = to_json_string(&EditFields::new(&data, &[("usage", FieldEdit::Replace(&deep))])).unwrap();
        // The span data object is depth 0 here, `usage` opens at depth 1.
        let expected =
            format!("{}{DEPTH_LIMIT_MARKER:?}{}", "[".repeat(MAX_JSON_DEPTH - 1), "]".repeat(MAX_JSON_DEPTH - 1));
        assert!(out.ends_with(&format!(r#""usage":{expected}}}"#)), "{out}");
        crate::limits::release(deep);
    }
}
