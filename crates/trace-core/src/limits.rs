//! Limits on user-supplied JSON, so that no span can crash, stall or poison the pipeline.
//!
//! Span data carries arbitrary [`serde_json::Value`]s (custom data, metadata, generation
//! input and output, usage, model settings, error data). Two properties of such values
//! matter for a library that runs inside other people's services:
//!
//! - **Nesting depth.** Serializing, cloning, comparing and dropping a `Value` recurse once
//!   per level, with no limit. A value nested 10,000 levels deep overflows the 2 MiB stack
//!   of a spawned thread (the batch processor's worker is one) when serialized in a debug
//!   build (measured: 2,000 levels already abort; 50,000 in a release build; dropping aborts
//!   from 20,000 levels). A stack overflow is an abort, not a panic: nothing can catch it.
//! - **Floats that JSON cannot carry.** `NaN` and the infinities have no JSON form.
//!
//! What this module does about them:
//!
//! - [`Span`], [`Trace`] and [`SpanError`](crate::SpanError) serialize through [`DepthLimited`]: a container
//!   (array or object) that would open at depth [`MAX_JSON_DEPTH`] or deeper, counted from
//!   the span or trace object itself, is written as the string [`DEPTH_LIMIT_MARKER`]
//!   instead, and its contents are never visited. Each cut is counted ([`depth_cuts`]) and
//!   logged (at most once per 10 s). A body of `{"data":[...]}` is then at most
//!   `MAX_JSON_DEPTH + 2` levels deep, which parsers with a depth limit of 128 (serde_json's
//!   default) accept. A record cuts at the same place wherever it is written (alone, in
//!   a `{"data":[...]}` body, inside another `DepthLimited`). Every exporter of this
//!   workspace turns records and user values (metadata, custom data, error data, usage,
//!   model settings) into JSON through [`wire`](crate::wire), whose functions apply
//!   `DepthLimited`; the workspace's `clippy.toml` bans calling serde_json's serializers
//!   anywhere else. A custom exporter should use `wire` too.
//! - Dropping a span or a trace releases its JSON with a recursion bounded to a fixed
//!   depth, continuing iteratively below it, so that dropping a deep value cannot overflow
//!   the stack of whichever thread drops the last reference.
//! - `Debug` of span data, span errors, traces and trace builders prints user JSON as
//!   depth-limited JSON text (the derived `Debug` of a `Value` recurses once per level).
//!   `Clone` and `PartialEq` of these types still recurse: the pipeline never clones or
//!   compares span data (processors share one `Arc<Span>`), but a user's or test
//!   processor that clones a span with deeply nested data ([`InMemoryProcessor`](crate::InMemoryProcessor)
//!   does, at span start) does so on its own stack.
//! - Non-finite floats are written as `null` by [`DepthLimited`], whatever the serializer
//!   (serde_json does the same). A `Value` cannot even hold one: `Value::from(f64::NAN)`
//!   is `Value::Null` and `serde_json::Number::from_f64(f64::NAN)` is `None`, so `NaN`
//!   in user data becomes `null` when the user builds the value, before tracing sees it.
//!
//! What is **not** changed, by design (as the Python SDK does):
//!
//! | input | outcome |
//! |---|---|
//! | strings of any size (10 MB, say) | sent as is; OpenAI's endpoint gets `input`/`output` cut to 100,000 bytes by `trace-export-openai`'s sanitizer, and that exporter can reject single oversized items (`max_item_bytes`) without losing the rest of the batch |
//! | empty names, empty workflow names | sent as is (`""`) |
//! | user-supplied ids in any format | sent as is, never validated (`"no-op"` makes a no-op, as in Python) |
//! | metadata values of any JSON type (numbers, `null`, nested objects, large integers) | sent as is |
//! | any Unicode: emoji, right-to-left text, combining marks, NUL and control characters | sent as is, JSON-escaped where JSON requires it |
//! | lone UTF-16 surrogates | cannot occur: Rust strings are valid UTF-8 by construction, so there is nothing to sanitize (bytes from elsewhere must go through `String::from_utf8_lossy` or similar first) |

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::ser::{self, Serialize, Serializer};
use serde_json::Value;

