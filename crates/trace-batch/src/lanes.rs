//! Export helpers: the threads that let a batch processor run more than one exporter call
//! at once (`max_concurrent_exports`). The worker keeps exporting too; a helper takes a
//! batch the worker hands it when the worker is behind (`Worker::behind`), exports it, and
//! reports back, so that the worker knows which items are settled (for flushes), which
//! traces' starts are still on their way (no span of theirs may go out meanwhile) and when
//! none are in flight (for the shutdown).

use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crossbeam_channel::{bounded, Receiver, Sender};
use trace_core::panic::isolate;
use trace_core::{ExportItem, TraceId};

use crate::config::FreeExported;
use crate::queue::Release;
use crate::shared::Shared;

/// The name of the export helper threads, as seen in debuggers and `top -H`.
pub const EXPORT_HELPER_THREAD_NAME: &str = "trace-batch-export";

/// A batch handed to a helper, and the queue position of its first item.
struct Job {
    batch: Vec<ExportItem>,
    start: u64,
}

/// A helper's report: the batch that started at queue position `start` was exported and
/// counted. The batch comes back empty, to be reused.
pub(crate) struct Done {
    batch: Vec<ExportItem>,
    start: u64,
}

/// A batch a helper holds: the queue position of its first item, and the traces whose
/// starts it carries.
struct InFlight {
    start: u64,
    traces: Vec<TraceId>,
}

/// The worker's side of its helpers.
pub(crate) struct Lanes {
    /// How many helpers may run: `max_concurrent_exports - 1` (the worker exports too);
    /// lowered to the number running if one could not be started.
    wanted: usize,
    /// Closed (`None`) at the end, which ends the helpers' loops.
    jobs: Option<Sender<Job>>,
    jobs_rx: Receiver<Job>,
    done_tx: Sender<Done>,
    done: Receiver<Done>,
    /// The batches the helpers hold.
    in_flight: Vec<InFlight>,
    helpers: Vec<JoinHandle<()>>,
    /// An emptied batch, to put in the worker's hands when it hands one over.
    spare: Option<Vec<ExportItem>>,
    shared: Arc<Shared>,
    release: Release,
    free_on: FreeExported,
}

impl Lanes {
    /// Room for `max_concurrent_exports - 1` helpers; none is started yet.
    pub(crate) fn new(
        max_concurrent_exports: usize,
        shared: Arc<Shared>,
        release: Release,
        free_on: FreeExported,
    ) -> Self {
        let wanted = max_concurrent_exports.saturating_sub(1);
        // Never more jobs or reports than helpers: sending either never blocks.
        let (jobs, jobs_rx) = bounded(wanted.max(1));
        let (done_tx, done) = bounded(wanted.max(1));
        Self {
            wanted,
            jobs: Some(jobs),
            jobs_rx,
            done_tx,
            done,
            in_flight: Vec::new(),
            helpers: Vec::new(),
            spare: None,
            shared,
            release,
            free_on,
        }
    }

    /// Whether a helper could take a batch now.
    pub(crate) fn has_room(&self) -> bool {
        self.in_flight.len() < self.wanted
    }

    /// Hands `batch`, whose first item is at queue position `start`, to a helper, starting
    /// one if every running helper is busy, and leaves an empty batch in its place.
    /// Returns `false`, with the batch untouched, if no helper has room or none could be
    /// started.
    pub(crate) fn hand_off(&mut self, batch: &mut Vec<ExportItem>, start: u64) -> bool {
        if !self.has_room() || (self.in_flight.len() == self.helpers.len() && !self.start_helper()) {
            return false;
        }
        let Some(jobs) = &self.jobs else { return false };
        let capacity = batch.capacity();
        let traces = batch
            .iter()
            .filter_map(|item| match item {
                ExportItem::Trace(t) => Some(t.trace_id().clone()),
                ExportItem::Span(_) | ExportItem::TraceEnd(_) => None,
            })
            .collect();
        let job = Job { batch: std::mem::replace(batch, self.spare.take().unwrap_or_default()), start };
        if let Err(e) = jobs.try_send(job) {
            // Not expected: the channel holds as many jobs as there are helpers.
            *batch = e.into_inner().batch;
            return false;
        }
        batch.reserve(capacity);
        self.in_flight.push(InFlight { start, traces });
        true
    }

