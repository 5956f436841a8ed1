//! What the end-to-end tests against real frameworks (`rig.rs`, `genai.rs`) share: the
//! run's constants, the fake OpenAI server's replies, the global set-up and readers of
//! the spans received.
//!
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::sync::Arc;

use serde_json::{json, Value};
use test_support::server::{Recorded, Reply, TestServer};
use trace_core::{GenerationSpanData, InMemoryProcessor, Span, SpanData, SpanKind};
use tracing_subscriber::layer::SubscriberExt;

pub(crate) const MODEL: &str = "gpt-4o-mini";
pub(crate) const AGENT: &str = "order-desk";
pub(crate) const PROMPT: &str = "Where is my order A-42?";
pub(crate) const TOOL_RESULT: &str = "Order A-42: shipped on 2025-01-03 via UPS";
pub(crate) const ANSWER: &str = "Your order A-42 shipped on 2025-01-03 via UPS.";

/// Installs the global processor and the layer as the global subscriber, with loopback
/// exempt from any proxy. Call first, before any thread starts (the frameworks' HTTP
/// clients read the proxy variables once).
pub(crate) fn install() -> InMemoryProcessor {
    std::env::set_var("NO_PROXY", "127.0.0.1,localhost");
    std::env::set_var("no_proxy", "127.0.0.1,localhost");
    let recorder = InMemoryProcessor::new();
    trace_core::set_trace_processor(recorder.clone());
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(trace_layer::AgentsLayer::new()))
        .expect("no other global subscriber");
    recorder
}

/// The fake OpenAI server: a reply that asks for one `lookup_order` call (57 + 17 tokens),
/// then the answer (91 + 12 tokens), then 500 for any extra request.
pub(crate) fn fake_openai() -> TestServer {
    let tool_call = json!({
        "role": "assistant",
        "content": null,
        "tool_calls": [{
            "id": "call_lookup_1",
            "type": "function",
            "function": { "name": "lookup_order", "arguments": "{\"order_id\": \"A-42\"}" },
        }],
    });
    let answer = json!({ "role": "assistant", "content": ANSWER });
    TestServer::start(
        [completion("chatcmpl-1", tool_call, "tool_calls", 57, 17), completion("chatcmpl-2", answer, "stop", 91, 12)],
        Reply::status(500).body("{\"error\":{\"message\":\"unexpected extra request\"}}"),
    )
}

