//! [`DepthLimited`]: a serializer proxy that cuts containers nested deeper than
//! [`MAX_JSON_DEPTH`] and writes non-finite floats as `null`; and the record machinery
//! that makes a span, trace or error cut at the same place wherever it is written.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::ser::{self, Serialize, Serializer};

use super::serializer_proxy::{forward_compounds, forward_scalars};
use crate::rate_limit::LogRateLimiter;

/// The deepest a container (JSON array or object) may open, counted from the serialized
/// record (span or trace object at depth 0): deeper ones are replaced by
/// [`DEPTH_LIMIT_MARKER`]. User data of a custom span starts at depth 3
/// (`span` > `span_data` > `data`), so it may nest 97 levels.
pub const MAX_JSON_DEPTH: usize = 100;

/// What a container nested deeper than [`MAX_JSON_DEPTH`] is replaced by when serialized.
pub const DEPTH_LIMIT_MARKER: &str = "[truncated: nested deeper than 100 levels]";

static CUTS: AtomicU64 = AtomicU64::new(0);
static CUT_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

/// How many containers were replaced by [`DEPTH_LIMIT_MARKER`] since the process started,
/// in every serialization (a span serialized twice counts twice).
pub fn depth_cuts() -> u64 {
    CUTS.load(Ordering::Relaxed)
}

#[cfg(test)]
thread_local! {
    /// The cuts made on this thread: tests count their own cuts with it, whatever other
    /// tests running in parallel cut meanwhile (they add to [`CUTS`]).
    static THREAD_CUTS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many cuts this thread made (tests only; see `THREAD_CUTS`).
#[cfg(test)]
pub(crate) fn thread_depth_cuts() -> u64 {
    THREAD_CUTS.with(std::cell::Cell::get)
}

/// Serializes the wrapped value with container nesting limited to [`MAX_JSON_DEPTH`] and
/// non-finite floats written as `null`; see the module docs of `trace_core::limits`.
///
/// ```
/// use serde_json::{json, Value};
/// use trace_core::limits::{DepthLimited, DEPTH_LIMIT_MARKER, MAX_JSON_DEPTH};
///
/// let mut deep = Value::Null;
/// for _ in 0..10_000 {
///     deep = Value::Array(vec![deep]);
/// }
/// let text = serde_json::to_string(&DepthLimited::new(&deep)).unwrap();
/// // 100 arrays, then the marker where the 101st would open.
/// let expected = format!("{}{:?}{}", "[".repeat(MAX_JSON_DEPTH), DEPTH_LIMIT_MARKER, "]".repeat(MAX_JSON_DEPTH));
/// assert_eq!(text, expected);
/// # trace_core::limits::release(deep);
/// assert_eq!(serde_json::to_string(&DepthLimited::new(&f64::NAN)).unwrap(), "null");
/// ```
pub struct DepthLimited<'a, T: ?Sized> {
    value: &'a T,
    depth: usize,
}

impl<'a, T: ?Sized> DepthLimited<'a, T> {
    /// `value` as the root (depth 0).
    pub fn new(value: &'a T) -> Self {
        Self { value, depth: 0 }
    }

    /// `value` as if it sat at `depth` inside a record: a `span_data` object is at depth 1
    /// of its span, so `DepthLimited::at_depth(span.data(), 1)` cuts exactly where
    /// serializing the whole span would.
    pub fn at_depth(value: &'a T, depth: usize) -> Self {
        Self { value, depth }
    }
}

impl<T: ?Sized> fmt::Debug for DepthLimited<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DepthLimited").field("depth", &self.depth).finish_non_exhaustive()
    }
}

impl<T: ?Sized + Serialize> Serialize for DepthLimited<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Proxy { inner: serializer, depth: self.depth })
    }
}

/// Serializes a record's fields without the limit; the record's `Serialize` impl adds it
/// through [`Record`]. Implemented by the records (span, trace, error) in their own modules.
pub(crate) trait SerializeUnlimited {
    fn serialize_unlimited<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
}

/// A record's fields without a limit of their own: for a record inside another (a span's
/// error), which the outer record's limit covers.
pub(crate) struct Unlimited<'a, T>(pub(crate) &'a T);

impl<T: SerializeUnlimited> Serialize for Unlimited<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_unlimited(serializer)
    }
}

/// The newtype-struct name a record (span, trace, error) serializes under. Serializers
/// write a newtype struct as its content; [`DepthLimited`] recognises the name and lets
/// the record's own limit, counted from the record, take over from its own count. So a
/// record cuts at the same place whether it is written alone, in a `{"data":[...]}` body or in
/// any structure wrapped in `DepthLimited` (the functions of the `wire` module).
pub(crate) const RECORD: &str = "$trace_core::limits::Record";

