//! [`TreeConsoleProcessor`]: prints each trace as an indented tree when it ends.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::thread;
use std::time::Duration;

use trace_core::rate_limit::LogRateLimiter;
use trace_core::{ProcessorError, Span, Trace, TracingProcessor};

use crate::color::{ColorMode, Palette};
use crate::error::ConfigError;
use crate::sink::Sink;
use crate::stats::TreeStats;
use crate::store::{self, lock, Held, Limits, Store};
use crate::tree_text::{self, Moment};

const WHO: &str = "TreeConsoleProcessor";

/// Gathers each trace's spans and, when the trace ends, prints it as an indented tree:
/// kind, name, duration and what matters per kind (model and tokens of a generation, a
/// tool's input and output, `from -> to` of a handoff, whether a guardrail was triggered),
/// errors marked. For reading a run in the terminal, without a key or a backend.
///
/// Tools' inputs and outputs, custom data and speech texts follow the console exporter's
/// rule, Python's `OPENAI_AGENTS_DONT_LOG_*` flags: hidden by default, shown with
/// [`show_data(true)`](TreeConsoleProcessorBuilder::show_data) or both flags off.
///
/// ```text
/// Customer service  trace_3f0c…  group chat_123  1.24 s  4 spans  1 error
/// └─ agent Triage  1.21 s  tools: lookup_order  handoffs: Billing
///    ├─ generation gpt-4o-mini  812.0 ms  tokens: 12 in, 5 out
///    ├─ function lookup_order  3.1 ms  {"order_id": 42} -> order 42 not found  ERROR: order 42 not found
///    └─ handoff Triage -> Billing  85.0 µs
/// ```
///
/// - **Colours** with [`ColorMode::Auto`] (the default) when writing to a terminal and
///   `NO_COLOR` is not set; none in a file, a pipe or a buffer.
/// - **Bounded**: at most [`max_open_traces`](TreeConsoleProcessorBuilder::max_open_traces)
///   traces are gathered at once, each with at most
///   [`max_spans_per_trace`](TreeConsoleProcessorBuilder::max_spans_per_trace) spans;
///   what is left out is counted ([`stats`](Self::stats)), logged (rate-limited) and said
///   in the tree. Traces that never end are printed by
///   [`shutdown`](TracingProcessor::shutdown), marked as such.
/// - **On the span path**, starting or ending a span (or starting a trace) costs a short
///   critical section (a hash map lookup and a push) and no I/O. The tree is printed on
///   the thread that ends the trace, formatted and written after the gathering lock is
///   released, under a lock of the output alone; first, that thread prints the trees taken
///   out early that still wait, and waits for the `trace-tree-print` thread if it is
///   printing some (so that they come out before the trace that ended). A trace taken out early to make room
///   (see the crate docs) is printed by a thread of its own, `trace-tree-print`, started
///   the first time one is (or, if it cannot be started, at the next trace end,
///   [`force_flush`](TracingProcessor::force_flush) or shutdown); at most
///   `max_open_traces` of them wait, and past that a span of yet another such trace is
///   refused (and counted) rather than make room.
///
/// Clones share the gathered traces and the output.
#[derive(Clone)]
pub struct TreeConsoleProcessor {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    sink: Mutex<Sink>,
    palette: Palette,
    show_data: bool,
    traces_printed: AtomicU64,
    unfinished_printed: AtomicU64,
    spans_printed: AtomicU64,
    spans_in_failed_writes: AtomicU64,
    write_errors: AtomicU64,
    drops_log: LogRateLimiter,
    write_log: LogRateLimiter,
    /// Wakes the thread that prints the trees taken out early (started at the first one;
    /// `None` if it could not be started).
    printer: OnceLock<Option<SyncSender<()>>>,
    /// Held while trees taken out early are taken and printed, so that a trace end, a
    /// flush or the shutdown that prints them finds those the printer holds printed.
    printing: Mutex<()>,
}

/// The name of the thread that prints the trees taken out early to make room.
pub const TREE_PRINTER_THREAD_NAME: &str = "trace-tree-print";

impl fmt::Debug for TreeConsoleProcessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreeConsoleProcessor")
            .field("colors", &(self.inner.palette == Palette::new(true)))
            .field("show_data", &self.inner.show_data)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Default for TreeConsoleProcessor {
    fn default() -> Self {
        Self::new()
    }
}

