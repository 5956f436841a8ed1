//! One of our spans as an OTLP span: its name, kind and attributes.
//!
//! What every profile shares is here (the `openai.agents.*` attributes, JSON values as
//! attribute values, token counts read from a usage map); the attribute conventions are
//! in `genai.rs` (OpenTelemetry GenAI) and `openinference.rs` (OpenInference), the
//! message formats both read in `messages.rs`. The full tables are in the crate docs.

/// The key of a span data field: `openai.agents.span_data.` and `$field`, made at compile
/// time.
macro_rules! sd {
    ($field:literal) => {
        concat!("openai.agents.span_data.", $field)
    };
}

mod genai;
mod messages;
mod openinference;

use std::borrow::Cow;

use serde_json::Value;
use trace_core::span_data::JsonMap;
use trace_core::{AgentSpanData, Span, Trace, TurnSpanData};

/// The version of the OpenTelemetry semantic conventions the [`Profile::GenAi`] mapping
/// follows.
pub const SEMCONV_VERSION: &str = "1.41.0";

/// The schema URL of that version, sent as the `schemaUrl` of the scope's spans under
/// [`Profile::GenAi`].
pub const SEMCONV_SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.41.0";

/// Which attribute conventions spans are described with; chosen by
/// [`OtlpSpanExporterBuilder::profile`](crate::OtlpSpanExporterBuilder::profile).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// OpenTelemetry's GenAI semantic conventions ([`SEMCONV_VERSION`]): `gen_ai.*`
    /// attributes, span names such as `invoke_agent Triage`, the schema URL
    /// [`SEMCONV_SCHEMA_URL`]. For Datadog, Langfuse, LangSmith and any backend that keys
    /// on `gen_ai.*`.
    #[default]
    GenAi,
    /// OpenInference's semantic conventions: `openinference.span.kind`, `llm.*`,
    /// `input.value` / `output.value`, `tool.name`, `session.id`. For Phoenix, Arize and
    /// Weave.
    OpenInference,
}

impl Profile {
    /// The schema URL sent with the spans: [`SEMCONV_SCHEMA_URL`] for
    /// [`GenAi`](Profile::GenAi); none for OpenInference, which publishes no OpenTelemetry
    /// schema.
    pub fn schema_url(self) -> Option<&'static str> {
        match self {
            Profile::GenAi => Some(SEMCONV_SCHEMA_URL),
            Profile::OpenInference => None,
        }
    }
}

/// How spans are mapped: the builder's profile and content capture, resolved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MappingOptions {
    pub(crate) profile: Profile,
    /// Whether message content, tool arguments and results may be sent.
    pub(crate) capture_content: bool,
}

/// The prefix of the span data's fields.
const SD: &str = sd!("");

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
pub(crate) struct Attrs<'a>(Vec<Attr<'a>>);

impl<'a> Attrs<'a> {
    pub(crate) fn push(&mut self, key: impl Into<Cow<'a, str>>, value: AttrValue<'a>) {
        self.0.push(Attr { key: key.into(), value });
    }

    pub(crate) fn str(&mut self, key: &'static str, value: &'a str) {
        self.push(key, AttrValue::Str(Cow::Borrowed(value)));
    }

    pub(crate) fn opt_str(&mut self, key: &'static str, value: Option<&'a str>) {
        if let Some(v) = value {
            self.str(key, v);
        }
    }

    pub(crate) fn sd_str(&mut self, field: &str, value: Option<&'a str>) {
        if let Some(v) = value {
            self.push(join(SD, field), AttrValue::Str(Cow::Borrowed(v)));
        }
    }

    pub(crate) fn sd_list(&mut self, field: &str, value: Option<&'a Vec<String>>) {
        if let Some(v) = value {
            self.push(join(SD, field), AttrValue::StrArray(v));
        }
    }

    /// Each entry of `map` as `<prefix><key>`, skipping nulls.
    pub(crate) fn flatten(&mut self, prefix: &str, map: Option<&'a JsonMap>) {
        self.flatten_entries(prefix, map.into_iter().flatten().map(|(k, v)| (k.as_str(), v)));
    }

    /// Each of `entries` whose value maps to an attribute, under `<prefix><key>`.
    pub(crate) fn flatten_entries(&mut self, prefix: &str, entries: impl Iterator<Item = (&'a str, &'a Value)>) {
        for (k, v) in entries {
            if let Some(value) = json_value(v) {
                self.push(join(prefix, k), value);
            }
        }
    }

    /// A text attribute made here.
    pub(crate) fn owned(&mut self, key: impl Into<Cow<'a, str>>, value: String) {
        self.push(key, AttrValue::Str(Cow::Owned(value)));
    }

    /// Every entry of `usage` not in `mapped` under `<SD>usage.<key>`.
    pub(crate) fn usage_rest(&mut self, usage: Option<&'a JsonMap>, mapped: &[&str]) {
        for (k, v) in usage.into_iter().flatten() {
            if mapped.contains(&k.as_str()) {
                continue;
            }
            if let Some(value) = json_value(v) {
                self.push(join(sd!("usage."), k), value);
            }
        }
    }

