//! A `log::Log` that keeps every line logged in a test binary, from any thread, with the
//! thread that logged it: to check the lines a test expects, and that no secret was
//! logged. One logger per test binary: installed once, shared by all its tests, filtered
//! by thread or target. Lines are kept in memory (capped at [`MAX_LINES`]).
//!
//! ```
//! use log::Level;
//! use test_support::logcap;
//!
//! assert!(logcap::install());
//! log::warn!(target: "my_exporter::retry", "retrying");
//! assert_eq!(logcap::mine("my_exporter", Level::Warn), ["retrying"]);
//! assert_eq!(logcap::containing("retry").len(), 1);
//! logcap::assert_never_logged("sk-secret", "the key", |_| false);
//! ```

use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;

use log::{Level, Log, Metadata, Record};

/// How many lines are kept at the most; later ones are dropped.
pub const MAX_LINES: usize = 500_000;

/// One captured line.
#[derive(Clone, Debug)]
pub struct Line {
    /// The thread that logged it.
    pub thread: ThreadId,
    /// Its level.
    pub level: Level,
    /// Its target (the module path of the `log!` call, unless it gave one).
    pub target: String,
    /// The message.
    pub text: String,
}

impl Line {
    /// Whether this is one of ureq-proto's TRACE lines, which dump the raw bytes of each
    /// request, headers included, whatever the caller does.
    pub fn is_raw_http_dump(&self) -> bool {
        self.level == Level::Trace && self.target.starts_with("ureq_proto")
    }
}

struct Capture;

static LINES: Mutex<Vec<Line>> = Mutex::new(Vec::new());
static INSTALLED: OnceLock<bool> = OnceLock::new();

impl Log for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        let mut lines = LINES.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() < MAX_LINES {
            lines.push(Line {
                thread: std::thread::current().id(),
                level: record.level(),
                target: record.target().to_owned(),
                text: record.args().to_string(),
            });
        }
    }

    fn flush(&self) {}
}

/// Installs the capturing logger at the most verbose level (so that ureq's own lines are
/// captured and checked too), once per binary. Returns whether this binary's logger is the
/// capturing one (`false` if another logger was installed first).
pub fn install() -> bool {
    *INSTALLED.get_or_init(|| {
        let ok = log::set_logger(&Capture).is_ok();
        if ok {
            log::set_max_level(log::LevelFilter::Trace);
        }
        ok
    })
}

/// Every line logged so far, by any thread.
pub fn all() -> Vec<Line> {
    LINES.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The lines logged so far, by any thread, that contain `needle`.
pub fn containing(needle: &str) -> Vec<Line> {
    all().into_iter().filter(|l| l.text.contains(needle)).collect()
}

/// The texts of the lines `thread` logged.
pub fn by_thread(thread: std::thread::ThreadId) -> Vec<String> {
    all().into_iter().filter(|l| l.thread == thread).map(|l| l.text).collect()
}

/// The texts of the lines this thread logged at `level` from targets starting with
/// `target` (a crate name such as `trace_export_openai`).
pub fn mine(target: &str, level: Level) -> Vec<String> {
    let me = std::thread::current().id();
    all()
        .into_iter()
        .filter(|l| l.thread == me && l.level == level && l.target.starts_with(target))
        .map(|l| l.text)
        .collect()
}

/// Panics if any line, of any thread, holds `secret`, leaving out the lines `skip` picks
/// (such as [`Line::is_raw_http_dump`]); also if nothing was captured at all. `what` names
/// the secret in the message: `a log line holds {what}: ...`.
pub fn assert_never_logged(secret: &str, what: &str, skip: impl Fn(&Line) -> bool) {
    let lines = all();
    assert!(!lines.is_empty(), "the logger captured nothing");
    for l in lines.into_iter().filter(|l| !skip(l)) {
        assert!(!l.text.contains(secret), "a log line holds {what}: {l:?}");
    }
}

/// One crate's tests' view of the capture: the lines of its target, and the secret check
/// with its own wording and exceptions. A test binary keeps one in a `const`.
///
/// ```
/// use log::Level;
/// use test_support::logcap::{CrateLog, Line};
///
/// const LOG: CrateLog = CrateLog { target: "my_exporter", secret_name: "a secret", skip: Line::is_raw_http_dump };
/// LOG.install();
/// log::error!(target: "my_exporter", "export failed");
/// assert_eq!(LOG.mine(Level::Error), ["export failed"]);
/// LOG.assert_never_logged("sk-secret");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct CrateLog {
    /// The start of the crate's targets, such as `trace_export_openai`.
    pub target: &'static str,
    /// How [`assert_never_logged`](Self::assert_never_logged) names the secret it finds
    /// (`the key`).
    pub secret_name: &'static str,
    /// The lines the secret check leaves out, such as [`Line::is_raw_http_dump`].
    pub skip: fn(&Line) -> bool,
}

impl CrateLog {
    /// Installs the capturing logger (see [`install`]); panics if another logger was
    /// installed first in this test binary.
    pub fn install(&self) {
        assert!(install(), "no other logger in this test binary");
    }

    /// The lines this thread logged from the crate at `level` (see [`mine`]).
    pub fn mine(&self, level: Level) -> Vec<String> {
        mine(self.target, level)
    }

    /// Panics if any line, of any thread, holds `secret`, except those `skip` picks (see
    /// [`assert_never_logged`]).
    pub fn assert_never_logged(&self, secret: &str) {
        assert_never_logged(secret, self.secret_name, self.skip);
    }
}
