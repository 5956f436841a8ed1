use std::sync::Arc;

use serde_json::json;
use trace_core::span_data::*;
use trace_core::{SpanError, SpanId, Timestamp, Trace, TraceId};

use super::*;

/// Cases computed by the Python SDK 0.24's sanitizer (the repository's tests/golden/gen_sanitizer_cases.py).
const PYTHON_CASES: &str = include_str!("../../../../tests/golden/python-sanitizer-cases.json");

/// Expands `{"$runs": [[unit, count], ...]}` and `{"$ranges": [[start, end], ...]}`.
fn expand(v: Value) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("$runs") => {
            let mut s = String::new();
            for run in m["$runs"].as_array().unwrap() {
                s.push_str(&run[0].as_str().unwrap().repeat(run[1].as_u64().unwrap() as usize));
            }
            Value::String(s)
        }
        Value::Object(m) if m.len() == 1 && m.contains_key("$ranges") => Value::Array(
            m["$ranges"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|r| r[0].as_u64().unwrap()..r[1].as_u64().unwrap())
                .map(Value::from)
                .collect(),
        ),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, expand(v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(expand).collect()),
        other => other,
    }
}

fn python_cases() -> Vec<(String, Value, Value)> {
    let cases: Vec<Value> = serde_json::from_str(PYTHON_CASES).unwrap();
    cases
        .into_iter()
        .map(|c| (c["name"].as_str().unwrap().to_owned(), expand(c["input"].clone()), expand(c["expected"].clone())))
        .collect()
}

fn span_of(data: impl Into<SpanData>) -> Span {
    let trace = Arc::new(Trace::new(TraceId::generate(), "w"));
    let t = Timestamp::from_unix_nanos(1_741_694_400_123_456_000);
    Span::new(SpanId::generate(), trace, None, data).with_times(t, t)
}

fn sanitized_span_data(span: &Span) -> Value {
    let mut v = serde_json::to_value(SanitizedSpan(span)).unwrap();
    v["span_data"].take()
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| a.iter().filter_map(string).collect())
}

fn map(v: &Value) -> Option<JsonMap> {
    v.as_object().cloned()
}

/// The typed span data whose serialization is `v`, for the types the cases use.
fn typed(v: &Value) -> SpanData {
    match v["type"].as_str().unwrap() {
        "function" => FunctionSpanData {
            name: string(&v["name"]).unwrap().into(),
            input: string(&v["input"]),
            output: string(&v["output"]),
            mcp_data: map(&v["mcp_data"]).map(Box::new),
        }
        .into(),
        "generation" => GenerationSpanData {
            input: v["input"].as_array().cloned(),
            output: v["output"].as_array().cloned(),
            model: string(&v["model"]),
            model_config: map(&v["model_config"]).map(Box::new),
            usage: map(&v["usage"]).map(Box::new),
        }
        .into(),
        "speech_group" => SpeechGroupSpanData { input: string(&v["input"]) }.into(),
        "transcription" => TranscriptionSpanData {
            input: string(&v["input"]["data"]),
            input_format: string(&v["input"]["format"]),
            output: string(&v["output"]),
            model: string(&v["model"]),
            model_config: map(&v["model_config"]).map(Box::new),
        }
        .into(),
        "speech" => SpeechSpanData {
            input: string(&v["input"]),
            output: string(&v["output"]["data"]),
            output_format: string(&v["output"]["format"]),
            model: string(&v["model"]),
            model_config: map(&v["model_config"]).map(Box::new),
            first_content_at: string(&v["first_content_at"]),
        }
        .into(),
        "response" => ResponseSpanData {
            response_id: string(&v["response_id"]),
            usage: map(&v["usage"]).map(Box::new),
            ..Default::default()
        }
        .into(),
        "custom" if v["data"]["sdk_span_type"] == "task" => TaskSpanData {
            name: string(&v["data"]["name"]).unwrap().into(),
            usage: map(&v["data"]["usage"]).map(Box::new),
            metadata: None,
        }
        .into(),
        "custom" => {
            CustomSpanData { name: string(&v["name"]).unwrap().into(), data: map(&v["data"]).unwrap().into() }.into()
        }
        "mcp_tools" => McpListToolsSpanData { server: string(&v["server"]), result: strings(&v["result"]) }.into(),
        other => panic!("no typed form for {other}"),
    }
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 400 {
        format!("{}...{} ({} bytes)", &s[..200], &s[s.len() - 200..], s.len())
    } else {
        s
    }
}

