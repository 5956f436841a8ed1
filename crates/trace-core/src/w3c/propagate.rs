//! The way out: the `traceparent` (and `tracestate`) of a span or trace, for a call to
//! another process.

use crate::context::{self, Parent};
use crate::ids::TraceId;
use crate::trace::Trace;

use super::ids::root_span_id;
use super::traceparent::TraceParent;

impl Parent {
    /// The `traceparent` to send for a call made under this scope: the trace's W3C id, the
    /// span's W3C id as `parent-id` (for a trace with no span, the id of its OTLP root
    /// span, [`root_span_id`]), and the flags: the received ones for a trace that
    /// continues a remote one (sampled and random kept, others 0), else `sampled`. A
    /// sampled-out scope gives its [`SampledOutScope::traceparent`](super::SampledOutScope::traceparent)
    /// (`sampled` off); a trace continued from an announcing caller of this library, with no
    /// span current, the caller's header unchanged (its `parent-id` is the one sent, and
    /// the specification changes no flag without a new one); a no-op scope `None`. See the
    /// [module docs](crate::w3c) for the id mapping.
    ///
    /// ```
    /// use trace_core::{custom_span, trace, w3c};
    ///
    /// let run = trace("wf").traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").start();
    /// let step = custom_span("call tool service").start();
    /// let header = step.as_parent().traceparent().unwrap();
    /// assert_eq!(header.trace_id(), 0x0af7651916cd43dd8448eb211c80319c);
    /// assert_eq!(header.parent_id(), step.span_id().unwrap().to_w3c());
    /// // With only the trace current, the parent is the trace's OTLP root span.
    /// let header = run.as_parent().traceparent().unwrap();
    /// assert_eq!(header.parent_id(), w3c::root_span_id(run.trace_id().unwrap()));
    /// ```
    pub fn traceparent(&self) -> Option<TraceParent> {
        if let Some(remote) = self.passed_through() {
            return Some(*remote.traceparent());
        }
        let (trace, parent_id) = match self {
            Parent::NoOp => return None,
            Parent::SampledOut(scope) => return Some(scope.traceparent()),
            Parent::Trace(trace) => (trace, top_level_parent_id(trace)),
            Parent::Span { trace, span_id } => (trace, span_id.to_w3c()),
        };
        TraceParent::new(trace.trace_id().to_w3c(), parent_id, outgoing_flags(trace)).ok()
    }

    /// The `tracestate` to send with [`traceparent`](Self::traceparent):
    /// [`ANNOUNCED_ENTRY`](super::ANNOUNCED_ENTRY) (so a process of this library that
    /// continues the trace does not announce it again), then the members the trace
    /// received with its remote parent, as they came; `None` when there is no trace, or
    /// nothing to send. A sampled-out scope, and a trace continued from an announcing
    /// caller with no span current, send the `tracestate` they received, as it came.
    ///
    /// The entry is left out when the trace's id does not survive the trip through W3C (a
    /// custom id, which goes out hashed: see the [module docs](crate::w3c#ids)): the callee
    /// then records the trace under another id, and must announce it itself.
    pub fn tracestate(&self) -> Option<String> {
        if let Parent::SampledOut(scope) = self {
            return scope.tracestate().map(str::to_owned);
        }
        if let Some(remote) = self.passed_through() {
            return remote.tracestate().map(str::to_owned);
        }
        let trace = self.trace()?;
        let id = trace.trace_id();
        let announce = TraceId::from_w3c(id.to_w3c()) == *id;
        super::remote::outgoing_tracestate(trace.remote_parent().and_then(|r| r.tracestate()), announce)
    }

    /// The remote parent whose headers a call under this scope passes on unchanged: that
    /// of a trace continued from a caller of this library that announced it, with no span
    /// current. The `parent-id` sent is then the caller's own, and the specification
    /// allows neither the flags nor the `tracestate` to change without a new `parent-id`.
    fn passed_through(&self) -> Option<&super::RemoteParent> {
        match self {
            Parent::Trace(trace) => trace.remote_parent().filter(|r| r.announced()),
            _ => None,
        }
    }
}

/// The flags a recorded trace sends on: `sampled`, since this process records it, and the
/// caller's other known flags. (A sampled-out trace sends its [`SampledOutScope`]'s
/// header, `sampled` off.)
///
/// [`SampledOutScope`]: super::SampledOutScope
fn outgoing_flags(trace: &Trace) -> u8 {
    let received = trace.remote_parent().map_or(0, |r| r.traceparent().flags() & TraceParent::KNOWN_FLAGS);
    received | TraceParent::FLAG_SAMPLED
}

/// The W3C (and OTLP) id of what a top-level span of `trace` hangs under: the trace's
/// OTLP root span ([`root_span_id`]); for a trace continued from a process of this
/// library that announced it (and sends the root span,
/// [`RemoteParent::announced`](super::RemoteParent::announced)), the caller's span. The
/// OTLP exporter and the outgoing `traceparent` of a trace with no span current both use
/// it.
pub fn top_level_parent_id(trace: &Trace) -> u64 {
    match trace.remote_parent().filter(|r| r.announced()) {
        Some(remote) => remote.traceparent().parent_id(),
        None => root_span_id(trace.trace_id()),
    }
}

/// The `traceparent` of the current span (or, with no span current, of the current
/// trace's root; in a sampled-out trace, its header with `sampled` off); `None` when no
/// trace is current (sampled out or not) or tracing is off. See [`Parent::traceparent`].
pub fn current_traceparent() -> Option<TraceParent> {
    context::current_scope().and_then(|scope| scope.traceparent())
}

/// Gives `set` the headers of the current span for an outgoing call: `traceparent` and
/// `tracestate` (see [`Parent::tracestate`]). Does nothing when no trace is current, so it
/// can be called on every request. Cheap: no lock, two short strings.
///
/// ```
/// use trace_core::{custom_span, trace, w3c};
///
/// let mut headers: Vec<(String, String)> = Vec::new();
/// w3c::inject(|name, value| headers.push((name.to_owned(), value.to_owned())));
/// assert!(headers.is_empty(), "no trace, no header");
///
/// let _run = trace("wf").start();
/// let _call = custom_span("call").start();
/// w3c::inject(|name, value| headers.push((name.to_owned(), value.to_owned())));
/// assert_eq!(headers[0].0, "traceparent");
/// assert_eq!(headers[0].1, w3c::current_traceparent().unwrap().to_string());
/// ```
pub fn inject(mut set: impl FnMut(&str, &str)) {
    let Some(scope) = context::current_scope() else { return };
    let Some(traceparent) = scope.traceparent() else { return };
    set("traceparent", &traceparent.to_string());
    if let Some(tracestate) = scope.tracestate() {
        set("tracestate", &tracestate);
    }
}
