//! Our ids as W3C Trace Context (and OpenTelemetry) ids, and back: the rules are in the
//! [module docs](super#ids).

use crate::fnv::{fnv1a_128, fnv1a_64, fnv1a_64_more};
use crate::ids::{SpanId, TraceId};

impl TraceId {
    /// The W3C trace id (16 bytes, also the OTLP trace id) this id stands for; never 0.
    ///
    /// A generated id, or text in the generated form, is its own 128-bit value: the W3C
    /// id is the same 32 hex digits. Any other id is hashed (128-bit FNV-1a of its text),
    /// as is the value 0, which W3C forbids. See the [module docs](crate::w3c#ids).
    ///
    /// ```
    /// use trace_core::TraceId;
    /// let id = TraceId::from_string("trace_0af7651916cd43dd8448eb211c80319c");
    /// assert_eq!(id.to_w3c(), 0x0af7651916cd43dd8448eb211c80319c);
    /// assert_eq!(TraceId::from_w3c(id.to_w3c()), id);
    /// ```
    pub fn to_w3c(&self) -> u128 {
        match self.as_u128() {
            Some(v) if v != 0 => v,
            _ => nonzero(self.with_str(|s| fnv1a_128(s.as_bytes()))),
        }
    }

    /// The trace id that continues the W3C trace `id`: `trace_` and its 32 hex digits, so
    /// that [`to_w3c`](Self::to_w3c) gives `id` back.
    pub fn from_w3c(id: u128) -> Self {
        Self::from_u128(id)
    }
}

impl SpanId {
    /// The W3C span id (8 bytes, the `parent-id` of a `traceparent`, also the OTLP span
    /// id) this id stands for; never 0.
    ///
    /// A generated id, or text in the generated form (`span_` and 24 hex digits), keeps its
    /// low 64 bits: the W3C id is the last 16 of its 24 digits. Any other id is hashed
    /// (64-bit FNV-1a of its text), as is an id whose low 64 bits are 0. See the [module
    /// docs](crate::w3c#ids).
    ///
    /// ```
    /// use trace_core::SpanId;
    /// let id = SpanId::from_string("span_aaaaaaaa00f067aa0ba902b7");
    /// assert_eq!(id.to_w3c(), 0x00f067aa0ba902b7);
    /// ```
    pub fn to_w3c(&self) -> u64 {
        // The low 64 bits: truncation is the mapping.
        match self.as_u128().map(|v| v as u64) {
            Some(v) if v != 0 => v,
            _ => nonzero(self.with_str(|s| fnv1a_64(s.as_bytes()))),
        }
    }

    /// The span id this library gives the W3C span id `id`: `span_`, 8 zeros and its 16
    /// hex digits. [`to_w3c`](Self::to_w3c) gives `id` back, so the round trip from W3C is
    /// exact; the round trip from a generated id is not (its first 8 digits are random and
    /// the W3C id does not carry them).
    ///
    /// ```
    /// use trace_core::SpanId;
    /// let id = SpanId::from_w3c(0x00f067aa0ba902b7);
    /// assert_eq!(id.to_string(), "span_0000000000f067aa0ba902b7");
    /// assert_eq!(id.to_w3c(), 0x00f067aa0ba902b7);
    /// ```
    pub fn from_w3c(id: u64) -> Self {
        Self::from_u128(u128::from(id))
    }
}

/// The W3C (and OTLP) span id of the root of trace `id`: the span the OTLP exporter sends
/// for the trace itself, parent of its top-level spans, and the `parent-id` of a
/// `traceparent` given while the trace is current but none of its spans is. 64-bit
/// FNV-1a of `root:` and the trace id's text; never 0.
///
/// ```
/// use trace_core::{w3c, TraceId};
/// let id = TraceId::from_string("trace_0af7651916cd43dd8448eb211c80319c");
/// assert_eq!(w3c::root_span_id(&id), w3c::root_span_id(&id.clone()));
/// assert_ne!(w3c::root_span_id(&id), 0);
/// ```
pub fn root_span_id(id: &TraceId) -> u64 {
    nonzero(id.with_str(|s| fnv1a_64_more(fnv1a_64(b"root:"), s.as_bytes())))
}

/// Maps the one value W3C forbids to a fixed other one (FNV-1a practically never gives 0).
fn nonzero<T: PartialEq + From<u8>>(v: T) -> T {
    if v == T::from(0) {
        T::from(1)
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_keep_their_digits() {
        let t = TraceId::from_string("trace_0123456789abcdef0123456789abcdef");
        assert_eq!(t.to_w3c(), 0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let s = SpanId::from_string("span_aaaaaaaa0123456789abcdef");
        assert_eq!(s.to_w3c(), 0x0123_4567_89ab_cdef);
        assert_eq!(TraceId::from_u128(1).to_w3c(), 1);
        for _ in 0..100 {
            let t = TraceId::generate();
            assert_eq!(t.to_w3c(), t.as_u128().unwrap());
            let s = SpanId::generate();
            assert_eq!(u128::from(s.to_w3c()), s.as_u128().unwrap() & u128::from(u64::MAX));
        }
    }

    #[test]
    fn custom_ids_are_hashed_stably() {
        let t = TraceId::from_string("my-trace");
        assert_eq!(t.to_w3c(), TraceId::from_string("my-trace").to_w3c());
        assert_eq!(t.to_w3c(), fnv1a_128(b"my-trace"));
        assert_ne!(t.to_w3c(), TraceId::from_string("my-trace2").to_w3c());
        let s = SpanId::from_string("step-1");
        assert_eq!(s.to_w3c(), fnv1a_64(b"step-1"));
    }

    #[test]
    fn zero_is_never_produced() {
        assert_ne!(TraceId::from_u128(0).to_w3c(), 0);
        // Low 64 bits zero: the text is hashed.
        assert_eq!(SpanId::from_u128(1 << 70).to_w3c(), fnv1a_64(b"span_000000400000000000000000"));
        assert_ne!(root_span_id(&TraceId::from_u128(0)), 0);
    }

    #[test]
    fn from_w3c_round_trips_to_the_same_w3c_id() {
        for id in [1u64, 0x00f0_67aa_0ba9_02b7, u64::MAX] {
            assert_eq!(SpanId::from_w3c(id).to_w3c(), id);
            assert!(!SpanId::from_w3c(id).is_custom());
        }
        for id in [1u128, 0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c, u128::MAX] {
            assert_eq!(TraceId::from_w3c(id).to_w3c(), id);
            assert_eq!(TraceId::from_w3c(id).to_string(), format!("trace_{id:032x}"));
        }
    }

    #[test]
    fn the_root_span_id_is_the_hash_of_root_and_the_trace_id() {
        let t = TraceId::from_string("my-trace");
        assert_eq!(root_span_id(&t), fnv1a_64(b"root:my-trace"));
        assert_ne!(root_span_id(&t), root_span_id(&TraceId::from_string("other")));
    }
}
