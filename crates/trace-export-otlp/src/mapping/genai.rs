//! The [`Profile::GenAi`](super::Profile::GenAi) mapping: OpenTelemetry's GenAI semantic
//! conventions (version [`SEMCONV_VERSION`](super::SEMCONV_VERSION)).

use trace_core::{Span, SpanData};

use super::messages::{
    finished, genai_instructions, genai_messages, json_text, messages, one_choice, response_finish_reason,
};
use super::{response_model, titled, turn_title, Attrs, Tokens, KIND_CLIENT, KIND_INTERNAL};

/// `gen_ai.operation.name`.
const OPERATION: &str = "gen_ai.operation.name";
/// `gen_ai.provider.name`.
const PROVIDER: &str = "gen_ai.provider.name";
/// The provider of agent, generation and response spans: the Agents SDK calls OpenAI's APIs.
pub(crate) const PROVIDER_OPENAI: &str = "openai";

/// `gen_ai.usage.*` from a model call's usage, the rest under `<SD>usage.<key>`.
fn usage<'a>(a: &mut Attrs<'a>, usage: Option<&'a trace_core::span_data::JsonMap>) {
    let Some(map) = usage else { return };
    let t = Tokens::read(map);
    for (key, n) in [
        ("gen_ai.usage.input_tokens", t.input),
        ("gen_ai.usage.output_tokens", t.output),
        ("gen_ai.usage.cache_read.input_tokens", t.cache_read),
        ("gen_ai.usage.reasoning.output_tokens", t.reasoning),
    ] {
        if let Some(n) = n {
            a.push(key, super::AttrValue::Int(n));
        }
    }
    let mapped: Vec<&str> = t.keys.iter().copied().filter(|k| *k != "total_tokens").collect();
    a.usage_rest(Some(map), &mapped);
}

/// The GenAI attributes, name and kind of one span; `content`: whether message content
/// may be sent.
pub(crate) fn map<'a>(a: &mut Attrs<'a>, span: &'a Span, content: bool) -> (String, i32) {
    if let Some(group) = span.trace().group_id() {
        a.str("gen_ai.conversation.id", group);
    }
    let data = span.data();
    match data {
        SpanData::Agent(d) => {
            a.str(OPERATION, "invoke_agent");
            // Required by the conventions on agent spans; the SDK's agents call OpenAI's APIs.
            a.str(PROVIDER, PROVIDER_OPENAI);
            a.str("gen_ai.agent.name", &d.name);
            super::agent_fields(a, d);
            (super::genai_name("invoke_agent", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Task(d) => {
            a.sd_str("name", Some(&d.name));
            a.usage_rest(d.usage.as_deref(), &[]);
            (titled("task", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Turn(d) => {
            a.push(sd!("turn"), super::AttrValue::Int(d.turn));
            if !d.agent_name.is_empty() {
                a.str("gen_ai.agent.name", &d.agent_name);
            }
            a.usage_rest(d.usage.as_deref(), &[]);
            (turn_title(d), KIND_INTERNAL)
        }
        SpanData::Function(d) => {
            a.str(OPERATION, "execute_tool");
            a.str("gen_ai.tool.name", &d.name);
            a.str("gen_ai.tool.type", "function");
            if content {
                // The arguments are JSON text already (as the model wrote them): sent as
                // they are, the JSON string standing for the object as the conventions
                // allow on spans.
                a.opt_str("gen_ai.tool.call.arguments", d.input.as_deref());
                a.opt_str("gen_ai.tool.call.result", d.output.as_deref());
            }
            a.flatten(sd!("mcp_data."), d.mcp_data.as_deref());
            (super::genai_name("execute_tool", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Generation(d) => {
            a.str(OPERATION, "chat");
            a.str(PROVIDER, PROVIDER_OPENAI);
            a.opt_str("gen_ai.request.model", d.model.as_deref());
            a.model_config(d.model_config.as_deref());
            usage(a, d.usage.as_deref());
            if content {
                if let Some(input) = &d.input {
                    let msgs: Vec<_> = input.iter().map(|m| super::messages::message(m, "user")).collect();
                    a.owned("gen_ai.input.messages", json_text(&genai_messages(&msgs)));
                }
                if let Some(output) = &d.output {
                    let msgs: Vec<_> = output.iter().map(|m| super::messages::message(m, "assistant")).collect();
                    a.owned("gen_ai.output.messages", json_text(&genai_messages(&finished(msgs, None))));
                }
            }
            (super::genai_name("chat", d.model.as_deref()), KIND_CLIENT)
        }
        SpanData::Response(d) => {
            let model = response_model(d.response.as_deref());
            a.str(OPERATION, "chat");
            a.str(PROVIDER, PROVIDER_OPENAI);
            a.opt_str("gen_ai.response.id", d.exported_response_id());
            a.opt_str("gen_ai.response.model", model);
            usage(a, d.usage.as_deref());
            if content {
                if let Some(input) = &d.input {
                    a.owned("gen_ai.input.messages", json_text(&genai_messages(&messages(input, "user"))));
                }
                let response = d.response.as_deref();
                if let Some(output) = response.and_then(|r| r.get("output")) {
                    let ended = response.and_then(response_finish_reason);
                    a.owned("gen_ai.output.messages", json_text(&genai_messages(&finished(one_choice(output), ended))));
                }
                if let Some(instructions) = response.and_then(|r| r.get("instructions")).and_then(genai_instructions) {
                    a.owned("gen_ai.system_instructions", json_text(&instructions));
                }
            }
            (super::genai_name("chat", model), KIND_CLIENT)
        }
        SpanData::Handoff(d) => {
            a.sd_str("from_agent", d.from_agent.as_deref());
            a.sd_str("to_agent", d.to_agent.as_deref());
            (titled("handoff", data.name().as_deref()), KIND_INTERNAL)
        }
        SpanData::Custom(d) => {
            a.sd_str("name", Some(&d.name));
            a.flatten_entries(sd!("data."), d.data.iter());
            (titled("custom", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Guardrail(d) => {
            a.sd_str("name", Some(&d.name));
            a.push(sd!("triggered"), super::AttrValue::Bool(d.triggered));
            (titled("guardrail", Some(&d.name)), KIND_INTERNAL)
        }
        SpanData::Transcription(d) => {
            a.opt_str("gen_ai.request.model", d.model.as_deref());
            a.model_config(d.model_config.as_deref());
            a.sd_str("input.format", d.input_format.as_deref());
            if content {
                a.sd_str("output", d.output.as_deref());
            }
            (titled("transcription", d.model.as_deref()), KIND_CLIENT)
        }
        SpanData::Speech(d) => {
            a.opt_str("gen_ai.request.model", d.model.as_deref());
            a.model_config(d.model_config.as_deref());
            if content {
                a.sd_str("input", d.input.as_deref());
            }
            a.sd_str("output.format", d.output_format.as_deref());
            a.sd_str("first_content_at", d.first_content_at.as_deref());
            (titled("speech", d.model.as_deref()), KIND_CLIENT)
        }
        SpanData::SpeechGroup(d) => {
            if content {
                a.sd_str("input", d.input.as_deref());
            }
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
    }
}
