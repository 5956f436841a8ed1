//! The guard of a span being recorded: its lifecycle, changes to its data until it ends,
//! and its end when dropped.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::context::{self, Parent};
use crate::ids::{SpanId, TraceId};
use crate::json_input;
use crate::lifecycle::{CurrentFrame, State};
use crate::registry;
use crate::span::Span;
use crate::span_data::{SpanData, SpanDataKind};
use crate::span_error::SpanError;
use crate::time::Timestamp;
use crate::w3c::sampled_out::SampledOutScope;

/// A span being recorded; `D` is the type of its data ([`SpanData`] for any). Finishes the
/// span when dropped, if it was started.
///
/// Until the span ends its data can change: through the setters of its type
/// (`set_output`, `set_usage`, `set_model`, ...; see [`FunctionSpanData`](crate::FunctionSpanData)
/// and the other `*SpanData` types for the fields) or through [`update`](Self::update).
/// On a no-op span (tracing disabled, no current trace) and once the span has ended they
/// do nothing, as `tracing::Span::record` does on a disabled span, so code that records
/// never needs to check.
///
/// ```
/// use trace_core::{function_span, trace, InMemoryProcessor, SpanError};
///
/// let recorder = InMemoryProcessor::new();
/// trace_core::set_trace_processor(recorder.clone());
/// {
///     let _t = trace("wf").start();
///     let mut call = function_span("lookup_order").input(r#"{"id": 42}"#).start();
///     call.set_output("shipped");
///     call.update(|d| d.input = Some(r#"{"id": 43}"#.into()));
/// }
/// let orphan = function_span("no trace").start().set_output("ignored").is_noop();
/// assert!(orphan);
/// let json = serde_json::to_value(&*recorder.finished_spans()[0]).unwrap();
/// assert_eq!(json["span_data"]["output"], "shipped");
/// assert_eq!(json["span_data"]["input"], r#"{"id": 43}"#);
/// ```
///
/// `Send`, so a span can be finished on another thread; if it was marked current, its
/// scope is then removed from the starting context (the thread, or the task of a future
/// wrapped with [`FutureExt::in_current_context`](crate::FutureExt::in_current_context))
/// the next time that context pushes a scope or reads its current one (a span made
/// current, a new span's parent, [`Context::current`](crate::Context::current)). Up to
/// 4,096 such removals wait at once (see [`TraceGuard`](crate::TraceGuard)).
pub struct SpanGuard<D = SpanData> {
    /// The record; unique (never shared) until the span finishes, so it can be changed
    /// in place. `None` for a no-op span.
    record: Option<Arc<Span>>,
    state: State,
    frame: CurrentFrame,
    /// Where the end goes: where the start went (see `registry`, "Scoped processors").
    route: registry::Route,
    /// A no-op because its trace was sampled out: its scope makes its children count as
    /// sampled out too.
    sampled_out: Option<Arc<SampledOutScope>>,
    _data: PhantomData<fn() -> D>,
}

impl<D> fmt::Debug for SpanGuard<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpanGuard").field("span", &self.record).field("state", &self.state).finish()
    }
}

impl<D> SpanGuard<D> {
    /// A guard, not started, of `record` (`None`: a no-op span).
    pub(crate) fn new(record: Option<Arc<Span>>) -> Self {
        Self {
            record,
            state: State::Created,
            frame: CurrentFrame::default(),
            route: registry::Route::Current,
            sampled_out: None,
            _data: PhantomData,
        }
    }

    /// The guard of a span of a sampled-out trace: a no-op whose scope is sampled out.
    pub(crate) fn sampled_out(scope: Arc<SampledOutScope>) -> Self {
        let mut guard = Self::new(None);
        guard.sampled_out = Some(scope);
        guard
    }

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

    /// Whether this span records nothing (tracing disabled, no current trace, or its trace
    /// sampled out).
    pub fn is_noop(&self) -> bool {
        self.record.is_none()
    }

    /// Whether this span is a no-op because its trace was sampled out (see
    /// [`sampling`](crate::sampling)).
    pub fn is_sampled_out(&self) -> bool {
        self.sampled_out.is_some()
    }

    /// Whether this span records sensitive data (model input and output, tool arguments
    /// and results, ...): its trace's setting (see [`sensitive`](crate::sensitive)); `false`
    /// on a no-op span. Check it before building custom data that is sensitive, as the
    /// Python SDK's code checks `tracing.include_data()`.
    pub fn include_sensitive_data(&self) -> bool {
        self.record.as_ref().is_some_and(|s| s.trace.include_sensitive_data)
    }

    /// This span as a parent for spans created elsewhere (another thread, a task).
    pub fn as_parent(&self) -> Parent {
        match &self.record {
            Some(s) => Parent::from(&**s),
            None => self.noop_scope(),
        }
    }

    /// The scope a no-op span gives its children.
    fn noop_scope(&self) -> Parent {
        match &self.sampled_out {
            Some(scope) => Parent::SampledOut(Arc::clone(scope)),
            None => Parent::NoOp,
        }
    }

    /// Records an error on the span (Python's `set_error`), replacing any earlier one.
    /// Does nothing on a no-op span or once the span has ended.
    pub fn set_error(&mut self, error: SpanError) -> &mut Self {
        match self.record_mut() {
            Some(s) => s.error = Some(Box::new(error)),
            None => {
                if let Some(data) = error.data {
                    json_input::discard(data);
                }
            }
        }
        self
    }

    fn record_mut(&mut self) -> Option<&mut Span> {
        if self.state == State::Finished {
            return None;
        }
        self.record.as_mut().and_then(Arc::get_mut)
    }

