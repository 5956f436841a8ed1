//! A processor that exports on the caller's thread.

use std::sync::atomic::{AtomicU64, Ordering};
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
///
/// Every item the exporter failed is counted ([`stats`](Self::stats)) and logged,
/// rate-limited.
#[derive(Debug)]
pub struct SimpleTraceProcessor<E> {
    exporter: E,
    errors: LogRateLimiter,
    exported: AtomicU64,
    lost: AtomicU64,
}

/// What a [`SimpleTraceProcessor`] did; from [`SimpleTraceProcessor::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimpleStats {
    /// Items (trace starts, trace ends, spans) the exporter took.
    pub exported: u64,
    /// Items the exporter failed (an error, or no key configured): lost.
    pub lost: u64,
}

impl<E: TracingExporter> SimpleTraceProcessor<E> {
    /// A processor over `exporter`.
    pub fn new(exporter: E) -> Self {
        Self {
            exporter,
            errors: LogRateLimiter::new(Duration::from_secs(10)),
            exported: AtomicU64::new(0),
            lost: AtomicU64::new(0),
        }
    }

    /// The exporter.
    pub fn exporter(&self) -> &E {
        &self.exporter
    }

    /// What was exported and lost so far.
    pub fn stats(&self) -> SimpleStats {
        SimpleStats { exported: self.exported.load(Ordering::Relaxed), lost: self.lost.load(Ordering::Relaxed) }
    }

    fn export(&self, item: ExportItem) {
        let outcome = self.exporter.export(std::slice::from_ref(&item));
        let counter = if outcome.is_ok() { &self.exported } else { &self.lost };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = outcome {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ExportError;
    use crate::{CustomSpanData, SpanId, TraceId};

    /// Fails every other item.
    struct Flaky(AtomicU64);

    impl TracingExporter for Flaky {
        fn export(&self, _: &[ExportItem]) -> Result<(), ExportError> {
            if self.0.fetch_add(1, Ordering::Relaxed) % 2 == 1 {
                return Err(ExportError::failed(1, "down"));
            }
            Ok(())
        }
    }

    #[test]
    fn items_the_exporter_fails_are_counted_as_lost() {
        let p = SimpleTraceProcessor::new(Flaky(AtomicU64::new(0)));
        let trace = Arc::new(Trace::new(TraceId::from_u128(1), "w"));
        p.on_trace_start(&trace);
        for i in 0..3 {
            let span =
                Arc::new(Span::new(SpanId::from_u128(i + 1), Arc::clone(&trace), None, CustomSpanData::default()));
            p.on_span_end(&span);
        }
        assert_eq!(p.stats(), SimpleStats { exported: 2, lost: 2 });
    }
}
