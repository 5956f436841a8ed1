//! The fan-out on its own (no global registry): order, isolation, flush, shutdown,
//! changes under load, sharing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex, Weak};
use std::thread;
use std::time::{Duration, Instant};

use test_support::doubles::PanickingProcessor;
use trace_core::{InMemoryProcessor, ProcessorError, ProcessorEvent, Span, Trace, TracingProcessor};
use trace_multi::MultiProcessor;

use crate::support::*;

fn tagged(tags: &[usize], journal: &Arc<Mutex<Vec<(usize, &'static str)>>>) -> Vec<Arc<dyn TracingProcessor>> {
    tags.iter()
        .map(|&tag| Arc::new(Tagged { tag, journal: Arc::clone(journal) }) as Arc<dyn TracingProcessor>)
        .collect()
}

#[test]
fn calls_processors_in_registration_order() {
    init();
    let journal = Arc::new(Mutex::new(Vec::new()));
    let list = tagged(&[0, 1, 2], &journal);
    let multi = MultiProcessor::from(list.clone());
    let trace = new_trace("order");
    let span = custom(&trace);

    drive(&multi, &trace, &span);
    multi.force_flush(None).unwrap();
    multi.shutdown(None).unwrap();
    let expected: Vec<(usize, &str)> =
        ["on_trace_start", "on_span_start", "on_span_end", "on_trace_end", "force_flush", "shutdown"]
            .into_iter()
            .flat_map(|m| [(0, m), (1, m), (2, m)])
            .collect();
    assert_eq!(*lock(&journal), expected);

    // An added processor comes last; `set` imposes its own order.
    lock(&journal).clear();
    multi.add(Tagged { tag: 3, journal: Arc::clone(&journal) });
    multi.on_span_end(&span);
    assert_eq!(*lock(&journal), [(0, "on_span_end"), (1, "on_span_end"), (2, "on_span_end"), (3, "on_span_end")]);

    lock(&journal).clear();
    let replaced = multi.set(vec![Arc::clone(&list[2]), Arc::clone(&list[0])]);
    // Those still installed are not returned: shutting down what comes back is safe.
    assert_eq!(replaced.len(), 2);
    let kept = |p: &Arc<dyn TracingProcessor>| [&list[2], &list[0]].iter().any(|k| Arc::ptr_eq(k, p));
    assert!(!replaced.iter().any(kept));
    multi.on_span_end(&span);
    assert_eq!(*lock(&journal), [(2, "on_span_end"), (0, "on_span_end")]);
}

#[test]
fn a_panicking_and_a_failing_processor_stop_neither_the_others_nor_the_caller() {
    init();
    let recorder = InMemoryProcessor::new();
    let multi = MultiProcessor::new().with(PanickingProcessor).with(Failing).with(recorder.clone());
    let trace = new_trace("isolation");
    let span = custom(&trace);

    for _ in 0..50 {
        drive(&multi, &trace, &span);
    }
    assert_eq!(recorder.events().len(), 200, "the processor after the panicking one got every call");

    let stats = multi.stats();
    assert_eq!(stats.len(), 3);
    assert!(stats[0].name.ends_with("PanickingProcessor"), "{}", stats[0].name);
    assert_eq!((stats[0].position, stats[0].panics, stats[0].failures), (0, 200, 0));
    assert_eq!((stats[1].panics, stats[1].failures), (0, 0));
    assert_eq!((stats[2].panics, stats[2].failures), (0, 0));
    assert_eq!(multi.panics(), 200);

    // Flush: the panic and the failure come back by position; the recorder still flushed.
    let err = multi.force_flush(None).unwrap_err();
    let ProcessorError::Several(errors) = err else { panic!("expected Several, got {err:?}") };
    assert_eq!(errors.len(), 2);
    assert!(matches!(&errors[0], (0, ProcessorError::Panicked(m)) if m.contains("force_flush")), "{errors:?}");
    assert!(matches!(&errors[1], (1, ProcessorError::Other(m)) if m == "flush failed"), "{errors:?}");
    assert_eq!(recorder.events().last(), Some(&ProcessorEvent::ForceFlush));
    let stats = multi.stats();
    assert_eq!((stats[0].panics, stats[1].failures), (201, 1));
    assert_eq!(multi.panics(), 201);

    // 201 panics, one log line (rate-limited per processor), naming the processor.
    let lines = log_lines_with("PanickingProcessor");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("ERROR trace processor #0"), "{}", lines[0]);
    assert!(lines[0].contains("panicked in on_trace_start"), "{}", lines[0]);
}

