//! [`Engine`]: the one export engine of the workspace's HTTP exporters. It owns the
//! connection pool, the route (proxy or direct) and its safety check, the secrets to
//! scrub, the stop signal, the body buffer, the counters, and the one send-with-retries
//! loop; an exporter brings its body encoding and its [`ExportPolicy`].

use std::fmt;
use std::time::{Duration, Instant};

use trace_core::rate_limit::LogRateLimiter;
use trace_core::ExportError;

use crate::agent::{AgentSettings, HttpAgent, NO_LIMIT};
use crate::buffer::BodyBuffer;
use crate::endpoint::{
    authority, check_endpoint, misread, redact_user_info, redact_user_info_and_query, EndpointError,
};
use crate::failure::{BuildError, SendFailure};
use crate::options::HttpOptions;
use crate::policy::{ExportPolicy, LogEvent, Verdict};
use crate::prepared::PreparedRequest;
use crate::proxy::{proxy_for, ProxyRoute};
use crate::reply::{truncate_chars, Reply};
use crate::secrets::Secrets;
use crate::stats::{add, Counters, ExporterStats};
use crate::stop::Stop;
#[cfg(feature = "rustls")]
use crate::tls::tls_config;

/// How much of a server's message goes into an error or a log line, in characters (cut
/// after scrubbing).
pub const LOGGED_BODY_CHARS: usize = 512;

/// How many exports a batch processor runs at once in front of the workspace's HTTP
/// exporters by default (their
/// [`TracingExporter::concurrent_exports`](trace_core::TracingExporter::concurrent_exports)):
/// 2, where the Python SDK runs one. With one request in flight, the worker serialises a
/// batch, sends it and then waits for the answer doing nothing; the round trip, not the
/// work, bounds the rate. On this project's 2-core VM, `export` of 128-span batches to a
/// loopback server delivered 0.8M–1.2M spans/s from one thread and 2.2M–2.7M from two
/// (`benches/e2e.rs --export-only`, three rounds each); over a real network, where the
/// round trip is longer, the gain is larger. The batch processor starts the second export
/// only when the first falls behind. Each export in flight holds its own connection and
/// body buffer. A batch processor's `max_concurrent_exports(1)` restores Python's
/// one-at-a-time order.
pub const CONCURRENT_EXPORTS: usize = 2;

/// How often the engine's warnings (retries, failures) may be logged, per engine.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What an exporter tells the engine about itself. `Debug` hides the endpoint's user info
/// and query, and the secrets.
#[derive(Clone)]
pub struct EngineConfig {
    /// The exporter crate, for messages (`trace-export-openai`).
    pub exporter: &'static str,
    /// The target of the engine's log lines: the exporter crate's (`module_path!()` in
    /// its root), so that filters written for the exporter apply.
    pub log_target: &'static str,
    /// The `User-Agent` header.
    pub user_agent: &'static str,
    /// Where to `POST`.
    pub endpoint: String,
    /// Where the endpoint came from, for messages (`the builder`, a variable's name).
    pub endpoint_source: &'static str,
    /// Whether the exporter was built with TLS.
    pub tls_available: bool,
    /// Whether requests carry credentials (an API key, credential headers): then plain
    /// http is refused off this machine unless allowed.
    pub sends_credentials: bool,
    /// The secrets to scrub from every text that reaches a log or an error; the
    /// endpoint's user info and query are added by the engine.
    pub secrets: Secrets,
}

impl fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineConfig")
            .field("exporter", &self.exporter)
            .field("endpoint", &redact_user_info_and_query(&self.endpoint))
            .field("sends_credentials", &self.sends_credentials)
            .finish_non_exhaustive()
    }
}

