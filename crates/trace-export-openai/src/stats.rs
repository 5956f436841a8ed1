//! What became of every item handed to the exporter: delivered, or lost for a reason.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a [`BackendSpanExporter`](crate::BackendSpanExporter)'s counters, from
/// [`stats`](crate::BackendSpanExporter::stats).
///
/// Every item passed to [`export`](trace_core::TracingExporter::export) is counted exactly
/// once, when that call returns: either [`delivered`](Self::delivered) or in one of the
/// loss counters, so that `items passed == delivered + lost()`. The number of items an
/// `export` call reports lost in its [`ExportError`](trace_core::ExportError) is the sum of
/// the loss counters it added to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExporterStats {
    /// Items in a request the server answered with a success status (2xx).
    pub delivered: u64,
    /// Items in a request the server refused without a retry: a 4xx other than 408, 409
    /// and 429, or any retryable status with `x-should-retry: false`.
    pub rejected_by_server: u64,
    /// Items in a request that failed on every attempt (5xx, 408/409/429, transport
    /// errors, timeouts), `max_retries` attempts in all.
    pub retries_exhausted: u64,
    /// Items in a request given up because the export's time budget ran out.
    pub budget_exhausted: u64,
    /// Items not sent because no API key was found.
    pub no_api_key: u64,
    /// Items not sent, or given up mid-retry, because the exporter was shut down.
    pub shut_down: u64,
    /// Items left out of their request because their JSON is larger than
    /// [`max_item_bytes`](crate::BackendSpanExporterBuilder::max_item_bytes); the rest
    /// of the batch is sent.
    pub too_large: u64,
    /// Items left out of their request because they could not be serialized, or in a
    /// request that could not be built (a header value ureq refuses); not retried.
    pub unsendable: u64,
    /// HTTP requests made (attempts, retries included).
    pub requests: u64,
}

impl ExporterStats {
    /// All items lost, whatever the reason.
    pub fn lost(&self) -> u64 {
        self.rejected_by_server
            + self.retries_exhausted
            + self.budget_exhausted
            + self.no_api_key
            + self.shut_down
            + self.too_large
            + self.unsendable
    }
}

/// The live counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) delivered: AtomicU64,
    pub(crate) rejected_by_server: AtomicU64,
    pub(crate) retries_exhausted: AtomicU64,
    pub(crate) budget_exhausted: AtomicU64,
    pub(crate) no_api_key: AtomicU64,
    pub(crate) shut_down: AtomicU64,
    pub(crate) too_large: AtomicU64,
    pub(crate) unsendable: AtomicU64,
    pub(crate) requests: AtomicU64,
}

pub(crate) fn add(counter: &AtomicU64, n: usize) {
    if n > 0 {
        counter.fetch_add(n as u64, Ordering::AcqRel);
    }
}

impl Counters {
    /// The counter for the items of a request that failed this way.
    pub(crate) fn for_failure(&self, failure: &crate::error::GroupFailure) -> &AtomicU64 {
        use crate::error::GroupFailure as F;
        match failure {
            F::NoApiKey => &self.no_api_key,
            F::Rejected { .. } | F::RetryForbidden { .. } => &self.rejected_by_server,
            F::RetriesExhausted { .. } => &self.retries_exhausted,
            F::BudgetExhausted { .. } => &self.budget_exhausted,
            F::BadRequest(_) => &self.unsendable,
            F::ShutDown => &self.shut_down,
        }
    }

    pub(crate) fn snapshot(&self) -> ExporterStats {
        let get = |c: &AtomicU64| c.load(Ordering::Acquire);
        ExporterStats {
            delivered: get(&self.delivered),
            rejected_by_server: get(&self.rejected_by_server),
            retries_exhausted: get(&self.retries_exhausted),
            budget_exhausted: get(&self.budget_exhausted),
            no_api_key: get(&self.no_api_key),
            shut_down: get(&self.shut_down),
            too_large: get(&self.too_large),
            unsendable: get(&self.unsendable),
            requests: get(&self.requests),
        }
    }
}
