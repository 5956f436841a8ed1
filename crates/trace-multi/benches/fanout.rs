//! Nanoseconds per `on_span_end` through a fan-out of two processors that do nothing,
//! on 1 and 2 threads at once, comparing ways of reading the list:
//!
//! - `MultiProcessor`: this crate; a per-thread cache checked against a change counter.
//! - `RwLock + Arc clone`: read-lock, clone the `Arc<[..]>`, unlock, call (what Python's
//!   tuple swap amounts to). Two shared read-modify-writes on the lock, two on the count.
//! - `RwLock held`: read-lock held across the calls; cheaper, but a processor that
//!   re-enters (creates a span) while an `add` waits for the write lock deadlocks, so it
//!   is shown for scale only.
//! - `plain slice`: no synchronisation at all, the floor.
//!
//! Every variant calls through `&dyn TracingProcessor` and wraps each processor in
//! `catch_unwind`, as the registry and the fan-out do.
//!
//! Run: `CARGO_TARGET_DIR=/tmp/target-multi cargo bench -p trace-multi --bench fanout`.
//! The fastest and the median of several runs are printed; with 2 threads each thread does the same
//! number of calls and the figure is per call on each thread (latency, not throughput).
//!
//! Measured on a loaded 2-core AMD EPYC (other builds running), fastest / median, ns:
//!
//! ```text
//! variant                              1 thread      2 threads
//! MultiProcessor (per-thread cache)   8.1 / 11.4    10.2 / 11.8
//! RwLock + Arc clone                  8.8 / 9.9     20.8 / 63.6
//! RwLock held (deadlock-prone)        5.8 / 6.0     15.7 / 27.8
//! plain slice (no sync)               5.8 / 7.5      6.2 / 6.3
//! ```
//!
//! On one thread the ways are within noise of each other; on two, the per-thread cache
//! stays near the floor while the lock and the shared count bounce between the cores.

#[macro_use]
#[path = "../tests/ignores.rs"]
mod ignores;

use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Barrier, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use trace_core::span_data::CustomSpanData;
use trace_core::{Span, SpanId, Trace, TraceId, TracingProcessor};
use trace_multi::MultiProcessor;

const CALLS: u32 = 2_000_000;
const RUNS: usize = 9;

struct Nop;

impl TracingProcessor for Nop {
    ignores!(trace_start, trace_end, span_start);
    fn on_span_end(&self, span: &Arc<Span>) {
        black_box(span);
    }
}

type List = Arc<[Arc<dyn TracingProcessor>]>;

fn two() -> List {
    vec![Arc::new(Nop) as Arc<dyn TracingProcessor>, Arc::new(Nop)].into()
}

fn call_all(list: &[Arc<dyn TracingProcessor>], span: &Arc<Span>) {
    for p in list {
        let _ = catch_unwind(AssertUnwindSafe(|| p.on_span_end(span)));
    }
}

struct RwLockClone(RwLock<List>);

impl TracingProcessor for RwLockClone {
    ignores!(trace_start, trace_end, span_start);
    fn on_span_end(&self, span: &Arc<Span>) {
        let list = Arc::clone(&self.0.read().unwrap_or_else(|e| e.into_inner()));
        call_all(&list, span);
    }
}

struct RwLockHeld(RwLock<List>);

impl TracingProcessor for RwLockHeld {
    ignores!(trace_start, trace_end, span_start);
    fn on_span_end(&self, span: &Arc<Span>) {
        call_all(&self.0.read().unwrap_or_else(|e| e.into_inner()), span);
    }
}

struct Plain(List);

impl TracingProcessor for Plain {
    ignores!(trace_start, trace_end, span_start);
    fn on_span_end(&self, span: &Arc<Span>) {
        call_all(&self.0, span);
    }
}

/// ns per call on each of `threads` threads, for one run.
fn run_once(processor: &Arc<dyn TracingProcessor>, threads: usize) -> f64 {
    let start = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (p, start) = (Arc::clone(processor), Arc::clone(&start));
            thread::spawn(move || {
                let trace = Arc::new(Trace::new(TraceId::generate(), "bench"));
                let span = Arc::new(Span::new(SpanId::generate(), trace, None, CustomSpanData::default()));
                let p: &dyn TracingProcessor = black_box(&*p);
                p.on_span_end(&span); // warm the caches
                start.wait();
                let t = Instant::now();
                for _ in 0..CALLS {
                    p.on_span_end(black_box(&span));
                }
                t.elapsed()
            })
        })
        .collect();
    let total: Duration = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total.as_nanos() as f64 / (threads as f64 * f64::from(CALLS))
}

/// Fastest and median of `runs`.
fn summary(mut runs: Vec<f64>) -> (f64, f64) {
    runs.sort_by(f64::total_cmp);
    (runs[0], runs[runs.len() / 2])
}

fn main() {
    // `cargo test --benches` passes `--bench`-less args; run quickly then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let variants: Vec<(&str, Arc<dyn TracingProcessor>)> = vec![
        ("MultiProcessor (per-thread cache)", Arc::new(MultiProcessor::new().with(Nop).with(Nop))),
        ("RwLock + Arc clone", Arc::new(RwLockClone(RwLock::new(two())))),
        ("RwLock held (deadlock-prone)", Arc::new(RwLockHeld(RwLock::new(two())))),
        ("plain slice (no sync)", Arc::new(Plain(two()))),
    ];
    if quick {
        for (_, p) in &variants {
            let trace = Arc::new(Trace::new(TraceId::generate(), "bench"));
            p.on_span_end(&Arc::new(Span::new(SpanId::generate(), trace, None, CustomSpanData::default())));
        }
        return;
    }
    let mut results = Vec::new();
    println!("ns per on_span_end, 2 processors, {RUNS} runs of {CALLS} calls per thread: fastest / median");
    println!("(runs interleaved across variants, so that load from other processes hits them alike)");
    println!("{:<36} {:>14} {:>14}", "variant", "1 thread", "2 threads");
    for threads in [1, 2] {
        let mut runs = vec![Vec::new(); variants.len()];
        for _ in 0..RUNS {
            for (i, (_, p)) in variants.iter().enumerate() {
                runs[i].push(run_once(p, threads));
            }
        }
        results.push(runs.into_iter().map(summary).collect::<Vec<_>>());
    }
    for (i, (name, _)) in variants.iter().enumerate() {
        let ((one_min, one_med), (two_min, two_med)) = (results[0][i], results[1][i]);
        println!("{name:<36} {one_min:>6.1} / {one_med:<5.1} {two_min:>6.1} / {two_med:<5.1}");
    }
}
