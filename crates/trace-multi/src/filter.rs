//! [`Filtered`]: a processor that only sees the spans (and traces) a predicate accepts,
//! as a filtered layer does in the `tracing` crate.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use trace_core::{ProcessorError, Span, Trace, TracingProcessor};

/// The trace predicate of [`Filtered::new`]: every trace passes.
pub type AllTraces = fn(&Trace) -> bool;

fn all_traces(_: &Trace) -> bool {
    true
}

/// Passes spans to the inner processor only when a predicate holds.
///
/// - **Spans**: `on_span_start` and `on_span_end` both ask the same predicate about the
///   span, so a processor sees either both calls of a span or neither, provided the
///   predicate looks only at what cannot change while the span runs: its kind
///   ([`SpanData::kind`](trace_core::SpanData::kind)), its ids, its parent and its trace
///   ([`Span::trace`]). Fields of the span data that user code may still set before the
///   span ends (outputs, an error) can differ between the two calls.
/// - **Traces** always pass, unless a trace predicate is given with
///   [`traces`](Self::traces). The two predicates are independent: to drop the spans of
///   the traces left out as well, test `span.trace()` in the span predicate too.
/// - `force_flush` and `shutdown` always reach the inner processor.
///
/// Predicates run on the caller's thread for every span: keep them cheap (no
/// allocation, no lock). A predicate that panics is treated as a panic of the processor.
///
/// ```
/// use std::sync::Arc;
/// use trace_core::span_data::{CustomSpanData, FunctionSpanData};
/// use trace_core::{InMemoryProcessor, Span, SpanId, SpanKind, Trace, TraceId, TracingProcessor};
/// use trace_multi::Filtered;
///
/// let functions_only = InMemoryProcessor::new();
/// let filtered = Filtered::new(functions_only.clone(), |span: &Span| span.kind() == SpanKind::Function)
///     .traces(|trace: &Trace| trace.workflow_name() != "health check");
///
/// let trace = Arc::new(Trace::new(TraceId::generate(), "Order lookup"));
/// let call = Arc::new(Span::new(SpanId::generate(), trace.clone(), None, FunctionSpanData::default()));
/// let step = Arc::new(Span::new(SpanId::generate(), trace.clone(), None, CustomSpanData::default()));
/// filtered.on_trace_start(&trace);
/// filtered.on_span_end(&call);
/// filtered.on_span_end(&step);
///
/// assert_eq!(functions_only.started_traces().len(), 1);
/// assert_eq!(functions_only.finished_spans().len(), 1);
/// ```
pub struct Filtered<P, F, T = AllTraces> {
    inner: P,
    spans: F,
    traces: T,
}

impl<P, F> Filtered<P, F>
where
    F: Fn(&Span) -> bool,
{
    /// `inner`, seeing only the spans for which `spans` returns `true`, and every trace.
    pub fn new(inner: P, spans: F) -> Self {
        Self { inner, spans, traces: all_traces }
    }
}

impl<P, F, T> Filtered<P, F, T> {
    /// Lets through only the traces for which `traces` returns `true` (builder style).
    /// Spans are still decided by the span predicate alone.
    pub fn traces<U>(self, traces: U) -> Filtered<P, F, U>
    where
        U: Fn(&Trace) -> bool,
    {
        Filtered { inner: self.inner, spans: self.spans, traces }
    }

    /// The inner processor.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// Takes the inner processor back.
    pub fn into_inner(self) -> P {
        self.inner
    }
}

impl<P, F, T> TracingProcessor for Filtered<P, F, T>
where
    P: TracingProcessor,
    F: Fn(&Span) -> bool + Send + Sync + 'static,
    T: Fn(&Trace) -> bool + Send + Sync + 'static,
{
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        if (self.traces)(trace) {
            self.inner.on_trace_start(trace);
        }
    }

    fn on_trace_end(&self, trace: &Arc<Trace>) {
        if (self.traces)(trace) {
            self.inner.on_trace_end(trace);
        }
    }

    fn on_span_start(&self, span: &Span) {
        if (self.spans)(span) {
            self.inner.on_span_start(span);
        }
    }

    fn on_span_end(&self, span: &Arc<Span>) {
        if (self.spans)(span) {
            self.inner.on_span_end(span);
        }
    }

    fn force_flush(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.inner.force_flush(timeout)
    }

    fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.inner.shutdown(timeout)
    }
}

impl<P: fmt::Debug, F, T> fmt::Debug for Filtered<P, F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Filtered").field("inner", &self.inner).finish_non_exhaustive()
    }
}
