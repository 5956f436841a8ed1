//! A gate an exporter waits at (on its worker thread) until the producer opens it: the
//! `--queued-memory` mode of both benchmark binaries holds every span in the queue with it.
//! Shared by `benches/e2e.rs` and `benches/otel` (included with `#[path]`).

use std::sync::{Condvar, Mutex};

/// Closed until [`open`](Self::open); [`wait`](Self::wait) blocks until then.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    /// Blocks until the gate is open.
    pub(crate) fn wait(&self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = self.opened.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Opens the gate for every waiter, now and later.
    pub(crate) fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }
}
