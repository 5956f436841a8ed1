//! Test helpers shared by the workspace's test suites (a dev-dependency only, never
//! published):
//!
//! - [`server`]: a scripted HTTP/1.1 server on 127.0.0.1 that records every request and
//!   can answer with the faults an exporter must survive;
//! - [`logcap`]: a `log::Log` that captures every line of a test binary, to check what was
//!   logged and that no secret was;
//! - [`exporter`]: what the HTTP exporters' tests share (a queued batch, short HTTP
//!   settings, a shutdown in the middle of an export);
//! - [`golden`]: the normalisation of request bodies (ids to first-seen placeholders,
//!   timestamps to `<iso8601>`) that comparing them with the Python SDK's golden bodies
//!   needs, the comparison itself and the golden scenario of every span type;
//! - [`doubles`]: a processor that panics on every call, an exporter that blocks until a
//!   [`gate`] opens, and a panic hook that keeps deliberate panics quiet.

#![forbid(unsafe_code)]

pub mod doubles;
pub mod exporter;
pub mod gate;
pub mod golden;
pub mod logcap;
pub mod server;
