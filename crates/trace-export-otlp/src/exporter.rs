//! [`OtlpSpanExporter`]: rendering a batch and the export loop.

use std::fmt;
use std::io::Write;

use trace_core::{ExportError, ExportItem, TracingExporter};
use trace_http::{BuildError, Engine, EngineConfig, ExporterStats, PreparedRequest, SendFailure};

use crate::config::{EndpointSource, OtlpSpanExporterBuilder, USER_AGENT};
use crate::env::Env;
use crate::json::TracesRequest;
use crate::policy::{partial_success, OtlpPolicy};
use crate::protobuf::{partial_success as protobuf_partial_success, write_protobuf};
use crate::protocol::{Compression, Protocol};
use crate::records;
use crate::settings::Settings;

/// Sends spans to an OpenTelemetry backend over OTLP/HTTP, protobuf (the default) or JSON,
/// gzipped or not: one `POST` of an `ExportTraceServiceRequest` per batch, with retries,
/// backoff and a time budget.
///
/// Made with [`OtlpSpanExporter::builder`]; see the [crate docs](crate) for the mapping and
/// the full behaviour. `Debug` shows header names but never their values.
pub struct OtlpSpanExporter {
    engine: Engine,
    /// What was resolved from the builder and the environment (header values checked at
    /// build time and never shown in `Debug`).
    settings: Settings,
}

