//! Redaction: a function over the string fields of spans and traces (mask e-mail
//! addresses, say), plus built-in masking of strings that look like API keys, applied
//! once per item **on the batch worker**, before the exporter sees it: never on the
//! thread that records the span.
//!
//! Install a [`Redactor`] on a batch processor (`trace-batch`'s
//! `BatchTraceProcessorBuilder::redactor`); without one the worker does nothing more
//! (the hot path never sees redaction at all). The facade's default pipeline (OpenAI's
//! exporter) installs [`Redactor::api_keys`]; every other pipeline opts in.
//!
//! - **What is rewritten**: every string of a span (names, inputs and outputs, model names,
//!   lists of tools and handoffs, every string value inside user JSON: custom data,
//!   metadata, usage, model settings, generation messages; the error's message, data and
//!   extra keys) and of its trace (workflow name, group id, metadata values), whatever
//!   the nesting; a trace item is rewritten alike at its start
//!   ([`ExportItem::Trace`]) and at its end ([`ExportItem::TraceEnd`]). Not ids, timestamps, JSON object keys, nor audio payloads (base64).
//! - **In what order**: your function first (`Some(new)` replaces the string, `None`
//!   keeps it, at no cost), then the key masking on the result: `sk-` keys (20 or more
//!   key characters, as whole words) and `Bearer` tokens (16 or more) become
//!   [`REDACTED`] (see [`KeyMatch::Words`]). [`mask_api_keys(false)`](Redactor::mask_api_keys)
//!   turns the masking off.
//! - **Where**: each item is rewritten in place when the batch holds the only reference
//!   to it (the usual case once its guard is dropped); when another processor also holds
//!   the span, it is copied (without deep recursion) and only the batch's copy is
//!   rewritten: other processors see what was recorded. A span whose trace's strings
//!   change is given the rewritten trace, so exporters that copy trace fields onto spans
//!   (OTLP's workflow name and group id) see them rewritten too.
//! - **Failures**: a redactor that panics on an item costs that item only: it is dropped,
//!   never exported unredacted, counted by the batch processor as lost to a panic, and
//!   logged (at most once per 10 s).
//!
//! ```
//! use std::sync::Arc;
//! use trace_core::redact::Redactor;
//! use trace_core::{custom_span, trace, ExportItem};
//!
//! // Your rule: mask what looks like an e-mail address (a toy matcher).
//! let redactor = Redactor::new(|text: &str| {
//!     text.contains('@').then(|| {
//!         text.split(' ').map(|w| if w.contains('@') { "<email>" } else { w }).collect::<Vec<_>>().join(" ")
//!     })
//! });
//! assert_eq!(redactor.redact_str("write to ada@example.com").as_deref(), Some("write to <email>"));
//! assert_eq!(redactor.redact_str("key sk-proj-abcdefghijklmnopqrstuvwxyz").as_deref(), Some("key <redacted>"));
//! assert_eq!(redactor.redact_str("nothing to hide"), None);
//!
//! // What a batch processor's worker does with each batch before exporting it.
//! let trace = Arc::new(trace_core::Trace::new(trace_core::TraceId::generate(), "Support for ada@example.com"));
//! let mut batch = vec![ExportItem::Trace(Arc::clone(&trace))];
//! let outcome = redactor.redact_batch(&mut batch);
//! assert_eq!(outcome.changed, 1);
//! assert_eq!(batch[0].as_trace().unwrap().workflow_name(), "Support for <email>");
//! assert_eq!(trace.workflow_name(), "Support for ada@example.com", "the recorded trace is untouched");
//! ```

mod key_like;
mod walk;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use key_like::{mask_key_like, KeyMatch, REDACTED};

use crate::exporter::ExportItem;
use crate::panic::isolate;
use crate::rate_limit::LogRateLimiter;
use crate::trace::Trace;

/// The user's rewrite of one string.
type UserFn = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A rewrite of the strings of spans and traces, run on a batch processor's worker; see
/// the [module docs](self). Cheap to clone. `Debug` says what it does, not how.
#[derive(Clone)]
pub struct Redactor {
    user: Option<UserFn>,
    mask_api_keys: bool,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("function", &self.user.as_ref().map(|_| "<user function>"))
            .field("mask_api_keys", &self.mask_api_keys)
            .finish()
    }
}

