//! The error a span records: [`SpanError`].

use std::fmt;

use serde::ser::SerializeMap;
use serde::Serializer;
use serde_json::Value;

use crate::json_input::{self, IntoJson};
use crate::json_text::{self, JsonDebug, OptJsonDebug};
use crate::limits::{release_json, serialize_as_record, SerializeUnlimited};
use crate::span_data::{JsonMap, JsonMut};

/// An error recorded on a span with [`SpanGuard::set_error`](crate::SpanGuard::set_error).
///
/// Exported as `{"message": ..., "data": ..., <more keys>}`. Python's `set_error` takes a
/// dict and exports it as given: `data` of any JSON type and keys beyond `message` and
/// `data` included. So does this type: [`data`](Self::data) holds any JSON value, and
/// [`with_extra`](Self::with_extra) adds keys, written after `data` in the order added.
/// (`message` and `data` are always written, first; `data` as `null` when unset.)
///
/// ```
/// use serde_json::json;
/// use trace_core::SpanError;
///
/// let error = SpanError::new("Tool timed out").with_data(json!(["a", 1])).with_extra("code", json!(504));
/// let text = trace_core::wire::to_json_string(&error).unwrap();
/// assert_eq!(text, r#"{"message":"Tool timed out","data":["a",1],"code":504}"#);
/// ```
#[derive(Clone, PartialEq)]
pub struct SpanError {
    /// What went wrong.
    pub message: String,
    /// Details, any JSON value; `null` when `None`.
    pub data: Option<Value>,
    /// Keys beyond `message` and `data`, in the order added; never `message` or `data`.
    extra: JsonMap,
}

impl SpanError {
    /// An error with a message and no data.
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), data: None, extra: JsonMap::new() }
    }

    /// Sets the data (builder style): a `serde_json::Value` or [`JsonMap`], or a reference
    /// to any `Serialize` value. Any JSON is kept as it is (not only objects), as Python
    /// exports whatever `set_error` is given; `null` leaves the data `null` (see
    /// [`json_input`](crate::json_input) for a value that cannot be serialized).
    pub fn with_data(mut self, data: impl IntoJson) -> Self {
        self.data = json_input::to_value(data, "error data");
        self
    }

    /// Adds a key to the error object (builder style), as a key of the dict given to
    /// Python's `set_error` beyond `message` and `data`. Written after `data`, in the order
    /// added; setting a key again replaces its value in place. The key `data` sets
    /// [`data`](Self::data); the key `message` sets [`message`](Self::message), to the
    /// string, or to the JSON text of any other value.
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let key = key.into();
        let value = value.into();
        match key.as_str() {
            "data" => self.data = Some(value),
            "message" => {
                self.message = match value {
                    Value::String(s) => s,
                    other => json_text::to_string(&other).unwrap_or_default(),
                }
            }
            _ => {
                self.extra.insert(key, value);
            }
        }
        self
    }

    /// The keys added with [`with_extra`](Self::with_extra), in order.
    pub fn extra(&self) -> &JsonMap {
        &self.extra
    }

    /// The keys added with [`with_extra`](Self::with_extra), to rewrite them.
    pub(crate) fn extra_mut(&mut self) -> &mut JsonMap {
        &mut self.extra
    }

    /// A copy made without deep recursion (see `limits::clone`).
    pub(crate) fn clone_bounded(&self) -> Self {
        use crate::limits::clone::CloneBounded;
        Self { message: self.message.clone(), data: self.data.clone_bounded(), extra: self.extra.clone_bounded() }
    }

    /// Removes the keys added with [`with_extra`](Self::with_extra), releasing their JSON
    /// without deep recursion.
    pub(crate) fn clear_extra(&mut self) {
        release_json(JsonMut::Object(&mut self.extra));
        self.extra.clear();
    }

    /// Empties the error's JSON without deep recursion.
    pub(crate) fn release_json(&mut self) {
        if let Some(data) = &mut self.data {
            release_json(JsonMut::Value(data));
        }
        release_json(JsonMut::Object(&mut self.extra));
    }
}

impl fmt::Debug for SpanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // User JSON as depth-limited JSON text: its derived `Debug` would recurse once per level.
        let mut d = f.debug_struct("SpanError");
        d.field("message", &self.message).field("data", &OptJsonDebug(&self.data));
        if !self.extra.is_empty() {
            d.field("extra", &JsonDebug(&self.extra));
        }
        d.finish()
    }
}

impl SerializeUnlimited for SpanError {
    fn serialize_unlimited<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2 + self.extra.len()))?;
        m.serialize_entry("message", &self.message)?;
        m.serialize_entry("data", &self.data)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

serialize_as_record!(SpanError);
