//! Typed span data, one struct per span type of the OpenAI Agents SDK.
//!
//! Each struct serializes to exactly the `span_data` object the Python SDK exports: the
//! same keys in the same order, `null` for a missing value. [`TaskSpanData`] and
//! [`TurnSpanData`] go out as `custom` spans carrying `data.sdk_span_type`, as in Python.
//! Fields that Python keeps for processors but never exports (the raw response and input of
//! a response span, the metadata of agent, task and turn data) are here too and are not
//! serialized into `span_data`; the metadata goes into the span's `metadata` object.

use std::borrow::{Borrow, BorrowMut, Cow};
use std::fmt;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::json_text::{JsonDebug, OptJsonDebug};
use crate::limits::clone::CloneBounded;
use crate::span_kind::SpanKind;

mod data_map;
mod json_fields;

pub(crate) use data_map::remove_in_order;
pub use data_map::DataMap;
#[cfg(test)]
pub(crate) use json_fields::every_type_with_json;
pub use json_fields::{JsonField, JsonMut, JsonPlace, JsonRef};

/// A JSON object, as user-supplied dictionaries are in the Python SDK.
///
/// Keys keep insertion order, as Python dicts do, with the `preserve-order` feature (on by
/// default); sorted without it.
pub type JsonMap = serde_json::Map<String, Value>;

/// A span's name: borrowed for the `&'static str` names most code uses (no allocation),
/// owned otherwise. The helpers take `impl Into<Name>`: a `&'static str`, a `String` or a
/// `Cow`.
pub type Name = Cow<'static, str>;

/// An agent span: one agent's turn of work.
#[derive(Clone, Default, PartialEq)]
pub struct AgentSpanData {
    /// The agent's name.
    pub name: Name,
    /// Names of the agents this agent can hand off to.
    pub handoffs: Option<Vec<String>>,
    /// Names of the agent's tools.
    pub tools: Option<Vec<String>>,
    /// The name of the agent's output type (`"str"` by default in the Python runner).
    pub output_type: Option<String>,
    /// Extra metadata, exported in the span's `metadata` object, not in `span_data`.
    pub metadata: Option<Box<JsonMap>>,
}

/// A task span: one top-level run. Exported as a `custom` span named `task`.
#[derive(Clone, Default, PartialEq)]
pub struct TaskSpanData {
    /// The task's name.
    pub name: Name,
    /// Token usage; exported under `data.usage` only when set.
    pub usage: Option<Box<JsonMap>>,
    /// Extra metadata, exported in the span's `metadata` object.
    pub metadata: Option<Box<JsonMap>>,
}

/// A turn span: one turn of the agent loop. Exported as a `custom` span named `turn`.
#[derive(Clone, Default, PartialEq)]
pub struct TurnSpanData {
    /// The turn number, from 1.
    pub turn: i64,
    /// The name of the agent that runs the turn.
    pub agent_name: Name,
    /// Token usage; exported under `data.usage` only when set.
    pub usage: Option<Box<JsonMap>>,
    /// Extra metadata, exported in the span's `metadata` object.
    pub metadata: Option<Box<JsonMap>>,
}

/// A function (tool call) span.
#[derive(Clone, Default, PartialEq)]
pub struct FunctionSpanData {
    /// The function's name.
    pub name: Name,
    /// The raw arguments, usually a JSON string.
    pub input: Option<String>,
    /// The result as text (Python exports `str(output)`).
    pub output: Option<String>,
    /// For MCP tools: `{"server": name}`.
    pub mcp_data: Option<Box<JsonMap>>,
}

/// A generation span: one model call through the Chat Completions style API.
#[derive(Clone, Default, PartialEq)]
pub struct GenerationSpanData {
    /// The input messages.
    pub input: Option<Vec<Value>>,
    /// The output messages.
    pub output: Option<Vec<Value>>,
    /// The model name.
    pub model: Option<String>,
    /// The model settings.
    pub model_config: Option<Box<JsonMap>>,
    /// Token usage, as the model reported it.
    pub usage: Option<Box<JsonMap>>,
}

