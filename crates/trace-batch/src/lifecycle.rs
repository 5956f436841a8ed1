//! The processor's lifecycle, in one place: the state machine that producers, callers of
//! flush and shutdown, and the worker thread read and move forward, the flag that calls
//! the exporter's `shutdown` once, and the record of the final drain's abandoned items.
//!
//! ```text
//!            first item                 shutdown                final drain served
//!   Idle ───────────────> Running ──────────────> Closing ─────────────────────> Exited
//!    │  \  spawn failed                   │                       │
//!    │   `───────────────────> Exited     │ a panic escaped the   │
//!    │  shutdown (no worker)              │ worker's loop         │
//!    `───────────────────────> Exited     `───────> Died <────────'
//! ```
//!
//! Producers read the state with one atomic load: they queue in `Running` only, start the
//! worker in `Idle`, and drop (counted as dropped after shutdown) in every other state.
//! Only the worker thread moves the state to `Exited` or `Died`; once there it takes
//! nothing more out of the queue, so [`stats`](crate::BatchTraceProcessor::stats) counts
//! what is still queued then as dropped after shutdown.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Where the processor is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// No item was queued yet: no worker thread.
    Idle,
    /// The worker runs and items are queued.
    Running,
    /// `shutdown` was called; the worker does its final drain.
    Closing,
    /// The worker served its final drain and stopped (or it could never start).
    Exited,
    /// The worker thread ended without its final drain: a panic escaped its loop.
    Died,
}

const IDLE: u8 = 0;
const RUNNING: u8 = 1;
const CLOSING: u8 = 2;
const EXITED: u8 = 3;
const DIED: u8 = 4;

impl State {
    #[inline]
    fn from_u8(v: u8) -> Self {
        match v {
            IDLE => State::Idle,
            RUNNING => State::Running,
            CLOSING => State::Closing,
            EXITED => State::Exited,
            _ => State::Died,
        }
    }
}

/// What a call to `shutdown` finds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Begin {
    /// The first shutdown, the worker running: it is now `Closing`.
    Worker,
    /// The first shutdown, no worker ever started (or it could not start): now `Exited`.
    NoWorker,
    /// The first shutdown, after the worker died.
    Died,
    /// `shutdown` was called before.
    Again,
}

/// The lifecycle state and the once-only steps of the end of a processor's life.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    state: AtomicU8,
    shutdown_called: AtomicBool,
    exporter_shut_down: AtomicBool,
    /// The final drain's abandonment: `None` until done, then how many items it took.
    /// Whoever gets there first (the worker past its deadline, the caller of `shutdown`
    /// whose deadline passed, or the worker sealing it after a complete drain) decides
    /// it, so that one number is reported by everyone.
    abandoned: Mutex<Option<u64>>,
    /// Why the worker died, once it did.
    death: Mutex<Option<String>>,
}

