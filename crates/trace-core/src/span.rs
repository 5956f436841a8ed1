//! The span record that processors and exporters see.

use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::ids::{SpanId, TraceId, WireText};
use crate::limits::{release_span_data, serialize_as_record, SerializeUnlimited, Unlimited};
use crate::secret::ApiKey;
use crate::span_data::{JsonMap, SpanData};
use crate::span_error::SpanError;
use crate::span_kind::SpanKind;
use crate::time::{TimeCell, Timestamp};
use crate::trace::Trace;

/// Keys of the trace metadata that are copied into each span's `metadata`, as in Python.
pub const SPAN_METADATA_ROUTING_KEYS: &[&str] = &["agent_harness_id"];

/// One timed operation within a trace.
///
/// Processors receive `&Span` in [`on_span_start`](crate::TracingProcessor::on_span_start)
/// and `&Arc<Span>` in [`on_span_end`](crate::TracingProcessor::on_span_end): one shared
/// allocation, whatever the number of processors; keeping it costs a reference count.
/// It serializes to the Python SDK's span object, key for key.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub(crate) span_id: SpanId,
    pub(crate) trace: Arc<Trace>,
    pub(crate) parent_id: Option<SpanId>,
    /// Set by the guard through a shared reference (see [`TimeCell`]).
    pub(crate) started_at: TimeCell,
    pub(crate) ended_at: TimeCell,
    pub(crate) data: SpanData,
    /// Boxed: rare, and 168 bytes inline in every span.
    pub(crate) error: Option<Box<SpanError>>,
}

impl Span {
    /// A span record, not started. Most users get spans through the helpers such as
    /// [`custom_span`](crate::custom_span) instead; this is for processors and exporters
    /// that build spans themselves (tests, replays of finished spans).
    pub fn new(span_id: SpanId, trace: Arc<Trace>, parent_id: Option<SpanId>, data: impl Into<SpanData>) -> Self {
        Self {
            span_id,
            trace,
            parent_id,
            started_at: TimeCell::new(None),
            ended_at: TimeCell::new(None),
            data: data.into(),
            error: None,
        }
    }

    /// Sets both timestamps (builder style), for replaying a finished span.
    pub fn with_times(mut self, started_at: Timestamp, ended_at: Timestamp) -> Self {
        self.started_at = TimeCell::new(Some(started_at));
        self.ended_at = TimeCell::new(Some(ended_at));
        self
    }

    /// Sets the error (builder style).
    pub fn with_error(mut self, error: SpanError) -> Self {
        self.error = Some(Box::new(error));
        self
    }

    /// The span id.
    pub fn span_id(&self) -> &SpanId {
        &self.span_id
    }

    /// The id of the trace the span belongs to.
    pub fn trace_id(&self) -> &TraceId {
        &self.trace.id
    }

    /// The trace the span belongs to.
    pub fn trace(&self) -> &Arc<Trace> {
        &self.trace
    }

    /// The parent span's id; `None` when the parent is the trace itself.
    pub fn parent_id(&self) -> Option<&SpanId> {
        self.parent_id.as_ref()
    }

    /// When the span started.
    pub fn started_at(&self) -> Option<Timestamp> {
        self.started_at.get()
    }

    /// When the span ended.
    pub fn ended_at(&self) -> Option<Timestamp> {
        self.ended_at.get()
    }

    /// The typed span data.
    pub fn data(&self) -> &SpanData {
        &self.data
    }

    /// The span's type (the variant of its [`data`](Self::data)).
    pub fn kind(&self) -> SpanKind {
        self.data.kind()
    }

    /// The error, if one was set.
    pub fn error(&self) -> Option<&SpanError> {
        self.error.as_deref()
    }

    /// The tracing API key inherited from the trace. Never serialized.
    pub fn tracing_api_key(&self) -> Option<&ApiKey> {
        self.trace.tracing_api_key.as_ref()
    }

    /// The metadata of the trace the span belongs to.
    pub fn trace_metadata(&self) -> Option<&JsonMap> {
        self.trace.metadata.as_ref()
    }

