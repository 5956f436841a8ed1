//! The span helpers named after the Python SDK's (`agent_span`, `function_span`, ...): each
//! starts a [`SpanBuilder`] of its span type.

use crate::span_builder::{span, SpanBuilder};
use crate::span_data::*;

/// An agent span (Python's `agent_span`).
pub fn agent_span(name: impl Into<Name>) -> SpanBuilder<AgentSpanData> {
    span(AgentSpanData { name: name.into(), ..Default::default() })
}

/// A task span: one top-level run (Python's `task_span`).
pub fn task_span(name: impl Into<Name>) -> SpanBuilder<TaskSpanData> {
    span(TaskSpanData { name: name.into(), ..Default::default() })
}

/// A turn span: one turn of the agent loop (Python's `turn_span`).
pub fn turn_span(turn: i64, agent_name: impl Into<Name>) -> SpanBuilder<TurnSpanData> {
    span(TurnSpanData { turn, agent_name: agent_name.into(), ..Default::default() })
}

/// A function (tool call) span (Python's `function_span`).
pub fn function_span(name: impl Into<Name>) -> SpanBuilder<FunctionSpanData> {
    span(FunctionSpanData { name: name.into(), ..Default::default() })
}

/// A generation span (Python's `generation_span`).
pub fn generation_span() -> SpanBuilder<GenerationSpanData> {
    span(GenerationSpanData::default())
}

/// A response span (Python's `response_span`).
pub fn response_span() -> SpanBuilder<ResponseSpanData> {
    span(ResponseSpanData::default())
}

/// A handoff span (Python's `handoff_span`).
pub fn handoff_span() -> SpanBuilder<HandoffSpanData> {
    span(HandoffSpanData::default())
}

/// A custom span with free-form data (Python's `custom_span`).
pub fn custom_span(name: impl Into<Name>) -> SpanBuilder<CustomSpanData> {
    span(CustomSpanData { name: name.into(), data: JsonMap::new() })
}

/// A guardrail span (Python's `guardrail_span`).
pub fn guardrail_span(name: impl Into<Name>) -> SpanBuilder<GuardrailSpanData> {
    span(GuardrailSpanData { name: name.into(), triggered: false })
}

/// A transcription span (Python's `transcription_span`).
pub fn transcription_span() -> SpanBuilder<TranscriptionSpanData> {
    span(TranscriptionSpanData::default())
}

/// A speech span (Python's `speech_span`).
pub fn speech_span() -> SpanBuilder<SpeechSpanData> {
    span(SpeechSpanData::default())
}

/// A speech group span (Python's `speech_group_span`).
pub fn speech_group_span() -> SpanBuilder<SpeechGroupSpanData> {
    span(SpeechGroupSpanData::default())
}

/// An MCP list-tools span (Python's `mcp_tools_span`).
pub fn mcp_tools_span() -> SpanBuilder<McpListToolsSpanData> {
    span(McpListToolsSpanData::default())
}
