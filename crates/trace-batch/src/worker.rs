//! The worker thread: takes items out of the queue and hands them to the exporter in
//! batches, answers flush and shutdown requests.
//!
//! It sleeps on the control and wake-up channels with a timeout set to the next scheduled
//! export, so it runs only when there is something to do: the queue reached the trigger
//! size, the schedule delay passed, or a flush or shutdown arrived.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, Sender};
use trace_core::panic::isolate;
use trace_core::{ExportItem, LogRateLimiter, TracingExporter};

use crate::config::{BatchConfig, DEFAULT_DROP_TIMEOUT};
use crate::queue::{Control, ShutdownRequest, WorkerEnds};
use crate::stats::{DropCounters, Padded, WorkerCounters};

/// The name of the worker thread, as seen in debuggers and `top -H`.
pub const WORKER_THREAD_NAME: &str = "trace-batch-worker";

/// How often failures of the exporter are logged, at most.
const EXPORT_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What the processor and its worker share.
pub(crate) struct Shared {
    pub(crate) exporter: Arc<dyn TracingExporter>,
    pub(crate) drops: Padded<DropCounters>,
    pub(crate) counters: Padded<WorkerCounters>,
    exporter_shut_down: AtomicBool,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").field("drops", &self.drops).field("counters", &self.counters).finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(exporter: Arc<dyn TracingExporter>) -> Self {
        Self {
            exporter,
            drops: Padded::default(),
            counters: Padded::default(),
            exporter_shut_down: AtomicBool::new(false),
        }
    }

    /// Calls the exporter's `shutdown` once, whoever asks first (the worker at the end of
    /// its final drain, or a caller whose shutdown deadline passed).
    /// A panic in the exporter's `shutdown` is caught and logged: it must neither kill the
    /// worker before it reports its final drain nor unwind into a caller of `shutdown`.
    pub(crate) fn shut_down_exporter(&self) {
        if !self.exporter_shut_down.swap(true, Ordering::AcqRel) {
            if let Err(panic) = isolate(|| self.exporter.shutdown()) {
                log::error!("[non-fatal] tracing exporter panicked in shutdown: {panic}");
            }
        }
    }
}

/// The worker's state; lives on the worker thread.
pub(crate) struct Worker {
    ends: WorkerEnds,
    shared: Arc<Shared>,
    max_batch: usize,
    trigger: usize,
    delay: Duration,
    batch: Vec<ExportItem>,
    /// Items taken out of the queue so far (the same as `counters.taken`).
    taken: u64,
    /// Pending flushes: answered once `taken` reaches the target and that batch returned.
    flushes: Vec<(u64, Sender<bool>)>,
    shutdown: Option<ShutdownRequest>,
    next_export: Instant,
    export_log: LogRateLimiter,
}

/// `delay` from now; a year from now if the delay is too large for the clock.
fn later(delay: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(delay).or_else(|| now.checked_add(Duration::from_secs(365 * 86_400))).unwrap_or(now)
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::AcqRel);
}

impl Worker {
    pub(crate) fn new(ends: WorkerEnds, shared: Arc<Shared>, config: &BatchConfig) -> Self {
        Self {
            ends,
            shared,
            max_batch: config.max_batch_size(),
            trigger: config.export_trigger_size(),
            delay: config.schedule_delay(),
            batch: Vec::with_capacity(config.max_batch_size()),
            taken: 0,
            flushes: Vec::new(),
            shutdown: None,
            next_export: later(config.schedule_delay()),
            export_log: LogRateLimiter::new(EXPORT_LOG_INTERVAL),
        }
    }

    /// The worker's loop; returns after a shutdown request has been served.
    pub(crate) fn run(mut self) {
        loop {
            if let Some(request) = self.shutdown.take() {
                self.finish(request);
                return;
            }
            let now = Instant::now();
            if now >= self.next_export || self.ends.data.len() >= self.trigger {
                // As Python's `_export_batches`: once started, export until the queue is
                // empty, items that arrive meanwhile included, so a steady flow close to
                // the exporter's speed never piles up to the queue's size. (A flush, by
                // contrast, waits only for what was queued before it.)
                self.drain(u64::MAX);
                self.next_export = later(self.delay);
                continue;
            }
            self.wait(self.next_export - now);
            if !self.flushes.is_empty() {
                self.drain(self.taken);
            }
        }
    }

