//! `max_concurrent_exports`: exports that overlap, on the worker and its export helpers,
//! with flushes, the shutdown and the counters as exact as with one export at a time, and
//! no span handed to the exporter before its trace.
//!
//! The tests hold exports at a gate and wait for what they check with channels and
//! condition variables, never by sleeping; `PATIENCE` only bounds waits that a hung
//! processor would never end.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Condvar, Mutex, OnceLock, Weak};
use std::thread;
use std::time::Duration;

use test_support::doubles::{quiet_deliberate_panics, DELIBERATE_PANIC};
use test_support::gate::Gate;
use trace_batch::{
    BatchStats, BatchTraceProcessor, BatchTraceProcessorBuilder, ConfigError, EXPORT_HELPER_THREAD_NAME,
    MAX_CONCURRENT_EXPORTS, WORKER_THREAD_NAME,
};
use trace_core::{
    CustomSpanData, ExportError, ExportItem, InMemoryExporter, ProcessorError, Span, SpanId, Trace, TraceId,
    TracingExporter, TracingProcessor,
};

/// A bound for waits that only a broken processor would reach, even on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(30);

/// A batch as the exporter saw it: its first item (a span's number, or `None` for a
/// trace), and the thread that exported it.
#[derive(Clone, Debug, PartialEq)]
struct Batch {
    first: Option<u128>,
    thread: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Event {
    Enter(Batch),
    Exit(Batch),
}

/// Which exports wait at the gate.
type Hold = fn(&str, &[ExportItem]) -> bool;

/// An exporter that asks for `concurrent` exports at once, records every call as it
/// enters and leaves, keeps count of the calls running at once, holds the calls `hold`
/// picks at a gate, and can fail or panic as `fault` says (by call number, from 0).
struct Watcher {
    concurrent: usize,
    gate: Arc<Gate>,
    hold: Hold,
    fault: fn(usize) -> Option<Fault>,
    calls: AtomicUsize,
    events: Mutex<Vec<Event>>,
    changed: Condvar,
    /// The spans of the calls that returned `Ok`.
    exported: Mutex<Vec<u128>>,
    failed_items: AtomicUsize,
    panicked_items: AtomicUsize,
    running: AtomicUsize,
    most: AtomicUsize,
    shutdowns: AtomicUsize,
    shut_down_mid_export: AtomicBool,
}

#[derive(Clone, Copy)]
enum Fault {
    Fail,
    Panic,
}

fn hold_none(_: &str, _: &[ExportItem]) -> bool {
    false
}

fn hold_all(_: &str, _: &[ExportItem]) -> bool {
    true
}

fn hold_on_helpers(thread: &str, _: &[ExportItem]) -> bool {
    thread == EXPORT_HELPER_THREAD_NAME
}

impl Watcher {
    fn new(concurrent: usize, hold: Hold) -> Arc<Self> {
        Arc::new(Self {
            concurrent,
            gate: Arc::new(Gate::default()),
            hold,
            fault: |_| None,
            calls: AtomicUsize::new(0),
            events: Mutex::new(Vec::new()),
            changed: Condvar::new(),
            exported: Mutex::new(Vec::new()),
            failed_items: AtomicUsize::new(0),
            panicked_items: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            shutdowns: AtomicUsize::new(0),
            shut_down_mid_export: AtomicBool::new(false),
        })
    }

    fn event(&self, e: Event) {
        self.events.lock().unwrap().push(e);
        self.changed.notify_all();
    }

    fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// Waits until the events so far satisfy `cond`; fails the test after `PATIENCE`.
    fn wait_for(&self, what: &str, cond: impl Fn(&[Event]) -> bool) {
        let events = self.events.lock().unwrap();
        let (_events, timeout) = self.changed.wait_timeout_while(events, PATIENCE, |e| !cond(e)).unwrap();
        assert!(!timeout.timed_out(), "hung waiting for: {what}");
    }

