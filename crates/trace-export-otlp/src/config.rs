//! The builder of [`OtlpSpanExporter`](crate::OtlpSpanExporter): endpoint, headers,
//! resource and the HTTP options; the `OTEL_*` variables behind their defaults are read
//! by `env.rs` and merged in `settings.rs`.

use std::time::Duration;

// The endpoint without user info and with the query hidden, for `Debug`: either may
// carry a credential.
use trace_http::{redact_user_info_and_query as display_endpoint, HasHttpOptions, HttpOptions, Timeouts, TlsFiles};

use crate::mapping::Profile;
use crate::protocol::{Compression, Protocol};

/// The endpoint used when neither the builder nor the environment names one: an
/// OpenTelemetry Collector on this machine, OTLP/HTTP port.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318/v1/traces";

/// Default [`max_request_bytes`](OtlpSpanExporterBuilder::max_request_bytes): 64 MiB, as
/// the OTLP specification recommends.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

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
    pub(crate) max_request_bytes: usize,
    pub(crate) protocol: Option<Protocol>,
    pub(crate) compression: Option<Compression>,
    pub(crate) read_env: bool,
    pub(crate) capture_message_content: Option<bool>,
    pub(crate) profile: Profile,
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
                tls: TlsFiles::default(),
            },
            attribute_value_length_limit: None,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            protocol: None,
            compression: None,
            read_env: true,
            capture_message_content: None,
            profile: Profile::GenAi,
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
            .field("max_request_bytes", &self.max_request_bytes)
            .field("protocol", &self.protocol)
            .field("compression", &self.compression)
            .field("read_env", &self.read_env)
            .field("capture_message_content", &self.capture_message_content)
            .field("profile", &self.profile)
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

/// The builder's plain setters: each stores its argument in the field of its own name,
/// wrapped in `Some` when marked `-> Some` (a setting that otherwise falls back to an
/// environment variable).
macro_rules! setters {
    ($($(#[$doc:meta])* fn $name:ident($arg:ident: $ty:ty) $(-> $wrap:ident)?;)*) => {$(
        $(#[$doc])*
        pub fn $name(mut self, $arg: $ty) -> Self {
            self.$name = setters!(@store $($wrap)? $arg);
            self
        }
    )*};
    (@store Some $arg:ident) => { Some($arg) };
    (@store $arg:ident) => { $arg };
}

impl OtlpSpanExporterBuilder {
    setters! {
        /// How the body is encoded: [`Protocol::HttpProtobuf`] (`application/x-protobuf`) or
        /// [`Protocol::HttpJson`] (`application/json`). Default:
        /// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`
        /// or `http/json`; any other value, `grpc` included, is warned about and skipped), else
        /// `http/protobuf`, the OTLP specification's default.
        fn protocol(protocol: Protocol) -> Some;

        /// Whether the body is compressed: [`Compression::None`] or [`Compression::Gzip`]
        /// (`Content-Encoding: gzip`). Default: `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, else
        /// `OTEL_EXPORTER_OTLP_COMPRESSION` (`none` or `gzip`; any other value is warned
        /// about and skipped), else none.
        fn compression(compression: Compression) -> Some;

        /// Whether message content is sent: the input and output messages of model calls
        /// (`gen_ai.input.messages`, `gen_ai.output.messages`, `gen_ai.system_instructions`,
        /// or OpenInference's `input.value`, `output.value`, `llm.*_messages.*`), tool call
        /// arguments and results, transcribed and spoken text. It may hold personal data.
        /// Model names, token counts, agent and tool names and ids are sent either way.
        /// Default: `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (`true` or `false`, any
        /// case), else off, as the GenAI semantic conventions say.
        fn capture_message_content(capture: bool) -> Some;

        /// Cuts every string attribute value (and each string of an array) to at most this
        /// many characters. Default: `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else
        /// `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, else no limit.
        fn attribute_value_length_limit(limit: Option<usize>) -> Some;

        /// The largest request body, in bytes before compression, the exporter sends. A
        /// batch whose body is larger is not sent: its spans are counted in
        /// [`ExporterStats::too_large`](crate::ExporterStats::too_large) and reported lost by
        /// `export`, as the OTLP specification asks ("the client MUST NOT make the request").
        /// Default: 64 MiB ([`DEFAULT_MAX_REQUEST_BYTES`]), the specification's
        /// recommendation and a collector's usual limit. An
        /// [`attribute_value_length_limit`](Self::attribute_value_length_limit) keeps large
        /// span data from getting there.
        fn max_request_bytes(max: usize);

        /// Whether [`build`](Self::build) reads the `OTEL_*` variables for the settings not
        /// given. Default: `true`. With `false`, the defaults apply as if no variable were set.
        fn read_env(read_env: bool);

        /// Which attribute conventions spans are described with: [`Profile::GenAi`] (the
        /// default: OpenTelemetry's GenAI semantic conventions, for Datadog, Langfuse,
        /// LangSmith, ...) or [`Profile::OpenInference`] (for Phoenix, Arize, Weave). See the
        /// [crate docs](crate#mapping) for both tables.
        fn profile(profile: Profile);
    }

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
    /// `OTEL_EXPORTER_OTLP_TRACES_HEADERS` if it is set, else those of
    /// `OTEL_EXPORTER_OTLP_HEADERS` (the traces variable replaces the generic one whole,
    /// so a generic credential never reaches a traces endpoint set apart). `Content-Type` follows the [protocol](Self::protocol) and `Content-Encoding` the
    /// [compression](Self::compression); neither can be replaced.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        set_pair(&mut self.headers, name, value.into(), str::eq_ignore_ascii_case);
        self
    }

    /// The resource's `service.name`. Default: a `service.name` given to
    /// [`resource_attribute`](Self::resource_attribute), else `OTEL_SERVICE_NAME`, else
    /// `service.name` from `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:<executable
    /// name>`, as the OpenTelemetry specification says (what the code gives wins over the
    /// environment, and `OTEL_SERVICE_NAME` over `OTEL_RESOURCE_ATTRIBUTES`).
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// Adds a string attribute to the resource (replacing one of the same key; keys that
    /// differ in case are different keys), after those of `OTEL_RESOURCE_ATTRIBUTES`. The
    /// resource always has `service.name`, `telemetry.sdk.name` (`agents-tracing`),
    /// `telemetry.sdk.language` (`rust`) and `telemetry.sdk.version`. An empty key, which
    /// the OpenTelemetry specification forbids, is left out with a warning.
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        if key.is_empty() {
            log::warn!("OTLP exporter: a resource attribute with an empty key was left out (keys must not be empty)");
        } else {
            set_pair(&mut self.resource, key, value.into(), str::eq);
        }
        self
    }
}

impl HasHttpOptions for OtlpSpanExporterBuilder {
    fn http_options(&mut self) -> &mut HttpOptions {
        &mut self.http
    }
}

/// Sets `key` to `value` in `pairs`, in place of an entry whose key `same` says is the
/// same (header names ignore case, resource attribute keys do not).
pub(crate) fn set_pair(pairs: &mut Vec<(String, String)>, key: String, value: String, same: fn(&str, &str) -> bool) {
    match pairs.iter_mut().find(|(k, _)| same(k, &key)) {
        Some(slot) => *slot = (key, value),
        None => pairs.push((key, value)),
    }
}
