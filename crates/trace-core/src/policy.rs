//! The process-wide production controls read when a trace starts, held in one atomic so
//! that a trace start with none of them set costs one relaxed load: the sensitive-data
//! switch ([`sensitive`](crate::sensitive)) and whether a sampler is installed
//! ([`sampling`](crate::sampling)). Spans never read it: a span follows what its trace
//! decided (the trace record carries the sensitive-data decision; a sampled-out trace's
//! scope makes its spans no-ops). The environment variable behind the sensitive-data
//! switch and the reading of its value live here too, and are public through
//! [`sensitive`](crate::sensitive).

use std::sync::atomic::{AtomicU8, Ordering};

/// The sensitive-data switch has been decided (set, or read from the environment).
const SENSITIVE_KNOWN: u8 = 1;
/// Sensitive data is left out (the switch is off).
const SENSITIVE_OFF: u8 = 2;
/// A global sampler is installed.
const SAMPLER_SET: u8 = 4;

static FLAGS: AtomicU8 = AtomicU8::new(0);

/// What a trace starting now must apply.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AtTraceStart(u8);

impl AtTraceStart {
    /// Whether sensitive data is recorded, unless the trace says otherwise.
    #[inline]
    pub(crate) fn include_sensitive_data(self) -> bool {
        self.0 & SENSITIVE_OFF == 0
    }

    /// Whether a sampler must decide.
    #[inline]
    pub(crate) fn sampler_set(self) -> bool {
        self.0 & SAMPLER_SET != 0
    }
}

/// The controls in force: one relaxed load (the environment is read once, on the first
/// call, unless the switch was set before).
#[inline]
pub(crate) fn at_trace_start() -> AtTraceStart {
    let flags = FLAGS.load(Ordering::Relaxed);
    if flags & SENSITIVE_KNOWN == 0 {
        return AtTraceStart(decide_sensitive_from_env());
    }
    AtTraceStart(flags)
}

/// Whether sensitive data is recorded by default (the global switch).
pub(crate) fn include_sensitive_data() -> bool {
    at_trace_start().include_sensitive_data()
}

/// Sets the sensitive-data switch, overriding the environment.
pub(crate) fn set_include_sensitive_data(include: bool) {
    let off = if include { 0 } else { SENSITIVE_OFF };
    let _ =
        FLAGS.fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| Some((f & !SENSITIVE_OFF) | SENSITIVE_KNOWN | off));
}

/// Marks a sampler as installed or not.
pub(crate) fn set_sampler_flag(set: bool) {
    if set {
        FLAGS.fetch_or(SAMPLER_SET, Ordering::AcqRel);
    } else {
        FLAGS.fetch_and(!SAMPLER_SET, Ordering::AcqRel);
    }
}

/// Reads the environment variable once and records the outcome, unless a setter got
/// there first (the setter wins); returns the flags in force.
#[cold]
#[inline(never)]
fn decide_sensitive_from_env() -> u8 {
    let off = if env_says_include() { 0 } else { SENSITIVE_OFF };
    let updated = FLAGS.fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
        (f & SENSITIVE_KNOWN == 0).then_some(f | SENSITIVE_KNOWN | off)
    });
    match updated {
        Ok(before) => before | SENSITIVE_KNOWN | off,
        Err(current) => current,
    }
}

/// The environment variable of the global switch, read once, lazily.
pub const INCLUDE_SENSITIVE_DATA_ENV: &str = "OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA";

/// What a value of `OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA` means, as in Python:
/// unset is `true`; set, only `1`, `true`, `yes`, `on` (any case, blanks around ignored)
/// are `true`.
pub fn parse_include_sensitive_data(value: Option<&str>) -> bool {
    match value {
        None => true,
        Some(v) => matches!(v.trim().to_lowercase().as_str(), "1" | "true" | "yes" | "on"),
    }
}

/// Reads the variable (a value that is not Unicode means off, as it cannot be one of the
/// words that mean on).
fn env_says_include() -> bool {
    match std::env::var(INCLUDE_SENSITIVE_DATA_ENV) {
        Ok(v) => parse_include_sensitive_data(Some(&v)),
        Err(std::env::VarError::NotPresent) => true,
        Err(std::env::VarError::NotUnicode(_)) => false,
    }
}
