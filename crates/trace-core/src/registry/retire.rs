//! The retirement thread: where values released by a hot path are dropped.
//!
//! A per-thread cache (the registry's `cache`) may hold the last reference to a processor
//! that was replaced. Dropping it there would run the processor's `Drop` (a batch
//! processor's final, bounded export; any processor's I/O or wait) inside the span start or
//! end that noticed the replacement. Instead, the cache hands what it releases to
//! [`retire`], which sends it to one thread, `trace-retire`, that drops it. A `Drop` that
//! blocks then blocks that thread only (later retirements wait behind it); a `Drop` that
//! panics is caught and counted in [`processor_panics`](super::panics::processor_panics).
//!
//! The thread is spawned once per process, the first time any per-thread cache is filled
//! or a scoped processor is set (cold paths, next to the lazy start of whatever the cache
//! or the scope holds), so that releasing a
//! value later (a thread that exits, an eviction, a scope's end, a replaced processor)
//! finds it running. If it cannot be spawned, values are dropped where they are released,
//! with a warning.

use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

use super::panics;
use crate::panic::isolate;

/// The name of the thread that drops retired values.
pub const RETIRE_THREAD_NAME: &str = "trace-retire";

type Retired = Box<dyn Send>;

static SENDER: OnceLock<Option<Sender<Retired>>> = OnceLock::new();

/// Starts the retirement thread if it is not running yet: called when a cache is first
/// filled or a scope is set, before anything can be released from one, so that
/// [`retire`] finds it running.
pub(crate) fn start() {
    sender();
}

fn sender() -> Option<&'static Sender<Retired>> {
    SENDER
        .get_or_init(|| {
            let (tx, rx) = channel::<Retired>();
            let spawned = std::thread::Builder::new().name(RETIRE_THREAD_NAME.to_owned()).spawn(move || {
                for value in rx {
                    if let Err(panic) = isolate(move || drop(value)) {
                        panics::count_and_log(&panic);
                    }
                }
            });
            match spawned {
                Ok(_) => Some(tx),
                Err(e) => {
                    log::warn!(
                        "tracing: could not start the `{RETIRE_THREAD_NAME}` thread ({e}); replaced processors will \
                         be dropped on the thread that releases them last"
                    );
                    None
                }
            }
        })
        .as_ref()
}

/// Drops `value` on the `trace-retire` thread instead of this one: a non-blocking send on
/// an unbounded channel (one allocation). Use it for anything released on a hot path that
/// may hold the last reference to a processor or exporter, so that its `Drop` (a final
/// export, a join, any wait) never runs inside a span start or end.
///
/// ```
/// use std::sync::Arc;
/// use trace_core::registry::retire;
/// use trace_core::{InMemoryProcessor, TracingProcessor};
///
/// let replaced: Arc<dyn TracingProcessor> = Arc::new(InMemoryProcessor::new());
/// retire(replaced); // dropped on `trace-retire`, not here
/// ```
pub fn retire<T: Send + 'static>(value: T) {
    let value: Retired = Box::new(value);
    // The receiver lives as long as the process: a send cannot fail unless the thread
    // died, and then the value comes back. Without the thread, or back from it, the value
    // is dropped here, a panic in its `Drop` caught and counted as on `trace-retire`.
    let unsent = match sender() {
        Some(tx) => tx.send(value).err().map(|returned| returned.0),
        None => Some(value),
    };
    if let Some(value) = unsent {
        if let Err(panic) = isolate(move || drop(value)) {
            panics::count_and_log(&panic);
        }
    }
}