/// A response span: one call to the Responses API.
#[derive(Clone, Default, PartialEq)]
pub struct ResponseSpanData {
    /// The response id.
    pub response_id: Option<String>,
    /// Token usage (the OpenAI exporter removes it, as in Python).
    pub usage: Option<Box<JsonMap>>,
    /// The raw response, for processors; never exported itself (its string `"id"` is the
    /// exported `response_id`, see [`exported_response_id`](Self::exported_response_id)).
    pub response: Option<Box<Value>>,
    /// The raw input, for processors; never exported.
    pub input: Option<Box<Value>>,
}

impl ResponseSpanData {
    /// The `response_id` exported: the raw [`response`](Self::response)'s string `"id"`
    /// when it has one (Python exports `response.id` whenever a response is set), else
    /// [`response_id`](Self::response_id).
    pub fn exported_response_id(&self) -> Option<&str> {
        let from_response = self.response.as_deref().and_then(|r| r.get("id")).and_then(Value::as_str);
        from_response.or(self.response_id.as_deref())
    }
}

/// A handoff span: control passing from one agent to another.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HandoffSpanData {
    /// The agent handing off.
    pub from_agent: Option<String>,
    /// The agent receiving control.
    pub to_agent: Option<String>,
}

/// A custom span with free-form data.
#[derive(Clone, Default, PartialEq)]
pub struct CustomSpanData {
    /// The span's name.
    pub name: Name,
    /// Free-form data (`{}` by default); one entry is kept without allocating, a few in
    /// one allocation (see [`DataMap`]).
    pub data: DataMap,
}

/// A guardrail span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GuardrailSpanData {
    /// The guardrail's name.
    pub name: Name,
    /// Whether the guardrail tripped.
    pub triggered: bool,
}

/// A transcription (speech to text) span.
#[derive(Clone, PartialEq)]
pub struct TranscriptionSpanData {
    /// The audio input, base64 encoded; exported as `""` when absent.
    pub input: Option<String>,
    /// The audio format (`"pcm"` by default).
    pub input_format: Option<String>,
    /// The transcribed text.
    pub output: Option<String>,
    /// The model name.
    pub model: Option<String>,
    /// The model settings.
    pub model_config: Option<Box<JsonMap>>,
}

impl Default for TranscriptionSpanData {
    fn default() -> Self {
        Self { input: None, input_format: Some("pcm".to_owned()), output: None, model: None, model_config: None }
    }
}

/// A speech (text to speech) span.
#[derive(Clone, PartialEq)]
pub struct SpeechSpanData {
    /// The text input.
    pub input: Option<String>,
    /// The audio output, base64 encoded; exported as `""` when absent.
    pub output: Option<String>,
    /// The audio format (`"pcm"` by default).
    pub output_format: Option<String>,
    /// The model name.
    pub model: Option<String>,
    /// The model settings.
    pub model_config: Option<Box<JsonMap>>,
    /// When the first audio arrived, as ISO 8601 text.
    pub first_content_at: Option<String>,
}

impl Default for SpeechSpanData {
    fn default() -> Self {
        Self {
            input: None,
            output: None,
            output_format: Some("pcm".to_owned()),
            model: None,
            model_config: None,
            first_content_at: None,
        }
    }
}

/// A speech group span: the parent of the speech spans of one input.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpeechGroupSpanData {
    /// The text input.
    pub input: Option<String>,
}

/// An MCP list-tools span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct McpListToolsSpanData {
    /// The MCP server's name.
    pub server: Option<String>,
    /// The names of the tools listed.
    pub result: Option<Vec<String>>,
}