impl TreeConsoleProcessor {
    /// The default of [`max_spans_per_trace`](TreeConsoleProcessorBuilder::max_spans_per_trace).
    pub const DEFAULT_MAX_SPANS_PER_TRACE: usize = 1_000;
    /// The default of [`max_open_traces`](TreeConsoleProcessorBuilder::max_open_traces).
    pub const DEFAULT_MAX_OPEN_TRACES: usize = 100;

    /// A processor printing to standard output, with the defaults of
    /// [`builder`](Self::builder).
    pub fn new() -> Self {
        Self::builder().into_processor()
    }

    /// A builder: where to print, colours, whether to show data, caps.
    pub fn builder() -> TreeConsoleProcessorBuilder {
        TreeConsoleProcessorBuilder {
            sink: Sink::Stdout,
            color: ColorMode::Auto,
            show_data: trace_core::sensitive::data_in_logs_from_env(),
            max_spans_per_trace: Self::DEFAULT_MAX_SPANS_PER_TRACE,
            max_open_traces: Self::DEFAULT_MAX_OPEN_TRACES,
        }
    }

    /// Takes what was printed so far into the in-memory buffer
    /// ([`to_buffer`](TreeConsoleProcessorBuilder::to_buffer)); empty for other outputs.
    pub fn take_output(&self) -> Vec<u8> {
        lock(&self.inner.sink).take_buffer()
    }

    /// What the processor did so far.
    pub fn stats(&self) -> TreeStats {
        let i = &self.inner;
        let (held, drops) = {
            let s = lock(&i.store);
            ((s.traces_held() as u64, s.spans_held() as u64), s.drops())
        };
        TreeStats {
            traces_printed: i.traces_printed.load(Ordering::Relaxed),
            unfinished_traces_printed: i.unfinished_printed.load(Ordering::Relaxed),
            spans_printed: i.spans_printed.load(Ordering::Relaxed),
            spans_in_failed_writes: i.spans_in_failed_writes.load(Ordering::Relaxed),
            traces_held: held.0,
            spans_held: held.1,
            write_errors: i.write_errors.load(Ordering::Relaxed),
            ..TreeStats::default()
        }
        .with_drops(drops)
    }

    /// Formats and writes one tree. Called with no lock held but the output's.
    fn print(&self, held: &Held, moment: Moment, per_trace_cap: usize) {
        let i = &self.inner;
        let text = tree_text::render(held, moment, i.palette, per_trace_cap, i.show_data);
        let spans = held.spans.len() as u64;
        // The output's lock is let go before anything is logged.
        let written = crate::sink::write_locked(&i.sink, text.as_bytes());
        match written {
            Ok(()) => {
                let printed = if moment == Moment::Ended { &i.traces_printed } else { &i.unfinished_printed };
                printed.fetch_add(1, Ordering::Relaxed);
                i.spans_printed.fetch_add(spans, Ordering::Relaxed);
            }
            Err(e) => {
                i.write_errors.fetch_add(1, Ordering::Relaxed);
                i.spans_in_failed_writes.fetch_add(spans, Ordering::Relaxed);
                if let Some(more) = i.write_log.check() {
                    log::warn!(
                        "[non-fatal] {WHO}: could not print the tree of trace {} ({spans} spans): {e} ({more} more \
                         failures since the last warning)",
                        held.trace.trace_id()
                    );
                }
            }
        }
    }

    fn dropped(&self, why: store::Dropped, limits: Limits) {
        store::warn_dropped(&self.inner.drops_log, WHO, why, limits);
    }

    /// Prints the trees taken out early to make room (`evicted`, oldest first).
    fn print_evicted(&self, evicted: &[Held], limits: Limits) {
        for held in evicted {
            self.print(held, Moment::Evicted, limits.max_spans_per_trace);
        }
    }

    /// Takes the trees taken out early that wait, and prints them; returns once those the
    /// printer thread holds are printed too. Not from inside this processor's own writer
    /// (one that ends a trace while it writes), whose thread may hold the printing lock:
    /// those trees then wait for the next trace end, flush or the printer thread.
    fn print_waiting(&self) {
        if crate::sink::writing(&self.inner.sink) {
            return;
        }
        let _printing = lock(&self.inner.printing);
        let (evicted, limits) = {
            let mut s = lock(&self.inner.store);
            (s.take_evicted(), s.limits())
        };
        self.print_evicted(&evicted, limits);
    }

