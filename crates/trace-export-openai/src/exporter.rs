//! [`BackendSpanExporter`]: credentials, grouping by API key, and the export loop.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use trace_core::{ApiKey, ExportBatch, ExportError, ExportItem, TracingExporter};

use crate::config::BackendSpanExporterBuilder;
use crate::error::{display_endpoint, GroupFailure};
use crate::http::{HttpClient, RequestHeaders};
use crate::retry::{classify, Backoff, StatusClass, Stop};
use crate::sanitize::SanitizedBatch;

/// A body buffer larger than this is not kept for the next export.
const KEEP_BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// How much of an error response body goes into the log line, in characters.
const LOGGED_BODY_CHARS: usize = 512;

/// Sends traces and spans to OpenAI's traces ingest endpoint (or another collector that
/// speaks the same protocol): the Python SDK's `BackendSpanExporter`.
///
/// Made with [`BackendSpanExporter::builder`]. One `POST` per batch and API key, with
/// retries, backoff and a time budget per export; see the [crate docs](crate) for the
/// full behaviour. `Debug` never shows the API key.
pub struct BackendSpanExporter {
    http: HttpClient,
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    export_budget: Duration,
    sanitize: bool,
    credentials: Credentials,
    stop: Stop,
    buffer: Mutex<Vec<u8>>,
    warned_no_key: AtomicBool,
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

    fn has_api_key(&self) -> bool {
        self.api_key.read().unwrap_or_else(PoisonError::into_inner).is_some()
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

    pub(crate) fn from_builder(b: BackendSpanExporterBuilder) -> Self {
        Self {
            http: HttpClient::new(&b),
            max_retries: b.max_retries,
            base_delay: b.base_delay,
            max_delay: b.max_delay,
            export_budget: b.export_budget,
            sanitize: b.sanitizes(),
            credentials: Credentials {
                api_key: RwLock::new(b.api_key),
                organization: b.organization,
                project: b.project,
                resolved: OnceLock::new(),
                read_env: b.read_env,
            },
            stop: Stop::default(),
            buffer: Mutex::new(Vec::new()),
            warned_no_key: AtomicBool::new(false),
        }
    }

    /// Replaces the API key used for items without a per-trace key. Safe to call from any
    /// thread, also while an export runs (the next request uses it). An empty key unsets
    /// it, so that `OPENAI_API_KEY` is looked up again.
    pub fn set_api_key(&self, key: impl Into<ApiKey>) {
        self.credentials.set_api_key(key.into());
    }

    /// Where batches go.
    pub fn endpoint(&self) -> &str {
        self.http.endpoint()
    }

    /// Whether the OpenAI sanitizer is applied (see [`Sanitize`](crate::Sanitize)).
    pub fn sanitizes(&self) -> bool {
        self.sanitize
    }

    /// Whether [`shutdown`](TracingExporter::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.stop.is_stopped()
    }