/// What [`Redactor::redact_batch`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Redacted {
    /// Items with at least one string rewritten.
    pub changed: usize,
    /// Items dropped from the batch because the redactor panicked on them.
    pub removed: usize,
}

static PANIC_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

impl Redactor {
    /// The built-in masking of API keys alone: `sk-...` keys and `Bearer` tokens become
    /// [`REDACTED`] (see [`KeyMatch::Words`]).
    pub fn api_keys() -> Self {
        Self { user: None, mask_api_keys: true }
    }

    /// `rewrite` over every string (`Some(new)` replaces it, `None` keeps it), then the
    /// built-in masking of API keys ([`mask_api_keys`](Self::mask_api_keys), on by
    /// default). `rewrite` runs on the batch worker, once per string of each exported
    /// item; it must not block.
    pub fn new(rewrite: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self { user: Some(Arc::new(rewrite)), mask_api_keys: true }
    }

    /// Whether API keys are masked after the user's function. Default: `true`.
    pub fn mask_api_keys(mut self, mask: bool) -> Self {
        self.mask_api_keys = mask;
        self
    }

    /// The rewrite of `text`: `Some(new)` when it changes, `None` when it stays.
    pub fn redact_str(&self, text: &str) -> Option<String> {
        let user = self.user.as_ref().and_then(|f| f(text));
        if self.mask_api_keys {
            let base = user.as_deref().unwrap_or(text);
            if let std::borrow::Cow::Owned(masked) = mask_key_like(base, KeyMatch::Words) {
                return Some(masked);
            }
        }
        user
    }

    /// Rewrites the strings of every item of `batch` (see the [module docs](self)). An
    /// item the redactor panics on is removed from the batch (and logged); the outcome
    /// counts it.
    pub fn redact_batch(&self, batch: &mut Vec<ExportItem>) -> Redacted {
        let edit = |text: &str| self.redact_str(text);
        let mut traces = TraceCache::default();
        let mut outcome = Redacted::default();
        batch.retain_mut(|item| match isolate(|| redact_item(item, &edit, &mut traces)) {
            Ok(changed) => {
                outcome.changed += usize::from(changed);
                true
            }
            Err(panic) => {
                outcome.removed += 1;
                if let Some(held_back) = PANIC_LOG.check() {
                    log::error!(
                        "[non-fatal] tracing: the redactor panicked on an item; it is dropped, not exported \
                         unredacted: {panic} ({held_back} more since the last report)"
                    );
                }
                false
            }
        });
        outcome
    }
}

/// The rewritten copies of the traces met in one batch (`None`: nothing to rewrite), so a
/// trace is rewritten once per batch, however many of its spans the batch holds.
#[derive(Default)]
struct TraceCache(Vec<(Arc<Trace>, Option<Arc<Trace>>)>);

impl TraceCache {
    fn rewritten(&mut self, trace: &Arc<Trace>, edit: walk::Edit<'_>) -> Option<Arc<Trace>> {
        if let Some((_, done)) = self.0.iter().find(|(t, _)| Arc::ptr_eq(t, trace)) {
            return done.clone();
        }
        // A trace is shared by its guard and its spans: always copied.
        let mut copy = trace.clone_bounded();
        let done = walk::trace(&mut copy, edit).then(|| Arc::new(copy));
        self.0.push((Arc::clone(trace), done.clone()));
        done
    }
}