    /// Whether the events satisfy `cond` within `bound`: a bounded wait for something
    /// that must not happen (never a measurement).
    fn saw_within(&self, bound: Duration, cond: impl Fn(&[Event]) -> bool) -> bool {
        let events = self.events.lock().unwrap();
        let (events, _) = self.changed.wait_timeout_while(events, bound, |e| !cond(e)).unwrap();
        cond(&events)
    }

    fn exported(&self) -> Vec<u128> {
        self.exported.lock().unwrap().clone()
    }
}

/// The exits of the calls made on the worker thread.
fn worker_exits(events: &[Event]) -> usize {
    events.iter().filter(|e| matches!(e, Event::Exit(b) if b.thread == WORKER_THREAD_NAME)).count()
}

/// The exits of all calls, on whichever thread.
fn exits(events: &[Event]) -> usize {
    events.iter().filter(|e| matches!(e, Event::Exit(_))).count()
}

fn entered(events: &[Event], first: Option<u128>) -> Option<usize> {
    events.iter().position(|e| matches!(e, Event::Enter(b) if b.first == first))
}

fn exited(events: &[Event], first: Option<u128>) -> Option<usize> {
    events.iter().position(|e| matches!(e, Event::Exit(b) if b.first == first))
}

fn span_number(item: &ExportItem) -> Option<u128> {
    item.as_span().and_then(|s| s.span_id().as_u128())
}

impl TracingExporter for Watcher {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let thread = thread::current().name().unwrap_or("").to_owned();
        let batch = Batch { first: items.first().and_then(span_number), thread };
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        self.event(Event::Enter(batch.clone()));
        if (self.hold)(&batch.thread, items) {
            self.gate.wait();
        }
        let outcome = match (self.fault)(call) {
            None => {
                self.exported.lock().unwrap().extend(items.iter().filter_map(span_number));
                Ok(())
            }
            Some(Fault::Fail) => {
                self.failed_items.fetch_add(items.len(), Ordering::SeqCst);
                Err(ExportError::failed(items.len(), "refused"))
            }
            Some(Fault::Panic) => {
                self.panicked_items.fetch_add(items.len(), Ordering::SeqCst);
                self.running.fetch_sub(1, Ordering::SeqCst);
                self.event(Event::Exit(batch));
                panic!("{DELIBERATE_PANIC}");
            }
        };
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.event(Event::Exit(batch));
        outcome
    }

    fn shutdown(&self) {
        if self.running.load(Ordering::SeqCst) > 0 {
            self.shut_down_mid_export.store(true, Ordering::SeqCst);
        }
        self.shutdowns.fetch_add(1, Ordering::SeqCst);
    }

    fn concurrent_exports(&self) -> usize {
        self.concurrent
    }
}

/// A processor over `watcher` that exports only when asked (a flush, the shutdown), in
/// batches of `batch`.
fn processor(watcher: &Arc<Watcher>, batch: usize) -> BatchTraceProcessorBuilder {
    BatchTraceProcessor::builder(Arc::clone(watcher))
        .max_batch_size(batch)
        .export_on_full_batch(false)
        .schedule_delay(Duration::from_secs(3600))
}

fn new_trace(name: &str) -> Arc<Trace> {
    Arc::new(Trace::new(TraceId::generate(), name))
}

fn end_spans(p: &BatchTraceProcessor, t: &Arc<Trace>, ids: std::ops::Range<u128>) {
    for n in ids {
        let data = CustomSpanData { name: format!("s{n}").into(), data: Default::default() };
        p.on_span_end(&Arc::new(Span::new(SpanId::from_u128(n), Arc::clone(t), None, data)));
    }
}

/// The stats of `p`, checked to add up: nothing pending, every queued item exported or
/// lost, every loss counted once by its cause.
fn accounted(p: &BatchTraceProcessor) -> BatchStats {
    let s = p.stats();
    assert_eq!(s.pending, 0, "{s:?}");
    assert_eq!(s.queued, s.exported + s.lost, "{s:?}");
    assert_eq!(s.lost, s.lost_to_exporter_errors() + s.lost_to_panics + s.lost_at_deadline + s.lost_worker_died);
    s
}