/// Locks `m`, whatever a panic elsewhere left in it (the data it guards stays consistent:
/// every critical section here is a few stores).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Lifecycle {
    /// The current state: one atomic load (the producers' hot path).
    #[inline]
    pub(crate) fn state(&self) -> State {
        State::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Whether the worker takes nothing more out of the queue (`Exited` or `Died`).
    pub(crate) fn worker_gone(&self) -> bool {
        matches!(self.state(), State::Exited | State::Died)
    }

    /// Whether `shutdown` has been called.
    pub(crate) fn shutdown_called(&self) -> bool {
        self.shutdown_called.load(Ordering::Acquire)
    }

    /// `Idle` to `Running`, once the worker thread is spawned (under the processor's
    /// spawn lock).
    pub(crate) fn started(&self) {
        let _ = self.state.compare_exchange(IDLE, RUNNING, Ordering::AcqRel, Ordering::Acquire);
    }

    /// `Idle` to `Exited`: the worker thread could not be spawned.
    pub(crate) fn spawn_failed(&self) {
        let _ = self.state.compare_exchange(IDLE, EXITED, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Records a call to `shutdown` and moves the state on (under the processor's spawn
    /// lock, so that no worker starts meanwhile).
    pub(crate) fn begin_shutdown(&self) -> Begin {
        if self.shutdown_called.swap(true, Ordering::AcqRel) {
            return Begin::Again;
        }
        // Only the worker moves the state away from `Running`/`Closing` besides this call,
        // and only to `Exited` or `Died`: retry if it does so meanwhile.
        loop {
            let current = self.state.load(Ordering::Acquire);
            let (next, begin) = match current {
                IDLE => (EXITED, Begin::NoWorker),
                RUNNING => (CLOSING, Begin::Worker),
                // `Exited` without a shutdown: the worker could not start (or it stopped
                // on its own when every handle was gone).
                EXITED => return Begin::NoWorker,
                CLOSING => return Begin::Again,
                _ => return Begin::Died,
            };
            if self.state.compare_exchange(current, next, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                return begin;
            }
        }
    }

    /// The worker served its final drain: `Exited`.
    pub(crate) fn exited(&self) {
        self.state.store(EXITED, Ordering::Release);
    }

    /// The worker's loop ended without a final drain: `Died`, for `reason`. Producers
    /// stop queueing at once; `settle` (which counts what the worker leaves behind) runs
    /// before anyone can read the reason, so that [`death_reason`](Self::death_reason)
    /// returns once the counts are final.
    pub(crate) fn died(&self, reason: String, settle: impl FnOnce()) {
        let mut death = lock(&self.death);
        self.state.store(DIED, Ordering::Release);
        settle();
        *death = Some(reason);
    }

    /// Why the worker died (empty if it did not); once it has died, returns after what it
    /// left behind is counted.
    pub(crate) fn death_reason(&self) -> String {
        lock(&self.death).clone().unwrap_or_default()
    }

    /// Whether the caller is the first to ask to shut the exporter down (it must then do
    /// it; later callers must not).
    pub(crate) fn claim_exporter_shutdown(&self) -> bool {
        !self.exporter_shut_down.swap(true, Ordering::AcqRel)
    }

    /// Runs `drain` (which takes what is left in the queue and returns how many items) if
    /// no one decided the final drain's abandonment yet, and records its result; returns
    /// the recorded number either way.
    pub(crate) fn abandon_once(&self, drain: impl FnOnce() -> u64) -> u64 {
        let mut record = lock(&self.abandoned);
        *record.get_or_insert_with(drain)
    }

    /// The final drain emptied the queue before any deadline: records that nothing was
    /// abandoned, unless someone already abandoned items (returned then).
    pub(crate) fn seal_abandoned(&self) -> u64 {
        self.abandon_once(|| 0)
    }

    /// How many items the final drain abandoned so far (0 before it).
    pub(crate) fn abandoned(&self) -> u64 {
        lock(&self.abandoned).unwrap_or(0)
    }

    /// Holds the abandonment record while `f` runs (the dying worker empties the queue
    /// under it, so that a caller abandoning at the same time does not count those items
    /// twice); seals it.
    pub(crate) fn with_abandon_lock<R>(&self, f: impl FnOnce() -> R) -> R {
        let mut record = lock(&self.abandoned);
        let r = f();
        record.get_or_insert(0);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_machine_moves_forward_only() {
        let l = Lifecycle::default();
        assert_eq!(l.state(), State::Idle);
        l.started();
        assert_eq!(l.state(), State::Running);
        l.spawn_failed(); // not from `Running`
        assert_eq!(l.state(), State::Running);
        assert_eq!(l.begin_shutdown(), Begin::Worker);
        assert_eq!(l.state(), State::Closing);
        assert!(!l.worker_gone());
        assert_eq!(l.begin_shutdown(), Begin::Again);
        l.exited();
        assert!(l.worker_gone());
        assert_eq!(l.begin_shutdown(), Begin::Again);
    }

    #[test]
    fn shutdown_without_a_worker_and_after_a_death() {
        let l = Lifecycle::default();
        assert_eq!(l.begin_shutdown(), Begin::NoWorker);
        assert_eq!(l.state(), State::Exited);
        l.started(); // too late: stays exited
        assert_eq!(l.state(), State::Exited);

        let l = Lifecycle::default();
        l.spawn_failed();
        assert_eq!(l.begin_shutdown(), Begin::NoWorker);

        let l = Lifecycle::default();
        l.started();
        l.died("boom".into(), || {});
        assert_eq!((l.state(), l.death_reason()), (State::Died, "boom".to_owned()));
        assert_eq!(l.begin_shutdown(), Begin::Died);
        assert_eq!(l.begin_shutdown(), Begin::Again);
    }

    #[test]
    fn the_exporter_shutdown_and_the_abandonment_happen_once() {
        let l = Lifecycle::default();
        assert!(l.claim_exporter_shutdown());
        assert!(!l.claim_exporter_shutdown());
        assert_eq!(l.abandoned(), 0);
        assert_eq!(l.abandon_once(|| 7), 7);
        assert_eq!(l.abandon_once(|| unreachable!("decided already")), 7);
        assert_eq!(l.seal_abandoned(), 7);
        let l = Lifecycle::default();
        assert_eq!(l.seal_abandoned(), 0);
        assert_eq!(l.abandon_once(|| 3), 0);
    }
}
