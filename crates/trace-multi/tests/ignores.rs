//! `ignores!`: the no-op `on_*` methods of a test processor, for the events it ignores
//! (shared by the tests and the benchmark, which includes this file).

/// Writes a no-op `on_*` method for each event named: `ignores!(trace_start, trace_end,
/// span_start, span_end)`, or any of them. `Arc`, `Trace` and `Span` must be in scope.
macro_rules! ignores {
    (@ trace_start) => {
        fn on_trace_start(&self, _: &Arc<Trace>) {}
    };
    (@ trace_end) => {
        fn on_trace_end(&self, _: &Arc<Trace>) {}
    };
    (@ span_start) => {
        fn on_span_start(&self, _: &Span) {}
    };
    (@ span_end) => {
        fn on_span_end(&self, _: &Arc<Span>) {}
    };
    ($($event:ident),+) => {
        $(ignores!(@ $event);)+
    };
}
