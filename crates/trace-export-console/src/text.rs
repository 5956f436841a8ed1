//! Text shown to people: user strings made safe and short, durations made readable.

use trace_core::Timestamp;

/// `s` on one line, at most `max_chars` characters (an ellipsis marks a cut), with control
/// characters written as escapes (`\n`, `\t`, `\u{1b}`): a span's name or tool output can
/// then neither break the tree's layout nor send escape sequences to the terminal.
pub(crate) fn one_line(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars + 8));
    for (shown, c) in s.chars().enumerate() {
        if shown >= max_chars {
            out.push('…');
            return out;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // C0 and C1 controls, DEL, and the bidirectional overrides and isolates that
            // could reorder what the terminal shows.
            c if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') => {
                out.push_str(&c.escape_unicode().to_string())
            }
            c => out.push(c),
        }
    }
    out
}

/// The time between two timestamps, readable: `850 ns`, `12.5 µs`, `3.2 ms`, `1.24 s`,
/// `2m 05s`; `?` when either is missing; `0 ns` when the end is before the start.
pub(crate) fn duration_between(start: Option<Timestamp>, end: Option<Timestamp>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => duration(e.unix_nanos().saturating_sub(s.unix_nanos())),
        _ => "?".to_owned(),
    }
}

/// `nanos` readable (see [`duration_between`]).
pub(crate) fn duration(nanos: u64) -> String {
    const US: u64 = 1_000;
    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;
    if nanos < US {
        format!("{nanos} ns")
    } else if nanos < MS {
        format!("{:.1} µs", nanos as f64 / US as f64)
    } else if nanos < S {
        format!("{:.1} ms", nanos as f64 / MS as f64)
    } else if nanos < 60 * S {
        format!("{:.2} s", nanos as f64 / S as f64)
    } else {
        let secs = nanos / S;
        format!("{}m {:02}s", secs / 60, secs % 60)
    }
}

/// `n thing` or `n things`.
pub(crate) fn count(n: u64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_controls_and_cuts() {
        assert_eq!(one_line("a\nb\tc\r", 80), "a\\nb\\tc\\r");
        assert_eq!(one_line("\x1b[31mred", 80), "\\u{1b}[31mred");
        assert_eq!(one_line("abc\u{202e}def", 80), "abc\\u{202e}def");
        assert_eq!(one_line("héllo wörld", 5), "héllo…");
        assert_eq!(one_line("exact", 5), "exact");
        assert_eq!(one_line("", 5), "");
    }

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(duration(0), "0 ns");
        assert_eq!(duration(850), "850 ns");
        assert_eq!(duration(12_500), "12.5 µs");
        assert_eq!(duration(3_200_000), "3.2 ms");
        assert_eq!(duration(1_240_000_000), "1.24 s");
        assert_eq!(duration(125_000_000_000), "2m 05s");
        let t = |n| Some(Timestamp::from_unix_nanos(n));
        assert_eq!(duration_between(t(10), t(5)), "0 ns");
        assert_eq!(duration_between(None, t(5)), "?");
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(count(1, "span"), "1 span");
        assert_eq!(count(0, "span"), "0 spans");
        assert_eq!(count(3, "error"), "3 errors");
    }
}
