//! The wait a response asks for: `Retry-After` (seconds, or an HTTP date) and OpenAI's
//! `retry-after-ms` (milliseconds).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::NO_LIMIT;

/// The wait a `Retry-After` value asks for: seconds, or an HTTP date (a date in the past
/// means no wait), counted from `now`. Blanks around the value are ignored; negative,
/// non-finite or unparsable values are ignored (`None`); a finite number of seconds too
/// large for a `Duration` is a wait of [`NO_LIMIT`] (Python's float holds it, and caps
/// it at the maximum delay like any other).
pub fn retry_after(value: Option<&str>, now: SystemTime) -> Option<Duration> {
    let value = value?.trim();
    match parse_number(value) {
        Some(secs) => seconds(secs),
        None => {
            let at = parse_http_date(value)?;
            let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
            seconds((at as f64 - now).max(0.0))
        }
    }
}

/// The wait a `retry-after-ms` value (OpenAI's header, in milliseconds) asks for. Blanks
/// around the value are ignored; negative, non-finite or unparsable values are ignored
/// (`None`); a huge finite one is [`NO_LIMIT`], as for [`retry_after`].
pub fn retry_after_ms(value: Option<&str>) -> Option<Duration> {
    seconds(parse_number(value?)? / 1000.0)
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0).then(|| Duration::try_from_secs_f64(secs).unwrap_or(NO_LIMIT).min(NO_LIMIT))
}

