//! A processor that makes `tracing` spans and error events of its own (an
//! `#[instrument]`ed hook, a failure it logs) under the layer: they are the processor's
//! work, not the application's, so they are not recorded and never reach it again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use trace_core::{custom_span, trace, InMemoryProcessor, Span, SpanKind, Trace, TracingProcessor};
use trace_layer::AgentsLayer;
use tracing::Level;
use tracing_subscriber::prelude::*;

/// Records through `inner`; every call makes a GenAI `tracing` span and logs an error
/// first, up to a depth of 8 (the bound of this test: without the layer's guard, each
/// span would bring another call).
struct Hooked {
    inner: InMemoryProcessor,
    depth: AtomicUsize,
    deepest: AtomicUsize,
}

impl Hooked {
    fn hook(&self) {
        let depth = self.depth.fetch_add(1, Ordering::SeqCst) + 1;
        self.deepest.fetch_max(depth, Ordering::SeqCst);
        if depth <= 8 {
            tracing::info_span!("chat audit", gen_ai.operation.name = "chat", gen_ai.request.model = "audit").in_scope(
                || {
                    tracing::error!("audit store unreachable");
                },
            );
        }
        self.depth.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TracingProcessor for Hooked {
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        self.inner.on_trace_start(trace);
    }
    fn on_trace_end(&self, trace: &Arc<Trace>) {
        self.inner.on_trace_end(trace);
    }
    fn on_span_start(&self, span: &Span) {
        self.hook();
        self.inner.on_span_start(span);
    }
    fn on_span_end(&self, span: &Arc<Span>) {
        self.hook();
        self.inner.on_span_end(span);
    }
}

#[test]
fn a_processors_own_spans_and_errors_are_not_the_applications() {
    let recorder = InMemoryProcessor::new();
    let hooked = Arc::new(Hooked { inner: recorder.clone(), depth: AtomicUsize::new(0), deepest: AtomicUsize::new(0) });
    trace_core::set_trace_processor(Arc::clone(&hooked));
    let layer = AgentsLayer::builder().record_other_spans(Level::INFO).build();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        let _run = trace("run").start();
        // A span of the library first: the hook's callsites are first hit outside the
        // subscriber's own callbacks (inside them `tracing` gives no subscriber, and a
        // callsite first hit there stays off).
        custom_span("first").start().end();
        // An agent run recorded through the layer, with a helper span of the library
        // inside it: the processor's error lines must not become the agent's error.
        let _agent = tracing::info_span!("invoke_agent Triage", gen_ai.operation.name = "invoke_agent").entered();
        custom_span("step").start().end();
    });
    assert_eq!(hooked.deepest.load(Ordering::SeqCst), 1, "the hook's span never came back to the processor");
    let spans = recorder.finished_spans();
    let kinds: Vec<SpanKind> = spans.iter().map(|s| s.kind()).collect();
    assert_eq!(kinds, [SpanKind::Custom, SpanKind::Custom, SpanKind::Agent], "the hook's chat spans are not recorded");
    assert!(spans.iter().all(|s| s.error().is_none()), "{:?}", spans.iter().map(|s| s.error()).collect::<Vec<_>>());
    // The calls for the two spans of the library (start, end) and for the agent's end each
    // made a span the layer would have recorded; the call for the agent's start runs
    // inside the layer's `on_new_span`, where `tracing` makes no span.
    assert_eq!(trace_layer::stats().spans_in_processor_calls, 5);
}