impl fmt::Debug for OtlpSpanExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.engine
            .debug_fields(&mut f.debug_struct("OtlpSpanExporter"))
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OtlpSpanExporter {
    /// A builder: endpoint, headers and resource from the standard `OTEL_*` variables,
    /// 5 attempts, backoff from 1 s to 5 s, a 10 s budget per export.
    pub fn builder() -> OtlpSpanExporterBuilder {
        OtlpSpanExporterBuilder::default()
    }

    pub(crate) fn from_settings(s: Settings, engine: Engine) -> Self {
        Self { engine, settings: s }
    }

    /// What became of the items exported so far: delivered, or lost by reason; see
    /// [`ExporterStats`].
    pub fn stats(&self) -> ExporterStats {
        self.engine.stats()
    }

    /// Where batches go, exactly as configured (it may hold credentials: log
    /// [`Debug`](fmt::Debug) output instead, which hides them).
    pub fn endpoint(&self) -> &str {
        self.engine.endpoint()
    }

    /// Where the endpoint came from: the builder, one of the two variables, or the default
    /// (nothing configured, which a dry run can test for).
    pub fn endpoint_source(&self) -> EndpointSource {
        self.settings.endpoint_source
    }

    /// The resource attributes sent with every batch, `service.name` first.
    pub fn resource(&self) -> &[(String, String)] {
        &self.settings.resource
    }

    /// Whether [`shutdown`](TracingExporter::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.engine.is_shut_down()
    }

    /// How bodies are encoded: protobuf or JSON.
    pub fn protocol(&self) -> Protocol {
        self.settings.encoding.protocol
    }

    /// Whether bodies are gzipped.
    pub fn compression(&self) -> Compression {
        self.settings.encoding.compression
    }

    /// The body an export of `items` would send, byte for byte (encoded as the
    /// [protocol](Self::protocol) says, then compressed as the
    /// [compression](Self::compression) says), without sending anything: for dry runs,
    /// debugging and tests. Spans of `items` become OTLP spans in order, and each trace end
    /// ([`ExportItem::TraceEnd`]) its trace's root span; a trace's start item
    /// ([`ExportItem::Trace`]) adds nothing, even if the trace has ended since.
    /// With nothing to send, the body holds an empty span list, and
    /// [`export`](TracingExporter::export) sends nothing.
    pub fn render(&self, items: &[ExportItem]) -> Vec<u8> {
        let mut body = Vec::new();
        // Writing to memory only fails on a non-string map key, which this body has not.
        let _ = self.write_body(items, &mut body);
        body
    }

    /// The same request as [`render`](Self::render) in OTLP/JSON, uncompressed, whatever
    /// the protocol: readable, for dry runs and debugging.
    pub fn render_json(&self, items: &[ExportItem]) -> Vec<u8> {
        let mut body = Vec::new();
        // As in `render`: writing to memory does not fail.
        let _ = trace_core::wire::write_json(&mut body, &self.request(items));
        body
    }

    /// The request an export of `items` would send: URL (credentials hidden), headers
    /// (values of the configured ones shown as `<redacted>`) and body (as
    /// [`render`](Self::render)).
    pub fn prepare_request(&self, items: &[ExportItem]) -> PreparedRequest {
        let mut headers: Vec<(String, String)> =
            self.wire_headers().iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        headers.push(("User-Agent".to_owned(), USER_AGENT.to_owned()));
        headers.extend(self.settings.headers.iter().map(|(k, _)| (k.clone(), "<redacted>".to_owned())));
        self.engine.prepare(headers, self.render(items))
    }

    /// `Content-Type`, and `Content-Encoding` when compressed.
    fn wire_headers(&self) -> Vec<(&'static str, &'static str)> {
        let mut headers = vec![("Content-Type", self.settings.encoding.protocol.content_type())];
        if self.settings.encoding.compression == Compression::Gzip {
            headers.push(("Content-Encoding", "gzip"));
        }
        headers
    }

    fn request<'a>(&'a self, items: &'a [ExportItem]) -> TracesRequest<'a> {
        TracesRequest {
            resource: &self.settings.resource,
            items,
            limit: self.settings.attribute_value_length_limit,
            mapping: self.settings.encoding.mapping,
        }
    }

    /// Appends the body to `body`: encoded, then compressed. Returns its size before
    /// compression.
    fn write_body(&self, items: &[ExportItem], body: &mut Vec<u8>) -> serde_json::Result<usize> {
        match self.settings.encoding.compression {
            Compression::None => {
                let start = body.len();
                self.encode(items, body)?;
                Ok(body.len() - start)
            }
            Compression::Gzip => {
                let mut raw = Vec::new();
                self.encode(items, &mut raw)?;
                let mut gzip = flate2::write::GzEncoder::new(body, flate2::Compression::fast());
                gzip.write_all(&raw).and_then(|()| gzip.finish().map(drop)).map_err(serde_json::Error::io)?;
                Ok(raw.len())
            }
        }
    }

    fn encode(&self, items: &[ExportItem], out: &mut Vec<u8>) -> serde_json::Result<()> {
        let request = self.request(items);
        match self.settings.encoding.protocol {
            Protocol::HttpProtobuf => {
                write_protobuf(&request, out);
                Ok(())
            }
            Protocol::HttpJson => trace_core::wire::write_json(out, &request),
        }
    }

    /// Sends one rendered batch; a 2xx answer may still reject spans (OTLP partial
    /// success, which must not be retried).
    fn send(&self, body: &[u8], spans: usize) -> Result<(), SendFailure> {
        let mut headers = self.wire_headers();
        headers.extend(self.settings.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let reply = self.engine.send(&OtlpPolicy, &headers, None, body, spans, self.engine.deadline())?;
        // The collector answers in the request's encoding; a Content-Type that says
        // otherwise wins.
        let reply_type = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        let protobuf_reply = if reply_type.contains("json") {
            false
        } else {
            reply_type.contains("protobuf") || self.settings.encoding.protocol == Protocol::HttpProtobuf
        };
        let partial = if protobuf_reply { protobuf_partial_success(&reply.body) } else { partial_success(&reply.body) };
        let Some((rejected, message)) = partial else {
            return Ok(());
        };
        let message = self.engine.scrub(&message, None);
        if rejected == 0 {
            if !message.is_empty() {
                log::warn!("[non-fatal] OTLP export: the collector accepted the spans with a warning: {message}");
            }
            return Ok(());
        }
        Err(SendFailure::PartiallyRejected { rejected, message })
    }
}

impl OtlpSpanExporterBuilder {
    /// Reads the environment for the settings not given, checks everything and builds the
    /// exporter and its connection pool. No request is made.
    ///
    /// # Errors
    /// [`BuildError::InvalidEndpoint`] if the endpoint is not an absolute `http(s)://` URL;
    /// [`BuildError::TlsUnavailable`] if it is `https://` and the `rustls` feature is off;
    /// [`BuildError::InvalidHeader`] if a header name or value is not valid HTTP;
    /// [`BuildError::InvalidProxy`] if a proxy variable that applies holds no valid URL;
    /// [`BuildError::InvalidTlsFile`] if a TLS file given for an `https://` endpoint cannot
    /// be used; and, when there are headers (or credentials in the URL) and
    /// [`allow_insecure_http`](trace_http::WithHttpOptions::allow_insecure_http) was not
    /// given, [`BuildError::InsecureEndpoint`] for plain `http://` off this machine.
    pub fn build(self) -> Result<OtlpSpanExporter, BuildError> {
        let env = if self.read_env { Env::from_process() } else { Env::default() };
        build_with(self, &env)
    }
}

