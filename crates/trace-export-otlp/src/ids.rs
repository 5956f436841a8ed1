//! Our trace and span ids as OTLP ids: 16 bytes and 8 bytes, written as 32 and 16
//! lowercase hex digits in OTLP/JSON.
//!
//! The mapping is stable (a pure function of the id) so that a span and the parent links
//! that name it always agree, across batches and across processes:
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

use trace_core::{SpanId, TraceId};

const FNV128_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const FNV128_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
const FNV64_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV64_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 128-bit FNV-1a of `bytes`.
fn fnv1a_128(bytes: &[u8]) -> u128 {
    bytes.iter().fold(FNV128_OFFSET, |h, &b| (h ^ u128::from(b)).wrapping_mul(FNV128_PRIME))
}

/// 64-bit FNV-1a of `bytes`.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    fnv1a_64_more(FNV64_OFFSET, bytes)
}

/// Goes on hashing `bytes` from the hash `h` of what came before them.
fn fnv1a_64_more(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV64_PRIME))
}

/// The OTLP trace id of `id`, as a number (never 0).
pub(crate) fn trace_id_value(id: &TraceId) -> u128 {
    match id.as_u128() {
        Some(v) if v != 0 => v,
        _ => nonzero_128(id.with_str(|s| fnv1a_128(s.as_bytes()))),
    }
}

/// The OTLP span id of `id`, as a number (never 0).
pub(crate) fn span_id_value(id: &SpanId) -> u64 {
    // The low 64 bits: truncation is the mapping.
    match id.as_u128().map(|v| v as u64) {
        Some(v) if v != 0 => v,
        _ => nonzero_64(id.with_str(|s| fnv1a_64(s.as_bytes()))),
    }
}

/// Maps the one value OTLP forbids to a fixed other one (FNV-1a practically never gives 0).
fn nonzero_128(v: u128) -> u128 {
    if v == 0 {
        1
    } else {
        v
    }
}

fn nonzero_64(v: u64) -> u64 {
    if v == 0 {
        1
    } else {
        v
    }
}

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
/// crate docs, "Ids"). Use it to find a trace in the backend.
///
/// ```
/// use trace_core::TraceId;
/// let id = TraceId::from_string("trace_0123456789abcdef0123456789abcdef");
/// assert_eq!(trace_export_otlp::otlp_trace_id(&id), "0123456789abcdef0123456789abcdef");
/// ```
pub fn otlp_trace_id(id: &TraceId) -> String {
    trace_id_hex(trace_id_value(id))
}

/// A trace id value as OTLP/JSON writes it: 32 lowercase hex digits.
pub(crate) fn trace_id_hex(value: u128) -> String {
    String::from_utf8_lossy(&hex::<32>(value)).into_owned()
}

/// A span id value as OTLP/JSON writes it: 16 lowercase hex digits.
pub(crate) fn span_id_hex(value: u64) -> String {
    String::from_utf8_lossy(&hex::<16>(u128::from(value))).into_owned()
}

/// The OTLP span id of the root span of trace `id`, as a number (never 0): 64-bit FNV-1a
/// of `root:` and the trace id.
pub(crate) fn root_span_id(id: &TraceId) -> u64 {
    nonzero_64(id.with_str(|s| fnv1a_64_more(fnv1a_64(b"root:"), s.as_bytes())))
}

/// The OTLP span id of the root span the exporter sends for trace `id` when the trace
/// ends (named after the workflow; every span without a parent is its child), as OTLP/JSON
/// writes it: 16 lowercase hex digits.
pub fn otlp_root_span_id(id: &TraceId) -> String {
    span_id_hex(root_span_id(id))
}

/// The OTLP span id that `id` maps to, as OTLP/JSON writes it: 16 lowercase hex digits.
///
/// For a generated id these are the last 16 of its 24 digits; a user-supplied id is hashed.
///
/// ```
/// use trace_core::SpanId;
/// let id = SpanId::from_string("span_aaaaaaaa0123456789abcdef");
/// assert_eq!(trace_export_otlp::otlp_span_id(&id), "0123456789abcdef");
/// ```
pub fn otlp_span_id(id: &SpanId) -> String {
    span_id_hex(span_id_value(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_values() {
        // Published FNV-1a test vectors.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a_128(b""), FNV128_OFFSET);
        assert_eq!(fnv1a_128(b"a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
    }

    #[test]
    fn generated_ids_keep_their_digits() {
        let t = TraceId::from_string("trace_0123456789abcdef0123456789abcdef");
        assert_eq!(otlp_trace_id(&t), "0123456789abcdef0123456789abcdef");
        let s = SpanId::from_string("span_aaaaaaaa0123456789abcdef");
        assert_eq!(otlp_span_id(&s), "0123456789abcdef");
        assert_eq!(otlp_trace_id(&TraceId::from_u128(1)), "00000000000000000000000000000001");
    }

    #[test]
    fn custom_ids_are_hashed_stably() {
        let t = TraceId::from_string("my-trace");
        assert_eq!(otlp_trace_id(&t), otlp_trace_id(&TraceId::from_string("my-trace")));
        assert_eq!(trace_id_value(&t), fnv1a_128(b"my-trace"));
        assert_ne!(otlp_trace_id(&t), otlp_trace_id(&TraceId::from_string("my-trace2")));
        let s = SpanId::from_string("step-1");
        assert_eq!(span_id_value(&s), fnv1a_64(b"step-1"));
        assert_eq!(otlp_span_id(&s).len(), 16);
    }

    #[test]
    fn zero_is_never_produced() {
        assert_ne!(trace_id_value(&TraceId::from_u128(0)), 0);
        // Low 64 bits zero.
        assert_ne!(span_id_value(&SpanId::from_u128(1 << 70)), 0);
        assert_eq!(span_id_value(&SpanId::from_u128(1 << 70)), fnv1a_64(b"span_000000400000000000000000"));
    }
}
