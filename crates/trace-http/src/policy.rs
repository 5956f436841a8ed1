//! [`ExportPolicy`]: what an exporter decides about the answers it gets; the engine does
//! the rest.

use std::time::Duration;

use crate::backoff::{Backoff, Jitter, RetryAfterCap};
use crate::failure::SendFailure;
use crate::reply::{Reply, MAX_REPLY_BODY};

/// Something the engine logs; the policy words it ([`ExportPolicy::describe`]).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum LogEvent<'a> {
    /// The request was delivered (logged at `debug`).
    Sent {
        /// Items in it.
        items: usize,
    },
    /// An attempt failed and another follows (`warn`, rate-limited): with the status of
    /// the answer, or `None` and the scrubbed transport error.
    Retrying {
        /// The status, when an answer came.
        status: Option<u16>,
        /// What went wrong, scrubbed.
        detail: &'a str,
    },
    /// The request failed for good (`error`, rate-limited).
    Failed {
        /// Why.
        failure: &'a SendFailure,
        /// Items in it.
        items: usize,
    },
    /// A shutdown cut a backoff sleep short (`warn`).
    Interrupted,
}

/// What to do with an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Delivered.
    Success,
    /// Worth another attempt (after a backoff sleep), attempts and budget permitting.
    Retry,
    /// The request is wrong: another attempt would fail the same way.
    Reject,
    /// Retryable, but the server asked not to retry (`x-should-retry: false`).
    RetryForbidden,
    /// The answer's body ran past the policy's
    /// [`max_reply_body`](ExportPolicy::max_reply_body) ([`Reply::truncated`]): a failure,
    /// not retried, as the OTLP specification asks of a reply over the client's limit.
    ReplyTooLarge,
}

/// An exporter's rules for the [`Engine`](crate::Engine)'s one send-with-retries loop.
pub trait ExportPolicy {
    /// The prefix of this exporter's log lines, such as `Tracing` or `OTLP export`.
    fn label(&self) -> &'static str;

    /// What to do with `reply`.
    fn verdict(&self, reply: &Reply) -> Verdict;

    /// How many bytes of an answer's body are read; [`Reply::truncated`] says when there
    /// was more, and [`verdict`](Self::verdict) may then answer [`Verdict::ReplyTooLarge`].
    /// Default: [`MAX_REPLY_BODY`] (64 KiB).
    fn max_reply_body(&self) -> u64 {
        MAX_REPLY_BODY
    }

    /// How long the server asks to wait before the next attempt. Default: its
    /// `Retry-After` (seconds or an HTTP date).
    fn retry_after(&self, reply: &Reply) -> Option<Duration> {
        reply.retry_after()
    }

    /// How backoff sleeps are spread around their delay.
    fn jitter(&self) -> Jitter;

    /// What bounds a sleep that `Retry-After` raised.
    fn retry_after_cap(&self) -> RetryAfterCap;

    /// The backoff of one export under this policy: from `base` up to `max`, with this
    /// policy's [`jitter`](Self::jitter) and [`retry_after_cap`](Self::retry_after_cap).
    fn backoff(&self, base: Duration, max: Duration) -> Backoff {
        Backoff::new(base, max, self.jitter(), self.retry_after_cap())
    }

    /// The text of a log line (without the held-back count the engine may append). The
    /// default names the exporter by its [`label`](Self::label).
    fn describe(&self, event: &LogEvent<'_>) -> String {
        let label = self.label();
        match event {
            LogEvent::Sent { items } => format!("{label}: {items} item(s) sent"),
            LogEvent::Retrying { status: Some(status), .. } => format!("[non-fatal] {label}: HTTP {status}, retrying"),
            LogEvent::Retrying { status: None, detail } => {
                format!("[non-fatal] {label}: request failed: {detail}; retrying")
            }
            LogEvent::Failed { failure, items } => {
                format!("[non-fatal] {label}: {failure}; {items} item(s) not delivered")
            }
            LogEvent::Interrupted => format!("[non-fatal] {label}: shutdown requested during retry backoff, giving up"),
        }
    }

    /// What the server said in a refusal, for the error and the log (the engine scrubs it
    /// of secrets, then cuts it). Default: the body as text.
    fn detail(&self, reply: &Reply) -> String {
        reply.body_text()
    }
}
