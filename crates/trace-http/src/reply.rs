//! What came back from one request: a [`Reply`] (status, headers, the start of the body),
//! or a [`TransportError`] when no answer came.

use std::fmt;
use std::io::Read;
use std::time::{Duration, SystemTime};

use ureq::http::{HeaderMap, Response};
use ureq::Body;

use crate::retry_after::{retry_after, retry_after_ms};

/// How much of a response body is read by default: enough for an error message or a
/// usual OTLP answer (partial success or a `Status`), and to reuse the connection after a
/// usual answer. An [`ExportPolicy`](crate::ExportPolicy) may read more
/// ([`max_reply_body`](crate::ExportPolicy::max_reply_body)).
pub const MAX_REPLY_BODY: u64 = 64 * 1024;

/// What the server answered. Any status comes back as a reply, redirects included (they
/// are not followed). Made by [`read`](Self::read), or [`new`](Self::new) (a test's
/// policy check).
#[derive(Debug)]
#[non_exhaustive]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The start of the body: up to [`MAX_REPLY_BODY`] bytes, or the limit the send was
    /// given.
    pub body: Vec<u8>,
    /// Whether the body ran past that limit: `body` holds its start only.
    pub truncated: bool,
    /// When the response headers had arrived: what a `Retry-After` date is counted from.
    pub received_at: SystemTime,
}

impl Reply {
    /// A reply with `status`, `headers` and the whole of `body`, received now.
    pub fn new(status: u16, headers: HeaderMap, body: Vec<u8>) -> Self {
        Reply { status, headers, body, truncated: false, received_at: SystemTime::now() }
    }

    /// Reads the status, the headers and up to [`MAX_REPLY_BODY`] bytes of the body, which
    /// lets the connection be reused after a usual answer.
    pub fn read(response: Response<Body>) -> Self {
        Self::read_limited(response, MAX_REPLY_BODY)
    }

    /// [`read`](Self::read) with up to `limit` bytes of the body. One byte more is read to
    /// tell a body of exactly `limit` bytes from a longer one ([`truncated`](Self::truncated)).
    /// A connection whose body was not read to its end is not reused.
    pub fn read_limited(response: Response<Body>, limit: u64) -> Self {
        let received_at = SystemTime::now();
        let (parts, mut body_reader) = response.into_parts();
        let mut body = Vec::new();
        let _ = body_reader.as_reader().take(limit.saturating_add(1)).read_to_end(&mut body);
        let truncated = body.len() as u64 > limit;
        if truncated {
            body.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        }
        Reply { status: parts.status.as_u16(), headers: parts.headers, body, truncated, received_at }
    }

    /// The value of a header (any case of its name), if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the status is a success (`200..=299`).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The wait `Retry-After` asks for (see [`retry_after`](crate::retry_after)).
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(self.header("retry-after"), self.received_at)
    }

    /// The wait `retry-after-ms` asks for (see [`retry_after_ms`](crate::retry_after_ms)).
    pub fn retry_after_ms(&self) -> Option<Duration> {
        retry_after_ms(self.header("retry-after-ms"))
    }

    /// The body as text (invalid UTF-8 replaced), for a log line.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why no answer came.
#[derive(Debug)]
pub struct TransportError {
    /// ureq's error. Its text may quote the URL: scrub it before logging.
    pub error: ureq::Error,
}

impl TransportError {
    /// Whether another attempt may succeed: network trouble, timeouts, a broken answer.
    /// A URL or header that ureq refuses will be refused again.
    pub fn is_transient(&self) -> bool {
        !matches!(
            self.error,
            ureq::Error::BadUri(_)
                | ureq::Error::Http(_)
                | ureq::Error::InvalidProxyUrl
                | ureq::Error::RedirectFailed
                | ureq::Error::TooManyRedirects
                | ureq::Error::BodyExceedsLimit(_)
        )
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// `text` cut to at most `max` characters, for a log line; a cut text ends with
/// `... [N bytes in all]`.
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}... [{} bytes in all]", &text[..cut], text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("héllo", 10), "héllo");
        assert_eq!(truncate_chars("héllo", 5), "héllo");
        assert_eq!(truncate_chars("héllo", 2), "hé... [6 bytes in all]");
        assert_eq!(truncate_chars("", 0), "");
    }

    #[test]
    fn transient_errors() {
        assert!(TransportError { error: ureq::Error::ConnectionFailed }.is_transient());
        assert!(TransportError { error: ureq::Error::HostNotFound }.is_transient());
        assert!(!TransportError { error: ureq::Error::BadUri("x".into()) }.is_transient());
        assert!(!TransportError { error: ureq::Error::TooManyRedirects }.is_transient());
    }
}
