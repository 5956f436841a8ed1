//! The export engine of the workspace's HTTP exporters (`trace-export-openai`,
//! `trace-export-otlp`): one implementation of everything around a `POST`, so that each
//! exporter keeps only its policy (which statuses retry, which headers it honours, how it
//! words its log lines) and its body encoding.
//!
//! **Should I use this crate?** Only to write another HTTP exporter for this workspace:
//! it is the export engine the OpenAI and OTLP exporters share. An application never
//! needs it directly; it configures the exporters through their builders and
//! [`WithHttpOptions`].
//!
//! - [`Engine`]: built from an [`EngineConfig`] and [`HttpOptions`]; checks the endpoint
//!   and the route to it (proxy from the environment, [`proxy_for`]; plain http refused
//!   off this machine when credentials travel), then runs the one send-with-retries loop
//!   ([`Engine::send`]) that an exporter's [`ExportPolicy`] steers, within a time budget,
//!   interruptible by a shutdown, counting every item ([`ExporterStats`]) and failing
//!   with one error type ([`SendFailure`]; [`BuildError`] at build time).
//! - [`HttpOptions`] and [`WithHttpOptions`]: the knobs every HTTP exporter has, mixed
//!   into each builder, with the same names everywhere.
//! - [`CONCURRENT_EXPORTS`]: how many exports a batch processor runs at once in front of
//!   these exporters by default (2), and [`BodyBuffer`], which keeps a body buffer for each.
//! - [`Secrets`]: the one way text from a server or from ureq is cleaned of credentials,
//!   whole, before any cut.
//! - The pieces the engine is made of, public for tests and other exporters:
//!   [`HttpAgent`] (a pooled ureq agent with per-phase [`Timeouts`], a whole-request
//!   timeout only on an attempt that could outlast what is left of the budget, reading a
//!   bounded [`Reply`]; a request's head goes out in one write with its body, so a
//!   server wakes once per request, not twice), [`retry_after`], [`retry_after_ms`] and
//!   [`parse_http_date`], [`Backoff`] with its [`Jitter`] and [`RetryAfterCap`], [`Stop`]
//!   (a stop flag whose sleep a shutdown cuts short), [`check_endpoint`] and
//!   [`is_loopback_host`], [`redact_user_info`] and [`redact_user_info_and_query`],
//!   [`BodyBuffer`], [`PreparedRequest`].
//!
//! ```
//! use std::time::Duration;
//! use trace_http::{
//!     Engine, EngineConfig, ExportPolicy, HttpOptions, Jitter, Reply, RetryAfterCap, SendFailure, Timeouts, Verdict,
//! };
//!
//! /// An exporter's policy: 2xx delivers, 503 is worth another attempt, the rest is final.
//! struct MyPolicy;
//! impl ExportPolicy for MyPolicy {
//!     fn label(&self) -> &'static str {
//!         "my-exporter"
//!     }
//!     fn verdict(&self, reply: &Reply) -> Verdict {
//!         match reply.status {
//!             200..=299 => Verdict::Success,
//!             503 => Verdict::Retry,
//!             _ => Verdict::Reject,
//!         }
//!     }
//!     fn jitter(&self) -> Jitter {
//!         Jitter::Added { fraction: 0.1 }
//!     }
//!     fn retry_after_cap(&self) -> RetryAfterCap {
//!         RetryAfterCap::MaxDelay
//!     }
//! }
//!
//! # let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(); // closed below
//! let endpoint = format!("http://127.0.0.1:{port}/ingest");
//! let config = EngineConfig::new("my-exporter", "my_exporter", "my-exporter/1.0", false, endpoint)
//!     .credentials(["my-api-key-1234"]);
//! let ms = Duration::from_millis;
//! let options = HttpOptions {
//!     timeouts: Timeouts { connect: ms(500), send: ms(500), response: ms(500), body: ms(500) },
//!     resolve_timeout: None,
//!     max_attempts: 2,
//!     base_delay: ms(10),
//!     max_delay: ms(50),
//!     export_budget: Duration::from_secs(5),
//!     export_budget_set: false,
//!     proxy_from_env: false,
//!     allow_insecure_http: false,
//!     tls: Default::default(),
//! };
//! let engine = Engine::build(config, &options)?;
//!
//! // Nothing listens there: two attempts, then the failure, every item counted.
//! let headers = [("Authorization", "Bearer my-api-key-1234"), ("Content-Type", "application/json")];
//! let failure = engine.send(&MyPolicy, &headers, None, b"{}", 3, engine.deadline()).unwrap_err();
//! assert!(matches!(failure, SendFailure::RetriesExhausted { attempts: 2, .. }));
//! engine.record(3, &Err(failure));
//! assert_eq!(engine.stats().retries_exhausted, 3);
//!
//! // Text for logs and errors is scrubbed whole, then cut.
//! assert_eq!(engine.scrub("bad key my-api-key-1234", None), "bad key <redacted>");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//! - `rustls` (off by default): HTTPS through rustls with the webpki root certificates
//!   (ureq's `rustls` feature), or those of [`TlsFiles`]. The exporters' `rustls`
//!   features turn it on; each exporter still decides from its own feature whether it
//!   accepts an `https://` endpoint (see [`check_endpoint`]).
//!
//! # Dependencies
//! `ureq` (no default features: no gzip, no cookies; re-exported as [`ureq`] for the
//! types this crate's API names), `fastrand` (jitter), `trace-core` (the rate-limited
//! log, the exporter types), `log`, `thiserror`. ureq is held to 3.5 (`~3.5.1`): the agent
//! implements ureq's `unversioned` connector, transport and resolver traits, which ureq
//! may change in a minor release. With `rustls`: `rustls` itself (the one ureq's feature
//! builds, so no new crate), to check a client certificate against its key at build time;
//! ureq would panic on the first connection with a pair that does not match.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod agent;
mod backoff;
mod buffer;
mod endpoint;
mod engine;
mod failure;
mod one_write;
mod options;
mod policy;
mod prepared;
mod proxy;
mod reply;
mod retry_after;
mod secrets;
mod stats;
mod stop;
mod tls;

pub use agent::{AgentSettings, HttpAgent, Timeouts, NO_LIMIT};
pub use backoff::{Backoff, Jitter, RetryAfterCap};
pub use buffer::{BodyBuffer, KEEP_BUFFERS, KEEP_BUFFER_BYTES};
pub use endpoint::{
    check_endpoint, is_loopback_host, redact_user_info, redact_user_info_and_query, CheckedEndpoint, EndpointError,
};
pub use engine::{Engine, EngineConfig, CONCURRENT_EXPORTS, LOGGED_BODY_CHARS};
pub use failure::{BuildError, SendFailure};
pub use options::{HasHttpOptions, HttpOptions, WithHttpOptions};
pub use policy::{ExportPolicy, LogEvent, Verdict};
pub use prepared::PreparedRequest;
pub use proxy::{proxy_for, ProxyRoute};
pub use reply::{truncate_chars, Reply, TransportError, MAX_REPLY_BODY};
pub use retry_after::{parse_http_date, retry_after, retry_after_ms};
pub use secrets::{Secrets, REDACTED};
pub use stats::ExporterStats;
pub use stop::Stop;
pub use tls::TlsFiles;
/// The HTTP client this crate builds on, for naming the types its API uses
/// ([`ureq::Error`], [`ureq::RequestBuilder`], [`ureq::http`]).
pub use ureq;
