//! The processor registry: the global processor, scoped processors in front of it, and
//! the tracing on/off switch.
//!
//! One global processor is installed at a time (install a fan-out, such as `trace-multi`'s,
//! for several). Nothing is spawned or read from the environment until first use:
//! `OPENAI_AGENTS_DISABLE_TRACING` is read once, lazily, the first time a trace or span is
//! created (a flush works whether tracing is on or off, as in Python).
//!
//! The hot path (every span start and end) reads the global processor through a
//! per-thread [`cache`] checked against a global generation number: one atomic load and a
//! thread-local access, no lock and no shared reference count. Checking for a scope adds
//! one read of a thread-local flag at a start.
//!
//! # Scoped processors
//! [`set_default`] (and [`with_default`]) put a processor in front of the global one for
//! the current thread until its [`DefaultGuard`] drops, as tracing's
//! `dispatcher::set_default` does: tests that run in parallel, or a server that routes
//! each tenant's traces to its own processor, need no global state. Scopes nest (the
//! innermost receives) and never change what other threads see.
//!
//! - **Tasks**: a future wrapped with
//!   [`in_current_context`](crate::FutureExt::in_current_context) (or `with_context`)
//!   inside a scope keeps that scope on whatever thread polls it, after the guard is gone
//!   too. A future that is not wrapped, or a new thread, does not: pass the processor
//!   ([`scoped_processor`]) and set it there.
//! - **A trace or span ends where it started**: its end goes to the processor that
//!   received its start, whether it ends inside the scope, after the scope's guard
//!   dropped, or on another thread (tracing's spans keep their dispatcher the same way).
//!   A trace or span started with no scope set ends at the global processor, even if it
//!   ends inside a scope. A span finished without ever being started goes where a start
//!   would go at that moment.
//! - **What belongs to a scope is what starts in it**: a span started outside any scope
//!   goes to the global processor even when its trace started in a scope; wrap the tasks
//!   and set the scope on the threads that build a trace's spans.
//! - [`trace_processor`], [`force_flush`], [`shutdown`] and the setters act on the global
//!   processor only; a scoped processor is the caller's to flush and shut down. When the
//!   last scope or span that used it lets go of it, it is dropped on `trace-retire`, never
//!   inside a span start or end.
//!
//! A scope costs nothing to threads that set none (a thread-local flag read at each
//! start). Inside a scope, each start and end takes a reference on the scoped processor
//! (an atomic increment and decrement) instead of reading the cache.
//!
//! # The default processor
//! A facade registers its default pipeline with
//! [`first_use::register_default_processor`]; the registry installs it at the first use
//! that follows, from any entry point, unless a user chose a processor first. See
//! [`first_use`].
//!
//! # Replacing a processor
//! [`set_trace_processor`] (and [`clear_trace_processor`]) return the processor they
//! replaced, neither flushed nor shut down, as Python's `set_trace_processors` leaves it:
//! the caller may install it again, flush it, or shut it down. What they guarantee is
//! that **no span start or end ever runs the old processor's shutdown or `Drop`**:
//! threads that cached it let go of it on their next event by handing their reference to
//! the `trace-retire` thread ([`retire`]). So if the caller drops the returned processor,
//! its `Drop` (a batch processor's final export, bounded by its drop timeout) runs either
//! on the caller's thread, if the caller held the last reference, or on `trace-retire`;
//! never inside a producer's tracing call. To keep even the caller's thread from waiting,
//! pass the returned processor to [`retire`] (or call its `shutdown` with a timeout
//! first).

pub mod cache;
pub mod first_use;
mod nesting;
mod panics;
mod retire;
pub(crate) mod scope;
mod slot;

pub use nesting::{nested_events_skipped, MAX_PROCESSOR_NESTING};
pub use panics::processor_panics;
pub use retire::{retire, RETIRE_THREAD_NAME};
pub use scope::{scoped_processor, set_default, set_default_shared, with_default, DefaultGuard};

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::ProcessorError;
use crate::panic::isolate;
use crate::processor::TracingProcessor;
use cache::LocalCache;
use scope::Scope;
use slot::{Shared, GENERATION};

thread_local! {
    static CACHE: LocalCache<Option<Shared>> = const { LocalCache::new() };
}

/// What a thread's cache loads when it is cold or stale: the slot, after offering it a
/// registered default processor (see [`first_use`]).
fn load() -> Option<Shared> {
    first_use::run();
    slot::read()
}

