//! Helpers shared by the integration tests. The golden-body normalisation is
//! `test_support::golden`, shared with the OpenAI exporter's compat tests.

use std::sync::{Mutex, MutexGuard};

use agents_tracing::core::{set_trace_processor, set_tracing_disabled, InMemoryProcessor};

static REGISTRY: Mutex<()> = Mutex::new(());

/// Serializes tests that use the global registry, and installs a fresh recorder.
pub(crate) fn registry_lock() -> (MutexGuard<'static, ()>, InMemoryProcessor) {
    let guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    set_tracing_disabled(false);
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    (guard, recorder)
}

/// Reads a golden file copied from the Python SDK capture.
pub(crate) fn golden(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

static ENV: Mutex<()> = Mutex::new(());

/// Serializes tests that change the process environment (proxy variables, say). Every
/// other test of this binary builds its exporters with `proxy_from_env(false)`.
pub(crate) fn env_lock() -> MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|e| e.into_inner())
}
