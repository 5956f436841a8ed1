//! The fault suite: the full pipeline (registry, fan-out, batch processor, OpenAI
//! exporter) against a real HTTP server on 127.0.0.1 with real threads, under server
//! faults, overload, misbehaving extensions and bad input.
//!
//! Every case checks, besides its own point:
//! - the producing threads never wait for the export path: they produce while the
//!   pipeline's exports are held back ([`hold_exports`]), so every tracing call completes
//!   while no export can finish; one that waited for the worker or the exporter would keep
//!   production from finishing, the hold would expire and [`Held::release`] would fail.
//!   The longest single call is still measured and printed (`max_block`), not asserted;
//! - shutdown returns, whatever the exporter does (a hang fails the case after
//!   [`HANG_GUARD`]; how long it took is printed, never asserted);
//! - the accounting is exact: every item offered (a trace at its start, a span at its end)
//!   is delivered or counted lost with a reason ([`Accounting::check`]).
//!
//! Each case prints one `FAULT` line with its figures (`cargo test -- --nocapture`).

mod backend;
mod bad_input;
mod caller;
mod capacity;
mod concurrency;
mod extensions;
mod security;

use agents_tracing::openai::WithHttpOptions;
use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use agents_tracing::batch::{BatchStats, BatchTraceProcessor, BatchTraceProcessorBuilder};
use agents_tracing::core::{
    custom_span, trace, ExportError, ExportItem, InMemoryProcessor, TracingExporter, TracingProcessor,
};
use agents_tracing::multi::set_trace_processors;
use agents_tracing::openai::{BackendSpanExporter, BackendSpanExporterBuilder, ExporterStats};
use serde_json::Value;
use test_support::logcap;
use test_support::server::{Recorded, TestServer};

use crate::support::registry_lock;

/// The API key of the suite; the security checks look for it everywhere.
pub(crate) const KEY: &str = "sk-faultsuite-DO-NOT-LOG-4b1d9e";

/// How long an export waits for a hold to be released before giving up and marking the
/// hold expired. Not a measurement: producers that never wait for the export path finish
/// in milliseconds; only production stuck behind the held export lasts this long.
const HOLD_BOUND: Duration = Duration::from_secs(60);

/// Holds back the exports of the suite's pipelines while producers run.
struct ExportHold {
    state: Mutex<HoldState>,
    changed: Condvar,
}

struct HoldState {
    /// Holds in place (a case may hold while a helper holds too).
    holds: usize,
    /// Exports that had to wait for a hold to end.
    waited: u64,
    /// An export waited [`HOLD_BOUND`] with a hold still in place.
    expired: bool,
}

static HOLD: ExportHold =
    ExportHold { state: Mutex::new(HoldState { holds: 0, waited: 0, expired: false }), changed: Condvar::new() };

impl ExportHold {
    fn lock(&self) -> MutexGuard<'_, HoldState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called by the exporter before each export: waits while a hold is in place.
    fn pass(&self) {
        let mut state = self.lock();
        if state.holds == 0 {
            return;
        }
        state.waited += 1;
        self.changed.notify_all();
        let (mut state, wait) =
            self.changed.wait_timeout_while(state, HOLD_BOUND, |s| s.holds > 0).unwrap_or_else(|e| e.into_inner());
        if wait.timed_out() {
            state.expired = true;
        }
    }
}

/// The batch processor of the installed suite pipeline, for [`produce`].
static SUITE_BATCH: Mutex<Option<Arc<BatchTraceProcessor>>> = Mutex::new(None);

/// Waits until an export is held back by the current hold (bounded by [`HOLD_BOUND`]).
fn wait_for_a_held_export() {
    let state = HOLD.lock();
    let (state, wait) =
        HOLD.changed.wait_timeout_while(state, HOLD_BOUND, |s| s.waited == 0).unwrap_or_else(|e| e.into_inner());
    assert!(!wait.timed_out() && state.waited > 0, "the running batch worker never started an export");
}

/// Holds the suite's exports back until [`Held::release`] (or drop): producers run while
/// no export can finish.
pub(crate) fn hold_exports() -> Held {
    let mut state = HOLD.lock();
    if state.holds == 0 {
        state.waited = 0;
        state.expired = false;
    }
    state.holds += 1;
    Held { released: false }
}

/// A hold on the suite's exports; see [`hold_exports`].
#[must_use = "exports are held only while this lives"]
pub(crate) struct Held {
    released: bool,
}

impl Held {
    /// Lets the exports go and checks that production finished while they were held, so
    /// that no tracing call waited for an export. Returns how many exports were held back.
    pub(crate) fn release(mut self) -> u64 {
        let (waited, expired) = self.open();
        assert!(
            !expired,
            "an export was held for {HOLD_BOUND:?} while producers ran: a tracing call waited for the export path"
        );
        waited
    }

