//! What the batch processor logs when it drops or loses items. Its own test binary, so
//! the logger it installs (global to the process) sees this binary's records only.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use trace_batch::BatchTraceProcessor;
use trace_core::{
    CustomSpanData, ExportError, ExportItem, Span, SpanId, Trace, TraceId, TracingExporter, TracingProcessor,
};

struct Capture(Mutex<Vec<(log::Level, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.target().starts_with("trace_batch") {
            self.0.lock().unwrap().push((record.level(), record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

static LOGS: Capture = Capture(Mutex::new(Vec::new()));

/// Blocks until told to go on, so the queue stays full.
struct Blocked(Mutex<bool>, std::sync::Condvar);

impl TracingExporter for Blocked {
    fn export(&self, _items: &[ExportItem]) -> Result<(), ExportError> {
        let mut go = self.0.lock().unwrap();
        while !*go {
            go = self.1.wait(go).unwrap();
        }
        Ok(())
    }
}

fn warnings_containing(text: &str) -> Vec<String> {
    LOGS.0
        .lock()
        .unwrap()
        .iter()
        .filter(|(level, msg)| *level == log::Level::Warn && msg.contains(text))
        .map(|(_, msg)| msg.clone())
        .collect()
}

fn install() {
    // Once per binary; the tests run in parallel.
    let _ = log::set_logger(&LOGS);
    log::set_max_level(log::LevelFilter::Trace);
}

#[test]
fn drops_log_one_warning_then_the_total_at_shutdown() {
    install();

    let exporter = Arc::new(Blocked(Mutex::new(false), std::sync::Condvar::new()));
    let p = BatchTraceProcessor::builder(Arc::clone(&exporter))
        .max_queue_size(10)
        .schedule_delay(Duration::from_secs(3600))
        .build()
        .unwrap();
    let trace = Arc::new(Trace::new(TraceId::generate(), "t"));
    for n in 0..5_000u128 {
        let data = CustomSpanData { name: "s".into(), data: Default::default() };
        p.on_span_end(&Arc::new(Span::new(SpanId::from_u128(n), Arc::clone(&trace), None, data)));
    }
    let stats = p.stats();
    // The queue holds 10 and the worker's blocked batch at most 10 more.
    assert_eq!(stats.offered(), 5_000, "{stats:?}");
    assert!(stats.dropped_queue_full >= 5_000 - 20, "{stats:?}");

    // Thousands of drops, one warning (the next one may come 10 s later at the earliest).
    let full = warnings_containing("queue is full");
    assert_eq!(full.len(), 1, "{full:?}");
    assert!(full[0].contains("dropping span"), "{}", full[0]);

    *exporter.0.lock().unwrap() = true;
    exporter.1.notify_all();
    p.shutdown(Some(Duration::from_secs(30))).unwrap();
    let totals = warnings_containing("dropped because the queue was full");
    assert_eq!(totals.len(), 1, "{totals:?}");
    assert!(totals[0].contains(&format!("{} dropped", stats.dropped_queue_full)), "{}", totals[0]);

    // After shutdown: one warning for many calls.
    for _ in 0..100 {
        p.on_trace_start(&trace);
    }
    assert_eq!(warnings_containing("is shut down, dropping trace").len(), 1);
    assert_eq!(p.stats().dropped_after_shutdown, 100);
}

/// An exporter that is never set up to send: every batch is `NotConfigured` (the OpenAI
/// exporter without an API key, which warns once itself).
struct Unconfigured;

impl TracingExporter for Unconfigured {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        Err(ExportError::NotConfigured { items: items.len(), reason: "no API key".to_owned() })
    }
}

#[test]
fn batches_an_exporter_is_not_configured_for_are_counted_without_a_warning_each() {
    install();
    let p = BatchTraceProcessor::builder(Unconfigured).build().unwrap();
    let trace = Arc::new(Trace::new(TraceId::generate(), "t"));
    for _ in 0..5 {
        p.on_trace_start(&trace);
        p.force_flush(Some(Duration::from_secs(30))).unwrap();
    }
    let s = p.stats();
    assert_eq!((s.queued, s.lost, s.lost_to_exporter_errors(), s.failed_batches), (5, 5, 5, 5), "{s:?}");
    p.shutdown(Some(Duration::from_secs(30))).unwrap();
    // Neither per batch nor at shutdown: the exporter said it once.
    assert!(warnings_containing("not exported").is_empty());
    assert!(warnings_containing("exporter failed").is_empty());
    assert!(warnings_containing("shut down: 0 items exported").is_empty());
}
