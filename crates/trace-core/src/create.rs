//! Creating traces and spans: the helpers named after the Python SDK's, their builders,
//! and the guards that finish on drop.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde_json::Value;

use crate::context::{self, Parent};
use crate::ids::{SpanId, TraceId};
use crate::registry;
use crate::secret::ApiKey;
use crate::span::{Span, SpanError};
use crate::span_data::*;
use crate::time::Timestamp;
use crate::trace::Trace;

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
        disabled: false,
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
    disabled: bool,
}

impl fmt::Debug for TraceBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceBuilder")
            .field("workflow_name", &self.workflow_name)
            .field("trace_id", &self.trace_id)
            .field("group_id", &self.group_id)
            // Depth-limited JSON text: the derived `Debug` of a `Value` recurses per level.
            .field("metadata", &crate::wire::OptJsonDebug(&self.metadata))
            .field("tracing_api_key", &self.tracing_api_key)
            .field("disabled", &self.disabled)
            .finish()
    }
}

impl TraceBuilder {
    /// Uses this id instead of a generated one. Not validated; `"no-op"` makes a no-op
    /// trace.
    pub fn trace_id(mut self, id: impl Into<TraceId>) -> Self {
        self.trace_id = Some(id.into());
        self
    }

    /// Links traces of one conversation (a chat thread id, say).
    pub fn group_id(mut self, group_id: impl Into<String>) -> Self {
        self.group_id = Some(group_id.into());
        self
    }

    /// Metadata for the trace. The key `agent_harness_id` is also copied to every span.
    pub fn metadata(mut self, metadata: JsonMap) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// A tracing API key for this trace only: its items are exported with this key, in
    /// their own request. Never exported, never logged.
    pub fn tracing_api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.tracing_api_key = Some(key.into());
        self
    }

    /// Makes this trace a no-op when `true` (Python's `disabled=True`).
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// Creates the trace without starting it.
    pub fn create(self) -> TraceGuard {
        if context::current_trace().is_some() {
            log::warn!("a trace is already current; creating a new trace, but this is probably a mistake");
        }
        let noop = self.disabled
            || registry::is_tracing_disabled()
            || self.trace_id.as_ref().is_some_and(|id| id.with_str(|s| s == NO_OP_ID));
        if noop {
            // Released without deep recursion: the metadata may nest any number of levels.
            if let Some(metadata) = self.metadata {
                crate::limits::release(serde_json::Value::Object(metadata));
            }
            return TraceGuard { record: None, state: State::Created, frame: None, route: registry::Route::Current };
        }
        let record = Some(Arc::new(Trace {
            id: self.trace_id.unwrap_or_else(TraceId::generate),
            workflow_name: self.workflow_name,
            group_id: self.group_id,
            metadata: self.metadata,
            tracing_api_key: self.tracing_api_key,
        }));
        TraceGuard { record, state: State::Created, frame: None, route: registry::Route::Current }
    }

    /// Creates the trace, starts it and makes it current (Python's `with trace(...)`).
    /// The guard finishes it when dropped.
    pub fn start(self) -> TraceGuard {
        let mut guard = self.create();
        guard.start(true);
        guard
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Created,
    Started,
    Finished,
}

/// A trace being recorded. Finishes the trace when dropped, if it was started.
///
/// `Send`: a trace may be finished on another thread than the one that started it; its
/// scope is then left in the starting thread's context until that context ends (as a
/// Python contextvar token reset in a foreign context is skipped).
pub struct TraceGuard {
    record: Option<Arc<Trace>>,
    state: State,
    frame: Option<usize>,
    /// Where the end goes: where the start went (see `registry`, "Scoped processors").
    route: registry::Route,
}

impl fmt::Debug for TraceGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceGuard").field("trace", &self.record).field("state", &self.state).finish()
    }
}

impl TraceGuard {
    /// The trace record; `None` for a no-op trace.
    pub fn trace(&self) -> Option<&Arc<Trace>> {
        self.record.as_ref()
    }

    /// The trace id; `None` for a no-op trace.
    pub fn trace_id(&self) -> Option<&TraceId> {
        self.record.as_ref().map(|t| t.trace_id())
    }

