//! The builder of [`BackendSpanExporter`]: endpoint, credentials, retries, timeouts.

use std::time::Duration;

use trace_core::ApiKey;
use trace_http::{HasHttpOptions, HttpOptions, Timeouts, TlsFiles, WithHttpOptions};

/// OpenAI's traces ingest endpoint, the default.
pub const OPENAI_INGEST_ENDPOINT: &str = "https://api.openai.com/v1/traces/ingest";

/// The `User-Agent` the exporter sends.
pub const USER_AGENT: &str = concat!("agents-tracing/", env!("CARGO_PKG_VERSION"), " (trace-export-openai; rust)");

/// Whether the exporter applies the OpenAI sanitizer (field size limit, usage reshaping,
/// reasoning removal) before sending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sanitize {
    /// When the endpoint is OpenAI's ingest endpoint on any OpenAI host: the default
    /// [`OPENAI_INGEST_ENDPOINT`] and the regional hosts (`https://us.api.openai.com/...`,
    /// any `https://*.openai.com/v1/traces/ingest`; see [`is_openai_ingest_endpoint`](crate::is_openai_ingest_endpoint)).
    /// The Python SDK compares with the default URL only, so its exporter sends a
    /// regional host the unsanitized body, which it refuses (`400 unknown_parameter` for
    /// `usage.requests`). Other endpoints receive the payload unchanged.
    #[default]
    Auto,
    /// Always, whatever the endpoint (for a proxy in front of OpenAI, say).
    Always,
    /// Never, even for OpenAI's endpoint.
    Never,
}

/// Settings of a [`BackendSpanExporter`](crate::BackendSpanExporter); made by
/// [`BackendSpanExporter::builder`](crate::BackendSpanExporter::builder), turned into the
/// exporter by [`build`](Self::build).
///
/// Defaults follow the Python SDK where it has one. The HTTP knobs (timeouts, attempts,
/// backoff, budget, proxy, plain-http policy) come from [`WithHttpOptions`], shared with
/// the OTLP exporter; bring it into scope (`use trace_export_openai::WithHttpOptions;`).
/// Their defaults here:
///
/// | setter | default |
/// |---|---|
/// | [`max_attempts`](WithHttpOptions::max_attempts) (also [`max_retries`](Self::max_retries), Python's name) | 3 |
/// | [`base_delay`](WithHttpOptions::base_delay) | 1 s (doubling, plus up to 10 % jitter) |
/// | [`max_delay`](WithHttpOptions::max_delay) | 30 s, also the cap on `Retry-After` |
/// | [`connect_timeout`](WithHttpOptions::connect_timeout) | 5 s (as in Python) |
/// | [`send_timeout`](WithHttpOptions::send_timeout) | 20 s |
/// | [`response_timeout`](WithHttpOptions::response_timeout) | 20 s (Python waits 60 s) |
/// | [`body_timeout`](WithHttpOptions::body_timeout) | 10 s |
/// | [`resolve_timeout`](WithHttpOptions::resolve_timeout) | none |
/// | [`export_budget`](WithHttpOptions::export_budget) | 90 s: Python's whole schedule fits (3 attempts, two `Retry-After` waits at the 30 s cap); Python has none, and a hung server holds a batch 183 s there |
/// | [`proxy_from_env`](WithHttpOptions::proxy_from_env) | `true` |
/// | [`certificate_file`](WithHttpOptions::certificate_file), [`client_certificate_file`](WithHttpOptions::client_certificate_file), [`client_key_file`](WithHttpOptions::client_key_file) | none: the bundled web roots (a TLS-inspecting proxy's CA goes here) |
/// | [`allow_insecure_http`](WithHttpOptions::allow_insecure_http) | `false`: the key never goes in clear text off this machine |
///
/// `Debug` never shows the API key, nor the user info or query of the endpoint.
#[derive(Clone)]
#[must_use = "a builder does nothing until `build`"]
pub struct BackendSpanExporterBuilder {
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) organization: Option<String>,
    pub(crate) project: Option<String>,
    pub(crate) endpoint: String,
    pub(crate) http: HttpOptions,
    pub(crate) sanitize: Sanitize,
    pub(crate) read_env: bool,
    pub(crate) max_item_bytes: Option<usize>,
    pub(crate) response_data_in_logs: Option<bool>,
}

