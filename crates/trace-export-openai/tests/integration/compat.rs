//! Wire compatibility with the Python SDK: the golden scenarios of
//! `golden_capture.py` and `gen_numbers_and_errors.py`, rebuilt through trace-core's
//! public API, exported to the local server, and compared with the bodies and headers the
//! Python exporter sent. The golden files are the repository's `tests/golden/`.
//!
//! Every body is compared byte for byte, numbers and key order included, after ids and
//! timestamps (which differ between runs) become placeholders (`normalize_text`). Golden
//! files stored pretty-printed are first written compact, as Python writes a request body
//! (`separators=(",",":")`, `ensure_ascii=False`, floats as `repr`), by
//! `trace_core::wire`, whose output equals Python's bytes (checked against the raw bodies:
//! `the_numbers_and_errors_bodies_match_python_byte_for_byte`, and the facade's
//! `tests/golden.rs`). The sanitizer edge bodies are compared after their long strings
//! are abbreviated as the golden files abbreviate them.

use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};
use test_support::golden::{all_span_types, assert_bytes_eq, normalize, normalize_text, obj};
use trace_core::{
    clear_trace_processor, custom_span, function_span, generation_span, response_span, set_trace_processor,
    set_tracing_disabled, trace, ExportItem, InMemoryProcessor, SpanError, TracingExporter,
};
use trace_export_openai::{BackendSpanExporter, Sanitize};

use crate::builder;
use crate::server::{Json, Recorded, Reply, TestServer};

const ALL_SPAN_TYPES: &str = include_str!("../../../../tests/golden/python-all-span-types.normalized.json");
const ALL_SPAN_TYPES_SANITIZED: &str =
    include_str!("../../../../tests/golden/python-all-span-types.sanitized.normalized.json");
const HEADERS: &str = include_str!("../../../../tests/golden/python-headers.json");
const MINIMAL: &str = include_str!("../../../../tests/golden/python-minimal.json");
const PER_TRACE_KEY: &str = include_str!("../../../../tests/golden/python-per-trace-api-key.json");
const EDGE_PLAIN: &str = include_str!("../../../../tests/golden/python-sanitizer-edge.plain.json");
const EDGE_SANITIZED: &str = include_str!("../../../../tests/golden/python-sanitizer-edge.sanitized.json");
const NUMBERS_PLAIN: &str = include_str!("../../../../tests/golden/python-numbers-and-errors.plain.raw.json");
const NUMBERS_SANITIZED: &str = include_str!("../../../../tests/golden/python-numbers-and-errors.sanitized.raw.json");

/// The processor registry is global: one recording at a time in this binary.
static REGISTRY: Mutex<()> = Mutex::new(());

/// Runs `build` with an in-memory processor installed and returns what a batch processor
/// would export, in queue order.
fn record(build: impl FnOnce()) -> Vec<ExportItem> {
    let _one_at_a_time: MutexGuard<'_, ()> = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    set_tracing_disabled(false);
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    build();
    clear_trace_processor();
    recorder.export_items()
}

/// `golden_capture.py`'s `build_sanitizer_edge`.
fn sanitizer_edge_trace() {
    let _t = trace("sanitizer_edge").start();
    function_span("big_input").input("x".repeat(120_000)).output("ok").start().end();
    generation_span()
        .input([json!({"role": "user", "content": "hi"})])
        .output([
            json!({"type": "reasoning", "summary": [{"text": "secret"}]}),
            json!({"role": "assistant", "content": "hello", "reasoning_content": "hidden"}),
        ])
        .model("m")
        .usage(obj(json!({"input_tokens": 1, "output_tokens": 2, "total_tokens": 3, "details": {"cached_tokens": 0}})))
        .start()
        .end();
    response_span().response_id("resp_x").usage(obj(json!({"input_tokens": 1, "output_tokens": 2}))).start().end();
}

