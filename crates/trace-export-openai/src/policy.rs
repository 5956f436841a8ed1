//! The retry policy of the Python SDK 0.24, for trace-http's engine: which answers are
//! retried, which headers are honoured, and the backoff's shape.

use std::time::Duration;

use trace_http::{ExportPolicy, Jitter, LogEvent, Reply, RetryAfterCap, SendFailure, Verdict};

/// OpenAI's ingest endpoint, as the Python SDK treats it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OpenAiPolicy {
    /// Whether a refusal's body goes into the log and the error
    /// ([`response_data_in_logs`](crate::BackendSpanExporterBuilder::response_data_in_logs)).
    pub(crate) response_data: bool,
}

/// What stands for a refusal's body when response data is not shown.
pub(crate) const REDACTED_RESPONSE: &str = "response data is redacted (see `response_data_in_logs`)";

/// What a status means, before `x-should-retry` is taken into account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StatusClass {
    Success,
    /// 408, 409, 429, 5xx and anything else unexpected (3xx: redirects are not followed).
    Retryable,
    /// Any other 4xx: the request is wrong.
    Rejected,
}

fn classify(status: u16) -> StatusClass {
    match status {
        0..=299 => StatusClass::Success,
        408 | 409 | 429 => StatusClass::Retryable,
        400..=499 => StatusClass::Rejected,
        _ => StatusClass::Retryable,
    }
}

/// What the server's `x-should-retry` header says (any case, surrounding blanks ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerSays {
    /// `true`: retry, whatever the status.
    Retry,
    /// `false`: do not retry.
    DoNotRetry,
    /// No header, or another value: the status decides.
    Nothing,
}

fn server_says(x_should_retry: Option<&str>) -> ServerSays {
    match x_should_retry.map(str::trim) {
        Some(v) if v.eq_ignore_ascii_case("true") => ServerSays::Retry,
        Some(v) if v.eq_ignore_ascii_case("false") => ServerSays::DoNotRetry,
        _ => ServerSays::Nothing,
    }
}

