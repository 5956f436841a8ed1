//! The `traceparent` header: parsing with the W3C rules for bad and future headers, and
//! formatting.

use std::fmt;
use std::str::FromStr;

use crate::ids::{lower_hex, SpanId, TraceId};

/// A `traceparent` header of W3C Trace Context: the trace a request belongs to, the span
/// that made it (`parent-id`), and the trace flags.
///
/// [`parse`](Self::parse) follows the specification's rules for malformed headers and for
/// versions after `00`; [`Display`](fmt::Display) writes the version `00` header.
///
/// ```
/// use trace_core::w3c::TraceParent;
///
/// let tp = TraceParent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")?;
/// assert_eq!(tp.trace_id(), 0x0af7651916cd43dd8448eb211c80319c);
/// assert_eq!(tp.parent_id(), 0xb7ad6b7169203331);
/// assert!(tp.sampled());
/// assert_eq!(tp.agent_trace_id().to_string(), "trace_0af7651916cd43dd8448eb211c80319c");
/// assert_eq!(tp.to_string(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
/// assert!(TraceParent::parse("00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01").is_err());
/// # Ok::<(), trace_core::w3c::TraceParentError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceParent {
    trace_id: u128,
    parent_id: u64,
    flags: u8,
}

/// The length of a version `00` header: `vv-` + 32 + `-` + 16 + `-` + 2.
const LEN_00: usize = 55;

/// Where the separators of the version-00 fields are.
const SEPARATORS: [usize; 3] = [2, 35, 52];

impl TraceParent {
    /// The `sampled` flag: the caller may have recorded trace data.
    pub const FLAG_SAMPLED: u8 = 0x01;
    /// The `random` flag of Trace Context Level 2: the trace id's low 56 bits are random.
    pub const FLAG_RANDOM: u8 = 0x02;
    /// The flags this library knows and sends; the specification says to send every other
    /// flag as 0.
    pub const KNOWN_FLAGS: u8 = Self::FLAG_SAMPLED | Self::FLAG_RANDOM;

    /// A header from its parts. Fails with [`TraceParentError::ZeroTraceId`] or
    /// [`TraceParentError::ZeroParentId`], the values the specification forbids.
    pub fn new(trace_id: u128, parent_id: u64, flags: u8) -> Result<Self, TraceParentError> {
        if trace_id == 0 {
            return Err(TraceParentError::ZeroTraceId);
        }
        if parent_id == 0 {
            return Err(TraceParentError::ZeroParentId);
        }
        Ok(Self { trace_id, parent_id, flags })
    }

    /// A header from ids known to be valid; an id of 0 (which the specification forbids,
    /// and the id mapping never gives) becomes 1, as the mapping's own fallback does.
    pub(crate) fn from_mapped(trace_id: u128, parent_id: u64, flags: u8) -> Self {
        Self { trace_id: trace_id.max(1), parent_id: parent_id.max(1), flags }
    }

    /// Parses a `traceparent` header value, as the W3C Trace Context specification says
    /// (Level 1 and 2, "traceparent Header Field Values" and "Versioning of
    /// traceparent"):
    ///
    /// - spaces and tabs around the value are ignored (HTTP's optional whitespace);
    /// - the version is 2 lowercase hex digits followed by `-`; `ff` is forbidden;
    /// - version `00` is exactly 55 characters: `00-<32 hex>-<16 hex>-<2 hex>`, all hex
    ///   lowercase, ids not all zero;
    /// - a later version is read as version `00` when it is at least 55 characters long and
    ///   its flags are followed by the end or by `-` (what follows is ignored); only its
    ///   `sampled` flag is kept.
    ///
    /// Anything else is an error saying what was wrong. Never panics, whatever the input.
    pub fn parse(header: &str) -> Result<Self, TraceParentError> {
        let b = header.trim_matches([' ', '\t']).as_bytes();
        let version = match (b.get(..2).and_then(hex), b.get(2)) {
            (Some(v), Some(b'-')) => v as u8,
            _ => return Err(TraceParentError::Version),
        };
        if version == 0xff {
            return Err(TraceParentError::ForbiddenVersion);
        }
        let len_ok = if version == 0 { b.len() == LEN_00 } else { b.len() >= LEN_00 };
        if !len_ok {
            return Err(TraceParentError::Length { version, len: b.len() });
        }
        let mut separators = SEPARATORS.to_vec();
        if b.len() > LEN_00 {
            separators.push(LEN_00);
        }
        if let Some(&at) = separators.iter().find(|&&at| b[at] != b'-') {
            return Err(TraceParentError::Separator { at });
        }
        let trace_id = hex(&b[3..35]).ok_or(TraceParentError::NotLowercaseHex { field: "trace-id" })?;
        let parent_id = hex(&b[36..52]).ok_or(TraceParentError::NotLowercaseHex { field: "parent-id" })?;
        let flags = hex(&b[53..55]).ok_or(TraceParentError::NotLowercaseHex { field: "trace-flags" })? as u8;
        let flags = if version == 0 { flags } else { flags & Self::FLAG_SAMPLED };
        Self::new(trace_id, parent_id as u64, flags)
    }