    /// Whether this trace records nothing (tracing disabled).
    pub fn is_noop(&self) -> bool {
        self.record.is_none()
    }

    /// This trace as a parent for spans created elsewhere (another thread, a task).
    pub fn as_parent(&self) -> Parent {
        self.record.as_ref().map_or(Parent::NoOp, |t| Parent::Trace(Arc::clone(t)))
    }

    /// Starts the trace: processors get `on_trace_start`; with `mark_as_current`, it
    /// becomes the current trace. A second start logs a warning and does nothing.
    pub fn start(&mut self, mark_as_current: bool) {
        if self.state != State::Created {
            log::warn!("trace already started");
            return;
        }
        self.state = State::Started;
        if let Some(record) = &self.record {
            self.route = registry::dispatch_start(|p| p.on_trace_start(record));
        }
        if mark_as_current {
            let (id, scope) = match &self.record {
                Some(r) => (Arc::as_ptr(r) as usize, Parent::Trace(Arc::clone(r))),
                None => (context::anon_frame_id(), Parent::NoOp),
            };
            if context::push(id, scope) {
                self.frame = Some(id);
            }
        }
    }

    /// Finishes the trace: processors get `on_trace_end`; with `reset_current`, the trace
    /// stops being current. A second finish logs a warning and does nothing.
    pub fn finish(&mut self, reset_current: bool) {
        match self.state {
            State::Finished => {
                log::warn!("trace already finished");
                return;
            }
            State::Created => {
                log::warn!("finishing a trace that was never started; nothing is reported");
                self.state = State::Finished;
                return;
            }
            State::Started => self.state = State::Finished,
        }
        if let Some(record) = &self.record {
            registry::dispatch_end(std::mem::take(&mut self.route), |p| p.on_trace_end(record));
        }
        if reset_current {
            self.leave();
        }
    }

    /// Finishes the trace and resets the current one (consuming the guard).
    pub fn end(mut self) {
        self.finish(true);
    }

    fn leave(&mut self) {
        if let Some(id) = self.frame.take() {
            if !context::remove(id) {
                log::debug!("trace finished outside the context it was started in; context left as is");
            }
        }
    }
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        if self.state == State::Started {
            self.finish(true);
        }
        self.leave();
    }
}

/// Settings of a span to create. Made by the helpers ([`custom_span`], [`agent_span`],
/// ...) or [`span`]; the setters fill in the typed data.
#[must_use = "a span builder does nothing until `start` or `create`"]
pub struct SpanBuilder<D> {
    data: D,
    parent: Option<Parent>,
    span_id: Option<SpanId>,
    disabled: bool,
}

impl<D: fmt::Debug> fmt::Debug for SpanBuilder<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanBuilder")
            .field("data", &self.data)
            .field("parent", &self.parent)
            .field("span_id", &self.span_id)
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// The guard of a no-op span, with the data it will not use released without deep
/// recursion (user JSON may nest any number of levels).
#[cold]
fn discard<D: SpanDataKind>(data: D, noop: SpanGuard<D>) -> SpanGuard<D> {
    crate::limits::release_span_data(&mut data.into());
    noop
}

/// Starts building a span with the given data (any `*SpanData` or [`SpanData`]).
pub fn span<D: SpanDataKind>(data: D) -> SpanBuilder<D> {
    SpanBuilder { data, parent: None, span_id: None, disabled: false }
}

impl<D: SpanDataKind> SpanBuilder<D> {
    /// Attaches the span to this parent instead of the current span or trace.
    pub fn parent(mut self, parent: impl Into<Parent>) -> Self {
        self.parent = Some(parent.into());
        self
    }

    /// Uses this id instead of a generated one. Not validated; `"no-op"` makes a no-op span.
    pub fn span_id(mut self, id: impl Into<SpanId>) -> Self {
        self.span_id = Some(id.into());
        self
    }

    /// Makes this span a no-op when `true`.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// Changes the data in place.
    pub fn with_data(mut self, f: impl FnOnce(&mut D)) -> Self {
        f(&mut self.data);
        self
    }

    /// The data so far.
    pub fn data_ref(&self) -> &D {
        &self.data
    }

