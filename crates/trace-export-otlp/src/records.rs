//! What becomes one OTLP span, for both encodings: each span of a batch, and each trace
//! end ([`ExportItem::TraceEnd`]), as the root span of its trace. A trace's start item
//! ([`ExportItem::Trace`]) adds nothing, even when the trace has ended by the time it is
//! exported: both items hold the same trace, and the root span is sent once. A span without a parent is a child of its
//! trace's root span, so a trace has one root in the backend.
//!
//! The root span's id is derived from the trace id ([`otlp_root_span_id`](crate::otlp_root_span_id)),
//! so that spans exported before their trace ended name the right parent. A trace that
//! continues a remote one (a W3C `traceparent`) has its root span under the remote span:
//! its parent is the remote span's id, its flags say the parent is remote, and every span
//! of the trace carries the `tracestate` received as its `trace_state`, as an OpenTelemetry
//! SDK gives each span the trace state of its context. A trace continued from a process of
//! this library ([`RemoteParent::announced`](trace_core::w3c::RemoteParent::announced)) is
//! not ended here, so it sends no root span (the caller sends the trace's one); its
//! top-level spans hang under the remote span instead.

use trace_core::w3c::{root_span_id, top_level_parent_id};
use trace_core::{ExportItem, Span, Timestamp, Trace};

use crate::mapping::{map_span, map_trace, Mapped, MappingOptions};

/// The W3C trace flags in bits 0-7 of `Span.flags`: `sampled` (0x01), which every exported
/// span is (a span a sampler left out never reaches an exporter), as opentelemetry-rust
/// sets it for a sampled span.
const W3C_SAMPLED: u32 = 0x01;

/// `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK` with the sampled trace flag: whether the parent
/// is remote is known; alone, the parent is local (a span of this process, or the trace's
/// root span).
pub(crate) const FLAGS_LOCAL_PARENT: u32 = 0x100 | W3C_SAMPLED;

/// `SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK | SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK` with the
/// sampled trace flag: the parent is a span of another process (the root span of a trace
/// continued from a `traceparent`).
pub(crate) const FLAGS_REMOTE_PARENT: u32 = 0x300 | W3C_SAMPLED;

/// One OTLP span, its ids as numbers.
pub(crate) struct Record<'a> {
    pub(crate) trace_id: u128,
    pub(crate) span_id: u64,
    /// The W3C `tracestate` of the trace, when it continues a remote one.
    pub(crate) trace_state: Option<&'a str>,
    pub(crate) parent: Option<u64>,
    /// `Span.flags`: [`FLAGS_LOCAL_PARENT`] or [`FLAGS_REMOTE_PARENT`].
    pub(crate) flags: u32,
    pub(crate) mapped: Mapped<'a>,
    /// Start and end, Unix nanoseconds; `None` when neither is known.
    pub(crate) times: Option<(u64, u64)>,
    /// The error message, for an error status.
    pub(crate) error: Option<&'a str>,
}

/// The records of `items`: spans in order, and a root span for each trace end (a trace
/// item offered at the start adds nothing).
pub(crate) fn records(items: &[ExportItem], mapping: MappingOptions) -> impl Iterator<Item = Record<'_>> {
    // The root span id of the last trace seen: the spans of a batch mostly come a trace
    // at a time, and the id is a hash of the trace id's text.
    let mut root: Option<(&Trace, (u64, u32))> = None;
    items.iter().filter_map(move |item| match item {
        ExportItem::Span(span) => {
            let trace: &Trace = span.trace();
            let top = match root {
                Some((last, top)) if std::ptr::eq(last, trace) => top,
                _ => {
                    let top = top_level_parent(trace);
                    root = Some((trace, top));
                    top
                }
            };
            Some(span_record(span, top, mapping))
        }
        ExportItem::TraceEnd(trace) => Some(trace_record(trace, mapping)),
        ExportItem::Trace(_) => None,
    })
}

/// How many records `items` make.
pub(crate) fn count(items: &[ExportItem]) -> usize {
    items
        .iter()
        .filter(|item| match item {
            ExportItem::Span(_) | ExportItem::TraceEnd(_) => true,
            ExportItem::Trace(_) => false,
        })
        .count()
}

/// Start and end in Unix nanoseconds: one stands in for the other if missing (a span is
/// exported when it ends, so both are normally set), `None` if both are.
fn times(start: Option<Timestamp>, end: Option<Timestamp>) -> Option<(u64, u64)> {
    start.or(end).zip(end.or(start)).map(|(s, e)| (s.unix_nanos(), e.unix_nanos()))
}

/// The parent of a top-level span of `trace` ([`top_level_parent_id`]), and its flags:
/// remote when that is the caller's span.
fn top_level_parent(trace: &Trace) -> (u64, u32) {
    let announced = trace.remote_parent().is_some_and(|r| r.announced());
    (top_level_parent_id(trace), if announced { FLAGS_REMOTE_PARENT } else { FLAGS_LOCAL_PARENT })
}

/// `top` is the parent of a top-level span of its trace, and its flags
/// ([`top_level_parent`]).
fn span_record(span: &Span, top: (u64, u32), mapping: MappingOptions) -> Record<'_> {
    let (parent, flags) = match span.parent_id() {
        Some(id) => (id.to_w3c(), FLAGS_LOCAL_PARENT),
        None => top,
    };
    Record {
        trace_id: span.trace_id().to_w3c(),
        span_id: span.span_id().to_w3c(),
        trace_state: tracestate(span.trace()),
        parent: Some(parent),
        flags,
        mapped: map_span(span, mapping),
        times: times(span.started_at(), span.ended_at()),
        error: span.error().map(|e| e.message.as_str()),
    }
}

/// The root span of `trace`: under the remote span it continues, if any.
fn trace_record(trace: &Trace, mapping: MappingOptions) -> Record<'_> {
    let remote = trace.remote_parent().map(|r| r.traceparent().parent_id());
    Record {
        trace_id: trace.trace_id().to_w3c(),
        span_id: root_span_id(trace.trace_id()),
        trace_state: tracestate(trace),
        parent: remote,
        flags: if remote.is_some() { FLAGS_REMOTE_PARENT } else { FLAGS_LOCAL_PARENT },
        mapped: map_trace(trace, mapping),
        times: times(trace.started_at(), trace.ended_at()),
        error: None,
    }
}

/// The `tracestate` `trace` received with its remote parent.
fn tracestate(trace: &Trace) -> Option<&str> {
    trace.remote_parent().and_then(|r| r.tracestate())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use trace_core::{CustomSpanData, SpanId, TraceId};

    use super::*;

    #[test]
    fn a_top_level_span_hangs_under_the_root_of_its_own_trace_in_a_mixed_batch() {
        let traces = [Arc::new(Trace::new(TraceId::generate(), "a")), Arc::new(Trace::new(TraceId::generate(), "b"))];
        let item = |t: &Arc<Trace>| {
            let data = CustomSpanData { name: "x".into(), ..Default::default() };
            ExportItem::Span(Arc::new(Span::new(SpanId::generate(), Arc::clone(t), None, data)))
        };
        let order = [0, 0, 1, 0, 1, 1, 0];
        let items: Vec<ExportItem> = order.iter().map(|&i| item(&traces[i])).collect();
        let parents: Vec<Option<u64>> = records(&items, MappingOptions::default()).map(|r| r.parent).collect();
        let expected: Vec<Option<u64>> = order.iter().map(|&i| Some(root_span_id(traces[i].trace_id()))).collect();
        assert_eq!(parents, expected);
        assert_ne!(expected[0], expected[2]);
    }
}
