//! The default pipeline is built and registered on first use, not at startup. Its own
//! binary: the registry's "set by the user" flag lasts for the process.

#![cfg(all(feature = "openai", feature = "batch"))]

use std::sync::Arc;
use std::time::Duration;

use agents_tracing::{custom_span, default_exporter, default_processor, trace, TracingProcessor};

fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|dir| {
            dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("comm")).ok())
                .map(|s| s.trim().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn registered_on_first_use_and_nothing_runs_before() {
    test_support::logcap::install();
    // No key: the exporter must not send anything anywhere.
    std::env::remove_var("OPENAI_API_KEY");
    // `trace_core`'s own function: the facade's `core::trace_processor` would install it.
    assert!(trace_core::trace_processor().is_none(), "nothing is installed at startup");
    assert!(!thread_names().iter().any(|n| "trace-batch-worker".starts_with(n.as_str())));

    {
        let _t = trace("first use").start();
        let _s = custom_span("step").start();
    }
    let installed = agents_tracing::core::trace_processor().expect("the default pipeline is installed");
    let default: Arc<dyn TracingProcessor> = default_processor();
    assert!(Arc::ptr_eq(&installed, &default));
    // Without a key the batch is counted as lost (one warning), not sent. The flush is
    // served by the worker, so once it returns the worker runs (and has named itself).
    default_processor().force_flush(Some(Duration::from_secs(10))).expect("flush");
    let worker_running = thread_names().iter().any(|n| "trace-batch-worker".starts_with(n.as_str()));
    assert!(worker_running, "the worker starts with the first item");
    let stats = default_processor().stats();
    assert_eq!(stats.queued, 2);
    assert_eq!(stats.lost, 2);
    assert_eq!(stats.exported, 0);
    assert!(!format!("{:?}", default_exporter()).contains("sk-"));

    // add_trace_processor keeps the default processor first, as in Python.
    let extra = agents_tracing::InMemoryProcessor::new();
    agents_tracing::add_trace_processor(extra.clone());
    {
        let _t = trace("second").start();
    }
    assert_eq!(extra.started_traces().len(), 1);
    assert_eq!(default_processor().stats().queued, 3);

    // Batch after batch without a key: one clear warning in all, then counted silence.
    for _ in 0..4 {
        {
            let _t = trace("no key").start();
            let _s = custom_span("step").start();
        }
        default_processor().force_flush(Some(Duration::from_secs(10))).expect("flush");
    }
    let warnings: Vec<_> = test_support::logcap::all()
        .into_iter()
        .filter(|l| l.level <= log::Level::Warn && l.target.starts_with("trace_"))
        .map(|l| l.text)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(warnings[0].starts_with("OPENAI_API_KEY is not set"), "{}", warnings[0]);
    assert!(warnings[0].contains("OPENAI_AGENTS_DISABLE_TRACING=1"), "{}", warnings[0]);
    let stats = default_processor().stats();
    assert_eq!((stats.queued, stats.lost, stats.exported), (11, 11, 0), "{stats:?}");
    assert_eq!(default_exporter().stats().no_api_key, 11);
    // The default pipeline masks API keys in span data on its worker.
    assert!(format!("{:?}", default_processor()).contains("mask_api_keys: true"));
    // A processor of one's own over the default exporter shares it: shutting that
    // processor down (or dropping it) leaves the exporter running for the default
    // pipeline, whose own shutdown ends it.
    let mine = agents_tracing::batch::BatchTraceProcessor::builder_shared(default_exporter()).build().unwrap();
    mine.shutdown(Some(Duration::from_secs(5))).expect("nothing was queued");
    drop(mine);
    assert!(!default_exporter().is_shut_down());
    default_processor().shutdown(Some(Duration::from_secs(5))).expect("shutdown");
    assert!(default_exporter().is_shut_down());
    // Nor a summary warning at shutdown.
    let after = test_support::logcap::all().into_iter().filter(|l| l.level <= log::Level::Warn).count();
    assert_eq!(after, 1);
}
