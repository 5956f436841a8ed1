//! The builder of [`BackendSpanExporter`]: endpoint, credentials, retries, timeouts.

use std::time::Duration;

use trace_core::ApiKey;
use trace_http::{check_endpoint, EndpointError};

use crate::error::{display_endpoint, BuildError};
use crate::exporter::BackendSpanExporter;

/// OpenAI's traces ingest endpoint, the default.
pub const OPENAI_INGEST_ENDPOINT: &str = "https://api.openai.com/v1/traces/ingest";

/// The `User-Agent` the exporter sends.
pub const USER_AGENT: &str = concat!("agents-tracing/", env!("CARGO_PKG_VERSION"), " (trace-export-openai; rust)");

/// Whether the exporter applies the OpenAI sanitizer (field size limit, usage reshaping,
/// reasoning removal) before sending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sanitize {
    /// Only when the endpoint is [`OPENAI_INGEST_ENDPOINT`] (a trailing `/` ignored), as
    /// the Python SDK does. Other endpoints receive the payload unchanged.
    #[default]
    Auto,
    /// Always, whatever the endpoint (for a proxy in front of OpenAI, say).
    Always,
    /// Never, even for OpenAI's endpoint.
    Never,
}

/// Settings of a [`BackendSpanExporter`]; made by [`BackendSpanExporter::builder`].
///
/// Defaults follow the Python SDK where it has one. `Debug` never shows the API key.
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `build`"]
pub struct BackendSpanExporterBuilder {
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) organization: Option<String>,
    pub(crate) project: Option<String>,
    pub(crate) endpoint: String,
    pub(crate) max_retries: u32,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) send_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) resolve_timeout: Option<Duration>,
    pub(crate) export_budget: Duration,
    pub(crate) sanitize: Sanitize,
    pub(crate) read_env: bool,
    pub(crate) proxy_from_env: bool,
    pub(crate) allow_insecure_http: bool,
    pub(crate) max_item_bytes: Option<usize>,
}

impl Default for BackendSpanExporterBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            organization: None,
            project: None,
            endpoint: OPENAI_INGEST_ENDPOINT.to_owned(),
            max_retries: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            send_timeout: Duration::from_secs(20),
            response_timeout: Duration::from_secs(20),
            body_timeout: Duration::from_secs(10),
            resolve_timeout: None,
            export_budget: Duration::from_secs(30),
            sanitize: Sanitize::Auto,
            read_env: true,
            proxy_from_env: true,
            allow_insecure_http: false,
            max_item_bytes: None,
        }
    }
}

