//! [`OtlpSpanExporter`]: rendering a batch and the export loop.

use std::fmt;
use std::time::{Duration, Instant};

use serde_json::Value;
use trace_core::{ExportError, ExportItem, LogRateLimiter, TracingExporter};
use trace_http::{truncate_chars, BodyBuffer, Reply, Stop};

use crate::config::{EndpointSource, OtlpSpanExporterBuilder, RedactedHeaders, Settings, USER_AGENT};
use crate::error::{display_endpoint, SendFailure};
use crate::http::HttpClient;
use crate::json::TracesRequest;
use crate::retry::{backoff, is_retryable};

/// How much of a response message goes into a log line, in characters.
const LOGGED_BODY_CHARS: usize = 512;

/// How often the warnings of one exporter (retries, failed batches) may be logged.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Sends spans to an OpenTelemetry backend over OTLP/HTTP with JSON encoding: one `POST`
/// of an `ExportTraceServiceRequest` per batch, with retries, backoff and a time budget.
///
/// Made with [`OtlpSpanExporter::builder`]; see the [crate docs](crate) for the mapping and
/// the full behaviour. `Debug` shows header names but never their values.
pub struct OtlpSpanExporter {
    http: HttpClient,
    endpoint_source: EndpointSource,
    resource: Vec<(String, String)>,
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    export_budget: Duration,
    attribute_value_length_limit: Option<usize>,
    stop: Stop,
    buffer: BodyBuffer,
    retry_log: LogRateLimiter,
    failure_log: LogRateLimiter,
}

impl OtlpSpanExporter {
    /// A builder: endpoint, headers and resource from the standard `OTEL_*` variables,
    /// 5 attempts, backoff from 1 s to 5 s, a 10 s budget per export.
    pub fn builder() -> OtlpSpanExporterBuilder {
        OtlpSpanExporterBuilder::default()
    }

    pub(crate) fn from_settings(s: Settings) -> Self {
        Self {
            http: HttpClient::new(&s),
            endpoint_source: s.endpoint_source,
            resource: s.resource,
            max_attempts: s.max_attempts,
            base_delay: s.base_delay,
            max_delay: s.max_delay,
            export_budget: s.export_budget,
            attribute_value_length_limit: s.attribute_value_length_limit,
            stop: Stop::default(),
            buffer: BodyBuffer::default(),
            retry_log: LogRateLimiter::new(LOG_INTERVAL),
            failure_log: LogRateLimiter::new(LOG_INTERVAL),
        }
    }

    /// Where batches go, exactly as configured (it may hold credentials: log
    /// [`Debug`](fmt::Debug) output instead, which hides them).
    pub fn endpoint(&self) -> &str {
        self.http.endpoint()
    }

    /// Where the endpoint came from: the builder, one of the two variables, or the default
    /// (nothing configured, which a dry run can test for).
    pub fn endpoint_source(&self) -> EndpointSource {
        self.endpoint_source
    }

    /// The resource attributes sent with every batch, `service.name` first.
    pub fn resource(&self) -> &[(String, String)] {
        &self.resource
    }

