//! The global processor registry and the tracing on/off switch.
//!
//! One processor is installed at a time (install a fan-out, such as `trace-multi`'s, for
//! several). Nothing is spawned or read from the environment until first use:
//! `OPENAI_AGENTS_DISABLE_TRACING` is read once, lazily, the first time a trace or span is
//! created or a flush is asked for.
//!
//! The hot path (every span start and end) reads the installed processor through a
//! per-thread [`cache`] checked against a global generation number: one atomic load and a
//! thread-local access, no lock and no shared reference count.
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
mod retire;

pub use retire::{retire, RETIRE_THREAD_NAME};

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::error::ProcessorError;
use crate::panic::{isolate, Panicked};
use crate::processor::TracingProcessor;
use crate::rate_limit::LogRateLimiter;
use cache::{Generation, LocalCache};

type Shared = Arc<dyn TracingProcessor>;

static SLOT: RwLock<Option<Shared>> = RwLock::new(None);
/// Bumped after every change of `SLOT`; per-thread caches compare against it.
static GENERATION: Generation = Generation::new();
/// Whether a user ever installed (or cleared) the processor explicitly.
static USER_SET: AtomicBool = AtomicBool::new(false);
static PANICS: AtomicU64 = AtomicU64::new(0);
static PANIC_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

thread_local! {
    static CACHE: LocalCache<Option<Shared>> = const { LocalCache::new() };
}

fn read_slot() -> Option<Shared> {
    SLOT.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn write_slot(p: Option<Shared>) -> Option<Shared> {
    let old = std::mem::replace(&mut *SLOT.write().unwrap_or_else(|e| e.into_inner()), p);
    GENERATION.bump();
    old
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
    USER_SET.store(true, Ordering::Release);
    write_slot(Some(processor))
}

/// Removes the global processor: traces and spans are still created (and still
/// current), but nobody receives them. Returns the processor that was installed, as
/// [`set_trace_processor`] does.
pub fn clear_trace_processor() -> Option<Arc<dyn TracingProcessor>> {
    USER_SET.store(true, Ordering::Release);
    write_slot(None)
}

/// The installed processor, if any.
pub fn trace_processor() -> Option<Arc<dyn TracingProcessor>> {
    read_slot()
}

/// Installs the processor `make` builds, unless a user already installed or cleared one.
/// `make` runs at most once per call and only when it is needed. Returns whether it was
/// installed. This is how a default pipeline gets registered on first use.
pub fn install_default_processor(make: impl FnOnce() -> Arc<dyn TracingProcessor>) -> bool {
    if USER_SET.load(Ordering::Acquire) {
        return false;
    }
    let mut slot = SLOT.write().unwrap_or_else(|e| e.into_inner());
    if USER_SET.load(Ordering::Acquire) || slot.is_some() {
        return false;
    }
    *slot = Some(make());
    drop(slot);
    GENERATION.bump();
    true
}

/// Whether a user installed or cleared the global processor explicitly.
pub fn trace_processor_set_by_user() -> bool {
    USER_SET.load(Ordering::Acquire)
}

/// Calls `f` with the installed processor, if any. Panics in `f` are caught, counted and
/// logged (rate-limited): a processor can never unwind into the user's code.
#[inline]
pub(crate) fn dispatch(f: impl FnOnce(&dyn TracingProcessor)) {
    cache::with(&CACHE, &GENERATION, 0, read_slot, |p| {
        if let Some(p) = p {
            guarded(&**p, f);
        }
    });
}

#[inline]
fn guarded(p: &dyn TracingProcessor, f: impl FnOnce(&dyn TracingProcessor)) {
    if let Err(panic) = isolate(|| f(p)) {
        count_panic(&panic);
    }
}

/// Counts a processor panic caught on the span path or on `trace-retire`, and logs it
/// (rate-limited).
#[cold]
fn count_panic(panic: &Panicked) {
    PANICS.fetch_add(1, Ordering::Relaxed);
    if let Some(suppressed) = PANIC_LOG.check() {
        log::error!(
            "trace processor panicked: {panic} ({suppressed} more panics since the last report); the event was skipped"
        );
    }
}

/// How many processor panics the registry caught since the process started.
pub fn processor_panics() -> u64 {
    PANICS.load(Ordering::Relaxed)
}

/// Flushes the installed processor (Python's `flush_traces()`): returns once what was
/// recorded so far is exported, or when `timeout` passes. Works even when tracing is
/// disabled, as in Python.
pub fn force_flush(timeout: Option<Duration>) -> Result<(), ProcessorError> {
    match read_slot() {
        Some(p) => call_guarded(|| p.force_flush(timeout)),
        None => Ok(()),
    }
}

/// Shuts down the installed processor within `timeout`: what is queued is exported,
/// workers stop. The processor stays installed; later events are counted as dropped by
/// processors that count.
pub fn shutdown(timeout: Option<Duration>) -> Result<(), ProcessorError> {
    match read_slot() {
        Some(p) => call_guarded(|| p.shutdown(timeout)),
        None => Ok(()),
    }
}

fn call_guarded(f: impl FnOnce() -> Result<(), ProcessorError>) -> Result<(), ProcessorError> {
    isolate(f).unwrap_or_else(|panic| {
        PANICS.fetch_add(1, Ordering::Relaxed);
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
/// (`true` or `1`, any case, mean off), unless [`set_tracing_disabled`] was called before.
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
    let off = std::env::var("OPENAI_AGENTS_DISABLE_TRACING")
        .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1"))
        .unwrap_or(false);
    let state = if off { DISABLED } else { ENABLED };
    // A concurrent `set_tracing_disabled` wins.
    match DISABLED_STATE.compare_exchange(UNKNOWN, state, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => off,
        Err(current) => current == DISABLED,
    }
}
