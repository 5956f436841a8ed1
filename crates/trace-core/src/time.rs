//! Timestamps: a clock read on the caller's thread, formatted later.
//!
//! The text form is exactly what Python's `datetime.now(timezone.utc).isoformat()` gives:
//! `2025-03-11T12:00:00.123456+00:00`, microsecond precision, and no fraction at all when
//! the microsecond is zero (`2025-03-11T12:00:00+00:00`). No date crate is needed.

use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

/// A point in time in UTC, with nanosecond resolution. Times before 1970 count as the
/// epoch; times after the year 2554 as the last one it holds (`u64::MAX - 1` nanoseconds).
///
/// Kept as nanoseconds since the Unix epoch in eight bytes (a [`SystemTime`] takes
/// sixteen), and `Option<Timestamp>` is eight bytes too: a span holds two. Taking one is a
/// clock read and a subtraction; the text form is written when it is formatted.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Nanoseconds since the epoch, plus one: never zero, so `Option` needs no extra word.
    nanos_plus_one: NonZeroU64,
}

impl Default for Timestamp {
    fn default() -> Self {
        Self::from_unix_nanos(0)
    }
}

/// A span's start or end time, set through a shared reference: a plain store, where
/// setting it through [`Arc::get_mut`](std::sync::Arc::get_mut) costs a locked
/// compare-exchange (a full barrier) on every start and every finish. Only the span's
/// guard sets it, before the span reaches a processor's `on_span_end`; readers get it
/// through the queue or channel that handed them the span, which orders the store first.
pub(crate) struct TimeCell(AtomicU64);

impl TimeCell {
    /// A cell holding `t`.
    #[inline]
    pub(crate) fn new(t: Option<Timestamp>) -> Self {
        Self(AtomicU64::new(t.map_or(0, |t| t.nanos_plus_one.get())))
    }

    /// The time, if set.
    #[inline]
    pub(crate) fn get(&self) -> Option<Timestamp> {
        NonZeroU64::new(self.0.load(Ordering::Relaxed)).map(|nanos_plus_one| Timestamp { nanos_plus_one })
    }

    /// Sets the time.
    #[inline]
    pub(crate) fn set(&self, t: Timestamp) {
        self.0.store(t.nanos_plus_one.get(), Ordering::Relaxed);
    }
}

impl Clone for TimeCell {
    fn clone(&self) -> Self {
        Self::new(self.get())
    }
}

impl PartialEq for TimeCell {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl fmt::Debug for TimeCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.get(), f)
    }
}

/// The longest text form: `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`.
const ISO_MAX: usize = 32;

impl Timestamp {
    /// Reads the system clock. On x86-64 it is read through the CPU's time-stamp counter,
    /// anchored to the system clock every millisecond on each thread, at a third of the
    /// cost of `SystemTime::now()`: a reading is the system clock's to within a small
    /// fraction of the text form's microsecond (50 ns on the benchmark machine), and
    /// a thread's readings through the counter never go back. Elsewhere, or when the
    /// counter proves unusable (it strays from the system clock, goes backwards, or
    /// cannot be read in step with it), it is `SystemTime::now()` itself.
    #[inline]
    pub fn now() -> Self {
        Self::from_unix_nanos(crate::clock::now_nanos())
    }

    /// Reads the clock for the end of something that started at `start`: never before
    /// it (the system clock may be set back meanwhile, and two threads' reads may differ
    /// by a few tens of nanoseconds).
    #[inline]
    pub(crate) fn end_after(start: Option<Timestamp>) -> Self {
        let end = Self::now();
        start.map_or(end, |start| end.max(start))
    }

    /// A timestamp from nanoseconds since the Unix epoch (`u64::MAX` counts as one less).
    #[inline]
    pub fn from_unix_nanos(unix_nanos: u64) -> Self {
        Self { nanos_plus_one: NonZeroU64::MIN.saturating_add(unix_nanos.min(u64::MAX - 1)) }
    }

    /// A timestamp from a [`SystemTime`]; times before the epoch become the epoch.
    #[inline]
    pub fn from_system_time(t: SystemTime) -> Self {
        Self::from_unix_nanos(crate::clock::unix_nanos(t))
    }

