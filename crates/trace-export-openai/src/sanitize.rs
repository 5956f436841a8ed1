//! The OpenAI-only sanitizer of the Python SDK (spec section 2.4), applied to each span
//! while the request body is serialized.
//!
//! What it changes, as Python does:
//! - `span_data.input` / `span_data.output` larger than 100,000 bytes of compact JSON
//!   (UTF-8, non-ASCII unescaped) are shrunk: the largest child of an object or array is
//!   cut to fit what is left of the budget, or removed if it cannot shrink; strings are
//!   cut and end with `... [truncated]`.
//! - Generation spans: reasoning items are removed from `input` / `output`, and
//!   `reasoning`, `reasoning_content`, `thinking`, `thinking_blocks` keys and thinking
//!   content parts from assistant messages; `usage` becomes
//!   `{input_tokens, output_tokens, details?}` (`details` merges an existing
//!   `usage.details` with every other non-null key), or is removed when either token count
//!   is not a number.
//! - Every other span type loses a top-level `span_data.usage` (the response span's).
//!   Task and turn usage sits under `data` and stays.
//!
//! The common case costs little: a span that needs no change is serialized straight from
//! its typed data; a response span or a generation span whose only change is its usage is
//! written by a small serializer over the typed data. Only spans with an oversized field
//! or reasoning to remove go through `serde_json::Value`.
//!
//! JSON objects iterate in insertion order (trace-core turns serde_json's `preserve_order`
//! on), so when two children of an oversized object have exactly the same size, the one
//! cut first is the one Python cuts.

use serde::ser::{Serialize, Serializer};
use serde_json::Value;
use trace_core::limits::{span_data_depth_exceeds, DepthLimited, MAX_JSON_DEPTH};
use trace_core::span_data::{JsonPlace, JsonRef};
use trace_core::wire::{EditFields, FieldEdit, SpanWithData};
use trace_core::{ExportItem, JsonMap, Span, SpanData};

use object::Object;
use reasoning::{has_reasoning, omit_generation_reasoning};
use truncate::{audio_fits, fits, str_fits, truncate_field, MAX_FIELD_BYTES};
// What the tests check piece by piece.
#[cfg(test)]
use truncate::{json_size, preview, str_json_size, truncate_array, truncate_string, truncate_value, TRUNCATION_SUFFIX};

/// One item of the request body, with the sanitizer applied if it is a span.
#[derive(Debug)]
pub(crate) struct SanitizedItem<'a>(pub(crate) &'a ExportItem);

impl Serialize for SanitizedItem<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            ExportItem::Trace(trace) | ExportItem::TraceEnd(trace) => trace.serialize(serializer),
            ExportItem::Span(span) => SanitizedSpan(span).serialize(serializer),
        }
    }
}

impl SanitizedItem<'_> {
    /// Writes the item as its `Serialize` does, through the fast span writer of
    /// `trace_core::wire` (the same bytes).
    pub(crate) fn write_json<W: std::io::Write>(&self, out: W) -> serde_json::Result<()> {
        match self.0 {
            ExportItem::Trace(_) | ExportItem::TraceEnd(_) => trace_core::wire::write_item_json(out, self.0),
            ExportItem::Span(span) => match plan(span.data()) {
                None => trace_core::wire::write_span_json(out, span, span.data()),
                Some(data) => trace_core::wire::write_span_json(out, span, &data),
            },
        }
    }
}

/// One span, sanitized.
pub(crate) struct SanitizedSpan<'a>(pub(crate) &'a Span);

impl Serialize for SanitizedSpan<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match plan(self.0.data()) {
            None => self.0.serialize(serializer),
            // The span object as trace-core writes it, depth limit included, with the
            // rewritten `span_data`.
            Some(data) => SpanWithData::new(self.0, &data).serialize(serializer),
        }
    }
}

/// The `span_data` to write instead of the span's own.
#[derive(Debug)]
enum DataOut<'a> {
    /// The span's own data with its `usage` key replaced (`Some`) or left out (`None`),
    /// written by trace-core's serializer through [`EditFields`].
    Usage(&'a SpanData, Option<Value>),
    /// Anything else, already sanitized.
    Object(Object),
}

