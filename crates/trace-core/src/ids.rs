//! Trace and span identifiers.
//!
//! A generated id is a random number taken from [`fastrand`] on the caller's thread; it is
//! formatted as text (`trace_` + 32 lowercase hex digits, `span_` + 24) only when someone
//! asks for it, which is normally the exporter's worker thread. Its digits have the shape
//! of the Python SDK's ids, which are `uuid4().hex` (a span's its first 24 digits): digit
//! 12 is `4` and digit 16 one of `8`, `9`, `a`, `b`. User-supplied ids are kept as given and
//! never validated, as in the Python SDK; the span and trace builders generate an id in
//! place of an empty one, as Python's `trace_id or gen_trace_id()` does.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Writes `prefix` followed by the low `digits` hex digits (at most 32) of `value` into
/// `buf`.
fn write_hex<'a>(buf: &'a mut [u8; 38], prefix: &[u8], value: u128, digits: usize) -> &'a [u8] {
    let digits = digits.min(32);
    let len = prefix.len() + digits;
    let mut all = [0u8; 32];
    all[..16].copy_from_slice(&hex16((value >> 64) as u64));
    all[16..].copy_from_slice(&hex16(value as u64));
    buf[..prefix.len()].copy_from_slice(prefix);
    buf[prefix.len()..len].copy_from_slice(&all[32 - digits..]);
    &buf[..len]
}

/// The 16 lowercase hex digits of `x`, most significant first: eight at a time in a
/// `u64`, a nibble to a byte, with no table and no loop.
fn hex16(x: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&hex8((x >> 32) as u32).to_be_bytes());
    out[8..].copy_from_slice(&hex8(x as u32).to_be_bytes());
    out
}

