//! [`BackendSpanExporter`]: credentials, grouping by API key, and the export loop.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use trace_core::rate_limit::LogRateLimiter;
use trace_core::{ApiKey, ExportError, ExportItem, TracingExporter};
use trace_http::{BuildError, Engine, EngineConfig, ExporterStats, PreparedRequest, SendFailure};

use crate::config::{BackendSpanExporterBuilder, USER_AGENT};
use crate::policy::OpenAiPolicy;
use crate::sanitize::SanitizedItem;

/// Sends traces and spans to OpenAI's traces ingest endpoint (or another collector that
/// speaks the same protocol): the Python SDK's `BackendSpanExporter`.
///
/// Made with [`BackendSpanExporter::builder`]. One `POST` per batch and API key, with
/// retries, backoff and a time budget per export; see the [crate docs](crate) for the
/// full behaviour. `Debug` never shows the API key.
pub struct BackendSpanExporter {
    engine: Engine,
    sanitize: bool,
    credentials: Credentials,
    warned_no_key: AtomicBool,
    max_item_bytes: Option<usize>,
    left_out_log: LogRateLimiter,
    policy: OpenAiPolicy,
}

impl fmt::Debug for BackendSpanExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.engine
            .debug_fields(&mut f.debug_struct("BackendSpanExporter"))
            .field("api_key", &self.credentials.describe_key())
            .field("organization", &self.credentials.organization)
            .field("project", &self.credentials.project)
            .field("sanitize", &self.sanitize)
            .field("max_item_bytes", &self.max_item_bytes)
            .field("response_data_in_logs", &self.policy.response_data)
            .finish_non_exhaustive()
    }
}

/// The request body the OpenAI ingest endpoint takes, `{"data":[item, ...]}`, as the
/// exporter writes it with the sanitizer off and no `max_item_bytes`: write it with
/// [`trace_core::wire::write_json`] (or `to_json_vec`) to get the exact bytes. (A
/// [`ExportItem::TraceEnd`] is written as the trace object; the exporter skips those.)
///
/// ```
/// use std::sync::Arc;
/// use trace_core::{ExportItem, Trace, TraceId};
/// use trace_export_openai::ExportBatch;
///
/// let trace = Arc::new(Trace::new(TraceId::from_u128(1), "w"));
/// let text = trace_core::wire::to_json_string(&ExportBatch(&[ExportItem::Trace(trace)])).unwrap();
/// assert!(text.starts_with(r#"{"data":[{"object":"trace","#));
/// ```
#[derive(Debug)]
pub struct ExportBatch<'a>(pub &'a [ExportItem]);

impl serde::Serialize for ExportBatch<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("ExportBatch", 1)?;
        s.serialize_field("data", self.0)?;
        s.end()
    }
}

impl ExportBatch<'_> {
    /// Writes the batch as its `Serialize` does, byte for byte, through the fast span
    /// writer (`trace_core::wire::write_item_json`): the body the exporter sends when
    /// nothing is sanitized or left out.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use trace_core::{CustomSpanData, ExportItem, Span, SpanId, Trace, TraceId};
    /// use trace_export_openai::ExportBatch;
    ///
    /// let trace = Arc::new(Trace::new(TraceId::from_u128(1), "w"));
    /// let span = Span::new(SpanId::from_u128(2), Arc::clone(&trace), None, CustomSpanData::default());
    /// let items = [ExportItem::Trace(trace), ExportItem::Span(Arc::new(span))];
    /// let mut body = Vec::new();
    /// ExportBatch(&items).write_json(&mut body)?;
    /// assert_eq!(body, trace_core::wire::to_json_vec(&ExportBatch(&items))?);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn write_json<W: std::io::Write>(&self, mut out: W) -> serde_json::Result<()> {
        out.write_all(b"{\"data\":[").map_err(serde_json::Error::io)?;
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                out.write_all(b",").map_err(serde_json::Error::io)?;
            }
            trace_core::wire::write_item_json(&mut out, item)?;
        }
        out.write_all(b"]}").map_err(serde_json::Error::io)
    }
}

