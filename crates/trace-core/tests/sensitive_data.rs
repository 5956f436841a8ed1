//! The sensitive-data switch: global, per trace, applied when a span is created and when
//! it ends, on every span type that has sensitive fields, so that no processor ever sees
//! the data. Its own test binary: the switch is global to the process.

use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};
use trace_core::sensitive::REDACTED_ERROR_DETAILS;
use trace_core::*;

static SWITCH: Mutex<()> = Mutex::new(());

fn lock() -> (MutexGuard<'static, ()>, InMemoryProcessor) {
    let guard = SWITCH.lock().unwrap_or_else(|e| e.into_inner());
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    (guard, recorder)
}

const SECRET: &str = "ada@example.com";

/// One run with every span type that carries sensitive data, the data given both to the
/// builders (seen at `on_span_start`) and to the guards afterwards (seen at the end).
fn record_run(builder: TraceBuilder) {
    let _run = builder.start();
    let mut g = generation_span()
        .model("gpt-4o-mini")
        .input([json!({"role": "user", "content": SECRET})])
        .model_config(json!({"temperature": 0.2, "metadata": {"user": SECRET}}))
        .start();
    g.set_output([json!({"role": "assistant", "content": SECRET})]).set_usage(json!({"input_tokens": 3}));
    g.end();
    let mut f = function_span("lookup").input(format!(r#"{{"email": "{SECRET}"}}"#)).start();
    f.set_output(SECRET).set_error(SpanError::new("Error running tool").with_data(json!({"error": SECRET})));
    f.end();
    let mut r = response_span().response_id("resp_1").start();
    r.set_response(json!({"output": SECRET})).set_input(json!(SECRET));
    r.end();
    let mut t = transcription_span().input("QUFBQQ==").model_config(json!({"prompt": SECRET})).start();
    t.set_output(SECRET);
    t.end();
    let mut s = speech_span().input(SECRET).model_config(json!({"instructions": SECRET, "voice": "ash"})).start();
    s.set_output("QUFBQQ==");
    s.end();
    let mut sg = speech_group_span().start();
    sg.update(|d| d.input = Some(SECRET.to_owned()));
    sg.end();
    // Custom data is the caller's: kept, unless the caller checks the switch.
    let mut c = custom_span("step").start();
    if c.include_sensitive_data() {
        c.set_data(json!({"who": SECRET}));
    }
    c.end();
}

/// Every span as processors saw it at start and at end, as JSON text.
fn seen(recorder: &InMemoryProcessor) -> Vec<String> {
    recorder
        .events()
        .into_iter()
        .filter_map(|e| match e {
            ProcessorEvent::SpanStart(s) => Some(wire::to_json_string(&*s).unwrap()),
            ProcessorEvent::SpanEnd(s) => Some(wire::to_json_string(&*s).unwrap()),
            _ => None,
        })
        .collect()
}

fn ended(recorder: &InMemoryProcessor, kind: SpanKind) -> Value {
    let span = recorder.finished_spans().into_iter().find(|s| s.kind() == kind).expect("recorded");
    wire::to_json_value(&*span).unwrap()
}

#[test]
fn off_globally_no_processor_ever_sees_the_data() {
    let (_l, recorder) = lock();
    set_trace_include_sensitive_data(false);
    assert!(!trace_include_sensitive_data());
    record_run(trace("wf"));
    let seen = seen(&recorder);
    assert_eq!(seen.len(), 14, "7 spans, at start and at end");
    for text in &seen {
        assert!(!text.contains(SECRET) && !text.contains("QUFBQQ"), "{text}");
    }
    // The spans are still there, with what is not sensitive.
    let g = ended(&recorder, SpanKind::Generation);
    assert_eq!(g["span_data"]["model"], "gpt-4o-mini");
    assert_eq!(g["span_data"]["usage"], json!({"input_tokens": 3}));
    assert_eq!(g["span_data"]["model_config"], json!({"temperature": 0.2}));
    let f = ended(&recorder, SpanKind::Function);
    assert_eq!(f["span_data"]["name"], "lookup");
    assert_eq!(f["error"], json!({"message": "Error running tool", "data": {"error": REDACTED_ERROR_DETAILS}}));
    assert_eq!(ended(&recorder, SpanKind::Response)["span_data"]["response_id"], "resp_1");
    assert_eq!(ended(&recorder, SpanKind::Speech)["span_data"]["input"], "");
    assert_eq!(ended(&recorder, SpanKind::Custom)["span_data"]["data"], json!({}));
    set_trace_include_sensitive_data(true);
}

#[test]
fn a_trace_overrides_the_global_switch_both_ways() {
    let (_l, recorder) = lock();
    set_trace_include_sensitive_data(true);
    record_run(trace("private").include_sensitive_data(false));
    assert!(seen(&recorder).iter().all(|t| !t.contains(SECRET)));

    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    set_trace_include_sensitive_data(false);
    record_run(trace("debugging").include_sensitive_data(true));
    let f = ended(&recorder, SpanKind::Function);
    assert_eq!(f["span_data"]["output"], SECRET);
    assert_eq!(ended(&recorder, SpanKind::Custom)["span_data"]["data"], json!({"who": SECRET}));
    set_trace_include_sensitive_data(true);
}

#[test]
fn the_decision_is_the_traces_and_spans_of_a_trace_follow_it_wherever_they_end() {
    let (_l, recorder) = lock();
    set_trace_include_sensitive_data(false);
    let run = trace("wf").start();
    assert!(!run.include_sensitive_data());
    assert!(!run.trace().unwrap().include_sensitive_data());
    // Flipping the global switch later does not change a trace already created.
    set_trace_include_sensitive_data(true);
    let parent = run.as_parent();
    std::thread::spawn(move || {
        let mut f = function_span("on another thread").parent(parent).start();
        f.set_input(SECRET);
    })
    .join()
    .unwrap();
    drop(run);
    assert!(seen(&recorder).iter().all(|t| !t.contains(SECRET)));
    // A trace created now follows the switch again.
    let run = trace("wf").start();
    assert!(run.include_sensitive_data());
    assert!(function_span("f").start().include_sensitive_data());
    drop(run);
    assert!(!function_span("no trace").start().include_sensitive_data(), "a no-op span records nothing");
}
