//! The settings of a [`BatchTraceProcessor`](crate::BatchTraceProcessor) and the builder
//! that validates them.

use std::sync::Arc;
use std::time::Duration;

use trace_core::redact::Redactor;
use trace_core::TracingExporter;

use crate::error::ConfigError;

/// Default [`max_queue_size`](BatchTraceProcessorBuilder::max_queue_size): 8192 items, as in
/// Python.
pub const DEFAULT_MAX_QUEUE_SIZE: usize = 8192;
/// The largest [`max_queue_size`](BatchTraceProcessorBuilder::max_queue_size):
/// 16,777,216 items. The queue's slots are allocated when the processor is built (24 bytes
/// each: 384 MiB at this size), and a size the allocator cannot serve would abort the
/// process; a larger one is refused with [`ConfigError::QueueTooLarge`].
pub const MAX_QUEUE_SIZE: usize = 1 << 24;
/// Default [`max_batch_size`](BatchTraceProcessorBuilder::max_batch_size): 128 items, as in
/// Python.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 128;
/// Default [`schedule_delay`](BatchTraceProcessorBuilder::schedule_delay): 5 seconds, as in
/// Python.
pub const DEFAULT_SCHEDULE_DELAY: Duration = Duration::from_secs(5);
/// Default [`export_trigger_ratio`](BatchTraceProcessorBuilder::export_trigger_ratio): 0.7,
/// as in Python.
pub const DEFAULT_EXPORT_TRIGGER_RATIO: f64 = 0.7;
/// Default [`export_on_full_batch`](BatchTraceProcessorBuilder::export_on_full_batch):
/// `true`, a deliberate difference from the Python SDK (see the setter).
pub const DEFAULT_EXPORT_ON_FULL_BATCH: bool = true;
/// With `export_on_full_batch`, how many full batches must be queued before a producer
/// wakes the worker (which then exports every full batch). Waking the worker is a system
/// call on the producer's thread: once per batch it cost about 8 % of a whole span on this
/// project's 2-core VM (a profile of `benches/e2e.rs --hot`); once per four batches, a
/// quarter of that; once per eight, whole spans cost another 5 % less (248 against 263 ns,
/// medians of 5 interleaved pairs of `e2e --hot`).
const WAKE_BATCHES: usize = 8;

/// The most exports a processor runs at once: a larger
/// [`max_concurrent_exports`](BatchTraceProcessorBuilder::max_concurrent_exports) (or an
/// exporter's [`concurrent_exports`](TracingExporter::concurrent_exports)) is clamped to
/// it. Each export in flight beyond the first is a thread, a connection and a body buffer.
pub const MAX_CONCURRENT_EXPORTS: usize = 64;

/// Default [`drop_timeout`](BatchTraceProcessorBuilder::drop_timeout): 5 seconds, the budget
/// the Python SDK's exit handler gives `shutdown`.
pub const DEFAULT_DROP_TIMEOUT: Duration = Duration::from_secs(5);

/// Which threads free the spans the worker has exported; see
/// [`BatchTraceProcessorBuilder::free_exported_on`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FreeExported {
    /// The producing threads (the default): the worker hands exported spans back on a
    /// channel, and each enqueue frees one. With glibc's malloc this keeps producers from
    /// fighting the worker for the allocator's arena lock (see `BENCHMARKS.md`); the price
    /// is that a producer may free a large span another thread made, inside its span end.
    #[default]
    Producers,
    /// The thread that exported them (the worker or an export helper), right after the
    /// export: a span end never frees another span, whatever its size, at the cost of
    /// allocator contention between producers and the exporting threads.
    Worker,
}

