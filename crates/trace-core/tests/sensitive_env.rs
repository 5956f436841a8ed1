//! `OPENAI_AGENTS_TRACE_INCLUDE_SENSITIVE_DATA` is read once, lazily, on first use, as
//! Python reads it (`false` turns the data off); `set_trace_include_sensitive_data`
//! overrides it. Its own test binary (one test), because the variable is read once per
//! process.

use trace_core::sensitive::INCLUDE_SENSITIVE_DATA_ENV;
use trace_core::{
    function_span, set_trace_include_sensitive_data, set_trace_processor, trace, trace_include_sensitive_data,
    InMemoryProcessor,
};

#[test]
fn the_variable_is_read_once_on_first_use_and_the_setter_wins() {
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    std::env::set_var(INCLUDE_SENSITIVE_DATA_ENV, "false");
    {
        let run = trace("wf").start();
        assert!(!run.include_sensitive_data());
        let mut f = function_span("lookup").input("secret arguments").start();
        f.set_output("secret result");
    }
    // Read once: changing it later has no effect.
    std::env::set_var(INCLUDE_SENSITIVE_DATA_ENV, "true");
    assert!(!trace_include_sensitive_data());
    // The setter overrides the variable.
    set_trace_include_sensitive_data(true);
    {
        let _run = trace("wf").start();
        function_span("lookup").input("arguments").start();
    }
    let spans = recorder.finished_spans();
    let json = |i: usize| trace_core::wire::to_json_value(&*spans[i]).unwrap();
    assert!(json(0)["span_data"]["input"].is_null() && json(0)["span_data"]["output"].is_null());
    assert_eq!(json(1)["span_data"]["input"], "arguments");
}