    /// Creates the span without starting it. With no parent given, the parent is the
    /// current span or trace; with no current trace the span is a no-op (as in Python).
    #[inline]
    pub fn create(self) -> SpanGuard<D> {
        let noop = SpanGuard {
            record: None,
            state: State::Created,
            frame: None,
            route: registry::Route::Current,
            _data: PhantomData,
        };
        if self.disabled || registry::is_tracing_disabled() {
            return discard(self.data, noop);
        }
        if self.span_id.as_ref().is_some_and(|id| id.is_custom() && id.with_str(|s| s == NO_OP_ID)) {
            return discard(self.data, noop);
        }
        let scope = match self.parent {
            Some(p) => p,
            None => match context::current_scope() {
                Some(p) => p,
                None => {
                    log::debug!("no active trace: start a trace with `trace()` first; the span is a no-op");
                    return discard(self.data, noop);
                }
            },
        };
        let (trace, parent_id) = match scope {
            Parent::NoOp => return discard(self.data, noop),
            Parent::Trace(t) => (t, None),
            Parent::Span { trace, span_id } => (trace, Some(span_id)),
        };
        let record = Span {
            span_id: self.span_id.unwrap_or_else(SpanId::generate),
            trace,
            parent_id,
            started_at: None,
            ended_at: None,
            data: self.data.into(),
            error: None,
        };
        SpanGuard {
            record: Some(Arc::new(record)),
            state: State::Created,
            frame: None,
            route: registry::Route::Current,
            _data: PhantomData,
        }
    }

    /// Creates the span, starts it and makes it current (Python's `with xxx_span(...)`).
    /// The guard finishes it when dropped.
    #[inline]
    pub fn start(self) -> SpanGuard<D> {
        let mut guard = self.create();
        guard.start(true);
        guard
    }
}

/// A span being recorded; `D` is the type of its data ([`SpanData`] for any). Finishes the
/// span when dropped, if it was started.
///
/// `Send`, so a span can be finished on another thread; if it was marked current, its
/// scope then stays in the starting context until that ends (see [`TraceGuard`]).
pub struct SpanGuard<D = SpanData> {
    /// The record; unique (never shared) until the span finishes, so it can be changed
    /// in place. `None` for a no-op span.
    record: Option<Arc<Span>>,
    state: State,
    frame: Option<usize>,
    /// Where the end goes: where the start went (see `registry`, "Scoped processors").
    route: registry::Route,
    _data: PhantomData<fn() -> D>,
}

impl<D> fmt::Debug for SpanGuard<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanGuard").field("span", &self.record).field("state", &self.state).finish()
    }
}

impl<D: SpanDataKind> SpanGuard<D> {
    /// The span record (its data as of now); `None` for a no-op span.
    pub fn span(&self) -> Option<&Span> {
        self.record.as_deref()
    }

    /// The span id; `None` for a no-op span.
    pub fn span_id(&self) -> Option<&SpanId> {
        self.record.as_ref().map(|s| s.span_id())
    }

    /// The trace id; `None` for a no-op span.
    pub fn trace_id(&self) -> Option<&TraceId> {
        self.record.as_ref().map(|s| s.trace_id())
    }

    /// Whether this span records nothing.
    pub fn is_noop(&self) -> bool {
        self.record.is_none()
    }

    /// This span as a parent for spans created elsewhere (another thread, a task).
    pub fn as_parent(&self) -> Parent {
        self.record.as_ref().map_or(Parent::NoOp, |s| Parent::from(&**s))
    }

    /// The typed data; `None` for a no-op span.
    pub fn data(&self) -> Option<&D> {
        self.record.as_ref().and_then(|s| D::from_data(&s.data))
    }

    /// The typed data, to change before the span ends; `None` for a no-op span or once the
    /// span has ended (its data is then final).
    pub fn data_mut(&mut self) -> Option<&mut D> {
        self.record_mut().and_then(|s| D::from_data_mut(&mut s.data))
    }

    /// Records an error on the span (Python's `set_error`). Ignored once the span ended.
    pub fn set_error(&mut self, error: SpanError) {
        if let Some(s) = self.record_mut() {
            s.error = Some(error);
        }
    }

