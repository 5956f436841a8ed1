//! A trace resumed elsewhere: its identity saved as a small JSON value, and the trace
//! resumed from it in another process (or later in this one), as the Python SDK 0.24's
//! `TraceState` and `reattach_trace` do for a run that pauses (for a human's approval,
//! say) and resumes in another worker, or hands its work to a queue consumer.
//!
//! ```
//! use trace_core::{custom_span, trace, InMemoryProcessor, ProcessorEvent, TraceState};
//!
//! let recorder = InMemoryProcessor::new();
//! trace_core::set_trace_processor(recorder.clone());
//!
//! // Process A: the run pauses inside its approval step and saves where it is.
//! let saved: String = {
//!     let _run = trace("Refund").group_id("chat-42").tracing_api_key("sk-tenant-key").start();
//!     let _step = custom_span("wait for approval").start();
//!     TraceState::current().to_json_string()
//! };
//! assert!(!saved.contains("sk-tenant-key"), "a fingerprint of the key, never the key");
//!
//! // Process B, later: the same trace, the key given again; spans join it under the step.
//! let state = TraceState::from_json_str(&saved)?;
//! let resumed = state.resume().tracing_api_key("sk-tenant-key").start();
//! assert!(resumed.is_resumed());
//! custom_span("refund").start().end();
//! resumed.end();
//!
//! let spans = recorder.finished_spans();
//! let (step, refund) = (&spans[0], &spans[1]);
//! assert_eq!(refund.trace_id(), step.trace_id());
//! assert_eq!(refund.parent_id(), Some(step.span_id()));
//! assert_eq!(refund.tracing_api_key().map(|k| k.expose()), Some("sk-tenant-key"));
//! // The trace was announced once, by the process that started it.
//! let starts = recorder.events().iter().filter(|e| matches!(e, ProcessorEvent::TraceStart(_))).count();
//! assert_eq!(starts, 1);
//! # Ok::<(), trace_core::TraceStateError>(())
//! ```
//!
//! # What is saved
//! [`TraceState::current`] (or [`TraceState::from_parent`] for a given trace or span)
//! takes the trace's id, workflow name, group id and metadata, the span current at that
//! moment (the parent of the spans the resumed trace records), the W3C remote parent if
//! the trace continues one, and a fingerprint of the per-trace API key; never the key.
//! [`to_json`](TraceState::to_json) writes them as the Python SDK's `TraceState` does
//! (`object`, `id`, `workflow_name`, `group_id`, `metadata`; a key left out when it has no
//! value) plus `tracing_api_key_fingerprint`, `parent_span_id`, `traceparent` and
//! `tracestate`:
//!
//! ```json
//! {"object":"trace","id":"trace_0af7651916cd43dd8448eb211c80319c","workflow_name":"Refund",
//!  "group_id":"chat-42","tracing_api_key_fingerprint":"fnv1a64:<salt>:<hash>",
//!  "parent_span_id":"span_6f1c0b2e9d0a4c3b8e7f6a5d"}
//! ```
//!
//! The Python SDK reads this object (it keeps the keys it does not know), and
//! [`from_json`](TraceState::from_json) reads Python's (`id` or `trace_id`; a missing
//! workflow name is Python's default, `Agent workflow`). Nothing of the OpenAI wire
//! format changes: a trace's exported JSON never holds these fields.
//!
//! # Resuming
//! [`TraceState::resume`] gives a [`ResumeBuilder`]; its `start` makes the trace current
//! again, with the same id, and with the saved span as the parent of the spans created
//! under it. The trace is **not announced again**: processors get no `on_trace_start`
//! (and no `on_trace_end` when the resumed guard drops), so the trace object is exported
//! once, by the process that started it. Spans are reported as usual.
//!
//! This differs from Python in one case: Python reattaches only in the process that
//! started the trace (it remembers the ids it started), and in any other process starts
//! it again, announcing it a second time. Here a state is proof enough that the trace was
//! started, wherever it was: resuming never announces.
//!
//! # The key
//! A per-trace key ([`TraceBuilder::tracing_api_key`](crate::TraceBuilder::tracing_api_key))
//! is not saved; the resuming side gives it again
//! ([`ResumeBuilder::tracing_api_key`]), and it is checked against the fingerprint (see
//! the fingerprint's trade-offs below). A mismatch (another key, no key when the trace
//! had one, a key when it had none, or a fingerprint this crate cannot check, such as the
//! Python SDK's SHA-256) has the outcome Python gives it: the trace is **started afresh**
//! under the key given, with the same id, workflow name, group id and metadata, and
//! announced (`on_trace_start`), so that the backend reached with that key gets the trace
//! object too; its spans are then top-level spans of the trace (the saved span belongs to
//! the other key's trace). Each mismatch is counted ([`key_mismatches`]) and logged as a
//! warning that never holds the key. [`ResumeBuilder::try_start`] gives the mismatch as a
//! [`ResumeError`] instead, and starts nothing.
//!
//! **The fingerprint** is 64-bit FNV-1a of a fixed domain string, a random salt drawn for
//! each saved state and the key: enough to tell a wrong key (1 in 2^64 passes), too short
//! to give a key back (countless keys share each value), and unrelated between two states
//! of one key. It is not a secret: FNV is fast and not cryptographic, so whoever holds a
//! candidate key can test it, and whoever can choose a key can forge a match. It catches
//! mistakes and proves nothing; keep saved states with the rest of a run's data.
//!
//! # Also
//! - A state taken where no trace is current (or with tracing disabled) is a no-op state:
//!   its JSON is `null`, and resuming it gives a no-op trace, whose spans are no-ops. No
//!   `if let` is needed on either side.
//! - A process that resumes a trace through the `agents-tracing` facade and never called
//!   any of its functions before gets no default pipeline (Rust runs no code before
//!   `main`): hold the facade's `shutdown_on_drop` in `main`, as every program should.
//! - A W3C `traceparent` ([`w3c`](crate::w3c)) continues a trace too: announced where it
//!   is continued, unless the `tracestate` says a process of this library announced it
//!   (see "Announced once" there). A saved state also carries the metadata, the group id
//!   and the key check, which the headers do not.

