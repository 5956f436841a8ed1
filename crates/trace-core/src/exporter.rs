//! The exporter trait and the items it receives.

use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::error::ExportError;
use crate::ids::TraceId;
use crate::secret::ApiKey;
use crate::span::Span;
use crate::trace::Trace;

/// One thing to export: a trace (queued when it starts), a span (queued when it ends),
/// or, for an exporter that [wants trace ends](TracingExporter::wants_trace_ends), the
/// trace again when it ends.
///
/// Cloning costs a reference count. Serializes to the Python SDK's trace or span object
/// ([`TraceEnd`](Self::TraceEnd) as the trace object, like [`Trace`](Self::Trace)).
///
/// Not `#[non_exhaustive]`: an exporter matches on it, and the compiler then points at
/// every match to update when a variant is added.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportItem {
    /// A trace object, offered when the trace starts. The trace may have ended by the
    /// time it is exported (a short trace, a batch exported late), so its
    /// [`ended_at`](Trace::ended_at) does not tell a start from an end: the variant does.
    Trace(Arc<Trace>),
    /// A finished span.
    Span(Arc<Span>),
    /// The trace again, ended, for exporters that
    /// [want trace ends](TracingExporter::wants_trace_ends): offered when the trace ends,
    /// after its [`Trace`](Self::Trace) item and (in queue order) after the spans that
    /// ended before it. Holds the same `Arc<Trace>` as the start item. Exporters that do
    /// not want trace ends never receive it from the processors of this workspace.
    TraceEnd(Arc<Trace>),
}

impl ExportItem {
    /// The id of the trace the item belongs to.
    pub fn trace_id(&self) -> &TraceId {
        match self {
            ExportItem::Trace(t) | ExportItem::TraceEnd(t) => t.trace_id(),
            ExportItem::Span(s) => s.trace_id(),
        }
    }

    /// The per-trace tracing API key the item carries, if any.
    pub fn tracing_api_key(&self) -> Option<&ApiKey> {
        match self {
            ExportItem::Trace(t) | ExportItem::TraceEnd(t) => t.tracing_api_key(),
            ExportItem::Span(s) => s.tracing_api_key(),
        }
    }

    /// The span, if the item is one.
    pub fn as_span(&self) -> Option<&Arc<Span>> {
        match self {
            ExportItem::Span(s) => Some(s),
            ExportItem::Trace(_) | ExportItem::TraceEnd(_) => None,
        }
    }

    /// The trace, if the item is one, at its start ([`Trace`](Self::Trace)) or at its end
    /// ([`TraceEnd`](Self::TraceEnd)); [`is_trace_end`](Self::is_trace_end) tells which.
    pub fn as_trace(&self) -> Option<&Arc<Trace>> {
        match self {
            ExportItem::Trace(t) | ExportItem::TraceEnd(t) => Some(t),
            ExportItem::Span(_) => None,
        }
    }

    /// Whether the item is a trace's end ([`TraceEnd`](Self::TraceEnd)).
    pub fn is_trace_end(&self) -> bool {
        matches!(self, ExportItem::TraceEnd(_))
    }
}

impl From<Arc<Span>> for ExportItem {
    fn from(s: Arc<Span>) -> Self {
        ExportItem::Span(s)
    }
}

impl From<Arc<Trace>> for ExportItem {
    fn from(t: Arc<Trace>) -> Self {
        ExportItem::Trace(t)
    }
}

impl Serialize for ExportItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ExportItem::Trace(t) | ExportItem::TraceEnd(t) => t.serialize(serializer),
            ExportItem::Span(s) => s.serialize(serializer),
        }
    }
}

/// Sends batches of traces and spans somewhere: stdout, an HTTP endpoint, a file.
///
/// The Python SDK's `TracingExporter`. A batch processor calls [`export`](Self::export) off
/// the caller's thread: one batch at a time, unless the exporter says in
/// [`concurrent_exports`](Self::concurrent_exports) that it serves more at once.
///
/// # Rules for implementors
/// - `export` may block (it runs off the caller's thread), but must not block forever:
///   bound every wait, and make retries the exporter's own job.
/// - Never panic: return an [`ExportError`] saying how many items were lost. (Panics are
///   caught by the processors in this workspace and the batch is counted as lost, but
///   that is a last resort.)
/// - Never put an API key into an error, a log line or `Debug` output.
/// - [`shutdown`](Self::shutdown) may be called from another thread while `export` runs;
///   it should make a running export give up promptly (interrupt a backoff sleep, stop
///   after the request in flight).
pub trait TracingExporter: Send + Sync + 'static {
    /// Exports a batch. Items are in queue order: a trace before its spans, and spans in
    /// the order they ended. With [`concurrent_exports`](Self::concurrent_exports) above 1,
    /// batches may overlap and arrive out of order, except that a batch holding a trace
    /// (its start) has returned before a later batch with items of that trace is handed
    /// over, so no span reaches the exporter before its trace.
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError>;

    /// Asks the exporter to stop: later exports fail fast, running ones end soon.
    fn shutdown(&self) {}

    /// Whether the exporter wants each trace a second time, when it ends, as an
    /// [`ExportItem::TraceEnd`], besides the first time, when it starts, as an
    /// [`ExportItem::Trace`]. Default: `false`, as in the Python SDK, whose wire format has
    /// one trace object, sent at the start. An exporter that gives a trace a record of its
    /// own with start and end times (OTLP's root span) says `true`; the processors of this
    /// workspace then offer the trace at both ends, and such an exporter tells the two
    /// apart by the variant. Not by [`Trace::ended_at`](crate::Trace::ended_at): both
    /// items hold the same `Arc<Trace>`, so a start item exported after the trace ended
    /// has an end time too.
    ///
    /// An exporter that says `false` gets no `TraceEnd` from these processors; if handed
    /// one anyway, the exporters of this workspace skip it.
    fn wants_trace_ends(&self) -> bool {
        false
    }

    /// How many calls of [`export`](Self::export) a batch processor runs at once by
    /// default (its `max_concurrent_exports` setting overrides it). Default: 1, as in the
    /// Python SDK: calls never overlap and batches arrive in queue order, which an exporter
    /// writing to one stream (stdout, a file) relies on. An exporter whose calls spend
    /// most of their time waiting for a network round trip says more: the HTTP exporters
    /// of this workspace say 2, so that one batch is serialised and sent while the answer
    /// to the previous one is on its way (the batch processor starts the second export
    /// only when it falls behind). 0 is taken as 1.
    fn concurrent_exports(&self) -> usize {
        1
    }
}

/// A shared or boxed exporter is the exporter it points to.
macro_rules! forward {
    ($($ptr:ident),*) => {$(
        impl<E: TracingExporter + ?Sized> TracingExporter for $ptr<E> {
            fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
                (**self).export(items)
            }
            fn shutdown(&self) {
                (**self).shutdown()
            }
            fn wants_trace_ends(&self) -> bool {
                (**self).wants_trace_ends()
            }
            fn concurrent_exports(&self) -> usize {
                (**self).concurrent_exports()
            }
        }
    )*};
}

forward!(Arc, Box);