/// The validated settings of a batch processor. Read them back with
/// [`BatchTraceProcessor::config`](crate::BatchTraceProcessor::config).
#[derive(Clone, Debug, PartialEq)]
pub struct BatchConfig {
    pub(crate) max_queue_size: usize,
    pub(crate) max_batch_size: usize,
    pub(crate) schedule_delay: Duration,
    pub(crate) export_trigger_ratio: f64,
    pub(crate) export_on_full_batch: bool,
    pub(crate) drop_timeout: Duration,
    pub(crate) free_exported_on: FreeExported,
    pub(crate) max_concurrent_exports: usize,
    pub(crate) shut_down_exporter: bool,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_queue_size: DEFAULT_MAX_QUEUE_SIZE,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            schedule_delay: DEFAULT_SCHEDULE_DELAY,
            export_trigger_ratio: DEFAULT_EXPORT_TRIGGER_RATIO,
            export_on_full_batch: DEFAULT_EXPORT_ON_FULL_BATCH,
            drop_timeout: DEFAULT_DROP_TIMEOUT,
            free_exported_on: FreeExported::Producers,
            max_concurrent_exports: 1,
            shut_down_exporter: true,
        }
    }
}

impl BatchConfig {
    /// How many items the queue holds; more are dropped.
    pub fn max_queue_size(&self) -> usize {
        self.max_queue_size
    }

    /// The most items handed to the exporter in one call (at most the queue size).
    pub fn max_batch_size(&self) -> usize {
        self.max_batch_size
    }

    /// The longest time between two exports while items are waiting.
    pub fn schedule_delay(&self) -> Duration {
        self.schedule_delay
    }

    /// The fraction of the queue that, once filled, makes the worker export at once.
    pub fn export_trigger_ratio(&self) -> f64 {
        self.export_trigger_ratio
    }

    /// The queue length that makes the worker export at once:
    /// `max(1, floor(max_queue_size * export_trigger_ratio))`, as in Python (5734 with
    /// the defaults).
    pub fn export_trigger_size(&self) -> usize {
        let size = (self.max_queue_size as f64 * self.export_trigger_ratio).floor();
        // `as` saturates; the ratio is at most 1, so the size is at most the queue size.
        (size as usize).clamp(1, self.max_queue_size)
    }

    /// Whether the worker exports full batches without waiting for the trigger size (see
    /// [`BatchTraceProcessorBuilder::export_on_full_batch`]).
    pub fn export_on_full_batch(&self) -> bool {
        self.export_on_full_batch
    }

    /// The queue length at which a producer wakes the worker: eight full batches
    /// (`8 * max_batch_size`) when [`export_on_full_batch`](Self::export_on_full_batch) is
    /// on and that is below the trigger size, else the
    /// [`export_trigger_size`](Self::export_trigger_size). 1024 with the defaults.
    pub fn wake_size(&self) -> usize {
        if self.export_on_full_batch {
            self.export_trigger_size().min(self.max_batch_size.saturating_mul(WAKE_BATCHES))
        } else {
            self.export_trigger_size()
        }
    }

    /// How much must still be queued behind a batch, outside a flush or the shutdown, for
    /// the worker to hand it to an export helper (see
    /// [`max_concurrent_exports`](BatchTraceProcessorBuilder::max_concurrent_exports)):
    /// eight full batches (`8 * max_batch_size`), or half the queue if that is less, so
    /// that it can be reached whatever the trigger. 1024 with the defaults.
    pub fn hand_off_size(&self) -> usize {
        self.max_batch_size.saturating_mul(WAKE_BATCHES).min(self.max_queue_size / 2).max(1)
    }

    /// How long dropping the processor without a [`shutdown`] waits for the final export.
    ///
    /// [`shutdown`]: crate::BatchTraceProcessor::shutdown
    pub fn drop_timeout(&self) -> Duration {
        self.drop_timeout
    }

    /// Which threads free exported spans.
    pub fn free_exported_on(&self) -> FreeExported {
        self.free_exported_on
    }

