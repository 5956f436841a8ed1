//! The count of processor panics the registry caught: on the span path, in a flush or
//! shutdown, and on the `trace-retire` thread.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::panic::Panicked;
use crate::rate_limit::LogRateLimiter;

static PANICS: AtomicU64 = AtomicU64::new(0);
static PANIC_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

/// Counts a processor panic caught on the span path or on `trace-retire`, and logs it
/// (rate-limited).
#[cold]
pub(super) fn count_and_log(panic: &Panicked) {
    count();
    if let Some(suppressed) = PANIC_LOG.check() {
        log::error!(
            "trace processor panicked: {panic} ({suppressed} more panics since the last report); the event was skipped"
        );
    }
}

/// Counts a processor panic that the caller reports itself (as an error it returns).
pub(super) fn count() {
    PANICS.fetch_add(1, Ordering::Relaxed);
}

/// How many processor panics the registry caught since the process started.
pub fn processor_panics() -> u64 {
    PANICS.load(Ordering::Relaxed)
}