/// Parses an HTTP date into Unix seconds: the three forms RFC 9110 (section 5.6.7) asks a
/// recipient to accept, and the looser ones Python's `email.utils.parsedate_to_datetime`
/// (which the Python SDK uses) also reads:
///
/// - IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (the weekday optional and not checked);
/// - RFC 850, `Sunday, 06-Nov-94 08:49:37 GMT`;
/// - asctime, `Sun Nov  6 08:49:37 1994` (GMT);
/// - of Python's looser forms: a two-digit year (above 68 is 19xx, else 20xx), a time
///   without seconds, no zone (GMT), and a zone given as `GMT`, `UTC`, `UT`, `Z`, a numeric
///   offset such as `+0100` (under 24 hours), or one of RFC 822's North American names
///   (`EST`, `PDT`, `AST`, ...). Python reads a few more (a zone it does not know as local
///   time, offsets of three digits); those are `None` here.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    // The weekday, with its comma (IMF-fixdate, RFC 850) or without (asctime).
    let rest = match s.split_once(',') {
        Some((_, rest)) => rest,
        None => s.split_once(' ').filter(|(day, _)| is_weekday(day)).map_or(s, |(_, rest)| rest),
    };
    let tokens: Vec<&str> = rest.split_ascii_whitespace().collect();
    let (day, month, year, time, zone) = match tokens[..] {
        // RFC 850: `06-Nov-94 08:49:37 GMT`.
        [date, time, ref zone @ ..] if date.contains('-') => {
            let mut parts = date.split('-');
            let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            (day, month, year, time, zone)
        }
        // asctime: `Nov  6 08:49:37 1994` (a zone after it, as Python reads it).
        [month, day, time, year, ref zone @ ..] if month_number(month).is_some() => (day, month, year, time, zone),
        // IMF-fixdate and its looser forms: `06 Nov 1994 08:49:37 GMT`.
        [day, month, year, time, ref zone @ ..] => (day, month, year, time, zone),
        _ => return None,
    };
    let offset = match zone {
        [] => 0,
        [zone] => zone_offset_seconds(zone)?,
        _ => return None,
    };
    let day: u32 = day.parse().ok()?;
    let month = month_number(month)?;
    let year = match (year.len(), year.parse::<i64>().ok()?) {
        (2, yy) if yy > 68 => 1900 + yy,
        (2, yy) => 2000 + yy,
        (4, yyyy) => yyyy,
        _ => return None,
    };
    let mut hms = time.split(':');
    let hour: i64 = hms.next()?.parse().ok()?;
    let minute: i64 = hms.next()?.parse().ok()?;
    let second: i64 = hms.next().map_or(Some(0), |s| s.parse().ok())?;
    if hms.next().is_some() {
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

fn is_weekday(name: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    name.len() >= 3
        && name.bytes().all(|b| b.is_ascii_alphabetic())
        && DAYS.iter().any(|d| name[..3].eq_ignore_ascii_case(d))
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
    let hours = |h: i64| Some(h * 3600);
    match zone.to_ascii_uppercase().as_str() {
        "GMT" | "UTC" | "UT" | "Z" => Some(0),
        "ADT" => hours(-3),
        "AST" | "EDT" => hours(-4),
        "EST" | "CDT" => hours(-5),
        "CST" | "MDT" => hours(-6),
        "MST" | "PDT" => hours(-7),
        "PST" => hours(-8),
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let digits = &z[1..];
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let hours: i64 = digits[..2].parse().ok()?;
            let minutes: i64 = digits[2..].parse().ok()?;
            if hours >= 24 || minutes >= 60 {
                return None;
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `retry-after-ms` first, else `Retry-After`, as the OpenAI exporter reads them.
    fn either(ms: Option<&str>, value: Option<&str>, now: SystemTime) -> Option<Duration> {
        retry_after_ms(ms).or_else(|| retry_after(value, now))
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
    fn retry_after_ms_wins_over_retry_after() {
        let now = SystemTime::now();
        assert_eq!(either(None, Some("1"), now), Some(Duration::from_secs(1)));
        assert_eq!(either(None, Some(" 2.5 "), now), Some(Duration::from_millis(2500)));
        assert_eq!(either(Some("1500"), Some("9"), now), Some(Duration::from_millis(1500)));
        assert_eq!(either(Some("junk"), Some("9"), now), Some(Duration::from_secs(9)));
        assert_eq!(either(Some("-5"), Some("9"), now), Some(Duration::from_secs(9)));
        assert_eq!(either(Some(" 250 "), None, now), Some(Duration::from_millis(250)));
        assert_eq!(either(None, Some("-1"), now), None);
        assert_eq!(either(None, Some("inf"), now), None);
        assert_eq!(either(None, Some("NaN"), now), None);
        assert_eq!(either(None, Some("soon"), now), None);
        assert_eq!(either(None, None, now), None);
        let then = UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(either(None, Some("Sun, 06 Nov 1994 08:49:37 GMT"), then), Some(Duration::from_secs(7)));
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
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT extra"), None);
        assert_eq!(parse_http_date(""), None);
        // RFC 9110's other two forms, which a recipient must accept.
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
        assert_eq!(parse_http_date("Wednesday, 01-Jan-31 00:00:00 GMT"), Some(1_924_992_000));
        // Python's looser forms: no seconds, a two-digit year, a North American zone.
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49 GMT"), Some(784_111_740));
        assert_eq!(parse_http_date("Sun, 6 Nov 94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 03:49:37 EST"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 00:49:37 PST"), Some(784_111_777));
        assert_eq!(parse_http_date("Nov  6 08:49:37 1994"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994 GMT"), Some(784_111_777));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 04:49:37 AST"), Some(784_111_777));
        assert_eq!(parse_http_date("06 Nov 1994 08:49:37"), Some(784_111_777));
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 +9999",
            "Sun, 06 Nov 1994 08:49:37 -2400",
            "Sunday, 06-Nov-94-1 08:49:37 GMT",
            "Sun Nov 6 08:49:37",
            "Sun Foo  6 08:49:37 1994",
            "06 Nov 199 08:49:37",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_huge_number_is_a_long_wait_not_none() {
        let now = SystemTime::now();
        // Python's float holds 1e20 and caps it at the maximum delay; so do we.
        assert_eq!(retry_after(Some("99999999999999999999"), now), Some(NO_LIMIT));
        assert_eq!(retry_after_ms(Some("1e25")), Some(NO_LIMIT));
        assert_eq!(retry_after(Some("1e400"), now), None, "infinite: ignored, as Python's isfinite check");
        // A far date too.
        assert_eq!(retry_after(Some("Fri, 31 Dec 9999 23:59:59 GMT"), now), Some(NO_LIMIT));
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
}