    /// The requests an export of `items` would send, without sending anything: for dry
    /// runs and debugging. One per API key group, as [`export`](TracingExporter::export)
    /// groups them; the body is exactly what would be sent (sanitized when this exporter
    /// sanitizes). The `Authorization` header shows `Bearer <redacted>`, or `<no key>`
    /// when no key is found.
    pub fn prepare_requests(&self, items: &[ExportItem]) -> Vec<PreparedRequest> {
        let (organization, project) = self.credentials.org_and_project();
        let groups = group_by_key(items);
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
                headers.push(("User-Agent".to_owned(), crate::config::USER_AGENT.to_owned()));
                let body = if self.sanitize {
                    serde_json::to_vec(&SanitizedBatch(&group))
                } else {
                    serde_json::to_vec(&ExportBatch(&group))
                };
                PreparedRequest { url: display_endpoint(self.http.endpoint()), headers, body: body.unwrap_or_default() }
            })
            .collect()
    }

    fn take_buffer(&self) -> Vec<u8> {
        std::mem::take(&mut *self.buffer.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn return_buffer(&self, mut buf: Vec<u8>) {
        if buf.capacity() <= KEEP_BUFFER_BYTES {
            buf.clear();
            *self.buffer.lock().unwrap_or_else(PoisonError::into_inner) = buf;
        }
    }

    /// Serializes and sends one group, retrying as configured.
    fn send_group(&self, key: &ApiKey, items: &[ExportItem], deadline: Instant) -> Result<(), GroupFailure> {
        let mut body = self.take_buffer();
        body.clear();
        let written = if self.sanitize {
            serde_json::to_writer(&mut body, &SanitizedBatch(items))
        } else {
            serde_json::to_writer(&mut body, &ExportBatch(items))
        };
        let result = match written {
            Ok(()) => self.post_with_retries(key, &body, items.len(), deadline),
            Err(e) => {
                log::error!("[non-fatal] Tracing: could not serialize a batch of {} items: {e}", items.len());
                Err(GroupFailure::Serialize(e.to_string()))
            }
        };
        self.return_buffer(body);
        result
    }

    fn post_with_retries(
        &self,
        key: &ApiKey,
        body: &[u8],
        count: usize,
        deadline: Instant,
    ) -> Result<(), GroupFailure> {
        let authorization = format!("Bearer {}", key.expose());
        let (organization, project) = self.credentials.org_and_project();
        let headers = RequestHeaders {
            authorization: &authorization,
            organization: organization.as_deref(),
            project: project.as_deref(),
        };
        let scrub = |text: &str| redact(text, key);
        let mut backoff = Backoff::new(self.base_delay, self.max_delay);
        let mut attempts = 0u32;
        let mut last = String::new();
        loop {
            if self.stop.is_stopped() {
                return Err(GroupFailure::ShutDown);
            }
            let now = Instant::now();
            if now >= deadline {
                log::warn!("[non-fatal] Tracing: export time budget reached, giving up on {count} items.");
                return Err(self.budget_exhausted(attempts, last));
            }
            attempts += 1;
            let mut retry_after = None;
            match self.http.post(&headers, body, deadline - now) {
                Ok(reply) if reply.status < 300 => {
                    log::debug!("Exported {count} items");
                    return Ok(());
                }
                Ok(reply) => {
                    let status = reply.status;
                    match classify(status) {
                        StatusClass::Rejected => {
                            let text = scrub(&truncate_chars(reply.body.as_deref().unwrap_or(""), LOGGED_BODY_CHARS));
                            log::error!("[non-fatal] Tracing client error {status}: {text}");
                            return Err(GroupFailure::Rejected { status });
                        }
                        StatusClass::RetryableClient if !reply.allows_retry => {
                            let text = scrub(&truncate_chars(reply.body.as_deref().unwrap_or(""), LOGGED_BODY_CHARS));
                            log::error!("[non-fatal] Tracing client error {status} (x-should-retry: false): {text}");
                            return Err(GroupFailure::RetryForbidden { status });
                        }
                        StatusClass::Server if !reply.allows_retry => {
                            log::error!("[non-fatal] Tracing: server forbade retry for {status}.");
                            return Err(GroupFailure::RetryForbidden { status });
                        }
                        StatusClass::RetryableClient => {
                            log::warn!("[non-fatal] Tracing: client error {status}, retrying.");
                        }
                        StatusClass::Server => {
                            log::warn!("[non-fatal] Tracing: server error {status}, retrying.");
                        }
                    }
                    retry_after = reply.retry_after;
                    last = format!("HTTP {status}");
                }
                Err(e) if !e.is_transient() => {
                    let text = scrub(&e.error.to_string());
                    log::error!("[non-fatal] Tracing request could not be made: {text}");
                    return Err(GroupFailure::BadRequest(text));
                }
                Err(e) => {
                    last = scrub(&e.error.to_string());
                    log::warn!("[non-fatal] Tracing request failed: {last}");
                }
            }
            if attempts >= self.max_retries {
                log::error!("[non-fatal] Tracing: max retries reached, giving up on this batch ({count} items).");
                return Err(GroupFailure::RetriesExhausted { attempts, last });
            }
            let sleep = backoff.next_sleep(retry_after);
            if Instant::now() + sleep >= deadline {
                log::warn!(
                    "[non-fatal] Tracing: export time budget would run out during the {sleep:?} backoff, \
                     giving up on {count} items."
                );
                return Err(self.budget_exhausted(attempts, last));
            }
            if self.stop.sleep(sleep) {
                log::warn!("[non-fatal] Tracing: shutdown requested during retry backoff, giving up.");
                return Err(GroupFailure::ShutDown);
            }
        }
    }

    fn budget_exhausted(&self, attempts: u32, last: String) -> GroupFailure {
        let last = if last.is_empty() { "none".to_owned() } else { last };
        GroupFailure::BudgetExhausted { budget: self.export_budget, attempts, last }
    }

    /// The key for items without their own: `None` (with one warning per exporter) if
    /// there is none.
    fn default_key(&self) -> Option<ApiKey> {
        let key = self.credentials.api_key();
        if key.is_none() && !self.warned_no_key.swap(true, Ordering::Relaxed) {
            log::warn!(
                "OPENAI_API_KEY is not set, skipping trace export (warned once; set the variable or call set_api_key)"
            );
        }
        key
    }
}

/// A request as [`BackendSpanExporter::prepare_requests`] shows it: `POST` to `url` with
/// these headers (key redacted) and this body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedRequest {
    /// The endpoint (user info redacted).
    pub url: String,
    /// The headers the exporter sets, in order; the key is redacted.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as it would be sent.
    pub body: Vec<u8>,
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

/// `text` with every occurrence of the key replaced.
fn redact(text: &str, key: &ApiKey) -> String {
    if key.expose().is_empty() {
        text.to_owned()
    } else {
        text.replace(key.expose(), "<redacted>")
    }
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}... [{} bytes in all]", &text[..cut], text.len()),
    }
}

