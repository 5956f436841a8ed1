//! What several of trace-core's test binaries share: the lock on the process-wide registry
//! with a fresh recorder installed, and the headers `inject` gives. Each binary uses what
//! it needs of it.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};

use trace_core::{set_trace_processor, set_tracing_disabled, w3c, InMemoryProcessor};

static REGISTRY: Mutex<()> = Mutex::new(());

/// Takes the registry for one test: tracing on, a fresh recorder as the only processor.
pub(crate) fn lock() -> (MutexGuard<'static, ()>, InMemoryProcessor) {
    let guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    set_tracing_disabled(false);
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    (guard, recorder)
}

/// The headers `inject` gives for the current context.
pub(crate) fn injected() -> Vec<(String, String)> {
    let mut headers = Vec::new();
    w3c::inject(|name, value| headers.push((name.to_owned(), value.to_owned())));
    headers
}