    fn record_mut(&mut self) -> Option<&mut Span> {
        if self.state == State::Finished {
            return None;
        }
        self.record.as_mut().and_then(Arc::get_mut)
    }

    /// Starts the span: sets `started_at`, processors get `on_span_start`; with
    /// `mark_as_current`, it becomes the current span. A second start logs a warning and
    /// does nothing.
    #[inline]
    pub fn start(&mut self, mark_as_current: bool) {
        if self.state != State::Created {
            log::warn!("span already started");
            return;
        }
        self.state = State::Started;
        let Some(record) = self.record.as_mut() else {
            if mark_as_current {
                let id = context::anon_frame_id();
                self.frame = context::push(id, Parent::NoOp).then_some(id);
            }
            return;
        };
        if let Some(s) = Arc::get_mut(record) {
            s.started_at = Some(Timestamp::now());
        }
        let record = &*record;
        self.route = registry::dispatch_start(|p| p.on_span_start(record));
        if mark_as_current {
            let id = Arc::as_ptr(record) as usize;
            let scope = Parent::Span { trace: Arc::clone(&record.trace), span_id: record.span_id.clone() };
            self.frame = context::push(id, scope).then_some(id);
        }
    }

    /// Finishes the span: sets `ended_at`, processors get `on_span_end`; with
    /// `reset_current`, the span stops being current. A second finish logs a warning and
    /// does nothing. Finishing a span that was never started reports it without a start
    /// time, as Python does.
    #[inline]
    pub fn finish(&mut self, reset_current: bool) {
        if self.state == State::Finished {
            log::warn!("span already finished");
            return;
        }
        self.state = State::Finished;
        if let Some(record) = self.record.as_mut() {
            if let Some(s) = Arc::get_mut(record) {
                s.ended_at = Some(Timestamp::now());
            }
            let record = &*record;
            registry::dispatch_end(std::mem::take(&mut self.route), |p| p.on_span_end(record));
        }
        if reset_current {
            self.leave();
        }
    }

    /// Finishes the span and resets the current one (consuming the guard).
    #[inline]
    pub fn end(mut self) {
        self.finish(true);
    }

    fn leave(&mut self) {
        if let Some(id) = self.frame.take() {
            if !context::remove(id) {
                log::debug!("span finished outside the context it was started in; context left as is");
            }
        }
    }
}

impl<D> Drop for SpanGuard<D> {
    fn drop(&mut self) {
        if self.state == State::Started {
            // Same as `finish(true)`, without the `D: SpanDataKind` bound.
            self.state = State::Finished;
            if let Some(record) = self.record.as_mut() {
                if let Some(s) = Arc::get_mut(record) {
                    s.ended_at = Some(Timestamp::now());
                }
                let record = &*record;
                registry::dispatch_end(std::mem::take(&mut self.route), |p| p.on_span_end(record));
            }
        }
        if let Some(id) = self.frame.take() {
            if !context::remove(id) {
                log::debug!("span dropped outside the context it was started in; context left as is");
            }
        }
    }
}

/// An agent span (Python's `agent_span`).
pub fn agent_span(name: impl Into<Name>) -> SpanBuilder<AgentSpanData> {
    span(AgentSpanData { name: name.into(), ..Default::default() })
}

/// A task span: one top-level run (Python's `task_span`).
pub fn task_span(name: impl Into<Name>) -> SpanBuilder<TaskSpanData> {
    span(TaskSpanData { name: name.into(), ..Default::default() })
}

/// A turn span: one turn of the agent loop (Python's `turn_span`).
pub fn turn_span(turn: i64, agent_name: impl Into<Name>) -> SpanBuilder<TurnSpanData> {
    span(TurnSpanData { turn, agent_name: agent_name.into(), ..Default::default() })
}

/// A function (tool call) span (Python's `function_span`).
pub fn function_span(name: impl Into<Name>) -> SpanBuilder<FunctionSpanData> {
    span(FunctionSpanData { name: name.into(), ..Default::default() })
}

