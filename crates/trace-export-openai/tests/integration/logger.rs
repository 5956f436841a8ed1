//! The workspace's capturing logger (`test_support::logcap`), as this crate's tests use
//! it: one logger per test binary, installed once, shared by all tests, filtered by thread.

use test_support::logcap::CrateLog;

/// This crate's lines, and the check that no key was logged (by any thread, at any
/// level: ureq's own debug lines too).
pub(crate) const LOG: CrateLog = CrateLog { target: "trace_export_openai", secret_name: "the key", skip: |_| false };
