//! One bridged `tracing` span: the span (and perhaps the trace) it became, and how its
//! fields land in the span's data.

use std::borrow::Cow;

use serde_json::{Map, Value};
use trace_core::span_data::DataMap;
use trace_core::{
    AgentSpanData, CustomSpanData, FunctionSpanData, GenerationSpanData, Parent, SpanData, SpanError, SpanGuard,
    TraceGuard,
};

use crate::classify::{Convention, Kind, OPENINFERENCE_KIND, OPERATION};
use crate::messages::{message_list, system_message};
use crate::visit::{integer, parse_json, text};

/// The most messages an `llm.input_messages.<i>.…` field may address; a larger index is
/// ignored (and logged), so that one field cannot make a huge list.
pub(crate) const MAX_MESSAGE_INDEX: usize = 1024;

/// A trace the layer started for the mapped spans inside a span it does not map (a
/// request handler, say): held in that span's extensions, ended when it closes.
#[derive(Debug)]
pub(crate) struct TraceHolder {
    trace: TraceGuard,
    scope: Parent,
}

impl TraceHolder {
    pub(crate) fn new(trace: TraceGuard) -> Self {
        let scope = trace.as_parent();
        Self { trace, scope }
    }

    /// Where spans inside attach: the trace.
    pub(crate) fn scope(&self) -> &Parent {
        &self.scope
    }

    /// Ends the trace.
    pub(crate) fn finish(mut self) {
        self.trace.finish();
    }
}

/// What became of a `tracing` span the layer mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A span of this library records it.
    Recorded,
    /// Its trace was sampled out: nothing is recorded, the sampler counts it.
    SampledOut,
    /// Its scope is a no-op (tracing disabled, or the trace around it finished while it
    /// was current): nothing is recorded.
    NoOp,
}

/// What the layer keeps in a bridged span's extensions.
#[derive(Debug)]
pub(crate) struct Bridged {
    kind: Kind,
    convention: Convention,
    /// Our span; `None` for a workflow that is the trace itself.
    span: Option<SpanGuard>,
    /// The trace this span started, ended after the span.
    trace: Option<TraceGuard>,
    /// Where spans created inside attach.
    scope: Parent,
    /// A generation's inputs, kept apart until they are combined.
    generation: GenerationParts,
    /// Whether a field named the span (the name from the span's own name is a fallback,
    /// which `otel.name` may improve on).
    named: bool,
    /// Whether an error was recorded: a less precise one (a tool call's outcome) does not
    /// replace it.
    errored: bool,
    /// `otel.status_description`, the message of an `otel.status_code` of `ERROR`, which
    /// may be recorded before or after it.
    status_description: Option<String>,
    /// Whether `otel.status_code` said `ERROR`.
    status_error: bool,
}

/// The fields a generation's data is made of more than one of.
#[derive(Debug, Default)]
struct GenerationParts {
    request_model: Option<String>,
    response_model: Option<String>,
    system: Option<Value>,
    messages: Vec<Value>,
    /// Whether `llm.output_messages.<i>.…` fields were recorded: they are the output then,
    /// and `output.value` is not (as `llm.input_messages.…` win over `input.value`).
    output_indexed: bool,
}

impl Bridged {
    /// A span of `kind` under `parent`, created now and started by [`begin`](Self::begin)
    /// once the fields given at creation are applied, so that processors see them in
    /// `on_span_start` (not made current: the layer makes it current while the `tracing`
    /// span is entered). `trace` is the trace started for it,
    /// if any; a workflow with a trace of its own has no span.
    pub(crate) fn start(
        kind: Kind,
        convention: Convention,
        name: &'static str,
        parent: Parent,
        trace: Option<TraceGuard>,
    ) -> Self {
        if kind == Kind::Workflow && trace.is_some() {
            return Self {
                kind,
                convention,
                span: None,
                trace,
                scope: parent,
                generation: GenerationParts::default(),
                named: true,
                errored: false,
                status_description: None,
                status_error: false,
            };
        }
        let detail = Cow::Owned(detail(name).to_owned());
        let data: SpanData = match kind {
            Kind::Generation => GenerationSpanData::default().into(),
            Kind::Function => FunctionSpanData { name: detail, ..Default::default() }.into(),
            Kind::Agent => AgentSpanData { name: detail, ..Default::default() }.into(),
            Kind::Workflow | Kind::Custom | Kind::Other => {
                CustomSpanData { name: Cow::Borrowed(name), data: DataMap::new() }.into()
            }
        };
        let span = trace_core::span(data).parent(parent).create();
        let scope = span.as_parent();
        Self {
            kind,
            convention,
            span: Some(span),
            trace,
            scope,
            generation: GenerationParts::default(),
            named: false,
            errored: false,
            status_description: None,
            status_error: false,
        }
    }