    /// Model settings: the ones the conventions name as `gen_ai.request.*`, with the
    /// conventions' types (a whole number given for a double setting is sent as a double,
    /// a single `stop` string as an array of one), the others under
    /// `<SD>model_config.<key>` as given.
    pub(crate) fn model_config(&mut self, config: Option<&'a JsonMap>) {
        /// Each setting, its attribute, and whether the conventions type it as a double.
        const KNOWN: [(&str, &str, bool); 7] = [
            ("temperature", "gen_ai.request.temperature", true),
            ("top_p", "gen_ai.request.top_p", true),
            ("top_k", "gen_ai.request.top_k", true),
            ("max_tokens", "gen_ai.request.max_tokens", false),
            ("frequency_penalty", "gen_ai.request.frequency_penalty", true),
            ("presence_penalty", "gen_ai.request.presence_penalty", true),
            ("seed", "gen_ai.request.seed", false),
        ];
        for (k, v) in config.into_iter().flatten() {
            let Some(value) = json_value(v) else { continue };
            match KNOWN.iter().find(|(name, _, _)| name == k) {
                Some((_, attr, true)) => match v.as_f64() {
                    Some(f) => self.push(*attr, AttrValue::Double(f)),
                    None => self.push(*attr, value),
                },
                Some((_, attr, false)) => self.push(*attr, value),
                None if k == "stop" => {
                    let value = match value {
                        AttrValue::Str(s) => AttrValue::Array(vec![AttrValue::Str(s)]),
                        other => other,
                    };
                    self.push("gen_ai.request.stop_sequences", value)
                }
                None => self.push(join(sd!("model_config."), k), value),
            }
        }
    }
}

/// `prefix` followed by `key`, as a new key.
fn join(prefix: &str, key: &str) -> String {
    let mut joined = String::with_capacity(prefix.len() + key.len());
    joined.push_str(prefix);
    joined.push_str(key);
    joined
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
pub(crate) fn titled(kind: &str, detail: Option<&str>) -> String {
    match detail.filter(|d| !d.is_empty()) {
        Some(d) => format!("{kind}: {d}"),
        None => kind.to_owned(),
    }
}

/// A turn span's name in both profiles: `turn: 3 (Triage)`, or `turn: 3` without an agent.
pub(crate) fn turn_title(d: &TurnSpanData) -> String {
    let detail = if d.agent_name.is_empty() { d.turn.to_string() } else { format!("{} ({})", d.turn, d.agent_name) };
    titled("turn", Some(&detail))
}

/// `{operation} {detail}`, or the operation alone, as the GenAI conventions name spans
/// (`invoke_agent Triage`, `execute_tool lookup_order`, `chat gpt-4o`).
pub(crate) fn genai_name(operation: &str, detail: Option<&str>) -> String {
    match detail.filter(|d| !d.is_empty()) {
        Some(d) => format!("{operation} {d}"),
        None => operation.to_owned(),
    }
}

/// The model named in a raw Responses API response, if any.
pub(crate) fn response_model(response: Option<&Value>) -> Option<&str> {
    response?.get("model")?.as_str()
}

/// Token counts read from a usage map, in either API's spelling, with the keys read.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Tokens {
    pub(crate) input: Option<i64>,
    pub(crate) output: Option<i64>,
    pub(crate) total: Option<i64>,
    /// Input tokens read from the provider's prompt cache (included in `input`).
    pub(crate) cache_read: Option<i64>,
    /// Output tokens spent on reasoning (included in `output`).
    pub(crate) reasoning: Option<i64>,
    /// The top-level keys the counts came from (the detail maps are not in it: their
    /// other entries, audio tokens for one, stay under `<SD>usage.<key>`).
    pub(crate) keys: Vec<&'static str>,
}

impl Tokens {
    /// `input_tokens` or `prompt_tokens`, `output_tokens` or `completion_tokens`,
    /// `total_tokens`, `cached_tokens` of `input_tokens_details` or
    /// `prompt_tokens_details`, `reasoning_tokens` of `output_tokens_details` or
    /// `completion_tokens_details`.
    pub(crate) fn read(usage: &JsonMap) -> Self {
        let mut keys = Vec::new();
        let mut top = |names: [&'static str; 2]| {
            names.into_iter().find_map(|n| usage.get(n).and_then(Value::as_i64).map(|v| (n, v))).map(|(n, v)| {
                keys.push(n);
                v
            })
        };
        let input = top(["input_tokens", "prompt_tokens"]);
        let output = top(["output_tokens", "completion_tokens"]);
        let total = usage.get("total_tokens").and_then(Value::as_i64);
        if total.is_some() {
            keys.push("total_tokens");
        }
        let detail = |maps: [&str; 2], key: &str| maps.into_iter().find_map(|m| usage.get(m)?.get(key)?.as_i64());
        Tokens {
            input,
            output,
            total,
            cache_read: detail(["input_tokens_details", "prompt_tokens_details"], "cached_tokens"),
            reasoning: detail(["output_tokens_details", "completion_tokens_details"], "reasoning_tokens"),
            keys,
        }
    }
}