/// `gen_numbers_and_errors.py`'s `build`: floats Python spells unlike serde_json, large
/// integers, escapes, key order, errors with any JSON as data and extra keys.
fn numbers_and_errors_trace() {
    let _t = trace("numbers").metadata(obj(json!({"z_first": 1.5e-7, "a_second": 1e16}))).start();
    let floats =
        json!([1.5e-7, 1e16, 1e15, 0.1 + 0.2, -0.0, 5e-324, 1.7976931348623157e308, 1e22, 2.5, 100.0, 1e-5, 0.0001]);
    let ints = json!([0, -3, 9_007_199_254_740_993u64, u64::MAX, i64::MIN]);
    custom_span("numbers")
        .data(obj(json!({
            "floats": floats,
            "ints": ints,
            "text": "é😀\u{0}\u{1f}\u{7f}\"\\/\u{2028}",
            "order": {"z": 1, "a": {"y": 2.0, "b": 3}},
        })))
        .start()
        .end();
    let mut f = function_span("f").input("{}").start();
    f.set_error(SpanError::new("Tool failed").with_data(json!(["a", 1.5e-7])).with_extra("code", 504));
    f.end();
    let mut g = function_span("g").input("{}").start();
    g.set_error(SpanError::new("Bad").with_data("just text"));
    g.end();
    let mut h = function_span("h").input("{}").start();
    h.set_error(
        SpanError::new("Nested")
            .with_data(json!({"k": {"n": 1e16}}))
            .with_extra("retry", json!({"after": 0.25}))
            .with_extra("tags", json!(["x"])),
    );
    h.end();
    generation_span()
        .input([json!({"role": "user", "content": "hi"})])
        .output([json!({"role": "assistant", "content": "yo"})])
        .model("m")
        .model_config(obj(json!({"temperature": 1e-05, "top_p": 1.0})))
        .usage(obj(json!({"output_tokens": 2, "input_tokens": 1, "cost": 1.5e-05, "cached": 3})))
        .start()
        .end();
    generation_span().model("m2").usage(obj(json!({"output_tokens": 5, "input_tokens": 4}))).start().end();
    response_span().usage(obj(json!({"input_tokens": 1.0, "output_tokens": 2}))).start().end();
}

/// Python's `repr` of a plain ASCII string without quotes or backslashes.
fn py_repr(s: &str) -> String {
    assert!(s.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !s.contains(['\'', '\\']), "{s:?}");
    format!("'{s}'")
}

/// `golden_capture.py`'s `_abbrev`: strings over 200 characters become their length, head
/// and tail.
fn abbreviate(v: &Value) -> Value {
    match v {
        Value::String(s) if s.chars().count() > 200 => {
            let chars: Vec<char> = s.chars().collect();
            let head: String = chars[..20].iter().collect();
            let tail: String = chars[chars.len() - 20..].iter().collect();
            Value::String(format!("<str len={} head={} tail={}>", chars.len(), py_repr(&head), py_repr(&tail)))
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), abbreviate(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(abbreviate).collect()),
        other => other.clone(),
    }
}

fn golden(text: &str) -> Value {
    serde_json::from_str(text).expect("golden JSON")
}

/// Exports `items` with the golden capture's settings to a fresh server and returns the
/// requests it received.
fn send(items: &[ExportItem], sanitize: Sanitize) -> Vec<Recorded> {
    let server = TestServer::always(Reply::ok());
    let exporter: BackendSpanExporter = builder(&server.url(), "sk-test")
        .organization("org-test")
        .project("proj-test")
        .sanitize(sanitize)
        .build()
        .unwrap();
    exporter.export(items).unwrap();
    server.requests()
}

/// [`send`], for a batch that makes one request (one key): that request.
fn send_one(items: &[ExportItem], sanitize: Sanitize) -> Recorded {
    let mut requests = send(items, sanitize);
    assert_eq!(requests.len(), 1, "one batch, one key: one request");
    requests.remove(0)
}

#[test]
fn all_span_types_match_the_python_body() {
    let items = record(|| all_span_types(trace));
    assert_eq!(items.len(), 14, "1 trace + 13 spans");
    let request = send_one(&items, Sanitize::Auto);
    assert_bytes_eq(&request.body_text(), &golden(ALL_SPAN_TYPES), "the plain body");
}

