//! Errors of this crate.

/// A setting given to [`BatchTraceProcessorBuilder`](crate::BatchTraceProcessorBuilder)
/// that cannot work; returned by its `build`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `max_queue_size` was zero.
    #[error("max_queue_size is 0: the queue could hold nothing; give at least 1 (the default is 8192)")]
    ZeroQueueSize,
    /// `max_queue_size` was above [`MAX_QUEUE_SIZE`](crate::MAX_QUEUE_SIZE).
    #[error(
        "max_queue_size is {0}: more than {max} items, whose slots alone would be allocated up front; give at most \
         {max} (the default is 8192)",
        max = crate::MAX_QUEUE_SIZE
    )]
    QueueTooLarge(usize),
    /// `max_batch_size` was zero.
    #[error("max_batch_size is 0: no batch could be exported; give at least 1 (the default is 128)")]
    ZeroBatchSize,
    /// `schedule_delay` was zero.
    #[error("schedule_delay is 0: the worker would export in a busy loop; give a positive delay (the default is 5 s)")]
    ZeroScheduleDelay,
    /// `max_concurrent_exports` was zero.
    #[error("max_concurrent_exports is 0: no batch could be exported; give at least 1 (1 exports one batch at a time, as the Python SDK does)")]
    ZeroConcurrentExports,
    /// `export_trigger_ratio` was not a number in `(0, 1]`.
    #[error("export_trigger_ratio is {0}: it must be a number greater than 0 and at most 1 (the default is 0.7)")]
    InvalidTriggerRatio(f64),
}