/// `Debug` for span data structs, and copies without deep recursion: user JSON fields
/// printed as depth-limited JSON text (the derived `Debug` of a `Value` recurses once per
/// level, and would overflow the stack on data nested thousands of levels deep), and
/// copied level after level on the heap (see `limits::clone`). `plain` fields are printed
/// and cloned as they are.
macro_rules! debug_with_json {
    (@field plain, $v:expr) => { $v };
    (@field json, $v:expr) => { &JsonDebug($v) };
    (@field opt_json, $v:expr) => { &OptJsonDebug($v) };
    (@clone plain, $v:expr) => { Clone::clone($v) };
    (@clone json, $v:expr) => { CloneBounded::clone_bounded($v) };
    (@clone opt_json, $v:expr) => { CloneBounded::clone_bounded($v) };
    ($($ty:ident { $($field:ident: $how:ident),* $(,)? })*) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), debug_with_json!(@field $how, &self.$field)))*
                    .finish()
            }
        }

        impl $ty {
            /// A copy made without deep recursion, whatever the nesting of its JSON.
            pub(crate) fn clone_bounded(&self) -> Self {
                Self { $($field: debug_with_json!(@clone $how, &self.$field)),* }
            }
        }
    )*};
}

debug_with_json! {
    AgentSpanData { name: plain, handoffs: plain, tools: plain, output_type: plain, metadata: opt_json }
    TaskSpanData { name: plain, usage: opt_json, metadata: opt_json }
    TurnSpanData { turn: plain, agent_name: plain, usage: opt_json, metadata: opt_json }
    FunctionSpanData { name: plain, input: plain, output: plain, mcp_data: opt_json }
    GenerationSpanData { input: opt_json, output: opt_json, model: plain, model_config: opt_json, usage: opt_json }
    ResponseSpanData { response_id: plain, usage: opt_json, response: opt_json, input: opt_json }
    CustomSpanData { name: plain, data: json }
    TranscriptionSpanData { input: plain, input_format: plain, output: plain, model: plain, model_config: opt_json }
    SpeechSpanData {
        input: plain,
        output: plain,
        output_format: plain,
        model: plain,
        model_config: opt_json,
        first_content_at: plain,
    }
}

impl SpanData {
    /// A copy made without deep recursion, whatever the nesting of its JSON (the derived
    /// `Clone` recurses once per level).
    pub(crate) fn clone_bounded(&self) -> SpanData {
        match self {
            SpanData::Agent(d) => SpanData::Agent(d.clone_bounded()),
            SpanData::Task(d) => SpanData::Task(d.clone_bounded()),
            SpanData::Turn(d) => SpanData::Turn(d.clone_bounded()),
            SpanData::Function(d) => SpanData::Function(d.clone_bounded()),
            SpanData::Generation(d) => SpanData::Generation(d.clone_bounded()),
            SpanData::Response(d) => SpanData::Response(d.clone_bounded()),
            SpanData::Custom(d) => SpanData::Custom(d.clone_bounded()),
            SpanData::Transcription(d) => SpanData::Transcription(d.clone_bounded()),
            SpanData::Speech(d) => SpanData::Speech(Box::new(d.clone_bounded())),
            // No JSON: the derived copies do not recurse.
            SpanData::Handoff(d) => SpanData::Handoff(d.clone()),
            SpanData::Guardrail(d) => SpanData::Guardrail(d.clone()),
            SpanData::SpeechGroup(d) => SpanData::SpeechGroup(d.clone()),
            SpanData::McpTools(d) => SpanData::McpTools(d.clone()),
        }
    }

