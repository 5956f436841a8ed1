//! HTTP plumbing shared by the workspace's HTTP exporters (`trace-export-openai`,
//! `trace-export-otlp`): one implementation of what both need around a `POST`, so that
//! each exporter keeps only its policy (which statuses to retry, how long to back off,
//! what to log, its configuration surface).
//!
//! - [`HttpAgent`]: a pooled ureq agent with per-phase [`Timeouts`] (never a global
//!   timeout), cut to what is left of an export's budget, whose [`send`](HttpAgent::send)
//!   reads a bounded [`Reply`] or says why no answer came ([`TransportError`]).
//! - [`retry_after`], [`retry_after_ms`], [`parse_http_date`]: the wait a server asks for.
//! - [`Backoff`]: exponential backoff, parametrised by its [`Jitter`] and by what bounds a
//!   `Retry-After` ([`RetryAfterCap`]).
//! - [`Stop`]: a one-way stop flag whose [`sleep`](Stop::sleep) a shutdown cuts short.
//! - [`check_endpoint`]: an absolute `http(s)://` URL with a host, `https` only with TLS;
//!   [`is_loopback_host`] and [`CheckedEndpoint::is_insecure`] for the plain-HTTP policy;
//!   [`redact_user_info`] and [`redact_user_info_and_query`] to show an endpoint safely.
//! - [`BodyBuffer`]: a request body buffer reused from one export to the next.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use trace_http::{
//!     check_endpoint, retry_after, AgentSettings, Backoff, HttpAgent, Jitter, RetryAfterCap, Stop, Timeouts,
//! };
//!
//! // What a server asks for: seconds, or an HTTP date.
//! let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
//! assert_eq!(retry_after(Some("Sun, 06 Nov 1994 08:49:37 GMT"), now), Some(Duration::from_secs(7)));
//!
//! // Backoff: 1 s, 2 s, ... up to 30 s, plus up to 10 % jitter; a Retry-After raises a
//! // sleep, up to the maximum delay.
//! let (base, max) = (Duration::from_secs(1), Duration::from_secs(30));
//! let mut backoff = Backoff::new(base, max, Jitter::Added { fraction: 0.1 }, RetryAfterCap::MaxDelay);
//! assert!(backoff.next_sleep(None) < Duration::from_millis(1100));
//! assert_eq!(backoff.next_sleep(Some(Duration::from_secs(3600))), Duration::from_secs(30));
//!
//! // Plain http to a loopback host is fine; TLS is needed for https.
//! # let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(); // closed below
//! let url = format!("http://127.0.0.1:{port}/v1/traces");
//! let endpoint = check_endpoint(&url, false)?;
//! assert!(!endpoint.is_https() && !endpoint.is_insecure());
//!
//! // One POST: nothing listens there, which another attempt may cure.
//! let timeouts = Timeouts {
//!     connect: Duration::from_secs(1),
//!     send: Duration::from_secs(1),
//!     response: Duration::from_secs(1),
//!     body: Duration::from_secs(1),
//! };
//! let agent = HttpAgent::new(&AgentSettings {
//!     user_agent: "example/1.0",
//!     timeouts,
//!     proxy: None,
//!     resolve_timeout: None,
//! });
//! let request = agent.post(&url).header("Content-Type", "application/json");
//! let err = agent.send(request, b"{}", Duration::from_secs(5)).unwrap_err();
//! assert!(err.is_transient());
//!
//! // A shutdown cuts a backoff sleep short.
//! let stop = Stop::default();
//! stop.stop();
//! assert!(stop.sleep(Duration::from_secs(30)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//! - `rustls` (off by default): HTTPS through rustls with the webpki root certificates
//!   (ureq's `rustls` feature). The exporters' `rustls` features turn it on; each exporter
//!   still decides from its own feature whether it accepts an `https://` endpoint (see
//!   [`check_endpoint`]).
//!
//! # Dependencies
//! `ureq` (no default features: no gzip, no cookies; re-exported as [`ureq`] for the
//! types this crate's API names) and `fastrand` (jitter).

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, unreachable_pub)]

mod agent;
mod backoff;
mod buffer;
mod endpoint;
mod engine;
mod failure;
mod options;
mod policy;
mod proxy;
mod reply;
mod retry_after;
mod secrets;
mod stats;
mod stop;

pub use agent::{AgentSettings, HttpAgent, Timeouts};
pub use backoff::{Backoff, Jitter, RetryAfterCap};
pub use buffer::{BodyBuffer, KEEP_BUFFER_BYTES};
pub use endpoint::{
    check_endpoint, is_loopback_host, redact_user_info, redact_user_info_and_query, CheckedEndpoint, EndpointError,
};
pub use engine::{Engine, EngineConfig, LOGGED_BODY_CHARS};
pub use failure::{BuildError, SendFailure};
pub use options::{HasHttpOptions, HttpOptions, WithHttpOptions};
pub use policy::{ExportPolicy, LogEvent, Verdict};
pub use proxy::{proxy_for, ProxyRoute};
pub use reply::{truncate_chars, Reply, TransportError, MAX_REPLY_BODY};
pub use retry_after::{parse_http_date, retry_after, retry_after_ms};
pub use secrets::{Secrets, REDACTED};
pub use stats::ExporterStats;
pub use stop::Stop;
/// The HTTP client this crate builds on, for naming the types its API uses
/// ([`ureq::Error`], [`ureq::RequestBuilder`], [`ureq::http`]).
pub use ureq;
