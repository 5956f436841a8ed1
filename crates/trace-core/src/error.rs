//! Errors of processors and exporters.

use std::time::Duration;

/// What went wrong in [`force_flush`](crate::TracingProcessor::force_flush) or
/// [`shutdown`](crate::TracingProcessor::shutdown).
#[derive(Debug, thiserror::Error)]
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
#[derive(Debug, thiserror::Error)]
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
}

impl ExportError {
    /// A failure of `failed` items, with a reason for logs.
    pub fn failed(failed: usize, reason: impl Into<String>) -> Self {
        ExportError::Failed { failed, reason: reason.into() }
    }

    /// How many items were lost, at most `batch_len`.
    pub fn lost_items(&self, batch_len: usize) -> usize {
        match self {
            ExportError::ShutDown { items } => (*items).min(batch_len),
            ExportError::Failed { failed, .. } => (*failed).min(batch_len),
        }
    }
}
