//! `shutdown_on_drop`, the stand-in for Python's `atexit` shutdown: what the installed
//! pipeline holds reaches a real server on 127.0.0.1 when the guard drops. Its own
//! binary: the guard shuts the process's processors down.

#![cfg(all(feature = "openai-http", feature = "batch"))]

use std::sync::Arc;
use std::time::Duration;

use agents_tracing::core::set_trace_processor_shared;
use agents_tracing::openai::{BackendSpanExporter, WithHttpOptions};
use agents_tracing::{custom_span, shutdown_on_drop, trace, BatchTraceProcessor};
use test_support::server::{Reply, TestServer};

#[test]
fn dropping_the_guard_delivers_what_is_queued() {
    let server = TestServer::always(Reply::ok());
    let exporter = BackendSpanExporter::builder()
        .endpoint(format!("{}/v1/traces/ingest", server.url()))
        .api_key("sk-test-exit")
        .read_env(false)
        .proxy_from_env(false)
        .build()
        .unwrap();
    // A schedule far away: nothing leaves before the guard drops.
    let processor =
        Arc::new(BatchTraceProcessor::builder(exporter).schedule_delay(Duration::from_secs(3600)).build().unwrap());
    set_trace_processor_shared(processor.clone());
    {
        let _flush_on_exit = shutdown_on_drop(Duration::from_secs(30));
        let _run = trace("exit").start();
        for i in 0..3 {
            custom_span(format!("step {i}")).start().end();
        }
        drop(_run);
        assert_eq!(server.request_count(), 0, "held until the guard drops");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["data"].as_array().map(Vec::len), Some(4), "the trace and its three spans");
    assert_eq!(requests[0].header("authorization"), Some("Bearer sk-test-exit"));
    let stats = processor.stats();
    assert_eq!((stats.exported, stats.lost), (4, 0));
}
