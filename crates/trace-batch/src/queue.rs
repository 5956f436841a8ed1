//! The channels between the callers' threads and the worker: the bounded data queue, the
//! one-slot wake-up channel and the control channel for flush and shutdown.
//!
//! The data queue is a crossbeam array channel filled with `try_send`. The worker never
//! blocks on it (a blocked receiver would make every send wake it, a system call per
//! span); it blocks on the control and wake-up channels instead. A producer whose send
//! brings the queue to the wake-up size (`BatchConfig::wake_size`: eight full batches, or
//! the trigger size) puts a token in the one-slot wake-up channel, so the worker is woken
//! once per crossing, not once per item.
//!
//! Exported items travel back to the producers on a small release channel, and a
//! producer drops one each time it offers one (queued or refused). Spans are thus freed on the threads that
//! allocated them: with glibc's malloc, freeing on the worker made every producer `malloc`
//! miss its thread cache and fight the worker for the arena lock (a futex system call
//! per contended span; the whole span cost 430-470 ns instead of about 200 ns here).

use std::time::Instant;

use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TrySendError};
use trace_core::{ExportItem, ProcessorError};

/// Where the worker answers a flush or a shutdown: `Ok`, or what went wrong
/// ([`ProcessorError::Abandoned`] when the shutdown deadline abandoned queued items,
/// [`ProcessorError::WorkerDied`]).
pub(crate) type Reply = Sender<Result<(), ProcessorError>>;

/// A request to the worker, sent on the control channel (unbounded, so a full data queue
/// never blocks it).
#[derive(Debug)]
pub(crate) enum Control {
    /// Export everything queued so far, then answer.
    Flush(Reply),
    /// Export what is queued (until the deadline), stop, and answer on `done`.
    Shutdown(ShutdownRequest),
}

/// The worker's final drain: bounded by `deadline` when there is one.
#[derive(Debug)]
pub(crate) struct ShutdownRequest {
    pub(crate) deadline: Option<Instant>,
    /// Told the outcome of the final drain when the worker is done; `None` when nobody
    /// waits.
    pub(crate) done: Option<Reply>,
}

/// What the callers' threads hold: the sending ends.
#[derive(Debug)]
pub(crate) struct Producer {
    data: Sender<ExportItem>,
    wake: Sender<()>,
    /// The queue length that wakes the worker.
    wake_size: usize,
    pub(crate) control: Sender<Control>,
    /// Exported items, to drop on the producer's thread (see the module docs).
    release: Receiver<ExportItem>,
    /// The data queue's receiving end, on this side too: it keeps the queue connected after
    /// the worker is gone, so that items a producer sends while the worker exits stay
    /// countable (as dropped after shutdown) instead of being discarded by the channel, and
    /// it lets the caller of a `shutdown` whose deadline passed abandon what is queued.
    queued: Receiver<ExportItem>,
}

/// What the worker holds: the receiving ends.
#[derive(Debug)]
pub(crate) struct WorkerEnds {
    pub(crate) data: Receiver<ExportItem>,
    pub(crate) wake: Receiver<()>,
    pub(crate) control: Receiver<Control>,
    pub(crate) release: Release,
}

/// The worker's end of the release channel (its export helpers hold copies).
#[derive(Clone, Debug)]
pub(crate) struct Release {
    tx: Sender<ExportItem>,
    /// To empty the channel when producers have gone quiet.
    rx: Receiver<ExportItem>,
}

impl Release {
    /// Hands exported spans back to the producers; drops the rest here: traces (few) and
    /// what does not fit. The worker does not check whether anyone else still holds a
    /// span: reading the reference count would pull the record's cache line to this core
    /// only for the producer to pull it back (for a span someone else holds, the producer's
    /// drop is a decrement). Not checking made the whole span 2–8 % cheaper (medians of
    /// three sets of 8–10 interleaved pairs).
    pub(crate) fn give_back(&self, items: &mut Vec<ExportItem>) {
        for item in items.drain(..) {
            if matches!(item, ExportItem::Span(_)) {
                if let Err(e) = self.tx.try_send(item) {
                    drop(e.into_inner());
                }
            }
        }
    }

    /// Drops what producers did not take (they stopped producing), on the worker.
    pub(crate) fn clear(&self) {
        while self.rx.try_recv().is_ok() {}
    }
}

/// Why an item was not queued; the item comes back so the caller decides where it is
/// dropped and counted.
pub(crate) enum Refused {
    Full(ExportItem),
    Disconnected(ExportItem),
}

