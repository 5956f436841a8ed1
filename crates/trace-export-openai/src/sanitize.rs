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

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::io;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use trace_core::limits::{span_data_depth_exceeds, DepthLimited, MAX_JSON_DEPTH};
use trace_core::span_data::{JsonPlace, JsonRef};
use trace_core::wire::{EditFields, FieldEdit, SpanWithData};
use trace_core::{ExportItem, JsonMap, Span, SpanData};

/// The largest `input` / `output` the ingest endpoint accepts, in bytes of compact JSON.
pub(crate) const MAX_FIELD_BYTES: usize = 100_000;

/// What a cut string ends with.
const TRUNCATION_SUFFIX: &str = "... [truncated]";

/// Keys removed from assistant messages of generation spans.
const REASONING_KEYS: [&str; 4] = ["reasoning", "reasoning_content", "thinking_blocks", "thinking"];

/// One item of the request body, with the sanitizer applied if it is a span.
#[derive(Debug)]
pub(crate) struct SanitizedItem<'a>(pub(crate) &'a ExportItem);

impl Serialize for SanitizedItem<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            ExportItem::Trace(trace) => trace.serialize(serializer),
            ExportItem::Span(span) => SanitizedSpan(span).serialize(serializer),
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
            Some(new) => object.set("usage", Value::Object(new)),
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

fn is_str(v: Option<&Value>, s: &str) -> bool {
    v.and_then(Value::as_str) == Some(s)
}

fn is_reasoning_item(item: &Value) -> bool {
    matches!(item, Value::Object(m) if is_str(m.get("type"), "reasoning"))
}

fn is_thinking_part(part: &Value) -> bool {
    matches!(part, Value::Object(m) if matches!(m.get("type").and_then(Value::as_str), Some("thinking" | "redacted_thinking")))
}

fn is_assistant(m: &Map<String, Value>) -> bool {
    is_str(m.get("role"), "assistant")
}

/// Whether [`omit_generation_reasoning`] could change these items (may say yes when it
/// would not; never says no when it would).
fn has_reasoning(items: Option<&[Value]>) -> bool {
    items.is_some_and(|items| {
        items.iter().any(|item| {
            let Value::Object(m) = item else { return false };
            if is_str(m.get("type"), "reasoning") {
                return true;
            }
            if is_assistant(m)
                && (REASONING_KEYS.iter().any(|k| m.contains_key(*k))
                    || matches!(m.get("content"), Some(Value::Array(parts)) if parts.iter().any(is_thinking_part)))
            {
                return true;
            }
            is_str(m.get("object"), "response")
                && matches!(m.get("output"), Some(Value::Array(out)) if has_reasoning(Some(out)))
        })
    })
}

/// Python's `_omit_generation_reasoning`: only arrays are filtered; one level into
/// `{"object": "response", "output": [...]}` items.
fn omit_generation_reasoning(value: Value) -> Value {
    let Value::Array(items) = value else { return value };
    let items = omit_items(items)
        .into_iter()
        .map(|item| match item {
            Value::Object(mut m) if is_str(m.get("object"), "response") => {
                if let Some(Value::Array(out)) = m.get_mut("output") {
                    let taken = std::mem::take(out);
                    *out = omit_items(taken);
                }
                Value::Object(m)
            }
            other => other,
        })
        .collect();
    Value::Array(items)
}

fn omit_items(items: Vec<Value>) -> Vec<Value> {
    items.into_iter().filter(|item| !is_reasoning_item(item)).map(omit_message_reasoning).collect()
}

fn omit_message_reasoning(item: Value) -> Value {
    let Value::Object(mut m) = item else { return item };
    if is_assistant(&m) {
        m.retain(|k, _| !REASONING_KEYS.contains(&k.as_str()));
        if let Some(Value::Array(parts)) = m.get_mut("content") {
            parts.retain(|p| !is_thinking_part(p));
        }
    }
    Value::Object(m)
}

