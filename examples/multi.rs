//! Two processors through the fan-out: the console exporter sees only agent and function
//! spans (filtered), and a custom processor counts every span and measures tool time.
//!
//! ```text
//! cargo run --example multi
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use agents_tracing::core::{SpanKind, Trace};
use agents_tracing::{
    add_trace_processor, agent_span, custom_span, function_span, trace, ConsoleSpanExporter, Filtered,
    SimpleTraceProcessor, Span, TracingProcessor,
};

/// Counts spans and adds up the time spent in function spans.
#[derive(Default)]
struct ToolTimer {
    spans: AtomicU64,
    tool_micros: AtomicU64,
}

impl TracingProcessor for ToolTimer {
    fn on_trace_start(&self, _: &Arc<Trace>) {}
    fn on_trace_end(&self, _: &Arc<Trace>) {}
    fn on_span_start(&self, _: &Span) {}
    fn on_span_end(&self, span: &Arc<Span>) {
        self.spans.fetch_add(1, Ordering::Relaxed);
        if let (SpanKind::Function, Some(a), Some(b)) = (span.kind(), span.started_at(), span.ended_at()) {
            self.tool_micros.fetch_add(b.unix_micros() - a.unix_micros(), Ordering::Relaxed);
        }
    }
}

fn main() {
    // Only agent and function spans reach the console.
    add_trace_processor(Filtered::new(
        SimpleTraceProcessor::new(ConsoleSpanExporter::new().show_data(true)),
        |s: &Span| matches!(s.kind(), SpanKind::Agent | SpanKind::Function),
    ));
    let timer = Arc::new(ToolTimer::default());
    add_trace_processor(Arc::clone(&timer));

    {
        let _t = trace("fan-out demo").start();
        let _agent = agent_span("Researcher").tools(["search"]).start();
        for query in ["rust tracing", "openai agents"] {
            let _plan = custom_span("plan query").start();
            let mut call = function_span("search").input(format!(r#"{{"q": "{query}"}}"#)).start();
            std::thread::sleep(std::time::Duration::from_millis(3));
            call.set_output("3 results");
        }
    }

    println!(
        "custom processor: {} spans, {} µs in tools",
        timer.spans.load(Ordering::Relaxed),
        timer.tool_micros.load(Ordering::Relaxed)
    );
}
