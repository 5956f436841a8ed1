//! The sensitive-data switch: the Python SDK's `trace_include_sensitive_data` (and its
//! environment variable `OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA`), for the whole
//! process and per trace.
//!
//! When it is off, spans are still recorded (names, types, timings, models, token counts,
//! parents) but the fields that the Python SDK leaves out are **never recorded**: they are
//! removed from the span when it is created (so processors never see them at
//! `on_span_start`) and again when it ends (whatever the setters, [`update`] or a
//! `tracing` layer put there meanwhile), before any processor receives it. The data never
//! enters a queue, and no exporter or processor can send it anywhere.
//!
//! - **Global**: [`set_trace_include_sensitive_data`]; until it is called the variable
//!   `OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA` decides, read once, lazily, the first
//!   time a trace is created (or [`trace_include_sensitive_data`] is asked). As in Python:
//!   unset means on; set, only `1`, `true`, `yes` and `on` (any case, blanks around
//!   ignored) mean on, anything else (`false`, `0`, `no`, the empty string) means off.
//! - **Per trace**: [`TraceBuilder::include_sensitive_data`](crate::TraceBuilder::include_sensitive_data)
//!   overrides the global switch for one trace (Python's `RunConfig.trace_include_sensitive_data`);
//!   every span of the trace follows it. [`Trace::include_sensitive_data`](crate::Trace::include_sensitive_data)
//!   and [`SpanGuard::include_sensitive_data`](crate::SpanGuard::include_sensitive_data)
//!   tell what was decided, for code that builds custom span data (the Python SDK's
//!   `tracing.include_data()`).
//!
//! The default is on, as in Python. The switch is decided when a trace is created: a span
//! pays one `bool` read of its trace record, and a trace creation one relaxed atomic load
//! shared with the sampler flag (see [`sampling`](crate::sampling)).
//!
//! # What is left out, and why
//!
//! Each row is what the Python SDK 0.24 does when `trace_include_sensitive_data` is false
//! (paths under `agents/` of the installed package; line numbers of 0.24.0).
//!
//! | span type | field | becomes | Python 0.24 source |
//! |---|---|---|---|
//! | generation | `input` (the messages sent) | `null` | `models/openai_chatcompletions.py:639-640` (`if tracing.include_data(): span.span_data.input = converted_messages`) |
//! | generation | `output` (the messages received) | `null` | `models/openai_chatcompletions.py:345-348`, `models/_trace.py:51-52` |
//! | generation | `model_config.metadata` (request metadata) | key removed | `models/_trace.py:36-37` (`if not tracing.include_data(): config.pop("metadata", None)`) |
//! | response | `response` and `input` (raw, never exported but seen by processors) | `None` | `models/openai_responses.py:639-641`, `740-745`, `806-808` |
//! | function | `input` (the tool arguments) | `null` | `run_internal/tool_execution.py:1825-1826`; `run_internal/tool_actions.py:125-126`, `493-494`, `729-730`, `936-937` (computer, shell, custom, apply-patch tools) |
//! | function | `output` (the tool result) | `null` | `run_internal/tool_execution.py:1866-1872`; `run_internal/tool_actions.py:214-215`, `678-679`, `858-859`, `1104-1105`; `mcp/util.py:839-841` (MCP tools) |
//! | transcription | `input.data` (the audio) | `""` | `voice/models/openai_stt.py:205-206`, `630` (the audio flag, see below) |
//! | transcription | `output` (the transcript) | `null` | `voice/models/openai_stt.py:210-211`, `659-660` |
//! | transcription | `model_config.prompt`, `model_config.keywords` | `null` (when present) | `voice/models/openai_stt.py:187-196`, `635-639` |
//! | speech | `input` (the text spoken) | `""` (when set) | `voice/result.py:151` (`input=text if ... else ""`) |
//! | speech | `output.data` (the audio) | `""` | `voice/result.py:213-216` (the audio flag) |
//! | speech | `model_config.instructions` | `null` (when present) | `voice/result.py:154-158` |
//! | speech_group | `input` (the turn's text) | `""` (when set) | `voice/result.py:277-280` |
//! | any | `error.data` (the error's details) | `{"error": "Error details are redacted."}` (when set; extra keys removed) | `util/_error_tracing.py:11`, `46-53`, `70-78`; `util/_tool_errors.py:5`; `run_internal/tool_execution.py:1848-1857`; `models/openai_responses.py:654-663` |
//!
//! Kept, as in Python: every name (agent, function, custom, guardrail), the model, model
//! settings other than those above, usage, handoffs, tools and output types, MCP server
//! names and listed tool names (`mcp_tools.result`, `mcp/util.py:350-352`), `mcp_data`
//! (`mcp/util.py:842`), guardrail outcomes, custom span data, trace metadata and group
//! ids, and the error's `message`.
//!
//! Notes on the differences:
//! - **Response id.** Python 0.24 keeps `response_id` when the model endpoint is OpenAI's
//!   (`models/openai_responses.py:642-646`, `729-732`: it is stored apart, in
//!   `_response_id`) and loses it otherwise; this crate cannot tell which endpoint a model
//!   call went to, so it keeps the id (an identifier, not content).
//! - **Audio.** Python has a second flag for audio, `VoicePipelineConfig.trace_include_sensitive_audio_data`;
//!   here the one switch covers audio too.
//! - **Error messages.** Python writes a fixed message (`"Error running tool"`, `"Error
//!   getting response"`) and puts the details under `data.error`, which the switch
//!   replaces with [`REDACTED_ERROR_DETAILS`]. The message is kept here: write a fixed
//!   text there and the details in the data, as the Python SDK does
//!   (`SpanError::new("Error running tool").with_data(json!({"error": e.to_string()}))`).
//! - **Custom data** is yours: the switch leaves it alone, as the Python SDK's custom
//!   spans are left alone (its own Codex extension checks the flag before adding
//!   commands and their output, `extensions/experimental/codex/codex_tool.py:1177-1181`).
//!   Check [`SpanGuard::include_sensitive_data`](crate::SpanGuard::include_sensitive_data)
//!   the same way.
//!
//! ```
//! use trace_core::{function_span, trace, InMemoryProcessor};
//!
//! let recorder = InMemoryProcessor::new();
//! trace_core::set_trace_processor(recorder.clone());
//! {
//!     let _run = trace("Support").include_sensitive_data(false).start();
//!     let mut call = function_span("lookup_order").input(r#"{"email": "ada@example.com"}"#).start();
//!     assert!(!call.include_sensitive_data());
//!     call.set_output("shipped to 12 Analytical St.");
//! }
//! let span = &recorder.finished_spans()[0];
//! let json = serde_json::to_value(&**span).unwrap();
//! assert_eq!(json["span_data"]["name"], "lookup_order");
//! assert!(json["span_data"]["input"].is_null() && json["span_data"]["output"].is_null());
//! ```
//!
//! [`update`]: crate::SpanGuard::update

