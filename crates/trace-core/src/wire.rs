//! The one way user JSON becomes bytes or text in this workspace.
//!
//! Span data, trace metadata and error data carry arbitrary [`serde_json::Value`]s, and
//! serializing a `Value` recurses once per level of nesting: a value nested 100,000 levels
//! deep overflows the stack of whichever thread writes it (the batch processor's worker,
//! say), and a stack overflow aborts the process. Every function here writes through
//! [`DepthLimited`], which cuts containers nested deeper than
//! [`MAX_JSON_DEPTH`](crate::limits::MAX_JSON_DEPTH) and counts each cut
//! ([`depth_cuts`](crate::limits::depth_cuts)); see [`limits`](crate::limits).
//!
//! Every exporter of the workspace turns records and user values into JSON through these
//! functions, and so should a custom exporter. The workspace's `clippy.toml` bans
//! `serde_json::to_string`, `to_vec`, `to_writer` and their `_pretty` forms
//! everywhere else, so that a new exporter cannot forget the limit.
//!
//! ```
//! use serde_json::Value;
//! use trace_core::limits::{release, DEPTH_LIMIT_MARKER};
//! use trace_core::wire;
//!
//! let mut deep = Value::Null;
//! for _ in 0..100_000 {
//!     deep = Value::Array(vec![deep]);
//! }
//! let text = wire::to_json_string(&deep).unwrap();
//! assert!(text.contains(DEPTH_LIMIT_MARKER));
//! release(deep); // dropping it the ordinary way would recurse 100,000 levels
//! ```

// The one module allowed to call serde_json's serializers: each call below goes through
// `DepthLimited`.
#![allow(clippy::disallowed_methods)]

use std::fmt;
use std::io;

use serde::Serialize;
use serde_json::Value;

use crate::exporter::ExportItem;
use crate::json_text;
use crate::limits::{DepthLimited, Record, SerializeUnlimited};
use crate::span::Span;

mod edit;

pub use edit::{EditFields, FieldEdit};

/// `value` as compact JSON text, nesting cut at the depth limit, floats written as Python
/// writes them (see [`write_json`]).
///
/// Fails only when `value`'s own `Serialize` fails or writes a map key that is not a
/// string; records and `serde_json::Value`s never do.
pub fn to_json_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    json_text::to_string(value)
}

/// `value` as indented JSON text (for people: examples, debugging), nesting cut at the
/// depth limit. Floats as serde_json writes them.
pub fn to_json_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&DepthLimited::new(value))
}

/// `value` as compact JSON bytes, nesting cut at the depth limit, floats written as Python
/// writes them (see [`write_json`]).
pub fn to_json_vec<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    write_json(&mut out, value)?;
    Ok(out)
}

/// Writes `value` as compact JSON to `writer`, nesting cut at the depth limit. Also fails
/// when `writer` does.
///
/// Floats are written as Python's `json.dumps` writes them (`repr`): the shortest digits
/// that read back to the same float, in exponent form when the exponent is below -4 or
/// at least 16, the exponent signed and at least two digits (`1.5e-07`, `1e+16`, `1.0`,
/// where serde_json writes `1.5e-7`, `1e16`, `1.0`). Integers are written as they are.
///
/// ```
/// use serde_json::json;
/// let text = trace_core::wire::to_json_string(&json!([1.5e-7, 1e16, 0.25, 3])).unwrap();
/// assert_eq!(text, "[1.5e-07,1e+16,0.25,3]");
/// ```
pub fn write_json<W: io::Write, T: Serialize + ?Sized>(writer: W, value: &T) -> serde_json::Result<()> {
    json_text::write(writer, value)
}

/// Writes `span`'s object as compact JSON to `writer`, with `span_data` written from
/// `data` (pass [`Span::data`] for its own, or a rewrite as [`SpanWithData`] does):
/// exactly the bytes of [`write_json`] of the span (or of the [`SpanWithData`]), depth
/// limit included, but faster, as the generated ids and the timestamps, which never need
/// JSON escaping, are copied as they are. For exporters that write many spans.
///
/// ```
/// use std::sync::Arc;
/// use trace_core::{wire, CustomSpanData, Span, SpanId, Trace, TraceId};
///
/// let trace = Arc::new(Trace::new(TraceId::from_u128(1), "w"));
/// let span = Span::new(SpanId::from_u128(2), trace, None, CustomSpanData::default());
/// let mut fast = Vec::new();
/// wire::write_span_json(&mut fast, &span, span.data()).unwrap();
/// assert_eq!(fast, wire::to_json_vec(&span).unwrap());
/// ```
pub fn write_span_json<W: io::Write, D: Serialize + ?Sized>(
    writer: W,
    span: &Span,
    data: &D,
) -> serde_json::Result<()> {
    json_text::write_span(writer, span, data)
}

