//! One of our spans as an OTLP span: its name, kind and attributes.
//!
//! Attribute names follow the OpenTelemetry GenAI semantic conventions where one exists
//! (`gen_ai.*`, `mcp.method.name`); everything else goes under `openai.agents.*`, the
//! span data's own fields under `openai.agents.span_data.*` with the SDK's field names.
//! The full table is in the crate docs.

use std::borrow::Cow;

use serde_json::Value;
use trace_core::span_data::JsonMap;
use trace_core::{Span, SpanData};

/// `gen_ai.operation.name`.
const OPERATION: &str = "gen_ai.operation.name";
/// The prefix of the span data's fields.
const SD: &str = "openai.agents.span_data.";

/// OTLP `SpanKind` values (OTLP/JSON writes enums as integers).
pub(crate) const KIND_INTERNAL: i32 = 1;
pub(crate) const KIND_CLIENT: i32 = 3;

/// An attribute value, borrowed from the span where it can be.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AttrValue<'a> {
    /// `stringValue`.
    Str(Cow<'a, str>),
    /// `boolValue`.
    Bool(bool),
    /// `intValue` (written as a string in OTLP/JSON).
    Int(i64),
    /// `doubleValue`.
    Double(f64),
    /// `arrayValue` of strings.
    StrArray(&'a [String]),
    /// `arrayValue` of scalars, all of one type.
    Array(Vec<AttrValue<'a>>),
}

/// A key and its value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Attr<'a> {
    pub(crate) key: Cow<'a, str>,
    pub(crate) value: AttrValue<'a>,
}

/// What the OTLP span is made of, besides ids and times.
#[derive(Debug)]
pub(crate) struct Mapped<'a> {
    pub(crate) name: String,
    pub(crate) kind: i32,
    pub(crate) attributes: Vec<Attr<'a>>,
}

/// Collects attributes, skipping absent values.
struct Attrs<'a>(Vec<Attr<'a>>);

impl<'a> Attrs<'a> {
    fn push(&mut self, key: impl Into<Cow<'a, str>>, value: AttrValue<'a>) {
        self.0.push(Attr { key: key.into(), value });
    }

    fn str(&mut self, key: &'static str, value: &'a str) {
        self.push(key, AttrValue::Str(Cow::Borrowed(value)));
    }

    fn opt_str(&mut self, key: &'static str, value: Option<&'a str>) {
        if let Some(v) = value {
            self.str(key, v);
        }
    }

    fn sd_str(&mut self, field: &str, value: Option<&'a str>) {
        if let Some(v) = value {
            self.push(format!("{SD}{field}"), AttrValue::Str(Cow::Borrowed(v)));
        }
    }

    fn sd_list(&mut self, field: &str, value: Option<&'a Vec<String>>) {
        if let Some(v) = value {
            self.push(format!("{SD}{field}"), AttrValue::StrArray(v));
        }
    }

    /// Each entry of `map` as `<prefix><key>`, skipping nulls.
    fn flatten(&mut self, prefix: &str, map: Option<&'a JsonMap>) {
        for (k, v) in map.into_iter().flatten() {
            if let Some(value) = json_value(v) {
                self.push(format!("{prefix}{k}"), value);
            }
        }
    }

    /// A JSON value as text under `<SD><field>` (nesting cut at trace-core's depth limit).
    fn sd_json<T: serde::Serialize + ?Sized>(&mut self, field: &str, value: Option<&T>) {
        if let Some(v) = value {
            let text = trace_core::wire::to_json_string(v).unwrap_or_default();
            self.push(format!("{SD}{field}"), AttrValue::Str(Cow::Owned(text)));
        }
    }

    /// Token usage: `gen_ai.usage.input_tokens` / `output_tokens` (from `input_tokens` or
    /// `prompt_tokens`, `output_tokens` or `completion_tokens`) when `semconv`, and every
    /// other entry under `<SD>usage.<key>`.
    fn usage(&mut self, usage: Option<&'a JsonMap>, semconv: bool) {
        let Some(usage) = usage else { return };
        let mut mapped: Vec<&str> = Vec::new();
        if semconv {
            for (attr, names) in [
                ("gen_ai.usage.input_tokens", ["input_tokens", "prompt_tokens"]),
                ("gen_ai.usage.output_tokens", ["output_tokens", "completion_tokens"]),
            ] {
                if let Some((name, n)) =
                    names.iter().find_map(|n| usage.get(*n).and_then(Value::as_i64).map(|v| (*n, v)))
                {
                    self.push(attr, AttrValue::Int(n));
                    mapped.push(name);
                }
            }
        }
        for (k, v) in usage {
            if mapped.contains(&k.as_str()) {
                continue;
            }
            if let Some(value) = json_value(v) {
                self.push(format!("{SD}usage.{k}"), value);
            }
        }
    }