    /// Nanoseconds since the Unix epoch (saturating in the year 2554).
    #[inline]
    pub fn unix_nanos(self) -> u64 {
        self.nanos_plus_one.get() - 1
    }

    /// Microseconds since the Unix epoch (the precision of the text form).
    pub fn unix_micros(self) -> u64 {
        self.unix_nanos() / 1_000
    }

    /// As a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.unix_nanos())
    }

    /// Calls `f` with the ISO 8601 text without allocating.
    pub fn with_iso<R>(self, f: impl FnOnce(&str) -> R) -> R {
        // Only ASCII digits and punctuation were written.
        self.with_iso_bytes(|b| f(std::str::from_utf8(b).unwrap_or_default()))
    }

    /// [`with_iso`](Self::with_iso) as bytes, for the span writer (ASCII digits and
    /// punctuation, not checked as UTF-8 again).
    pub(crate) fn with_iso_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        let mut buf = [0u8; ISO_MAX];
        let len = self.write_iso(&mut buf);
        f(&buf[..len])
    }

    /// The ISO 8601 text, as Python's `isoformat()` writes it.
    pub fn to_iso8601(self) -> String {
        self.with_iso(str::to_owned)
    }

    fn write_iso(self, buf: &mut [u8; ISO_MAX]) -> usize {
        let nanos = self.unix_nanos();
        let secs = nanos / 1_000_000_000;
        let micros = (nanos % 1_000_000_000 / 1_000) as u32;
        // The spans of a batch mostly share their second: its text is kept per thread.
        let (cached, mut head) = LAST_SECOND.get();
        if cached != secs || head[0] == 0 {
            head = second_text(secs);
            LAST_SECOND.set((secs, head));
        }
        buf[..SECOND_LEN].copy_from_slice(&head);
        let mut w = Writer { buf, pos: SECOND_LEN };
        if micros != 0 {
            w.byte(b'.');
            w.num(micros, 6);
        }
        for &b in b"+00:00" {
            w.byte(b);
        }
        w.pos
    }
}

/// `YYYY-MM-DDTHH:MM:SS`.
const SECOND_LEN: usize = 19;

thread_local! {
    /// The second last formatted on this thread, and its text (all zeros at first).
    static LAST_SECOND: std::cell::Cell<(u64, [u8; SECOND_LEN])> = const { std::cell::Cell::new((0, [0; SECOND_LEN])) };
}

/// The text of the second `secs` since the epoch: `YYYY-MM-DDTHH:MM:SS`.
fn second_text(secs: u64) -> [u8; SECOND_LEN] {
    let days = secs / 86_400;
    let rem = (secs % 86_400) as u32;
    let (year, month, day) = civil_from_days(days as i64);
    let (h, m, s) = (rem / 3600, (rem / 60) % 60, rem % 60);
    let mut buf = [0u8; ISO_MAX];
    let mut w = Writer { buf: &mut buf, pos: 0 };
    w.num(year.clamp(0, 9999) as u32, 4);
    w.byte(b'-');
    w.num(month, 2);
    w.byte(b'-');
    w.num(day, 2);
    w.byte(b'T');
    w.num(h, 2);
    w.byte(b':');
    w.num(m, 2);
    w.byte(b':');
    w.num(s, 2);
    let mut text = [0u8; SECOND_LEN];
    text.copy_from_slice(&buf[..SECOND_LEN]);
    text
}

struct Writer<'a> {
    buf: &'a mut [u8; ISO_MAX],
    pos: usize,
}

