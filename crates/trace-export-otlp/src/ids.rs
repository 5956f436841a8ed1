//! Our trace and span ids as OTLP ids: 16 bytes and 8 bytes, written as 32 and 16
//! lowercase hex digits in OTLP/JSON.
//!
//! The mapping is trace-core's ([`trace_core::w3c`], "Ids"), the one the W3C
//! `traceparent` headers use too, so the `parent-id` a process sends for a span is the
//! OTLP span id this exporter gives that span. It is stable (a pure function of the id),
//! so that a span and the parent links that name it always agree, across batches and
//! across processes:
//!
//! - A generated trace id (`trace_` + 32 hex digits) is its 128-bit value: the OTLP trace
//!   id is the same 32 digits.
//! - A generated span id (`span_` + 24 hex digits, 96 bits) keeps its low 64 bits: the OTLP
//!   span id is the last 16 of its digits.
//! - A user-supplied id in any other form goes through 128-bit or 64-bit FNV-1a of its
//!   UTF-8 text, a hash simple enough to recompute in any language.
//!
//! OTLP forbids all-zero ids; the rare id that would map to zero (the numeric value 0, or
//! a span id whose low 64 bits are 0) is hashed as text instead.

use trace_core::{w3c, SpanId, TraceId};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The low `N` hex digits of `value`, most significant first, without allocating.
fn hex<const N: usize>(value: u128) -> [u8; N] {
    let mut out = [b'0'; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = HEX[((value >> (4 * (N - 1 - i))) & 0xf) as usize];
    }
    out
}

/// The OTLP trace id that `id` maps to, as OTLP/JSON writes it: 32 lowercase hex digits.
///
/// For a generated id these are its own 32 digits; a user-supplied id is hashed (see the
/// crate docs, "Ids"). Use it to find a trace in the backend. The number is
/// [`TraceId::to_w3c`].
///
/// ```
/// use trace_core::TraceId;
/// let id = TraceId::from_string("trace_0123456789abcdef0123456789abcdef");
/// assert_eq!(trace_export_otlp::otlp_trace_id(&id), "0123456789abcdef0123456789abcdef");
/// ```
pub fn otlp_trace_id(id: &TraceId) -> String {
    trace_id_hex(id.to_w3c())
}

/// A trace id value as OTLP/JSON writes it: 32 lowercase hex digits.
pub(crate) fn trace_id_hex(value: u128) -> String {
    String::from_utf8_lossy(&hex::<32>(value)).into_owned()
}

/// A span id value as OTLP/JSON writes it: 16 lowercase hex digits.
pub(crate) fn span_id_hex(value: u64) -> String {
    String::from_utf8_lossy(&hex::<16>(u128::from(value))).into_owned()
}

/// The OTLP span id of the root span the exporter sends for trace `id` when the trace
/// ends (named after the workflow; every span without a parent is its child), as OTLP/JSON
/// writes it: 16 lowercase hex digits. The number is [`w3c::root_span_id`]: 64-bit FNV-1a
/// of `root:` and the trace id.
pub fn otlp_root_span_id(id: &TraceId) -> String {
    span_id_hex(w3c::root_span_id(id))
}

/// The OTLP span id that `id` maps to, as OTLP/JSON writes it: 16 lowercase hex digits.
///
/// For a generated id these are the last 16 of its 24 digits; a user-supplied id is hashed.
/// The number is [`SpanId::to_w3c`].
///
/// ```
/// use trace_core::SpanId;
/// let id = SpanId::from_string("span_aaaaaaaa0123456789abcdef");
/// assert_eq!(trace_export_otlp::otlp_span_id(&id), "0123456789abcdef");
/// ```
pub fn otlp_span_id(id: &SpanId) -> String {
    span_id_hex(id.to_w3c())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_written_as_their_w3c_values_in_hex() {
        let t = TraceId::from_string("trace_0123456789abcdef0123456789abcdef");
        assert_eq!(otlp_trace_id(&t), "0123456789abcdef0123456789abcdef");
        let s = SpanId::from_string("span_aaaaaaaa0123456789abcdef");
        assert_eq!(otlp_span_id(&s), "0123456789abcdef");
        assert_eq!(otlp_trace_id(&TraceId::from_u128(1)), "00000000000000000000000000000001");
        let custom = TraceId::from_string("my-trace");
        assert_eq!(otlp_trace_id(&custom), format!("{:032x}", custom.to_w3c()));
        assert_eq!(otlp_root_span_id(&custom), format!("{:016x}", w3c::root_span_id(&custom)));
        assert_eq!(otlp_span_id(&SpanId::from_string("step-1")).len(), 16);
    }
}
