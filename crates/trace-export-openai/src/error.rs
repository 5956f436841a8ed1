//! What can go wrong: building the exporter ([`BuildError`]), and sending one group of
//! items (`GroupFailure`, turned into the reason of a [`trace_core::ExportError`]).
//!
//! No message here ever holds an API key.

use std::time::Duration;

/// Why [`BackendSpanExporterBuilder::build`](crate::BackendSpanExporterBuilder::build)
/// refused the settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The endpoint is not an absolute `http://` or `https://` URL with a host.
    #[error(
        "the endpoint `{endpoint}` is not an absolute http:// or https:// URL; give the full ingest URL, \
         such as https://api.openai.com/v1/traces/ingest"
    )]
    InvalidEndpoint {
        /// The endpoint as given, without any user info.
        endpoint: String,
    },
    /// The endpoint uses HTTPS but the crate was built without TLS.
    #[error(
        "the endpoint `{endpoint}` uses https, but trace-export-openai was built without TLS; \
         enable its `rustls` feature, or point it at a plain http:// collector"
    )]
    TlsUnavailable {
        /// The endpoint as given, without any user info.
        endpoint: String,
    },
    /// The endpoint is plain `http://` on a host that is not a loopback address: the API
    /// key would travel in clear text. Use `https://`, or opt in with
    /// [`allow_insecure_http`](crate::BackendSpanExporterBuilder::allow_insecure_http).
    #[error(
        "the endpoint `{endpoint}` is plain http:// on a host that is not a loopback address, so the API key \
         would be sent in clear text; use https://, or call allow_insecure_http(true) on the builder if the \
         network path is trusted"
    )]
    InsecureEndpoint {
        /// The endpoint as given, without any user info.
        endpoint: String,
    },
}

/// Why one group of items (one request's worth, one API key) was not delivered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GroupFailure {
    /// No key for the group: no per-trace key, no configured key, no `OPENAI_API_KEY`.
    #[error("no API key: set OPENAI_API_KEY, pass one to the builder or call set_api_key")]
    NoApiKey,
    /// A 4xx status that is not retried (the request itself is wrong).
    #[error("the server rejected the request with HTTP {status} (not retried)")]
    Rejected {
        /// The status code.
        status: u16,
    },
    /// A retryable status carried `x-should-retry: false`.
    #[error("HTTP {status} and the server asked not to retry (x-should-retry: false)")]
    RetryForbidden {
        /// The status code.
        status: u16,
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
    /// The request could not be made at all (a header value or URL ureq refuses); retrying
    /// would not help.
    #[error("the request could not be built: {0}")]
    BadRequest(String),
    /// [`shutdown`](trace_core::TracingExporter::shutdown) was called.
    #[error("the exporter was shut down")]
    ShutDown,
}

// `endpoint` without any `user:password@` part, for messages.
pub(crate) use trace_http::redact_user_info as display_endpoint;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_hidden_in_messages() {
        let e = BuildError::InvalidEndpoint { endpoint: display_endpoint("ftp://k@h/") };
        assert!(e.to_string().contains("ftp://<redacted>@h/"), "{e}");
    }
}