/// The type of an error, low-cardinality as `error.type` must be: the `type` string of
/// its data when there is one, else `_OTHER` (the conventions' fallback).
pub(crate) fn error_type(span: &Span) -> Option<String> {
    let error = span.error()?;
    let given = error.data.as_ref().and_then(|d| d.get("type")).and_then(Value::as_str).filter(|t| !t.is_empty());
    Some(given.unwrap_or("_OTHER").to_owned())
}

/// The attributes of an agent span that no convention has a key for, the same under every
/// profile: its handoffs, tools and output type.
pub(crate) fn agent_fields<'a>(a: &mut Attrs<'a>, d: &'a AgentSpanData) {
    a.sd_list("handoffs", d.handoffs.as_ref());
    a.sd_list("tools", d.tools.as_ref());
    a.sd_str("output_type", d.output_type.as_deref());
}

/// Maps a trace that ended to its root span: named after the workflow, with the trace's
/// own attributes; every top-level span of the trace is its child.
pub(crate) fn map_trace(trace: &Trace, options: MappingOptions) -> Mapped<'_> {
    let mut a = Attrs(Vec::with_capacity(8));
    a.str("openai.agents.span_data.type", "trace");
    a.str("openai.agents.workflow.name", trace.workflow_name());
    a.owned("openai.agents.trace_id", trace.trace_id().with_str(str::to_owned));
    if let Some(group) = trace.group_id() {
        a.str("openai.agents.group_id", group);
        match options.profile {
            Profile::OpenInference => a.str("session.id", group),
            _ => a.str("gen_ai.conversation.id", group),
        }
    }
    if options.profile == Profile::OpenInference {
        a.str("openinference.span.kind", "CHAIN");
    }
    a.flatten("openai.agents.trace.metadata.", trace.metadata());
    Mapped { name: trace.workflow_name().to_owned(), kind: KIND_INTERNAL, attributes: a.0 }
}

/// Maps one span (its trace travels with it: `span.trace()`).
pub(crate) fn map_span(span: &Span, options: MappingOptions) -> Mapped<'_> {
    let mut a = Attrs(Vec::with_capacity(24));
    let data = span.data();
    a.str("openai.agents.span_data.type", data.kind().as_str());

    let trace = span.trace();
    a.str("openai.agents.workflow.name", trace.workflow_name());
    if let Some(group) = trace.group_id() {
        a.str("openai.agents.group_id", group);
    }
    a.owned("openai.agents.trace_id", span.trace_id().with_str(str::to_owned));
    a.owned("openai.agents.span_id", span.span_id().with_str(str::to_owned));
    if let Some(parent) = span.parent_id() {
        a.owned("openai.agents.parent_id", parent.with_str(str::to_owned));
    }
    a.flatten("openai.agents.trace.metadata.", trace.metadata());

    let (name, kind) = match options.profile {
        Profile::OpenInference => openinference::map(&mut a, span, options.capture_content),
        // GenAi, and any profile added later until it has its own mapping.
        _ => genai::map(&mut a, span, options.capture_content),
    };
    a.flatten(sd!("metadata."), data.metadata());
    if let Some(error_type) = error_type(span) {
        a.owned("error.type", error_type);
    }
    if let Some(data) = span.error().and_then(|e| e.data.as_ref()) {
        a.owned("openai.agents.error.data", trace_core::wire::to_json_string(data).unwrap_or_default());
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
    fn model_settings_take_the_conventions_types() {
        let config: JsonMap =
            serde_json::from_value(json!({"temperature": 1, "top_p": 0.5, "max_tokens": 100, "stop": "END", "n": 2}))
                .unwrap();
        let mut a = Attrs(Vec::new());
        a.model_config(Some(&config));
        let get = |key: &str| a.0.iter().find(|kv| kv.key == key).map(|kv| kv.value.clone());
        assert_eq!(get("gen_ai.request.temperature"), Some(AttrValue::Double(1.0)));
        assert_eq!(get("gen_ai.request.top_p"), Some(AttrValue::Double(0.5)));
        assert_eq!(get("gen_ai.request.max_tokens"), Some(AttrValue::Int(100)));
        assert_eq!(get("gen_ai.request.stop_sequences"), Some(AttrValue::Array(vec![AttrValue::Str("END".into())])));
        assert_eq!(get(sd!("model_config.n")), Some(AttrValue::Int(2)), "others as given");
    }

    #[test]
    fn titles() {
        assert_eq!(titled("agent", Some("Triage")), "agent: Triage");
        assert_eq!(titled("generation", None), "generation");
        assert_eq!(titled("generation", Some("")), "generation");
    }
}
