//! The global fan-out: `add_trace_processor` and `set_trace_processors`, over the single
//! processor slot of `trace-core`'s registry.

use std::sync::{Arc, Mutex, OnceLock};

use trace_core::{set_trace_processor_shared, trace_processor, TracingProcessor};

use crate::fanout::MultiProcessor;

static GLOBAL: OnceLock<Arc<MultiProcessor>> = OnceLock::new();
/// Serializes the functions of this module, so that two of them never interleave their
/// read of the registry slot and their write of it.
static OPS: Mutex<()> = Mutex::new(());

fn global() -> &'static Arc<MultiProcessor> {
    GLOBAL.get_or_init(|| Arc::new(MultiProcessor::new()))
}

fn is_global(processor: &Arc<dyn TracingProcessor>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(processor), Arc::as_ptr(global()))
}

fn same(a: &Option<Arc<dyn TracingProcessor>>, b: &Option<Arc<dyn TracingProcessor>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)),
        _ => false,
    }
}

/// Installs the global fan-out in the registry slot unless it is there already.
///
/// `list` builds its processors from what the slot held (never the fan-out itself).
/// Returns `None` when the fan-out was already installed, else what it displaced.
fn install(
    list: impl Fn(Option<Arc<dyn TracingProcessor>>) -> Vec<Arc<dyn TracingProcessor>>,
) -> Option<Option<Arc<dyn TracingProcessor>>> {
    let multi = global();
    let current = trace_processor();
    if current.as_ref().is_some_and(is_global) {
        return None;
    }
    multi.set(list(current.clone()));
    let displaced = set_trace_processor_shared(Arc::clone(multi) as Arc<dyn TracingProcessor>);
    let displaced = displaced.filter(|p| !is_global(p));
    if !same(&displaced, &current) {
        // The slot changed between our read and our write (a default pipeline installed
        // meanwhile, say): build the list from what was really there.
        multi.set(list(displaced.clone()));
    }
    Some(displaced)
}

/// The global fan-out, installed in `trace-core`'s registry slot.
///
/// The first call creates it; a call that finds something else in the slot (a processor
/// installed with [`trace_core::set_trace_processor`], a default pipeline, registered or
/// installed, or nothing)
/// installs the fan-out with that processor as its only entry, so nothing that was
/// receiving events stops receiving them. Use the returned fan-out to see
/// [`stats`](MultiProcessor::stats) or to [`set`](MultiProcessor::set) the list directly.
///
/// ```
/// use trace_core::InMemoryProcessor;
/// use trace_multi::{add_trace_processor, global_multi_processor};
///
/// add_trace_processor(InMemoryProcessor::new());
/// let fanout = global_multi_processor();
/// assert_eq!(fanout.len(), 1);
/// assert!(fanout.stats().iter().all(|s| s.panics == 0));
/// ```
pub fn global_multi_processor() -> Arc<MultiProcessor> {
    let _ops = OPS.lock().unwrap_or_else(|e| e.into_inner());
    install(|current| current.into_iter().collect());
    Arc::clone(global())
}

/// Adds `processor` to the processors that receive traces and spans, **keeping** those
/// already there (Python's `add_trace_processor`).
///
/// It goes through the global fan-out ([`global_multi_processor`]): if the registry slot
/// holds something else (a default export pipeline, or a processor installed with
/// [`trace_core::set_trace_processor`]), that processor stays, first, and `processor` is
/// called after it. To **replace** everything instead, including a default pipeline,
/// use [`set_trace_processors`].
///
/// A default pipeline is kept when it is in the slot, or registered and not yet installed:
/// this reads the slot through [`trace_core::trace_processor`], which installs a
/// registered default first (see `trace_core::registry::first_use`), as Python's
/// provider does on first access. After the first call the fan-out is installed, and no
/// default pipeline takes its place.
///
/// ```
/// use trace_core::{set_trace_processor, trace_processor, InMemoryProcessor};
/// use trace_multi::{add_trace_processor, global_multi_processor};
///
/// set_trace_processor(InMemoryProcessor::new()); // the "default" one
/// add_trace_processor(InMemoryProcessor::new()); // both now receive everything
/// assert_eq!(global_multi_processor().len(), 2);
/// ```
pub fn add_trace_processor<P: TracingProcessor>(processor: P) {
    let _ops = OPS.lock().unwrap_or_else(|e| e.into_inner());
    install(|current| current.into_iter().collect());
    global().add(processor);
}

/// [`add_trace_processor`] for a processor that is already shared.
pub fn add_trace_processor_shared(processor: Arc<dyn TracingProcessor>) {
    let _ops = OPS.lock().unwrap_or_else(|e| e.into_inner());
    install(|current| current.into_iter().collect());
    global().add_shared(processor);
}

/// Makes `processors` the only processors that receive traces and spans, in that order
/// (Python's `set_trace_processors`): whatever received them before, **including** a
/// default export pipeline or a processor installed with
/// [`trace_core::set_trace_processor`], stops receiving them (a registered default
/// pipeline not installed yet is installed, then replaced, and returned). This is how to keep a
/// third-party processor without exporting to OpenAI. An empty list turns delivery off
/// (traces and spans are still created and current).
///
/// Returns the processors taken out, neither flushed nor shut down (as in Python): call
/// their `shutdown` when they are done. One passed again in `processors` stays installed
/// and is not returned. Threads that were calling them never run their
/// shutdown or `Drop` in a span start or end (their cached references go to the
/// `trace-retire` thread); if you drop the returned ones and hold the last references,
/// their `Drop` runs on your thread, or pass them to [`trace_core::registry::retire`]. To keep what is there and add to it, use
/// [`add_trace_processor`].
///
/// ```
/// use std::sync::Arc;
/// use trace_core::{set_trace_processor, InMemoryProcessor};
/// use trace_multi::{global_multi_processor, set_trace_processors};
///
/// set_trace_processor(InMemoryProcessor::new()); // the "default" one
/// let replaced = set_trace_processors(vec![Arc::new(InMemoryProcessor::new())]);
/// assert_eq!(replaced.len(), 1); // the default one, for the caller to shut down
/// assert_eq!(global_multi_processor().len(), 1);
/// ```
pub fn set_trace_processors(processors: Vec<Arc<dyn TracingProcessor>>) -> Vec<Arc<dyn TracingProcessor>> {
    let _ops = OPS.lock().unwrap_or_else(|e| e.into_inner());
    let processors: Vec<_> = processors.into_iter().filter(|p| !is_global(p)).collect();
    match install(|_| processors.clone()) {
        // Already installed: swap the list.
        None => global().set(processors),
        // Installed now, with `processors`: what it displaced is what was replaced.
        Some(displaced) => displaced
            .into_iter()
            .filter(|d| !processors.iter().any(|p| std::ptr::addr_eq(Arc::as_ptr(p), Arc::as_ptr(d))))
            .collect(),
    }
}
