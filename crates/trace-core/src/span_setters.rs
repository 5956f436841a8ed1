//! The typed setters of each span type: on its [`SpanBuilder`] (`.output(..)`, builder
//! style) and on its [`SpanGuard`] (`.set_output(..)`, until the span ends; nothing on a
//! no-op span).
//!
//! JSON fields take any [`IntoJson`] and follow the rule of [`json_input`](crate::json_input)
//! for values that are not the object a field expects.

use serde_json::Value;

use crate::json_input::{self, IntoJson};
use crate::limits::release_json;
use crate::span_builder::SpanBuilder;
use crate::span_data::*;
use crate::span_guard::SpanGuard;

/// Stores `input` as the object in `slot`; the value it replaces is released without deep
/// recursion.
fn put_object(slot: &mut Option<Box<JsonMap>>, input: impl IntoJson, field: &str) {
    if let Some(old) = std::mem::replace(slot, json_input::to_object(input, field).map(Box::new)) {
        json_input::discard(*old);
    }
}

/// As [`put_object`], for a custom span's data, an object always (`null` gives `{}`).
fn put_data(slot: &mut DataMap, input: impl IntoJson, field: &str) {
    let new = json_input::to_object(input, field).map(DataMap::from).unwrap_or_default();
    let mut old = std::mem::replace(slot, new);
    release_json(JsonMut::Data(&mut old));
}

/// Sets `key` in a custom span's data; the value it replaces is released without deep
/// recursion.
fn put_field(slot: &mut DataMap, key: Name, value: Value) {
    if let Some(old) = slot.insert(key, value) {
        json_input::discard(old);
    }
}

/// Stores `input` as the JSON value in `slot` (`null` clears it).
fn put_value(slot: &mut Option<Box<Value>>, input: impl IntoJson, field: &str) {
    if let Some(old) = std::mem::replace(slot, json_input::to_value(input, field).map(Box::new)) {
        json_input::discard(*old);
    }
}

/// Stores `values` as the list of JSON values in `slot`.
fn put_values<I: IntoIterator>(slot: &mut Option<Vec<Value>>, values: I, _field: &str)
where
    I::Item: Into<Value>,
{
    let new = values.into_iter().map(Into::into).collect();
    if let Some(old) = slot.replace(new) {
        old.into_iter().for_each(json_input::discard);
    }
}

/// Stores `value` in the optional field `slot`.
fn put_opt<T>(slot: &mut Option<T>, value: impl Into<T>, _field: &str) {
    *slot = Some(value.into());
}

/// Stores `value` in the field `slot`.
fn put_plain<T>(slot: &mut T, value: impl Into<T>, _field: &str) {
    *slot = value.into();
}

/// Stores `values` as the list in `slot`.
fn put_list<T, I: IntoIterator>(slot: &mut Option<Vec<T>>, values: I, _field: &str)
where
    I::Item: Into<T>,
{
    *slot = Some(values.into_iter().map(Into::into).collect());
}

/// Drops the values a no-op span's list setter was given, releasing each without deep
/// recursion.
fn discard_values<I: IntoIterator>(values: I)
where
    I::Item: Into<Value>,
{
    values.into_iter().for_each(|v| json_input::discard(v.into()));
}

/// The doc note of a JSON field's setter (after "Sets [`field`](..)").
macro_rules! json_note {
    ($null:literal) => {
        concat!(
            ": a `serde_json::Value` or [`JsonMap`], or a reference to any `Serialize` value. `null` ",
            $null,
            "; a value that is not an object is stored as `{\"value\": ..}` (see [`json_input`](crate::json_input))"
        )
    };
}

