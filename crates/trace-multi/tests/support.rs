//! Test processors, span builders, log capture and the lock for the global registry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use trace_core::span_data::{CustomSpanData, FunctionSpanData};
use trace_core::{ProcessorError, Span, SpanData, SpanId, Trace, TraceId, TracingProcessor};

/// Panics thrown on purpose carry this text; the panic hook stays quiet about them.
pub(crate) use test_support::doubles::DELIBERATE_PANIC as DELIBERATE;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------- log capture

struct Capture;

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        lock(&LINES).push(format!("{} {}", record.level(), record.args()));
    }
    fn flush(&self) {}
}

/// Installs the recording logger and the quiet panic hook, once per test binary.
pub(crate) fn init() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        static CAPTURE: Capture = Capture;
        log::set_logger(&CAPTURE).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
        test_support::doubles::quiet_deliberate_panics();
    });
}

/// The log lines recorded so far that contain `needle`.
pub(crate) fn log_lines_with(needle: &str) -> Vec<String> {
    lock(&LINES).iter().filter(|l| l.contains(needle)).cloned().collect()
}

// ---------------------------------------------------------------- the global registry

/// Held by every test that touches `trace-core`'s registry or the global fan-out;
/// restores the registry slot when dropped.
pub(crate) struct RegistryGuard {
    saved: Option<Arc<dyn TracingProcessor>>,
    _lock: MutexGuard<'static, ()>,
}

pub(crate) fn registry() -> RegistryGuard {
    static REGISTRY: Mutex<()> = Mutex::new(());
    init();
    let lock = lock(&REGISTRY);
    RegistryGuard { saved: trace_core::trace_processor(), _lock: lock }
}

impl Drop for RegistryGuard {
    fn drop(&mut self) {
        // Leave the global fan-out empty and the slot as it was.
        trace_multi::global_multi_processor().set(Vec::new());
        match self.saved.take() {
            Some(p) => trace_core::set_trace_processor_shared(p),
            None => trace_core::clear_trace_processor(),
        };
    }
}

// ---------------------------------------------------------------- traces and spans

pub(crate) fn new_trace(name: &str) -> Arc<Trace> {
    Arc::new(Trace::new(TraceId::generate(), name))
}

pub(crate) fn new_span(trace: &Arc<Trace>, data: impl Into<SpanData>) -> Arc<Span> {
    Arc::new(Span::new(SpanId::generate(), Arc::clone(trace), None, data))
}

pub(crate) fn custom(trace: &Arc<Trace>) -> Arc<Span> {
    new_span(trace, CustomSpanData { name: "step".into(), ..Default::default() })
}

pub(crate) fn function(trace: &Arc<Trace>) -> Arc<Span> {
    new_span(trace, FunctionSpanData { name: "lookup".into(), ..Default::default() })
}

/// Every kind of call, once.
pub(crate) fn drive(p: &dyn TracingProcessor, trace: &Arc<Trace>, span: &Arc<Span>) {
    p.on_trace_start(trace);
    p.on_span_start(span);
    p.on_span_end(span);
    p.on_trace_end(trace);
}

// ---------------------------------------------------------------- processors

/// Writes `(tag, method)` to a journal shared with other processors.
pub(crate) struct Tagged {
    pub(crate) tag: usize,
    pub(crate) journal: Arc<Mutex<Vec<(usize, &'static str)>>>,
}

impl Tagged {
    fn note(&self, method: &'static str) {
        lock(&self.journal).push((self.tag, method));
    }
}

impl TracingProcessor for Tagged {
    fn on_trace_start(&self, _: &Arc<Trace>) {
        self.note("on_trace_start");
    }
    fn on_trace_end(&self, _: &Arc<Trace>) {
        self.note("on_trace_end");
    }
    fn on_span_start(&self, _: &Span) {
        self.note("on_span_start");
    }
    fn on_span_end(&self, _: &Arc<Span>) {
        self.note("on_span_end");
    }
    fn force_flush(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
        self.note("force_flush");
        Ok(())
    }
    fn shutdown(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
        self.note("shutdown");
        Ok(())
    }
}

/// Counts `on_span_end` calls. Clones share the count.
#[derive(Clone, Default)]
pub(crate) struct Counter(pub(crate) Arc<AtomicU64>);

impl Counter {
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl TracingProcessor for Counter {
    ignores!(trace_start, trace_end, span_start);
    fn on_span_end(&self, _: &Arc<Span>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Returns an error from `force_flush` and `shutdown`; the `on_*` calls do nothing.
pub(crate) struct Failing;

impl TracingProcessor for Failing {
    ignores!(trace_start, trace_end, span_start, span_end);
    fn force_flush(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
        Err(ProcessorError::Other("flush failed".into()))
    }
    fn shutdown(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
        Err(ProcessorError::Other("shutdown failed".into()))
    }
}

/// Records the timeout each `force_flush` / `shutdown` call received. Clones share it.
#[derive(Clone, Default)]
pub(crate) struct Timed {
    pub(crate) flushes: Arc<Mutex<Vec<Option<Duration>>>>,
    pub(crate) shutdowns: Arc<Mutex<Vec<Option<Duration>>>>,
}

impl TracingProcessor for Timed {
    ignores!(trace_start, trace_end, span_start, span_end);
    fn force_flush(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        lock(&self.flushes).push(timeout);
        Ok(())
    }
    fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        lock(&self.shutdowns).push(timeout);
        Ok(())
    }
}

/// A shutdown that needs `needs` to finish: it waits for the time it is given (at most
/// `needs`) and reports a timeout when that was not enough, as a well-behaved batch
/// processor with a stuck exporter would.
pub(crate) struct Slow {
    pub(crate) needs: Duration,
    pub(crate) given: Arc<Mutex<Vec<Option<Duration>>>>,
}

impl TracingProcessor for Slow {
    ignores!(trace_start, trace_end, span_start, span_end);
    fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        lock(&self.given).push(timeout);
        let wait = timeout.map_or(self.needs, |t| t.min(self.needs));
        std::thread::sleep(wait);
        if wait < self.needs {
            Err(ProcessorError::Timeout(wait))
        } else {
            Ok(())
        }
    }
}
