//! A small "agent" instrumented with the `tracing` crate only, as rig or genai instrument
//! theirs (GenAI semantic conventions' fields), recorded as agent spans by
//! `AgentsLayer` and printed through the console exporter. Offline: the "model" is a
//! function. No network, no key.
//!
//! ```text
//! cargo run --example tracing_layer --features layer
//! ```

use agents_tracing::layer::AgentsLayer;
use agents_tracing::{set_trace_processor, ConsoleSpanExporter, SimpleTraceProcessor};
use tracing::field::Empty;
use tracing::{info_span, instrument, Span};
use tracing_subscriber::prelude::*;

fn main() {
    // Print each trace and span as it ends (a service would batch: `BatchTraceProcessor`).
    set_trace_processor(SimpleTraceProcessor::new(ConsoleSpanExporter::new().show_data(true)));
    // The one line: `tracing` spans that follow the GenAI conventions become agent spans.
    tracing_subscriber::registry().with(AgentsLayer::new()).init();

    let answer = info_span!("support_request", ticket = 42).in_scope(|| run_agent("Where is order 42?"));
    println!("answer: {answer}");
}

/// The agent loop: ask the model, run the tool it asks for, ask again.
#[instrument(name = "invoke_agent Support", fields(gen_ai.operation.name = "invoke_agent", gen_ai.agent.name = "Support"))]
fn run_agent(question: &str) -> String {
    let call = chat(&format!(r#"[{{"role":"user","parts":[{{"type":"text","content":"{question}"}}]}}]"#), 31, 9);
    let status = lookup_order(&call);
    chat(
        &format!(
            r#"[{{"role":"tool","parts":[{{"type":"tool_call_response","id":"call_1","response":"{status}"}}]}}]"#
        ),
        52,
        11,
    )
}

/// One model call; the usage and the answer are recorded once they are known.
#[instrument(
    name = "chat gpt-4o-mini",
    skip_all,
    fields(
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = "openai",
        gen_ai.request.model = "gpt-4o-mini",
        gen_ai.request.temperature = 0.2,
        gen_ai.input.messages = messages,
        gen_ai.output.messages = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
    )
)]
fn chat(messages: &str, input_tokens: u64, output_tokens: u64) -> String {
    let reply = if messages.contains("tool_call_response") { "Order 42 has shipped." } else { r#"{"order_id": 42}"# };
    let span = Span::current();
    span.record(
        "gen_ai.output.messages",
        format!(r#"[{{"role":"assistant","parts":[{{"type":"text","content":{reply:?}}}]}}]"#),
    );
    span.record("gen_ai.usage.input_tokens", input_tokens);
    span.record("gen_ai.usage.output_tokens", output_tokens);
    reply.to_owned()
}

/// The tool.
#[instrument(
    name = "execute_tool lookup_order",
    fields(gen_ai.operation.name = "execute_tool", gen_ai.tool.name = "lookup_order", gen_ai.tool.call.arguments = arguments, gen_ai.tool.call.result = Empty)
)]
fn lookup_order(arguments: &str) -> String {
    let status = "shipped".to_owned();
    Span::current().record("gen_ai.tool.call.result", status.as_str());
    status
}
