//! The [`Profile::OpenInference`](super::Profile::OpenInference) mapping: OpenInference's
//! semantic conventions (`openinference.span.kind`, `llm.*`, `input.value`, ...).

use serde_json::Value;
use trace_core::span_data::JsonMap;
use trace_core::{Span, SpanData};

use super::genai::PROVIDER_OPENAI;
use super::messages::{json_text, message, messages, one_choice, Message, Part};
use super::{response_model, titled, turn_title, AttrValue, Attrs, Tokens, KIND_CLIENT, KIND_INTERNAL};

/// `openinference.span.kind`.
const KIND: &str = "openinference.span.kind";
const JSON_MIME: &str = "application/json";
const TEXT_MIME: &str = "text/plain";

/// `llm.token_count.*` from a model call's usage (the total summed when not given), the
/// rest under `<SD>usage.<key>`.
fn usage<'a>(a: &mut Attrs<'a>, usage: Option<&'a JsonMap>) {
    let Some(map) = usage else { return };
    let t = Tokens::read(map);
    // Checked: the counts are whatever the usage map says.
    let total = t.total.or_else(|| t.input?.checked_add(t.output?));
    for (key, n) in [
        ("llm.token_count.prompt", t.input),
        ("llm.token_count.completion", t.output),
        ("llm.token_count.total", total),
        ("llm.token_count.prompt_details.cache_read", t.cache_read),
        ("llm.token_count.completion_details.reasoning", t.reasoning),
    ] {
        if let Some(n) = n {
            a.push(key, AttrValue::Int(n));
        }
    }
    a.usage_rest(Some(map), &t.keys);
}

/// `input.value` / `output.value` (`which`) with its MIME type: JSON for JSON text.
fn value<'a>(a: &mut Attrs<'a>, which: &str, text: String) {
    let mime = if serde_json::from_str::<Value>(&text).is_ok_and(|v| v.is_object() || v.is_array()) {
        JSON_MIME
    } else {
        TEXT_MIME
    };
    a.owned(format!("{which}.value"), text);
    a.str(if which == "input" { "input.mime_type" } else { "output.mime_type" }, mime);
}

/// Text of the text parts of a message, joined.
fn text(msg: &Message<'_>) -> Option<String> {
    let texts: Vec<&str> = msg
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text(t) => Some(*t),
            _ => None,
        })
        .collect();
    (!texts.is_empty()).then(|| texts.concat())
}

/// `llm.<which>_messages.N.message.*`: role, content, tool calls, tool call id.
fn flat_messages(a: &mut Attrs<'_>, which: &str, msgs: &[Message<'_>]) {
    for (i, msg) in msgs.iter().enumerate() {
        let p = format!("llm.{which}_messages.{i}.message.");
        a.owned(format!("{p}role"), msg.role.to_owned());
        if let Some(t) = text(msg) {
            a.owned(format!("{p}content"), t);
        }
        let mut call = 0;
        for part in &msg.parts {
            match part {
                Part::ToolCall { id, name, arguments } => {
                    let c = format!("{p}tool_calls.{call}.tool_call.");
                    if let Some(id) = id {
                        a.owned(format!("{c}id"), (*id).to_owned());
                    }
                    if let Some(name) = name {
                        a.owned(format!("{c}function.name"), (*name).to_owned());
                    }
                    match arguments {
                        Some(Value::String(s)) => a.owned(format!("{c}function.arguments"), s.clone()),
                        Some(v) => a.owned(format!("{c}function.arguments"), json_text(v)),
                        None => {}
                    }
                    call += 1;
                }
                Part::ToolResult { id, result } => {
                    if let Some(id) = id {
                        a.owned(format!("{p}tool_call_id"), (*id).to_owned());
                    }
                    let content = match result {
                        Value::String(s) => s.clone(),
                        other => json_text(other),
                    };
                    a.owned(format!("{p}content"), content);
                }
                Part::Text(_) | Part::Reasoning(_) | Part::Other(_) => {}
            }
        }
    }
}

/// `llm.model_name`, `llm.provider`, `llm.system` and `llm.invocation_parameters`.
fn llm<'a>(a: &mut Attrs<'a>, model: Option<&'a str>, config: Option<&'a JsonMap>) {
    a.str(KIND, "LLM");
    a.opt_str("llm.model_name", model);
    a.str("llm.provider", PROVIDER_OPENAI);
    a.str("llm.system", PROVIDER_OPENAI);
    if let Some(config) = config {
        a.owned("llm.invocation_parameters", trace_core::wire::to_json_string(config).unwrap_or_default());
    }
}

