//! A fan-out's `force_flush` and `shutdown`: every processor of a list in order, each
//! with the time left, on a helper thread when there is a deadline, so that a processor
//! that ignores its timeout cannot hold the caller.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use trace_core::panic::isolate;
use trace_core::{ProcessorError, TracingProcessor};

use crate::slot::{List, Slot};

/// Runs `call` (`force_flush` or `shutdown`, named `method`) on each processor of `list` in
/// order with the time left of `timeout`; `skip_when_late` leaves out (and reports) those
/// reached after it. Panics are caught and counted in `panics`.
pub(crate) fn run(
    list: List,
    method: &'static str,
    timeout: Option<Duration>,
    skip_when_late: bool,
    call: fn(&dyn TracingProcessor, Option<Duration>) -> Result<(), ProcessorError>,
    panics: Arc<AtomicU64>,
) -> Result<(), ProcessorError> {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let run = Run { list, timeout, deadline, skip_when_late, method, call, panics };
    let errors = match (timeout, deadline) {
        (Some(t), Some(deadline)) if !run.list.is_empty() => run.bounded(t, deadline),
        // No bound (or a timeout too large for the clock): on this thread.
        _ => run.all(|_, _| {}),
    };
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ProcessorError::Several(errors))
    }
}

/// One `force_flush` or `shutdown` of every processor of a list, in order.
struct Run {
    list: List,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    skip_when_late: bool,
    method: &'static str,
    call: fn(&dyn TracingProcessor, Option<Duration>) -> Result<(), ProcessorError>,
    panics: Arc<AtomicU64>,
}

/// The name of the helper thread that runs a bounded `force_flush` or `shutdown`.
const CONTROL_THREAD_NAME: &str = "trace-multi-control";

/// How long past the deadline a bounded `force_flush` or `shutdown` still waits for the
/// processors: one that honours its timeout returns about at the deadline, and its own
/// answer is better than a guess.
const GRACE: Duration = Duration::from_millis(100);

impl Run {
    /// Calls each processor in turn; `done(position, error)` is told after each. Returns
    /// the errors by position.
    fn all(&self, done: impl Fn(usize, Option<&ProcessorError>)) -> Vec<(usize, ProcessorError)> {
        let mut errors = Vec::new();
        for (position, slot) in self.list.iter().enumerate() {
            let error = self.one(position, slot);
            done(position, error.as_ref());
            if let Some(e) = error {
                errors.push((position, e));
            }
        }
        errors
    }

    fn one(&self, position: usize, slot: &Slot) -> Option<ProcessorError> {
        let remaining = match (self.timeout, self.deadline) {
            (Some(_), Some(deadline)) => Some(deadline.saturating_duration_since(Instant::now())),
            // A timeout too large for the clock: no bound.
            _ => None,
        };
        if self.skip_when_late && remaining == Some(Duration::ZERO) {
            return Some(ProcessorError::Timeout(self.timeout.unwrap_or_default()));
        }
        match isolate(|| (self.call)(&*slot.processor, remaining)) {
            Ok(Ok(())) => None,
            Ok(Err(e)) => {
                slot.health.failed();
                Some(e)
            }
            Err(panic) => {
                self.panics.fetch_add(1, Ordering::Relaxed);
                let message = slot.health.panicked(position, self.method, panic);
                Some(ProcessorError::Panicked(message))
            }
        }
    }

    /// [`all`](Self::all) on a helper thread, waited for until `deadline`.
    fn bounded(self, timeout: Duration, deadline: Instant) -> Vec<(usize, ProcessorError)> {
        let len = self.list.len();
        let method = self.method;
        let progress = Arc::new(Progress::default());
        let helper = Arc::clone(&progress);
        let run = Arc::new(self);
        let on_helper = Arc::clone(&run);
        let spawned = std::thread::Builder::new().name(CONTROL_THREAD_NAME.to_owned()).spawn(move || {
            // Errors are reported as they happen, so that those of processors that did
            // finish are known even if a later one never returns.
            on_helper.all(|position, error| {
                helper.update(|p| {
                    p.finished = position + 1;
                    if let Some(e) = error {
                        p.errors.push((position, e.clone()));
                    }
                })
            });
        });
        if spawned.is_err() {
            // No thread to be had: on this thread, unbounded if a processor misbehaves.
            return run.all(|_, _| {});
        }
        let deadline = deadline.checked_add(GRACE).unwrap_or(deadline);
        let mut state = progress.lock();
        loop {
            if state.finished == len {
                return std::mem::take(&mut state.errors);
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = progress.wait(state, deadline - now);
        }
        let stuck = state.finished;
        let mut errors = std::mem::take(&mut state.errors);
        drop(state);
        log::warn!(
            "[non-fatal] tracing: {method} of trace processor #{stuck} did not return within {timeout:?}; it and the \
             processors after it (up to #{}) are reported as timed out",
            len - 1
        );
        errors.extend((stuck..len).map(|position| (position, ProcessorError::Timeout(timeout))));
        errors
    }
}

/// What the helper thread of a bounded run has done so far.
#[derive(Default)]
struct Progress {
    state: std::sync::Mutex<ProgressState>,
    changed: std::sync::Condvar,
}

#[derive(Default)]
struct ProgressState {
    /// How many processors have returned (or were skipped), in order.
    finished: usize,
    /// Their errors, by position.
    errors: Vec<(usize, ProcessorError)>,
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut ProgressState)) {
        f(&mut self.lock());
        self.changed.notify_all();
    }

    fn wait<'a>(
        &self,
        guard: std::sync::MutexGuard<'a, ProgressState>,
        timeout: Duration,
    ) -> std::sync::MutexGuard<'a, ProgressState> {
        self.changed.wait_timeout(guard, timeout).unwrap_or_else(|e| e.into_inner()).0
    }
}