    fn open(&mut self) -> (u64, bool) {
        self.released = true;
        let mut state = HOLD.lock();
        state.holds -= 1;
        let result = (state.waited, state.expired);
        drop(state);
        HOLD.changed.notify_all();
        result
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if !self.released {
            self.open();
        }
    }
}

/// The suite's OpenAI exporter behind the export hold.
struct HoldableExporter(Arc<BackendSpanExporter>);

/// How long past its timeout a shutdown or flush may take before the case fails as hung.
/// A guard against a call that never returns, not a measurement: how long calls take is
/// printed with each case's figures, and asserted nowhere (a loaded 2-core machine
/// stretches any tight bound).
pub(crate) const HANG_GUARD: Duration = Duration::from_secs(60);

/// Runs `call` (a shutdown or a flush with `timeout`) on a helper thread; returns its result
/// and how long it took. Fails the case if it has not returned `HANG_GUARD` past `timeout`.
pub(crate) fn bounded<R: Send + 'static>(
    what: &str,
    timeout: Duration,
    call: impl FnOnce() -> R + Send + 'static,
) -> (Duration, R) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let result = call();
        let _ = tx.send((started.elapsed(), result));
    });
    rx.recv_timeout(timeout + HANG_GUARD)
        .unwrap_or_else(|_| panic!("{what} with a timeout of {timeout:?} never returned"))
}

/// An exporter builder for the suite: the server's URL, the key, nothing from the
/// environment, short delays and timeouts.
pub(crate) fn exporter(url: &str) -> BackendSpanExporterBuilder {
    logcap::install();
    BackendSpanExporter::builder()
        .endpoint(url)
        .api_key(KEY)
        .read_env(false)
        .proxy_from_env(false)
        .max_retries(3)
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(200))
        .connect_timeout(Duration::from_millis(500))
        .response_timeout(Duration::from_secs(2))
        .export_budget(Duration::from_secs(5))
}

impl TracingExporter for HoldableExporter {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        HOLD.pass();
        self.0.export(items)
    }

    fn shutdown(&self) {
        self.0.shutdown();
    }

    /// The OpenAI exporter's: the suite runs the pipeline with its default exports in
    /// flight at once.
    fn concurrent_exports(&self) -> usize {
        self.0.concurrent_exports()
    }
}

/// A batch processor builder for the suite: exports every 20 ms, each export held back
/// while producers run ([`hold_exports`]).
pub(crate) fn batch(exporter: &Arc<BackendSpanExporter>) -> BatchTraceProcessorBuilder {
    BatchTraceProcessor::builder(HoldableExporter(Arc::clone(exporter))).schedule_delay(Duration::from_millis(20))
}

/// Batch settings for the cases that count requests: exports only when flushed or shut
/// down (Python's timing, below the trigger size), never on the 20 ms schedule, which could otherwise split a trace produced in
/// one go into two batches (two requests) as it fires in the middle of production.
pub(crate) fn on_flush_only(batch: BatchTraceProcessorBuilder) -> BatchTraceProcessorBuilder {
    batch.schedule_delay(Duration::from_secs(600)).export_on_full_batch(false)
}

/// The full pipeline, installed in the registry through the global fan-out: the batch
/// processor over the OpenAI exporter first, then `extra`. Holds the registry lock.
pub(crate) struct Pipeline {
    pub(crate) exporter: Arc<BackendSpanExporter>,
    pub(crate) batch: Arc<BatchTraceProcessor>,
    _lock: MutexGuard<'static, ()>,
}

