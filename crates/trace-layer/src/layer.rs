//! The `tracing_subscriber::Layer` implementation.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};
use trace_core::{Parent, SpanError};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::{LookupSpan, SpanRef};

use crate::bridged::{Bridged, Outcome, TraceHolder};
use crate::builder::AgentsLayer;
use crate::classify::{classify, Convention, Kind};
use crate::visit::{text, JsonVisitor};
use crate::{entered, stats};

/// The trace a span not mapped holds for the bridged spans under it, in that span's
/// extensions: a cell put there under the extensions' lock and filled once, outside it, so
/// that two threads bridging the first spans under the same parent at once share one trace
/// (and no processor runs while a span's extensions are locked).
type HolderCell = Arc<OnceLock<TraceHolder>>;

/// Bridged spans alive in the process: while there are none, entering, leaving, recording
/// on and closing a span cost one load of this counter.
static LIVE: AtomicUsize = AtomicUsize::new(0);

fn none_live() -> bool {
    LIVE.load(Ordering::Relaxed) == 0
}

impl<S> Layer<S> for AgentsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let (kind, convention) = match classify(attrs) {
            Some(mapped) => mapped,
            None if self.config.records_other(attrs.metadata()) => (Kind::Custom, Convention::Plain),
            None => return,
        };
        if trace_core::registry::in_processor_call() {
            // A processor's own span (an `#[instrument]`ed `on_span_start`): bridged, it
            // would go back to that processor, which would make another, without end.
            stats::span_in_processor_call();
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        if span.extensions().get::<Bridged>().is_some() {
            // A second AgentsLayer in the same subscriber: the first one bridged it.
            return;
        }
        let mut fields: Vec<(&'static str, Value)> = Vec::new();
        attrs.record(&mut JsonVisitor(|name, value| fields.push((name, value))));

        let (parent, trace) = match parent_of(&span) {
            // A workflow inside a running trace is a custom span of it.
            Some(parent) => (parent, None),
            None if convention == Convention::Plain || kind == Kind::Other => {
                stats::other_span_outside_trace();
                return;
            }
            None => {
                let start = || {
                    let name = workflow_name(kind, &span, &fields, &self.config.workflow_name);
                    let mut builder = trace_core::trace(name);
                    if let Some(group) = field(&fields, &["gen_ai.conversation.id", "session.id"]) {
                        builder = builder.group_id(text(group.clone()));
                    }
                    let trace = builder.start_detached();
                    if !trace.is_noop() {
                        stats::trace_started();
                    }
                    trace
                };
                match span.parent().filter(|_| kind != Kind::Workflow) {
                    // Inside a span not mapped (a handler, or the span a framework records
                    // its run under): that span holds the trace, so the run's calls share it.
                    Some(holder) => {
                        let cell = {
                            let mut extensions = holder.extensions_mut();
                            match extensions.get_mut::<HolderCell>() {
                                Some(cell) => Arc::clone(cell),
                                None => {
                                    let cell = HolderCell::default();
                                    extensions.insert(Arc::clone(&cell));
                                    cell
                                }
                            }
                        };
                        let holder_trace = cell.get_or_init(|| {
                            LIVE.fetch_add(1, Ordering::Relaxed);
                            TraceHolder::new(start())
                        });
                        (holder_trace.scope().clone(), None)
                    }
                    None => {
                        let trace = start();
                        (trace.as_parent(), Some(trace))
                    }
                }
            }
        };
        let kind = if kind == Kind::Workflow && trace.is_none() { Kind::Custom } else { kind };
        let mut bridged = Bridged::start(kind, convention, attrs.metadata().name(), parent, trace);
        if kind != Kind::Workflow {
            match bridged.outcome() {
                Outcome::Recorded => stats::span_bridged(),
                // Counted by the sampler's stats.
                Outcome::SampledOut => {}
                Outcome::NoOp => stats::span_not_recorded(),
            }
        }
        for (name, value) in fields {
            bridged.apply(name, value);
        }
        bridged.begin();
        LIVE.fetch_add(1, Ordering::Relaxed);
        span.extensions_mut().insert(bridged);
        stats::log_ignored();
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if none_live() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        if span.extensions().get::<Bridged>().is_none() {
            return;
        }
        // The values first, with no lock held: formatting a value runs user code, which
        // may emit an event that this layer handles.
        let mut fields: Vec<(&'static str, Value)> = Vec::new();
        values.record(&mut JsonVisitor(|name, value| fields.push((name, value))));
        if let Some(bridged) = span.extensions_mut().get_mut::<Bridged>() {
            for (name, value) in fields {
                bridged.apply(name, value);
            }
        }
        // Logged with no lock held: a log line may become an event this layer handles.
        stats::log_ignored();
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // An error logged inside a processor's call (the dispatcher's own line about a
        // processor that panicked, or the processor's) is not the application's span's.
        if *event.metadata().level() != Level::ERROR || none_live() || trace_core::registry::in_processor_call() {
            return;
        }
        let Some(mut scope) = ctx.event_scope(event) else { return };
        // The nearest bridged span, found under read locks; the error is made (formatting
        // the event's values runs user code) before that one span is locked to write it.
        let Some(span) = scope.find(|s| s.extensions().get::<Bridged>().is_some()) else { return };
        let error = error_of(event);
        let mut extensions = span.extensions_mut();
        if let Some(bridged) = extensions.get_mut::<Bridged>() {
            bridged.set_error(error);
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if none_live() {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        let extensions = span.extensions();
        if let Some(bridged) = extensions.get::<Bridged>() {
            entered::enter(id, bridged.scope());
        }
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        // A bridged span cannot close while entered, so none alive means none entered.
        if none_live() {
            return;
        }
        entered::exit(id);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if none_live() {
            return;
        }
        let Some(span) = ctx.span(&id) else { return };
        // Out of the extensions first: the processors run without the span's lock held.
        let (bridged, holder) = {
            let mut extensions = span.extensions_mut();
            (extensions.remove::<Bridged>(), extensions.remove::<HolderCell>())
        };
        // The cell is this span's alone once it closes (the threads that shared it did so
        // while bridging a child, which keeps this span open).
        let holder = holder.and_then(Arc::into_inner).and_then(OnceLock::into_inner);
        if let Some(bridged) = bridged {
            LIVE.fetch_sub(1, Ordering::Relaxed);
            bridged.finish();
        }
        if let Some(holder) = holder {
            LIVE.fetch_sub(1, Ordering::Relaxed);
            holder.finish();
        }
    }
}

/// Where a new bridged span attaches: the innermost of the nearest bridged `tracing`
/// ancestor (or one holding a trace the layer started) and the current span of this library's context (a span made with its
/// helpers, or a trace started with `trace()`); `None` when there is neither.
///
/// With both, the context's span wins when it is a helper span made inside the ancestor's
/// trace; when it is an entered bridged span, or the trace alone (an entered workflow, a
/// user's `trace()`), the ancestor wins (the `tracing` tree knows an explicit `parent:`,
/// which the context does not); a context of another trace is stale on this thread
/// (another task's), and the ancestor wins. With one of them, that
/// one (a span with no bridged ancestor, `parent: None` included, takes the context's).
fn parent_of<S>(span: &SpanRef<'_, S>) -> Option<Parent>
where
    S: for<'a> LookupSpan<'a>,
{
    let ancestor = span.scope().skip(1).find_map(|s| {
        let extensions = s.extensions();
        let scope = extensions
            .get::<Bridged>()
            .map(Bridged::scope)
            .or_else(|| extensions.get::<HolderCell>().and_then(|cell| cell.get()).map(TraceHolder::scope));
        scope.cloned()
    });
    let current = trace_core::Context::current().parent().cloned();
    match (ancestor, current) {
        (Some(ancestor), Some(current)) => {
            let same = match (ancestor.trace(), current.trace()) {
                (Some(a), Some(c)) => a.trace_id() == c.trace_id(),
                _ => false,
            };
            // Only a helper span wins: a trace current by itself (an entered workflow, a
            // user's `trace()`) is less precise than a span of it in the `tracing` tree.
            let helper_span = current.span_id().is_some() && !entered::is_innermost(&current);
            Some(if same && helper_span { current } else { ancestor })
        }
        (ancestor, current) => ancestor.or(current),
    }
}

/// The workflow name of a trace started for a span: a workflow's own name; else the name
/// of the outermost `tracing` span around it; else the default.
fn workflow_name<S>(kind: Kind, span: &SpanRef<'_, S>, fields: &[(&'static str, Value)], default: &str) -> String
where
    S: for<'a> LookupSpan<'a>,
{
    if kind == Kind::Workflow {
        if let Some(name) = field(fields, &["gen_ai.workflow.name"]) {
            return text(name.clone());
        }
        let name = span.name();
        return name.strip_prefix("invoke_workflow ").unwrap_or(name).to_owned();
    }
    match span.scope().from_root().next() {
        Some(root) if root.id() != span.id() => root.name().to_owned(),
        _ => default.to_owned(),
    }
}

/// The value of the first of `names` among `fields`.
fn field<'f>(fields: &'f [(&'static str, Value)], names: &[&str]) -> Option<&'f Value> {
    names.iter().find_map(|n| fields.iter().find(|(name, _)| name == n).map(|(_, v)| v))
}

/// An ERROR event as a span error: its message, its other fields as data. Without a
/// message, the `error` field is the message (what `#[instrument(err)]` records, and what
/// tracing-opentelemetry takes as the status description), else `exception.message`,
/// else the event's name.
fn error_of(event: &Event<'_>) -> SpanError {
    let mut message = None;
    let mut data = Map::new();
    event.record(&mut JsonVisitor(|name: &'static str, value: Value| {
        if name == "message" {
            message = Some(text(value));
        } else {
            data.insert(name.to_owned(), value);
        }
    }));
    let message = message
        .or_else(|| ["error", "exception.message"].iter().find_map(|k| data.remove(*k)).map(text))
        .unwrap_or_else(|| event.metadata().name().to_owned());
    let error = SpanError::new(message);
    if data.is_empty() {
        error
    } else {
        error.with_data(Value::Object(data))
    }
}
