//! A `log::Log` that records every line, with the thread that logged it. One logger per
//! test binary: installed once, shared by all tests.

use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;

use log::{Level, Log, Metadata, Record};

/// One captured line.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub(crate) thread: ThreadId,
    pub(crate) level: Level,
    pub(crate) target: String,
    pub(crate) text: String,
}

struct Capture;

static LINES: Mutex<Vec<Line>> = Mutex::new(Vec::new());
static INSTALLED: OnceLock<()> = OnceLock::new();

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        let line = Line {
            thread: std::thread::current().id(),
            level: record.level(),
            target: record.target().to_owned(),
            text: record.args().to_string(),
        };
        LINES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
    }

    fn flush(&self) {}
}

/// Installs the capturing logger (once per binary), at the most verbose level so that
/// ureq's own lines are checked too.
pub(crate) fn install() {
    INSTALLED.get_or_init(|| {
        log::set_logger(&Capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// Every line logged so far, by any thread.
pub(crate) fn all() -> Vec<Line> {
    LINES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The lines this thread logged from this crate at `level`.
pub(crate) fn mine(level: Level) -> Vec<String> {
    let me = std::thread::current().id();
    all()
        .into_iter()
        .filter(|l| l.thread == me && l.level == level && l.target.starts_with("trace_export_otlp"))
        .map(|l| l.text)
        .collect()
}

/// Panics if any line, of any thread, holds `secret`.
///
/// Except ureq-proto's TRACE lines: at that level it dumps the raw bytes of each request,
/// headers included, whatever the exporter does (see the crate docs, "Security").
pub(crate) fn assert_never_logged(secret: &str) {
    let lines = all();
    assert!(!lines.is_empty(), "the logger captured nothing");
    for l in lines.into_iter().filter(|l| !(l.level == Level::Trace && l.target.starts_with("ureq_proto"))) {
        assert!(!l.text.contains(secret), "a log line holds a secret: {l:?}");
    }
}
