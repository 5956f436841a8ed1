//! [`BatchTraceProcessor`]: the callers' side (the non-blocking enqueue), flush, shutdown
//! and the counters.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, RecvTimeoutError};
use trace_core::{ExportItem, LogRateLimiter, ProcessorError, Span, Trace, TracingExporter, TracingProcessor};

use crate::config::{BatchConfig, BatchTraceProcessorBuilder};
use crate::queue::{channels, Control, Producer, Refused, ShutdownRequest, WorkerEnds};
use crate::stats::{BatchStats, Padded};
use crate::worker::{Shared, Worker, WORKER_THREAD_NAME};

/// No item was queued yet: no worker thread.
const IDLE: u8 = 0;
/// The worker thread runs and items are queued.
const RUNNING: u8 = 1;
/// Shut down (or the worker could not start): items are dropped.
const CLOSED: u8 = 2;

/// How often "queue full" and "dropped after shutdown" warnings are logged, at most.
const DROP_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The worker's lifecycle, changed under a lock (never on the hot path).
#[derive(Debug)]
struct Lifecycle {
    /// The worker's channel ends until the worker starts.
    ends: Option<WorkerEnds>,
    handle: Option<JoinHandle<()>>,
}

/// Queues traces (when they start) and spans (when they end) and exports them in batches
/// on a background thread. The Python SDK's `BatchTraceProcessor`.
///
/// - The caller's thread only does a non-blocking `try_send` into a bounded queue; a full
///   queue drops the item and counts it ([`BatchStats::dropped_queue_full`]), with a
///   rate-limited warning.
/// - One worker thread, named [`WORKER_THREAD_NAME`], starts on the first item. It exports
///   when the queue reaches the trigger size or when the schedule delay has passed since
///   its last export, in batches of at most `max_batch_size` items, in queue order.
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
    /// processor is written near it. `state` is written once or twice in its life.
    hot: Padded<Hot>,
    // Cold.
    shared: Arc<Shared>,
    lifecycle: Mutex<Lifecycle>,
    config: BatchConfig,
    full_log: LogRateLimiter,
    closed_log: LogRateLimiter,
}

#[derive(Debug)]
struct Hot {
    state: AtomicU8,
    producer: Producer,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl std::fmt::Debug for BatchTraceProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchTraceProcessor")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl BatchTraceProcessor {
    /// A processor over `exporter` with the default settings (the Python SDK's).
    pub fn new(exporter: impl TracingExporter) -> Self {
        Self::from_parts(Arc::new(exporter), BatchConfig::default())
    }

    /// Starts configuring a processor over `exporter`.
    pub fn builder(exporter: impl TracingExporter) -> BatchTraceProcessorBuilder {
        BatchTraceProcessorBuilder::new(Arc::new(exporter))
    }

    /// [`builder`](Self::builder) for an exporter that is already shared.
    pub fn builder_shared(exporter: Arc<dyn TracingExporter>) -> BatchTraceProcessorBuilder {
        BatchTraceProcessorBuilder::new(exporter)
    }

