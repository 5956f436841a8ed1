//! The span helpers named after the Python SDK's (`agent_span`, `function_span`, ...): each
//! starts a [`SpanBuilder`] of its span type.

use crate::span_builder::{span, SpanBuilder};
use crate::span_data::*;

/// One helper a row: its docs, its name and arguments, its data type and the fields its
/// arguments set (the others at their defaults).
macro_rules! helpers {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $data:ident { $($field:ident: $value:expr),* };)*) => {$(
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> SpanBuilder<$data> {
            span($data { $($field: $value,)* ..Default::default() })
        }
    )*};
}

helpers! {
    /// An agent span (Python's `agent_span`).
    agent_span(name: impl Into<Name>) -> AgentSpanData { name: name.into() };
    /// A task span: one top-level run (Python's `task_span`).
    task_span(name: impl Into<Name>) -> TaskSpanData { name: name.into() };
    /// A turn span: one turn of the agent loop (Python's `turn_span`).
    turn_span(turn: i64, agent_name: impl Into<Name>) -> TurnSpanData { turn: turn, agent_name: agent_name.into() };
    /// A function (tool call) span (Python's `function_span`).
    function_span(name: impl Into<Name>) -> FunctionSpanData { name: name.into() };
    /// A generation span (Python's `generation_span`).
    generation_span() -> GenerationSpanData {};
    /// A response span (Python's `response_span`).
    response_span() -> ResponseSpanData {};
    /// A handoff span (Python's `handoff_span`).
    handoff_span() -> HandoffSpanData {};
    /// A custom span with free-form data, `{}` until set (Python's `custom_span`).
    custom_span(name: impl Into<Name>) -> CustomSpanData { name: name.into() };
    /// A guardrail span, not triggered until set (Python's `guardrail_span`).
    guardrail_span(name: impl Into<Name>) -> GuardrailSpanData { name: name.into() };
    /// A transcription span (Python's `transcription_span`).
    transcription_span() -> TranscriptionSpanData {};
    /// A speech span (Python's `speech_span`).
    speech_span() -> SpeechSpanData {};
    /// A speech group span (Python's `speech_group_span`).
    speech_group_span() -> SpeechGroupSpanData {};
    /// An MCP list-tools span (Python's `mcp_tools_span`).
    mcp_tools_span() -> McpListToolsSpanData {};
}
