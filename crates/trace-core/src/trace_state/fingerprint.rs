//! What a saved trace state keeps of the trace's API key: a fingerprint to check the key
//! the resuming side gives, never the key.
//!
//! The fingerprint is 64-bit FNV-1a of a fixed domain string, a random 64-bit salt drawn
//! for each saved state, and the key, written `fnv1a64:<salt>:<hash>` (16 hex digits
//! each). What it is for, and what it is not:
//!
//! - It tells a mismatch: a resume with another key, or with none, is seen (the odds of a
//!   wrong key passing are 1 in 2^64).
//! - It does not give the key back: 64 bits cannot hold a key of far more entropy
//!   (an OpenAI key has hundreds of random bits), and countless keys share each
//!   fingerprint. The salt makes two states of one key look unrelated and rules out
//!   tables computed in advance.
//! - It is **not a secret and not a proof**. FNV is fast and not cryptographic: whoever
//!   holds a candidate key can test it against the fingerprint at once, and whoever can
//!   choose a key can make one that matches. It catches mistakes; it authenticates no one.
//!   Keep saved states with the rest of a run's data, not in public. (The Python SDK
//!   stores a SHA-256 of the key instead; this crate has no hashing dependency, so it
//!   cannot compute one, and reads one as a fingerprint it cannot check.)

use std::fmt;

use crate::fnv::{fnv1a_64, fnv1a_64_more};
use crate::ids::lower_hex;
use crate::secret::ApiKey;

/// Hashed before the salt and the key, so that this fingerprint is never the FNV hash of
/// the key computed for anything else.
const DOMAIN: &[u8] = b"agents-tracing/trace-state/tracing-api-key-fingerprint/v1\0";

/// The text form's scheme.
const SCHEME: &str = "fnv1a64";

/// What a saved state knows of the per-trace API key.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum KeyCheck {
    /// The trace had no per-trace key.
    NoKey,
    /// The fingerprint of the key.
    Fnv {
        /// Drawn at random for each saved state.
        salt: u64,
        /// FNV-1a-64 of the domain, the salt (8 bytes, big-endian) and the key.
        hash: u64,
    },
    /// A fingerprint this crate cannot check (the Python SDK's SHA-256, another scheme),
    /// kept to be written back under the same key of the JSON object.
    Unverifiable {
        /// The JSON key it was read from.
        field: &'static str,
        /// Its text.
        value: String,
    },
}

impl KeyCheck {
    /// The check for `key` (`None`, or an empty key: no key), with a new random salt.
    pub(crate) fn of(key: Option<&ApiKey>) -> Self {
        match key.filter(|k| !k.is_empty()) {
            None => KeyCheck::NoKey,
            Some(key) => {
                let salt = fastrand::u64(..);
                KeyCheck::Fnv { salt, hash: hash(salt, key) }
            }
        }
    }

    /// Reads the text form `fnv1a64:<16 hex>:<16 hex>`; `None` for any other text.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let (scheme, salt, hash) = (parts.next()?, parts.next()?, parts.next()?);
        if scheme != SCHEME || parts.next().is_some() {
            return None;
        }
        let hex = |s: &str| lower_hex(s.as_bytes(), 16).map(|v| v as u64);
        Some(KeyCheck::Fnv { salt: hex(salt)?, hash: hex(hash)? })
    }

    /// Whether `key` (`None` or empty: no key) is the key this check was made from.
    pub(crate) fn matches(&self, key: Option<&ApiKey>) -> Result<(), Mismatch> {
        let key = key.filter(|k| !k.is_empty());
        match (self, key) {
            (KeyCheck::NoKey, None) => Ok(()),
            (KeyCheck::NoKey, Some(_)) => Err(Mismatch::UnexpectedKey),
            (KeyCheck::Fnv { .. }, None) => Err(Mismatch::KeyMissing),
            (KeyCheck::Fnv { salt, hash: expected }, Some(key)) => {
                if hash(*salt, key) == *expected {
                    Ok(())
                } else {
                    Err(Mismatch::WrongKey)
                }
            }
            (KeyCheck::Unverifiable { .. }, _) => Err(Mismatch::Uncheckable),
        }
    }
}

