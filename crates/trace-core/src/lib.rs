//! The core of `agents-tracing`: traces, spans, their typed data, the processor and
//! exporter traits, the current-trace context and the global processor registry, with the
//! OpenAI Agents SDK's wire format.
//!
//! **Should I use this crate?** Depend on it alone to write a custom processor or
//! exporter, or to record spans from a library without choosing a pipeline for its users.
//! An application that wants batching and export is better served by the facade `agents-
//! tracing`, which re-exports this crate as `agents_tracing::core` next to the processors
//! and exporters.
//!
//! This crate does no I/O and spawns nothing, but one thread, `trace-retire`, started the
//! first time a thread reads the processor registry for a trace or span event (processor
//! installed or not; it drops replaced processors off the span path: see [`registry`],
//! and sleeps until a processor is replaced). Implement a custom processor or exporter
//! against it alone; pick an exporter crate (`trace-export-console`,
//! `trace-export-openai`) and the batch processor (`trace-batch`) to send traces
//! somewhere, or use the `agents-tracing` facade which recombines them.
//!
//! ```
//! use std::sync::Arc;
//! use trace_core::{custom_span, function_span, set_trace_processor, trace, InMemoryProcessor};
//!
//! let recorder = InMemoryProcessor::new();
//! set_trace_processor(recorder.clone());
//!
//! {
//!     let _trace = trace("Order lookup").group_id("chat-42").start();
//!     let _outer = custom_span("plan").start();
//!     let mut call = function_span("lookup_order").input(r#"{"id": 42}"#).start();
//!     call.set_output("shipped"); // does nothing on a no-op span: no `if let` needed
//! } // guards finish the function span, the custom span, then the trace
//!
//! let spans = recorder.finished_spans();
//! assert_eq!(spans.len(), 2);
//! // The function span ended first and its parent is the custom span.
//! assert_eq!(spans[0].parent_id(), Some(spans[1].span_id()));
//! let json = serde_json::to_value(&*spans[0]).unwrap();
//! assert_eq!(json["span_data"]["output"], "shipped");
//! ```
//!
//! # What is where
//! - [`trace`] and the span helpers ([`agent_span`], [`function_span`], [`custom_span`],
//!   ...) build traces and spans; their guards ([`TraceGuard`], [`SpanGuard`]) finish them
//!   on drop. Without a current trace a span is a no-op, as in Python. The guards' typed
//!   setters (`set_output`, `set_usage`, ...) and [`SpanGuard::update`] change a span's
//!   data until it ends and do nothing on a no-op span. JSON fields take a
//!   `serde_json::Value`, a [`JsonMap`] or a reference to anything `Serialize`
//!   ([`json_input`] says what a non-object becomes). [`SpanKind`] names a span's type.
//! - [`Trace`], [`Span`] and [`SpanData`] are what processors see; they serialize to
//!   exactly the JSON the Python SDK exports.
//! - [`TracingProcessor`] and [`TracingExporter`] are the extension points.
//! - [`context`]: the current trace and span, per thread, and per task with
//!   [`FutureExt::in_current_context`].
//! - The registry: [`set_trace_processor`], [`set_tracing_disabled`], [`force_flush`],
//!   [`shutdown`]; in [`registry`], scoped processors in front of the global one
//!   ([`registry::set_default`], [`registry::with_default`]) and, for crate authors, the
//!   default processor a facade installs on first use ([`registry::first_use`]), the
//!   per-thread [`cache`](registry::cache) the hot path reads processors through, and
//!   [`retire`](registry::retire).
//! - Production controls: [`sensitive`] (the sensitive-data switch, global
//!   [`set_trace_include_sensitive_data`], per trace
//!   [`TraceBuilder::include_sensitive_data`], or `OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA`:
//!   model input and output, tool arguments and results, audio and error details never
//!   recorded, the exact list with the Python source of each), [`sampling`] (head
//!   sampling of whole traces by trace-id ratio or by rate, [`set_sampler`], counted in
//!   [`sampling::sampling_stats`]) and [`redact`] (a [`redact::Redactor`] over every
//!   string field plus built-in API-key masking, run by a batch processor's worker). With
//!   none set, a span pays nothing for them and a trace creation one relaxed atomic load.
//! - Plumbing for crate authors: [`panic`](mod@panic) (running code you do not own, panics caught),
//!   [`rate_limit`] (rate-limited warnings), [`limits`], [`wire`].
//! - [`InMemoryProcessor`] and [`InMemoryExporter`] for tests; [`SimpleTraceProcessor`]
//!   to export on the caller's thread.
//! - Across processes: [`w3c`] (continue a trace from a W3C `traceparent` with
//!   [`TraceBuilder::traceparent`], give the current span's to an outgoing call with
//!   [`w3c::inject`], and the one mapping between our ids and W3C/OpenTelemetry ids) and
//!   [`trace_state`] ([`TraceState`]: a trace saved as JSON and resumed elsewhere with
//!   [`TraceState::resume`], announced once).
//!
//! # Across processes
//! A request that arrives with a `traceparent` continues the caller's trace, and a call
//! made from a span carries that span's:
//!
//! ```
//! use trace_core::{custom_span, trace, w3c, TraceState};
//!
//! let incoming = Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"); // a request header
//! let run = trace("Answer request").traceparent(incoming).start();
//! assert_eq!(run.trace_id().unwrap().to_string(), "trace_0af7651916cd43dd8448eb211c80319c");
//!
//! let call = custom_span("call tool service").start();
//! let mut outgoing = Vec::new();
//! w3c::inject(|name, value| outgoing.push((name.to_owned(), value.to_owned())));
//! assert_eq!(outgoing[0].0, "traceparent");
//! assert!(outgoing[0].1.contains(&format!("{:016x}", call.span_id().unwrap().to_w3c())));
//!
//! // To pause the run and resume it in another process: save where it is...
//! let saved = TraceState::current().to_json_string();
//! drop((call, run));
//! // ... and, over there, go on in the same trace, under the same span.
//! let state = TraceState::from_json_str(&saved)?;
//! let resumed = state.resume().start();
//! assert_eq!(resumed.trace_id(), state.trace_id());
//! # Ok::<(), trace_core::TraceStateError>(())
//! ```
//!
//! # Crate features
//! - `preserve-order` (on by default): keys of user-supplied JSON objects (metadata,
//!   custom data) keep insertion order, as Python dicts do (serde_json's `preserve_order`,
//!   which pulls `indexmap`); off, they come out sorted and a span with JSON data is
//!   cheaper to build.
//!
//! # Dependencies
//! `serde` and `serde_json` (the wire format; its `preserve_order` brings `indexmap`),
//! `fastrand` (ids), `log` (warnings),
//! `thiserror` (errors). Nothing else.
//!
//! # Unsafe code
//! One block: the read of the CPU's time-stamp counter (the `_rdtsc` intrinsic) through
//! which spans are timed on x86-64 (see [`Timestamp::now`]). Here it costs a third of
//! `SystemTime::now()`, and a span reads the clock twice: the whole span went from 237 to
//! 188 ns in the project's benchmark (BENCHMARKS.md, issue 17's fourth pass). The rest of
//! the crate is held to that by `#![deny(unsafe_code)]`; every other crate of the
//! workspace forbids unsafe code.

