//! Oversized `input`/`output` cut to the 100,000-byte budget as the Python SDK does: sizes
//! measured as compact JSON, the largest child cut first, strings ending with
//! `... [truncated]`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;

use serde::Serialize;
use serde_json::{Map, Value};

/// The largest `input` / `output` the ingest endpoint accepts, in bytes of compact JSON.
pub(crate) const MAX_FIELD_BYTES: usize = 100_000;

/// What a cut string ends with.
pub(super) const TRUNCATION_SUFFIX: &str = "... [truncated]";

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
pub(super) fn json_size<T: Serialize + ?Sized>(value: &T) -> usize {
    let mut c = Counter { written: 0, limit: usize::MAX };
    let _ = trace_core::wire::write_json(&mut c, value);
    c.written
}

/// Whether `value` takes at most `max` bytes of compact JSON.
pub(super) fn fits<T: Serialize + ?Sized>(value: &T, max: usize) -> bool {
    trace_core::wire::write_json(&mut Counter { written: 0, limit: max }, value).is_ok()
}

/// The size of `s` as a JSON string, quotes included (the escapes of serde_json and of
/// Python's `json.dumps(ensure_ascii=False)` agree).
pub(super) fn str_json_size(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | 0x09 | 0x0a | 0x0c | 0x0d => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

pub(super) fn str_fits(s: &Option<String>) -> bool {
    s.as_deref().map_or(true, |s| str_json_size(s) <= MAX_FIELD_BYTES)
}

/// Whether `{"data":<data or "">,"format":<format>}` fits.
pub(super) fn audio_fits(data: &Option<String>, format: &Option<String>) -> bool {
    let data = str_json_size(data.as_deref().unwrap_or(""));
    let format = format.as_deref().map_or(4, str_json_size);
    r#"{"data":,"format":}"#.len() + data + format <= MAX_FIELD_BYTES
}

/// Python's `_truncate_span_field_value`.
pub(super) fn truncate_field(value: Value) -> Value {
    if fits(&value, MAX_FIELD_BYTES) {
        value
    } else {
        truncate_value(&value, MAX_FIELD_BYTES)
    }
}

/// Python's `_truncate_json_value_for_limit`.
pub(super) fn truncate_value(value: &Value, max: usize) -> Value {
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
pub(super) fn truncate_string(s: &str, max: usize) -> String {
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
pub(super) fn truncate_array(value: &[Value], max: usize) -> Vec<Value> {
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
pub(super) fn preview(value: &Value) -> Value {
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