use crate::rate_limit::LogRateLimiter;
use crate::span::Span;
use crate::span_data::{JsonMap, SpanData};
use crate::trace::Trace;

/// The deepest a container (JSON array or object) may open, counted from the serialized
/// record (span or trace object at depth 0): deeper ones are replaced by
/// [`DEPTH_LIMIT_MARKER`]. User data of a custom span starts at depth 3
/// (`span` > `span_data` > `data`), so it may nest 97 levels.
pub const MAX_JSON_DEPTH: usize = 100;

/// What a container nested deeper than [`MAX_JSON_DEPTH`] is replaced by when serialized.
pub const DEPTH_LIMIT_MARKER: &str = "[truncated: nested deeper than 100 levels]";

/// Below this depth, dropping span data recurses; deeper, it continues on the heap.
const RECURSIVE_RELEASE_DEPTH: usize = 64;

static CUTS: AtomicU64 = AtomicU64::new(0);
static CUT_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

/// How many containers were replaced by [`DEPTH_LIMIT_MARKER`] since the process started,
/// in every serialization (a span serialized twice counts twice).
pub fn depth_cuts() -> u64 {
    CUTS.load(Ordering::Relaxed)
}

/// Serializes the wrapped value with container nesting limited to [`MAX_JSON_DEPTH`] and
/// non-finite floats written as `null`; see the [module docs](self).
///
/// ```
/// use serde_json::{json, Value};
/// use trace_core::limits::{DepthLimited, DEPTH_LIMIT_MARKER, MAX_JSON_DEPTH};
///
/// let mut deep = Value::Null;
/// for _ in 0..10_000 {
///     deep = Value::Array(vec![deep]);
/// }
/// let text = serde_json::to_string(&DepthLimited::new(&deep)).unwrap();
/// // 100 arrays, then the marker where the 101st would open.
/// let expected = format!("{}{:?}{}", "[".repeat(MAX_JSON_DEPTH), DEPTH_LIMIT_MARKER, "]".repeat(MAX_JSON_DEPTH));
/// assert_eq!(text, expected);
/// # trace_core::limits::release(deep);
/// assert_eq!(serde_json::to_string(&DepthLimited::new(&f64::NAN)).unwrap(), "null");
/// ```
pub struct DepthLimited<'a, T: ?Sized> {
    value: &'a T,
    depth: usize,
}

impl<'a, T: ?Sized> DepthLimited<'a, T> {
    /// `value` as the root (depth 0).
    pub fn new(value: &'a T) -> Self {
        Self { value, depth: 0 }
    }

    /// `value` as if it sat at `depth` inside a record: a `span_data` object is at depth 1
    /// of its span, so `DepthLimited::at_depth(span.data(), 1)` cuts exactly where
    /// serializing the whole span would.
    pub fn at_depth(value: &'a T, depth: usize) -> Self {
        Self { value, depth }
    }
}

impl<T: ?Sized> fmt::Debug for DepthLimited<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DepthLimited").field("depth", &self.depth).finish_non_exhaustive()
    }
}

impl<T: ?Sized + Serialize> Serialize for DepthLimited<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Proxy { inner: serializer, depth: self.depth })
    }
}

/// Serializes a record's fields without the limit; the record's `Serialize` impl (below)
/// adds it. Implemented by the records in their own modules.
pub(crate) trait SerializeUnlimited {
    fn serialize_unlimited<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
}

/// A record's fields without a limit of their own: for a record inside another (a span's
/// error), which the outer record's limit covers.
pub(crate) struct Unlimited<'a, T>(pub(crate) &'a T);

impl<T: SerializeUnlimited> Serialize for Unlimited<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_unlimited(serializer)
    }
}

/// The newtype-struct name a record (span, trace, error) serializes under. Serializers
/// write a newtype struct as its content; [`DepthLimited`] recognises the name and lets
/// the record's own limit, counted from the record, take over from its own count. So a
/// record cuts at the same place whether it is written alone, in a `{"data":[...]}` body or in
/// any structure wrapped in `DepthLimited` (the functions of [`wire`](crate::wire)).
pub(crate) const RECORD: &str = "$trace_core::limits::Record";