/// The release channel's size: two wake-ups' worth of items (2,048 with the defaults), at
/// most the queue's capacity. Each slot costs 24 bytes whether used or not, and a drain
/// longer than that is rare; what does not fit is freed on the worker.
fn release_capacity(capacity: usize, wake_size: usize) -> usize {
    wake_size.saturating_mul(2).clamp(1, capacity.max(1))
}

/// Makes the channels for a queue of `capacity` items that wakes the worker at `wake_size`,
/// and a release channel of [`release_capacity`] items: exported spans that do not fit
/// (a drain longer than two wake-ups) are freed on the worker.
pub(crate) fn channels(capacity: usize, wake_size: usize) -> (Producer, WorkerEnds) {
    let (data_tx, data_rx) = bounded(capacity);
    let (wake_tx, wake_rx) = bounded(1);
    let (control_tx, control_rx) = unbounded();
    let (release_tx, release_rx) = bounded(release_capacity(capacity, wake_size));
    let producer = Producer {
        data: data_tx,
        wake: wake_tx,
        wake_size,
        control: control_tx,
        release: release_rx.clone(),
        queued: data_rx.clone(),
    };
    let release = Release { tx: release_tx, rx: release_rx };
    (producer, WorkerEnds { data: data_rx, wake: wake_rx, control: control_rx, release })
}

impl Producer {
    /// Queues `item` without blocking. On success, wakes the worker if the queue reached
    /// the wake-up size (a failed `try_send` on the full wake-up slot costs no system
    /// call). Whatever the outcome, drops one exported item handed back by the worker, if
    /// there is one: a producer whose items are refused (the queue is full) still frees
    /// what was exported, so exported spans do not pile up in the release channel while
    /// the queue is full (they would double the memory held at the queue's limit).
    #[inline]
    pub(crate) fn offer(&self, item: ExportItem) -> Result<(), Refused> {
        let outcome = match self.data.try_send(item) {
            Ok(()) => {
                // The wake-up is sent only into an empty channel: while the worker has not
                // taken the last one, a send would find the channel full, after a fence.
                if self.data.len() >= self.wake_size && self.wake.is_empty() {
                    let _ = self.wake.try_send(());
                }
                Ok(())
            }
            Err(TrySendError::Full(item)) => Err(Refused::Full(item)),
            Err(TrySendError::Disconnected(item)) => Err(Refused::Disconnected(item)),
        };
        drop(self.release.try_recv());
        outcome
    }

    /// How many items are in the queue now.
    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    /// The queue's receiving end, to abandon what it holds at a shutdown deadline.
    pub(crate) fn queued(&self) -> &Receiver<ExportItem> {
        &self.queued
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use trace_core::{Trace, TraceId};

    /// A refused offer (the queue is full) still frees one exported item.
    #[test]
    fn a_refused_offer_frees_an_exported_item_too() {
        let (producer, worker) = channels(1, 1);
        let trace = Arc::new(Trace::new(TraceId::generate(), "t"));
        assert!(producer.offer(ExportItem::Trace(Arc::clone(&trace))).is_ok());
        let mut exported = vec![ExportItem::Span(Arc::new(trace_core::Span::new(
            trace_core::SpanId::generate(),
            Arc::clone(&trace),
            None,
            trace_core::CustomSpanData::default(),
        )))];
        worker.release.give_back(&mut exported);
        assert_eq!(producer.release.len(), 1);
        assert!(matches!(producer.offer(ExportItem::Trace(trace)), Err(Refused::Full(_))));
        assert_eq!(producer.release.len(), 0, "the refused offer did not free the exported item");
    }

    /// Below the wake-up size no producer wakes the worker; the item that reaches it does.
    #[test]
    fn the_worker_is_woken_at_the_wake_up_size_only() {
        let (producer, worker) = channels(100, 50);
        let trace = Arc::new(Trace::new(TraceId::generate(), "t"));
        for _ in 0..49 {
            assert!(producer.offer(ExportItem::Trace(Arc::clone(&trace))).is_ok());
        }
        assert!(worker.wake.is_empty(), "woken below the wake-up size");
        assert!(producer.offer(ExportItem::Trace(Arc::clone(&trace))).is_ok());
        assert_eq!(worker.wake.len(), 1);
        // One token however many items follow: one wake-up per crossing.
        assert!(producer.offer(ExportItem::Trace(trace)).is_ok());
        assert_eq!(worker.wake.len(), 1);
    }
}