/// Panics in `on_span_end` only; used to check that each processor has its own log limit.
struct PanickyForLogTestA;
/// Same, a second type.
struct PanickyForLogTestB;

macro_rules! panics_on_end {
    ($ty:ty) => {
        impl TracingProcessor for $ty {
            ignores!(trace_start, trace_end, span_start);
            fn on_span_end(&self, _: &Arc<Span>) {
                panic!("{DELIBERATE}");
            }
        }
    };
}
panics_on_end!(PanickyForLogTestA);
panics_on_end!(PanickyForLogTestB);
/// Same, for the counters test (log lines are counted per type name).
struct PanickyForCountersTest;
panics_on_end!(PanickyForCountersTest);

#[test]
fn each_panicking_processor_is_logged_once() {
    init();
    let multi = MultiProcessor::new().with(PanickyForLogTestA).with(PanickyForLogTestB);
    let span = custom(&new_trace("logs"));
    for _ in 0..100 {
        multi.on_span_end(&span);
    }
    assert_eq!(log_lines_with("PanickyForLogTestA").len(), 1);
    let b = log_lines_with("PanickyForLogTestB");
    assert_eq!(b.len(), 1);
    assert!(b[0].contains("#1"), "{}", b[0]);
    assert_eq!(multi.stats().iter().map(|s| s.panics).collect::<Vec<_>>(), [100, 100]);
}

#[test]
fn force_flush_reaches_every_processor_and_reports_failures_by_position() {
    init();
    let first = InMemoryProcessor::new();
    let third = Timed::default();
    let multi = MultiProcessor::new().with(first.clone()).with(Failing).with(third.clone()).with(Failing);

    let Err(ProcessorError::Several(errors)) = multi.force_flush(Some(Duration::from_secs(30))) else {
        panic!("expected the two failures")
    };
    assert_eq!(errors.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 3]);
    assert_eq!(first.events(), [ProcessorEvent::ForceFlush]);
    let given = lock(&third.flushes).clone();
    assert_eq!(given.len(), 1);
    assert!(given[0].is_some_and(|t| t <= Duration::from_secs(30)), "{given:?}");

    // Even with no time left every processor is asked (with zero), and none without a
    // timeout gets one.
    multi.force_flush(Some(Duration::ZERO)).unwrap_err();
    // With no time left the caller waits only a short grace for the thread that asks the
    // processors: before the next flush, wait (a hang guard, not a verdict) for that
    // thread's last call, to the fourth processor.
    let guard = Instant::now() + Duration::from_secs(60);
    while multi.stats()[3].failures < 2 && Instant::now() < guard {
        std::thread::yield_now();
    }
    multi.force_flush(None).unwrap_err();
    assert_eq!(first.events().len(), 3);
    assert_eq!(lock(&third.flushes)[1..], [Some(Duration::ZERO), None]);
    assert_eq!(multi.stats()[1].failures, 3);
}

#[test]
fn shutdown_shares_one_deadline_and_reports_who_did_not_finish() {
    init();
    let fast = Timed::default();
    let slow = Slow { needs: Duration::from_secs(120), given: Arc::default() };
    let slow_given = Arc::clone(&slow.given);
    let never_reached = Timed::default();
    let multi = MultiProcessor::new().with(fast.clone()).with(slow).with(never_reached.clone());

    // Long enough that a stalled thread still reaches the slow one before the deadline.
    let timeout = Duration::from_secs(2);
    let result = multi.shutdown(Some(timeout));

    // The slow one got only what was left of the timeout (its turn is checked below).
    let Err(ProcessorError::Several(errors)) = result else { panic!("expected Several, got {result:?}") };
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(matches!(errors[0], (1, ProcessorError::Timeout(_))), "{errors:?}");
    assert!(matches!(errors[1], (2, ProcessorError::Timeout(t)) if t == timeout), "{errors:?}");

    let fast_given = lock(&fast.shutdowns).clone();
    let slow_given = lock(&slow_given).clone();
    assert_eq!(fast_given.len(), 1);
    assert_eq!(slow_given.len(), 1);
    let (fast_t, slow_t) = (fast_given[0].unwrap(), slow_given[0].unwrap());
    assert!(fast_t <= timeout && slow_t <= fast_t, "{fast_t:?} then {slow_t:?}");
    // The deadline had passed when the third's turn came: not called, as in Python.
    assert!(lock(&never_reached.shutdowns).is_empty());
}

