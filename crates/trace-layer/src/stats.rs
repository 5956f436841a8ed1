//! What the layer did, process-wide: [`stats`].

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use trace_core::rate_limit::LogRateLimiter;

static SPANS: AtomicU64 = AtomicU64::new(0);
static TRACES: AtomicU64 = AtomicU64::new(0);
static OUTSIDE: AtomicU64 = AtomicU64::new(0);
static NOT_RECORDED: AtomicU64 = AtomicU64::new(0);
static IGNORED: AtomicU64 = AtomicU64::new(0);
static IN_PROCESSOR: AtomicU64 = AtomicU64::new(0);
static IGNORED_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

/// Counts of what every [`AgentsLayer`](crate::AgentsLayer) of the process did since it
/// started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LayerStats {
    /// `tracing` spans turned into spans of this library (a workflow that became a trace
    /// is counted under `traces_started`).
    pub spans_bridged: u64,
    /// Traces the layer started: for a workflow span, or for a GenAI span with no trace
    /// around it.
    pub traces_started: u64,
    /// Spans chosen by [`record_other_spans`](crate::AgentsLayerBuilder::record_other_spans),
    /// and GenAI or OpenInference spans of an operation with no span type of its own
    /// (`embeddings`, `RETRIEVER`, ...), that were not recorded because no trace was
    /// running around them (as a span made with the library's helpers outside a trace
    /// records nothing).
    pub other_spans_outside_traces: u64,
    /// Field values left out of a span because they were unusable (a message index past
    /// the limit); each is logged, rate-limited.
    pub fields_ignored: u64,
    /// Spans mapped but not recorded because their scope was a no-op: tracing disabled
    /// ([`set_tracing_disabled`](trace_core::set_tracing_disabled)), or the trace around
    /// them finished while a span of it was still current. (Spans of a sampled-out trace
    /// are counted by the sampler, in `trace_core::sampling::sampling_stats`.)
    pub spans_not_recorded: u64,
    /// Spans the layer would have recorded, made inside a processor's own call (see
    /// [`trace_core::registry::in_processor_call`]): a processor's telemetry, not the
    /// application's, and not recorded, so that it cannot feed that processor without end.
    pub spans_in_processor_calls: u64,
}

/// The counts so far.
pub fn stats() -> LayerStats {
    LayerStats {
        spans_bridged: SPANS.load(Ordering::Relaxed),
        traces_started: TRACES.load(Ordering::Relaxed),
        other_spans_outside_traces: OUTSIDE.load(Ordering::Relaxed),
        fields_ignored: IGNORED.load(Ordering::Relaxed),
        spans_not_recorded: NOT_RECORDED.load(Ordering::Relaxed),
        spans_in_processor_calls: IN_PROCESSOR.load(Ordering::Relaxed),
    }
}

pub(crate) fn span_in_processor_call() {
    IN_PROCESSOR.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn span_bridged() {
    SPANS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn span_not_recorded() {
    NOT_RECORDED.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn trace_started() {
    TRACES.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn other_span_outside_trace() {
    OUTSIDE.fetch_add(1, Ordering::Relaxed);
}

thread_local! {
    /// Why a field was left out on this thread since [`log_ignored`] last ran.
    static PENDING: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Counts a field left out; [`log_ignored`] logs it once no span's lock is held.
pub(crate) fn field_ignored(why: &'static str) {
    IGNORED.fetch_add(1, Ordering::Relaxed);
    // During thread-local teardown there is nowhere to keep it: counted only.
    let _ = PENDING.try_with(|p| p.set(Some(why)));
}

/// Logs, rate-limited, a field this thread left out since the last call. Called with no
/// span's extensions locked: with a `log`-to-`tracing` bridge, the line is an event this
/// layer handles, which reads the extensions of the spans around it.
pub(crate) fn log_ignored() {
    let Some(why) = PENDING.try_with(Cell::take).ok().flatten() else { return };
    if let Some(more) = IGNORED_LOG.check() {
        log::warn!(
            "[non-fatal] trace-layer: a field was left out of a span: {why} ({more} more since the last warning)"
        );
    }
}
