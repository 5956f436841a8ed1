//! Bad input through the full pipeline, all spans of one batch, one request: each kind
//! gets its documented outcome (see `trace_core::limits`), nothing panics, and no bad span
//! costs the rest of its batch.
//!
//! | input | outcome |
//! |---|---|
//! | `NaN`, `inf` in JSON data | `null`: a `serde_json::Value` cannot hold them |
//! | 10 MB strings | sent as is; cut to 100,000 bytes (`input`/`output`) by the OpenAI sanitizer; rejected alone and counted (`too_large`) with `max_item_bytes` |
//! | JSON nested 10,000 levels | cut at depth 100 with a marker, counted (`depth_cuts`); no stack overflow when serialized or dropped |
//! | metadata of any JSON type, odd keys | sent as is |
//! | empty names | sent as is |
//! | ids not in the usual format | sent as is |
//! | emoji, RTL, combining marks, NUL, control characters | sent as is, JSON-escaped |
//! | lone surrogates | cannot exist in a Rust `String`; bytes decoded lossily arrive as U+FFFD |

use agents_tracing::openai::WithHttpOptions;
use std::time::Duration;

use agents_tracing::core::limits::{depth_cuts, json_depth_exceeds, DEPTH_LIMIT_MARKER, MAX_JSON_DEPTH};
use agents_tracing::core::{
    agent_span, custom_span, function_span, generation_span, trace, JsonMap, SpanError, SpanId, TraceId,
};
use agents_tracing::openai::Sanitize;
use serde_json::{json, Value};
use test_support::server::{Recorded, Reply};

use super::{exporter, on_flush_only, produce, server, timed, Accounting, Pipeline};

const TEN_MB: usize = 10 * 1024 * 1024;

/// Text that exercises JSON escaping and Unicode.
const UNICODE: &str = "emoji 👩‍👩‍👧‍👦🏳️‍🌈, RTL مرحبا بالعالم שלום, combining e\u{301}\u{302}, NUL \u{0}, \
                       controls \u{1}\u{1f}\u{7f}\n\t\r, separators \u{2028}\u{2029}, BOM \u{feff}, \
                       non-character \u{fffe}\u{10ffff}, quotes \"'\\";

