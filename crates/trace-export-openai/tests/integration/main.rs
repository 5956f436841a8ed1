//! Integration tests of `BackendSpanExporter` against a scripted HTTP server on 127.0.0.1:
//! retries, time limits, shutdown, logging (`behaviour`), and wire compatibility with the
//! Python SDK's golden payloads (`compat`). Nothing here reaches beyond 127.0.0.1.

mod behaviour;
mod compat;
mod logger;
mod server;

use std::sync::Arc;
use std::time::Duration;
use trace_export_openai::WithHttpOptions;

use trace_core::{CustomSpanData, ExportItem, Span, SpanId, Timestamp, Trace, TraceId};
use trace_export_openai::{BackendSpanExporter, BackendSpanExporterBuilder};

/// A builder for tests: the server's URL, the key, nothing from the environment, short
/// delays and timeouts.
pub(crate) fn builder(url: &str, key: &str) -> BackendSpanExporterBuilder {
    logger::install();
    BackendSpanExporter::builder()
        .endpoint(url)
        .api_key(key)
        .read_env(false)
        .proxy_from_env(false)
        .base_delay(Duration::from_millis(20))
        .max_delay(Duration::from_secs(2))
        .connect_timeout(Duration::from_secs(2))
        .response_timeout(Duration::from_secs(5))
        .export_budget(Duration::from_secs(10))
}

/// A trace and `spans` custom spans of it, as queued: the trace first.
pub(crate) fn batch(trace: Trace, spans: usize) -> Vec<ExportItem> {
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

/// A trace named `name` with `spans` spans.
pub(crate) fn items(name: &str, spans: usize) -> Vec<ExportItem> {
    batch(Trace::new(TraceId::generate(), name), spans)
}