/// The setters of span data types: `setters!(Type { how field / set_field: Arg, .. })`
/// gives `SpanBuilder<Type>::field` and `SpanGuard<Type>::set_field`.
///
/// `how` says what the setters take and how they store it; the table under `@how` maps
/// each to the signature it takes (`into`, `iter` or `json`), the note its docs add, how a
/// value is stored in the field and how a no-op span drops it.
macro_rules! setters {
    ($ty:ident { $($how:ident $field:ident / $set:ident: $arg:ty),* $(,)? }) => {
        impl SpanBuilder<$ty> {
            $(setters!(@how $how, builder, $ty, $field, $set, $arg);)*
        }
        impl SpanGuard<$ty> {
            $(setters!(@how $how, guard, $ty, $field, $set, $arg);)*
        }
    };

    // how: signature, doc note, store(slot, value, field name), discard(value).
    (@how opt, $side:ident, $($f:tt)*) => {
        setters!(@$side into, "", put_opt, drop, $($f)*);
    };
    (@how plain, $side:ident, $($f:tt)*) => {
        setters!(@$side into, "", put_plain, drop, $($f)*);
    };
    (@how list, $side:ident, $($f:tt)*) => {
        setters!(@$side iter, "", put_list, drop, $($f)*);
    };
    (@how values, $side:ident, $($f:tt)*) => {
        setters!(@$side iter, ": JSON values, such as `json!(..)` messages", put_values, discard_values, $($f)*);
    };
    (@how object, $side:ident, $($f:tt)*) => {
        setters!(@$side json, json_note!("clears it"), put_object, json_input::discard, $($f)*);
    };
    (@how data, $side:ident, $($f:tt)*) => {
        setters!(@$side json, json_note!("gives `{}`"), put_data, json_input::discard, $($f)*);
    };
    (@how json, $side:ident, $($f:tt)*) => {
        setters!(@$side json, ": a `serde_json::Value`, or a reference to any `Serialize` value; `null` clears it",
            put_value, json_input::discard, $($f)*);
    };

    // The builder's setter and the guard's, for each signature.
    (@builder $sig:ident, $note:expr, $store:path, $discard:path, $ty:ident, $field:ident, $set:ident, $arg:ty) => {
        setters!(@fn $sig, $arg, #[doc = concat!(
            "Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field), ")", $note, "."
        )] $field(mut self, value) -> Self {
            $store(&mut self.data.$field, value, stringify!($field));
            self
        });
    };
    (@guard $sig:ident, $note:expr, $store:path, $discard:path, $ty:ident, $field:ident, $set:ident, $arg:ty) => {
        setters!(@fn $sig, $arg, #[doc = concat!(
            "Sets [`", stringify!($field), "`](", stringify!($ty), "::", stringify!($field), ")", $note,
            ". Does nothing on a no-op span or once the span has ended."
        )] $set(&mut self, value) -> &mut Self {
            self.set_or_discard(value, |d, v| $store(&mut d.$field, v, stringify!($field)), $discard)
        });
    };

    (@fn into, $arg:ty, #[$doc:meta] $name:ident($($self:tt)*) -> $ret:ty $body:block) => {
        #[$doc]
        pub fn $name($($self)*: impl Into<$arg>) -> $ret $body
    };
    (@fn iter, $arg:ty, #[$doc:meta] $name:ident($($self:tt)*) -> $ret:ty $body:block) => {
        #[$doc]
        pub fn $name<I: IntoIterator>($($self)*: I) -> $ret
        where
            I::Item: Into<$arg>,
        $body
    };
    (@fn json, $arg:ty, #[$doc:meta] $name:ident($($self:tt)*) -> $ret:ty $body:block) => {
        #[$doc]
        pub fn $name($($self)*: impl IntoJson) -> $ret $body
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

impl SpanBuilder<CustomSpanData> {
    /// Sets one entry of [`data`](CustomSpanData::data), after those set before:
    /// `custom_span("step").field("tries", 2).field("tool", "search")`. A key set again keeps
    /// its place and takes the new value. One entry under a `&'static str` key with a
    /// number, bool or `null` value costs no allocation, up to 16 entries one more (see
    /// [`DataMap`]); a [`JsonMap`] given to [`data`](Self::data) costs three.
    pub fn field(mut self, key: impl Into<Name>, value: impl Into<Value>) -> Self {
        put_field(&mut self.data.data, key.into(), value.into());
        self
    }
}

impl SpanGuard<CustomSpanData> {
    /// Sets one entry of [`data`](CustomSpanData::data) while the span runs, as
    /// [`SpanBuilder::field`] does (compare `tracing::Span::record`). Does nothing on a
    /// no-op span or once the span has ended.
    pub fn record(&mut self, key: impl Into<Name>, value: impl Into<Value>) -> &mut Self {
        let key = key.into();
        self.set_or_discard(value.into(), |d, v| put_field(&mut d.data, key, v), json_input::discard)
    }
}
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
