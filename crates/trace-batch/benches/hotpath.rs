//! The hot path of the batch processor: what ending a span costs the caller's thread.
//!
//! Measures, with an exporter that discards:
//! - `on_span_end`: the processor's enqueue alone, called directly with prebuilt spans;
//! - `whole span`: `custom_span("x")` with data `{"i": i}` created, started, finished and
//!   queued inside a trace, through the global registry (`set_trace_processor`);
//! - `whole span, no data`: the same with `custom_span("x")` and no data, so no map is
//!   built: what the pipeline itself costs per span;
//! - `whole span, no processor`: the whole span with data and no processor installed, the
//!   baseline of what trace-core and the allocator cost without any queue;
//!
//! with 1 and 2 producer threads, for a queue big enough never to drop (it holds every
//! span of a run, so span memory piles up), a 65536 queue that the worker drains while
//! the producers run (the steady state), and the default queue (8192). Each figure is the median of several runs (min and max too) of
//! the nanoseconds per operation per thread (wall time of the slowest thread / operations
//! per thread).
//!
//! Then the production controls (`policy: ...` rows), one producer thread, the whole span
//! with data in traces of 10 spans (the trace's start and end shared by its spans), the
//! 65536 queue (the steady state), the
//! variants run in interleaved rounds (one run of each in turn, so that a noisy moment
//! hits them all): no control set (`plain`), a sampler at 100 %, 10 % and 0 %, a
//! redactor on the batch worker (an e-mail rule and the API-key masking), and sensitive
//! data off. Two figures per row: ns per span on the producer's thread, and ns per span
//! until the worker has exported everything (the redactor's cost shows there).
//!
//! Run: `cargo bench -p trace-batch --bench hotpath`. Smoke mode (tiny N, seconds):
//! `HOTPATH_QUICK=1 cargo bench -p trace-batch --bench hotpath` or pass `--quick`.
//! `HOTPATH_JSON=1` adds one JSON line per row (for `cargo xtask bench`); `HOTPATH_RUNS=N`
//! sets the runs per row (7 by default, 2 in smoke mode).

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Map};
use trace_batch::BatchTraceProcessor;
use trace_core::redact::Redactor;
use trace_core::sampling::{clear_sampler, set_sampler, Sampler};
use trace_core::{
    clear_trace_processor, custom_span, set_trace_include_sensitive_data, set_trace_processor, trace, CustomSpanData,
    ExportError, ExportItem, Span, SpanId, Trace, TraceId, TracingExporter, TracingProcessor,
};

/// An exporter that looks at the batch and throws it away.
struct Discard;

impl TracingExporter for Discard {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        black_box(items.len());
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Measure {
    /// `processor.on_span_end(&span)` with prebuilt spans.
    OnSpanEnd,
    /// A whole span through the registry, the batch processor installed.
    WholeSpan,
    /// The same without data (no map built).
    WholeSpanNoData,
    /// A whole span with no processor installed: what trace-core alone costs.
    WholeSpanNoProcessor,
}

impl Measure {
    fn name(self) -> &'static str {
        match self {
            Measure::OnSpanEnd => "on_span_end",
            Measure::WholeSpan => "whole span (registry)",
            Measure::WholeSpanNoData => "whole span, no data",
            Measure::WholeSpanNoProcessor => "whole span, no processor",
        }
    }
}

/// A queue that the worker drains while the producers run, big enough that it rarely
/// drops: the steady state, where span memory is recycled instead of piling up.
const STEADY_QUEUE: usize = 65_536;

struct Settings {
    per_thread: usize,
    runs: usize,
}

struct Row {
    measure: Measure,
    queue: usize,
    threads: usize,
    ns: Vec<f64>,
    dropped: u64,
    offered: u64,
}