use serde_json::Value;

pub use crate::policy::{parse_include_sensitive_data, INCLUDE_SENSITIVE_DATA_ENV};

use crate::limits::release;
use crate::span_data::{JsonMap, SpanData};
use crate::span_error::SpanError;

/// What replaces an error's details when sensitive data is left out (the Python SDK's
/// `REDACTED_TRACE_ERROR_MESSAGE`, `util/_error_tracing.py:11`).
pub const REDACTED_ERROR_DETAILS: &str = "Error details are redacted.";

/// Turns the recording of sensitive data on or off for the whole process (traces created
/// from now on), overriding `OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA`. A trace built
/// with [`include_sensitive_data`](crate::TraceBuilder::include_sensitive_data) keeps its
/// own setting. See the [module docs](self) for what is left out.
pub fn set_trace_include_sensitive_data(include: bool) {
    crate::policy::set_include_sensitive_data(include);
}

/// Whether traces created now record sensitive data, unless they say otherwise: the value
/// of [`set_trace_include_sensitive_data`], else of
/// `OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA` (read on the first call), else `true`.
pub fn trace_include_sensitive_data() -> bool {
    crate::policy::include_sensitive_data()
}

/// The variable that, unless set to something other than `1` or `true`, keeps model inputs
/// and outputs out of logs (the Python SDK's `_debug.DONT_LOG_MODEL_DATA`).
pub const DONT_LOG_MODEL_DATA_ENV: &str = "OPENAI_AGENTS_DONT_LOG_MODEL_DATA";

