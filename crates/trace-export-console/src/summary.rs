//! What is worth showing of a span at a glance, per kind: one implementation for the
//! terminal tree and the HTML waterfall's rows.

use std::io::{self, Write};

use serde_json::Value;
use trace_core::{JsonMap, Span, SpanData, SpanKind};

use crate::text::one_line;

/// Longest name shown, in characters.
const NAME_CHARS: usize = 60;
/// Longest input, output or data excerpt, in characters.
const EXCERPT_CHARS: usize = 40;
/// Longest error message shown, in characters.
const ERROR_CHARS: usize = 120;
/// What stands for inputs, outputs, texts and custom data when they are not shown.
pub(crate) const DATA_HIDDEN: &str = "[data hidden]";

/// A span at a glance. Every string is on one line, short, with control characters
/// escaped ([`one_line`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) kind: SpanKind,
    /// The agent, tool, model, guardrail or custom span's name; `from -> to` for a
    /// handoff; `turn N` for a turn. May be empty.
    pub(crate) name: String,
    /// The fields that matter for the kind (tokens, tool input and output, ...), or empty.
    pub(crate) details: String,
    /// The error's message, if the span has one.
    pub(crate) error: Option<String>,
    /// A guardrail that tripped: shown like an error.
    pub(crate) alert: bool,
}

/// The summary of `span`. Without `show_data`, a tool's input and output, a custom span's
/// data and the texts of transcription and speech spans are each replaced by
/// [`DATA_HIDDEN`]; names, models, token counts and errors are shown either way.
pub(crate) fn summarize(span: &Span, show_data: bool) -> Summary {
    let mut alert = false;
    let short = |s: &str| one_line(s, EXCERPT_CHARS);
    let data = |s: &str| if show_data { short(s) } else { DATA_HIDDEN.to_owned() };
    let (name, details): (String, Vec<String>) = match span.data() {
        SpanData::Agent(d) => {
            let mut parts = Vec::new();
            if let Some(tools) = d.tools.as_ref().filter(|t| !t.is_empty()) {
                parts.push(format!("tools: {}", short(&tools.join(", "))));
            }
            if let Some(handoffs) = d.handoffs.as_ref().filter(|h| !h.is_empty()) {
                parts.push(format!("handoffs: {}", short(&handoffs.join(", "))));
            }
            (d.name.to_string(), parts)
        }
        SpanData::Function(d) => {
            let mut parts = Vec::new();
            match (&d.input, &d.output) {
                (Some(_), _) | (_, Some(_)) if !show_data => parts.push(DATA_HIDDEN.to_owned()),
                (Some(i), Some(o)) => parts.push(format!("{} -> {}", short(i), short(o))),
                (Some(i), None) => parts.push(short(i)),
                (None, Some(o)) => parts.push(format!("-> {}", short(o))),
                (None, None) => {}
            }
            if let Some(server) = d.mcp_data.as_ref().and_then(|m| m.get("server")).and_then(Value::as_str) {
                parts.push(format!("mcp: {}", short(server)));
            }
            (d.name.to_string(), parts)
        }
        SpanData::Generation(d) => {
            (d.model.clone().unwrap_or_default(), tokens(d.usage.as_deref()).into_iter().collect())
        }
        SpanData::Response(d) => {
            (d.exported_response_id().unwrap_or_default().to_owned(), tokens(d.usage.as_deref()).into_iter().collect())
        }
        SpanData::Handoff(d) => {
            (format!("{} -> {}", d.from_agent.as_deref().unwrap_or("?"), d.to_agent.as_deref().unwrap_or("?")), vec![])
        }
        SpanData::Custom(d) => {
            let data = match (d.data.is_empty(), show_data) {
                (true, _) => vec![],
                (false, true) => vec![json_excerpt(&d.data, EXCERPT_CHARS)],
                (false, false) => vec![DATA_HIDDEN.to_owned()],
            };
            (d.name.to_string(), data)
        }
        SpanData::Guardrail(d) => {
            alert = d.triggered;
            (d.name.to_string(), vec![if d.triggered { "triggered" } else { "not triggered" }.to_owned()])
        }
        SpanData::Transcription(d) => {
            (d.model.clone().unwrap_or_default(), d.output.iter().map(|o| format!("text: {}", data(o))).collect())
        }
        SpanData::Speech(d) => {
            (d.model.clone().unwrap_or_default(), d.input.iter().map(|i| format!("text: {}", data(i))).collect())
        }
        SpanData::SpeechGroup(d) => (String::new(), d.input.iter().map(|i| format!("text: {}", data(i))).collect()),
        SpanData::McpTools(d) => {
            let tools = d.result.as_ref().map(|r| {
                let names = short(&r.join(", "));
                if r.len() == 1 {
                    format!("1 tool: {names}")
                } else {
                    format!("{} tools: {names}", r.len())
                }
            });
            (d.server.clone().unwrap_or_default(), tools.into_iter().collect())
        }
        SpanData::Task(d) => (d.name.to_string(), tokens(d.usage.as_deref()).into_iter().collect()),
        SpanData::Turn(d) => {
            let mut parts = vec![format!("agent: {}", short(&d.agent_name))];
            parts.extend(tokens(d.usage.as_deref()));
            (format!("turn {}", d.turn), parts)
        }
        // A kind added to trace-core later: its readable name, no details.
        other => (other.name().unwrap_or_default(), vec![]),
    };
    Summary {
        kind: span.kind(),
        name: one_line(&name, NAME_CHARS),
        details: details.join("  "),
        error: span.error().map(|e| one_line(&e.message, ERROR_CHARS)),
        alert,
    }
}

