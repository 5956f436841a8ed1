//! The OpenAI Agents SDK's tracing pipeline for Rust: record traces of agent runs made of
//! nested spans, hand them to processors, and export them to the console, to OpenAI's
//! Traces dashboard, or to your own backend. The JSON is byte-compatible with the Python
//! SDK's.
//!
//! This crate only recombines the workspace's crates behind features; depend on the
//! sub-crates directly for the smallest build (a custom exporter needs `trace-core`
//! alone).
//!
//! ```
//! use agents_tracing::{custom_span, function_span, set_trace_processor, trace};
//! use agents_tracing::{ConsoleSpanExporter, SimpleTraceProcessor};
//!
//! set_trace_processor(SimpleTraceProcessor::new(ConsoleSpanExporter::with_writer(Vec::new())));
//!
//! let _trace = trace("Customer service").group_id("chat_123").start();
//! let _step = custom_span("plan").start();
//! let mut call = function_span("lookup_order").input(r#"{"order_id": 42}"#).start();
//! if let Some(data) = call.data_mut() {
//!     data.output = Some("shipped".into());
//! }
//! // Guards finish the spans and the trace as they drop, innermost first.
//! ```
//!
//! # Crate features
//!
//! | feature | default | brings | runtime dependencies it adds |
//! |---|---|---|---|
//! | *(always)* | yes | [`core`] (`trace-core`): traces, spans, traits, context, registry | serde, serde_json, fastrand, log, thiserror |
//! | `console` | yes | `console` (`trace-export-console`): `ConsoleSpanExporter` | none beyond core |
//! | `batch` | yes | `batch` (`trace-batch`): `BatchTraceProcessor` | crossbeam-channel |
//! | `multi` | yes | `multi` (`trace-multi`): the fan-out, `add_trace_processor`, `set_trace_processors` | none beyond core |
//! | `openai` | no | `openai` (`trace-export-openai`): `BackendSpanExporter`, with TLS | ureq, rustls, ring, webpki-roots |
//! | `openai-http` | no | the same exporter without TLS, for a plain-HTTP collector | ureq |
//! | `preserve-order` | no | user JSON objects keep insertion order, as Python dicts | indexmap |
//!
//! The defaults give everything that needs no network: record, batch, fan out, print.
//! `openai` is opt-in because it pulls an HTTP client and a TLS stack and sends data
//! off the machine; turn it on to get the Python SDK's default pipeline.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]

pub use trace_core as core;

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
pub use trace_multi as multi;

pub use trace_core::{
    agent_span, current_span_id, current_trace, custom_span, force_flush, function_span, generation_span,
    guardrail_span, handoff_span, is_tracing_disabled, mcp_tools_span, response_span, set_trace_processor,
    set_tracing_disabled, shutdown, span, speech_group_span, speech_span, task_span, trace, transcription_span,
    turn_span, Context, ExportError, ExportItem, FutureExt, InMemoryExporter, InMemoryProcessor, Parent,
    ProcessorError, SimpleTraceProcessor, Span, SpanData, SpanError, SpanGuard, Trace, TraceGuard, TracingExporter,
    TracingProcessor,
};

#[cfg(feature = "console")]
#[cfg_attr(docsrs, doc(cfg(feature = "console")))]
pub use trace_export_console::ConsoleSpanExporter;

#[cfg(feature = "multi")]
#[cfg_attr(docsrs, doc(cfg(feature = "multi")))]
pub use trace_multi::{add_trace_processor, set_trace_processors, Filtered, MultiProcessor};

/// Python's `flush_traces()`: exports what the installed processors hold, waiting at most
/// `timeout` (`None`: no bound). Call it before a worker process goes idle.
pub fn flush_traces(timeout: Option<std::time::Duration>) -> Result<(), ProcessorError> {
    trace_core::force_flush(timeout)
}