/// The variable that, unless set to something other than `1` or `true`, keeps tool inputs
/// and outputs out of logs (the Python SDK's `_debug.DONT_LOG_TOOL_DATA`).
pub const DONT_LOG_TOOL_DATA_ENV: &str = "OPENAI_AGENTS_DONT_LOG_TOOL_DATA";

/// Whether the Python SDK 0.24 would put span data and response bodies into its logs and
/// console output, from the values of [`DONT_LOG_MODEL_DATA_ENV`] and
/// [`DONT_LOG_TOOL_DATA_ENV`]: only when neither flag is on. Each flag is Python's
/// `_debug_flag_enabled(name, default=True)`: on when unset, and when set, on only for `1`
/// or `true` (any case, untrimmed). So by default nothing is shown; both variables set to
/// `0` (or `false`) show it.
///
/// ```
/// use trace_core::sensitive::data_in_logs;
/// assert!(!data_in_logs(None, None));
/// assert!(!data_in_logs(Some("0"), None));
/// assert!(data_in_logs(Some("0"), Some("false")));
/// ```
pub fn data_in_logs(dont_log_model_data: Option<&str>, dont_log_tool_data: Option<&str>) -> bool {
    let flag_on = |value: Option<&str>| value.map_or(true, |v| v == "1" || v.eq_ignore_ascii_case("true"));
    !flag_on(dont_log_model_data) && !flag_on(dont_log_tool_data)
}

/// [`data_in_logs`] for the process's environment, read now (a value that is not Unicode
/// counts as set to something else than `1` or `true`).
pub fn data_in_logs_from_env() -> bool {
    let var = |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    data_in_logs(var(DONT_LOG_MODEL_DATA_ENV).as_deref(), var(DONT_LOG_TOOL_DATA_ENV).as_deref())
}

/// Removes from `data` the fields listed in the [module docs](self) (what the Python SDK
/// leaves out when `trace_include_sensitive_data` is false); removed JSON is released
/// without deep recursion. Spans of a trace that records no sensitive data go through this
/// when they are created and when they end; call it yourself on spans you build with
/// [`Span::new`](crate::Span::new).
pub fn strip_sensitive_data(data: &mut SpanData) {
    match data {
        SpanData::Generation(d) => {
            for v in d.input.take().into_iter().chain(d.output.take()).flatten() {
                release(v);
            }
            if let Some(config) = &mut d.model_config {
                if let Some(v) = crate::span_data::remove_in_order(config, "metadata") {
                    release(v);
                }
            }
        }
        SpanData::Response(d) => {
            // The id stays (see the module docs): taken from the raw response first, as
            // it would have been exported.
            if d.response_id.is_none() {
                d.response_id = d.exported_response_id().map(str::to_owned);
            }
            for v in d.response.take().into_iter().chain(d.input.take()) {
                release(*v);
            }
        }
        SpanData::Function(d) => {
            d.input = None;
            d.output = None;
        }
        SpanData::Transcription(d) => {
            d.input = None;
            d.output = None;
            null_keys(&mut d.model_config, &["prompt", "keywords"]);
        }
        SpanData::Speech(d) => {
            empty_if_set(&mut d.input);
            d.output = None;
            null_keys(&mut d.model_config, &["instructions"]);
        }
        SpanData::SpeechGroup(d) => empty_if_set(&mut d.input),
        _ => {}
    }
}

