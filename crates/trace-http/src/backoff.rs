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
            Jitter::Added { fraction } => self.delay.saturating_add(scaled(self.delay, fraction * unit)),
            Jitter::Scaled { low, high } => scaled(self.delay, low + (high - low) * unit),
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

/// `d × factor`, saturating at [`Duration::MAX`] (a huge delay from a builder must not
/// panic as `Duration::mul_f64` would).
fn scaled(d: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;
    const MS: fn(u64) -> Duration = Duration::from_millis;

    /// The OpenAI exporter's: the Python SDK 0.24's.
    fn python() -> Backoff {
        Backoff::new(S(1), S(30), Jitter::Added { fraction: 0.1 }, RetryAfterCap::MaxDelay)
    }

    /// The OTLP exporter's.
    fn otlp() -> Backoff {
        Backoff::new(S(1), S(5), Jitter::Scaled { low: 0.5, high: 1.5 }, RetryAfterCap::Budget)
    }

    /// Draws the sleeps of `steps` (`u`, `Retry-After`, the expected sleep) in order.
    fn check(name: &str, mut backoff: Backoff, steps: &[(f64, Option<Duration>, Duration)]) {
        for (i, &(unit, retry_after, expected)) in steps.iter().enumerate() {
            assert_eq!(backoff.next_sleep_with(unit, retry_after), expected, "{name}, sleep {i}");
        }
    }

    #[test]
    fn backoff_doubles_with_its_jitter_and_caps() {
        // 1, 2, 4, 8, 16, then 30 (capped) from now on: the delay stays at the maximum, the
        // jitter on top.
        let python_steps = [
            (0.0, None, S(1)),
            (0.5, None, MS(2100)),
            (0.0, None, S(4)),
            (0.0, None, S(8)),
            (0.0, None, S(16)),
            (0.0, None, S(30)),
            (0.0, None, S(30)),
            (0.0, None, S(30)),
            (0.999, None, S(30).mul_f64(1.0999)),
        ];
        check("python", python(), &python_steps);
        // 5 s (capped) from the fourth sleep on, jitter on top.
        let otlp_steps = [
            (0.0, None, MS(500)),
            (0.5, None, S(2)),
            (0.999, None, S(4).mul_f64(1.499)),
            (0.5, None, S(5)),
            (0.5, None, S(5)),
        ];
        check("otlp", otlp(), &otlp_steps);
    }

    #[test]
    fn random_sleeps_stay_within_the_maximum_and_its_jitter() {
        for (name, mut backoff, bound) in [("python", python(), S(33)), ("otlp", otlp(), MS(7500))] {
            for _ in 0..100 {
                let s = backoff.next_sleep(None);
                assert!(s <= bound, "{name}: {s:?}");
            }
        }
    }

    #[test]
    fn retry_after_raises_the_wait_within_the_cap() {
        // The backoff (2 s) is longer than a 1 s Retry-After: the backoff wins. A long
        // Retry-After is cut to the maximum (python) or honoured in full (otlp).
        let python_steps = [(0.0, Some(S(3)), S(3)), (0.0, Some(S(1)), S(2)), (0.0, Some(S(3600)), S(30))];
        check("python", python(), &python_steps);
        check("otlp", otlp(), &[(0.5, Some(S(3)), S(3)), (0.5, Some(S(1)), S(2)), (0.5, Some(S(60)), S(60))]);
    }

    #[test]
    fn a_huge_delay_saturates_instead_of_panicking() {
        for jitter in [Jitter::Added { fraction: 0.1 }, Jitter::Scaled { low: 0.5, high: 1.5 }] {
            let mut b = Backoff::new(Duration::MAX, Duration::MAX, jitter, RetryAfterCap::MaxDelay);
            assert!(b.next_sleep_with(0.99, Some(Duration::MAX)) >= Duration::from_secs(u64::MAX / 2));
        }
    }
}
