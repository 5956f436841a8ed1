//! The guard of a trace being recorded: its lifecycle, and its end when dropped.

use std::fmt;
use std::sync::Arc;

use crate::context::{self, Parent};
use crate::ids::{SpanId, TraceId};
use crate::lifecycle::{CurrentFrame, State};
use crate::registry;
use crate::time::Timestamp;
use crate::trace::Trace;
use crate::w3c::sampled_out::SampledOutScope;

/// A trace being recorded, made by [`TraceBuilder`](crate::TraceBuilder). Finishes the
/// trace when dropped, if it was started.
///
/// `Send`: a trace may be finished on another thread than the one that started it; its
/// scope is then removed from the starting context the next time that context pushes a
/// scope or reads its current one (a span made current, a new span's parent,
/// [`Context::current`](crate::Context::current)), as if the trace had been finished
/// there: the scopes of its spans still open there become no-ops, so what is started
/// under them is a no-op. (Python skips a contextvar token reset in a foreign context and
/// leaves the trace current there.) Up to 4,096 such removals wait at once; past that,
/// those of the oldest contexts are forgotten and their scopes stay.
pub struct TraceGuard {
    record: Option<Arc<Trace>>,
    state: State,
    frame: CurrentFrame,
    /// Where the end goes: where the start went (see `registry`, "Scoped processors").
    route: registry::Route,
    /// Resumed from a saved state: started elsewhere, so never announced to processors
    /// here (no `on_trace_start`, no `on_trace_end`), and its spans hang under
    /// `resumed_parent` when the state named one.
    resumed: bool,
    resumed_parent: Option<SpanId>,
    /// A no-op because the sampler turned it down: its scope makes its spans count as
    /// sampled out.
    sampled_out: Option<Arc<SampledOutScope>>,
}

impl fmt::Debug for TraceGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceGuard")
            .field("trace", &self.record)
            .field("state", &self.state)
            .field("resumed", &self.resumed)
            .field("resumed_parent", &self.resumed_parent)
            .field("sampled_out", &self.sampled_out)
            .finish()
    }
}

impl TraceGuard {
    /// A guard, not started, of `record` (`None`: a no-op trace).
    pub(crate) fn new(record: Option<Arc<Trace>>) -> Self {
        Self {
            record,
            state: State::Created,
            frame: CurrentFrame::default(),
            route: registry::Route::Current,
            resumed: false,
            resumed_parent: None,
            sampled_out: None,
        }
    }

    /// A guard, not started, of a trace resumed from a saved state: processors hear of
    /// neither its start nor its end, and spans created under it are children of
    /// `parent` (the span current when the state was saved), or top-level spans.
    pub(crate) fn resumed(record: Arc<Trace>, parent: Option<SpanId>) -> Self {
        let mut guard = Self::new(Some(record));
        guard.resumed = true;
        guard.resumed_parent = parent;
        guard
    }

    /// The guard of a trace the sampler turned down: a no-op whose scope is sampled out.
    pub(crate) fn sampled_out(scope: Arc<SampledOutScope>) -> Self {
        let mut guard = Self::new(None);
        guard.sampled_out = Some(scope);
        guard
    }

    /// The trace record; `None` for a no-op trace.
    pub fn trace(&self) -> Option<&Arc<Trace>> {
        self.record.as_ref()
    }

    /// The trace id; `None` for a no-op trace.
    pub fn trace_id(&self) -> Option<&TraceId> {
        self.record.as_ref().map(|t| t.trace_id())
    }

    /// Whether this trace records nothing (tracing disabled, or sampled out).
    pub fn is_noop(&self) -> bool {
        self.record.is_none()
    }

    /// Whether this guard resumed a trace started in another process (or earlier in this
    /// one) from its saved [`TraceState`](crate::TraceState), or continues the
    /// `traceparent` of a process of this library that announced it
    /// ([`RemoteParent::announced`](crate::w3c::RemoteParent::announced)): processors are
    /// not told of its start or end, which the process that started it reported. `false` for a trace
    /// started here, and for one a resume started afresh after a key mismatch (see
    /// [`ResumeBuilder::start`](crate::ResumeBuilder::start)).
    pub fn is_resumed(&self) -> bool {
        self.resumed
    }

