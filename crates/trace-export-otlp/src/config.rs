//! The builder of [`OtlpSpanExporter`](crate::OtlpSpanExporter): endpoint, headers, resource, retries, timeouts,
//! and the standard `OTEL_*` environment variables behind their defaults.

use std::time::Duration;

use trace_http::ureq::http::{HeaderName, HeaderValue};
// The endpoint without user info and with the query hidden, for `Debug`: either may
// carry a credential.
use trace_http::{redact_user_info_and_query as display_endpoint, BuildError, HasHttpOptions, HttpOptions, Timeouts};

/// The endpoint used when neither the builder nor the environment names one: an
/// OpenTelemetry Collector on this machine, OTLP/HTTP port.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318/v1/traces";

/// The `User-Agent` the exporter sends.
pub const USER_AGENT: &str = concat!("agents-tracing/", env!("CARGO_PKG_VERSION"), " (trace-export-otlp; rust)");

/// Where the exporter's endpoint came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndpointSource {
    /// [`OtlpSpanExporterBuilder::endpoint`].
    Builder,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, used as is.
    TracesEnv,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, with `/v1/traces` appended.
    BaseEnv,
    /// Nothing named one: [`DEFAULT_ENDPOINT`].
    Default,
}

impl EndpointSource {
    /// A name for messages: `the builder` or the variable's name.
    pub fn name(self) -> &'static str {
        match self {
            EndpointSource::Builder => "the builder",
            EndpointSource::TracesEnv => "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            EndpointSource::BaseEnv => "OTEL_EXPORTER_OTLP_ENDPOINT",
            EndpointSource::Default => "the default",
        }
    }
}

/// Settings of an [`OtlpSpanExporter`](crate::OtlpSpanExporter); made by
/// [`OtlpSpanExporter::builder`](crate::OtlpSpanExporter::builder).
///
/// Each setting left alone falls back to its standard environment variable (read by
/// [`build`](Self::build), unless [`read_env(false)`](Self::read_env)), then to the
/// default given on its setter. `Debug` never shows header values.
#[derive(Clone)]
#[must_use = "a builder does nothing until `build`"]
pub struct OtlpSpanExporterBuilder {
    pub(crate) endpoint: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) service_name: Option<String>,
    pub(crate) resource: Vec<(String, String)>,
    pub(crate) http: HttpOptions,
    pub(crate) attribute_value_length_limit: Option<Option<usize>>,
    pub(crate) read_env: bool,
}

impl Default for OtlpSpanExporterBuilder {
    fn default() -> Self {
        Self {
            endpoint: None,
            headers: Vec::new(),
            service_name: None,
            resource: Vec::new(),
            http: HttpOptions {
                timeouts: Timeouts {
                    connect: Duration::from_secs(5),
                    send: Duration::from_secs(10),
                    response: Duration::from_secs(10),
                    body: Duration::from_secs(10),
                },
                resolve_timeout: None,
                max_attempts: 5,
                base_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(5),
                export_budget: Duration::from_secs(10),
                export_budget_set: false,
                proxy_from_env: true,
                allow_insecure_http: false,
            },
            attribute_value_length_limit: None,
            read_env: true,
        }
    }
}

impl std::fmt::Debug for OtlpSpanExporterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpSpanExporterBuilder")
            .field("endpoint", &self.endpoint.as_deref().map(display_endpoint))
            .field("headers", &RedactedHeaders(&self.headers))
            .field("service_name", &self.service_name)
            .field("resource", &self.resource)
            .field("http", &self.http)
            .field("attribute_value_length_limit", &self.attribute_value_length_limit)
            .field("read_env", &self.read_env)
            .finish_non_exhaustive()
    }
}

/// Header names with every value shown as `<redacted>`: a value can be a credential
/// whatever its header's name (`x-honeycomb-team`, `dd-api-key`, `signoz-ingestion-key`).
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a [(String, String)]);

impl std::fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(k, _)| (k, "<redacted>"))).finish()
    }
}