fn nested(levels: usize) -> Value {
    let mut v = json!("bottom");
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

fn map(entries: Vec<(&str, Value)>) -> JsonMap {
    entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn odd_metadata() -> JsonMap {
    map(vec![
        ("int", json!(42)),
        ("float", json!(1.5e300)),
        ("negative_zero", json!(-0.0)),
        ("u64_max", json!(u64::MAX)),
        ("i64_min", json!(i64::MIN)),
        ("bool", json!(true)),
        ("null", Value::Null),
        ("array", json!([1, "two", null, [3]])),
        ("object", json!({"nested": {"deeper": [true]}})),
        ("", json!("an empty key")),
        ("key with \"quotes\", \\ and \n newline", json!("odd key")),
        ("unicode 🔑", json!(UNICODE)),
    ])
}

/// Creates one of each bad span in one trace (1 trace + 9 spans); returns the number of
/// items offered and the longest call.
fn bad_spans() -> (u64, Duration) {
    let held = super::hold_exports();
    let mut max = Duration::ZERO;
    let t = timed(&mut max, || trace("").trace_id("weird trace id ✓ \"quoted\"").metadata(odd_metadata()).start());
    // NaN and infinities: `Value::from` makes them null before tracing sees them.
    let floats = map(vec![
        ("nan", Value::from(f64::NAN)),
        ("inf", Value::from(f64::INFINITY)),
        ("neg_inf", Value::from(f64::NEG_INFINITY)),
        ("ok", json!(0.25)),
    ]);
    timed(&mut max, || custom_span("floats").data(floats).span_id("").start()).end();
    timed(&mut max, || {
        generation_span()
            .usage(map(vec![("input_tokens", Value::from(f64::NAN)), ("output_tokens", json!(3))]))
            .span_id("span with spaces")
            .start()
    })
    .end();
    // 10 MB strings (built before the timed calls: only tracing's own time is measured).
    let (input, blob) = ("i".repeat(TEN_MB), map(vec![("blob", json!("b".repeat(TEN_MB)))]));
    timed(&mut max, || function_span("big").input(input).span_id("SPAN-BIG-INPUT").start()).end();
    timed(&mut max, || custom_span("blob").data(blob).start()).end();
    // 10,000 levels, in custom data, generation input and error data.
    let (deep, deep_input, deep_data) =
        (map(vec![("deep", nested(10_000))]), [nested(10_000), json!("shallow")], map(vec![("deep", nested(10_000))]));
    timed(&mut max, || custom_span("deep").data(deep).start()).end();
    let mut deep_error = timed(&mut max, || generation_span().input(deep_input).start());
    deep_error.set_error(SpanError::new("deep error data").with_data(deep_data));
    timed(&mut max, || deep_error.end());
    // Odd metadata on an agent span, empty names, Unicode everywhere.
    timed(&mut max, || agent_span("").metadata(odd_metadata()).start()).end();
    timed(&mut max, || function_span("").input(UNICODE).output("").start()).end();
    timed(&mut max, || custom_span(UNICODE).data(map(vec![(UNICODE, json!(UNICODE))])).start()).end();
    timed(&mut max, || t.end());
    held.release();
    (10, max)
}

fn by_name<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items.iter().find(|i| i["span_data"]["name"] == name).unwrap_or_else(|| panic!("no span named {name:?}"))
}

fn items_of(requests: &[Recorded]) -> Vec<Value> {
    requests
        .iter()
        .flat_map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["data"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn bad_input_is_sent_as_is_or_sanitized_and_never_costs_the_batch() {
    let server = server(Reply::ok());
    let p = Pipeline::install(
        exporter(&server.url()).response_timeout(Duration::from_secs(10)).export_budget(Duration::from_secs(30)),
        on_flush_only,
        vec![],
    );
    let cuts_before = depth_cuts();
    let (offered, max_block) = bad_spans();
    let shutdown = p.flush_then_shut_down(Duration::from_secs(30));

    let a = Accounting::check(&p, offered);
    assert_eq!(a.delivered(), offered, "every bad span delivered: {a:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one batch, one request");
    let items = items_of(&requests);

    // The trace: empty name, odd id, odd metadata, as given.
    let t = &items[0];
    assert_eq!((t["object"].as_str(), t["workflow_name"].as_str()), (Some("trace"), Some("")));
    assert_eq!(t["id"], "weird trace id ✓ \"quoted\"");
    assert_eq!(t["metadata"], Value::Object(odd_metadata()));
    // Floats: null.
    let floats = by_name(&items, "floats");
    // An empty id is no id: a generated one, as Python's `span_id or gen_span_id()`.
    assert!(floats["id"].as_str().is_some_and(|id| id.starts_with("span_") && id.len() == 29), "{}", floats["id"]);
    assert_eq!(floats["span_data"]["data"], json!({"nan": null, "inf": null, "neg_inf": null, "ok": 0.25}));
    let usage = items.iter().find(|i| i["id"] == "span with spaces").unwrap();
    assert_eq!(usage["span_data"]["usage"], json!({"input_tokens": null, "output_tokens": 3}));
    // 10 MB strings: as is.
    assert_eq!(by_name(&items, "big")["span_data"]["input"].as_str().map(str::len), Some(TEN_MB));
    assert_eq!(by_name(&items, "big")["id"], "SPAN-BIG-INPUT");
    assert_eq!(by_name(&items, "blob")["span_data"]["data"]["blob"].as_str().map(str::len), Some(TEN_MB));
    // 10,000 levels: cut where the span object is 100 levels deep, three times, counted.
    let deep = by_name(&items, "deep");
    assert!(deep.to_string().contains(DEPTH_LIMIT_MARKER));
    assert!(!json_depth_exceeds(deep, MAX_JSON_DEPTH));
    let generation = items.iter().find(|i| i["error"]["message"] == "deep error data").unwrap();
    assert_eq!(generation.to_string().matches(DEPTH_LIMIT_MARKER).count(), 2);
    assert_eq!(generation["span_data"]["input"][1], "shallow");
    assert!(depth_cuts() >= cuts_before + 3);
    // Metadata, empty names, Unicode: as given.
    let agent = items.iter().find(|i| i["span_data"]["type"] == "agent").unwrap();
    assert_eq!((agent["span_data"]["name"].as_str(), &agent["metadata"]), (Some(""), &Value::Object(odd_metadata())));
    let f = items.iter().find(|i| i["span_data"]["type"] == "function" && i["span_data"]["name"] == "").unwrap();
    assert_eq!((f["span_data"]["input"].as_str(), f["span_data"]["output"].as_str()), (Some(UNICODE), Some("")));
    assert_eq!(by_name(&items, UNICODE)["span_data"]["data"][UNICODE], UNICODE);
    a.print("bad_input_as_is", max_block, Some(shutdown));
}

#[test]
fn with_the_sanitizer_and_an_item_limit_one_oversized_span_is_rejected_alone_and_counted() {
    let server = server(Reply::ok());
    let p = Pipeline::install(
        exporter(&server.url())
            .sanitize(Sanitize::Always)
            .max_item_bytes(Some(1024 * 1024))
            .response_timeout(Duration::from_secs(10))
            .export_budget(Duration::from_secs(30)),
        on_flush_only,
        vec![],
    );
    let (mut offered, mut max_block) = bad_spans();
    let more = produce("after-bad-input", 1, 1, 3);
    offered += more.items;
    max_block = max_block.max(more.max_block);
    let shutdown = p.flush_then_shut_down(Duration::from_secs(30));

    let a = Accounting::check(&p, offered);
    // The custom span carrying 10 MB is over the 1 MiB limit: left out, counted. The
    // function span's 10 MB input was cut to 100,000 bytes by the sanitizer first.
    assert_eq!(a.exporter.too_large, 1, "{a:?}");
    assert_eq!(a.delivered(), offered - 1, "{a:?}");
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "the rest of the batch went out in its one request");
    let items = items_of(&requests);
    assert!(items.iter().all(|i| i["span_data"]["name"] != "blob"));
    let input = by_name(&items, "big")["span_data"]["input"].as_str().unwrap().to_owned();
    assert!(input.len() + 2 <= 100_000 && input.ends_with("... [truncated]"), "{}", input.len());
    // Generation usage with a NaN (now null) token count is removed, as Python does.
    let usage = items.iter().find(|i| i["id"] == "span with spaces").unwrap();
    assert!(usage["span_data"].get("usage").is_none(), "{usage}");
    // The deep spans went through the sanitizer's general path, cut at the same depth.
    assert!(by_name(&items, "deep").to_string().contains(DEPTH_LIMIT_MARKER));
    a.print("bad_input_sanitized_item_limit", max_block, Some(shutdown));
}

#[test]
fn lone_surrogates_cannot_reach_tracing() {
    // A Rust string is UTF-8 by construction: the bytes of a UTF-16 surrogate (ED A0 80)
    // are invalid UTF-8 and do not make a `String`; decoded lossily they become U+FFFD.
    assert!(String::from_utf8(vec![0xED, 0xA0, 0x80]).is_err());
    let lossy = String::from_utf8_lossy(&[b'a', 0xED, 0xA0, 0x80, b'b']).into_owned();
    assert_eq!(lossy, "a\u{fffd}\u{fffd}\u{fffd}b");
    assert!(char::from_u32(0xD800).is_none());
    // What tracing then sends is valid JSON holding the replacement characters.
    let span = agents_tracing::core::Span::new(
        SpanId::generate(),
        std::sync::Arc::new(agents_tracing::core::Trace::new(TraceId::generate(), lossy.clone())),
        None,
        agents_tracing::core::CustomSpanData { name: lossy.clone().into(), data: Default::default() },
    );
    let text = agents_tracing::core::wire::to_json_string(&span).unwrap();
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back["span_data"]["name"], lossy);
}