    /// After a gathering that took a tree out to make room: wakes the printer thread
    /// (starting it the first time), without waiting for it.
    fn wake_printer(&self) {
        let printer = self.inner.printer.get_or_init(|| start_printer(Arc::downgrade(&self.inner)));
        if let Some(printer) = printer {
            // A wake-up already pending covers this one too.
            let _ = printer.try_send(());
        }
    }
}

/// Starts the thread that prints the trees taken out early whenever it is woken; it ends
/// when the processor is gone (its sender with it). `None` if it could not be started.
fn start_printer(inner: Weak<Inner>) -> Option<SyncSender<()>> {
    let (wake, woken) = sync_channel::<()>(1);
    let spawned = thread::Builder::new().name(TREE_PRINTER_THREAD_NAME.to_owned()).spawn(move || {
        while woken.recv().is_ok() {
            let Some(inner) = inner.upgrade() else { return };
            TreeConsoleProcessor { inner }.print_waiting();
        }
    });
    match spawned {
        Ok(_) => Some(wake),
        Err(e) => {
            log::warn!(
                "[non-fatal] {WHO}: the thread that prints traces taken out early could not be started ({e}); \
                 they are printed at the next trace end, flush or shutdown"
            );
            None
        }
    }
}

impl TracingProcessor for TreeConsoleProcessor {
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        let (refused, evicted, limits) = {
            let mut s = lock(&self.inner.store);
            (s.trace_started(trace).err(), s.has_evicted(), s.limits())
        };
        if let Some(why) = refused {
            self.dropped(why, limits);
        }
        if evicted {
            self.wake_printer();
        }
    }

    /// Prints the trace, after the trees taken out early to make room that still wait.
    fn on_trace_end(&self, trace: &Arc<Trace>) {
        self.print_waiting();
        let (held, limits) = {
            let mut s = lock(&self.inner.store);
            s.trace_ended(trace);
            (s.remove(trace.trace_id()), s.limits())
        };
        if let Some(held) = held {
            self.print(&held, Moment::Ended, limits.max_spans_per_trace);
        }
    }

    fn on_span_start(&self, _span: &Span) {}

    fn on_span_end(&self, span: &Arc<Span>) {
        let (refused, evicted, limits) = {
            let mut s = lock(&self.inner.store);
            (s.span_ended(span).err(), s.has_evicted(), s.limits())
        };
        if let Some(why) = refused {
            self.dropped(why, limits);
        }
        if evicted {
            self.wake_printer();
        }
    }

    /// Prints the trees taken out early to make room that are still waiting; a tree is
    /// otherwise printed when its trace ends, or at shutdown.
    fn force_flush(&self, _timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.print_waiting();
        Ok(())
    }

    /// Prints the traces that have not ended (marked as such), then refuses everything
    /// (spans ending later are counted in
    /// [`spans_dropped_after_shutdown`](TreeStats::spans_dropped_after_shutdown)). A second
    /// call returns [`ProcessorError::AlreadyShutdown`].
    fn shutdown(&self, _timeout: Option<Duration>) -> Result<(), ProcessorError> {
        let (open, limits) = {
            let mut s = lock(&self.inner.store);
            if s.is_closed() {
                return Err(ProcessorError::AlreadyShutdown);
            }
            s.close();
            (s.take_all(), s.limits())
        };
        // Closed: nothing more is taken out early; print what was, then what is open.
        self.print_waiting();
        for held in &open {
            self.print(held, Moment::Shutdown, limits.max_spans_per_trace);
        }
        Ok(())
    }
}

/// Settings of a [`TreeConsoleProcessor`]; from [`TreeConsoleProcessor::builder`].
#[must_use = "a builder does nothing until `build`"]
pub struct TreeConsoleProcessorBuilder {
    sink: Sink,
    color: ColorMode,
    show_data: bool,
    max_spans_per_trace: usize,
    max_open_traces: usize,
}

impl fmt::Debug for TreeConsoleProcessorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let to = match self.sink {
            Sink::Stdout => "stdout",
            Sink::Stderr => "stderr",
            Sink::Buffer(_) => "buffer",
            Sink::Writer(_) => "writer",
        };
        f.debug_struct("TreeConsoleProcessorBuilder")
            .field("to", &to)
            .field("color", &self.color)
            .field("show_data", &self.show_data)
            .field("max_spans_per_trace", &self.max_spans_per_trace)
            .field("max_open_traces", &self.max_open_traces)
            .finish()
    }
}