/// A record's content under [`RECORD`]: its fields with the limit counted from itself.
pub(crate) struct Record<'a, T>(pub(crate) &'a T);

impl<T: SerializeUnlimited> Serialize for Record<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(RECORD, &DepthLimited::new(&Unlimited(self.0)))
    }
}

macro_rules! limited_records {
    ($($ty:ty),*) => {$(
        impl Serialize for $ty {
            /// Serializes with the limits of [`DepthLimited`](crate::limits::DepthLimited),
            /// counted from this record.
            #[inline]
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                Record(self).serialize(serializer)
            }
        }
    )*};
}

limited_records!(Span, Trace, crate::span::SpanError);

#[cold]
#[inline(never)]
fn cut<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
    let total = CUTS.fetch_add(1, Ordering::Relaxed) + 1;
    if let Some(suppressed) = CUT_LOG.check() {
        log::warn!(
            "tracing: span data nested deeper than {MAX_JSON_DEPTH} levels was replaced by {DEPTH_LIMIT_MARKER:?} \
             while serializing ({total} such cuts so far, {suppressed} not reported since the last warning)"
        );
    }
    serializer.serialize_str(DEPTH_LIMIT_MARKER)
}

/// A serializer that forwards to `inner`, counting container depth.
struct Proxy<S> {
    inner: S,
    depth: usize,
}

/// A compound (array, object, struct...) being written, or cut.
struct Compound<S, C> {
    state: State<S, C>,
    /// The depth of the compound's elements.
    depth: usize,
}

enum State<S, C> {
    Open(C),
    /// Too deep: the elements are skipped, and `end` writes the marker with this serializer.
    Cut(S),
}

impl<S, C> Compound<S, C> {
    #[inline]
    fn child<'a, T: ?Sized>(&self, value: &'a T) -> DepthLimited<'a, T> {
        DepthLimited::at_depth(value, self.depth)
    }
}

impl<S: Serializer> Proxy<S> {
    #[inline]
    fn open<C>(self, open: impl FnOnce(S) -> Result<C, S::Error>) -> Result<Compound<S, C>, S::Error> {
        if self.depth >= MAX_JSON_DEPTH {
            Ok(Compound { state: State::Cut(self.inner), depth: self.depth })
        } else {
            Ok(Compound { state: State::Open(open(self.inner)?), depth: self.depth + 1 })
        }
    }
}

macro_rules! forward {
    ($($method:ident($ty:ty)),* $(,)?) => {$(
        #[inline]
        fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            self.inner.$method(v)
        }
    )*};
}