/// The OpenInference attributes, name and kind of one span; `content`: whether message
/// content may be sent.
pub(crate) fn map<'a>(a: &mut Attrs<'a>, span: &'a Span, content: bool) -> (String, i32) {
    let trace = span.trace();
    if let Some(group) = trace.group_id() {
        a.str("session.id", group);
    }
    if let Some(metadata) = trace.metadata() {
        a.owned("metadata", trace_core::wire::to_json_string(metadata).unwrap_or_default());
    }
    let data = span.data();
    match data {
        SpanData::Agent(d) => {
            a.str(KIND, "AGENT");
            a.str("agent.name", &d.name);
            super::agent_fields(a, d);
            (super::genai_name("invoke_agent", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Task(d) => {
            a.str(KIND, "CHAIN");
            a.sd_str("name", Some(&d.name));
            a.usage_rest(d.usage.as_deref(), &[]);
            (titled("task", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Turn(d) => {
            a.str(KIND, "CHAIN");
            a.push(sd!("turn"), AttrValue::Int(d.turn));
            if !d.agent_name.is_empty() {
                a.str("agent.name", &d.agent_name);
            }
            a.usage_rest(d.usage.as_deref(), &[]);
            (turn_title(d), KIND_INTERNAL)
        }
        SpanData::Function(d) => {
            a.str(KIND, "TOOL");
            a.str("tool.name", &d.name);
            if content {
                if let Some(input) = d.input.as_deref() {
                    value(a, "input", input.to_owned());
                }
                if let Some(output) = d.output.as_deref() {
                    value(a, "output", output.to_owned());
                }
            }
            a.flatten(sd!("mcp_data."), d.mcp_data.as_deref());
            (super::genai_name("execute_tool", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Generation(d) => {
            llm(a, d.model.as_deref(), d.model_config.as_deref());
            usage(a, d.usage.as_deref());
            if content {
                if let Some(input) = &d.input {
                    value(a, "input", json_text(input));
                    let msgs: Vec<_> = input.iter().map(|m| message(m, "user")).collect();
                    flat_messages(a, "input", &msgs);
                }
                if let Some(output) = &d.output {
                    value(a, "output", json_text(output));
                    let msgs: Vec<_> = output.iter().map(|m| message(m, "assistant")).collect();
                    flat_messages(a, "output", &msgs);
                }
            }
            (super::genai_name("chat", d.model.as_deref()), KIND_CLIENT)
        }
        SpanData::Response(d) => {
            let model = response_model(d.response.as_deref());
            llm(a, model, None);
            a.sd_str("response_id", d.exported_response_id());
            usage(a, d.usage.as_deref());
            if content {
                let response = d.response.as_deref();
                let mut input_msgs = Vec::new();
                if let Some(instructions) = response.and_then(|r| r.get("instructions")) {
                    input_msgs.extend(messages(instructions, "system").into_iter().map(|mut m| {
                        m.role = "system";
                        m
                    }));
                }
                if let Some(input) = &d.input {
                    value(a, "input", json_text(input));
                    input_msgs.extend(messages(input, "user"));
                }
                flat_messages(a, "input", &input_msgs);
                if let Some(output) = response.and_then(|r| r.get("output")) {
                    value(a, "output", json_text(output));
                    flat_messages(a, "output", &one_choice(output));
                }
            }
            (super::genai_name("chat", model), KIND_CLIENT)
        }
        SpanData::Handoff(d) => {
            a.str(KIND, "CHAIN");
            a.sd_str("from_agent", d.from_agent.as_deref());
            a.sd_str("to_agent", d.to_agent.as_deref());
            (titled("handoff", data.name().as_deref()), KIND_INTERNAL)
        }
        SpanData::Custom(d) => {
            a.str(KIND, "CHAIN");
            a.sd_str("name", Some(&d.name));
            a.flatten_entries(sd!("data."), d.data.iter());
            (titled("custom", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Guardrail(d) => {
            a.str(KIND, "GUARDRAIL");
            a.sd_str("name", Some(&d.name));
            a.push(sd!("triggered"), AttrValue::Bool(d.triggered));
            (titled("guardrail", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Transcription(d) => {
            llm(a, d.model.as_deref(), d.model_config.as_deref());
            a.sd_str("input.format", d.input_format.as_deref());
            if let Some(output) = d.output.as_deref().filter(|_| content) {
                value(a, "output", output.to_owned());
            }
            (titled("transcription", d.model.as_deref()), KIND_CLIENT)
        }
        SpanData::Speech(d) => {
            llm(a, d.model.as_deref(), d.model_config.as_deref());
            if let Some(input) = d.input.as_deref().filter(|_| content) {
                value(a, "input", input.to_owned());
            }
            a.sd_str("output.format", d.output_format.as_deref());
            a.sd_str("first_content_at", d.first_content_at.as_deref());
            (titled("speech", d.model.as_deref()), KIND_CLIENT)
        }
        SpanData::SpeechGroup(d) => {
            a.str(KIND, "CHAIN");
            if let Some(input) = d.input.as_deref().filter(|_| content) {
                value(a, "input", input.to_owned());
            }
            ("speech_group".to_owned(), KIND_INTERNAL)
        }
        SpanData::McpTools(d) => {
            a.str(KIND, "CHAIN");
            a.str("mcp.method.name", "tools/list");
            a.sd_str("server", d.server.as_deref());
            a.sd_list("result", d.result.as_ref());
            (titled("mcp_tools", d.server.as_deref()), KIND_CLIENT)
        }
        other => {
            a.str(KIND, "CHAIN");
            (titled(other.kind().as_str(), other.name().as_deref()), KIND_INTERNAL)
        }
    }
}
