//! What became of every item an HTTP exporter was given: delivered, or lost for a reason.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::failure::SendFailure;

/// A snapshot of an HTTP exporter's counters (`stats()` on the OpenAI and OTLP exporters).
///
/// Every item passed to `export` is counted exactly once, when that call returns: either
/// [`delivered`](Self::delivered) or in one of the loss counters, so that
/// `items passed == delivered + lost()`. The number of items an `export` call reports lost
/// in its `ExportError` is the sum of the loss counters it added to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExporterStats {
    /// Items in a request the server accepted (2xx). For OTLP, items it did not reject in
    /// a partial success; trace items, which OTLP has no record for, count as delivered
    /// with their spans.
    pub delivered: u64,
    /// Items the server refused without a retry: a status the exporter's policy does not
    /// retry, a retryable one with `x-should-retry: false`, or rejected in an OTLP partial
    /// success.
    pub rejected_by_server: u64,
    /// Items in a request whose answer was larger than the exporter reads (OTLP: 4 MiB),
    /// which the OTLP specification says to treat as a failure, not retried.
    pub reply_too_large: u64,
    /// Items in a request that failed on every attempt.
    pub retries_exhausted: u64,
    /// Items in a request given up because the export's time budget ran out.
    pub budget_exhausted: u64,
    /// Items not sent because no API key was found (the OpenAI exporter).
    pub no_api_key: u64,
    /// Items not sent, or given up mid-retry, because the exporter was shut down.
    pub shut_down: u64,
    /// Items left out of their request because their JSON is larger than the exporter's
    /// `max_item_bytes` (the rest of the batch is sent), or in a request whose body is
    /// larger than the OTLP exporter's `max_request_bytes` (not sent).
    pub too_large: u64,
    /// Items left out because they could not be serialized, or in a request that could not
    /// be built; not retried.
    pub unsendable: u64,
    /// HTTP requests made (attempts, retries included).
    pub requests: u64,
}

impl ExporterStats {
    /// All items lost, whatever the reason.
    pub fn lost(&self) -> u64 {
        self.rejected_by_server
            + self.reply_too_large
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
    delivered: AtomicU64,
    rejected_by_server: AtomicU64,
    reply_too_large: AtomicU64,
    retries_exhausted: AtomicU64,
    budget_exhausted: AtomicU64,
    no_api_key: AtomicU64,
    shut_down: AtomicU64,
    too_large: AtomicU64,
    unsendable: AtomicU64,
    pub(crate) requests: AtomicU64,
}

pub(crate) fn add(counter: &AtomicU64, n: usize) {
    if n > 0 {
        counter.fetch_add(n as u64, Ordering::AcqRel);
    }
}

impl Counters {
    /// Counts `items` as delivered, or lost the way `outcome` says. A partial success
    /// counts its rejected items as rejected and the rest as delivered.
    pub(crate) fn record(&self, items: usize, outcome: &Result<(), SendFailure>) {
        let failure = match outcome {
            Ok(()) => return add(&self.delivered, items),
            Err(f) => f,
        };
        let counter = match failure {
            SendFailure::NoApiKey => &self.no_api_key,
            SendFailure::Rejected { .. } | SendFailure::RetryForbidden { .. } => &self.rejected_by_server,
            SendFailure::PartiallyRejected { rejected, .. } => {
                let rejected = (*rejected).min(items);
                add(&self.delivered, items - rejected);
                return add(&self.rejected_by_server, rejected);
            }
            SendFailure::ReplyTooLarge { .. } => &self.reply_too_large,
            SendFailure::RetriesExhausted { .. } => &self.retries_exhausted,
            SendFailure::BudgetExhausted { .. } => &self.budget_exhausted,
            SendFailure::BadRequest(_) | SendFailure::Unserializable(_) => &self.unsendable,
            SendFailure::RequestTooLarge { .. } => &self.too_large,
            SendFailure::ShutDown => &self.shut_down,
        };
        add(counter, items);
    }

    pub(crate) fn left_out(&self, too_large: usize, unsendable: usize) {
        add(&self.too_large, too_large);
        add(&self.unsendable, unsendable);
    }

    pub(crate) fn snapshot(&self) -> ExporterStats {
        let get = |c: &AtomicU64| c.load(Ordering::Acquire);
        ExporterStats {
            delivered: get(&self.delivered),
            rejected_by_server: get(&self.rejected_by_server),
            reply_too_large: get(&self.reply_too_large),
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

impl SendFailure {
    /// How many of a request's `items` this failure loses.
    pub fn lost_items(&self, items: usize) -> usize {
        match self {
            SendFailure::PartiallyRejected { rejected, .. } => (*rejected).min(items),
            _ => items,
        }
    }
}
