//! In-memory processor and exporter, for users' tests (as `tracing-mock` is for `tracing`).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use crate::error::{ExportError, ProcessorError};
use crate::exporter::{ExportItem, TracingExporter};
use crate::processor::TracingProcessor;
use crate::span::Span;
use crate::trace::Trace;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One call a processor received, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum ProcessorEvent {
    /// `on_trace_start`.
    TraceStart(Arc<Trace>),
    /// `on_trace_end`.
    TraceEnd(Arc<Trace>),
    /// `on_span_start`, with a copy of the span as it was then.
    SpanStart(Box<Span>),
    /// `on_span_end`, with the shared finished span.
    SpanEnd(Arc<Span>),
    /// `force_flush`.
    ForceFlush,
    /// `shutdown`.
    Shutdown,
}

/// A processor that records every call. Clones share the record.
///
/// ```
/// use trace_core::{custom_span, set_trace_processor, trace, InMemoryProcessor};
///
/// let recorder = InMemoryProcessor::new();
/// set_trace_processor(recorder.clone());
/// {
///     let _t = trace("test").start();
///     let _s = custom_span("step").start();
/// }
/// assert_eq!(recorder.finished_spans().len(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct InMemoryProcessor {
    events: Arc<Mutex<Vec<ProcessorEvent>>>,
}

impl InMemoryProcessor {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// All calls so far, in order.
    pub fn events(&self) -> Vec<ProcessorEvent> {
        lock(&self.events).clone()
    }

    /// Takes the calls so far, leaving the record empty.
    pub fn take_events(&self) -> Vec<ProcessorEvent> {
        std::mem::take(&mut *lock(&self.events))
    }

    /// The spans that ended, in the order they ended.
    pub fn finished_spans(&self) -> Vec<Arc<Span>> {
        self.pick(|e| match e {
            ProcessorEvent::SpanEnd(s) => Some(Arc::clone(s)),
            _ => None,
        })
    }

    /// The traces that started, in order.
    pub fn started_traces(&self) -> Vec<Arc<Trace>> {
        self.pick(|e| match e {
            ProcessorEvent::TraceStart(t) => Some(Arc::clone(t)),
            _ => None,
        })
    }

    /// What a batch processor would export to an exporter that does not
    /// [want trace ends](crate::TracingExporter::wants_trace_ends): traces at their start
    /// and spans at their end, in that order, as export items.
    pub fn export_items(&self) -> Vec<ExportItem> {
        self.pick(|e| match e {
            ProcessorEvent::TraceStart(t) => Some(ExportItem::Trace(Arc::clone(t))),
            ProcessorEvent::SpanEnd(s) => Some(ExportItem::Span(Arc::clone(s))),
            _ => None,
        })
    }

    /// The calls so far, in order, each as `pick` maps it; those it maps to `None` left out.
    fn pick<T>(&self, pick: impl FnMut(&ProcessorEvent) -> Option<T>) -> Vec<T> {
        lock(&self.events).iter().filter_map(pick).collect()
    }

    fn push(&self, e: ProcessorEvent) {
        lock(&self.events).push(e);
    }
}

impl TracingProcessor for InMemoryProcessor {
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        self.push(ProcessorEvent::TraceStart(Arc::clone(trace)));
    }
    fn on_trace_end(&self, trace: &Arc<Trace>) {
        self.push(ProcessorEvent::TraceEnd(Arc::clone(trace)));
    }
    fn on_span_start(&self, span: &Span) {
        self.push(ProcessorEvent::SpanStart(Box::new(span.clone())));
    }
    fn on_span_end(&self, span: &Arc<Span>) {
        self.push(ProcessorEvent::SpanEnd(Arc::clone(span)));
    }
    fn force_flush(&self, _timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.push(ProcessorEvent::ForceFlush);
        Ok(())
    }
    fn shutdown(&self, _timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.push(ProcessorEvent::Shutdown);
        Ok(())
    }
}

/// An exporter that keeps every batch it receives. Clones share the record.
#[derive(Clone, Debug, Default)]
pub struct InMemoryExporter {
    batches: Arc<Mutex<Vec<Vec<ExportItem>>>>,
}

impl InMemoryExporter {
    /// An empty exporter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The batches received, in order.
    pub fn batches(&self) -> Vec<Vec<ExportItem>> {
        lock(&self.batches).clone()
    }

    /// All items received, in order.
    pub fn items(&self) -> Vec<ExportItem> {
        lock(&self.batches).iter().flatten().cloned().collect()
    }

    /// Takes the batches so far, leaving the record empty.
    pub fn take_batches(&self) -> Vec<Vec<ExportItem>> {
        std::mem::take(&mut *lock(&self.batches))
    }

    /// All items received, as the `{"data":[...]}` body the OpenAI exporter would send.
    pub fn body(&self) -> Value {
        let items = self.items();
        let mut body = serde_json::Map::new();
        body.insert("data".to_owned(), crate::wire::to_json_value(&items).unwrap_or(Value::Null));
        Value::Object(body)
    }
}

impl TracingExporter for InMemoryExporter {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        lock(&self.batches).push(items.to_vec());
        Ok(())
    }
}