impl EngineConfig {
    /// The configuration of the exporter crate `exporter` (such as `trace-export-openai`),
    /// logging under `log_target` (such as `trace_export_openai`), sending `user_agent`,
    /// with TLS when `tls_available` (the exporter's own `rustls` feature:
    /// `cfg!(feature = "rustls")`), posting to `endpoint`. The endpoint is said to come from
    /// `the builder`, and requests carry no credential, until
    /// [`endpoint_source`](Self::endpoint_source) and [`credentials`](Self::credentials) say
    /// otherwise.
    pub fn new(
        exporter: &'static str,
        log_target: &'static str,
        user_agent: &'static str,
        tls_available: bool,
        endpoint: impl Into<String>,
    ) -> Self {
        Self {
            exporter,
            log_target,
            user_agent,
            endpoint: endpoint.into(),
            endpoint_source: "the builder",
            tls_available,
            sends_credentials: false,
            secrets: Secrets::new(),
        }
    }

    /// Where the endpoint came from, for messages (a variable's name).
    #[must_use]
    pub fn endpoint_source(mut self, source: &'static str) -> Self {
        self.endpoint_source = source;
        self
    }

    /// Requests carry credentials, so plain http is refused off this machine unless
    /// allowed; each of `secrets` (an API key, header values; none if they are only known
    /// later) is scrubbed from every text that reaches a log or an error.
    #[must_use]
    pub fn credentials<S: Into<String>>(mut self, secrets: impl IntoIterator<Item = S>) -> Self {
        self.sends_credentials = true;
        for secret in secrets {
            self.secrets.add_credential(secret);
        }
        self
    }
}

/// The export engine: build one with [`Engine::build`], send with [`Engine::send`].
pub struct Engine {
    agent: HttpAgent,
    endpoint: String,
    shown_endpoint: String,
    route: Option<ProxyRoute>,
    options: HttpOptions,
    secrets: Secrets,
    stop: Stop,
    buffer: BodyBuffer,
    counters: Counters,
    retry_log: LogRateLimiter,
    failure_log: LogRateLimiter,
    log_target: &'static str,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_fields(&mut f.debug_struct("Engine")).field("secrets", &self.secrets).finish_non_exhaustive()
    }
}

impl Engine {
    /// Checks the endpoint and the route to it, reading the proxy variables from the
    /// process environment when `options.proxy_from_env`, and builds the connection pool.
    /// No request is made.
    ///
    /// # Errors
    /// [`BuildError::InvalidEndpoint`], [`BuildError::TlsUnavailable`],
    /// [`BuildError::InvalidProxy`], [`BuildError::InvalidTlsFile`] (a TLS file of an
    /// `https://` endpoint cannot be used), and, when the exporter sends credentials over plain
    /// http and `allow_insecure_http` is off, [`BuildError::InsecureEndpoint`] (the
    /// endpoint is not on this machine). Refusals are also logged at `error` level.
    pub fn build(config: EngineConfig, options: &HttpOptions) -> Result<Self, BuildError> {
        Self::build_with_env(config, options, |name| std::env::var(name).ok())
    }