    /// The `type` written on the wire: as [`kind`](Self::kind), except that task and turn
    /// spans go out as `custom`.
    pub fn wire_type(&self) -> &'static str {
        match self {
            SpanData::Task(_) | SpanData::Turn(_) => "custom",
            other => other.kind().as_str(),
        }
    }

    /// A readable name: the agent, function, guardrail or custom span's name, the task's
    /// name, `turn N`, `A -> B` for a handoff, or the model / server where there is one.
    pub fn name(&self) -> Option<String> {
        match self {
            SpanData::Agent(d) => Some(d.name.to_string()),
            SpanData::Task(d) => Some(d.name.to_string()),
            SpanData::Turn(d) => Some(format!("turn {}", d.turn)),
            SpanData::Function(d) => Some(d.name.to_string()),
            SpanData::Custom(d) => Some(d.name.to_string()),
            SpanData::Guardrail(d) => Some(d.name.to_string()),
            SpanData::Handoff(d) => match (&d.from_agent, &d.to_agent) {
                (None, None) => None,
                (f, t) => Some(format!("{} -> {}", f.as_deref().unwrap_or("?"), t.as_deref().unwrap_or("?"))),
            },
            SpanData::Generation(d) => d.model.clone(),
            SpanData::Transcription(d) => d.model.clone(),
            SpanData::Speech(d) => d.model.clone(),
            SpanData::Response(d) => d.exported_response_id().map(str::to_owned),
            SpanData::SpeechGroup(_) => None,
            SpanData::McpTools(d) => d.server.clone(),
        }
    }

    /// The metadata that agent, task and turn data carry, merged into the span's
    /// exported `metadata` object.
    pub fn metadata(&self) -> Option<&JsonMap> {
        match self {
            SpanData::Agent(d) => d.metadata.as_deref(),
            SpanData::Task(d) => d.metadata.as_deref(),
            SpanData::Turn(d) => d.metadata.as_deref(),
            _ => None,
        }
    }
}

/// `{"data": <str or "">, "format": <fmt>}` for audio fields.
struct Audio<'a> {
    data: &'a Option<String>,
    format: &'a Option<String>,
}

impl Serialize for Audio<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Audio", 2)?;
        s.serialize_field("data", self.data.as_deref().unwrap_or(""))?;
        s.serialize_field("format", self.format)?;
        s.end()
    }
}

/// The `data` object of a task or turn span.
enum SdkData<'a> {
    Task(&'a TaskSpanData),
    Turn(&'a TurnSpanData),
}

impl Serialize for SdkData<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SdkData::Task(d) => {
                let mut m = serializer.serialize_map(None)?;
                m.serialize_entry("sdk_span_type", "task")?;
                m.serialize_entry("name", &d.name)?;
                if let Some(usage) = &d.usage {
                    m.serialize_entry("usage", usage)?;
                }
                m.end()
            }
            SdkData::Turn(d) => {
                let mut m = serializer.serialize_map(None)?;
                m.serialize_entry("sdk_span_type", "turn")?;
                m.serialize_entry("turn", &d.turn)?;
                m.serialize_entry("agent_name", &d.agent_name)?;
                if let Some(usage) = &d.usage {
                    m.serialize_entry("usage", usage)?;
                }
                m.end()
            }
        }
    }
}

/// A `span_data` object: `type`, then the given fields in order.
macro_rules! span_data_object {
    ($serializer:expr, $ty:expr, { $($key:literal: $value:expr),* $(,)? }) => {{
        let mut s = $serializer.serialize_struct("SpanData", 1 + [$($key),*].len())?;
        s.serialize_field("type", $ty)?;
        $(s.serialize_field($key, $value)?;)*
        s.end()
    }};
}

