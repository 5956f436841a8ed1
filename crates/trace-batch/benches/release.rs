//! Which threads should free the spans the worker exported: the producers (the default,
//! [`FreeExported::Producers`]) or the worker ([`FreeExported::Worker`])?
//!
//! Two figures for each setting, in rounds that alternate between the settings (A B A B
//! ...), each round with a fresh processor over an exporter that discards:
//! - **whole span**: `custom_span("x")` with data `{"i": i}` created, started and finished
//!   inside a trace, through the registry, a queue that holds the whole run (so nothing is
//!   dropped and the worker drains while producers run): nanoseconds per span per thread (the slowest thread's wall time / spans per thread), 1 and 2 producer threads;
//! - **span end with 10 MB spans**: 2 producer threads each end spans carrying a 10 MB
//!   string, queue 64; the time of each span end alone (`finish`: the enqueue, and under
//!   `Producers` the freeing of a span handed back), its 99th percentile and its maximum.
//!
//! Each figure is reported as min / median / max over the rounds. The machine this runs on
//! is noisy: compare the settings within one run, never across runs.
//!
//! Run: `cargo bench -p trace-batch --bench release` (`--quick` for a smoke run).

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use trace_batch::{BatchTraceProcessor, FreeExported};
use trace_core::{
    clear_trace_processor, custom_span, set_trace_processor, trace, ExportError, ExportItem, TracingExporter,
};

/// An exporter that looks at the batch and throws it away.
struct Discard;

impl TracingExporter for Discard {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        black_box(items.len());
        Ok(())
    }
}

const SETTINGS: [(FreeExported, &str); 2] = [(FreeExported::Producers, "producers"), (FreeExported::Worker, "worker")];

/// A processor with `setting`, installed in the registry; removed and shut down by `done`.
fn install(setting: FreeExported, queue: usize) -> Arc<BatchTraceProcessor> {
    let p = Arc::new(
        BatchTraceProcessor::builder(Discard).free_exported_on(setting).max_queue_size(queue).build().expect("valid"),
    );
    set_trace_processor(Arc::clone(&p));
    p
}

fn done(p: Arc<BatchTraceProcessor>) {
    clear_trace_processor();
    let _ = p.shutdown(Some(Duration::from_secs(30)));
    let stats = p.stats();
    assert_eq!(stats.dropped(), 0, "a round dropped spans: {stats:?}");
}

/// Nanoseconds per whole span per thread: the slowest thread's wall time / `n`.
fn whole_span(setting: FreeExported, threads: usize, n: usize) -> f64 {
    let p = install(setting, (n * threads).next_power_of_two());
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let _t = trace("release bench").start();
                barrier.wait();
                let started = Instant::now();
                for i in 0..n {
                    custom_span("x").data(json!({ "i": i })).start().finish();
                }
                started.elapsed()
            })
        })
        .collect();
    let slowest = handles.into_iter().map(|h| h.join().expect("producer")).max().unwrap_or_default();
    done(p);
    slowest.as_nanos() as f64 / n as f64
}

/// The 99th percentile and the maximum of one span end, in microseconds, with spans
/// carrying `blob_bytes` of data, `n` spans on each of 2 threads.
fn large_span_ends(setting: FreeExported, blob_bytes: usize, n: usize) -> (f64, f64) {
    let p = install(setting, 64);
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let blob = "x".repeat(blob_bytes);
                let _t = trace("release bench, large").start();
                barrier.wait();
                let mut ends = Vec::with_capacity(n);
                for _ in 0..n {
                    // Building the 10 MB value is the caller's cost either way: not timed.
                    let mut span = custom_span("big").data(json!({ "blob": blob.clone() })).start();
                    let started = Instant::now();
                    span.finish();
                    ends.push(started.elapsed());
                }
                ends
            })
        })
        .collect();
    let mut ends: Vec<Duration> = handles.into_iter().flat_map(|h| h.join().expect("producer")).collect();
    done(p);
    ends.sort();
    let p99 = ends[(ends.len() * 99 / 100).min(ends.len() - 1)];
    let max = ends.last().copied().unwrap_or_default();
    (p99.as_secs_f64() * 1e6, max.as_secs_f64() * 1e6)
}

/// `min / median / max` of `values`.
fn spread(values: &mut [f64], unit: &str) -> String {
    values.sort_by(f64::total_cmp);
    let median = values[values.len() / 2];
    format!("{:.1} / {:.1} / {:.1} {unit}", values[0], median, values[values.len() - 1])
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick") || std::env::var_os("RELEASE_QUICK").is_some();
    let (rounds, n, big_n) = if quick { (1, 2_000, 8) } else { (5, 200_000, 200) };
    const BIG: usize = 10 << 20;

    // [setting][figure] -> values over rounds.
    let mut one = [Vec::new(), Vec::new()];
    let mut two = [Vec::new(), Vec::new()];
    let mut p99 = [Vec::new(), Vec::new()];
    let mut max = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (k, (setting, _)) in SETTINGS.iter().enumerate() {
            one[k].push(whole_span(*setting, 1, n));
            two[k].push(whole_span(*setting, 2, n));
            let (p, m) = large_span_ends(*setting, BIG, big_n);
            p99[k].push(p);
            max[k].push(m);
        }
    }

    println!("exported spans freed by | whole span, 1 thread | whole span, 2 threads | 10 MB span end, p99 | 10 MB span end, max");
    println!("---|---|---|---|---");
    for (k, (_, name)) in SETTINGS.iter().enumerate() {
        println!(
            "{name} | {} | {} | {} | {}",
            spread(&mut one[k], "ns"),
            spread(&mut two[k], "ns"),
            spread(&mut p99[k], "µs"),
            spread(&mut max[k], "µs"),
        );
    }
    println!("({rounds} rounds, settings alternating; min / median / max over the rounds)");
}