impl TracingExporter for BackendSpanExporter {
    /// Sends the batch: one `POST` per API key (items of traces with their own key go in
    /// their own request), each retried as configured, all within the export budget.
    ///
    /// # Errors
    /// [`ExportError::Failed`] with the number of items of the groups that were not
    /// delivered (no key, rejected, retries or budget exhausted);
    /// [`ExportError::ShutDown`] if the exporter was shut down before or during the export.
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        if self.stop.is_stopped() {
            return Err(ExportError::ShutDown { items: items.len() });
        }
        if items.is_empty() {
            return Ok(());
        }
        let deadline = Instant::now() + self.export_budget;
        let mut failed = 0;
        let mut reasons: Vec<String> = Vec::new();
        let mut shut_down = false;
        let mut send = |key: Option<&ApiKey>, group: &[ExportItem]| {
            if shut_down || self.stop.is_stopped() {
                shut_down = true;
                failed += group.len();
                return;
            }
            let result = match key.cloned().or_else(|| self.default_key()) {
                Some(key) => self.send_group(&key, group, deadline),
                None => Err(GroupFailure::NoApiKey),
            };
            match result {
                Ok(()) => {}
                Err(GroupFailure::ShutDown) => {
                    shut_down = true;
                    failed += group.len();
                }
                Err(e) => {
                    failed += group.len();
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
        } else {
            Err(ExportError::failed(failed, reasons.join("; ")))
        }
    }

    /// Stops the exporter: a backoff sleep ends at once, a running export gives up after
    /// the request in flight (bounded by the timeouts), later exports fail at once.
    fn shutdown(&self) {
        self.stop.stop();
    }
}

impl fmt::Debug for BackendSpanExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendSpanExporter")
            .field("endpoint", &display_endpoint(self.http.endpoint()))
            .field("api_key", &if self.credentials.has_api_key() { "<redacted>" } else { "<unset>" })
            .field("organization", &self.credentials.organization)
            .field("project", &self.credentials.project)
            .field("max_retries", &self.max_retries)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .field("export_budget", &self.export_budget)
            .field("sanitize", &self.sanitize)
            .field("shut_down", &self.stop.is_stopped())
            .finish_non_exhaustive()
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
    fn redaction_and_truncation() {
        let key = ApiKey::from("sk-abc");
        assert_eq!(redact("bad key sk-abc, sk-abc!", &key), "bad key <redacted>, <redacted>!");
        assert_eq!(truncate_chars("héllo", 10), "héllo");
        assert_eq!(truncate_chars("héllo", 2), "hé... [6 bytes in all]");
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
        let expected = serde_json::to_vec(&ExportBatch(&[items[0].clone(), items[2].clone()])).unwrap();
        assert_eq!(first.body, expected);
        let text = format!("{requests:?}");
        assert!(!text.contains("sk-secret") && !text.contains("sk-own"));
    }
}
