//! End to end with rig (rig-core + rig-agent 0.44): a real rig agent, with one tool, runs a
//! prompt against a fake OpenAI-compatible server on 127.0.0.1 (Chat Completions), the
//! model asks for one tool call, rig runs the tool, and the model answers. The `tracing`
//! spans rig emits on its own (`invoke_agent`, `chat` per model turn, `execute_tool`) reach
//! `AgentsLayer`, and this proves what the layer makes of them: one trace, an agent span
//! named after the agent, two generation spans under it with the model and the exact
//! token counts of the canned replies, and a function span under it with the tool's name,
//! arguments and result.
//!
//! rig records message content, tool arguments and tool results on its spans only when the
//! agent opts in (`record_content_telemetry(true)`); token counts, model and tool name are
//! recorded either way. The run is started outside any span on purpose: rig adopts an
//! enabled ambient span as its agent span instead of opening its own `invoke_agent` span.
//!
//! One test in this binary: it installs the global subscriber and the global processor.

use std::convert::Infallible;
use std::sync::Arc;

use rig_agent::AgentBuilder;
use rig_core::providers::openai::OpenAIConfig;
use rig_core::tool::PortableTool;
use serde_json::{json, Value};
use test_support::server::{Recorded, Reply, TestServer};
use trace_core::{InMemoryProcessor, Span, SpanData, SpanKind};
use tracing_subscriber::layer::SubscriberExt;

const MODEL: &str = "gpt-4o-mini";
const AGENT: &str = "order-desk";
const PROMPT: &str = "Where is my order A-42?";
const TOOL_RESULT: &str = "Order A-42: shipped on 2025-01-03 via UPS";
const ANSWER: &str = "Your order A-42 shipped on 2025-01-03 via UPS.";

/// The arguments of `lookup_order`.
#[derive(serde::Deserialize)]
struct LookupArgs {
    order_id: String,
}

/// The agent's one tool.
struct LookupOrder;

impl PortableTool for LookupOrder {
    const NAME: &'static str = "lookup_order";
    type Args = LookupArgs;
    type Output = String;
    type Error = Infallible;

    fn description(&self) -> String {
        "Looks up the shipping status of an order.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": { "order_id": { "type": "string", "description": "The order's id" } },
            "required": ["order_id"],
        })
    }

    async fn call(&self, args: LookupArgs) -> Result<String, Infallible> {
        assert_eq!(args.order_id, "A-42");
        Ok(TOOL_RESULT.to_owned())
    }
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

fn generation(span: &Span) -> &trace_core::GenerationSpanData {
    match span.data() {
        SpanData::Generation(g) => g,
        other => panic!("not a generation span: {other:?}"),
    }
}

/// The `input_tokens` / `output_tokens` of a generation span's usage.
fn tokens(span: &Span) -> (Option<u64>, Option<u64>) {
    let usage = generation(span).usage.as_ref().unwrap_or_else(|| panic!("no usage on {span:?}"));
    (usage.get("input_tokens").and_then(Value::as_u64), usage.get("output_tokens").and_then(Value::as_u64))
}

fn body_json(request: &Recorded) -> Value {
    serde_json::from_slice(&request.body)
        .unwrap_or_else(|e| panic!("request body is not JSON ({e}): {}", request.body_text()))
}

#[test]
fn a_rig_agent_run_with_one_tool_call_becomes_one_trace() {
    // Only 127.0.0.1 is reached, and never through a proxy: rig's shared reqwest client
    // reads the proxy variables, so loopback is exempted before any thread starts.
    std::env::set_var("NO_PROXY", "127.0.0.1,localhost");
    std::env::set_var("no_proxy", "127.0.0.1,localhost");

    let recorder = InMemoryProcessor::new();
    trace_core::set_trace_processor(recorder.clone());
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(trace_layer::AgentsLayer::new()))
        .expect("no other global subscriber");

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
    let server = TestServer::start(
        [completion("chatcmpl-1", tool_call, "tool_calls", 57, 17), completion("chatcmpl-2", answer, "stop", 91, 12)],
        Reply::status(500).body("{\"error\":{\"message\":\"unexpected extra request\"}}"),
    );

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let output = runtime.block_on(async {
        let client =
            OpenAIConfig::new("sk-test-not-a-real-key").with_base_url(format!("http://{}/v1", server.addr())).client();
        // Chat Completions (`POST /v1/chat/completions`), not the Responses API the
        // official dialect defaults to: the simpler reply to fake.
        let model = client.chat(MODEL);
        let agent = AgentBuilder::new(model)
            .name(AGENT)
            .preamble("You answer questions about orders. Use the tools.")
            .tool(LookupOrder)
            .record_content_telemetry(true)
            .build();
        let response = agent.prompt(PROMPT).max_turns(3).await.expect("the agent run succeeds");
        assert_eq!(response.usage.input_tokens, Some(57 + 91));
        assert_eq!(response.usage.output_tokens, Some(17 + 12));
        response.output()
    });
    drop(runtime);
    assert_eq!(output, ANSWER);

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
    // the messages (rig sends them as GenAI-convention JSON arrays).
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