    /// Whether the sampler turned this trace down (see [`sampling`](crate::sampling)): it
    /// and its spans record nothing, and its spans are counted.
    pub fn is_sampled_out(&self) -> bool {
        self.sampled_out.is_some()
    }

    /// Whether this trace's spans record sensitive data (see
    /// [`sensitive`](crate::sensitive)); `false` for a no-op trace.
    pub fn include_sensitive_data(&self) -> bool {
        self.record.as_ref().is_some_and(|t| t.include_sensitive_data)
    }

    /// This trace as a parent for spans created elsewhere (another thread, a task). For a
    /// resumed trace whose state named a span, that span.
    pub fn as_parent(&self) -> Parent {
        match (&self.record, &self.resumed_parent) {
            (None, _) => self.noop_scope(),
            (Some(t), None) => Parent::Trace(Arc::clone(t)),
            (Some(t), Some(span_id)) => Parent::Span { trace: Arc::clone(t), span_id: span_id.clone() },
        }
    }

    /// The scope a no-op trace gives its spans.
    fn noop_scope(&self) -> Parent {
        match &self.sampled_out {
            Some(scope) => Parent::SampledOut(Arc::clone(scope)),
            None => Parent::NoOp,
        }
    }

    /// Starts the trace and makes it the current trace: processors get `on_trace_start`.
    /// A second start logs a warning and does nothing.
    pub fn start(&mut self) {
        if self.begin() {
            let id = match &self.record {
                Some(r) => Arc::as_ptr(r) as usize,
                None => context::anon_frame_id(),
            };
            self.frame.enter(id, self.as_parent());
        }
    }

    /// Starts the trace without making it current (Python's `start(mark_as_current=False)`):
    /// processors get `on_trace_start`; spans join it only through an explicit parent
    /// ([`as_parent`](Self::as_parent)). A second start logs a warning and does nothing.
    pub fn start_detached(&mut self) {
        self.begin();
    }

    /// Moves to `Started` and tells the processors; false if it was started before.
    fn begin(&mut self) -> bool {
        if self.state != State::Created {
            crate::rate_limit::warn_limited!("trace already started");
            return false;
        }
        self.state = State::Started;
        if self.resumed {
            return true;
        }
        if let Some(record) = &self.record {
            let _ = record.started_at.set(Timestamp::now());
            self.route = registry::dispatch_start(|p| p.on_trace_start(record));
        }
        true
    }

    /// Finishes the trace and stops it being current: processors get `on_trace_end`. A
    /// second finish logs a warning and does nothing. Dropping the guard does the same.
    pub fn finish(&mut self) {
        self.complete();
        self.frame.leave("trace");
    }

    /// Finishes the trace (processors get `on_trace_end`) but leaves it current until the
    /// guard drops (Python's `finish(reset_current=False)`): spans created meanwhile still
    /// join it. A second finish logs a warning and does nothing.
    pub fn finish_keeping_current(&mut self) {
        self.complete();
    }

    /// Finishes the trace and stops it being current, consuming the guard.
    pub fn end(mut self) {
        self.finish();
    }

    /// Moves to `Finished` and tells the processors, once.
    fn complete(&mut self) {
        match self.state {
            State::Finished => {
                crate::rate_limit::warn_limited!("trace already finished");
                return;
            }
            State::Created => {
                crate::rate_limit::warn_limited!("finishing a trace that was never started; nothing is reported");
                self.state = State::Finished;
                return;
            }
            State::Started => self.state = State::Finished,
        }
        if self.resumed {
            return;
        }
        if let Some(record) = &self.record {
            let _ = record.ended_at.set(Timestamp::end_after(record.started_at()));
            registry::dispatch_end(std::mem::take(&mut self.route), |p| p.on_trace_end(record));
        }
    }
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        if self.state == State::Started {
            self.finish();
        } else {
            self.frame.leave("trace");
        }
    }
}
