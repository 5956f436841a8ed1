//! Every string a redactor looks at in a span or a trace, rewritten in place: names,
//! texts, lists of names, every string value inside user JSON (not object keys), and the
//! error. Not ids, timestamps or audio payloads (base64, not text). JSON is walked on the
//! heap, level after level, so any nesting is safe.

use std::borrow::Cow;

use serde_json::Value;

use crate::span::Span;
use crate::span_data::{JsonMap, JsonMut, Name, SpanData};
use crate::span_error::SpanError;
use crate::trace::Trace;

/// The rewrite of one string: `Some(new)` to replace it, `None` to keep it.
pub(super) type Edit<'a> = &'a dyn Fn(&str) -> Option<String>;

fn string(s: &mut String, edit: Edit<'_>) -> bool {
    match edit(s) {
        Some(new) => {
            *s = new;
            true
        }
        None => false,
    }
}

fn name(n: &mut Name, edit: Edit<'_>) -> bool {
    match edit(n) {
        Some(new) => {
            *n = Cow::Owned(new);
            true
        }
        None => false,
    }
}

fn opt(s: &mut Option<String>, edit: Edit<'_>) -> bool {
    s.as_mut().is_some_and(|s| string(s, edit))
}

fn list(items: &mut Option<Vec<String>>, edit: Edit<'_>) -> bool {
    items.iter_mut().flatten().fold(false, |changed, s| string(s, edit) | changed)
}

/// Every string value under the values of `stack`, walked on the heap.
fn json(mut stack: Vec<&mut Value>, edit: Edit<'_>) -> bool {
    let mut changed = false;
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => changed |= string(s, edit),
            Value::Array(items) => stack.extend(items.iter_mut()),
            Value::Object(map) => stack.extend(map.values_mut()),
            _ => {}
        }
    }
    changed
}

fn map(m: &mut JsonMap, edit: Edit<'_>) -> bool {
    json(m.values_mut().collect(), edit)
}

/// The strings of `data`: its text fields, then every string in its JSON fields (listed
/// once, in [`SpanData::json_fields_mut`]).
pub(super) fn span_data(data: &mut SpanData, edit: Edit<'_>) -> bool {
    let mut changed = match data {
        SpanData::Agent(d) => {
            name(&mut d.name, edit)
                | list(&mut d.handoffs, edit)
                | list(&mut d.tools, edit)
                | opt(&mut d.output_type, edit)
        }
        SpanData::Task(d) => name(&mut d.name, edit),
        SpanData::Turn(d) => name(&mut d.agent_name, edit),
        SpanData::Function(d) => name(&mut d.name, edit) | opt(&mut d.input, edit) | opt(&mut d.output, edit),
        SpanData::Generation(d) => opt(&mut d.model, edit),
        SpanData::Response(d) => opt(&mut d.response_id, edit),
        SpanData::Handoff(d) => opt(&mut d.from_agent, edit) | opt(&mut d.to_agent, edit),
        SpanData::Custom(d) => name(&mut d.name, edit),
        SpanData::Guardrail(d) => name(&mut d.name, edit),
        // `input` is the audio (base64).
        SpanData::Transcription(d) => opt(&mut d.output, edit) | opt(&mut d.model, edit),
        // `output` is the audio (base64).
        SpanData::Speech(d) => opt(&mut d.input, edit) | opt(&mut d.model, edit),
        SpanData::SpeechGroup(d) => opt(&mut d.input, edit),
        SpanData::McpTools(d) => opt(&mut d.server, edit) | list(&mut d.result, edit),
    };
    let mut stack = Vec::new();
    for field in data.json_fields_mut() {
        match field.value {
            Some(JsonMut::Object(m)) => stack.extend(m.values_mut()),
            Some(JsonMut::Data(m)) => stack.extend(m.values_mut()),
            Some(JsonMut::Array(items)) => stack.extend(items.iter_mut()),
            Some(JsonMut::Value(v)) => stack.push(v),
            _ => {}
        }
    }
    changed |= json(stack, edit);
    changed
}

fn error(e: &mut SpanError, edit: Edit<'_>) -> bool {
    let mut changed = string(&mut e.message, edit);
    if let Some(data) = &mut e.data {
        changed |= json(vec![data], edit);
    }
    changed | map(e.extra_mut(), edit)
}

/// The strings of a span: its data and its error (not its trace).
pub(super) fn span(s: &mut Span, edit: Edit<'_>) -> bool {
    let changed = span_data(&mut s.data, edit);
    match &mut s.error {
        Some(e) => error(e, edit) | changed,
        None => changed,
    }
}

/// The strings of a trace: workflow name, group id, metadata.
pub(super) fn trace(t: &mut Trace, edit: Edit<'_>) -> bool {
    let changed = string(&mut t.workflow_name, edit) | opt(&mut t.group_id, edit);
    match &mut t.metadata {
        Some(m) => map(m, edit) | changed,
        None => changed,
    }
}