    /// How many exporter calls may run at once (see
    /// [`BatchTraceProcessorBuilder::max_concurrent_exports`]). In a processor's
    /// [`config`](crate::BatchTraceProcessor::config), the setting it was built with (fewer
    /// run if an export helper thread could not be started: that is logged); in
    /// `BatchConfig::default()`, 1.
    pub fn max_concurrent_exports(&self) -> usize {
        self.max_concurrent_exports
    }

    /// Whether the processor's shutdown (and its `Drop`) shuts the exporter down too: `true`
    /// for an exporter the processor owns, `false` for one it shares (see
    /// [`BatchTraceProcessorBuilder::shut_down_exporter`]).
    pub fn shuts_down_exporter(&self) -> bool {
        self.shut_down_exporter
    }

    /// The default settings for `exporter`: the defaults, with the exporter's
    /// [`concurrent_exports`](TracingExporter::concurrent_exports) (0 taken as 1, and at
    /// most [`MAX_CONCURRENT_EXPORTS`]).
    pub(crate) fn for_exporter(exporter: &dyn TracingExporter) -> Self {
        let concurrent = exporter.concurrent_exports().clamp(1, MAX_CONCURRENT_EXPORTS);
        Self { max_concurrent_exports: concurrent, ..Self::default() }
    }

    fn validate(mut self) -> Result<Self, ConfigError> {
        if self.max_queue_size == 0 {
            return Err(ConfigError::ZeroQueueSize);
        }
        if self.max_queue_size > MAX_QUEUE_SIZE {
            return Err(ConfigError::QueueTooLarge(self.max_queue_size));
        }
        if self.max_batch_size == 0 {
            return Err(ConfigError::ZeroBatchSize);
        }
        if self.schedule_delay.is_zero() {
            return Err(ConfigError::ZeroScheduleDelay);
        }
        if self.max_concurrent_exports == 0 {
            return Err(ConfigError::ZeroConcurrentExports);
        }
        if self.max_concurrent_exports > MAX_CONCURRENT_EXPORTS {
            log::debug!(
                "max_concurrent_exports {} is more than {MAX_CONCURRENT_EXPORTS}; using {MAX_CONCURRENT_EXPORTS}",
                self.max_concurrent_exports
            );
            self.max_concurrent_exports = MAX_CONCURRENT_EXPORTS;
        }
        let ratio = self.export_trigger_ratio;
        if !(ratio.is_finite() && ratio > 0.0 && ratio <= 1.0) {
            return Err(ConfigError::InvalidTriggerRatio(ratio));
        }
        if self.max_batch_size > self.max_queue_size {
            log::debug!(
                "max_batch_size {} is larger than max_queue_size {}; using {}",
                self.max_batch_size,
                self.max_queue_size,
                self.max_queue_size
            );
            self.max_batch_size = self.max_queue_size;
        }
        Ok(self)
    }
}

/// Builds a [`BatchTraceProcessor`](crate::BatchTraceProcessor); made by [`BatchTraceProcessor::builder`](crate::BatchTraceProcessor::builder).
///
/// Every setting defaults to the Python SDK's value, but two that differ on purpose
/// ([`export_on_full_batch`](Self::export_on_full_batch), and
/// [`max_concurrent_exports`](Self::max_concurrent_exports) for an exporter that asks for
/// more than one). [`build`](Self::build) rejects zero sizes, a zero delay, zero concurrent
/// exports and a ratio outside `(0, 1]`, and clamps a batch size larger than the queue to
/// the queue size.
///
/// ```
/// use std::time::Duration;
/// use trace_batch::BatchTraceProcessor;
/// use trace_core::InMemoryExporter;
///
/// let processor = BatchTraceProcessor::builder(InMemoryExporter::new())
///     .max_queue_size(1024)
///     .max_batch_size(4096) // clamped to 1024
///     .schedule_delay(Duration::from_millis(500))
///     .build()?;
/// assert_eq!(processor.config().max_batch_size(), 1024);
/// assert_eq!(processor.config().export_trigger_size(), 716);
/// # Ok::<(), trace_batch::ConfigError>(())
/// ```
#[must_use = "a builder does nothing until `build`"]
pub struct BatchTraceProcessorBuilder {
    exporter: Arc<dyn TracingExporter>,
    config: BatchConfig,
    redactor: Option<Redactor>,
}