use std::sync::Arc;

use crate::context::{self, Parent};
use crate::ids::{SpanId, TraceId};
use crate::span_data::JsonMap;
use crate::trace::Trace;
use crate::w3c::RemoteParent;

mod fingerprint;
mod json;
mod resume;

use fingerprint::KeyCheck;
pub use json::TraceStateError;
pub use resume::{key_mismatches, ResumeBuilder, ResumeError};

/// The workflow name of a state that has none (Python's default for the runner).
pub const DEFAULT_WORKFLOW_NAME: &str = "Agent workflow";

/// A trace's identity, saved to resume the trace in another process: see the [module
/// docs](self).
#[derive(Debug, PartialEq)]
pub struct TraceState {
    /// The trace's identity (id, workflow name, group id, metadata, remote parent), its
    /// key and times left out; `None` for a no-op state.
    trace: Option<Trace>,
    /// The span that was current when the state was taken.
    parent_span_id: Option<SpanId>,
    key: KeyCheck,
}

/// By hand: the metadata is copied without deep recursion, whatever its nesting.
impl Clone for TraceState {
    fn clone(&self) -> Self {
        Self {
            trace: self.trace.as_ref().map(Trace::identity),
            parent_span_id: self.parent_span_id.clone(),
            key: self.key.clone(),
        }
    }
}

impl TraceState {
    /// The state of the current trace, with the current span (if any) as the parent of
    /// what the resumed trace records; a no-op state when no trace is current.
    pub fn current() -> Self {
        context::current_scope().map_or_else(Self::noop, |scope| Self::from_parent(&scope))
    }

    /// The state of the trace of `parent` (a trace, or a span of it, which then becomes
    /// the parent of what the resumed trace records): see
    /// [`TraceGuard::as_parent`](crate::TraceGuard::as_parent) and
    /// [`SpanGuard::as_parent`](crate::SpanGuard::as_parent). A no-op state for
    /// [`Parent::NoOp`] and [`Parent::SampledOut`].
    pub fn from_parent(parent: &Parent) -> Self {
        match parent {
            Parent::NoOp | Parent::SampledOut(_) => Self::noop(),
            Parent::Trace(trace) => Self::of(trace, None),
            Parent::Span { trace, span_id } => Self::of(trace, Some(span_id.clone())),
        }
    }

    fn of(trace: &Arc<Trace>, parent_span_id: Option<SpanId>) -> Self {
        Self { trace: Some(trace.identity()), parent_span_id, key: KeyCheck::of(trace.tracing_api_key()) }
    }

    /// The state of no trace: its JSON is `null`, and resuming it gives a no-op trace.
    pub fn noop() -> Self {
        Self { trace: None, parent_span_id: None, key: KeyCheck::NoKey }
    }

    /// Whether this is the state of no trace ([`noop`](Self::noop)).
    pub fn is_noop(&self) -> bool {
        self.trace.is_none()
    }

    /// The trace id; `None` for a no-op state.
    pub fn trace_id(&self) -> Option<&TraceId> {
        self.trace.as_ref().map(Trace::trace_id)
    }

    /// The workflow name (empty for a no-op state).
    pub fn workflow_name(&self) -> &str {
        self.trace.as_ref().map_or("", Trace::workflow_name)
    }

    /// The group id.
    pub fn group_id(&self) -> Option<&str> {
        self.trace.as_ref().and_then(Trace::group_id)
    }

    /// The trace's metadata.
    pub fn metadata(&self) -> Option<&JsonMap> {
        self.trace.as_ref().and_then(Trace::metadata)
    }

    /// The span that was current when the state was taken: the parent of the spans the
    /// resumed trace records. `None`: they are top-level spans of the trace.
    pub fn parent_span_id(&self) -> Option<&SpanId> {
        self.parent_span_id.as_ref()
    }

    /// The W3C remote parent of the trace, if it continues a trace of another process.
    pub fn remote_parent(&self) -> Option<&RemoteParent> {
        self.trace.as_ref().and_then(Trace::remote_parent)
    }

    /// Whether the trace had a per-trace API key, which the resuming side must give again
    /// ([`ResumeBuilder::tracing_api_key`]).
    pub fn has_tracing_api_key(&self) -> bool {
        self.key != KeyCheck::NoKey
    }

    /// Starts resuming the trace: see [`ResumeBuilder`].
    pub fn resume(&self) -> ResumeBuilder {
        ResumeBuilder::new(self.clone())
    }
}

impl Default for TraceState {
    /// The no-op state.
    fn default() -> Self {
        Self::noop()
    }
}
