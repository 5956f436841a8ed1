//! The golden scenarios of the Python SDK capture, rebuilt through the public API.
//!
//! Each scenario is recorded with an in-memory processor, which yields what a batch
//! processor queues (the trace at its start, spans at their end), and serialized as the
//! `{"data":[...]}` body the OpenAI exporter sends. Every body is compared byte for byte,
//! key order and numbers included, after the ids and timestamps (which differ between
//! runs) become placeholders (`normalize_text`). Golden files stored pretty-printed are
//! written compact first, as Python writes a request body, by `trace_core::wire`; that
//! this gives Python's exact bytes is checked on the raw bodies
//! (`pretty_golden_files_written_compact_are_the_bytes_python_sent`).
//!
//! Which golden file is compared where: [`every_golden_file_is_compared`] lists them all.
//! The sanitizer edge bodies are compared after their long strings are abbreviated as the
//! files abbreviate them (the OpenAI crate's `compat` tests); `python-headers.json` holds
//! headers, not a body.

use agents_tracing::core::{custom_span, trace, ExportItem};
use serde_json::Value;
use test_support::golden::{all_span_types, assert_bytes_eq, is_iso_utc, normalize, normalize_text};

use crate::support::{golden, registry_lock};

/// The `{"data":[...]}` body of `items`, as the OpenAI exporter writes it without the
/// sanitizer (the OpenAI crate's tests check its body is exactly this).
fn body_of(items: &[ExportItem]) -> (Value, String) {
    let text = format!(r#"{{"data":{}}}"#, agents_tracing::core::wire::to_json_string(items).expect("serializes"));
    (serde_json::from_str(&text).expect("valid JSON"), text)
}

/// Every golden file, and where it is compared.
const GOLDEN_FILES: &[(&str, &str)] = &[
    ("python-all-span-types.json", "all_span_types_match_the_python_body"),
    ("python-all-span-types.raw.json", "all_span_types_match_the_python_body"),
    ("python-all-span-types.normalized.json", "all_span_types_match_the_python_body"),
    ("python-all-span-types.sanitized.json", "all_span_types_sanitized_match_the_python_body"),
    ("python-all-span-types.sanitized.normalized.json", "all_span_types_sanitized_match_the_python_body"),
    ("python-minimal.json", "minimal_trace_matches_and_spans_have_no_metadata_key"),
    ("python-per-trace-api-key.json", "per_trace_api_key_traces_carry_their_key_and_never_export_it"),
    ("python-headers.json", "trace-export-openai compat: the_headers_the_sdk_sets_match_python (headers, not a body)"),
    (
        "python-sanitizer-edge.plain.json",
        "trace-export-openai compat: the_sanitizer_edge_cases_match_python (after abbreviation)",
    ),
    (
        "python-sanitizer-edge.sanitized.json",
        "trace-export-openai compat: the_sanitizer_edge_cases_match_python (after abbreviation)",
    ),
    (
        "python-numbers-and-errors.plain.raw.json",
        "trace-export-openai compat: the_numbers_and_errors_bodies_match_python_byte_for_byte",
    ),
    (
        "python-numbers-and-errors.sanitized.raw.json",
        "trace-export-openai compat: the_numbers_and_errors_bodies_match_python_byte_for_byte",
    ),
    (
        "python-sanitizer-cases.json",
        "trace-export-openai sanitize::tests: span_data in and out of the sanitizer, byte for byte",
    ),
    ("span-agent.json", "each_span_type_matches_its_golden_span"),
    ("span-custom.json", "each_span_type_matches_its_golden_span"),
    ("span-function.json", "each_span_type_matches_its_golden_span"),
    ("span-generation.json", "each_span_type_matches_its_golden_span"),
    ("span-guardrail.json", "each_span_type_matches_its_golden_span"),
    ("span-handoff.json", "each_span_type_matches_its_golden_span"),
    ("span-mcp_tools.json", "each_span_type_matches_its_golden_span"),
    ("span-response.json", "each_span_type_matches_its_golden_span"),
    ("span-speech.json", "each_span_type_matches_its_golden_span"),
    ("span-speech_group.json", "each_span_type_matches_its_golden_span"),
    ("span-task.json", "each_span_type_matches_its_golden_span"),
    ("span-transcription.json", "each_span_type_matches_its_golden_span"),
    ("span-turn.json", "each_span_type_matches_its_golden_span"),
    ("trace-object.json", "each_span_type_matches_its_golden_span"),
];

#[test]
fn every_golden_file_is_compared() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = GOLDEN_FILES.iter().map(|(f, _)| (*f).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "a golden file without a comparison, or a listed file missing");
    // The files of the other crates' tests are read from here: none is copied elsewhere.
    for other in ["crates/trace-export-openai/tests/golden", "crates/trace-core/tests/golden"] {
        assert!(!std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(other).exists(), "{other}");
    }
}

