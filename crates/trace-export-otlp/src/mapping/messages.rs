//! The messages of a model call, read from either OpenAI API's shape (Chat Completions
//! messages on generation spans, Responses API items on response spans) into one form
//! that both profiles write out: the GenAI conventions' JSON (`gen_ai.input.messages`,
//! ...) and OpenInference's flattened `llm.*_messages.N.message.*`.
//!
//! Only read when content capture is on.

use serde_json::{json, Map, Value};

/// One message: a role and its parts.
#[derive(Debug, PartialEq)]
pub(crate) struct Message<'a> {
    pub(crate) role: &'a str,
    pub(crate) parts: Vec<Part<'a>>,
    /// Only when the source gives one (Chat Completions choices do, messages do not), or
    /// an output message's, filled in by [`finished`].
    pub(crate) finish_reason: Option<&'a str>,
}

/// One part of a message.
#[derive(Debug, PartialEq)]
pub(crate) enum Part<'a> {
    /// Text.
    Text(&'a str),
    /// The model asking for a tool call; `arguments` as the model wrote them (JSON text).
    ToolCall { id: Option<&'a str>, name: Option<&'a str>, arguments: Option<&'a Value> },
    /// A tool's result sent back to the model.
    ToolResult { id: Option<&'a str>, result: &'a Value },
    /// Reasoning summary text.
    Reasoning(String),
    /// Anything else (images, files, built-in tool calls): passed through as is.
    Other(&'a Value),
}

fn text_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The parts of a `content` value: a string, or a list of typed parts.
fn content_parts<'a>(content: &'a Value, parts: &mut Vec<Part<'a>>) {
    match content {
        Value::String(s) => parts.push(Part::Text(s)),
        Value::Array(items) => {
            for item in items {
                match item.get("type").and_then(Value::as_str) {
                    Some("text" | "input_text" | "output_text") if text_of(item, "text").is_some() => {
                        parts.push(Part::Text(text_of(item, "text").unwrap_or_default()));
                    }
                    Some("refusal") if text_of(item, "refusal").is_some() => {
                        parts.push(Part::Text(text_of(item, "refusal").unwrap_or_default()));
                    }
                    _ => parts.push(Part::Other(item)),
                }
            }
        }
        Value::Null => {}
        other => parts.push(Part::Other(other)),
    }
}

/// One Chat Completions message or Responses API item as a message; `default_role` for
/// items without a role (a function call is the assistant's, its output the tool's).
pub(crate) fn message<'a>(item: &'a Value, default_role: &'a str) -> Message<'a> {
    let mut parts = Vec::new();
    let kind = text_of(item, "type");
    let role = match kind {
        Some("function_call") => {
            parts.push(Part::ToolCall {
                id: text_of(item, "call_id").or_else(|| text_of(item, "id")),
                name: text_of(item, "name"),
                arguments: item.get("arguments"),
            });
            "assistant"
        }
        Some("function_call_output") => {
            parts.push(Part::ToolResult { id: text_of(item, "call_id"), result: &item["output"] });
            "tool"
        }
        Some("reasoning") => {
            let summary: Vec<&str> = item
                .get("summary")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| text_of(s, "text"))
                .collect();
            parts.push(Part::Reasoning(summary.join("\n")));
            "assistant"
        }
        _ if item.is_string() => {
            parts.push(Part::Text(item.as_str().unwrap_or_default()));
            default_role
        }
        _ if item.get("role").is_some() || item.get("content").is_some() => {
            let role = text_of(item, "role").unwrap_or(default_role);
            if role == "tool" {
                let result = item.get("content").unwrap_or(&Value::Null);
                parts.push(Part::ToolResult { id: text_of(item, "tool_call_id"), result });
            } else if let Some(content) = item.get("content") {
                content_parts(content, &mut parts);
            }
            for call in item.get("tool_calls").and_then(Value::as_array).into_iter().flatten() {
                let function = call.get("function");
                parts.push(Part::ToolCall {
                    id: text_of(call, "id"),
                    name: function.and_then(|f| text_of(f, "name")),
                    arguments: function.and_then(|f| f.get("arguments")),
                });
            }
            role
        }
        _ => {
            parts.push(Part::Other(item));
            default_role
        }
    };
    Message { role, parts, finish_reason: text_of(item, "finish_reason") }
}

