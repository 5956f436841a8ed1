//! The type of a span, as a `Copy` enum.

use std::fmt;

/// The type of a span: which `*SpanData` it carries. [`as_str`](Self::as_str) gives the
/// name the Python SDK uses for it (`"function"`, `"mcp_tools"`, ...).
///
/// ```
/// use trace_core::{SpanData, FunctionSpanData, SpanKind};
///
/// let data = SpanData::from(FunctionSpanData::default());
/// assert_eq!(data.kind(), SpanKind::Function);
/// assert_eq!(data.kind().as_str(), "function");
/// assert_eq!(SpanKind::McpTools.to_string(), "mcp_tools");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SpanKind {
    /// [`AgentSpanData`](crate::AgentSpanData): `"agent"`.
    Agent,
    /// [`FunctionSpanData`](crate::FunctionSpanData): `"function"`.
    Function,
    /// [`GenerationSpanData`](crate::GenerationSpanData): `"generation"`.
    Generation,
    /// [`ResponseSpanData`](crate::ResponseSpanData): `"response"`.
    Response,
    /// [`HandoffSpanData`](crate::HandoffSpanData): `"handoff"`.
    Handoff,
    /// [`CustomSpanData`](crate::CustomSpanData): `"custom"`.
    Custom,
    /// [`GuardrailSpanData`](crate::GuardrailSpanData): `"guardrail"`.
    Guardrail,
    /// [`TranscriptionSpanData`](crate::TranscriptionSpanData): `"transcription"`.
    Transcription,
    /// [`SpeechSpanData`](crate::SpeechSpanData): `"speech"`.
    Speech,
    /// [`SpeechGroupSpanData`](crate::SpeechGroupSpanData): `"speech_group"`.
    SpeechGroup,
    /// [`McpListToolsSpanData`](crate::McpListToolsSpanData): `"mcp_tools"`.
    McpTools,
    /// [`TaskSpanData`](crate::TaskSpanData): `"task"` (exported as a `custom` span).
    Task,
    /// [`TurnSpanData`](crate::TurnSpanData): `"turn"` (exported as a `custom` span).
    Turn,
}

impl SpanKind {
    /// Every kind, in declaration order.
    pub const ALL: [SpanKind; 13] = [
        SpanKind::Agent,
        SpanKind::Function,
        SpanKind::Generation,
        SpanKind::Response,
        SpanKind::Handoff,
        SpanKind::Custom,
        SpanKind::Guardrail,
        SpanKind::Transcription,
        SpanKind::Speech,
        SpanKind::SpeechGroup,
        SpanKind::McpTools,
        SpanKind::Task,
        SpanKind::Turn,
    ];

    /// The Python SDK's name of the span type: `agent`, `function`, `generation`,
    /// `response`, `handoff`, `custom`, `guardrail`, `transcription`, `speech`,
    /// `speech_group`, `mcp_tools`, `task`, `turn`. (On the wire, task and turn spans
    /// have the type `custom`: see [`SpanData::wire_type`](crate::SpanData::wire_type).)
    pub const fn as_str(self) -> &'static str {
        match self {
            SpanKind::Agent => "agent",
            SpanKind::Function => "function",
            SpanKind::Generation => "generation",
            SpanKind::Response => "response",
            SpanKind::Handoff => "handoff",
            SpanKind::Custom => "custom",
            SpanKind::Guardrail => "guardrail",
            SpanKind::Transcription => "transcription",
            SpanKind::Speech => "speech",
            SpanKind::SpeechGroup => "speech_group",
            SpanKind::McpTools => "mcp_tools",
            SpanKind::Task => "task",
            SpanKind::Turn => "turn",
        }
    }
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_python_sdk_names_and_distinct() {
        let names: Vec<&str> = SpanKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "agent",
                "function",
                "generation",
                "response",
                "handoff",
                "custom",
                "guardrail",
                "transcription",
                "speech",
                "speech_group",
                "mcp_tools",
                "task",
                "turn"
            ]
        );
        for k in SpanKind::ALL {
            assert_eq!(k.to_string(), k.as_str());
        }
        // `Display` honours width and alignment, as `str` does.
        assert_eq!(format!("[{:>6}|{:<6}]", SpanKind::Task, SpanKind::Turn), "[  task|turn  ]");
    }

    #[test]
    fn each_data_type_has_its_kind_and_the_wire_type_follows_it() {
        use crate::span_data::SpanData;
        // `SpanData::empty` and `SpanData::kind` are two separate matches: each kind's
        // empty data has that kind.
        let all = SpanKind::ALL.map(SpanData::empty);
        let kinds: Vec<SpanKind> = all.iter().map(SpanData::kind).collect();
        assert_eq!(kinds, SpanKind::ALL);
        for data in &all {
            let json = crate::wire::to_json_value(data).unwrap();
            match data.kind() {
                SpanKind::Task | SpanKind::Turn => {
                    assert_eq!(json["type"], "custom");
                    assert_eq!(json["data"]["sdk_span_type"], data.kind().as_str());
                }
                kind => assert_eq!(json["type"], kind.as_str()),
            }
        }
    }
}
