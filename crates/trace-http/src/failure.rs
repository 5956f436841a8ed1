//! What can go wrong: building an exporter ([`BuildError`]) and sending one request's
//! worth of items ([`SendFailure`]). Shared by every HTTP exporter, so the same failure
//! reads the same everywhere.
//!
//! No message here holds a secret: endpoints are shown without user info (and without
//! the query where it may carry a token), and text from servers and from ureq has been
//! through [`Secrets::scrub`](crate::Secrets::scrub) before it lands in a variant.

use std::time::Duration;

/// Why an exporter's builder refused its settings.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The endpoint is not an absolute `http://` or `https://` URL with a host.
    #[error(
        "the endpoint `{endpoint}` (from {source_name}) is not an absolute http:// or https:// URL with a host; \
         give the full URL, path included"
    )]
    InvalidEndpoint {
        /// The endpoint as given, user info (and query) hidden.
        endpoint: String,
        /// Where it came from: `the builder` or an environment variable's name.
        source_name: &'static str,
    },
    /// The endpoint uses HTTPS but the exporter was built without TLS.
    #[error(
        "the endpoint `{endpoint}` uses https, but {exporter} was built without TLS; enable its `rustls` \
         feature, or point it at a plain http:// collector"
    )]
    TlsUnavailable {
        /// The endpoint as given, user info (and query) hidden.
        endpoint: String,
        /// The exporter crate, such as `trace-export-openai`.
        exporter: &'static str,
    },
    /// The endpoint is plain `http://` on a host that is not a loopback address, and the
    /// exporter sends credentials: they would travel in clear text.
    #[error(
        "the endpoint `{endpoint}` is plain http:// on a host that is not a loopback address, so credentials \
         would be sent in clear text; use https://, or call allow_insecure_http(true) on the builder if the \
         network path is trusted"
    )]
    InsecureEndpoint {
        /// The endpoint as given, user info (and query) hidden.
        endpoint: String,
    },
    /// A TLS file ([`TlsFiles`](crate::TlsFiles)) cannot be used.
    #[error("the {what} file `{path}` cannot be used: {reason}")]
    InvalidTlsFile {
        /// What the file is for: `certificate`, `client certificate` or `client key`.
        what: &'static str,
        /// Its path.
        path: String,
        /// Why it cannot be used (never its content).
        reason: String,
    },
    /// A proxy variable holds something that is not a proxy URL.
    #[error(
        "the proxy `{proxy}` named by {variable} is not a valid proxy URL (http://, https://, socks4://, \
         socks4a://, socks5://, socks5h:// with a host and a numeric port); fix or unset {variable}, or call proxy_from_env(false)"
    )]
    InvalidProxy {
        /// The value, user info hidden.
        proxy: String,
        /// The environment variable.
        variable: &'static str,
    },
    /// A header name or value is not valid in HTTP (the value is never shown).
    #[error(
        "the header `{name}` (from {source_name}) has an invalid name or value; header names are tokens such \
         as `x-api-key`, values printable ASCII"
    )]
    InvalidHeader {
        /// The header's name, as given, or, when the name itself is invalid, cut before its
        /// first character that cannot be in a name (with `…`), so that a value written into
        /// it by mistake is not shown.
        name: String,
        /// Where it came from: `the builder` or an environment variable's name.
        source_name: &'static str,
    },
}

/// Why the items of one request were not delivered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendFailure {
    /// No credentials for the request (no API key found).
    #[error("no API key: set OPENAI_API_KEY, pass one to the builder or call set_api_key")]
    NoApiKey,
    /// A status the exporter's policy never retries (the request itself is wrong).
    #[error("the server rejected the request with HTTP {status} (not retried){detail}")]
    Rejected {
        /// The status code.
        status: u16,
        /// `: <what the server said>`, scrubbed and cut, or empty.
        detail: String,
    },
    /// A retryable status, but the server asked not to retry (`x-should-retry: false`).
    #[error("HTTP {status} and the server asked not to retry (x-should-retry: false){detail}")]
    RetryForbidden {
        /// The status code.
        status: u16,
        /// `: <what the server said>`, scrubbed and cut, or empty.
        detail: String,
    },
    /// The server accepted the request but rejected some items (OTLP partial success).
    #[error("the server rejected {rejected} item(s): {message}")]
    PartiallyRejected {
        /// How many it rejected.
        rejected: usize,
        /// Its message, scrubbed and cut.
        message: String,
    },
    /// The answer's body was larger than the exporter reads
    /// ([`ExportPolicy::max_reply_body`](crate::ExportPolicy::max_reply_body)); its items are
    /// counted lost and not retried, as the OTLP specification asks. A collector that
    /// answers this much is misconfigured or not an OTLP collector: check the endpoint.
    #[error(
        "the server's answer (HTTP {status}) is larger than {limit} bytes, so it was discarded and the request \
         counted as failed (not retried); check that the endpoint is an OTLP collector"
    )]
    ReplyTooLarge {
        /// The status code of the answer.
        status: u16,
        /// The most bytes of a body the exporter reads.
        limit: u64,
    },
    /// The request body is larger than the exporter sends (OTLP's `max_request_bytes`), so
    /// no request was made; its items are counted as too large.
    #[error(
        "the request body of {bytes} bytes is larger than the limit of {limit} bytes, so it was not sent; \
         set an attribute value length limit, or raise the limit if the collector accepts more"
    )]
    RequestTooLarge {
        /// The body's size before compression.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Every attempt failed.
    #[error("gave up after {attempts} attempt(s); last failure: {last}")]
    RetriesExhausted {
        /// How many requests were made.
        attempts: u32,
        /// The last failure, scrubbed.
        last: String,
    },
    /// The export's time budget ran out before an attempt succeeded.
    #[error("the export time budget of {budget:?} ran out after {attempts} attempt(s); last failure: {last}")]
    BudgetExhausted {
        /// The configured budget.
        budget: Duration,
        /// How many requests were made.
        attempts: u32,
        /// The last failure, scrubbed.
        last: String,
    },
    /// The request could not be made at all (a URL or header ureq refuses); retrying would
    /// not help.
    #[error("the request could not be built: {0}")]
    BadRequest(String),
    /// The body could not be serialized.
    #[error("the batch could not be serialized: {0}")]
    Unserializable(String),
    /// The exporter was shut down before or during the export.
    #[error("the exporter was shut down")]
    ShutDown,
}