/// Every message of a list (or of a lone string: one user message).
pub(crate) fn messages<'a>(value: &'a Value, default_role: &'a str) -> Vec<Message<'a>> {
    match value {
        Value::Array(items) => items.iter().map(|i| message(i, default_role)).collect(),
        Value::Null => Vec::new(),
        other => vec![message(other, default_role)],
    }
}

/// A Responses API output (one choice made of several items) as one assistant message.
pub(crate) fn one_choice<'a>(output: &'a Value) -> Vec<Message<'a>> {
    let parts: Vec<Part<'a>> = messages(output, "assistant").into_iter().flat_map(|m| m.parts).collect();
    if parts.is_empty() {
        return Vec::new();
    }
    vec![Message { role: "assistant", parts, finish_reason: None }]
}

/// Output messages with the `finish_reason` the conventions require on each: the one the
/// source gives (Chat Completions' `tool_calls` and `function_call` as the conventions'
/// `tool_call`), else `ended` (how a call that did not complete ended, see
/// [`response_finish_reason`]), else `tool_call` for a message holding a tool call and
/// `stop` for any other.
pub(crate) fn finished<'a>(mut msgs: Vec<Message<'a>>, ended: Option<&'static str>) -> Vec<Message<'a>> {
    for m in &mut msgs {
        let given = m.finish_reason.map(|r| match r {
            "tool_calls" | "function_call" => "tool_call",
            other => other,
        });
        let calls = m.parts.iter().any(|p| matches!(p, Part::ToolCall { .. }));
        m.finish_reason = Some(given.or(ended).unwrap_or(if calls { "tool_call" } else { "stop" }));
    }
    msgs
}