/// What [`BackendSpanExporter::write_body`] put in a request body.
#[derive(Debug, Default)]
struct Written {
    /// Items written.
    sent: usize,
    /// Items left out: larger than `max_item_bytes`.
    too_large: usize,
    /// Items left out: serialization failed.
    unsendable: usize,
}

/// A writer into a buffer that refuses to grow it past `limit` bytes.
struct Capped<'a> {
    buf: &'a mut Vec<u8>,
    limit: usize,
}

impl io::Write for Capped<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len().saturating_add(data.len()) > self.limit {
            return Err(io::Error::other("the item is larger than max_item_bytes"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The key, organization and project, with their lazy environment fallbacks.
struct Credentials {
    /// The explicit key, the last `set_api_key`, or `OPENAI_API_KEY` once found.
    api_key: RwLock<Option<ApiKey>>,
    organization: Option<String>,
    project: Option<String>,
    /// `(organization, project)` after the environment fallback, read once.
    resolved: OnceLock<(Option<String>, Option<String>)>,
    read_env: bool,
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Credentials {
    fn api_key(&self) -> Option<ApiKey> {
        if let Some(key) = self.api_key.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
            return Some(key.clone());
        }
        if !self.read_env {
            return None;
        }
        // A missing key is not remembered: a key set later (a late `load_dotenv`) is used.
        let found = ApiKey::from(env_var("OPENAI_API_KEY")?);
        let mut slot = self.api_key.write().unwrap_or_else(PoisonError::into_inner);
        // A key stored by `set_api_key` meanwhile wins over the environment.
        Some(slot.get_or_insert(found).clone())
    }

    fn set_api_key(&self, key: ApiKey) {
        *self.api_key.write().unwrap_or_else(PoisonError::into_inner) = (!key.is_empty()).then_some(key);
    }

    /// What `Debug` says of the key: never the key itself.
    fn describe_key(&self) -> &'static str {
        if self.api_key.read().unwrap_or_else(PoisonError::into_inner).is_some() {
            "<redacted>"
        } else if self.read_env {
            "<unset: OPENAI_API_KEY is read when a batch needs it>"
        } else {
            "<unset>"
        }
    }

    fn org_and_project(&self) -> &(Option<String>, Option<String>) {
        self.resolved.get_or_init(|| {
            let from_env = |explicit: &Option<String>, name: &str| {
                explicit.clone().or_else(|| if self.read_env { env_var(name) } else { None })
            };
            (from_env(&self.organization, "OPENAI_ORG_ID"), from_env(&self.project, "OPENAI_PROJECT_ID"))
        })
    }
}

impl BackendSpanExporter {
    /// A builder with the Python SDK's defaults: OpenAI's endpoint, 3 attempts, backoff
    /// from 1 s to 30 s, and the key, organization and project from the environment.
    pub fn builder() -> BackendSpanExporterBuilder {
        BackendSpanExporterBuilder::default()
    }

    pub(crate) fn from_builder(b: BackendSpanExporterBuilder, engine: Engine) -> Self {
        let response_data = b.response_data_in_logs.unwrap_or_else(|| {
            if b.read_env {
                trace_core::sensitive::data_in_logs_from_env()
            } else {
                trace_core::sensitive::data_in_logs(None, None)
            }
        });
        Self {
            engine,
            sanitize: b.sanitizes(),
            credentials: Credentials {
                api_key: RwLock::new(b.api_key),
                organization: b.organization,
                project: b.project,
                resolved: OnceLock::new(),
                read_env: b.read_env,
            },
            warned_no_key: AtomicBool::new(false),
            max_item_bytes: b.max_item_bytes,
            left_out_log: LogRateLimiter::new(Duration::from_secs(10)),
            policy: OpenAiPolicy { response_data },
        }
    }

    /// What became of the items exported so far: delivered, or lost by reason; see
    /// [`ExporterStats`].
    pub fn stats(&self) -> ExporterStats {
        self.engine.stats()
    }

    /// Replaces the API key used for items without a per-trace key. Safe to call from any
    /// thread, also while an export runs (the next request uses it). An empty key unsets
    /// it, so that `OPENAI_API_KEY` is looked up again.
    pub fn set_api_key(&self, key: impl Into<ApiKey>) {
        self.credentials.set_api_key(key.into());
    }

    /// Where batches go.
    pub fn endpoint(&self) -> &str {
        self.engine.endpoint()
    }

    /// Whether the OpenAI sanitizer is applied (see [`Sanitize`](crate::Sanitize)).
    pub fn sanitizes(&self) -> bool {
        self.sanitize
    }

    /// Whether [`shutdown`](TracingExporter::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.engine.is_shut_down()
    }

    /// The requests an export of `items` would send, without sending anything: for dry
    /// runs and debugging. One per API key group, as [`export`](TracingExporter::export)
    /// groups them; the body is exactly what would be sent (sanitized when this exporter
    /// sanitizes). The `Authorization` header shows `Bearer <redacted>`, or `<no key>`
    /// when no key is found.
    pub fn prepare_requests(&self, items: &[ExportItem]) -> Vec<PreparedRequest> {
        let (organization, project) = self.credentials.org_and_project();
        let groups = group_by_key(&without_trace_ends(items));
        groups
            .into_iter()
            .map(|(key, group)| {
                let has_key = key.is_some() || self.credentials.api_key().is_some();
                let mut headers = vec![
                    ("Authorization".to_owned(), if has_key { "Bearer <redacted>" } else { "<no key>" }.to_owned()),
                    ("Content-Type".to_owned(), "application/json".to_owned()),
                    ("OpenAI-Beta".to_owned(), "traces=v1".to_owned()),
                ];
                if let Some(org) = organization {
                    headers.push(("OpenAI-Organization".to_owned(), org.clone()));
                }
                if let Some(project) = project {
                    headers.push(("OpenAI-Project".to_owned(), project.clone()));
                }
                headers.push(("User-Agent".to_owned(), USER_AGENT.to_owned()));
                let mut body = Vec::new();
                self.write_body(&group, &mut body, false);
                self.engine.prepare(headers, body)
            })
            .collect()
    }

    /// Writes `{"data":[...]}` (exactly [`ExportBatch`], or its sanitized form)
    /// into `body`, one item at a time: an item larger than `max_item_bytes`, or one that
    /// fails to serialize, is left out and the others are written. With `count`, the items
    /// left out are counted and reported (rate-limited).
    fn write_body(&self, items: &[ExportItem], body: &mut Vec<u8>, count: bool) -> Written {
        let mut written = Written::default();
        body.extend_from_slice(b"{\"data\":[");
        for item in items {
            let start = body.len();
            if written.sent > 0 {
                body.push(b',');
            }
            let result = match self.max_item_bytes {
                // No limit (the default): straight into the body, no per-fragment check.
                None => self.write_item(&mut *body, item),
                Some(max) => {
                    let limit = body.len().saturating_add(max);
                    self.write_item(Capped { buf: body, limit }, item)
                }
            };
            let Err(e) = result else {
                written.sent += 1;
                continue;
            };
            body.truncate(start);
            let too_large = e.is_io();
            if too_large {
                written.too_large += 1;
            } else {
                written.unsendable += 1;
            }
            if count {
                if let Some(suppressed) = self.left_out_log.check() {
                    let (kind, id) = match item {
                        ExportItem::Trace(t) | ExportItem::TraceEnd(t) => ("trace", t.trace_id().to_string()),
                        ExportItem::Span(s) => ("span", s.span_id().to_string()),
                    };
                    let why = if too_large {
                        format!("its JSON is larger than max_item_bytes ({} bytes)", self.max_item_bytes.unwrap_or(0))
                    } else {
                        format!("it could not be serialized: {e}")
                    };
                    log::warn!(
                        "[non-fatal] Tracing: {kind} {id} left out of its request because {why}; the rest of the \
                         batch is sent ({suppressed} more left out since the last report)"
                    );
                }
            }
        }
        body.extend_from_slice(b"]}");
        if count {
            self.engine.record_left_out(written.too_large, written.unsendable);
        }
        written
    }

    /// Writes one item's object, sanitized if the exporter sanitizes.
    fn write_item<W: std::io::Write>(&self, out: W, item: &ExportItem) -> serde_json::Result<()> {
        if self.sanitize {
            SanitizedItem(item).write_json(out)
        } else {
            trace_core::wire::write_item_json(out, item)
        }
    }

    /// Serializes and sends one group, retrying as configured. Returns what was written
    /// (items left out are counted already) and the fate of the request.
    fn send_group(&self, key: &ApiKey, items: &[ExportItem], deadline: Instant) -> (Written, Result<(), SendFailure>) {
        let mut body = self.engine.take_buffer();
        let written = self.write_body(items, &mut body, true);
        let result = if written.sent == 0 {
            Ok(())
        } else {
            let authorization = format!("Bearer {}", key.expose());
            let (organization, project) = self.credentials.org_and_project();
            let mut headers = vec![
                ("Authorization", authorization.as_str()),
                ("Content-Type", "application/json"),
                ("OpenAI-Beta", "traces=v1"),
            ];
            if let Some(org) = organization {
                headers.push(("OpenAI-Organization", org));
            }
            if let Some(project) = project {
                headers.push(("OpenAI-Project", project));
            }
            self.engine.send(&self.policy, &headers, Some(key.expose()), &body, written.sent, deadline).map(drop)
        };
        self.engine.give_back(body);
        (written, result)
    }

    /// The key for items without their own: `None` (with one warning per exporter) if
    /// there is none.
    fn default_key(&self) -> Option<ApiKey> {
        let key = self.credentials.api_key();
        if key.is_none() && !self.warned_no_key.swap(true, Ordering::Relaxed) {
            log::warn!(
                "OPENAI_API_KEY is not set, skipping trace export: traces are not sent to OpenAI. To send them, set \
                 OPENAI_API_KEY or call set_tracing_export_api_key(..) (BackendSpanExporter::set_api_key); to turn \
                 tracing off, set OPENAI_AGENTS_DISABLE_TRACING=1 or call set_tracing_disabled(true); to keep other \
                 processors without OpenAI's, call set_trace_processors(..). This warning is given once: later \
                 batches are counted in stats().no_api_key, not logged"
            );
        }
        key
    }
}

impl BackendSpanExporterBuilder {
    /// Checks the settings and builds the exporter and its connection pool, reading the
    /// proxy variables (see [`trace_http::proxy_for`]). No request is made and no
    /// credential is read from the environment yet.
    ///
    /// # Errors
    /// [`BuildError::InvalidEndpoint`] if the endpoint is not an absolute `http(s)://` URL;
    /// [`BuildError::TlsUnavailable`] if it is `https://` and the `rustls` feature is off;
    /// [`BuildError::InvalidProxy`] if a proxy variable that applies holds no valid URL;
    /// [`BuildError::InvalidTlsFile`] if a TLS file given for an `https://` endpoint cannot
    /// be used; [`BuildError::InsecureEndpoint`] if it is `http://` on a host that is not a
    /// loopback address (a loopback one never goes through a proxy), unless
    /// [`allow_insecure_http`](trace_http::WithHttpOptions::allow_insecure_http) was given (the
    /// refusal is also logged at `error` level, since the key would travel in clear text).
    pub fn build(self) -> Result<BackendSpanExporter, BuildError> {
        // Every request carries a key, given here or read from the environment later.
        let config = EngineConfig::new(
            "trace-export-openai",
            "trace_export_openai",
            USER_AGENT,
            cfg!(feature = "rustls"),
            self.endpoint.clone(),
        )
        .credentials(self.api_key.iter().map(ApiKey::expose));
        let engine = Engine::build(config, &self.http)?;
        Ok(BackendSpanExporter::from_builder(self, engine))
    }
}

/// `items` without the trace ends ([`ExportItem::TraceEnd`]): the wire format has one trace
/// object per trace, sent at its start. The processors never offer trace ends to this
/// exporter (it does not [want them](TracingExporter::wants_trace_ends)); an exporter
/// wrapping this one may pass them on, and they are skipped: not sent, not counted.
fn without_trace_ends(items: &[ExportItem]) -> Cow<'_, [ExportItem]> {
    if items.iter().any(ExportItem::is_trace_end) {
        Cow::Owned(items.iter().filter(|i| !i.is_trace_end()).cloned().collect())
    } else {
        Cow::Borrowed(items)
    }
}

