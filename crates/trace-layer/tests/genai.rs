//! End to end with genai 0.7.2 (`otel` feature): a real genai client talks to a fake
//! OpenAI-compatible server on 127.0.0.1 (Chat Completions). The model asks for one tool
//! call, the test runs the tool and sends its result back, and the model answers. genai's
//! own `tracing` spans (`genai.chat`, one per request, with the `gen_ai.*` fields of the
//! OpenTelemetry GenAI conventions) reach `AgentsLayer`, and this proves what the layer
//! makes of them: one trace, an agent span, two generation spans under it with the model
//! and the exact token counts of the canned replies, and a function span under it with the
//! tool's name, arguments and result.
//!
//! genai is a provider client with no agent loop: it opens no agent or tool span by itself.
//! It ships opt-in builders for them (`genai::otel::agent::AgentSpan::invoke_agent`,
//! `genai::otel::agent::execute_tool_span`), and this test uses those, as an application
//! running its own loop on genai would. Message content, tool arguments and tool results
//! are recorded only when `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` is set
//! (read once per process), so the test sets it first.
//!
//! One test in this binary: it installs the global subscriber and the global processor.

use genai::adapter::AdapterKind;
use genai::chat::{ChatMessage, ChatRequest, Tool, ToolResponse};
use genai::otel::agent::{execute_tool_span, AgentSpan, ExecuteToolSpan};
use genai::resolver::{AuthData, Endpoint};
use genai::{Client, ModelIden, ServiceTarget};
use serde_json::{json, Value};
use tracing::Instrument;

mod support;
use support::{fake_openai, install, AGENT, ANSWER, MODEL, PROMPT, TOOL_RESULT};

/// The tool, run by the test's own loop.
fn lookup_order(args: &Value) -> String {
    assert_eq!(args, &json!({ "order_id": "A-42" }));
    TOOL_RESULT.to_owned()
}

/// One agent run on genai: ask, run the one tool call the model asks for, send its
/// result back, return the answer. Called inside the agent span.
async fn run(client: &Client, target: ServiceTarget) -> String {
    let lookup =
        Tool::new("lookup_order").with_description("Looks up the shipping status of an order.").with_schema(json!({
            "type": "object",
            "properties": { "order_id": { "type": "string", "description": "The order's id" } },
            "required": ["order_id"],
        }));
    let request = ChatRequest::new(vec![
        ChatMessage::system("You answer questions about orders. Use the tools."),
        ChatMessage::user(PROMPT),
    ])
    .with_tools(vec![lookup]);

    let first = client.exec_chat(target.clone(), request.clone(), None).await.expect("first chat");
    assert_eq!(first.usage.prompt_tokens, Some(57));
    let tool_calls = first.into_tool_calls();
    assert_eq!(tool_calls.len(), 1, "{tool_calls:?}");
    let call = &tool_calls[0];
    assert_eq!(call.fn_name, "lookup_order");

    let result = {
        let span = execute_tool_span(call);
        let _in_tool = span.enter();
        let result = lookup_order(&call.fn_arguments);
        ExecuteToolSpan::record_result(&span, &result);
        result
    };
    let request =
        request.append_message(tool_calls.clone()).append_message(ToolResponse::new(call.call_id.clone(), result));

    let second = client.exec_chat(target, request, None).await.expect("second chat");
    assert_eq!(second.usage.completion_tokens, Some(12));
    second.first_text().expect("an answer").to_owned()
}

#[test]
fn a_genai_tool_loop_becomes_one_trace() {
    // Set before any thread starts (genai reads it once and caches it).
    std::env::set_var("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true");
    let recorder = install();
    let server = fake_openai();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let output = runtime.block_on(async {
        let client = Client::new().expect("a genai client");
        // A custom endpoint and key for the OpenAI (Chat Completions) adapter: a
        // `ServiceTarget` passed to `exec_chat` bypasses model mapping and the
        // environment-based auth resolution (no `OPENAI_API_KEY` read).
        let target = ServiceTarget {
            endpoint: Endpoint::from_owned(format!("http://{}/v1/", server.addr())),
            auth: AuthData::from_single("sk-test-not-a-real-key"),
            model: ModelIden::new(AdapterKind::OpenAI, MODEL),
        };
        let agent_span = AgentSpan::invoke_agent().internal().with_name(AGENT).start();
        run(&client, target).instrument(agent_span).await
    });
    drop(runtime);
    assert_eq!(output, ANSWER);

    support::check_one_run(&server, &recorder);
}
