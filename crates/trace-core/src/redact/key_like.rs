//! The one matcher of strings that look like credentials, hand-written (no regex crate):
//! OpenAI-style `sk-...` keys and the credential after an HTTP authorization scheme. Two
//! strictness levels: [`KeyMatch::Words`] for span data (whole words only, long enough to
//! be real keys, so ordinary text survives) and [`KeyMatch::Anywhere`] for log lines and
//! error texts, which may be cut anywhere and where a false positive costs nothing.

use std::borrow::Cow;

/// What replaces a credential.
pub const REDACTED: &str = "<redacted>";

/// How eagerly [`mask_key_like`] matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyMatch {
    /// For span data: `sk-` (any case) at the start of a word (not preceded by a letter,
    /// digit, `-` or `_`) followed by at least 20 of `[A-Za-z0-9_-]`, replaced whole; and
    /// `Bearer ` (any case) at the start of a word followed by a token of at least 16 of
    /// `[A-Za-z0-9._~+/-]` (and `=` padding), the token replaced. `task-sk-...`,
    /// `sk-learn` or `the bearer of bad news` are left alone.
    Words,
    /// For log lines and error texts, which may have been cut anywhere: `sk-` wherever it
    /// starts, followed by at least 8 key characters (or any at the very end of the
    /// text), replaced whole; and the credential after `Bearer ` or `Basic ` (any case), up
    /// to a blank, quote, comma or semicolon.
    Anywhere,
}

