//! [`BatchTraceProcessor`]: the callers' side (the non-blocking enqueue), flush, shutdown
//! and the counters.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, RecvTimeoutError};
use trace_core::rate_limit::LogRateLimiter;
use trace_core::redact::Redactor;
use trace_core::{ExportItem, ProcessorError, Span, Trace, TracingExporter, TracingProcessor};

use crate::config::{BatchConfig, BatchTraceProcessorBuilder};
use crate::error::ConfigError;
use crate::lifecycle::{lock, Begin, State};
use crate::queue::{channels, Control, Producer, Refused, ShutdownRequest, WorkerEnds};
use crate::shared::Shared;
use crate::stats::{BatchStats, Padded};
use crate::worker::{Worker, WORKER_THREAD_NAME};

/// How often "queue full" and "dropped after shutdown" warnings are logged, at most.
const DROP_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The worker thread, changed under a lock (never on the hot path).
#[derive(Debug)]
struct WorkerThread {
    /// The worker's channel ends until the worker starts.
    ends: Option<WorkerEnds>,
    handle: Option<JoinHandle<()>>,
    /// Why the worker thread could not be spawned, if it could not.
    spawn_error: Option<String>,
}

/// Queues traces (when they start) and spans (when they end) and exports them in batches
/// on a background thread. The Python SDK's `BatchTraceProcessor`.
///
/// - The caller's thread only does a non-blocking `try_send` into a bounded queue; a full
///   queue drops the item and counts it ([`BatchStats::dropped_queue_full`]), with a
///   rate-limited warning.
/// - One worker thread, named [`WORKER_THREAD_NAME`], starts on the first item. It exports
///   full batches once eight are queued (see
///   [`export_on_full_batch`](BatchTraceProcessorBuilder::export_on_full_batch)), and
///   everything queued when the queue reaches the trigger size or when the schedule delay
///   has passed since its last export, in batches of at most `max_batch_size` items, in
///   queue order (the order in which they reach the exporter, too, with one export at a
///   time). Up to
///   [`max_concurrent_exports`](BatchTraceProcessorBuilder::max_concurrent_exports)
///   exports run at once (the exporter's choice by default), the others on helper threads.
/// - An exporter error or panic costs its batch only ([`BatchStats::lost`]).
/// - [`force_flush`](Self::force_flush) and [`shutdown`](Self::shutdown) are served by the
///   worker; their callers wait up to their timeout.
/// - Dropping the processor shuts it down, waiting at most its
///   [`drop_timeout`](BatchTraceProcessorBuilder::drop_timeout) for the final export.
///
/// To install it and keep a handle (for [`stats`](Self::stats) or a flush), share it:
/// `let p = Arc::new(BatchTraceProcessor::new(exporter)); set_trace_processor(Arc::clone(&p));`.
pub struct BatchTraceProcessor {
    /// What every producer reads, on cache lines of its own: nothing else in the
    /// processor is written near it. The lifecycle state it reads (in `shared`) is written
    /// a few times in the processor's life.
    hot: Padded<Hot>,
    // Cold.
    thread: Mutex<WorkerThread>,
    config: BatchConfig,
    full_log: LogRateLimiter,
    closed_log: LogRateLimiter,
}

#[derive(Debug)]
struct Hot {
    shared: Arc<Shared>,
    producer: Producer,
    /// The exporter's [`wants_trace_ends`](TracingExporter::wants_trace_ends), read once.
    trace_ends: bool,
}

