//! Counters of what happened to the items offered to a batch processor.

use std::sync::atomic::AtomicU64;

/// A snapshot of a processor's counters; see
/// [`BatchTraceProcessor::stats`](crate::BatchTraceProcessor::stats).
///
/// Every item offered (a trace at its start; again at its end, as an
/// [`ExportItem::TraceEnd`](trace_core::ExportItem::TraceEnd), when the exporter
/// [wants trace ends](trace_core::TracingExporter::wants_trace_ends); a span at its end)
/// is either queued or
/// dropped: `offered() == queued + dropped_queue_full + dropped_after_shutdown`. Every
/// queued item is, once the worker got to it, either exported or lost:
/// `queued == exported + lost + pending`, and `pending` is 0 once the queue is drained
/// (after a [`force_flush`](crate::BatchTraceProcessor::force_flush) with no producer
/// running, after [`shutdown`](crate::BatchTraceProcessor::shutdown) has returned `Ok`, or
/// once the worker is gone: after the final drain, or after its death).
///
/// The counters are read one after the other while producers and the worker run, so a
/// snapshot taken in the middle of the action may be off by the items that moved
/// meanwhile; taken while nothing moves, it is exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchStats {
    /// Items accepted into the queue.
    pub queued: u64,
    /// Items handed to the exporter in a call that returned `Ok`.
    pub exported: u64,
    /// Items refused because the queue was full (the exporter is not keeping up).
    pub dropped_queue_full: u64,
    /// Items refused because the processor was shut down, its worker could not start or
    /// its worker died; also items that reached the queue after the worker's final drain
    /// (a producer racing the shutdown).
    pub dropped_after_shutdown: u64,
    /// Queued items that were not delivered: the exporter returned an error for them
    /// ([`ExportError::lost_items`](trace_core::ExportError::lost_items)) or panicked on
    /// their batch, the shutdown deadline passed before they could be exported, or the
    /// worker died holding them.
    /// `lost == lost_to_exporter_errors() + lost_to_panics + lost_at_deadline + lost_worker_died`.
    pub lost: u64,
    /// Of `lost`: items of batches whose exporter call panicked, and items the
    /// [redactor](crate::BatchTraceProcessorBuilder::redactor) panicked on (dropped, never
    /// exported unredacted).
    pub lost_to_panics: u64,
    /// Of `lost`: items still queued when the shutdown deadline passed, never handed to
    /// the exporter. The same number that `shutdown` (or a `force_flush` waiting on those
    /// items) reported in [`ProcessorError::Abandoned`](trace_core::ProcessorError::Abandoned).
    pub lost_at_deadline: u64,
    /// Of `lost`: items the worker held or that were still queued when the worker thread
    /// died (a panic escaped its loop: a bug, reported by
    /// [`ProcessorError::WorkerDied`](trace_core::ProcessorError::WorkerDied)).
    pub lost_worker_died: u64,
    /// Items the [redactor](crate::BatchTraceProcessorBuilder::redactor) rewrote (at least
    /// one string changed) before they were handed to the exporter; 0 without a redactor.
    pub redacted: u64,
    /// Calls made to the exporter, whatever their outcome.
    pub batches: u64,
    /// Calls to the exporter that returned an error or panicked.
    pub failed_batches: u64,
    /// Queued items not yet exported or lost: waiting in the queue or in the batches being
    /// exported (on the worker or an export helper).
    pub pending: u64,
}

impl BatchStats {
    /// All items offered to the processor: queued or dropped.
    pub fn offered(&self) -> u64 {
        self.queued + self.dropped_queue_full + self.dropped_after_shutdown
    }

    /// All items refused: dropped because the queue was full or after shutdown.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full + self.dropped_after_shutdown
    }

    /// Of [`lost`](Self::lost): items the exporter reported lost in the
    /// [`ExportError`](trace_core::ExportError) it returned (its own statistics may say
    /// why, by reason).
    pub fn lost_to_exporter_errors(&self) -> u64 {
        self.lost - self.lost_to_panics - self.lost_at_deadline - self.lost_worker_died
    }
}

/// Keeps a value on its own cache lines, so that writes to it do not slow down readers
/// of its neighbours. 128 bytes: two lines, as adjacent-line prefetchers pair them.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Counters written by producers, only when they drop an item (never on success).
#[derive(Debug, Default)]
pub(crate) struct DropCounters {
    pub(crate) queue_full: AtomicU64,
    pub(crate) after_shutdown: AtomicU64,
}

/// Counters written by the worker thread and its export helpers (and, for an abandonment
/// at the shutdown deadline, by the caller of `shutdown`); read by `stats()`.
#[derive(Debug, Default)]
pub(crate) struct WorkerCounters {
    /// Items taken out of the queue.
    pub(crate) taken: AtomicU64,
    pub(crate) exported: AtomicU64,
    pub(crate) lost: AtomicU64,
    pub(crate) lost_to_panics: AtomicU64,
    pub(crate) lost_at_deadline: AtomicU64,
    pub(crate) lost_worker_died: AtomicU64,
    pub(crate) redacted: AtomicU64,
    /// Of `lost`: items of batches the exporter reported as not configured (already said
    /// once by the exporter): no warning at shutdown for them.
    pub(crate) lost_unlogged: AtomicU64,
    pub(crate) batches: AtomicU64,
    pub(crate) failed_batches: AtomicU64,
}