    /// Sleeps until a control message, a wake-up token or the timeout.
    fn wait(&mut self, timeout: Duration) {
        select! {
            recv(self.ends.control) -> msg => match msg {
                Ok(control) => self.accept(control),
                Err(_) => self.orphaned(),
            },
            recv(self.ends.wake) -> msg => if msg.is_err() {
                self.orphaned();
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
                let target = self.taken + self.ends.data.len() as u64;
                self.flushes.push((target, reply));
            }
            Control::Shutdown(request) => {
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
            if self.shutdown.is_some() {
                break;
            }
            target = self.flushes.iter().map(|f| f.0).fold(target, u64::max);
            if self.taken >= target {
                break;
            }
            let want = usize::try_from(target - self.taken).unwrap_or(usize::MAX).min(self.max_batch);
            if self.take(want) == 0 {
                break;
            }
            self.export();
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

    /// Hands the batch to the exporter, counts the outcome, and empties the batch.
    fn export(&mut self) {
        let n = self.batch.len();
        let exporter = &self.shared.exporter;
        let batch = &self.batch;
        let outcome = isolate(|| exporter.export(batch));
        let counters = &self.shared.counters;
        add(&counters.batches, 1);
        let failed = !matches!(outcome, Ok(Ok(())));
        let panicked = outcome.is_err();
        let lost = match outcome {
            Ok(Ok(())) => 0,
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
        // The producers drop the items, on the threads that allocated them.
        self.ends.release.give_back(&mut self.batch);
    }

    fn answer_flushes(&mut self) {
        let taken = self.taken;
        self.flushes.retain(|(target, reply)| {
            if *target <= taken {
                let _ = reply.try_send(true);
                false
            } else {
                true
            }
        });
    }

    /// The final drain: exports everything queued until the queue is empty or the deadline
    /// passes, then shuts the exporter down and says so.
    fn finish(&mut self, request: ShutdownRequest) {
        loop {
            self.poll_control();
            // Flushes whose items have all been exported (none are abandoned below).
            self.answer_flushes();
            if request.deadline.is_some_and(|d| Instant::now() >= d) {
                self.abandon();
                break;
            }
            if self.take(self.max_batch) == 0 {
                break;
            }
            self.export();
        }
        // Flushes still waiting are for items abandoned at the deadline.
        for (_, reply) in self.flushes.drain(..) {
            let _ = reply.try_send(false);
        }
        self.ends.release.clear();
        self.shared.shut_down_exporter();
        self.log_totals();
        self.shared.counters.exited.store(true, Ordering::Release);
        if let Some(done) = request.done {
            let _ = done.try_send(());
        }
    }

    /// Takes what is left in the queue without exporting it; counts it as lost.
    fn abandon(&mut self) {
        let mut abandoned = 0u64;
        while self.ends.data.try_recv().is_ok() {
            abandoned += 1;
        }
        if abandoned > 0 {
            self.taken += abandoned;
            add(&self.shared.counters.taken, abandoned);
            add(&self.shared.counters.lost_at_deadline, abandoned);
            add(&self.shared.counters.lost, abandoned);
            log::warn!("[non-fatal] tracing: shutdown deadline reached; {abandoned} queued items were not exported");
        }
    }

    fn log_totals(&self) {
        let c = &self.shared.counters;
        let full = self.shared.drops.queue_full.load(Ordering::Acquire);
        let lost = c.lost.load(Ordering::Acquire);
        let exported = c.exported.load(Ordering::Acquire);
        if full > 0 || lost > 0 {
            log::warn!(
                "tracing batch processor shut down: {exported} items exported, {full} dropped because the queue \
                 was full, {lost} lost to exporter failures or the shutdown deadline"
            );
        } else {
            log::debug!("tracing batch processor shut down: {exported} items exported");
        }
    }
}
