//! [`HttpOptions`]: the knobs every HTTP exporter has, written once and mixed into each
//! exporter's builder through [`WithHttpOptions`] (as opentelemetry-otlp shares
//! `WithHttpConfig`), so that the same knob has the same name and meaning everywhere.

use std::time::Duration;

use std::path::PathBuf;

use crate::agent::Timeouts;
use crate::tls::TlsFiles;

/// Timeouts, attempts, backoff, budget, proxy and plain-http policy of one exporter.
///
/// Each exporter starts from its own defaults (the OpenAI exporter from the Python SDK's,
/// the OTLP exporter from the OpenTelemetry specification's) and documents them; the
/// setters of [`WithHttpOptions`] change them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpOptions {
    /// Per-phase timeouts of one attempt.
    pub timeouts: Timeouts,
    /// A limit on resolving the host name; `None` leaves it to the system resolver.
    pub resolve_timeout: Option<Duration>,
    /// Requests per batch in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The first backoff delay.
    pub base_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
    /// The total time one request's attempts and sleeps may take (one export's, for an
    /// exporter that sends one request per export); zero: no limit.
    pub export_budget: Duration,
    /// Whether [`export_budget`](WithHttpOptions::export_budget) was called: an exporter
    /// whose budget also has an environment variable (OTLP's timeout) lets the builder win
    /// only then.
    pub export_budget_set: bool,
    /// Whether the proxy variables are read (see [`proxy_for`](crate::proxy_for)).
    pub proxy_from_env: bool,
    /// Whether credentials may travel in clear text to a host that is not a loopback
    /// address (a plain `http://` endpoint).
    pub allow_insecure_http: bool,
    /// The certificates to trust and the client certificate, as PEM files.
    pub tls: TlsFiles,
}

/// Gives [`WithHttpOptions`] access to a builder's [`HttpOptions`]. Implemented by each
/// exporter's builder.
pub trait HasHttpOptions {
    /// The builder's options.
    fn http_options(&mut self) -> &mut HttpOptions;
}

/// Setters that store their argument in one field of the builder's [`HttpOptions`],
/// each with its documentation: `doc; fn name(arg: Type) => field.path;`.
macro_rules! option_setters {
    ($($(#[$doc:meta])* fn $name:ident($arg:ident: $ty:ty) => $($field:ident).+;)*) => {$(
        $(#[$doc])*
        fn $name(mut self, $arg: $ty) -> Self {
            self.http_options().$($field).+ = $arg;
            self
        }
    )*};
}

/// The HTTP setters shared by every HTTP exporter's builder: bring the trait into scope
/// (`use trace_export_openai::WithHttpOptions;`, or the OTLP crate's re-export) to call
/// them. Each exporter documents its defaults.
///
/// ```
/// use std::time::Duration;
/// use trace_http::{HasHttpOptions, HttpOptions, Timeouts, WithHttpOptions};
///
/// struct MyBuilder(HttpOptions);
/// impl HasHttpOptions for MyBuilder {
///     fn http_options(&mut self) -> &mut HttpOptions {
///         &mut self.0
///     }
/// }
/// let second = Duration::from_secs(1);
/// let defaults = HttpOptions {
///     timeouts: Timeouts { connect: second, send: second, response: second, body: second },
///     resolve_timeout: None,
///     max_attempts: 3,
///     base_delay: second,
///     max_delay: second * 30,
///     export_budget: second * 30,
///     export_budget_set: false,
///     proxy_from_env: true,
///     allow_insecure_http: false,
///     tls: Default::default(),
/// };
/// let mut b = MyBuilder(defaults).max_attempts(0).export_budget(second * 5);
/// assert_eq!(b.http_options().max_attempts, 0, "clamped to 1 when the exporter is built");
/// assert_eq!(b.http_options().export_budget, second * 5);
/// ```
pub trait WithHttpOptions: HasHttpOptions + Sized {
    option_setters! {
        /// How many requests one batch gets in total, the first included. Values below 1
        /// become 1.
        fn max_attempts(attempts: u32) => max_attempts;

        /// The first backoff delay; it doubles after each retry up to
        /// [`max_delay`](Self::max_delay), with the exporter's jitter.
        fn base_delay(delay: Duration) => base_delay;

        /// The longest backoff delay.
        fn max_delay(delay: Duration) => max_delay;

        /// The time allowed to connect, TLS handshake included.
        fn connect_timeout(timeout: Duration) => timeouts.connect;

        /// The time allowed to send the request headers, and again to send the body.
        fn send_timeout(timeout: Duration) => timeouts.send;

        /// The time allowed from the end of the request to the response headers: what a hung
        /// server costs per attempt.
        fn response_timeout(timeout: Duration) => timeouts.response;

        /// The time allowed to read the response body.
        fn body_timeout(timeout: Duration) => timeouts.body;

        /// A limit on resolving the endpoint's host name; `None` (the default) leaves it to
        /// the system resolver. Setting one makes ureq resolve on a new thread for every
        /// request, which slows each export down.
        fn resolve_timeout(timeout: Option<Duration>) => resolve_timeout;

        /// Whether to route requests through the proxy named by the environment (see
        /// [`proxy_for`](crate::proxy_for) for the variables per scheme and `NO_PROXY`).
        /// Default: `true`.
        fn proxy_from_env(proxy_from_env: bool) => proxy_from_env;

        /// Whether credentials may be sent in clear text to a host that is not a loopback
        /// address: a plain `http://` endpoint elsewhere. Default: `false`, and `build()`
        /// refuses such an endpoint with an error that names it. `https://` endpoints are
        /// never affected (a proxy only sees an encrypted tunnel).
        fn allow_insecure_http(allow: bool) => allow_insecure_http;
    }

    /// A PEM file of the certificates to trust for an `https://` endpoint, in place of the
    /// bundled web roots: a collector or gateway with a private CA. Read by `build()`,
    /// which refuses a file it cannot read or that holds no certificate. Default: none.
    fn certificate_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.http_options().tls.certificate = Some(path.into());
        self
    }

    /// A PEM file of the client certificate chain for mutual TLS, given with
    /// [`client_key_file`](Self::client_key_file). Default: none.
    fn client_certificate_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.http_options().tls.client_certificate = Some(path.into());
        self
    }

    /// A PEM file of the client certificate's private key for mutual TLS, given with
    /// [`client_certificate_file`](Self::client_certificate_file). Never shown in logs or
    /// errors. Default: none.
    fn client_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.http_options().tls.client_key = Some(path.into());
        self
    }

    /// The total time one request may take, attempts and backoff sleeps together (the
    /// OpenAI exporter sends one request per API key among a batch's items, each with
    /// its own budget, as Python retries each on its own). When it
    /// is spent the batch is given up even if attempts remain; a sleep that would end past
    /// it is not started, and an attempt's timeouts are cut to what is left of it. Zero
    /// means no limit (as the OpenTelemetry specification reads a zero timeout): the
    /// attempts, their timeouts and the backoff alone bound an export.
    fn export_budget(mut self, budget: Duration) -> Self {
        self.http_options().export_budget = budget;
        self.http_options().export_budget_set = true;
        self
    }
}

impl<B: HasHttpOptions> WithHttpOptions for B {}