#[test]
fn shutdown_reaches_every_processor_when_time_allows() {
    init();
    let a = Timed::default();
    let b = Timed::default();
    let multi = MultiProcessor::new().with(a.clone()).with(b.clone());
    multi.shutdown(Some(Duration::from_secs(60))).unwrap();
    multi.shutdown(None).unwrap();
    for p in [&a, &b] {
        let given = lock(&p.shutdowns).clone();
        assert_eq!(given.len(), 2);
        assert!(given[0].is_some_and(|t| t <= Duration::from_secs(60)));
        assert_eq!(given[1], None);
    }
    // A shutdown panic is reported at its position, and counted.
    multi.add(PanicsOnShutdown);
    let Err(ProcessorError::Several(errors)) = multi.shutdown(None) else { panic!("expected Several") };
    assert!(matches!(&errors[..], [(2, ProcessorError::Panicked(_))]), "{errors:?}");
    assert_eq!(multi.stats()[2].panics, 1);
}

struct PanicsOnShutdown;

impl TracingProcessor for PanicsOnShutdown {
    ignores!(trace_start, trace_end, span_start, span_end);
    fn shutdown(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
        panic!("{DELIBERATE}: shutdown");
    }
}

#[test]
fn adding_while_other_threads_produce_loses_no_call_and_does_not_deadlock() {
    init();
    const PRODUCERS: usize = 2;
    const CALLS: u64 = 20_000;
    const ADDED: usize = 16;
    let before = Counter::default();
    let multi = Arc::new(MultiProcessor::new().with(before.clone()));
    let added: Vec<Counter> = (0..ADDED).map(|_| Counter::default()).collect();
    let start = Arc::new(Barrier::new(PRODUCERS + 1));

    let producers: Vec<_> = (0..PRODUCERS)
        .map(|_| {
            let (multi, start) = (Arc::clone(&multi), Arc::clone(&start));
            thread::spawn(move || {
                let span = custom(&new_trace("load"));
                start.wait();
                for _ in 0..CALLS {
                    multi.on_span_end(&span);
                }
            })
        })
        .collect();
    start.wait();
    for c in &added {
        multi.add(c.clone());
        thread::yield_now();
    }
    for p in producers {
        p.join().unwrap();
    }

    // The processor present from the start saw every call.
    assert_eq!(before.get(), PRODUCERS as u64 * CALLS);
    // Lists only grew, so one added earlier saw at least as many calls as one added later.
    let counts: Vec<u64> = added.iter().map(Counter::get).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert!(counts.iter().all(|&c| c <= PRODUCERS as u64 * CALLS));
    // After the adds returned, every call reaches every processor.
    let span = custom(&new_trace("after"));
    multi.on_span_end(&span);
    for (c, n) in added.iter().zip(&counts) {
        assert_eq!(c.get(), n + 1);
    }
    assert_eq!(multi.len(), ADDED + 1);
}

/// On its first `on_span_end`, adds a counter to the fan-out it belongs to.
struct AddsFromInside {
    multi: Mutex<Weak<MultiProcessor>>,
    added: Counter,
    done: AtomicBool,
}

impl TracingProcessor for AddsFromInside {
    ignores!(trace_start, trace_end, span_start);
    fn on_span_end(&self, span: &Arc<Span>) {
        if !self.done.swap(true, Ordering::SeqCst) {
            if let Some(multi) = lock(&self.multi).upgrade() {
                multi.add(self.added.clone());
                // And re-enter it: the new list is used at once.
                multi.on_span_end(span);
            }
        }
    }
}