/// Runs `call` on `p` on another thread; its result arrives on the returned channel.
fn in_background<T: Send + 'static>(
    p: &Arc<BatchTraceProcessor>,
    call: impl FnOnce(&BatchTraceProcessor) -> T + Send + 'static,
) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    let p = Arc::clone(p);
    thread::spawn(move || {
        let _ = tx.send(call(&p));
    });
    rx
}

/// Calls its processor's `force_flush`, or its `shutdown` once, from inside `export`, and
/// records what each call returned, by thread.
#[derive(Default)]
struct CallsBack {
    processor: OnceLock<Weak<BatchTraceProcessor>>,
    shut_down: AtomicBool,
    results: Mutex<Vec<CallBack>>,
}

/// The thread, the call (`"flush"` or `"shutdown"`) and what it returned.
type CallBack = (String, &'static str, Result<(), ProcessorError>);

impl TracingExporter for CallsBack {
    fn export(&self, _: &[ExportItem]) -> Result<(), ExportError> {
        let Some(p) = self.processor.get().and_then(Weak::upgrade) else { return Ok(()) };
        let thread = thread::current().name().unwrap_or("").to_owned();
        let (what, result) = if thread == EXPORT_HELPER_THREAD_NAME && !self.shut_down.swap(true, Ordering::SeqCst) {
            ("shutdown", p.shutdown(Some(PATIENCE)))
        } else {
            ("flush", p.force_flush(Some(PATIENCE)))
        };
        self.results.lock().unwrap().push((thread, what, result));
        Ok(())
    }
    fn concurrent_exports(&self) -> usize {
        2
    }
}

#[test]
fn a_flush_or_shutdown_from_the_exporter_on_a_helper_is_refused_or_deferred_not_waited_for() {
    let exporter = Arc::new(CallsBack::default());
    let p = Arc::new(
        BatchTraceProcessor::builder_shared(Arc::clone(&exporter) as Arc<dyn TracingExporter>)
            .max_batch_size(4)
            .export_on_full_batch(false)
            .schedule_delay(Duration::from_secs(3600))
            .build()
            .unwrap(),
    );
    assert_eq!(p.config().max_concurrent_exports(), 2, "builder_shared asks the exporter too");
    exporter.processor.set(Arc::downgrade(&p)).unwrap();
    end_spans(&p, &new_trace("t"), 0..12);
    // The flush drains three batches: one on the helper, the others on the worker. The
    // helper's export asks for the shutdown, which is served once the exports return.
    assert_eq!(p.force_flush(Some(PATIENCE)), Ok(()), "every item exported");
    assert_eq!(p.shutdown(Some(PATIENCE)), Err(ProcessorError::AlreadyShutdown), "the helper's came first");
    let results = exporter.results.lock().unwrap().clone();
    assert!(results.iter().any(|(t, _, _)| t == EXPORT_HELPER_THREAD_NAME), "a helper exported: {results:?}");
    for (thread, what, result) in &results {
        match *what {
            "shutdown" => assert_eq!(result, &Ok(()), "a shutdown from the exporter on {thread} is deferred"),
            _ => assert_eq!(result, &Err(ProcessorError::OnWorkerThread), "a flush from the exporter on {thread}"),
        }
    }
    let s = accounted(&p);
    assert_eq!((s.queued, s.exported), (12, 12), "{s:?}");
}

/// The shutdown takes the worker's join handle; the worker must still be recognised when
/// its exporter calls `force_flush` during the final drain.
#[test]
fn a_flush_from_the_exporter_during_the_final_drain_is_refused_not_waited_for() {
    let exporter = Arc::new(CallsBack::default());
    let p = Arc::new(
        BatchTraceProcessor::builder_shared(Arc::clone(&exporter) as Arc<dyn TracingExporter>)
            .max_batch_size(4)
            .max_concurrent_exports(1)
            .export_on_full_batch(false)
            .schedule_delay(Duration::from_secs(3600))
            .build()
            .unwrap(),
    );
    exporter.processor.set(Arc::downgrade(&p)).unwrap();
    end_spans(&p, &new_trace("t"), 0..8);
    assert_eq!(p.shutdown(Some(PATIENCE)), Ok(()));
    let results = exporter.results.lock().unwrap().clone();
    assert_eq!(results.len(), 2, "{results:?}");
    for (thread, what, result) in &results {
        assert_eq!((thread.as_str(), *what), (WORKER_THREAD_NAME, "flush"));
        assert_eq!(result, &Err(ProcessorError::OnWorkerThread), "refused at once");
    }
    let s = accounted(&p);
    assert_eq!((s.queued, s.exported), (8, 8), "{s:?}");
}

#[test]
fn a_huge_setting_is_clamped() {
    let huge = BatchTraceProcessor::builder(Watcher::new(1, hold_none)).max_concurrent_exports(usize::MAX).build();
    assert_eq!(huge.unwrap().config().max_concurrent_exports(), MAX_CONCURRENT_EXPORTS);
    assert_eq!(BatchTraceProcessor::new(Watcher::new(usize::MAX, hold_none)).config().max_concurrent_exports(), 64);
}

#[test]
fn the_setting_defaults_to_the_exporters_and_can_be_overridden() {
    let asks = |n| Watcher::new(n, hold_none);
    assert_eq!(BatchTraceProcessor::new(asks(3)).config().max_concurrent_exports(), 3);
    assert_eq!(BatchTraceProcessor::builder(asks(3)).build().unwrap().config().max_concurrent_exports(), 3);
    assert_eq!(BatchTraceProcessor::new(asks(0)).config().max_concurrent_exports(), 1, "0 is taken as 1");
    let one = BatchTraceProcessor::builder(asks(3)).max_concurrent_exports(1).build().unwrap();
    assert_eq!(one.config().max_concurrent_exports(), 1);
    // An exporter that does not say gets one export at a time, as in Python.
    assert_eq!(BatchTraceProcessor::new(InMemoryExporter::new()).config().max_concurrent_exports(), 1);
    let zero = BatchTraceProcessor::builder(asks(2)).max_concurrent_exports(0).build().unwrap_err();
    assert_eq!(zero, ConfigError::ZeroConcurrentExports);
    assert!(zero.to_string().contains("max_concurrent_exports is 0"), "{zero}");
}

#[test]
fn exports_overlap_up_to_the_limit_and_every_item_is_exported_once() {
    let watcher = Watcher::new(3, hold_all);
    let p = Arc::new(processor(&watcher, 4).build().unwrap());
    let t = new_trace("t");
    end_spans(&p, &t, 0..20);
    let flush = in_background(&p, |p| p.force_flush(Some(PATIENCE)));
    // Five batches queued: two go to helpers, the worker exports the third itself, and
    // all three wait at the gate.
    assert!(watcher.gate.wait_entered_n(3, PATIENCE), "three exports running at once");
    assert_eq!(watcher.running.load(Ordering::SeqCst), 3);
    watcher.gate.open();
    flush.recv_timeout(PATIENCE).expect("the flush returns").expect("the flush succeeds");

    assert_eq!(watcher.most.load(Ordering::SeqCst), 3, "never more than max_concurrent_exports");
    let mut spans = watcher.exported();
    assert_eq!(spans.len(), 20, "each span once: {spans:?}");
    spans.sort_unstable();
    assert_eq!(spans, (0..20).collect::<Vec<_>>());
    let threads = export_threads(&watcher);
    assert!(threads.contains(WORKER_THREAD_NAME) && threads.contains(EXPORT_HELPER_THREAD_NAME), "{threads:?}");
    let s = accounted(&p);
    assert_eq!((s.queued, s.exported, s.batches), (20, 20, 5), "{s:?}");
    p.shutdown(Some(PATIENCE)).unwrap();
}

/// The threads the exports ran on.
fn export_threads(watcher: &Watcher) -> HashSet<String> {
    watcher
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Enter(b) => Some(b.thread),
            Event::Exit(_) => None,
        })
        .collect()
}

