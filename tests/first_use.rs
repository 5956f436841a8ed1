//! The default pipeline is installed the same way whichever entry point a program calls
//! first: `agents_tracing::core::trace`, `agents_tracing::multi::add_trace_processor`, or
//! `trace_core::trace` once anything of the facade was called.
//!
//! Each scenario needs a fresh process (registration and the registry's "set by the user"
//! flag last for the process), so this binary has no test harness: run without
//! arguments, it runs itself once per scenario and checks that each one passed.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use agents_tracing::core::TraceBuilder;
use agents_tracing::{InMemoryProcessor, TracingProcessor};

fn is_default(p: &Arc<dyn TracingProcessor>) -> bool {
    let default: Arc<dyn TracingProcessor> = agents_tracing::default_processor();
    Arc::ptr_eq(p, &default)
}

fn finish() {
    // Without a key nothing is sent: the batch is counted as lost.
    let default = agents_tracing::default_processor();
    default.shutdown(Some(Duration::from_secs(10))).expect("shutdown");
}

/// Adds an in-memory processor with `add`, then starts a trace with `start`: the fan-out
/// holds the default processor first and the added one second, and both get the trace
/// (the default one's queue then holds `queued` items).
fn add_then_trace(add: fn(InMemoryProcessor), start: fn(&'static str) -> TraceBuilder, queued: u64) {
    let extra = InMemoryProcessor::new();
    add(extra.clone());
    let list = agents_tracing::multi::global_multi_processor().processors();
    assert_eq!(list.len(), 2, "the default processor, then the one added");
    assert!(is_default(&list[0]), "the default processor stays first");
    {
        let _t = start("after add").start();
    }
    assert_eq!(extra.started_traces().len(), 1);
    assert_eq!(agents_tracing::default_processor().stats().queued, queued);
}

/// Only `agents_tracing::core::trace` is called: the default pipeline is installed and
/// receives the trace; `agents_tracing::multi::add_trace_processor` then keeps it first.
fn core_trace_first() {
    {
        let _t = agents_tracing::core::trace("core first").start();
        let _s = agents_tracing::core::custom_span("step").start();
    }
    let installed = trace_core::trace_processor().expect("the default pipeline is installed");
    assert!(is_default(&installed));
    assert_eq!(agents_tracing::default_processor().stats().queued, 2, "the trace and its span");

    add_then_trace(agents_tracing::multi::add_trace_processor, trace_core::trace, 3);
    finish();
}

/// `agents_tracing::multi::add_trace_processor` comes first: the default pipeline is
/// installed and kept first, as `agents_tracing::add_trace_processor` does.
fn multi_add_first() {
    add_then_trace(agents_tracing::multi::add_trace_processor, agents_tracing::trace, 1);
    finish();
}

/// `agents_tracing::add_trace_processor` comes first: the same outcome as
/// `multi_add_first`.
fn root_add_first() {
    add_then_trace(agents_tracing::add_trace_processor, agents_tracing::trace, 1);
    finish();
}

/// `trace_core::trace`, called directly: nothing is installed while the facade was never
/// called (no code runs before `main`); once a facade function ran (here
/// `shutdown_on_drop`), the next `trace_core::trace` installs the default pipeline, on this
/// thread (which had cached "no processor") as on any other.
fn trace_core_after_the_facade() {
    {
        let _t = trace_core::trace("before the facade").start();
    }
    assert!(trace_core::trace_processor().is_none(), "nothing registered the default pipeline yet");

    let _flush_on_exit = agents_tracing::shutdown_on_drop(Duration::from_secs(10));
    {
        let _t = trace_core::trace("after the facade").start();
        let _s = trace_core::custom_span("step").start();
    }
    let installed = trace_core::trace_processor().expect("installed by trace_core::trace");
    assert!(is_default(&installed));
    assert_eq!(agents_tracing::default_processor().stats().queued, 2);
}

/// A proxy variable that names no valid proxy: the first trace still installs the default
/// pipeline (the variable is ignored, and said so at error level) instead of panicking in
/// the caller's span start.
fn an_invalid_proxy_variable_does_not_break_the_first_trace() {
    {
        let _t = agents_tracing::trace("bad proxy").start();
        let _s = agents_tracing::custom_span("step").start();
    }
    let installed = trace_core::trace_processor().expect("the default pipeline is installed");
    assert!(is_default(&installed));
    assert_eq!(agents_tracing::default_processor().stats().queued, 2);
    assert_eq!(trace_core::processor_panics(), 0);
    finish();
}

/// Each scenario, and the environment variables its process gets.
type Scenario = (&'static str, fn(), &'static [(&'static str, &'static str)]);

const SCENARIOS: &[Scenario] = &[
    ("core_trace_first", core_trace_first, &[]),
    ("multi_add_first", multi_add_first, &[]),
    ("root_add_first", root_add_first, &[]),
    ("trace_core_after_the_facade", trace_core_after_the_facade, &[]),
    (
        "an_invalid_proxy_variable_does_not_break_the_first_trace",
        an_invalid_proxy_variable_does_not_break_the_first_trace,
        &[("HTTPS_PROXY", "ftp://not-a-proxy")],
    ),
];

fn main() {
    if let Some(name) = std::env::args().nth(1).filter(|a| !a.starts_with('-')) {
        let (_, scenario, _) = SCENARIOS.iter().find(|(n, _, _)| *n == name).expect("a known scenario");
        scenario();
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut failed = Vec::new();
    for (name, _, env) in SCENARIOS {
        // No key: the default exporter sends nothing anywhere.
        let mut command = Command::new(&exe);
        command.arg(name).env_remove("OPENAI_API_KEY").envs(env.iter().copied());
        let out = command.output().expect("run a scenario");
        if out.status.success() {
            println!("test {name} ... ok");
        } else {
            println!("test {name} ... FAILED\n{}", String::from_utf8_lossy(&out.stderr));
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "scenarios failed: {failed:?}");
    println!("\ntest result: ok. {} passed", SCENARIOS.len());
}