/// Counts bytes written; fails once past `limit`, so an oversized value stops early.
struct Counter {
    written: usize,
    limit: usize,
}

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len();
        if self.written > self.limit {
            return Err(io::Error::other("over the limit"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The size of `value` in compact JSON.
fn json_size<T: Serialize + ?Sized>(value: &T) -> usize {
    let mut c = Counter { written: 0, limit: usize::MAX };
    let _ = trace_core::wire::write_json(&mut c, value);
    c.written
}

/// Whether `value` takes at most `max` bytes of compact JSON.
fn fits<T: Serialize + ?Sized>(value: &T, max: usize) -> bool {
    trace_core::wire::write_json(&mut Counter { written: 0, limit: max }, value).is_ok()
}

/// The size of `s` as a JSON string, quotes included (the escapes of serde_json and of
/// Python's `json.dumps(ensure_ascii=False)` agree).
fn str_json_size(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | 0x09 | 0x0a | 0x0c | 0x0d => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

fn str_fits(s: &Option<String>) -> bool {
    s.as_deref().map_or(true, |s| str_json_size(s) <= MAX_FIELD_BYTES)
}

/// Whether `{"data":<data or "">,"format":<format>}` fits.
fn audio_fits(data: &Option<String>, format: &Option<String>) -> bool {
    let data = str_json_size(data.as_deref().unwrap_or(""));
    let format = format.as_deref().map_or(4, str_json_size);
    r#"{"data":,"format":}"#.len() + data + format <= MAX_FIELD_BYTES
}

/// Python's `_truncate_span_field_value`.
fn truncate_field(value: Value) -> Value {
    if fits(&value, MAX_FIELD_BYTES) {
        value
    } else {
        truncate_value(&value, MAX_FIELD_BYTES)
    }
}

/// Python's `_truncate_json_value_for_limit`.
fn truncate_value(value: &Value, max: usize) -> Value {
    if fits(value, max) {
        return value.clone();
    }
    match value {
        Value::String(s) => Value::String(truncate_string(s, max)),
        Value::Object(m) => Value::Object(truncate_object(m, max)),
        Value::Array(a) => Value::Array(truncate_array(a, max)),
        scalar => {
            let preview = preview(scalar);
            if fits(&preview, max) {
                preview
            } else {
                scalar.clone()
            }
        }
    }
}

/// The byte offset of the `n`th character of `s` (its length if there are fewer).
fn char_offset(s: &str, n: usize, ascii: bool) -> usize {
    if ascii {
        n.min(s.len())
    } else {
        s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
    }
}

/// Python's `_truncate_string_for_json_limit`: counts in characters, measures in bytes.
fn truncate_string(s: &str, max: usize) -> String {
    let size = str_json_size(s);
    if size <= max {
        return s.to_owned();
    }
    let suffix_size = str_json_size(TRUNCATION_SUFFIX);
    if suffix_size > max {
        return String::new();
    }
    if suffix_size == max {
        return TRUNCATION_SUFFIX.to_owned();
    }
    let budget = max - suffix_size;
    let chars = s.chars().count();
    let ascii = chars == s.len();
    // As Python: int(len * budget / size), the product exact, the quotient rounded once.
    let mut keep = ((chars as u128 * budget as u128) as f64 / size.max(1) as f64) as usize;
    keep = keep.min(chars);
    let size_with = |cut: usize| str_json_size(&s[..cut]) + suffix_size - 2;
    let mut cut = char_offset(s, keep, ascii);
    let mut best_size = size_with(cut);
    while best_size > max && keep > 0 {
        let overflow = (best_size - max) as f64 / best_size.max(1) as f64;
        let trim = ((keep as f64 * overflow) as usize + 1).max(1);
        keep = keep.saturating_sub(trim);
        cut = char_offset(s, keep, ascii);
        best_size = size_with(cut);
    }
    let mut out = String::with_capacity(cut + TRUNCATION_SUFFIX.len());
    out.push_str(&s[..cut]);
    out.push_str(TRUNCATION_SUFFIX);
    out
}

/// Python's `_truncate_mapping_for_json_limit`: shrink or drop the largest child (the
/// first one on a tie) until the object fits.
fn truncate_object(value: &Map<String, Value>, max: usize) -> Map<String, Value> {
    let mut truncated = value.clone();
    let mut current = json_size(&truncated) as i64;
    let mut heap: BinaryHeap<(usize, Reverse<usize>, String)> =
        truncated.iter().enumerate().map(|(i, (k, v))| (json_size(v), Reverse(i), k.clone())).collect();
    while !truncated.is_empty() && current > max as i64 {
        let Some((child_size, index, key)) = heap.pop() else { break };
        let Some(child) = truncated.get(&key) else { continue };
        let budget = (max as i64 - (current - child_size as i64)).max(0) as usize;
        let new_child = truncate_value(child, budget);
        if new_child == *child {
            truncated.retain(|k, _| *k != key);
            current -= (str_json_size(&key) + 1 + child_size) as i64 + i64::from(!truncated.is_empty());
        } else {
            let new_size = json_size(&new_child);
            current += new_size as i64 - child_size as i64;
            truncated.insert(key.clone(), new_child);
            heap.push((new_size, index, key));
        }
    }
    truncated
}

/// Python's `_truncate_list_for_json_limit`.
fn truncate_array(value: &[Value], max: usize) -> Vec<Value> {
    let mut truncated = value.to_vec();
    let mut current = json_size(&truncated) as i64;
    let mut heap: BinaryHeap<(usize, Reverse<usize>)> =
        truncated.iter().enumerate().map(|(i, v)| (json_size(v), Reverse(i))).collect();
    let mut removed = vec![false; truncated.len()];
    while current > max as i64 {
        let Some((child_size, Reverse(index))) = heap.pop() else { break };
        let child = &truncated[index];
        let budget = (max as i64 - (current - child_size as i64)).max(0) as usize;
        let new_child = truncate_value(child, budget);
        if new_child == *child {
            removed[index] = true;
            current -= child_size as i64 + i64::from(!heap.is_empty());
        } else {
            let new_size = json_size(&new_child);
            current += new_size as i64 - child_size as i64;
            truncated[index] = new_child;
            heap.push((new_size, Reverse(index)));
        }
    }
    truncated.into_iter().zip(removed).filter(|(_, gone)| !gone).map(|(v, _)| v).collect()
}

/// Python's `_truncated_preview`, for a value that is neither string, object nor array.
fn preview(value: &Value) -> Value {
    let type_name = match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    };
    let preview = match value {
        Value::Array(a) => format!("<{type_name} len={} truncated>", a.len()),
        Value::Object(m) => format!("<{type_name} len={} truncated>", m.len()),
        _ => format!("<{type_name} truncated>"),
    };
    serde_json::json!({"truncated": true, "original_type": type_name, "preview": preview})
}

/// A JSON object that keeps its keys in the order written, whatever serde_json's map
/// type: the sanitized `span_data` goes out with the key order of the typed data.
#[derive(Clone, Debug, Default, PartialEq)]
struct Object(Vec<(String, Value)>);

impl Object {
    /// `value` serialized and read back.
    fn from_serialize<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Self> {
        serde_json::from_slice(&trace_core::wire::to_json_vec(value)?)
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn set(&mut self, key: &str, value: Value) {
        match self.get_mut(key) {
            Some(slot) => *slot = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Object(entries))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
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

#[cfg(test)]
mod tests;