    fn routing_entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        let trace_meta = self.trace.metadata.as_ref();
        SPAN_METADATA_ROUTING_KEYS
            .iter()
            .filter_map(move |k| trace_meta.and_then(|m| m.get_key_value(*k)).map(|(k, v)| (k.as_str(), v)))
    }

    fn data_entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.data
            .metadata()
            .into_iter()
            .flat_map(|m| m.iter())
            .filter(|(k, _)| !SPAN_METADATA_ROUTING_KEYS.contains(&k.as_str()) || !self.has_routing_key(k))
            .map(|(k, v)| (k.as_str(), v))
    }

    fn has_routing_key(&self, key: &str) -> bool {
        self.trace.metadata.as_ref().is_some_and(|m| m.contains_key(key))
    }

    /// The span's exported `metadata`: the trace metadata's routing keys
    /// ([`SPAN_METADATA_ROUTING_KEYS`]), then the span data's own metadata (agent, task and
    /// turn data have one) for keys not already present. `None` when empty, in which case
    /// the key is left out of the JSON, as in Python.
    pub fn export_metadata(&self) -> Option<JsonMap> {
        let mut map = JsonMap::new();
        for (k, v) in self.export_metadata_entries() {
            map.insert(k.to_owned(), v.clone());
        }
        (!map.is_empty()).then_some(map)
    }

    /// The entries of [`export_metadata`](Self::export_metadata), borrowed, in the order
    /// they are written: for exporters that write the metadata without copying it.
    pub fn export_metadata_entries(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.routing_entries().chain(self.data_entries())
    }

    /// A copy made without deep recursion, whatever the nesting of its JSON (see
    /// `limits::clone`); it shares the trace.
    pub(crate) fn clone_bounded(&self) -> Self {
        Self {
            span_id: self.span_id.clone(),
            trace: Arc::clone(&self.trace),
            parent_id: self.parent_id.clone(),
            started_at: self.started_at.clone(),
            ended_at: self.ended_at.clone(),
            data: self.data.clone_bounded(),
            error: self.error.as_ref().map(|e| Box::new(e.clone_bounded())),
        }
    }

    /// Removes what the trace's sensitive-data switch leaves out, if it is off (see
    /// [`sensitive`](crate::sensitive)): a `bool` read when it is on.
    #[inline]
    pub(crate) fn strip_sensitive_if_off(&mut self) {
        if !self.trace.include_sensitive_data && (self.error.is_some() || self.data.may_hold_sensitive_data()) {
            self.strip_sensitive();
        }
    }

    #[cold]
    #[inline(never)]
    fn strip_sensitive(&mut self) {
        crate::sensitive::strip_sensitive_data(&mut self.data);
        if let Some(error) = &mut self.error {
            crate::sensitive::strip_sensitive_error(error);
        }
    }

    fn has_export_metadata(&self) -> bool {
        self.routing_entries().next().is_some() || self.data.metadata().is_some_and(|m| !m.is_empty())
    }
}

struct MetadataView<'a>(&'a Span);

impl Serialize for MetadataView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        for (k, v) in self.0.routing_entries().chain(self.0.data_entries()) {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl SerializeUnlimited for Span {
    fn serialize_unlimited<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_with_data(&self.data, serializer)
    }
}

/// A key of the span object: its name, and the JSON text before its value with the comma
/// that separates it from the key before (`,"name":`), which the byte writer copies in
/// one write.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    /// The key's name.
    pub(crate) name: &'static str,
    /// `,"name":`.
    pub(crate) json: &'static str,
}

/// The [`Key`] named `$name`.
macro_rules! key {
    ($name:literal) => {
        Key { name: $name, json: concat!(",\"", $name, "\":") }
    };
}

