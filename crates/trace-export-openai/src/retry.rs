//! The retry policy of the Python SDK 0.24: which answers are retried, and the backoff
//! between attempts. The mechanics (backoff, `Retry-After` parsing, the stop signal) are
//! trace-http's.

use std::time::Duration;

use trace_http::{Backoff, Jitter, RetryAfterCap};

/// What to do with a response status that is not a success (`>= 300`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatusClass {
    /// 408, 409, 429: transient client errors, retried unless the server forbids it.
    RetryableClient,
    /// Any other 4xx: the request is wrong, never retried.
    Rejected,
    /// 5xx and anything else unexpected (3xx: redirects are not followed): retried unless
    /// the server forbids it.
    Server,
}

/// Classifies a status of 300 or more as the Python SDK does.
pub(crate) fn classify(status: u16) -> StatusClass {
    match status {
        408 | 409 | 429 => StatusClass::RetryableClient,
        400..=499 => StatusClass::Rejected,
        _ => StatusClass::Server,
    }
}

/// Whether an `x-should-retry` header value allows a retry: only `false` (any case,
/// surrounding blanks ignored) forbids it.
pub(crate) fn server_allows_retry(x_should_retry: Option<&str>) -> bool {
    x_should_retry.map_or(true, |v| !v.trim().eq_ignore_ascii_case("false"))
}

/// The Python SDK's backoff: `delay + uniform(0, delay / 10)`, `delay` starting at the base
/// delay and doubling after each sleep up to the maximum. A server's `Retry-After` raises
/// a sleep to at least that long, capped at the maximum delay so a large value cannot
/// stall the exporter.
pub(crate) fn backoff(base: Duration, max: Duration) -> Backoff {
    Backoff::new(base, max, Jitter::Added { fraction: 0.1 }, RetryAfterCap::MaxDelay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_in_python() {
        for s in [408, 409, 429] {
            assert_eq!(classify(s), StatusClass::RetryableClient);
        }
        for s in [400, 401, 403, 404, 413, 422, 499] {
            assert_eq!(classify(s), StatusClass::Rejected);
        }
        for s in [300, 302, 500, 502, 503, 599] {
            assert_eq!(classify(s), StatusClass::Server);
        }
    }

    #[test]
    fn only_false_forbids_a_retry() {
        assert!(server_allows_retry(None));
        assert!(server_allows_retry(Some("true")));
        assert!(server_allows_retry(Some("no")));
        assert!(!server_allows_retry(Some("false")));
        assert!(!server_allows_retry(Some(" FALSE ")));
    }

    #[test]
    fn the_backoff_is_pythons_with_retry_after_capped_at_the_maximum() {
        let mut b = backoff(Duration::from_secs(1), Duration::from_secs(30));
        assert_eq!(b.next_sleep_with(0.5, None), Duration::from_millis(1050));
        assert_eq!(b.next_sleep_with(0.0, Some(Duration::from_secs(3600))), Duration::from_secs(30));
    }
}
