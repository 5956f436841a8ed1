//! The trace record that processors and exporters see.

use std::fmt;
use std::sync::OnceLock;

use serde::ser::SerializeStruct;
use serde::Serializer;

use crate::ids::TraceId;
use crate::json_text::OptJsonDebug;
use crate::limits::{release_json, serialize_as_record, SerializeUnlimited};
use crate::secret::ApiKey;
use crate::span_data::{JsonMap, JsonMut};
use crate::time::Timestamp;
use crate::w3c::RemoteParent;

/// One workflow run: the root that spans belong to.
///
/// Processors receive it as `&Arc<Trace>` in
/// [`on_trace_start`](crate::TracingProcessor::on_trace_start) and
/// [`on_trace_end`](crate::TracingProcessor::on_trace_end). It serializes to the Python
/// SDK's trace object: `{"object":"trace","id",..,"workflow_name","group_id","metadata"}`.
/// The per-trace API key is carried for exporters and never serialized.
#[derive(Clone, PartialEq)]
pub struct Trace {
    pub(crate) id: TraceId,
    pub(crate) workflow_name: String,
    pub(crate) group_id: Option<String>,
    pub(crate) metadata: Option<JsonMap>,
    pub(crate) tracing_api_key: Option<ApiKey>,
    /// Whether its spans record sensitive data (see [`sensitive`](crate::sensitive)),
    /// decided when the trace was created.
    pub(crate) include_sensitive_data: bool,
    /// When the trace started and ended: set by its guard, read by exporters that give a
    /// trace a record of its own (OTLP's root span). Not part of the OpenAI wire format.
    pub(crate) started_at: OnceLock<Timestamp>,
    pub(crate) ended_at: OnceLock<Timestamp>,
    /// The span of another process this trace continues (a W3C `traceparent`). Not part
    /// of the OpenAI wire format.
    pub(crate) remote_parent: Option<Box<RemoteParent>>,
}

impl Trace {
    /// A trace record. Most users get one through [`trace`](crate::trace) instead.
    pub fn new(id: TraceId, workflow_name: impl Into<String>) -> Self {
        Self {
            id,
            workflow_name: workflow_name.into(),
            group_id: None,
            metadata: None,
            tracing_api_key: None,
            include_sensitive_data: true,
            started_at: OnceLock::new(),
            ended_at: OnceLock::new(),
            remote_parent: None,
        }
    }

