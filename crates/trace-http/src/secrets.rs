//! Taking secrets out of text before it is logged or put in an error.

use std::fmt;

/// What replaces a secret (trace-core's, shared with the span redactor).
pub use trace_core::redact::REDACTED;
use trace_core::redact::{mask_key_like, KeyMatch};

/// Secrets shorter than this are not searched for: too likely to match ordinary text, and
/// too short to be a real credential.
const MIN_SECRET_LEN: usize = 4;

/// The secrets of one exporter, and the one way text is taken clean of them before it is
/// logged or put in an error. `Debug` shows how many, never which.
///
/// Text from a server (an error body that quotes the key), from ureq (an error that quotes
/// the URL) or built from either goes through [`Secrets::scrub`] **whole**, before any cut:
/// a key that straddles a cut point would otherwise survive as a fragment that no exact
/// match finds. The rules, in order:
///
/// 1. every secret the exporter holds (its API key, the per-trace key of the request,
///    credential header values and the token of a `<scheme> <token>` value, the
///    endpoint's user info and query) is replaced wherever
///    it occurs, and a prefix of one (4 characters or more) that ends the text, as a body
///    cut at its read limit does, is replaced too;
/// 2. tokens that look like keys are replaced wherever they start, glued to other text
///    or not: `sk-` followed by 8 or more of `[A-Za-z0-9_-]` (or by any such run at the
///    very end of the text), and the credential after `Bearer ` or `Basic `.
///
/// Each replacement is the text `<redacted>`.
#[derive(Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} held)", self.values.len())
    }
}

impl Secrets {
    /// No secret yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret (ignored when shorter than 4 characters).
    pub fn add(&mut self, secret: impl Into<String>) {
        let secret = secret.into();
        if secret.len() >= MIN_SECRET_LEN && !self.values.contains(&secret) {
            self.values.push(secret);
        }
    }

    /// Adds a credential header's value: the value whole, and, for a value of the form
    /// `<scheme> <token>` (`Api-Token dt0c01.ABC…`, `ApiKey abc…`, `Bearer abc…`), the token
    /// alone when it has 8 characters or more, which a server may quote without its scheme
    /// (a shorter second word, as in `deploy prod`, is more likely plain text).
    pub fn add_credential(&mut self, value: impl Into<String>) {
        let value = value.into();
        if let Some((_, token)) = value.trim().split_once(char::is_whitespace) {
            let token = token.trim();
            if token.len() >= 8 {
                self.add(token);
            }
        }
        self.add(value);
    }

    /// `text` with every secret held, `extra` (a per-request key), and every key-like
    /// token replaced by `<redacted>`; see [`Secrets`].
    ///
    /// ```
    /// use trace_http::Secrets;
    ///
    /// let mut secrets = Secrets::new();
    /// secrets.add("0123456789abcdef0123456789abcdef");
    /// // A key glued to text, and one cut off at the end of the text.
    /// let text = "Incorrect API key provided:sk-proj-AAAABBBBCCCC. Key 0123456789abcdef0123";
    /// assert_eq!(secrets.scrub(text, None), "Incorrect API key provided:<redacted>. Key <redacted>");
    /// ```
    pub fn scrub(&self, text: &str, extra: Option<&str>) -> String {
        let mut out = text.to_owned();
        for secret in self.values.iter().map(String::as_str).chain(extra.filter(|e| e.len() >= MIN_SECRET_LEN)) {
            out = replace_secret(&out, secret);
        }
        redact_key_like(&out)
    }
}

/// `text` with `secret` replaced, and a prefix of it ending the text.
fn replace_secret(text: &str, secret: &str) -> String {
    let mut out = text.replace(secret, REDACTED);
    // The longest prefix of `secret` (at least MIN_SECRET_LEN) that ends the text.
    let longest = secret.len().min(out.len());
    for len in (MIN_SECRET_LEN..=longest).rev() {
        if !secret.is_char_boundary(len) {
            continue;
        }
        if out.ends_with(&secret[..len]) {
            let cut = out.len() - len;
            out.truncate(cut);
            out.push_str(REDACTED);
            break;
        }
    }
    out
}

/// `text` with key-like tokens replaced: `sk-` keys wherever they start, and the
/// credential of `Bearer`/`Basic` (trace-core's one matcher, in its eager form for text
/// that may have been cut anywhere).
pub(crate) fn redact_key_like(text: &str) -> String {
    mask_key_like(text, KeyMatch::Anywhere).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(values: &[&str]) -> Secrets {
        let mut s = Secrets::new();
        for v in values {
            s.add(*v);
        }
        s
    }

    #[test]
    fn held_secrets_are_replaced_everywhere_and_at_a_cut_end() {
        let key = "0123456789abcdef0123456789abcdef";
        let s = held(&[key]);
        assert_eq!(s.scrub(&format!("a {key} b {key}"), None), "a <redacted> b <redacted>");
        // Cut anywhere inside the key, 4 characters or more of it left: nothing of it stays.
        for kept in 4..key.len() {
            let text = format!("Incorrect API key provided: {}", &key[..kept]);
            let out = s.scrub(&text, None);
            assert_eq!(out, "Incorrect API key provided: <redacted>", "{kept}");
        }
        assert_eq!(s.scrub("x", Some("per-trace-key")), "x");
        assert_eq!(s.scrub("the per-trace-key!", Some("per-trace-key")), "the <redacted>!");
        assert_eq!(s.scrub("short abc", Some("abc")), "short abc", "too short to be a secret");
    }

    #[test]
    fn key_like_tokens_are_found_wherever_they_start() {
        let s = Secrets::new();
        assert_eq!(s.scrub("provided:sk-proj-AbC_123-xyz.", None), "provided:<redacted>.");
        assert_eq!(s.scrub("task-sk-12345678 and sk-1234567 short", None), "ta<redacted> and sk-1234567 short");
        assert_eq!(s.scrub("é sk-ééééééééé SK-abcdefgh", None), "é sk-ééééééééé <redacted>");
        assert_eq!(s.scrub("ends with sk-abc", None), "ends with <redacted>", "a key cut at the end");
        assert_eq!(s.scrub("Authorization: Bearer abc.def-ghi, next", None), "Authorization: Bearer <redacted>, next");
        assert_eq!(s.scrub("basic dXNlcjpwYXNz", None), "basic <redacted>");
        assert_eq!(s.scrub("nothing secret here", None), "nothing secret here");
        assert_eq!(s.scrub("", None), "");
    }

    #[test]
    fn a_scheme_and_token_credential_holds_its_token_too_when_it_is_long_enough() {
        let mut s = Secrets::new();
        s.add_credential("Api-Token  dt0c01.ABCDEFGH ");
        s.add_credential("deploy prod");
        s.add_credential("single-word-value");
        assert_eq!(s.scrub("token dt0c01.ABCDEFGH is invalid", None), "token <redacted> is invalid");
        assert_eq!(s.scrub("deploy prod failed in prod", None), "<redacted> failed in prod");
        assert_eq!(s.scrub("bad single-word-value", None), "bad <redacted>");
        assert_eq!(format!("{s:?}"), "Secrets(4 held)");
    }

    #[test]
    fn debug_shows_no_secret() {
        let s = held(&["hunter2-secret"]);
        assert_eq!(format!("{s:?}"), "Secrets(1 held)");
    }
}
