//! The OTLP/HTTP retry policy, for trace-http's engine: which answers are retried, and
//! the backoff's shape.

use serde_json::Value;
use trace_http::{redact_user_info_and_query, ExportPolicy, Jitter, Reply, RetryAfterCap, Verdict};

/// The OTLP specification's rules.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OtlpPolicy;

/// The most bytes of a collector's answer read: the 4 MiB the OTLP specification
/// recommends ("OTLP/HTTP Response"). A longer answer fails the export without a retry and
/// its spans are counted in `ExporterStats::reply_too_large`.
pub const MAX_OTLP_REPLY_BODY: u64 = 4 * 1024 * 1024;

/// Whether a status that is not a success (outside 200..=299) may succeed on a retry.
///
/// The OTLP specification lists 429, 502, 503 and 504 as retryable; every other status
/// (400, 401, 403, 404, 413, 500, a redirect, ...) means the same request would fail again.
fn is_retryable(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

impl ExportPolicy for OtlpPolicy {
    fn label(&self) -> &'static str {
        "OTLP export"
    }

    fn max_reply_body(&self) -> u64 {
        MAX_OTLP_REPLY_BODY
    }

    /// A reply larger than [`MAX_OTLP_REPLY_BODY`] is a failure, whatever its status: the
    /// specification says the client MUST treat it as a non-retryable error.
    fn verdict(&self, reply: &Reply) -> Verdict {
        if reply.truncated {
            return Verdict::ReplyTooLarge;
        }
        match reply.status {
            200..=299 => Verdict::Success,
            s if is_retryable(s) => Verdict::Retry,
            _ => Verdict::Reject,
        }
    }

    /// Each sleep is drawn uniformly between half and one and a half times the delay.
    fn jitter(&self) -> Jitter {
        Jitter::Scaled { low: 0.5, high: 1.5 }
    }

    /// A `Retry-After` is honoured in full; the export budget bounds it.
    fn retry_after_cap(&self) -> RetryAfterCap {
        RetryAfterCap::Budget
    }

    /// The `message` of an OTLP `Status` (a protobuf `google.rpc.Status` when the answer
    /// says `application/x-protobuf`, else JSON), the start of the body as text, or where a
    /// redirect pointed.
    fn detail(&self, reply: &Reply) -> String {
        match reply.header("location") {
            Some(to) if (300..400).contains(&reply.status) => {
                format!("redirect to {} not followed; configure that URL", redact_user_info_and_query(to))
            }
            _ => {
                let protobuf = reply.header("content-type").is_some_and(|t| t.contains("protobuf"));
                let decoded = if protobuf { crate::protobuf::status_message(&reply.body) } else { None };
                decoded.or_else(|| status_message(&reply.body)).unwrap_or_default()
            }
        }
    }
}

/// The message of an error answer: the `message` of an OTLP `Status` in JSON, else the
/// body as text; `None` for an empty body.
fn status_message(body: &[u8]) -> Option<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let from_json = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned));
    Some(from_json.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()))
}

/// `rejectedSpans` and `errorMessage` of an `ExportTraceServiceResponse`, when the body is
/// one with `partialSuccess` set. `rejectedSpans` is an int64: a string in OTLP/JSON, a
/// number from some servers (`2.0` too); both are read. A count that is neither (or
/// negative: a broken collector) is no rejection, as in the protobuf reading, and the
/// message is still reported.
pub(crate) fn partial_success(body: &[u8]) -> Option<(usize, String)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let partial = value.get("partialSuccess")?;
    let count = |f: f64| if f.is_finite() && f > 0.0 { f as u64 } else { 0 };
    let rejected = match partial.get("rejectedSpans") {
        Some(Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(n) => n.max(0).unsigned_abs(),
            Err(_) => s.trim().parse::<f64>().map_or(0, count),
        },
        Some(Value::Number(n)) => n.as_u64().or_else(|| n.as_f64().map(count)).unwrap_or(0),
        _ => 0,
    };
    let message = partial.get("errorMessage").and_then(Value::as_str).unwrap_or("").to_owned();
    Some((usize::try_from(rejected).unwrap_or(usize::MAX), message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use trace_http::truncate_chars;

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
    fn the_backoff_spreads_half_to_one_and_a_half_and_leaves_retry_after_uncapped() {
        let mut b = OtlpPolicy.backoff(Duration::from_secs(1), Duration::from_secs(5));
        assert_eq!(b.next_sleep_with(0.0, None), Duration::from_millis(500));
        assert_eq!(b.next_sleep_with(0.5, Some(Duration::from_secs(60))), Duration::from_secs(60));
    }

    #[test]
    fn partial_success_bodies() {
        assert_eq!(partial_success(b""), None);
        assert_eq!(partial_success(b"{}"), None);
        assert_eq!(
            partial_success(br#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too old"}}"#),
            Some((3, "too old".to_owned()))
        );
        assert_eq!(partial_success(br#"{"partialSuccess":{"rejectedSpans":2}}"#), Some((2, String::new())));
        assert_eq!(partial_success(br#"{"partialSuccess":{"errorMessage":"w"}}"#), Some((0, "w".to_owned())));
        // Counts some servers write as floats are read; a count that is no number is no
        // rejection, and the message still comes through.
        assert_eq!(partial_success(br#"{"partialSuccess":{"rejectedSpans":2.0}}"#), Some((2, String::new())));
        assert_eq!(partial_success(br#"{"partialSuccess":{"rejectedSpans":"4.0"}}"#), Some((4, String::new())));
        assert_eq!(
            partial_success(br#"{"partialSuccess":{"rejectedSpans":"many","errorMessage":"w"}}"#),
            Some((0, "w".to_owned()))
        );
        assert_eq!(partial_success(br#"{"partialSuccess":{"rejectedSpans":-1.5}}"#), Some((0, String::new())));
    }

    #[test]
    fn status_messages() {
        assert_eq!(status_message(b"  "), None);
        assert_eq!(status_message(br#"{"code":3,"message":"bad span"}"#).as_deref(), Some("bad span"));
        assert_eq!(status_message(b"plain text\n").as_deref(), Some("plain text\n"));
        assert!(truncate_chars(&status_message(&[b'x'; 2000]).unwrap(), 512).ends_with("[2000 bytes in all]"));
    }
}