impl OtlpSpanExporterBuilder {
    /// The full URL to `POST` to, used as is (like `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`):
    /// give the path too, normally `/v1/traces`. Default:
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else `OTEL_EXPORTER_OTLP_ENDPOINT` with
    /// `/v1/traces` appended, else [`DEFAULT_ENDPOINT`].
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Adds a header to every request, replacing one of the same name (any case) from
    /// the environment or an earlier call. Default: the headers of
    /// `OTEL_EXPORTER_OTLP_HEADERS`, then those of `OTEL_EXPORTER_OTLP_TRACES_HEADERS`
    /// (which win). `Content-Type` is always `application/json` and cannot be replaced.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        set_pair(&mut self.headers, name, value.into());
        self
    }

    /// The resource's `service.name`. Default: `OTEL_SERVICE_NAME`, else `service.name`
    /// from `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:<executable name>` as the
    /// OpenTelemetry specification says.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a string attribute to the resource (replacing one of the same key), after
    /// those of `OTEL_RESOURCE_ATTRIBUTES`. The resource always has `service.name`,
    /// `telemetry.sdk.name` (`agents-tracing`), `telemetry.sdk.language` (`rust`) and
    /// `telemetry.sdk.version`.
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        set_pair(&mut self.resource, key.into(), value.into());
        self
    }

    /// Cuts every string attribute value (and each string of an array) to at most this
    /// many characters. Default: `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else
    /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else no limit.
    pub fn attribute_value_length_limit(mut self, limit: Option<usize>) -> Self {
        self.attribute_value_length_limit = Some(limit);
        self
    }

    /// Whether [`build`](Self::build) reads the `OTEL_*` variables for the settings not
    /// given. Default: `true`. With `false`, the defaults apply as if no variable were set.
    pub fn read_env(mut self, read_env: bool) -> Self {
        self.read_env = read_env;
        self
    }
}

impl HasHttpOptions for OtlpSpanExporterBuilder {
    fn http_options(&mut self) -> &mut HttpOptions {
        &mut self.http
    }
}

fn set_pair(pairs: &mut Vec<(String, String)>, key: String, value: String) {
    match pairs.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&key)) {
        Some(slot) => *slot = (key, value),
        None => pairs.push((key, value)),
    }
}

/// The `OTEL_*` variables this exporter reads, captured once. No `Debug`: the header
/// variables hold credentials.
#[derive(Default)]
pub(crate) struct Env {
    pub(crate) traces_endpoint: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) headers: Option<String>,
    pub(crate) traces_headers: Option<String>,
    pub(crate) service_name: Option<String>,
    pub(crate) resource_attributes: Option<String>,
    pub(crate) timeout: Option<String>,
    pub(crate) traces_timeout: Option<String>,
    pub(crate) span_attribute_value_length_limit: Option<String>,
    pub(crate) attribute_value_length_limit: Option<String>,
    pub(crate) protocol: Option<String>,
    pub(crate) traces_protocol: Option<String>,
    pub(crate) compression: Option<String>,
    pub(crate) traces_compression: Option<String>,
}