/// [`OtlpSpanExporterBuilder::build`] with the `OTEL_*` variables given.
pub(crate) fn build_with(b: OtlpSpanExporterBuilder, env: &Env) -> Result<OtlpSpanExporter, BuildError> {
    let settings = Settings::resolve(b, env)?;
    let mut config = EngineConfig::new(
        "trace-export-otlp",
        "trace_export_otlp",
        USER_AGENT,
        cfg!(feature = "rustls"),
        &settings.endpoint,
    )
    .endpoint_source(settings.endpoint_source.name());
    if !settings.headers.is_empty() {
        // Every configured header is treated as a credential: scrubbed from every text, and
        // never sent in clear text off this machine without the opt-in.
        config = config.credentials(settings.headers.iter().map(|(_, value)| value.as_str()));
    }
    let engine = Engine::build(config, &settings.http)?;
    Ok(OtlpSpanExporter::from_settings(settings, engine))
}

impl TracingExporter for OtlpSpanExporter {
    /// Sends the spans of the batch in one request, with a root span for each trace end
    /// ([`ExportItem::TraceEnd`]), retried as the OTLP specification says, within the
    /// export budget. A batch with nothing to send (only trace starts) sends nothing and
    /// succeeds.
    ///
    /// # Errors
    /// [`ExportError::Failed`] with the number of items not delivered (all of them, or the
    /// number of spans the collector rejected in a partial success);
    /// [`ExportError::ShutDown`] if the exporter was shut down before or during the export.
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        self.engine.refuse_if_shut_down(items.len())?;
        let spans = records::count(items);
        if spans == 0 {
            self.engine.record(items.len(), &Ok(()));
            return Ok(());
        }
        let mut body = self.engine.take_buffer();
        let limit = self.settings.max_request_bytes;
        let result = match self.write_body(items, &mut body) {
            Ok(bytes) if bytes > limit => Err(SendFailure::RequestTooLarge { bytes, limit }),
            Ok(_) => self.send(&body, spans),
            Err(e) => Err(SendFailure::Unserializable(e.to_string())),
        };
        self.engine.give_back(body);
        self.engine.record(items.len(), &result);
        match result {
            Ok(()) => Ok(()),
            Err(SendFailure::ShutDown) => {
                log::warn!("[non-fatal] OTLP export: shut down during the export of {spans} span(s), giving up.");
                Err(ExportError::ShutDown { items: items.len() })
            }
            Err(e) => Err(ExportError::failed(e.lost_items(items.len()), e.to_string())),
        }
    }

    /// Stops the exporter: a backoff sleep ends at once, a running export gives up after
    /// the request in flight (bounded by the timeouts), later exports fail at once.
    fn shutdown(&self) {
        self.engine.shutdown();
    }

    /// `true`: a trace's end ([`ExportItem::TraceEnd`]) becomes its root span, from the
    /// trace's start to its end.
    fn wants_trace_ends(&self) -> bool {
        true
    }

    /// 2 ([`trace_http::CONCURRENT_EXPORTS`]): a batch processor in front of this exporter
    /// keeps two requests in flight, each on its own connection.
    fn concurrent_exports(&self) -> usize {
        trace_http::CONCURRENT_EXPORTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_prepared_requests_hide_header_values() {
        let exporter = OtlpSpanExporter::builder()
            .endpoint("http://127.0.0.1:9/v1/traces?token=query-secret")
            .header("x-honeycomb-team", "hc-secret-key")
            .header("Authorization", "Bearer sk-secret")
            .read_env(false)
            .build()
            .unwrap();
        let debug = format!("{exporter:?}");
        let prepared = format!("{:?}", exporter.prepare_request(&[]));
        for text in [&debug, &prepared] {
            for secret in ["hc-secret-key", "sk-secret", "query-secret"] {
                assert!(!text.contains(secret), "{text}");
            }
            assert!(text.contains("x-honeycomb-team") && text.contains("<redacted>"), "{text}");
        }
        assert_eq!(exporter.engine.scrub("failed: hc-secret-key", None), "failed: <redacted>");
    }
}