/// A `chat.completion` body as OpenAI sends it.
fn completion(id: &str, message: Value, finish_reason: &str, prompt_tokens: u64, completion_tokens: u64) -> Reply {
    let body = json!({
        "id": id,
        "object": "chat.completion",
        "created": 1_735_689_600,
        "model": MODEL,
        "choices": [{ "index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    });
    Reply::ok().header("Content-Type", "application/json").body(body.to_string())
}

pub(crate) fn generation(span: &Span) -> &GenerationSpanData {
    match span.data() {
        SpanData::Generation(g) => g,
        other => panic!("not a generation span: {other:?}"),
    }
}

/// The `input_tokens` / `output_tokens` of a generation span's usage.
pub(crate) fn tokens(span: &Span) -> (Option<u64>, Option<u64>) {
    let usage = generation(span).usage.as_ref().unwrap_or_else(|| panic!("no usage on {span:?}"));
    (usage.get("input_tokens").and_then(Value::as_u64), usage.get("output_tokens").and_then(Value::as_u64))
}

pub(crate) fn body_json(request: &Recorded) -> Value {
    serde_json::from_slice(&request.body)
        .unwrap_or_else(|e| panic!("request body is not JSON ({e}): {}", request.body_text()))
}

/// Checks one run of the scripted conversation: what the fake server received (two chat
/// completions, the second carrying the tool result) and what the layer produced (one
/// trace; an agent span holding two generation spans and one function span, with their
/// model, exact token counts, messages, tool name, arguments and result).
pub(crate) fn check_one_run(server: &TestServer, recorder: &InMemoryProcessor) {
    // -- What the fake server received: two chat completions, the second carrying the tool result.
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    for r in &requests {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/chat/completions"));
        assert_eq!(r.header("authorization"), Some("Bearer sk-test-not-a-real-key"));
    }
    let first = body_json(&requests[0]);
    assert_eq!(first["model"], MODEL);
    assert_eq!(first["tools"][0]["function"]["name"], "lookup_order", "{first:#}");
    assert!(first["messages"].to_string().contains(PROMPT), "{first:#}");
    let second = body_json(&requests[1]);
    let messages = second["messages"].as_array().expect("messages");
    let tool_message = messages.iter().find(|m| m["role"] == "tool").unwrap_or_else(|| panic!("{second:#}"));
    assert_eq!(tool_message["tool_call_id"], "call_lookup_1");
    assert!(tool_message["content"].to_string().contains(TOOL_RESULT), "{second:#}");

    // -- What the layer produced.
    let spans = recorder.finished_spans();
    let summary: Vec<String> = spans.iter().map(|s| format!("{} {:?}", s.kind().as_str(), s.data())).collect();
    let of_kind = |kind: SpanKind| spans.iter().filter(|s| s.kind() == kind).cloned().collect::<Vec<Arc<Span>>>();
    let agents = of_kind(SpanKind::Agent);
    let generations = of_kind(SpanKind::Generation);
    let functions = of_kind(SpanKind::Function);
    assert_eq!((agents.len(), generations.len(), functions.len()), (1, 2, 1), "{summary:#?}");
    assert_eq!(spans.len(), 4, "no other spans: {summary:#?}");

    let agent = &agents[0];
    match agent.data() {
        SpanData::Agent(a) => assert_eq!(a.name, AGENT),
        other => panic!("{other:?}"),
    }
    assert_eq!(agent.parent_id(), None, "the agent span is the root");

    // One trace for the whole run, every span in it.
    let traces = recorder.started_traces();
    assert_eq!(traces.len(), 1, "{traces:#?}");
    for s in &spans {
        assert_eq!(s.trace_id(), traces[0].trace_id(), "{s:?}");
    }

    // Generation and function spans hang under the agent span.
    for s in generations.iter().chain(&functions) {
        assert_eq!(s.parent_id(), Some(agent.span_id()), "{s:?}");
    }

    // The two model turns, in order: the model, the exact token counts of each reply, and
    // the messages (both frameworks record them as GenAI-convention JSON arrays).
    let (turn1, turn2) = (&generations[0], &generations[1]);
    assert!(turn1.ended_at() <= turn2.started_at(), "turns in order");
    for turn in [turn1, turn2] {
        assert_eq!(generation(turn).model.as_deref(), Some(MODEL), "{turn:?}");
    }
    assert_eq!(tokens(turn1), (Some(57), Some(17)));
    assert_eq!(tokens(turn2), (Some(91), Some(12)));
    let text = |v: &Option<Vec<Value>>| trace_core::wire::to_json_string(v).unwrap();
    let g1 = generation(turn1);
    assert!(text(&g1.input).contains(PROMPT), "turn 1 input: {:?}", g1.input);
    assert!(text(&g1.output).contains("lookup_order"), "turn 1 output: {:?}", g1.output);
    assert!(text(&g1.output).contains("A-42"), "turn 1 output: {:?}", g1.output);
    let g2 = generation(turn2);
    assert!(text(&g2.input).contains(TOOL_RESULT), "turn 2 input: {:?}", g2.input);
    assert!(text(&g2.output).contains(ANSWER), "turn 2 output: {:?}", g2.output);

    // The tool call: name, the model's arguments, the tool's result; between the two turns.
    let tool = &functions[0];
    match tool.data() {
        SpanData::Function(f) => {
            assert_eq!(f.name, "lookup_order");
            let args: Value =
                serde_json::from_str(f.input.as_deref().expect("tool arguments")).expect("JSON arguments");
            assert_eq!(args, json!({ "order_id": "A-42" }));
            assert_eq!(f.output.as_deref(), Some(TOOL_RESULT));
        }
        other => panic!("{other:?}"),
    }
    assert!(turn1.ended_at() <= tool.started_at() && tool.ended_at() <= turn2.started_at(), "{summary:#?}");

    // The agent span ends last, enclosing the others.
    assert_eq!(spans.last().map(|s| s.kind()), Some(SpanKind::Agent), "{summary:#?}");
}
