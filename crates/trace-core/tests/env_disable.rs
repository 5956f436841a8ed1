//! `OPENAI_AGENTS_DISABLE_TRACING` is read once, lazily, on first use; `set_tracing_disabled`
//! overrides it. Its own test binary (one test), because the variable is read once per
//! process.

use trace_core::{
    custom_span, is_tracing_disabled, set_trace_processor, set_tracing_disabled, trace, InMemoryProcessor,
};

#[test]
fn env_var_is_read_once_on_first_use_and_the_setter_wins() {
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    // Set before first use: honoured ("TRUE" in any case, or "1").
    std::env::set_var("OPENAI_AGENTS_DISABLE_TRACING", "TRUE");
    {
        let t = trace("wf").start();
        assert!(t.is_noop());
        assert!(custom_span("x").start().is_noop());
    }
    // Read once: changing it later has no effect.
    std::env::set_var("OPENAI_AGENTS_DISABLE_TRACING", "0");
    assert!(is_tracing_disabled());
    // The setter overrides the variable.
    set_tracing_disabled(false);
    {
        let _t = trace("wf").start();
        assert!(!custom_span("x").start().is_noop());
    }
    assert_eq!(recorder.finished_spans().len(), 1);
    assert_eq!(recorder.started_traces().len(), 1);
}
