//! [`HtmlWaterfallExporter`]: writes a self-contained HTML page of the run, or one per
//! trace.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use trace_core::rate_limit::LogRateLimiter;
use trace_core::{ExportError, ExportItem, Timestamp, Trace, TraceId, TracingExporter};

use crate::error::{ConfigError, HtmlError};
use crate::html_data::PageData;
use crate::html_page;
use crate::stats::HtmlStats;
use crate::store::{self, lock, DropCounts, Held, Limits, Store};

const WHO: &str = "HtmlWaterfallExporter";

/// Where the pages go.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Output {
    /// One page for the run, at this path.
    Run(PathBuf),
    /// One page per trace, in this directory.
    PerTrace(PathBuf),
}

/// Writes one self-contained HTML file (CSS, script and data inline; nothing fetched) with
/// a waterfall of the spans: the traces listed with their workflow name, duration and
/// error count; for the trace chosen, its spans on a time axis as a tree that folds; a
/// click on a span shows its exported JSON. A trace of 10,000 spans stays quick: only the
/// rows in view are in the page's DOM.
///
/// Two layouts:
/// - [`run_file`](Self::run_file): one page for the whole run, written at
///   [`shutdown`](TracingExporter::shutdown) (the batch processor's, or
///   `trace_core::shutdown()`), and whenever [`write`](Self::write) is called. Spans stay
///   held until then (bounded by the caps below).
/// - [`per_trace`](Self::per_trace): one page per trace in a directory, written when the
///   trace ends (named after the trace id: `trace_<hex>.html`), its spans then released;
///   traces not ended are written at shutdown.
///
/// Use it under [`SimpleTraceProcessor`](trace_core::SimpleTraceProcessor) (receiving a
/// span is a short critical section; a per-trace page is then written on the thread that
/// ends the trace) or under the batch processor (everything on its worker). It
/// [wants trace ends](TracingExporter::wants_trace_ends), to know when a trace is over:
/// an [`ExportItem::TraceEnd`] (a trace whose start never came, refused by a cap or lost
/// on the way, is held from its end on, room permitting, marked as its start not seen). A
/// trace never offered at its end is written at shutdown, marked as not ended.
///
/// Caps: [`max_traces`](HtmlWaterfallExporterBuilder::max_traces),
/// [`max_spans_per_trace`](HtmlWaterfallExporterBuilder::max_spans_per_trace) and
/// [`max_spans`](HtmlWaterfallExporterBuilder::max_spans); what they leave out is counted
/// in [`stats`](Self::stats), logged (rate-limited) and said on the page.
///
/// The page holds every span's exported JSON, model inputs and outputs and tool
/// arguments included (the `OPENAI_AGENTS_DONT_LOG_*` flags, which hide data in the
/// console viewers' output, do not apply to this file; recording with sensitive data off
/// does). On Unix a page is created readable and writable by its owner only (mode 0600).
///
/// Clones share the gathered spans.
#[derive(Clone)]
pub struct HtmlWaterfallExporter {
    inner: Arc<Inner>,
}

struct Inner {
    output: Output,
    title: String,
    store: Mutex<Store>,
    /// Held from the copy of what is held to the last rename of a write: a page written
    /// from an older copy never replaces a newer one (`write` racing a trace's end or the
    /// shutdown). Taken after `store` is let go, never with it held; on a span's path
    /// never, but a trace's end that writes its page (per-trace pages, under the simple
    /// processor: the application's thread) waits for a `write` in progress. It guards
    /// what was written of the traces taken out of the store.
    io: Mutex<Written>,
    /// Test only: `write` says it has copied what is held, then waits for a go.
    #[cfg(test)]
    pause_after_copy: Mutex<Option<(std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<()>)>>,
    pages_written: AtomicU64,
    spans_in_pages: AtomicU64,
    spans_in_failed_pages: AtomicU64,
    write_errors: AtomicU64,
    drops_log: LogRateLimiter,
    write_log: LogRateLimiter,
}

