//! Misuse that code can repeat in a loop on a span's path (a span finished again, a trace
//! created inside another) is warned about at most once per 10 s per kind, with the count
//! held back, never once per call.

use std::sync::atomic::{AtomicUsize, Ordering};

use trace_core::{custom_span, set_trace_processor, trace, InMemoryProcessor};

/// Counts the warnings logged.
struct Counting;

static WARNINGS: AtomicUsize = AtomicUsize::new(0);

impl log::Log for Counting {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.level() == log::Level::Warn {
            WARNINGS.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn flush(&self) {}
}

#[test]
fn repeated_misuse_is_warned_about_once() {
    log::set_logger(&Counting).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    set_trace_processor(InMemoryProcessor::new());
    let run = trace("run").start();
    let mut span = custom_span("step").start();
    span.finish();
    for _ in 0..1_000 {
        span.finish();
    }
    assert_eq!(WARNINGS.load(Ordering::SeqCst), 1, "one warning for a thousand second finishes");
    for _ in 0..1_000 {
        let _inner = trace("inner").create();
    }
    assert_eq!(WARNINGS.load(Ordering::SeqCst), 2, "and one for a thousand traces created inside another");
    drop(run);
}
