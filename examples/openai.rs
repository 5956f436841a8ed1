//! The default pipeline: a batch processor over the OpenAI exporter, registered on first
//! use, as in the Python SDK.
//!
//! ```text
//! cargo run --example openai --features openai
//! ```
//!
//! - With no `OPENAI_API_KEY`: a dry run. Nothing is sent; the example prints the request
//!   the exporter would send (with `Authorization: <no key>`).
//! - With `OPENAI_API_KEY` set: the trace goes to `AGENTS_TRACING_ENDPOINT` if set (any
//!   collector speaking the same protocol, e.g. `http://127.0.0.1:8080/v1/traces/ingest`),
//!   else to OpenAI's Traces dashboard.

use std::time::Duration;

use agents_tracing::{
    agent_span, function_span, generation_span, set_trace_processor, shutdown_on_drop, trace, BackendSpanExporter,
    BatchTraceProcessor, InMemoryProcessor,
};
use serde_json::json;

fn record_run() {
    let _run = trace("Order support").group_id("chat_123").start();
    let _agent = agent_span("Triage").tools(["lookup_order"]).output_type("str").start();
    generation_span()
        .model("gpt-4o-mini")
        .input([json!({"role": "user", "content": "Where is my order 42?"})])
        .output([json!({"role": "assistant", "content": "Let me check."})])
        .usage(json!({"input_tokens": 12, "output_tokens": 5}))
        .start()
        .end();
    function_span("lookup_order").input(r#"{"order_id": 42}"#).output("shipped").start().end();
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::var("AGENTS_TRACING_ENDPOINT").ok().filter(|e| !e.is_empty());
    let has_key = std::env::var("OPENAI_API_KEY").is_ok_and(|k| !k.is_empty());

    if !has_key {
        // Dry run: record with an in-memory processor, show what would be sent.
        let recorder = InMemoryProcessor::new();
        set_trace_processor(recorder.clone());
        record_run();
        let mut builder = BackendSpanExporter::builder();
        if let Some(endpoint) = &endpoint {
            builder = builder.endpoint(endpoint.clone());
        }
        let exporter = builder.build()?;
        println!("OPENAI_API_KEY is not set: dry run, nothing is sent.\n");
        for request in exporter.prepare_requests(&recorder.export_items()) {
            println!("POST {}", request.url);
            for (name, value) in &request.headers {
                println!("{name}: {value}");
            }
            let body: serde_json::Value = serde_json::from_slice(&request.body)?;
            println!("\n{}", agents_tracing::core::wire::to_json_string_pretty(&body)?);
        }
        return Ok(());
    }

    // Export whatever is queued before exiting (the Python SDK does this in `atexit`).
    let _flush_on_exit = shutdown_on_drop(Duration::from_secs(5));
    if let Some(endpoint) = endpoint {
        let exporter = BackendSpanExporter::builder().endpoint(endpoint.clone()).build()?;
        set_trace_processor(BatchTraceProcessor::new(exporter));
        println!("sending to {endpoint}");
    } else {
        // `trace()` registers the default pipeline on first use.
        println!("sending to OpenAI's Traces dashboard");
    }
    record_run();
    agents_tracing::flush_traces(Some(Duration::from_secs(30)))?;
    println!("flushed");
    Ok(())
}