impl std::fmt::Debug for BatchTraceProcessorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchTraceProcessorBuilder")
            .field("config", &self.config)
            .field("redactor", &self.redactor)
            .finish_non_exhaustive()
    }
}

/// The builder's setters: each stores its argument in the [`BatchConfig`] field of its
/// own name, which `build` validates.
macro_rules! config_setters {
    ($($(#[$doc:meta])* fn $name:ident($arg:ident: $ty:ty);)*) => {$(
        $(#[$doc])*
        pub fn $name(mut self, $arg: $ty) -> Self {
            self.config.$name = $arg;
            self
        }
    )*};
}

impl BatchTraceProcessorBuilder {
    pub(crate) fn new(exporter: Arc<dyn TracingExporter>) -> Self {
        let config = BatchConfig::for_exporter(&*exporter);
        Self { exporter, config, redactor: None }
    }

    /// Rewrites the strings of every item on the worker thread, once, before the exporter
    /// sees it: your function (mask e-mail addresses, say) and the built-in masking of API
    /// keys, as `redactor` says (see [`trace_core::redact`]). Default: none, and then the
    /// worker does no such work at all (and a span end never does any). Items the
    /// redactor changes are counted in [`BatchStats::redacted`](crate::BatchStats::redacted);
    /// an item it panics on is dropped (never exported unredacted) and counted in
    /// [`BatchStats::lost_to_panics`](crate::BatchStats::lost_to_panics).
    pub fn redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = Some(redactor);
        self
    }

    config_setters! {
        /// How many items (traces and spans) the queue holds before new ones are dropped.
        /// Default: 8192 ([`DEFAULT_MAX_QUEUE_SIZE`]). Must not be zero, nor above
        /// [`MAX_QUEUE_SIZE`]. The queue is allocated
        /// up front: 24 bytes per slot (a stamp and the item's pointer), plus a channel of
        /// up to `2 * wake_size` slots (2,048 with the defaults) that hands exported spans
        /// back to the producers.
        fn max_queue_size(size: usize);

        /// The most items handed to the exporter in one call. Default: 128
        /// ([`DEFAULT_MAX_BATCH_SIZE`]). Must not be zero; clamped to the queue size.
        fn max_batch_size(size: usize);

        /// The longest time items wait in the queue while it stays below the trigger size:
        /// the worker exports when this much time has passed since its last export. Default:
        /// 5 s ([`DEFAULT_SCHEDULE_DELAY`]). Must not be zero.
        fn schedule_delay(delay: Duration);

        /// The fraction of the queue that, once filled, makes the worker export at once
        /// instead of waiting for the schedule. Default: 0.7
        /// ([`DEFAULT_EXPORT_TRIGGER_RATIO`]), so 5734 items with the default queue. Must be in
        /// `(0, 1]`.
        fn export_trigger_ratio(ratio: f64);

        /// Whether the worker exports full batches (`max_batch_size` items) without waiting
        /// for the trigger size, besides the exports at the trigger size and on the
        /// schedule: a producer wakes it once eight full batches are queued
        /// ([`BatchConfig::wake_size`]: 1024 items with the defaults; one system call per
        /// eight batches), and it exports every full batch there is. Fewer items than that
        /// wait as in Python, for the trigger size, the schedule, a flush or the shutdown;
        /// and when eight batches would reach the trigger size (`max_batch_size` of 717 or
        /// more with the default queue) the switch changes nothing.
        /// Default: `true` ([`DEFAULT_EXPORT_ON_FULL_BATCH`]), which differs from the
        /// Python SDK on purpose: Python's worker waits until the queue holds the trigger
        /// size (5734 items with the defaults) or the schedule delay passes, so a burst
        /// fills 70 % of the queue before the first export, every span of it stays in
        /// memory meanwhile, and only 30 % of the queue is left for what comes while that
        /// export runs. Exporting full batches early sends the same batches (never more
        /// than `max_batch_size` items, in queue order) earlier. `false` restores Python's
        /// timing.
        fn export_on_full_batch(on: bool);

        /// How long dropping the processor without calling
        /// [`shutdown`](crate::BatchTraceProcessor::shutdown) waits for what is queued to be
        /// exported. Default: 5 s ([`DEFAULT_DROP_TIMEOUT`]).
        fn drop_timeout(timeout: Duration);

        /// Which threads free the spans the worker has exported. Default:
        /// [`FreeExported::Producers`], which `cargo bench -p trace-batch --bench release`
        /// weighs against [`FreeExported::Worker`] (whole-span cost, and the worst span end
        /// when spans carry megabytes of data).
        fn free_exported_on(on: FreeExported);
        /// How many calls of the exporter's `export` may run at once. Default: the
        /// exporter's [`concurrent_exports`](TracingExporter::concurrent_exports): 1 for
        /// an exporter that does not say (the Python SDK's one batch at a time, in queue
        /// order), 2 for the workspace's HTTP exporters. Must not be zero; clamped to
        /// [`MAX_CONCURRENT_EXPORTS`].
        ///
        /// Above 1, the worker hands a batch to an export helper thread (named
        /// [`EXPORT_HELPER_THREAD_NAME`](crate::EXPORT_HELPER_THREAD_NAME), started when
        /// first needed, up to `max_concurrent_exports - 1` of them) when one is free and
        /// the worker is behind, and exports the next batch itself meanwhile: serialising
        /// and sending one batch overlaps with waiting for the answer to another. Behind
        /// means that [`BatchConfig::hand_off_size`] items (1024 with the defaults) are
        /// still queued behind the batch, or, while a flush or the shutdown waits, that
        /// anything is; a flow that one export at a time keeps up with thus costs no
        /// helper's wake-ups. Batches may then reach the exporter out of order, with one
        /// order kept: a batch with items of a trace whose start is in a batch still being
        /// exported waits until that batch has returned, so no span reaches the exporter
        /// before its trace. A flush or the shutdown waits for every batch in flight. The
        /// exporter's `force_flush` or `shutdown` called from a helper thread is refused as
        /// from the worker's (`ProcessorError::OnWorkerThread` for a flush).
        fn max_concurrent_exports(n: usize);

        /// Whether this processor's [`shutdown`](crate::BatchTraceProcessor::shutdown) (and
        /// its `Drop`) calls the exporter's `shutdown` once the last batch is exported, or at
        /// the shutdown deadline to cut the export in flight short. Default: `true` with
        /// [`builder`](crate::BatchTraceProcessor::builder) and
        /// [`new`](crate::BatchTraceProcessor::new), which take an exporter of the
        /// processor's own; `false` with
        /// [`builder_shared`](crate::BatchTraceProcessor::builder_shared), whose exporter other
        /// code holds too (another processor, or the default pipeline's
        /// `default_exporter()`): shutting it down would make every later export through
        /// it fail. An `Arc` is an exporter too, so `builder(Arc::clone(&exporter))` compiles,
        /// but it shares the exporter all the same: use `builder_shared`, or set this to
        /// `false`. A processor that leaves its exporter running has its worker (and export
        /// helpers) finish the exports in flight after a shutdown deadline instead of
        /// cutting them short, bounded by the exporter's own budget, while `shutdown`
        /// returns at the deadline; the items it abandons there are counted the same
        /// either way. The Python SDK's processor never closes its exporter.
        fn shut_down_exporter(on: bool);
    }

    /// The exporter, the validated settings and the redactor, for [`build`](Self::build).
    #[allow(clippy::type_complexity)]
    pub(crate) fn into_parts(self) -> Result<(Arc<dyn TracingExporter>, BatchConfig, Option<Redactor>), ConfigError> {
        Ok((self.exporter, self.config.validate()?, self.redactor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_python() {
        let c = BatchConfig::default();
        assert_eq!(c.max_queue_size(), 8192);
        assert_eq!(c.max_batch_size(), 128);
        assert_eq!(c.schedule_delay(), Duration::from_secs(5));
        assert_eq!(c.export_trigger_ratio(), 0.7);
        assert_eq!(c.export_trigger_size(), 5734);
        assert!(c.export_on_full_batch());
        assert_eq!(c.wake_size(), 1024);
        let python = BatchConfig { export_on_full_batch: false, ..BatchConfig::default() };
        assert_eq!(python.wake_size(), 5734);
        // A trigger below the batch size wakes the worker at the trigger either way.
        let small = BatchConfig { max_queue_size: 100, export_trigger_ratio: 0.5, ..BatchConfig::default() };
        assert_eq!(small.wake_size(), 50);
    }

    #[test]
    fn the_hand_off_size_is_eight_batches_or_half_the_queue() {
        assert_eq!(BatchConfig::default().hand_off_size(), 1024);
        // Whatever the trigger: a second export needs no 70 % of the queue first.
        let python = BatchConfig { export_on_full_batch: false, ..BatchConfig::default() };
        assert_eq!(python.hand_off_size(), 1024);
        // Half the queue: with the queue full and a batch taken, 192 are behind it.
        let small = BatchConfig { max_queue_size: 256, max_batch_size: 64, ..BatchConfig::default() };
        assert_eq!(small.hand_off_size(), 128);
        let tiny = BatchConfig { max_queue_size: 1, max_batch_size: 1, ..BatchConfig::default() };
        assert_eq!(tiny.hand_off_size(), 1);
    }

    #[test]
    fn trigger_size_is_at_least_one() {
        let c = BatchConfig { max_queue_size: 1, export_trigger_ratio: 0.1, ..BatchConfig::default() };
        assert_eq!(c.validate().unwrap().export_trigger_size(), 1);
    }

    #[test]
    fn zero_sizes_and_bad_ratios_are_rejected() {
        let bad = |c: BatchConfig| c.validate().unwrap_err();
        let d = BatchConfig::default;
        assert!(matches!(bad(BatchConfig { max_queue_size: 0, ..d() }), ConfigError::ZeroQueueSize));
        // Past the cap (usize::MAX would panic in the channel, 1 << 36 abort on allocation).
        for size in [MAX_QUEUE_SIZE + 1, 1 << 36, usize::MAX] {
            assert_eq!(bad(BatchConfig { max_queue_size: size, ..d() }), ConfigError::QueueTooLarge(size));
        }
        assert_eq!(
            BatchConfig { max_queue_size: MAX_QUEUE_SIZE, ..d() }.validate().unwrap().max_queue_size(),
            MAX_QUEUE_SIZE
        );
        assert!(matches!(bad(BatchConfig { max_batch_size: 0, ..d() }), ConfigError::ZeroBatchSize));
        assert!(matches!(bad(BatchConfig { schedule_delay: Duration::ZERO, ..d() }), ConfigError::ZeroScheduleDelay));
        for r in [0.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            assert!(matches!(bad(BatchConfig { export_trigger_ratio: r, ..d() }), ConfigError::InvalidTriggerRatio(_)));
        }
    }

    #[test]
    fn batch_larger_than_queue_is_clamped() {
        let c = BatchConfig { max_queue_size: 10, max_batch_size: 500, ..BatchConfig::default() };
        assert_eq!(c.validate().unwrap().max_batch_size(), 10);
    }
}
