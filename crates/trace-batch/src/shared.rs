//! What the processor, its worker and the worker's export helpers share: the exporter,
//! the lifecycle, the counters, and the one routine that hands a batch to the exporter
//! and accounts for the outcome.

use std::cell::Cell;
#[cfg(test)]
use std::sync::atomic::AtomicU8;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Receiver;
use trace_core::panic::isolate;
use trace_core::rate_limit::LogRateLimiter;
use trace_core::redact::Redactor;
use trace_core::{ExportItem, ProcessorError, TracingExporter};

use crate::config::FreeExported;
use crate::lifecycle::{Lifecycle, State};
use crate::queue::Release;
use crate::stats::{DropCounters, Padded, WorkerCounters};

thread_local! {
    /// On a processor's worker or export helper: the address of its [`Shared`] (0
    /// elsewhere), so that a flush or shutdown its exporter calls there is recognised and
    /// refused or deferred rather than left waiting for the thread's own export.
    static EXPORTING_FOR: Cell<usize> = const { Cell::new(0) };
}

/// How often failures of the exporter are logged, at most.
const EXPORT_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What the processor and its worker share.
pub(crate) struct Shared {
    pub(crate) exporter: Arc<dyn TracingExporter>,
    /// Whether [`shut_down_exporter`](Self::shut_down_exporter) calls the exporter's
    /// `shutdown` (`BatchConfig::shuts_down_exporter`).
    owns_exporter: bool,
    /// Rewrites each batch before the exporter sees it, on the worker.
    pub(crate) redactor: Option<Redactor>,
    /// Read by every producer; on cache lines of its own.
    pub(crate) lifecycle: Padded<Lifecycle>,
    pub(crate) drops: Padded<DropCounters>,
    pub(crate) counters: Padded<WorkerCounters>,
    /// Limits the warnings about failed exports, whichever thread made the export.
    export_log: LogRateLimiter,
    /// Test-only fault injection: makes the worker's loop panic at a chosen point.
    #[cfg(test)]
    pub(crate) fault: AtomicU8,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("redactor", &self.redactor)
            .field("lifecycle", &self.lifecycle)
            .field("drops", &self.drops)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::AcqRel);
}

impl Shared {
    pub(crate) fn new(exporter: Arc<dyn TracingExporter>, redactor: Option<Redactor>, owns_exporter: bool) -> Self {
        Self {
            exporter,
            owns_exporter,
            redactor,
            lifecycle: Padded::default(),
            drops: Padded::default(),
            counters: Padded::default(),
            export_log: LogRateLimiter::new(EXPORT_LOG_INTERVAL),
            #[cfg(test)]
            fault: AtomicU8::new(fault::NONE),
        }
    }

    /// Marks this thread as one that calls this processor's exporter (its worker or an
    /// export helper), for [`on_exporting_thread`](Self::on_exporting_thread).
    pub(crate) fn mark_exporting_thread(&self) {
        EXPORTING_FOR.with(|t| t.set(std::ptr::from_ref(self) as usize));
    }

    /// Whether this is this processor's worker or one of its export helpers: where the
    /// exporter runs, and where waiting for the worker would wait for itself. (The
    /// worker's join handle cannot tell: a shutdown takes it.)
    pub(crate) fn on_exporting_thread(&self) -> bool {
        EXPORTING_FOR.with(Cell::get) == std::ptr::from_ref(self) as usize
    }

