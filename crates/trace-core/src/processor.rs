//! The processor trait: what the tracing machinery calls as traces and spans start and end.

use std::sync::Arc;
use std::time::Duration;

use crate::error::ProcessorError;
use crate::span::Span;
use crate::trace::Trace;

/// Receives traces and spans as they start and end. The Python SDK's `TracingProcessor`.
///
/// Install one with [`set_trace_processor`](crate::set_trace_processor); several through a
/// fan-out (the `trace-multi` crate).
///
/// # Rules for implementors
/// - **The four `on_*` methods run on the caller's thread, synchronously**, inside the user's
///   agent code. They must not block (no I/O, no lock that an exporter holds while
///   exporting), must be cheap, and must be thread-safe: many threads call them at once.
/// - **They must not panic into the caller.** The registry catches a panic as a last
///   resort, counts it ([`processor_panics`](crate::processor_panics)) and logs it
///   (rate-limited), but a processor should handle its own failures.
/// - A fan-out to several processors costs one call per processor and no copy: every
///   processor receives the same `&Arc<Span>`, and one that keeps the span clones the
///   `Arc` (a reference count), never the span data.
/// - [`force_flush`](Self::force_flush) and [`shutdown`](Self::shutdown) may block up to
///   their timeout; `None` means no bound. A second `shutdown` should do nothing and may
///   report [`ProcessorError::AlreadyShutdown`].
pub trait TracingProcessor: Send + Sync + 'static {
    /// A trace started. The batch processor queues the trace object here, so a trace is
    /// exported before its spans, as in Python.
    fn on_trace_start(&self, trace: &Arc<Trace>);

    /// A trace ended.
    fn on_trace_end(&self, trace: &Arc<Trace>);

    /// A span started. Its data may still change until it ends.
    fn on_span_start(&self, span: &Span);

    /// A span ended; its data is final. The batch processor queues the span here.
    fn on_span_end(&self, span: &Arc<Span>);

    /// Delivers everything received so far before returning, within `timeout`.
    fn force_flush(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        let _ = timeout;
        Ok(())
    }

    /// Delivers what is pending and releases resources, within `timeout`.
    fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        let _ = timeout;
        Ok(())
    }
}

macro_rules! forward {
    ($ty:ty) => {
        impl<P: TracingProcessor + ?Sized> TracingProcessor for $ty {
            fn on_trace_start(&self, trace: &Arc<Trace>) {
                (**self).on_trace_start(trace)
            }
            fn on_trace_end(&self, trace: &Arc<Trace>) {
                (**self).on_trace_end(trace)
            }
            fn on_span_start(&self, span: &Span) {
                (**self).on_span_start(span)
            }
            fn on_span_end(&self, span: &Arc<Span>) {
                (**self).on_span_end(span)
            }
            fn force_flush(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
                (**self).force_flush(timeout)
            }
            fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
                (**self).shutdown(timeout)
            }
        }
    };
}

forward!(Arc<P>);
forward!(Box<P>);

/// `None` is a processor that does nothing; `Some(p)` is `p`. For a processor that is
/// present only under some configuration:
///
/// ```
/// use trace_core::{set_trace_processor, InMemoryProcessor};
///
/// let debug = std::env::var_os("MY_APP_DEBUG_TRACES").is_some();
/// set_trace_processor(debug.then(InMemoryProcessor::new));
/// ```
///
/// A list of processors is a fan-out: see `trace-multi`'s `MultiProcessor`, which also
/// isolates their panics.
impl<P: TracingProcessor> TracingProcessor for Option<P> {
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        if let Some(p) = self {
            p.on_trace_start(trace)
        }
    }
    fn on_trace_end(&self, trace: &Arc<Trace>) {
        if let Some(p) = self {
            p.on_trace_end(trace)
        }
    }
    fn on_span_start(&self, span: &Span) {
        if let Some(p) = self {
            p.on_span_start(span)
        }
    }
    fn on_span_end(&self, span: &Arc<Span>) {
        if let Some(p) = self {
            p.on_span_end(span)
        }
    }
    fn force_flush(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.as_ref().map_or(Ok(()), |p| p.force_flush(timeout))
    }
    fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.as_ref().map_or(Ok(()), |p| p.shutdown(timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{SpanId, TraceId};
    use crate::memory::{InMemoryProcessor, ProcessorEvent};
    use crate::span_data::CustomSpanData;

    fn drive(p: &dyn TracingProcessor) {
        let trace = Arc::new(Trace::new(TraceId::generate(), "w"));
        let span = Arc::new(Span::new(SpanId::generate(), Arc::clone(&trace), None, CustomSpanData::default()));
        p.on_trace_start(&trace);
        p.on_span_start(&span);
        p.on_span_end(&span);
        p.on_trace_end(&trace);
        p.force_flush(None).unwrap();
        p.shutdown(None).unwrap();
    }

    #[test]
    fn some_forwards_every_call() {
        let recorder = InMemoryProcessor::new();
        drive(&Some(recorder.clone()));
        let events = recorder.events();
        assert_eq!(events.len(), 6);
        assert!(matches!(events[0], ProcessorEvent::TraceStart(_)));
        assert!(matches!(events[2], ProcessorEvent::SpanEnd(_)));
        assert_eq!(events[5], ProcessorEvent::Shutdown);
    }

    #[test]
    fn none_does_nothing_and_succeeds() {
        let none: Option<InMemoryProcessor> = None;
        drive(&none);
        assert!(none.force_flush(Some(Duration::ZERO)).is_ok());
        assert!(none.shutdown(Some(Duration::ZERO)).is_ok());
    }
}
