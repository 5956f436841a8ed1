//! The default processor: how a facade (the `agents-tracing` crate) gets its default
//! pipeline installed on first use, whichever crate's entry point the program calls first.
//!
//! Rust runs no code before `main`, so trace-core cannot know about a default pipeline
//! until something registers it. The rule is:
//!
//! 1. A facade **registers** a function that builds its default processor with
//!    [`register_default_processor`], from each of its own functions (the first
//!    registration wins; later ones are ignored). Registering builds nothing.
//! 2. trace-core **installs** it at the first use that follows, from any path: the first
//!    trace or span event of each thread (when the thread first reads the registry),
//!    [`trace_processor`](crate::trace_processor) (so `trace-multi`'s
//!    `add_trace_processor` keeps it first), unless a user installed or cleared a
//!    processor before ([`trace_processor_set_by_user`]). The check runs on the registry's
//!    cold path only (a thread's first read, or its first read after a change); a span
//!    start or end never pays for it otherwise.
//!
//! So `trace_core::trace` installs the default pipeline as the facade's own `trace` does,
//! provided the facade registered it before: a program that calls trace-core directly and
//! never touches the facade gets no default pipeline. [`install_default_processor`] is
//! the eager form: it installs right away.
//!
//! ```
//! use std::sync::Arc;
//! use trace_core::registry::first_use::register_default_processor;
//! use trace_core::{trace, trace_processor, InMemoryProcessor, TracingProcessor};
//!
//! fn default_pipeline() -> Arc<dyn TracingProcessor> {
//!     Arc::new(InMemoryProcessor::new())
//! }
//!
//! register_default_processor(default_pipeline); // nothing is built yet
//! let _t = trace("first use").start(); // installed here
//! assert!(trace_processor().is_some());
//! ```

use std::sync::{Arc, Once, OnceLock};

use super::slot::{self, GENERATION};
use crate::processor::TracingProcessor;

/// Builds a default processor.
pub type MakeDefault = fn() -> Arc<dyn TracingProcessor>;

static MAKE: OnceLock<MakeDefault> = OnceLock::new();
/// The registered default's one offer to the slot (installed or refused). A `Once`, not a
/// flag set before the offer: a thread that arrives while another makes the offer waits
/// for it (as it would wait for the slot's write lock), instead of reading the slot still
/// empty and sending its first event nowhere.
static OFFER: Once = Once::new();

/// Registers `make` as the builder of the default processor, to be installed at the next
/// first use (see the [module docs](self)) unless a user installs or clears a processor
/// first. Returns whether this call registered it: only the first registration in the
/// process counts. Cheap once registered (one atomic load), so call it from every entry
/// point of a facade.
///
/// `make` runs at most once, under the registry's write lock: it must not call the
/// registry (`trace_processor`, `set_trace_processor`, ...) nor start traces.
pub fn register_default_processor(make: MakeDefault) -> bool {
    if MAKE.get().is_some() {
        return false;
    }
    let registered = MAKE.set(make).is_ok();
    if registered {
        // Threads that already read the registry (and cached "no processor") read it
        // again on their next event, and install the default there.
        GENERATION.bump();
    }
    registered
}

/// Whether a default processor was registered with [`register_default_processor`].
pub fn default_processor_registered() -> bool {
    MAKE.get().is_some()
}

/// Installs the processor `make` builds, now, unless a user already installed or cleared
/// one (or a default is installed already). `make` runs at most once per call and only
/// when it is needed, under the registry's write lock. Returns whether it was installed.
pub fn install_default_processor(make: impl FnOnce() -> Arc<dyn TracingProcessor>) -> bool {
    slot::install_default(make)
}

/// Whether a user installed or cleared the global processor explicitly (with
/// `set_trace_processor`, `clear_trace_processor` or a fan-out's functions); a default
/// processor is never installed after that.
pub fn trace_processor_set_by_user() -> bool {
    slot::set_by_user()
}

/// Offers the registered default to the slot, once. Called on the registry's cold paths.
#[cold]
pub(super) fn run() {
    if OFFER.is_completed() {
        return;
    }
    let Some(make) = MAKE.get() else { return };
    // Once, whatever happens: a default that panics while it is built is not installed,
    // and the panic stays here, counted and logged, instead of reaching the span call
    // (the `Once` completes: it is not poisoned).
    OFFER.call_once(|| {
        if let Err(panic) = crate::panic::isolate(|| slot::install_default(make)) {
            super::panics::count_and_log(&panic);
        }
    });
}