impl<S: Serializer> Serializer for Proxy<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<S, S::SerializeSeq>;
    type SerializeTuple = Compound<S, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<S, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<S, S::SerializeTupleVariant>;
    type SerializeMap = Compound<S, S::SerializeMap>;
    type SerializeStruct = Compound<S, S::SerializeStruct>;
    type SerializeStructVariant = Compound<S, S::SerializeStructVariant>;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    #[inline]
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            self.inner.serialize_f32(v)
        } else {
            self.inner.serialize_unit()
        }
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            self.inner.serialize_f64(v)
        } else {
            self.inner.serialize_unit()
        }
    }

    #[inline]
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }

    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&DepthLimited::at_depth(value, self.depth))
    }

    #[inline]
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }

    #[inline]
    fn serialize_unit_variant(self, name: &'static str, index: u32, variant: &'static str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_variant(name, index, variant)
    }

    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<S::Ok, S::Error> {
        if name == RECORD {
            // A record limits itself, counting from itself (see `RECORD`).
            return self.inner.serialize_newtype_struct(name, value);
        }
        self.inner.serialize_newtype_struct(name, &DepthLimited::at_depth(value, self.depth))
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        // `{"variant": value}`: one level.
        if self.depth >= MAX_JSON_DEPTH {
            return cut(self.inner);
        }
        self.inner.serialize_newtype_variant(name, index, variant, &DepthLimited::at_depth(value, self.depth + 1))
    }

    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.open(|s| s.serialize_seq(len))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.open(|s| s.serialize_tuple(len))
    }

    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.open(|s| s.serialize_tuple_struct(name, len))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.open(|s| s.serialize_tuple_variant(name, index, variant, len))
    }

    #[inline]
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.open(|s| s.serialize_map(len))
    }

    #[inline]
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, S::Error> {
        self.open(|s| s.serialize_struct(name, len))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.open(|s| s.serialize_struct_variant(name, index, variant, len))
    }

    #[inline]
    fn collect_str<T: ?Sized + fmt::Display>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.collect_str(value)
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! compound {
    ($trait:ident, $($method:ident),*) => {
        impl<S, C> ser::$trait for Compound<S, C>
        where
            S: Serializer,
            C: ser::$trait<Ok = S::Ok, Error = S::Error>,
        {
            type Ok = S::Ok;
            type Error = S::Error;

            $(
                #[inline]
                fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), S::Error> {
                    let child = self.child(value);
                    match &mut self.state {
                        State::Open(c) => c.$method(&child),
                        State::Cut(_) => Ok(()),
                    }
                }
            )*

            #[inline]
            fn end(self) -> Result<S::Ok, S::Error> {
                match self.state {
                    State::Open(c) => c.end(),
                    State::Cut(s) => cut(s),
                }
            }
        }
    };
}

compound!(SerializeSeq, serialize_element);
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);
compound!(SerializeMap, serialize_key, serialize_value);

macro_rules! compound_struct {
    ($trait:ident) => {
        impl<S, C> ser::$trait for Compound<S, C>
        where
            S: Serializer,
            C: ser::$trait<Ok = S::Ok, Error = S::Error>,
        {
            type Ok = S::Ok;
            type Error = S::Error;

            #[inline]
            fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), S::Error> {
                let child = self.child(value);
                match &mut self.state {
                    State::Open(c) => c.serialize_field(key, &child),
                    State::Cut(_) => Ok(()),
                }
            }

            #[inline]
            fn skip_field(&mut self, key: &'static str) -> Result<(), S::Error> {
                match &mut self.state {
                    State::Open(c) => c.skip_field(key),
                    State::Cut(_) => Ok(()),
                }
            }

            #[inline]
            fn end(self) -> Result<S::Ok, S::Error> {
                match self.state {
                    State::Open(c) => c.end(),
                    State::Cut(s) => cut(s),
                }
            }
        }
    };
}

compound_struct!(SerializeStruct);
compound_struct!(SerializeStructVariant);

/// Whether `value` holds containers nested more than `max` levels (a scalar has depth 0,
/// `[]` and `{}` depth 1, `[[1]]` depth 2). Recurses at most `max + 1` levels.
pub fn json_depth_exceeds(value: &Value, max: usize) -> bool {
    match value {
        Value::Array(items) => list_depth_exceeds(items, max),
        Value::Object(map) => map_depth_exceeds(map, max),
        _ => false,
    }
}

fn map_depth_exceeds(map: &JsonMap, max: usize) -> bool {
    max == 0 || map.values().any(|v| json_depth_exceeds(v, max - 1))
}

fn list_depth_exceeds(items: &[Value], max: usize) -> bool {
    max == 0 || items.iter().any(|v| json_depth_exceeds(v, max - 1))
}