/// `text` with every credential-like token replaced by [`REDACTED`] as `how` says;
/// borrowed when there is none.
///
/// ```
/// use trace_core::redact::{mask_key_like, KeyMatch};
///
/// let args = r#"{"api_key": "sk-proj-abcdefghijklmnopqrstuvwx", "header": "Bearer eyJhbGciOiJIUzI1NiJ9.e30"}"#;
/// assert_eq!(
///     mask_key_like(args, KeyMatch::Words),
///     r#"{"api_key": "<redacted>", "header": "Bearer <redacted>"}"#
/// );
/// assert_eq!(mask_key_like("risk-assessment-for-the-quarterly-plan", KeyMatch::Words), "risk-assessment-for-the-quarterly-plan");
/// assert_eq!(mask_key_like("provided:sk-abc12345.", KeyMatch::Anywhere), "provided:<redacted>.");
/// ```
pub fn mask_key_like(text: &str, how: KeyMatch) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    // Bytes of `text` before this offset are in `out` already (or were replaced).
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let found = match bytes[i] {
            b's' | b'S' => sk_key(text, i, how),
            b'b' | b'B' => scheme_credential(text, i, how),
            _ => None,
        };
        match found {
            Some(Found { keep, end }) => {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
                out.push_str(&text[copied..keep]);
                out.push_str(REDACTED);
                copied = end;
                i = end;
            }
            None => i += 1,
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// A match: the text up to `keep` stays, `keep..end` is replaced.
struct Found {
    keep: usize,
    end: usize,
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_token68_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

/// Whether a word may start at `at`: the text starts there, or the byte before is not part
/// of a key (a UTF-8 continuation byte is not).
fn word_start(bytes: &[u8], at: usize) -> bool {
    at == 0 || !is_key_byte(bytes[at - 1])
}

fn starts_with_ci(bytes: &[u8], at: usize, marker: &[u8]) -> bool {
    bytes.len() - at >= marker.len() && bytes[at..at + marker.len()].eq_ignore_ascii_case(marker)
}

/// An `sk-` key starting at `at`.
fn sk_key(text: &str, at: usize, how: KeyMatch) -> Option<Found> {
    let bytes = text.as_bytes();
    if !starts_with_ci(bytes, at, b"sk-") {
        return None;
    }
    // Before the scan below: inside a word there is no key to find, and scanning there
    // would make `xsk-xsk-xsk-...` quadratic.
    if how == KeyMatch::Words && !word_start(bytes, at) {
        return None;
    }
    let body = at + 3;
    let run = bytes[body..].iter().take_while(|b| is_key_byte(**b)).count();
    let end = body + run;
    let long_enough = match how {
        KeyMatch::Words => word_start(bytes, at) && run >= 20,
        KeyMatch::Anywhere => run >= 8 || (end == bytes.len() && run > 0),
    };
    long_enough.then_some(Found { keep: at, end })
}

/// The credential after `Bearer ` (or, anywhere, `Basic `) starting at `at`.
fn scheme_credential(text: &str, at: usize, how: KeyMatch) -> Option<Found> {
    let bytes = text.as_bytes();
    let marker: &[u8] = if starts_with_ci(bytes, at, b"bearer ") {
        b"bearer "
    } else if how == KeyMatch::Anywhere && starts_with_ci(bytes, at, b"basic ") {
        b"basic "
    } else {
        return None;
    };
    let body = at + marker.len();
    match how {
        KeyMatch::Words => {
            if !word_start(bytes, at) {
                return None;
            }
            let run = bytes[body..].iter().take_while(|b| is_token68_byte(**b)).count();
            let pad = bytes[body + run..].iter().take_while(|b| **b == b'=').count();
            (run >= 16).then_some(Found { keep: body, end: body + run + pad })
        }
        KeyMatch::Anywhere => {
            let rest = &text[body..];
            let len =
                rest.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';')).unwrap_or(rest.len());
            (len > 0).then_some(Found { keep: body, end: body + len })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> String {
        mask_key_like(s, KeyMatch::Words).into_owned()
    }

    fn anywhere(s: &str) -> String {
        mask_key_like(s, KeyMatch::Anywhere).into_owned()
    }

    #[test]
    fn span_data_keys_are_masked_as_whole_words_only() {
        let key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx_12-34";
        assert_eq!(words(key), "<redacted>");
        assert_eq!(words(&format!("key={key};")), "key=<redacted>;");
        assert_eq!(words(&format!("\"{key}\" and \"{key}\"")), "\"<redacted>\" and \"<redacted>\"");
        assert_eq!(words(&format!("é{key}")), "é<redacted>", "after a non-ASCII letter");
        assert_eq!(words("SK-ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "<redacted>");
        for kept in [
            "task-sk-abcdefghijklmnopqrstuvwxyz",
            "risk-assessment-of-the-quarterly-plan-2024",
            "sk-learn",
            "sk-1234567890123456789",
            "the bearer of bad news",
            "Bearer short",
            "basic dXNlcjpwYXNzd29yZA==",
            "",
        ] {
            assert!(matches!(mask_key_like(kept, KeyMatch::Words), Cow::Borrowed(_)), "{kept}");
        }
        assert_eq!(
            words("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc== next"),
            "Authorization: Bearer <redacted> next"
        );
        assert_eq!(words("bearer abcdefghijklmnop"), "bearer <redacted>");
    }

    #[test]
    fn log_text_is_masked_wherever_a_key_starts() {
        assert_eq!(anywhere("provided:sk-proj-AbC_123-xyz."), "provided:<redacted>.");
        assert_eq!(anywhere("task-sk-12345678 and sk-1234567 short"), "ta<redacted> and sk-1234567 short");
        assert_eq!(anywhere("é sk-ééééééééé SK-abcdefgh"), "é sk-ééééééééé <redacted>");
        assert_eq!(anywhere("ends with sk-abc"), "ends with <redacted>");
        assert_eq!(anywhere("Authorization: Bearer abc.def-ghi, next"), "Authorization: Bearer <redacted>, next");
        assert_eq!(anywhere("basic dXNlcjpwYXNz"), "basic <redacted>");
        assert_eq!(anywhere("Bearer é\u{a0}x"), "Bearer <redacted>\u{a0}x");
        assert_eq!(anywhere("nothing secret here"), "nothing secret here");
    }
}
