//! Reasoning removed from generation spans, as the Python SDK's sanitizer does: reasoning
//! items, reasoning keys and thinking parts of assistant messages.

use serde_json::{Map, Value};

/// Keys removed from assistant messages of generation spans.
const REASONING_KEYS: [&str; 4] = ["reasoning", "reasoning_content", "thinking_blocks", "thinking"];

fn is_str(v: Option<&Value>, s: &str) -> bool {
    v.and_then(Value::as_str) == Some(s)
}

fn is_reasoning_item(item: &Value) -> bool {
    matches!(item, Value::Object(m) if is_str(m.get("type"), "reasoning"))
}

fn is_thinking_part(part: &Value) -> bool {
    matches!(part, Value::Object(m) if matches!(m.get("type").and_then(Value::as_str), Some("thinking" | "redacted_thinking")))
}

fn is_assistant(m: &Map<String, Value>) -> bool {
    is_str(m.get("role"), "assistant")
}

/// Whether [`omit_generation_reasoning`] could change these items (may say yes when it
/// would not; never says no when it would).
pub(super) fn has_reasoning(items: Option<&[Value]>) -> bool {
    items.is_some_and(|items| {
        items.iter().any(|item| {
            let Value::Object(m) = item else { return false };
            if is_str(m.get("type"), "reasoning") {
                return true;
            }
            if is_assistant(m)
                && (REASONING_KEYS.iter().any(|k| m.contains_key(*k))
                    || matches!(m.get("content"), Some(Value::Array(parts)) if parts.iter().any(is_thinking_part)))
            {
                return true;
            }
            is_str(m.get("object"), "response")
                && matches!(m.get("output"), Some(Value::Array(out)) if has_reasoning(Some(out)))
        })
    })
}

/// Python's `_omit_generation_reasoning`: only arrays are filtered; one level into
/// `{"object": "response", "output": [...]}` items.
pub(super) fn omit_generation_reasoning(value: Value) -> Value {
    let Value::Array(items) = value else { return value };
    let items = omit_items(items)
        .into_iter()
        .map(|item| match item {
            Value::Object(mut m) if is_str(m.get("object"), "response") => {
                if let Some(Value::Array(out)) = m.get_mut("output") {
                    let taken = std::mem::take(out);
                    *out = omit_items(taken);
                }
                Value::Object(m)
            }
            other => other,
        })
        .collect();
    Value::Array(items)
}

fn omit_items(items: Vec<Value>) -> Vec<Value> {
    items.into_iter().filter(|item| !is_reasoning_item(item)).map(omit_message_reasoning).collect()
}

fn omit_message_reasoning(item: Value) -> Value {
    let Value::Object(mut m) = item else { return item };
    if is_assistant(&m) {
        m.retain(|k, _| !REASONING_KEYS.contains(&k.as_str()));
        if let Some(Value::Array(parts)) = m.get_mut("content") {
            parts.retain(|p| !is_thinking_part(p));
        }
    }
    Value::Object(m)
}