impl Env {
    pub(crate) fn from_process() -> Self {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            traces_endpoint: var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            endpoint: var("OTEL_EXPORTER_OTLP_ENDPOINT"),
            headers: var("OTEL_EXPORTER_OTLP_HEADERS"),
            traces_headers: var("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
            service_name: var("OTEL_SERVICE_NAME"),
            resource_attributes: var("OTEL_RESOURCE_ATTRIBUTES"),
            timeout: var("OTEL_EXPORTER_OTLP_TIMEOUT"),
            traces_timeout: var("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"),
            span_attribute_value_length_limit: var("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
            attribute_value_length_limit: var("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
            protocol: var("OTEL_EXPORTER_OTLP_PROTOCOL"),
            traces_protocol: var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
            compression: var("OTEL_EXPORTER_OTLP_COMPRESSION"),
            traces_compression: var("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"),
        }
    }
}

/// Everything the exporter needs, resolved and checked. `Debug` hides header values.
pub(crate) struct Settings {
    pub(crate) endpoint: String,
    pub(crate) endpoint_source: EndpointSource,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) resource: Vec<(String, String)>,
    pub(crate) http: HttpOptions,
    pub(crate) attribute_value_length_limit: Option<usize>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("endpoint", &display_endpoint(&self.endpoint))
            .field("endpoint_source", &self.endpoint_source)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("resource", &self.resource)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl Settings {
    pub(crate) fn resolve(b: OtlpSpanExporterBuilder, env: &Env) -> Result<Self, BuildError> {
        let (endpoint, endpoint_source) = match (&b.endpoint, &env.traces_endpoint, &env.endpoint) {
            (Some(e), _, _) => (e.clone(), EndpointSource::Builder),
            (None, Some(e), _) => (e.clone(), EndpointSource::TracesEnv),
            (None, None, Some(base)) => (traces_url(base), EndpointSource::BaseEnv),
            (None, None, None) => (DEFAULT_ENDPOINT.to_owned(), EndpointSource::Default),
        };

        let mut headers: Vec<(String, String)> = Vec::new();
        let env_headers = [
            (env.headers.as_deref(), "OTEL_EXPORTER_OTLP_HEADERS"),
            (env.traces_headers.as_deref(), "OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
        ];
        let mut header_sources: Vec<&'static str> = Vec::new();
        for (text, name) in env_headers {
            for (k, v) in parse_key_values(text.unwrap_or(""), name) {
                set_source(&mut headers, &mut header_sources, k, v, name);
            }
        }
        for (k, v) in b.headers {
            set_source(&mut headers, &mut header_sources, k, v, "the builder");
        }
        let mut kept = Vec::with_capacity(headers.len());
        for ((name, value), source_name) in headers.into_iter().zip(header_sources) {
            if name.eq_ignore_ascii_case("content-type") {
                log::warn!(
                    "OTLP exporter: the `{name}` header from {source_name} is ignored (always application/json)"
                );
                continue;
            }
            let valid = HeaderName::from_bytes(name.as_bytes()).is_ok() && HeaderValue::from_str(&value).is_ok();
            if !valid {
                return Err(BuildError::InvalidHeader { name, source_name });
            }
            kept.push((name, value));
        }

        let mut resource: Vec<(String, String)> = Vec::new();
        for (k, v) in parse_key_values(env.resource_attributes.as_deref().unwrap_or(""), "OTEL_RESOURCE_ATTRIBUTES") {
            set_pair(&mut resource, k, v);
        }
        for (k, v) in b.resource {
            set_pair(&mut resource, k, v);
        }
        let service_name = b
            .service_name
            .or_else(|| env.service_name.clone())
            .or_else(|| resource.iter().find(|(k, _)| k == "service.name").map(|(_, v)| v.clone()))
            .unwrap_or_else(default_service_name);
        resource.retain(|(k, _)| k != "service.name");
        resource.insert(0, ("service.name".to_owned(), service_name));
        for (k, v) in [
            ("telemetry.sdk.name", "agents-tracing"),
            ("telemetry.sdk.language", "rust"),
            ("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
        ] {
            if !resource.iter().any(|(key, _)| key == k) {
                resource.push((k.to_owned(), v.to_owned()));
            }
        }

        let mut http = b.http;
        if !http.export_budget_set {
            let from_env = [
                (&env.traces_timeout, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"),
                (&env.timeout, "OTEL_EXPORTER_OTLP_TIMEOUT"),
            ]
            .into_iter()
            .find_map(|(v, name)| parse_number(v.as_deref()?, name));
            if let Some(ms) = from_env {
                http.export_budget = Duration::from_millis(ms);
            }
        }
        http.max_delay = http.max_delay.max(http.base_delay);
        let attribute_value_length_limit = b.attribute_value_length_limit.unwrap_or_else(|| {
            [
                (&env.span_attribute_value_length_limit, "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
                (&env.attribute_value_length_limit, "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
            ]
            .into_iter()
            .find_map(|(v, name)| parse_number(v.as_deref()?, name))
            .and_then(|n| usize::try_from(n).ok())
        });
        warn_unsupported(env);

        Ok(Self { endpoint, endpoint_source, headers: kept, resource, http, attribute_value_length_limit })
    }
}

fn set_source(
    headers: &mut Vec<(String, String)>,
    sources: &mut Vec<&'static str>,
    key: String,
    value: String,
    source: &'static str,
) {
    match headers.iter().position(|(k, _)| k.eq_ignore_ascii_case(&key)) {
        Some(i) => {
            headers[i] = (key, value);
            sources[i] = source;
        }
        None => {
            headers.push((key, value));
            sources.push(source);
        }
    }
}

/// `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL: the traces path is appended to its path.
pub(crate) fn traces_url(base: &str) -> String {
    if base.ends_with('/') {
        format!("{base}v1/traces")
    } else {
        format!("{base}/v1/traces")
    }
}

fn parse_number(text: &str, name: &str) -> Option<u64> {
    match text.trim().parse::<u64>() {
        Ok(n) => Some(n),
        Err(_) => {
            log::warn!("OTLP exporter: {name}={text:?} is not a whole number, ignored");
            None
        }
    }
}

/// Warns about settings of the standard variables this exporter cannot honour.
fn warn_unsupported(env: &Env) {
    let protocol = env.traces_protocol.as_deref().or(env.protocol.as_deref());
    if let Some(p) = protocol.filter(|p| !p.eq_ignore_ascii_case("http/json")) {
        log::warn!(
            "OTLP exporter: protocol {p:?} requested, but this exporter speaks http/json only; sending http/json"
        );
    }
    let compression = env.traces_compression.as_deref().or(env.compression.as_deref());
    if let Some(c) = compression.filter(|c| !c.eq_ignore_ascii_case("none")) {
        log::warn!("OTLP exporter: compression {c:?} requested, but this exporter sends uncompressed bodies");
    }
}

/// The default `service.name`: `unknown_service:<executable name>`, or `unknown_service`.
fn default_service_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map_or_else(|| "unknown_service".to_owned(), |exe| format!("unknown_service:{exe}"))
}

/// Parses `key1=value1,key2=value2` as the OTLP exporter variables (`OTEL_EXPORTER_OTLP_HEADERS`,
/// `OTEL_RESOURCE_ATTRIBUTES`) write it: blanks around keys and values trimmed, both
/// percent-decoded. An entry without `=` or with an empty key is skipped with a warning
/// that names the variable but never shows a value.
pub(crate) fn parse_key_values(text: &str, variable: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, entry) in text.split(',').enumerate() {
        if entry.trim().is_empty() {
            continue;
        }
        match entry.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                out.push((percent_decode(k.trim()).trim().to_owned(), percent_decode(v.trim()).trim().to_owned()));
            }
            _ => log::warn!("OTLP exporter: entry #{} of {variable} is not key=value, skipped", i + 1),
        }
    }
    out
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept as is. Bytes that
/// do not form UTF-8 become U+FFFD.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exporter::build_with;
    use trace_http::WithHttpOptions;

    fn resolve(b: OtlpSpanExporterBuilder, env: &Env) -> Settings {
        Settings::resolve(b, env).unwrap()
    }

    #[test]
    fn key_values_are_trimmed_and_percent_decoded() {
        let parsed = parse_key_values(" api-key = s%3Dcr%2Ct ,x=1%202,,bad, =v,empty=", "V");
        assert_eq!(
            parsed,
            [
                ("api-key".to_owned(), "s=cr,t".to_owned()),
                ("x".to_owned(), "1 2".to_owned()),
                ("empty".to_owned(), String::new())
            ]
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
    }

    #[test]
    fn endpoint_precedence() {
        let b = OtlpSpanExporterBuilder::default;
        let s = resolve(b(), &Env::default());
        assert_eq!((s.endpoint.as_str(), s.endpoint_source), (DEFAULT_ENDPOINT, EndpointSource::Default));
        let env = Env { endpoint: Some("http://collector:4318".into()), ..Env::default() };
        let s = resolve(b(), &env);
        assert_eq!(
            (s.endpoint.as_str(), s.endpoint_source),
            ("http://collector:4318/v1/traces", EndpointSource::BaseEnv)
        );
        assert_eq!(traces_url("http://c:4318/base/"), "http://c:4318/base/v1/traces");
        let env = Env { traces_endpoint: Some("http://t:1/custom".into()), ..env };
        let s = resolve(b(), &env);
        assert_eq!((s.endpoint.as_str(), s.endpoint_source), ("http://t:1/custom", EndpointSource::TracesEnv));
        let s = resolve(b().endpoint("http://b:2/x"), &env);
        assert_eq!((s.endpoint.as_str(), s.endpoint_source), ("http://b:2/x", EndpointSource::Builder));
    }

    #[test]
    fn bad_endpoints_are_refused_with_their_source() {
        let b = || OtlpSpanExporterBuilder::default().proxy_from_env(false);
        for bad in ["", "localhost:4318/v1/traces", "ftp://host/x", "http://", "not a url", "/v1/traces"] {
            let err = build_with(b().endpoint(bad), &Env::default()).unwrap_err();
            assert!(matches!(err, BuildError::InvalidEndpoint { .. }), "{bad}: {err:?}");
        }
        let env = Env { endpoint: Some("collector:4318".into()), ..Env::default() };
        let err = build_with(b(), &env).unwrap_err();
        assert!(err.to_string().contains("OTEL_EXPORTER_OTLP_ENDPOINT"), "{err}");
    }

    #[test]
    fn https_needs_the_rustls_feature() {
        let b =
            OtlpSpanExporterBuilder::default().proxy_from_env(false).endpoint("https://collector.example/v1/traces");
        let result = build_with(b, &Env::default());
        if cfg!(feature = "rustls") {
            assert!(result.is_ok());
        } else {
            assert!(matches!(result, Err(BuildError::TlsUnavailable { .. })), "{result:?}");
        }
    }

    #[test]
    fn headers_make_plain_http_off_this_machine_need_the_opt_in() {
        let b = || {
            OtlpSpanExporterBuilder::default().proxy_from_env(false).endpoint("http://collector.example:4318/v1/traces")
        };
        assert!(build_with(b(), &Env::default()).is_ok(), "no credentials: plain http is fine");
        let err = build_with(b().header("authorization", "Bearer t0ken-secret"), &Env::default()).unwrap_err();
        assert!(matches!(err, BuildError::InsecureEndpoint { .. }), "{err:?}");
        assert!(!err.to_string().contains("t0ken-secret"));
        assert!(build_with(b().header("authorization", "Bearer t").allow_insecure_http(true), &Env::default()).is_ok());
    }

    #[test]
    fn headers_merge_generic_then_traces_then_builder() {
        let env = Env {
            headers: Some("a=1,B=2,content-type=text/plain".into()),
            traces_headers: Some("b=3,c=4".into()),
            ..Env::default()
        };
        let s = resolve(OtlpSpanExporterBuilder::default().header("C", "5").header("d", "6"), &env);
        let pairs: Vec<(&str, &str)> = s.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("a", "1"), ("b", "3"), ("C", "5"), ("d", "6")]);
        let err = Settings::resolve(OtlpSpanExporterBuilder::default().header("x", "line\nbreak"), &Env::default())
            .unwrap_err();
        assert!(matches!(err, BuildError::InvalidHeader { ref name, .. } if name == "x"), "{err:?}");
        assert!(!err.to_string().contains("line"));
    }

    #[test]
    fn resource_has_the_service_name_and_sdk_attributes() {
        let env = Env {
            resource_attributes: Some("service.name=from-attrs,deployment.environment.name=prod".into()),
            ..Env::default()
        };
        let s = resolve(OtlpSpanExporterBuilder::default(), &env);
        assert_eq!(s.resource[0], ("service.name".to_owned(), "from-attrs".to_owned()));
        assert!(s.resource.contains(&("deployment.environment.name".to_owned(), "prod".to_owned())));
        assert!(s.resource.contains(&("telemetry.sdk.language".to_owned(), "rust".to_owned())));
        let env = Env { service_name: Some("from-var".into()), ..env };
        assert_eq!(resolve(OtlpSpanExporterBuilder::default(), &env).resource[0].1, "from-var");
        let s = resolve(OtlpSpanExporterBuilder::default().service_name("from-builder"), &env);
        assert_eq!(s.resource[0].1, "from-builder");
        assert_eq!(s.resource.iter().filter(|(k, _)| k == "service.name").count(), 1);
        let s = resolve(OtlpSpanExporterBuilder::default(), &Env::default());
        assert!(s.resource[0].1.starts_with("unknown_service"), "{:?}", s.resource[0]);
    }

    #[test]
    fn budget_and_limits_from_the_environment() {
        let env = Env {
            timeout: Some("2500".into()),
            span_attribute_value_length_limit: Some("junk".into()),
            attribute_value_length_limit: Some("64".into()),
            ..Env::default()
        };
        let s = resolve(OtlpSpanExporterBuilder::default(), &env);
        assert_eq!(s.http.export_budget, Duration::from_millis(2500));
        assert_eq!(s.attribute_value_length_limit, Some(64));
        let env = Env { traces_timeout: Some("100".into()), ..env };
        assert_eq!(resolve(OtlpSpanExporterBuilder::default(), &env).http.export_budget, Duration::from_millis(100));
        let s = resolve(
            OtlpSpanExporterBuilder::default().export_budget(Duration::from_secs(1)).attribute_value_length_limit(None),
            &env,
        );
        assert_eq!(s.http.export_budget, Duration::from_secs(1));
        assert_eq!(
            resolve(OtlpSpanExporterBuilder::default(), &Env::default()).http.export_budget,
            Duration::from_secs(10)
        );
    }

    #[test]
    fn debug_hides_header_values() {
        let b = OtlpSpanExporterBuilder::default()
            .header("Authorization", "Bearer sk-secret")
            .header("x-honeycomb-team", "hc-secret")
            .endpoint("https://user:pw@host/v1/traces");
        let text = format!("{b:?}");
        assert!(text.contains("x-honeycomb-team") && text.contains("<redacted>"), "{text}");
        for secret in ["sk-secret", "hc-secret", "pw"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
