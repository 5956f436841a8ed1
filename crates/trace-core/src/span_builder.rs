//! The builder of a span: its data, parent and id until it is created.

use std::fmt;
use std::sync::Arc;

use crate::context::{self, Parent};
use crate::ids::SpanId;
use crate::registry;
use crate::span::Span;
use crate::span_data::SpanDataKind;
use crate::span_guard::SpanGuard;
use crate::time::TimeCell;
use crate::trace_builder::NO_OP_ID;
use crate::w3c::sampled_out::SampledOutScope;

/// Settings of a span to create. Made by the helpers ([`custom_span`](crate::custom_span),
/// [`agent_span`](crate::agent_span), ...) or [`span`]; the setters of each span type
/// (`.input(..)`, `.model(..)`, `.usage(..)`) fill in its typed data.
#[must_use = "a span builder does nothing until `start` or `create`"]
pub struct SpanBuilder<D> {
    pub(crate) data: D,
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
fn discard<D: SpanDataKind>(data: D) -> SpanGuard<D> {
    crate::limits::release_span_data(&mut data.into());
    SpanGuard::new(None)
}

/// Removes what the trace's sensitive-data switch leaves out from a record just made.
#[cold]
#[inline(never)]
fn strip_sensitive(record: &mut Arc<Span>) {
    if let Some(s) = Arc::get_mut(record) {
        s.strip_sensitive_if_off();
    }
}

/// The guard of a span of a sampled-out trace, counted, its data released as in
/// [`discard`].
#[inline]
fn sampled_out<D: SpanDataKind>(data: D, scope: Arc<SampledOutScope>) -> SpanGuard<D> {
    crate::sampling::count_span();
    crate::limits::release_span_data(&mut data.into());
    SpanGuard::sampled_out(scope)
}

/// Starts building a span with the given data (any `*SpanData` or
/// [`SpanData`](crate::SpanData)).
pub fn span<D: SpanDataKind>(data: D) -> SpanBuilder<D> {
    SpanBuilder { data, parent: None, span_id: None, disabled: false }
}

impl<D: SpanDataKind> SpanBuilder<D> {
    /// Attaches the span to this parent instead of the current span or trace.
    pub fn parent(mut self, parent: impl Into<Parent>) -> Self {
        self.parent = Some(parent.into());
        self
    }

    /// Uses this id instead of a generated one. Not validated; an empty id is no id (a
    /// generated one is used, as Python's `span_id or gen_span_id()`), and `"no-op"` makes
    /// a no-op span.
    pub fn span_id(mut self, id: impl Into<SpanId>) -> Self {
        self.span_id = Some(id.into()).filter(|id| !id.is_empty());
        self
    }

    /// Makes this span a no-op when `true`.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// Changes the data in place (for what the typed setters do not cover).
    pub fn with_data(mut self, f: impl FnOnce(&mut D)) -> Self {
        f(&mut self.data);
        self
    }

    /// The data so far.
    pub fn data_ref(&self) -> &D {
        &self.data
    }

    /// Creates the span without starting it; start it with [`SpanGuard::start`]. With no
    /// parent given, the parent is the current span or trace; with no current trace the
    /// span is a no-op (as in Python).
    #[inline]
    pub fn create(self) -> SpanGuard<D> {
        if self.disabled || registry::is_tracing_disabled() {
            return discard(self.data);
        }
        if self.span_id.as_ref().is_some_and(|id| id.is_custom() && id.with_str(|s| s == NO_OP_ID)) {
            return discard(self.data);
        }
        let scope = match self.parent {
            Some(p) => p,
            None => match context::current_scope() {
                Some(p) => p,
                None => {
                    log::debug!("no active trace: start a trace with `trace()` first; the span is a no-op");
                    return discard(self.data);
                }
            },
        };
        let (trace, parent_id) = match scope {
            Parent::NoOp => return discard(self.data),
            Parent::SampledOut(scope) => return sampled_out(self.data, scope),
            Parent::Trace(t) => (t, None),
            Parent::Span { trace, span_id } => (trace, Some(span_id)),
        };
        let strip = !trace.include_sensitive_data;
        let mut record = Arc::new(Span {
            span_id: self.span_id.unwrap_or_else(SpanId::generate),
            trace,
            parent_id,
            started_at: TimeCell::new(None),
            ended_at: TimeCell::new(None),
            data: self.data.into(),
            error: None,
        });
        if strip && record.data.may_hold_sensitive_data() {
            // Sensitive data given to the builder never reaches a processor. (Done on the
            // shared record, not before it is boxed: that would copy the record once more.)
            strip_sensitive(&mut record);
        }
        SpanGuard::new(Some(record))
    }

    /// Creates the span, starts it and makes it current (Python's `with xxx_span(...)`).
    /// The guard finishes it when dropped.
    #[inline]
    pub fn start(self) -> SpanGuard<D> {
        let mut guard = self.create();
        guard.start();
        guard
    }

    /// Creates and starts the span without making it current (Python's
    /// `start(mark_as_current=False)`): spans created meanwhile do not become its
    /// children unless given [`SpanGuard::as_parent`] as their parent.
    #[inline]
    pub fn start_detached(self) -> SpanGuard<D> {
        let mut guard = self.create();
        guard.start_detached();
        guard
    }
}
