//! The OTLP/protobuf request body, written straight from our spans with prost's wire
//! primitives (`prost::encoding`): no intermediate message tree, no copy of a string.
//!
//! Made from the same records ([`records`]) as the OTLP/JSON body of `json.rs`, with the
//! same cuts to the attribute value length limit. The message layout is the
//! `ExportTraceServiceRequest` of the OTLP `.proto` files (opentelemetry-proto 1.x); the
//! field numbers are in [`field`]. Like prost, the writer leaves out fields that hold their
//! default value and writes fields in the order prost does, so the bytes are those prost
//! writes for the same message: the tests decode the body with `opentelemetry-proto`'s
//! generated types, encode it again with prost and compare.
//!
//! Each length-delimited message is written as prost writes it: its length first
//! (computed by the `*_len` functions), then its fields.

use prost::encoding::{encode_key, encode_varint, encoded_len_varint, key_len, WireType};
use prost::Message;

use crate::json::{truncate, TracesRequest, SCOPE_NAME, STATUS_ERROR};
use crate::mapping::{Attr, AttrValue};
use crate::records::{records, Record};

/// Field numbers, from `opentelemetry/proto/**/*.proto`.
mod field {
    /// `ExportTraceServiceRequest.resource_spans`.
    pub(super) const RESOURCE_SPANS: u32 = 1;
    /// `ResourceSpans.resource`.
    pub(super) const RESOURCE: u32 = 1;
    /// `ResourceSpans.scope_spans`.
    pub(super) const SCOPE_SPANS: u32 = 2;
    /// `Resource.attributes`.
    pub(super) const RESOURCE_ATTRIBUTES: u32 = 1;
    /// `ScopeSpans.scope`.
    pub(super) const SCOPE: u32 = 1;
    /// `ScopeSpans.spans`.
    pub(super) const SPANS: u32 = 2;
    /// `ScopeSpans.schema_url`.
    pub(super) const SCHEMA_URL: u32 = 3;
    /// `InstrumentationScope.name`.
    pub(super) const SCOPE_NAME: u32 = 1;
    /// `InstrumentationScope.version`.
    pub(super) const SCOPE_VERSION: u32 = 2;
    /// `Span.trace_id`.
    pub(super) const TRACE_ID: u32 = 1;
    /// `Span.span_id`.
    pub(super) const SPAN_ID: u32 = 2;
    /// `Span.trace_state`.
    pub(super) const TRACE_STATE: u32 = 3;
    /// `Span.parent_span_id`.
    pub(super) const PARENT_SPAN_ID: u32 = 4;
    /// `Span.flags` (fixed32).
    pub(super) const FLAGS: u32 = 16;
    /// `Span.name`.
    pub(super) const NAME: u32 = 5;
    /// `Span.kind` (enum).
    pub(super) const KIND: u32 = 6;
    /// `Span.start_time_unix_nano` (fixed64).
    pub(super) const START: u32 = 7;
    /// `Span.end_time_unix_nano` (fixed64).
    pub(super) const END: u32 = 8;
    /// `Span.attributes`.
    pub(super) const ATTRIBUTES: u32 = 9;
    /// `Span.status`.
    pub(super) const STATUS: u32 = 15;
    /// `Status.message`.
    pub(super) const STATUS_MESSAGE: u32 = 2;
    /// `Status.code` (enum).
    pub(super) const STATUS_CODE: u32 = 3;
    /// `KeyValue.key`.
    pub(super) const KEY: u32 = 1;
    /// `KeyValue.value`.
    pub(super) const VALUE: u32 = 2;
    /// `AnyValue.string_value`.
    pub(super) const STRING_VALUE: u32 = 1;
    /// `AnyValue.bool_value`.
    pub(super) const BOOL_VALUE: u32 = 2;
    /// `AnyValue.int_value`.
    pub(super) const INT_VALUE: u32 = 3;
    /// `AnyValue.double_value`.
    pub(super) const DOUBLE_VALUE: u32 = 4;
    /// `AnyValue.array_value`.
    pub(super) const ARRAY_VALUE: u32 = 5;
    /// `ArrayValue.values`.
    pub(super) const ARRAY_VALUES: u32 = 1;
    /// `ExportTraceServiceResponse.partial_success`.
    pub(super) const PARTIAL_SUCCESS: u32 = 1;
    /// `ExportTracePartialSuccess.rejected_spans`.
    pub(super) const REJECTED_SPANS: u32 = 1;
    /// `ExportTracePartialSuccess.error_message`.
    pub(super) const ERROR_MESSAGE: u32 = 2;
}