#[test]
fn the_general_path_matches_python_on_every_case() {
    for (name, input, expected) in python_cases() {
        let mut object: Object = serde_json::from_value(input).unwrap();
        sanitize_span_data(&mut object);
        let got = serde_json::to_value(&object).unwrap();
        assert!(got == expected, "{name}:\n got {}\nwant {}", describe(&got), describe(&expected));
    }
}

#[test]
fn typed_spans_match_python_on_every_case() {
    for (name, input, expected) in python_cases() {
        let data = typed(&input);
        // The typed data serializes back to the case's input...
        assert_eq!(serde_json::to_value(&data).unwrap(), input, "{name}");
        // ...and its sanitized form, by whatever path, is Python's.
        let got = sanitized_span_data(&span_of(data));
        assert!(got == expected, "{name}:\n got {}\nwant {}", describe(&got), describe(&expected));
        // Byte for byte too: key order and number spelling as Python's.
        let (got, want) =
            (trace_core::wire::to_json_string(&got).unwrap(), trace_core::wire::to_json_string(&expected).unwrap());
        assert!(got == want, "{name}: the bytes differ");
    }
}

#[test]
fn the_cases_cover_every_path() {
    let mut paths = std::collections::BTreeSet::new();
    for (_, input, _) in python_cases() {
        let data = typed(&input);
        paths.insert(match plan(&data) {
            None => "unchanged",
            Some(DataOut::Usage(_, None)) => "usage left out",
            Some(DataOut::Usage(_, Some(_))) => "usage rebuilt",
            Some(DataOut::Object(_)) => "value",
        });
    }
    assert_eq!(paths.len(), 4, "{paths:?}");
}

#[test]
fn golden_edge_case_input_becomes_99996_chars() {
    let span = span_of(FunctionSpanData {
        name: "big_input".into(),
        input: Some("x".repeat(120_000)),
        output: Some("ok".into()),
        mcp_data: None,
    });
    let data = sanitized_span_data(&span);
    let input = data["input"].as_str().unwrap();
    assert_eq!(input.chars().count(), 99_996);
    assert!(input.ends_with("xxxxx... [truncated]"));
    assert_eq!(data["output"], "ok");
}

