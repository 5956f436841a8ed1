//! The OpenAI Agents SDK's tracing pipeline for Rust: record traces of agent runs made of
//! nested spans, hand them to processors, and export them to the console, to OpenAI's
//! Traces dashboard, or to your own backend. The JSON is byte-compatible with the Python
//! SDK's.
//!
//! **Should I use this crate?** Yes, for an application: one dependency, features to pick
//! the processors and exporters, and a default pipeline like the Python SDK's. A library
//! that only records spans depends on `trace-core` alone, and so does a custom exporter.
//!
//! This crate only recombines the workspace's crates behind features; depend on the
//! sub-crates directly for the smallest build (a custom exporter needs `trace-core`
//! alone).
//!
//! ```
//! use agents_tracing::{custom_span, function_span, set_trace_processor, trace};
//! use agents_tracing::{ConsoleSpanExporter, SimpleTraceProcessor};
//!
//! set_trace_processor(SimpleTraceProcessor::new(ConsoleSpanExporter::with_writer(Vec::new()).show_data(true)));
//!
//! let _trace = trace("Customer service").group_id("chat_123").start();
//! let _step = custom_span("plan").start();
//! let mut call = function_span("lookup_order").input(r#"{"order_id": 42}"#).start();
//! call.set_output("shipped"); // a no-op on a no-op span: no `if let` needed
//! // Guards finish the spans and the trace as they drop, innermost first.
//! ```
//!
//! # Crate features
//!
//! | feature | default | brings | runtime dependencies it adds |
//! |---|---|---|---|
//! | *(always)* | yes | [`core`] (`trace-core`): traces, spans, traits, context, registry | serde, serde_json, fastrand, log, thiserror |
//! | `console` | yes | `console` (`trace-export-console`): `ConsoleSpanExporter` (JSON lines), `TreeConsoleProcessor` (a tree per trace in the terminal), `HtmlWaterfallExporter` (a one-file HTML waterfall) | none beyond core |
//! | `batch` | yes | `batch` (`trace-batch`): `BatchTraceProcessor` | crossbeam-channel |
//! | `multi` | yes | `multi` (`trace-multi`): the fan-out, `add_trace_processor`, `set_trace_processors` | none beyond core |
//! | `openai` | no | `openai` (`trace-export-openai`): `BackendSpanExporter`, with TLS | trace-http, ureq, rustls, ring, webpki-roots |
//! | `openai-http` | no | the same exporter without TLS, for a plain-HTTP collector | trace-http, ureq |
//! | `otlp` | no | `otlp` (`trace-export-otlp`): `OtlpSpanExporter`, OTLP/HTTP (protobuf by default, or JSON; gzip optional) to any OpenTelemetry backend, with TLS | trace-http, ureq, rustls, ring, webpki-roots, prost, flate2 |
//! | `otlp-http` | no | the same exporter without TLS, for a plain-HTTP collector | trace-http, ureq, prost, flate2 |
//! | `layer` | no | `layer` (`trace-layer`): `AgentsLayer`, a `tracing_subscriber::Layer` that records `tracing` spans following the GenAI or OpenInference conventions (rig, genai, ...) as agent spans | tracing-core, tracing-subscriber (`registry` only) |
//! | `preserve-order` | yes | user JSON objects keep insertion order, as Python dicts do (bodies byte for byte); off, keys sorted and spans with data cheaper | `indexmap` |
//!
//! The defaults give everything that needs no network: record, batch, fan out, print.
//! `openai` is opt-in because it pulls an HTTP client and a TLS stack and sends data
//! off the machine; turn it on to get the Python SDK's default pipeline.
//!
//! # The default pipeline, from every entry point
//!
//! With the features `openai` and `batch`, a batch processor over the OpenAI exporter
//! (`default_processor`) receives traces unless a processor was set before, as the
//! Python SDK's `default_processor()` does. It is built and installed at **first use**,
//! not at startup, and the same way whichever path the program calls:
//!
//! - Every function this crate defines **registers** the default pipeline (without
//!   building it): [`trace`], `add_trace_processor`, `set_trace_processors`,
//!   [`flush_traces`], [`shutdown_on_drop`], `set_tracing_export_api_key`,
//!   `default_processor`, and the same entry points under [`core`] and `multi`
//!   (`core::trace`, `core::trace_processor`, `core::registry::trace_processor`,
//!   `multi::add_trace_processor`, ...). The root's functions *are* those of [`core`] and
//!   `multi`: `agents_tracing::add_trace_processor` is
//!   `agents_tracing::multi::add_trace_processor`.
//! - `trace-core` **installs** a registered default at the first use that follows, from
//!   any crate: the first trace or span event of a thread, or the first read of the
//!   installed processor (so `add_trace_processor` keeps the default first). A
//!   `trace_core::trace` called directly, through this crate's dependency, therefore
//!   installs it too, once anything of this crate was called; see
//!   `trace_core::registry::first_use`.
//! - A processor installed or cleared explicitly before ([`set_trace_processor`],
//!   `set_trace_processors`, `clear_trace_processor`) always wins: the default is then
//!   never built.
//!
//! Rust runs no code before `main`: a program whose only calls go to `trace-core`
//! directly, never to this crate, gets no default pipeline. Install it explicitly there
//! with `set_trace_processor(default_processor())`, or call any function of this crate
//! first (`shutdown_on_drop` in `main` does it).
//!
//! # Across processes
//!
//! A trace can continue an incoming W3C `traceparent`
//! ([`TraceBuilder::traceparent`](core::TraceBuilder::traceparent)), give the current
//! span's to an outgoing call ([`core::w3c::inject`]), and be saved as a [`TraceState`]
//! and resumed in another process, announced once; see [`core::w3c`] and
//! [`core::trace_state`], and `cargo run --example distributed`. A process that only
//! resumes traces should still call a function of this crate first (hold
//! [`shutdown_on_drop`] in `main`) to get the default pipeline.
//!
//! # Production controls
//!
//! Built in, cheap when unused (a span pays nothing for them; a trace creation one relaxed
//! atomic load), and counted:
//!
//! - **Sensitive data off with one switch**: [`set_trace_include_sensitive_data`]`(false)`,
//!   or `OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA=false`, or per trace
//!   `trace("..").include_sensitive_data(false)`, as the Python SDK's
//!   `trace_include_sensitive_data`: model input and output, tool arguments and results,
//!   audio and error details are never recorded (the exact list, with the Python source
//!   that justifies each field: `core::sensitive`).
//! - **Redaction**: a [`Redactor`] (your function over every string field, then the
//!   built-in masking of `sk-...` keys and `Bearer` tokens) runs on the batch worker, once
//!   per item, never on your threads: `BatchTraceProcessor::builder(..).redactor(..)`. The
//!   default pipeline masks keys. See `core::redact`.
//! - **Sampling**: [`set_sampler`]`(`[`Sampler`]`::ratio(0.1)?)` keeps whole traces by
//!   trace id (the same decision in every process that continues a trace);
//!   `Sampler::builder().max_per_second(50.0)` caps traces per second. What is sampled
//!   out is counted apart from drops (`core::sampling::sampling_stats`). See
//!   `core::sampling`.
//! - **Endpoints and retries**: the OpenAI exporter sanitizes for every OpenAI host,
//!   regional ones included, retries any failing status the server marks
//!   `x-should-retry: true`, and without `OPENAI_API_KEY` warns once (saying how to set a
//!   key or turn tracing off), then counts in silence.
//!
//! # Scoped processors
//!
//! `core::registry::set_default` and `with_default` put a processor in front of the
//! installed one for the current thread and the tasks wrapped there with
//! [`FutureExt::in_current_context`] (parallel tests, one processor per tenant); see
//! `trace_core::registry`.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub mod core;

