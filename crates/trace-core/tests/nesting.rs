//! A processor that starts a span for every span it sees would recurse without end (each
//! of its spans is dispatched back to it) until the stack overflows. The registry stops
//! dispatching past `MAX_PROCESSOR_NESTING` nested calls, and counts what it skipped. Its
//! own test binary: the processor is global.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use trace_core::registry::{self, nested_events_skipped, MAX_PROCESSOR_NESTING};
use trace_core::*;

/// Starts and ends a span of its own inside every `on_span_end`.
#[derive(Default)]
struct Echo {
    ends: AtomicU64,
}

impl TracingProcessor for Echo {
    fn on_trace_start(&self, _: &Arc<Trace>) {}
    fn on_trace_end(&self, _: &Arc<Trace>) {}
    fn on_span_start(&self, _: &Span) {}
    fn on_span_end(&self, _: &Arc<Span>) {
        self.ends.fetch_add(1, Ordering::Relaxed);
        let _echo = custom_span("echo").start();
    }
}

#[test]
fn a_processor_that_starts_a_span_for_each_span_it_sees_is_cut_at_the_nesting_bound() {
    let echo = Arc::new(Echo::default());
    set_trace_processor(Arc::clone(&echo));
    let before = nested_events_skipped();
    {
        let _t = trace("run").start();
        let _s = custom_span("step").start();
    }
    let depth = u64::from(MAX_PROCESSOR_NESTING);
    // The application's span and one echo per nesting level below the bound reach the
    // processor; each echo's start and the end one level too deep are skipped.
    assert_eq!(echo.ends.load(Ordering::Relaxed), depth, "one end per level");
    assert_eq!(nested_events_skipped() - before, 2, "the start and the end of the echo one level too deep");
    // Back at the application's level, events are dispatched again.
    {
        let _t = trace("again").start();
    }
    assert!(!registry::in_processor_call());
}
