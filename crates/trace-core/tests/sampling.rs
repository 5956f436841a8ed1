//! Head sampling through the global sampler: ratios over 100,000 seeded trace ids land
//! within 1 % of the ratio, with whole traces only; the rate cap follows an injected
//! clock; a continued trace decides the same; sampled-out traces and spans are counted.
//! Its own test binary: the sampler is global to the process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use trace_core::sampling::{clear_sampler, sampling_stats, set_sampler, Sampler, SamplingStats};
use trace_core::*;

mod support;
use support::injected;

static SAMPLER: Mutex<()> = Mutex::new(());

/// Counts, per trace id, the trace starts and the spans ended.
#[derive(Clone, Default)]
struct Counts(Arc<Mutex<HashMap<TraceId, (usize, usize)>>>);

impl TracingProcessor for Counts {
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        self.0.lock().unwrap().entry(trace.trace_id().clone()).or_default().0 += 1;
    }
    fn on_trace_end(&self, _: &Arc<Trace>) {}
    fn on_span_start(&self, _: &Span) {}
    fn on_span_end(&self, span: &Arc<Span>) {
        self.0.lock().unwrap().entry(span.trace_id().clone()).or_default().1 += 1;
    }
}

fn lock() -> (MutexGuard<'static, ()>, Counts) {
    let guard = SAMPLER.lock().unwrap_or_else(|e| e.into_inner());
    let counts = Counts::default();
    set_trace_processor(counts.clone());
    (guard, counts)
}

fn delta(before: SamplingStats) -> SamplingStats {
    let after = sampling_stats();
    let mut d = after;
    d.traces_sampled -= before.traces_sampled;
    d.traces_out_by_ratio -= before.traces_out_by_ratio;
    d.traces_out_by_rate -= before.traces_out_by_rate;
    d.traces_out_by_parent -= before.traces_out_by_parent;
    d.spans_sampled_out -= before.spans_sampled_out;
    d.clock_panics -= before.clock_panics;
    d
}

/// A run of three nested spans in a trace with the given id.
fn run(id: TraceId) -> bool {
    let t = trace("run").trace_id(id).start();
    let _agent = agent_span("a").start();
    let _generation = generation_span().start();
    function_span("tool").start();
    t.is_sampled_out()
}

#[test]
fn ratios_over_100_000_seeded_traces_land_within_one_percent_with_whole_traces_only() {
    const N: usize = 100_000;
    for (seed, ratio) in [(1u64, 0.1), (2, 0.5), (3, 0.01), (4, 0.9)] {
        let (_l, counts) = lock();
        set_sampler(Sampler::ratio(ratio).unwrap());
        let before = sampling_stats();
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut out = 0;
        for _ in 0..N {
            out += usize::from(run(TraceId::from_u128(rng.u128(..))));
        }
        let stats = delta(before);
        let seen = counts.0.lock().unwrap().clone();
        let kept = seen.len();
        let observed = kept as f64 / N as f64;
        assert!((observed - ratio).abs() <= 0.01, "ratio {ratio}: kept {observed}");
        // Whole traces: every trace recorded has its start and its three spans.
        assert!(seen.values().all(|&(starts, spans)| starts == 1 && spans == 3), "ratio {ratio}");
        assert_eq!(kept + out, N);
        assert_eq!(stats.traces_sampled, kept as u64);
        assert_eq!(stats.traces_out_by_ratio, out as u64);
        assert_eq!(stats.traces_out_by_rate, 0);
        assert_eq!(stats.spans_sampled_out, 3 * out as u64, "the spans of sampled-out traces are counted");
        clear_sampler();
    }
}

#[test]
fn a_continued_trace_decides_as_it_did_where_it_started() {
    let (_l, _counts) = lock();
    set_sampler(Sampler::ratio(0.3).unwrap());
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..1000 {
        let id = TraceId::from_u128(rng.u128(..));
        let here = trace("a").trace_id(id.clone()).start().is_sampled_out();
        // Elsewhere, the id arrives as text.
        let text = id.to_string();
        let there = trace("b").trace_id(text.as_str()).start().is_sampled_out();
        assert_eq!(here, there, "{text}");
    }
    clear_sampler();
}

#[test]
fn a_trace_continued_from_a_traceparent_follows_its_sampled_flag() {
    let (_l, _counts) = lock();
    let header = |flags: &str| format!("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-{flags}");
    // The ratio would keep nothing: a caller that sampled the trace in wins.
    set_sampler(Sampler::ratio(0.0).unwrap());
    let before = sampling_stats();
    assert!(!trace("in").traceparent(header("01").as_str()).start().is_sampled_out());
    assert!(trace("fresh").start().is_sampled_out(), "a trace of its own follows the ratio");
    // The ratio would keep everything: a caller that sampled the trace out wins.
    set_sampler(Sampler::ratio(1.0).unwrap());
    assert!(trace("out").traceparent(header("00").as_str()).start().is_sampled_out());
    let stats = delta(before);
    assert_eq!((stats.traces_sampled, stats.traces_out_by_parent, stats.traces_out_by_ratio), (1, 1, 1));
    assert_eq!(stats.traces_sampled_out(), 2);
    clear_sampler();
}

