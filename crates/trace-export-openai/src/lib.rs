//! Sends traces and spans to OpenAI's traces ingest endpoint: [`BackendSpanExporter`],
//! the Rust counterpart of the OpenAI Agents SDK's exporter, wire-compatible with it.
//!
//! **Should I use this crate?** When traces should appear in OpenAI's Traces dashboard
//! (or in a collector that speaks its ingest protocol). For any OpenTelemetry backend use
//! `trace-export-otlp`; to look at traces locally, `trace-export-console`. Through the
//! facade it is `agents_tracing::openai` (feature `openai`).
//!
//! Pair it with a processor that batches on a worker thread (`BatchTraceProcessor` from
//! `trace-batch`, or the `agents-tracing` facade with its `openai` feature); for tests,
//! [`trace_core::SimpleTraceProcessor`] exports on the caller's thread. To print spans
//! instead, use `trace-export-console`.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use trace_core::{ExportItem, Trace, TraceId, TracingExporter};
//! use trace_export_openai::{BackendSpanExporter, WithHttpOptions};
//!
//! # let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(); // closed below
//! let exporter = BackendSpanExporter::builder()
//!     .api_key("sk-example") // default: OPENAI_API_KEY, read when first needed
//!     .endpoint(format!("http://127.0.0.1:{port}/v1/traces/ingest")) // default: OpenAI's
//!     .max_retries(2)
//!     .base_delay(Duration::from_millis(10))
//!     .proxy_from_env(false)
//!     .build()?;
//!
//! // Nothing listens there: both attempts are refused, and the error counts the loss.
//! let trace = Arc::new(Trace::new(TraceId::generate(), "example"));
//! let err = exporter.export(&[ExportItem::Trace(trace)]).unwrap_err();
//! assert_eq!(err.lost_items(1), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it sends
//! `POST <endpoint>` with `Authorization: Bearer <key>`, `Content-Type: application/json`,
//! `OpenAI-Beta: traces=v1`, `OpenAI-Organization` and `OpenAI-Project` when set, and
//! [`USER_AGENT`]; the body is `{"data":[...]}` in compact JSON, items in queue order. Items
//! of a trace started with its own tracing API key go out in a separate request with that
//! key, one request per key, as in Python. The API key, organization and project default to
//! `OPENAI_API_KEY`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`, read when first needed; a
//! missing key is looked up again on the next batch, and [`BackendSpanExporter::set_api_key`]
//! replaces it at any time. Without any key, batches are lost with one warning per
//! exporter (saying how to set a key or turn tracing off), then counted in silence
//! ([`ExporterStats::no_api_key`]; `export` returns
//! [`ExportError::NotConfigured`], which the batch
//! processor counts without logging).
//!
//! For OpenAI's endpoint, on any OpenAI host (`https://api.openai.com`, the regional
//! `https://us.api.openai.com`, ...: [`is_openai_ingest_endpoint`]), the body is sanitized
//! as the Python SDK does it (oversized `input`/`output` cut to 100,000 bytes, generation
//! usage reshaped, usage dropped from other spans, reasoning removed from generations):
//! see [`Sanitize`] to force it on or off.
//!
//! # Retries and time limits
//! As the Python SDK 0.24: transport errors, 5xx, 408, 409 and 429 are retried, up to
//! [`max_attempts`](WithHttpOptions::max_attempts) attempts in all (default 3; Python's
//! name [`max_retries`](BackendSpanExporterBuilder::max_retries) works too),
//! after 1 s, 2 s, ... (doubling up to 30 s, plus up to 10 % jitter). A `Retry-After` (or
//! `retry-after-ms`) header raises the wait to at least its value, capped at the maximum
//! delay; `x-should-retry: false` stops at once and `x-should-retry: true` retries any
//! answer that is not a success, 4xx included (as the JS SDK does); other 4xx are not
//! retried and are logged once with the status; the start of the body too, when
//! [`response_data_in_logs`](BackendSpanExporterBuilder::response_data_in_logs) allows it
//! (Python's rule: not by default). The key is never logged.
//!
//! Beyond Python: each phase of a request has a timeout (connect 5 s, send 20 s, response
//! headers 20 s, body 10 s), and each request of an export (one per API key among its
//! items) has a total [budget](WithHttpOptions::export_budget) for its attempts and sleeps
//! (default 90 s, room for Python's whole retry schedule), so a server that accepts and
//! never answers costs at most that per key (Python: 183 s). [`TracingExporter::shutdown`],
//! from any thread, interrupts a backoff sleep at once and makes a running export give up
//! after the request in flight.
//!
//! # Requests in flight
//! The exporter asks a batch processor for two exports at once
//! ([`TracingExporter::concurrent_exports`] is 2; the Python SDK sends one at a time): when
//! the processor falls behind, one batch is serialised and sent while the answer to the
//! previous one is on its way, each request on its own pooled connection. Batches may then
//! arrive out of order, but a batch with spans of a trace whose start is in a request
//! still in flight waits for its answer, so the backend never gets a span before its
//! trace. `max_concurrent_exports(1)` on the batch processor restores Python's one request
//! at a time.
//!
//! # Errors and accounting
//! [`TracingExporter::export`] returns [`trace_core::ExportError`] with the number of items
//! not delivered; [`BackendSpanExporterBuilder::build`] returns [`BuildError`].
//! [`BackendSpanExporter::stats`] counts every item it was given, once, as delivered or lost
//! by reason ([`ExporterStats`]). Items are written into the body one at a time: an item
//! larger than [`max_item_bytes`](BackendSpanExporterBuilder::max_item_bytes) (or one that
//! fails to serialize) is left out and counted, and the rest of its batch is sent.
//! JSON nested deeper than `trace_core::MAX_JSON_DEPTH` is cut while serializing (see
//! `trace_core::limits`). Delivery is at least once: a batch whose request reached the
//! server but whose answer was lost (the connection closed mid-response) is sent again.
//!
//! # Security
//! - The key is sent only in the `Authorization` header. It never appears in `Debug`
//!   output, errors or this workspace's log lines (one exception: ureq's `ureq_proto` log
//!   target, at TRACE level, hex-dumps the raw request, headers included; keep that
//!   target at DEBUG or below, `RUST_LOG=trace,ureq_proto=debug`): text from the server
//!   or from ureq is scrubbed **whole,
//!   before any cut** of the exporter's key, the request's per-trace key, a prefix of one
//!   that a cut left at the end, any other `sk-...` token wherever it starts, and the
//!   credential after `Bearer`/`Basic` (see [`trace_http::Secrets`]).
//! - The key never travels in clear text off this machine by mistake: `build` refuses a
//!   plain `http://` endpoint on a host that is not a loopback address (`127.0.0.0/8`,
//!   `::1`, `localhost`: [`BuildError::InsecureEndpoint`]; an endpoint on this machine
//!   never goes through a proxy), also logged, unless
//!   [`allow_insecure_http`](WithHttpOptions::allow_insecure_http) opts in. `https://`
//!   goes through any proxy in an encrypted `CONNECT` tunnel.
//! - Proxies come from `http_proxy`/`HTTP_PROXY` for `http://` endpoints,
//!   `https_proxy`/`HTTPS_PROXY` for `https://`, then `all_proxy`/`ALL_PROXY`, minus the
//!   hosts of `no_proxy`/`NO_PROXY`, as Python's HTTP clients read them (see
//!   [`trace_http::proxy_for`]); [`proxy_from_env(false)`](WithHttpOptions::proxy_from_env)
//!   ignores them.
//!
//! # Crate features
//! - `rustls` (on by default): HTTPS through rustls with the webpki root certificates
//!   (ureq's `rustls` feature, through `trace-http`'s), or the certificates of
//!   [`certificate_file`](WithHttpOptions::certificate_file). Without it only `http://`
//!   endpoints work, for a collector on the local network, and no TLS code is built.
//!
//! The HTTP side (options, retries, budget, scrubbing, proxy and plain-http checks,
//! counters) is `trace-http`'s export engine, shared with the OTLP exporter; this crate
//! keeps its policy (which statuses retry, `x-should-retry`, `retry-after-ms`, the Python
//! SDK's log lines) and its body encoding.
//!
//! # Dependencies
//! `trace-core`, `trace-http` (the export engine; it brings `ureq` with no default
//! features, so no gzip and no cookies, and `fastrand` for the jitter), `serde`,
//! `serde_json`, `log`.
//!
//! [`TracingExporter::shutdown`]: trace_core::TracingExporter::shutdown
//! [`TracingExporter::export`]: trace_core::TracingExporter::export

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod config;
mod exporter;
mod ingest_url;
mod policy;
mod sanitize;

pub use config::{BackendSpanExporterBuilder, Sanitize, OPENAI_INGEST_ENDPOINT, USER_AGENT};
pub use exporter::{BackendSpanExporter, ExportBatch};
pub use ingest_url::is_openai_ingest_endpoint;
pub use trace_core::{ApiKey, ExportError, TracingExporter};
pub use trace_http::{BuildError, ExporterStats, PreparedRequest, WithHttpOptions};