    /// The W3C trace id (16 bytes as a number); never 0.
    pub fn trace_id(&self) -> u128 {
        self.trace_id
    }

    /// The W3C `parent-id`: the caller's span (8 bytes as a number); never 0.
    pub fn parent_id(&self) -> u64 {
        self.parent_id
    }

    /// The trace flags as received (or given to [`new`](Self::new)), unknown bits
    /// included; the header written by [`Display`](fmt::Display) keeps only
    /// [`KNOWN_FLAGS`](Self::KNOWN_FLAGS).
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// Whether the `sampled` flag is set: the caller may have recorded this trace.
    pub fn sampled(&self) -> bool {
        self.flags & Self::FLAG_SAMPLED != 0
    }

    /// The id of the agent trace that continues this one: `trace_` and the same 32 hex
    /// digits ([`TraceId::from_w3c`]).
    pub fn agent_trace_id(&self) -> TraceId {
        TraceId::from_w3c(self.trace_id)
    }

    /// The caller's span as a span id of this library ([`SpanId::from_w3c`]: `span_`, 8
    /// zeros and the 16 hex digits of `parent-id`).
    pub fn agent_parent_id(&self) -> SpanId {
        SpanId::from_w3c(self.parent_id)
    }
}

/// The value of `bytes`, all of them lowercase hex digits.
fn hex(bytes: &[u8]) -> Option<u128> {
    lower_hex(bytes, bytes.len())
}

impl fmt::Display for TraceParent {
    /// The version `00` header: `00-<trace-id>-<parent-id>-<flags>`, lowercase hex, the
    /// flags this library does not know set to 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "00-{:032x}-{:016x}-{:02x}", self.trace_id, self.parent_id, self.flags & Self::KNOWN_FLAGS)
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceParent({self})")
    }
}