impl BackendSpanExporterBuilder {
    /// The API key for `Authorization: Bearer <key>`. Default: none, in which case
    /// `OPENAI_API_KEY` is read when a batch first needs it (and again on later batches
    /// for as long as it is missing). Items of a trace created with its own tracing key
    /// use that key instead.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        let key = key.into();
        self.api_key = (!key.is_empty()).then_some(key);
        self
    }

    /// The `OpenAI-Organization` header. Default: `OPENAI_ORG_ID` if set, else none (the
    /// header is then left out).
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into()).filter(|o| !o.is_empty());
        self
    }

    /// The `OpenAI-Project` header. Default: `OPENAI_PROJECT_ID` if set, else none (the
    /// header is then left out).
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into()).filter(|p| !p.is_empty());
        self
    }

    /// Where to `POST` batches. Default: [`OPENAI_INGEST_ENDPOINT`]. There is no
    /// environment override, as in Python.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// How many requests one batch gets in total, the first included (Python's
    /// `max_retries`, which counts attempts). Default: 3. Values below 1 become 1.
    pub fn max_retries(mut self, attempts: u32) -> Self {
        self.max_retries = attempts;
        self
    }

    /// The first backoff delay; it doubles after each retry, plus up to 10 % jitter.
    /// Default: 1 s.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest backoff delay, also the cap on a server's `Retry-After`. Default: 30 s.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The time allowed to connect, TLS handshake included. Default: 5 s (as in Python).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The time allowed to send the request headers, and again to send the body.
    /// Default: 20 s each.
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.send_timeout = timeout;
        self
    }

    /// The time allowed from the end of the request to the response headers: what a hung
    /// server costs per attempt. Default: 20 s (Python waits 60 s).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The time allowed to read the response body. Default: 10 s.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// A limit on resolving the endpoint's host name. Default: none, so the system
    /// resolver's own timeouts apply. Setting one makes ureq resolve on a new thread for
    /// every request (even for an IP address on a pooled connection), which slows each
    /// export down.
    pub fn resolve_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.resolve_timeout = timeout;
        self
    }

    /// The total time one [`export`](trace_core::TracingExporter::export) call may take,
    /// attempts and backoff sleeps together. Default: 30 s.
    ///
    /// When the budget is spent the batch is given up even if attempts remain; a backoff
    /// sleep that would end past it is not started, and the timeouts of an attempt are cut
    /// to what is left of it. (The Python SDK has no such bound: a server that accepts and
    /// never answers holds a batch for 183 s with its defaults.)
    pub fn export_budget(mut self, budget: Duration) -> Self {
        self.export_budget = budget;
        self
    }

    /// Whether to apply the OpenAI sanitizer. Default: [`Sanitize::Auto`].
    pub fn sanitize(mut self, sanitize: Sanitize) -> Self {
        self.sanitize = sanitize;
        self
    }

    /// Whether to read `OPENAI_API_KEY`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID` for the
    /// settings not given. Default: `true`.
    pub fn read_env(mut self, read_env: bool) -> Self {
        self.read_env = read_env;
        self
    }

    /// Whether to use a proxy named by `ALL_PROXY` / `HTTPS_PROXY` / `HTTP_PROXY` (and
    /// honour `NO_PROXY`), as Python's HTTP client does. Default: `true`.
    pub fn proxy_from_env(mut self, proxy_from_env: bool) -> Self {
        self.proxy_from_env = proxy_from_env;
        self
    }

    /// Whether the API key may be sent in clear text: to a plain `http://` endpoint whose
    /// host is not a loopback address. Default: `false`, and [`build`](Self::build) then
    /// refuses such an endpoint with [`BuildError::InsecureEndpoint`] (and logs why).
    ///
    /// Loopback endpoints never need this: `127.0.0.0/8`, `::1` (also IPv4-mapped) and
    /// `localhost` (any case, with or without a final dot). The host is judged as written,
    /// never resolved: `http://my-collector.local/` needs the opt-in even if it resolves to
    /// 127.0.0.1. `https://` endpoints are never affected.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The largest JSON, in bytes, that one item (a trace or a span, after the sanitizer
    /// when it applies) may take in a request body. Default: `None`, no limit (as in
    /// Python).
    ///
    /// A larger item is left out of its request, counted in
    /// [`ExporterStats::too_large`](crate::ExporterStats::too_large) and reported lost by
    /// `export`, with a rate-limited warning naming its id and size; the other items of
    /// the batch are sent. Without a limit a single huge item (say a custom span carrying
    /// 10 MB) goes out as it is, and a server that refuses large bodies then refuses the
    /// whole batch. The item is measured while it is written, so an oversized one costs at
    /// most this many bytes of buffer.
    pub fn max_item_bytes(mut self, max: Option<usize>) -> Self {
        self.max_item_bytes = max;
        self
    }

    /// Checks the settings and builds the exporter and its connection pool. No request is
    /// made and no environment variable is read yet.
    ///
    /// # Errors
    /// [`BuildError::InvalidEndpoint`] if the endpoint is not an absolute `http(s)://` URL;
    /// [`BuildError::TlsUnavailable`] if it is `https://` and the `rustls` feature is off;
    /// [`BuildError::InsecureEndpoint`] if it is `http://` on a host that is not a loopback
    /// address and [`allow_insecure_http`](Self::allow_insecure_http) was not given (the
    /// refusal is also logged at `error` level, since the key would travel in clear text).
    pub fn build(mut self) -> Result<BackendSpanExporter, BuildError> {
        let endpoint = check_endpoint(&self.endpoint, cfg!(feature = "rustls")).map_err(|e| {
            let endpoint = display_endpoint(&self.endpoint);
            match e {
                EndpointError::Invalid => BuildError::InvalidEndpoint { endpoint },
                EndpointError::TlsUnavailable => BuildError::TlsUnavailable { endpoint },
            }
        })?;
        if endpoint.is_insecure() && !self.allow_insecure_http {
            let err = BuildError::InsecureEndpoint { endpoint: display_endpoint(&self.endpoint) };
            log::error!("[non-fatal] Tracing: exporter not built: {err}");
            return Err(err);
        }
        self.max_retries = self.max_retries.max(1);
        Ok(BackendSpanExporter::from_builder(self))
    }

    /// Whether the sanitizer applies with these settings.
    pub(crate) fn sanitizes(&self) -> bool {
        match self.sanitize {
            Sanitize::Always => true,
            Sanitize::Never => false,
            Sanitize::Auto => self.endpoint.trim_end_matches('/') == OPENAI_INGEST_ENDPOINT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_off_loopback_needs_the_opt_in() {
        let b = || BackendSpanExporterBuilder::default().api_key("sk-insecure-test").proxy_from_env(false);
        for url in [
            "http://example.com/v1/traces/ingest",
            "http://10.1.2.3:4318/x",
            "HTTP://collector.local/",
            "http://[fe80::1]:80/",
        ] {
            let err = b().endpoint(url).build().unwrap_err();
            assert!(matches!(err, BuildError::InsecureEndpoint { .. }), "{url}: {err}");
            let text = err.to_string();
            assert!(text.contains("allow_insecure_http") && !text.contains("sk-insecure-test"), "{text}");
            assert!(b().endpoint(url).allow_insecure_http(true).build().is_ok(), "{url}");
        }
        for url in ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x", "http://127.8.9.10/x"] {
            assert!(b().endpoint(url).build().is_ok(), "{url}");
        }
    }

    #[test]
    fn defaults_are_pythons() {
        let b = BackendSpanExporterBuilder::default();
        assert_eq!(b.endpoint, "https://api.openai.com/v1/traces/ingest");
        assert_eq!(b.max_retries, 3);
        assert_eq!(b.base_delay, Duration::from_secs(1));
        assert_eq!(b.max_delay, Duration::from_secs(30));
        assert_eq!(b.connect_timeout, Duration::from_secs(5));
        assert!(b.sanitizes());
    }

    #[test]
    fn sanitizer_is_automatic_for_openai_only() {
        let b = BackendSpanExporterBuilder::default();
        assert!(b.clone().endpoint("https://api.openai.com/v1/traces/ingest/").sanitizes());
        assert!(b.clone().endpoint("https://api.openai.com/v1/traces/ingest//").sanitizes());
        assert!(!b.clone().endpoint("http://127.0.0.1:1/v1/traces/ingest").sanitizes());
        assert!(b.clone().endpoint("http://127.0.0.1:1/").sanitize(Sanitize::Always).sanitizes());
        assert!(!b.sanitize(Sanitize::Never).sanitizes());
    }

    #[test]
    fn bad_endpoints_are_refused() {
        for bad in ["", "api.openai.com/v1/traces/ingest", "ftp://host/x", "http://", "not a url", "/v1/traces"] {
            let err = BackendSpanExporterBuilder::default().endpoint(bad).build().unwrap_err();
            assert!(matches!(err, BuildError::InvalidEndpoint { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn https_needs_the_rustls_feature() {
        let built = BackendSpanExporterBuilder::default().proxy_from_env(false).build();
        if cfg!(feature = "rustls") {
            assert!(built.is_ok());
        } else {
            let err = built.unwrap_err();
            assert!(matches!(err, BuildError::TlsUnavailable { .. }), "{err}");
            assert!(err.to_string().contains("`rustls` feature"), "{err}");
        }
        assert!(BackendSpanExporterBuilder::default().endpoint("http://127.0.0.1:1/x").build().is_ok());
    }

    #[test]
    fn debug_redacts_the_key_and_empty_values_are_unset() {
        let b = BackendSpanExporterBuilder::default().api_key("sk-secret-builder").organization("").project("p");
        let dbg = format!("{b:?}");
        assert!(!dbg.contains("sk-secret-builder"), "{dbg}");
        assert!(dbg.contains("redacted"), "{dbg}");
        assert_eq!(b.organization, None);
        assert_eq!(b.project.as_deref(), Some("p"));
        assert!(BackendSpanExporterBuilder::default().api_key("").api_key.is_none());
    }
}
