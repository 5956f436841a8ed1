//! Comparing request bodies with the golden bodies captured from the Python SDK: the
//! normalisation of `{"data":[...]}` bodies, as the capture script's `normalize` does (ids
//! become first-seen placeholders, `<trace_0>`, `<span_3>`, and span timestamps
//! `<iso8601>`), the byte-for-byte comparison ([`assert_bytes_eq`]), and the capture's
//! scenario of every span type ([`all_span_types`]).
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

use serde_json::{json, Map, Value};
use trace_core::{
    agent_span, custom_span, function_span, generation_span, guardrail_span, handoff_span, mcp_tools_span,
    response_span, speech_group_span, speech_span, task_span, transcription_span, turn_span, SpanError, TraceBuilder,
};

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

/// Byte for byte: `got` (a body or item as written) against the golden `want`, written
/// compact by `trace_core::wire` as Python writes a request body, after ids and timestamps
/// are normalised in both ([`normalize_text`]). Panics, naming `what`, if they differ.
pub fn assert_bytes_eq(got: &str, want: &Value, what: &str) {
    let want = trace_core::wire::to_json_string(want).expect("the golden value serializes");
    let (got, want) = (normalize_text(got), normalize_text(&want));
    assert!(got == want, "{what} differs from Python's:\n got {got}\nwant {want}");
}

/// The capture script's `build_trace()`, step for step: one trace `golden_workflow` with
/// one span of every type (1 trace and 13 spans), started with `start` (the entry point
/// under test: `trace_core::trace`, or a facade's that installs a pipeline first) and
/// ended before this returns. The golden files `python-all-span-types*.json` and
/// `span-*.json` hold what it exports.
pub fn all_span_types(start: impl FnOnce(String) -> TraceBuilder) {
    let _trace = start("golden_workflow".to_owned())
        .group_id("group_golden_0001")
        .metadata(obj(json!({"customer": "user_456", "env": "golden", "agent_harness_id": "harness-1"})))
        .start();
    let _task = task_span("golden task").start();
    let _turn = turn_span(1, "Triage").start();
    {
        let _agent = agent_span("Triage").handoffs(["Billing"]).tools(["lookup_order"]).output_type("str").start();
        guardrail_span("no_pii").triggered(false).start().end();
        generation_span()
            .input([json!({"role": "user", "content": "Where is my order 42?"})])
            .output([json!({"role": "assistant", "content": "Let me check."})])
            .model("gpt-4o-mini")
            .model_config(obj(json!({"temperature": 0.2, "max_tokens": 256})))
            .usage(obj(json!({"input_tokens": 12, "output_tokens": 5})))
            .start()
            .end();
        // Set on the started span, as Python sets `span_data` fields.
        let mut response = response_span().start();
        response.set_response_id("resp_golden_123").set_usage(json!({"input_tokens": 3, "output_tokens": 4}));
        response.end();
        mcp_tools_span().server("local-mcp").result(["lookup_order", "refund"]).start().end();
        // Python exports str(output): the repr of the dict.
        let mut function =
            function_span("lookup_order").input(r#"{"order_id": 42}"#).output("{'status': 'shipped'}").start();
        function.set_error(SpanError::new("Tool timed out").with_data(obj(json!({"timeout_s": 30}))));
        function.end();
        handoff_span().from_agent("Triage").to_agent("Billing").start().end();
    }
    custom_span("custom_step").data(obj(json!({"k": "v", "n": 1, "nested": {"ok": true}}))).start().end();
    {
        let _group = speech_group_span().input("Hello there").start();
        speech_span()
            .model("tts-1")
            .input("Hello there")
            .output("AAAA")
            .output_format("pcm")
            .model_config(obj(json!({"voice": "alloy"})))
            .first_content_at("2025-01-01T00:00:00.000000+00:00")
            .start()
            .end();
    }
    transcription_span()
        .model("whisper-1")
        .input("UklGRg==")
        .input_format("pcm")
        .output("hello")
        .model_config(obj(json!({"language": "en"})))
        .start()
        .end();
    // Here `_turn`, `_task` and `_trace` end, in that order.
}

#[cfg(test)]
mod tests {
    use super::*;

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
