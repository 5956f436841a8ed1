//! The production controls across the crates: the quickstart's run with sensitive data
//! off for its trace, through a batch processor whose redactor masks e-mail addresses and
//! API keys on its worker, printed by the console exporter. What is printed holds no model
//! input or output, no tool argument or result, no address and no key.

#[cfg(all(feature = "batch", feature = "console"))]
#[test]
fn the_quickstart_run_with_sensitive_data_off_and_a_redactor() {
    use std::sync::Arc;
    use std::time::Duration;

    use agents_tracing::{
        agent_span, custom_span, function_span, generation_span, set_trace_processor, trace, BatchTraceProcessor,
        ConsoleSpanExporter, Redactor, SpanError,
    };
    use serde_json::json;

    let (_lock, _rec) = crate::support::registry_lock();
    let console = ConsoleSpanExporter::with_writer(Vec::new()).show_data(true);
    let emails = Redactor::new(|s: &str| {
        s.contains('@')
            .then(|| s.split(' ').map(|w| if w.contains('@') { "<email>" } else { w }).collect::<Vec<_>>().join(" "))
    });
    let processor = Arc::new(BatchTraceProcessor::builder(console.clone()).redactor(emails).build().unwrap());
    set_trace_processor(Arc::clone(&processor));
    {
        let _run = trace("Customer service").group_id("chat_123").include_sensitive_data(false).start();
        let _agent = agent_span("Triage").tools(["lookup_order"]).start();
        let mut g = generation_span()
            .model("gpt-4o-mini")
            .input([json!({"role": "user", "content": "Where is my order 42?"})])
            .start();
        g.set_output([json!({"role": "assistant", "content": "Let me check."})]);
        g.end();
        let mut tool = function_span("lookup_order").input(r#"{"order_id": 42}"#).start();
        tool.set_output("shipped").set_error(SpanError::new("Error running tool").with_data(json!({"error": "late"})));
        tool.end();
        // Custom data is kept; the redactor masks what it finds there.
        custom_span("notify")
            .data(json!({"to": "ada@example.com", "with": "sk-proj-abcdefghijklmnopqrstuvwxyz01"}))
            .start();
    }
    agents_tracing::TracingProcessor::force_flush(&*processor, Some(Duration::from_secs(10))).expect("flush");
    let out = String::from_utf8(console.take_output()).unwrap();
    assert_eq!(out.lines().count(), 5, "{out}");
    for gone in ["Where is my order", "Let me check", "order_id", "shipped", "late", "ada@example.com", "sk-proj"] {
        assert!(!out.contains(gone), "{gone}: {out}");
    }
    for kept in
        ["gpt-4o-mini", "lookup_order", "Error running tool", "Error details are redacted.", "<email>", "<redacted>"]
    {
        assert!(out.contains(kept), "{kept}: {out}");
    }
    assert_eq!(processor.stats().redacted, 1);
}
