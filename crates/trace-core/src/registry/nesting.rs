//! The bound on processor calls nested in one another on one thread: a processor whose
//! `on_span_end` starts a span of its own is called again for that span, and one that does
//! so every time would recurse until the stack overflows (an abort no `catch_unwind`
//! catches). Past [`MAX_PROCESSOR_NESTING`] calls deep, the event is not dispatched; it is
//! counted and logged instead.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::rate_limit::LogRateLimiter;

/// How many processor calls may be nested on one thread (the application's event is the
/// first): a processor's own span, and a span of that span's processor, still reach the
/// processors; past this depth an event goes to none.
///
/// Starts and ends are cut one by one: a processor that starts a span at the bound and
/// ends it nearer the application's level sees the end without the start (and the other
/// way round). The workspace's processors act on ends and take an end without its start;
/// a processor of your own that pairs them should too.
pub const MAX_PROCESSOR_NESTING: u32 = 8;

static SKIPPED: AtomicU64 = AtomicU64::new(0);
static SKIPPED_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

/// Counts an event not dispatched because it came [`MAX_PROCESSOR_NESTING`] processor
/// calls deep, and logs it (rate-limited).
#[cold]
#[inline(never)]
pub(super) fn skip() {
    SKIPPED.fetch_add(1, Ordering::Relaxed);
    if let Some(held_back) = SKIPPED_LOG.check() {
        log::error!(
            "[non-fatal] tracing: a trace or span event came {MAX_PROCESSOR_NESTING} processor calls deep (a processor \
             that starts spans for the spans it sees?); it was not dispatched ({held_back} more since the last report)"
        );
    }
}

/// How many trace and span events were not dispatched because they came more than
/// [`MAX_PROCESSOR_NESTING`] processor calls deep, since the process started.
pub fn nested_events_skipped() -> u64 {
    SKIPPED.load(Ordering::Relaxed)
}
