//! The worker thread: takes items out of the queue and hands them to the exporter in
//! batches, answers flush and shutdown requests.
//!
//! It hands batches to its export helpers (`lanes`) when more than one export may run at
//! once and it is behind (see `Worker::behind`). It sleeps on the control, wake-up and
//! helper-report channels with a timeout set to the next scheduled export, so it runs only
//! when there is something to do: eight full batches are queued (with
//! `export_on_full_batch`), the queue reached the trigger size, the schedule delay passed,
//! a helper returned, or a flush or shutdown arrived.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::select;
use trace_core::panic::isolate;
use trace_core::{ExportItem, ProcessorError};

use crate::config::{BatchConfig, FreeExported, DEFAULT_DROP_TIMEOUT};
use crate::lanes::Lanes;
use crate::lifecycle::State;
use crate::queue::{Control, Reply, ShutdownRequest, WorkerEnds};
#[cfg(test)]
use crate::shared::fault;
use crate::shared::{add, Shared};

/// The name of the worker thread, as seen in debuggers and `top -H`.
pub const WORKER_THREAD_NAME: &str = "trace-batch-worker";

/// The worker's state; lives on the worker thread.
pub(crate) struct Worker {
    ends: WorkerEnds,
    shared: Arc<Shared>,
    max_batch: usize,
    trigger: usize,
    /// How much must still be queued behind a batch for a helper to take it, outside a
    /// flush or the shutdown (`BatchConfig::hand_off_size`), so that a second export
    /// starts only when the worker alone is falling behind.
    hand_off_at: usize,
    /// Export full batches without waiting for the trigger size (`export_on_full_batch`).
    full_batches: bool,
    delay: Duration,
    free_exported_on: FreeExported,
    batch: Vec<ExportItem>,
    /// Items the worker took out of the queue so far (`counters.taken` also counts those
    /// the caller of `shutdown` abandoned: they must not satisfy a flush).
    taken: u64,
    /// Pending flushes: answered once `taken` reaches the target and that batch returned.
    flushes: Vec<(u64, Reply)>,
    shutdown: Option<ShutdownRequest>,
    /// A shutdown request was accepted: flushes that arrive after it are answered at the
    /// end of the final drain, with its outcome (what they wait for is the final drain's
    /// to export or abandon).
    final_drain: bool,
    next_export: Instant,
    /// The export helpers, when more than one export may run at once.
    lanes: Lanes,
}

/// `delay` from now; a year from now if the delay is too large for the clock.
fn later(delay: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(delay).or_else(|| now.checked_add(Duration::from_secs(365 * 86_400))).unwrap_or(now)
}

/// Whether the worker exports everything queued now: the schedule is due or the queue
/// reached the trigger size. Besides, `serve` exports the full batches when
/// `export_on_full_batch` is on, and a flush or the shutdown exports what they wait for.
fn export_due(now: Instant, next_export: Instant, queued: usize, trigger: usize) -> bool {
    now >= next_export || queued >= trigger
}

impl Worker {
    pub(crate) fn new(ends: WorkerEnds, shared: Arc<Shared>, config: &BatchConfig) -> Self {
        let lanes = Lanes::new(
            config.max_concurrent_exports(),
            Arc::clone(&shared),
            ends.release.clone(),
            config.free_exported_on(),
        );
        Self {
            ends,
            shared,
            max_batch: config.max_batch_size(),
            trigger: config.export_trigger_size(),
            hand_off_at: config.hand_off_size(),
            full_batches: config.export_on_full_batch(),
            delay: config.schedule_delay(),
            free_exported_on: config.free_exported_on(),
            batch: Vec::with_capacity(config.max_batch_size()),
            taken: 0,
            flushes: Vec::new(),
            shutdown: None,
            final_drain: false,
            next_export: later(config.schedule_delay()),
            lanes,
        }
    }

    /// The worker thread's body: serves until a shutdown request has been served. If its
    /// loop ends any other way (a panic escaped it: a bug), the worker accounts for
    /// everything it held or that is still queued as lost, answers whoever waits, and
    /// marks itself dead, so that nothing waits for it for ever and producers drop (and
    /// count) what they offer afterwards.
    pub(crate) fn run(mut self) {
        self.shared.mark_exporting_thread();
        let outcome = isolate(|| self.serve());
        if self.shared.lifecycle.state() != State::Exited {
            let reason = match outcome {
                Err(panic) => format!("it panicked: {panic}"),
                Ok(()) => "its loop ended without a final export".to_owned(),
            };
            self.die(reason);
        }
    }