    /// Hands `batch` to the exporter, counts the outcome, and empties the batch (its
    /// spans handed back to the producers through `release`, or freed here, as
    /// `free_on` says). Runs on the worker or on one of its export helpers.
    pub(crate) fn export_batch(&self, batch: &mut Vec<ExportItem>, release: &Release, free_on: FreeExported) {
        let n = batch.len();
        let exporter = &self.exporter;
        let outcome = isolate(|| exporter.export(batch));
        let counters = &self.counters;
        add(&counters.batches, 1);
        let failed = !matches!(outcome, Ok(Ok(())));
        let panicked = outcome.is_err();
        let lost = match outcome {
            Ok(Ok(())) => 0,
            Ok(Err(e)) if !e.should_log() => {
                // Reported once by the exporter already (no API key, say): counted only.
                log::debug!("tracing exporter did not export {n} items: {e}");
                let lost = e.lost_items(n);
                add(&counters.lost_unlogged, lost as u64);
                lost
            }
            Ok(Err(e)) => {
                let lost = e.lost_items(n);
                if let Some(suppressed) = self.export_log.check() {
                    log::warn!(
                        "[non-fatal] tracing exporter failed; {lost} of {n} items lost: {e} \
                         ({suppressed} more failures since the last report)"
                    );
                }
                lost
            }
            Err(panic) => {
                if let Some(suppressed) = self.export_log.check() {
                    log::error!(
                        "[non-fatal] tracing exporter panicked; dropping batch of {n} items: {panic} \
                         ({suppressed} more failures since the last report)"
                    );
                }
                n
            }
        };
        if failed {
            add(&counters.failed_batches, 1);
        }
        add(&counters.exported, (n - lost) as u64);
        // The parts first, so that a concurrent `stats()` never sees them exceed the total.
        if panicked {
            add(&counters.lost_to_panics, lost as u64);
        }
        add(&counters.lost, lost as u64);
        match free_on {
            // The producers drop the items, on the threads that allocated them.
            FreeExported::Producers => release.give_back(batch),
            FreeExported::Worker => batch.clear(),
        }
    }

    /// Calls the exporter's `shutdown` once, whoever asks first (the worker at the end of
    /// its final drain or at its death, or a caller whose shutdown deadline passed), if
    /// the processor owns its exporter; a shared one is left running.
    /// A panic in the exporter's `shutdown` is caught and logged: it must neither kill the
    /// worker before it reports its final drain nor unwind into a caller of `shutdown`.
    pub(crate) fn shut_down_exporter(&self) {
        if self.lifecycle.claim_exporter_shutdown() && self.owns_exporter {
            if let Err(panic) = isolate(|| self.exporter.shutdown()) {
                log::error!("[non-fatal] tracing exporter panicked in shutdown: {panic}");
            }
        }
    }

    /// The shutdown deadline passed: takes what is left in `queue` without exporting it
    /// and counts it as lost at the deadline. Done once, by the worker or by the caller of
    /// `shutdown`, whoever comes first; returns how many items that was.
    pub(crate) fn abandon(&self, queue: &Receiver<ExportItem>) -> u64 {
        self.lifecycle.abandon_once(|| {
            let mut abandoned = 0u64;
            while queue.try_recv().is_ok() {
                abandoned += 1;
            }
            if abandoned > 0 {
                let c = &self.counters;
                add(&c.taken, abandoned);
                // The part first, so that a concurrent `stats()` never sees it exceed the total.
                add(&c.lost_at_deadline, abandoned);
                add(&c.lost, abandoned);
                log::warn!(
                    "[non-fatal] tracing: shutdown deadline reached; {abandoned} queued items were not exported"
                );
            }
            abandoned
        })
    }

    /// The outcome of a flush or shutdown asked of a worker that is gone: `Ok` after a
    /// complete final drain, [`ProcessorError::Abandoned`] if its deadline abandoned items,
    /// [`ProcessorError::WorkerDied`] if it died.
    pub(crate) fn outcome_of_gone_worker(&self) -> Result<(), ProcessorError> {
        match self.lifecycle.state() {
            State::Died => Err(self.death_error()),
            State::Exited => match self.lifecycle.abandoned() {
                0 => Ok(()),
                items => Err(ProcessorError::Abandoned { items }),
            },
            // The channel closed although the worker did not say it was gone.
            _ => Err(ProcessorError::WorkerUnavailable("the worker thread stopped unexpectedly".to_owned())),
        }
    }

    /// The error that tells of the worker's death.
    pub(crate) fn death_error(&self) -> ProcessorError {
        // The reason first: reading it waits until the death is settled, and only then is
        // the count of what the worker left behind final.
        let reason = self.lifecycle.death_reason();
        ProcessorError::WorkerDied { items: self.counters.lost_worker_died.load(Ordering::Acquire), reason }
    }
}

/// Where the test-only fault injection makes the worker's loop panic.
#[cfg(test)]
pub(crate) mod fault {
    /// No fault.
    pub(crate) const NONE: u8 = 0;
    /// After the worker woke up (on a control message, a wake-up token or its schedule).
    pub(crate) const AFTER_WAKE: u8 = 1;
    /// With a batch taken out of the queue, before handing it to the exporter.
    pub(crate) const BEFORE_EXPORT: u8 = 2;
    /// At whichever of those points comes next.
    pub(crate) const ANY: u8 = u8::MAX;
}
