//! A replaced processor is never shut down or dropped on a producer thread (issue 11 §2):
//! whatever way it is replaced (`trace_core::set_trace_processor`, `set_trace_processors`,
//! `MultiProcessor::set`), whether the producers keep producing or exit, and whether its
//! `Drop` runs a bounded final export (a real `BatchTraceProcessor` over an exporter stuck
//! in `export`) or blocks until released.
//!
//! Each case: two producer threads use the old processor (so their per-thread caches hold
//! it) while its exporter is stuck; a controller replaces it and drops what the replace
//! returned; the producers then produce again (or exit). Their calls complete while the
//! gate is still closed; the old processor's `Drop` and its exporter's `shutdown` report
//! the name of the thread they ran on.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use test_support::doubles::BlockingExporter;
use test_support::gate::Gate;
use trace_batch::BatchTraceProcessor;
use trace_core::registry::RETIRE_THREAD_NAME;
use trace_core::{custom_span, trace, InMemoryProcessor, Span, Trace, TracingProcessor};
use trace_multi::MultiProcessor;

use crate::support::*;

const PRODUCERS: usize = 2;
const PRODUCER_PREFIX: &str = "producer-";
/// How long the test waits for a report before failing (a bound against hanging, not a
/// measurement: reports normally arrive at once).
const REPORT_WAIT: Duration = Duration::from_secs(60);

fn thread_name() -> String {
    thread::current().name().unwrap_or("<unnamed>").to_owned()
}

/// The old processor: reports the thread its `Drop` runs on, then drops `inner` there
/// (a batch processor's final export) or, with `block_in_drop`, waits for the gate. On a
/// producer thread it does not wait, so a failing test fails instead of hanging.
struct Tracked<P: TracingProcessor> {
    inner: P,
    dropped_on: Sender<String>,
    block_in_drop: Option<Arc<Gate>>,
}

impl<P: TracingProcessor> TracingProcessor for Tracked<P> {
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        self.inner.on_trace_start(trace);
    }
    fn on_trace_end(&self, trace: &Arc<Trace>) {
        self.inner.on_trace_end(trace);
    }
    fn on_span_start(&self, span: &Span) {
        self.inner.on_span_start(span);
    }
    fn on_span_end(&self, span: &Arc<Span>) {
        self.inner.on_span_end(span);
    }
}

