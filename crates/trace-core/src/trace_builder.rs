//! Python's `trace()`: the builder of a trace.

use std::fmt;
use std::sync::Arc;

use crate::context;
use crate::ids::TraceId;
use crate::json_input::{self, IntoJson};
use crate::registry;
use crate::secret::ApiKey;
use crate::span_data::JsonMap;
use crate::trace::Trace;
use crate::trace_guard::TraceGuard;
use crate::w3c::{self, RemoteParent, SampledOutScope, TraceParent};

/// The literal id that makes a no-op trace or span, as in Python.
pub const NO_OP_ID: &str = "no-op";

/// Starts building a trace (Python's `trace()`).
///
/// ```
/// let t = trace_core::trace("Customer service").group_id("chat_123").start();
/// // ... spans created here belong to the trace ...
/// t.end(); // or let it drop
/// ```
pub fn trace(workflow_name: impl Into<String>) -> TraceBuilder {
    TraceBuilder {
        workflow_name: workflow_name.into(),
        trace_id: None,
        group_id: None,
        metadata: None,
        tracing_api_key: None,
        include_sensitive_data: None,
        disabled: false,
        traceparent: None,
        tracestate: None,
    }
}

/// Settings of a trace to create; see [`trace`].
#[must_use = "a trace builder does nothing until `start` or `create`"]
pub struct TraceBuilder {
    workflow_name: String,
    trace_id: Option<TraceId>,
    group_id: Option<String>,
    metadata: Option<JsonMap>,
    tracing_api_key: Option<ApiKey>,
    include_sensitive_data: Option<bool>,
    disabled: bool,
    traceparent: Option<TraceParent>,
    tracestate: Option<String>,
}

impl fmt::Debug for TraceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceBuilder")
            .field("workflow_name", &self.workflow_name)
            .field("trace_id", &self.trace_id)
            .field("group_id", &self.group_id)
            // Depth-limited JSON text: the derived `Debug` of a `Value` recurses per level.
            .field("metadata", &crate::json_text::OptJsonDebug(&self.metadata))
            .field("tracing_api_key", &self.tracing_api_key)
            .field("include_sensitive_data", &self.include_sensitive_data)
            .field("disabled", &self.disabled)
            .field("traceparent", &self.traceparent)
            .field("tracestate", &self.tracestate)
            .finish()
    }
}

impl TraceBuilder {
    /// Uses this id instead of a generated one. Not validated; an empty id is no id (a
    /// generated one is used, as Python's `trace_id or gen_trace_id()`), and `"no-op"`
    /// makes the trace and its spans no-ops. (Python 0.24 still records a trace whose id
    /// is `"no-op"`, and sends it with that id, and makes only its spans no-ops.)
    pub fn trace_id(mut self, id: impl Into<TraceId>) -> Self {
        self.trace_id = Some(id.into()).filter(|id| !id.is_empty());
        self
    }

