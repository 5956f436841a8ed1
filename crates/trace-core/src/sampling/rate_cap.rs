//! The cap on traces per second: a token bucket of `n` tokens refilled at `n` per second,
//! kept as one atomic "theoretical arrival time" (the generic cell rate algorithm), so a
//! decision is a load and a compare-and-swap, never a lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A token bucket of `burst` tokens refilled one every `interval`.
#[derive(Debug)]
pub(super) struct RateCap {
    /// Nanoseconds between two tokens: `1 s / per_second`.
    interval: u64,
    /// How far ahead of now the arrival time may run: `(burst - 1) * interval`.
    tolerance: u64,
    /// When the bucket is full again (ns on the sampler's clock): the state.
    full_at: AtomicU64,
}

impl RateCap {
    /// A cap of `per_second` (finite, above zero): bursts of up to `max(1, floor(n))`
    /// traces, `n` per second on average.
    pub(super) fn new(per_second: f64) -> Self {
        let interval = (1e9 / per_second).clamp(1.0, u64::MAX as f64) as u64;
        let burst = per_second.floor().max(1.0).min(u64::MAX as f64) as u64;
        Self { interval, tolerance: interval.saturating_mul(burst - 1), full_at: AtomicU64::new(0) }
    }

    /// Takes a token at time `now` (monotonic, any origin); false when there is none.
    pub(super) fn admit(&self, now: Duration) -> bool {
        let now = u64::try_from(now.as_nanos()).unwrap_or(u64::MAX);
        let mut full_at = self.full_at.load(Ordering::Relaxed);
        loop {
            let base = full_at.max(now);
            if base - now > self.tolerance {
                return false;
            }
            match self.full_at.compare_exchange_weak(
                full_at,
                base.saturating_add(self.interval),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(current) => full_at = current,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn a_burst_of_n_then_n_per_second() {
        let cap = RateCap::new(10.0);
        assert_eq!((0..100).filter(|_| cap.admit(at(1000))).count(), 10, "a full bucket");
        assert!(!cap.admit(at(1050)), "no token 50 ms later");
        assert!(cap.admit(at(1100)), "one token per 100 ms");
        assert!(!cap.admit(at(1100)));
        // Over 10 s at 1,000 offers per second: 10 per second, no more.
        let admitted = (0..10_000u64).filter(|i| cap.admit(at(2000 + i))).count();
        assert!((100..=110).contains(&admitted), "{admitted}");
    }

    #[test]
    fn slow_rates_and_huge_rates() {
        let half = RateCap::new(0.5);
        assert!(half.admit(at(0)));
        assert!(!half.admit(at(1999)));
        assert!(half.admit(at(2000)));
        let huge = RateCap::new(1e12);
        assert!((0..1000).all(|_| huge.admit(at(5))));
    }
}