/// Appends the protobuf encoding of `request` to `out`.
///
/// The spans are mapped and written one at a time, straight into `out`; the messages that
/// hold them, whose lengths come first, are put in front of them once the spans' length
/// is known.
pub(crate) fn write_protobuf(request: &TracesRequest<'_>, out: &mut Vec<u8>) {
    let limit = request.limit;
    let at = out.len();
    for r in records(request.items, request.mapping) {
        let len = span_len(&r, limit);
        header(field::SPANS, len, out);
        write_span(&r, limit, out);
    }
    let spans_len = out.len() - at;

    let resource_len: usize =
        request.resource.iter().map(|(k, v)| nested_len(field::RESOURCE_ATTRIBUTES, resource_kv_len(k, v))).sum();
    let version = env!("CARGO_PKG_VERSION");
    let scope_len = string_len(field::SCOPE_NAME, SCOPE_NAME) + string_len(field::SCOPE_VERSION, version);
    let schema_url = request.mapping.profile.schema_url().unwrap_or_default();
    let scope_spans_len = nested_len(field::SCOPE, scope_len) + spans_len + string_len(field::SCHEMA_URL, schema_url);
    let resource_spans_len =
        nested_len(field::RESOURCE, resource_len) + nested_len(field::SCOPE_SPANS, scope_spans_len);

    let mut front = Vec::with_capacity(64 + resource_len);
    header(field::RESOURCE_SPANS, resource_spans_len, &mut front);
    header(field::RESOURCE, resource_len, &mut front);
    for (k, v) in request.resource {
        header(field::RESOURCE_ATTRIBUTES, resource_kv_len(k, v), &mut front);
        string(field::KEY, k, &mut front);
        header(field::VALUE, nested_len(field::STRING_VALUE, v.len()), &mut front);
        write_string_value(v, None, &mut front);
    }
    header(field::SCOPE_SPANS, scope_spans_len, &mut front);
    header(field::SCOPE, scope_len, &mut front);
    string(field::SCOPE_NAME, SCOPE_NAME, &mut front);
    string(field::SCOPE_VERSION, version, &mut front);
    out.splice(at..at, front);
    string(field::SCHEMA_URL, schema_url, out);
}

/// The `partialSuccess` of a protobuf `ExportTraceServiceResponse`: the rejected span count
/// and the message, or `None` when the body is no such message or has none.
pub(crate) fn partial_success(body: &[u8]) -> Option<(usize, String)> {
    let partial = ExportTraceServiceResponse::decode(body).ok()?.partial_success?;
    // A negative count (a broken collector) is no rejection, as in the JSON reading.
    Some((usize::try_from(partial.rejected_spans.max(0)).unwrap_or(usize::MAX), partial.error_message))
}

/// The `message` of a protobuf `google.rpc.Status`, the body of an OTLP/HTTP error answer
/// in protobuf; `None` when the body is no such message or its message is empty.
pub(crate) fn status_message(body: &[u8]) -> Option<String> {
    Some(RpcStatus::decode(body).ok()?.message).filter(|m| !m.is_empty())
}

/// `google.rpc.Status`, as far as it is read (its `details` are skipped).
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// The collector's answer, as far as it is read: `ExportTraceServiceResponse`.
#[derive(Clone, PartialEq, prost::Message)]
struct ExportTraceServiceResponse {
    #[prost(message, optional, tag = "1")]
    partial_success: Option<ExportTracePartialSuccess>,
}

/// `ExportTracePartialSuccess`.
#[derive(Clone, PartialEq, prost::Message)]
struct ExportTracePartialSuccess {
    #[prost(int64, tag = "1")]
    rejected_spans: i64,
    #[prost(string, tag = "2")]
    error_message: String,
}

