//! [`ConsoleSpanExporter`]: one line per trace and per span, the span as its exported JSON.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use trace_core::{ExportError, ExportItem, TracingExporter};

use crate::sink::Sink;

/// Prints traces and spans, one line each (the Python SDK's `ConsoleSpanExporter`).
///
/// Clones share the output. Writing is serialized by a mutex that only this exporter
/// takes, on the thread that calls [`export`](TracingExporter::export) (the batch worker
/// when used under a batch processor).
#[derive(Clone)]
pub struct ConsoleSpanExporter {
    sink: Arc<Mutex<Sink>>,
}

impl fmt::Debug for ConsoleSpanExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleSpanExporter").finish_non_exhaustive()
    }
}

impl Default for ConsoleSpanExporter {
    fn default() -> Self {
        Self::new()
    }
}

impl ConsoleSpanExporter {
    /// An exporter writing to standard output.
    pub fn new() -> Self {
        Self { sink: Arc::new(Mutex::new(Sink::Stdout)) }
    }

    /// An exporter writing into an in-memory buffer; read it with
    /// [`take_output`](Self::take_output).
    pub fn with_writer(buffer: Vec<u8>) -> Self {
        Self { sink: Arc::new(Mutex::new(Sink::Buffer(buffer))) }
    }

    /// An exporter writing to any writer (a file, a socket, stderr).
    pub fn to_writer(writer: impl Write + Send + 'static) -> Self {
        Self { sink: Arc::new(Mutex::new(Sink::Writer(Box::new(writer)))) }
    }

    /// Takes what was written so far into the in-memory buffer (empty for other sinks).
    pub fn take_output(&self) -> Vec<u8> {
        self.sink.lock().unwrap_or_else(|e| e.into_inner()).take_buffer()
    }

    /// Writes the lines for `items` to `out`. A trace's end ([`ExportItem::TraceEnd`],
    /// never offered to this exporter by the processors: it does not
    /// [want trace ends](TracingExporter::wants_trace_ends)) is skipped: the trace's line
    /// is written at its start.
    pub fn write_items(out: &mut dyn Write, items: &[ExportItem]) -> io::Result<()> {
        for item in items {
            match item {
                ExportItem::Trace(t) => {
                    writeln!(out, "[Exporter] Export trace_id={}, name={}", t.trace_id(), t.workflow_name())?
                }
                ExportItem::Span(s) => {
                    out.write_all(b"[Exporter] Export span: ")?;
                    trace_core::wire::write_json(&mut *out, &**s).map_err(io::Error::other)?;
                    out.write_all(b"\n")?;
                }
                ExportItem::TraceEnd(_) => {}
            }
        }
        Ok(())
    }
}

impl TracingExporter for ConsoleSpanExporter {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        // Format the whole batch first, then write it in one call (under stdout's lock when
        // the sink is stdout).
        let mut buf = Vec::with_capacity(256 * items.len());
        let result = Self::write_items(&mut buf, items)
            .and_then(|()| self.sink.lock().unwrap_or_else(|e| e.into_inner()).write_all(&buf));
        result.map_err(|e| ExportError::failed(items.len(), format!("console write failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use trace_core::{CustomSpanData, Span, SpanId, Trace, TraceId};

    #[test]
    fn one_line_per_trace_and_per_span() {
        let trace = Arc::new(Trace::new(TraceId::from_u128(1), "wf"));
        let span = Arc::new(Span::new(
            SpanId::from_u128(2),
            Arc::clone(&trace),
            None,
            CustomSpanData { name: "x".into(), data: Default::default() },
        ));
        let exporter = ConsoleSpanExporter::with_writer(Vec::new());
        let end = ExportItem::TraceEnd(Arc::clone(&trace));
        exporter.export(&[ExportItem::Trace(trace), ExportItem::Span(span), end]).unwrap();
        let out = String::from_utf8(exporter.take_output()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "a trace's end is skipped");
        assert_eq!(lines[0], "[Exporter] Export trace_id=trace_00000000000000000000000000000001, name=wf");
        assert_eq!(
            lines[1],
            r#"[Exporter] Export span: {"object":"trace.span","id":"span_000000000000000000000002","trace_id":"trace_00000000000000000000000000000001","parent_id":null,"started_at":null,"ended_at":null,"span_data":{"type":"custom","name":"x","data":{}},"error":null}"#
        );
    }

    #[test]
    fn a_failing_writer_reports_the_batch_as_lost() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let trace = Arc::new(Trace::new(TraceId::generate(), "wf"));
        let err = ConsoleSpanExporter::to_writer(Broken).export(&[ExportItem::Trace(trace)]).unwrap_err();
        assert_eq!(err.lost_items(1), 1);
        assert!(err.to_string().contains("disk full"), "{err}");
    }
}