/// How a Responses API response that did not complete ended, in the conventions' words:
/// `length` (`incomplete` for `max_output_tokens`), `content_filter`, `error` (`failed`);
/// `None` for any other status.
pub(crate) fn response_finish_reason(response: &Value) -> Option<&'static str> {
    match response.get("status").and_then(Value::as_str)? {
        "failed" => Some("error"),
        "incomplete" => {
            match response.get("incomplete_details").and_then(|d| d.get("reason")).and_then(Value::as_str) {
                Some("max_output_tokens") => Some("length"),
                Some("content_filter") => Some("content_filter"),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Tool call arguments as the conventions want them: the object when the text is JSON,
/// else the text.
pub(crate) fn arguments(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn arguments_value(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => arguments(s),
        Some(other) => limited_copy(other),
        None => Value::Null,
    }
}

/// JSON text through `trace_core::wire` (depth-limited), for the content attributes.
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(v: &T) -> String {
    trace_core::wire::to_json_string(v).unwrap_or_default()
}

/// A copy of user JSON cut at trace-core's depth limit: a plain `clone` would recurse once
/// per level, and so would dropping the copy (an abort for values nested deep enough).
fn limited_copy(v: &Value) -> Value {
    trace_core::wire::to_json_value(v).unwrap_or(Value::Null)
}

/// A part in the GenAI conventions' JSON shape.
fn genai_part(part: &Part<'_>) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            m.insert(k.to_owned(), v);
        }
    };
    match part {
        Part::Text(t) => {
            put("type", json!("text"));
            put("content", json!(t));
        }
        Part::ToolCall { id, name, arguments } => {
            put("type", json!("tool_call"));
            put("id", json!(id));
            put("name", json!(name.unwrap_or_default()));
            put("arguments", arguments_value(*arguments));
        }
        Part::ToolResult { id, result } => {
            put("type", json!("tool_call_response"));
            put("id", json!(id));
            put("result", limited_copy(result));
        }
        Part::Reasoning(t) => {
            put("type", json!("reasoning"));
            put("content", json!(t));
        }
        Part::Other(v) => return limited_copy(v),
    }
    Value::Object(m)
}

/// Messages in the GenAI conventions' JSON shape: `[{"role", "parts": [...],
/// "finish_reason"?}]`.
pub(crate) fn genai_messages(messages: &[Message<'_>]) -> Value {
    Value::Array(
        messages
            .iter()
            .map(|msg| {
                let mut m = Map::new();
                m.insert("role".into(), json!(msg.role));
                m.insert("parts".into(), Value::Array(msg.parts.iter().map(genai_part).collect()));
                if let Some(reason) = msg.finish_reason {
                    m.insert("finish_reason".into(), json!(reason));
                }
                Value::Object(m)
            })
            .collect(),
    )
}

/// System instructions (a Responses API `instructions`: a string or a list of items) in
/// the conventions' shape: `[{"type": "text", "content": ...}]`.
pub(crate) fn genai_instructions(instructions: &Value) -> Option<Value> {
    let parts: Vec<Value> = messages(instructions, "system")
        .iter()
        .flat_map(|m| m.parts.iter().map(genai_part).collect::<Vec<_>>())
        .collect();
    (!parts.is_empty()).then_some(Value::Array(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_messages_become_parts() {
        let input = json!([
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "u"}}]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "42"}
        ]);
        assert_eq!(
            genai_messages(&messages(&input, "user")),
            json!([
                {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
                {"role": "user", "parts": [{"type": "text", "content": "hi"}, {"type": "image_url", "image_url": {"url": "u"}}]},
                {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {"x": 1}}]},
                {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "result": "42"}]}
            ])
        );
    }

    #[test]
    fn responses_items_become_parts_and_one_choice() {
        let input = json!([
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {"type": "function_call", "call_id": "c2", "name": "weather", "arguments": "not json"},
            {"type": "function_call_output", "call_id": "c2", "output": "rain"}
        ]);
        assert_eq!(
            genai_messages(&messages(&input, "user")),
            json!([
                {"role": "user", "parts": [{"type": "text", "content": "weather?"}]},
                {"role": "assistant", "parts": [{"type": "tool_call", "id": "c2", "name": "weather", "arguments": "not json"}]},
                {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c2", "result": "rain"}]}
            ])
        );
        assert_eq!(
            genai_messages(&messages(&json!("hello"), "user")),
            json!([{"role": "user", "parts": [{"type": "text", "content": "hello"}]}])
        );
        let output = json!([
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "think"}]},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "rain"}]}
        ]);
        assert_eq!(
            genai_messages(&one_choice(&output)),
            json!([{"role": "assistant", "parts": [{"type": "reasoning", "content": "think"}, {"type": "text", "content": "rain"}]}])
        );
        assert_eq!(genai_instructions(&json!("be kind")), Some(json!([{"type": "text", "content": "be kind"}])));
        assert_eq!(genai_instructions(&json!(null)), None);
    }

    #[test]
    fn every_output_message_gets_the_finish_reason_the_conventions_require() {
        let reasons = |msgs: Vec<Message<'_>>, ended| -> Vec<Value> {
            let out = genai_messages(&finished(msgs, ended));
            out.as_array().unwrap().iter().map(|m| m["finish_reason"].clone()).collect()
        };
        let chat = json!([
            {"role": "assistant", "content": "done"},
            {"role": "assistant", "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "assistant", "content": "cut", "finish_reason": "length"},
            {"role": "assistant", "content": "", "finish_reason": "tool_calls"}
        ]);
        assert_eq!(
            reasons(messages(&chat, "assistant"), None),
            [json!("stop"), json!("tool_call"), json!("length"), json!("tool_call")]
        );
        let output = json!([{"type": "function_call", "call_id": "c2", "name": "weather", "arguments": "{}"}]);
        assert_eq!(reasons(one_choice(&output), None), [json!("tool_call")]);
        let text =
            json!([{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "par"}]}]);
        let incomplete = json!({"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}});
        assert_eq!(reasons(one_choice(&text), response_finish_reason(&incomplete)), [json!("length")]);
        let filtered = json!({"status": "incomplete", "incomplete_details": {"reason": "content_filter"}});
        assert_eq!(response_finish_reason(&filtered), Some("content_filter"));
        assert_eq!(response_finish_reason(&json!({"status": "failed"})), Some("error"));
        assert_eq!(response_finish_reason(&json!({"status": "completed"})), None);
        assert_eq!(
            reasons(one_choice(&text), response_finish_reason(&json!({"status": "completed"}))),
            [json!("stop")]
        );
    }
}