    /// Removes now what the trace's sensitive-data switch leaves out (content in the data,
    /// the error's data), if it is off: for a bridge that fills a span made with
    /// [`SpanBuilder::create`](crate::SpanBuilder::create) before starting it, so that
    /// `on_span_start` never sees content (the end strips again what came after). The
    /// builders' own data is stripped when the span is created.
    pub fn strip_sensitive_if_off(&mut self) -> &mut Self {
        // The flag first: with sensitive data on (the default), no `Arc::get_mut`.
        if self.record.as_ref().is_some_and(|r| !r.trace.include_sensitive_data) {
            if let Some(record) = self.record_mut() {
                record.strip_sensitive_if_off();
            }
        }
        self
    }

    /// Starts the span and makes it the current span: sets `started_at`, processors get
    /// `on_span_start`. A second start logs a warning and does nothing.
    #[inline]
    pub fn start(&mut self) {
        if !self.begin() {
            return;
        }
        let (id, scope) = match &self.record {
            Some(r) => {
                (Arc::as_ptr(r) as usize, Parent::Span { trace: Arc::clone(&r.trace), span_id: r.span_id.clone() })
            }
            None => (context::anon_frame_id(), self.noop_scope()),
        };
        self.frame.enter(id, scope);
    }

    /// Starts the span without making it current (Python's `start(mark_as_current=False)`):
    /// sets `started_at`, processors get `on_span_start`. A second start logs a warning
    /// and does nothing.
    #[inline]
    pub fn start_detached(&mut self) {
        self.begin();
    }

    /// Moves to `Started` and tells the processors; false if it was started before.
    #[inline]
    fn begin(&mut self) -> bool {
        if self.state != State::Created {
            crate::rate_limit::warn_limited!("span already started");
            return false;
        }
        self.state = State::Started;
        if let Some(record) = self.record.as_ref() {
            record.started_at.set(Timestamp::now());
            self.route = registry::dispatch_start(|p| p.on_span_start(record));
        }
        true
    }

    /// Finishes the span and stops it being current: sets `ended_at`, processors get
    /// `on_span_end`; its data is final from here on. A second finish logs a warning and
    /// does nothing. Finishing a span that was never started reports it without a start
    /// time, as Python does. Dropping the guard of a started span does the same.
    #[inline]
    pub fn finish(&mut self) {
        self.complete();
        self.frame.leave("span");
    }

    /// Finishes the span (as [`finish`](Self::finish)) but leaves it current until the
    /// guard drops (Python's `finish(reset_current=False)`): spans created meanwhile still
    /// become its children.
    #[inline]
    pub fn finish_keeping_current(&mut self) {
        self.complete();
    }

    /// Finishes the span and stops it being current, consuming the guard.
    #[inline]
    pub fn end(mut self) {
        self.finish();
    }

    /// Moves to `Finished`, sets `ended_at` and tells the processors, once.
    #[inline]
    fn complete(&mut self) {
        if self.state == State::Finished {
            crate::rate_limit::warn_limited!("span already finished");
            return;
        }
        self.state = State::Finished;
        if let Some(record) = self.record.as_mut() {
            record.ended_at.set(Timestamp::end_after(record.started_at.get()));
            // Strip what the setters put there since the span was created. The flag is
            // read here first so that, with sensitive data on (the default), no
            // `Arc::get_mut` (a locked operation) is paid.
            if !record.trace.include_sensitive_data {
                if let Some(s) = Arc::get_mut(record) {
                    s.strip_sensitive_if_off();
                }
            }
            let record = &*record;
            registry::dispatch_end(std::mem::take(&mut self.route), |p| p.on_span_end(record));
        }
    }
}

impl<D: SpanDataKind> SpanGuard<D> {
    /// The typed data; `None` for a no-op span.
    pub fn data(&self) -> Option<&D> {
        self.record.as_ref().and_then(|s| D::from_data(&s.data))
    }

    /// The typed data, to change before the span ends; `None` for a no-op span or once the
    /// span has ended (its data is then final). [`update`](Self::update) and the typed
    /// setters spare the `if let`.
    pub fn data_mut(&mut self) -> Option<&mut D> {
        self.record_mut().and_then(|s| D::from_data_mut(&mut s.data))
    }

    /// Changes the data in place with `f`, which runs only while the span records: not on
    /// a no-op span, nor once the span has ended (as `tracing::Span::record` does nothing
    /// on a disabled span).
    ///
    /// ```
    /// use trace_core::{generation_span, trace};
    ///
    /// let _t = trace("wf").start();
    /// let mut generation = generation_span().start();
    /// generation.update(|d| {
    ///     d.model = Some("gpt-4o-mini".into());
    ///     d.output = Some(vec![serde_json::json!({"role": "assistant", "content": "Hi"})]);
    /// });
    /// ```
    pub fn update(&mut self, f: impl FnOnce(&mut D)) -> &mut Self {
        if let Some(d) = self.data_mut() {
            f(d);
        }
        self
    }

    /// Stores `value` with `store` if the span records; hands it to `discard` otherwise
    /// (user JSON is released without deep recursion there).
    #[inline]
    pub(crate) fn set_or_discard<V>(
        &mut self,
        value: V,
        store: impl FnOnce(&mut D, V),
        discard: impl FnOnce(V),
    ) -> &mut Self {
        match self.data_mut() {
            Some(d) => store(d, value),
            None => discard(value),
        }
        self
    }
}

impl<D> Drop for SpanGuard<D> {
    fn drop(&mut self) {
        if self.state == State::Started {
            self.finish();
        } else {
            self.frame.leave("span");
        }
    }
}
