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
        push_escaped(&mut out, c);
    }
    out
}

/// Whether `c` could steer a terminal: C0 and C1 controls, DEL, and the bidirectional
/// overrides and isolates that could reorder what it shows.
fn steers_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Pushes `c`, escaped (`\n`, `\u{1b}`) if it [steers a terminal](steers_terminal).
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if steers_terminal(c) => out.push_str(&c.escape_unicode().to_string()),
        c => out.push(c),
    }
}

/// `s` with every character that [steers a terminal](steers_terminal) escaped, uncut.
pub(crate) fn for_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    s.chars().for_each(|c| push_escaped(&mut out, c));
    out
}

/// Writes `json` (valid JSON text, as the wire serialiser writes it: C0 controls already
/// escaped) to `out` with the characters that JSON leaves raw but that steer a terminal
/// (DEL, C1 controls, bidirectional overrides) written as `\uXXXX` escapes: still valid
/// JSON, of the same value, since outside strings JSON text is ASCII.
pub(crate) fn json_for_terminal(json: &[u8], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    // Every such character is at or above U+007F (DEL): text below it goes out as it is.
    let text = match std::str::from_utf8(json) {
        Ok(text) if json.iter().any(|&b| b >= 0x7f) => text,
        _ => return out.write_all(json),
    };
    let mut rest = text;
    while let Some((at, c)) = rest.char_indices().find(|&(_, c)| steers_terminal(c)) {
        out.write_all(&rest.as_bytes()[..at])?;
        write!(out, "\\u{:04x}", u32::from(c))?;
        rest = &rest[at + c.len_utf8()..];
    }
    out.write_all(rest.as_bytes())
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
    fn json_keeps_its_value_and_loses_what_steers_a_terminal() {
        let value = serde_json::json!({"s": "a\u{1b}[2J\u{7f}\u{9b}\u{202e}\u{2066}é😀\n"});
        let json = trace_core::wire::to_json_vec(&value).unwrap();
        let mut out = Vec::new();
        json_for_terminal(&json, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"{"s":"a\u001b[2J\u007f\u009b\u202e\u2066é😀\n"}"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
        // DEL alone, in otherwise plain ASCII, is escaped too.
        let mut out = Vec::new();
        json_for_terminal(b"{\"s\":\"a\x7fb\"}", &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"s":"a\u007fb"}"#);
        assert_eq!(for_terminal("a\u{1b}b\u{9b}\n"), "a\\u{1b}b\\u{9b}\\n");
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