#[test]
fn pretty_golden_files_written_compact_are_the_bytes_python_sent() {
    let raw = golden("python-all-span-types.raw.json");
    let pretty = golden_body("python-all-span-types.json");
    assert_eq!(agents_tracing::core::wire::to_json_string(&pretty).unwrap(), raw.trim_end());
    for name in ["python-numbers-and-errors.plain.raw.json", "python-numbers-and-errors.sanitized.raw.json"] {
        let raw = golden(name);
        assert_eq!(agents_tracing::core::wire::to_json_string(&golden_body(name)).unwrap(), raw.trim_end(), "{name}");
    }
}

fn golden_body(name: &str) -> Value {
    serde_json::from_str(&golden(name)).expect("golden JSON")
}

#[test]
fn all_span_types_match_the_python_body() {
    let (_lock, recorder) = registry_lock();
    all_span_types(trace);
    let items = recorder.export_items();
    let (body, text) = body_of(&items);

    // Parsed JSON, ids and timestamps normalised.
    let expected = golden_body("python-all-span-types.json");
    assert_eq!(normalize(&body), normalize(&expected));
    assert_eq!(normalize(&body), golden_body("python-all-span-types.normalized.json"));

    // Byte for byte, key order and numbers included, against the body exactly as Python
    // sent it, and against the pretty-printed and normalised copies.
    let raw = golden("python-all-span-types.raw.json");
    assert_eq!(normalize_text(&text), normalize_text(raw.trim_end()));
    assert_bytes_eq(&text, &expected, "the plain body");
    assert_bytes_eq(&text, &golden_body("python-all-span-types.normalized.json"), "the plain body");
}

/// The bodies the OpenAI exporter builds with the sanitizer on.
#[cfg(feature = "openai-http")]
#[test]
fn all_span_types_sanitized_match_the_python_body() {
    use agents_tracing::openai::{BackendSpanExporter, Sanitize};

    let (_lock, recorder) = registry_lock();
    all_span_types(trace);
    let exporter = BackendSpanExporter::builder()
        .endpoint("http://127.0.0.1:9/v1/traces/ingest") // never contacted
        .api_key("sk-test")
        .read_env(false)
        .sanitize(Sanitize::Always)
        .build()
        .expect("builds");
    let requests = exporter.prepare_requests(&recorder.export_items());
    assert_eq!(requests.len(), 1);
    let text = String::from_utf8(requests[0].body.clone()).expect("UTF-8");
    for name in ["python-all-span-types.sanitized.json", "python-all-span-types.sanitized.normalized.json"] {
        assert_bytes_eq(&text, &golden_body(name), name);
    }
}

#[test]
fn export_order_is_trace_first_then_spans_in_end_order() {
    let (_lock, recorder) = registry_lock();
    all_span_types(trace);
    let (body, _) = body_of(&recorder.export_items());
    let kinds: Vec<String> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| match i["object"].as_str().unwrap() {
            "trace" => "trace".to_owned(),
            _ => {
                let d = &i["span_data"];
                d["data"]["sdk_span_type"].as_str().unwrap_or(d["type"].as_str().unwrap()).to_owned()
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "trace",
            "guardrail",
            "generation",
            "response",
            "mcp_tools",
            "function",
            "handoff",
            "agent",
            "custom",
            "speech",
            "speech_group",
            "transcription",
            "turn",
            "task"
        ]
    );
}