/// The 8 hex digits of `x` as the bytes of a `u64`, the most significant digit in the
/// highest byte.
fn hex8(x: u32) -> u64 {
    // Each nibble spread into a byte of its own: halves, then quarters, then nibbles.
    let mut v = u64::from(x);
    v = (v | v << 16) & 0x0000_ffff_0000_ffff;
    v = (v | v << 8) & 0x00ff_00ff_00ff_00ff;
    v = (v | v << 4) & 0x0f0f_0f0f_0f0f_0f0f;
    // `0` + n for each byte, and `a` - `0` - 10 = 39 more where n is over 9 (n + 6
    // carries into bit 4 exactly then).
    let over_9 = ((v + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    v + 0x3030_3030_3030_3030 + over_9 * 39
}

/// `value`, read as `digits` hex digits (`digits` ≥ 17), with the fixed digits of a
/// version-4 UUID's hex text: digit 12 (from the left, from 0) is `4`, and digit 16 has
/// its top two bits `10`.
const fn uuid4_shape(value: u128, digits: usize) -> u128 {
    let version = 4 * (digits - 13);
    let variant = 4 * (digits - 17) + 2;
    (value & !(0xf << version) & !(0x3 << variant)) | (0x4 << version) | (0x2 << variant)
}

/// An id's text as the span writer takes it: ASCII that needs no JSON escaping (a
/// generated id: prefix and hex digits), or any text (a custom id).
pub(crate) enum WireText<'a> {
    /// Bytes to write as they are, between quotes.
    Ascii(&'a [u8]),
    /// Text to escape.
    Text(&'a str),
}

/// A trace id's 128 bits kept as two `u64`s: 8-byte aligned, so the id takes 24 bytes
/// instead of 32 (a `u128` is 16-byte aligned).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Bits128([u64; 2]);

impl Bits128 {
    #[inline]
    fn new(v: u128) -> Self {
        Self([(v >> 64) as u64, v as u64])
    }

    #[inline]
    fn get(self) -> u128 {
        (u128::from(self.0[0]) << 64) | u128::from(self.0[1])
    }
}

/// A span id's 96 bits kept as three `u32`s: with the tag and a one-word custom id beside
/// them, a span id takes 16 bytes, and a span holds two (its own and its parent's).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Bits96([u32; 3]);

impl Bits96 {
    /// Keeps the low 96 bits of `v`.
    #[inline]
    fn new(v: u128) -> Self {
        Self([(v >> 64) as u32, (v >> 32) as u32, v as u32])
    }

    #[inline]
    fn get(self) -> u128 {
        (u128::from(self.0[0]) << 64) | (u128::from(self.0[1]) << 32) | u128::from(self.0[2])
    }
}

/// An id: the number of a generated one, or the text of one the user gave. The text is
/// behind one thin pointer (custom ids are rare) so that the variant takes one word.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr<B> {
    Generated(B),
    Custom(Arc<String>),
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $bits:ident, $prefix:literal, $digits:literal, $mask:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(Repr<$bits>);

        impl $name {
            /// The text prefix of a generated id.
            pub const PREFIX: &'static str = $prefix;

            /// A new random id, shaped as the Python SDK's `uuid4().hex`: digit 12 is `4`,
            /// digit 16 one of `8`, `9`, `a`, `b`. Cheap: one call into the thread-local
            /// random generator.
            #[inline]
            pub fn generate() -> Self {
                Self(Repr::Generated($bits::new(uuid4_shape(fastrand::u128(..) & $mask, $digits))))
            }

            /// An id from its numeric value; formats as the prefix and the low hex digits.
            pub fn from_u128(value: u128) -> Self {
                Self(Repr::Generated($bits::new(value & $mask)))
            }

            /// An id exactly as the user gives it. Not validated, as in the Python SDK.
            /// Text in the generated format is parsed back to its numeric form, so
            /// equal text gives equal ids.
            pub fn from_string(id: impl Into<String>) -> Self {
                let id: String = id.into();
                match parse_generated(&id, $prefix, $digits) {
                    Some(value) => Self(Repr::Generated($bits::new(value))),
                    None => Self(Repr::Custom(Arc::new(id))),
                }
            }

            /// The numeric value, when the id has the generated form.
            pub fn as_u128(&self) -> Option<u128> {
                match &self.0 {
                    Repr::Generated(v) => Some(v.get()),
                    Repr::Custom(_) => None,
                }
            }

            /// Whether the id was supplied by the user in a format other than the generated one.
            pub fn is_custom(&self) -> bool {
                matches!(self.0, Repr::Custom(_))
            }

            /// Whether the id is the empty text, which the builders replace with a
            /// generated id (Python's `trace_id or gen_trace_id()`).
            pub(crate) fn is_empty(&self) -> bool {
                matches!(&self.0, Repr::Custom(s) if s.is_empty())
            }

            /// Calls `f` with the id's text without allocating.
            #[inline]
            pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
                match &self.0 {
                    Repr::Generated(v) => {
                        let mut buf = [0u8; 38];
                        // Only ASCII was written, so this cannot fail.
                        f(std::str::from_utf8(write_hex(&mut buf, $prefix.as_bytes(), v.get(), $digits)).unwrap_or_default())
                    }
                    Repr::Custom(s) => f(s),
                }
            }
        }

        impl $name {
            /// Calls `text` with the id's text as the span writer takes it: the bytes of a
            /// generated id (prefix and hex digits, never escaped, never checked as UTF-8
            /// again), the text of a custom one.
            #[inline]
            pub(crate) fn with_wire_text<R>(&self, text: impl FnOnce(WireText<'_>) -> R) -> R {
                match &self.0 {
                    Repr::Generated(v) => {
                        let mut buf = [0u8; 38];
                        text(WireText::Ascii(write_hex(&mut buf, $prefix.as_bytes(), v.get(), $digits)))
                    }
                    Repr::Custom(s) => text(WireText::Text(s)),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.with_str(|s| f.write_str(s))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.with_str(|s| write!(f, "{}({s:?})", stringify!($name)))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.with_str(|s| serializer.serialize_str(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_string(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self::from_string(s)
            }
        }
    };
}

fn parse_generated(id: &str, prefix: &str, digits: usize) -> Option<u128> {
    lower_hex(id.strip_prefix(prefix)?.as_bytes(), digits)
}

/// The value of `bytes` read as exactly `digits` (at most 32) lowercase hex digits; `None`
/// for another length or any other character (upper case included). The one hex reader
/// of the crate: ids, `traceparent` headers, key fingerprints.
pub(crate) fn lower_hex(bytes: &[u8], digits: usize) -> Option<u128> {
    if bytes.len() != digits || digits > 32 {
        return None;
    }
    bytes.iter().try_fold(0u128, |acc, &c| {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        Some((acc << 4) | u128::from(digit))
    })
}

id_type!(
    /// A trace id: `trace_` followed by 32 lowercase hex digits when generated.
    TraceId,
    Bits128,
    "trace_",
    32,
    u128::MAX
);

id_type!(
    /// A span id: `span_` followed by 24 lowercase hex digits when generated.
    SpanId,
    Bits96,
    "span_",
    24,
    (1u128 << 96) - 1
);

/// A new group id in the Python SDK's format: `group_` followed by 24 lowercase hex digits.
///
/// The Python runner never calls its `gen_group_id()`; group ids are whatever the user
/// chooses. This helper exists for users who want one in the same style.
pub fn gen_group_id() -> String {
    let mut buf = [0u8; 38];
    String::from_utf8_lossy(write_hex(&mut buf, b"group_", uuid4_shape(fastrand::u128(..), 24), 24)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits_match_the_formatter() {
        let mut rng = fastrand::Rng::with_seed(7);
        let edges = [0, 1, 9, 10, 15, 16, u64::MAX, 0x0123_4567_89ab_cdef, 0xa0a0_9f9f_0909_fafa];
        for x in edges.into_iter().chain((0..10_000).map(|_| rng.u64(..))) {
            assert_eq!(hex16(x), format!("{x:016x}").as_bytes(), "{x:#x}");
        }
        let mut buf = [0u8; 38];
        let v = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_u128;
        assert_eq!(write_hex(&mut buf, b"trace_", v, 32), format!("trace_{v:032x}").as_bytes());
        assert_eq!(write_hex(&mut buf, b"span_", v, 24), format!("span_{:024x}", v & ((1 << 96) - 1)).as_bytes());
    }

    fn is_lower_hex(s: &str) -> bool {
        s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    /// A thousand ids from `generate`: each `prefix` and `digits` lowercase hex digits.
    fn assert_generated_format(generate: impl Fn() -> String, prefix: &str, digits: usize) {
        for _ in 0..1000 {
            let id = generate();
            let hex = id.strip_prefix(prefix).unwrap_or_else(|| panic!("{id} starts with {prefix}"));
            assert_eq!(hex.len(), digits, "{id}");
            assert!(is_lower_hex(hex), "{id}");
        }
    }

    /// Digits 12 and 16 of `hex` are those of a version-4 UUID's hex text.
    fn assert_uuid4_shape(hex: &str) {
        assert_eq!(&hex[12..13], "4", "{hex}");
        assert!(matches!(&hex[16..17], "8" | "9" | "a" | "b"), "{hex}");
    }

    #[test]
    fn generated_ids_are_shaped_as_pythons_uuid4_hex() {
        for _ in 0..1000 {
            let trace = TraceId::generate().to_string();
            assert_uuid4_shape(&trace["trace_".len()..]);
            let span = SpanId::generate().to_string();
            assert_uuid4_shape(&span["span_".len()..]);
            assert_uuid4_shape(&gen_group_id()["group_".len()..]);
        }
        // Only those digits are fixed: the others still vary.
        let ids: std::collections::HashSet<String> = (0..64).map(|_| TraceId::generate().to_string()).collect();
        assert_eq!(ids.len(), 64);
    }

    #[test]
    fn generated_ids_have_their_prefix_and_hex_digits() {
        assert_generated_format(|| TraceId::generate().to_string(), "trace_", 32);
        assert_generated_format(|| SpanId::generate().to_string(), "span_", 24);
        assert_eq!((TraceId::PREFIX, SpanId::PREFIX), ("trace_", "span_"));
    }

    #[test]
    fn leading_zeros_are_kept() {
        assert_eq!(TraceId::from_u128(1).to_string(), "trace_00000000000000000000000000000001");
        assert_eq!(SpanId::from_u128(0xab).to_string(), "span_0000000000000000000000ab");
        // A span id keeps only 96 bits.
        assert_eq!(SpanId::from_u128(u128::MAX).to_string(), "span_ffffffffffffffffffffffff");
    }

    #[test]
    fn generated_text_round_trips_to_the_same_id() {
        let id = SpanId::generate();
        let back = SpanId::from_string(id.to_string());
        assert_eq!(id, back);
        assert!(!back.is_custom());
    }

    #[test]
    fn user_supplied_ids_are_kept_verbatim() {
        for raw in ["my-span", "", "span_XYZ", "trace_123", "🦀 ünïcode", "span_ABCDEF0123456789abcdef01"] {
            let id = SpanId::from_string(raw);
            assert_eq!(id.to_string(), raw);
            assert!(id.is_custom());
            let json = crate::wire::to_json_string(&id).unwrap();
            assert_eq!(json, crate::wire::to_json_string(raw).unwrap());
        }
    }

    #[test]
    fn ids_are_distinct() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| SpanId::generate().to_string()).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn group_id_format() {
        let g = gen_group_id();
        assert!(g.starts_with("group_") && g.len() == 30 && is_lower_hex(&g[6..]), "{g}");
    }
}
