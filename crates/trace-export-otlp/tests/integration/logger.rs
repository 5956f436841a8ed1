//! The workspace's capturing logger (`test_support::logcap`), as this crate's tests use
//! it: one logger per test binary, installed once, shared by all tests.

use test_support::logcap::{CrateLog, Line};

/// This crate's lines, and the check that no secret was logged, except in ureq-proto's
/// TRACE lines: at that level it dumps the raw bytes of each request, headers included,
/// whatever the exporter does (see the crate docs, "Security").
pub(crate) const LOG: CrateLog =
    CrateLog { target: "trace_export_otlp", secret_name: "a secret", skip: Line::is_raw_http_dump };
