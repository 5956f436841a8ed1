//! What the tests of the HTTP exporters share: a batch as the batch processor queues it,
//! HTTP settings short enough for a scripted server, and a shutdown in the middle of an
//! export.
//!
//! ```
//! use test_support::exporter::items;
//!
//! let batch = items("example", 2);
//! assert_eq!(batch.len(), 3, "the trace, then its spans");
//! assert!(batch[0].as_trace().is_some() && batch[1].as_span().is_some());
//! ```

use std::sync::Arc;
use std::time::Duration;

use trace_core::{CustomSpanData, ExportError, ExportItem, Span, SpanId, Timestamp, Trace, TraceId, TracingExporter};
use trace_http::WithHttpOptions;

use crate::server::TestServer;

/// How long [`shut_down_mid_export`] waits for the first request.
const FIRST_REQUEST: Duration = Duration::from_secs(5);

/// A trace and `spans` custom spans of it, as queued: the trace first.
pub fn batch(trace: Trace, spans: usize) -> Vec<ExportItem> {
    let trace = Arc::new(trace);
    let t = Timestamp::now();
    let mut items = vec![ExportItem::Trace(Arc::clone(&trace))];
    for i in 0..spans {
        let data = CustomSpanData { name: format!("step {i}").into(), ..Default::default() };
        items.push(ExportItem::Span(Arc::new(
            Span::new(SpanId::generate(), Arc::clone(&trace), None, data).with_times(t, t),
        )));
    }
    items
}

/// A new trace named `name` with `spans` spans, as queued.
pub fn items(name: &str, spans: usize) -> Vec<ExportItem> {
    batch(Trace::new(TraceId::generate(), name), spans)
}

/// `builder` with no proxy from the environment and the settings of tests against a
/// server on this machine: a 20 ms first backoff up to `max_delay`, 2 s to connect, 5 s for
/// an answer, 10 s per export.
pub fn fast<B: WithHttpOptions>(builder: B, max_delay: Duration) -> B {
    builder
        .proxy_from_env(false)
        .base_delay(Duration::from_millis(20))
        .max_delay(max_delay)
        .connect_timeout(Duration::from_secs(2))
        .response_timeout(Duration::from_secs(5))
        .export_budget(Duration::from_secs(10))
}

/// Exports `items` on another thread, waits until `server` has seen the first request
/// (panics after 5 s), shuts `exporter` down, and returns what the export returned and the
/// exporting thread (to pick its log lines: [`logcap::by_thread`](crate::logcap::by_thread)).
pub fn shut_down_mid_export<E>(
    exporter: &Arc<E>,
    server: &TestServer,
    items: Vec<ExportItem>,
) -> (Result<(), ExportError>, std::thread::ThreadId)
where
    E: TracingExporter + Send + Sync + 'static,
{
    let e = Arc::clone(exporter);
    let exporting = std::thread::spawn(move || e.export(&items));
    let thread = exporting.thread().id();
    assert_eq!(server.wait_for(1, FIRST_REQUEST).len(), 1, "the export made its first request");
    exporter.shutdown();
    (exporting.join().expect("the export does not panic"), thread)
}