/// What to write for this span data: `None` if it needs no change.
fn plan(data: &SpanData) -> Option<DataOut<'_>> {
    // Deeply nested JSON (near the limit where serialization cuts it) takes the general
    // path, which works on a depth-limited copy: the checks below clone, compare and
    // measure values by recursion.
    if span_data_depth_exceeds(data, MAX_JSON_DEPTH - 8) {
        return Some(through_value(data));
    }
    // Python keeps `usage` on the span types in `_OPENAI_TRACING_USAGE_SPAN_TYPES` only.
    let generation = matches!(data, SpanData::Generation(_));
    // The JSON fields written as keys of `span_data` (trace-core lists them once): the
    // sanitizer cuts `input` / `output` and drops or rebuilds `usage`.
    let mut usage = None;
    for field in data.json_fields().filter(|f| f.place == JsonPlace::SpanData) {
        match (field.key, field.value) {
            ("input" | "output", Some(value))
                if (generation && has_reasoning(value.as_array())) || !fits(&value, MAX_FIELD_BYTES) =>
            {
                return Some(through_value(data));
            }
            // Present, `null` or not: Python pops the key.
            ("usage", _) if !generation => usage = Some(None),
            ("usage", Some(JsonRef::Object(old))) => match generation_usage(old) {
                Some(new) if new == *old => {}
                new => usage = Some(new.map(Value::Object)),
            },
            _ => {}
        }
    }
    // Text written as `input` / `output` (a string, or an audio object).
    let oversized_text = match data {
        SpanData::Function(d) => !str_fits(&d.input) || !str_fits(&d.output),
        SpanData::SpeechGroup(d) => !str_fits(&d.input),
        SpanData::Transcription(d) => !audio_fits(&d.input, &d.input_format) || !str_fits(&d.output),
        SpanData::Speech(d) => !str_fits(&d.input) || !audio_fits(&d.output, &d.output_format),
        SpanData::Agent(_)
        | SpanData::Task(_)
        | SpanData::Turn(_)
        | SpanData::Custom(_)
        | SpanData::Guardrail(_)
        | SpanData::Handoff(_)
        | SpanData::McpTools(_)
        | SpanData::Generation(_)
        | SpanData::Response(_) => false,
        // A span type this crate does not know yet: the general path handles anything.
        _ => true,
    };
    if oversized_text {
        return Some(through_value(data));
    }
    usage.map(|usage| DataOut::Usage(data, usage))
}

/// The general path: the span data as JSON, sanitized exactly as Python does it. The JSON
/// is cut where serializing the whole span would cut it (`span_data` is at depth 1).
fn through_value(data: &SpanData) -> DataOut<'_> {
    let data = &DepthLimited::at_depth(data, 1);
    match Object::from_serialize(data) {
        Ok(mut object) => {
            sanitize_span_data(&mut object);
            DataOut::Object(object)
        }
        // Span data always serializes to an object; should it not, send it unchanged
        // rather than lose it (the server judges it).
        Err(_) => match trace_core::wire::to_json_value(data) {
            Ok(Value::Object(m)) => DataOut::Object(Object(m.into_iter().collect())),
            _ => DataOut::Object(Object::default()),
        },
    }
}

/// Python's `_sanitize_for_openai_tracing_api`, on the `span_data` object.
fn sanitize_span_data(object: &mut Object) {
    let is_generation = object.get("type").and_then(Value::as_str) == Some("generation");
    for field in ["input", "output"] {
        if let Some(slot) = object.get_mut(field) {
            let mut value = std::mem::take(slot);
            if is_generation {
                value = omit_generation_reasoning(value);
            }
            *slot = truncate_field(value);
        }
    }
    if !is_generation {
        object.remove("usage");
        return;
    }
    if let Some(Value::Object(usage)) = object.get("usage") {
        match generation_usage(usage) {
            // Python keeps the dict as it was when nothing changed (`sanitized_usage ==
            // usage`, order aside), so its keys keep their order on the wire.
            Some(new) if new != *usage => object.set("usage", Value::Object(new)),
            Some(_) => {}
            None => object.remove("usage"),
        }
    }
}

/// Generation usage as the endpoint takes it: `None` to remove it.
fn generation_usage(usage: &JsonMap) -> Option<JsonMap> {
    let input_tokens = usage.get("input_tokens").filter(|v| v.is_number())?;
    let output_tokens = usage.get("output_tokens").filter(|v| v.is_number())?;
    let mut details = JsonMap::new();
    if let Some(Value::Object(existing)) = usage.get("details") {
        for (k, v) in existing {
            details.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in usage {
        if matches!(k.as_str(), "input_tokens" | "output_tokens" | "details") || v.is_null() {
            continue;
        }
        details.insert(k.clone(), v.clone());
    }
    let mut out = JsonMap::new();
    out.insert("input_tokens".to_owned(), input_tokens.clone());
    out.insert("output_tokens".to_owned(), output_tokens.clone());
    if !details.is_empty() {
        out.insert("details".to_owned(), Value::Object(details));
    }
    Some(out)
}

impl Serialize for DataOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            DataOut::Usage(data, usage) => {
                let edit = match usage {
                    Some(usage) => FieldEdit::Replace(usage),
                    None => FieldEdit::Omit,
                };
                EditFields::new(*data, &[("usage", edit)]).serialize(serializer)
            }
            DataOut::Object(o) => o.serialize(serializer),
        }
    }
}

mod object;
mod reasoning;
mod truncate;

#[cfg(test)]
mod tests;
