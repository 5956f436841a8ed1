//! What can go wrong: building the exporter ([`BuildError`]), and sending one batch
//! (`SendFailure`, turned into the reason of a [`trace_core::ExportError`]).
//!
//! No message here ever holds a header value.

use std::time::Duration;

/// Why [`OtlpSpanExporterBuilder::build`](crate::OtlpSpanExporterBuilder::build) refused
/// the settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The endpoint is not an absolute `http://` or `https://` URL with a host.
    #[error(
        "the OTLP endpoint `{endpoint}` (from {source_name}) is not an absolute http:// or https:// URL; \
         give the full traces URL, such as http://localhost:4318/v1/traces"
    )]
    InvalidEndpoint {
        /// The endpoint as given, without user info or query.
        endpoint: String,
        /// Where it came from: the builder or the name of the environment variable.
        source_name: &'static str,
    },
    /// The endpoint uses HTTPS but the crate was built without TLS.
    #[error(
        "the OTLP endpoint `{endpoint}` uses https, but trace-export-otlp was built without TLS; \
         enable its `rustls` feature, or point it at a plain http:// collector"
    )]
    TlsUnavailable {
        /// The endpoint as given, without user info or query.
        endpoint: String,
    },
    /// A header name or value is not valid in HTTP (the value is never shown).
    #[error(
        "the header `{name}` (from {source_name}) has an invalid name or value; header names are \
         tokens such as `x-api-key`, values printable ASCII"
    )]
    InvalidHeader {
        /// The header's name, as given.
        name: String,
        /// Where it came from: the builder or the name of the environment variable.
        source_name: &'static str,
    },
}

/// Why one batch was not delivered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SendFailure {
    /// A status that OTLP says not to retry (400, 401, 403, 404, 413, 500, ...).
    #[error("the collector rejected the request with HTTP {status} (not retried){detail}")]
    Rejected {
        /// The status code.
        status: u16,
        /// `: <message>` from the response, or empty.
        detail: String,
    },
    /// The collector accepted the request but rejected some spans (OTLP partial success).
    #[error("the collector rejected {rejected} span(s): {message}")]
    PartiallyRejected {
        /// How many spans it rejected.
        rejected: usize,
        /// Its message.
        message: String,
    },
    /// Every attempt failed.
    #[error("gave up after {attempts} attempt(s); last failure: {last}")]
    RetriesExhausted {
        /// How many requests were made.
        attempts: u32,
        /// The last failure, for logs.
        last: String,
    },
    /// The time budget of the export ran out before an attempt succeeded.
    #[error("the export time budget of {budget:?} ran out after {attempts} attempt(s); last failure: {last}")]
    BudgetExhausted {
        /// The configured budget.
        budget: Duration,
        /// How many requests were made.
        attempts: u32,
        /// The last failure, for logs.
        last: String,
    },
    /// The request could not be made at all; retrying would not help.
    #[error("the request could not be built: {0}")]
    BadRequest(String),
    /// The body could not be serialized.
    #[error("the batch could not be serialized to JSON: {0}")]
    Serialize(String),
    /// [`shutdown`](trace_core::TracingExporter::shutdown) was called.
    #[error("the exporter was shut down")]
    ShutDown,
}

// `endpoint` without any `user:password@` part and with the query hidden, for messages
// and `Debug`: either may carry a credential.
pub(crate) use trace_http::redact_user_info_and_query as display_endpoint;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_hidden() {
        let e = BuildError::InvalidEndpoint { endpoint: display_endpoint("ftp://k@h/"), source_name: "the builder" };
        assert!(e.to_string().contains("ftp://<redacted>@h/"), "{e}");
    }
}