    /// Whether [`shutdown`](TracingExporter::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.stop.is_stopped()
    }

    /// The OTLP/JSON body an export of `items` would send, without sending anything: for
    /// dry runs, debugging and tests. Spans of `items` become OTLP spans in order; trace
    /// items add nothing (each span carries its trace). With no span at all, the body
    /// holds an empty span list, and [`export`](TracingExporter::export) sends nothing.
    pub fn render(&self, items: &[ExportItem]) -> Vec<u8> {
        let mut body = Vec::new();
        // Serializing to memory only fails on a non-string map key, which this body has not.
        let _ = serde_json::to_writer(&mut body, &self.request(items));
        body
    }

    /// The request an export of `items` would send: URL (credentials hidden), headers
    /// (values of the configured ones shown as `<redacted>`) and body (as
    /// [`render`](Self::render)).
    pub fn prepare_request(&self, items: &[ExportItem]) -> PreparedRequest {
        let mut headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("User-Agent".to_owned(), USER_AGENT.to_owned()),
        ];
        headers.extend(self.http.headers().iter().map(|(k, _)| (k.clone(), "<redacted>".to_owned())));
        PreparedRequest { url: display_endpoint(self.http.endpoint()), headers, body: self.render(items) }
    }

    fn request<'a>(&'a self, items: &'a [ExportItem]) -> TracesRequest<'a> {
        TracesRequest { resource: &self.resource, items, limit: self.attribute_value_length_limit }
    }

    /// Text of a transport error with anything secret taken out.
    fn scrub(&self, text: &str) -> String {
        let mut text = text.replace(self.http.endpoint(), &display_endpoint(self.http.endpoint()));
        for (_, value) in self.http.headers() {
            if value.len() >= 4 {
                text = text.replace(value.as_str(), "<redacted>");
            }
        }
        text
    }

    fn post_with_retries(&self, body: &[u8], spans: usize, deadline: Instant) -> Result<(), SendFailure> {
        let mut backoff = backoff(self.base_delay, self.max_delay);
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
            attempts += 1;
            let mut retry_after = None;
            match self.http.post(body, deadline - now) {
                Ok(reply) if (200..300).contains(&reply.status) => return self.accepted(&reply, spans),
                Ok(reply) if is_retryable(reply.status) => {
                    let status = reply.status;
                    if let Some(held_back) = self.retry_log.check() {
                        log::warn!(
                            "[non-fatal] OTLP export: HTTP {status} from the collector, retrying \
                             ({held_back} similar warnings held back)"
                        );
                    }
                    retry_after = reply.retry_after();
                    last = format!("HTTP {status}");
                }
                Ok(reply) => {
                    let detail = match reply.header("location") {
                        Some(to) if (300..400).contains(&reply.status) => {
                            format!(": redirect to {} not followed; configure that URL", display_endpoint(to))
                        }
                        _ => status_message(&reply.body).map(|m| format!(": {m}")).unwrap_or_default(),
                    };
                    return Err(SendFailure::Rejected { status: reply.status, detail: self.scrub(&detail) });
                }
                Err(e) if !e.is_transient() => return Err(SendFailure::BadRequest(self.scrub(&e.error.to_string()))),
                Err(e) => {
                    last = self.scrub(&e.error.to_string());
                    if let Some(held_back) = self.retry_log.check() {
                        log::warn!(
                            "[non-fatal] OTLP export request failed: {last}; retrying \
                             ({held_back} similar warnings held back)"
                        );
                    }
                }
            }
            if attempts >= self.max_attempts {
                return Err(SendFailure::RetriesExhausted { attempts, last });
            }
            let sleep = backoff.next_sleep(retry_after);
            if Instant::now() + sleep >= deadline {
                if retry_after.is_some_and(|wait| wait >= sleep) {
                    last = format!("{last}, and the collector asked to wait {sleep:?} (Retry-After)");
                }
                return Err(self.budget_exhausted(attempts, last));
            }
            if self.stop.sleep(sleep) {
                return Err(SendFailure::ShutDown);
            }
        }
    }

    /// A 2xx answer: success, unless the collector reports rejected spans (OTLP partial
    /// success, which must not be retried).
    fn accepted(&self, reply: &Reply, spans: usize) -> Result<(), SendFailure> {
        let Some((rejected, message)) = partial_success(&reply.body) else {
            log::debug!("OTLP export: {spans} span(s) accepted");
            return Ok(());
        };
        let message = self.scrub(&truncate_chars(&message, LOGGED_BODY_CHARS));
        if rejected == 0 {
            if !message.is_empty() {
                log::warn!("[non-fatal] OTLP export: the collector accepted the spans with a warning: {message}");
            }
            return Ok(());
        }
        Err(SendFailure::PartiallyRejected { rejected, message })
    }

    fn budget_exhausted(&self, attempts: u32, last: String) -> SendFailure {
        let last = if last.is_empty() { "none".to_owned() } else { last };
        SendFailure::BudgetExhausted { budget: self.export_budget, attempts, last }
    }
}

/// `rejectedSpans` and `errorMessage` of an `ExportTraceServiceResponse`, when the body is
/// one with `partialSuccess` set. `rejectedSpans` is an int64: a string in OTLP/JSON, a
/// number from some servers; both are read.
fn partial_success(body: &[u8]) -> Option<(usize, String)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let partial = value.get("partialSuccess")?;
    let rejected = match partial.get("rejectedSpans") {
        Some(Value::String(s)) => s.trim().parse::<u64>().ok()?,
        Some(Value::Number(n)) => n.as_u64()?,
        _ => 0,
    };
    let message = partial.get("errorMessage").and_then(Value::as_str).unwrap_or("").to_owned();
    Some((usize::try_from(rejected).unwrap_or(usize::MAX), message))
}