#[test]
fn a_drain_the_worker_keeps_up_with_uses_no_helper() {
    // A queue of 16: the trigger size, which wakes the worker, is 11, and the hand-off
    // size half the queue, 8. The eleventh span wakes the worker, which takes 4 with 7
    // queued behind them, then 4 with 3, then 3: never 8 behind the batch in hand, so it
    // exports them all itself.
    let watcher = Watcher::new(2, hold_none);
    let p = processor(&watcher, 4).max_queue_size(16).build().unwrap();
    assert_eq!((p.config().wake_size(), p.config().hand_off_size()), (11, 8));
    end_spans(&p, &new_trace("t"), 0..11);
    watcher.wait_for("three batches exported", |e| exits(e) == 3);
    assert_eq!(export_threads(&watcher), HashSet::from([WORKER_THREAD_NAME.to_owned()]));
    assert_eq!(watcher.exported(), (0..11).collect::<Vec<_>>(), "queue order");
    p.shutdown(Some(PATIENCE)).unwrap();
}

#[test]
fn a_helper_takes_a_batch_once_the_worker_falls_behind() {
    // Full batches exported as they come, in batches of 4: the 32nd span wakes the worker,
    // and 32 behind a batch make the worker behind. It takes 0..4 with 28 behind them and
    // exports them itself, held at the gate. Meanwhile 16 more arrive: its next batch,
    // 4..8, has 40 behind it, and goes to a helper.
    let watcher = Watcher::new(2, hold_all);
    let p = processor(&watcher, 4).export_on_full_batch(true).max_queue_size(256).build().unwrap();
    assert_eq!((p.config().wake_size(), p.config().hand_off_size()), (32, 32));
    let t = new_trace("t");
    end_spans(&p, &t, 0..32);
    watcher.wait_for("the first batch held on the worker", |e| entered(e, Some(0)).is_some());
    end_spans(&p, &t, 32..48);
    watcher.gate.open();
    // No flush: while one waits, any batch with something behind it may go to a helper.
    watcher.wait_for("every batch returned", |e| exits(e) == 12);
    let events = watcher.events();
    let batch = |first, thread: &str| Event::Enter(Batch { first: Some(first), thread: thread.to_owned() });
    assert_eq!(events[0], batch(0, WORKER_THREAD_NAME), "{events:?}");
    assert!(events.contains(&batch(4, EXPORT_HELPER_THREAD_NAME)), "{events:?}");
    // The counts are settled once the flush returns.
    p.force_flush(Some(PATIENCE)).unwrap();
    let s = accounted(&p);
    assert_eq!((s.queued, s.exported, s.batches), (48, 48, 12), "{s:?}");
    p.shutdown(Some(PATIENCE)).unwrap();
}

