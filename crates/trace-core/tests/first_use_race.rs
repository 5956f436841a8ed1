//! Threads that race the first use while the default processor is being built all reach
//! it: none sends its first event to an empty slot. (The property only: the window the
//! `Once` closed, a few instructions between marking the offer made and taking the slot's
//! lock, is too narrow for a test to force.) Its own binary: the first use happens once
//! per process.

use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread;

use trace_core::registry::first_use::register_default_processor;
use trace_core::{custom_span, trace, InMemoryProcessor, TracingProcessor};

static DEFAULT: OnceLock<InMemoryProcessor> = OnceLock::new();
/// Held by the test while the first thread builds the default, so that the others arrive
/// during the build.
static BUILDING: Mutex<()> = Mutex::new(());
static ENTERED: OnceLock<Barrier> = OnceLock::new();

fn make_default() -> Arc<dyn TracingProcessor> {
    ENTERED.get().expect("set by the test").wait();
    drop(BUILDING.lock().unwrap_or_else(|e| e.into_inner()));
    Arc::new(DEFAULT.get_or_init(InMemoryProcessor::new).clone())
}

#[test]
fn threads_racing_the_first_use_all_reach_the_default() {
    const THREADS: usize = 4;
    ENTERED.set(Barrier::new(2)).unwrap();
    let building = BUILDING.lock().unwrap();
    register_default_processor(make_default);
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|i| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                let _t = trace(format!("run {i}")).start();
                let _s = custom_span("step").start();
            })
        })
        .collect();
    // One thread is building the default; the others arrive before or while it does.
    ENTERED.get().unwrap().wait();
    drop(building);
    for t in threads {
        t.join().unwrap();
    }
    let default = DEFAULT.get().expect("the default was built");
    assert_eq!(default.started_traces().len(), THREADS, "every first trace start reached the default");
    assert_eq!(default.finished_spans().len(), THREADS);
}
