//! The global fan-out over `trace-core`'s registry slot. Every test holds the registry
//! lock ([`registry`]) and leaves the slot as it found it.

use std::sync::Arc;
use std::thread;

use trace_core::{
    clear_trace_processor, custom_span, set_trace_processor, set_trace_processor_shared, trace, trace_processor,
    InMemoryProcessor, TracingProcessor,
};
use trace_multi::{
    add_trace_processor, add_trace_processor_shared, global_multi_processor, set_trace_processors, MultiProcessor,
};

use crate::support::*;

fn same(a: &Arc<dyn TracingProcessor>, b: &Arc<dyn TracingProcessor>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

fn installed_is_global() -> bool {
    let global = global_multi_processor();
    trace_processor().is_some_and(|p| std::ptr::addr_eq(Arc::as_ptr(&p), Arc::as_ptr(&global)))
}

/// Runs one trace with one span through the registry.
fn one_span() {
    let _t = trace("global").start();
    let _s = custom_span("step").start();
}

#[test]
fn add_keeps_a_processor_installed_through_trace_core_first() {
    let _registry = registry();
    let existing = InMemoryProcessor::new();
    let added = InMemoryProcessor::new();
    let existing_dyn: Arc<dyn TracingProcessor> = Arc::new(existing.clone());
    set_trace_processor_shared(Arc::clone(&existing_dyn));

    add_trace_processor(added.clone());
    assert!(installed_is_global());
    let list = global_multi_processor().processors();
    assert_eq!(list.len(), 2);
    assert!(same(&list[0], &existing_dyn), "the processor that was installed stays first");

    one_span();
    assert_eq!(existing.finished_spans().len(), 1);
    assert_eq!(added.finished_spans().len(), 1);
    assert!(Arc::ptr_eq(&existing.finished_spans()[0], &added.finished_spans()[0]));
    assert_eq!(added.started_traces().len(), 1);
}

#[test]
fn set_replaces_everything_including_the_installed_processor() {
    let _registry = registry();
    let existing = InMemoryProcessor::new();
    let added = InMemoryProcessor::new();
    set_trace_processor(existing.clone());
    add_trace_processor(added.clone());

    let only = InMemoryProcessor::new();
    let replaced = set_trace_processors(vec![Arc::new(only.clone())]);
    assert_eq!(replaced.len(), 2, "both the installed and the added one were replaced");
    assert!(installed_is_global());

    one_span();
    assert_eq!(only.finished_spans().len(), 1);
    assert!(existing.finished_spans().is_empty());
    assert!(added.finished_spans().is_empty());

    // An empty list delivers nowhere, and the fan-out stays installed.
    let replaced = set_trace_processors(Vec::new());
    assert_eq!(replaced.len(), 1);
    one_span();
    assert_eq!(only.finished_spans().len(), 1);
    assert!(installed_is_global());
}

#[test]
fn set_before_any_add_returns_what_was_installed() {
    let _registry = registry();
    let existing = InMemoryProcessor::new();
    let existing_dyn: Arc<dyn TracingProcessor> = Arc::new(existing.clone());
    set_trace_processor_shared(Arc::clone(&existing_dyn));
    // Make sure the fan-out is not installed: the user replaced it.
    let replaced = set_trace_processors(vec![Arc::new(InMemoryProcessor::new()), Arc::new(InMemoryProcessor::new())]);
    assert_eq!(replaced.len(), 1);
    assert!(same(&replaced[0], &existing_dyn));
    assert_eq!(global_multi_processor().len(), 2);
}

#[test]
fn set_returns_only_what_it_took_out() {
    let _registry = registry();
    let existing = InMemoryProcessor::new();
    let existing_dyn: Arc<dyn TracingProcessor> = Arc::new(existing.clone());
    set_trace_processor_shared(Arc::clone(&existing_dyn));
    // Passed again while installing the fan-out: it stays, so it is not returned.
    let replaced = set_trace_processors(vec![Arc::clone(&existing_dyn), Arc::new(InMemoryProcessor::new())]);
    assert!(replaced.is_empty(), "{} returned", replaced.len());
    // And through the installed fan-out.
    let other: Arc<dyn TracingProcessor> = Arc::new(InMemoryProcessor::new());
    let replaced = set_trace_processors(vec![Arc::clone(&existing_dyn), Arc::clone(&other)]);
    assert_eq!(replaced.len(), 1, "the second of the first list only");
    assert!(!same(&replaced[0], &existing_dyn));
    for p in &replaced {
        p.shutdown(None).unwrap();
    }
    one_span();
    assert_eq!(existing.finished_spans().len(), 1);
}

#[test]
fn replacing_the_fanout_through_trace_core_then_adding_starts_from_that_processor() {
    let _registry = registry();
    let first = InMemoryProcessor::new();
    add_trace_processor(first.clone());
    assert!(installed_is_global());

    let users = InMemoryProcessor::new();
    let users_dyn: Arc<dyn TracingProcessor> = Arc::new(users.clone());
    set_trace_processor_shared(Arc::clone(&users_dyn));
    let later = InMemoryProcessor::new();
    add_trace_processor(later.clone());

    let list = global_multi_processor().processors();
    assert_eq!(list.len(), 2, "the processor replaced through trace-core is not brought back");
    assert!(same(&list[0], &users_dyn));
    one_span();
    assert!(first.finished_spans().is_empty());
    assert_eq!(users.finished_spans().len(), 1);
    assert_eq!(later.finished_spans().len(), 1);
}

#[test]
fn add_into_an_empty_slot_installs_the_fanout_with_just_that_processor() {
    let _registry = registry();
    clear_trace_processor();
    let only = InMemoryProcessor::new();
    add_trace_processor_shared(Arc::new(only.clone()));
    assert!(installed_is_global());
    assert_eq!(global_multi_processor().len(), 1);
    one_span();
    assert_eq!(only.finished_spans().len(), 1);

    // global_multi_processor() on an empty slot installs an empty fan-out.
    clear_trace_processor();
    let global = global_multi_processor();
    assert!(installed_is_global());
    assert!(global.is_empty());
}

#[test]
fn the_global_fanout_is_never_added_to_itself() {
    let _registry = registry();
    clear_trace_processor();
    add_trace_processor(InMemoryProcessor::new());
    let global: Arc<dyn TracingProcessor> = global_multi_processor();
    add_trace_processor_shared(Arc::clone(&global));
    assert_eq!(global_multi_processor().len(), 1);
    set_trace_processors(vec![Arc::clone(&global), Arc::new(InMemoryProcessor::new())]);
    assert_eq!(global_multi_processor().len(), 1);
    // Installed by hand through trace-core, it is recognised too.
    set_trace_processor_shared(Arc::clone(&global));
    add_trace_processor(InMemoryProcessor::new());
    assert_eq!(global_multi_processor().len(), 2);
    one_span();
}

#[test]
fn concurrent_adds_from_several_threads_all_land() {
    let _registry = registry();
    clear_trace_processor();
    let recorders: Vec<InMemoryProcessor> = (0..8).map(|_| InMemoryProcessor::new()).collect();
    let threads: Vec<_> = recorders
        .iter()
        .cloned()
        .map(|r| {
            thread::spawn(move || {
                add_trace_processor(r);
                one_span();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(global_multi_processor().len(), 8);
    one_span();
    for r in &recorders {
        // At least the span made after every add, and the one its own thread made after
        // its own add.
        assert!(r.finished_spans().len() >= 2, "{}", r.finished_spans().len());
    }
    let stats = global_multi_processor().stats();
    assert!(stats.iter().all(|s| s.panics == 0 && s.name.ends_with("InMemoryProcessor")));
    // A MultiProcessor the user builds is a plain processor for trace-core.
    let mine = InMemoryProcessor::new();
    set_trace_processor(MultiProcessor::new().with(mine.clone()));
    one_span();
    assert_eq!(mine.finished_spans().len(), 1);
}
