//! Processors and exporters that misbehave on purpose, for the tests of the code that must
//! survive them (the fan-out, the batch processor, the facade's fault suite): one that
//! panics on every call, one that blocks in `export` until a [`Gate`] opens.
//!
//! Their panics carry [`DELIBERATE_PANIC`]; [`quiet_deliberate_panics`] keeps those out of
//! the test output.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Once};
use std::time::Duration;

use trace_core::{ExportError, ExportItem, ProcessorError, Span, Trace, TracingExporter, TracingProcessor};

use crate::gate::Gate;

/// The text every panic thrown on purpose by these doubles carries (followed by `: ` and
/// the method's name); tests may use it for their own deliberate panics too.
pub const DELIBERATE_PANIC: &str = "deliberate test panic";

/// Installs, once per test binary, a panic hook that prints nothing for panics whose
/// message contains [`DELIBERATE_PANIC`] (the default hook prints each with its backtrace)
/// and hands every other panic to the hook installed before.
pub fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !trace_core::panic::panic_message(info.payload()).contains(DELIBERATE_PANIC) {
                previous(info);
            }
        }));
    });
}

/// A processor that panics in every method it has, `shutdown` included, with
/// `"{DELIBERATE_PANIC}: <method>"`. Its type name (`PanickingProcessor`) is how the
/// fan-out's statistics and log lines name it.
#[derive(Debug, Default)]
pub struct PanickingProcessor;

impl TracingProcessor for PanickingProcessor {
    fn on_trace_start(&self, _: &Arc<Trace>) {
        panic!("{DELIBERATE_PANIC}: on_trace_start");
    }
    fn on_trace_end(&self, _: &Arc<Trace>) {
        panic!("{DELIBERATE_PANIC}: on_trace_end");
    }
    fn on_span_start(&self, _: &Span) {
        panic!("{DELIBERATE_PANIC}: on_span_start");
    }
    fn on_span_end(&self, _: &Arc<Span>) {
        panic!("{DELIBERATE_PANIC}: on_span_end");
    }
    fn force_flush(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
        panic!("{DELIBERATE_PANIC}: force_flush");
    }
    fn shutdown(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
        panic!("{DELIBERATE_PANIC}: shutdown");
    }
}

/// An exporter that blocks in `export` until its [`Gate`] opens (for ever, as far as the
/// pipeline knows), then counts the items as exported; and that reports the name of the
/// thread its `shutdown` runs on, when asked to ([`reporting_shutdown_to`]).
///
/// [`reporting_shutdown_to`]: BlockingExporter::reporting_shutdown_to
#[derive(Debug)]
pub struct BlockingExporter {
    gate: Arc<Gate>,
    exported: Arc<AtomicU64>,
    shutdown_on: Option<Sender<String>>,
}

impl BlockingExporter {
    /// An exporter blocking on `gate`.
    pub fn new(gate: &Arc<Gate>) -> Self {
        Self { gate: Arc::clone(gate), exported: Arc::default(), shutdown_on: None }
    }

    /// Sends the name of the thread `shutdown` runs on (`<unnamed>` for a thread without
    /// one) to `shutdown_on`.
    pub fn reporting_shutdown_to(mut self, shutdown_on: Sender<String>) -> Self {
        self.shutdown_on = Some(shutdown_on);
        self
    }

    /// The count of items exported (each `export` adds its items once the gate lets it
    /// through), shared with this exporter.
    pub fn exported(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.exported)
    }
}

impl TracingExporter for BlockingExporter {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        self.gate.wait();
        self.exported.fetch_add(items.len() as u64, Ordering::SeqCst);
        Ok(())
    }

    fn shutdown(&self) {
        if let Some(report) = &self.shutdown_on {
            let _ = report.send(std::thread::current().name().unwrap_or("<unnamed>").to_owned());
        }
    }
}