impl SpanData {
    /// Whether this type of span data has fields that [`strip_sensitive_data`] removes
    /// (so that spans of the other types pay nothing more when the switch is off).
    #[inline]
    pub(crate) fn may_hold_sensitive_data(&self) -> bool {
        matches!(
            self,
            SpanData::Generation(_)
                | SpanData::Response(_)
                | SpanData::Function(_)
                | SpanData::Transcription(_)
                | SpanData::Speech(_)
                | SpanData::SpeechGroup(_)
        )
    }
}

/// Replaces the details of `error` as the Python SDK does when sensitive data is left
/// out: its data, if set, becomes `{"error": "Error details are redacted."}` and keys
/// added with [`SpanError::with_extra`] are removed; the message is kept (see the
/// [module docs](self)).
pub fn strip_sensitive_error(error: &mut SpanError) {
    if let Some(old) = error.data.take() {
        release(old);
        let redacted = JsonMap::from_iter([("error".to_owned(), Value::String(REDACTED_ERROR_DETAILS.to_owned()))]);
        error.data = Some(Value::Object(redacted));
    }
    error.clear_extra();
}

/// Sets each of `keys` present in `config` to `null` (Python builds these settings with
/// the key present and a `None` value).
fn null_keys(config: &mut Option<Box<JsonMap>>, keys: &[&str]) {
    let Some(config) = config else { return };
    for key in keys {
        if let Some(v) = config.get_mut(*key) {
            release(std::mem::take(v));
        }
    }
}