impl TreeConsoleProcessorBuilder {
    /// Prints to standard output. The default.
    pub fn to_stdout(mut self) -> Self {
        self.sink = Sink::Stdout;
        self
    }

    /// Prints to standard error.
    pub fn to_stderr(mut self) -> Self {
        self.sink = Sink::Stderr;
        self
    }

    /// Prints into an in-memory buffer, read with
    /// [`take_output`](TreeConsoleProcessor::take_output) (for tests).
    pub fn to_buffer(mut self) -> Self {
        self.sink = Sink::Buffer(Vec::new());
        self
    }

    /// Prints to any writer (a file, a socket). With [`ColorMode::Auto`] a writer gets no
    /// colours.
    pub fn to_writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.sink = Sink::Writer(Box::new(writer));
        self
    }

    /// When to colour. Default: [`ColorMode::Auto`] (a terminal, `NO_COLOR` unset).
    pub fn color(mut self, mode: ColorMode) -> Self {
        self.color = mode;
        self
    }

    /// Shows tools' inputs and outputs, custom spans' data and the texts of transcription
    /// and speech spans (`true`), or `[data hidden]` in their place (`false`), whatever the
    /// environment says. Names, models, token counts and errors are shown either way.
    /// Default: the rule of [`ConsoleSpanExporter`](crate::ConsoleSpanExporter), Python's
    /// ([`trace_core::sensitive::data_in_logs`]): hidden unless both
    /// `OPENAI_AGENTS_DONT_LOG_MODEL_DATA` and `OPENAI_AGENTS_DONT_LOG_TOOL_DATA` are `0` or
    /// `false`, read when [`builder`](TreeConsoleProcessor::builder) is called.
    pub fn show_data(mut self, show: bool) -> Self {
        self.show_data = show;
        self
    }

    /// The most spans gathered per trace; later ones are counted and said in the tree.
    /// Default: [`TreeConsoleProcessor::DEFAULT_MAX_SPANS_PER_TRACE`] (1,000).
    pub fn max_spans_per_trace(mut self, max: usize) -> Self {
        self.max_spans_per_trace = max;
        self
    }

    /// The most traces gathered at once (started, not yet ended); a trace starting beyond
    /// it is not printed and its spans are counted as dropped. Default:
    /// [`TreeConsoleProcessor::DEFAULT_MAX_OPEN_TRACES`] (100).
    pub fn max_open_traces(mut self, max: usize) -> Self {
        self.max_open_traces = max;
        self
    }

    /// The processor; fails on a cap of 0.
    pub fn build(self) -> Result<TreeConsoleProcessor, ConfigError> {
        if self.max_spans_per_trace == 0 {
            return Err(ConfigError::ZeroLimit {
                setting: "max_spans_per_trace",
                default: TreeConsoleProcessor::DEFAULT_MAX_SPANS_PER_TRACE,
            });
        }
        if self.max_open_traces == 0 {
            return Err(ConfigError::ZeroLimit {
                setting: "max_open_traces",
                default: TreeConsoleProcessor::DEFAULT_MAX_OPEN_TRACES,
            });
        }
        Ok(self.into_processor())
    }

    fn into_processor(self) -> TreeConsoleProcessor {
        let colors = self.color.resolve(self.sink.is_terminal(), std::env::var_os("NO_COLOR").as_deref());
        let limits = Limits {
            max_traces: self.max_open_traces.max(1),
            max_spans_per_trace: self.max_spans_per_trace.max(1),
            max_spans: self.max_open_traces.max(1).saturating_mul(self.max_spans_per_trace.max(1)),
        };
        TreeConsoleProcessor {
            inner: Arc::new(Inner {
                // A trace never seen to start here is printed early when the store is full.
                store: Mutex::new(Store::new(limits).evicting()),
                sink: Mutex::new(self.sink),
                palette: Palette::new(colors),
                show_data: self.show_data,
                traces_printed: AtomicU64::new(0),
                unfinished_printed: AtomicU64::new(0),
                spans_printed: AtomicU64::new(0),
                spans_in_failed_writes: AtomicU64::new(0),
                write_errors: AtomicU64::new(0),
                drops_log: store::limiter(),
                write_log: store::limiter(),
                printer: OnceLock::new(),
                printing: Mutex::new(()),
            }),
        }
    }
}