fn main() {
    let quick = std::env::var("HOTPATH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
        || std::env::args().any(|a| a == "--quick");
    let mut settings =
        if quick { Settings { per_thread: 2_000, runs: 2 } } else { Settings { per_thread: 100_000, runs: 7 } };
    if let Some(runs) = std::env::var("HOTPATH_RUNS").ok().and_then(|v| v.parse().ok()).filter(|r: &usize| *r > 0) {
        settings.runs = runs;
    }
    println!(
        "trace-batch hot path: {} ops per thread per run, {} runs per row{}",
        settings.per_thread,
        settings.runs,
        if quick { " (quick smoke mode)" } else { "" }
    );

    let started = Instant::now();
    let mut rows = Vec::new();
    for measure in [Measure::OnSpanEnd, Measure::WholeSpan, Measure::WholeSpanNoData, Measure::WholeSpanNoProcessor] {
        for threads in [1, 2] {
            // Big enough never to drop, even if the worker never ran during a run.
            let big = (settings.per_thread * threads + threads).next_power_of_two();
            let queues: &[usize] = match measure {
                Measure::OnSpanEnd => &[big, trace_batch::DEFAULT_MAX_QUEUE_SIZE],
                Measure::WholeSpan => &[big, STEADY_QUEUE, trace_batch::DEFAULT_MAX_QUEUE_SIZE],
                Measure::WholeSpanNoData => &[STEADY_QUEUE, trace_batch::DEFAULT_MAX_QUEUE_SIZE],
                Measure::WholeSpanNoProcessor => &[0],
            };
            for &queue in queues {
                rows.push(run_row(measure, queue, threads, &settings));
            }
        }
    }
    print_table(&rows);
    let policy = policy_rows(&settings);
    print_policy_table(&policy);
    if std::env::var("HOTPATH_JSON").is_ok_and(|v| !v.is_empty() && v != "0") {
        print_json(&rows);
        print_policy_json(&policy);
    }
    println!("total bench time: {:.1} s", started.elapsed().as_secs_f64());
}

fn run_row(measure: Measure, queue: usize, threads: usize, s: &Settings) -> Row {
    let processor =
        Arc::new(BatchTraceProcessor::builder(Discard).max_queue_size(queue.max(1)).build().expect("valid config"));
    match measure {
        Measure::WholeSpan | Measure::WholeSpanNoData => drop(set_trace_processor(Arc::clone(&processor))),
        Measure::WholeSpanNoProcessor => drop(clear_trace_processor()),
        Measure::OnSpanEnd => {}
    }
    // One warm-up run, not reported.
    one_run(measure, &processor, threads, s.per_thread.min(20_000));
    processor.force_flush(None).expect("flush");
    let before = processor.stats();
    let mut ns = Vec::with_capacity(s.runs);
    for _ in 0..s.runs {
        ns.push(one_run(measure, &processor, threads, s.per_thread));
        processor.force_flush(None).expect("flush");
    }
    let after = processor.stats();
    processor.shutdown(Some(Duration::from_secs(10))).expect("shutdown");
    Row {
        measure,
        queue,
        threads,
        ns,
        dropped: after.dropped() - before.dropped(),
        offered: after.offered() - before.offered(),
    }
}

/// One run; returns ns per operation per thread (slowest thread's wall time / ops).
fn one_run(measure: Measure, processor: &Arc<BatchTraceProcessor>, threads: usize, n: usize) -> f64 {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let processor = Arc::clone(processor);
            thread::spawn(move || match measure {
                Measure::OnSpanEnd => {
                    let trace = Arc::new(Trace::new(TraceId::generate(), "bench"));
                    let spans: Vec<Arc<Span>> = (0..n)
                        .map(|i| {
                            let mut data = Map::new();
                            data.insert("i".to_owned(), json!(i));
                            let d = CustomSpanData { name: "x".into(), data: data.into() };
                            Arc::new(Span::new(SpanId::generate(), Arc::clone(&trace), None, d))
                        })
                        .collect();
                    barrier.wait();
                    let t0 = Instant::now();
                    for span in &spans {
                        processor.on_span_end(span);
                    }
                    let elapsed = t0.elapsed();
                    drop(spans);
                    elapsed
                }
                Measure::WholeSpanNoData => {
                    let _trace = trace("bench").start();
                    barrier.wait();
                    let t0 = Instant::now();
                    for _ in 0..n {
                        let _span = custom_span("x").start();
                    }
                    t0.elapsed()
                }
                Measure::WholeSpan | Measure::WholeSpanNoProcessor => {
                    let _trace = trace("bench").start();
                    barrier.wait();
                    let t0 = Instant::now();
                    for i in 0..n {
                        let mut data = Map::new();
                        data.insert("i".to_owned(), json!(i));
                        let _span = custom_span("x").data(data).start();
                    }
                    t0.elapsed()
                }
            })
        })
        .collect();
    let slowest = handles.into_iter().map(|h| h.join().expect("bench thread")).max().unwrap_or_default();
    slowest.as_nanos() as f64 / n as f64
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 0 {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    }
}

