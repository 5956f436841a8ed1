//! A registered default processor is installed at the first use that follows, from any
//! entry point, unless a user chose a processor first. Its own binary: registration and
//! the "set by the user" flag last for the process.

use std::sync::{Arc, OnceLock};
use std::thread;

use trace_core::registry::first_use::{
    default_processor_registered, register_default_processor, trace_processor_set_by_user,
};
use trace_core::{custom_span, set_trace_processor, trace, trace_processor, InMemoryProcessor, TracingProcessor};

static DEFAULT: OnceLock<InMemoryProcessor> = OnceLock::new();

fn make_default() -> Arc<dyn TracingProcessor> {
    Arc::new(DEFAULT.get_or_init(InMemoryProcessor::new).clone())
}

fn make_other() -> Arc<dyn TracingProcessor> {
    Arc::new(InMemoryProcessor::new())
}

fn one_trace(name: &str) {
    let _t = trace(name).start();
    let _s = custom_span("step").start();
}

#[test]
fn a_registered_default_is_installed_at_first_use_unless_the_user_chose() {
    // Before any registration, tracing works and installs nothing; this thread has now
    // cached "no processor".
    one_trace("before registration");
    assert!(trace_processor().is_none());
    assert!(!default_processor_registered());

    // Registering builds nothing; the first registration wins.
    assert!(register_default_processor(make_default));
    assert!(!register_default_processor(make_other));
    assert!(default_processor_registered());
    assert!(DEFAULT.get().is_none(), "nothing is built until first use");

    // The next event on this thread (which had cached "no processor") installs it.
    one_trace("after registration");
    let default = DEFAULT.get().expect("built at first use").clone();
    assert_eq!(default.started_traces().len(), 1);
    assert_eq!(default.started_traces()[0].workflow_name(), "after registration");
    assert_eq!(default.finished_spans().len(), 1);
    assert!(!trace_processor_set_by_user());

    // Another thread sees the same processor.
    thread::spawn(|| one_trace("other thread")).join().unwrap();
    assert_eq!(default.started_traces().len(), 2);

    // The user's choice replaces it, and it is never installed again.
    let mine = InMemoryProcessor::new();
    set_trace_processor(mine.clone());
    assert!(trace_processor_set_by_user());
    one_trace("user's");
    assert_eq!(mine.started_traces().len(), 1);
    assert_eq!(default.started_traces().len(), 2);
}