/// Writes an item (trace or span object) as compact JSON to `writer`: [`write_json`] for
/// a trace (at its start or end), [`write_span_json`] with its own data for a span. The same bytes as
/// [`write_json`] of the item.
pub fn write_item_json<W: io::Write>(writer: W, item: &ExportItem) -> serde_json::Result<()> {
    match item {
        ExportItem::Span(span) => write_span_json(writer, span, span.data()),
        ExportItem::Trace(trace) | ExportItem::TraceEnd(trace) => write_json(writer, &**trace),
    }
}

/// `value` as a [`Value`] tree, nesting cut at the depth limit (so the tree can be cloned,
/// compared, printed and dropped without deep recursion).
pub fn to_json_value<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Value> {
    json_text::to_value(value)
}

/// A span serialized with other `span_data` than its own: an exporter that rewrites the
/// span data (the OpenAI sanitizer) substitutes it here (the span's own data with a field
/// edited is [`EditFields`] over [`Span::data`]), and the rest of the span object
/// is written as [`Span`]'s `Serialize` writes it, key for key, depth limit included
/// (counted from the span object, as for the span itself).
///
/// ```
/// use std::sync::Arc;
/// use serde_json::json;
/// use trace_core::{wire, CustomSpanData, Span, SpanId, Trace, TraceId};
///
/// let trace = Arc::new(Trace::new(TraceId::from_u128(1), "w"));
/// let span = Span::new(SpanId::from_u128(2), trace, None, CustomSpanData::default());
/// let other = json!({"type": "custom", "name": "rewritten", "data": {}});
/// let text = wire::to_json_string(&wire::SpanWithData::new(&span, &other)).unwrap();
/// assert!(text.contains(r#""span_data":{"type":"custom","name":"rewritten","data":{}},"error":null"#));
/// ```
pub struct SpanWithData<'a, D: ?Sized> {
    span: &'a Span,
    span_data: &'a D,
}

impl<'a, D: ?Sized> SpanWithData<'a, D> {
    /// `span`, with `span_data` written in place of its own data.
    pub fn new(span: &'a Span, span_data: &'a D) -> Self {
        Self { span, span_data }
    }
}

impl<D: ?Sized> fmt::Debug for SpanWithData<'_, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanWithData").field("span_id", self.span.span_id()).finish_non_exhaustive()
    }
}

impl<D: Serialize + ?Sized> SerializeUnlimited for SpanWithData<'_, D> {
    fn serialize_unlimited<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.span.serialize_with_data(self.span_data, serializer)
    }
}