/// Installs `processor` as the global processor, replacing any other. Threads pick up
/// the change on their next trace or span event.
///
/// Returns the processor replaced, not flushed nor shut down (as in Python): keep it,
/// install it again, or shut it down. The threads that were using it never run its
/// shutdown or `Drop` in a span start or end (see [Replacing a
/// processor](crate::registry#replacing-a-processor)).
pub fn set_trace_processor<P: TracingProcessor>(processor: P) -> Option<Arc<dyn TracingProcessor>> {
    set_trace_processor_shared(Arc::new(processor))
}

/// [`set_trace_processor`] for a processor that is already shared.
pub fn set_trace_processor_shared(processor: Arc<dyn TracingProcessor>) -> Option<Arc<dyn TracingProcessor>> {
    slot::write_by_user(Some(processor))
}

/// Removes the global processor: traces and spans are still created (and still
/// current), but nobody receives them. Returns the processor that was installed, as
/// [`set_trace_processor`] does.
pub fn clear_trace_processor() -> Option<Arc<dyn TracingProcessor>> {
    slot::write_by_user(None)
}

/// The installed global processor, if any; a registered default processor is installed
/// first if nothing was chosen yet (see [`first_use`]). A [scoped](set_default)
/// processor is not returned here: see [`scoped_processor`].
pub fn trace_processor() -> Option<Arc<dyn TracingProcessor>> {
    load()
}

/// Where the end of a started trace or span goes: the scoped processor its start went
/// to, or the global processor (the one installed when it ends).
#[derive(Default)]
pub(crate) enum Route {
    /// Not started: the end goes where a start would go now.
    #[default]
    Current,
    /// Started with no scope set: the global processor.
    Global,
    /// Started in a scope: that scope's processor, wherever it ends.
    Scoped(Scope),
}

/// Calls `f` with the processor a trace or span starting now goes to (the innermost
/// scoped one, else the global one, if any); returns where its end must go.
#[inline]
pub(crate) fn dispatch_start(f: impl FnOnce(&dyn TracingProcessor)) -> Route {
    if scope::active() {
        if let Some(scope) = scope::current() {
            scoped(&scope, f);
            return Route::Scoped(scope);
        }
    }
    dispatch_global(f);
    Route::Global
}

/// Calls `f` with the processor `route` names (see [`dispatch_start`]).
#[inline]
pub(crate) fn dispatch_end(route: Route, f: impl FnOnce(&dyn TracingProcessor)) {
    match route {
        Route::Global => dispatch_global(f),
        Route::Scoped(scope) => scoped(&scope, f),
        Route::Current => drop(dispatch_start(f)),
    }
}

#[cold]
#[inline(never)]
fn scoped(scope: &Scope, f: impl FnOnce(&dyn TracingProcessor)) {
    scope.with(|p| guarded(p, f));
}

/// Calls `f` with the global processor, if any. Panics in `f` are caught, counted and
/// logged (rate-limited): a processor can never unwind into the user's code.
#[inline]
fn dispatch_global(f: impl FnOnce(&dyn TracingProcessor)) {
    cache::with(&CACHE, &GENERATION, 0, load, |p| {
        if let Some(p) = p {
            guarded(&**p, f);
        }
    });
}

thread_local! {
    /// How many calls to processors this thread is inside (a processor may start or end
    /// spans of its own, or log).
    static IN_PROCESSOR_CALL: Cell<u32> = const { Cell::new(0) };
}

/// Whether this thread is inside a call from this crate to a processor (its
/// `on_trace_start`, `on_span_end`, ...): what happens there is the processor's own work,
/// not the application's. A bridge from another instrumentation (the `tracing` layer)
/// ignores the spans and errors made there, which would otherwise go back to the
/// processors, a processor's `#[instrument]` feeding itself without end.
///
/// ```
/// use trace_core::{custom_span, registry::in_processor_call, set_trace_processor, trace, Span, Trace};
/// use trace_core::TracingProcessor;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// struct Probe(Arc<AtomicBool>);
/// impl TracingProcessor for Probe {
///     fn on_trace_start(&self, _: &Arc<Trace>) {}
///     fn on_trace_end(&self, _: &Arc<Trace>) {}
///     fn on_span_start(&self, _: &Span) {
///         self.0.store(in_processor_call(), Ordering::Relaxed);
///     }
///     fn on_span_end(&self, _: &Arc<Span>) {}
/// }
/// let seen = Arc::new(AtomicBool::new(false));
/// set_trace_processor(Probe(Arc::clone(&seen)));
/// let _t = trace("run").start();
/// let _s = custom_span("step").start();
/// assert!(seen.load(Ordering::Relaxed), "inside the processor's call");
/// assert!(!in_processor_call(), "not in the application's code");
/// ```
pub fn in_processor_call() -> bool {
    IN_PROCESSOR_CALL.with(Cell::get) != 0
}