#[test]
fn all_span_types_sanitized_match_the_python_body() {
    let items = record(|| all_span_types(trace));
    let request = send_one(&items, Sanitize::Always);
    assert_bytes_eq(&request.body_text(), &golden(ALL_SPAN_TYPES_SANITIZED), "the sanitized body");
}

#[test]
fn the_headers_the_sdk_sets_match_python() {
    let items = record(|| all_span_types(trace));
    let r = &send_one(&items, Sanitize::Auto);
    let want = golden(HEADERS);
    assert_eq!(r.method, want["method"]);
    assert_eq!(r.path, want["path"]);
    assert_eq!(r.version, want["http_version"]);
    let sdk_headers = ["Authorization", "Content-Type", "OpenAI-Beta", "OpenAI-Organization", "OpenAI-Project"];
    let python: Vec<(String, String)> = want["headers_in_wire_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h[0].as_str().unwrap().to_owned(), h[1].as_str().unwrap().to_owned()))
        .filter(|(k, _)| sdk_headers.contains(&k.as_str()))
        .collect();
    let ours: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| sdk_headers.iter().any(|h| h.eq_ignore_ascii_case(k)))
        .map(|(k, v)| {
            let name = sdk_headers.iter().find(|h| h.eq_ignore_ascii_case(k)).unwrap();
            ((*name).to_owned(), v.clone())
        })
        .collect();
    // The same values, in the same relative order.
    assert_eq!(ours, python);
    assert_eq!(r.header("Content-Length"), Some(r.body.len().to_string().as_str()));
}

#[test]
fn a_minimal_trace_matches_python() {
    let items = record(|| {
        let _t = trace("minimal").start();
        let _s = custom_span("only").start();
    });
    assert_bytes_eq(&send_one(&items, Sanitize::Auto).body_text(), &golden(MINIMAL), "the minimal body");
}

#[test]
fn per_trace_keys_make_one_request_per_key_as_in_python() {
    let items = record(|| {
        {
            let _t = trace("default_key_trace").start();
            custom_span("a").start().end();
        }
        let _t = trace("own_key_trace").tracing_api_key("sk-per-trace").start();
        custom_span("b").start().end();
    });
    let requests = send(&items, Sanitize::Auto);
    let want = golden(PER_TRACE_KEY);
    let want = want.as_array().unwrap();
    assert_eq!(requests.len(), want.len());
    for (r, w) in requests.iter().zip(want) {
        assert_eq!(r.header("Authorization"), w["authorization"].as_str());
        assert_bytes_eq(&r.body_text(), &w["body"], "a per-key body");
    }
}

#[test]
fn the_sanitizer_edge_cases_match_python() {
    let items = record(sanitizer_edge_trace);
    for (sanitize, file) in [(Sanitize::Never, EDGE_PLAIN), (Sanitize::Always, EDGE_SANITIZED)] {
        let request = send_one(&items, sanitize);
        // Abbreviated as the golden file is, then written compact again (key order and
        // numbers kept: objects keep insertion order).
        let got = trace_core::wire::to_json_string(&normalize(&abbreviate(&request.json()))).unwrap();
        assert_bytes_eq(&got, &golden(file)["body"], &format!("the {sanitize:?} edge body"));
    }
    // Spelled out: the cut input is 99,996 characters ending with the suffix.
    let body = send_one(&items, Sanitize::Always).json();
    let input = body["data"][1]["span_data"]["input"].as_str().unwrap();
    assert_eq!(input.chars().count(), 99_996);
    assert!(input.starts_with("xxxxxxxxxxxxxxxxxxxx") && input.ends_with("xxxxx... [truncated]"));
}

#[test]
fn the_numbers_and_errors_bodies_match_python_byte_for_byte() {
    let items = record(numbers_and_errors_trace);
    for (sanitize, raw) in [(Sanitize::Never, NUMBERS_PLAIN), (Sanitize::Always, NUMBERS_SANITIZED)] {
        let got = normalize_text(&send_one(&items, sanitize).body_text());
        let want = normalize_text(raw.trim_end());
        assert!(got == want, "the {sanitize:?} body differs from Python's:\n got {got}\nwant {want}");
        // And the raw body, parsed and written again by `wire`, is itself (what the
        // comparisons with pretty-printed golden files rely on).
        assert_eq!(trace_core::wire::to_json_string(&golden(raw)).unwrap(), raw.trim_end());
    }
}