// The derive takes the tags as literals; these say which constants they are.
const _: () = assert!(field::PARTIAL_SUCCESS == 1 && field::REJECTED_SPANS == 1 && field::ERROR_MESSAGE == 2);

/// The length of a length-delimited field whose content is `len` bytes long.
fn nested_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

/// The length of a string field, nothing when empty (a proto3 default).
fn string_len(tag: u32, s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        nested_len(tag, s.len())
    }
}

/// Writes the key and length of a length-delimited field.
fn header(tag: u32, len: usize, out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(len as u64, out);
}

/// Writes a string or bytes field, nothing when empty (a proto3 default).
fn bytes(tag: u32, b: &[u8], out: &mut Vec<u8>) {
    if !b.is_empty() {
        header(tag, b.len(), out);
        out.extend_from_slice(b);
    }
}

fn string(tag: u32, s: &str, out: &mut Vec<u8>) {
    bytes(tag, s.as_bytes(), out);
}

/// The content length of a resource attribute, a `KeyValue` with a string value.
fn resource_kv_len(key: &str, value: &str) -> usize {
    string_len(field::KEY, key) + nested_len(field::VALUE, nested_len(field::STRING_VALUE, value.len()))
}

fn status_len(message: &str) -> usize {
    string_len(field::STATUS_MESSAGE, message) + key_len(field::STATUS_CODE) + encoded_len_varint(STATUS_ERROR as u64)
}

/// The content length of a span.
fn span_len(r: &Record<'_>, limit: Option<usize>) -> usize {
    let (start, end) = r.times.unwrap_or((0, 0));
    nested_len(field::TRACE_ID, 16)
        + nested_len(field::SPAN_ID, 8)
        + r.trace_state.map_or(0, |s| string_len(field::TRACE_STATE, s))
        + r.parent.map_or(0, |_| nested_len(field::PARENT_SPAN_ID, 8))
        + if r.flags == 0 { 0 } else { key_len(field::FLAGS) + 4 }
        + string_len(field::NAME, &r.mapped.name)
        + if r.mapped.kind == 0 { 0 } else { key_len(field::KIND) + encoded_len_varint(r.mapped.kind as u64) }
        + if start == 0 { 0 } else { key_len(field::START) + 8 }
        + if end == 0 { 0 } else { key_len(field::END) + 8 }
        + r.mapped.attributes.iter().map(|a| nested_len(field::ATTRIBUTES, kv_len(a, limit))).sum::<usize>()
        + r.error.map_or(0, |message| nested_len(field::STATUS, status_len(message)))
}

/// Writes a span's fields, in prost's order (tag order).
fn write_span(r: &Record<'_>, limit: Option<usize>, out: &mut Vec<u8>) {
    let (start, end) = r.times.unwrap_or((0, 0));
    bytes(field::TRACE_ID, &r.trace_id.to_be_bytes(), out);
    bytes(field::SPAN_ID, &r.span_id.to_be_bytes(), out);
    if let Some(trace_state) = r.trace_state {
        string(field::TRACE_STATE, trace_state, out);
    }
    if let Some(parent) = r.parent {
        bytes(field::PARENT_SPAN_ID, &parent.to_be_bytes(), out);
    }
    string(field::NAME, &r.mapped.name, out);
    if r.mapped.kind != 0 {
        encode_key(field::KIND, WireType::Varint, out);
        encode_varint(r.mapped.kind as u64, out);
    }
    for (tag, time) in [(field::START, start), (field::END, end)] {
        if time != 0 {
            encode_key(tag, WireType::SixtyFourBit, out);
            out.extend_from_slice(&time.to_le_bytes());
        }
    }
    for attr in &r.mapped.attributes {
        header(field::ATTRIBUTES, kv_len(attr, limit), out);
        write_kv(attr, limit, out);
    }
    if let Some(message) = r.error {
        header(field::STATUS, status_len(message), out);
        string(field::STATUS_MESSAGE, message, out);
        encode_key(field::STATUS_CODE, WireType::Varint, out);
        encode_varint(STATUS_ERROR as u64, out);
    }
    if r.flags != 0 {
        encode_key(field::FLAGS, WireType::ThirtyTwoBit, out);
        out.extend_from_slice(&r.flags.to_le_bytes());
    }
}

