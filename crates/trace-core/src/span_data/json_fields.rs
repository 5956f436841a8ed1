//! The user-supplied JSON fields of each span type, listed once.
//!
//! Three mechanisms need to know which fields of span data hold arbitrary JSON: the depth
//! check (`limits::span_data_depth_exceeds`), the release
//! of a span's JSON without deep recursion when it is dropped, and exporters that rewrite
//! fields (the OpenAI sanitizer cuts `input` / `output` and drops `usage`). They all walk
//! [`SpanData::json_fields`] or [`SpanData::json_fields_mut`], so a field added to a span
//! type is added to the table below and to nothing else.

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::{DataMap, JsonMap, SpanData};

/// Where a JSON field of span data is written on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonPlace {
    /// A key of the `span_data` object, always present: `null` when the field is `None`.
    SpanData,
    /// A key of `span_data.data` (the usage of task and turn spans), present only when set.
    SdkData,
    /// Merged into the span's `metadata` object (agent, task and turn metadata).
    SpanMetadata,
    /// Kept for processors, never exported (the raw response and input of a response span).
    NotExported,
}

/// A user-supplied JSON value held by span data, borrowed.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum JsonRef<'a> {
    /// A JSON object field ([`JsonMap`]).
    Object(&'a JsonMap),
    /// The data object of a custom span ([`DataMap`]).
    Data(&'a DataMap),
    /// A list of JSON values (generation input and output).
    Array(&'a [Value]),
    /// Any JSON value.
    Value(&'a Value),
}

impl JsonRef<'_> {
    /// The value as the JSON container it is written as, or the value itself.
    pub fn as_array(&self) -> Option<&[Value]> {
        match *self {
            JsonRef::Array(items) => Some(items),
            JsonRef::Value(Value::Array(items)) => Some(items),
            _ => None,
        }
    }
}

impl Serialize for JsonRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            JsonRef::Object(m) => m.serialize(serializer),
            JsonRef::Data(m) => m.serialize(serializer),
            JsonRef::Array(items) => items.serialize(serializer),
            JsonRef::Value(v) => v.serialize(serializer),
        }
    }
}

/// A user-supplied JSON value held by span data, mutably borrowed.
#[derive(Debug)]
#[non_exhaustive]
pub enum JsonMut<'a> {
    /// A JSON object field ([`JsonMap`]).
    Object(&'a mut JsonMap),
    /// The data object of a custom span ([`DataMap`]).
    Data(&'a mut DataMap),
    /// A list of JSON values (generation input and output).
    Array(&'a mut Vec<Value>),
    /// Any JSON value.
    Value(&'a mut Value),
}

/// One JSON field of span data: its key, where it is written, and its value (`None` when
/// the field is unset).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct JsonField<V> {
    /// The field's key where it is written (`"usage"`, `"input"`, `"data"`, ...); for
    /// [`JsonPlace::SpanMetadata`] and [`JsonPlace::NotExported`], the Rust field's name.
    pub key: &'static str,
    /// Where the field is written.
    pub place: JsonPlace,
    /// The value, `None` when unset.
    pub value: Option<V>,
}

/// Borrowing a field as [`JsonRef`] / [`JsonMut`].
trait AsJson {
    fn as_json(&self) -> Option<JsonRef<'_>>;
    fn as_json_mut(&mut self) -> Option<JsonMut<'_>>;
}

impl AsJson for DataMap {
    fn as_json(&self) -> Option<JsonRef<'_>> {
        Some(JsonRef::Data(self))
    }
    fn as_json_mut(&mut self) -> Option<JsonMut<'_>> {
        Some(JsonMut::Data(self))
    }
}

impl AsJson for Option<Box<JsonMap>> {
    fn as_json(&self) -> Option<JsonRef<'_>> {
        self.as_deref().map(JsonRef::Object)
    }
    fn as_json_mut(&mut self) -> Option<JsonMut<'_>> {
        self.as_deref_mut().map(JsonMut::Object)
    }
}

impl AsJson for Option<Vec<Value>> {
    fn as_json(&self) -> Option<JsonRef<'_>> {
        self.as_deref().map(JsonRef::Array)
    }
    fn as_json_mut(&mut self) -> Option<JsonMut<'_>> {
        self.as_mut().map(JsonMut::Array)
    }
}

impl AsJson for Option<Box<Value>> {
    fn as_json(&self) -> Option<JsonRef<'_>> {
        self.as_deref().map(JsonRef::Value)
    }
    fn as_json_mut(&mut self) -> Option<JsonMut<'_>> {
        self.as_deref_mut().map(JsonMut::Value)
    }
}

/// The most JSON fields a span type has.
const MAX_FIELDS: usize = 4;

/// The JSON fields of `$data`, borrowed with `$as` (`as_json` or `as_json_mut`).
macro_rules! json_fields {
    ($data:expr, $as:ident, { $($variant:ident { $($field:ident: $place:ident),* })* }) => {
        match $data {
            $(SpanData::$variant(d) => fields([$(JsonField {
                key: stringify!($field),
                place: JsonPlace::$place,
                value: d.$field.$as(),
            }),*]),)*
            _ => fields([]),
        }
    };
}

/// Pads `fields` to a fixed-size array, so every span type yields the same iterator type.
fn fields<V, const N: usize>(
    fields: [JsonField<V>; N],
) -> std::iter::Flatten<std::array::IntoIter<Option<JsonField<V>>, MAX_FIELDS>> {
    let mut out: [Option<JsonField<V>>; MAX_FIELDS] = Default::default();
    for (slot, field) in out.iter_mut().zip(fields) {
        *slot = Some(field);
    }
    out.into_iter().flatten()
}