/// A record's content under [`RECORD`]: its fields with the limit counted from itself.
pub(crate) struct Record<'a, T>(pub(crate) &'a T);

impl<T: SerializeUnlimited> Serialize for Record<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(RECORD, &DepthLimited::new(&Unlimited(self.0)))
    }
}

/// `Serialize` for records (types that implement [`SerializeUnlimited`]): their fields
/// under the depth limit of [`DepthLimited`], counted from the record itself (see
/// [`RECORD`]).
macro_rules! serialize_as_record {
    ($($ty:ty),* $(,)?) => {$(
        impl serde::Serialize for $ty {
            /// Serializes with the limits of [`DepthLimited`](crate::DepthLimited),
            /// counted from this object; inside another record (an error inside a span),
            /// the outer record's limit applies instead.
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serde::Serialize::serialize(&$crate::limits::depth_limited::Record(self), serializer)
            }
        }
    )*};
}

pub(crate) use serialize_as_record;

#[cold]
#[inline(never)]
fn cut<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
    let total = CUTS.fetch_add(1, Ordering::Relaxed) + 1;
    #[cfg(test)]
    THREAD_CUTS.with(|c| c.set(c.get() + 1));
    if let Some(suppressed) = CUT_LOG.check() {
        log::warn!(
            "tracing: span data nested deeper than {MAX_JSON_DEPTH} levels was replaced by {DEPTH_LIMIT_MARKER:?} \
             while serializing ({total} such cuts so far, {suppressed} not reported since the last warning)"
        );
    }
    serializer.serialize_str(DEPTH_LIMIT_MARKER)
}

/// A serializer that forwards to `inner`, counting container depth.
struct Proxy<S> {
    inner: S,
    depth: usize,
}

/// A compound (array, object, struct...) being written, or cut.
struct Compound<S, C> {
    state: State<S, C>,
    /// The depth of the compound's elements.
    depth: usize,
}

enum State<S, C> {
    Open(C),
    /// Too deep: the elements are skipped, and `end` writes the marker with this serializer.
    Cut(S),
}

impl<S: Serializer> Proxy<S> {
    #[inline]
    fn open<C>(self, open: impl FnOnce(S) -> Result<C, S::Error>) -> Result<Compound<S, C>, S::Error> {
        if self.depth >= MAX_JSON_DEPTH {
            Ok(Compound { state: State::Cut(self.inner), depth: self.depth })
        } else {
            Ok(Compound { state: State::Open(open(self.inner)?), depth: self.depth + 1 })
        }
    }
}

/// `serialize_f32` and `serialize_f64`: a finite float as it is, any other as `null`.
macro_rules! finite_or_null {
    ($($method:ident($ty:ty)),*) => {$(
        #[inline]
        fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            if v.is_finite() {
                self.inner.$method(v)
            } else {
                self.inner.serialize_unit()
            }
        }
    )*};
}

impl<S: Serializer> Serializer for Proxy<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<S, S::SerializeSeq>;
    type SerializeTuple = Compound<S, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<S, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<S, S::SerializeTupleVariant>;
    type SerializeMap = Compound<S, S::SerializeMap>;
    type SerializeStruct = Compound<S, S::SerializeStruct>;
    type SerializeStructVariant = Compound<S, S::SerializeStructVariant>;

    forward_scalars!();
    finite_or_null!(serialize_f32(f32), serialize_f64(f64));
    forward_compounds!(seqs: open, structs: open);

    #[inline]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.serialize_some(&DepthLimited::at_depth(value, self.depth))
    }

    #[inline]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<S::Ok, S::Error> {
        if name == RECORD {
            // A record limits itself, counting from itself (see `RECORD`).
            return self.inner.serialize_newtype_struct(name, value);
        }
        self.inner.serialize_newtype_struct(name, &DepthLimited::at_depth(value, self.depth))
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        // `{"variant": value}`: one level.
        if self.depth >= MAX_JSON_DEPTH {
            return cut(self.inner);
        }
        self.inner.serialize_newtype_variant(name, index, variant, &DepthLimited::at_depth(value, self.depth + 1))
    }
}

impl<S: Serializer, C> Compound<S, C> {
    /// Runs `f` on the open compound; does nothing once it is cut.
    #[inline]
    fn on_open(&mut self, f: impl FnOnce(&mut C) -> Result<(), S::Error>) -> Result<(), S::Error> {
        match &mut self.state {
            State::Open(c) => f(c),
            State::Cut(_) => Ok(()),
        }
    }

