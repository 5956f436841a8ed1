//! Integration tests of `BackendSpanExporter` against a scripted HTTP server on 127.0.0.1:
//! retries, time limits, shutdown, logging (`behaviour`), and wire compatibility with the
//! Python SDK's golden payloads (`compat`). Nothing here reaches beyond 127.0.0.1.

mod behaviour;
mod compat;
mod logger;
mod server;

use std::time::Duration;

use test_support::exporter::fast;
pub(crate) use test_support::exporter::{batch, items};
use trace_export_openai::{BackendSpanExporter, BackendSpanExporterBuilder};

/// A builder for tests: the server's URL, the key, nothing from the environment, short
/// delays and timeouts.
pub(crate) fn builder(url: &str, key: &str) -> BackendSpanExporterBuilder {
    logger::LOG.install();
    fast(BackendSpanExporter::builder().endpoint(url).api_key(key).read_env(false), Duration::from_secs(2))
}