/// Splits a batch by per-trace API key, first-seen order, queue order within each group.
fn group_by_key(items: &[ExportItem]) -> Vec<(Option<ApiKey>, Vec<ExportItem>)> {
    let mut groups: Vec<(Option<ApiKey>, Vec<ExportItem>)> = Vec::new();
    for item in items {
        let key = item.tracing_api_key();
        match groups.iter_mut().find(|(k, _)| k.as_ref() == key) {
            Some((_, group)) => group.push(item.clone()),
            None => groups.push((key.cloned(), vec![item.clone()])),
        }
    }
    groups
}

impl TracingExporter for BackendSpanExporter {
    /// Sends the batch: one `POST` per API key (items of traces with their own key go in
    /// their own request), each retried as configured within an export budget of its own
    /// (as Python retries each key's group on its own: a group that runs out of time, a
    /// revoked key that is rate-limited say, leaves the next group its whole budget). A
    /// server that never answers thus costs up to the budget per group.
    ///
    /// # Errors
    /// [`ExportError::Failed`] with the number of items of the groups that were not
    /// delivered (rejected, retries or budget exhausted, left out; and items without a
    /// key among them); [`ExportError::NotConfigured`] when the only items lost had no
    /// key (warned once per exporter, then counted in [`ExporterStats::no_api_key`]);
    /// [`ExportError::ShutDown`] if the exporter was shut down before or during the export.
    ///
    /// Trace ends ([`ExportItem::TraceEnd`]) are skipped: the trace object was sent with
    /// the trace's start. (The processors of this workspace never hand this exporter one,
    /// as it does not [want trace ends](TracingExporter::wants_trace_ends); one handed to
    /// it anyway counts as exported in the processor's stats when the export succeeds.)
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        let items = &*without_trace_ends(items);
        self.engine.refuse_if_shut_down(items.len())?;
        if items.is_empty() {
            return Ok(());
        }
        let mut failed = 0;
        // Of `failed`: items not sent for want of a key (warned once, then counted only).
        let mut no_key = 0;
        let mut reasons: Vec<String> = Vec::new();
        let mut shut_down = false;
        let mut send = |key: Option<&ApiKey>, group: &[ExportItem]| {
            if shut_down || self.engine.is_shut_down() {
                shut_down = true;
                failed += group.len();
                self.engine.record(group.len(), &Err(SendFailure::ShutDown));
                return;
            }
            let (written, result) = match key.cloned().or_else(|| self.default_key()) {
                Some(key) => self.send_group(&key, group, self.engine.deadline()),
                None => (Written { sent: group.len(), ..Written::default() }, Err(SendFailure::NoApiKey)),
            };
            let left_out = written.too_large + written.unsendable;
            if left_out > 0 {
                failed += left_out;
                reasons.push(format!(
                    "{left_out} item(s) left out of the request ({} larger than max_item_bytes, {} not serializable)",
                    written.too_large, written.unsendable
                ));
            }
            self.engine.record(written.sent, &result);
            match result {
                Ok(()) => {}
                Err(SendFailure::ShutDown) => {
                    shut_down = true;
                    failed += written.sent;
                }
                Err(e) => {
                    let lost = e.lost_items(written.sent);
                    failed += lost;
                    if matches!(e, SendFailure::NoApiKey) {
                        no_key += lost;
                    }
                    let reason = e.to_string();
                    if !reasons.contains(&reason) {
                        reasons.push(reason);
                    }
                }
            }
        };
        let first = items[0].tracing_api_key();
        if items.iter().all(|i| i.tracing_api_key() == first) {
            send(first, items);
        } else {
            for (key, group) in group_by_key(items) {
                send(key.as_ref(), &group);
            }
        }
        if failed == 0 {
            Ok(())
        } else if shut_down {
            Err(ExportError::ShutDown { items: failed })
        } else if no_key == failed {
            // Said once, in the warning of `default_key`: counted, not logged again.
            Err(ExportError::NotConfigured { items: failed, reason: reasons.join("; ") })
        } else {
            Err(ExportError::failed(failed, reasons.join("; ")))
        }
    }

    /// Stops the exporter: a backoff sleep ends at once, a running export gives up after
    /// the request in flight (bounded by the timeouts), later exports fail at once.
    fn shutdown(&self) {
        self.engine.shutdown();
    }

    /// 2 ([`trace_http::CONCURRENT_EXPORTS`]): a batch processor in front of this exporter
    /// keeps two requests in flight, each on its own connection, where the Python SDK
    /// sends one at a time. No span is sent before its trace: a batch with items of a
    /// trace whose start is in a batch still in flight waits for that batch to return.
    fn concurrent_exports(&self) -> usize {
        trace_http::CONCURRENT_EXPORTS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use trace_core::{Trace, TraceId};

    fn item(key: Option<&str>) -> ExportItem {
        let mut t = Trace::new(TraceId::generate(), "w");
        if let Some(k) = key {
            t = t.with_tracing_api_key(k);
        }
        ExportItem::Trace(Arc::new(t))
    }

    #[test]
    fn groups_keep_first_seen_order_and_queue_order() {
        let items = [item(None), item(Some("a")), item(None), item(Some("b")), item(Some("a"))];
        let groups = group_by_key(&items);
        let keys: Vec<_> = groups.iter().map(|(k, g)| (k.as_ref().map(|k| k.expose().to_owned()), g.len())).collect();
        assert_eq!(keys, [(None, 2), (Some("a".to_owned()), 2), (Some("b".to_owned()), 1)]);
        assert_eq!(groups[0].1[1], items[2]);
        assert_eq!(groups[1].1[1], items[4]);
    }

    #[test]
    fn prepared_requests_match_what_export_would_send_and_hide_the_key() {
        let exporter = BackendSpanExporter::builder()
            .api_key("sk-secret")
            .organization("org-1")
            .endpoint("http://127.0.0.1:9/v1/traces/ingest")
            .read_env(false)
            .build()
            .unwrap();
        let items = [item(None), item(Some("sk-own")), item(None)];
        let requests = exporter.prepare_requests(&items);
        assert_eq!(requests.len(), 2);
        let first = &requests[0];
        assert_eq!(first.headers[0], ("Authorization".to_owned(), "Bearer <redacted>".to_owned()));
        assert!(first.headers.contains(&("OpenAI-Organization".to_owned(), "org-1".to_owned())));
        assert!(!first.headers.iter().any(|(n, _)| n == "OpenAI-Project"));
        let expected = trace_core::wire::to_json_vec(&ExportBatch(&[items[0].clone(), items[2].clone()])).unwrap();
        assert_eq!(first.body, expected);
        let text = format!("{requests:?}");
        assert!(!text.contains("sk-secret") && !text.contains("sk-own"));
    }

    #[test]
    fn trace_ends_are_skipped() {
        let exporter = BackendSpanExporter::builder()
            .api_key("sk-secret")
            .endpoint("http://127.0.0.1:9/v1/traces/ingest")
            .read_env(false)
            .build()
            .unwrap();
        let start = item(None);
        let end = ExportItem::TraceEnd(Arc::clone(start.as_trace().unwrap()));
        let requests = exporter.prepare_requests(&[start.clone(), end.clone()]);
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].body, trace_core::wire::to_json_vec(&ExportBatch(&[start])).unwrap());
        assert!(exporter.prepare_requests(std::slice::from_ref(&end)).is_empty(), "nothing to send");
        // Nothing sent (the port is closed), nothing lost.
        assert_eq!(exporter.export(&[end]), Ok(()));
        assert_eq!(exporter.stats(), ExporterStats::default());
    }
}
