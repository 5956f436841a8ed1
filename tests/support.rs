//! Helpers shared by the integration tests.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use agents_tracing::core::{set_trace_processor, set_tracing_disabled, InMemoryProcessor};
use serde_json::Value;

static REGISTRY: Mutex<()> = Mutex::new(());

/// Serializes tests that use the global registry, and installs a fresh recorder.
pub(crate) fn registry_lock() -> (MutexGuard<'static, ()>, InMemoryProcessor) {
    let guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    set_tracing_disabled(false);
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    (guard, recorder)
}

/// Replaces ids by first-seen placeholders (`<trace_0>`, `<span_3>`) and span timestamps
/// by `<iso8601>`, as the golden files' `normalize` does.
pub(crate) fn normalize(body: &Value) -> Value {
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut counts = (0usize, 0usize);
    let mut nid = |v: &Value| -> Value {
        let Some(s) = v.as_str() else { return v.clone() };
        let entry = ids.entry(s.to_owned()).or_insert_with(|| {
            if s.starts_with("trace_") {
                counts.0 += 1;
                format!("<trace_{}>", counts.0 - 1)
            } else {
                counts.1 += 1;
                format!("<span_{}>", counts.1 - 1)
            }
        });
        Value::String(entry.clone())
    };
    let mut out = body.clone();
    for item in out["data"].as_array_mut().expect("a data array") {
        item["id"] = nid(&item["id"]);
        if item["object"] == "trace.span" {
            item["trace_id"] = nid(&item["trace_id"]);
            item["parent_id"] = nid(&item["parent_id"]);
            item["started_at"] = Value::String("<iso8601>".into());
            item["ended_at"] = Value::String("<iso8601>".into());
        }
    }
    out
}

/// The same normalisation on compact JSON text, keeping the key order: ids become
/// first-seen placeholders and every ISO 8601 UTC timestamp becomes `<iso8601>`.
pub(crate) fn normalize_text(text: &str) -> String {
    let mut ids: HashMap<String, String> = HashMap::new();
    let (mut traces, mut spans) = (0, 0);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('"').expect("closing quote");
        let s = &after[..end];
        let hex = |p: &str, n: usize| {
            s.strip_prefix(p).is_some_and(|h| h.len() == n && h.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        let replaced = if hex("trace_", 32) || hex("span_", 24) {
            ids.entry(s.to_owned())
                .or_insert_with(|| {
                    if s.starts_with("trace_") {
                        traces += 1;
                        format!("<trace_{}>", traces - 1)
                    } else {
                        spans += 1;
                        format!("<span_{}>", spans - 1)
                    }
                })
                .clone()
        } else if is_iso_utc(s) {
            "<iso8601>".to_owned()
        } else {
            s.to_owned()
        };
        out.push('"');
        out.push_str(&replaced);
        out.push('"');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`, the Python `isoformat()` shape.
pub(crate) fn is_iso_utc(s: &str) -> bool {
    let b = s.as_bytes();
    let shape = |pat: &[u8], b: &[u8]| {
        pat.len() == b.len() && pat.iter().zip(b).all(|(p, c)| if *p == b'd' { c.is_ascii_digit() } else { p == c })
    };
    shape(b"dddd-dd-ddTdd:dd:dd+00:00", b) || shape(b"dddd-dd-ddTdd:dd:dd.dddddd+00:00", b)
}

/// Reads a golden file copied from the Python SDK capture.
pub(crate) fn golden(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A JSON object from a `json!` literal.
pub(crate) fn obj(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().expect("a JSON object")
}