/// Marks this thread as inside a processor's call while it lives (see
/// [`in_processor_call`]); the mark goes with it however the call ends.
struct ProcessorCall;

impl ProcessorCall {
    #[inline]
    fn enter() -> Self {
        IN_PROCESSOR_CALL.with(|c| c.set(c.get().saturating_add(1)));
        ProcessorCall
    }

    /// [`enter`](Self::enter), unless this thread is already
    /// [`MAX_PROCESSOR_NESTING`](nesting::MAX_PROCESSOR_NESTING) calls deep.
    #[inline]
    fn enter_bounded() -> Option<Self> {
        IN_PROCESSOR_CALL.with(|c| {
            let depth = c.get();
            (depth < nesting::MAX_PROCESSOR_NESTING).then(|| {
                c.set(depth + 1);
                ProcessorCall
            })
        })
    }
}

impl Drop for ProcessorCall {
    #[inline]
    fn drop(&mut self) {
        IN_PROCESSOR_CALL.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

#[inline]
fn guarded(p: &dyn TracingProcessor, f: impl FnOnce(&dyn TracingProcessor)) {
    let Some(_call) = ProcessorCall::enter_bounded() else {
        return nesting::skip();
    };
    if let Err(panic) = isolate(|| f(p)) {
        // Logged inside the mark: the line is the dispatcher's, not the application's.
        panics::count_and_log(&panic);
    }
}

/// Flushes the global processor (Python's `flush_traces()`): returns once what was
/// recorded so far is exported, or when `timeout` passes. Works even when tracing is
/// disabled, as in Python. Scoped processors are not flushed: flush them through the
/// handle you set them with.
pub fn force_flush(timeout: Option<Duration>) -> Result<(), ProcessorError> {
    match slot::read() {
        Some(p) => call_guarded(|| p.force_flush(timeout)),
        None => Ok(()),
    }
}

/// Shuts down the global processor within `timeout`: what is queued is exported,
/// workers stop (scoped processors are the caller's to shut down). The processor stays installed; later events are counted as dropped by
/// processors that count.
pub fn shutdown(timeout: Option<Duration>) -> Result<(), ProcessorError> {
    match slot::read() {
        Some(p) => call_guarded(|| p.shutdown(timeout)),
        None => Ok(()),
    }
}

fn call_guarded(f: impl FnOnce() -> Result<(), ProcessorError>) -> Result<(), ProcessorError> {
    let _call = ProcessorCall::enter();
    isolate(f).unwrap_or_else(|panic| {
        panics::count();
        Err(ProcessorError::Panicked(panic.into_message()))
    })
}

const UNKNOWN: u8 = 0;
const ENABLED: u8 = 1;
const DISABLED: u8 = 2;
static DISABLED_STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Turns tracing off (or back on) for the whole process. Overrides
/// `OPENAI_AGENTS_DISABLE_TRACING`. While off, traces and spans are no-ops: no processor
/// sees them.
pub fn set_tracing_disabled(disabled: bool) {
    DISABLED_STATE.store(if disabled { DISABLED } else { ENABLED }, Ordering::Release);
}

/// Whether tracing is off. The first call reads `OPENAI_AGENTS_DISABLE_TRACING`
/// (`true` or `1`, any case, mean off; nothing is trimmed, so `" true"` leaves tracing on,
/// as in Python), unless [`set_tracing_disabled`] was called before.
#[inline]
pub fn is_tracing_disabled() -> bool {
    match DISABLED_STATE.load(Ordering::Acquire) {
        ENABLED => false,
        DISABLED => true,
        _ => init_disabled_from_env(),
    }
}

#[cold]
fn init_disabled_from_env() -> bool {
    let off = std::env::var("OPENAI_AGENTS_DISABLE_TRACING").is_ok_and(|v| disables(&v));
    let state = if off { DISABLED } else { ENABLED };
    // A concurrent `set_tracing_disabled` wins.
    match DISABLED_STATE.compare_exchange(UNKNOWN, state, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => off,
        Err(current) => current == DISABLED,
    }
}

/// Whether `OPENAI_AGENTS_DISABLE_TRACING=value` turns tracing off: Python's
/// `value.lower() in ("true", "1")`, untrimmed.
fn disables(value: &str) -> bool {
    value.eq_ignore_ascii_case("true") || value == "1"
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_disable_variable_is_read_as_python_reads_it() {
        for off in ["true", "TRUE", "True", "1"] {
            assert!(super::disables(off), "{off:?}");
        }
        // Python neither trims nor accepts other spellings.
        for on in ["", "false", "0", " true", "true ", "true\r", "yes", "on", "01"] {
            assert!(!super::disables(on), "{on:?}");
        }
    }
}