    /// Sets the group id (builder style).
    pub fn with_group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = Some(group_id.into());
        self
    }

    /// Sets the metadata (builder style).
    pub fn with_metadata(mut self, metadata: JsonMap) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets the per-trace tracing API key (builder style); an empty key is no key (the
    /// exporter's own is used).
    pub fn with_tracing_api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.tracing_api_key = Some(key.into()).filter(|k| !k.is_empty());
        self
    }

    /// Sets the span of another process this trace continues (builder style); see
    /// [`w3c`](crate::w3c).
    pub fn with_remote_parent(mut self, remote_parent: RemoteParent) -> Self {
        self.remote_parent = Some(Box::new(remote_parent));
        self
    }

    /// Sets whether the trace's spans record sensitive data (builder style); `true` for a
    /// trace made with [`Trace::new`]. Spans created through the guards and helpers honour
    /// it (see [`sensitive`](crate::sensitive)).
    pub fn with_include_sensitive_data(mut self, include: bool) -> Self {
        self.include_sensitive_data = include;
        self
    }

    /// Whether the trace's spans record sensitive data: the value its builder set with
    /// [`include_sensitive_data`](crate::TraceBuilder::include_sensitive_data), else the
    /// global switch when it was created (see [`sensitive`](crate::sensitive)).
    pub fn include_sensitive_data(&self) -> bool {
        self.include_sensitive_data
    }

    /// A copy made without deep recursion, whatever the nesting of its metadata (see
    /// `limits::clone`).
    pub(crate) fn clone_bounded(&self) -> Self {
        use crate::limits::clone::CloneBounded;
        Self {
            id: self.id.clone(),
            workflow_name: self.workflow_name.clone(),
            group_id: self.group_id.clone(),
            metadata: self.metadata.clone_bounded(),
            tracing_api_key: self.tracing_api_key.clone(),
            include_sensitive_data: self.include_sensitive_data,
            started_at: self.started_at.clone(),
            ended_at: self.ended_at.clone(),
            remote_parent: self.remote_parent.clone(),
        }
    }

    /// The trace id.
    pub fn trace_id(&self) -> &TraceId {
        &self.id
    }

    /// The workflow name.
    pub fn workflow_name(&self) -> &str {
        &self.workflow_name
    }

    /// The group id, linking traces of one conversation.
    pub fn group_id(&self) -> Option<&str> {
        self.group_id.as_deref()
    }

    /// The metadata given to the trace.
    pub fn metadata(&self) -> Option<&JsonMap> {
        self.metadata.as_ref()
    }

    /// The per-trace tracing API key, if one was set. Spans of the trace inherit it.
    pub fn tracing_api_key(&self) -> Option<&ApiKey> {
        self.tracing_api_key.as_ref()
    }

    /// The span of another process this trace continues, when it was started from a W3C
    /// `traceparent` ([`TraceBuilder::traceparent`](crate::TraceBuilder::traceparent)) or
    /// resumed from the state of such a trace. Not exported to OpenAI; the OTLP exporter
    /// makes it the parent of the trace's root span.
    pub fn remote_parent(&self) -> Option<&RemoteParent> {
        self.remote_parent.as_deref()
    }

    /// The `sampled` flag of the `traceparent` this trace continues: `Some(true)` when the
    /// caller recorded (or may have recorded) its part, `Some(false)` when it did not,
    /// `None` when the trace does not continue a remote one. An installed
    /// [sampler](crate::sampling) follows it when the trace is created (parent-based
    /// sampling; see [`w3c`](crate::w3c)).
    pub fn remote_sampled(&self) -> Option<bool> {
        self.remote_parent().map(RemoteParent::sampled)
    }

    /// When the trace started (its guard's `start`); `None` before, for a trace made
    /// with [`Trace::new`] and never started through a guard, and for a trace resumed
    /// from a saved [`TraceState`](crate::TraceState) (it started in another process).
    /// Not exported to OpenAI.
    pub fn started_at(&self) -> Option<Timestamp> {
        self.started_at.get().copied()
    }

    /// When the trace ended (its guard's `finish`, or its drop); `None` while it runs.
    /// Not exported to OpenAI.
    pub fn ended_at(&self) -> Option<Timestamp> {
        self.ended_at.get().copied()
    }

    /// The trace's identity without its key and times: what a saved
    /// [`TraceState`](crate::TraceState) keeps, and what a resumed trace starts from.
    pub(crate) fn identity(&self) -> Trace {
        Trace {
            id: self.id.clone(),
            workflow_name: self.workflow_name.clone(),
            group_id: self.group_id.clone(),
            // Bounded: user metadata may nest any number of levels.
            metadata: self.metadata.as_ref().map(crate::limits::clone::CloneBounded::clone_bounded),
            tracing_api_key: None,
            include_sensitive_data: self.include_sensitive_data,
            started_at: OnceLock::new(),
            ended_at: OnceLock::new(),
            remote_parent: self.remote_parent.clone(),
        }
    }

    /// Records the start and end times, as the guard does (for exporters' tests and for
    /// traces rebuilt from elsewhere). Times already set are kept.
    pub fn with_times(self, started_at: Timestamp, ended_at: Timestamp) -> Self {
        let _ = self.started_at.set(started_at);
        let _ = self.ended_at.set(ended_at);
        self
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("id", &self.id)
            .field("workflow_name", &self.workflow_name)
            .field("group_id", &self.group_id)
            .field("metadata", &OptJsonDebug(&self.metadata))
            .field("tracing_api_key", &self.tracing_api_key.as_ref().map(|_| "<redacted>"))
            .field("remote_parent", &self.remote_parent)
            .field("include_sensitive_data", &self.include_sensitive_data)
            .finish()
    }
}

impl SerializeUnlimited for Trace {
    fn serialize_unlimited<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Trace", 5)?;
        s.serialize_field("object", "trace")?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("workflow_name", &self.workflow_name)?;
        s.serialize_field("group_id", &self.group_id)?;
        s.serialize_field("metadata", &self.metadata)?;
        s.end()
    }
}

serialize_as_record!(Trace);

impl Drop for Trace {
    /// Releases the trace's metadata without deep recursion.
    fn drop(&mut self) {
        if let Some(metadata) = &mut self.metadata {
            release_json(JsonMut::Object(metadata));
        }
    }
}