/// A regional OpenAI host gets the body `api.openai.com` gets: sanitized, so that
/// `usage.requests` (which a regional host refuses with `400 unknown_parameter`) is moved
/// under `details`. A dry run: the bytes `export` would send, no network.
#[cfg(feature = "rustls")]
#[test]
fn a_regional_openai_host_gets_the_sanitized_body() {
    use std::sync::Arc;
    use trace_core::{GenerationSpanData, Span, SpanId, Trace, TraceId};
    use trace_export_openai::WithHttpOptions;

    let trace = Arc::new(Trace::new(TraceId::from_u128(1), "regional"));
    let usage = json!({"requests": 1, "input_tokens": 3, "output_tokens": 4, "total_tokens": 7});
    let data = GenerationSpanData { usage: usage.as_object().cloned().map(Box::new), ..Default::default() };
    let span = Arc::new(Span::new(SpanId::from_u128(2), Arc::clone(&trace), None, data));
    let items = [ExportItem::Trace(trace), ExportItem::Span(span)];
    let body = |endpoint: &str| {
        let exporter = BackendSpanExporter::builder()
            .endpoint(endpoint)
            .api_key("sk-test-regional")
            .read_env(false)
            .proxy_from_env(false)
            .build()
            .unwrap();
        assert!(exporter.sanitizes(), "{endpoint}");
        let requests = exporter.prepare_requests(&items);
        assert_eq!(requests[0].url, endpoint);
        String::from_utf8(requests[0].body.clone()).unwrap()
    };
    let regional = body("https://us.api.openai.com/v1/traces/ingest");
    assert_eq!(regional, body("https://api.openai.com/v1/traces/ingest"));
    assert_eq!(regional, body("https://eu.api.openai.com/v1/traces/ingest/"));
    let sent: Value = serde_json::from_str(&regional).unwrap();
    assert_eq!(
        sent["data"][1]["span_data"]["usage"],
        json!({"input_tokens": 3, "output_tokens": 4, "details": {"requests": 1, "total_tokens": 7}})
    );
}

/// A generation span the sanitizer rewrites (an input over 100,000 bytes) keeps its usage
/// as it was when the usage needs no change, key order included, as Python keeps the dict
/// (`sanitized_usage == usage`). A dry run.
#[test]
fn a_rewritten_generation_keeps_a_usage_that_needs_no_change_as_it_was() {
    use std::sync::Arc;
    use trace_core::{GenerationSpanData, Span, SpanId, Trace, TraceId};
    use trace_export_openai::WithHttpOptions;

    let trace = Arc::new(Trace::new(TraceId::from_u128(1), "big"));
    let data = GenerationSpanData {
        input: Some(vec![json!({"role": "user", "content": "x".repeat(120_000)})]),
        usage: json!({"output_tokens": 4, "input_tokens": 3}).as_object().cloned().map(Box::new),
        ..Default::default()
    };
    let span = Arc::new(Span::new(SpanId::from_u128(2), Arc::clone(&trace), None, data));
    let exporter = BackendSpanExporter::builder()
        .endpoint("http://127.0.0.1:9/v1/traces/ingest")
        .api_key("sk-test-usage-order")
        .read_env(false)
        .proxy_from_env(false)
        .sanitize(Sanitize::Always)
        .build()
        .unwrap();
    let requests = exporter.prepare_requests(&[ExportItem::Trace(trace), ExportItem::Span(span)]);
    let body = String::from_utf8(requests[0].body.clone()).unwrap();
    assert!(body.contains("[truncated]"), "the input was cut");
    assert!(body.contains(r#""usage":{"output_tokens":4,"input_tokens":3}"#), "{}", &body[body.len() - 300..]);
}
