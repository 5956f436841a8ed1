//! What a trace the sampler turned down still sends on: its W3C headers with `sampled`
//! off, so that the next process continues the same trace id and the same decision.

use std::sync::Arc;

use super::ids::root_span_id;
use super::remote::RemoteParent;
use super::traceparent::TraceParent;
use crate::ids::TraceId;

/// The scope of a sampled-out trace ([`Parent::SampledOut`](crate::Parent::SampledOut)):
/// nothing is recorded under it, but a call made under it still sends a `traceparent`, as
/// the W3C specification asks of a process that received one, with the `sampled` flag
/// off, so that a callee with a parent-based sampler (this library's, OpenTelemetry's
/// default) turns the trace down too.
///
/// - A trace continued from a caller's `traceparent` (sampled out because the caller's
///   flag was off) passes the caller's headers on unchanged: nothing here changed them.
/// - A trace of this process (sampled out by the ratio or the rate cap) sends its trace
///   id, the id of its OTLP root span as `parent-id` ([`root_span_id`]), flags `00`, and
///   no `tracestate`.
///
/// ```
/// use trace_core::{custom_span, sampling, trace};
///
/// sampling::set_sampler(sampling::Sampler::ratio(0.0).unwrap());
/// let run = trace("turned down").traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00").start();
/// assert!(run.is_sampled_out());
/// let step = custom_span("call").start();
/// let header = step.as_parent().traceparent().unwrap();
/// assert_eq!(header.to_string(), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
/// # drop(step); drop(run); sampling::clear_sampler();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampledOutScope(Origin);

/// Where a sampled-out trace came from: what its header is made of, computed only when a
/// call asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// A trace of this process, of this id.
    Local(TraceId),
    /// A trace continued from this caller.
    Continued(RemoteParent),
}

impl SampledOutScope {
    /// The scope of a sampled-out trace of id `id`, continued from `remote` if it was.
    /// One small allocation; the header is computed when asked for.
    pub(crate) fn new(id: TraceId, remote: Option<RemoteParent>) -> Arc<Self> {
        Arc::new(Self(match remote {
            Some(remote) => Origin::Continued(remote),
            None => Origin::Local(id),
        }))
    }

    /// The `traceparent` a call under this scope sends (`sampled` off).
    pub fn traceparent(&self) -> TraceParent {
        match &self.0 {
            Origin::Continued(remote) => *remote.traceparent(),
            Origin::Local(id) => TraceParent::from_mapped(id.to_w3c(), root_span_id(id), 0),
        }
    }

    /// The `tracestate` a call under this scope sends: the caller's, as it came, if any.
    pub fn tracestate(&self) -> Option<&str> {
        match &self.0 {
            Origin::Continued(remote) => remote.tracestate(),
            Origin::Local(_) => None,
        }
    }
}