impl<D: Serialize + ?Sized> Serialize for SpanWithData<'_, D> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Record(self).serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{depth_cuts, nested_arrays as deep, release, DEPTH_LIMIT_MARKER, MAX_JSON_DEPTH};

    #[test]
    fn every_function_cuts_and_counts() {
        let v = deep(100_000);
        let marker = format!("{DEPTH_LIMIT_MARKER:?}");
        let expected = format!("{}{marker}{}", "[".repeat(MAX_JSON_DEPTH), "]".repeat(MAX_JSON_DEPTH));
        // This thread's cuts: other tests that cut run in parallel.
        let before = crate::limits::depth_limited::thread_depth_cuts();
        assert_eq!(to_json_string(&v).unwrap(), expected);
        assert_eq!(to_json_vec(&v).unwrap(), expected.as_bytes());
        let mut out = Vec::new();
        write_json(&mut out, &v).unwrap();
        assert_eq!(out, expected.as_bytes());
        assert!(to_json_string_pretty(&v).unwrap().contains(&marker));
        let tree = to_json_value(&v).unwrap();
        assert_eq!(to_json_string(&tree).unwrap(), expected);
        assert_eq!(crate::limits::depth_limited::thread_depth_cuts() - before, 5);
        assert!(depth_cuts() >= 5);
        release(v);
    }

    /// The byte writer of span objects writes what their `Serialize` writes, byte for
    /// byte: every span type, ids generated and custom (escapes included), with and
    /// without parent, times, error, metadata, and with data cut at the depth limit.
    #[test]
    fn span_objects_written_as_bytes_equal_their_serde_form() {
        use std::sync::Arc;

        use serde_json::json;

        use crate::{AgentSpanData, CustomSpanData, SpanData, SpanError, SpanId, SpanKind, Timestamp, Trace, TraceId};

        let plain = Arc::new(Trace::new(TraceId::generate(), "w"));
        let routed = Arc::new(
            Trace::new(TraceId::from_string("tr \"ace\"\n\u{e9}"), "w")
                .with_metadata(json!({"agent_harness_id": "h-1", "other": 1}).as_object().unwrap().clone()),
        );
        let now = Timestamp::now();
        let mut spans = Vec::new();
        for trace in [&plain, &routed] {
            for kind in SpanKind::ALL {
                spans.push(Span::new(SpanId::generate(), Arc::clone(trace), None, SpanData::empty(kind)));
            }
            let data = json!({"f": 1.5e-7, "s": "q\"\\\u{1}", "deep": deep(150)}).as_object().unwrap().clone();
            spans.push(
                Span::new(
                    SpanId::from_string("custom \"id\""),
                    Arc::clone(trace),
                    Some(SpanId::generate()),
                    CustomSpanData { name: "c\"".into(), data: data.into() },
                )
                .with_times(now, Timestamp::from_unix_nanos(1_700_000_000_000_000_000))
                .with_error(SpanError::new("boom").with_data(json!([1, {"x": null}])).with_extra("code", json!(5))),
            );
            let agent = AgentSpanData {
                name: "a".into(),
                metadata: Some(Box::new(
                    json!({"k": "v", "agent_harness_id": "shadowed"}).as_object().unwrap().clone(),
                )),
                ..Default::default()
            };
            spans.push(
                Span::new(SpanId::generate(), Arc::clone(trace), Some(SpanId::from_string("p\u{2028}")), agent)
                    .with_times(Timestamp::from_unix_nanos(0), now),
            );
        }
        for span in &spans {
            let mut fast = Vec::new();
            write_span_json(&mut fast, span, span.data()).unwrap();
            let serde = to_json_vec(span).unwrap();
            assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&serde));
            let mut item = Vec::new();
            write_item_json(&mut item, &ExportItem::Span(Arc::new(span.clone()))).unwrap();
            assert_eq!(item, serde);
            // With other data, as `SpanWithData` writes it.
            let other = json!({"type": "custom", "name": "rewritten", "data": {"d": deep(150)}});
            let mut fast = Vec::new();
            write_span_json(&mut fast, span, &other).unwrap();
            assert_eq!(fast, to_json_vec(&SpanWithData::new(span, &other)).unwrap());
        }
        let mut item = Vec::new();
        write_item_json(&mut item, &ExportItem::Trace(Arc::clone(&routed))).unwrap();
        assert_eq!(item, to_json_vec(&*routed).unwrap());
    }

    #[test]
    fn floats_are_written_as_python_writes_them() {
        // Python 3.11: json.dumps([...]) of the same floats.
        let cases: [(f64, &str); 17] = [
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123.456, "123.456"),
            (1.0, "1.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e22, "1e+22"),
            (-2.5e-5, "-2.5e-05"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (0.2, "0.2"),
            (1e100, "1e+100"),
        ];
        for (f, python) in cases {
            assert_eq!(to_json_string(&f).unwrap(), python, "{f:e}");
            assert_eq!(python.parse::<f64>().unwrap().to_bits(), f.to_bits(), "{python} reads back");
        }
        // Integers as they are; floats inside values and records too.
        let v = serde_json::json!({"i": 10000000000000000u64, "n": -3, "f": [1e16, 2.5]});
        let want = if cfg!(feature = "preserve-order") {
            r#"{"i":10000000000000000,"n":-3,"f":[1e+16,2.5]}"#
        } else {
            r#"{"f":[1e+16,2.5],"i":10000000000000000,"n":-3}"#
        };
        assert_eq!(to_json_string(&v).unwrap(), want);
        assert_eq!(to_json_string(&1.5f32).unwrap(), "1.5");
    }

    #[test]
    fn debug_and_no_op_drops_of_deep_json_are_bounded_on_a_small_stack() {
        use std::sync::Arc;

        use crate::{CustomSpanData, JsonMap, Span, SpanError, SpanId, Trace, TraceId};

        let map = |v: Value| JsonMap::from_iter([("deep".to_owned(), v)]);
        // 256 KiB: an eighth of a spawned thread's default stack.
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let trace = Arc::new(Trace::new(TraceId::generate(), "w").with_metadata(map(deep(100_000))));
                let span = Span::new(
                    SpanId::generate(),
                    Arc::clone(&trace),
                    None,
                    CustomSpanData { name: "c".into(), data: map(deep(100_000)).into() },
                )
                .with_error(SpanError::new("e").with_data(map(deep(100_000))));
                let text = format!("{span:?}");
                let builder = crate::trace("w").metadata(map(deep(100_000)));
                let builder_text = format!("{builder:?}");
                // A no-op trace, and a no-op span (no current trace): their unused JSON
                // is released without deep recursion too.
                drop(builder.disabled(true).start());
                drop(crate::custom_span("c").data(map(deep(100_000))).start());
                (text, builder_text)
            })
            .unwrap();
        let (text, builder_text) = handle.join().expect("Debug of deep records does not overflow");
        // Custom data, error data and the trace's metadata: each cut once.
        assert_eq!(text.matches(DEPTH_LIMIT_MARKER).count(), 3, "{}", &text[..300]);
        assert!(text.contains(r#"data: {"deep":[[["#), "{}", &text[..300]);
        assert_eq!(builder_text.matches(DEPTH_LIMIT_MARKER).count(), 1);
    }
}