/// `tokens: 12 in, 5 out` from a usage object (`input_tokens`/`output_tokens`, or the Chat
/// Completions names `prompt_tokens`/`completion_tokens`), `tokens: 17` from a total alone.
fn tokens(usage: Option<&JsonMap>) -> Option<String> {
    let usage = usage?;
    let get = |keys: &[&str]| keys.iter().find_map(|k| usage.get(*k)).map(number);
    let input = get(&["input_tokens", "prompt_tokens"]);
    let output = get(&["output_tokens", "completion_tokens"]);
    match (input, output) {
        (Some(i), Some(o)) => Some(format!("tokens: {i} in, {o} out")),
        (Some(i), None) => Some(format!("tokens: {i} in")),
        (None, Some(o)) => Some(format!("tokens: {o} out")),
        (None, None) => get(&["total_tokens"]).map(|t| format!("tokens: {t}")),
    }
}

/// A JSON number as written; anything else as short JSON text.
fn number(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => json_excerpt(other, 12),
    }
}

/// The start of a user value's compact JSON text, on one line, at most `max_chars`
/// characters (an ellipsis marks a cut). Written by the workspace's one depth-limited
/// writer into a buffer that stops taking bytes once the excerpt is long enough, so a
/// 10 MB value costs no more than a short one.
fn json_excerpt<T: serde::Serialize + ?Sized>(value: &T, max_chars: usize) -> String {
    /// Takes up to `cap` bytes, then fails the write (which ends the serialization).
    struct Capped {
        buf: Vec<u8>,
        cap: usize,
    }
    impl Write for Capped {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let room = self.cap - self.buf.len();
            if room == 0 {
                return Err(io::Error::other("excerpt complete"));
            }
            let n = room.min(bytes.len());
            self.buf.extend_from_slice(&bytes[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    // A character is at most 4 bytes: one more than `max_chars` characters always fit, so
    // a cut value always shows its ellipsis.
    let mut out = Capped { buf: Vec::new(), cap: 4 * (max_chars + 1) };
    let _ = trace_core::write_json(&mut out, value);
    one_line(&String::from_utf8_lossy(&out.buf), max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;
    use trace_core::{
        CustomSpanData, FunctionSpanData, GenerationSpanData, GuardrailSpanData, SpanError, SpanId, SpeechSpanData,
        Trace, TraceId,
    };

    fn span(data: impl Into<SpanData>) -> Span {
        Span::new(SpanId::from_u128(1), Arc::new(Trace::new(TraceId::from_u128(1), "w")), None, data)
    }

    fn map(v: Value) -> JsonMap {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test maps are objects"),
        }
    }

    #[test]
    fn generations_show_model_and_tokens_in_either_naming() {
        let g = |usage: Value| {
            let g = span(GenerationSpanData {
                model: Some("gpt-4o".into()),
                usage: Some(Box::new(map(usage))),
                ..Default::default()
            });
            summarize(&g, false)
        };
        assert_eq!(g(json!({"input_tokens": 12, "output_tokens": 5})).details, "tokens: 12 in, 5 out");
        assert_eq!(g(json!({"prompt_tokens": 3, "completion_tokens": 4})).details, "tokens: 3 in, 4 out");
        assert_eq!(g(json!({"total_tokens": 9})).details, "tokens: 9");
        assert_eq!(g(json!({"input_tokens": "many"})).details, r#"tokens: "many" in"#);
        assert_eq!(g(json!({})).details, "");
        assert_eq!(g(json!({})).name, "gpt-4o");
    }

    #[test]
    fn functions_show_short_input_and_output_and_errors() {
        let long = "x".repeat(100);
        let s = span(FunctionSpanData {
            name: "search".into(),
            input: Some(long.clone()),
            output: Some("line1\nline2".into()),
            mcp_data: Some(Box::new(map(json!({"server": "files"})))),
        })
        .with_error(SpanError::new("timed\nout"));
        let sum = summarize(&s, true);
        assert_eq!(sum.details, format!("{}… -> line1\\nline2  mcp: files", "x".repeat(40)));
        assert_eq!(sum.error.as_deref(), Some("timed\\nout"));
        let hidden = summarize(&s, false);
        assert_eq!(hidden.details, "[data hidden]  mcp: files");
        assert_eq!(hidden.name, "search");
        assert_eq!(hidden.error, sum.error, "an error's message is shown either way");
    }

    #[test]
    fn without_data_custom_data_and_texts_are_hidden_and_names_kept() {
        let custom = span(CustomSpanData { name: "notify".into(), data: map(json!({"to": "ada@example.com"})).into() });
        assert_eq!(summarize(&custom, true).details, r#"{"to":"ada@example.com"}"#);
        assert_eq!(summarize(&custom, false).details, DATA_HIDDEN);
        assert_eq!(summarize(&custom, false).name, "notify");
        let empty = span(CustomSpanData { name: "notify".into(), ..Default::default() });
        assert_eq!(summarize(&empty, false).details, "", "nothing to hide");
        let speech =
            span(SpeechSpanData { model: Some("tts-1".into()), input: Some("hello".into()), ..Default::default() });
        assert_eq!(summarize(&speech, true).details, "text: hello");
        assert_eq!(summarize(&speech, false).details, "text: [data hidden]");
        assert_eq!(summarize(&speech, false).name, "tts-1");
        let tool = span(FunctionSpanData { name: "f".into(), output: Some("secret".into()), ..Default::default() });
        assert_eq!(summarize(&tool, false).details, DATA_HIDDEN);
    }

    #[test]
    fn a_large_value_is_excerpted_without_writing_it_whole() {
        let big = json!({"text": "x".repeat(10_000_000)});
        let excerpt = json_excerpt(&big, 20);
        assert_eq!(excerpt, format!("{{\"text\":\"{}…", "x".repeat(11)));
        assert_eq!(json_excerpt(&json!({"k": "v"}), 20), r#"{"k":"v"}"#);
        assert_eq!(json_excerpt(&json!("日本語のテキスト"), 3), "\"日本…");
    }

    #[test]
    fn a_triggered_guardrail_is_an_alert() {
        let s = summarize(&span(GuardrailSpanData { name: "pii".into(), triggered: true }), false);
        assert!(s.alert);
        assert_eq!(s.details, "triggered");
        assert!(!summarize(&span(GuardrailSpanData { name: "pii".into(), triggered: false }), false).alert);
    }
}
