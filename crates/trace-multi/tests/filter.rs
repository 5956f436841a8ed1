//! The filter wrapper.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use trace_core::{InMemoryProcessor, ProcessorEvent, Span, SpanKind, Trace, TracingProcessor};
use trace_multi::{Filtered, MultiProcessor};

use crate::support::*;

fn kinds(events: &[ProcessorEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            ProcessorEvent::TraceStart(t) => format!("trace_start {}", t.workflow_name()),
            ProcessorEvent::TraceEnd(t) => format!("trace_end {}", t.workflow_name()),
            ProcessorEvent::SpanStart(s) => format!("span_start {}", s.data().kind()),
            ProcessorEvent::SpanEnd(s) => format!("span_end {}", s.data().kind()),
            ProcessorEvent::ForceFlush => "force_flush".into(),
            ProcessorEvent::Shutdown => "shutdown".into(),
        })
        .collect()
}

#[test]
fn only_matching_spans_pass_and_start_and_end_agree() {
    init();
    let recorder = InMemoryProcessor::new();
    let filtered = Filtered::new(recorder.clone(), |s: &Span| s.kind() == SpanKind::Function);
    let trace = new_trace("filter");
    let (step, call) = (custom(&trace), function(&trace));

    filtered.on_trace_start(&trace);
    for span in [&step, &call] {
        filtered.on_span_start(span);
    }
    for span in [&call, &step] {
        filtered.on_span_end(span);
    }
    filtered.on_trace_end(&trace);

    assert_eq!(
        kinds(&recorder.events()),
        ["trace_start filter", "span_start function", "span_end function", "trace_end filter"]
    );
    assert!(Arc::ptr_eq(&recorder.finished_spans()[0], &call));
}

#[test]
fn a_trace_predicate_filters_traces_independently_of_spans() {
    init();
    let recorder = InMemoryProcessor::new();
    let filtered = Filtered::new(recorder.clone(), |s: &Span| s.trace().workflow_name() != "health check")
        .traces(|t: &Trace| t.workflow_name() != "health check");
    for name in ["health check", "order"] {
        let trace = new_trace(name);
        drive(&filtered, &trace, &custom(&trace));
    }
    assert_eq!(
        kinds(&recorder.events()),
        ["trace_start order", "span_start custom", "span_end custom", "trace_end order"]
    );

    // Without the span predicate testing the trace, spans of a filtered trace still pass.
    let recorder = InMemoryProcessor::new();
    let traces_only = Filtered::new(recorder.clone(), |_: &Span| true).traces(|_: &Trace| false);
    let trace = new_trace("spans only");
    drive(&traces_only, &trace, &custom(&trace));
    assert_eq!(kinds(&recorder.events()), ["span_start custom", "span_end custom"]);
}

#[test]
fn flush_and_shutdown_always_reach_the_inner_processor() {
    init();
    let recorder = InMemoryProcessor::new();
    let filtered = Filtered::new(recorder.clone(), |_: &Span| false).traces(|_: &Trace| false);
    let trace = new_trace("nothing passes");
    drive(&filtered, &trace, &custom(&trace));
    filtered.force_flush(Some(Duration::from_secs(1))).unwrap();
    filtered.shutdown(None).unwrap();
    assert_eq!(recorder.events(), [ProcessorEvent::ForceFlush, ProcessorEvent::Shutdown]);
    assert_eq!(filtered.inner().events().len(), 2);
    assert!(format!("{filtered:?}").starts_with("Filtered"));
    assert_eq!(filtered.into_inner().events().len(), 2);
}

#[test]
fn a_filtered_processor_in_a_fanout_costs_the_others_nothing() {
    init();
    let all = Counter::default();
    let functions = Counter::default();
    let evaluated = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&evaluated);
    let multi = MultiProcessor::new().with(all.clone()).with(Filtered::new(functions.clone(), move |s: &Span| {
        seen.fetch_add(1, Ordering::SeqCst);
        s.kind() == SpanKind::Function
    }));
    let trace = new_trace("mixed");
    for i in 0..10 {
        let span = if i % 2 == 0 { function(&trace) } else { custom(&trace) };
        multi.on_span_start(&span);
        multi.on_span_end(&span);
    }
    assert_eq!((all.get(), functions.get()), (10, 5));
    // The predicate ran once per call (start and end), never more.
    assert_eq!(evaluated.load(Ordering::SeqCst), 20);
}

#[test]
fn a_panicking_predicate_is_isolated_like_a_panicking_processor() {
    init();
    let after = Counter::default();
    let multi = MultiProcessor::new()
        .with(Filtered::new(Counter::default(), |_: &Span| -> bool { panic!("{DELIBERATE}: predicate") }))
        .with(after.clone());
    let span = custom(&new_trace("predicate"));
    multi.on_span_end(&span);
    assert_eq!(after.get(), 1);
    assert_eq!(multi.stats()[0].panics, 1);
}
