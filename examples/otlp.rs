//! Sends an agent run to an OpenTelemetry backend over OTLP/HTTP, protobuf encoded (the
//! OTLP default; `OTEL_EXPORTER_OTLP_PROTOCOL=http/json` for JSON,
//! `OTEL_EXPORTER_OTLP_COMPRESSION=gzip` to compress).
//!
//! ```text
//! # Arize Phoenix (`pip install arize-phoenix; phoenix serve`, UI and OTLP on 127.0.0.1:6006):
//! OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:6006/v1/traces cargo run --example otlp --features otlp
//! # Through a Collector (or Jaeger, Tempo, ...) listening on port 4318:
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 cargo run --example otlp --features otlp
//! # Straight to a backend, with its key:
//! OTEL_EXPORTER_OTLP_ENDPOINT=https://api.honeycomb.io OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team=KEY \
//!     cargo run --example otlp --features otlp
//! # No endpoint set: a dry run that prints the request instead of sending it.
//! cargo run --example otlp --features otlp
//! ```

use std::sync::Arc;
use std::time::Duration;

use agents_tracing::otlp::{EndpointSource, OtlpSpanExporter, Profile};
use agents_tracing::{
    agent_span, function_span, generation_span, handoff_span, set_trace_processor, trace, BatchTraceProcessor,
    InMemoryProcessor, SpanError,
};
use serde_json::json;

/// A small agent run: an agent calls the model, then a tool, then hands off.
fn run_workflow() {
    let _trace = trace("Customer support").group_id("chat-42").start();
    let _agent = agent_span("Triage").tools(["lookup_order"]).handoffs(["Billing"]).output_type("str").start();
    generation_span()
        .model("gpt-4o-mini")
        .input([json!({"role": "user", "content": "Where is order 42?"})])
        .usage(json!({"input_tokens": 12, "output_tokens": 34}))
        .start()
        .end();
    let mut call = function_span("lookup_order").input(r#"{"order_id": 42}"#).start();
    call.set_output("shipped");
    call.end();
    let mut refund = function_span("refund").input(r#"{"order_id": 42}"#).start();
    refund.set_error(SpanError::new("Refunds need a human"));
    refund.end();
    handoff_span().from_agent("Triage").to_agent("Billing").start().end();
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `AGENTS_TRACING_OTLP_PROFILE=openinference` describes spans with OpenInference's
    // attributes (Phoenix, Arize, Weave) instead of the GenAI semantic conventions.
    let profile = match std::env::var("AGENTS_TRACING_OTLP_PROFILE").as_deref() {
        Ok("openinference") => Profile::OpenInference,
        _ => Profile::GenAi,
    };
    let exporter = OtlpSpanExporter::builder().service_name("otlp-example").profile(profile).build()?;

    if exporter.endpoint_source() == EndpointSource::Default {
        // Nothing configured: record the run in memory and print what would be sent.
        let recorder = InMemoryProcessor::new();
        set_trace_processor(recorder.clone());
        run_workflow();
        let request = exporter.prepare_request(&recorder.export_items());
        println!("# No OTLP endpoint set (OTEL_EXPORTER_OTLP_ENDPOINT): dry run, nothing sent.");
        println!("# To send to Arize Phoenix: run `phoenix serve` (it listens on 127.0.0.1:6006), then");
        println!("#   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:6006/v1/traces cargo run --example otlp --features otlp");
        println!("# and open http://127.0.0.1:6006 (project `default`).");
        println!("POST {}", request.url);
        for (name, value) in &request.headers {
            println!("{name}: {value}");
        }
        println!();
        println!(
            "# body: {} bytes of {}, compression {}; the same request in OTLP/JSON:",
            request.body.len(),
            exporter.protocol().name(),
            exporter.compression().name()
        );
        let body: serde_json::Value = serde_json::from_slice(&exporter.render_json(&recorder.export_items()))?;
        println!("{}", agents_tracing::core::wire::to_json_string_pretty(&body)?);
        return Ok(());
    }

    println!("Sending ({}, compression {}) to {exporter:?}", exporter.protocol().name(), exporter.compression().name());
    let processor = Arc::new(BatchTraceProcessor::new(exporter));
    set_trace_processor(processor.clone());
    run_workflow();
    // Deliver everything before exiting.
    processor.shutdown(Some(Duration::from_secs(15)))?;
    let stats = processor.stats();
    println!("exported {} item(s), lost {}", stats.exported, stats.lost);
    Ok(())
}