impl<P: TracingProcessor> Drop for Tracked<P> {
    fn drop(&mut self) {
        let name = thread_name();
        let on_producer = name.starts_with(PRODUCER_PREFIX);
        let _ = self.dropped_on.send(name);
        if let (Some(gate), false) = (&self.block_in_drop, on_producer) {
            gate.wait();
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Way {
    /// `trace_core::set_trace_processor` over the old processor in the registry slot.
    Core,
    /// `trace_multi::set_trace_processors` over the old one in the global fan-out.
    Global,
    /// `MultiProcessor::set` on a fan-out installed in the registry.
    FanOut,
}

#[derive(Clone, Copy, Debug)]
enum Old {
    /// A real batch processor over an exporter stuck in `export`.
    Batch,
    /// A processor whose `Drop` blocks until the gate opens.
    BlocksInDrop,
}

#[derive(Clone, Copy, Debug)]
enum After {
    /// The producers produce again once the processor is replaced.
    Produce,
    /// The producers exit without another event (their caches are dropped at exit).
    Exit,
}

fn one_trace(label: &str) {
    let _t = trace(label.to_owned()).start();
    let _a = custom_span("a").start();
    let _b = custom_span("b").start();
}

struct Reports {
    dropped_on: Receiver<String>,
    exporter_shutdown_on: Option<Receiver<String>>,
}

fn old_processor(old: Old, gate: &Arc<Gate>) -> (Arc<dyn TracingProcessor>, Reports) {
    let (dropped_tx, dropped_rx) = channel();
    match old {
        Old::Batch => {
            let (shutdown_tx, shutdown_rx) = channel();
            let stuck = BlockingExporter::new(gate).reporting_shutdown_to(shutdown_tx);
            let batch = BatchTraceProcessor::builder(stuck)
                .schedule_delay(Duration::from_millis(1))
                .build()
                .expect("valid settings");
            let p = Tracked { inner: batch, dropped_on: dropped_tx, block_in_drop: None };
            (Arc::new(p), Reports { dropped_on: dropped_rx, exporter_shutdown_on: Some(shutdown_rx) })
        }
        Old::BlocksInDrop => {
            let p = Tracked {
                inner: InMemoryProcessor::new(),
                dropped_on: dropped_tx,
                block_in_drop: Some(Arc::clone(gate)),
            };
            (Arc::new(p), Reports { dropped_on: dropped_rx, exporter_shutdown_on: None })
        }
    }
}

fn replaced_off_the_producers(way: Way, old: Old, after: After) {
    let _registry = registry();
    let gate = Arc::new(Gate::default());
    let (old_p, reports) = old_processor(old, &gate);
    let new = InMemoryProcessor::new();
    let fanout = Arc::new(MultiProcessor::new());
    match way {
        Way::Core => drop(trace_core::set_trace_processor_shared(old_p)),
        Way::Global => drop(trace_multi::set_trace_processors(vec![old_p])),
        Way::FanOut => {
            drop(fanout.set(vec![old_p]));
            drop(trace_core::set_trace_processor_shared(Arc::clone(&fanout) as Arc<dyn TracingProcessor>));
        }
    }

    let used = Arc::new(Barrier::new(PRODUCERS + 1));
    let replaced = Arc::new(Barrier::new(PRODUCERS + 1));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|i| {
            let (used, replaced) = (Arc::clone(&used), Arc::clone(&replaced));
            thread::Builder::new()
                .name(format!("{PRODUCER_PREFIX}{i}"))
                .spawn(move || {
                    one_trace("before");
                    used.wait();
                    replaced.wait();
                    if let After::Produce = after {
                        for _ in 0..3 {
                            one_trace("after");
                        }
                    }
                })
                .expect("a producer thread")
        })
        .collect();

    used.wait();
    if let Old::Batch = old {
        // The old processor's worker is stuck in the exporter: its final export cannot end.
        assert!(gate.wait_entered(REPORT_WAIT), "the old processor's worker never reached the stuck export");
    }
    // The controller replaces the old processor and drops what it gets back: the last
    // references are now in the producers' caches.
    let replacement: Arc<dyn TracingProcessor> = Arc::new(new.clone());
    match way {
        Way::Core => drop(trace_core::set_trace_processor_shared(replacement)),
        Way::Global => drop(trace_multi::set_trace_processors(vec![replacement])),
        Way::FanOut => drop(fanout.set(vec![replacement])),
    }
    replaced.wait();
    // Every producer call completes with the gate still closed.
    for p in producers {
        p.join().expect("a producer panicked");
    }
    let produced_after = new.finished_spans().len();
    gate.open();

    let dropped_on = reports.dropped_on.recv_timeout(REPORT_WAIT).expect("the old processor is dropped");
    assert_eq!(dropped_on, RETIRE_THREAD_NAME, "{way:?} {old:?} {after:?}: the old processor was dropped there");
    if let Some(shutdown_on) = reports.exporter_shutdown_on {
        let on = shutdown_on.recv_timeout(REPORT_WAIT).expect("the old exporter is shut down");
        assert!(!on.starts_with(PRODUCER_PREFIX), "{way:?} {after:?}: the old exporter was shut down on {on}");
    }
    match after {
        After::Produce => assert_eq!(produced_after, PRODUCERS * 3 * 2, "the new processor got the spans after"),
        After::Exit => assert_eq!(produced_after, 0),
    }
}

/// Replaces an `old` processor every way there is (the registry, `set_trace_processors`,
/// inside a fan-out), with producers going on after, or exiting.
fn replaced_every_way_off_the_producers(old: Old) {
    for way in [Way::Core, Way::Global, Way::FanOut] {
        for after in [After::Produce, After::Exit] {
            replaced_off_the_producers(way, old, after);
        }
    }
}

#[test]
fn a_batch_processor_replaced_any_way_is_shut_down_off_the_producers() {
    replaced_every_way_off_the_producers(Old::Batch);
}

#[test]
fn a_processor_whose_drop_blocks_never_blocks_a_producer_whatever_the_way_it_is_replaced() {
    replaced_every_way_off_the_producers(Old::BlocksInDrop);
}