    /// Starts one more helper; `false` (and no more attempts) if the thread could not
    /// be started.
    fn start_helper(&mut self) -> bool {
        let (shared, jobs, done) = (Arc::clone(&self.shared), self.jobs_rx.clone(), self.done_tx.clone());
        let (release, free_on) = (self.release.clone(), self.free_on);
        let spawned = thread::Builder::new()
            .name(EXPORT_HELPER_THREAD_NAME.to_owned())
            .spawn(move || help(&shared, &jobs, &done, &release, free_on));
        match spawned {
            Ok(handle) => {
                self.helpers.push(handle);
                true
            }
            Err(e) => {
                log::warn!(
                    "[non-fatal] tracing batch processor: an export helper thread could not be started ({e}); \
                     exporting at most {} batches at once",
                    self.helpers.len() + 1
                );
                self.wanted = self.helpers.len();
                false
            }
        }
    }

    /// Where the helpers' reports arrive, for the worker to wait on.
    pub(crate) fn reports(&self) -> &Receiver<Done> {
        &self.done
    }

    /// Records a helper's report.
    pub(crate) fn settle(&mut self, done: Done) {
        if let Some(i) = self.in_flight.iter().position(|f| f.start == done.start) {
            self.in_flight.swap_remove(i);
        }
        if self.spare.is_none() {
            self.spare = Some(done.batch);
        }
    }

    /// Records the reports already sent, without waiting.
    pub(crate) fn poll(&mut self) {
        while let Ok(done) = self.done.try_recv() {
            self.settle(done);
        }
    }

    /// Waits until no helper holds the start of a trace that an item of `batch` belongs
    /// to, so that no span (or end) of a trace goes out before the trace's own batch has
    /// returned.
    pub(crate) fn wait_for_traces_of(&mut self, batch: &[ExportItem]) {
        self.wait_until(|lanes| {
            let mut starts = lanes.in_flight.iter().flat_map(|f| &f.traces);
            !starts.any(|trace| batch.iter().any(|item| item.trace_id() == trace))
        });
    }

    /// Records the helpers' reports as they come until `enough` holds.
    fn wait_until(&mut self, enough: impl Fn(&Self) -> bool) {
        while !enough(self) {
            match self.done.recv() {
                Ok(done) => self.settle(done),
                // Not expected: this side holds a sender too.
                Err(_) => break,
            }
        }
    }

    /// Waits until no helper holds a batch.
    pub(crate) fn wait_idle(&mut self) {
        self.wait_until(|lanes| lanes.in_flight.is_empty());
    }

    /// The queue position up to which every item taken is settled (exported or lost):
    /// the first item of the oldest batch a helper holds, or `taken` if none holds one.
    pub(crate) fn settled_through(&self, taken: u64) -> u64 {
        self.in_flight.iter().map(|f| f.start).min().map_or(taken, |oldest| oldest.min(taken))
    }

    /// Waits for the batches in flight, then stops the helpers and waits for their threads
    /// to end.
    pub(crate) fn close(&mut self) {
        self.wait_idle();
        self.jobs = None;
        for helper in self.helpers.drain(..) {
            let _ = helper.join();
        }
    }
}

/// A helper's loop: exports each batch it is handed and reports back, until the worker
/// closes the job channel. A panic outside the exporter (a bug), even one in the logger
/// that reports it, is caught, and the batch reported as done all the same, so that the
/// worker never waits for it.
fn help(shared: &Shared, jobs: &Receiver<Job>, done: &Sender<Done>, release: &Release, free_on: FreeExported) {
    shared.mark_exporting_thread();
    for Job { mut batch, start } in jobs.iter() {
        let _ = isolate(|| {
            if let Err(panic) = isolate(|| shared.export_batch(&mut batch, release, free_on)) {
                log::error!(
                    "tracing batch processor's export helper panicked outside the exporter ({panic}); \
                     this is a bug, please report it"
                );
            }
        });
        batch.clear();
        if done.send(Done { batch, start }).is_err() {
            return;
        }
    }
}
