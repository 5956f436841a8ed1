//! [`BatchTraceProcessor`]: queues traces and spans without blocking the caller and exports
//! them in batches from a background thread, as the Python SDK's processor of the same
//! name does (with a second export in flight when the exporter asks for it).
//!
//! **Should I use this crate?** Yes, in front of every exporter that does I/O; it is what
//! keeps span calls cheap on your threads. For tests, `trace_core::InMemoryProcessor`
//! records without a worker. Through the facade it is `agents_tracing::batch` (default
//! feature `batch`).
//!
//! Use it in front of any exporter that does I/O (the OpenAI backend, a file, stdout):
//! ending a span then costs a non-blocking enqueue, and the exporter runs on the worker
//! thread. For tests and exporters that never block, `trace_core::SimpleTraceProcessor`
//! exports on the caller's thread instead.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use trace_batch::BatchTraceProcessor;
//! use trace_core::{custom_span, set_trace_processor, trace, InMemoryExporter};
//!
//! let exporter = InMemoryExporter::new();
//! let processor = Arc::new(BatchTraceProcessor::builder(exporter.clone()).max_batch_size(64).build()?);
//! set_trace_processor(Arc::clone(&processor));
//!
//! {
//!     let _trace = trace("Checkout").start();
//!     let _span = custom_span("charge card").start();
//! } // the span ends (queued), then the trace ends (it was queued when it started)
//!
//! processor.force_flush(Some(Duration::from_secs(5)))?;
//! let items = exporter.items();
//! assert_eq!(items.len(), 2);
//! assert!(items[0].as_trace().is_some() && items[1].as_span().is_some());
//!
//! let stats = processor.stats();
//! assert_eq!((stats.queued, stats.exported, stats.dropped()), (2, 2, 0));
//! processor.shutdown(Some(Duration::from_secs(5)))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Defaults
//! The Python SDK's but two (`export_on_full_batch` and, for the HTTP exporters,
//! `max_concurrent_exports`, below), each settable on [`BatchTraceProcessorBuilder`]:
//! - `max_queue_size`: 8192 items ([`DEFAULT_MAX_QUEUE_SIZE`]); a full queue drops new
//!   items.
//! - `max_batch_size`: 128 items per exporter call ([`DEFAULT_MAX_BATCH_SIZE`]).
//! - `schedule_delay`: 5 s ([`DEFAULT_SCHEDULE_DELAY`]) at most between exports.
//! - `export_trigger_ratio`: 0.7 ([`DEFAULT_EXPORT_TRIGGER_RATIO`]): the worker exports at
//!   once when the queue holds `max(1, floor(8192 * 0.7))` = 5734 items.
//! - `export_on_full_batch`: `true` ([`DEFAULT_EXPORT_ON_FULL_BATCH`]), the one default
//!   that differs from Python's, on purpose: the worker also exports full batches (128
//!   items) without waiting for the trigger size, woken once eight are queued, instead of
//!   letting a burst fill 70 % of the queue first; `false` gives Python's timing.
//! - `max_concurrent_exports`: the exporter's
//!   [`concurrent_exports`](trace_core::TracingExporter::concurrent_exports): 1 (Python's
//!   one export at a time) unless the exporter asks for more; the OpenAI and OTLP
//!   exporters ask for 2, so that one batch is serialised and sent while the answer to
//!   another is on its way. The second export runs on a helper thread
//!   ([`EXPORT_HELPER_THREAD_NAME`]) started when first needed, and only when the worker
//!   is behind: [`BatchConfig::hand_off_size`] items (1024) still queued behind the batch
//!   it takes, or, while a flush or the shutdown waits, any.
//! - `drop_timeout`: 5 s ([`DEFAULT_DROP_TIMEOUT`]) for the final export when the
//!   processor is dropped without a shutdown.
//! - `redactor`: none ([`BatchTraceProcessorBuilder::redactor`]). Set one
//!   (`trace_core::redact::Redactor`) to rewrite every string of each item on the worker,
//!   once, before the exporter sees it (your rule, then the masking of API keys); the
//!   producers' threads never run it.
//!
//! # Behaviour
//! - Traces are queued when they start and spans when they end, so a batch holds a trace
//!   before its spans, and spans in the order they ended: the Python SDK's order. With
//!   more than one export at once, batches may reach the exporter out of order, but a
//!   batch with items of a trace whose start is still being exported waits for that
//!   export to return: no span is exported before its trace.
//! - The caller's thread does a `try_send` on a bounded channel, and frees one exported
//!   span handed back by the worker if there is one (see [`FreeExported`]): no lock, no
//!   system call (except once per crossing of the wake-up size, to wake the worker, and
//!   on the very first item, which starts the worker under a lock). A full queue drops
//!   the item; drops are counted and logged at most once per 10 s.
//! - The worker thread ([`WORKER_THREAD_NAME`]) starts on the first item and sleeps until
//!   there is work. An exporter that fails or panics loses that batch only.
//! - [`force_flush`](BatchTraceProcessor::force_flush) returns once every batch it waits
//!   for has returned, on the worker or on a helper; the shutdown waits for the batches
//!   in flight before it shuts the exporter down (one it owns) and stops the helpers.
//! - [`force_flush`](BatchTraceProcessor::force_flush) and
//!   [`shutdown`](BatchTraceProcessor::shutdown) travel to the worker on their own channel
//!   (a full queue cannot block them); the caller waits up to its timeout.
//! - [`shutdown`](BatchTraceProcessor::shutdown) returns `Ok` only when every queued item
//!   was handed to the exporter; items still queued at its deadline are abandoned, counted
//!   and reported (`ProcessorError::Abandoned { items }`).
//! - Should the worker thread itself die (a bug), flush and shutdown say so
//!   (`ProcessorError::WorkerDied`), what it held is counted as lost and later items are
//!   dropped: nothing waits for it for ever.
//! - [`stats`](BatchTraceProcessor::stats) tells what became of every item, and how many
//!   the redactor rewrote. An item the redactor panics on is dropped, never exported
//!   unredacted, and counted as lost to a panic; a batch the exporter reports
//!   `NotConfigured` (the OpenAI exporter without a key, which warns once itself) is
//!   counted as lost without a warning of its own.
//!
//! # Dependencies
//! `trace-core`, `crossbeam-channel` (the queue), `log` (warnings), `thiserror` (errors).

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod config;
mod error;
mod lanes;
mod lifecycle;
mod processor;
mod queue;
mod shared;
mod stats;
mod worker;

pub use config::{
    BatchConfig, BatchTraceProcessorBuilder, FreeExported, DEFAULT_DROP_TIMEOUT, DEFAULT_EXPORT_ON_FULL_BATCH,
    DEFAULT_EXPORT_TRIGGER_RATIO, DEFAULT_MAX_BATCH_SIZE, DEFAULT_MAX_QUEUE_SIZE, DEFAULT_SCHEDULE_DELAY,
    MAX_CONCURRENT_EXPORTS, MAX_QUEUE_SIZE,
};
pub use error::ConfigError;
pub use lanes::EXPORT_HELPER_THREAD_NAME;
pub use processor::BatchTraceProcessor;
pub use stats::BatchStats;
pub use worker::WORKER_THREAD_NAME;
