//! The workspace's capturing logger (`test_support::logcap`), as this crate's tests use
//! it: one logger per test binary, installed once, shared by all tests.

use log::Level;
use test_support::logcap::{self, Line};

// Not every test binary that includes this file uses every name.
#[allow(unused_imports)]
pub(crate) use logcap::all;

/// Installs the capturing logger (once per binary), at the most verbose level so that
/// ureq's own lines are checked too.
pub(crate) fn install() {
    assert!(logcap::install(), "no other logger in this test binary");
}

/// The lines this thread logged from this crate at `level`.
pub(crate) fn mine(level: Level) -> Vec<String> {
    logcap::mine("trace_export_otlp", level)
}

/// Panics if any line, of any thread, holds `secret`.
///
/// Except ureq-proto's TRACE lines: at that level it dumps the raw bytes of each request,
/// headers included, whatever the exporter does (see the crate docs, "Security").
pub(crate) fn assert_never_logged(secret: &str) {
    logcap::assert_never_logged(secret, "a secret", Line::is_raw_http_dump);
}