#![cfg_attr(docsrs, feature(doc_cfg))]
// One `unsafe` block, the time-stamp counter read in `clock/tsc.rs` (see "Unsafe code"
// above); every other module is free of it.
#![deny(unsafe_code)]

mod clock;
pub mod context;
mod error;
mod exporter;
mod fnv;
mod ids;
pub mod json_input;
mod json_text;
mod lifecycle;
pub mod limits;
mod memory;
pub mod panic;
mod policy;
mod processor;
pub mod rate_limit;
pub mod redact;
pub mod registry;
pub mod sampling;
mod secret;
pub mod sensitive;
mod sharded_counter;
mod simple;
mod span;
mod span_builder;
pub mod span_data;
mod span_error;
mod span_guard;
mod span_helpers;
mod span_kind;
mod span_setters;
mod time;
mod trace;
mod trace_builder;
mod trace_guard;
pub mod trace_state;
pub mod w3c;
pub mod wire;

pub use context::{current_span_id, current_trace, Context, FutureExt, Parent};
pub use error::{ExportError, ProcessorError};
pub use exporter::{ExportItem, TracingExporter};
pub use ids::{gen_group_id, SpanId, TraceId};
pub use json_input::{json_input_fallbacks, IntoJson};
pub use limits::{depth_cuts, DepthLimited, DEPTH_LIMIT_MARKER, MAX_JSON_DEPTH};
pub use memory::{InMemoryExporter, InMemoryProcessor, ProcessorEvent};
pub use processor::TracingProcessor;
pub use registry::{
    clear_trace_processor, force_flush, is_tracing_disabled, processor_panics, set_trace_processor,
    set_trace_processor_shared, set_tracing_disabled, shutdown, trace_processor,
};
pub use sampling::{set_sampler, Sampler};
pub use secret::ApiKey;
pub use sensitive::{set_trace_include_sensitive_data, trace_include_sensitive_data};
pub use simple::{SimpleStats, SimpleTraceProcessor};
pub use span::{Span, SPAN_METADATA_ROUTING_KEYS};
pub use span_builder::{span, SpanBuilder};
pub use span_data::{
    AgentSpanData, CustomSpanData, DataMap, FunctionSpanData, GenerationSpanData, GuardrailSpanData, HandoffSpanData,
    JsonMap, McpListToolsSpanData, Name, ResponseSpanData, SpanData, SpanDataKind, SpeechGroupSpanData, SpeechSpanData,
    TaskSpanData, TranscriptionSpanData, TurnSpanData,
};
pub use span_error::SpanError;
pub use span_guard::SpanGuard;
pub use span_helpers::{
    agent_span, custom_span, function_span, generation_span, guardrail_span, handoff_span, mcp_tools_span,
    response_span, speech_group_span, speech_span, task_span, transcription_span, turn_span,
};
pub use span_kind::SpanKind;
pub use time::Timestamp;
pub use trace::Trace;
pub use trace_builder::{trace, TraceBuilder, NO_OP_ID};
pub use trace_guard::TraceGuard;
pub use trace_state::{ResumeBuilder, ResumeError, TraceState, TraceStateError};
pub use wire::{to_json_string, to_json_vec, write_json};