/// The message of an error answer: the `message` of an OTLP `Status` in JSON, else the
/// start of the body as text; `None` for an empty body.
fn status_message(body: &[u8]) -> Option<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let from_json = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned));
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    Some(truncate_chars(text.trim(), LOGGED_BODY_CHARS))
}

/// A request as [`OtlpSpanExporter::prepare_request`] shows it: `POST` to `url` with these
/// headers and this body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedRequest {
    /// The endpoint (user info and query hidden).
    pub url: String,
    /// The headers the exporter sets, in order; configured header values are redacted.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as it would be sent.
    pub body: Vec<u8>,
}

impl TracingExporter for OtlpSpanExporter {
    /// Sends the spans of the batch in one request, retried as the OTLP specification
    /// says, within the export budget. A batch with no span (only trace items) sends
    /// nothing and succeeds.
    ///
    /// # Errors
    /// [`ExportError::Failed`] with the number of items not delivered (all of them, or the
    /// number of spans the collector rejected in a partial success);
    /// [`ExportError::ShutDown`] if the exporter was shut down before or during the export.
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        if self.stop.is_stopped() {
            return Err(ExportError::ShutDown { items: items.len() });
        }
        let spans = items.iter().filter(|i| i.as_span().is_some()).count();
        if spans == 0 {
            return Ok(());
        }
        let deadline = Instant::now() + self.export_budget;
        let mut body = self.buffer.take();
        body.clear();
        let result = match serde_json::to_writer(&mut body, &self.request(items)) {
            Ok(()) => self.post_with_retries(&body, spans, deadline),
            Err(e) => Err(SendFailure::Serialize(e.to_string())),
        };
        self.buffer.give_back(body);
        match result {
            Ok(()) => Ok(()),
            Err(SendFailure::ShutDown) => {
                log::warn!("[non-fatal] OTLP export: shut down during the export of {spans} span(s), giving up.");
                Err(ExportError::ShutDown { items: items.len() })
            }
            Err(e) => {
                let failed = match e {
                    SendFailure::PartiallyRejected { rejected, .. } => rejected.min(spans),
                    _ => items.len(),
                };
                if let Some(held_back) = self.failure_log.check() {
                    log::error!(
                        "[non-fatal] OTLP export of {spans} span(s) to {} failed: {e} \
                         ({held_back} similar errors held back)",
                        display_endpoint(self.http.endpoint())
                    );
                }
                Err(ExportError::failed(failed, e.to_string()))
            }
        }
    }

    /// Stops the exporter: a backoff sleep ends at once, a running export gives up after
    /// the request in flight (bounded by the timeouts), later exports fail at once.
    fn shutdown(&self) {
        self.stop.stop();
    }
}

impl fmt::Debug for OtlpSpanExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpSpanExporter")
            .field("endpoint", &display_endpoint(self.http.endpoint()))
            .field("endpoint_source", &self.endpoint_source)
            .field("headers", &RedactedHeaders(self.http.headers()))
            .field("resource", &self.resource)
            .field("max_attempts", &self.max_attempts)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .field("export_budget", &self.export_budget)
            .field("attribute_value_length_limit", &self.attribute_value_length_limit)
            .field("shut_down", &self.stop.is_stopped())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_success_bodies() {
        assert_eq!(partial_success(b""), None);
        assert_eq!(partial_success(b"{}"), None);
        assert_eq!(
            partial_success(br#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}}"#),
            Some((3, "too old".to_owned()))
        );
        assert_eq!(partial_success(br#"{"partialSuccess":{"rejectedSpans":2}}"#), Some((2, String::new())));
        assert_eq!(partial_success(br#"{"partialSuccess":{"errorMessage":"w"}}"#), Some((0, "w".to_owned())));
    }

    #[test]
    fn status_messages() {
        assert_eq!(status_message(b"  "), None);
        assert_eq!(status_message(br#"{"code":3,"message":"bad span"}"#).as_deref(), Some("bad span"));
        assert_eq!(status_message(b"plain text\n").as_deref(), Some("plain text"));
        assert!(status_message(&[b'x'; 2000]).unwrap().ends_with("[2000 bytes in all]"));
    }

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
        assert_eq!(exporter.scrub("failed: hc-secret-key"), "failed: <redacted>");
    }
}
