//! Exponential backoff between attempts, with the jitter and the `Retry-After` bound as
//! parameters: each exporter picks its own.

use std::time::Duration;

/// How each sleep of a [`Backoff`] is drawn around its current delay, `u` being uniform in
/// `[0, 1)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Jitter {
    /// `delay + delay × fraction × u`: up to `fraction` of the delay added on top. The
    /// OpenAI Agents SDK 0.24 (Python) uses `0.1`.
    Added {
        /// The largest share of the delay added, such as `0.1` for 10 %.
        fraction: f64,
    },
    /// `delay × (low + (high − low) × u)`: the delay scaled by a factor drawn from
    /// `[low, high)`. OpenTelemetry exporters commonly use `0.5` to `1.5`.
    Scaled {
        /// The smallest factor.
        low: f64,
        /// The largest factor (excluded).
        high: f64,
    },
}

/// What bounds a sleep that a server's `Retry-After` raised past the backoff's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfterCap {
    /// The backoff's maximum delay, so that a large value cannot stall the caller.
    MaxDelay,
    /// Nothing here: the wait is honoured in full, and the caller's time budget bounds it.
    Budget,
}

/// Exponential backoff: the delay starts at the base delay and doubles after each sleep up
/// to the maximum; each sleep is drawn around it by the [`Jitter`], and raised to at least
/// a server's `Retry-After`, within the [`RetryAfterCap`].
#[derive(Clone, Debug)]
pub struct Backoff {
    delay: Duration,
    max: Duration,
    jitter: Jitter,
    cap: RetryAfterCap,
}

impl Backoff {
    /// A backoff from `base` up to `max`.
    pub fn new(base: Duration, max: Duration, jitter: Jitter, retry_after_cap: RetryAfterCap) -> Self {
        Self { delay: base, max, jitter, cap: retry_after_cap }
    }

    /// The next sleep. A server's `Retry-After` raises it to at least that long, within the
    /// [`RetryAfterCap`].
    pub fn next_sleep(&mut self, retry_after: Option<Duration>) -> Duration {
        self.next_sleep_with(fastrand::f64(), retry_after)
    }

    /// As [`next_sleep`](Self::next_sleep), with the random number in `[0, 1)` given (for
    /// tests).
    pub fn next_sleep_with(&mut self, unit: f64, retry_after: Option<Duration>) -> Duration {
        let mut sleep = match self.jitter {
            Jitter::Added { fraction } => self.delay + self.delay.mul_f64(fraction * unit),
            Jitter::Scaled { low, high } => self.delay.mul_f64(low + (high - low) * unit),
        };
        if let Some(wait) = retry_after {
            sleep = sleep.max(wait);
            if self.cap == RetryAfterCap::MaxDelay {
                sleep = sleep.min(self.max);
            }
        }
        self.delay = self.delay.saturating_mul(2).min(self.max);
        sleep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OpenAI exporter's: the Python SDK 0.24's.
    fn python(base: Duration, max: Duration) -> Backoff {
        Backoff::new(base, max, Jitter::Added { fraction: 0.1 }, RetryAfterCap::MaxDelay)
    }

    /// The OTLP exporter's.
    fn otlp(base: Duration, max: Duration) -> Backoff {
        Backoff::new(base, max, Jitter::Scaled { low: 0.5, high: 1.5 }, RetryAfterCap::Budget)
    }

    #[test]
    fn backoff_doubles_with_up_to_ten_percent_jitter_and_caps() {
        let mut b = python(Duration::from_secs(1), Duration::from_secs(30));
        assert_eq!(b.next_sleep_with(0.0, None), Duration::from_secs(1));
        assert_eq!(b.next_sleep_with(0.5, None), Duration::from_millis(2100));
        assert_eq!(b.next_sleep_with(0.0, None), Duration::from_secs(4));
        for _ in 0..5 {
            b.next_sleep_with(0.0, None);
        }
        // 8, 16, 30 (capped), 30, 30: the delay stays at the maximum, the jitter on top.
        assert_eq!(b.next_sleep_with(0.999, None), Duration::from_secs(30).mul_f64(1.0999));
        let mut b = python(Duration::from_secs(1), Duration::from_secs(30));
        for _ in 0..100 {
            let s = b.next_sleep(None);
            assert!(s <= Duration::from_secs(33), "{s:?}");
        }
    }

    #[test]
    fn retry_after_raises_the_wait_but_not_past_the_maximum() {
        let mut b = python(Duration::from_secs(1), Duration::from_secs(30));
        assert_eq!(b.next_sleep_with(0.0, Some(Duration::from_secs(3))), Duration::from_secs(3));
        // The backoff (2 s) is longer than a 1 s Retry-After: the backoff wins.
        assert_eq!(b.next_sleep_with(0.0, Some(Duration::from_secs(1))), Duration::from_secs(2));
        assert_eq!(b.next_sleep_with(0.0, Some(Duration::from_secs(3600))), Duration::from_secs(30));
    }

    #[test]
    fn backoff_doubles_with_scaled_jitter_and_caps() {
        let mut b = otlp(Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(b.next_sleep_with(0.0, None), Duration::from_millis(500));
        assert_eq!(b.next_sleep_with(0.5, None), Duration::from_secs(2));
        assert_eq!(b.next_sleep_with(0.999, None), Duration::from_secs(4).mul_f64(1.499));
        // 5 s (capped) from now on, jitter on top.
        assert_eq!(b.next_sleep_with(0.5, None), Duration::from_secs(5));
        assert_eq!(b.next_sleep_with(0.5, None), Duration::from_secs(5));
        let mut b = otlp(Duration::from_secs(1), Duration::from_secs(5));
        for _ in 0..100 {
            let s = b.next_sleep(None);
            assert!(s <= Duration::from_millis(7500), "{s:?}");
        }
    }

    #[test]
    fn retry_after_raises_the_wait_without_a_cap() {
        let mut b = otlp(Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(b.next_sleep_with(0.5, Some(Duration::from_secs(3))), Duration::from_secs(3));
        // The backoff (2 s) is longer than a 1 s Retry-After: the backoff wins.
        assert_eq!(b.next_sleep_with(0.5, Some(Duration::from_secs(1))), Duration::from_secs(2));
        assert_eq!(b.next_sleep_with(0.5, Some(Duration::from_secs(60))), Duration::from_secs(60));
    }
}