#[test]
fn a_processor_may_change_and_call_its_fanout_from_inside_a_call() {
    init();
    let added = Counter::default();
    let inside =
        Arc::new(AddsFromInside { multi: Mutex::default(), added: added.clone(), done: AtomicBool::new(false) });
    let multi = Arc::new(MultiProcessor::new());
    multi.add_shared(Arc::clone(&inside) as Arc<dyn TracingProcessor>);
    *lock(&inside.multi) = Arc::downgrade(&multi);

    let span = custom(&new_trace("reentrant"));
    multi.on_span_end(&span);
    // The re-entrant call reached the new counter; the outer call kept its own list.
    assert_eq!(added.get(), 1);
    multi.on_span_end(&span);
    assert_eq!(added.get(), 2);
    assert_eq!(multi.len(), 2);
}

#[test]
fn fanouts_nest_across_threads() {
    init();
    let (a, b, c) = (Counter::default(), Counter::default(), Counter::default());
    let inner = MultiProcessor::new().with(a.clone()).with(b.clone());
    let outer = Arc::new(MultiProcessor::new().with(inner).with(c.clone()));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let outer = Arc::clone(&outer);
            thread::spawn(move || {
                let span = custom(&new_trace("nested"));
                for _ in 0..1000 {
                    outer.on_span_end(&span);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!((a.get(), b.get(), c.get()), (2000, 2000, 2000));
}

#[test]
fn a_change_made_on_one_thread_is_seen_by_a_thread_that_cached_the_old_list() {
    init();
    let (old, new) = (Counter::default(), Counter::default());
    let multi = Arc::new(MultiProcessor::new().with(old.clone()));
    let (go, calls) = mpsc::channel::<()>();
    let (done, finished) = mpsc::channel::<()>();
    let worker = {
        let multi = Arc::clone(&multi);
        thread::spawn(move || {
            let span = custom(&new_trace("cache"));
            for () in calls {
                multi.on_span_end(&span);
                done.send(()).unwrap();
            }
        })
    };
    go.send(()).unwrap();
    finished.recv().unwrap();
    assert_eq!((old.get(), new.get()), (1, 0));

    multi.set(vec![Arc::new(new.clone())]);
    go.send(()).unwrap();
    finished.recv().unwrap();
    assert_eq!((old.get(), new.get()), (1, 1));

    drop(go);
    worker.join().unwrap();
}

#[test]
fn every_processor_gets_the_same_span_and_trace() {
    init();
    let keepers: Vec<InMemoryProcessor> = (0..3).map(|_| InMemoryProcessor::new()).collect();
    let multi = keepers.iter().fold(MultiProcessor::new(), |m, k| m.with(k.clone()));
    let trace = new_trace("shared");
    let span = function(&trace);
    multi.on_trace_start(&trace);
    multi.on_span_end(&span);
    for k in &keepers {
        assert!(Arc::ptr_eq(&k.finished_spans()[0], &span));
        assert!(Arc::ptr_eq(&k.started_traces()[0], &trace));
    }
    // The fan-out kept no reference of its own: only the caller and the three keepers.
    assert_eq!(Arc::strong_count(&span), 4);
}

#[test]
fn set_keeps_the_counters_of_a_processor_passed_again() {
    init();
    let panicky: Arc<dyn TracingProcessor> = Arc::new(PanickyForCountersTest);
    let multi = MultiProcessor::from(vec![Arc::clone(&panicky)]);
    let span = custom(&new_trace("counters"));
    multi.on_span_end(&span);
    multi.set(vec![Arc::new(Counter::default()), Arc::clone(&panicky)]);
    let stats = multi.stats();
    assert_eq!((stats[0].panics, stats[1].position, stats[1].panics), (0, 1, 1));
    // Removed processors' panics stay in the fan-out's total.
    multi.set(Vec::new());
    assert!(multi.is_empty());
    assert_eq!(multi.panics(), 1);
}

#[test]
fn a_fanout_cannot_contain_itself() {
    init();
    let multi = Arc::new(MultiProcessor::new().with(Counter::default()));
    multi.add_shared(Arc::clone(&multi) as Arc<dyn TracingProcessor>);
    assert_eq!(multi.len(), 1);
    multi.set(vec![Arc::clone(&multi) as Arc<dyn TracingProcessor>, Arc::new(Counter::default())]);
    assert_eq!(multi.len(), 1);
    multi.on_span_end(&custom(&new_trace("self")));
    assert!(!log_lines_with("cannot contain itself").is_empty());
}

/// Two fan-outs that hold each other pass an event around until the nesting bound: it is
/// cut there, counted and logged, instead of recursing until the stack overflows.
#[test]
fn a_cycle_of_fanouts_is_cut_at_the_nesting_bound() {
    init();
    let seen = Arc::new(AtomicU64::new(0));
    let a = Arc::new(MultiProcessor::new().with(Counter(Arc::clone(&seen))));
    let b = Arc::new(MultiProcessor::new());
    a.add_shared(Arc::clone(&b) as Arc<dyn TracingProcessor>);
    b.add_shared(Arc::clone(&a) as Arc<dyn TracingProcessor>);
    a.on_span_end(&custom(&new_trace("cycle")));
    // a, b, a, ... : a is entered at depths 0, 2, 4, ..., 30, and cut at 32.
    let depth = u64::from(trace_multi::MAX_FANOUT_NESTING);
    assert_eq!(seen.load(Ordering::Relaxed), depth / 2);
    assert_eq!((a.nested_events_skipped(), b.nested_events_skipped()), (1, 0));
    assert!(!log_lines_with("fan-out dispatches deep").is_empty());
    // Back at depth 0 the next event goes through again; the cycle is then broken so
    // that both fan-outs are freed.
    a.on_span_end(&custom(&new_trace("again")));
    assert_eq!(seen.load(Ordering::Relaxed), depth);
    b.set(Vec::new());
}

/// Counts its own drops.
struct DropCounter(Arc<AtomicU64>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl TracingProcessor for DropCounter {
    ignores!(trace_start, trace_end, span_start, span_end);
}

/// Returns once everything handed to the retirement thread so far has been dropped: it
/// drops in order, so a signal retired now is dropped after them.
fn retired_so_far() {
    struct Signal(std::sync::mpsc::Sender<()>);
    impl Drop for Signal {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    trace_core::registry::retire(Signal(tx));
    rx.recv_timeout(std::time::Duration::from_secs(30)).expect("the retirement thread drops what it is given");
}

#[test]
fn processors_are_released_after_their_fanout_is_dropped_or_they_are_replaced() {
    init();
    let drops = Arc::new(AtomicU64::new(0));
    let span = custom(&new_trace("release"));
    let other = MultiProcessor::new();

    let multi = MultiProcessor::new().with(DropCounter(Arc::clone(&drops)));
    multi.on_span_end(&span); // cached by this thread
    drop(multi);
    other.on_span_end(&span); // any fan-out call lets this thread release stale lists
    retired_so_far();
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    let multi = MultiProcessor::new().with(DropCounter(Arc::clone(&drops)));
    multi.on_span_end(&span);
    let replaced = multi.set(Vec::new());
    drop(replaced);
    multi.on_span_end(&span);
    retired_so_far();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn conversions_build_the_list_in_order() {
    init();
    let journal = Arc::new(Mutex::new(Vec::new()));
    let boxed: Vec<Box<dyn TracingProcessor>> = vec![
        Box::new(Tagged { tag: 7, journal: Arc::clone(&journal) }),
        Box::new(Tagged { tag: 8, journal: Arc::clone(&journal) }),
    ];
    let multi = MultiProcessor::from(boxed);
    let collected: MultiProcessor = tagged(&[9], &journal).into_iter().collect();
    multi.add(collected);
    multi.on_span_end(&custom(&new_trace("from")));
    assert_eq!(*lock(&journal), [(7, "on_span_end"), (8, "on_span_end"), (9, "on_span_end")]);
    assert!(format!("{multi:?}").contains("MultiProcessor"));
    assert_eq!(MultiProcessor::default().len(), 0);
}

#[test]
fn an_empty_fanout_does_nothing() {
    init();
    let multi = MultiProcessor::new();
    let trace = new_trace("empty");
    drive(&multi, &trace, &custom(&trace));
    assert!(multi.force_flush(None).is_ok());
    assert!(multi.shutdown(Some(Duration::ZERO)).is_ok());
    assert!(multi.stats().is_empty());
    assert_eq!(multi.panics(), 0);
}