    /// Whether the span records anything: its scope may be a no-op (tracing disabled, a
    /// trace finished while a span of it was current) or sampled out.
    pub(crate) fn outcome(&self) -> Outcome {
        match &self.span {
            Some(span) if span.is_sampled_out() => Outcome::SampledOut,
            Some(span) if span.is_noop() => Outcome::NoOp,
            _ => Outcome::Recorded,
        }
    }

    /// Starts the span: processors get `on_span_start` with the data so far, the content
    /// the conventions name left out first when the trace does not include sensitive data
    /// (as a span made with the library's builders is stripped when created).
    pub(crate) fn begin(&mut self) {
        if let Some(span) = self.span.as_mut() {
            span.strip_sensitive_if_off().start_detached();
        }
    }

    /// Where spans created inside this one attach.
    pub(crate) fn scope(&self) -> &Parent {
        &self.scope
    }

    /// Applies one field recorded on the `tracing` span.
    pub(crate) fn apply(&mut self, field: &'static str, value: Value) {
        if field == OPERATION || field == OPENINFERENCE_KIND {
            return;
        }
        if field == "otel.name" {
            // genai's spans are all named `genai.*`; their readable name is this field (a
            // custom span's whole, a function's or agent's after the operation).
            if !self.named {
                let name = text(value);
                match (self.kind, self.convention) {
                    // A span recorded with `record_other_spans` keeps its `tracing` name.
                    (_, Convention::Plain) => {}
                    (Kind::Custom | Kind::Other, _) => self.rename(name),
                    _ => self.rename(detail(&name).to_owned()),
                }
            }
            return;
        }
        match field {
            // rig-agent records a failed tool call's type under its own name.
            "error.type" | "gen_ai.tool.error.type" => {
                let error = SpanError::new(text(value.clone())).with_extra(field, value);
                self.set_error(error);
                return;
            }
            // rig-agent: `error` or `denied`, with or without an error type.
            "gen_ai.tool.call.outcome" => {
                let outcome = text(value);
                if matches!(outcome.as_str(), "error" | "denied") && !self.errored {
                    self.set_error(SpanError::new(format!("tool call {outcome}")));
                }
                return;
            }
            // tracing-opentelemetry's span status.
            "otel.status_code" => {
                if text(value).eq_ignore_ascii_case("error") {
                    self.status_error = true;
                    self.set_status_error();
                }
                return;
            }
            "otel.status_description" => {
                self.status_description = Some(text(value));
                if self.status_error {
                    self.set_status_error();
                }
                return;
            }
            _ => {}
        }
        match (self.kind, self.convention) {
            (Kind::Generation, Convention::GenAi) => self.genai_generation(field, value),
            (Kind::Generation, _) => self.openinference_generation(field, value),
            (Kind::Function, Convention::GenAi) => match field {
                "gen_ai.tool.name" => self.name_from_field(text(value)),
                "gen_ai.tool.call.arguments" => self.function(|d| d.input = Some(text(value))),
                "gen_ai.tool.call.result" => self.function(|d| d.output = Some(text(value))),
                _ => {}
            },
            (Kind::Function, _) => match field {
                "tool.name" => self.name_from_field(text(value)),
                "input.value" => self.function(|d| d.input = Some(text(value))),
                "output.value" => self.function(|d| d.output = Some(text(value))),
                _ => {}
            },
            (Kind::Agent, _) => {
                if field == "gen_ai.agent.name" || field == "agent.name" {
                    self.name_from_field(text(value));
                }
            }
            (Kind::Workflow | Kind::Custom | Kind::Other, _) => {
                // Custom data is kept whatever the sensitive-data switch says (it is the
                // user's); content the conventions name is left out here when it is off.
                if is_content(field) && !self.span.as_ref().is_some_and(SpanGuard::include_sensitive_data) {
                    return;
                }
                self.update(|d| {
                    if let SpanData::Custom(c) = d {
                        c.data.insert(field, value);
                    }
                });
            }
        }
    }

