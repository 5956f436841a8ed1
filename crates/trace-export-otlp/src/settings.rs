//! [`Settings`]: the builder's settings merged with the environment's and checked, what
//! the exporter is made from.

use std::time::Duration;

use trace_http::ureq::http::{HeaderName, HeaderValue};
use trace_http::{redact_user_info_and_query as display_endpoint, BuildError, HttpOptions, NO_LIMIT};

use crate::config::{set_pair, EndpointSource, OtlpSpanExporterBuilder, RedactedHeaders, DEFAULT_ENDPOINT};
use crate::env::{
    default_service_name, first_known, parse_bool, parse_key_values, parse_number, parse_resource_attributes,
    traces_url, Env, CAPTURE_CONTENT_VAR,
};
use crate::mapping::MappingOptions;
use crate::protocol::{Compression, Protocol};

/// How spans become a request body: the protocol, the compression, and how the mapping
/// names things and what content it includes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Encoding {
    pub(crate) protocol: Protocol,
    pub(crate) compression: Compression,
    pub(crate) mapping: MappingOptions,
}

/// Everything the exporter needs, resolved and checked. `Debug` hides header values.
pub(crate) struct Settings {
    pub(crate) endpoint: String,
    pub(crate) endpoint_source: EndpointSource,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) resource: Vec<(String, String)>,
    pub(crate) http: HttpOptions,
    pub(crate) attribute_value_length_limit: Option<usize>,
    pub(crate) max_request_bytes: usize,
    pub(crate) encoding: Encoding,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("endpoint", &display_endpoint(&self.endpoint))
            .field("endpoint_source", &self.endpoint_source)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("resource", &self.resource)
            .field("http", &self.http)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("encoding", &self.encoding)
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
        let mut header_sources: Vec<&'static str> = Vec::new();
        // The traces variable replaces the generic one whole (as in the OpenTelemetry SDKs
        // of Python and Rust): the generic headers, often a credential for the collector
        // of every signal, never reach a traces endpoint configured apart.
        let env_headers = match (&env.traces_headers, &env.headers) {
            (Some(text), _) => Some((text, "OTEL_EXPORTER_OTLP_TRACES_HEADERS")),
            (None, Some(text)) => Some((text, "OTEL_EXPORTER_OTLP_HEADERS")),
            (None, None) => None,
        };
        if let Some((text, name)) = env_headers {
            for (entry, k, v) in parse_key_values(text, name) {
                // A valid name with no value (or only `=`) is most likely a base64
                // credential pasted without its header name (`dGVzdC1rZXk=`): sent, it
                // would travel, and show in `Debug`, as a header's name. Left out, and
                // never shown. An invalid name fails the build below, shown only up to
                // its first bad character.
                if v.trim_matches('=').is_empty() && HeaderName::from_bytes(k.as_bytes()).is_ok() {
                    log::warn!("OTLP exporter: entry #{entry} of {name} has no value, skipped");
                    continue;
                }
                set_source(&mut headers, &mut header_sources, k, v, name);
            }
        }
        for (k, v) in b.headers {
            set_source(&mut headers, &mut header_sources, k, v, "the builder");
        }
        let mut kept = Vec::with_capacity(headers.len());
        for ((name, value), source_name) in headers.into_iter().zip(header_sources) {
            if name.eq_ignore_ascii_case("content-type") || name.eq_ignore_ascii_case("content-encoding") {
                log::warn!(
                    "OTLP exporter: the `{name}` header from {source_name} is ignored (set by the protocol and the compression)"
                );
                continue;
            }
            let name_ok = HeaderName::from_bytes(name.as_bytes()).is_ok();
            if !name_ok || HeaderValue::from_str(&value).is_err() {
                let name = if name_ok { name } else { valid_part(&name) };
                return Err(BuildError::InvalidHeader { name, source_name });
            }
            kept.push((name, value));
        }

        let env_resource = parse_resource_attributes(env.resource_attributes.as_deref().unwrap_or(""));
        let service_name_of =
            |pairs: &[(String, String)]| pairs.iter().rev().find(|(k, _)| k == "service.name").map(|(_, v)| v.clone());
        // The code's resource wins over the environment's, and `OTEL_SERVICE_NAME` over
        // `OTEL_RESOURCE_ATTRIBUTES` (the specification's resource merge order).
        let service_name = b
            .service_name
            .or_else(|| service_name_of(&b.resource))
            .or_else(|| env.service_name.clone())
            .or_else(|| service_name_of(&env_resource))
            .unwrap_or_else(default_service_name);
        let mut resource: Vec<(String, String)> = Vec::new();
        for (k, v) in env_resource.into_iter().chain(b.resource) {
            set_pair(&mut resource, k, v, str::eq);
        }
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
        budget_bounds_each_attempt(&mut http);
        // The TLS files: the builder's, else the traces variable's, else the generic one's.
        let tls = &mut http.tls;
        for (slot, traces, generic) in [
            (&mut tls.certificate, &env.traces_certificate, &env.certificate),
            (&mut tls.client_certificate, &env.traces_client_certificate, &env.client_certificate),
            (&mut tls.client_key, &env.traces_client_key, &env.client_key),
        ] {
            if slot.is_none() {
                *slot = traces.as_ref().or(generic.as_ref()).map(Into::into);
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
        let protocol = b.protocol.or_else(|| {
            let known = "http/protobuf, http/json (grpc is not supported)";
            first_known((&env.traces_protocol, &env.protocol), "PROTOCOL", Protocol::from_name, known)
        });
        let compression = b.compression.or_else(|| {
            first_known(
                (&env.traces_compression, &env.compression),
                "COMPRESSION",
                Compression::from_name,
                "none, gzip",
            )
        });

        let capture_content = b.capture_message_content.unwrap_or_else(|| {
            env.capture_message_content.as_deref().and_then(|v| parse_bool(v, CAPTURE_CONTENT_VAR)).unwrap_or(false)
        });
        let mapping = MappingOptions { profile: b.profile, capture_content };

        Ok(Self {
            endpoint,
            endpoint_source,
            headers: kept,
            resource,
            http,
            attribute_value_length_limit,
            max_request_bytes: b.max_request_bytes,
            encoding: Encoding {
                protocol: protocol.unwrap_or_default(),
                compression: compression.unwrap_or_default(),
                mapping,
            },
        })
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

/// A header name that is not a valid one, as an error may show it: cut before its first
/// character that cannot be in a name, so that a value written into it by mistake
/// (`x-api-key: secret` where `x-api-key=secret` was meant) is never shown.
fn valid_part(name: &str) -> String {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    match name.find(|c: char| !token(c)) {
        Some(cut) => format!("{}…", &name[..cut]),
        None => name.to_owned(),
    }
}

/// Makes the export budget (`OTEL_EXPORTER_OTLP_TIMEOUT`, "the maximum time the OTLP
/// exporter will wait for each batch export") what bounds an attempt: a zero budget is
/// [`NO_LIMIT`] (the specification: "timeout zero values" mean "no limit"), and the send,
/// response and body timeouts still at their defaults (10 s) are raised to a larger budget,
/// so that a 30 s timeout lets a slow collector take 30 s to answer instead of timing the
/// attempt out at 10 s and sending the batch again. Timeouts set on the builder are kept,
/// unless set to exactly their default.
fn budget_bounds_each_attempt(http: &mut HttpOptions) {
    if http.export_budget.is_zero() {
        http.export_budget = NO_LIMIT;
    }
    let budget = http.export_budget;
    let defaults = OtlpSpanExporterBuilder::default().http.timeouts;
    let t = &mut http.timeouts;
    for (phase, default) in
        [(&mut t.send, defaults.send), (&mut t.response, defaults.response), (&mut t.body, defaults.body)]
    {
        if *phase == default && budget > *phase {
            *phase = budget;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::env::percent_decode;
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
                (1, "api-key".to_owned(), "s=cr,t".to_owned()),
                (2, "x".to_owned(), "1 2".to_owned()),
                (6, "empty".to_owned(), String::new())
            ],
            "each with its entry's number, blanks counted"
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
        // The path goes on the path, not after a query or fragment.
        assert_eq!(traces_url("http://c:4318/otlp?tenant=a"), "http://c:4318/otlp/v1/traces?tenant=a");
        assert_eq!(traces_url("http://c:4318/?tenant=a/b"), "http://c:4318/v1/traces?tenant=a/b");
        assert_eq!(traces_url("http://c:4318#x"), "http://c:4318/v1/traces#x");
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
    fn traces_headers_replace_the_generic_ones_and_the_builder_wins() {
        let generic = Env { headers: Some("a=1,B=2,content-type=text/plain".into()), ..Env::default() };
        let s = resolve(OtlpSpanExporterBuilder::default().header("b", "5"), &generic);
        let pairs: Vec<(&str, &str)> = s.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("a", "1"), ("b", "5")], "content-type is the protocol's");
        let env = Env { traces_headers: Some("b=3,c=4".into()), ..generic };
        let s = resolve(OtlpSpanExporterBuilder::default().header("C", "5").header("d", "6"), &env);
        let pairs: Vec<(&str, &str)> = s.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("b", "3"), ("C", "5"), ("d", "6")], "nothing of the generic variable");
        let err = Settings::resolve(OtlpSpanExporterBuilder::default().header("x", "line\nbreak"), &Env::default())
            .unwrap_err();
        assert!(matches!(err, BuildError::InvalidHeader { ref name, .. } if name == "x"), "{err:?}");
        assert!(!err.to_string().contains("line"));
    }

    /// A base64 credential pasted without a header name parses as a name with no value:
    /// left out, so that it is neither sent nor shown.
    #[test]
    fn a_header_with_no_value_from_the_environment_is_left_out() {
        let env = Env { headers: Some("dGVzdC1rZXk=,x=1,dGVzdA==,empty=".into()), ..Env::default() };
        let s = resolve(OtlpSpanExporterBuilder::default(), &env);
        let pairs: Vec<(&str, &str)> = s.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("x", "1")]);
        assert!(!format!("{s:?}").contains("dGVzdC1rZXk"));
    }

    /// `OTEL_EXPORTER_OTLP_HEADERS="x-api-key: s3cr3t=="`: the value written into the name
    /// by mistake (split at the first `=`) never shows in the error.
    #[test]
    fn an_invalid_header_name_is_shown_only_up_to_its_first_bad_character() {
        let env = Env { headers: Some("x-api-key: s3cr3t==".into()), ..Env::default() };
        let err = Settings::resolve(OtlpSpanExporterBuilder::default(), &env).unwrap_err();
        assert!(matches!(err, BuildError::InvalidHeader { ref name, .. } if name == "x-api-key…"), "{err:?}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("s3cr3t") && shown.contains("OTEL_EXPORTER_OTLP_HEADERS"), "{shown}");
    }

    #[test]
    fn resource_attribute_keys_keep_their_case_and_a_bad_variable_is_dropped_whole() {
        let env = Env { resource_attributes: Some(" Team = a ,team=b,%20k%20=%20v%20".into()), ..Env::default() };
        let s = resolve(OtlpSpanExporterBuilder::default().resource_attribute("TEAM", "c"), &env);
        let pairs: Vec<(&str, &str)> = s.resource.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs[1..5], [("Team", "a"), ("team", "b"), (" k ", " v "), ("TEAM", "c")], "{pairs:?}");
        for bad in ["a=1,b", "a=1,=2", "a=%zz", "a=%C3", "a=1%"] {
            let env = Env { resource_attributes: Some(bad.into()), ..Env::default() };
            let s = resolve(OtlpSpanExporterBuilder::default(), &env);
            assert!(!s.resource.iter().any(|(k, _)| k == "a"), "{bad}: {:?}", s.resource);
        }
    }

    /// The specification's merge order: what the code gives wins over the environment, and
    /// `OTEL_SERVICE_NAME` over `OTEL_RESOURCE_ATTRIBUTES`.
    #[test]
    fn a_service_name_given_in_code_beats_the_environment() {
        let env = Env {
            service_name: Some("from-var".into()),
            resource_attributes: Some("service.name=from-attrs".into()),
            ..Env::default()
        };
        let name = |b: OtlpSpanExporterBuilder| resolve(b, &env).resource[0].1.clone();
        assert_eq!(name(OtlpSpanExporterBuilder::default()), "from-var");
        assert_eq!(
            name(OtlpSpanExporterBuilder::default().resource_attribute("service.name", "from-code")),
            "from-code"
        );
        assert_eq!(
            name(OtlpSpanExporterBuilder::default().resource_attribute("service.name", "attr").service_name("setter")),
            "setter"
        );
    }

    #[test]
    fn a_zero_timeout_is_no_limit_and_a_long_one_lets_an_attempt_wait_that_long() {
        let b = OtlpSpanExporterBuilder::default;
        let defaults = b().http.timeouts;
        let env = Env { timeout: Some("0".into()), ..Env::default() };
        let s = resolve(b(), &env);
        assert_eq!(s.http.export_budget, NO_LIMIT);
        assert_eq!((s.http.timeouts.response, s.http.timeouts.body), (NO_LIMIT, NO_LIMIT));
        assert_eq!(s.http.timeouts.connect, defaults.connect, "connecting stays bounded");
        assert_eq!(resolve(b().export_budget(Duration::ZERO), &Env::default()).http.export_budget, NO_LIMIT);
        let env = Env { timeout: Some("30000".into()), ..Env::default() };
        let s = resolve(b(), &env);
        assert_eq!(
            (s.http.timeouts.send, s.http.timeouts.response),
            (Duration::from_secs(30), Duration::from_secs(30))
        );
        // A timeout set on the builder is kept; a shorter budget leaves the defaults.
        let s = resolve(b().response_timeout(Duration::from_secs(3)), &env);
        assert_eq!((s.http.timeouts.response, s.http.timeouts.body), (Duration::from_secs(3), Duration::from_secs(30)));
        let env = Env { timeout: Some("2000".into()), ..Env::default() };
        assert_eq!(resolve(b(), &env).http.timeouts, defaults);
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
        // The executable's base name, whole (test binaries are `name-hash`).
        let exe = std::env::current_exe().unwrap();
        let base = exe.file_name().unwrap().to_string_lossy();
        assert_eq!(s.resource[0].1, format!("unknown_service:{base}"));
        // An empty key is left out.
        let s = resolve(OtlpSpanExporterBuilder::default().resource_attribute("", "x"), &Env::default());
        assert!(!s.resource.iter().any(|(k, _)| k.is_empty()), "{:?}", s.resource);
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
    fn protocol_and_compression_from_builder_then_traces_variable_then_generic_variable() {
        let b = OtlpSpanExporterBuilder::default;
        let s = resolve(b(), &Env::default());
        assert_eq!((s.encoding.protocol, s.encoding.compression), (Protocol::HttpProtobuf, Compression::None));
        let env = Env { protocol: Some("http/json".into()), compression: Some("gzip".into()), ..Env::default() };
        let s = resolve(b(), &env);
        assert_eq!((s.encoding.protocol, s.encoding.compression), (Protocol::HttpJson, Compression::Gzip));
        let env = Env { traces_protocol: Some("http/protobuf".into()), traces_compression: Some("none".into()), ..env };
        let s = resolve(b(), &env);
        assert_eq!((s.encoding.protocol, s.encoding.compression), (Protocol::HttpProtobuf, Compression::None));
        let s = resolve(b().protocol(Protocol::HttpJson).compression(Compression::Gzip), &env);
        assert_eq!((s.encoding.protocol, s.encoding.compression), (Protocol::HttpJson, Compression::Gzip));
        // Unknown values are skipped: the next source applies.
        let env = Env {
            traces_protocol: Some("grpc".into()),
            protocol: Some("http/json".into()),
            traces_compression: Some("zstd".into()),
            ..Env::default()
        };
        let s = resolve(b(), &env);
        assert_eq!((s.encoding.protocol, s.encoding.compression), (Protocol::HttpJson, Compression::None));
    }

    #[test]
    fn content_capture_is_off_by_default_and_the_builder_beats_the_variable() {
        let b = OtlpSpanExporterBuilder::default;
        let capture = |b: OtlpSpanExporterBuilder, env: &Env| resolve(b, env).encoding.mapping.capture_content;
        assert!(!capture(b(), &Env::default()));
        for (text, want) in [("true", true), ("TRUE", true), ("False", false), ("yes", false), ("1", false)] {
            let env = Env { capture_message_content: Some(text.into()), ..Env::default() };
            assert_eq!(capture(b(), &env), want, "{text}");
            assert!(capture(b().capture_message_content(true), &env), "{text}");
            assert!(!capture(b().capture_message_content(false), &env), "{text}");
        }
        assert_eq!(resolve(b(), &Env::default()).encoding.mapping.profile, crate::Profile::GenAi);
        let s = resolve(b().profile(crate::Profile::OpenInference), &Env::default());
        assert_eq!(s.encoding.mapping.profile, crate::Profile::OpenInference);
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