impl std::fmt::Debug for BatchTraceProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchTraceProcessor")
            .field("config", &self.config)
            .field("redactor", &self.hot.shared.redactor)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl BatchTraceProcessor {
    /// A processor over `exporter` with the default settings (see [`BatchTraceProcessorBuilder`]).
    pub fn new(exporter: impl TracingExporter) -> Self {
        let exporter: Arc<dyn TracingExporter> = Arc::new(exporter);
        let config = BatchConfig::for_exporter(&*exporter);
        Self::from_parts(exporter, config, None)
    }

    /// Starts configuring a processor over `exporter`.
    pub fn builder(exporter: impl TracingExporter) -> BatchTraceProcessorBuilder {
        BatchTraceProcessorBuilder::new(Arc::new(exporter))
    }

    /// [`builder`](Self::builder) for an exporter that is already shared. The processor
    /// leaves a shared exporter running when it shuts down (see
    /// [`shut_down_exporter`](BatchTraceProcessorBuilder::shut_down_exporter)).
    pub fn builder_shared(exporter: Arc<dyn TracingExporter>) -> BatchTraceProcessorBuilder {
        BatchTraceProcessorBuilder::new(exporter).shut_down_exporter(false)
    }

    pub(crate) fn from_parts(
        exporter: Arc<dyn TracingExporter>,
        config: BatchConfig,
        redactor: Option<Redactor>,
    ) -> Self {
        let (producer, ends) = channels(config.max_queue_size(), config.wake_size());
        Self {
            hot: Padded(Hot {
                trace_ends: exporter.wants_trace_ends(),
                shared: Arc::new(Shared::new(exporter, redactor, config.shuts_down_exporter())),
                producer,
            }),
            thread: Mutex::new(WorkerThread { ends: Some(ends), handle: None, spawn_error: None }),
            config,
            full_log: LogRateLimiter::new(DROP_LOG_INTERVAL),
            closed_log: LogRateLimiter::new(DROP_LOG_INTERVAL),
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &BatchConfig {
        &self.config
    }

    fn shared(&self) -> &Shared {
        &self.hot.shared
    }

    /// What happened to the items offered so far; see [`BatchStats`].
    pub fn stats(&self) -> BatchStats {
        let shared = self.shared();
        let c = &shared.counters;
        let gone = shared.lifecycle.worker_gone();
        let exported = c.exported.load(Ordering::Acquire);
        let lost = c.lost.load(Ordering::Acquire);
        let lost_to_panics = c.lost_to_panics.load(Ordering::Acquire).min(lost);
        let lost_at_deadline = c.lost_at_deadline.load(Ordering::Acquire).min(lost - lost_to_panics);
        let lost_worker_died = c.lost_worker_died.load(Ordering::Acquire).min(lost - lost_to_panics - lost_at_deadline);
        let taken = c.taken.load(Ordering::Acquire);
        let in_queue = self.hot.producer.len() as u64;
        // Once the worker is gone (final drain served, or dead), nothing leaves the queue:
        // what is there arrived after that, from producers racing the shutdown.
        let (queued, late) = if gone { (taken, in_queue) } else { (taken + in_queue, 0) };
        BatchStats {
            queued,
            exported,
            dropped_queue_full: shared.drops.queue_full.load(Ordering::Acquire),
            dropped_after_shutdown: shared.drops.after_shutdown.load(Ordering::Acquire) + late,
            lost,
            lost_to_panics,
            lost_at_deadline,
            lost_worker_died,
            redacted: c.redacted.load(Ordering::Acquire),
            batches: c.batches.load(Ordering::Acquire),
            failed_batches: c.failed_batches.load(Ordering::Acquire),
            pending: queued.saturating_sub(exported + lost),
        }
    }

    /// Whether [`shutdown`](Self::shutdown) was called, the worker could not start, or it
    /// died: items offered now are dropped.
    pub fn is_shut_down(&self) -> bool {
        !matches!(self.shared().lifecycle.state(), State::Idle | State::Running)
    }

    /// Queues an item without blocking; the hot path.
    #[inline]
    fn enqueue(&self, item: ExportItem) {
        match self.hot.shared.lifecycle.state() {
            State::Running => {}
            State::Idle => {
                if !self.start_worker() {
                    return self.dropped(&item, DropReason::AfterShutdown);
                }
            }
            _ => return self.dropped(&item, DropReason::AfterShutdown),
        }
        match self.hot.producer.offer(item) {
            Ok(()) => {}
            Err(Refused::Full(item)) => self.dropped(&item, DropReason::QueueFull),
            Err(Refused::Disconnected(item)) => self.dropped(&item, DropReason::AfterShutdown),
        }
    }

    /// Starts the worker thread if no one did; returns whether it runs.
    #[cold]
    #[inline(never)]
    fn start_worker(&self) -> bool {
        let mut thread = lock(&self.thread);
        let lifecycle = &self.shared().lifecycle;
        match lifecycle.state() {
            State::Running => return true,
            State::Idle => {}
            _ => return false,
        }
        let Some(ends) = thread.ends.take() else { return false };
        let worker = Worker::new(ends, Arc::clone(&self.hot.shared), &self.config);
        match thread::Builder::new().name(WORKER_THREAD_NAME.to_owned()).spawn(move || worker.run()) {
            Ok(handle) => {
                thread.handle = Some(handle);
                lifecycle.started();
                true
            }
            Err(e) => {
                log::error!(
                    "tracing: could not start the batch processor's worker thread ({e}); \
                     traces and spans will be dropped"
                );
                thread.spawn_error = Some(format!("its thread could not be started: {e}"));
                lifecycle.spawn_failed();
                false
            }
        }
    }

    /// Counts `item` as dropped for `reason`, and says so in a rate-limited warning.
    #[cold]
    #[inline(never)]
    fn dropped(&self, item: &ExportItem, reason: DropReason) {
        let drops = &self.shared().drops;
        let (counter, log) = match reason {
            DropReason::QueueFull => (&drops.queue_full, &self.full_log),
            DropReason::AfterShutdown => (&drops.after_shutdown, &self.closed_log),
        };
        let total = counter.fetch_add(1, Ordering::Relaxed) + 1;
        // The rate limiter is consulted on the first drop, then on sampled ones, so a burst
        // of drops does not make producers contend on it for every item.
        if !worth_a_log_check(total) || log.check().is_none() {
            return;
        }
        match reason {
            DropReason::QueueFull => log::warn!(
                "tracing queue is full ({} items), dropping {}; {total} items dropped so far. The exporter is not \
                 keeping up: raise max_queue_size or lower schedule_delay",
                self.config.max_queue_size(),
                kind(item)
            ),
            DropReason::AfterShutdown => log::warn!(
                "tracing batch processor is shut down, dropping {}; {total} items dropped after shutdown so far. \
                 Install a new processor to keep tracing",
                kind(item)
            ),
        }
    }

    /// Returns once every item queued before the call has been handed to the exporter and
    /// the exporter has returned, or when `timeout` passes
    /// ([`ProcessorError::Timeout`]; the items are still exported later). `None` waits
    /// without bound.
    ///
    /// The worker does the exporting, not the caller's thread. Items queued while the
    /// flush runs are not waited for, so a flush ends even while producers keep producing.
    /// After [`shutdown`](Self::shutdown) there is nothing left to flush, and the call
    /// returns once the worker has finished: at once if it has; if the shutdown's caller
    /// gave up at its deadline while an export was in flight, when that export has
    /// returned and the worker has counted the rest (within `timeout`). It returns `Ok`, or
    /// the error that tells what the shutdown could not export: [`ProcessorError::Abandoned`]
    /// when its deadline abandoned queued items (this flush's among them),
    /// [`ProcessorError::WorkerDied`] when the worker died. Called on the worker thread or
    /// an export helper (from the exporter), it returns [`ProcessorError::OnWorkerThread`]
    /// at once.
    pub fn force_flush(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        // A timeout too large for the clock means no bound.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let shared = self.shared();
        match shared.lifecycle.state() {
            // Nothing was ever queued: items are queued only once the worker runs.
            State::Idle => return Ok(()),
            State::Exited | State::Died => return shared.outcome_of_gone_worker(),
            State::Running | State::Closing => {}
        }
        if self.on_worker_thread() {
            return Err(ProcessorError::OnWorkerThread);
        }
        let (reply_tx, reply_rx) = bounded(1);
        if self.hot.producer.control.send(Control::Flush(reply_tx)).is_err() {
            // The worker is gone (after its final drain, or dead).
            return shared.outcome_of_gone_worker();
        }
        match wait(&reply_rx, deadline) {
            Ok(outcome) => outcome,
            Err(RecvTimeoutError::Timeout) => Err(ProcessorError::Timeout(timeout.unwrap_or_default())),
            // The request reached the worker after its final drain, or the worker died.
            Err(RecvTimeoutError::Disconnected) => shared.outcome_of_gone_worker(),
        }
    }

    /// Exports what is queued, stops the worker and calls the exporter's `shutdown` (unless
    /// the exporter is shared, see
    /// [`shut_down_exporter`](BatchTraceProcessorBuilder::shut_down_exporter)), all within
    /// `timeout` (`None`: no bound).
    ///
    /// `Ok` only when everything queued was handed to the exporter. When the timeout
    /// passes first, the exporter's `shutdown` is called at once (to interrupt its
    /// retries; a shared exporter's exports in flight finish on the worker after this
    /// returns) and what is still queued is abandoned, counted as lost
    /// ([`BatchStats::lost_at_deadline`]) and reported:
    /// [`ProcessorError::Abandoned`] with that number, the same whether the worker or the
    /// caller got to the deadline first; [`ProcessorError::Timeout`] when nothing was
    /// queued any more but an export in flight had not returned (the worker then stops
    /// after the exports in flight). Called from the exporter (on the worker or an export
    /// helper), it asks for the shutdown and returns `Ok` at once. [`ProcessorError::WorkerDied`] if the worker died (what it held is
    /// counted in [`BatchStats::lost_worker_died`]). A second call returns
    /// [`ProcessorError::AlreadyShutdown`]. Items offered afterwards are dropped and
    /// counted ([`BatchStats::dropped_after_shutdown`]).
    pub fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        // A timeout too large for the clock means no bound.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let shared = self.shared();
        let handle = {
            let mut thread = lock(&self.thread);
            match shared.lifecycle.begin_shutdown() {
                Begin::Worker => thread.handle.take(),
                Begin::Again => return Err(ProcessorError::AlreadyShutdown),
                // Its death shut the exporter down already (one it owns).
                Begin::Died => return Err(shared.death_error()),
                Begin::NoWorker => {
                    let spawn_error = thread.spawn_error.clone();
                    drop(thread);
                    shared.shut_down_exporter();
                    // Nothing was queued (items offered were counted as dropped).
                    return spawn_error.map_or(Ok(()), |e| Err(ProcessorError::WorkerUnavailable(e)));
                }
            }
        };
        let Some(handle) = handle else {
            // `Running` is set only once the handle is stored: not reached.
            shared.shut_down_exporter();
            return Err(ProcessorError::WorkerUnavailable("the worker thread has no handle".to_owned()));
        };
        let on_worker = shared.on_exporting_thread();
        let (done_tx, done_rx) = bounded(1);
        let request = ShutdownRequest { deadline, done: (!on_worker).then_some(done_tx) };
        if self.hot.producer.control.send(Control::Shutdown(request)).is_err() {
            shared.shut_down_exporter();
            return shared.outcome_of_gone_worker();
        }
        if on_worker {
            // Called from the exporter: the worker serves the request once it returns.
            return Ok(());
        }
        match wait(&done_rx, deadline) {
            Ok(outcome) => {
                // The worker has answered and is returning.
                let _ = handle.join();
                outcome
            }
            Err(RecvTimeoutError::Timeout) => {
                shared.shut_down_exporter();
                // The worker is busy (an export in flight, or not yet scheduled): what is
                // still queued is abandoned here, exactly once (the worker reports the
                // same number if it gets there).
                let abandoned = shared.abandon(self.hot.producer.queued());
                if let Ok(outcome) = done_rx.try_recv() {
                    // It answered meanwhile.
                    let _ = handle.join();
                    return outcome;
                }
                if shared.lifecycle.state() == State::Died {
                    return Err(shared.death_error());
                }
                let in_flight = if self.config.shuts_down_exporter() {
                    "the export in flight is abandoned"
                } else {
                    "the export in flight finishes on the worker (the exporter is shared)"
                };
                log::warn!(
                    "[non-fatal] tracing: shutdown timeout reached; {in_flight} and {abandoned} queued items are \
                     dropped"
                );
                match abandoned {
                    0 => Err(ProcessorError::Timeout(timeout.unwrap_or_default())),
                    items => Err(ProcessorError::Abandoned { items }),
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                shared.shut_down_exporter();
                shared.outcome_of_gone_worker()
            }
        }
    }

    fn on_worker_thread(&self) -> bool {
        self.shared().on_exporting_thread()
    }

    /// Test-only: makes the worker's loop panic at `point` (see `shared::fault`).
    #[cfg(test)]
    pub(crate) fn inject_worker_fault(&self, point: u8) {
        self.shared().fault.store(point, Ordering::Release);
    }
}

impl BatchTraceProcessorBuilder {
    /// Validates the settings and makes the processor. No thread starts until the first
    /// trace or span is queued.
    pub fn build(self) -> Result<BatchTraceProcessor, ConfigError> {
        let (exporter, config, redactor) = self.into_parts()?;
        Ok(BatchTraceProcessor::from_parts(exporter, config, redactor))
    }
}

fn wait<T>(rx: &crossbeam_channel::Receiver<T>, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
    match deadline {
        Some(d) => rx.recv_deadline(d),
        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
    }
}

/// Why the door refused an item.
#[derive(Clone, Copy, Debug)]
enum DropReason {
    /// The queue was full.
    QueueFull,
    /// The processor was shut down (or its worker could not start, or died).
    AfterShutdown,
}

/// Whether the `n`th drop should consult the log rate limiter: the first, then powers of
/// two, then every 4096th.
fn worth_a_log_check(n: u64) -> bool {
    n.is_power_of_two() || n % 4096 == 0
}

fn kind(item: &ExportItem) -> &'static str {
    match item {
        ExportItem::Trace(_) => "trace",
        ExportItem::Span(_) => "span",
        ExportItem::TraceEnd(_) => "trace end",
    }
}

impl TracingProcessor for BatchTraceProcessor {
    /// Queues the trace, so it is exported before its spans (as in Python).
    #[inline]
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        self.enqueue(ExportItem::Trace(Arc::clone(trace)));
    }

    /// Queues the trace again, now ended, as an [`ExportItem::TraceEnd`], when the
    /// exporter [wants trace ends](TracingExporter::wants_trace_ends); otherwise does
    /// nothing (the trace was queued at its start). Counted and dropped like any item.
    #[inline]
    fn on_trace_end(&self, trace: &Arc<Trace>) {
        if self.hot.trace_ends {
            self.enqueue(ExportItem::TraceEnd(Arc::clone(trace)));
        }
    }

    /// Does nothing: the span is queued at its end.
    #[inline]
    fn on_span_start(&self, _span: &Span) {}

    /// Queues the finished span.
    #[inline]
    fn on_span_end(&self, span: &Arc<Span>) {
        self.enqueue(ExportItem::Span(Arc::clone(span)));
    }

    fn force_flush(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        BatchTraceProcessor::force_flush(self, timeout)
    }

    fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        BatchTraceProcessor::shutdown(self, timeout)
    }
}