    /// Records an error on the span (the trace of a workflow has none: it is dropped).
    pub(crate) fn set_error(&mut self, error: SpanError) {
        self.errored = true;
        if let Some(span) = self.span.as_mut() {
            span.set_error(error);
        }
    }

    /// The error an `otel.status_code` of `ERROR` stands for: its description; without one,
    /// an error already recorded (an `error.type`, an event's message) is kept.
    fn set_status_error(&mut self) {
        if self.status_description.is_none() && self.errored {
            return;
        }
        let message = self.status_description.clone().unwrap_or_else(|| "error".to_owned());
        self.set_error(SpanError::new(message).with_extra("otel.status_code", Value::from("ERROR")));
    }

    /// Ends the span, then the trace it started.
    pub(crate) fn finish(mut self) {
        if let Some(mut span) = self.span.take() {
            span.finish();
        }
        if let Some(mut trace) = self.trace.take() {
            trace.finish();
        }
    }

    /// Names a function or agent span from a field meant for it.
    fn name_from_field(&mut self, name: String) {
        self.named = true;
        self.rename(name);
    }

    fn rename(&mut self, name: String) {
        self.update(|d| match d {
            SpanData::Function(f) => f.name = Cow::Owned(name),
            SpanData::Agent(a) => a.name = Cow::Owned(name),
            SpanData::Custom(c) => c.name = Cow::Owned(name),
            _ => {}
        });
    }

    fn update(&mut self, f: impl FnOnce(&mut SpanData)) {
        if let Some(span) = self.span.as_mut() {
            span.update(f);
        }
    }

    fn function(&mut self, f: impl FnOnce(&mut FunctionSpanData)) {
        self.update(|d| {
            if let SpanData::Function(data) = d {
                f(data);
            }
        });
    }

    fn generation(&mut self, f: impl FnOnce(&mut GenerationSpanData)) {
        self.update(|d| {
            if let SpanData::Generation(data) = d {
                f(data);
            }
        });
    }

    fn genai_generation(&mut self, field: &str, value: Value) {
        match field {
            "gen_ai.request.model" => {
                self.generation.request_model = Some(text(value));
                self.set_model();
            }
            "gen_ai.response.model" => {
                self.generation.response_model = Some(text(value));
                self.set_model();
            }
            "gen_ai.usage.input_tokens" => self.usage(&["input_tokens"], &value),
            "gen_ai.usage.output_tokens" => self.usage(&["output_tokens"], &value),
            "gen_ai.usage.cache_read.input_tokens" => self.usage(&["input_tokens_details", "cached_tokens"], &value),
            // The conventions' name, and rig's.
            "gen_ai.usage.reasoning.output_tokens" | "gen_ai.usage.reasoning_tokens" => {
                self.usage(&["output_tokens_details", "reasoning_tokens"], &value);
            }
            // rig's (Anthropic's prompt caching, Gemini's tool-use prompt).
            "gen_ai.usage.cache_creation.input_tokens" => {
                self.usage(&["input_tokens_details", "cache_creation_tokens"], &value);
            }
            "gen_ai.usage.tool_use_prompt_tokens" => {
                self.usage(&["input_tokens_details", "tool_use_prompt_tokens"], &value);
            }
            "gen_ai.input.messages" => {
                self.generation.messages = message_list(parse_json(value), "user");
                self.set_input();
            }
            "gen_ai.system_instructions" => {
                self.generation.system = Some(system_message(parse_json(value)));
                self.set_input();
            }
            "gen_ai.output.messages" => {
                let output = message_list(parse_json(value), "assistant");
                self.generation(|d| d.output = Some(output));
            }
            "gen_ai.request.stop_sequences" => self.model_config("stop", parse_json(value)),
            _ => {
                if let Some(setting) = field.strip_prefix("gen_ai.request.") {
                    self.model_config(setting, value);
                }
            }
        }
    }