/// Rewrites one item; whether anything changed.
fn redact_item(item: &mut ExportItem, edit: walk::Edit<'_>, traces: &mut TraceCache) -> bool {
    match item {
        ExportItem::Trace(t) | ExportItem::TraceEnd(t) => match traces.rewritten(t, edit) {
            Some(new) => {
                *t = new;
                true
            }
            None => false,
        },
        ExportItem::Span(s) => {
            let new_trace = traces.rewritten(s.trace(), edit);
            let rewrite = |span: &mut crate::Span| {
                let mut changed = walk::span(span, edit);
                if let Some(t) = &new_trace {
                    span.trace = Arc::clone(t);
                    changed = true;
                }
                changed
            };
            match Arc::get_mut(s) {
                Some(span) => rewrite(span),
                None => {
                    // Another processor holds it: rewrite a copy for this batch only.
                    let mut copy = s.clone_bounded();
                    let changed = rewrite(&mut copy);
                    if changed {
                        *s = Arc::new(copy);
                    }
                    changed
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::span_data::*;
    use crate::{Span, SpanError, SpanId, TraceId};

    fn shout() -> Redactor {
        Redactor::new(|s: &str| s.contains("secret").then(|| s.replace("secret", "******")))
    }

    /// Every string of every span type holds "secret"; after redaction none does.
    #[test]
    fn every_string_of_every_span_type_is_rewritten() {
        let trace = Arc::new(
            Trace::new(TraceId::generate(), "wf secret")
                .with_group_id("g secret")
                .with_metadata(JsonMap::from_iter([("m".to_owned(), json!({"deep": ["secret"]}))])),
        );
        let s = || Some("secret".to_owned());
        let names = || Some(vec!["secret".to_owned()]);
        let map = || Some(JsonMap::from_iter([("k".to_owned(), json!(["x", {"y": "secret"}]))]));
        let all: Vec<SpanData> = vec![
            AgentSpanData {
                name: "secret".into(),
                handoffs: names(),
                tools: names(),
                output_type: s(),
                metadata: map().map(Box::new),
            }
            .into(),
            TaskSpanData { name: "secret".into(), usage: map().map(Box::new), metadata: map().map(Box::new) }.into(),
            TurnSpanData {
                turn: 1,
                agent_name: "secret".into(),
                usage: map().map(Box::new),
                metadata: map().map(Box::new),
            }
            .into(),
            FunctionSpanData { name: "secret".into(), input: s(), output: s(), mcp_data: map().map(Box::new) }.into(),
            GenerationSpanData {
                input: Some(vec![json!({"content": "secret"})]),
                output: Some(vec![json!("secret")]),
                model: s(),
                model_config: map().map(Box::new),
                usage: map().map(Box::new),
            }
            .into(),
            ResponseSpanData {
                response_id: s(),
                usage: map().map(Box::new),
                response: Some(Box::new(json!("secret"))),
                input: Some(Box::new(json!(["secret"]))),
            }
            .into(),
            HandoffSpanData { from_agent: s(), to_agent: s() }.into(),
            CustomSpanData { name: "secret".into(), data: map().unwrap().into() }.into(),
            GuardrailSpanData { name: "secret".into(), triggered: true }.into(),
            TranscriptionSpanData { output: s(), model: s(), model_config: map().map(Box::new), ..Default::default() }
                .into(),
            SpeechSpanData { input: s(), model: s(), model_config: map().map(Box::new), ..Default::default() }.into(),
            SpeechGroupSpanData { input: s() }.into(),
            McpListToolsSpanData { server: s(), result: names() }.into(),
        ];
        assert_eq!(all.len(), crate::SpanKind::ALL.len(), "every span type");
        let mut batch: Vec<ExportItem> = vec![ExportItem::Trace(Arc::clone(&trace))];
        for data in all {
            let error = SpanError::new("secret").with_data(json!({"e": "secret"})).with_extra("x", json!("secret"));
            let span = Span::new(SpanId::generate(), Arc::clone(&trace), None, data).with_error(error);
            batch.push(ExportItem::Span(Arc::new(span)));
        }
        let n = batch.len();
        let outcome = shout().redact_batch(&mut batch);
        assert_eq!(outcome, Redacted { changed: n, removed: 0 });
        for item in &batch {
            let text = crate::wire::to_json_string(item).unwrap();
            assert!(!text.contains("secret"), "{text}");
            assert!(text.contains("******"), "{text}");
            if let ExportItem::Span(s) = item {
                // The span's trace is the rewritten one too (OTLP copies its fields).
                assert_eq!(s.trace().workflow_name(), "wf ******");
                assert_eq!(s.trace().metadata().unwrap()["m"], json!({"deep": ["******"]}));
            }
        }
        assert_eq!(trace.workflow_name(), "wf secret", "the recorded trace is untouched");
        // One copy of the trace for the whole batch.
        let first = batch[1].as_span().unwrap().trace();
        assert!(batch.iter().skip(1).all(|i| Arc::ptr_eq(i.as_span().unwrap().trace(), first)));
    }

    /// A trace's end item is rewritten as its start item is, and in one batch both (and
    /// the trace of its spans) get the same rewritten copy.
    #[test]
    fn a_trace_end_is_rewritten_like_a_trace_start() {
        let trace = Arc::new(Trace::new(TraceId::generate(), "wf secret"));
        let span = Span::new(SpanId::generate(), Arc::clone(&trace), None, CustomSpanData::default());
        let mut batch = vec![
            ExportItem::Trace(Arc::clone(&trace)),
            ExportItem::Span(Arc::new(span)),
            ExportItem::TraceEnd(Arc::clone(&trace)),
        ];
        assert_eq!(shout().redact_batch(&mut batch), Redacted { changed: 3, removed: 0 });
        assert!(batch[2].is_trace_end(), "still the trace's end");
        let start = batch[0].as_trace().unwrap();
        let end = batch[2].as_trace().unwrap();
        assert_eq!(end.workflow_name(), "wf ******");
        assert!(Arc::ptr_eq(start, end) && Arc::ptr_eq(batch[1].as_span().unwrap().trace(), end));
        // Alone in its batch too.
        let mut alone = vec![ExportItem::TraceEnd(Arc::clone(&trace))];
        assert_eq!(shout().redact_batch(&mut alone).changed, 1);
        assert!(alone[0].is_trace_end());
        assert_eq!(alone[0].as_trace().unwrap().workflow_name(), "wf ******");
        assert_eq!(trace.workflow_name(), "wf secret", "the recorded trace is untouched");
    }

    #[test]
    fn a_shared_span_is_copied_and_the_original_left_alone_even_when_deep() {
        let trace = Arc::new(Trace::new(TraceId::generate(), "wf"));
        let mut deep = Value::from("secret");
        for _ in 0..100_000 {
            deep = Value::Array(vec![deep]);
        }
        let data = CustomSpanData { name: "c".into(), data: JsonMap::from_iter([("d".to_owned(), deep)]).into() };
        let original = Arc::new(Span::new(SpanId::generate(), trace, None, data));
        let mut batch = vec![ExportItem::Span(Arc::clone(&original))];
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let outcome = shout().redact_batch(&mut batch);
                (outcome, batch)
            })
            .unwrap();
        let (outcome, batch) = handle.join().expect("no stack overflow");
        assert_eq!(outcome.changed, 1);
        assert!(!Arc::ptr_eq(batch[0].as_span().unwrap(), &original));
        // Unchanged items are not copied.
        let mut plain = vec![ExportItem::Span(Arc::clone(&original))];
        assert_eq!(Redactor::api_keys().redact_batch(&mut plain).changed, 0);
        assert!(Arc::ptr_eq(plain[0].as_span().unwrap(), &original));
    }

    #[test]
    fn a_panicking_redactor_drops_the_item_only() {
        let trace = Arc::new(Trace::new(TraceId::generate(), "wf"));
        let span = |name: &'static str| {
            ExportItem::Span(Arc::new(Span::new(
                SpanId::generate(),
                Arc::clone(&trace),
                None,
                CustomSpanData { name: name.into(), data: Default::default() },
            )))
        };
        let mut batch = vec![span("ok"), span("boom"), span("ok too")];
        let redactor = Redactor::new(|s: &str| if s == "boom" { panic!("redactor bug") } else { None });
        let outcome = redactor.redact_batch(&mut batch);
        assert_eq!(outcome, Redacted { changed: 0, removed: 1 });
        let names: Vec<_> = batch.iter().map(|i| i.as_span().unwrap().data().name().unwrap()).collect();
        assert_eq!(names, ["ok", "ok too"]);
        assert!(!format!("{redactor:?}").contains("boom"));
    }
}