/// The content length of a `KeyValue`.
fn kv_len(attr: &Attr<'_>, limit: Option<usize>) -> usize {
    string_len(field::KEY, &attr.key) + nested_len(field::VALUE, any_value_len(&attr.value, limit))
}

fn write_kv(attr: &Attr<'_>, limit: Option<usize>, out: &mut Vec<u8>) {
    string(field::KEY, &attr.key, out);
    header(field::VALUE, any_value_len(&attr.value, limit), out);
    write_any_value(&attr.value, limit, out);
}

/// The content length of an `AnyValue` (a oneof: its member is written even when it holds
/// the default value).
fn any_value_len(value: &AttrValue<'_>, limit: Option<usize>) -> usize {
    match value {
        AttrValue::Str(s) => nested_len(field::STRING_VALUE, truncate(s, limit).len()),
        AttrValue::Bool(_) => key_len(field::BOOL_VALUE) + 1,
        AttrValue::Int(i) => key_len(field::INT_VALUE) + encoded_len_varint(*i as u64),
        AttrValue::Double(_) => key_len(field::DOUBLE_VALUE) + 8,
        AttrValue::StrArray(_) | AttrValue::Array(_) => nested_len(field::ARRAY_VALUE, array_len(value, limit)),
    }
}

/// The content length of the `ArrayValue` of an array attribute (0 for a scalar).
fn array_len(value: &AttrValue<'_>, limit: Option<usize>) -> usize {
    match value {
        AttrValue::StrArray(items) => items
            .iter()
            .map(|s| nested_len(field::ARRAY_VALUES, nested_len(field::STRING_VALUE, truncate(s, limit).len())))
            .sum(),
        AttrValue::Array(items) => items.iter().map(|v| nested_len(field::ARRAY_VALUES, any_value_len(v, limit))).sum(),
        _ => 0,
    }
}

fn write_string_value(s: &str, limit: Option<usize>, out: &mut Vec<u8>) {
    let s = truncate(s, limit);
    header(field::STRING_VALUE, s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

fn write_any_value(value: &AttrValue<'_>, limit: Option<usize>, out: &mut Vec<u8>) {
    match value {
        AttrValue::Str(s) => write_string_value(s, limit, out),
        AttrValue::Bool(b) => {
            encode_key(field::BOOL_VALUE, WireType::Varint, out);
            encode_varint(u64::from(*b), out);
        }
        AttrValue::Int(i) => {
            encode_key(field::INT_VALUE, WireType::Varint, out);
            // int64 is written as its two's-complement bits.
            encode_varint(*i as u64, out);
        }
        AttrValue::Double(f) => {
            encode_key(field::DOUBLE_VALUE, WireType::SixtyFourBit, out);
            out.extend_from_slice(&f.to_le_bytes());
        }
        AttrValue::StrArray(items) => {
            header(field::ARRAY_VALUE, array_len(value, limit), out);
            for s in *items {
                header(field::ARRAY_VALUES, nested_len(field::STRING_VALUE, truncate(s, limit).len()), out);
                write_string_value(s, limit, out);
            }
        }
        AttrValue::Array(items) => {
            header(field::ARRAY_VALUE, array_len(value, limit), out);
            for v in items {
                header(field::ARRAY_VALUES, any_value_len(v, limit), out);
                write_any_value(v, limit, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_status_in_protobuf_gives_its_message() {
        let status = RpcStatus { code: 3, message: "span 7: invalid trace id".into() };
        assert_eq!(status_message(&status.encode_to_vec()).as_deref(), Some("span 7: invalid trace id"));
        assert_eq!(status_message(&RpcStatus { code: 3, message: String::new() }.encode_to_vec()), None);
        assert_eq!(status_message(b"\xff\xff not protobuf"), None);
    }
}
