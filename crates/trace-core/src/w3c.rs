//! W3C Trace Context: continue a trace from an incoming `traceparent` (and `tracestate`),
//! give the `traceparent` of the current span to an outgoing call, and the mapping
//! between this library's ids and W3C (and OpenTelemetry) ids that both rely on.
//!
//! ```
//! use trace_core::{custom_span, trace, w3c, InMemoryProcessor};
//!
//! let recorder = InMemoryProcessor::new();
//! trace_core::set_trace_processor(recorder.clone());
//!
//! // A request arrives with the headers of a caller that is already traced.
//! let incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
//! let run = trace("Answer request").traceparent(incoming).tracestate("congo=t61rcWkgMzE").start();
//! assert_eq!(run.trace_id().unwrap().to_string(), "trace_0af7651916cd43dd8448eb211c80319c");
//! assert_eq!(run.trace().unwrap().remote_sampled(), Some(true));
//!
//! // This process calls another one: it passes the current span on.
//! let call = custom_span("call tool service").start();
//! let mut headers = Vec::new();
//! w3c::inject(|name, value| headers.push(format!("{name}: {value}")));
//! let span_id = call.span_id().unwrap().to_w3c();
//! assert_eq!(headers, [
//!     format!("traceparent: 00-0af7651916cd43dd8448eb211c80319c-{span_id:016x}-01"),
//!     // This library's entry first (the trace was announced here), then the caller's.
//!     "tracestate: agents-tracing=1,congo=t61rcWkgMzE".to_owned(),
//! ]);
//!
//! // A malformed header is ignored, as the specification says: the trace starts fresh.
//! drop((call, run));
//! let fresh = trace("Other request").traceparent("00-not-a-header").start();
//! assert!(fresh.trace().unwrap().remote_parent().is_none());
//! assert!(w3c::invalid_traceparents() >= 1);
//! ```
//!
//! # In
//! [`TraceBuilder::traceparent`](crate::TraceBuilder::traceparent) and
//! [`tracestate`](crate::TraceBuilder::tracestate) start a trace as the continuation of
//! the caller's: its id is `trace_` and the 32 hex digits of the W3C trace id, so the
//! OpenAI dashboard shows one trace with the caller's id, and it keeps the caller's span
//! as its [`RemoteParent`]. The OTLP exporter sends the trace's root span as a child of
//! that span (its `parent_span_id`, with the `tracestate` as `trace_state`, the flags
//! saying the parent is remote), so an OpenTelemetry backend shows the run under the
//! request's span. The trace is announced to processors (`on_trace_start`) as any trace,
//! unless the caller is a process of this library (see "Announced once" below): a gateway
//! never announced it to an agents backend. A run that pauses and resumes elsewhere can
//! also pass a saved [`TraceState`](crate::TraceState) (see
//! [`trace_state`](crate::trace_state)), which announces the trace once too.
//!
//! An invalid `traceparent` (every form the specification lists: wrong length, upper
//! case, not hex, all-zero ids, version `ff`, bad separators, a version `00` header with
//! more after it) is ignored, as the specification says, and the trace starts fresh with
//! an id of its own; its `tracestate` is ignored with it. Each is counted
//! ([`invalid_traceparents`]) and logged at debug level with the reason; nothing fails and
//! nothing panics. [`TraceParent::parse`] gives the reason as a [`TraceParentError`] to
//! whoever wants it. A later version than `00` is read as the specification says (its
//! first four fields as those of version `00`). Two `traceparent` headers in one request
//! are invalid too: that check is the HTTP layer's, since these setters take one value.
//!
//! # Out
//! [`inject`] hands the headers of the current span to any HTTP client (or message
//! properties); [`current_traceparent`] and [`Parent::traceparent`](crate::Parent::traceparent) give the value. The
//! `parent-id` is the W3C id of the current span, which is also the OTLP span id the OTLP
//! exporter sends for that span; with only a trace current, it is the id of the trace's
//! OTLP root span ([`root_span_id`]). The header is always version `00`.
//!
//! # Announced once
//! The `tracestate` a trace sends on starts with [`ANNOUNCED_ENTRY`] (`agents-tracing=1`),
//! then the members it received. A process of this library that continues a trace from
//! such a caller knows the trace object was announced there
//! ([`RemoteParent::announced`]): it does not announce or end it again, so processors hear
//! `on_trace_start` once across the processes, the OTLP root span is the caller's, and the
//! OTLP exporter hangs the callee's top-level spans under the caller's span. From any
//! other caller the trace is announced where it is continued. A trace whose id does not
//! survive the trip through W3C (a custom id, sent hashed: see [Ids](#ids)) sends no
//! entry, since the callee records it under another id. The entry says only that
//! the caller announced the trace to its own processors: if the caller exports somewhere
//! the callee does not (only OTLP, or another OpenAI project's key), the callee's spans
//! reach a backend whose trace object was never sent there. Remove the entry from the
//! incoming `tracestate` (or pass none) to make such a callee announce the trace itself.
//!
//! # Sampling
//! The incoming `sampled` flag is kept on the trace,
//! [`Trace::remote_sampled`](crate::Trace::remote_sampled) (`None` for a trace not
//! continued from a `traceparent`). With a [sampler](crate::sampling) installed, a
//! continued trace follows it (parent-based sampling, as OpenTelemetry's default): kept
//! when the flag is on, sampled out when it is off (counted in
//! [`SamplingStats::traces_out_by_parent`](crate::sampling::SamplingStats)), whatever the
//! ratio and the rate cap say (the parent-based rule: a caller's `sampled` flag is not
//! held to this process's rate cap); with none, every trace is recorded. What a recorded
//! trace sends on: `sampled`, with the Level 2 `random` flag it received (other bits 0, as
//! the specification asks). A sampled-out trace records nothing but still sends a
//! `traceparent`, with `sampled` off ([`SampledOutScope`]): the caller's headers unchanged
//! for a continued trace, its own trace id for a trace of this process, so that the next
//! process continues the trace id and turns it down too.
//!
//! # Ids
//! The one mapping between this library's ids and W3C ids, used by the `traceparent`
//! headers and by the OTLP exporter alike, so that the `parent-id` sent for a span is the
//! span id the exporter gives it. It is a pure function of the id: stable across calls,
//! batches, processes and versions.
//!
//! | this library | W3C and OTLP |
//! |---|---|
//! | a trace id `trace_` + 32 hex digits (generated, or given in that form) | the same 32 digits ([`TraceId::to_w3c`](crate::TraceId::to_w3c)) |
//! | a span id `span_` + 24 hex digits (generated, or given in that form) | its last 16 digits (the low 64 bits; [`SpanId::to_w3c`](crate::SpanId::to_w3c)) |
//! | any other trace id (user-supplied text) | 128-bit FNV-1a of its UTF-8 text |
//! | any other span id | 64-bit FNV-1a of its UTF-8 text |
//! | the trace itself (the OTLP root span, the `parent-id` sent when no span is current) | 64-bit FNV-1a of `root:` and the trace id's text ([`root_span_id`]) |
//!
//! W3C forbids all-zero ids: an id that would map to zero (the value 0, a span id whose
//! low 64 bits are 0) is hashed as text instead, and a hash of 0 becomes 1.
//!
//! And back, for what arrives in a header:
//!
//! | W3C | this library |
//! |---|---|
//! | a trace id | `trace_` + its 32 digits ([`TraceId::from_w3c`](crate::TraceId::from_w3c)): the round trip is exact both ways for ids of the generated form |
//! | a `parent-id` | `span_` + 8 zeros + its 16 digits ([`SpanId::from_w3c`](crate::SpanId::from_w3c)): W3C → ours → W3C is exact; ours → W3C → ours is not (a generated span id has 96 random bits, a W3C id keeps 64) |
//!
//! The caller's span therefore never appears as a parent id in the OpenAI wire format:
//! the agent spans of a continued trace hang under the trace there, and the link to the
//! caller's span is the OTLP root span's parent.

mod ids;
mod propagate;
mod remote;
pub(crate) mod sampled_out;
mod traceparent;

pub use ids::root_span_id;
pub use propagate::{current_traceparent, inject, top_level_parent_id};
pub(crate) use remote::note_invalid_traceparent;
pub use remote::{dropped_tracestates, invalid_traceparents, RemoteParent, ANNOUNCED_ENTRY, MAX_TRACESTATE_LEN};
pub use sampled_out::SampledOutScope;
pub use traceparent::{TraceParent, TraceParentError};
