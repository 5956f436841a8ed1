//! The README's code block compiles and does what it says.

#[cfg(all(feature = "batch", feature = "console"))]
#[test]
fn readme_example_runs() {
    let (_lock, _rec) = crate::support::registry_lock();
    // The README block, with the console exporter writing to a buffer instead of stdout.
    use agents_tracing::{agent_span, function_span, set_trace_processor, trace};
    use agents_tracing::{BatchTraceProcessor, ConsoleSpanExporter};

    let console = ConsoleSpanExporter::with_writer(Vec::new());
    let processor = std::sync::Arc::new(BatchTraceProcessor::new(console.clone()));
    set_trace_processor(processor.clone());
    {
        let _run = trace("Customer service").group_id("chat_123").start();
        let _agent = agent_span("Triage").tools(["lookup_order"]).start();
        let mut call = function_span("lookup_order").input(r#"{"order_id": 42}"#).start();
        call.set_output("shipped");
    }
    agents_tracing::TracingProcessor::force_flush(&*processor, Some(std::time::Duration::from_secs(10)))
        .expect("flush");
    let out = String::from_utf8(console.take_output()).unwrap();
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.contains(r#""output":"shipped""#));
}
