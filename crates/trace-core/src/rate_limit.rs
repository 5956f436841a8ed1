//! A rate limit for warnings, so that a burst of failures logs a few lines instead of one
//! per span (the Python SDK logs one line per dropped span: tens of thousands in a burst).
//!
//! For authors of processors and exporters: every crate of the workspace logs its
//! repeated warnings (dropped spans, failed exports, panics) through [`LogRateLimiter`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::clock::monotonic_nanos;

/// Lets one event through per interval and counts the ones it holds back.
///
/// ```
/// use std::time::Duration;
/// use trace_core::rate_limit::LogRateLimiter;
///
/// static DROPS: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));
/// for _ in 0..1000 {
///     if let Some(suppressed) = DROPS.check() {
///         log::warn!("queue full, dropping span ({suppressed} more since the last warning)");
///     }
/// }
/// assert_eq!(DROPS.pending(), 999);
/// ```
#[derive(Debug)]
pub struct LogRateLimiter {
    interval_nanos: u64,
    /// Monotonic time (ns since first use, plus one) of the last event let through; 0 = never.
    last: AtomicU64,
    suppressed: AtomicU64,
}

impl LogRateLimiter {
    /// A limiter letting one event through per `interval`.
    pub const fn new(interval: Duration) -> Self {
        let nanos = interval.as_nanos();
        Self {
            interval_nanos: if nanos > u64::MAX as u128 { u64::MAX } else { nanos as u64 },
            last: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// Records an event. Returns `Some(n)` when it should be logged, `n` being how many
    /// events were held back since the last one logged; `None` when it should not.
    pub fn check(&self) -> Option<u64> {
        self.check_at(monotonic_nanos())
    }

    /// [`check`](Self::check) at `now`, nanoseconds on a monotonic clock.
    fn check_at(&self, now: u64) -> Option<u64> {
        let now = now.saturating_add(1);
        let last = self.last.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= self.interval_nanos;
        if due && self.last.compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            Some(self.suppressed.swap(0, Ordering::AcqRel))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }

    /// Events held back since the last one let through (for a summary at shutdown).
    pub fn pending(&self) -> u64 {
        self.suppressed.load(Ordering::Acquire)
    }

    /// Takes the count of events held back, resetting it.
    pub fn take_pending(&self) -> u64 {
        self.suppressed.swap(0, Ordering::AcqRel)
    }
}

/// `log::warn!`, at most once per 10 s for this call site, with the count of what was
/// held back since: for misuse that code can repeat in a loop on a span's path (a span
/// finished twice, a trace started inside another).
macro_rules! warn_limited {
    ($($message:tt)+) => {{
        static LIMIT: $crate::rate_limit::LogRateLimiter =
            $crate::rate_limit::LogRateLimiter::new(::std::time::Duration::from_secs(10));
        if let Some(held_back) = LIMIT.check() {
            ::log::warn!("{} ({held_back} more since the last warning)", format_args!($($message)+));
        }
    }};
}
pub(crate) use warn_limited;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_event_passes_then_holds_back_until_the_interval() {
        let ms = 1_000_000;
        let l = LogRateLimiter::new(Duration::from_millis(50));
        assert_eq!(l.check_at(1_000 * ms), Some(0));
        for i in 0..10 {
            assert_eq!(l.check_at(1_000 * ms + i * 4 * ms), None, "within the interval");
        }
        assert_eq!(l.check_at(1_049 * ms), None, "just short of it");
        assert_eq!(l.check_at(1_050 * ms), Some(11), "then the count held back");
        assert_eq!(l.pending(), 0);
        assert_eq!(l.check_at(1_060 * ms), None, "the interval counts from there");
    }
}