impl fmt::Debug for HtmlWaterfallExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HtmlWaterfallExporter")
            .field("output", &self.inner.output)
            .field("title", &self.inner.title)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl HtmlWaterfallExporter {
    /// The default of [`title`](HtmlWaterfallExporterBuilder::title).
    pub const DEFAULT_TITLE: &'static str = "agents-tracing run";
    /// The default of [`max_traces`](HtmlWaterfallExporterBuilder::max_traces).
    pub const DEFAULT_MAX_TRACES: usize = 1_000;
    /// The default of [`max_spans_per_trace`](HtmlWaterfallExporterBuilder::max_spans_per_trace).
    pub const DEFAULT_MAX_SPANS_PER_TRACE: usize = 50_000;
    /// The default of [`max_spans`](HtmlWaterfallExporterBuilder::max_spans).
    pub const DEFAULT_MAX_SPANS: usize = 200_000;

    /// A builder for one page for the whole run, written to `path` (an `.html` file; its
    /// directory is created if missing).
    pub fn run_file(path: impl Into<PathBuf>) -> HtmlWaterfallExporterBuilder {
        HtmlWaterfallExporterBuilder::new(Output::Run(path.into()))
    }

    /// A builder for one page per trace, written into `dir` (created if missing) when the
    /// trace ends, named after the trace id: `trace_<hex>.html`; a custom id's name is the
    /// id with characters other than ASCII letters, digits, `-` and `_` replaced by `_`,
    /// cut to 100 characters, then `-` and 8 hex digits of its hash (so that two custom ids
    /// practically never share a file: the hash has 32 bits). A trace held again after its
    /// page was written (a span of it ended after its end) gets a page of its own,
    /// `trace_<hex>-2.html` and so on, for the ids of the last `max_traces` traces written.
    pub fn per_trace(dir: impl Into<PathBuf>) -> HtmlWaterfallExporterBuilder {
        HtmlWaterfallExporterBuilder::new(Output::PerTrace(dir.into()))
    }

    /// The file (one page per run) or directory (one page per trace) written to.
    pub fn path(&self) -> &Path {
        match &self.inner.output {
            Output::Run(p) | Output::PerTrace(p) => p,
        }
    }

    /// Writes the pages now, and returns their paths: with one page per run, the run's
    /// page of everything received so far (it is written again, complete, at shutdown);
    /// with one page per trace, the pages of the traces that have not ended yet (those
    /// that ended were written then). The spans stay held.
    ///
    /// A file is written next to its final name and then renamed over it, so that a
    /// reader never sees half a page.
    pub fn write(&self) -> Result<Vec<PathBuf>, HtmlError> {
        let mut io = lock(&self.inner.io);
        let (held, drops, limits) = {
            let s = lock(&self.inner.store);
            if s.is_closed() {
                return Err(HtmlError::ShutDown);
            }
            (s.snapshot(), s.drops(), s.limits())
        };
        #[cfg(test)]
        if let Some((copied, go)) = lock(&self.inner.pause_after_copy).take() {
            let _ = copied.send(());
            let _ = go.recv();
        }
        self.write_pages(&mut io, &held, drops, limits, false)
    }

    /// Writes the run's page of `held`, or the page of each trace of `held` that has not
    /// ended; `release` says whether the spans are let go afterwards (for the counts).
    /// Every page is attempted; the first failure is returned.
    fn write_pages(
        &self,
        written: &mut Written,
        held: &[Held],
        drops: DropCounts,
        limits: Limits,
        release: bool,
    ) -> Result<Vec<PathBuf>, HtmlError> {
        let spans_of = |h: &Held| if release { h.spans.len() as u64 } else { 0 };
        match &self.inner.output {
            Output::Run(path) => {
                let page = self.page(held, limits, drops.traces, drops.spans());
                let released = held.iter().map(spans_of).sum();
                self.write_file(path, &page, released).map(|()| vec![path.clone()])
            }
            Output::PerTrace(dir) => {
                let mut paths = Vec::new();
                let mut first_error = None;
                for h in held.iter().filter(|h| !h.ended) {
                    match self.write_trace_page(written, dir, h, limits, drops.traces, release) {
                        Ok(path) => paths.push(path),
                        Err(e) => {
                            first_error.get_or_insert(e);
                        }
                    }
                }
                first_error.map_or(Ok(paths), Err)
            }
        }
    }

    /// Writes the page of the whole run (everything received so far, as
    /// [`write`](Self::write) would with one page per run) to any writer.
    pub fn render(&self, out: &mut dyn Write) -> Result<(), HtmlError> {
        let (held, drops, limits) = {
            let s = lock(&self.inner.store);
            (s.snapshot(), s.drops(), s.limits())
        };
        let page = self.page(&held, limits, drops.traces, drops.spans());
        let mut buffered = BufWriter::new(out);
        html_page::write(&mut buffered, &page).and_then(|()| buffered.flush()).map_err(HtmlError::Write)?;
        self.inner.pages_written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// What the exporter did so far.
    pub fn stats(&self) -> HtmlStats {
        let i = &self.inner;
        let (traces, spans, drops) = {
            let s = lock(&i.store);
            (s.traces_held() as u64, s.spans_held() as u64, s.drops())
        };
        HtmlStats {
            traces_held: traces,
            spans_held: spans,
            pages_written: i.pages_written.load(Ordering::Relaxed),
            spans_in_pages: i.spans_in_pages.load(Ordering::Relaxed),
            spans_in_failed_pages: i.spans_in_failed_pages.load(Ordering::Relaxed),
            write_errors: i.write_errors.load(Ordering::Relaxed),
            ..HtmlStats::default()
        }
        .with_drops(drops)
    }

    fn page<'a>(&'a self, held: &'a [Held], limits: Limits, dropped_traces: u64, dropped_spans: u64) -> PageData<'a> {
        PageData {
            title: &self.inner.title,
            traces: held,
            limits,
            dropped_traces,
            dropped_spans,
            generated_at: Timestamp::now(),
        }
    }

    /// Writes the page of one trace into `dir`, with the traces dropped run-wide. With
    /// `taken_out` (the trace left the store: ended, taken out to make room, or at
    /// shutdown), its spans are counted as written or failed with it and the trace is
    /// remembered in `written`, so that the same id held again later gets a page of its
    /// own.
    fn write_trace_page(
        &self,
        written: &mut Written,
        dir: &Path,
        held: &Held,
        limits: Limits,
        dropped_traces: u64,
        taken_out: bool,
    ) -> Result<PathBuf, HtmlError> {
        let id = held.trace.trace_id();
        let path = dir.join(file_name(id, written.before(id) + 1));
        let released = if taken_out {
            written.taken_out(id);
            held.spans.len() as u64
        } else {
            0
        };
        let one = std::slice::from_ref(held);
        let page = self.page(one, limits, dropped_traces, held.dropped);
        self.write_file(&path, &page, released).map(|()| path)
    }

    /// Writes `page` to `path` through a temporary file next to it; counts and logs the
    /// outcome.
    fn write_file(&self, path: &Path, page: &PageData<'_>, released: u64) -> Result<(), HtmlError> {
        let i = &self.inner;
        match write_atomically(path, page) {
            Ok(()) => {
                i.pages_written.fetch_add(1, Ordering::Relaxed);
                i.spans_in_pages.fetch_add(released, Ordering::Relaxed);
                Ok(())
            }
            Err(source) => {
                i.write_errors.fetch_add(1, Ordering::Relaxed);
                i.spans_in_failed_pages.fetch_add(released, Ordering::Relaxed);
                let err = HtmlError::File { path: path.to_owned(), source };
                if let Some(more) = i.write_log.check() {
                    log::warn!("[non-fatal] {WHO}: {err} ({more} more failures since the last warning)");
                }
                Err(err)
            }
        }
    }

    /// A trace's end ([`ExportItem::TraceEnd`]). Returns the trace taken out of the store
    /// when pages are per trace.
    fn trace_end(&self, s: &mut Store, trace: &Arc<Trace>) -> Option<Held> {
        if !s.trace_end_received(trace) {
            return None;
        }
        match self.inner.output {
            Output::PerTrace(_) => s.remove(trace.trace_id()),
            Output::Run(_) => None,
        }
    }
}

impl TracingExporter for HtmlWaterfallExporter {
    /// Gathers the items (a short critical section); with one page per trace, writes the
    /// page of each trace that ended, after the lock is released. Always `Ok`: what the
    /// caps leave out and failed writes are counted in [`stats`](Self::stats) instead
    /// (the spans were received; they are not lost in transit).
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        let mut ended = Vec::new();
        let mut drops = Vec::new();
        let (limits, dropped_traces) = {
            let mut s = lock(&self.inner.store);
            for item in items {
                match item {
                    ExportItem::Trace(t) => drops.extend(s.trace_started(t).err()),
                    ExportItem::TraceEnd(t) => ended.extend(self.trace_end(&mut s, t)),
                    ExportItem::Span(span) => drops.extend(s.span_ended(span).err()),
                }
            }
            ended.extend(s.take_evicted());
            (s.limits(), s.drops().traces)
        };
        for why in drops {
            store::warn_dropped(&self.inner.drops_log, WHO, why, limits);
        }
        if let (Output::PerTrace(dir), false) = (&self.inner.output, ended.is_empty()) {
            let mut io = lock(&self.inner.io);
            for held in &ended {
                // Counted and logged by write_file.
                let _ = self.write_trace_page(&mut io, dir, held, limits, dropped_traces, true);
            }
        }
        Ok(())
    }

    /// Writes the pages (the run's page, or the pages of the traces not ended) and
    /// refuses what comes later (counted). Failures are counted and logged; call
    /// [`write`](Self::write) before shutdown to get them as a `Result`.
    fn shutdown(&self) {
        let mut io = lock(&self.inner.io);
        let (held, drops, limits) = {
            let mut s = lock(&self.inner.store);
            if s.is_closed() {
                return;
            }
            s.close();
            (s.take_all(), s.drops(), s.limits())
        };
        // Counted and logged by write_file.
        let _ = self.write_pages(&mut io, &held, drops, limits, true);
    }

    fn wants_trace_ends(&self) -> bool {
        true
    }
}