fn print_json(rows: &[Row]) {
    for r in rows {
        let min = r.ns.iter().copied().fold(f64::INFINITY, f64::min);
        let max = r.ns.iter().copied().fold(0.0, f64::max);
        println!(
            r#"{{"lang":"rust","measure":"{}","queue":{},"threads":{},"median_ns":{:.1},"min_ns":{:.1},"max_ns":{:.1},"dropped":{},"offered":{}}}"#,
            r.measure.name(),
            r.queue,
            r.threads,
            median(&r.ns),
            min,
            max,
            r.dropped,
            r.offered
        );
    }
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<26} {:>8} {:>7} {:>10} {:>8} {:>8} {:>12} {:>10} {:>10}",
        "measure", "queue", "threads", "median ns", "min ns", "max ns", "total Mop/s", "dropped", "offered"
    );
    println!("{}", "-".repeat(108));
    for r in rows {
        let med = median(&r.ns);
        let min = r.ns.iter().copied().fold(f64::INFINITY, f64::min);
        let max = r.ns.iter().copied().fold(0.0, f64::max);
        let mops = r.threads as f64 * 1_000.0 / med;
        let baseline = r.measure == Measure::WholeSpanNoProcessor;
        let shown = |v: String| if baseline { "-".to_owned() } else { v };
        println!(
            "{:<26} {:>8} {:>7} {:>10.1} {:>8.1} {:>8.1} {:>12.2} {:>10} {:>10}",
            r.measure.name(),
            shown(r.queue.to_string()),
            r.threads,
            med,
            min,
            max,
            mops,
            shown(r.dropped.to_string()),
            shown(r.offered.to_string())
        );
    }
    println!();
    println!("targets: on_span_end <= 150 ns median; whole span <= 250 ns median (1 thread)");
}

/// A production control the `policy: ...` rows measure.
#[derive(Clone, Copy, PartialEq)]
enum Policy {
    /// No control set: the baseline of these rows.
    Plain,
    /// A ratio sampler keeping this many percent of traces.
    Sampling(u32),
    /// A redactor on the batch worker: an e-mail rule, then the API-key masking.
    Redactor,
    /// The sensitive-data switch off.
    SensitiveOff,
}

impl Policy {
    const ALL: [Policy; 6] = [
        Policy::Plain,
        Policy::Sampling(100),
        Policy::Sampling(10),
        Policy::Sampling(0),
        Policy::Redactor,
        Policy::SensitiveOff,
    ];

    fn name(self) -> String {
        match self {
            Policy::Plain => "policy: plain".to_owned(),
            Policy::Sampling(p) => format!("policy: sampling {p} %"),
            Policy::Redactor => "policy: redactor set".to_owned(),
            Policy::SensitiveOff => "policy: sensitive data off".to_owned(),
        }
    }

    /// Sets the global controls for this variant (and unsets the others').
    fn install(self) {
        match self {
            Policy::Sampling(p) => drop(set_sampler(Sampler::ratio(f64::from(p) / 100.0).expect("valid ratio"))),
            _ => drop(clear_sampler()),
        }
        set_trace_include_sensitive_data(self != Policy::SensitiveOff);
    }
}

/// Spans per trace in the `policy: ...` rows.
const SPANS_PER_TRACE: usize = 10;

struct PolicyRow {
    policy: Policy,
    queue: usize,
    /// ns per span on the producer's thread, per round.
    produce: Vec<f64>,
    /// ns per span until the worker has exported everything, per round.
    drained: Vec<f64>,
    dropped: u64,
    offered: u64,
}

fn mask_emails(text: &str) -> Option<String> {
    text.contains('@')
        .then(|| text.split(' ').map(|w| if w.contains('@') { "<email>" } else { w }).collect::<Vec<_>>().join(" "))
}

