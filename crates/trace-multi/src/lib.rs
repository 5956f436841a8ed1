//! A fan-out processor for `agents-tracing`: several tracing processors behind one,
//! called in order on the caller's thread, each one's panics and failures isolated from
//! the others and from the caller. The Python SDK's `SynchronousMultiTracingProcessor`,
//! `add_trace_processor` and `set_trace_processors`.
//!
//! **Should I use this crate?** When more than one processor should receive traces and
//! spans (export to OpenAI and keep a local copy, say), or to port Python code that calls
//! `add_trace_processor`. With a single processor, `trace_core::set_trace_processor` is
//! enough. Through the facade it is `agents_tracing::multi` (default feature `multi`).
//!
//! `trace-core`'s registry holds a single processor. Use this crate when more than one
//! should receive traces and spans: either install a [`MultiProcessor`] there yourself,
//! or use the global functions, which manage one global fan-out in that slot.
//!
//! ```
//! use std::sync::Arc;
//! use trace_core::{custom_span, function_span, trace, InMemoryProcessor, Span, SpanKind};
//! use trace_multi::{add_trace_processor, set_trace_processors, Filtered};
//!
//! let everything = InMemoryProcessor::new();
//! let functions = InMemoryProcessor::new();
//! add_trace_processor(everything.clone());
//! add_trace_processor(Filtered::new(functions.clone(), |s: &Span| s.kind() == SpanKind::Function));
//!
//! {
//!     let _trace = trace("Order lookup").start();
//!     let _step = custom_span("plan").start();
//!     let _call = function_span("lookup_order").start();
//! }
//! assert_eq!(everything.finished_spans().len(), 2);
//! assert_eq!(functions.finished_spans().len(), 1);
//! // Both saw the very same span, not a copy.
//! assert!(Arc::ptr_eq(&everything.finished_spans()[0], &functions.finished_spans()[0]));
//!
//! // Replace them all (a default export pipeline too, had there been one).
//! let replaced = set_trace_processors(vec![Arc::new(InMemoryProcessor::new())]);
//! assert_eq!(replaced.len(), 2);
//! ```
//!
//! # `add_trace_processor` or `set_trace_processors`?
//! - [`add_trace_processor`] **keeps** what receives events now (the default OpenAI
//!   export pipeline, or a processor installed with [`trace_core::set_trace_processor`])
//!   and adds one after it. Use it to send traces to OpenAI *and* somewhere else.
//! - [`set_trace_processors`] **replaces** everything, the default pipeline included.
//!   Use it to send traces somewhere else *instead* (Python issue #1387), or with an
//!   empty list to deliver them nowhere.
//!
//! Both return once the change is visible: events that start afterwards reach the new
//! list. Neither flushes nor shuts down what it replaces ([`set_trace_processors`]
//! returns it), and no span start or end ever runs a replaced processor's shutdown or
//! `Drop`: threads hand their cached references to `trace-core`'s `trace-retire` thread
//! (see `trace_core::registry`). Calling [`trace_core::set_trace_processor`] afterwards replaces the
//! global fan-out itself; the next `add_trace_processor` then starts over from that
//! processor. Nothing is read from the environment by this crate, and nothing is spawned
//! on the span path (a `force_flush` or `shutdown` with a timeout runs on a
//! `trace-multi-control` thread, so that a processor that ignores its timeout cannot hold
//! the caller); the global fan-out is created and installed by the first of these calls.
//!
//! These functions are serialized among themselves. Against a
//! [`trace_core::set_trace_processor`] running at the same time on another thread, one
//! of the two writes wins, as with any two writes to the slot.
//!
//! # What is where
//! - [`MultiProcessor`]: the fan-out; `add`, `set`, per-processor [`stats`](MultiProcessor::stats).
//! - [`Filtered`]: a processor that only sees the spans (and traces) a predicate accepts.
//! - [`add_trace_processor`], [`set_trace_processors`], [`global_multi_processor`]: the
//!   global fan-out in `trace-core`'s registry.
//!
//! # Cost
//! A call through the fan-out reads its list through `trace-core`'s per-thread cache,
//! [`trace_core::registry::cache`], the one the registry uses too (one atomic load
//! of a rarely written counter, a thread-local access, a non-atomic reference count),
//! then calls each processor inside `catch_unwind`, which costs nothing unless it
//! panics. No lock, no shared reference count, no copy of the span.
//!
//! `cargo bench -p trace-multi --bench fanout` measures one `on_span_end` through two
//! processors that do nothing. On a loaded 2-core machine (fastest of 9 runs): 8 to 10 ns
//! on one thread, 10 to 13 ns per call with two threads calling at once. Reading the list
//! through `RwLock<Arc<[..]>>` instead (lock, clone, unlock) costs the same on one thread
//! but 17 to 21 ns on two (medians up to 60 ns), as the lock word and the reference count
//! bounce between cores; a plain slice with no synchronisation costs 6 to 8 ns.
//!
//! # Crate features
//! None.
//!
//! # Dependencies
//! `trace-core` and `log` (panic reports). Nothing else.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod control;
mod fanout;
mod filter;
mod global;
mod slot;
mod stats;

pub use fanout::{MultiProcessor, MAX_FANOUT_NESTING};
pub use filter::{AllTraces, Filtered};
pub use global::{add_trace_processor, add_trace_processor_shared, global_multi_processor, set_trace_processors};
pub use stats::ProcessorStats;
