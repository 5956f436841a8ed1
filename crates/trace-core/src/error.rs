//! Errors of processors and exporters.

use std::time::Duration;

/// What went wrong in [`force_flush`](crate::TracingProcessor::force_flush) or
/// [`shutdown`](crate::TracingProcessor::shutdown).
///
/// `Clone`, so that a fan-out can keep and hand on the errors of its processors as they
/// are.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessorError {
    /// The operation did not finish within its timeout. Items may still be delivered
    /// later by a background worker; call again or give a longer timeout.
    #[error("did not finish within {0:?}; items still queued may be delivered later")]
    Timeout(Duration),
    /// The processor was already shut down; a second shutdown does nothing.
    #[error("the processor was already shut down")]
    AlreadyShutdown,
    /// The background worker is gone (it could not be started or it stopped).
    #[error("the background worker is not running: {0}")]
    WorkerUnavailable(String),
    /// A shutdown's deadline passed while items were still queued: those items were never
    /// handed to the exporter and are counted as lost. Returned by that `shutdown`, and by
    /// a `force_flush` whose items were among them.
    #[error(
        "the shutdown deadline passed with {items} item(s) still queued: they were not exported and are counted \
         as lost; give shutdown a longer timeout, or flush before shutting down, to export them"
    )]
    Abandoned {
        /// How many queued items were abandoned at the deadline.
        items: u64,
    },
    /// The background worker thread ended without its final export (a bug: a panic
    /// escaped it). The items it held or that were still queued are counted as lost, and
    /// items offered afterwards are dropped.
    #[error(
        "the background worker thread died ({reason}); {items} queued item(s) were lost with it and later items \
         are dropped. This is a bug, please report it; install a new processor to keep tracing"
    )]
    WorkerDied {
        /// How many queued items were lost when it died.
        items: u64,
        /// What killed it (the panic's message).
        reason: String,
    },
    /// `force_flush` was called on the processor's own worker thread or one of its export
    /// helpers (from its exporter), where it would wait for itself.
    #[error(
        "force_flush was called on one of the processor's own export threads (from its exporter?), where it would \
         wait for itself; call it from another thread"
    )]
    OnWorkerThread,
    /// Several processors of a fan-out failed; each entry is the processor's position
    /// (in registration order) and its error.
    #[error("{} processor(s) failed: {}", .0.len(), describe(.0))]
    Several(Vec<(usize, ProcessorError)>),
    /// A processor panicked; the panic was caught.
    #[error("the processor panicked: {0}")]
    Panicked(String),
    /// Another failure, described.
    #[error("{0}")]
    Other(String),
}

fn describe(errors: &[(usize, ProcessorError)]) -> String {
    errors.iter().map(|(i, e)| format!("#{i}: {e}")).collect::<Vec<_>>().join("; ")
}

/// What went wrong in [`export`](crate::TracingExporter::export).
///
/// Messages must never contain an API key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The exporter was shut down; nothing more is sent.
    #[error("the exporter is shut down; {items} item(s) not exported")]
    ShutDown {
        /// How many items of the batch were not exported.
        items: usize,
    },
    /// Some or all items of the batch were not delivered.
    #[error("{failed} item(s) not delivered: {reason}")]
    Failed {
        /// How many items of the batch were not delivered.
        failed: usize,
        /// Why, for logs.
        reason: String,
    },
    /// The exporter is not set up to send these items (the OpenAI exporter without an API
    /// key) and has said so once already, in a warning that tells how to fix it. The
    /// items are lost and counted; processors count them without logging each batch
    /// ([`should_log`](Self::should_log) is `false`).
    #[error("{items} item(s) not exported: {reason}")]
    NotConfigured {
        /// How many items of the batch were not exported.
        items: usize,
        /// Why, for logs at `debug` level.
        reason: String,
    },
}

impl ExportError {
    /// A failure of `failed` items, with a reason for logs.
    pub fn failed(failed: usize, reason: impl Into<String>) -> Self {
        ExportError::Failed { failed, reason: reason.into() }
    }

    /// How many items were lost, at most `batch_len`.
    pub fn lost_items(&self, batch_len: usize) -> usize {
        match self {
            ExportError::ShutDown { items } | ExportError::NotConfigured { items, .. } => (*items).min(batch_len),
            ExportError::Failed { failed, .. } => (*failed).min(batch_len),
        }
    }

    /// Whether a processor should log this failure (rate-limited, as every failure):
    /// `false` for [`NotConfigured`](Self::NotConfigured), which the exporter reported once
    /// already; processors still count its items as lost.
    pub fn should_log(&self) -> bool {
        !matches!(self, ExportError::NotConfigured { .. })
    }
}