impl FromStr for TraceParent {
    type Err = TraceParentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Why a `traceparent` header was not accepted. Whoever receives one ignores the header,
/// as the specification says, and starts a trace of its own: check the caller's
/// propagator if you expected its trace to continue.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceParentError {
    /// The header does not start with a version: 2 lowercase hex digits and `-`.
    #[error("traceparent: no version (2 lowercase hex digits followed by '-') at the start; the header is ignored")]
    Version,
    /// The version is `ff`, which the specification forbids.
    #[error("traceparent: version ff is forbidden; the header is ignored")]
    ForbiddenVersion,
    /// The header is not 55 characters long (version `00`) or shorter than that (a later
    /// version).
    #[error(
        "traceparent: {len} characters for version {version:02x}, which needs {}; the header is ignored",
        if *version == 0 { "exactly 55" } else { "at least 55" }
    )]
    Length {
        /// The version read.
        version: u8,
        /// The header's length (in bytes, spaces and tabs around it not counted).
        len: usize,
    },
    /// A field is not followed by `-` where the format puts one.
    #[error("traceparent: expected '-' at position {at}; the header is ignored")]
    Separator {
        /// The position (in bytes, from 0) where `-` was expected.
        at: usize,
    },
    /// A field holds something else than lowercase hex digits (upper case included).
    #[error("traceparent: {field} is not lowercase hex; the header is ignored")]
    NotLowercaseHex {
        /// `trace-id`, `parent-id` or `trace-flags`.
        field: &'static str,
    },
    /// The trace id is all zeros, which the specification forbids.
    #[error("traceparent: the trace-id is all zeros; the header is ignored")]
    ZeroTraceId,
    /// The parent id is all zeros, which the specification forbids.
    #[error("traceparent: the parent-id is all zeros; the header is ignored")]
    ZeroParentId,
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
    const PARENT: &str = "b7ad6b7169203331";

    fn header(version: &str, trace: &str, parent: &str, flags: &str) -> String {
        format!("{version}-{trace}-{parent}-{flags}")
    }

    fn valid() -> String {
        header("00", TRACE, PARENT, "01")
    }

    #[test]
    fn a_valid_header_gives_its_fields_and_formats_back_the_same() {
        let tp = TraceParent::parse(&valid()).unwrap();
        assert_eq!(tp.trace_id(), 0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c);
        assert_eq!(tp.parent_id(), 0xb7ad_6b71_6920_3331);
        assert_eq!(tp.flags(), 1);
        assert!(tp.sampled());
        assert_eq!(tp.to_string(), valid());
        assert_eq!(valid().parse::<TraceParent>(), Ok(tp));
        assert_eq!(format!("{tp:?}"), format!("TraceParent({})", valid()));
        let unsampled = TraceParent::parse(&header("00", TRACE, PARENT, "00")).unwrap();
        assert!(!unsampled.sampled());
        assert_eq!(unsampled.agent_trace_id().to_string(), format!("trace_{TRACE}"));
        assert_eq!(unsampled.agent_parent_id().to_string(), format!("span_00000000{PARENT}"));
    }

    #[test]
    fn spaces_and_tabs_around_the_value_are_ignored() {
        for v in [format!(" {}", valid()), format!("{}\t", valid()), format!(" \t{} ", valid())] {
            assert_eq!(TraceParent::parse(&v).map(|t| t.to_string()), Ok(valid()), "{v:?}");
        }
    }

    #[test]
    fn unknown_flags_are_kept_as_read_and_sent_as_zero() {
        let tp = TraceParent::parse(&header("00", TRACE, PARENT, "ff")).unwrap();
        assert_eq!(tp.flags(), 0xff);
        assert!(tp.to_string().ends_with("-03"), "{tp}");
        assert!(TraceParent::parse(&header("00", TRACE, PARENT, "09")).unwrap().sampled());
        assert!(!TraceParent::parse(&header("00", TRACE, PARENT, "08")).unwrap().sampled());
    }

    #[test]
    fn a_later_version_is_read_as_version_00_and_sent_as_00() {
        let cc = header("cc", TRACE, PARENT, "01");
        let tp = TraceParent::parse(&cc).unwrap();
        assert_eq!(tp.to_string(), valid());
        // Fields after the flags, behind a dash, are ignored.
        let future = format!("{cc}-what-the-future-will-be-like");
        assert_eq!(TraceParent::parse(&future), Ok(tp));
        // Only the sampled flag of a later version is read.
        assert_eq!(TraceParent::parse(&header("01", TRACE, PARENT, "ff")).unwrap().flags(), 1);
    }

    /// Every invalid form the W3C specification (and its test suite) lists.
    #[test]
    fn every_invalid_form_is_an_error() {
        use TraceParentError as E;
        let zeros32 = "0".repeat(32);
        let zeros16 = "0".repeat(16);
        let cases: Vec<(String, TraceParentError)> = vec![
            // Empty, blank, garbage.
            (String::new(), E::Version),
            ("   ".into(), E::Version),
            ("hello".into(), E::Version),
            // Version: not hex, upper case, too short, too long, ff.
            (header(".0", TRACE, PARENT, "01"), E::Version),
            (header("0.", TRACE, PARENT, "01"), E::Version),
            (header("0A", TRACE, PARENT, "01"), E::Version),
            (header("0", TRACE, PARENT, "01"), E::Version),
            (header("000", TRACE, PARENT, "01"), E::Version),
            (header("0000", TRACE, PARENT, "01"), E::Version),
            (header("ff", TRACE, PARENT, "01"), E::ForbiddenVersion),
            // Version 00 must be exactly 55 characters: trailing data, long or short fields.
            (format!("{}-what-the-future-will-be-like", valid()), E::Length { version: 0, len: 84 }),
            (format!("{}-", valid()), E::Length { version: 0, len: 56 }),
            (format!("{}0", valid()), E::Length { version: 0, len: 56 }),
            (header("00", &format!("{TRACE}0"), PARENT, "01"), E::Length { version: 0, len: 56 }),
            (header("00", &TRACE[1..], PARENT, "01"), E::Length { version: 0, len: 54 }),
            (header("00", TRACE, &format!("{PARENT}0"), "01"), E::Length { version: 0, len: 56 }),
            (header("00", TRACE, &PARENT[1..], "01"), E::Length { version: 0, len: 54 }),
            (header("00", TRACE, PARENT, "001"), E::Length { version: 0, len: 56 }),
            (header("00", TRACE, PARENT, "0"), E::Length { version: 0, len: 54 }),
            (header("00", TRACE, PARENT, ""), E::Length { version: 0, len: 53 }),
            // A later version shorter than 55 characters.
            (header("cc", TRACE, PARENT, "0"), E::Length { version: 0xcc, len: 54 }),
            // Separators: missing, wrong character, or not after the flags of a later version.
            (format!("00_{TRACE}-{PARENT}-01"), E::Version),
            (format!("00-{TRACE}_{PARENT}-01"), E::Separator { at: 35 }),
            (format!("00-{TRACE}-{PARENT}_01"), E::Separator { at: 52 }),
            (format!("{}.what-the-future-will-be-like", header("cc", TRACE, PARENT, "01")), E::Separator { at: 55 }),
            (format!("cc-{TRACE}-{PARENT}-012"), E::Separator { at: 55 }),
            // Not lowercase hex: other characters, upper case.
            (header("00", &format!("{}.", &TRACE[1..]), PARENT, "01"), E::NotLowercaseHex { field: "trace-id" }),
            (header("00", &TRACE.to_uppercase(), PARENT, "01"), E::NotLowercaseHex { field: "trace-id" }),
            (header("00", &format!("{}g", &TRACE[1..]), PARENT, "01"), E::NotLowercaseHex { field: "trace-id" }),
            (header("00", TRACE, &format!("{}.", &PARENT[1..]), "01"), E::NotLowercaseHex { field: "parent-id" }),
            (header("00", TRACE, &PARENT.to_uppercase(), "01"), E::NotLowercaseHex { field: "parent-id" }),
            (header("00", TRACE, PARENT, ".0"), E::NotLowercaseHex { field: "trace-flags" }),
            (header("00", TRACE, PARENT, "0."), E::NotLowercaseHex { field: "trace-flags" }),
            (header("00", TRACE, PARENT, "0A"), E::NotLowercaseHex { field: "trace-flags" }),
            (header("cc", &TRACE.to_uppercase(), PARENT, "01"), E::NotLowercaseHex { field: "trace-id" }),
            // All-zero ids, in version 00 and later ones.
            (header("00", &zeros32, PARENT, "01"), E::ZeroTraceId),
            (header("00", TRACE, &zeros16, "01"), E::ZeroParentId),
            (header("cc", &zeros32, PARENT, "01"), E::ZeroTraceId),
            // Non-ASCII: bytes, not characters, are counted, and nothing panics.
            (header("00", &format!("{}é", &TRACE[2..]), PARENT, "01"), E::NotLowercaseHex { field: "trace-id" }),
            (format!("00-{}", "é".repeat(26)), E::Separator { at: 35 }),
        ];
        for (value, expected) in cases {
            assert_eq!(TraceParent::parse(&value), Err(expected.clone()), "{value:?}");
        }
    }

    #[test]
    fn zero_ids_cannot_be_built_either() {
        assert_eq!(TraceParent::new(0, 1, 1), Err(TraceParentError::ZeroTraceId));
        assert_eq!(TraceParent::new(1, 0, 1), Err(TraceParentError::ZeroParentId));
        assert_eq!(TraceParent::new(1, 2, 1).unwrap().to_string(), format!("00-{:032x}-{:016x}-01", 1, 2));
    }

    #[test]
    fn errors_say_what_was_wrong_and_that_the_header_is_ignored() {
        let e = TraceParent::parse(&header("00", TRACE, PARENT, "001")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "traceparent: 56 characters for version 00, which needs exactly 55; the header is ignored"
        );
        let e = TraceParent::parse("ff-x").unwrap_err();
        assert!(e.to_string().contains("version ff is forbidden"), "{e}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet: Vec<char> = "0123456789abcdefABCDEF-_ \té".chars().collect();
        for _ in 0..20_000 {
            let len = rng.usize(0..70);
            let s: String = (0..len).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            let _ = TraceParent::parse(&s);
        }
    }
}
