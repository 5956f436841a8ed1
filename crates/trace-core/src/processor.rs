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
