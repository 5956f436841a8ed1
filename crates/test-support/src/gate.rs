//! A gate that test doubles block on until the test opens it: how a test holds an export,
//! a flush or a `Drop` "for ever", as far as the code under test knows, and lets it go
//! once it has checked what it wanted to.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use test_support::gate::Gate;
//!
//! let gate = Arc::new(Gate::default());
//! let g = Arc::clone(&gate);
//! let blocked = std::thread::spawn(move || g.wait());
//! assert!(gate.wait_entered(Duration::from_secs(60)), "the thread reached the gate");
//! gate.open();
//! blocked.join().unwrap();
//! assert_eq!(gate.entered(), 1);
//! ```

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Closed until [`open`](Gate::open)ed; [`wait`](Gate::wait) blocks while it is closed.
#[derive(Debug, Default)]
pub struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    open: bool,
    /// Calls of `wait` so far, blocked or let through.
    entered: u64,
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts this call as entered, then blocks until the gate is open.
    pub fn wait(&self) {
        let mut state = self.lock();
        state.entered += 1;
        self.changed.notify_all();
        while !state.open {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Waits until some call has entered [`wait`](Gate::wait), up to `bound` (a guard
    /// against hanging, not a measurement); returns whether one has.
    pub fn wait_entered(&self, bound: Duration) -> bool {
        let state = self.lock();
        let (state, _) =
            self.changed.wait_timeout_while(state, bound, |s| s.entered == 0).unwrap_or_else(|e| e.into_inner());
        state.entered > 0
    }

    /// Waits until `n` calls have entered [`wait`](Gate::wait), up to `bound` (a guard
    /// against hanging, not a measurement); returns whether they have.
    pub fn wait_entered_n(&self, n: u64, bound: Duration) -> bool {
        let state = self.lock();
        let (state, _) =
            self.changed.wait_timeout_while(state, bound, |s| s.entered < n).unwrap_or_else(|e| e.into_inner());
        state.entered >= n
    }

    /// How many calls have entered [`wait`](Gate::wait) so far.
    pub fn entered(&self) -> u64 {
        self.lock().entered
    }

    /// Opens the gate: every blocked call returns, and later ones pass.
    pub fn open(&self) {
        self.lock().open = true;
        self.changed.notify_all();
    }
}
