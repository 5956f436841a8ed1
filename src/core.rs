//! `trace-core`: traces, spans, the processor and exporter traits, the context and the
//! registry, re-exported whole, except for its entry points, which first register the
//! default pipeline (see [The default pipeline, from every entry
//! point](crate#the-default-pipeline-from-every-entry-point)) and then call trace-core's.
//! Everything else here *is* trace-core's item, so the two paths can be mixed freely.

use std::sync::Arc;

#[doc(inline)]
pub use trace_core::*;

/// Starts building a trace (Python's `trace()`): `trace_core::trace`, after registering
/// the default pipeline (features `openai` and `batch`), which is then installed as the
/// trace starts unless a processor was set explicitly before.
pub fn trace(workflow_name: impl Into<String>) -> TraceBuilder {
    crate::register_default_pipeline();
    trace_core::trace(workflow_name)
}

/// The installed global processor, if any: `trace_core::trace_processor`, after
/// registering the default pipeline, so that it is installed (and returned) here unless
/// a processor was set explicitly before.
pub fn trace_processor() -> Option<Arc<dyn TracingProcessor>> {
    crate::register_default_pipeline();
    trace_core::trace_processor()
}

pub mod registry {
    //! `trace_core::registry`, re-exported whole, but [`trace_processor`], which first
    //! registers the default pipeline as [`crate::core::trace_processor`] does.

    use std::sync::Arc;

    #[doc(inline)]
    pub use trace_core::registry::*;

    use trace_core::TracingProcessor;

    /// The installed global processor, if any: [`crate::core::trace_processor`].
    pub fn trace_processor() -> Option<Arc<dyn TracingProcessor>> {
        super::trace_processor()
    }
}
