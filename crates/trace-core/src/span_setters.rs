//! The typed setters of each span type: on its [`SpanBuilder`] (`.output(..)`, builder
//! style) and on its [`SpanGuard`] (`.set_output(..)`, until the span ends; nothing on a
//! no-op span).
//!
//! JSON fields take any [`IntoJson`] and follow the rule of [`json_input`](crate::json_input)
//! for values that are not the object a field expects.

use serde_json::Value;

use crate::json_input::{self, IntoJson};
use crate::span_builder::SpanBuilder;
use crate::span_data::*;
use crate::span_guard::SpanGuard;

/// Stores `input` as the object in `slot`; the value it replaces is released without deep
/// recursion.
fn put_object(slot: &mut Option<JsonMap>, input: impl IntoJson, field: &str) {
    if let Some(old) = std::mem::replace(slot, json_input::to_object(input, field)) {
        json_input::discard(old);
    }
}

/// As [`put_object`], for a field that is an object always (`null` gives `{}`).
fn put_data(slot: &mut JsonMap, input: impl IntoJson, field: &str) {
    let old = std::mem::replace(slot, json_input::to_object(input, field).unwrap_or_default());
    json_input::discard(old);
}

/// Stores `input` as the JSON value in `slot` (`null` clears it).
fn put_value(slot: &mut Option<Value>, input: impl IntoJson, field: &str) {
    if let Some(old) = std::mem::replace(slot, json_input::to_value(input, field)) {
        json_input::discard(old);
    }
}

/// Stores `values` as the list of JSON values in `slot`.
fn put_values<I: IntoIterator>(slot: &mut Option<Vec<Value>>, values: I)
where
    I::Item: Into<Value>,
{
    let new = values.into_iter().map(Into::into).collect();
    if let Some(old) = slot.replace(new) {
        old.into_iter().for_each(json_input::discard);
    }
}

macro_rules! setters {
    ($ty:ident { $($how:ident $field:ident / $set:ident: $arg:ty),* $(,)? }) => {
        impl SpanBuilder<$ty> {
            $(setters!(@builder $ty, $how, $field, $arg);)*
        }
        impl SpanGuard<$ty> {
            $(setters!(@guard $ty, $how, $field, $set, $arg);)*
        }
    };

    (@builder $ty:ident, opt, $field:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field), ").")]
        pub fn $field(mut self, value: impl Into<$arg>) -> Self {
            self.data.$field = Some(value.into());
            self
        }
    };
    (@guard $ty:ident, opt, $field:ident, $set:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "); does nothing on a no-op span or once the span has ended.")]
        pub fn $set(&mut self, value: impl Into<$arg>) -> &mut Self {
            self.set_with(value, |d, v| d.$field = Some(v.into()))
        }
    };

    (@builder $ty:ident, plain, $field:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field), ").")]
        pub fn $field(mut self, value: impl Into<$arg>) -> Self {
            self.data.$field = value.into();
            self
        }
    };
    (@guard $ty:ident, plain, $field:ident, $set:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "); does nothing on a no-op span or once the span has ended.")]
        pub fn $set(&mut self, value: impl Into<$arg>) -> &mut Self {
            self.set_with(value, |d, v| d.$field = v.into())
        }
    };

    (@builder $ty:ident, list, $field:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field), ").")]
        pub fn $field<I: IntoIterator>(mut self, values: I) -> Self
        where
            I::Item: Into<$arg>,
        {
            self.data.$field = Some(values.into_iter().map(Into::into).collect());
            self
        }
    };
    (@guard $ty:ident, list, $field:ident, $set:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "); does nothing on a no-op span or once the span has ended.")]
        pub fn $set<I: IntoIterator>(&mut self, values: I) -> &mut Self
        where
            I::Item: Into<$arg>,
        {
            self.set_with(values, |d, v| d.$field = Some(v.into_iter().map(Into::into).collect()))
        }
    };

    (@builder $ty:ident, values, $field:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "): JSON values, such as `json!(..)` messages.")]
        pub fn $field<I: IntoIterator>(mut self, values: I) -> Self
        where
            I::Item: Into<$arg>,
        {
            put_values(&mut self.data.$field, values);
            self
        }
    };
    (@guard $ty:ident, values, $field:ident, $set:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "): JSON values, such as `json!(..)` messages; does nothing on a no-op span or once the span has ended.")]
        pub fn $set<I: IntoIterator>(&mut self, values: I) -> &mut Self
        where
            I::Item: Into<$arg>,
        {
            match self.data_mut() {
                Some(d) => put_values(&mut d.$field, values),
                None => values.into_iter().for_each(|v| json_input::discard(v.into())),
            }
            self
        }
    };

    (@builder $ty:ident, object, $field:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "): a `serde_json::Value` or [`JsonMap`], or a reference to any `Serialize` value. `null` clears it; \
            a value that is not an object is stored as `{\"value\": ..}` (see [`json_input`](crate::json_input)).")]
        pub fn $field(mut self, value: impl IntoJson) -> Self {
            put_object(&mut self.data.$field, value, stringify!($field));
            self
        }
    };
    (@guard $ty:ident, object, $field:ident, $set:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "): a `serde_json::Value` or [`JsonMap`], or a reference to any `Serialize` value. `null` clears it; \
            a value that is not an object is stored as `{\"value\": ..}` (see [`json_input`](crate::json_input)). \
            Does nothing on a no-op span or once the span has ended.")]
        pub fn $set(&mut self, value: impl IntoJson) -> &mut Self {
            self.set_json_with(value, |d, v| put_object(&mut d.$field, v, stringify!($field)))
        }
    };

    (@builder $ty:ident, data, $field:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "): a `serde_json::Value` or [`JsonMap`], or a reference to any `Serialize` value. `null` gives `{}`; \
            a value that is not an object is stored as `{\"value\": ..}` (see [`json_input`](crate::json_input)).")]
        pub fn $field(mut self, value: impl IntoJson) -> Self {
            put_data(&mut self.data.$field, value, stringify!($field));
            self
        }
    };
    (@guard $ty:ident, data, $field:ident, $set:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "): a `serde_json::Value` or [`JsonMap`], or a reference to any `Serialize` value. `null` gives `{}`; \
            a value that is not an object is stored as `{\"value\": ..}` (see [`json_input`](crate::json_input)). \
            Does nothing on a no-op span or once the span has ended.")]
        pub fn $set(&mut self, value: impl IntoJson) -> &mut Self {
            self.set_json_with(value, |d, v| put_data(&mut d.$field, v, stringify!($field)))
        }
    };

    (@builder $ty:ident, json, $field:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "): a `serde_json::Value`, or a reference to any `Serialize` value; `null` clears it.")]
        pub fn $field(mut self, value: impl IntoJson) -> Self {
            put_value(&mut self.data.$field, value, stringify!($field));
            self
        }
    };
    (@guard $ty:ident, json, $field:ident, $set:ident, $arg:ty) => {
        #[doc = concat!("Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field),
            "): a `serde_json::Value`, or a reference to any `Serialize` value; `null` clears it. \
            Does nothing on a no-op span or once the span has ended.")]
        pub fn $set(&mut self, value: impl IntoJson) -> &mut Self {
            self.set_json_with(value, |d, v| put_value(&mut d.$field, v, stringify!($field)))
        }
    };
}