    fn openinference_generation(&mut self, field: &str, value: Value) {
        match field {
            "llm.model_name" => {
                self.generation.request_model = Some(text(value));
                self.set_model();
            }
            "llm.token_count.prompt" => self.usage(&["input_tokens"], &value),
            "llm.token_count.completion" => self.usage(&["output_tokens"], &value),
            "llm.token_count.prompt_details.cache_read" => {
                self.usage(&["input_tokens_details", "cached_tokens"], &value);
            }
            "llm.token_count.completion_details.reasoning" => {
                self.usage(&["output_tokens_details", "reasoning_tokens"], &value);
            }
            "input.value" if self.generation.messages.is_empty() => {
                let input = message_list(parse_json(value), "user");
                self.generation(|d| d.input = Some(input));
            }
            "output.value" if !self.generation.output_indexed => {
                let output = message_list(parse_json(value), "assistant");
                self.generation(|d| d.output = Some(output));
            }
            "llm.invocation_parameters" => {
                if let Value::Object(settings) = parse_json(value) {
                    for (k, v) in settings {
                        self.model_config(&k, v);
                    }
                }
            }
            _ => {
                if let Some(rest) = field.strip_prefix("llm.input_messages.") {
                    if let Some((i, key)) = indexed(rest) {
                        set_indexed(&mut self.generation.messages, i, key, value);
                        self.set_input();
                    }
                } else if let Some(rest) = field.strip_prefix("llm.output_messages.") {
                    if let Some((i, key)) = indexed(rest) {
                        let first = !std::mem::replace(&mut self.generation.output_indexed, true);
                        self.generation(|d| {
                            // The first indexed field replaces an output from `output.value`.
                            let output = d.output.get_or_insert_with(Vec::new);
                            if first {
                                output.clear();
                            }
                            set_indexed(output, i, key, value);
                        });
                    }
                }
            }
        }
    }

    /// The model: the requested one, else the one that answered.
    fn set_model(&mut self) {
        let model = self.generation.request_model.clone().or_else(|| self.generation.response_model.clone());
        self.generation(|d| d.model = model);
    }

    /// The input: the system instructions, then the messages; the instructions only when
    /// the messages hold no system message already (rig sends them both ways).
    fn set_input(&mut self) {
        let has_system =
            self.generation.messages.iter().any(|m| m.get("role").and_then(Value::as_str) == Some("system"));
        let system = self.generation.system.iter().filter(|_| !has_system);
        let input: Vec<Value> = system.chain(&self.generation.messages).cloned().collect();
        self.generation(|d| d.input = Some(input));
    }

    /// Sets a count in the usage map, at `path` (a key, or a detail map and its key); a
    /// value that is no integer is kept as given.
    fn usage(&mut self, path: &[&str], value: &Value) {
        let count = integer(value).map_or_else(|| value.clone(), Value::from);
        self.generation(|d| {
            let usage = d.usage.get_or_insert_with(Default::default);
            match path {
                [key] => {
                    usage.insert((*key).to_owned(), count);
                }
                [map, key] => {
                    let entry = usage.entry((*map).to_owned()).or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(details) = entry {
                        details.insert((*key).to_owned(), count);
                    }
                }
                _ => {}
            }
        });
    }

    fn model_config(&mut self, key: &str, value: Value) {
        self.generation(|d| {
            d.model_config.get_or_insert_with(Default::default).insert(key.to_owned(), value);
        });
    }
}

/// Whether a field carries message content, tool arguments or results: what the
/// sensitive-data switch keeps out of a span.
fn is_content(field: &str) -> bool {
    const CONTENT: [&str; 9] = [
        "input.value",
        "output.value",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.prompt",
        "gen_ai.completion",
    ];
    /// OpenInference's content under a prefix: messages, retrieved and reranked documents,
    /// embedded texts, a reranker's query.
    const CONTENT_PREFIXES: [&str; 6] = [
        "llm.input_messages.",
        "llm.output_messages.",
        "retrieval.documents.",
        "embedding.embeddings.",
        "reranker.",
        "document.",
    ];
    CONTENT.contains(&field) || CONTENT_PREFIXES.iter().any(|p| field.starts_with(p))
}

/// What follows an operation in a span name (`invoke_agent Triage` gives `Triage`), or
/// the whole name.
fn detail(name: &str) -> &str {
    match name.split_once(' ') {
        Some((_, rest)) if !rest.trim().is_empty() => rest.trim(),
        _ => name,
    }
}

/// `3.message.content` as message 3 and its key `content` (`role`, `content`,
/// `tool_call_id`, `name`); `None` for other shapes, or an index past
/// [`MAX_MESSAGE_INDEX`] (logged).
fn indexed(rest: &str) -> Option<(usize, &str)> {
    let (index, key) = rest.split_once(".message.")?;
    let index: usize = index.parse().ok()?;
    if index >= MAX_MESSAGE_INDEX {
        crate::stats::field_ignored("a message index past the limit");
        return None;
    }
    Some((index, key))
}