impl Drop for BatchTraceProcessor {
    /// Shuts down (if no one did), waiting at most the drop timeout for the final export.
    fn drop(&mut self) {
        if !self.shared().lifecycle.shutdown_called() && self.shared().lifecycle.state() != State::Died {
            if let Err(e) = self.shutdown(Some(self.config.drop_timeout())) {
                log::warn!("tracing batch processor dropped without shutdown; the final export failed: {e}");
            }
        }
    }
}

/// A worker whose own loop panics (a fault injected at a chosen point; no exporter or
/// processor code can do this, as their panics are isolated) must not leave flushes and
/// shutdowns waiting, items pending or producers queueing for ever.
#[cfg(test)]
mod worker_death_tests {
    use super::*;
    use crate::shared::fault;
    use std::ops::Range;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
    use trace_core::{CustomSpanData, ExportError, SpanId, TraceId};

    /// A bound for waits that only a hung processor would reach.
    const PATIENCE: Duration = Duration::from_secs(30);

    #[derive(Default)]
    struct Counting {
        exported: AtomicUsize,
        shutdowns: AtomicUsize,
    }

    impl TracingExporter for Counting {
        fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
            self.exported.fetch_add(items.len(), Ordering::SeqCst);
            Ok(())
        }
        fn shutdown(&self) {
            self.shutdowns.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Exports only when a test asks (a flush, the shutdown): Python's timing, with the
    /// schedule an hour away. The exporter is shared only to be watched: the processor
    /// owns it.
    fn processor(exporter: &Arc<Counting>, max_batch: usize) -> BatchTraceProcessor {
        BatchTraceProcessor::builder_shared(Arc::clone(exporter) as _)
            .shut_down_exporter(true)
            .max_batch_size(max_batch)
            .export_on_full_batch(false)
            .schedule_delay(Duration::from_secs(3600))
            .build()
            .unwrap()
    }

    fn span(trace: &Arc<Trace>, n: u128) -> Arc<Span> {
        let data = CustomSpanData { name: "s".into(), data: Default::default() };
        Arc::new(Span::new(SpanId::from_u128(n), Arc::clone(trace), None, data))
    }

    /// A processor (batches of `max_batch`) over a counting exporter, and a trace whose spans
    /// `ids` were ended.
    fn with_spans(max_batch: usize, ids: Range<u128>) -> (Arc<Counting>, BatchTraceProcessor, Arc<Trace>) {
        let exporter = Arc::new(Counting::default());
        let p = processor(&exporter, max_batch);
        let t = Arc::new(Trace::new(TraceId::generate(), "t"));
        end_spans(&p, &t, ids);
        (exporter, p, t)
    }

    fn end_spans(p: &BatchTraceProcessor, t: &Arc<Trace>, ids: Range<u128>) {
        for n in ids {
            p.on_span_end(&span(t, n));
        }
    }

    /// The stats, checked to be settled: nothing pending, every queued item exported or
    /// lost, every loss counted once by its cause.
    fn settled(p: &BatchTraceProcessor) -> BatchStats {
        let s = p.stats();
        assert_eq!(s.pending, 0, "{s:?}");
        assert_eq!(s.queued, s.exported + s.lost, "{s:?}");
        assert_eq!(s.lost, s.lost_to_exporter_errors() + s.lost_to_panics + s.lost_at_deadline + s.lost_worker_died);
        s
    }

    fn died_with(result: Result<(), ProcessorError>, items: u64) {
        match result {
            Err(ProcessorError::WorkerDied { items: n, reason }) => {
                assert_eq!(n, items, "{reason}");
                assert!(reason.contains("injected worker fault"), "{reason}");
            }
            other => panic!("expected WorkerDied with {items} items, got {other:?}"),
        }
    }

    #[test]
    fn a_worker_dying_on_wake_up_fails_the_flush_and_counts_what_was_queued() {
        let (exporter, p, t) = with_spans(128, 0..0);
        p.on_trace_start(&t);
        end_spans(&p, &t, 0..4);
        p.inject_worker_fault(fault::AFTER_WAKE);
        died_with(p.force_flush(Some(PATIENCE)), 5);
        let s = settled(&p);
        assert_eq!((s.queued, s.exported, s.lost_worker_died, s.batches), (5, 0, 5, 0), "{s:?}");
        assert_eq!(exporter.shutdowns.load(Ordering::SeqCst), 1, "the death shuts the exporter down");
        assert!(p.is_shut_down());

        // Producers after the death: dropped and counted, never queued.
        p.on_span_end(&span(&t, 9));
        let s = p.stats();
        assert_eq!((s.queued, s.dropped_after_shutdown, s.pending), (5, 1, 0), "{s:?}");
        // Every later call says so, nothing hangs; one exporter shutdown in all.
        died_with(p.force_flush(Some(PATIENCE)), 5);
        died_with(p.shutdown(Some(PATIENCE)), 5);
        assert_eq!(p.shutdown(Some(PATIENCE)), Err(ProcessorError::AlreadyShutdown));
        drop(p);
        assert_eq!(exporter.shutdowns.load(Ordering::SeqCst), 1);
        assert_eq!(exporter.exported.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_worker_dying_with_a_batch_in_hand_counts_the_batch_and_fails_the_shutdown() {
        let (_exporter, p, t) = with_spans(2, 0..7);
        // First a clean flush: 7 exported. Then the fault, hit with 2 items taken.
        p.force_flush(Some(PATIENCE)).unwrap();
        end_spans(&p, &t, 7..12);
        p.inject_worker_fault(fault::BEFORE_EXPORT);
        // The shutdown's final drain goes through `finish`, not `drain`: a flush first.
        died_with(p.force_flush(Some(PATIENCE)), 5);
        let s = settled(&p);
        assert_eq!((s.queued, s.exported, s.lost, s.lost_worker_died), (12, 7, 5, 5), "{s:?}");
        died_with(p.shutdown(None), 5);
    }

    #[test]
    fn a_shutdown_waiting_on_a_worker_that_dies_is_told() {
        let (_exporter, p, _) = with_spans(128, 0..3);
        p.inject_worker_fault(fault::AFTER_WAKE);
        died_with(p.shutdown(Some(PATIENCE)), 3);
        let s = settled(&p);
        assert_eq!((s.queued, s.lost_worker_died), (3, 3), "{s:?}");
        assert_eq!(p.force_flush(None), Err(p.shared().death_error()));
    }

    /// Counts what it exports; a call on an export helper waits until the test opens the
    /// gate. Asks for two exports at once.
    #[derive(Default)]
    struct HeldOnHelpers {
        exported: AtomicUsize,
        /// (open, calls that entered on a helper, calls that returned on the worker)
        state: std::sync::Mutex<(bool, usize, usize)>,
        changed: std::sync::Condvar,
    }

    impl HeldOnHelpers {
        fn wait_for(&self, cond: impl Fn(&(bool, usize, usize)) -> bool) {
            let state = self.state.lock().unwrap();
            let (_state, timeout) = self.changed.wait_timeout_while(state, PATIENCE, |s| !cond(s)).unwrap();
            assert!(!timeout.timed_out(), "hung");
        }
        fn open(&self) {
            self.state.lock().unwrap().0 = true;
            self.changed.notify_all();
        }
    }

    impl TracingExporter for HeldOnHelpers {
        fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
            let on_helper = thread::current().name() == Some(crate::EXPORT_HELPER_THREAD_NAME);
            if on_helper {
                let mut state = self.state.lock().unwrap();
                state.1 += 1;
                self.changed.notify_all();
                while !state.0 {
                    state = self.changed.wait(state).unwrap();
                }
            }
            self.exported.fetch_add(items.len(), Ordering::SeqCst);
            if !on_helper {
                self.state.lock().unwrap().2 += 1;
                self.changed.notify_all();
            }
            Ok(())
        }
        fn concurrent_exports(&self) -> usize {
            2
        }
    }

    /// The worker dies while an export helper holds a batch: it waits for that batch
    /// (exported, and counted by the helper) and counts only what it held or what was
    /// queued as lost to its death.
    #[test]
    fn a_worker_dying_while_a_helper_exports_counts_every_item_once() {
        let exporter = Arc::new(HeldOnHelpers::default());
        let p = Arc::new(
            BatchTraceProcessor::builder_shared(Arc::clone(&exporter) as _)
                .shut_down_exporter(true)
                .max_batch_size(2)
                .export_on_full_batch(false)
                .schedule_delay(Duration::from_secs(3600))
                .build()
                .unwrap(),
        );
        let t = Arc::new(Trace::new(TraceId::generate(), "t"));
        end_spans(&p, &t, 0..4);
        let flush = |p: &Arc<BatchTraceProcessor>| {
            let p = Arc::clone(p);
            thread::spawn(move || p.force_flush(Some(PATIENCE)))
        };
        // Spans 0..2 go to the helper (held), 2..4 are exported by the worker.
        let first = flush(&p);
        exporter.wait_for(|s| s.1 == 1 && s.2 == 1);
        p.inject_worker_fault(fault::AFTER_WAKE);
        end_spans(&p, &t, 4..6);
        // This flush wakes the worker, which dies at the fault point; its death waits
        // for the helper's batch. (Should the helper's report wake the worker first, the
        // first flush succeeds and the worker dies on the second's wake-up instead.)
        let second = flush(&p);
        exporter.open();
        let first = first.join().unwrap();
        assert!(matches!(first, Ok(()) | Err(ProcessorError::WorkerDied { items: 2, .. })), "{first:?}");
        died_with(second.join().unwrap(), 2);
        let s = settled(&p);
        assert_eq!((s.queued, s.exported, s.lost, s.lost_worker_died), (6, 4, 2, 2), "{s:?}");
        assert_eq!(exporter.exported.load(Ordering::SeqCst), 4);
    }

    /// Producers keep producing while the worker dies: every item is accounted for, as
    /// queued (then lost) or dropped, and nothing stays pending.
    #[test]
    fn producers_racing_the_death_are_counted_exactly() {
        let exporter = Arc::new(Counting::default());
        let p = Arc::new(processor(&exporter, 16));
        let stop = Arc::new(AtomicBool::new(false));
        let produced = Arc::new(AtomicU64::new(0));
        let started = Arc::new(std::sync::Barrier::new(3));
        let producers: Vec<_> = (0..2u128)
            .map(|id| {
                let (p, stop, produced, started) =
                    (Arc::clone(&p), Arc::clone(&stop), Arc::clone(&produced), Arc::clone(&started));
                thread::spawn(move || {
                    let t = Arc::new(Trace::new(TraceId::generate(), "t"));
                    for n in 0..100u128 {
                        p.on_span_end(&span(&t, (id << 32) | n));
                        produced.fetch_add(1, Ordering::SeqCst);
                    }
                    started.wait();
                    let mut n = 100u128;
                    while !stop.load(Ordering::SeqCst) {
                        p.on_span_end(&span(&t, (id << 32) | n));
                        produced.fetch_add(1, Ordering::SeqCst);
                        n += 1;
                    }
                })
            })
            .collect();
        started.wait();
        p.inject_worker_fault(fault::ANY);
        // A flush the worker answers before it reaches a fault point (its items were
        // already exported) is `Ok`; the worker dies at the next point it reaches.
        let result = loop {
            match p.force_flush(Some(PATIENCE)) {
                Ok(()) => continue,
                other => break other,
            }
        };
        stop.store(true, Ordering::SeqCst);
        for h in producers {
            h.join().unwrap();
        }
        assert!(matches!(result, Err(ProcessorError::WorkerDied { .. })), "{result:?}");
        let s = settled(&p);
        assert_eq!(s.offered(), produced.load(Ordering::SeqCst), "{s:?}");
        assert_eq!(s.lost_worker_died, s.lost, "{s:?}");
        assert!(s.dropped_after_shutdown + s.dropped_queue_full + s.queued >= 200, "{s:?}");
        died_with(p.shutdown(Some(PATIENCE)), s.lost_worker_died);
    }
}