#[test]
fn one_export_at_a_time_keeps_queue_order_on_the_worker() {
    let watcher = Watcher::new(3, hold_none);
    let p = processor(&watcher, 4).max_concurrent_exports(1).build().unwrap();
    let t = new_trace("t");
    end_spans(&p, &t, 0..20);
    p.force_flush(Some(PATIENCE)).unwrap();
    assert_eq!(watcher.exported(), (0..20).collect::<Vec<_>>(), "queue order");
    assert_eq!(watcher.most.load(Ordering::SeqCst), 1);
    assert!(watcher
        .events()
        .iter()
        .all(|e| matches!(e, Event::Enter(b) | Event::Exit(b) if b.thread == WORKER_THREAD_NAME)));
    p.shutdown(Some(PATIENCE)).unwrap();
}

#[test]
fn no_span_goes_out_while_its_traces_start_is_being_exported() {
    let watcher = Watcher::new(3, hold_on_helpers);
    let p = Arc::new(processor(&watcher, 4).build().unwrap());
    // B1: trace `t`'s start and its spans 100..103. B2: spans 0..4 of another trace.
    // B3: spans 103..107 of `t`.
    let t = new_trace("t");
    p.on_trace_start(&t);
    end_spans(&p, &t, 100..103);
    end_spans(&p, &new_trace("other"), 0..4);
    end_spans(&p, &t, 103..107);
    let flush = in_background(&p, |p| p.force_flush(Some(PATIENCE)));
    // B1 and B2 go to the two helpers and are held there, at once: a batch with a trace's
    // start holds back only batches of that trace.
    assert!(watcher.gate.wait_entered_n(2, PATIENCE), "B1 and B2 in flight together");
    // B3 waits for B1, held at the gate: it must not go out, on the worker or anywhere.
    // (A bounded wait for what must not happen; it always runs to its end when all is well.)
    let b3_went_out = watcher.saw_within(Duration::from_millis(100), |e| entered(e, Some(103)).is_some());
    assert!(!b3_went_out, "a span went out while its trace's start was in flight: {:?}", watcher.events());
    watcher.gate.open();
    flush.recv_timeout(PATIENCE).expect("the flush returns").expect("the flush succeeds");
    let events = watcher.events();
    let trace_batch_exit = exited(&events, None).expect("the trace's batch returned");
    let b3_enter = entered(&events, Some(103)).expect("B3 went out");
    assert!(b3_enter > trace_batch_exit, "B3 went out before the trace's batch returned: {events:?}");
    let s = accounted(&p);
    assert_eq!((s.queued, s.exported, s.batches), (12, 12, 3), "{s:?}");
    p.shutdown(Some(PATIENCE)).unwrap();
}

