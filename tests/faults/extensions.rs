//! Misbehaving extensions next to the OpenAI pipeline: a processor and an exporter that
//! panic on every call; a processor and an exporter that block for ever. The callers never
//! notice, shutdown stays bounded, and the OpenAI pipeline delivers everything.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use agents_tracing::batch::BatchTraceProcessor;
use agents_tracing::core::{ExportError, ExportItem, ProcessorError, Span, Trace, TracingExporter, TracingProcessor};
use agents_tracing::multi::global_multi_processor;
use test_support::doubles::{quiet_deliberate_panics, BlockingExporter, PanickingProcessor, DELIBERATE_PANIC};
use test_support::gate::Gate;
use test_support::server::Reply;

use super::{exporter, logcap, produce, server, Accounting, Pipeline};

/// Panics in `export` and `shutdown`.
struct PanickingExporter;

impl TracingExporter for PanickingExporter {
    fn export(&self, _: &[ExportItem]) -> Result<(), ExportError> {
        panic!("{DELIBERATE_PANIC}: export");
    }
    fn shutdown(&self) {
        panic!("{DELIBERATE_PANIC}: exporter shutdown");
    }
}

#[test]
fn a_processor_and_an_exporter_that_panic_on_every_call_cost_only_their_own_items() {
    quiet_deliberate_panics();
    let server = server(Reply::ok());
    let panicking_batch = Arc::new(BatchTraceProcessor::builder(PanickingExporter).build().unwrap());
    let p = Pipeline::install(
        exporter(&server.url()),
        |b| b,
        vec![Arc::new(PanickingProcessor), Arc::clone(&panicking_batch) as _],
    );

    let produced = produce("panics", 3, 3, 5);
    let flushed = agents_tracing::core::force_flush(Some(Duration::from_secs(10)));
    let Err(ProcessorError::Several(errors)) = flushed else { panic!("expected the panic reported: {flushed:?}") };
    assert!(matches!(errors[..], [(1, ProcessorError::Panicked(_))]), "{errors:?}");
    let timeout = Duration::from_secs(5);
    let (took, result) = p.shutdown(timeout);
    let Err(ProcessorError::Several(errors)) = result else { panic!("expected the panic reported: {result:?}") };
    assert!(matches!(errors[..], [(1, ProcessorError::Panicked(_))]), "{errors:?}");

    // The OpenAI pipeline got everything.
    let a = Accounting::check_delivered_once(&p, produced.items, &server.requests());
    // The panicking processor: every call caught and counted (9 traces and 45 spans
    // started and ended, one flush, one shutdown).
    let stats = global_multi_processor().stats();
    assert_eq!(stats[1].panics, 2 * 9 + 2 * 45 + 2, "{stats:?}");
    // The panicking exporter lost its own items only, each counted.
    let b = panicking_batch.stats();
    assert_eq!((b.offered(), b.lost_to_panics, b.lost, b.pending), (produced.items, produced.items, produced.items, 0));
    assert!(!logcap::containing(DELIBERATE_PANIC).is_empty(), "the panics were logged");
    a.print("panicking_processor_and_exporter", produced.max_block, Some((took, timeout)));
}

/// Ignores its timeouts: `force_flush` and `shutdown` block until the gate opens.
struct BlockingProcessor(Arc<Gate>);

impl TracingProcessor for BlockingProcessor {
    fn on_trace_start(&self, _: &Arc<Trace>) {}
    fn on_trace_end(&self, _: &Arc<Trace>) {}
    fn on_span_start(&self, _: &Span) {}
    fn on_span_end(&self, _: &Arc<Span>) {}
    fn force_flush(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
        self.0.wait();
        Ok(())
    }
    fn shutdown(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
        self.0.wait();
        Ok(())
    }
}

#[test]
fn an_exporter_and_a_processor_that_block_for_ever_leave_callers_shutdown_and_others_unaffected() {
    let server = server(Reply::ok());
    let gate = Arc::new(Gate::default());
    let blocking = BlockingExporter::new(&gate);
    let exported = blocking.exported();
    let stuck_batch = Arc::new(
        BatchTraceProcessor::builder(blocking)
            .max_queue_size(64)
            .schedule_delay(Duration::from_millis(20))
            .build()
            .unwrap(),
    );
    let p = Pipeline::install(
        exporter(&server.url()),
        |b| b,
        vec![Arc::clone(&stuck_batch) as _, Arc::new(BlockingProcessor(Arc::clone(&gate)))],
    );

    let produced = produce("blocked", 2, 5, 20);
    assert!(gate.wait_entered(Duration::from_secs(5)), "the export is stuck");

    // A flush with a timeout returns in time and reports the stuck ones, and only them.
    // (The OpenAI pipeline is flushed first on its own, with time to spare, so that its
    // verdict in the bounded flush does not depend on how fast this machine sends; its
    // delivery is checked after the shutdown.)
    agents_tracing::TracingProcessor::force_flush(&*p.batch, Some(Duration::from_secs(30))).expect("flushed");
    let timeout = Duration::from_secs(1);
    let (_, flushed) = super::bounded("force_flush", timeout, move || agents_tracing::core::force_flush(Some(timeout)));
    let Err(ProcessorError::Several(errors)) = flushed else { panic!("expected timeouts: {flushed:?}") };
    assert_eq!(errors.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 2], "{errors:?}");
    assert!(errors.iter().all(|(_, e)| matches!(e, ProcessorError::Timeout(_))), "{errors:?}");

    let timeout = Duration::from_secs(1);
    let (took, result) = p.shutdown(timeout);
    let Err(ProcessorError::Several(errors)) = result else { panic!("expected timeouts: {result:?}") };
    assert_eq!(errors.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 2], "{errors:?}");

    // The OpenAI pipeline, first in the fan-out, delivered everything.
    let a = Accounting::check(&p, produced.items);
    assert_eq!(a.delivered(), produced.items);

    // Unblock the stuck calls (the test's own clean-up), then account for the stuck
    // pipeline's items too: exported by the export that was stuck, dropped because its
    // queue was full, or abandoned at its shutdown deadline.
    gate.open();
    // Its shutdown gave up at the deadline; a flush now returns once the worker has
    // finished (see `Pipeline::settled`).
    let _ = stuck_batch.force_flush(Some(Duration::from_secs(10)));
    let b = stuck_batch.stats();
    assert_eq!(b.pending, 0, "{b:?}");
    assert_eq!(b.offered(), produced.items, "{b:?}");
    assert_eq!(b.exported, exported.load(Ordering::SeqCst));
    assert_eq!(b.offered(), b.exported + b.dropped() + b.lost_at_deadline, "{b:?}");
    assert!(b.dropped_queue_full > 0, "{b:?}");
    println!(
        "FAULT blocked_exporter(stuck pipeline): offered={} delivered={} lost={} [queue_full={} shutdown_deadline={}]",
        b.offered(),
        b.exported,
        b.dropped() + b.lost_at_deadline,
        b.dropped_queue_full,
        b.lost_at_deadline
    );
    a.print("blocked_exporter_and_processor(openai pipeline)", produced.max_block, Some((took, timeout)));
}