/// The page's file name for a trace id: `trace_<32 hex>.html` for an id of the generated
/// form. A custom id may hold anything: its characters other than ASCII letters, digits,
/// `-` and `_` become `_`, it is cut to 100 characters, and `-` and 8 hex digits of its
/// hash follow, so that two ids practically never share a file through what was replaced or cut, or
/// through case on a file system that ignores it, and no name is one that Windows
/// reserves for a device (`CON`, `NUL`, ...).
///
/// The `n`th page of an id (a trace held again after its page was written: a span of it
/// ended after its end) is named with `-n` before `.html`.
fn file_name(id: &TraceId, n: u32) -> String {
    let stem = match id.as_u128() {
        Some(v) => format!("trace_{v:032x}"),
        None => {
            let text = id.to_string();
            let kept: String = text
                .chars()
                .take(100)
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
                .collect();
            // The 128-bit FNV-1a of the id's text (its W3C form), folded to 32 bits: a
            // change in the last characters reaches only some of its bits.
            let h = id.to_w3c();
            format!("{kept}-{:08x}", (h ^ (h >> 32) ^ (h >> 64) ^ (h >> 96)) as u32)
        }
    };
    if n > 1 {
        format!("{stem}-{n}.html")
    } else {
        format!("{stem}.html")
    }
}

