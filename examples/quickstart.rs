//! Records one agent run (a trace with nested agent, generation and function spans) and
//! prints it through the console exporter. No network, no key.
//!
//! ```text
//! cargo run --example quickstart
//! # The same run without model input and output, tool arguments and results:
//! OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA=false cargo run --example quickstart
//! ```

use agents_tracing::{
    agent_span, function_span, generation_span, set_trace_processor, trace, ConsoleSpanExporter, SimpleTraceProcessor,
    SpanError,
};
use serde_json::json;

fn main() {
    // Export each trace and span as it happens. A service would use
    // `BatchTraceProcessor::new(exporter)` (feature `batch`) to keep export off its threads.
    set_trace_processor(SimpleTraceProcessor::new(ConsoleSpanExporter::new()));

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