/// The table: each span type's JSON fields, in the order they are written.
macro_rules! span_data_json_fields {
    ($data:expr, $as:ident) => {
        json_fields!($data, $as, {
            Agent { metadata: SpanMetadata }
            Task { usage: SdkData, metadata: SpanMetadata }
            Turn { usage: SdkData, metadata: SpanMetadata }
            Function { mcp_data: SpanData }
            Generation { input: SpanData, output: SpanData, model_config: SpanData, usage: SpanData }
            Response { usage: SpanData, response: NotExported, input: NotExported }
            Custom { data: SpanData }
            Transcription { model_config: SpanData }
            Speech { model_config: SpanData }
        })
    };
}

impl SpanData {
    /// Every field of this span data that holds user-supplied JSON (custom data, metadata,
    /// usage, model settings, MCP data, generation input and output, the raw response),
    /// set or not, with the key and place it is written under.
    ///
    /// ```
    /// use serde_json::json;
    /// use trace_core::span_data::{JsonPlace, ResponseSpanData, SpanData};
    ///
    /// let data = SpanData::from(ResponseSpanData { response: Some(Box::new(json!({"id": "r"}))), ..Default::default() });
    /// let fields: Vec<_> = data.json_fields().map(|f| (f.key, f.place, f.value.is_some())).collect();
    /// assert_eq!(fields, [
    ///     ("usage", JsonPlace::SpanData, false),
    ///     ("response", JsonPlace::NotExported, true),
    ///     ("input", JsonPlace::NotExported, false),
    /// ]);
    /// ```
    pub fn json_fields(&self) -> impl Iterator<Item = JsonField<JsonRef<'_>>> {
        span_data_json_fields!(self, as_json)
    }

    /// [`json_fields`](Self::json_fields), mutably borrowed.
    pub fn json_fields_mut(&mut self) -> impl Iterator<Item = JsonField<JsonMut<'_>>> {
        span_data_json_fields!(self, as_json_mut)
    }
}

/// One value of every span type, each JSON field set (to a small value).
#[cfg(test)]
pub(crate) fn every_type_with_json() -> Vec<SpanData> {
    use crate::span_data::*;
    {
        let map = || Some(JsonMap::from_iter([("k".to_owned(), Value::from(1))]));
        let list = || Some(vec![Value::from("x")]);
        vec![
            AgentSpanData { metadata: map().map(Box::new), ..Default::default() }.into(),
            TaskSpanData { usage: map().map(Box::new), metadata: map().map(Box::new), ..Default::default() }.into(),
            TurnSpanData { usage: map().map(Box::new), metadata: map().map(Box::new), ..Default::default() }.into(),
            FunctionSpanData { mcp_data: map().map(Box::new), ..Default::default() }.into(),
            GenerationSpanData {
                input: list(),
                output: list(),
                model_config: map().map(Box::new),
                usage: map().map(Box::new),
                model: None,
            }
            .into(),
            ResponseSpanData {
                usage: map().map(Box::new),
                response: Some(Box::new(Value::from(1))),
                input: Some(Box::new(Value::from(2))),
                ..Default::default()
            }
            .into(),
            HandoffSpanData::default().into(),
            CustomSpanData { data: map().unwrap().into(), ..Default::default() }.into(),
            GuardrailSpanData::default().into(),
            TranscriptionSpanData { model_config: map().map(Box::new), ..Default::default() }.into(),
            SpeechSpanData { model_config: map().map(Box::new), ..Default::default() }.into(),
            SpeechGroupSpanData::default().into(),
            McpListToolsSpanData::default().into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_span_data_field_is_listed_where_it_is_written() {
        for data in every_type_with_json() {
            let text = crate::wire::to_json_string(&data).unwrap();
            let exported: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mut listed = 0;
            for field in data.json_fields() {
                let value = crate::wire::to_json_value(&field.value.expect("every field is set")).unwrap();
                let written = match field.place {
                    JsonPlace::SpanData => exported.get(field.key),
                    JsonPlace::SdkData => exported["data"].get(field.key),
                    JsonPlace::SpanMetadata | JsonPlace::NotExported => None,
                };
                match field.place {
                    JsonPlace::SpanData | JsonPlace::SdkData => {
                        assert_eq!(written, Some(&value), "{} {}", data.kind(), field.key)
                    }
                    _ => assert!(!text.contains(&format!("\"{}\":", field.key)), "{} {}", data.kind(), field.key),
                }
                listed += 1;
            }
            // Every JSON container in the exported span data comes from a listed field:
            // its scalar fields and the fixed audio objects aside.
            let containers = exported
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, v)| {
                    (v.is_object() || v.is_array()) && !matches!(k.as_str(), "handoffs" | "tools" | "result")
                })
                .filter(|(k, _)| {
                    !(matches!(data, SpanData::Transcription(_) | SpanData::Speech(_))
                        && matches!(k.as_str(), "input" | "output"))
                })
                .filter(|(k, _)| !(matches!(data, SpanData::Task(_) | SpanData::Turn(_)) && *k == "data"))
                .count();
            let top_level = data.json_fields().filter(|f| f.place == JsonPlace::SpanData).count();
            assert_eq!(containers, top_level, "{text}");
            assert_eq!(data.clone().json_fields_mut().count(), listed);
        }
    }
}
