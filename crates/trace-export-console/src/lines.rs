//! [`ConsoleSpanExporter`]: one line per trace and per span, the span as its exported JSON
//! (or, as Python prints them by default, one redacted line per item).

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use trace_core::{ExportError, ExportItem, TracingExporter};

use crate::sink::Sink;
use crate::text::{for_terminal, json_for_terminal};

/// Prints traces and spans, one line each (the Python SDK's `ConsoleSpanExporter`).
///
/// As in Python, the data is shown only when both `OPENAI_AGENTS_DONT_LOG_MODEL_DATA` and
/// `OPENAI_AGENTS_DONT_LOG_TOOL_DATA` are set to `0` (or `false`): by default each item is
/// one redacted line, `[Exporter] Export trace. Trace data is redacted.` or
/// `[Exporter] Export span. Span data is redacted.` (see
/// [`trace_core::sensitive::data_in_logs`]). [`show_data`](Self::show_data) decides in
/// code instead.
///
/// With data, a trace's line is `[Exporter] Export trace_id=…, name=…` and a span's is
/// `[Exporter] Export span: ` and its exported JSON. Characters that would steer a
/// terminal are escaped: in the trace's line as `\u{1b}`, in the JSON as `\u001b` (DEL,
/// C1 controls and bidirectional overrides included, which JSON itself leaves raw), so the
/// JSON stays valid and equal in value to what the backend receives.
///
/// Clones share the output. Writing is serialized by a mutex that only this exporter
/// takes, on the thread that calls [`export`](TracingExporter::export) (the batch worker
/// when used under a batch processor).
#[derive(Clone)]
pub struct ConsoleSpanExporter {
    sink: Arc<Mutex<Sink>>,
    show_data: bool,
}

impl fmt::Debug for ConsoleSpanExporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsoleSpanExporter").field("show_data", &self.show_data).finish_non_exhaustive()
    }
}

impl Default for ConsoleSpanExporter {
    fn default() -> Self {
        Self::new()
    }
}

impl ConsoleSpanExporter {
    /// An exporter writing to standard output; it shows the data as the environment says
    /// (see the [type docs](Self)).
    pub fn new() -> Self {
        Self::on(Sink::Stdout)
    }

    /// An exporter writing into an in-memory buffer; read it with
    /// [`take_output`](Self::take_output).
    pub fn with_writer(buffer: Vec<u8>) -> Self {
        Self::on(Sink::Buffer(buffer))
    }

    /// An exporter writing to any writer (a file, a socket, stderr).
    pub fn to_writer(writer: impl Write + Send + 'static) -> Self {
        Self::on(Sink::Writer(Box::new(writer)))
    }

    fn on(sink: Sink) -> Self {
        Self { sink: Arc::new(Mutex::new(sink)), show_data: trace_core::sensitive::data_in_logs_from_env() }
    }

    /// Shows the traces' and spans' data (`true`), or prints one redacted line per item
    /// (`false`), whatever the environment says. Default: Python's rule, from
    /// `OPENAI_AGENTS_DONT_LOG_MODEL_DATA` and `OPENAI_AGENTS_DONT_LOG_TOOL_DATA` (redacted
    /// unless both are `0` or `false`).
    pub fn show_data(mut self, show: bool) -> Self {
        self.show_data = show;
        self
    }

    /// Takes what was written so far into the in-memory buffer (empty for other sinks).
    pub fn take_output(&self) -> Vec<u8> {
        self.sink.lock().unwrap_or_else(|e| e.into_inner()).take_buffer()
    }

    /// Writes the lines for `items` to `out`, with their data (whatever
    /// [`show_data`](Self::show_data) says: this is the writer of the lines with data). A
    /// trace's end ([`ExportItem::TraceEnd`], never offered to this exporter by the
    /// processors: it does not [want trace ends](TracingExporter::wants_trace_ends)) is
    /// skipped: the trace's line is written at its start.
    pub fn write_items(out: &mut dyn Write, items: &[ExportItem]) -> io::Result<()> {
        let mut json = Vec::new();
        for item in items {
            match item {
                ExportItem::Trace(t) => writeln!(
                    out,
                    "[Exporter] Export trace_id={}, name={}",
                    t.trace_id().with_str(for_terminal),
                    for_terminal(t.workflow_name())
                )?,
                ExportItem::Span(s) => {
                    json.clear();
                    trace_core::wire::write_json(&mut json, &**s).map_err(io::Error::other)?;
                    out.write_all(b"[Exporter] Export span: ")?;
                    json_for_terminal(&json, &mut *out)?;
                    out.write_all(b"\n")?;
                }
                ExportItem::TraceEnd(_) => {}
            }
        }
        Ok(())
    }

    /// Python's lines when the data is not shown: one per trace and per span.
    fn write_redacted(out: &mut dyn Write, items: &[ExportItem]) -> io::Result<()> {
        for item in items {
            match item {
                ExportItem::Trace(_) => out.write_all(b"[Exporter] Export trace. Trace data is redacted.\n")?,
                ExportItem::Span(_) => out.write_all(b"[Exporter] Export span. Span data is redacted.\n")?,
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
        let written =
            if self.show_data { Self::write_items(&mut buf, items) } else { Self::write_redacted(&mut buf, items) };
        let result = written.and_then(|()| crate::sink::write_locked(&self.sink, &buf));
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
        let exporter = ConsoleSpanExporter::with_writer(Vec::new()).show_data(true);
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
    fn without_data_each_item_is_pythons_redacted_line() {
        let trace = Arc::new(Trace::new(TraceId::generate(), "secret workflow"));
        let span = Arc::new(Span::new(
            SpanId::generate(),
            Arc::clone(&trace),
            None,
            CustomSpanData { name: "x".into(), data: Default::default() },
        ));
        let exporter = ConsoleSpanExporter::with_writer(Vec::new()).show_data(false);
        exporter.export(&[ExportItem::Trace(Arc::clone(&trace)), ExportItem::Span(span)]).unwrap();
        let out = String::from_utf8(exporter.take_output()).unwrap();
        assert_eq!(
            out,
            "[Exporter] Export trace. Trace data is redacted.\n[Exporter] Export span. Span data is redacted.\n"
        );
    }

    #[test]
    fn nothing_in_a_line_can_steer_the_terminal() {
        let hostile = "x\x1b]0;pwned\x07\x1b[2J\n[Exporter] Export span: forged\u{7f}\u{9b}\u{202e}";
        let trace = Arc::new(Trace::new(TraceId::from_string(hostile), hostile));
        let data: trace_core::JsonMap = [("k".to_owned(), serde_json::Value::from(hostile))].into_iter().collect();
        let span = Arc::new(Span::new(
            SpanId::generate(),
            Arc::clone(&trace),
            None,
            CustomSpanData { name: hostile.into(), data: data.into() },
        ));
        let exporter = ConsoleSpanExporter::with_writer(Vec::new()).show_data(true);
        exporter.export(&[ExportItem::Trace(Arc::clone(&trace)), ExportItem::Span(Arc::clone(&span))]).unwrap();
        let out = String::from_utf8(exporter.take_output()).unwrap();
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(!out.chars().any(|c| c != '\n' && (c.is_control() || c == '\u{202e}')), "{out:?}");
        // The span's JSON is still valid and holds the same values as the wire's.
        let json = out.lines().nth(1).unwrap().strip_prefix("[Exporter] Export span: ").unwrap();
        let shown: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(shown, trace_core::wire::to_json_value(&*span).unwrap());
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