impl std::fmt::Debug for BackendSpanExporterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendSpanExporterBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("organization", &self.organization)
            .field("project", &self.project)
            .field("endpoint", &trace_http::redact_user_info_and_query(&self.endpoint))
            .field("http", &self.http)
            .field("sanitize", &self.sanitize)
            .field("read_env", &self.read_env)
            .field("max_item_bytes", &self.max_item_bytes)
            .field("response_data_in_logs", &self.response_data_in_logs)
            .finish()
    }
}

impl Default for BackendSpanExporterBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            organization: None,
            project: None,
            endpoint: OPENAI_INGEST_ENDPOINT.to_owned(),
            http: HttpOptions {
                timeouts: Timeouts {
                    connect: Duration::from_secs(5),
                    send: Duration::from_secs(20),
                    response: Duration::from_secs(20),
                    body: Duration::from_secs(10),
                },
                resolve_timeout: None,
                max_attempts: 3,
                base_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(30),
                export_budget: Duration::from_secs(90),
                export_budget_set: false,
                proxy_from_env: true,
                allow_insecure_http: false,
                tls: TlsFiles::default(),
            },
            sanitize: Sanitize::Auto,
            read_env: true,
            max_item_bytes: None,
            response_data_in_logs: None,
        }
    }
}

impl HasHttpOptions for BackendSpanExporterBuilder {
    fn http_options(&mut self) -> &mut HttpOptions {
        &mut self.http
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

    /// Whether what the server said when it refused a batch (a 4xx answer's body, scrubbed
    /// of secrets and cut) goes into the log line and the error. Default: as in the Python
    /// SDK, only when `OPENAI_AGENTS_DONT_LOG_MODEL_DATA` and
    /// `OPENAI_AGENTS_DONT_LOG_TOOL_DATA` are both set to something other than `1` or
    /// `true` (so not by default: a server may quote span content in its answer);
    /// otherwise the line says that the response data is redacted.
    pub fn response_data_in_logs(mut self, shown: bool) -> Self {
        self.response_data_in_logs = Some(shown);
        self
    }

    /// Where to `POST` batches. Default: [`OPENAI_INGEST_ENDPOINT`]. There is no
    /// environment override, as in Python.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// The Python SDK's name for [`max_attempts`](WithHttpOptions::max_attempts): how many
    /// requests one batch gets in total, the first included. Default: 3.
    pub fn max_retries(self, attempts: u32) -> Self {
        self.max_attempts(attempts)
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

    /// Whether the sanitizer applies with these settings.
    pub(crate) fn sanitizes(&self) -> bool {
        match self.sanitize {
            Sanitize::Always => true,
            Sanitize::Never => false,
            Sanitize::Auto => crate::ingest_url::is_openai_ingest_endpoint(&self.endpoint),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trace_http::BuildError;

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
        assert_eq!(b.http.max_attempts, 3);
        assert_eq!(b.http.base_delay, Duration::from_secs(1));
        assert_eq!(b.http.max_delay, Duration::from_secs(30));
        assert_eq!(b.http.timeouts.connect, Duration::from_secs(5));
        assert_eq!(b.http.export_budget, Duration::from_secs(90));
        assert!(b.http.proxy_from_env && !b.http.allow_insecure_http);
        assert!(b.sanitizes());
    }

    #[test]
    fn sanitizer_is_automatic_for_openai_only() {
        let b = BackendSpanExporterBuilder::default();
        assert!(b.clone().endpoint("https://api.openai.com/v1/traces/ingest/").sanitizes());
        assert!(b.clone().endpoint("https://api.openai.com/v1/traces/ingest//").sanitizes());
        assert!(!b.clone().endpoint("http://127.0.0.1:1/v1/traces/ingest").sanitizes());
        assert!(b.clone().endpoint("https://us.api.openai.com/v1/traces/ingest").sanitizes(), "regional");
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