/// How a key fails its check (see `ResumeError` for what each means to a user).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mismatch {
    KeyMissing,
    UnexpectedKey,
    WrongKey,
    Uncheckable,
}

fn hash(salt: u64, key: &ApiKey) -> u64 {
    fnv1a_64_more(fnv1a_64_more(fnv1a_64(DOMAIN), &salt.to_be_bytes()), key.expose().as_bytes())
}

impl fmt::Display for KeyCheck {
    /// The text saved in the state; empty for no key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyCheck::NoKey => Ok(()),
            KeyCheck::Fnv { salt, hash } => write!(f, "{SCHEME}:{salt:016x}:{hash:016x}"),
            KeyCheck::Unverifiable { value, .. } => f.write_str(value),
        }
    }
}

impl fmt::Debug for KeyCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyCheck::NoKey => f.write_str("NoKey"),
            other => write!(f, "KeyCheck({other})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-proj-0123456789abcdefghijklmnopqrstuvwxyz";

    #[test]
    fn the_same_key_matches_and_others_do_not() {
        let key = ApiKey::from(KEY);
        let check = KeyCheck::of(Some(&key));
        assert_eq!(check.matches(Some(&key)), Ok(()));
        assert_eq!(check.matches(Some(&ApiKey::from("sk-proj-other"))), Err(Mismatch::WrongKey));
        assert_eq!(check.matches(None), Err(Mismatch::KeyMissing));
        assert_eq!(check.matches(Some(&ApiKey::from(""))), Err(Mismatch::KeyMissing));
        let none = KeyCheck::of(None);
        assert_eq!(none, KeyCheck::NoKey);
        assert_eq!(KeyCheck::of(Some(&ApiKey::from(""))), KeyCheck::NoKey, "an empty key is no key");
        assert_eq!(none.matches(None), Ok(()));
        assert_eq!(none.matches(Some(&key)), Err(Mismatch::UnexpectedKey));
        let python = KeyCheck::Unverifiable { field: "tracing_api_key_hash", value: "ab".repeat(32) };
        assert_eq!(python.matches(Some(&key)), Err(Mismatch::Uncheckable));
        assert_eq!(python.matches(None), Err(Mismatch::Uncheckable));
    }

    #[test]
    fn the_text_form_reads_back_and_holds_nothing_of_the_key() {
        let key = ApiKey::from(KEY);
        let check = KeyCheck::of(Some(&key));
        let text = check.to_string();
        assert!(text.starts_with("fnv1a64:") && text.len() == 8 + 16 + 1 + 16, "{text}");
        assert!(!text.contains("sk-") && !text.contains("0123456789abcdef"), "{text}");
        assert_eq!(KeyCheck::parse(&text), Some(check.clone()));
        assert_eq!(KeyCheck::parse(&text).unwrap().matches(Some(&key)), Ok(()));
        assert!(!format!("{check:?}").contains("sk-"));
        for bad in ["", "fnv1a64", "fnv1a64:00", "sha256:0000000000000000:0000000000000000", &format!("{text}:00")] {
            assert_eq!(KeyCheck::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn each_state_gets_its_own_salt() {
        let key = ApiKey::from(KEY);
        let (a, b) = (KeyCheck::of(Some(&key)), KeyCheck::of(Some(&key)));
        assert_ne!(a.to_string(), b.to_string(), "two fingerprints of one key look unrelated");
        assert_eq!((a.matches(Some(&key)), b.matches(Some(&key))), (Ok(()), Ok(())));
    }

    #[test]
    fn the_hash_is_fnv1a_of_domain_salt_and_key() {
        let key = ApiKey::from("k");
        let mut bytes = DOMAIN.to_vec();
        bytes.extend_from_slice(&7u64.to_be_bytes());
        bytes.push(b'k');
        assert_eq!(hash(7, &key), fnv1a_64(&bytes));
    }
}
