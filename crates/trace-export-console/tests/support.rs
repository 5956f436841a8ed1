//! Spans and traces with fixed ids and times, for outputs that do not change from run to
//! run.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use trace_core::{JsonMap, Span, SpanData, SpanError, SpanId, Timestamp, Trace, TraceId};

/// `ms` milliseconds after a fixed instant (2023-11-14T22:13:20Z).
pub(crate) fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_nanos(1_700_000_000_000_000_000 + ms * 1_000_000)
}

/// A trace with a fixed id, started at 0 ms and ended at `end_ms`.
pub(crate) fn trace(id: u128, workflow: &str, end_ms: u64) -> Arc<Trace> {
    Arc::new(Trace::new(TraceId::from_u128(id), workflow).with_times(at(0), at(end_ms)))
}

/// A finished span of `trace`.
pub(crate) fn span(
    trace: &Arc<Trace>,
    id: u128,
    parent: Option<u128>,
    (start_ms, end_ms): (u64, u64),
    data: impl Into<SpanData>,
) -> Arc<Span> {
    Arc::new(
        Span::new(SpanId::from_u128(id), Arc::clone(trace), parent.map(SpanId::from_u128), data)
            .with_times(at(start_ms), at(end_ms)),
    )
}

/// The same span with an error.
pub(crate) fn failed(span: Arc<Span>, message: &str) -> Arc<Span> {
    let s = Arc::try_unwrap(span).unwrap_or_else(|s| (*s).clone());
    Arc::new(s.with_error(SpanError::new(message)))
}

/// A JSON object from `json!({..})`.
pub(crate) fn map(v: Value) -> JsonMap {
    match v {
        Value::Object(m) => m,
        other => JsonMap::from_iter([("value".to_owned(), other)]),
    }
}

/// A directory of its own under the system's temp dir, removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("trace-export-console-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
