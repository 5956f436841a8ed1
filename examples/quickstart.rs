//! Records one agent run (a trace with nested agent, generation, function and handoff
//! spans) and prints it as a tree when the trace ends. No network, no key.
//!
//! ```text
//! cargo run --example quickstart
//! # The same run without model input and output, tool arguments and results:
//! OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA=false cargo run --example quickstart
//! ```

use agents_tracing::{
    agent_span, function_span, generation_span, handoff_span, set_trace_processor, trace, SpanError,
    TreeConsoleProcessor,
};
use serde_json::json;

fn main() {
    // Print each trace as a tree when it ends (in colour on a terminal, unless NO_COLOR is
    // set). For the JSON the backend would receive, one line per span, install
    // `SimpleTraceProcessor::new(ConsoleSpanExporter::new().show_data(true))` instead; a service sends
    // spans on with `BatchTraceProcessor::new(exporter)` (feature `batch`), off its threads.
    // This run's data is made up, so the tree shows it; by default, as Python's
    // `OPENAI_AGENTS_DONT_LOG_*` flags say, tools' inputs and outputs show as `[data hidden]`.
    set_trace_processor(TreeConsoleProcessor::builder().show_data(true).build().expect("valid settings"));

    let workflow = trace("Customer service").group_id("chat_123").start();
    {
        let _agent = agent_span("Triage").tools(["lookup_order"]).handoffs(["Billing"]).output_type("str").start();

        let mut generation = generation_span()
            .model("gpt-4o-mini")
            .input([json!({"role": "user", "content": "Where is my order 42?"})])
            .start();
        // ... call the model ...
        generation
            .set_output([json!({"role": "assistant", "content": "Let me check."})])
            .set_usage(json!({"input_tokens": 12, "output_tokens": 5}));
        generation.end();

        let mut tool = function_span("lookup_order").input(r#"{"order_id": 42}"#).start();
        // ... run the tool ...
        match lookup_order(42) {
            Ok(status) => tool.set_output(status),
            // A fixed message, the details in the data (left out with sensitive data off).
            Err(e) => tool.set_error(SpanError::new("Error running tool").with_data(json!({"error": e}))),
        };
        tool.end();

        let mut missing = function_span("lookup_order").input(r#"{"order_id": 7}"#).start();
        match lookup_order(7) {
            Ok(status) => missing.set_output(status),
            Err(e) => missing.set_error(SpanError::new(e)),
        };
        missing.end();

        handoff_span().from_agent("Triage").to_agent("Billing").start().end();
    } // the agent span ends here
    workflow.end();
}

fn lookup_order(id: u64) -> Result<String, String> {
    if id == 42 {
        Ok("shipped".to_owned())
    } else {
        Err(format!("order {id} not found"))
    }
}