#[test]
fn batches_of_different_traces_each_with_its_start_overlap() {
    // Agent runs are short traces: most batches hold a trace's start. They still overlap.
    let watcher = Watcher::new(3, hold_all);
    let p = Arc::new(processor(&watcher, 4).build().unwrap());
    for i in 0..4u128 {
        let t = new_trace("run");
        p.on_trace_start(&t);
        end_spans(&p, &t, i * 10..i * 10 + 3);
    }
    let flush = in_background(&p, |p| p.force_flush(Some(PATIENCE)));
    assert!(watcher.gate.wait_entered_n(3, PATIENCE), "three trace batches in flight at once");
    watcher.gate.open();
    flush.recv_timeout(PATIENCE).expect("the flush returns").expect("the flush succeeds");
    assert_eq!(watcher.most.load(Ordering::SeqCst), 3);
    let s = accounted(&p);
    assert_eq!((s.queued, s.exported, s.batches), (16, 16, 4), "{s:?}");
    p.shutdown(Some(PATIENCE)).unwrap();
}

/// Two exports at once, batches of 4, spans 0..8 queued, then `call` on another thread:
/// returns once B1 (0..4) is held on the helper and the worker has exported B2 (4..8).
fn with_b1_held_on_the_helper<T: Send + 'static>(
    call: impl FnOnce(&BatchTraceProcessor) -> T + Send + 'static,
) -> (Arc<Watcher>, Arc<BatchTraceProcessor>, mpsc::Receiver<T>) {
    let watcher = Watcher::new(2, hold_on_helpers);
    let p = Arc::new(processor(&watcher, 4).build().unwrap());
    end_spans(&p, &new_trace("t"), 0..8);
    let result = in_background(&p, call);
    watcher.wait_for("B1 held, B2 done", |e| worker_exits(e) >= 1 && entered(e, Some(0)).is_some());
    (watcher, p, result)
}

#[test]
fn a_flush_waits_for_the_batches_in_flight_on_the_helpers() {
    let (watcher, p, flush) = with_b1_held_on_the_helper(|p| p.force_flush(Some(PATIENCE)));
    assert_eq!(watcher.exported(), (4..8).collect::<Vec<_>>());
    // Every item was taken out of the queue, but B1 is still in flight: no flush is done.
    assert!(
        matches!(p.force_flush(Some(Duration::from_millis(50))), Err(ProcessorError::Timeout(_))),
        "a flush returned while a batch was in flight"
    );
    assert!(flush.try_recv().is_err(), "the first flush returned while a batch was in flight");
    assert_eq!(p.stats().pending, 4, "B1 is pending");
    watcher.gate.open();
    flush.recv_timeout(PATIENCE).expect("the flush returns").expect("the flush succeeds");
    assert_eq!(watcher.exported().len(), 8, "everything exported when the flush returned");
    accounted(&p);
    p.shutdown(Some(PATIENCE)).unwrap();
}