    /// The worker's loop; returns after a shutdown request has been served.
    fn serve(&mut self) {
        loop {
            if let Some(request) = self.shutdown.take() {
                self.finish(request);
                return;
            }
            let now = Instant::now();
            let queued = self.ends.data.len();
            if export_due(now, self.next_export, queued, self.trigger) {
                // As Python's `_export_batches`: once started, export until the queue is
                // empty, items that arrive meanwhile included, so a steady flow close to
                // the exporter's speed never piles up to the queue's size. (A flush, by
                // contrast, waits only for what was queued before it.)
                self.drain(u64::MAX);
                self.next_export = later(self.delay);
                continue;
            }
            if self.full_batches && queued >= self.max_batch {
                // The full batches only: a partial one waits for the trigger size or the
                // schedule (which is not moved), as it would in Python.
                let full = queued - queued % self.max_batch;
                self.drain(self.taken + full as u64);
                continue;
            }
            self.wait(self.next_export - now);
            self.fault_point(1);
            if !self.flushes.is_empty() {
                self.drain(self.taken);
            }
        }
    }

    /// Test-only: panics here if the test asked for a fault at `point`.
    #[inline]
    fn fault_point(&self, point: u8) {
        #[cfg(test)]
        if matches!(self.shared.fault.load(Ordering::Acquire), f if f == point || f == fault::ANY) {
            panic!("injected worker fault at point {point}");
        }
        let _ = point;
    }

    /// Sleeps until a control message, a wake-up token, a helper's report or the timeout.
    fn wait(&mut self, timeout: Duration) {
        select! {
            recv(self.ends.control) -> msg => match msg {
                Ok(control) => self.accept(control),
                Err(_) => self.orphaned(),
            },
            recv(self.ends.wake) -> msg => if msg.is_err() {
                self.orphaned();
            },
            recv(self.lanes.reports()) -> msg => if let Ok(done) = msg {
                self.lanes.settle(done);
                self.answer_flushes();
            },
            default(timeout) => self.ends.release.clear(),
        }
    }

    /// Every sender is gone and no shutdown request came. The processor's `Drop` sends one
    /// first, so this is a safety net: export what is left (within the default drop
    /// timeout) and stop rather than spin on closed channels.
    fn orphaned(&mut self) {
        if self.shutdown.is_none() {
            let deadline = Some(Instant::now() + DEFAULT_DROP_TIMEOUT);
            self.shutdown = Some(ShutdownRequest { deadline, done: None });
        }
    }

    fn accept(&mut self, control: Control) {
        match control {
            Control::Flush(reply) => {
                // Everything queued before the flush was asked for is either taken (in
                // `taken`) or still in the queue (in `len`).
                let target = if self.final_drain { u64::MAX } else { self.taken + self.ends.data.len() as u64 };
                self.flushes.push((target, reply));
            }
            Control::Shutdown(request) => {
                self.final_drain = true;
                if self.shutdown.is_none() {
                    self.shutdown = Some(request);
                }
            }
        }
    }

    fn poll_control(&mut self) {
        while let Ok(control) = self.ends.control.try_recv() {
            self.accept(control);
        }
    }

    /// Exports until `target` items have been taken in all (or the pending flushes' targets,
    /// if further), in batches; stops early when a shutdown request arrives.
    fn drain(&mut self, mut target: u64) {
        loop {
            self.poll_control();
            self.lanes.poll();
            if self.shutdown.is_some() {
                break;
            }
            target = self.flushes.iter().map(|f| f.0).fold(target, u64::max);
            if self.taken >= target {
                break;
            }
            let want = usize::try_from(target - self.taken).unwrap_or(usize::MAX).min(self.max_batch);
            let start = self.taken;
            if self.take(want) == 0 {
                break;
            }
            self.fault_point(2);
            self.export(start);
            self.answer_flushes();
        }
        self.answer_flushes();
    }

    /// Takes up to `n` items out of the queue into the batch; returns how many.
    fn take(&mut self, n: usize) -> usize {
        while self.batch.len() < n {
            match self.ends.data.try_recv() {
                Ok(item) => self.batch.push(item),
                Err(_) => break,
            }
        }
        let got = self.batch.len();
        self.taken += got as u64;
        add(&self.shared.counters.taken, got as u64);
        got
    }

    /// Hands the batch, whose first item is at queue position `start`, to the exporter
    /// and empties it: to an export helper if one has room and the worker is behind
    /// (see [`behind`](Self::behind)), on this thread otherwise. First it waits for the
    /// helpers' batches that hold the start of a trace this batch has items of: no span
    /// reaches the exporter before its trace.
    fn export(&mut self, start: u64) {
        if !self.redact() {
            return;
        }
        self.lanes.wait_for_traces_of(&self.batch);
        // A flush or the shutdown that came since the drain's last look counts now.
        self.poll_control();
        if self.lanes.has_room() && self.behind() && self.lanes.hand_off(&mut self.batch, start) {
            return;
        }
        self.shared.export_batch(&mut self.batch, &self.ends.release, self.free_exported_on);
    }

