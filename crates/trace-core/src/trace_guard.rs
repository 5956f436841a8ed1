//! The guard of a trace being recorded: its lifecycle, and its end when dropped.

use std::fmt;
use std::sync::Arc;

use crate::context::{self, Parent};
use crate::ids::TraceId;
use crate::lifecycle::{CurrentFrame, State};
use crate::registry;
use crate::time::Timestamp;
use crate::trace::Trace;

/// A trace being recorded, made by [`TraceBuilder`](crate::TraceBuilder). Finishes the
/// trace when dropped, if it was started.
///
/// `Send`: a trace may be finished on another thread than the one that started it; its
/// scope is then left in the starting thread's context until that context ends (as a
/// Python contextvar token reset in a foreign context is skipped).
pub struct TraceGuard {
    record: Option<Arc<Trace>>,
    state: State,
    frame: CurrentFrame,
    /// Where the end goes: where the start went (see `registry`, "Scoped processors").
    route: registry::Route,
    /// A no-op because the sampler turned it down: its scope makes its spans count as
    /// sampled out.
    sampled_out: bool,
}

impl fmt::Debug for TraceGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceGuard")
            .field("trace", &self.record)
            .field("state", &self.state)
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
            sampled_out: false,
        }
    }

    /// The guard of a trace the sampler turned down: a no-op whose scope is sampled out.
    pub(crate) fn sampled_out() -> Self {
        let mut guard = Self::new(None);
        guard.sampled_out = true;
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

    /// Whether the sampler turned this trace down (see [`sampling`](crate::sampling)): it
    /// and its spans record nothing, and its spans are counted.
    pub fn is_sampled_out(&self) -> bool {
        self.sampled_out
    }

    /// Whether this trace's spans record sensitive data (see
    /// [`sensitive`](crate::sensitive)); `false` for a no-op trace.
    pub fn include_sensitive_data(&self) -> bool {
        self.record.as_ref().is_some_and(|t| t.include_sensitive_data)
    }

    /// This trace as a parent for spans created elsewhere (another thread, a task).
    pub fn as_parent(&self) -> Parent {
        match &self.record {
            Some(t) => Parent::Trace(Arc::clone(t)),
            None => self.noop_scope(),
        }
    }

    /// The scope a no-op trace gives its spans.
    fn noop_scope(&self) -> Parent {
        if self.sampled_out {
            Parent::SampledOut
        } else {
            Parent::NoOp
        }
    }

    /// Starts the trace and makes it the current trace: processors get `on_trace_start`.
    /// A second start logs a warning and does nothing.
    pub fn start(&mut self) {
        if self.begin() {
            let (id, scope) = match &self.record {
                Some(r) => (Arc::as_ptr(r) as usize, Parent::Trace(Arc::clone(r))),
                None => (context::anon_frame_id(), self.noop_scope()),
            };
            self.frame.enter(id, scope);
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
            log::warn!("trace already started");
            return false;
        }
        self.state = State::Started;
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
            let _ = record.ended_at.set(Timestamp::now());
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
