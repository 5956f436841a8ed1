//! The README's code block compiles and does what it says.

#[cfg(all(feature = "batch", feature = "console"))]
#[test]
fn readme_example_runs() {
    let (_lock, _rec) = crate::support::registry_lock();
    // The README block, with the console exporter writing to a buffer instead of stdout.
    use agents_tracing::{agent_span, function_span, set_trace_processor, trace};
    use agents_tracing::{BatchTraceProcessor, ConsoleSpanExporter};

    let console = ConsoleSpanExporter::with_writer(Vec::new()).show_data(true);
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

/// The "Across processes" block, with the outgoing headers collected and the results
/// checked.
#[test]
fn readme_across_processes_block_runs() -> Result<(), agents_tracing::core::TraceStateError> {
    let (_lock, recorder) = crate::support::registry_lock();
    use agents_tracing::core::w3c;
    use agents_tracing::{custom_span, trace, TraceState};

    let (traceparent, tracestate): (Option<&str>, Option<&str>) =
        (Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), None);
    let run = trace("Answer request").traceparent(traceparent).tracestate(tracestate).start();
    assert_eq!(run.trace_id().unwrap().to_string(), "trace_0af7651916cd43dd8448eb211c80319c");

    let call = custom_span("call tool service").start();
    let mut headers = Vec::new();
    w3c::inject(|name, value| headers.push((name.to_owned(), value.to_owned())));
    let call_w3c = call.span_id().unwrap().to_w3c();
    assert_eq!(
        headers,
        [
            ("traceparent".to_owned(), format!("00-0af7651916cd43dd8448eb211c80319c-{call_w3c:016x}-01")),
            ("tracestate".to_owned(), w3c::ANNOUNCED_ENTRY.to_owned())
        ]
    );

    let saved: String = TraceState::current().to_json_string();
    drop((call, run));
    let resumed = TraceState::from_json_str(&saved)?.resume().start();
    assert!(resumed.is_resumed());
    custom_span("after the pause").start().end();
    drop(resumed);
    let spans = recorder.finished_spans();
    assert_eq!(spans[1].parent_id(), Some(spans[0].span_id()), "resumed under the call span");
    assert_eq!(recorder.started_traces().len(), 1, "announced once");
    Ok(())
}