#[test]
fn each_span_type_matches_its_golden_span() {
    let (_lock, recorder) = registry_lock();
    all_span_types(trace);
    let (body, _) = body_of(&recorder.export_items());
    let data = body["data"].as_array().unwrap();
    for kind in [
        "agent",
        "custom",
        "function",
        "generation",
        "guardrail",
        "handoff",
        "mcp_tools",
        "response",
        "speech",
        "speech_group",
        "task",
        "transcription",
        "turn",
    ] {
        let expected = golden_body(&format!("span-{kind}.json"));
        let ours = data
            .iter()
            .find(|i| {
                let d = &i["span_data"];
                d["data"]["sdk_span_type"].as_str().or(d["type"].as_str()) == Some(kind)
                    && (kind != "custom" || d["name"] == "custom_step")
            })
            .unwrap_or_else(|| panic!("no {kind} span"));
        let strip = |v: &Value| {
            let mut v = v.clone();
            for k in ["id", "trace_id", "parent_id", "started_at", "ended_at"] {
                v[k] = Value::Null;
            }
            v
        };
        assert_eq!(strip(ours), strip(&expected), "span type {kind}");
        // Byte for byte: our item as written (parsing and writing again through `wire`
        // keeps its bytes: objects keep insertion order, floats their spelling).
        let ours_text = agents_tracing::core::wire::to_json_string(ours).unwrap();
        assert_bytes_eq(&ours_text, &expected, &format!("span type {kind}"));
        assert!(is_iso_utc(ours["started_at"].as_str().unwrap()));
        assert!(is_iso_utc(ours["ended_at"].as_str().unwrap()));
    }
    let trace_obj = golden_body("trace-object.json");
    let mut ours = data[0].clone();
    ours["id"] = trace_obj["id"].clone();
    assert_eq!(ours, trace_obj);
    assert_bytes_eq(&agents_tracing::core::wire::to_json_string(&ours).unwrap(), &trace_obj, "the trace object");
}

#[test]
fn minimal_trace_matches_and_spans_have_no_metadata_key() {
    let (_lock, recorder) = registry_lock();
    {
        let _t = trace("minimal").start();
        let _s = custom_span("only").start();
    }
    let (body, text) = body_of(&recorder.export_items());
    assert_eq!(normalize(&body), normalize(&golden_body("python-minimal.json")));
    assert!(!text.contains("\"metadata\":{"), "{text}");
    let raw: Value = golden_body("python-minimal.json");
    let compact = agents_tracing::core::wire::to_json_string(&raw).unwrap();
    assert_eq!(normalize_text(&text), normalize_text(&compact));
}

#[test]
fn per_trace_api_key_traces_carry_their_key_and_never_export_it() {
    let (_lock, recorder) = registry_lock();
    {
        let _t = trace("default_key_trace").start();
        let _s = custom_span("a").start();
    }
    {
        let _t = trace("own_key_trace").tracing_api_key("sk-per-trace").start();
        let _s = custom_span("b").start();
    }
    let items = recorder.export_items();
    let expected: Value = golden_body("python-per-trace-api-key.json");
    // Group by key as the exporter does: one body per key, in first-seen order.
    let mut groups: Vec<(Option<String>, Vec<ExportItem>)> = Vec::new();
    for item in items {
        let key = item.tracing_api_key().map(|k| k.expose().to_owned());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(item),
            None => groups.push((key, vec![item])),
        }
    }
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].0, None);
    assert_eq!(groups[1].0.as_deref(), Some("sk-per-trace"));
    for (i, (_, g)) in groups.iter().enumerate() {
        let (body, text) = body_of(g);
        assert_eq!(normalize(&body), normalize(&expected[i]["body"]));
        assert_bytes_eq(&text, &expected[i]["body"], "a per-key body");
        assert!(!text.contains("sk-per-trace"));
        assert!(!text.contains("tracing_api_key"));
    }
}