    /// Writes one element, key or field with `write`, limited at the elements' depth.
    #[inline]
    fn write<T: ?Sized>(
        &mut self,
        value: &T,
        write: impl FnOnce(&mut C, &DepthLimited<'_, T>) -> Result<(), S::Error>,
    ) -> Result<(), S::Error> {
        let child = DepthLimited::at_depth(value, self.depth);
        self.on_open(|c| write(c, &child))
    }

    /// Ends the open compound with `end`, or writes the marker in place of a cut one.
    #[inline]
    fn finish(self, end: impl FnOnce(C) -> Result<S::Ok, S::Error>) -> Result<S::Ok, S::Error> {
        match self.state {
            State::Open(c) => end(c),
            State::Cut(s) => cut(s),
        }
    }
}

/// `ser::$trait` for [`Compound`]: each writing method (with a `key` first, for structs)
/// goes through [`Compound::write`]; `skip_field`, for structs, through `on_open`.
macro_rules! compound {
    ($trait:ident { $($method:ident($($key:ident)?)),* } $(skip $skip:ident)?) => {
        impl<S, C> ser::$trait for Compound<S, C>
        where
            S: Serializer,
            C: ser::$trait<Ok = S::Ok, Error = S::Error>,
        {
            type Ok = S::Ok;
            type Error = S::Error;

            $(
                #[inline]
                fn $method<T: ?Sized + Serialize>(&mut self, $($key: &'static str,)? value: &T) -> Result<(), S::Error> {
                    self.write(value, |c, child| c.$method($($key,)? child))
                }
            )*

            $(
                #[inline]
                fn $skip(&mut self, key: &'static str) -> Result<(), S::Error> {
                    self.on_open(|c| c.$skip(key))
                }
            )?

            #[inline]
            fn end(self) -> Result<S::Ok, S::Error> {
                self.finish(ser::$trait::end)
            }
        }
    };
}

compound!(SerializeSeq { serialize_element() });
compound!(SerializeTuple { serialize_element() });
compound!(SerializeTupleStruct { serialize_field() });
compound!(SerializeTupleVariant { serialize_field() });
compound!(SerializeMap { serialize_key(), serialize_value() });
compound!(SerializeStruct { serialize_field(key) } skip skip_field);
compound!(SerializeStructVariant { serialize_field(key) } skip skip_field);

#[cfg(test)]
// Tests of `DepthLimited` itself, compared with serde_json's own output.
#[allow(clippy::disallowed_methods)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::limits::{json_depth_exceeds, nested, release};

    fn depth_of(text: &str) -> usize {
        let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
        for c in text.chars() {
            if in_str {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_str = true,
                '[' | '{' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ']' | '}' => depth -= 1,
                _ => {}
            }
        }
        max
    }

    #[test]
    fn shallow_values_are_written_unchanged() {
        let v = json!({"a": [1, 2.5, {"b": null, "c": "d\u{0}é😀"}], "e": true, "f": u64::MAX, "g": i64::MIN});
        assert_eq!(serde_json::to_string(&DepthLimited::new(&v)).unwrap(), serde_json::to_string(&v).unwrap());
    }

    #[test]
    fn deep_values_are_cut_at_the_limit_on_a_small_stack() {
        // A 512 KiB stack: a quarter of the 2 MiB of a spawned thread.
        let handle = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(|| {
                let v = nested(10_000);
                let before = depth_cuts();
                let text = serde_json::to_string(&DepthLimited::new(&v)).unwrap();
                assert!(depth_cuts() > before);
                release(v);
                text
            })
            .unwrap();
        let text = handle.join().unwrap();
        assert_eq!(depth_of(&text), MAX_JSON_DEPTH);
        assert_eq!(text.matches(DEPTH_LIMIT_MARKER).count(), 1);
        // What is left parses with serde_json's default depth limit.
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert!(!json_depth_exceeds(&parsed, MAX_JSON_DEPTH));
    }

    #[test]
    fn at_depth_counts_from_the_given_level() {
        let v = nested(5);
        let text = serde_json::to_string(&DepthLimited::at_depth(&v, MAX_JSON_DEPTH - 2)).unwrap();
        assert_eq!(depth_of(&text), 2, "{text}");
        assert!(text.contains(DEPTH_LIMIT_MARKER));
    }

    #[test]
    fn non_finite_floats_are_null() {
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(serde_json::to_string(&DepthLimited::new(&[f, 1.5])).unwrap(), "[null,1.5]");
            assert_eq!(Value::from(f), Value::Null, "a Value cannot hold {f}");
            assert!(serde_json::Number::from_f64(f).is_none());
        }
        assert_eq!(serde_json::to_string(&DepthLimited::new(&f32::NAN)).unwrap(), "null");
    }
}
