//! JSON handed to the trace and span setters, and what becomes of a value that is not the
//! object a field expects.
//!
//! The JSON setters (`metadata`, `usage`, `model_config`, `mcp_data`, a custom span's
//! `data`, ...) take any [`IntoJson`]:
//!
//! - a [`serde_json::Value`] or a [`JsonMap`]: stored as is (moved, not copied; nesting is
//!   cut at [`MAX_JSON_DEPTH`](crate::limits::MAX_JSON_DEPTH) when the span is written); a
//!   [`DataMap`](crate::DataMap) as an object;
//! - a reference to anything [`Serialize`] (`&MyUsage`, `&vec`, `&json!(..)`): serialized
//!   through [`wire::to_json_value`](crate::wire::to_json_value), so nesting is cut at the
//!   depth limit (and counted) right away.
//!
//! Fields typed as a JSON object follow one rule for everything else, documented here and
//! on each setter, and never panic:
//!
//! | value given | stored |
//! |---|---|
//! | an object | the object |
//! | `null` | nothing: the field is cleared (`null` on the wire; `{}` for a custom span's `data`) |
//! | any other value (`5`, `"text"`, `[1, 2]`) | `{"value": <the value>}` ([`NON_OBJECT_KEY`]) |
//! | a `Serialize` that fails (a map with non-string keys, an error from its own `serialize`) | `{"serialize_error": "<serde's message>"}` ([`SERIALIZE_ERROR_KEY`]) |
//!
//! The last two are fallbacks: each is counted ([`json_input_fallbacks`]) and logged as a
//! rate-limited warning that names the field, never the value.
//!
//! ```
//! use std::collections::BTreeMap;
//! use serde_json::json;
//! use trace_core::{custom_span, generation_span, json_input_fallbacks, trace, InMemoryProcessor};
//!
//! let recorder = InMemoryProcessor::new();
//! trace_core::set_trace_processor(recorder.clone());
//! let before = json_input_fallbacks();
//! {
//!     let _t = trace("wf").start();
//!     // Any `Serialize` value (a struct of yours, a map), by reference; a `json!` value, moved.
//!     let usage = BTreeMap::from([("input_tokens", 12), ("output_tokens", 5)]);
//!     let mut generation = generation_span().model("gpt-4o-mini").start();
//!     generation.set_usage(&usage);
//!     custom_span("step").data(json!({"k": "v"})).start();
//!     // Not an object: wrapped, and counted.
//!     custom_span("odd").data(json!(42)).start();
//! }
//! let spans = recorder.finished_spans();
//! let json = |i: usize| serde_json::to_value(&*spans[i]).unwrap();
//! // Spans in the order they ended: "step", "odd", then the generation.
//! assert_eq!(json(0)["span_data"]["data"], json!({"k": "v"}));
//! assert_eq!(json(1)["span_data"]["data"], json!({"value": 42}));
//! assert_eq!(json(2)["span_data"]["usage"], json!({"input_tokens": 12, "output_tokens": 5}));
//! assert_eq!(json_input_fallbacks() - before, 1);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::rate_limit::LogRateLimiter;
use crate::span_data::JsonMap;

/// The key a value that is not an object is stored under, where an object is expected.
pub const NON_OBJECT_KEY: &str = "value";

/// The key under which the error message of a value that failed to serialize is stored.
pub const SERIALIZE_ERROR_KEY: &str = "serialize_error";

static FALLBACKS: AtomicU64 = AtomicU64::new(0);
static FALLBACK_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

/// How many values given to a JSON setter were stored through a fallback since the
/// process started: wrapped as `{"value": ..}` (not an object where one is expected), or
/// replaced by `{"serialize_error": ..}` (their `Serialize` failed). See the
/// [module docs](self).
pub fn json_input_fallbacks() -> u64 {
    FALLBACKS.load(Ordering::Relaxed)
}

mod sealed {
    use serde_json::Value;

    /// The conversions behind [`IntoJson`](super::IntoJson), out of the public API.
    #[allow(unreachable_pub)]
    pub trait Sealed {
        /// The value as JSON.
        fn into_json(self) -> serde_json::Result<Value>;
        /// Drops the value unused, without deep recursion for JSON nested any number of
        /// levels.
        fn discard(self);
    }
}

/// JSON that the trace and span setters take: a [`serde_json::Value`] or a [`JsonMap`]
/// (moved as is), a [`DataMap`](crate::DataMap) (as the object it holds), or a reference
/// to any [`Serialize`] value (serialized with the depth limit). See the
/// [module docs](self) for what a field expecting an object does with anything else.
///
/// Sealed: the forms above cover every `Serialize` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not JSON a span setter takes",
    label = "pass a `serde_json::Value`, a `JsonMap`, a `DataMap`, or a reference to a `Serialize` value",
    note = "for a value of your own type, pass a reference: `&value`"
)]
pub trait IntoJson: sealed::Sealed {}

impl sealed::Sealed for Value {
    fn into_json(self) -> serde_json::Result<Value> {
        Ok(self)
    }
    fn discard(self) {
        crate::limits::release(self);
    }
}
impl IntoJson for Value {}

impl sealed::Sealed for JsonMap {
    fn into_json(self) -> serde_json::Result<Value> {
        Ok(Value::Object(self))
    }
    fn discard(self) {
        crate::limits::release(Value::Object(self));
    }
}
impl IntoJson for JsonMap {}

impl sealed::Sealed for crate::span_data::DataMap {
    fn into_json(self) -> serde_json::Result<Value> {
        Ok(Value::Object(self.into_map()))
    }
    fn discard(mut self) {
        crate::limits::release_json(crate::span_data::JsonMut::Data(&mut self));
    }
}
impl IntoJson for crate::span_data::DataMap {}

impl<T: Serialize + ?Sized> sealed::Sealed for &T {
    fn into_json(self) -> serde_json::Result<Value> {
        crate::json_text::to_value(self)
    }
    fn discard(self) {}
}
impl<T: Serialize + ?Sized> IntoJson for &T {}

/// Drops `input` unused (the span is a no-op or already finished).
pub(crate) fn discard(input: impl IntoJson) {
    sealed::Sealed::discard(input);
}

#[cold]
fn fallback(field: &str, what: &str) {
    FALLBACKS.fetch_add(1, Ordering::Relaxed);
    if let Some(suppressed) = FALLBACK_LOG.check() {
        log::warn!(
            "the value given for `{field}` {what}; see trace_core::json_input for what is stored \
             ({suppressed} more such values since the last warning)"
        );
    }
}

/// `input` as JSON for a field that takes any JSON value; `None` for `null`.
pub(crate) fn to_value(input: impl IntoJson, field: &str) -> Option<Value> {
    match sealed::Sealed::into_json(input) {
        Ok(Value::Null) => None,
        Ok(v) => Some(v),
        Err(e) => {
            fallback(field, "could not be serialized");
            Some(Value::Object(JsonMap::from_iter([(SERIALIZE_ERROR_KEY.to_owned(), Value::String(e.to_string()))])))
        }
    }
}

/// `input` as the JSON object a field expects; `None` for `null`; anything else wrapped
/// as `{"value": ..}` (see the [module docs](self)).
pub(crate) fn to_object(input: impl IntoJson, field: &str) -> Option<JsonMap> {
    match to_value(input, field)? {
        Value::Object(map) => Some(map),
        other => {
            fallback(field, "is not a JSON object; it is stored under the key \"value\"");
            Some(JsonMap::from_iter([(NON_OBJECT_KEY.to_owned(), other)]))
        }
    }
}