    /// [`build`](Self::build) with the environment given as a function (for tests).
    pub fn build_with_env(
        mut config: EngineConfig,
        options: &HttpOptions,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, BuildError> {
        let shown_endpoint = redact_user_info_and_query(&config.endpoint);
        let checked = check_endpoint(&config.endpoint, config.tls_available).map_err(|e| match e {
            EndpointError::Invalid => {
                BuildError::InvalidEndpoint { endpoint: shown_endpoint.clone(), source_name: config.endpoint_source }
            }
            EndpointError::TlsUnavailable => {
                BuildError::TlsUnavailable { endpoint: shown_endpoint.clone(), exporter: config.exporter }
            }
        })?;
        let route = if options.proxy_from_env { proxy_for(checked.is_https(), checked.host(), env) } else { None };
        let proxy = match &route {
            Some(r) => {
                let misparsed = r.url.parse::<ureq::http::Uri>().is_ok_and(|uri| misread(&uri));
                let invalid = || BuildError::InvalidProxy { proxy: redact_user_info(&r.url), variable: r.variable };
                if misparsed {
                    return Err(invalid());
                }
                Some(ureq::Proxy::new(&r.url).map_err(|_| invalid())?)
            }
            None => None,
        };
        // User info in the URL is a credential too (ureq sends it as `Basic` auth), and so
        // may a query be (`?api_key=...`).
        let sends_credentials = config.sends_credentials || !url_secrets(&config.endpoint).is_empty();
        if sends_credentials && !checked.is_https() && !options.allow_insecure_http {
            // Plain http off this machine is refused whatever the route: a proxy on this
            // machine forwards the bytes in clear all the same. On this machine there is no
            // proxy on the way (`proxy_for` never routes a loopback host through one).
            if checked.is_insecure() {
                let err = BuildError::InsecureEndpoint { endpoint: shown_endpoint.clone() };
                log::error!(target: config.log_target, "[non-fatal] {}: exporter not built: {err}", config.exporter);
                return Err(err);
            }
        }
        // Whatever of the URL may be a credential is scrubbed like one.
        for part in url_secrets(&config.endpoint).into_iter().chain(route.iter().flat_map(|r| url_secrets(&r.url))) {
            config.secrets.add(part);
        }
        let mut options = options.clone();
        options.max_attempts = options.max_attempts.max(1);
        #[cfg(feature = "rustls")]
        let tls = if checked.is_https() { tls_config(&options.tls)? } else { None };
        let agent = HttpAgent::new(&AgentSettings {
            user_agent: config.user_agent,
            timeouts: options.timeouts,
            proxy,
            resolve_timeout: options.resolve_timeout,
            #[cfg(feature = "rustls")]
            tls,
        });
        Ok(Self {
            agent,
            endpoint: config.endpoint,
            shown_endpoint,
            route,
            options,
            secrets: config.secrets,
            stop: Stop::default(),
            buffer: BodyBuffer::default(),
            counters: Counters::default(),
            retry_log: LogRateLimiter::new(LOG_INTERVAL),
            failure_log: LogRateLimiter::new(LOG_INTERVAL),
            log_target: config.log_target,
        })
    }

    /// Where requests go, exactly as configured (it may hold credentials).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The endpoint with user info and query hidden, for messages.
    pub fn shown_endpoint(&self) -> &str {
        &self.shown_endpoint
    }

    /// The proxy requests go through, if any.
    pub fn proxy(&self) -> Option<&ProxyRoute> {
        self.route.as_ref()
    }

    /// Adds what an exporter's `Debug` shows of its engine to `debug`: the endpoint (user
    /// info and query hidden), the options in force (`http`), the proxy, whether it was
    /// shut down, and the counters. No credential.
    pub fn debug_fields<'d, 'a, 'b>(
        &self,
        debug: &'d mut fmt::DebugStruct<'a, 'b>,
    ) -> &'d mut fmt::DebugStruct<'a, 'b> {
        debug
            .field("endpoint", &self.shown_endpoint)
            .field("http", &self.options)
            .field("proxy", &self.route)
            .field("shut_down", &self.stop.is_stopped())
            .field("stats", &self.stats())
    }

    /// The options in force (attempts at least 1).
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// The counters; see [`ExporterStats`].
    pub fn stats(&self) -> ExporterStats {
        self.counters.snapshot()
    }

    /// Counts `items` as delivered or lost, as `outcome` says.
    pub fn record(&self, items: usize, outcome: &Result<(), SendFailure>) {
        self.counters.record(items, outcome);
    }

    /// Counts items left out of a request: too large, or not serializable.
    pub fn record_left_out(&self, too_large: usize, unsendable: usize) {
        self.counters.left_out(too_large, unsendable);
    }

    /// Stops the engine: a backoff sleep ends at once, a running send gives up after the
    /// request in flight, later sends fail with [`SendFailure::ShutDown`].
    pub fn shutdown(&self) {
        self.stop.stop();
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.stop.is_stopped()
    }

    /// The first step of an export of `items` items: once the engine was shut down, they
    /// are counted as lost and the export fails at once, without a request.
    ///
    /// # Errors
    /// [`ExportError::ShutDown`] if [`shutdown`](Self::shutdown) was called.
    pub fn refuse_if_shut_down(&self, items: usize) -> Result<(), ExportError> {
        if self.is_shut_down() {
            self.record(items, &Err(SendFailure::ShutDown));
            return Err(ExportError::ShutDown { items });
        }
        Ok(())
    }

    /// The dry run of a request to this engine's endpoint (shown with user info and query
    /// hidden), with `headers` as the exporter shows them and `body`.
    pub fn prepare(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> PreparedRequest {
        PreparedRequest { url: self.shown_endpoint.clone(), headers, body }
    }

    /// When an export starting now must be done: now plus the export budget (a zero
    /// budget, or one past [`NO_LIMIT`], is [`NO_LIMIT`]).
    pub fn deadline(&self) -> Instant {
        let budget = self.options.export_budget;
        Instant::now() + if budget.is_zero() { NO_LIMIT } else { budget.min(NO_LIMIT) }
    }

    /// A request body buffer, reused from one export to the next; hand it back with
    /// [`give_back`](Self::give_back).
    pub fn take_buffer(&self) -> Vec<u8> {
        let mut body = self.buffer.take();
        body.clear();
        body
    }

    /// Returns a buffer taken with [`take_buffer`](Self::take_buffer).
    pub fn give_back(&self, body: Vec<u8>) {
        self.buffer.give_back(body);
    }

    /// `text` with every secret of this engine, `extra` and key-like tokens taken out,
    /// then cut to [`LOGGED_BODY_CHARS`]: the one way text reaches a log or an error.
    pub fn scrub(&self, text: &str, extra: Option<&str>) -> String {
        truncate_chars(&self.secrets.scrub(text, extra), LOGGED_BODY_CHARS)
    }

    /// Sends `body` with `headers`, retrying as `policy` says within `deadline` and the
    /// attempts allowed; `secret` is a per-request credential to scrub too (a per-trace
    /// key). `items` is for log lines only. Returns the successful reply.
    ///
    /// # Errors
    /// The [`SendFailure`] that ended the loop; its texts are scrubbed.
    pub fn send(
        &self,
        policy: &dyn ExportPolicy,
        headers: &[(&str, &str)],
        secret: Option<&str>,
        body: &[u8],
        items: usize,
        deadline: Instant,
    ) -> Result<Reply, SendFailure> {
        let result = self.send_with_retries(policy, &Post { headers, secret, body, deadline });
        match &result {
            Ok(_) => log::debug!(target: self.log_target, "{}", policy.describe(&LogEvent::Sent { items })),
            // Said when it happened.
            Err(SendFailure::ShutDown) => {}
            Err(failure) => {
                if let Some(held_back) = self.failure_log.check() {
                    let line = policy.describe(&LogEvent::Failed { failure, items });
                    log::error!(target: self.log_target, "{line}{}", held(held_back));
                }
            }
        }
        result
    }

    fn send_with_retries(&self, policy: &dyn ExportPolicy, post: &Post<'_>) -> Result<Reply, SendFailure> {
        let &Post { headers, secret, body, deadline } = post;
        let o = &self.options;
        let mut backoff = policy.backoff(o.base_delay, o.max_delay);
        let mut attempts = 0u32;
        let mut last = String::new();
        loop {
            if self.stop.is_stopped() {
                return Err(SendFailure::ShutDown);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(self.budget_exhausted(attempts, last));
            }
            attempts = attempts.saturating_add(1);
            add(&self.counters.requests, 1);
            let mut request = self.agent.post(&self.endpoint);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let mut retry_after = None;
            let status = match self.agent.send_limited(request, body, deadline - now, policy.max_reply_body()) {
                Ok(reply) => {
                    let status = reply.status;
                    match policy.verdict(&reply) {
                        Verdict::Success => return Ok(reply),
                        Verdict::Reject => {
                            return Err(SendFailure::Rejected { status, detail: self.detail(policy, &reply, secret) })
                        }
                        Verdict::RetryForbidden => {
                            let detail = self.detail(policy, &reply, secret);
                            return Err(SendFailure::RetryForbidden { status, detail });
                        }
                        Verdict::ReplyTooLarge => {
                            return Err(SendFailure::ReplyTooLarge { status, limit: policy.max_reply_body() })
                        }
                        _ => {}
                    }
                    retry_after = policy.retry_after(&reply);
                    last = format!("HTTP {status}");
                    Some(status)
                }
                Err(e) if !e.is_transient() => return Err(SendFailure::BadRequest(self.scrub(&e.to_string(), secret))),
                Err(e) => {
                    last = self.scrub(&e.to_string(), secret);
                    None
                }
            };
            if attempts >= o.max_attempts {
                return Err(SendFailure::RetriesExhausted { attempts, last });
            }
            if let Some(held_back) = self.retry_log.check() {
                let event = LogEvent::Retrying { status, detail: &last };
                log::warn!(target: self.log_target, "{}{}", policy.describe(&event), held(held_back));
            }
            let sleep = backoff.next_sleep(retry_after);
            // Compared as durations: a server's `Retry-After` may be too large to add to an
            // `Instant`.
            if sleep >= deadline.saturating_duration_since(Instant::now()) {
                // Given up before sleeping, not after: said, so that it can be told apart.
                last = if retry_after.is_some_and(|wait| wait >= sleep) {
                    format!("{last}, and the server asked to wait {sleep:?} (Retry-After), past the budget")
                } else {
                    format!("{last}, and the next backoff sleep ({sleep:?}) would end past the budget")
                };
                return Err(self.budget_exhausted(attempts, last));
            }
            if self.stop.sleep(sleep) {
                log::warn!(target: self.log_target, "{}", policy.describe(&LogEvent::Interrupted));
                return Err(SendFailure::ShutDown);
            }
        }
    }

    /// `: <what the server said>`, scrubbed whole, then cut; empty when it said nothing.
    fn detail(&self, policy: &dyn ExportPolicy, reply: &Reply, secret: Option<&str>) -> String {
        let text = policy.detail(reply);
        if text.trim().is_empty() {
            String::new()
        } else {
            format!(": {}", self.scrub(&text, secret))
        }
    }

    fn budget_exhausted(&self, attempts: u32, last: String) -> SendFailure {
        let last = if last.is_empty() { "none".to_owned() } else { last };
        SendFailure::BudgetExhausted { budget: self.options.export_budget, attempts, last }
    }
}