#[test]
fn the_shutdown_waits_for_the_batches_in_flight_before_shutting_the_exporter_down() {
    let (watcher, p, shutdown) = with_b1_held_on_the_helper(|p| p.shutdown(Some(PATIENCE)));
    assert_eq!(watcher.shutdowns.load(Ordering::SeqCst), 0, "not shut down with a batch in flight");
    watcher.gate.open();
    shutdown.recv_timeout(PATIENCE).expect("the shutdown returns").expect("everything exported");
    assert_eq!(watcher.shutdowns.load(Ordering::SeqCst), 1);
    assert!(!watcher.shut_down_mid_export.load(Ordering::SeqCst), "the exporter was shut down mid-export");
    assert_eq!(watcher.exported().len(), 8);
    let s = accounted(&p);
    assert_eq!((s.queued, s.exported), (8, 8), "{s:?}");
}

/// Two producers, a small queue, four exports at once, and an exporter that fails every
/// third call and panics on every fifth: every item is accounted for exactly once.
#[test]
fn counts_stay_exact_with_overlapping_exports_that_fail_and_panic() {
    quiet_deliberate_panics();
    let watcher = Arc::new(Watcher {
        fault: |call| match call {
            c if c % 5 == 4 => Some(Fault::Panic),
            c if c % 3 == 2 => Some(Fault::Fail),
            _ => None,
        },
        ..Arc::into_inner(Watcher::new(4, hold_all)).unwrap()
    });
    let p = Arc::new(
        BatchTraceProcessor::builder(Arc::clone(&watcher)).max_queue_size(256).max_batch_size(16).build().unwrap(),
    );
    const PER_PRODUCER: u128 = 3000;
    const FIRST: u128 = 500;
    // Two producers and this thread: after the first part of the spans, and once the gate
    // is open.
    let phase = Arc::new(Barrier::new(3));
    let producers: Vec<_> = (0..2u128)
        .map(|id| {
            let (p, phase) = (Arc::clone(&p), Arc::clone(&phase));
            thread::spawn(move || {
                let t = new_trace("t");
                p.on_trace_start(&t);
                let base = id * PER_PRODUCER;
                end_spans(&p, &t, base..base + FIRST);
                phase.wait();
                phase.wait();
                end_spans(&p, &t, base + FIRST..base + PER_PRODUCER);
            })
        })
        .collect();
    // With every export held at the gate, the first 1,002 items fill the queue of 256
    // (the rest are dropped): the worker is then far behind, and once the gate opens it
    // hands batches to the helpers while both producers go on.
    phase.wait();
    watcher.gate.open();
    phase.wait();
    for h in producers {
        h.join().unwrap();
    }
    p.shutdown(Some(PATIENCE)).unwrap();
    let s = accounted(&p);
    assert_eq!(s.offered(), 2 * PER_PRODUCER as u64 + 2, "{s:?}");
    let spans_exported = watcher.exported().len() as u64;
    let traces_exported = s.exported - spans_exported;
    assert!(traces_exported <= 2, "{s:?}");
    assert_eq!(s.lost_to_exporter_errors(), watcher.failed_items.load(Ordering::SeqCst) as u64, "{s:?}");
    assert_eq!(s.lost_to_panics, watcher.panicked_items.load(Ordering::SeqCst) as u64, "{s:?}");
    assert_eq!(s.batches, watcher.calls.load(Ordering::SeqCst) as u64, "{s:?}");
    let most = watcher.most.load(Ordering::SeqCst);
    assert!(most <= 4, "at most four exports at once: {most}");
    let on_helpers =
        watcher.events().iter().any(|e| matches!(e, Event::Enter(b) if b.thread == EXPORT_HELPER_THREAD_NAME));
    assert!(on_helpers, "the helpers exported");
    let unique: HashSet<u128> = watcher.exported().into_iter().collect();
    assert_eq!(unique.len() as u64, spans_exported, "no span exported twice");
}