impl Pipeline {
    pub(crate) fn install(
        exporter: BackendSpanExporterBuilder,
        batch_settings: impl FnOnce(BatchTraceProcessorBuilder) -> BatchTraceProcessorBuilder,
        extra: Vec<Arc<dyn TracingProcessor>>,
    ) -> Self {
        let (lock, _recorder) = registry_lock();
        let exporter = Arc::new(exporter.build().expect("the exporter builds"));
        let batch = Arc::new(batch_settings(batch(&exporter)).build().expect("the batch processor builds"));
        let mut list: Vec<Arc<dyn TracingProcessor>> = vec![Arc::clone(&batch) as _];
        list.extend(extra);
        set_trace_processors(list);
        *SUITE_BATCH.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&batch));
        Self { exporter, batch, _lock: lock }
    }

    /// Shuts the registry's processors down with `timeout`; returns how long it took (for
    /// the printed figures) and the result. A shutdown that never returns fails the case.
    pub(crate) fn shutdown(&self, timeout: Duration) -> (Duration, Result<(), agents_tracing::ProcessorError>) {
        bounded("shutdown", timeout, move || agents_tracing::core::shutdown(Some(timeout)))
    }

    /// Shuts the registry's processors down with the suite's usual 5 s timeout and expects
    /// a clean shutdown; returns how long it took and the timeout, for [`Accounting::print`].
    pub(crate) fn shut_down_cleanly(&self) -> (Duration, Duration) {
        let timeout = Duration::from_secs(5);
        let (took, result) = self.shutdown(timeout);
        result.expect("a clean shutdown");
        (took, timeout)
    }

    /// Flushes the batch processor, which must succeed within `flush_within`, then
    /// [`shut_down_cleanly`](Self::shut_down_cleanly).
    pub(crate) fn flush_then_shut_down(&self, flush_within: Duration) -> (Duration, Duration) {
        self.batch.force_flush(Some(flush_within)).expect("flushed");
        self.shut_down_cleanly()
    }

    /// The batch processor's counters once its worker has settled every item (waiting up
    /// to 10 s). Every case shuts the pipeline down first, and a flush after a shutdown
    /// returns once the worker has finished: at once when it has, else (the shutdown's
    /// caller gave up at its deadline while an export was stuck) on the worker's reply,
    /// when that export has returned and the worker has counted the rest.
    pub(crate) fn settled(&self) -> BatchStats {
        let _ = self.batch.force_flush(Some(Duration::from_secs(10)));
        self.batch.stats()
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // Leave the registry as the next test expects it: a recorder, no fan-out.
        agents_tracing::core::set_trace_processor(InMemoryProcessor::new());
        SUITE_BATCH.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

/// Times a tracing call made on a producing thread.
pub(crate) fn timed<R>(max: &mut Duration, f: impl FnOnce() -> R) -> R {
    let started = Instant::now();
    let r = f();
    let took = started.elapsed();
    if took > *max {
        *max = took;
    }
    r
}

/// What [`produce`] did.
#[derive(Debug, Default)]
pub(crate) struct Produced {
    /// Items offered to the processors: one per trace, one per span.
    pub(crate) items: u64,
    /// The longest single tracing call (measured, not asserted).
    pub(crate) max_block: Duration,
    /// How many exports were held back while the producers ran.
    pub(crate) exports_held: u64,
}

impl Produced {
    pub(crate) fn add(&mut self, other: Produced) {
        self.items += other.items;
        self.max_block = self.max_block.max(other.max_block);
        self.exports_held += other.exports_held;
    }
}

/// `threads` threads, each running `traces` traces of `spans` custom spans, flat out, with
/// the exports held back ([`hold_exports`]): no export can finish until they are done.
pub(crate) fn produce(label: &str, threads: usize, traces: usize, spans: usize) -> Produced {
    produce_with(label, threads, traces, spans, false)
}

/// [`produce`], and once each thread has started its first trace, the producers wait until
/// the suite pipeline's batch worker is inside an export, held: everything after that is
/// produced while an export is in progress and cannot finish. (This splits the first
/// trace into a batch of its own, so the cases that count requests use [`produce`].)
pub(crate) fn produce_during_export(label: &str, threads: usize, traces: usize, spans: usize) -> Produced {
    produce_with(label, threads, traces, spans, true)
}

fn produce_with(label: &str, threads: usize, traces: usize, spans: usize, during_export: bool) -> Produced {
    let held = hold_exports();
    let started = Arc::new(std::sync::Barrier::new(threads + 1));
    let go = Arc::new(std::sync::Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let label = format!("{label}-{t}");
            let (started, go) = (Arc::clone(&started), Arc::clone(&go));
            std::thread::spawn(move || {
                let mut max = Duration::ZERO;
                let mut items = 0;
                for r in 0..traces {
                    let guard = timed(&mut max, || trace(format!("{label}-trace-{r}")).start());
                    items += 1;
                    if r == 0 {
                        started.wait();
                        go.wait();
                    }
                    for s in 0..spans {
                        let span = timed(&mut max, || custom_span(format!("{label}-{r}-{s}")).start());
                        timed(&mut max, || span.end());
                        items += 1;
                    }
                    timed(&mut max, || guard.end());
                }
                Produced { items, max_block: max, exports_held: 0 }
            })
        })
        .collect();
    if traces > 0 {
        started.wait();
        if during_export {
            let running =
                SUITE_BATCH.lock().unwrap_or_else(|e| e.into_inner()).as_ref().is_some_and(|b| !b.is_shut_down());
            assert!(running, "produce_during_export needs a running suite pipeline");
            wait_for_a_held_export();
        }
        go.wait();
    }
    let mut total = Produced::default();
    for h in handles {
        total.add(h.join().expect("a producer panicked"));
    }
    let exports_held = held.release();
    total.exports_held = exports_held;
    println!(
        "PRODUCE {label}: {} items on {threads} threads with exports held ({exports_held} held back); longest call \
         {:.1?}",
        total.items, total.max_block
    );
    total
}

