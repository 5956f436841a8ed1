//! The default pipeline (features `openai` and `batch`): a [`BatchTraceProcessor`] over a
//! [`BackendSpanExporter`], as the Python SDK's `default_processor()` and
//! `default_exporter()`.
//!
//! Nothing is built, spawned or read from the environment until it is needed: every
//! function of the facade registers [`default_processor`] with trace-core
//! (`register`), which builds and installs it at the first use that follows unless a
//! processor was set explicitly before (see [the crate
//! docs](crate#the-default-pipeline-from-every-entry-point)). The exporter reads
//! `OPENAI_API_KEY`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID` when it first exports.
//!
//! Beyond Python's: the batch processor masks API keys in span data on its worker
//! ([`Redactor::api_keys`]): this pipeline sends data off the machine by default, and a
//! key pasted into a tool's arguments should not travel with it. Without any key, the
//! exporter warns once (how to set a key, how to turn tracing off) and the batches are
//! counted, not logged (`default_exporter().stats().no_api_key`, `default_processor().stats().lost`).

use std::sync::{Arc, OnceLock};

use trace_batch::BatchTraceProcessor;
use trace_core::redact::Redactor;
use trace_core::TracingProcessor;
use trace_export_openai::{BackendSpanExporter, WithHttpOptions};

static EXPORTER: OnceLock<Arc<BackendSpanExporter>> = OnceLock::new();
static PROCESSOR: OnceLock<Arc<BatchTraceProcessor>> = OnceLock::new();

/// The default exporter: OpenAI's endpoint, the Python SDK's retry settings, the key from
/// the environment (or [`set_tracing_export_api_key`]). Built on first call.
///
/// Shared: a processor of your own over it
/// (`BatchTraceProcessor::builder_shared(default_exporter())`) leaves it running when that
/// processor shuts down or is dropped, so the default pipeline keeps exporting; the default
/// processor's shutdown ends it. Build such a processor with `builder_shared`:
/// `BatchTraceProcessor::new(default_exporter())` takes the `Arc` as an exporter of its
/// own and would shut it down with itself.
pub fn default_exporter() -> Arc<BackendSpanExporter> {
    register();
    Arc::clone(EXPORTER.get_or_init(|| {
        // The default endpoint is valid and TLS is on with the `openai` feature; what can
        // fail is a proxy variable that names no valid proxy. Then the variables are
        // ignored (said once, at error level) rather than tracing failing at first use.
        let exporter = BackendSpanExporter::builder().build().unwrap_or_else(|e| {
            log::error!("[non-fatal] Tracing: the proxy variables are ignored by the default exporter: {e}");
            BackendSpanExporter::builder()
                .proxy_from_env(false)
                .build()
                .expect("the default endpoint with TLS and no proxy always builds")
        });
        Arc::new(exporter)
    }))
}

/// The default processor: a batch processor with the Python SDK's defaults (but for
/// `export_on_full_batch`, see `trace_batch`) over
/// [`default_exporter`], which masks API keys in span data on its worker
/// ([`Redactor::api_keys`]). Built (not started: its worker starts with the first span)
/// on first call.
pub fn default_processor() -> Arc<BatchTraceProcessor> {
    register();
    Arc::clone(PROCESSOR.get_or_init(|| {
        // The default pipeline owns the default exporter: its shutdown ends it.
        let processor = BatchTraceProcessor::builder_shared(default_exporter())
            .shut_down_exporter(true)
            .redactor(Redactor::api_keys())
            .build()
            .expect("the default settings are valid");
        Arc::new(processor)
    }))
}

/// Registers the default processor with trace-core, to be installed at first use unless a
/// processor was installed (or cleared) explicitly. Builds nothing; cheap after the first
/// call.
pub(crate) fn register() {
    trace_core::registry::first_use::register_default_processor(make_default);
}

/// What trace-core calls, once, to install the default processor.
fn make_default() -> Arc<dyn TracingProcessor> {
    default_processor()
}

/// Sets the API key the default exporter sends traces with (Python's
/// `set_tracing_export_api_key`). Items of traces with their own key still use theirs.
pub fn set_tracing_export_api_key(key: impl Into<trace_core::ApiKey>) {
    register();
    default_exporter().set_api_key(key);
}
