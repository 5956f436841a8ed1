//! Limits on user-supplied JSON, so that no span can crash, stall or poison the pipeline.
//!
//! Span data carries arbitrary [`serde_json::Value`]s (custom data, metadata, generation
//! input and output, usage, model settings, error data). Two properties of such values
//! matter for a library that runs inside other people's services:
//!
//! - **Nesting depth.** Serializing, cloning, comparing and dropping a `Value` recurse once
//!   per level, with no limit. A value nested 10,000 levels deep overflows the 2 MiB stack
//!   of a spawned thread (the batch processor's worker is one) when serialized in a debug
//!   build (measured: 2,000 levels already abort; 50,000 in a release build; dropping aborts
//!   from 20,000 levels). A stack overflow is an abort, not a panic: nothing can catch it.
//! - **Floats that JSON cannot carry.** `NaN` and the infinities have no JSON form.
//!
//! What this module does about them:
//!
//! - [`Span`](crate::Span), [`Trace`](crate::Trace) and [`SpanError`](crate::SpanError) serialize through [`DepthLimited`]: a container
//!   (array or object) that would open at depth [`MAX_JSON_DEPTH`] or deeper, counted from
//!   the span or trace object itself, is written as the string [`DEPTH_LIMIT_MARKER`]
//!   instead, and its contents are never visited. Each cut is counted ([`depth_cuts`]) and
//!   logged (at most once per 10 s). A body of `{"data":[...]}` is then at most
//!   `MAX_JSON_DEPTH + 2` levels deep, which parsers with a depth limit of 128 (serde_json's
//!   default) accept. A record cuts at the same place wherever it is written (alone, in
//!   a `{"data":[...]}` body, inside another `DepthLimited`). Every exporter of this
//!   workspace turns records and user values (metadata, custom data, error data, usage,
//!   model settings) into JSON through the `wire` module, whose functions apply
//!   `DepthLimited`; the workspace's `clippy.toml` bans calling serde_json's serializers
//!   anywhere else. A custom exporter should use `wire` too.
//! - Dropping a span or a trace releases its JSON with a recursion bounded to a fixed
//!   depth, continuing iteratively below it, so that dropping a deep value cannot overflow
//!   the stack of whichever thread drops the last reference ([`release`]). Which fields
//!   of span data hold JSON is listed once, in
//!   [`SpanData::json_fields`](crate::SpanData::json_fields), for the depth check, the
//!   release and exporters.
//! - `Debug` of span data, span errors, traces and trace builders prints user JSON as
//!   depth-limited JSON text (the derived `Debug` of a `Value` recurses once per level).
//!   `Clone` and `PartialEq` of these types still recurse: the pipeline never clones or
//!   compares span data (processors share one `Arc<Span>`; a redactor that must rewrite a
//!   span another processor also holds copies it level after level, on the heap), but a user's or test
//!   processor that clones a span with deeply nested data ([`InMemoryProcessor`](crate::InMemoryProcessor)
//!   does, at span start) does so on its own stack.
//! - Non-finite floats are written as `null` by [`DepthLimited`], whatever the serializer
//!   (serde_json does the same). A `Value` cannot even hold one: `Value::from(f64::NAN)`
//!   is `Value::Null` and `serde_json::Number::from_f64(f64::NAN)` is `None`, so `NaN`
//!   in user data becomes `null` when the user builds the value, before tracing sees it.
//!
//! What is **not** changed, by design (as the Python SDK does):
//!
//! | input | outcome |
//! |---|---|
//! | strings of any size (10 MB, say) | sent as is; OpenAI's endpoint gets `input`/`output` cut to 100,000 bytes by `trace-export-openai`'s sanitizer, and that exporter can reject single oversized items (`max_item_bytes`) without losing the rest of the batch |
//! | empty names, empty workflow names | sent as is (`""`) |
//! | user-supplied ids in any format | sent as is, never validated; an empty id is replaced by a generated one and `"no-op"` makes a no-op, as in Python (whose trace of id `"no-op"` is still sent, its spans not) |
//! | metadata values of any JSON type (numbers, `null`, nested objects, large integers) | sent as is |
//! | any Unicode: emoji, right-to-left text, combining marks, NUL and control characters | sent as is, JSON-escaped where JSON requires it |
//! | lone UTF-16 surrogates | cannot occur: Rust strings are valid UTF-8 by construction, so there is nothing to sanitize (bytes from elsewhere must go through `String::from_utf8_lossy` or similar first) |

//!
//! The module's parts: [`DepthLimited`] (the serializer that cuts, in `depth_limited.rs`),
//! the depth checks ([`json_depth_exceeds`], [`span_data_depth_exceeds`], in `check.rs`)
//! and the release ([`release`], in `release.rs`).

mod check;
pub(crate) mod clone;
pub(crate) mod depth_limited;
mod release;
pub(crate) mod serializer_proxy;

pub use check::{json_depth_exceeds, span_data_depth_exceeds};
pub use depth_limited::{depth_cuts, DepthLimited, DEPTH_LIMIT_MARKER, MAX_JSON_DEPTH};
pub(crate) use depth_limited::{serialize_as_record, Record, SerializeUnlimited, Unlimited};
pub use release::release;
pub(crate) use release::{release_json, release_span_data};

/// `levels` arrays around `null`, for tests of deep values across the crate.
#[cfg(test)]
pub(crate) fn nested_arrays(levels: usize) -> serde_json::Value {
    let mut v = serde_json::Value::Null;
    for _ in 0..levels {
        v = serde_json::Value::Array(vec![v]);
    }
    v
}

/// Deeply nested JSON for the tests of this module's parts: `levels` containers,
/// alternately arrays and objects, around a string.
#[cfg(test)]
fn nested(levels: usize) -> serde_json::Value {
    use serde_json::Value;
    let mut v = Value::from("leaf");
    for i in 0..levels {
        v = if i % 2 == 0 {
            Value::Array(vec![v])
        } else {
            Value::Object(crate::JsonMap::from_iter([("k".to_owned(), v)]))
        };
    }
    v
}