#[cfg(feature = "batch")]
#[cfg_attr(docsrs, doc(cfg(feature = "batch")))]
pub use trace_batch as batch;

#[cfg(feature = "console")]
#[cfg_attr(docsrs, doc(cfg(feature = "console")))]
pub use trace_export_console as console;

#[cfg(feature = "openai-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "openai-http")))]
pub use trace_export_openai as openai;

#[cfg(feature = "multi")]
#[cfg_attr(docsrs, doc(cfg(feature = "multi")))]
pub mod multi;

#[cfg(feature = "otlp-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "otlp-http")))]
pub use trace_export_otlp as otlp;

#[cfg(feature = "layer")]
#[cfg_attr(docsrs, doc(cfg(feature = "layer")))]
pub use trace_layer as layer;

#[cfg(all(feature = "openai", feature = "batch"))]
mod pipeline;
#[cfg(all(feature = "openai", feature = "batch"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "openai", feature = "batch"))))]
pub use pipeline::{default_exporter, default_processor, set_tracing_export_api_key};

pub use crate::core::trace;
pub use trace_core::redact::Redactor;
pub use trace_core::{
    agent_span, current_span_id, current_trace, custom_span, force_flush, function_span, generation_span,
    guardrail_span, handoff_span, is_tracing_disabled, mcp_tools_span, response_span, set_sampler,
    set_trace_include_sensitive_data, set_trace_processor, set_tracing_disabled, shutdown, span, speech_group_span,
    speech_span, task_span, trace_include_sensitive_data, transcription_span, turn_span, Context, ExportError,
    ExportItem, FutureExt, InMemoryExporter, InMemoryProcessor, Parent, ProcessorError, Sampler, SimpleStats,
    SimpleTraceProcessor, Span, SpanData, SpanError, SpanGuard, SpanKind, Trace, TraceGuard, TraceState,
    TracingExporter, TracingProcessor,
};