impl Serialize for SpanData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ty = self.wire_type();
        match self {
            SpanData::Agent(d) => span_data_object!(serializer, ty, {
                "name": &d.name,
                "handoffs": &d.handoffs,
                "tools": &d.tools,
                "output_type": &d.output_type,
            }),
            SpanData::Task(d) => custom(serializer, "task", &SdkData::Task(d)),
            SpanData::Turn(d) => custom(serializer, "turn", &SdkData::Turn(d)),
            SpanData::Function(d) => span_data_object!(serializer, ty, {
                "name": &d.name,
                "input": &d.input,
                "output": &d.output,
                "mcp_data": &d.mcp_data,
            }),
            SpanData::Generation(d) => span_data_object!(serializer, ty, {
                "input": &d.input,
                "output": &d.output,
                "model": &d.model,
                "model_config": &d.model_config,
                "usage": &d.usage,
            }),
            SpanData::Response(d) => span_data_object!(serializer, ty, {
                "response_id": &d.exported_response_id(),
                "usage": &d.usage,
            }),
            SpanData::Handoff(d) => span_data_object!(serializer, ty, {
                "from_agent": &d.from_agent,
                "to_agent": &d.to_agent,
            }),
            SpanData::Custom(d) => custom(serializer, &d.name, &d.data),
            SpanData::Guardrail(d) => span_data_object!(serializer, ty, { "name": &d.name, "triggered": &d.triggered }),
            SpanData::Transcription(d) => span_data_object!(serializer, ty, {
                "input": &Audio { data: &d.input, format: &d.input_format },
                "output": &d.output,
                "model": &d.model,
                "model_config": &d.model_config,
            }),
            SpanData::Speech(d) => span_data_object!(serializer, ty, {
                "input": &d.input,
                "output": &Audio { data: &d.output, format: &d.output_format },
                "model": &d.model,
                "model_config": &d.model_config,
                "first_content_at": &d.first_content_at,
            }),
            SpanData::SpeechGroup(d) => span_data_object!(serializer, ty, { "input": &d.input }),
            SpanData::McpTools(d) => span_data_object!(serializer, ty, { "server": &d.server, "result": &d.result }),
        }
    }
}

fn custom<S: Serializer, D: Serialize + ?Sized>(serializer: S, name: &str, data: &D) -> Result<S::Ok, S::Error> {
    span_data_object!(serializer, "custom", { "name": name, "data": data })
}

/// A span data struct that a typed [`SpanGuard`](crate::SpanGuard) can hand out.
///
/// Implemented for every `*SpanData` struct and for [`SpanData`] itself (which gives
/// access to any type).
pub trait SpanDataKind: Into<SpanData> + Sized {
    /// Borrows this type out of a [`SpanData`], if the variant matches.
    fn from_data(data: &SpanData) -> Option<&Self>;
    /// Mutably borrows this type out of a [`SpanData`], if the variant matches.
    fn from_data_mut(data: &mut SpanData) -> Option<&mut Self>;
}

impl SpanDataKind for SpanData {
    fn from_data(data: &SpanData) -> Option<&Self> {
        Some(data)
    }
    fn from_data_mut(data: &mut SpanData) -> Option<&mut Self> {
        Some(data)
    }
}

/// Declares [`SpanData`], one variant per span data struct (`Struct => Variant(Held)`, the
/// variant named as the [`SpanKind`] it is, holding the struct or a box of it), and what
/// follows from the table: the conversions, [`SpanDataKind`], [`SpanData::kind`] and
/// [`SpanData::empty`].
macro_rules! kinds {
    ($($ty:ident => $variant:ident($held:ty)),* $(,)?) => {
        /// The data of a span, one variant per span type.
        ///
        /// A variant whose struct is larger than a custom span's data holds it boxed (the
        /// speech span's), so that the enum, which every span record holds, is only as
        /// large as the common kinds need: a custom span with a field costs one 208-byte
        /// allocation, not 224. Reading through the box is transparent (`d.model` where `d`
        /// is the `Box`); build any variant with `SpanData::from(data)` or `data.into()`.
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum SpanData {
            $(
                #[doc = concat!("See [`", stringify!($ty), "`].")]
                $variant($held),
            )*
        }

        impl SpanData {
            /// The span type: [`SpanKind::as_str`] gives the SDK's name (`agent`, `task`,
            /// `turn`, `function`, ...).
            pub fn kind(&self) -> SpanKind {
                match self {
                    $(SpanData::$variant(_) => SpanKind::$variant,)*
                }
            }

            /// The data of a span of type `kind`, every field at its default (names empty).
            ///
            /// ```
            /// use trace_core::{SpanData, SpanKind};
            ///
            /// for kind in SpanKind::ALL {
            ///     assert_eq!(SpanData::empty(kind).kind(), kind);
            /// }
            /// ```
            pub fn empty(kind: SpanKind) -> SpanData {
                match kind {
                    $(SpanKind::$variant => SpanData::from($ty::default()),)*
                }
            }
        }

        $(
            impl From<$ty> for SpanData {
                fn from(d: $ty) -> Self {
                    SpanData::$variant(d.into())
                }
            }

            impl SpanDataKind for $ty {
                fn from_data(data: &SpanData) -> Option<&Self> {
                    match data {
                        SpanData::$variant(d) => Some(Borrow::<$ty>::borrow(d)),
                        _ => None,
                    }
                }
                fn from_data_mut(data: &mut SpanData) -> Option<&mut Self> {
                    match data {
                        SpanData::$variant(d) => Some(BorrowMut::<$ty>::borrow_mut(d)),
                        _ => None,
                    }
                }
            }
        )*
    };
}

