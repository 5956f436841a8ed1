//! Resuming a saved trace: the key check, and the trace guard that never announces.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::context;
use crate::rate_limit::LogRateLimiter;
use crate::registry;
use crate::secret::ApiKey;
use crate::trace::Trace;
use crate::trace_guard::TraceGuard;

use super::fingerprint::Mismatch;
use super::TraceState;

static MISMATCHES: AtomicU64 = AtomicU64::new(0);
static MISMATCH_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

/// How many resumes since the process started were given a key that did not match the
/// saved fingerprint ([`ResumeBuilder::start`] started those traces afresh,
/// [`ResumeBuilder::try_start`] returned the error).
pub fn key_mismatches() -> u64 {
    MISMATCHES.load(Ordering::Relaxed)
}

/// Why a saved trace could not be resumed as it was: the key given to
/// [`ResumeBuilder::tracing_api_key`] does not match what the state says of the trace's
/// key. Returned by [`ResumeBuilder::try_start`]; [`ResumeBuilder::start`] starts the
/// trace afresh instead (see the [module docs](super#the-key)).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResumeError {
    /// The trace had a per-trace key and none was given.
    #[error(
        "the trace was saved with a tracing API key and none was given to resume it; give the same key to \
         ResumeBuilder::tracing_api_key"
    )]
    KeyMissing,
    /// A key was given but the trace had none (it was exported with the exporter's key).
    #[error(
        "a tracing API key was given but the trace was saved without one (it used the exporter's key); resume it \
         without a key, or use `start` to start it afresh under the new key"
    )]
    UnexpectedKey,
    /// The key given is not the trace's key.
    #[error(
        "the tracing API key given does not match the one the trace was saved with; give the same key, or use \
         `start` to start the trace afresh under this key"
    )]
    WrongKey,
    /// The state holds a fingerprint this crate cannot check (the Python SDK's SHA-256
    /// `tracing_api_key_hash`, or an unknown scheme).
    #[error(
        "the saved state holds a key fingerprint this library cannot check (such as the Python SDK's SHA-256); \
         save the state with this library, or use `start` to start the trace afresh under the key given"
    )]
    UncheckableFingerprint,
}

impl From<Mismatch> for ResumeError {
    fn from(m: Mismatch) -> Self {
        match m {
            Mismatch::KeyMissing => ResumeError::KeyMissing,
            Mismatch::UnexpectedKey => ResumeError::UnexpectedKey,
            Mismatch::WrongKey => ResumeError::WrongKey,
            Mismatch::Uncheckable => ResumeError::UncheckableFingerprint,
        }
    }
}

/// Resumes a saved trace: made by [`TraceState::resume`]. See the [module docs](super).
///
/// ```
/// use trace_core::{trace, ResumeError, TraceState};
///
/// let saved = {
///     let run = trace("wf").tracing_api_key("sk-a").start();
///     TraceState::from_parent(&run.as_parent()).to_json_string()
/// };
/// let state = TraceState::from_json_str(&saved)?;
/// assert_eq!(state.resume().tracing_api_key("sk-b").try_start().unwrap_err(), ResumeError::WrongKey);
/// let resumed = state.resume().tracing_api_key("sk-a").try_start().unwrap();
/// assert!(resumed.is_resumed());
/// # Ok::<(), trace_core::TraceStateError>(())
/// ```
#[must_use = "a resume builder does nothing until `start` or `try_start`"]
pub struct ResumeBuilder {
    state: TraceState,
    key: Option<ApiKey>,
}

impl fmt::Debug for ResumeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResumeBuilder").field("state", &self.state).field("tracing_api_key", &self.key).finish()
    }
}

/// What a resume comes to before anything starts.
enum Outcome {
    /// Tracing is off here, or the state is a no-op one.
    NoOp,
    /// The key matches: the trace goes on, unannounced.
    Resumed(TraceGuard),
    /// The key does not match: the trace to start afresh, and why.
    Mismatch(Trace, ResumeError),
}

impl ResumeBuilder {
    pub(super) fn new(state: TraceState) -> Self {
        Self { state, key: None }
    }

    /// The per-trace tracing API key the trace was started with, given again (it is never
    /// saved); checked against the saved fingerprint. Default: none, which matches a trace
    /// that had no per-trace key (an empty key counts as none). Never logged.
    pub fn tracing_api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Resumes the trace and makes it current; the guard leaves it when dropped.
    ///
    /// With the right key, the trace goes on with its id, its data and the saved span as
    /// the parent of new spans, and processors are told nothing of its start or end
    /// ([`TraceGuard::is_resumed`] is true). On a key mismatch it does what the Python SDK
    /// does: it starts the trace afresh under the key given (same id, workflow name, group
    /// id, metadata; no parent span) and announces it, counts the mismatch
    /// ([`key_mismatches`]) and logs a warning without the key. With tracing disabled, or
    /// from a no-op state, the trace is a no-op.
    pub fn start(self) -> TraceGuard {
        let mut guard = match self.outcome() {
            Outcome::NoOp => TraceGuard::new(None),
            Outcome::Resumed(guard) => guard,
            Outcome::Mismatch(trace, error) => {
                if let Some(suppressed) = MISMATCH_LOG.check() {
                    log::warn!(
                        "resuming trace {}: {error}. It starts afresh under the key given, and is announced again \
                         ({suppressed} more such warnings held back)",
                        trace.trace_id()
                    );
                }
                TraceGuard::new(Some(Arc::new(trace)))
            }
        };
        guard.start();
        guard
    }

    /// As [`start`](Self::start), but a key mismatch is an error and nothing starts
    /// (the mismatch is still counted in [`key_mismatches`]).
    pub fn try_start(self) -> Result<TraceGuard, ResumeError> {
        let mut guard = match self.outcome() {
            Outcome::NoOp => TraceGuard::new(None),
            Outcome::Resumed(guard) => guard,
            Outcome::Mismatch(_, error) => return Err(error),
        };
        guard.start();
        Ok(guard)
    }

    fn outcome(self) -> Outcome {
        let Some(identity) = &self.state.trace else { return Outcome::NoOp };
        if registry::is_tracing_disabled() {
            return Outcome::NoOp;
        }
        if context::current_trace().is_some() {
            log::warn!("a trace is already current; resuming another, but this is probably a mistake");
        }
        let mut trace = identity.identity();
        trace.tracing_api_key = self.key.clone().filter(|k| !k.is_empty());
        // The resuming process's switch (the saved state does not carry it).
        trace.include_sensitive_data = crate::policy::include_sensitive_data();
        match self.state.key.matches(self.key.as_ref()) {
            Ok(()) => Outcome::Resumed(TraceGuard::resumed(Arc::new(trace), self.state.parent_span_id.clone())),
            Err(mismatch) => {
                MISMATCHES.fetch_add(1, Ordering::Relaxed);
                Outcome::Mismatch(trace, mismatch.into())
            }
        }
    }
}