    /// Links traces of one conversation (a chat thread id, say).
    pub fn group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = Some(group_id.into());
        self
    }

    /// Metadata for the trace: a `serde_json::Value` or [`JsonMap`], or a reference to any
    /// `Serialize` value; `null` clears it, a value that is not an object is stored as
    /// `{"value": ..}` (see [`json_input`](crate::json_input)). The key `agent_harness_id`
    /// is also copied to every span.
    pub fn metadata(mut self, metadata: impl IntoJson) -> Self {
        self.metadata = json_input::to_object(metadata, "metadata");
        self
    }

    /// A tracing API key for this trace only: its items are exported with this key, in
    /// their own request. Never exported, never logged. An empty key is no key: the
    /// exporter's own is used (Python's `item_key or self.api_key`).
    pub fn tracing_api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.tracing_api_key = Some(key.into()).filter(|k| !k.is_empty());
        self
    }

    /// Continues the trace of this W3C `traceparent` header (the value of an incoming
    /// request's header; `None` or an absent header: nothing to continue). The trace's id
    /// becomes `trace_` and the header's 32 hex digits, replacing any
    /// [`trace_id`](Self::trace_id), and the caller's span becomes its
    /// [`remote_parent`](Trace::remote_parent); see [`w3c`](crate::w3c).
    ///
    /// When the [`tracestate`](Self::tracestate) says the caller is a process of this
    /// library ([`ANNOUNCED_ENTRY`](crate::w3c::ANNOUNCED_ENTRY)), the trace was announced
    /// there: it is not announced again (no `on_trace_start` or `on_trace_end` here, as for
    /// a [resumed](crate::TraceGuard::is_resumed) trace), so the trace object reaches a
    /// backend once.
    ///
    /// An invalid header is ignored, as the W3C specification says: the trace starts fresh
    /// (with a generated id, or the one given to [`trace_id`](Self::trace_id)), and the
    /// [`tracestate`](Self::tracestate) is ignored with it. It is
    /// counted ([`w3c::invalid_traceparents`]) and logged at debug level with the reason.
    ///
    /// ```
    /// let header: Option<&str> = Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    /// let run = trace_core::trace("Answer request").traceparent(header).start();
    /// assert_eq!(run.trace_id().unwrap().to_string(), "trace_0af7651916cd43dd8448eb211c80319c");
    /// ```
    pub fn traceparent<'a>(mut self, header: impl Into<Option<&'a str>>) -> Self {
        self.traceparent = header.into().and_then(|h| match TraceParent::parse(h) {
            Ok(tp) => Some(tp),
            Err(e) => {
                w3c::note_invalid_traceparent(&e);
                None
            }
        });
        self
    }

    /// The W3C `tracestate` header that came with the [`traceparent`](Self::traceparent):
    /// kept as is, sent on with the outgoing `traceparent`, and written as the
    /// `trace_state` of the trace's OTLP spans (see [`RemoteParent::with_tracestate`] for
    /// the rare value that is dropped). Ignored without a valid `traceparent`. Default:
    /// none.
    pub fn tracestate<'a>(mut self, header: impl Into<Option<&'a str>>) -> Self {
        self.tracestate = header.into().map(str::to_owned);
        self
    }

    /// Whether this trace's spans record sensitive data (model input and output, tool
    /// arguments and results, audio, error details: see [`sensitive`](crate::sensitive)),
    /// whatever the global switch says: Python's `RunConfig.trace_include_sensitive_data`
    /// for one run. Default: the global switch
    /// ([`set_trace_include_sensitive_data`](crate::sensitive::set_trace_include_sensitive_data),
    /// else `OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA`, else `true`).
    pub fn include_sensitive_data(mut self, include: bool) -> Self {
        self.include_sensitive_data = Some(include);
        self
    }

    /// Makes this trace a no-op when `true` (Python's `disabled=True`).
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// Creates the trace without starting it; start it with [`TraceGuard::start`]. An
    /// installed [sampler](crate::sampling) decides here whether it is recorded: a trace
    /// turned down is a no-op ([`TraceGuard::is_sampled_out`]) whose spans are no-ops too.
    pub fn create(self) -> TraceGuard {
        if context::current_trace().is_some() {
            crate::rate_limit::warn_limited!(
                "a trace is already current; creating a new trace, but this is probably a mistake"
            );
        }
        let noop = self.disabled
            || registry::is_tracing_disabled()
            || self.trace_id.as_ref().is_some_and(|id| id.with_str(|s| s == NO_OP_ID));
        if noop {
            // Released without deep recursion: the metadata may nest any number of levels.
            if let Some(metadata) = self.metadata {
                crate::limits::release(serde_json::Value::Object(metadata));
            }
            return TraceGuard::new(None);
        }
        let remote_parent = self.traceparent.map(|tp| {
            let remote = RemoteParent::new(tp);
            match &self.tracestate {
                Some(tracestate) => remote.with_tracestate(tracestate),
                None => remote,
            }
        });
        let id = match &remote_parent {
            Some(remote) => {
                if self.trace_id.is_some() {
                    log::debug!("a traceparent was given: the trace id set with `trace_id` is not used");
                }
                remote.traceparent().agent_trace_id()
            }
            None => self.trace_id.unwrap_or_else(TraceId::generate),
        };
        let policy = crate::policy::at_trace_start();
        if policy.sampler_set() {
            // A continued trace follows its caller's `sampled` flag; any other asks the sampler.
            let keep = match &remote_parent {
                Some(remote) => crate::sampling::decide_remote(remote.sampled()),
                None => crate::sampling::decide(&id),
            };
            if !keep {
                if let Some(metadata) = self.metadata {
                    crate::limits::release(serde_json::Value::Object(metadata));
                }
                return TraceGuard::sampled_out(SampledOutScope::new(id, remote_parent));
            }
        }
        // Announced already by the process of this library that sent the traceparent.
        let announced = remote_parent.as_ref().is_some_and(RemoteParent::announced);
        let record = Arc::new(Trace {
            id,
            workflow_name: self.workflow_name,
            group_id: self.group_id,
            metadata: self.metadata,
            tracing_api_key: self.tracing_api_key,
            include_sensitive_data: self.include_sensitive_data.unwrap_or_else(|| policy.include_sensitive_data()),
            started_at: std::sync::OnceLock::new(),
            ended_at: std::sync::OnceLock::new(),
            remote_parent: remote_parent.map(Box::new),
        });
        if announced {
            TraceGuard::resumed(record, None)
        } else {
            TraceGuard::new(Some(record))
        }
    }

    /// Creates the trace, starts it and makes it current (Python's `with trace(...)`).
    /// The guard finishes it when dropped.
    pub fn start(self) -> TraceGuard {
        let mut guard = self.create();
        guard.start();
        guard
    }

    /// Creates and starts the trace without making it current (Python's
    /// `start(mark_as_current=False)`): spans join it only through
    /// [`SpanBuilder::parent`](crate::SpanBuilder::parent) with
    /// [`TraceGuard::as_parent`].
    pub fn start_detached(self) -> TraceGuard {
        let mut guard = self.create();
        guard.start_detached();
        guard
    }
}