/// Whether any JSON field of `data` (custom data, metadata, usage, model settings,
/// generation input and output, raw response) nests more than `max` levels, the field
/// itself counted as the first. Recurses at most `max + 1` levels.
pub fn span_data_depth_exceeds(data: &SpanData, max: usize) -> bool {
    let map = |m: &Option<JsonMap>| m.as_ref().is_some_and(|m| map_depth_exceeds(m, max));
    let list = |l: &Option<Vec<Value>>| l.as_ref().is_some_and(|l| list_depth_exceeds(l, max));
    let value = |v: &Option<Value>| v.as_ref().is_some_and(|v| json_depth_exceeds(v, max));
    match data {
        SpanData::Agent(d) => map(&d.metadata),
        SpanData::Task(d) => map(&d.usage) || map(&d.metadata),
        SpanData::Turn(d) => map(&d.usage) || map(&d.metadata),
        SpanData::Function(d) => map(&d.mcp_data),
        SpanData::Generation(d) => list(&d.input) || list(&d.output) || map(&d.model_config) || map(&d.usage),
        SpanData::Response(d) => map(&d.usage) || value(&d.response) || value(&d.input),
        SpanData::Custom(d) => map_depth_exceeds(&d.data, max),
        SpanData::Transcription(d) => map(&d.model_config),
        SpanData::Speech(d) => map(&d.model_config),
        _ => false,
    }
}

/// Drops `value` without deep recursion: safe for values nested any number of levels, on
/// any thread. (Dropping a `serde_json::Value` the ordinary way recurses once per level.)
pub fn release(value: Value) {
    release_at(value, 0);
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Array(_) | Value::Object(_))
}

fn release_at(value: Value, depth: usize) {
    match value {
        Value::Array(items) if depth < RECURSIVE_RELEASE_DEPTH => {
            for v in items {
                release_at(v, depth + 1);
            }
        }
        Value::Object(map) if depth < RECURSIVE_RELEASE_DEPTH => {
            for (_, v) in map {
                release_at(v, depth + 1);
            }
        }
        deep @ (Value::Array(_) | Value::Object(_)) => release_iteratively(deep),
        _ => {}
    }
}