/// Checks that the server acknowledged `items` distinct items in `requests`, each once.
pub(crate) fn assert_acknowledged_once(requests: &[Recorded], items: u64) {
    let (ids, duplicates) = acknowledged(requests);
    assert_eq!((ids.len() as u64, duplicates), (items, 0), "acknowledged: distinct items, items delivered twice");
}

/// The ids of the items in the requests the server answered with a success status, and
/// how many of those ids arrived more than once.
pub(crate) fn acknowledged(requests: &[Recorded]) -> (HashSet<String>, usize) {
    let mut ids = HashSet::new();
    let mut duplicates = 0;
    for r in requests.iter().filter(|r| r.reply_status.is_some_and(|s| s < 300)) {
        for id in item_ids(r) {
            if !ids.insert(id) {
                duplicates += 1;
            }
        }
    }
    (ids, duplicates)
}

/// The ids of the items of one request body (`trace_...` for traces, `span_...` for spans).
pub(crate) fn item_ids(r: &Recorded) -> Vec<String> {
    body(r)["data"]
        .as_array()
        .expect("a data array")
        .iter()
        .map(|i| i["id"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// A request body as JSON.
pub(crate) fn body(r: &Recorded) -> Value {
    serde_json::from_slice(&r.body).expect("the body is JSON")
}

/// The figures of one case, checked and printed.
#[derive(Debug)]
pub(crate) struct Accounting {
    pub(crate) offered: u64,
    pub(crate) batch: BatchStats,
    pub(crate) exporter: ExporterStats,
}

impl Accounting {
    /// Reads the counters once the worker has settled, and checks that every item offered
    /// is delivered or lost with a reason, exactly.
    pub(crate) fn check(pipeline: &Pipeline, offered: u64) -> Self {
        let batch = pipeline.settled();
        let exporter = pipeline.exporter.stats();
        let a = Self { offered, batch, exporter };
        assert_eq!(batch.pending, 0, "{a:?}");
        assert_eq!(batch.offered(), offered, "the batch processor saw every item: {a:?}");
        assert_eq!(batch.exported, exporter.delivered, "{a:?}");
        assert_eq!(batch.lost_to_exporter_errors(), exporter.lost(), "{a:?}");
        assert_eq!(offered, a.delivered() + a.lost(), "offered = delivered + lost, exactly: {a:?}");
        a
    }

    /// [`check`](Self::check), then: everything offered was delivered, and acknowledged by
    /// the server in `requests` once ([`assert_acknowledged_once`]).
    pub(crate) fn check_delivered_once(pipeline: &Pipeline, offered: u64, requests: &[Recorded]) -> Self {
        let a = Self::check(pipeline, offered);
        assert_eq!(a.delivered(), offered, "everything delivered: {a:?}");
        assert_acknowledged_once(requests, offered);
        a
    }

    pub(crate) fn delivered(&self) -> u64 {
        self.exporter.delivered
    }

    pub(crate) fn lost(&self) -> u64 {
        self.reasons().iter().map(|(_, n)| n).sum()
    }

    /// Every loss, by reason (zeros left out).
    pub(crate) fn reasons(&self) -> Vec<(&'static str, u64)> {
        let (b, e) = (&self.batch, &self.exporter);
        [
            ("queue_full", b.dropped_queue_full),
            ("after_shutdown", b.dropped_after_shutdown),
            ("shutdown_deadline", b.lost_at_deadline),
            ("exporter_panicked", b.lost_to_panics),
            ("rejected_by_server", e.rejected_by_server),
            ("reply_too_large", e.reply_too_large),
            ("retries_exhausted", e.retries_exhausted),
            ("budget_exhausted", e.budget_exhausted),
            ("no_api_key", e.no_api_key),
            ("exporter_shut_down", e.shut_down),
            ("too_large", e.too_large),
            ("unsendable", e.unsendable),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }

    /// Prints the case's figures on one line.
    pub(crate) fn print(&self, case: &str, max_block: Duration, shutdown: Option<(Duration, Duration)>) {
        let lost: Vec<String> = self.reasons().iter().map(|(r, n)| format!("{r}={n}")).collect();
        let shutdown = shutdown.map_or("-".to_owned(), |(took, timeout)| format!("{took:.0?} of {timeout:?}"));
        println!(
            "FAULT {case}: offered={} delivered={} lost={} [{}] requests={} max_block={max_block:.1?} shutdown={shutdown}",
            self.offered,
            self.delivered(),
            self.lost(),
            lost.join(" "),
            self.exporter.requests,
        );
    }
}

/// Waits until `f` holds, up to `timeout`, looking every 10 ms: for a counter with no event
/// to wait on (the exporter's attempts against a port where nothing listens, which no
/// server sees). Everything else waits on a channel, a gate or a flush's reply.
pub(crate) fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts a server answering `reply` for ever.
pub(crate) fn server(reply: test_support::server::Reply) -> TestServer {
    TestServer::always(reply)
}
