//! The OTLP/HTTP retry policy: which answers are retried, exponential backoff with
//! jitter, `Retry-After` parsing, and the stop signal that cuts a backoff sleep short.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Whether a status that is not a success (outside 200..=299) may succeed on a retry.
///
/// The OTLP specification lists 429, 502, 503 and 504 as retryable; every other status
/// (400, 401, 403, 404, 413, 500, a redirect, ...) means the same request would fail again.
pub(crate) fn is_retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Exponential backoff with jitter: each sleep is drawn uniformly between half and one and
/// a half times the current delay, which starts at the base delay and doubles after each
/// sleep up to the maximum.
#[derive(Debug)]
pub(crate) struct Backoff {
    delay: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(base: Duration, max: Duration) -> Self {
        Self { delay: base, max }
    }

    /// The next sleep. A server's `Retry-After` raises it to at least that long (uncapped:
    /// the export budget bounds it).
    pub(crate) fn next_sleep(&mut self, retry_after: Option<Duration>) -> Duration {
        self.next_sleep_with(fastrand::f64(), retry_after)
    }

    /// As [`next_sleep`](Self::next_sleep), with the random number in `[0, 1)` given.
    pub(crate) fn next_sleep_with(&mut self, unit: f64, retry_after: Option<Duration>) -> Duration {
        let mut sleep = self.delay.mul_f64(0.5 + unit);
        if let Some(wait) = retry_after {
            sleep = sleep.max(wait);
        }
        self.delay = self.delay.saturating_mul(2).min(self.max);
        sleep
    }
}

/// The wait a `Retry-After` value asks for: seconds, or an HTTP date. Negative,
/// non-finite or unparsable values are ignored.
pub(crate) fn retry_after(value: Option<&str>, now: SystemTime) -> Option<Duration> {
    let value = value?.trim();
    match value.parse::<f64>() {
        Ok(secs) => (secs.is_finite() && secs >= 0.0).then(|| Duration::try_from_secs_f64(secs).ok()).flatten(),
        Err(_) => {
            let at = parse_http_date(value)?;
            let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
            Some(Duration::from_secs_f64((at as f64 - now).max(0.0)))
        }
    }
}

/// Parses an HTTP date in the IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`, into Unix
/// seconds. The weekday is optional and not checked; the zone may be `GMT`, `UTC`, `UT`,
/// `Z` or a numeric offset such as `+0000`.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = match s.find(',') {
        Some(comma) => &s[comma + 1..],
        None => s,
    };
    let mut parts = s.split_ascii_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = month_number(parts.next()?)?;
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let hour: i64 = hms.next()?.parse().ok()?;
    let minute: i64 = hms.next()?.parse().ok()?;
    let second: i64 = hms.next()?.parse().ok()?;
    let offset = zone_offset_seconds(parts.next().unwrap_or("GMT"))?;
    if hms.next().is_some() || parts.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || !(0..24).contains(&hour) || !(0..60).contains(&minute) || !(0..=60).contains(&second)
    {
        return None;
    }
    if !(1000..=9999).contains(&year) || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    if name.len() != 3 {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == lower).map(|i| i as u32 + 1)
}

fn zone_offset_seconds(zone: &str) -> Option<i64> {
    match zone.to_ascii_uppercase().as_str() {
        "GMT" | "UTC" | "UT" | "Z" => Some(0),
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let digits = &z[1..];
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hours: i64 = digits[..2].parse().ok()?;
            let minutes: i64 = digits[2..].parse().ok()?;
            let secs = hours * 3600 + minutes * 60;
            Some(if z.starts_with('-') { -secs } else { secs })
        }
        _ => None,
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A one-way stop flag that also wakes sleepers at once.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    flag: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Stop {
    /// Sets the flag and wakes every sleeper.
    pub(crate) fn stop(&self) {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.flag.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    /// Whether [`stop`](Self::stop) was called.
    pub(crate) fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Sleeps for `duration` unless stopped first. Returns `true` if it was stopped.
    pub(crate) fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.flag.load(Ordering::SeqCst) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            guard = self.wake.wait_timeout(guard, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn only_the_statuses_otlp_names_are_retried() {
        for s in [429, 502, 503, 504] {
            assert!(is_retryable(s), "{s}");
        }
        for s in [300, 307, 400, 401, 403, 404, 408, 413, 500, 501, 505] {
            assert!(!is_retryable(s), "{s}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(b.next_sleep_with(0.0, None), Duration::from_millis(500));
        assert_eq!(b.next_sleep_with(0.5, None), Duration::from_secs(2));
        assert_eq!(b.next_sleep_with(0.999, None), Duration::from_secs(4).mul_f64(1.499));
        // 5 s (capped) from now on, jitter on top.
        assert_eq!(b.next_sleep_with(0.5, None), Duration::from_secs(5));
        assert_eq!(b.next_sleep_with(0.5, None), Duration::from_secs(5));
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        for _ in 0..100 {
            let s = b.next_sleep(None);
            assert!(s <= Duration::from_millis(7500), "{s:?}");
        }
    }

    #[test]
    fn retry_after_raises_the_wait_without_a_cap() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(b.next_sleep_with(0.5, Some(Duration::from_secs(3))), Duration::from_secs(3));
        // The backoff (2 s) is longer than a 1 s Retry-After: the backoff wins.
        assert_eq!(b.next_sleep_with(0.5, Some(Duration::from_secs(1))), Duration::from_secs(2));
        assert_eq!(b.next_sleep_with(0.5, Some(Duration::from_secs(60))), Duration::from_secs(60));
    }

    #[test]
    fn retry_after_values() {
        let now = SystemTime::now();
        assert_eq!(retry_after(Some("1"), now), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(Some(" 2.5 "), now), Some(Duration::from_millis(2500)));
        assert_eq!(retry_after(Some("-1"), now), None);
        assert_eq!(retry_after(Some("inf"), now), None);
        assert_eq!(retry_after(Some("NaN"), now), None);
        assert_eq!(retry_after(Some("soon"), now), None);
        assert_eq!(retry_after(None, now), None);
        let then = UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(retry_after(Some("Sun, 06 Nov 1994 08:49:37 GMT"), then), Some(Duration::from_secs(7)));
        // A date in the past means no wait.
        let later = UNIX_EPOCH + Duration::from_secs(784_111_800);
        assert_eq!(retry_after(Some("Sun, 06 Nov 1994 08:49:37 GMT"), later), Some(Duration::ZERO));
    }

    #[test]
    fn http_dates() {
        // RFC 9110's example.
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 09:49:37 +0100"), Some(784_111_777));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT"), Some(1_709_251_199));
        assert_eq!(parse_http_date("Thu, 30 Feb 2024 00:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 24:00:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT extra"), None);
        assert_eq!(parse_http_date(""), None);
    }

    #[test]
    fn days_from_civil_matches_a_day_counter() {
        let mut days = 0;
        for year in 1970..2110 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), days, "{year}-{month}-{day}");
                    days += 1;
                }
            }
        }
    }

    #[test]
    fn stop_wakes_a_sleeper_at_once() {
        let stop = Arc::new(Stop::default());
        assert!(!stop.sleep(Duration::from_millis(1)));
        let s2 = Arc::clone(&stop);
        let t = std::thread::spawn(move || {
            let started = Instant::now();
            let stopped = s2.sleep(Duration::from_secs(30));
            (stopped, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        stop.stop();
        let (stopped, took) = t.join().unwrap();
        assert!(stopped);
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert!(stop.is_stopped());
        assert!(stop.sleep(Duration::from_secs(30)));
    }
}
