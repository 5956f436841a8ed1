//! Overload and misuse: two threads producing flat out into a small queue; calls after
//! shutdown.

use std::time::Duration;

use agents_tracing::core::{custom_span, trace, ProcessorError};
use test_support::server::Reply;

use super::{assert_acknowledged_once, exporter, logcap, produce, server, Accounting, Pipeline};

#[test]
fn queue_overflow_from_two_threads_flat_out_drops_and_counts_never_blocks() {
    let server = server(Reply::ok());
    let p = Pipeline::install(exporter(&server.url()), |b| b.max_queue_size(256).max_batch_size(128), vec![]);

    let produced = produce("flat-out", 2, 200, 100);
    let shutdown = p.flush_then_shut_down(Duration::from_secs(20));

    let a = Accounting::check(&p, produced.items);
    assert_eq!(produced.items, 2 * 200 * 101);
    assert!(a.batch.dropped_queue_full > 0, "the producers outran the exporter: {a:?}");
    assert_eq!(a.lost(), a.batch.dropped_queue_full, "only queue-full drops: {a:?}");
    assert_acknowledged_once(&server.requests(), a.delivered());
    // Drops are reported, but not one line per item.
    let warnings = logcap::containing("tracing queue is full").len();
    assert!((1..=64).contains(&warnings), "{warnings} queue-full warnings");
    a.print("queue_overflow_2_threads", produced.max_block, Some(shutdown));
}

#[test]
fn calls_after_shutdown_are_dropped_counted_and_cheap() {
    let server = server(Reply::ok());
    let p = Pipeline::install(exporter(&server.url()), |b| b, vec![]);

    let mut produced = produce("before", 1, 1, 2);
    let shutdown = p.shut_down_cleanly();
    let requests_at_shutdown = server.requests().len();

    produced.add(produce("after", 2, 2, 3));
    {
        // A span ended after shutdown, inside a trace started before it.
        let _t = trace("late").start();
        custom_span("late span").start().end();
        produced.items += 2;
    }
    // Flushing a shut-down pipeline is a no-op; a second shutdown says so.
    agents_tracing::core::force_flush(Some(Duration::from_secs(1))).expect("nothing to flush");
    match agents_tracing::core::shutdown(Some(Duration::from_secs(1))) {
        Err(ProcessorError::Several(errors)) => {
            assert!(matches!(errors[..], [(0, ProcessorError::AlreadyShutdown)]), "{errors:?}")
        }
        other => panic!("expected AlreadyShutdown, got {other:?}"),
    }

    let a = Accounting::check(&p, produced.items);
    assert_eq!(a.delivered(), 3);
    assert_eq!(a.batch.dropped_after_shutdown, produced.items - 3, "{a:?}");
    assert_eq!(server.requests().len(), requests_at_shutdown, "nothing sent after shutdown");
    a.print("calls_after_shutdown", produced.max_block, Some(shutdown));
}