fn policy_rows(s: &Settings) -> Vec<PolicyRow> {
    let n = s.per_thread - s.per_thread % SPANS_PER_TRACE;
    // The steady state, as the `whole span (registry)` row of the same queue: the worker
    // drains while the producer runs (drops, if the worker fell behind, are shown).
    let queue = STEADY_QUEUE;
    let mut rows: Vec<(PolicyRow, Arc<BatchTraceProcessor>)> = Policy::ALL
        .iter()
        .map(|&policy| {
            let mut builder = BatchTraceProcessor::builder(Discard).max_queue_size(queue);
            if policy == Policy::Redactor {
                builder = builder.redactor(Redactor::new(mask_emails));
            }
            let processor = Arc::new(builder.build().expect("valid config"));
            let row = PolicyRow { policy, queue, produce: Vec::new(), drained: Vec::new(), dropped: 0, offered: 0 };
            (row, processor)
        })
        .collect();
    // One warm-up round, not reported; then interleaved rounds.
    for round in 0..=s.runs {
        for (row, processor) in &mut rows {
            drop(set_trace_processor(Arc::clone(processor)));
            row.policy.install();
            let before = processor.stats();
            let size = if round == 0 { n.min(20_000) } else { n };
            let (produce, drained) = policy_run(processor, size);
            let after = processor.stats();
            if round > 0 {
                row.produce.push(produce);
                row.drained.push(drained);
                row.dropped += after.dropped() - before.dropped();
                row.offered += after.offered() - before.offered();
            }
        }
    }
    Policy::Plain.install();
    drop(clear_trace_processor());
    rows.into_iter()
        .map(|(row, processor)| {
            processor.shutdown(Some(Duration::from_secs(10))).expect("shutdown");
            row
        })
        .collect()
}

/// One run of `n` spans with data, in traces of [`SPANS_PER_TRACE`], on a thread of its
/// own; returns ns per span until the last span ended, and until the worker exported all.
fn policy_run(processor: &Arc<BatchTraceProcessor>, n: usize) -> (f64, f64) {
    let processor = Arc::clone(processor);
    thread::spawn(move || {
        let t0 = Instant::now();
        for t in 0..n / SPANS_PER_TRACE {
            let _trace = trace("bench").start();
            for j in 0..SPANS_PER_TRACE {
                let mut data = Map::new();
                data.insert("i".to_owned(), json!(t * SPANS_PER_TRACE + j));
                let _span = custom_span("x").data(data).start();
            }
        }
        let produced = t0.elapsed();
        processor.force_flush(None).expect("flush");
        let drained = t0.elapsed();
        (produced.as_nanos() as f64 / n as f64, drained.as_nanos() as f64 / n as f64)
    })
    .join()
    .expect("bench thread")
}

fn min_med_max(v: &[f64]) -> (f64, f64, f64) {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    (min, median(v), max)
}

fn print_policy_table(rows: &[PolicyRow]) {
    println!(
        "production controls: 1 thread, custom spans with data in traces of {SPANS_PER_TRACE}, interleaved rounds"
    );
    println!(
        "{:<28} {:>8} {:>10} {:>8} {:>8} {:>13} {:>9} {:>9} {:>8} {:>9}",
        "measure", "queue", "median ns", "min ns", "max ns", "drained med", "drn min", "drn max", "dropped", "offered"
    );
    println!("{}", "-".repeat(122));
    for r in rows {
        let (min, med, max) = min_med_max(&r.produce);
        let (dmin, dmed, dmax) = min_med_max(&r.drained);
        println!(
            "{:<28} {:>8} {:>10.1} {:>8.1} {:>8.1} {:>13.1} {:>9.1} {:>9.1} {:>8} {:>9}",
            r.policy.name(),
            r.queue,
            med,
            min,
            max,
            dmed,
            dmin,
            dmax,
            r.dropped,
            r.offered
        );
    }
    println!();
    println!("target: with no control set, the whole span is not dearer than before (the check is one relaxed load per trace)");
}

fn print_policy_json(rows: &[PolicyRow]) {
    for r in rows {
        let (min, med, max) = min_med_max(&r.produce);
        let (dmin, dmed, dmax) = min_med_max(&r.drained);
        println!(
            r#"{{"lang":"rust","measure":"{}","queue":{},"threads":1,"median_ns":{med:.1},"min_ns":{min:.1},"max_ns":{max:.1},"drained_median_ns":{dmed:.1},"drained_min_ns":{dmin:.1},"drained_max_ns":{dmax:.1},"dropped":{},"offered":{}}}"#,
            r.policy.name(),
            r.queue,
            r.dropped,
            r.offered
        );
    }
}
