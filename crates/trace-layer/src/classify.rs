//! Which of our span types a `tracing` span becomes, read from the field that names it.

use std::fmt;

use tracing_core::field::{Field, Visit};
use tracing_core::span::Attributes;

/// The GenAI conventions' operation field.
pub(crate) const OPERATION: &str = "gen_ai.operation.name";
/// OpenInference's span kind field.
pub(crate) const OPENINFERENCE_KIND: &str = "openinference.span.kind";

/// The conventions a span's fields follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Convention {
    /// OpenTelemetry GenAI: `gen_ai.*`.
    GenAi,
    /// OpenInference: `llm.*`, `input.value`, `tool.name`, ...
    OpenInference,
    /// Neither: a span recorded as a custom span with its fields as data.
    Plain,
}

/// What a bridged span becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A model call: a generation span.
    Generation,
    /// A tool call: a function span.
    Function,
    /// An agent's run: an agent span.
    Agent,
    /// A workflow: the trace itself (or a custom span inside a trace already running).
    Workflow,
    /// A chain, or anything else recorded: a custom span.
    Custom,
    /// A GenAI operation or OpenInference kind with no span type of its own (`embeddings`,
    /// `RETRIEVER`, ...): a custom span, recorded inside a trace only (alone, as an
    /// ingestion pipeline makes them, it would start a trace per call).
    Other,
}

/// The kind and conventions of a new span from its fields, or `None` when the span has
/// neither field (or no text in it). Costs a look at the field names for a span that has
/// neither field.
pub(crate) fn classify(attrs: &Attributes<'_>) -> Option<(Kind, Convention)> {
    let fields = attrs.metadata().fields();
    let (name, convention) = if fields.field(OPERATION).is_some() {
        (OPERATION, Convention::GenAi)
    } else if fields.field(OPENINFERENCE_KIND).is_some() {
        (OPENINFERENCE_KIND, Convention::OpenInference)
    } else {
        return None;
    };
    let mut find = FindText { name, text: None };
    attrs.record(&mut find);
    let text = find.text?;
    let kind = match convention {
        Convention::GenAi => genai_kind(&text),
        _ => openinference_kind(&text),
    };
    Some((kind, convention))
}

/// Reads the text of one field, recorded as a string or with `%` / `?`.
struct FindText {
    name: &'static str,
    text: Option<String>,
}

impl Visit for FindText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == self.name {
            self.text = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == self.name {
            // `?"chat"` formats with quotes; `%` and `format_args!` without.
            self.text = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}

/// The GenAI conventions' operations (`gen_ai.operation.name`) as span types; any other
/// operation (`embeddings`, `retrieval`, genai's `plan`, ...) is [`Kind::Other`], so that
/// no GenAI span inside a trace is left out of it.
fn genai_kind(operation: &str) -> Kind {
    match operation {
        "chat" | "text_completion" | "generate_content" => Kind::Generation,
        "execute_tool" => Kind::Function,
        "invoke_agent" | "create_agent" => Kind::Agent,
        "invoke_workflow" => Kind::Workflow,
        _ => Kind::Other,
    }
}

/// OpenInference's span kinds (`openinference.span.kind`), in any case, as span types:
/// `CHAIN` a custom span, any other kind (`RETRIEVER`, `EMBEDDING`, `RERANKER`,
/// `GUARDRAIL`, `EVALUATOR`) [`Kind::Other`].
fn openinference_kind(kind: &str) -> Kind {
    match kind.to_ascii_uppercase().as_str() {
        "LLM" => Kind::Generation,
        "TOOL" => Kind::Function,
        "AGENT" => Kind::Agent,
        "CHAIN" => Kind::Custom,
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_and_kinds() {
        assert_eq!(genai_kind("chat"), Kind::Generation);
        assert_eq!(genai_kind("generate_content"), Kind::Generation);
        assert_eq!(genai_kind("execute_tool"), Kind::Function);
        assert_eq!(genai_kind("create_agent"), Kind::Agent);
        assert_eq!(genai_kind("invoke_workflow"), Kind::Workflow);
        assert_eq!(genai_kind("embeddings"), Kind::Other);
        assert_eq!(openinference_kind("llm"), Kind::Generation);
        assert_eq!(openinference_kind("CHAIN"), Kind::Custom);
        assert_eq!(openinference_kind("RETRIEVER"), Kind::Other);
    }
}
