//! A processor that exports on the caller's thread.

use std::sync::Arc;
use std::time::Duration;

use crate::error::ProcessorError;
use crate::exporter::{ExportItem, TracingExporter};
use crate::processor::TracingProcessor;
use crate::rate_limit::LogRateLimiter;
use crate::span::Span;
use crate::trace::Trace;

/// Calls the exporter right away, on the caller's thread: each trace when it starts (and
/// as an [`ExportItem::TraceEnd`] when it ends, if the exporter
/// [wants trace ends](TracingExporter::wants_trace_ends)) and each span when it ends, one
/// item per call.
///
/// For examples, tests and exporters that never block (an in-memory one). It breaks the
/// rule that ending a span never waits on I/O when the exporter does I/O, so production
/// code uses the batch processor (`trace-batch`) instead.
#[derive(Debug)]
pub struct SimpleTraceProcessor<E> {
    exporter: E,
    errors: LogRateLimiter,
}

impl<E: TracingExporter> SimpleTraceProcessor<E> {
    /// A processor over `exporter`.
    pub fn new(exporter: E) -> Self {
        Self { exporter, errors: LogRateLimiter::new(Duration::from_secs(10)) }
    }

    /// The exporter.
    pub fn exporter(&self) -> &E {
        &self.exporter
    }

    fn export(&self, item: ExportItem) {
        if let Err(e) = self.exporter.export(std::slice::from_ref(&item)) {
            if !e.should_log() {
                log::debug!("export skipped: {e}");
            } else if let Some(suppressed) = self.errors.check() {
                log::warn!("export failed: {e} ({suppressed} more failures since the last report)");
            }
        }
    }
}

impl<E: TracingExporter> TracingProcessor for SimpleTraceProcessor<E> {
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        self.export(ExportItem::Trace(Arc::clone(trace)));
    }
    fn on_trace_end(&self, trace: &Arc<Trace>) {
        if self.exporter.wants_trace_ends() {
            self.export(ExportItem::TraceEnd(Arc::clone(trace)));
        }
    }
    fn on_span_start(&self, _span: &Span) {}
    fn on_span_end(&self, span: &Arc<Span>) {
        self.export(ExportItem::Span(Arc::clone(span)));
    }
    fn shutdown(&self, _timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.exporter.shutdown();
        Ok(())
    }
}
