//! The OTLP/HTTP retry policy: which answers are retried, and the backoff between
//! attempts. The mechanics (backoff, `Retry-After` parsing, the stop signal) are
//! trace-http's.

use std::time::Duration;

use trace_http::{Backoff, Jitter, RetryAfterCap};

/// Whether a status that is not a success (outside 200..=299) may succeed on a retry.
///
/// The OTLP specification lists 429, 502, 503 and 504 as retryable; every other status
/// (400, 401, 403, 404, 413, 500, a redirect, ...) means the same request would fail again.
pub(crate) fn is_retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Exponential backoff with jitter: each sleep is drawn uniformly between half and one and
/// a half times the current delay, which starts at the base delay and doubles after each
/// sleep up to the maximum. A server's `Retry-After` raises a sleep to at least that long
/// (uncapped: the export budget bounds it).
pub(crate) fn backoff(base: Duration, max: Duration) -> Backoff {
    Backoff::new(base, max, Jitter::Scaled { low: 0.5, high: 1.5 }, RetryAfterCap::Budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_statuses_otlp_names_are_retried() {
        for s in [429, 502, 503, 504] {
            assert!(is_retryable(s), "{s}");
        }
        for s in [300, 307, 400, 401, 403, 404, 408, 413, 500, 501, 505] {
            assert!(!is_retryable(s), "{s}");
        }
    }

    #[test]
    fn the_backoff_spreads_half_to_one_and_a_half_and_leaves_retry_after_uncapped() {
        let mut b = backoff(Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(b.next_sleep_with(0.0, None), Duration::from_millis(500));
        assert_eq!(b.next_sleep_with(0.5, Some(Duration::from_secs(60))), Duration::from_secs(60));
    }
}