/// A generation span (Python's `generation_span`).
pub fn generation_span() -> SpanBuilder<GenerationSpanData> {
    span(GenerationSpanData::default())
}

/// A response span (Python's `response_span`).
pub fn response_span() -> SpanBuilder<ResponseSpanData> {
    span(ResponseSpanData::default())
}

/// A handoff span (Python's `handoff_span`).
pub fn handoff_span() -> SpanBuilder<HandoffSpanData> {
    span(HandoffSpanData::default())
}

/// A custom span with free-form data (Python's `custom_span`).
pub fn custom_span(name: impl Into<Name>) -> SpanBuilder<CustomSpanData> {
    span(CustomSpanData { name: name.into(), data: JsonMap::new() })
}

/// A guardrail span (Python's `guardrail_span`).
pub fn guardrail_span(name: impl Into<Name>) -> SpanBuilder<GuardrailSpanData> {
    span(GuardrailSpanData { name: name.into(), triggered: false })
}

/// A transcription span (Python's `transcription_span`).
pub fn transcription_span() -> SpanBuilder<TranscriptionSpanData> {
    span(TranscriptionSpanData::default())
}

/// A speech span (Python's `speech_span`).
pub fn speech_span() -> SpanBuilder<SpeechSpanData> {
    span(SpeechSpanData::default())
}

/// A speech group span (Python's `speech_group_span`).
pub fn speech_group_span() -> SpanBuilder<SpeechGroupSpanData> {
    span(SpeechGroupSpanData::default())
}

/// An MCP list-tools span (Python's `mcp_tools_span`).
pub fn mcp_tools_span() -> SpanBuilder<McpListToolsSpanData> {
    span(McpListToolsSpanData::default())
}

macro_rules! setters {
    ($ty:ty { $($kind:ident $field:ident: $arg:ty),* $(,)? }) => {
        impl SpanBuilder<$ty> {
            $(setters!(@one $kind $field: $arg);)*
        }
    };
    (@one opt $field:ident: $arg:ty) => {
        #[doc = concat!("Sets `", stringify!($field), "`.")]
        pub fn $field(mut self, value: impl Into<$arg>) -> Self {
            self.data.$field = Some(value.into());
            self
        }
    };
    (@one list $field:ident: $arg:ty) => {
        #[doc = concat!("Sets `", stringify!($field), "`.")]
        pub fn $field<I: IntoIterator>(mut self, values: I) -> Self
        where
            I::Item: Into<$arg>,
        {
            self.data.$field = Some(values.into_iter().map(Into::into).collect());
            self
        }
    };
    (@one plain $field:ident: $arg:ty) => {
        #[doc = concat!("Sets `", stringify!($field), "`.")]
        pub fn $field(mut self, value: impl Into<$arg>) -> Self {
            self.data.$field = value.into();
            self
        }
    };
}

setters!(AgentSpanData { list handoffs: String, list tools: String, opt output_type: String, opt metadata: JsonMap });
setters!(TaskSpanData { opt usage: JsonMap, opt metadata: JsonMap });
setters!(TurnSpanData { opt usage: JsonMap, opt metadata: JsonMap });
setters!(FunctionSpanData { opt input: String, opt output: String, opt mcp_data: JsonMap });
setters!(GenerationSpanData {
    list input: Value,
    list output: Value,
    opt model: String,
    opt model_config: JsonMap,
    opt usage: JsonMap,
});
setters!(ResponseSpanData { opt response_id: String, opt usage: JsonMap, opt response: Value, opt input: Value });
setters!(HandoffSpanData { opt from_agent: String, opt to_agent: String });
setters!(CustomSpanData { plain data: JsonMap });
setters!(GuardrailSpanData { plain triggered: bool });
setters!(TranscriptionSpanData {
    opt input: String,
    opt input_format: String,
    opt output: String,
    opt model: String,
    opt model_config: JsonMap,
});
setters!(SpeechSpanData {
    opt input: String,
    opt output: String,
    opt output_format: String,
    opt model: String,
    opt model_config: JsonMap,
    opt first_content_at: String,
});
setters!(SpeechGroupSpanData { opt input: String });
setters!(McpListToolsSpanData { opt server: String, list result: String });