impl Writer<'_> {
    fn byte(&mut self, b: u8) {
        self.buf[self.pos] = b;
        self.pos += 1;
    }

    fn num(&mut self, mut value: u32, width: usize) {
        for i in (0..width).rev() {
            self.buf[self.pos + i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.pos += width;
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day), after Howard
/// Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_iso(|s| f.write_str(s))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_iso(|s| write!(f, "Timestamp({s})"))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_iso(|s| serializer.serialize_str(s))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        Self::from_system_time(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(secs: u64, micros: u64) -> Timestamp {
        Timestamp::from_unix_nanos(secs * 1_000_000_000 + micros * 1_000)
    }

    #[test]
    fn formats_like_python_isoformat() {
        // datetime(2025, 3, 11, 12, 0, 0, 123456, tzinfo=timezone.utc).timestamp() == 1741694400.123456
        assert_eq!(ts(1_741_694_400, 123_456).to_iso8601(), "2025-03-11T12:00:00.123456+00:00");
        assert_eq!(ts(1_741_694_400, 1).to_iso8601(), "2025-03-11T12:00:00.000001+00:00");
        // Each pair of fraction digits in its place.
        for (micros, text) in [(10_203, ".010203"), (100_000, ".100000"), (99, ".000099"), (990_099, ".990099")] {
            assert_eq!(ts(1_741_694_400, micros).to_iso8601(), format!("2025-03-11T12:00:00{text}+00:00"));
        }
    }

    #[test]
    fn zero_microseconds_leave_out_the_fraction() {
        assert_eq!(ts(1_741_694_400, 0).to_iso8601(), "2025-03-11T12:00:00+00:00");
        // Sub-microsecond nanoseconds do not make a fraction either.
        let t = Timestamp::from_unix_nanos(1_741_694_400 * 1_000_000_000 + 999);
        assert_eq!(t.to_iso8601(), "2025-03-11T12:00:00+00:00");
    }

    #[test]
    fn epoch_leap_years_and_year_ends() {
        assert_eq!(ts(0, 0).to_iso8601(), "1970-01-01T00:00:00+00:00");
        // 2024-02-29T23:59:59.999999Z
        assert_eq!(ts(1_709_251_199, 999_999).to_iso8601(), "2024-02-29T23:59:59.999999+00:00");
        // 2000-03-01T00:00:00Z (2000 is a leap year, 1900 rule does not apply)
        assert_eq!(ts(951_868_800, 0).to_iso8601(), "2000-03-01T00:00:00+00:00");
        // 2026-12-31T23:59:59.5Z
        assert_eq!(ts(1_798_761_599, 500_000).to_iso8601(), "2026-12-31T23:59:59.500000+00:00");
    }

    #[test]
    fn every_day_for_a_span_of_years_matches_a_day_counter() {
        // Walk day by day from 1970 to 2100 and compare with an independent counter.
        let (mut y, mut m, mut d) = (1970i64, 1u32, 1u32);
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let dim = |y: i64, m: u32| match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            _ if leap(y) => 29,
            _ => 28,
        };
        for day in 0..(130 * 366) {
            assert_eq!(civil_from_days(day), (y, m, d), "day {day}");
            d += 1;
            if d > dim(y, m) {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn now_is_after_2020_and_serializes_as_a_string() {
        let t = Timestamp::now();
        assert!(t.unix_nanos() > 1_577_836_800_000_000_000);
        let json = crate::wire::to_json_string(&t).unwrap();
        assert!(json.starts_with("\"20") && json.ends_with("+00:00\""), "{json}");
    }

    #[test]
    fn eight_bytes_with_or_without_a_value_and_exact_at_both_ends() {
        assert_eq!(std::mem::size_of::<Option<Timestamp>>(), 8);
        assert_eq!(Timestamp::default().unix_nanos(), 0);
        assert_eq!(Timestamp::from_unix_nanos(1).unix_nanos(), 1);
        assert_eq!(Timestamp::from_unix_nanos(u64::MAX).unix_nanos(), u64::MAX - 1);
        let t = SystemTime::now();
        let nanos = t.duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
        assert_eq!(Timestamp::from_system_time(t).unix_nanos(), nanos);
        assert_eq!(Timestamp::from_system_time(t).to_system_time(), t);
        assert!(Timestamp::from_unix_nanos(5) < Timestamp::from_unix_nanos(6));
    }

    #[test]
    fn before_epoch_is_clamped() {
        let t = Timestamp::from_system_time(UNIX_EPOCH - Duration::from_secs(10));
        assert_eq!(t.unix_nanos(), 0);
    }
}