    pub(crate) fn from_parts(exporter: Arc<dyn TracingExporter>, config: BatchConfig) -> Self {
        let (producer, ends) = channels(config.max_queue_size(), config.export_trigger_size());
        Self {
            hot: Padded(Hot { state: AtomicU8::new(IDLE), producer }),
            shared: Arc::new(Shared::new(exporter)),
            lifecycle: Mutex::new(Lifecycle { ends: Some(ends), handle: None }),
            config,
            full_log: LogRateLimiter::new(DROP_LOG_INTERVAL),
            closed_log: LogRateLimiter::new(DROP_LOG_INTERVAL),
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &BatchConfig {
        &self.config
    }

    /// What happened to the items offered so far; see [`BatchStats`].
    pub fn stats(&self) -> BatchStats {
        let c = &self.shared.counters;
        let exited = c.exited.load(Ordering::Acquire);
        let exported = c.exported.load(Ordering::Acquire);
        let lost = c.lost.load(Ordering::Acquire);
        let lost_to_panics = c.lost_to_panics.load(Ordering::Acquire).min(lost);
        let lost_at_deadline = c.lost_at_deadline.load(Ordering::Acquire).min(lost - lost_to_panics);
        let taken = c.taken.load(Ordering::Acquire);
        let in_queue = self.hot.producer.len() as u64;
        // Once the worker has exited, nothing leaves the queue: what is there arrived
        // after its final drain, while the processor was shutting down.
        let (queued, late) = if exited { (taken, in_queue) } else { (taken + in_queue, 0) };
        BatchStats {
            queued,
            exported,
            dropped_queue_full: self.shared.drops.queue_full.load(Ordering::Acquire),
            dropped_after_shutdown: self.shared.drops.after_shutdown.load(Ordering::Acquire) + late,
            lost,
            lost_to_panics,
            lost_at_deadline,
            batches: c.batches.load(Ordering::Acquire),
            failed_batches: c.failed_batches.load(Ordering::Acquire),
            pending: queued.saturating_sub(exported + lost),
        }
    }

    /// Whether [`shutdown`](Self::shutdown) was called (or the worker could not start).
    pub fn is_shut_down(&self) -> bool {
        self.hot.state.load(Ordering::Acquire) == CLOSED
    }

    /// Queues an item without blocking; the hot path.
    #[inline]
    fn enqueue(&self, item: ExportItem) {
        match self.hot.state.load(Ordering::Acquire) {
            RUNNING => {}
            CLOSED => return self.dropped_after_shutdown(&item),
            _ => {
                if !self.start_worker() {
                    return self.dropped_after_shutdown(&item);
                }
            }
        }
        match self.hot.producer.offer(item) {
            Ok(()) => {}
            Err(Refused::Full(item)) => self.dropped_queue_full(&item),
            Err(Refused::Disconnected(item)) => self.dropped_after_shutdown(&item),
        }
    }

    /// Starts the worker thread if no one did; returns whether it runs.
    #[cold]
    #[inline(never)]
    fn start_worker(&self) -> bool {
        let mut life = lock(&self.lifecycle);
        match self.hot.state.load(Ordering::Acquire) {
            RUNNING => return true,
            CLOSED => return false,
            _ => {}
        }
        let Some(ends) = life.ends.take() else { return false };
        let worker = Worker::new(ends, Arc::clone(&self.shared), &self.config);
        match thread::Builder::new().name(WORKER_THREAD_NAME.to_owned()).spawn(move || worker.run()) {
            Ok(handle) => {
                life.handle = Some(handle);
                self.hot.state.store(RUNNING, Ordering::Release);
                true
            }
            Err(e) => {
                log::error!(
                    "tracing: could not start the batch processor's worker thread ({e}); \
                     traces and spans will be dropped"
                );
                self.shared.counters.exited.store(true, Ordering::Release);
                self.hot.state.store(CLOSED, Ordering::Release);
                false
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn dropped_queue_full(&self, item: &ExportItem) {
        let total = self.shared.drops.queue_full.fetch_add(1, Ordering::Relaxed) + 1;
        // The rate limiter is consulted on the first drop, then on sampled ones, so a burst
        // of drops does not make producers contend on it for every item.
        if worth_a_log_check(total) && self.full_log.check().is_some() {
            log::warn!(
                "tracing queue is full ({} items), dropping {}; {total} items dropped so far. The exporter is not \
                 keeping up: raise max_queue_size or lower schedule_delay",
                self.config.max_queue_size(),
                kind(item)
            );
        }
    }

    #[cold]
    #[inline(never)]
    fn dropped_after_shutdown(&self, item: &ExportItem) {
        let total = self.shared.drops.after_shutdown.fetch_add(1, Ordering::Relaxed) + 1;
        if worth_a_log_check(total) && self.closed_log.check().is_some() {
            log::warn!(
                "tracing batch processor is shut down, dropping {}; {total} items dropped after shutdown so far. \
                 Install a new processor to keep tracing",
                kind(item)
            );
        }
    }

    /// Returns once every item queued before the call has been handed to the exporter and
    /// the exporter has returned, or when `timeout` passes
    /// ([`ProcessorError::Timeout`]; the items are still exported later). `None` waits
    /// without bound.
    ///
    /// The worker does the exporting, not the caller's thread. Items queued while the
    /// flush runs are not waited for, so a flush ends even while producers keep producing.
    /// After [`shutdown`](Self::shutdown) there is nothing left to flush: `Ok`.
    pub fn force_flush(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        // A timeout too large for the clock means no bound.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if self.hot.state.load(Ordering::Acquire) == IDLE {
            // Nothing was ever queued: items are queued only once the worker runs.
            return Ok(());
        }
        if self.on_worker_thread() {
            return Err(ProcessorError::Other(
                "force_flush called on the batch processor's own worker thread (from the exporter?); \
                 call it from another thread"
                    .to_owned(),
            ));
        }
        let (reply_tx, reply_rx) = bounded(1);
        if self.hot.producer.control.send(Control::Flush(reply_tx)).is_err() {
            // The worker is gone after its final drain: nothing is left to flush.
            return Ok(());
        }
        match wait(&reply_rx, deadline) {
            Ok(true) => Ok(()),
            Ok(false) => Err(ProcessorError::Other(
                "the shutdown deadline passed before the flush completed; the items left were counted as lost"
                    .to_owned(),
            )),
            Err(RecvTimeoutError::Timeout) => Err(ProcessorError::Timeout(timeout.unwrap_or_default())),
            // The request reached the worker after its final drain.
            Err(RecvTimeoutError::Disconnected) if self.shared.counters.exited.load(Ordering::Acquire) => Ok(()),
            Err(RecvTimeoutError::Disconnected) => {
                Err(ProcessorError::WorkerUnavailable("the worker thread stopped unexpectedly".to_owned()))
            }
        }
    }

    /// Exports what is queued, stops the worker and calls the exporter's `shutdown`, all
    /// within `timeout` (`None`: no bound).
    ///
    /// When the timeout passes first, the exporter's `shutdown` is called at once (to
    /// interrupt its retries) and [`ProcessorError::Timeout`] is returned; the worker
    /// stops after the export in flight and counts what it could not export as lost.
    /// A second call returns [`ProcessorError::AlreadyShutdown`]. Items offered afterwards
    /// are dropped and counted ([`BatchStats::dropped_after_shutdown`]).
    pub fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        // A timeout too large for the clock means no bound.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let handle = {
            let mut life = lock(&self.lifecycle);
            if self.hot.state.swap(CLOSED, Ordering::AcqRel) == CLOSED {
                drop(life);
                // Once only: a no-op unless the worker could never start.
                self.shared.shut_down_exporter();
                return Err(ProcessorError::AlreadyShutdown);
            }
            life.handle.take()
        };
        let Some(handle) = handle else {
            // The worker never started: nothing was queued.
            self.shared.counters.exited.store(true, Ordering::Release);
            self.shared.shut_down_exporter();
            return Ok(());
        };
        let on_worker = handle.thread().id() == thread::current().id();
        let (done_tx, done_rx) = bounded(1);
        let request = ShutdownRequest { deadline, done: (!on_worker).then_some(done_tx) };
        if self.hot.producer.control.send(Control::Shutdown(request)).is_err() {
            self.shared.shut_down_exporter();
            return Err(ProcessorError::WorkerUnavailable("the worker thread stopped unexpectedly".to_owned()));
        }
        if on_worker {
            // Called from the exporter: the worker serves the request once it returns.
            return Ok(());
        }
        match wait(&done_rx, deadline) {
            Ok(()) => {
                // The worker has answered and is returning.
                let _ = handle.join();
                Ok(())
            }
            Err(RecvTimeoutError::Timeout) => {
                self.shared.shut_down_exporter();
                log::warn!(
                    "[non-fatal] tracing: shutdown timeout reached; the export in flight is abandoned and queued \
                     items are dropped"
                );
                Err(ProcessorError::Timeout(timeout.unwrap_or_default()))
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.shared.shut_down_exporter();
                Err(ProcessorError::WorkerUnavailable("the worker thread stopped unexpectedly".to_owned()))
            }
        }
    }

    fn on_worker_thread(&self) -> bool {
        lock(&self.lifecycle).handle.as_ref().is_some_and(|h| h.thread().id() == thread::current().id())
    }
}

fn wait<T>(rx: &crossbeam_channel::Receiver<T>, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
    match deadline {
        Some(d) => rx.recv_deadline(d),
        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
    }
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
    }
}

impl TracingProcessor for BatchTraceProcessor {
    /// Queues the trace, so it is exported before its spans (as in Python).
    #[inline]
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        self.enqueue(ExportItem::Trace(Arc::clone(trace)));
    }

    /// Does nothing: the trace was queued at its start.
    #[inline]
    fn on_trace_end(&self, _trace: &Arc<Trace>) {}

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
        if self.hot.state.load(Ordering::Acquire) != CLOSED {
            if let Err(e) = self.shutdown(Some(self.config.drop_timeout())) {
                log::warn!("tracing batch processor dropped without shutdown; the final export failed: {e}");
            }
        }
    }
}
