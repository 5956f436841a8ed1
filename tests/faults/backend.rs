//! Server faults: down then up, a 500 storm, 429 with Retry-After, 400/401, a server that
//! hangs, one that closes the connection mid-response, one that answers one byte per
//! 100 ms.

use agents_tracing::openai::WithHttpOptions;
use std::time::Duration;

use test_support::server::{closed_port, Reply, TestServer};

use super::{eventually, exporter, on_flush_only, produce, server, Accounting, Pipeline};

#[test]
fn backend_down_then_up_delivers_everything_queued_within_the_retry_window_once() {
    let closed = closed_port();
    let port = closed.port();
    let url = format!("http://127.0.0.1:{port}/v1/traces/ingest");
    // Retries every 10 ms, 20 ms, ... up to 100 ms, for up to 4 s: the window.
    let p = Pipeline::install(
        exporter(&url).max_retries(100).max_delay(Duration::from_millis(100)).export_budget(Duration::from_secs(4)),
        |b| b.max_batch_size(16),
        vec![],
    );

    let produced = produce("down", 2, 3, 5);
    // Down for a while: the first batch is being retried, the rest waits in the queue.
    assert!(eventually(Duration::from_secs(5), || p.exporter.stats().requests >= 5));
    let requests_while_down = p.exporter.stats().requests;
    let server = TestServer::start_on(closed.release(), [], Reply::ok());

    // Flushed once the backend is up.
    let shutdown = p.flush_then_shut_down(Duration::from_secs(10));

    let a = Accounting::check_delivered_once(&p, produced.items, &server.requests());
    assert!(requests_while_down >= 5, "{requests_while_down}");
    a.print("backend_down_then_up", produced.max_block, Some(shutdown));
}

#[test]
fn a_500_storm_loses_each_batch_after_its_retries_and_counts_it() {
    let server = server(Reply::status(500).body("storm"));
    let p = Pipeline::install(exporter(&server.url()), |b| b.max_batch_size(8), vec![]);

    let produced = produce("storm", 2, 2, 5);
    let _ = p.batch.force_flush(Some(Duration::from_secs(10)));
    let shutdown = p.shut_down_cleanly();

    let a = Accounting::check(&p, produced.items);
    assert_eq!(a.delivered(), 0);
    assert_eq!(a.exporter.retries_exhausted, produced.items, "{a:?}");
    // Three attempts per batch, no more.
    assert_eq!(a.exporter.requests, 3 * a.batch.batches, "{a:?}");
    assert_eq!(server.requests().len() as u64, a.exporter.requests);
    a.print("500_storm", produced.max_block, Some(shutdown));
}

#[test]
fn a_429_with_retry_after_is_waited_for_then_delivered_once() {
    let server = TestServer::start([Reply::status(429).header("Retry-After", "1")], Reply::ok());
    let p = Pipeline::install(exporter(&server.url()).max_delay(Duration::from_secs(2)), on_flush_only, vec![]);

    let produced = produce("429", 1, 1, 4);
    let shutdown = p.flush_then_shut_down(Duration::from_secs(10));

    let requests = server.requests();
    let a = Accounting::check_delivered_once(&p, produced.items, &requests);
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_millis(950), "Retry-After: 1 was honoured: {gap:?}");
    a.print("429_retry_after", produced.max_block, Some(shutdown));
}

