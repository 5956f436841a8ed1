//! The stop signal of an exporter: a one-way flag that also cuts a backoff sleep short.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A one-way stop flag that also wakes sleepers at once.
#[derive(Debug, Default)]
pub struct Stop {
    flag: AtomicBool,
    /// How many sleepers wait on `wake` (kept under the lock; read by the tests).
    lock: Mutex<usize>,
    wake: Condvar,
}

impl Stop {
    /// Sets the flag and wakes every sleeper.
    pub fn stop(&self) {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.flag.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    /// Whether [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Sleeps for `duration` unless stopped first. Returns `true` if it was stopped.
    pub fn sleep(&self, duration: Duration) -> bool {
        let now = Instant::now();
        // A duration too large for the clock sleeps until stopped, as good as for ever.
        let deadline = now.checked_add(duration).unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.flag.load(Ordering::SeqCst) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            *guard += 1;
            guard = self.wake.wait_timeout(guard, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
            *guard -= 1;
        }
    }

    /// Test-only: how many sleepers wait for a stop or their deadline now.
    #[cfg(test)]
    fn sleepers(&self) -> usize {
        *self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn stop_wakes_a_sleeper_at_once() {
        let stop = Arc::new(Stop::default());
        assert!(!stop.sleep(Duration::from_millis(1)));
        let s2 = Arc::clone(&stop);
        let (done, woken) = std::sync::mpsc::channel();
        // A sleep only a stop can end: a missed wake-up hangs it, and the guard below
        // fails the test rather than let it pass on a clock comparison.
        std::thread::spawn(move || {
            let _ = done.send(s2.sleep(Duration::MAX));
        });
        // The sleeper counts itself under the lock and releases it only by waiting, so once
        // it is counted, the stop below can only reach it through the wake-up.
        while stop.sleepers() == 0 {
            std::thread::yield_now();
        }
        stop.stop();
        assert_eq!(woken.recv_timeout(Duration::from_secs(60)), Ok(true), "woken by the stop");
        assert!(stop.is_stopped());
        assert!(stop.sleep(Duration::from_secs(30)));
    }
}