/// What [`Engine::send`] posts: the same for every attempt.
struct Post<'a> {
    headers: &'a [(&'a str, &'a str)],
    /// A per-request credential to scrub too.
    secret: Option<&'a str>,
    body: &'a [u8],
    deadline: Instant,
}

/// ` (N similar lines held back)` when there were any.
fn held(held_back: u64) -> String {
    if held_back == 0 {
        String::new()
    } else {
        format!(" ({held_back} similar lines held back)")
    }
}

/// The parts of a URL that may be credentials: user info and query.
fn url_secrets(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(user_info) = authority(url).and_then(|a| a.user_info) {
        out.push(user_info.to_owned());
        out.extend(user_info.split(':').map(str::to_owned));
    }
    if let Some((_, query)) = url.split_once('?') {
        out.push(query.split('#').next().unwrap_or("").to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_states_only_what_differs_from_the_defaults() {
        let config = EngineConfig::new("my-exporter", "my_exporter", "my-exporter/1.0", false, "http://127.0.0.1:9/x");
        assert_eq!((config.endpoint_source, config.sends_credentials), ("the builder", false));
        assert_eq!(config.secrets.scrub("header-value-1234", None), "header-value-1234");

        let config = config.endpoint_source("MY_ENDPOINT").credentials(["header-value-1234", "api-key-5678"]);
        assert_eq!((config.endpoint_source, config.sends_credentials), ("MY_ENDPOINT", true));
        assert_eq!(config.secrets.scrub("header-value-1234 api-key-5678", None), "<redacted> <redacted>");
        // Credentials known only later still forbid plain http off this machine.
        assert!(EngineConfig::new("e", "e", "e/1", false, "http://h/x").credentials(None::<String>).sends_credentials);
    }

    fn options() -> HttpOptions {
        let second = Duration::from_secs(1);
        HttpOptions {
            timeouts: crate::Timeouts { connect: second, send: second, response: second, body: second },
            resolve_timeout: None,
            max_attempts: 1,
            base_delay: second,
            max_delay: second,
            export_budget: second,
            export_budget_set: false,
            proxy_from_env: true,
            allow_insecure_http: false,
            tls: Default::default(),
        }
    }

    fn build(
        endpoint: &str,
        credentials: bool,
        env: &'static [(&'static str, &'static str)],
    ) -> Result<Engine, BuildError> {
        let mut config = EngineConfig::new("e", "e", "e/1", false, endpoint);
        if credentials {
            config = config.credentials(["a-credential"]);
        }
        Engine::build_with_env(config, &options(), |name| {
            env.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn plain_http_with_credentials_is_judged_by_where_the_bytes_go() {
        let local_proxy: &'static [(&str, &str)] = &[("HTTP_PROXY", "http://127.0.0.1:3128")];
        let remote_proxy: &'static [(&str, &str)] = &[("HTTP_PROXY", "http://10.255.255.1:3128")];
        // Off this machine: refused, through a proxy on this machine too (it forwards in clear).
        for env in [&[][..], local_proxy, remote_proxy] {
            let err = build("http://collector.example/x", true, env).unwrap_err();
            assert!(matches!(err, BuildError::InsecureEndpoint { .. }), "{env:?}: {err:?}");
        }
        // On this machine: never through a proxy (one elsewhere could not reach it).
        assert!(build("http://127.0.0.1:9/x", true, local_proxy).is_ok());
        assert!(build("http://127.0.0.1:9/x", true, remote_proxy).is_ok());
        // Without credentials, plain http goes anywhere.
        assert!(build("http://collector.example/x", false, remote_proxy).is_ok());
    }

    #[test]
    fn a_password_with_an_unencoded_slash_is_refused_and_never_shown() {
        // Read by URL parsers as host `user`, port `pa`: the credential would go there.
        let err = build("http://user:pa/ss@127.0.0.1/x", false, &[]).unwrap_err();
        assert!(matches!(err, BuildError::InvalidEndpoint { .. }), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("pa/ss"), "{err}");
        let env: &'static [(&str, &str)] = &[("HTTP_PROXY", "http://user:pa/ss@proxy.example:3128")];
        let err = build("http://collector.example/x", false, env).unwrap_err();
        assert!(matches!(err, BuildError::InvalidProxy { variable: "HTTP_PROXY", .. }), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("pa/ss"), "{err}");
        assert!(format!("{err}").contains("proxy.example:3128"), "{err}");
    }

    #[test]
    fn credentials_in_the_url_count_as_credentials_and_stay_out_of_debug() {
        // ureq sends URL user info as `Authorization: Basic`.
        let err = build("http://user:pa55word@collector.example/x", false, &[]).unwrap_err();
        assert!(matches!(err, BuildError::InsecureEndpoint { .. }), "{err:?}");
        assert!(!format!("{err} {err:?}").contains("pa55word"));
        let err = build("http://collector.example/x?api_key=s3cr3t-token", false, &[]).unwrap_err();
        assert!(!format!("{err} {err:?}").contains("s3cr3t-token"));
        let config = EngineConfig::new("e", "e", "e/1", false, "http://user:pa55word@h/x?api_key=s3cr3t-token");
        let text = format!("{config:?}");
        assert!(!text.contains("pa55word") && !text.contains("s3cr3t-token"), "{text}");
        let engine = build("http://user:pa55word@127.0.0.1:9/x", false, &[]).unwrap();
        assert_eq!(engine.scrub("failed for pa55word", None), "failed for <redacted>");
        assert!(!format!("{engine:?}").contains("pa55word"));
    }
}