impl ExportPolicy for OpenAiPolicy {
    fn label(&self) -> &'static str {
        "Tracing"
    }

    /// The status decides, unless the server says otherwise: `x-should-retry: true`
    /// retries any answer that is not a success (a 4xx too, as the JS SDK 0.20 does),
    /// `x-should-retry: false` forbids a retry. A success is a success either way.
    fn verdict(&self, reply: &Reply) -> Verdict {
        match (classify(reply.status), server_says(reply.header("x-should-retry"))) {
            (StatusClass::Success, _) => Verdict::Success,
            (_, ServerSays::Retry) | (StatusClass::Retryable, ServerSays::Nothing) => Verdict::Retry,
            (StatusClass::Retryable, ServerSays::DoNotRetry) => Verdict::RetryForbidden,
            (StatusClass::Rejected, _) => Verdict::Reject,
        }
    }

    /// The Python SDK's wording.
    fn describe(&self, event: &LogEvent<'_>) -> String {
        match event {
            LogEvent::Sent { items } => format!("Exported {items} items"),
            LogEvent::Retrying { status: Some(status @ 400..=499), .. } => {
                format!("[non-fatal] Tracing: client error {status}, retrying.")
            }
            LogEvent::Retrying { status: Some(status), .. } => {
                format!("[non-fatal] Tracing: server error {status}, retrying.")
            }
            LogEvent::Retrying { status: None, detail } => format!("[non-fatal] Tracing request failed: {detail}"),
            LogEvent::Failed { failure, items } => match failure {
                SendFailure::Rejected { status, detail } => {
                    format!("[non-fatal] Tracing client error {status}{detail}")
                }
                SendFailure::RetryForbidden { status, detail } if *status < 500 => {
                    format!("[non-fatal] Tracing client error {status} (x-should-retry: false){detail}")
                }
                SendFailure::RetryForbidden { status, .. } => {
                    format!("[non-fatal] Tracing: server forbade retry for {status}.")
                }
                SendFailure::RetriesExhausted { .. } => {
                    format!("[non-fatal] Tracing: max retries reached, giving up on this batch ({items} items).")
                }
                SendFailure::BudgetExhausted { .. } => {
                    format!("[non-fatal] Tracing: export time budget reached, giving up on {items} items: {failure}")
                }
                SendFailure::BadRequest(text) => format!("[non-fatal] Tracing request could not be made: {text}"),
                other => format!("[non-fatal] Tracing: {other}; {items} items not exported"),
            },
            LogEvent::Interrupted => {
                "[non-fatal] Tracing: shutdown requested during retry backoff, giving up.".to_owned()
            }
            _ => String::new(),
        }
    }

    /// The body as text when response data is shown, else [`REDACTED_RESPONSE`].
    fn detail(&self, reply: &Reply) -> String {
        if self.response_data {
            reply.body_text()
        } else {
            REDACTED_RESPONSE.to_owned()
        }
    }

    /// As the Python SDK reads them: OpenAI's `retry-after-ms` when it is a number of at
    /// least 0 (an infinite one then means no hint, and `Retry-After` is not read), else
    /// the standard `Retry-After`.
    fn retry_after(&self, reply: &Reply) -> Option<Duration> {
        match reply.header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
            Some(ms) if ms >= 0.0 => reply.retry_after_ms(),
            _ => reply.retry_after(),
        }
    }

    /// The Python SDK's: `delay + uniform(0, delay / 10)`.
    fn jitter(&self) -> Jitter {
        Jitter::Added { fraction: 0.1 }
    }

    /// A `Retry-After` is capped at the maximum delay, so a large value cannot stall the
    /// exporter.
    fn retry_after_cap(&self) -> RetryAfterCap {
        RetryAfterCap::MaxDelay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_in_python() {
        for s in [408, 409, 429, 300, 302, 500, 502, 503, 599] {
            assert_eq!(classify(s), StatusClass::Retryable, "{s}");
        }
        for s in [400, 401, 403, 404, 413, 422, 499] {
            assert_eq!(classify(s), StatusClass::Rejected, "{s}");
        }
        for s in [200, 201, 204] {
            assert_eq!(classify(s), StatusClass::Success, "{s}");
        }
    }

    #[test]
    fn the_server_header_is_read_as_true_false_or_nothing() {
        assert_eq!(server_says(None), ServerSays::Nothing);
        assert_eq!(server_says(Some("no")), ServerSays::Nothing);
        assert_eq!(server_says(Some("true")), ServerSays::Retry);
        assert_eq!(server_says(Some(" TRUE ")), ServerSays::Retry);
        assert_eq!(server_says(Some("false")), ServerSays::DoNotRetry);
        assert_eq!(server_says(Some(" FALSE ")), ServerSays::DoNotRetry);
    }

    #[test]
    fn retry_after_ms_decides_when_it_is_a_number_as_in_python() {
        let wait = |ms: Option<&str>, secs: Option<&str>| {
            let mut headers = ureq::http::HeaderMap::new();
            for (name, value) in [("retry-after-ms", ms), ("retry-after", secs)] {
                if let Some(v) = value {
                    headers.insert(name, v.parse().unwrap());
                }
            }
            let reply = Reply::new(429, headers, Vec::new());
            OpenAiPolicy::default().retry_after(&reply)
        };
        assert_eq!(wait(Some("1500"), Some("9")), Some(Duration::from_millis(1500)));
        assert_eq!(wait(None, Some("9")), Some(Duration::from_secs(9)));
        // Not a number of at least 0: the standard header is read.
        for ms in ["junk", "-5", "NaN"] {
            assert_eq!(wait(Some(ms), Some("9")), Some(Duration::from_secs(9)), "{ms}");
        }
        // Infinite: a number, so it decides, and it is no hint (Python: `None`).
        assert_eq!(wait(Some("inf"), Some("9")), None);
    }

    #[test]
    fn the_backoff_is_pythons_with_retry_after_capped_at_the_maximum() {
        let mut b = OpenAiPolicy::default().backoff(Duration::from_secs(1), Duration::from_secs(30));
        assert_eq!(b.next_sleep_with(0.5, None), Duration::from_millis(1050));
        assert_eq!(b.next_sleep_with(0.0, Some(Duration::from_secs(3600))), Duration::from_secs(30));
    }
}