/// Where [`Span::write_fields`] puts the fields of a span object: serde's
/// `SerializeStruct` (the span's `Serialize`), or the byte writer of the `wire` module,
/// which writes the text that needs no escaping (generated ids, timestamps) as it is.
/// `optional` says the field is an `Option` (`parent_id`, the times, `error`): serde writes
/// a present one as `Some`, which only formats that are not self-describing show.
pub(crate) trait SpanFields {
    /// What a failed write returns.
    type Error;
    /// A string that needs no JSON escaping (ASCII letters, digits, `_`, `-`, `.`, `:`, `+`),
    /// as bytes: the byte writer copies them as they are.
    fn ascii(&mut self, key: Key, value: &[u8], optional: bool) -> Result<(), Self::Error>;
    /// A string that may need escaping.
    fn text(&mut self, key: Key, value: &str, optional: bool) -> Result<(), Self::Error>;
    /// `null`: an absent optional field.
    fn null(&mut self, key: Key) -> Result<(), Self::Error>;
    /// Any value, one level inside the span object.
    fn value<T: Serialize + ?Sized>(&mut self, key: Key, value: &T, optional: bool) -> Result<(), Self::Error>;
}

/// The span's `Serialize`: each field through `serialize_field`.
struct SerdeFields<S>(S);

impl<S: SerializeStruct> SerdeFields<S> {
    fn field<T: Serialize + ?Sized>(&mut self, key: Key, value: &T, optional: bool) -> Result<(), S::Error> {
        if optional {
            self.0.serialize_field(key.name, &Some(value))
        } else {
            self.0.serialize_field(key.name, value)
        }
    }
}

impl<S: SerializeStruct> SpanFields for SerdeFields<S> {
    type Error = S::Error;
    fn ascii(&mut self, key: Key, value: &[u8], optional: bool) -> Result<(), S::Error> {
        // The byte writer's fast path; here the text goes through serde as any string.
        self.field(key, std::str::from_utf8(value).unwrap_or_default(), optional)
    }
    fn text(&mut self, key: Key, value: &str, optional: bool) -> Result<(), S::Error> {
        self.field(key, value, optional)
    }
    fn null(&mut self, key: Key) -> Result<(), S::Error> {
        self.0.serialize_field(key.name, &None::<()>)
    }
    fn value<T: Serialize + ?Sized>(&mut self, key: Key, value: &T, optional: bool) -> Result<(), S::Error> {
        self.field(key, value, optional)
    }
}

impl Span {
    /// How many fields [`write_fields`](Self::write_fields) writes: 9 with a `metadata`
    /// key, else 8.
    pub(crate) fn field_count(&self) -> usize {
        if self.has_export_metadata() {
            9
        } else {
            8
        }
    }

    /// The span object of the Python SDK, key for key, with `span_data` written from
    /// `data` (the span's own data, or a rewrite of it: see `wire::SpanWithData`): the one
    /// description of the span object, which both its `Serialize` and
    /// `wire::write_span_json` follow.
    pub(crate) fn write_fields<F: SpanFields, D: Serialize + ?Sized>(
        &self,
        data: &D,
        out: &mut F,
    ) -> Result<(), F::Error> {
        /// An id: as it is when generated, escaped when custom.
        fn id<F: SpanFields>(out: &mut F, key: Key, text: WireText<'_>, optional: bool) -> Result<(), F::Error> {
            match text {
                WireText::Ascii(bytes) => out.ascii(key, bytes, optional),
                WireText::Text(text) => out.text(key, text, optional),
            }
        }
        out.ascii(key!("object"), b"trace.span", false)?;
        self.span_id.with_wire_text(|s| id(out, key!("id"), s, false))?;
        self.trace.id.with_wire_text(|s| id(out, key!("trace_id"), s, false))?;
        match &self.parent_id {
            Some(p) => p.with_wire_text(|s| id(out, key!("parent_id"), s, true))?,
            None => out.null(key!("parent_id"))?,
        }
        for (key, at) in [(key!("started_at"), self.started_at()), (key!("ended_at"), self.ended_at())] {
            match at {
                Some(t) => t.with_iso_bytes(|s| out.ascii(key, s, true))?,
                None => out.null(key)?,
            }
        }
        out.value(key!("span_data"), data, false)?;
        // Within the span's own limit (a standalone error would count from itself).
        match &self.error {
            Some(e) => out.value(key!("error"), &Unlimited(&**e), true)?,
            None => out.null(key!("error"))?,
        }
        if self.has_export_metadata() {
            out.value(key!("metadata"), &MetadataView(self), false)?;
        }
        Ok(())
    }