#[cold]
#[inline(never)]
fn release_iteratively(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

fn release_map(map: &mut JsonMap) {
    if map.values().any(is_container) {
        for (_, v) in std::mem::take(map) {
            release_at(v, 1);
        }
    }
}

fn release_opt_map(map: &mut Option<JsonMap>) {
    if let Some(m) = map {
        release_map(m);
    }
}

fn release_opt_list(list: &mut Option<Vec<Value>>) {
    if let Some(items) = list {
        if items.iter().any(is_container) {
            for v in std::mem::take(items) {
                release_at(v, 1);
            }
        }
    }
}

fn release_opt_value(value: &mut Option<Value>) {
    if value.as_ref().is_some_and(is_container) {
        if let Some(v) = value.take() {
            release_at(v, 0);
        }
    }
}

/// Empties the JSON of `data` without deep recursion (called when a span is dropped).
pub(crate) fn release_span_data(data: &mut SpanData) {
    match data {
        SpanData::Agent(d) => release_opt_map(&mut d.metadata),
        SpanData::Task(d) => {
            release_opt_map(&mut d.usage);
            release_opt_map(&mut d.metadata);
        }
        SpanData::Turn(d) => {
            release_opt_map(&mut d.usage);
            release_opt_map(&mut d.metadata);
        }
        SpanData::Function(d) => release_opt_map(&mut d.mcp_data),
        SpanData::Generation(d) => {
            release_opt_list(&mut d.input);
            release_opt_list(&mut d.output);
            release_opt_map(&mut d.model_config);
            release_opt_map(&mut d.usage);
        }
        SpanData::Response(d) => {
            release_opt_map(&mut d.usage);
            release_opt_value(&mut d.response);
            release_opt_value(&mut d.input);
        }
        SpanData::Custom(d) => release_map(&mut d.data),
        SpanData::Transcription(d) => release_opt_map(&mut d.model_config),
        SpanData::Speech(d) => release_opt_map(&mut d.model_config),
        _ => {}
    }
}

impl Drop for Span {
    /// Releases the span's JSON without deep recursion, so that dropping a span whose data
    /// nests thousands of levels cannot overflow the stack.
    fn drop(&mut self) {
        release_span_data(&mut self.data);
        if let Some(data) = self.error.as_mut().and_then(|e| e.data.as_mut()) {
            release_map(data);
        }
    }
}

impl Drop for Trace {
    /// Releases the trace's metadata without deep recursion.
    fn drop(&mut self) {
        release_opt_map(&mut self.metadata);
    }
}

#[cfg(test)]
// Tests of `DepthLimited` itself, compared with serde_json's own output.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nested(levels: usize) -> Value {
        let mut v = json!("leaf");
        for i in 0..levels {
            v = if i % 2 == 0 {
                Value::Array(vec![v])
            } else {
                let mut m = JsonMap::new();
                m.insert("k".into(), v);
                Value::Object(m)
            };
        }
        v
    }

    fn depth_of(text: &str) -> usize {
        let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
        for c in text.chars() {
            if in_str {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_str = true,
                '[' | '{' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ']' | '}' => depth -= 1,
                _ => {}
            }
        }
        max
    }

    #[test]
    fn shallow_values_are_written_unchanged() {
        let v = json!({"a": [1, 2.5, {"b": null, "c": "d\u{0}é😀"}], "e": true, "f": u64::MAX, "g": i64::MIN});
        assert_eq!(serde_json::to_string(&DepthLimited::new(&v)).unwrap(), serde_json::to_string(&v).unwrap());
    }

    #[test]
    fn deep_values_are_cut_at_the_limit_on_a_small_stack() {
        // A 512 KiB stack: a quarter of the 2 MiB of a spawned thread.
        let handle = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(|| {
                let v = nested(10_000);
                let before = depth_cuts();
                let text = serde_json::to_string(&DepthLimited::new(&v)).unwrap();
                assert!(depth_cuts() > before);
                release(v);
                text
            })
            .unwrap();
        let text = handle.join().unwrap();
        assert_eq!(depth_of(&text), MAX_JSON_DEPTH);
        assert_eq!(text.matches(DEPTH_LIMIT_MARKER).count(), 1);
        // What is left parses with serde_json's default depth limit.
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert!(!json_depth_exceeds(&parsed, MAX_JSON_DEPTH));
    }

    #[test]
    fn at_depth_counts_from_the_given_level() {
        let v = nested(5);
        let text = serde_json::to_string(&DepthLimited::at_depth(&v, MAX_JSON_DEPTH - 2)).unwrap();
        assert_eq!(depth_of(&text), 2, "{text}");
        assert!(text.contains(DEPTH_LIMIT_MARKER));
    }

    #[test]
    fn non_finite_floats_are_null() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(serde_json::to_string(&DepthLimited::new(&[f, 1.5])).unwrap(), "[null,1.5]");
            assert_eq!(Value::from(f), Value::Null, "a Value cannot hold {f}");
            assert!(serde_json::Number::from_f64(f).is_none());
        }
        assert_eq!(serde_json::to_string(&DepthLimited::new(&f32::NAN)).unwrap(), "null");
    }

    #[test]
    fn depth_checks() {
        assert!(!json_depth_exceeds(&json!(1), 0));
        assert!(json_depth_exceeds(&json!([]), 0));
        assert!(!json_depth_exceeds(&json!([]), 1));
        assert!(json_depth_exceeds(&json!([[1]]), 1));
        assert!(!json_depth_exceeds(&json!([[1]]), 2));
        let v = nested(10_000);
        assert!(json_depth_exceeds(&v, 500));
        let mut map = JsonMap::new();
        map.insert("deep".into(), v);
        let data = SpanData::Custom(crate::CustomSpanData { name: "c".into(), data: map });
        assert!(span_data_depth_exceeds(&data, 50));
        let mut data = data;
        release_span_data(&mut data);
        assert!(!span_data_depth_exceeds(&data, 1));
    }

    #[test]
    fn dropping_a_very_deep_span_on_a_small_stack_is_safe() {
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let trace = std::sync::Arc::new(Trace::new(crate::TraceId::generate(), "w"));
                let mut data = JsonMap::new();
                data.insert("deep".into(), nested(200_000));
                let span =
                    Span::new(crate::SpanId::generate(), trace, None, crate::CustomSpanData { name: "c".into(), data });
                drop(span);
                let mut one = Some(nested(200_000));
                release_opt_value(&mut one);
                assert!(one.is_none());
            })
            .unwrap();
        handle.join().unwrap();
    }
}
