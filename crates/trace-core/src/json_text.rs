//! User JSON as text below the records: the compact writer that the `wire` module
//! builds on, and the `Debug` output of user JSON in spans, traces and span data.
//!
//! Everything here writes through [`DepthLimited`], so that printing or writing a value
//! nested 100,000 levels deep cannot overflow the stack. The records' own modules use it
//! (a record's `Debug`, an error message made of JSON); exporters use `wire`.

use std::fmt;
use std::io;

use serde::Serialize;
use serde_json::Value;

use crate::limits::DepthLimited;
use crate::span::{Key, Span, SpanFields};

/// Writes `value` as compact JSON to `writer`, nesting cut at the depth limit, floats as
/// Python writes them (see `wire::write_json`).
// The one place serde_json writes user JSON, behind the depth limit (see clippy.toml).
#[allow(clippy::disallowed_methods)]
pub(crate) fn write<W: io::Write, T: Serialize + ?Sized>(writer: W, value: &T) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, PythonFloats);
    DepthLimited::new(value).serialize(&mut serializer)
}

/// Writes `value` as if it sat `depth` levels inside a record (see
/// [`DepthLimited::at_depth`]), as [`write`] does otherwise.
#[allow(clippy::disallowed_methods)]
fn write_at_depth<W: io::Write, T: Serialize + ?Sized>(writer: W, value: &T, depth: usize) -> serde_json::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(writer, PythonFloats);
    DepthLimited::at_depth(value, depth).serialize(&mut serializer)
}

/// A span object written as bytes: the keys and the text that needs no escaping as they
/// are, the rest through serde_json one level inside the object (so the depth limit cuts
/// where the span's `Serialize` cuts). The same bytes as [`write`] of the span, with the
/// escaping scan and the serializer layers skipped for the ids and timestamps: most of a
/// span object's text.
pub(crate) fn write_span<W: io::Write, D: Serialize + ?Sized>(
    writer: W,
    span: &Span,
    data: &D,
) -> serde_json::Result<()> {
    let mut out = SpanBytes { writer, first: true };
    out.raw(b"{")?;
    span.write_fields(data, &mut out)?;
    out.raw(b"}")
}

/// The byte writer behind [`write_span`].
struct SpanBytes<W> {
    writer: W,
    first: bool,
}

impl<W: io::Write> SpanBytes<W> {
    fn raw(&mut self, bytes: &[u8]) -> serde_json::Result<()> {
        self.writer.write_all(bytes).map_err(serde_json::Error::io)
    }

    /// `,"key":` (no comma before the first key), in one write.
    fn key(&mut self, key: Key) -> serde_json::Result<()> {
        let json = key.json.as_bytes();
        let json = if std::mem::take(&mut self.first) { &json[1..] } else { json };
        self.raw(json)
    }
}

/// The longest text [`SpanFields::ascii`] gets: a generated id (`trace_` and 32 hex digits)
/// or a timestamp (32 bytes).
const ASCII_MAX: usize = 40;

impl<W: io::Write> SpanFields for SpanBytes<W> {
    type Error = serde_json::Error;

    fn ascii(&mut self, key: Key, value: &[u8], _optional: bool) -> serde_json::Result<()> {
        debug_assert!(value.iter().all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\\'), "{value:?}");
        self.key(key)?;
        // The string with its quotes in one write (three small writes cost more).
        let mut quoted = [b'"'; ASCII_MAX + 2];
        if value.len() <= ASCII_MAX {
            quoted[1..=value.len()].copy_from_slice(value);
            self.raw(&quoted[..value.len() + 2])
        } else {
            self.raw(b"\"")?;
            self.raw(value)?;
            self.raw(b"\"")
        }
    }

    fn text(&mut self, key: Key, value: &str, _optional: bool) -> serde_json::Result<()> {
        self.key(key)?;
        write(&mut self.writer, value)
    }

    fn null(&mut self, key: Key) -> serde_json::Result<()> {
        self.key(key)?;
        self.raw(b"null")
    }

    fn value<T: Serialize + ?Sized>(&mut self, key: Key, value: &T, _optional: bool) -> serde_json::Result<()> {
        self.key(key)?;
        write_at_depth(&mut self.writer, value, 1)
    }
}

/// `value` as compact JSON text (see [`write`]).
pub(crate) fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(128);
    write(&mut out, value)?;
    // The serializer writes UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// `value` as a [`Value`] tree, nesting cut at the depth limit.
pub(crate) fn to_value<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Value> {
    serde_json::to_value(DepthLimited::new(value))
}

/// serde_json's compact formatter, with floats written as Python's `repr` writes them.
#[derive(Clone, Copy, Debug)]
struct PythonFloats;

impl serde_json::ser::Formatter for PythonFloats {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_float(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        // As Python would after reading the f32 as a float (a double).
        writer.write_all(python_float(f64::from(value)).as_bytes())
    }
}

/// Python's `repr` of a finite float: the shortest round-trip digits, positional when the
/// decimal exponent is in -4..16, else `d.ddde±XX`.
fn python_float(value: f64) -> String {
    // Rust's `{:e}` gives the shortest round-trip digits: `-1.5e-7`, `1e16`, `0e0`.
    let sci = format!("{value:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(digits.len() + 8);
    out.push_str(sign);
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat('0').take(int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat('0').take((-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(if exp < 0 { "e-" } else { "e+" });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }
    out
}

/// `Debug` output of user JSON: compact JSON text with the depth limit, so that printing a
/// span whose data nests 100,000 levels cannot overflow the stack.
pub(crate) struct JsonDebug<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: Serialize + ?Sized> fmt::Debug for JsonDebug<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match to_string(self.0) {
            Ok(text) => f.write_str(&text),
            Err(_) => f.write_str("<not JSON>"),
        }
    }
}

/// `Debug` of an optional JSON value: `None` or `Some(<json>)`.
pub(crate) struct OptJsonDebug<'a, T>(pub(crate) &'a Option<T>);

impl<T: Serialize> fmt::Debug for OptJsonDebug<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("None"),
            Some(v) => f.debug_tuple("Some").field(&JsonDebug(v)).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{nested_arrays as deep, release, DEPTH_LIMIT_MARKER};

    #[test]
    fn debug_of_json_is_compact_and_limited() {
        let v = deep(100_000);
        let text = format!("{:?}", JsonDebug(&v));
        assert!(text.starts_with("[[[") && text.contains(DEPTH_LIMIT_MARKER), "{}", &text[..200]);
        release(v);
        assert_eq!(format!("{:?}", OptJsonDebug(&Some(serde_json::json!({"a": 1})))), r#"Some({"a":1})"#);
        assert_eq!(format!("{:?}", OptJsonDebug::<Value>(&None)), "None");
    }
}