    /// Model settings: the ones the conventions name as `gen_ai.request.*`, the others
    /// under `<SD>model_config.<key>`.
    fn model_config(&mut self, config: Option<&'a JsonMap>) {
        const KNOWN: [(&str, &str); 7] = [
            ("temperature", "gen_ai.request.temperature"),
            ("top_p", "gen_ai.request.top_p"),
            ("top_k", "gen_ai.request.top_k"),
            ("max_tokens", "gen_ai.request.max_tokens"),
            ("frequency_penalty", "gen_ai.request.frequency_penalty"),
            ("presence_penalty", "gen_ai.request.presence_penalty"),
            ("seed", "gen_ai.request.seed"),
        ];
        for (k, v) in config.into_iter().flatten() {
            let Some(value) = json_value(v) else { continue };
            match KNOWN.iter().find(|(name, _)| name == k) {
                Some((_, attr)) => self.push(*attr, value),
                None if k == "stop" => self.push("gen_ai.request.stop_sequences", value),
                None => self.push(format!("{SD}model_config.{k}"), value),
            }
        }
    }
}

/// A JSON value as an attribute value: scalars as themselves, an array of scalars of one
/// type as an array, anything else (objects, mixed arrays) as JSON text, nesting cut at
/// trace-core's depth limit (`trace_core::wire`); `None` for null.
pub(crate) fn json_value(v: &Value) -> Option<AttrValue<'_>> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => AttrValue::Bool(*b),
        Value::String(s) => AttrValue::Str(Cow::Borrowed(s)),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => AttrValue::Int(i),
            // Beyond i64 (a large u64): the exact digits as text rather than a rounded double.
            (None, _) if n.is_u64() => AttrValue::Str(Cow::Owned(n.to_string())),
            (None, Some(f)) => AttrValue::Double(f),
            (None, None) => AttrValue::Str(Cow::Owned(n.to_string())),
        },
        Value::Array(items) => homogeneous(items).unwrap_or_else(|| json_text(v)),
        Value::Object(_) => json_text(v),
    })
}

fn json_text(v: &Value) -> AttrValue<'_> {
    AttrValue::Str(Cow::Owned(trace_core::wire::to_json_string(v).unwrap_or_default()))
}

/// An array attribute when every element is a scalar of one type (integers and floats
/// together become doubles), as attribute arrays must be.
fn homogeneous(items: &[Value]) -> Option<AttrValue<'_>> {
    if items.iter().all(Value::is_string) {
        return Some(AttrValue::Array(items.iter().filter_map(json_value).collect()));
    }
    if items.iter().all(Value::is_boolean) {
        return Some(AttrValue::Array(items.iter().filter_map(json_value).collect()));
    }
    if items.iter().all(Value::is_i64) {
        return Some(AttrValue::Array(items.iter().filter_map(Value::as_i64).map(AttrValue::Int).collect()));
    }
    if items.iter().all(Value::is_number) {
        return Some(AttrValue::Array(items.iter().filter_map(Value::as_f64).map(AttrValue::Double).collect()));
    }
    None
}

/// `kind: detail`, or `kind` alone when there is no detail.
fn titled(kind: &str, detail: Option<&str>) -> String {
    match detail.filter(|d| !d.is_empty()) {
        Some(d) => format!("{kind}: {d}"),
        None => kind.to_owned(),
    }
}

/// The model named in a raw Responses API response, if any.
fn response_model(response: Option<&Value>) -> Option<&str> {
    response?.get("model")?.as_str()
}

