//! Per-processor health: panics caught, failures returned, and the rate limit of the
//! log lines about them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use trace_core::panic::Panicked;
use trace_core::rate_limit::LogRateLimiter;

/// How often a panicking processor is reported in the log, at most.
const PANIC_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What a fan-out observed of one of its processors, from
/// [`MultiProcessor::stats`](crate::MultiProcessor::stats).
///
/// Counters follow the processor, not its position: they survive `add`, and `set` keeps
/// them for a processor passed again (the same `Arc`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessorStats {
    /// The processor's position in the fan-out, in registration order (0 is called first).
    pub position: usize,
    /// The processor's type name when it was added by value
    /// ([`add`](crate::MultiProcessor::add)), else `"dyn TracingProcessor"`.
    pub name: &'static str,
    /// Panics caught in any of its methods. Each skipped that one call for this processor
    /// only.
    pub panics: u64,
    /// Errors its [`force_flush`](trace_core::TracingProcessor::force_flush) or
    /// [`shutdown`](trace_core::TracingProcessor::shutdown) returned (panics excluded).
    pub failures: u64,
}

/// The counters of one processor, shared by every list that contains it.
#[derive(Debug)]
pub(crate) struct Health {
    pub(crate) name: &'static str,
    panics: AtomicU64,
    failures: AtomicU64,
    log: LogRateLimiter,
}

impl Health {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            panics: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            log: LogRateLimiter::new(PANIC_LOG_INTERVAL),
        }
    }

    /// Counts a caught panic and logs it, at most once per interval for this processor.
    /// Returns the panic's message.
    #[cold]
    #[inline(never)]
    pub(crate) fn panicked(&self, position: usize, method: &str, panic: Panicked) -> String {
        self.panics.fetch_add(1, Ordering::Relaxed);
        let message = panic.into_message();
        if let Some(suppressed) = self.log.check() {
            log::error!(
                "trace processor #{position} ({}) panicked in {method}: {message} ({suppressed} more panics of this \
                 processor since the last report); the other processors were still called",
                self.name
            );
        }
        message
    }

    pub(crate) fn failed(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, position: usize) -> ProcessorStats {
        ProcessorStats {
            position,
            name: self.name,
            panics: self.panics.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
        }
    }
}