    /// The span object through serde ([`write_fields`](Self::write_fields) into a
    /// struct). No depth limit of its own.
    pub(crate) fn serialize_with_data<S: Serializer, D: Serialize + ?Sized>(
        &self,
        data: &D,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut fields = SerdeFields(serializer.serialize_struct("Span", self.field_count())?);
        self.write_fields(data, &mut fields)?;
        fields.0.end()
    }
}

serialize_as_record!(Span);

impl Drop for Span {
    /// Releases the span's JSON without deep recursion, so that dropping a span whose data
    /// nests thousands of levels cannot overflow the stack.
    fn drop(&mut self) {
        release_span_data(&mut self.data);
        if let Some(error) = &mut self.error {
            error.release_json();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The span object through serde, token by token: an optional field that is present
    /// (`parent_id`, the times, `error`) is a `Some`, an absent one a `None`, as the
    /// `Option` fields were written before the span object had one description
    /// (`write_fields`); formats that are not self-describing depend on it.
    #[test]
    fn optional_fields_are_some_or_none_for_serde() {
        use serde_test::{assert_ser_tokens, Configure, Token};

        let trace = Arc::new(Trace::new(TraceId::from_u128(1), "w"));
        let t = Timestamp::from_unix_nanos(1_700_000_000_000_000_000);
        let span = Span::new(SpanId::from_u128(2), trace, Some(SpanId::from_u128(3)), crate::CustomSpanData::default())
            .with_times(t, t)
            .with_error(SpanError::new("e"));
        let tokens = [
            Token::NewtypeStruct { name: crate::limits::depth_limited::RECORD },
            Token::Struct { name: "Span", len: 8 },
            Token::Str("object"),
            Token::Str("trace.span"),
            Token::Str("id"),
            Token::Str("span_000000000000000000000002"),
            Token::Str("trace_id"),
            Token::Str("trace_00000000000000000000000000000001"),
            Token::Str("parent_id"),
            Token::Some,
            Token::Str("span_000000000000000000000003"),
            Token::Str("started_at"),
            Token::Some,
            Token::Str("2023-11-14T22:13:20+00:00"),
            Token::Str("ended_at"),
            Token::Some,
            Token::Str("2023-11-14T22:13:20+00:00"),
            Token::Str("span_data"),
            Token::Struct { name: "SpanData", len: 3 },
            Token::Str("type"),
            Token::Str("custom"),
            Token::Str("name"),
            Token::Str(""),
            Token::Str("data"),
            Token::Map { len: Some(0) },
            Token::MapEnd,
            Token::StructEnd,
            Token::Str("error"),
            Token::Some,
            Token::Map { len: Some(2) },
            Token::Str("message"),
            Token::Str("e"),
            Token::Str("data"),
            Token::None,
            Token::MapEnd,
            Token::StructEnd,
        ];
        assert_ser_tokens(&span.readable(), &tokens);
    }

    /// Every queued span holds one: its size is memory per queued span (512 bytes before
    /// the error was boxed, ids packed to 24 bytes and timestamps to 8; 320 before the
    /// JSON fields of span data were boxed and custom data kept one entry inline; 216, a
    /// 240-byte chunk, before span ids took 16 bytes; 192, a 224-byte chunk, before the
    /// speech span's data, the largest, was boxed). With the `Arc` counts, 200 bytes: a
    /// 208-byte chunk from glibc's malloc. A custom span's data (a name and one inline
    /// entry) sets the size of `SpanData` now; a variant larger than it is boxed.
    #[test]
    fn a_span_record_stays_small() {
        use std::mem::size_of;
        assert!(size_of::<Span>() <= 184, "{}", size_of::<Span>());
        assert!(size_of::<SpanData>() <= 120, "{}", size_of::<SpanData>());
        assert!(size_of::<crate::CustomSpanData>() <= 120, "{}", size_of::<crate::CustomSpanData>());
        assert_eq!(size_of::<SpanId>(), 16);
        assert_eq!(size_of::<Option<SpanId>>(), 16);
    }
}
