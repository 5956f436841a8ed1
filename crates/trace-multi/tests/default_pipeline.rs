//! `add_trace_processor` keeps a default pipeline installed through
//! `registry::first_use::install_default_processor`, and `set_trace_processors` replaces it. Its own binary:
//! the registry's "installed by the user" flag never resets within a process.

use std::sync::Arc;

use trace_core::registry::first_use::install_default_processor;
use trace_core::{custom_span, trace, trace_processor, InMemoryProcessor, TracingProcessor};
use trace_multi::{add_trace_processor, global_multi_processor, set_trace_processors};

fn one_span() {
    let _t = trace("default").start();
    let _s = custom_span("step").start();
}

#[test]
fn add_keeps_the_default_pipeline_and_set_replaces_it() {
    let default = InMemoryProcessor::new();
    let default_dyn: Arc<dyn TracingProcessor> = Arc::new(default.clone());
    assert!(install_default_processor(|| Arc::clone(&default_dyn)));

    let added = InMemoryProcessor::new();
    add_trace_processor(added.clone());
    let list = global_multi_processor().processors();
    assert_eq!(list.len(), 2);
    assert!(std::ptr::addr_eq(Arc::as_ptr(&list[0]), Arc::as_ptr(&default_dyn)), "the default comes first");
    one_span();
    assert_eq!(default.finished_spans().len(), 1);
    assert_eq!(added.finished_spans().len(), 1);

    // Once a fan-out is installed, no default pipeline takes its place.
    assert!(!install_default_processor(|| Arc::new(InMemoryProcessor::new())));

    let only = InMemoryProcessor::new();
    let replaced = set_trace_processors(vec![Arc::new(only.clone())]);
    assert_eq!(replaced.len(), 2);
    assert!(std::ptr::addr_eq(Arc::as_ptr(&replaced[0]), Arc::as_ptr(&default_dyn)));
    one_span();
    assert_eq!(default.finished_spans().len(), 1, "the default pipeline no longer receives spans");
    assert_eq!(only.finished_spans().len(), 1);
    let installed = trace_processor().unwrap();
    assert!(std::ptr::addr_eq(Arc::as_ptr(&installed), Arc::as_ptr(&global_multi_processor())));
}