setters!(AgentSpanData {
    list handoffs / set_handoffs: String,
    list tools / set_tools: String,
    opt output_type / set_output_type: String,
    object metadata / set_metadata: JsonMap,
});
setters!(TaskSpanData { object usage / set_usage: JsonMap, object metadata / set_metadata: JsonMap });
setters!(TurnSpanData { object usage / set_usage: JsonMap, object metadata / set_metadata: JsonMap });
setters!(FunctionSpanData {
    opt input / set_input: String,
    opt output / set_output: String,
    object mcp_data / set_mcp_data: JsonMap,
});
setters!(GenerationSpanData {
    values input / set_input: Value,
    values output / set_output: Value,
    opt model / set_model: String,
    object model_config / set_model_config: JsonMap,
    object usage / set_usage: JsonMap,
});
setters!(ResponseSpanData {
    opt response_id / set_response_id: String,
    object usage / set_usage: JsonMap,
    json response / set_response: Value,
    json input / set_input: Value,
});
setters!(HandoffSpanData { opt from_agent / set_from_agent: String, opt to_agent / set_to_agent: String });
setters!(CustomSpanData { data data / set_data: JsonMap });
setters!(GuardrailSpanData { plain triggered / set_triggered: bool });
setters!(TranscriptionSpanData {
    opt input / set_input: String,
    opt input_format / set_input_format: String,
    opt output / set_output: String,
    opt model / set_model: String,
    object model_config / set_model_config: JsonMap,
});
setters!(SpeechSpanData {
    opt input / set_input: String,
    opt output / set_output: String,
    opt output_format / set_output_format: String,
    opt model / set_model: String,
    object model_config / set_model_config: JsonMap,
    opt first_content_at / set_first_content_at: String,
});
setters!(SpeechGroupSpanData { opt input / set_input: String });
setters!(McpListToolsSpanData { opt server / set_server: String, list result / set_result: String });