#[test]
fn the_rate_cap_follows_an_injected_clock() {
    let (_l, counts) = lock();
    let now = Arc::new(AtomicU64::new(0));
    let clock = Arc::clone(&now);
    let cap = Sampler::builder()
        .max_per_second(5.0)
        .clock(move || Duration::from_millis(clock.load(Ordering::Relaxed)))
        .build()
        .unwrap();
    set_sampler(cap);
    let before = sampling_stats();
    let mut kept_per_second = Vec::new();
    for second in 0..4u64 {
        let mut kept = 0;
        // 50 traces offered per second, 20 ms apart.
        for i in 0..50 {
            now.store(second * 1000 + i * 20, Ordering::Relaxed);
            kept += usize::from(!run(TraceId::generate()));
        }
        kept_per_second.push(kept);
    }
    // The first second: the full bucket (5) and one token per 200 ms (at 200, 400, 600 and
    // 800 ms); then 5 per second.
    assert_eq!(kept_per_second, [9, 5, 5, 5]);
    let stats = delta(before);
    assert_eq!((stats.traces_sampled, stats.traces_out_by_rate), (24, 176));
    assert_eq!(stats.spans_sampled_out, 3 * 176);
    assert_eq!(counts.0.lock().unwrap().len(), 24);
    clear_sampler();
}

#[test]
fn spans_of_a_sampled_out_trace_are_no_ops_everywhere_and_counted() {
    let (_l, counts) = lock();
    set_sampler(Sampler::ratio(0.0).unwrap());
    let before = sampling_stats();
    let t = trace("out").start();
    assert!(t.is_noop() && t.is_sampled_out());
    let scope = t.as_parent();
    assert!(matches!(scope, Parent::SampledOut(_)), "{scope:?}");
    assert!(current_trace().is_none());
    let parent = t.as_parent();
    let on_thread = std::thread::spawn(move || {
        let s = custom_span("elsewhere").parent(parent).start();
        (s.is_noop(), s.is_sampled_out(), s.as_parent())
    })
    .join()
    .unwrap();
    assert_eq!(on_thread, (true, true, scope), "the same scope on the other thread");
    {
        let outer = agent_span("a").start();
        assert!(outer.is_sampled_out());
        let inner = function_span("f").start();
        assert!(inner.is_sampled_out(), "a grandchild knows too");
    }
    drop(t);
    // A trace disabled on purpose is a no-op, not a sampled-out one.
    let disabled = trace("off").disabled(true).start();
    assert!(disabled.is_noop() && !disabled.is_sampled_out());
    assert!(!custom_span("x").start().is_sampled_out());
    drop(disabled);
    let stats = delta(before);
    assert_eq!((stats.traces_out_by_ratio, stats.spans_sampled_out), (1, 3));
    assert!(counts.0.lock().unwrap().is_empty());
    clear_sampler();
    // Without a sampler, every trace is recorded.
    assert!(!trace("in").start().is_sampled_out());
    assert_eq!(counts.0.lock().unwrap().len(), 1);
}

#[test]
fn a_sampled_out_trace_still_sends_its_trace_on_not_sampled() {
    let (_l, counts) = lock();
    set_sampler(Sampler::ratio(0.0).unwrap());
    // Continued from a caller that did not sample: its headers go on unchanged (W3C: a
    // vendor receiving a traceparent must send it on).
    let incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    {
        let run = trace("continued").traceparent(incoming).tracestate("congo=t61").start();
        assert!(run.is_sampled_out());
        let _call = custom_span("call").start();
        assert_eq!(
            injected(),
            [("traceparent".to_owned(), incoming.to_owned()), ("tracestate".to_owned(), "congo=t61".to_owned())]
        );
    }
    // A trace of this process turned down by the ratio: its own id, `sampled` off, so a
    // callee with a parent-based sampler turns it down too.
    let (headers, id) = {
        let run = trace("local").start();
        assert!(run.is_sampled_out());
        let header = run.as_parent().traceparent().expect("a sampled-out trace has a traceparent");
        assert!(!header.sampled());
        (injected(), header.trace_id())
    };
    assert_eq!(headers.len(), 1, "no tracestate: nothing was announced");
    clear_sampler();
    set_sampler(Sampler::ratio(1.0).unwrap());
    let callee = trace("callee").traceparent(headers[0].1.as_str()).start();
    assert!(callee.is_sampled_out(), "the caller's decision holds downstream");
    assert_eq!(callee.as_parent().traceparent().unwrap().trace_id(), id, "the same trace id goes on");
    drop(callee);
    clear_sampler();
    assert!(counts.0.lock().unwrap().is_empty());
}

/// An injected clock that panics, or that installs a sampler from inside the sampler's
/// call, neither unwinds out of a trace start nor deadlocks it: the panic falls back to
/// the monotonic clock (counted), and the sampler runs outside its lock.
#[test]
fn a_panicking_or_reentrant_clock_neither_unwinds_nor_deadlocks_a_trace_start() {
    let (_l, counts) = lock();
    let panicking = Sampler::builder().max_per_second(1000.0).clock(|| panic!("clock bug")).build().unwrap();
    set_sampler(panicking);
    let before = sampling_stats();
    assert!(!run(TraceId::generate()), "recorded: the monotonic clock's full bucket admits it");
    let stats = delta(before);
    assert_eq!((stats.traces_sampled, stats.clock_panics), (1, 1), "{stats:?}");

    let calls = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&calls);
    let reentrant = Sampler::builder()
        .max_per_second(1000.0)
        .clock(move || {
            // Replaces the sampler from inside its own decision, once.
            if seen.fetch_add(1, Ordering::Relaxed) == 0 {
                set_sampler(Sampler::ratio(1.0).unwrap());
            }
            Duration::from_secs(1)
        })
        .build()
        .unwrap();
    set_sampler(reentrant);
    assert!(!run(TraceId::generate()));
    assert!(!run(TraceId::generate()), "the sampler the clock installed decides the next trace");
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    assert_eq!(counts.0.lock().unwrap().len(), 3);
    clear_sampler();
}