#[test]
fn fast_paths_agree_with_the_general_path() {
    let usage = |v: Value| v.as_object().cloned();
    let datas: Vec<SpanData> = vec![
        ResponseSpanData {
            response_id: Some("r".into()),
            usage: usage(json!({"input_tokens": 1})).map(Box::new),
            ..Default::default()
        }
        .into(),
        ResponseSpanData {
            response_id: None,
            usage: None,
            response: Some(Box::new(json!({"big": "x".repeat(200_000)}))),
            input: Some(Box::new(json!("raw"))),
        }
        .into(),
        GenerationSpanData {
            input: Some(vec![json!({"role": "user", "content": "hi"})]),
            output: Some(vec![json!({"role": "assistant", "content": "yo"})]),
            model: Some("m".into()),
            model_config: usage(json!({"temperature": 0.5})).map(Box::new),
            usage: usage(json!({"input_tokens": 1, "output_tokens": 2, "total_tokens": 3, "requests": 1,
                "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}))
            .map(Box::new),
        }
        .into(),
        GenerationSpanData {
            usage: usage(json!({"input_tokens": "x", "output_tokens": 2})).map(Box::new),
            ..Default::default()
        }
        .into(),
        GenerationSpanData {
            usage: usage(json!({"input_tokens": 1, "output_tokens": 2})).map(Box::new),
            ..Default::default()
        }
        .into(),
        GenerationSpanData::default().into(),
        FunctionSpanData { name: "f".into(), input: Some("\u{1}\"\\é".repeat(30_000)), ..Default::default() }.into(),
        TranscriptionSpanData::default().into(),
        SpeechSpanData::default().into(),
        AgentSpanData { name: "a".into(), tools: Some(vec!["t".into()]), ..Default::default() }.into(),
        TurnSpanData {
            turn: 1,
            agent_name: "a".into(),
            usage: usage(json!({"input_tokens": 5})).map(Box::new),
            metadata: None,
        }
        .into(),
        CustomSpanData {
            name: "c".into(),
            data: usage(json!({"usage": 1, "input": "x".repeat(200_000)})).unwrap().into(),
        }
        .into(),
    ];
    for data in datas {
        let fast = sanitized_span_data(&span_of(data.clone()));
        let DataOut::Object(general) = through_value(&data) else { unreachable!() };
        assert_eq!(fast, serde_json::to_value(&general).unwrap(), "{}", data.kind());
    }
}

#[test]
fn unchanged_spans_are_written_byte_for_byte_as_trace_core_writes_them() {
    let mut meta = JsonMap::new();
    meta.insert("agent_harness_id".into(), json!("h"));
    let trace = Arc::new(Trace::new(TraceId::generate(), "w").with_metadata(meta.clone()));
    let t = Timestamp::from_unix_nanos(1_741_694_400_000_000_000);
    let spans = [
        span_of(AgentSpanData { name: "a".into(), metadata: Some(Box::new(meta)), ..Default::default() }),
        Span::new(SpanId::generate(), Arc::clone(&trace), Some(SpanId::generate()), GuardrailSpanData::default())
            .with_times(t, t)
            .with_error(SpanError::new("boom").with_data(json!({"k": 1}).as_object().cloned().unwrap())),
        Span::new(SpanId::generate(), trace, None, FunctionSpanData { name: "f".into(), ..Default::default() }),
    ];
    for span in &spans {
        let plain = trace_core::wire::to_json_vec(span).unwrap();
        assert_eq!(trace_core::wire::to_json_vec(&SanitizedSpan(span)).unwrap(), plain);
        assert_fast_writer_agrees(span);
        // The span writer of the changed path gives the same object as trace-core.
        let object = Object::from_serialize(span.data()).unwrap();
        let mirrored = trace_core::wire::to_json_value(&SpanWithData::new(span, &DataOut::Object(object))).unwrap();
        assert_eq!(mirrored, serde_json::from_slice::<Value>(&plain).unwrap());
    }
    // Without metadata, even the bytes agree (key order included).
    let span = &spans[2];
    let object = Object::from_serialize(span.data()).unwrap();
    assert_eq!(
        trace_core::wire::to_json_vec(&SpanWithData::new(span, &DataOut::Object(object))).unwrap(),
        trace_core::wire::to_json_vec(span).unwrap()
    );
}

#[test]
fn sanitized_span_data_keeps_the_typed_key_order() {
    let span = span_of(ResponseSpanData { response_id: Some("r".into()), ..Default::default() });
    let text = trace_core::wire::to_json_string(&SanitizedSpan(&span)).unwrap();
    assert!(text.contains(r#""span_data":{"type":"response","response_id":"r"}"#), "{text}");
    let span = span_of(FunctionSpanData { name: "f".into(), input: Some("x".repeat(100_001)), ..Default::default() });
    let text = trace_core::wire::to_json_string(&SanitizedSpan(&span)).unwrap();
    assert!(text.contains(r#""span_data":{"type":"function","name":"f","input":"xxx"#), "{}", &text[..300]);
    assert_fast_writer_agrees(&span);
    assert!(text.contains(r#"... [truncated]","output":null,"mcp_data":null}"#));
}

#[test]
fn rebuilt_generation_usage_has_pythons_key_order() {
    // Python builds {input_tokens, output_tokens, details} in that order, details in the
    // order the keys were met; sorted keys would put `details` first.
    let usage = json!({"output_tokens": 5, "zeta": 1, "input_tokens": 3, "alpha": 2}).as_object().cloned();
    for reasoning in [false, true] {
        // Fast path (usage only), and the general path (reasoning to remove).
        let input = reasoning.then(|| vec![json!({"type": "reasoning"}), json!({"role": "user"})]);
        let span = span_of(GenerationSpanData { usage: usage.clone().map(Box::new), input, ..Default::default() });
        let text = trace_core::wire::to_json_string(&SanitizedSpan(&span)).unwrap();
        assert!(
            text.contains(r#""usage":{"input_tokens":3,"output_tokens":5,"details":{"zeta":1,"alpha":2}}"#),
            "{text}"
        );
        assert_fast_writer_agrees(&span);
    }
}

/// What the exporter writes (`SanitizedItem::write_json`, the fast span writer) is what
/// the sanitized item's `Serialize` writes, byte for byte.
fn assert_fast_writer_agrees(span: &Span) {
    let item = ExportItem::Span(Arc::new(span.clone()));
    let mut fast = Vec::new();
    SanitizedItem(&item).write_json(&mut fast).unwrap();
    assert_eq!(String::from_utf8(fast).unwrap(), trace_core::wire::to_json_string(&SanitizedItem(&item)).unwrap());
}

#[test]
fn traces_pass_through() {
    let trace = Arc::new(Trace::new(TraceId::from_string("trace_x"), "w"));
    let item = ExportItem::Trace(Arc::clone(&trace));
    assert_eq!(
        trace_core::wire::to_json_string(&SanitizedItem(&item)).unwrap(),
        trace_core::wire::to_json_string(&item).unwrap()
    );
    let mut fast = Vec::new();
    SanitizedItem(&item).write_json(&mut fast).unwrap();
    assert_eq!(fast, trace_core::wire::to_json_vec(&item).unwrap());
}

/// A value nested `levels` deep, built without recursion.
fn nested(levels: usize) -> Value {
    let mut v = json!("leaf");
    for _ in 0..levels {
        v = Value::Array(vec![v]);
    }
    v
}

#[test]
fn deeply_nested_data_is_cut_where_trace_core_cuts_it_without_deep_recursion() {
    // 512 KiB: a quarter of a spawned thread's default stack.
    let run = std::thread::Builder::new().stack_size(512 * 1024).spawn(|| {
        let deep = || nested(10_000);
        let mut usage = JsonMap::new();
        usage.insert("input_tokens".into(), json!(1));
        usage.insert("output_tokens".into(), json!(2));
        usage.insert("weird".into(), deep());
        let generation = span_of(GenerationSpanData {
            input: Some(vec![deep(), json!({"role": "user", "content": "hi"})]),
            output: Some(vec![deep()]),
            usage: Some(Box::new(usage)),
            ..Default::default()
        });
        let mut data = JsonMap::new();
        data.insert("deep".into(), deep());
        let custom = span_of(CustomSpanData { name: "c".into(), data: data.into() });
        let mut out = Vec::new();
        for span in [&generation, &custom] {
            let sanitized = trace_core::wire::to_json_string(&SanitizedSpan(span)).unwrap();
            let plain = trace_core::wire::to_json_string(span).unwrap();
            out.push((sanitized, plain));
        }
        out
    });
    let out = run.unwrap().join().unwrap();
    for (sanitized, plain) in &out {
        // Both parse with serde_json's default depth limit of 128.
        let s: Value = serde_json::from_str(sanitized).unwrap();
        let p: Value = serde_json::from_str(plain).unwrap();
        assert!(sanitized.contains(trace_core::DEPTH_LIMIT_MARKER));
        assert!(!trace_core::limits::json_depth_exceeds(&s, trace_core::MAX_JSON_DEPTH));
        assert!(!trace_core::limits::json_depth_exceeds(&p, trace_core::MAX_JSON_DEPTH));
    }
    // A custom span needs no sanitizing: the same bytes either way, cut at the same place.
    assert_eq!(out[1].0, out[1].1);
    // The generation's usage is reshaped as usual, its odd key moved under `details`.
    let g: Value = serde_json::from_str(&out[0].0).unwrap();
    assert_eq!(g["span_data"]["usage"]["input_tokens"], 1);
    assert!(g["span_data"]["usage"]["details"]["weird"].is_array());
    assert_eq!(g["span_data"]["input"][1]["content"], "hi");
}

#[test]
fn string_sizes_match_serde_json() {
    for s in ["", "a", "é", "\"", "\\", "\n\r\t\u{8}\u{c}", "\u{0}\u{1f}\u{7f}", "😀 \u{2028}", "<>&'/"] {
        assert_eq!(str_json_size(s), trace_core::wire::to_json_string(s).unwrap().len(), "{s:?}");
        assert_eq!(json_size(s), str_json_size(s));
    }
}

#[test]
fn audio_size_is_exact_at_the_limit() {
    let input_size = |data: Option<String>, format: Option<String>| {
        let d = SpanData::from(TranscriptionSpanData { input: data, input_format: format, ..Default::default() });
        serde_json::to_value(d).unwrap()["input"].to_string().len()
    };
    for format in [None, Some("pcm".to_owned())] {
        let base = input_size(None, format.clone());
        assert_eq!(base, input_size(Some(String::new()), format.clone()));
        for extra in [0, 1] {
            let data = Some("Q".repeat(MAX_FIELD_BYTES - base + extra));
            let exact = input_size(data.clone(), format.clone());
            assert_eq!(exact, MAX_FIELD_BYTES + extra);
            assert_eq!(audio_fits(&data, &format), exact <= MAX_FIELD_BYTES, "{format:?} {extra}");
        }
    }
}

#[test]
fn fits_stops_early_and_agrees_with_the_size() {
    let v = json!(["x".repeat(10), {"a": [1, 2, 3]}]);
    let size = json_size(&v);
    assert_eq!(size, v.to_string().len());
    assert!(fits(&v, size));
    assert!(!fits(&v, size - 1));
}

#[test]
fn truncated_strings_fit_and_keep_whole_characters() {
    for unit in ["a", "é", "😀", "\n", "\u{1}"] {
        let s = unit.repeat(50_000);
        for max in [0, 16, 17, 18, 30, 1000, 99_999] {
            let cut = truncate_string(&s, max);
            assert!(str_json_size(&cut) <= max || cut.is_empty(), "{unit:?} {max}");
            if max > 17 && str_json_size(&s) > max {
                assert!(cut.ends_with(TRUNCATION_SUFFIX), "{unit:?} {max}");
            }
        }
    }
    assert_eq!(truncate_string("abcdefghijklmnopqrstuvwxyz", 17), TRUNCATION_SUFFIX);
    assert_eq!(truncate_string("abcdefghijklmnopqrstuvwxyz", 16), "");
}

#[test]
fn previews_name_python_types() {
    assert_eq!(preview(&json!(1))["original_type"], "int");
    assert_eq!(preview(&json!(1.5))["preview"], "<float truncated>");
    assert_eq!(preview(&json!(true))["original_type"], "bool");
    assert_eq!(preview(&Value::Null)["preview"], "<NoneType truncated>");
    assert_eq!(preview(&json!([1, 2]))["preview"], "<list len=2 truncated>");
    // A number past its budget would become the preview if that fitted; it never does
    // (the preview is longer than any number), so the number stays, and its parent drops it.
    assert_eq!(truncate_value(&json!(123_456), 60), json!(123_456));
    assert_eq!(truncate_value(&json!(123_456), 5), json!(123_456));
    assert_eq!(truncate_array(&[json!(123_456), json!(1)], 3), vec![json!(1)]);
}