#[cfg(feature = "console")]
#[cfg_attr(docsrs, doc(cfg(feature = "console")))]
pub use trace_export_console::{ConsoleSpanExporter, HtmlWaterfallExporter, TreeConsoleProcessor};

#[cfg(feature = "batch")]
#[cfg_attr(docsrs, doc(cfg(feature = "batch")))]
pub use trace_batch::BatchTraceProcessor;

#[cfg(feature = "multi")]
#[cfg_attr(docsrs, doc(cfg(feature = "multi")))]
pub use crate::multi::{add_trace_processor, set_trace_processors};
#[cfg(feature = "multi")]
#[cfg_attr(docsrs, doc(cfg(feature = "multi")))]
pub use trace_multi::{Filtered, MultiProcessor};

#[cfg(feature = "openai-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "openai-http")))]
pub use trace_export_openai::BackendSpanExporter;

/// Registers the default pipeline (features `openai` and `batch`) for installation at
/// first use; see [The default pipeline, from every entry
/// point](crate#the-default-pipeline-from-every-entry-point). Cheap after the first call
/// (one atomic load); nothing without those features.
#[inline]
pub(crate) fn register_default_pipeline() {
    #[cfg(all(feature = "openai", feature = "batch"))]
    pipeline::register();
}

/// Shuts the installed processors down when dropped, within `timeout`: hold one in `main`
/// so that queued spans are exported before the process exits (Rust has no `atexit`; the
/// Python SDK registers one with a 5 s budget).
///
/// ```
/// // First thing in `main`:
/// let _flush_on_exit = agents_tracing::shutdown_on_drop(std::time::Duration::from_secs(5));
/// // ... run agents; the guard drops last ...
/// ```
pub fn shutdown_on_drop(timeout: std::time::Duration) -> ShutdownGuard {
    register_default_pipeline();
    ShutdownGuard { timeout }
}

/// Returned by [`shutdown_on_drop`].
#[derive(Debug)]
#[must_use = "the processors are shut down when the guard is dropped"]
pub struct ShutdownGuard {
    timeout: std::time::Duration,
}

impl Drop for ShutdownGuard {
    fn drop(&mut self) {
        if let Err(e) = trace_core::shutdown(Some(self.timeout)) {
            log::warn!("tracing shutdown at exit did not complete: {e}");
        }
    }
}

/// Python's `flush_traces()`: exports what the installed processors hold, waiting at most
/// `timeout` (`None`: no bound). Call it before a worker process goes idle.
pub fn flush_traces(timeout: Option<std::time::Duration>) -> Result<(), ProcessorError> {
    register_default_pipeline();
    trace_core::force_flush(timeout)
}