/// How many pages were written for each trace id taken out of the store (ended, taken
/// out to make room, or at shutdown), for the ids of the last `cap` such traces: a trace
/// held again later gets page `n + 1` rather than replacing page `n` (an id forgotten
/// meanwhile starts again at the first name).
#[derive(Default)]
struct Written {
    pages: HashMap<TraceId, u32>,
    order: VecDeque<TraceId>,
    cap: usize,
}

impl Written {
    fn new(cap: usize) -> Self {
        Self { cap, ..Self::default() }
    }

    /// Pages written so far for `id` as taken out.
    fn before(&self, id: &TraceId) -> u32 {
        self.pages.get(id).copied().unwrap_or(0)
    }

    fn taken_out(&mut self, id: &TraceId) {
        let n = self.pages.entry(id.clone()).or_insert(0);
        *n = n.saturating_add(1);
        if *n == 1 {
            self.order.push_back(id.clone());
            if self.order.len() > self.cap {
                if let Some(oldest) = self.order.pop_front() {
                    self.pages.remove(&oldest);
                }
            }
        }
    }
}

/// Writes the page next to `path` under a name of its own, then renames it over `path`:
/// a reader never sees half a page. The temporary name is unique to this write (process id
/// and a counter) and created exclusively (`create_new` follows no symbolic link), so two
/// writers of one page (`write` while the worker writes the same trace) never share it.
fn write_atomically(path: &Path, page: &PageData<'_>) -> io::Result<()> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(path.file_name().unwrap_or_default());
    tmp_name.push(format!(".{}.{}.tmp", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed)));
    let tmp = path.with_file_name(tmp_name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    // The page holds every span's data: for its owner's eyes only.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = options.open(&tmp).and_then(|file| {
        let mut out = BufWriter::new(file);
        html_page::write(&mut out, page)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    let result = result.and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Settings of an [`HtmlWaterfallExporter`]; from
/// [`run_file`](HtmlWaterfallExporter::run_file) or
/// [`per_trace`](HtmlWaterfallExporter::per_trace).
#[derive(Debug)]
#[must_use = "a builder does nothing until `build`"]
pub struct HtmlWaterfallExporterBuilder {
    output: Output,
    title: String,
    max_traces: usize,
    max_spans_per_trace: usize,
    max_spans: usize,
}

impl HtmlWaterfallExporterBuilder {
    fn new(output: Output) -> Self {
        Self {
            output,
            title: HtmlWaterfallExporter::DEFAULT_TITLE.to_owned(),
            max_traces: HtmlWaterfallExporter::DEFAULT_MAX_TRACES,
            max_spans_per_trace: HtmlWaterfallExporter::DEFAULT_MAX_SPANS_PER_TRACE,
            max_spans: HtmlWaterfallExporter::DEFAULT_MAX_SPANS,
        }
    }

    /// The page's title. Default: [`HtmlWaterfallExporter::DEFAULT_TITLE`]
    /// (`"agents-tracing run"`).
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// The most traces held at once; later traces are counted and left out. Default:
    /// [`HtmlWaterfallExporter::DEFAULT_MAX_TRACES`] (1,000).
    pub fn max_traces(mut self, max: usize) -> Self {
        self.max_traces = max;
        self
    }

    /// The most spans held per trace; later ones are counted and left out (the page says
    /// how many). Default: [`HtmlWaterfallExporter::DEFAULT_MAX_SPANS_PER_TRACE`] (50,000).
    pub fn max_spans_per_trace(mut self, max: usize) -> Self {
        self.max_spans_per_trace = max;
        self
    }

    /// The most spans held in all. Default: [`HtmlWaterfallExporter::DEFAULT_MAX_SPANS`]
    /// (200,000: a page of about 100 MB; a page of 10,000 spans is about 5 MB).
    pub fn max_spans(mut self, max: usize) -> Self {
        self.max_spans = max;
        self
    }

    /// The exporter; fails on an empty path or a cap of 0. Touches no file: the
    /// directory is created when the first page is written.
    pub fn build(self) -> Result<HtmlWaterfallExporter, ConfigError> {
        let path = match &self.output {
            Output::Run(p) | Output::PerTrace(p) => p,
        };
        if path.as_os_str().is_empty() {
            return Err(ConfigError::EmptyPath);
        }
        for (setting, value, default) in [
            ("max_traces", self.max_traces, HtmlWaterfallExporter::DEFAULT_MAX_TRACES),
            ("max_spans_per_trace", self.max_spans_per_trace, HtmlWaterfallExporter::DEFAULT_MAX_SPANS_PER_TRACE),
            ("max_spans", self.max_spans, HtmlWaterfallExporter::DEFAULT_MAX_SPANS),
        ] {
            if value == 0 {
                return Err(ConfigError::ZeroLimit { setting, default });
            }
        }
        let limits = Limits {
            max_traces: self.max_traces,
            max_spans_per_trace: self.max_spans_per_trace,
            max_spans: self.max_spans,
        };
        // One page per trace: a trace this process never saw start (resumed, or continued
        // from another process) never ends here either; its page is written early when
        // the store is full rather than filling it for good.
        let store = match self.output {
            Output::PerTrace(_) => Store::new(limits).evicting(),
            Output::Run(_) => Store::new(limits),
        };
        Ok(HtmlWaterfallExporter {
            inner: Arc::new(Inner {
                output: self.output,
                title: self.title,
                io: Mutex::new(Written::new(limits.max_traces)),
                #[cfg(test)]
                pause_after_copy: Mutex::new(None),
                store: Mutex::new(store),
                pages_written: AtomicU64::new(0),
                spans_in_pages: AtomicU64::new(0),
                spans_in_failed_pages: AtomicU64::new(0),
                write_errors: AtomicU64::new(0),
                drops_log: store::limiter(),
                write_log: store::limiter(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;
    use trace_core::{CustomSpanData, Span, SpanId};

    #[test]
    fn a_page_written_from_an_older_copy_never_replaces_a_newer_one() {
        let dir = std::env::temp_dir().join(format!("html-race-{}", std::process::id()));
        let e = HtmlWaterfallExporter::per_trace(&dir).build().unwrap();
        let trace = Arc::new(Trace::new(TraceId::from_u128(7), "w"));
        let span = Arc::new(Span::new(SpanId::from_u128(1), Arc::clone(&trace), None, CustomSpanData::default()));
        e.export(&[ExportItem::Trace(Arc::clone(&trace)), ExportItem::Span(span)]).unwrap();
        // `write` copies the trace, not ended, and pauses; the trace then ends on another
        // thread, whose complete page must be the one left.
        let (copied_tx, copied) = mpsc::channel();
        let (go, go_rx) = mpsc::channel();
        *lock(&e.inner.pause_after_copy) = Some((copied_tx, go_rx));
        std::thread::scope(|s| {
            let writer = s.spawn(|| e.write().unwrap());
            copied.recv().unwrap();
            let (done_tx, done) = mpsc::channel();
            let (e, end) = (&e, ExportItem::TraceEnd(Arc::clone(&trace)));
            s.spawn(move || {
                e.export(&[end]).unwrap();
                let _ = done_tx.send(());
            });
            // With the pages' lock the end's page waits for `write`, and the bounded wait
            // passes; without it the end's page is written first, and `write`'s older copy
            // would replace it. Either way the verdict below does not depend on time.
            let _ = done.recv_timeout(Duration::from_millis(200));
            go.send(()).unwrap();
            writer.join().unwrap();
        });
        let page = std::fs::read_to_string(dir.join(file_name(trace.trace_id(), 1))).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(page.contains(r#""ended":true"#), "the trace's last page is kept");
    }

    #[test]
    fn file_names_keep_ids_and_tell_custom_ones_apart() {
        let name = |id: &str| file_name(&TraceId::from_string(id), 1);
        let generated = "trace_0af7651916cd43dd8448eb211c80319c";
        assert_eq!(name(generated), format!("{generated}.html"));
        let traversal = name("../../etc/passwd");
        assert!(traversal.starts_with("______etc_passwd-") && traversal.ends_with(".html"), "{traversal}");
        assert_eq!(traversal.len(), "______etc_passwd-".len() + 8 + ".html".len());
        assert!(name("").starts_with('-'), "{}", name(""));
        let long = "x".repeat(500);
        assert_eq!(name(&long).len(), 100 + 1 + 8 + 5);
        // Ids that the cleaning, the cut or the case would merge get names of their own.
        for (a, b) in [("a/b", "a_b"), ("T1", "t1"), (&*format!("{long}1"), &*format!("{long}2"))] {
            assert_ne!(name(a).to_lowercase(), name(b).to_lowercase(), "{a} {b}");
        }
        assert_ne!(name("CON").to_lowercase(), "con.html");
        // The same id always gets the same name.
        assert_eq!(name("trace_custom"), name("trace_custom"));
    }
}
