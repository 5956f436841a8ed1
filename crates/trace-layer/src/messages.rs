//! Messages as the GenAI conventions write them (`gen_ai.input.messages`: a role and
//! typed `parts`) turned into the Chat Completions shape the generation span carries
//! (`{"role", "content"}`, `tool_calls`, `tool_call_id`), as the Python SDK records them.
//! A message already in that shape, or in one this module does not know, is kept as it is.

use serde_json::{json, Map, Value};

/// The messages of a `gen_ai.input.messages` / `gen_ai.output.messages` value: each
/// message converted; a single object is one message; text that is not JSON is one
/// message with `role` as its role.
pub(crate) fn message_list(value: Value, role: &str) -> Vec<Value> {
    match value {
        Value::Array(items) => items.into_iter().flat_map(chat_messages).collect(),
        Value::Object(_) => chat_messages(value),
        Value::Null => Vec::new(),
        Value::String(text) => vec![json!({"role": role, "content": text})],
        other => vec![json!({"role": role, "content": other})],
    }
}

/// `gen_ai.system_instructions` (parts, or text) as a system message.
pub(crate) fn system_message(value: Value) -> Value {
    let content = match value {
        Value::Array(parts) => text_of(&parts).map_or(Value::Array(parts), Value::String),
        other => other,
    };
    json!({"role": "system", "content": content})
}

/// The text of parts that are all text, joined; `None` if any part is not text.
fn text_of(parts: &[Value]) -> Option<String> {
    let texts: Option<Vec<&str>> = parts
        .iter()
        .map(|p| match p.get("type").and_then(Value::as_str) {
            Some("text") => p.get("content").and_then(Value::as_str),
            _ => None,
        })
        .collect();
    texts.map(|t| t.join(""))
}

/// One message with `parts` in the Chat Completions shape; anything else as it is. Each
/// `tool_call_response` part becomes a `tool` message of its own (Chat Completions has one
/// per call: rig and genai put every result of a turn in one message), before the message
/// of the other parts, which is left out when there are none.
fn chat_messages(message: Value) -> Vec<Value> {
    let Value::Object(mut m) = message else { return vec![message] };
    let Some(Value::Array(parts)) = m.remove("parts") else { return vec![Value::Object(m)] };
    let role = m.remove("role").unwrap_or(Value::Null);
    let mut results = Vec::new();
    let mut texts = Vec::new();
    let mut calls = Vec::new();
    let mut others = Vec::new();
    for part in parts {
        match part.get("type").and_then(Value::as_str) {
            Some("text") => texts.push(part.get("content").and_then(Value::as_str).unwrap_or_default().to_owned()),
            Some("tool_call") => calls.push(json!({
                "id": part.get("id").cloned().unwrap_or(Value::Null),
                "type": "function",
                "function": {
                    "name": part.get("name").cloned().unwrap_or(Value::Null),
                    "arguments": arguments_text(part.get("arguments")),
                },
            })),
            Some("tool_call_response") => {
                // `response` in the conventions (and rig); genai writes `result`.
                let response = part.get("response").or_else(|| part.get("result"));
                results.push(json!({
                    "role": "tool",
                    "tool_call_id": part.get("id").cloned().unwrap_or(Value::Null),
                    "content": crate::visit::text(response.cloned().unwrap_or(Value::Null)),
                }));
            }
            _ => others.push(part),
        }
    }
    if !results.is_empty() && texts.is_empty() && calls.is_empty() && others.is_empty() {
        return results;
    }
    let mut out = Map::new();
    out.insert("role".into(), role);
    if others.is_empty() {
        if !texts.is_empty() || calls.is_empty() {
            out.insert("content".into(), Value::String(texts.concat()));
        }
    } else {
        // Parts with no Chat Completions form (images, reasoning, ...) stay as parts.
        let mut parts: Vec<Value> = texts.into_iter().map(|t| json!({"type": "text", "content": t})).collect();
        parts.extend(others);
        out.insert("content".into(), Value::Array(parts));
    }
    if !calls.is_empty() {
        out.insert("tool_calls".into(), Value::Array(calls));
    }
    // The rest (`name`, `finish_reason`, ...) as given.
    for (k, v) in m {
        out.entry(k).or_insert(v);
    }
    results.push(Value::Object(out));
    results
}

/// Tool call arguments as the JSON text Chat Completions carries.
fn arguments_text(arguments: Option<&Value>) -> Value {
    match arguments {
        None | Some(Value::Null) => Value::String(String::new()),
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(other) => Value::String(trace_core::to_json_string(other).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_become_chat_messages() {
        let input = json!([
            {"role": "user", "parts": [{"type": "text", "content": "What is 2+3?"}]},
            {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "add", "arguments": {"a": 2, "b": 3}}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "5"}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c2", "result": "6"}]},
            {"role": "assistant", "parts": [{"type": "text", "content": "5"}], "finish_reason": "stop"},
        ]);
        assert_eq!(
            Value::Array(message_list(input, "user")),
            json!([
                {"role": "user", "content": "What is 2+3?"},
                {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": r#"{"a":2,"b":3}"#}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "5"},
                {"role": "tool", "tool_call_id": "c2", "content": "6"},
                {"role": "assistant", "content": "5", "finish_reason": "stop"},
            ])
        );
    }

    /// rig and genai put every result of a turn in one message: each becomes a `tool`
    /// message of its own, with its own id.
    #[test]
    fn each_tool_result_is_a_message_of_its_own() {
        let input = json!([
            {"role": "user", "parts": [
                {"type": "tool_call_response", "id": "c1", "response": "5"},
                {"type": "tool_call_response", "id": "c2", "result": {"n": 6}},
            ]},
            {"role": "user", "parts": [
                {"type": "tool_call_response", "id": "c3", "response": "7"},
                {"type": "text", "content": "and go on"},
            ]},
        ]);
        assert_eq!(
            Value::Array(message_list(input, "user")),
            json!([
                {"role": "tool", "tool_call_id": "c1", "content": "5"},
                {"role": "tool", "tool_call_id": "c2", "content": r#"{"n":6}"#},
                {"role": "tool", "tool_call_id": "c3", "content": "7"},
                {"role": "user", "content": "and go on"},
            ])
        );
    }

    #[test]
    fn other_shapes_are_kept() {
        assert_eq!(
            message_list(json!({"role": "user", "content": "hi"}), "user"),
            vec![json!({"role": "user", "content": "hi"})]
        );
        assert_eq!(
            message_list(json!("plain text"), "assistant"),
            vec![json!({"role": "assistant", "content": "plain text"})]
        );
        let image =
            json!([{"role": "user", "parts": [{"type": "text", "content": "see"}, {"type": "uri", "uri": "x"}]}]);
        assert_eq!(
            message_list(image, "user"),
            vec![json!({"role": "user", "content": [{"type": "text", "content": "see"}, {"type": "uri", "uri": "x"}]})]
        );
    }

    #[test]
    fn system_instructions() {
        assert_eq!(
            system_message(json!([{"type": "text", "content": "Be brief."}])),
            json!({"role": "system", "content": "Be brief."})
        );
        assert_eq!(system_message(json!("Be brief.")), json!({"role": "system", "content": "Be brief."}));
    }
}
