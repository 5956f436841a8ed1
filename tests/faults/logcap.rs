//! A `log::Log` that keeps every line logged in this test binary, from any thread, so the
//! suite can look for the API key in it. Installed once; lines are kept in memory (capped).

use std::sync::{Mutex, OnceLock};

use log::{Level, Log, Metadata, Record};

/// One captured line.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub(crate) level: Level,
    pub(crate) target: String,
    pub(crate) text: String,
}

struct Capture;

static LINES: Mutex<Vec<Line>> = Mutex::new(Vec::new());
static INSTALLED: OnceLock<bool> = OnceLock::new();
const MAX_LINES: usize = 500_000;

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        let mut lines = LINES.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() < MAX_LINES {
            lines.push(Line {
                level: record.level(),
                target: record.target().to_owned(),
                text: record.args().to_string(),
            });
        }
    }

    fn flush(&self) {}
}

/// Installs the capturing logger at the most verbose level (ureq's own lines included),
/// once per binary. Returns whether this binary's logger is the capturing one.
pub(crate) fn install() -> bool {
    *INSTALLED.get_or_init(|| {
        let ok = log::set_logger(&Capture).is_ok();
        if ok {
            log::set_max_level(log::LevelFilter::Trace);
        }
        ok
    })
}

/// Every line logged so far.
pub(crate) fn all() -> Vec<Line> {
    LINES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The lines logged so far that contain `needle`.
pub(crate) fn containing(needle: &str) -> Vec<Line> {
    all().into_iter().filter(|l| l.text.contains(needle)).collect()
}