/// Sets `key` of message `i` in `messages`, adding empty messages up to it. OpenInference's
/// flattened lists become the Chat Completions shape: `tool_calls.<j>.tool_call.<path>`
/// sets `<path>` (`id`, `function.name`, `function.arguments`) of tool call `j` (with
/// `"type": "function"`), and `contents.<j>.message_content.<path>` sets `<path>` (`type`,
/// `text`, `image.image.url`) of content part `j`.
fn set_indexed(messages: &mut Vec<Value>, i: usize, key: &str, value: Value) {
    let Value::Object(message) = nth_object(messages, i) else { return };
    let nested = [("tool_calls.", ".tool_call.", "tool_calls"), ("contents.", ".message_content.", "content")]
        .into_iter()
        .find_map(|(prefix, infix, list)| {
            let (j, path) = key.strip_prefix(prefix)?.split_once(infix)?;
            Some((j.parse::<usize>().ok().filter(|&j| j < MAX_MESSAGE_INDEX)?, path, list))
        });
    let Some((j, path, list)) = nested else {
        message.insert(key.to_owned(), value);
        return;
    };
    if !matches!(message.get(list), Some(Value::Array(_))) {
        message.insert(list.to_owned(), Value::Array(Vec::new()));
    }
    let Some(Value::Array(items)) = message.get_mut(list) else { return };
    let Value::Object(item) = nth_object(items, j) else { return };
    if list == "tool_calls" && path.starts_with("function.") {
        item.entry("type").or_insert_with(|| Value::from("function"));
    }
    let mut segments = path.split('.').peekable();
    let mut at = item;
    while let Some(segment) = segments.next() {
        if segments.peek().is_none() {
            at.insert(segment.to_owned(), value);
            return;
        }
        let next = at.entry(segment).or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        let Value::Object(next) = next else { return };
        at = next;
    }
}

/// Element `i` of `list`, added (with empty objects up to it) if missing.
fn nth_object(list: &mut Vec<Value>, i: usize) -> &mut Value {
    if list.len() <= i {
        list.resize_with(i + 1, || Value::Object(Map::new()));
    }
    &mut list[i]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn details_of_names() {
        assert_eq!(detail("invoke_agent Triage"), "Triage");
        assert_eq!(detail("execute_tool lookup_order"), "lookup_order");
        assert_eq!(detail("chat"), "chat");
        assert_eq!(detail("chat "), "chat ");
    }

    #[test]
    fn openinference_tool_calls_and_contents_are_nested() {
        let mut messages = Vec::new();
        let base = "tool_calls.0.tool_call.";
        set_indexed(&mut messages, 0, "role", json!("assistant"));
        set_indexed(&mut messages, 0, &format!("{base}id"), json!("c1"));
        set_indexed(&mut messages, 0, &format!("{base}function.name"), json!("add"));
        set_indexed(&mut messages, 0, &format!("{base}function.arguments"), json!(r#"{"a":2}"#));
        set_indexed(&mut messages, 0, "tool_calls.1.tool_call.function.name", json!("mul"));
        set_indexed(&mut messages, 1, "contents.0.message_content.type", json!("text"));
        set_indexed(&mut messages, 1, "contents.0.message_content.text", json!("hi"));
        assert_eq!(
            messages,
            [
                json!({"role": "assistant", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "add", "arguments": r#"{"a":2}"#}},
                    {"type": "function", "function": {"name": "mul"}},
                ]}),
                json!({"content": [{"type": "text", "text": "hi"}]}),
            ]
        );
        // An index past the limit is kept flat, not a huge list.
        set_indexed(&mut messages, 0, "tool_calls.5000.tool_call.id", json!("x"));
        assert_eq!(messages[0]["tool_calls.5000.tool_call.id"], "x");
    }

    #[test]
    fn indexed_message_fields() {
        assert_eq!(indexed("0.message.role"), Some((0, "role")));
        assert_eq!(indexed("12.message.content"), Some((12, "content")));
        assert_eq!(indexed("x.message.role"), None);
        assert_eq!(indexed("5000.message.role"), None);
        let mut messages = Vec::new();
        set_indexed(&mut messages, 1, "role", json!("user"));
        assert_eq!(messages, vec![json!({}), json!({"role": "user"})]);
    }
}
