//! A processor set before first use keeps the default pipeline out. Its own binary: the
//! registry's "set by the user" flag lasts for the process.

#![cfg(all(feature = "openai", feature = "batch"))]

use agents_tracing::{custom_span, set_trace_processor, trace, InMemoryProcessor};

#[test]
fn a_processor_set_first_keeps_the_default_out() {
    std::env::remove_var("OPENAI_API_KEY");
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    {
        let _t = trace("mine").start();
        let _s = custom_span("step").start();
    }
    assert_eq!(recorder.finished_spans().len(), 1);
    let installed = agents_tracing::core::trace_processor().expect("installed");
    let default: std::sync::Arc<dyn agents_tracing::TracingProcessor> = agents_tracing::default_processor();
    assert!(!std::sync::Arc::ptr_eq(&installed, &default), "the user's processor stays installed");
    // The default processor was never installed, so its worker never started.
    assert_eq!(agents_tracing::default_processor().stats().queued, 0);
}