kinds! {
    AgentSpanData => Agent(AgentSpanData),
    TaskSpanData => Task(TaskSpanData),
    TurnSpanData => Turn(TurnSpanData),
    FunctionSpanData => Function(FunctionSpanData),
    GenerationSpanData => Generation(GenerationSpanData),
    ResponseSpanData => Response(ResponseSpanData),
    HandoffSpanData => Handoff(HandoffSpanData),
    CustomSpanData => Custom(CustomSpanData),
    GuardrailSpanData => Guardrail(GuardrailSpanData),
    TranscriptionSpanData => Transcription(TranscriptionSpanData),
    SpeechSpanData => Speech(Box<SpeechSpanData>),
    SpeechGroupSpanData => SpeechGroup(SpeechGroupSpanData),
    McpListToolsSpanData => McpTools(McpListToolsSpanData),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn to_json(d: impl Into<SpanData>) -> String {
        crate::wire::to_json_string(&d.into()).unwrap()
    }

    #[test]
    fn key_order_and_nulls_match_python() {
        assert_eq!(
            to_json(AgentSpanData { name: "A".into(), ..Default::default() }),
            r#"{"type":"agent","name":"A","handoffs":null,"tools":null,"output_type":null}"#
        );
        assert_eq!(
            to_json(FunctionSpanData { name: "f".into(), ..Default::default() }),
            r#"{"type":"function","name":"f","input":null,"output":null,"mcp_data":null}"#
        );
        assert_eq!(
            to_json(GenerationSpanData::default()),
            r#"{"type":"generation","input":null,"output":null,"model":null,"model_config":null,"usage":null}"#
        );
        assert_eq!(to_json(ResponseSpanData::default()), r#"{"type":"response","response_id":null,"usage":null}"#);
        assert_eq!(to_json(HandoffSpanData::default()), r#"{"type":"handoff","from_agent":null,"to_agent":null}"#);
        assert_eq!(
            to_json(CustomSpanData { name: "c".into(), data: Default::default() }),
            r#"{"type":"custom","name":"c","data":{}}"#
        );
        assert_eq!(
            to_json(GuardrailSpanData { name: "g".into(), triggered: true }),
            r#"{"type":"guardrail","name":"g","triggered":true}"#
        );
        assert_eq!(
            to_json(TranscriptionSpanData::default()),
            r#"{"type":"transcription","input":{"data":"","format":"pcm"},"output":null,"model":null,"model_config":null}"#
        );
        assert_eq!(
            to_json(SpeechSpanData::default()),
            r#"{"type":"speech","input":null,"output":{"data":"","format":"pcm"},"model":null,"model_config":null,"first_content_at":null}"#
        );
        assert_eq!(to_json(SpeechGroupSpanData::default()), r#"{"type":"speech_group","input":null}"#);
        assert_eq!(to_json(McpListToolsSpanData::default()), r#"{"type":"mcp_tools","server":null,"result":null}"#);
    }

    #[test]
    fn user_json_keeps_insertion_order_as_python_dicts_do() {
        let data = JsonMap::from_iter([("zeta".to_owned(), json!(1)), ("alpha".to_owned(), json!({"y": 2, "b": 3}))]);
        let fields: DataMap = [("zeta", json!(1)), ("alpha", json!({"y": 2, "b": 3}))].into_iter().collect();
        // Without `preserve-order`, keys are sorted (documented), in both forms of the data.
        let want = if cfg!(feature = "preserve-order") {
            r#"{"type":"custom","name":"c","data":{"zeta":1,"alpha":{"y":2,"b":3}}}"#
        } else {
            r#"{"type":"custom","name":"c","data":{"alpha":{"b":3,"y":2},"zeta":1}}"#
        };
        assert_eq!(to_json(CustomSpanData { name: "c".into(), data: data.into() }), want);
        assert_eq!(to_json(CustomSpanData { name: "c".into(), data: fields }), want);
    }

    #[test]
    fn task_and_turn_are_custom_spans_with_sdk_span_type() {
        assert_eq!(
            to_json(TaskSpanData { name: "t".into(), ..Default::default() }),
            r#"{"type":"custom","name":"task","data":{"sdk_span_type":"task","name":"t"}}"#
        );
        let usage = json!({"input_tokens": 1}).as_object().cloned();
        assert_eq!(
            to_json(TurnSpanData { turn: 2, agent_name: "A".into(), usage: usage.map(Box::new), metadata: None }),
            r#"{"type":"custom","name":"turn","data":{"sdk_span_type":"turn","turn":2,"agent_name":"A","usage":{"input_tokens":1}}}"#
        );
    }

    #[test]
    fn raw_response_fields_and_metadata_are_not_exported() {
        let d = ResponseSpanData {
            response_id: Some("r".into()),
            usage: None,
            response: Some(Box::new(json!({"id": "r", "secret": 1}))),
            input: Some(Box::new(json!("hi"))),
        };
        assert_eq!(to_json(d), r#"{"type":"response","response_id":"r","usage":null}"#);
        let a = AgentSpanData {
            name: "A".into(),
            metadata: json!({"m": 1}).as_object().cloned().map(Box::new),
            ..Default::default()
        };
        assert!(!to_json(a).contains("\"m\""));
    }

    /// Python's `ResponseSpanData.export`: `response.id` whenever a response is set.
    #[test]
    fn the_response_id_comes_from_the_raw_response_when_it_has_one() {
        let d = |id: Option<&str>, response: Option<Value>| ResponseSpanData {
            response_id: id.map(Into::into),
            response: response.map(Box::new),
            ..Default::default()
        };
        let only_raw = d(None, Some(json!({"id": "resp_9", "output": []})));
        assert_eq!(to_json(only_raw), r#"{"type":"response","response_id":"resp_9","usage":null}"#);
        assert_eq!(d(Some("given"), Some(json!({"id": "resp_9"}))).exported_response_id(), Some("resp_9"));
        assert_eq!(d(Some("given"), Some(json!({"id": 7}))).exported_response_id(), Some("given"));
        assert_eq!(d(Some("given"), None).exported_response_id(), Some("given"));
        assert_eq!(d(None, None).exported_response_id(), None);
    }

    #[test]
    fn typed_access_through_span_data_kind() {
        let mut d: SpanData = FunctionSpanData { name: "f".into(), ..Default::default() }.into();
        FunctionSpanData::from_data_mut(&mut d).unwrap().output = Some("ok".into());
        assert_eq!(FunctionSpanData::from_data(&d).unwrap().output.as_deref(), Some("ok"));
        assert!(AgentSpanData::from_data(&d).is_none());
        assert_eq!(d.kind(), SpanKind::Function);
        assert_eq!(SpanData::from(TaskSpanData::default()).wire_type(), "custom");
    }
}