    /// Whether a second export is worth its cost: while a flush or the shutdown waits,
    /// whenever anything is queued behind the batch; otherwise only when `hand_off_at`
    /// items still are, so that the worker alone is falling behind. (Each hand-off wakes a
    /// helper, and each request a helper sends wakes the server on another core: at
    /// 400,000 spans/s, which one export at a time keeps up with, handing off whenever
    /// anything was queued cost up to a third more CPU than one export at a time, the
    /// loopback server's included.)
    fn behind(&self) -> bool {
        let queued = self.ends.data.len();
        if self.final_drain || !self.flushes.is_empty() {
            queued > 0
        } else {
            queued >= self.hand_off_at
        }
    }

    /// Runs the redactor over the batch, if there is one: counts the items it changed,
    /// and as lost to a panic those it panicked on (they are dropped, never exported
    /// unredacted). Returns whether anything is left to export.
    fn redact(&mut self) -> bool {
        let Some(redactor) = &self.shared.redactor else { return true };
        let outcome = redactor.redact_batch(&mut self.batch);
        let counters = &self.shared.counters;
        add(&counters.redacted, outcome.changed as u64);
        // The part first, so that a concurrent `stats()` never sees it exceed the total.
        add(&counters.lost_to_panics, outcome.removed as u64);
        add(&counters.lost, outcome.removed as u64);
        !self.batch.is_empty()
    }

    /// Answers the flushes whose items are all settled: taken, and exported or lost (none
    /// of them in a batch a helper still holds).
    fn answer_flushes(&mut self) {
        let taken = self.lanes.settled_through(self.taken);
        self.flushes.retain(|(target, reply)| {
            if *target <= taken {
                let _ = reply.try_send(Ok(()));
                false
            } else {
                true
            }
        });
    }

    /// The final drain: exports everything queued until the queue is empty or the deadline
    /// passes (what is left then is abandoned), then shuts the exporter down and reports
    /// the outcome to whoever waits.
    fn finish(&mut self, request: ShutdownRequest) {
        self.final_drain = true;
        let mut past_deadline = false;
        let abandoned = loop {
            self.poll_control();
            self.lanes.poll();
            // Flushes whose items have all been exported.
            self.answer_flushes();
            if request.deadline.is_some_and(|d| Instant::now() >= d) {
                past_deadline = true;
                break self.shared.abandon(&self.ends.data);
            }
            let start = self.taken;
            if self.take(self.max_batch) == 0 {
                // Nothing left: nothing abandoned, unless the caller of `shutdown` did it
                // at its deadline while an export was in flight.
                break self.shared.lifecycle.seal_abandoned();
            }
            self.export(start);
        };
        // Past the deadline, the exporter is shut down first, so that the helpers' exports
        // in flight give up soon (as a caller waiting for the shutdown does at its
        // deadline); otherwise they return (bounded by the exporter's own timeouts) before
        // it is shut down. Either way the helpers stop, and the flushes their batches
        // completed are answered as such.
        if past_deadline {
            self.shared.shut_down_exporter();
        }
        self.lanes.close();
        self.answer_flushes();
        self.ends.release.clear();
        self.shared.shut_down_exporter();
        self.log_totals();
        let outcome = if abandoned == 0 { Ok(()) } else { Err(ProcessorError::Abandoned { items: abandoned }) };
        // Gone before anyone hears of it, so that what reaches the queue from now on is
        // counted as dropped after shutdown.
        self.shared.lifecycle.exited();
        // Flushes still waiting: their items were abandoned at the deadline, or they came
        // during the final drain.
        for (_, reply) in self.flushes.drain(..) {
            let _ = reply.try_send(outcome.clone());
        }
        if let Some(done) = request.done {
            let _ = done.try_send(outcome);
        }
    }

