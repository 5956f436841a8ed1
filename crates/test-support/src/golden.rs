//! Normalisation of `{"data":[...]}` request bodies for comparing them with the golden
//! bodies captured from the Python SDK, as its capture script's `normalize` does: ids
//! become first-seen placeholders (`<trace_0>`, `<span_3>`) and span timestamps
//! `<iso8601>`.
//!
//! ```
//! use serde_json::json;
//! use test_support::golden::normalize;
//!
//! let body = json!({"data": [
//!     {"object": "trace", "id": "trace_1f"},
//!     {"object": "trace.span", "id": "span_9a", "trace_id": "trace_1f", "parent_id": null,
//!      "started_at": "2025-01-01T00:00:00.000001+00:00", "ended_at": "2025-01-01T00:00:01+00:00"},
//! ]});
//! assert_eq!(normalize(&body), json!({"data": [
//!     {"object": "trace", "id": "<trace_0>"},
//!     {"object": "trace.span", "id": "<span_0>", "trace_id": "<trace_0>", "parent_id": null,
//!      "started_at": "<iso8601>", "ended_at": "<iso8601>"},
//! ]}));
//! ```

use std::collections::HashMap;

use serde_json::{Map, Value};

/// First-seen placeholders for trace and span ids: `<trace_N>` for ids starting with
/// `trace_`, `<span_N>` for the others, each numbered from 0.
#[derive(Debug, Default)]
struct Placeholders {
    ids: HashMap<String, String>,
    traces: usize,
    spans: usize,
}

impl Placeholders {
    fn of(&mut self, id: &str) -> String {
        let Self { ids, traces, spans } = self;
        ids.entry(id.to_owned())
            .or_insert_with(|| {
                let (kind, n) = if id.starts_with("trace_") { ("trace", traces) } else { ("span", spans) };
                *n += 1;
                format!("<{kind}_{}>", *n - 1)
            })
            .clone()
    }

    /// A string value replaced by its placeholder; any other value (`null`) kept.
    fn value(&mut self, v: &Value) -> Value {
        match v.as_str() {
            Some(id) => Value::String(self.of(id)),
            None => v.clone(),
        }
    }
}

/// `body` with ids replaced by first-seen placeholders (`<trace_0>`, `<span_3>`) and span
/// timestamps by `<iso8601>`, as the golden files' `normalize` does. Panics if `body` has
/// no `data` array.
pub fn normalize(body: &Value) -> Value {
    let mut ids = Placeholders::default();
    let mut out = body.clone();
    for item in out["data"].as_array_mut().expect("a data array") {
        item["id"] = ids.value(&item["id"]);
        if item["object"] == "trace.span" {
            item["trace_id"] = ids.value(&item["trace_id"]);
            item["parent_id"] = ids.value(&item["parent_id"]);
            item["started_at"] = Value::String("<iso8601>".into());
            item["ended_at"] = Value::String("<iso8601>".into());
        }
    }
    out
}

/// The same normalisation on compact JSON text, keeping the key order: ids (`trace_` and
/// 32 hex digits, `span_` and 24) become first-seen placeholders and every ISO 8601 UTC
/// timestamp (see [`is_iso_utc`]) becomes `<iso8601>`.
pub fn normalize_text(text: &str) -> String {
    let mut ids = Placeholders::default();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        // The closing quote: the first one not escaped by a backslash.
        let mut escaped = false;
        let end = after
            .char_indices()
            .find(|&(_, c)| {
                let close = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                close
            })
            .map(|(i, _)| i)
            .expect("closing quote");
        let s = &after[..end];
        let hex = |p: &str, n: usize| {
            s.strip_prefix(p).is_some_and(|h| h.len() == n && h.bytes().all(|b| b.is_ascii_hexdigit()))
        };
        let replaced = if hex("trace_", 32) || hex("span_", 24) {
            ids.of(s)
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
pub fn is_iso_utc(s: &str) -> bool {
    let b = s.as_bytes();
    let shape = |pat: &[u8], b: &[u8]| {
        pat.len() == b.len() && pat.iter().zip(b).all(|(p, c)| if *p == b'd' { c.is_ascii_digit() } else { p == c })
    };
    shape(b"dddd-dd-ddTdd:dd:dd+00:00", b) || shape(b"dddd-dd-ddTdd:dd:dd.dddddd+00:00", b)
}

/// A JSON object from a `json!` literal; panics if `v` is not an object.
pub fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("a JSON object")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_become_first_seen_placeholders_and_timestamps_a_constant() {
        let span = |id: &str, parent: Value| {
            json!({"object": "trace.span", "id": id, "trace_id": "trace_b", "parent_id": parent,
                   "started_at": "2025-01-01T00:00:00+00:00", "ended_at": "x", "span_data": {"id": "kept"}})
        };
        let body = json!({"data": [
            {"object": "trace", "id": "trace_a", "started_at": "kept"},
            span("span_x", Value::Null),
            span("span_y", json!("span_x")),
        ]});
        let n = normalize(&body);
        let data = n["data"].as_array().unwrap();
        assert_eq!(data[0], json!({"object": "trace", "id": "<trace_0>", "started_at": "kept"}));
        assert_eq!(data[1]["id"], "<span_0>");
        assert_eq!(data[1]["trace_id"], "<trace_1>");
        assert_eq!(data[1]["parent_id"], Value::Null);
        assert_eq!(data[2]["parent_id"], "<span_0>");
        assert_eq!(data[2]["id"], "<span_1>");
        assert_eq!(data[2]["started_at"], "<iso8601>");
        assert_eq!(data[2]["ended_at"], "<iso8601>");
        assert_eq!(data[2]["span_data"]["id"], "kept");
    }

    #[test]
    fn text_keeps_its_key_order() {
        let trace = format!("trace_{}", "a".repeat(32));
        let span = format!("span_{}", "0".repeat(24));
        let at = "2025-01-01T00:00:00.123456+00:00";
        let text = format!(
            r#"{{"data":[{{"id":"{trace}"}},{{"id":"{span}","trace_id":"{trace}","started_at":"{at}","name":"trace_x"}}]}}"#
        );
        let want = r#"{"data":[{"id":"<trace_0>"},{"id":"<span_0>","trace_id":"<trace_0>","#;
        assert_eq!(normalize_text(&text), format!(r#"{want}"started_at":"<iso8601>","name":"trace_x"}}]}}"#));
        // Escaped quotes and backslashes stay inside their string.
        let text = format!(r#"{{"a":"q\"\\","id":"{trace}","b":"\\\"{span}"}}"#);
        assert_eq!(normalize_text(&text), r#"{"a":"q\"\\","id":"<trace_0>","b":"\\\"span_000000000000000000000000"}"#);
    }

    #[test]
    fn iso_timestamps() {
        assert!(is_iso_utc("2026-11-21T20:36:58.170467+00:00"));
        assert!(is_iso_utc("2026-11-21T20:36:58+00:00"));
        assert!(!is_iso_utc("2026-11-21T20:36:58.170467Z"));
        assert!(!is_iso_utc("2026-11-21 20:36:58+00:00"));
    }
}