#[test]
fn a_400_and_a_401_drop_their_batch_once_and_count_it() {
    let server = TestServer::start(
        [Reply::status(400).body(r#"{"error":"bad"}"#), Reply::status(401).body(r#"{"error":"who?"}"#)],
        Reply::ok(),
    );
    let p = Pipeline::install(exporter(&server.url()), on_flush_only, vec![]);

    // One batch per flush: the first two are refused, the third delivered.
    let mut produced = produce("rejected-a", 1, 1, 3);
    p.batch.force_flush(Some(Duration::from_secs(5))).expect("flushed");
    produced.add(produce("rejected-b", 1, 1, 2));
    p.batch.force_flush(Some(Duration::from_secs(5))).expect("flushed");
    produced.add(produce("accepted", 1, 1, 1));
    let shutdown = p.shut_down_cleanly();

    let a = Accounting::check(&p, produced.items);
    assert_eq!(a.exporter.rejected_by_server, 4 + 3, "{a:?}");
    assert_eq!(a.delivered(), 2);
    // No retry of a 400 or a 401: one request per batch.
    assert_eq!(server.requests().len(), 3);
    assert_eq!(a.exporter.requests, 3);
    a.print("400_401_rejected", produced.max_block, Some(shutdown));
}

#[test]
fn a_hanging_server_costs_the_worker_not_the_callers_and_shutdown_is_bounded() {
    let server = server(Reply::Hang);
    let p = Pipeline::install(
        exporter(&server.url())
            .max_retries(2)
            .response_timeout(Duration::from_millis(300))
            .export_budget(Duration::from_secs(1)),
        |b| b.max_queue_size(64),
        vec![],
    );

    let mut produced = produce("hang", 2, 2, 5);
    assert!(!server.wait_for(1, Duration::from_secs(5)).is_empty(), "the first request arrived");
    // While the worker waits on the server, more spans: queued or dropped, never blocking.
    produced.add(produce("hang-more", 2, 2, 20));
    let timeout = Duration::from_millis(500);
    let (took, result) = p.shutdown(timeout);
    assert!(result.is_err(), "the export in flight could not finish in time");

    let a = Accounting::check(&p, produced.items);
    assert_eq!(a.delivered(), 0);
    assert!(a.batch.lost_at_deadline + a.batch.dropped_queue_full > 0, "{a:?}");
    a.print("hanging_server", produced.max_block, Some((took, timeout)));
}

#[test]
fn a_connection_closed_mid_response_is_retried_and_delivered() {
    // The request is read, then the connection closes: without an answer, then with half a
    // status line. Both are retried; the server saw the batch three times and answered the
    // third (at-least-once delivery: a server that processed a request whose answer was
    // lost sees it again).
    let server = TestServer::start([Reply::Close, Reply::Partial("HTTP/1.1 20".into())], Reply::ok());
    let p = Pipeline::install(exporter(&server.url()), on_flush_only, vec![]);

    let produced = produce("close", 1, 1, 3);
    let shutdown = p.flush_then_shut_down(Duration::from_secs(10));

    let requests = server.requests();
    let a = Accounting::check_delivered_once(&p, produced.items, &requests);
    assert_eq!(requests.len(), 3);
    a.print("closed_mid_response", produced.max_block, Some(shutdown));
}

#[test]
fn a_slow_server_one_byte_per_100ms_is_bounded_by_the_timeouts() {
    // 200 OK takes about 3.8 s to trickle out; the exporter waits 500 ms for the headers.
    let server = server(Reply::ok().slowly(Duration::from_millis(100)));
    let p = Pipeline::install(
        exporter(&server.url())
            .max_retries(2)
            .response_timeout(Duration::from_millis(500))
            .export_budget(Duration::from_millis(1500)),
        |b| b,
        vec![],
    );

    let produced = produce("slow", 2, 1, 3);
    // The export gives up by its attempts or its budget (checked below by reason), so the
    // flush ends although the server never finishes an answer.
    let flushed = p.batch.force_flush(None);
    assert!(flushed.is_ok(), "{flushed:?}");
    let timeout = Duration::from_secs(2);
    let (took, result) = p.shutdown(timeout);
    result.expect("a clean shutdown");

    let a = Accounting::check(&p, produced.items);
    assert_eq!(a.delivered(), 0, "{a:?}");
    assert_eq!(a.exporter.retries_exhausted + a.exporter.budget_exhausted, produced.items, "{a:?}");
    a.print("slow_server_100ms_per_byte", produced.max_block, Some((took, timeout)));
}