    /// The loop ended without a final drain (see [`run`](Self::run)). Counts what the
    /// worker held and what is queued as lost, shuts the exporter down, answers every
    /// request, then marks the worker dead.
    fn die(&mut self, reason: String) {
        log::error!(
            "tracing batch processor's worker thread died ({reason}); queued items are lost and later ones dropped. \
             This is a bug, please report it"
        );
        // The helpers' batches in flight are settled (counted by the helpers) first, so
        // that what follows counts only what the worker itself held.
        self.lanes.close();
        let shared = Arc::clone(&self.shared);
        let (data, batch) = (&self.ends.data, &mut self.batch);
        // Producers stop queueing (what they offer from now on is dropped and counted),
        // then what is left is counted, before anyone hears of the death.
        shared.lifecycle.died(reason, || {
            let c = &shared.counters;
            // What is queued, taken under the abandonment lock so that a caller of
            // `shutdown` abandoning at the same time does not count the same items.
            let queued = shared.lifecycle.with_abandon_lock(|| {
                let mut n = 0u64;
                while data.try_recv().is_ok() {
                    n += 1;
                }
                n
            });
            add(&c.taken, queued);
            // What was taken and never settled: the batch in hand (exported and lost are
            // added up before the batch is emptied, so nothing is counted twice).
            let taken = c.taken.load(Ordering::Acquire);
            let settled = c.exported.load(Ordering::Acquire) + c.lost.load(Ordering::Acquire);
            let lost = taken.saturating_sub(settled);
            batch.clear();
            // The part first, so that a concurrent `stats()` never sees it exceed the total.
            add(&c.lost_worker_died, lost);
            add(&c.lost, lost);
        });
        shared.shut_down_exporter();
        let error = shared.death_error();
        self.poll_control();
        for (_, reply) in self.flushes.drain(..) {
            let _ = reply.try_send(Err(error.clone()));
        }
        if let Some(done) = self.shutdown.take().and_then(|r| r.done) {
            let _ = done.try_send(Err(error));
        }
    }

    fn log_totals(&self) {
        let c = &self.shared.counters;
        let full = self.shared.drops.queue_full.load(Ordering::Acquire);
        let lost = c.lost.load(Ordering::Acquire);
        let exported = c.exported.load(Ordering::Acquire);
        // Losses the exporter reported itself (no API key) do not call for a warning here.
        let unlogged = c.lost_unlogged.load(Ordering::Acquire);
        if full > 0 || lost > unlogged {
            log::warn!(
                "tracing batch processor shut down: {exported} items exported, {full} dropped because the queue \
                 was full, {lost} lost to exporter failures or the shutdown deadline"
            );
        } else {
            log::debug!("tracing batch processor shut down: {exported} items exported");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_is_due_on_schedule_or_at_the_trigger_size_only() {
        let now = Instant::now();
        let later = now + Duration::from_secs(5);
        assert!(!export_due(now, later, 49, 50), "below the trigger, before the schedule");
        assert!(export_due(now, later, 50, 50), "at the trigger");
        assert!(export_due(later, later, 0, 50), "on schedule, even with an empty queue");
        assert!(export_due(later + Duration::from_millis(1), later, 3, 50), "past the schedule");
    }
}

#[cfg(test)]
mod free_exported_tests {
    use std::sync::{Arc, Weak};
    use std::time::Duration;

    use trace_core::TracingProcessor;
    use trace_core::{CustomSpanData, ExportError, ExportItem, Span, SpanId, Trace, TraceId, TracingExporter};

    use crate::{BatchTraceProcessor, FreeExported};

    /// Keeps nothing of what it exports.
    struct Discard;

    impl TracingExporter for Discard {
        fn export(&self, _: &[ExportItem]) -> Result<(), ExportError> {
            Ok(())
        }
    }

    /// Ends one span through a processor with `setting`, flushes, and says whether the span
    /// is still allocated then (waiting on the release channel for a producer to free it).
    fn still_allocated_after_flush(setting: FreeExported) -> bool {
        let p = BatchTraceProcessor::builder(Discard).free_exported_on(setting).build().unwrap();
        let trace = Arc::new(Trace::new(TraceId::generate(), "free"));
        let span = Arc::new(Span::new(SpanId::generate(), trace, None, CustomSpanData::default()));
        let weak: Weak<Span> = Arc::downgrade(&span);
        p.on_span_end(&span);
        drop(span);
        // The flush returns after the export returned, and the export's batch is disposed
        // of (freed or handed back) before the flush is answered.
        p.force_flush(Some(Duration::from_secs(30))).unwrap();
        let alive = weak.upgrade().is_some();
        p.shutdown(Some(Duration::from_secs(30))).unwrap();
        assert!(weak.upgrade().is_none(), "freed by the shutdown at the latest");
        alive
    }

    #[test]
    fn exported_spans_are_freed_by_the_producers_or_by_the_worker_as_configured() {
        assert!(still_allocated_after_flush(FreeExported::Producers), "handed back for a producer to free");
        assert!(!still_allocated_after_flush(FreeExported::Worker), "freed on the worker after the export");
    }
}
