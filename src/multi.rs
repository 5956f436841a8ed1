//! `trace-multi`: the fan-out processor, re-exported whole, except for the functions of
//! the global fan-out, which first register the default pipeline (see [The default
//! pipeline, from every entry point](crate#the-default-pipeline-from-every-entry-point)),
//! so that it is installed, and kept first, exactly as through the root's functions
//! (which are these).

use std::sync::Arc;

#[doc(inline)]
pub use trace_multi::*;

use trace_core::TracingProcessor;

/// Adds a processor to the global fan-out (Python's `add_trace_processor`): it receives
/// traces and spans after the processors already there. With the default pipeline
/// (features `openai` and `batch`) the default processor stays first, as in Python,
/// unless a processor was set explicitly before; use [`set_trace_processors`] to replace
/// it. `trace_multi::add_trace_processor` after registering the default pipeline.
pub fn add_trace_processor<P: TracingProcessor>(processor: P) {
    crate::register_default_pipeline();
    trace_multi::add_trace_processor(processor);
}

/// [`add_trace_processor`] for a processor that is already shared.
pub fn add_trace_processor_shared(processor: Arc<dyn TracingProcessor>) {
    crate::register_default_pipeline();
    trace_multi::add_trace_processor_shared(processor);
}

/// The global fan-out, installed in the registry (with the default pipeline first, unless
/// a processor was set explicitly before): `trace_multi::global_multi_processor` after
/// registering the default pipeline.
pub fn global_multi_processor() -> Arc<MultiProcessor> {
    crate::register_default_pipeline();
    trace_multi::global_multi_processor()
}

/// Makes `processors` the only processors that receive traces and spans, the default
/// pipeline included (Python's `set_trace_processors`); returns those replaced.
/// `trace_multi::set_trace_processors` after registering the default pipeline.
pub fn set_trace_processors(processors: Vec<Arc<dyn TracingProcessor>>) -> Vec<Arc<dyn TracingProcessor>> {
    crate::register_default_pipeline();
    trace_multi::set_trace_processors(processors)
}