/// `""` in place of a text that was set (Python records `""` rather than `None`).
fn empty_if_set(text: &mut Option<String>) {
    if let Some(t) = text {
        t.clear();
        t.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::span_data::*;

    #[test]
    fn the_variable_is_read_as_python_reads_it() {
        for on in [None, Some("1"), Some("true"), Some(" TRUE "), Some("Yes"), Some("on")] {
            assert!(parse_include_sensitive_data(on), "{on:?}");
        }
        for off in [Some("false"), Some("0"), Some("no"), Some("off"), Some(""), Some("y"), Some("enabled")] {
            assert!(!parse_include_sensitive_data(off), "{off:?}");
        }
    }

    #[test]
    fn data_is_logged_only_when_both_dont_log_flags_are_off() {
        assert!(!data_in_logs(None, None), "Python's default");
        assert!(!data_in_logs(Some("0"), None));
        assert!(!data_in_logs(Some("false"), Some("TRUE")));
        assert!(!data_in_logs(Some("1"), Some("0")));
        assert!(data_in_logs(Some("0"), Some("false")));
        assert!(data_in_logs(Some(""), Some("no")), "set, and not 1 or true");
        assert!(data_in_logs(Some(" true"), Some("0")), "untrimmed, as in Python");
    }

    fn exported(data: impl Into<SpanData>) -> Value {
        let mut data = data.into();
        strip_sensitive_data(&mut data);
        crate::wire::to_json_value(&data).unwrap()
    }

    #[test]
    fn every_field_python_leaves_out_is_removed_and_the_rest_kept() {
        let map = |v: Value| v.as_object().cloned();
        let g = exported(GenerationSpanData {
            input: Some(vec![json!({"role": "user", "content": "secret"})]),
            output: Some(vec![json!({"role": "assistant", "content": "secret"})]),
            model: Some("gpt-4o".into()),
            model_config: map(json!({"temperature": 0.5, "metadata": {"user": "ada"}})).map(Box::new),
            usage: map(json!({"input_tokens": 3})).map(Box::new),
        });
        assert_eq!(
            g,
            json!({"type": "generation", "input": null, "output": null, "model": "gpt-4o",
                   "model_config": {"temperature": 0.5}, "usage": {"input_tokens": 3}})
        );

        // The other settings keep their order, as after Python's `dict.pop`.
        let mut g: SpanData = GenerationSpanData {
            model_config: map(json!({"metadata": {"user": "ada"}, "temperature": 0.5, "top_p": 1})).map(Box::new),
            ..Default::default()
        }
        .into();
        strip_sensitive_data(&mut g);
        let SpanData::Generation(d) = &g else { unreachable!() };
        let keys: Vec<_> = d.model_config.as_deref().into_iter().flat_map(|m| m.keys()).collect();
        assert_eq!(keys, ["temperature", "top_p"]);

        let mut r: SpanData = ResponseSpanData {
            response_id: Some("resp_1".into()),
            usage: None,
            response: Some(Box::new(json!({"output": "secret"}))),
            input: Some(Box::new(json!("secret"))),
        }
        .into();
        strip_sensitive_data(&mut r);
        let SpanData::Response(r) = r else { unreachable!() };
        assert_eq!((r.response_id.as_deref(), r.response, r.input), (Some("resp_1"), None, None));
        // Only the raw response given (as Python sets it): its id is kept.
        let mut r: SpanData = ResponseSpanData {
            response: Some(Box::new(json!({"id": "resp_2", "output": "secret"}))),
            ..Default::default()
        }
        .into();
        strip_sensitive_data(&mut r);
        let SpanData::Response(r) = r else { unreachable!() };
        assert_eq!((r.response_id.as_deref(), r.response), (Some("resp_2"), None));

        let f = exported(FunctionSpanData {
            name: "lookup".into(),
            input: Some("{\"q\": 1}".into()),
            output: Some("secret".into()),
            mcp_data: map(json!({"server": "files"})).map(Box::new),
        });
        assert_eq!(
            f,
            json!({"type": "function", "name": "lookup", "input": null, "output": null, "mcp_data": {"server": "files"}})
        );

        let t = exported(TranscriptionSpanData {
            input: Some("UklGRg==".into()),
            output: Some("hello".into()),
            model: Some("whisper".into()),
            model_config: map(json!({"language": "en", "prompt": "secret", "keywords": ["a"]})).map(Box::new),
            ..Default::default()
        });
        assert_eq!(
            t,
            json!({"type": "transcription", "input": {"data": "", "format": "pcm"}, "output": null,
                   "model": "whisper", "model_config": {"language": "en", "prompt": null, "keywords": null}})
        );

        let s = exported(SpeechSpanData {
            input: Some("hello".into()),
            output: Some("UklGRg==".into()),
            model_config: map(json!({"voice": "ash", "instructions": "secret"})).map(Box::new),
            first_content_at: Some("2025-01-01T00:00:00+00:00".into()),
            ..Default::default()
        });
        assert_eq!(s["input"], "");
        assert_eq!(s["output"], json!({"data": "", "format": "pcm"}));
        assert_eq!(s["model_config"], json!({"voice": "ash", "instructions": null}));
        assert_eq!(s["first_content_at"], "2025-01-01T00:00:00+00:00");

        assert_eq!(exported(SpeechGroupSpanData { input: Some("turn text".into()) })["input"], "");
        assert!(exported(SpeechGroupSpanData { input: None })["input"].is_null());

        // Untouched: custom data, agents, MCP listings.
        let custom = CustomSpanData { name: "c".into(), data: map(json!({"k": "v"})).unwrap().into() };
        assert_eq!(exported(custom.clone()), crate::wire::to_json_value(&SpanData::from(custom)).unwrap());
        let listing = McpListToolsSpanData { server: Some("files".into()), result: Some(vec!["read".into()]) };
        assert_eq!(exported(listing)["result"], json!(["read"]));
    }

    #[test]
    fn error_details_are_replaced_and_the_message_kept() {
        let mut e = SpanError::new("Error running tool")
            .with_data(json!({"tool_name": "lookup", "error": "order 7 of ada@example.com"}))
            .with_extra("trace", json!("stack"));
        strip_sensitive_error(&mut e);
        let text = crate::wire::to_json_string(&e).unwrap();
        assert_eq!(text, r#"{"message":"Error running tool","data":{"error":"Error details are redacted."}}"#);
        let mut bare = SpanError::new("m");
        strip_sensitive_error(&mut bare);
        assert_eq!(bare.data, None, "no details, nothing to replace");
    }
}
