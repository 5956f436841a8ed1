//! The worst producer iteration while the installed processor is replaced, with the old
//! processor a [`BatchTraceProcessor`] whose exporter is stuck in `export` (issue 11 §2).
//!
//! Two producer threads run traces of a few spans through the registry. Once both have
//! used the old processor and its worker is stuck in the exporter, a controller thread
//! replaces it, through `trace_core::set_trace_processor`, then through
//! `trace_multi::set_trace_processors`, then inside a fan-out with `MultiProcessor::set`;
//! the producers then run more iterations, each one timed. The figure printed per way is
//! the longest single iteration (trace start, 4 spans, trace end) seen after the replace.
//! Nothing is asserted: the tests assert where the old processor's `Drop` runs.
//!
//! Run: `cargo bench -p trace-multi --bench replace`.
//!
//! Measured on a shared 2-core machine (load average 4 to 6), worst iteration per way:
//! before the retirement thread (c681eb4) 5.00 s each, the batch processor's drop timeout,
//! spent on the producer that released the last reference; after it, 0.2 to 32 ms over
//! five runs (scheduling noise), the old processor's `Drop` running on `trace-retire`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use trace_batch::BatchTraceProcessor;
use trace_core::{custom_span, trace, ExportError, ExportItem, InMemoryProcessor, TracingExporter, TracingProcessor};
use trace_multi::MultiProcessor;

const PRODUCERS: usize = 2;
const ITERATIONS_AFTER: usize = 2_000;

/// Blocks every `export` until opened.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
    entered: AtomicU64,
}

impl Gate {
    fn wait(&self) {
        self.entered.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_all();
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.changed.wait(open).unwrap();
        }
    }

    fn wait_entered(&self) {
        let mut open = self.open.lock().unwrap();
        while self.entered.load(Ordering::SeqCst) == 0 {
            open = self.changed.wait(open).unwrap();
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.changed.notify_all();
    }
}

struct StuckExporter(Arc<Gate>);

impl TracingExporter for StuckExporter {
    fn export(&self, _: &[ExportItem]) -> Result<(), ExportError> {
        self.0.wait();
        Ok(())
    }
}

fn iteration(i: usize) {
    let _t = trace(format!("replace-{i}")).start();
    for s in 0..4 {
        let _s = custom_span(format!("step-{s}")).start();
    }
}

/// Runs the scenario with `install` putting the stuck batch processor in place and
/// `replace` taking it out; returns the longest producer iteration after the replace.
fn scenario(install: impl FnOnce(Arc<dyn TracingProcessor>), replace: impl FnOnce()) -> Duration {
    let gate = Arc::new(Gate::default());
    let batch = BatchTraceProcessor::builder(StuckExporter(Arc::clone(&gate)))
        .schedule_delay(Duration::from_millis(1))
        .build()
        .expect("valid settings");
    install(Arc::new(batch));
    let used = Arc::new(Barrier::new(PRODUCERS + 1));
    let replaced = Arc::new(Barrier::new(PRODUCERS + 1));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|_| {
            let (used, replaced) = (Arc::clone(&used), Arc::clone(&replaced));
            thread::spawn(move || {
                iteration(0);
                used.wait();
                replaced.wait();
                let mut worst = Duration::ZERO;
                for i in 0..ITERATIONS_AFTER {
                    let started = Instant::now();
                    iteration(i);
                    worst = worst.max(started.elapsed());
                }
                worst
            })
        })
        .collect();
    used.wait();
    gate.wait_entered();
    replace();
    replaced.wait();
    let worst = producers.into_iter().map(|p| p.join().expect("a producer panicked")).max().unwrap_or_default();
    gate.open();
    worst
}

fn main() {
    let through_core = scenario(
        |p| {
            trace_core::set_trace_processor_shared(p);
        },
        || {
            trace_core::set_trace_processor(InMemoryProcessor::new());
        },
    );
    println!("worst producer iteration after trace_core::set_trace_processor: {through_core:?}");

    let through_multi = scenario(
        |p| {
            trace_multi::set_trace_processors(vec![p]);
        },
        || {
            trace_multi::set_trace_processors(vec![Arc::new(InMemoryProcessor::new())]);
        },
    );
    println!("worst producer iteration after trace_multi::set_trace_processors: {through_multi:?}");

    let fanout = Arc::new(MultiProcessor::new());
    trace_core::set_trace_processor_shared(Arc::clone(&fanout) as Arc<dyn TracingProcessor>);
    let inside = scenario(
        |p| {
            fanout.set(vec![p]);
        },
        || {
            fanout.set(vec![Arc::new(InMemoryProcessor::new())]);
        },
    );
    println!("worst producer iteration after MultiProcessor::set: {inside:?}");
}