/// Maps one span (its trace travels with it: `span.trace()`).
pub(crate) fn map_span(span: &Span) -> Mapped<'_> {
    let mut a = Attrs(Vec::with_capacity(16));
    let data = span.data();
    a.str("openai.agents.span_data.type", data.kind().as_str());

    let trace = span.trace();
    a.str("openai.agents.workflow.name", trace.workflow_name());
    if let Some(group) = trace.group_id() {
        a.str("gen_ai.conversation.id", group);
        a.str("openai.agents.group_id", group);
    }
    a.push("openai.agents.trace_id", AttrValue::Str(Cow::Owned(span.trace_id().to_string())));
    a.push("openai.agents.span_id", AttrValue::Str(Cow::Owned(span.span_id().to_string())));
    if let Some(parent) = span.parent_id() {
        a.push("openai.agents.parent_id", AttrValue::Str(Cow::Owned(parent.to_string())));
    }
    a.flatten("openai.agents.trace.metadata.", trace.metadata());

    let (name, kind) = match data {
        SpanData::Agent(d) => {
            a.str(OPERATION, "invoke_agent");
            a.str("gen_ai.agent.name", &d.name);
            a.sd_list("handoffs", d.handoffs.as_ref());
            a.sd_list("tools", d.tools.as_ref());
            a.sd_str("output_type", d.output_type.as_deref());
            (titled("agent", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Task(d) => {
            a.sd_str("name", Some(&d.name));
            a.usage(d.usage.as_ref(), false);
            (titled("task", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Turn(d) => {
            a.push(format!("{SD}turn"), AttrValue::Int(d.turn));
            if !d.agent_name.is_empty() {
                a.str("gen_ai.agent.name", &d.agent_name);
            }
            a.usage(d.usage.as_ref(), false);
            let detail =
                if d.agent_name.is_empty() { d.turn.to_string() } else { format!("{} ({})", d.turn, d.agent_name) };
            (titled("turn", Some(&detail)), KIND_INTERNAL)
        }
        SpanData::Function(d) => {
            a.str(OPERATION, "execute_tool");
            a.str("gen_ai.tool.name", &d.name);
            a.str("gen_ai.tool.type", "function");
            a.opt_str("gen_ai.tool.call.arguments", d.input.as_deref());
            a.opt_str("gen_ai.tool.call.result", d.output.as_deref());
            a.flatten(&format!("{SD}mcp_data."), d.mcp_data.as_ref());
            (titled("function", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Generation(d) => {
            a.str(OPERATION, "chat");
            a.opt_str("gen_ai.request.model", d.model.as_deref());
            a.model_config(d.model_config.as_ref());
            a.usage(d.usage.as_ref(), true);
            a.sd_json("input", d.input.as_ref());
            a.sd_json("output", d.output.as_ref());
            (titled("generation", d.model.as_deref()), KIND_CLIENT)
        }
        SpanData::Response(d) => {
            let model = response_model(d.response.as_ref());
            a.str(OPERATION, "chat");
            a.opt_str("gen_ai.response.id", d.response_id.as_deref());
            a.opt_str("gen_ai.response.model", model);
            a.usage(d.usage.as_ref(), true);
            (titled("response", model), KIND_CLIENT)
        }
        SpanData::Handoff(d) => {
            a.sd_str("from_agent", d.from_agent.as_deref());
            a.sd_str("to_agent", d.to_agent.as_deref());
            (titled("handoff", data.name().as_deref()), KIND_INTERNAL)
        }
        SpanData::Custom(d) => {
            a.sd_str("name", Some(&d.name));
            a.flatten(&format!("{SD}data."), Some(&d.data));
            (titled("custom", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Guardrail(d) => {
            a.sd_str("name", Some(&d.name));
            a.push(format!("{SD}triggered"), AttrValue::Bool(d.triggered));
            (titled("guardrail", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Transcription(d) => {
            a.opt_str("gen_ai.request.model", d.model.as_deref());
            a.model_config(d.model_config.as_ref());
            a.sd_str("input.format", d.input_format.as_deref());
            a.sd_str("output", d.output.as_deref());
            (titled("transcription", d.model.as_deref()), KIND_CLIENT)
        }
        SpanData::Speech(d) => {
            a.opt_str("gen_ai.request.model", d.model.as_deref());
            a.model_config(d.model_config.as_ref());
            a.sd_str("input", d.input.as_deref());
            a.sd_str("output.format", d.output_format.as_deref());
            a.sd_str("first_content_at", d.first_content_at.as_deref());
            (titled("speech", d.model.as_deref()), KIND_CLIENT)
        }
        SpanData::SpeechGroup(d) => {
            a.sd_str("input", d.input.as_deref());
            ("speech_group".to_owned(), KIND_INTERNAL)
        }
        SpanData::McpTools(d) => {
            a.str("mcp.method.name", "tools/list");
            a.sd_str("server", d.server.as_deref());
            a.sd_list("result", d.result.as_ref());
            (titled("mcp_tools", d.server.as_deref()), KIND_CLIENT)
        }
        // A span type added to trace-core later: its type and readable name.
        other => (titled(other.kind().as_str(), other.name().as_deref()), KIND_INTERNAL),
    };
    a.flatten(&format!("{SD}metadata."), data.metadata());
    if let Some(data) = span.error().and_then(|e| e.data.as_ref()) {
        let text = trace_core::wire::to_json_string(data).unwrap_or_default();
        a.push("openai.agents.error.data", AttrValue::Str(Cow::Owned(text)));
    }
    Mapped { name, kind, attributes: a.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_become_typed_attributes() {
        assert_eq!(json_value(&json!(null)), None);
        assert_eq!(json_value(&json!(true)), Some(AttrValue::Bool(true)));
        assert_eq!(json_value(&json!(-3)), Some(AttrValue::Int(-3)));
        assert_eq!(json_value(&json!(0.5)), Some(AttrValue::Double(0.5)));
        assert_eq!(json_value(&json!(u64::MAX)), Some(AttrValue::Str(Cow::Owned(u64::MAX.to_string()))));
        assert_eq!(
            json_value(&json!([1, 2.5])),
            Some(AttrValue::Array(vec![AttrValue::Double(1.0), AttrValue::Double(2.5)]))
        );
        assert_eq!(json_value(&json!(["a", 1])), Some(AttrValue::Str(Cow::Owned(r#"["a",1]"#.into()))));
        assert_eq!(json_value(&json!({"k": [1]})), Some(AttrValue::Str(Cow::Owned(r#"{"k":[1]}"#.into()))));
    }

    #[test]
    fn titles() {
        assert_eq!(titled("agent", Some("Triage")), "agent: Triage");
        assert_eq!(titled("generation", None), "generation");
        assert_eq!(titled("generation", Some("")), "generation");
    }
}
