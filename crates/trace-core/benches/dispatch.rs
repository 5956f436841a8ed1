//! What one span costs through the registry: `custom_span("x")` started and ended inside
//! a trace, delivered to a processor that does nothing, installed globally or in a scope
//! (`registry::set_default`). Prints the fastest and the median of several runs, in ns per
//! span, on one thread.
//!
//! Run: `cargo bench -p trace-core --bench dispatch` (`DISPATCH_QUICK=1` for a smoke run).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use trace_core::registry::set_default;
use trace_core::{custom_span, set_trace_processor, trace, Span, Trace, TracingProcessor};

struct Nothing;

impl TracingProcessor for Nothing {
    fn on_trace_start(&self, t: &Arc<Trace>) {
        black_box(t);
    }
    fn on_trace_end(&self, t: &Arc<Trace>) {
        black_box(t);
    }
    fn on_span_start(&self, s: &Span) {
        black_box(s);
    }
    fn on_span_end(&self, s: &Arc<Span>) {
        black_box(s);
    }
}

fn run(spans: usize) -> f64 {
    let _t = trace("bench").start();
    let start = Instant::now();
    for _ in 0..spans {
        let s = custom_span("x").start();
        black_box(&s);
    }
    start.elapsed().as_nanos() as f64 / spans as f64
}

fn report(name: &str, runs: usize, spans: usize) {
    run(spans / 10);
    let mut ns: Vec<f64> = (0..runs).map(|_| run(spans)).collect();
    ns.sort_by(f64::total_cmp);
    println!("{name:<28} fastest {:>7.1} ns   median {:>7.1} ns", ns[0], ns[ns.len() / 2]);
}

fn main() {
    let quick = std::env::var("DISPATCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let (runs, spans) = if quick { (3, 10_000) } else { (15, 200_000) };
    set_trace_processor(Nothing);
    report("whole span, global", runs, spans);
    let _scope = set_default(Nothing);
    report("whole span, scoped", runs, spans);
}
