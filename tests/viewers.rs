//! The local viewers of `trace-export-console` in a pipeline: the HTML waterfall under the
//! batch processor (pages written on its worker as traces end), the tree next to the JSON
//! lines through the fan-out.

#[cfg(all(feature = "console", feature = "batch"))]
#[test]
fn html_pages_per_trace_from_the_batch_worker() {
    use std::time::Duration;

    use agents_tracing::core::registry;
    use agents_tracing::{agent_span, function_span, trace, BatchTraceProcessor, HtmlWaterfallExporter, SpanError};

    let dir = std::env::temp_dir().join(format!("agents-tracing-viewers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let html = HtmlWaterfallExporter::per_trace(&dir).build().unwrap();
    let batch = std::sync::Arc::new(BatchTraceProcessor::new(html.clone()));
    let ids: Vec<String> = {
        let _scope = registry::set_default(batch.clone());
        (0..2)
            .map(|i| {
                let run = trace(format!("run {i}")).start();
                let id = run.trace_id().map(ToString::to_string).unwrap();
                let _agent = agent_span("Triage").start();
                let mut call = function_span("lookup").input("{}").start();
                if i == 1 {
                    call.set_error(SpanError::new("not found"));
                }
                drop(call);
                id
            })
            .collect()
    };
    agents_tracing::TracingProcessor::force_flush(&*batch, Some(Duration::from_secs(10))).unwrap();
    // Both traces ended: their pages were written by the worker, and their spans released.
    for (i, id) in ids.iter().enumerate() {
        let page = std::fs::read_to_string(dir.join(format!("{id}.html"))).expect("the trace's page");
        assert!(page.contains(&format!(r#""workflow":"run {i}""#)), "{id}");
        assert!(page.contains(r#""ended":true"#), "{id}");
        assert!(page.contains(&format!(r#""errors":{i}"#)), "{id}");
    }
    let stats = html.stats();
    assert_eq!((stats.pages_written, stats.spans_in_pages, stats.spans_held, stats.spans_dropped()), (2, 4, 0, 0));
    agents_tracing::TracingProcessor::shutdown(&*batch, Some(Duration::from_secs(10))).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(all(feature = "console", feature = "multi"))]
#[test]
fn the_tree_next_to_the_json_lines_through_the_fan_out() {
    use agents_tracing::console::ColorMode;
    use agents_tracing::core::registry;
    use agents_tracing::{
        custom_span, trace, ConsoleSpanExporter, MultiProcessor, SimpleTraceProcessor, TreeConsoleProcessor,
    };

    let lines = ConsoleSpanExporter::with_writer(Vec::new()).show_data(true);
    let tree = TreeConsoleProcessor::builder().to_buffer().color(ColorMode::Never).build().unwrap();
    let both = MultiProcessor::new().with(SimpleTraceProcessor::new(lines.clone())).with(tree.clone());
    {
        let _scope = registry::set_default(both);
        let _run = trace("fan-out").start();
        let _step = custom_span("step").start();
    }
    assert_eq!(String::from_utf8(lines.take_output()).unwrap().lines().count(), 2);
    let out = String::from_utf8(tree.take_output()).unwrap();
    assert!(out.starts_with("fan-out  trace_") && out.contains("\n└─ custom step  "), "{out}");
}
