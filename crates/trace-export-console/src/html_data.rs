//! The data of an HTML page: the traces and spans as JSON, made safe to sit inside a
//! `<script>` element.
//!
//! The document (version 1), read by `assets/waterfall.js`:
//!
//! ```text
//! {"version": 1, "title": str, "generated_at": iso,
//!  "limits": {"max_traces": n, "max_spans_per_trace": n, "max_spans": n},
//!  "dropped": {"traces": n, "spans": n},            // run-wide, every reason
//!  "traces": [{
//!     "id": str, "workflow": str, "group_id": str|null,
//!     "started_at": iso|null, "duration_us": n|null, // from the earliest start seen
//!     "ended": bool, "start_seen": bool, "dropped": n, "errors": n,
//!     "trace": {...},                                // the trace's exported JSON
//!     "rows": [[depth, parent_row, start_us|null, end_us|null, kind, name, details,
//!               error|null, orphan, alert], ...],    // display order (pre-order)
//!     "spans": [{...}, ...]                          // each row's exported span JSON
//!  }, ...]}
//! ```
//!
//! Times are microseconds from the trace's origin (the earliest of its start and its
//! spans' starts). `parent_row` is -1 at depth 0; `orphan` and `alert` are 0 or 1.

use std::io::{self, Write};

use trace_core::{Span, Timestamp};

use crate::span_tree::{self, Row};
use crate::store::{Held, Limits};
use crate::summary::summarize;

/// What a page shows.
pub(crate) struct PageData<'a> {
    pub(crate) title: &'a str,
    pub(crate) traces: &'a [Held],
    pub(crate) limits: Limits,
    /// Traces dropped run-wide.
    pub(crate) dropped_traces: u64,
    /// Spans dropped run-wide (for a per-trace page: the trace's own).
    pub(crate) dropped_spans: u64,
    pub(crate) generated_at: Timestamp,
}

/// Writes the data document to `out`, every `<`, `>` and `&` written as a JSON escape so
/// that nothing in it can close the `<script>` element it sits in (see [`ScriptSafe`]).
pub(crate) fn write(out: &mut dyn Write, page: &PageData<'_>) -> io::Result<()> {
    let mut w = ScriptSafe(out);
    let w: &mut dyn Write = &mut w;
    w.write_all(b"{\"version\":1,\"title\":")?;
    json(w, page.title)?;
    w.write_all(b",\"generated_at\":")?;
    json(w, &page.generated_at)?;
    let l = page.limits;
    write!(
        w,
        ",\"limits\":{{\"max_traces\":{},\"max_spans_per_trace\":{},\"max_spans\":{}}}",
        l.max_traces, l.max_spans_per_trace, l.max_spans
    )?;
    write!(w, ",\"dropped\":{{\"traces\":{},\"spans\":{}}},\"traces\":[", page.dropped_traces, page.dropped_spans)?;
    for (i, held) in page.traces.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        trace(w, held)?;
    }
    w.write_all(b"]}")
}

/// One value through the workspace's one depth-limited JSON writer.
fn json<T: serde::Serialize + ?Sized>(w: &mut dyn Write, value: &T) -> io::Result<()> {
    trace_core::write_json(w, value).map_err(io::Error::from)
}

fn opt_num(w: &mut dyn Write, n: Option<u64>) -> io::Result<()> {
    match n {
        Some(n) => write!(w, "{n}"),
        None => w.write_all(b"null"),
    }
}

fn trace(w: &mut dyn Write, held: &Held) -> io::Result<()> {
    let t = &held.trace;
    let origin = held.spans.iter().filter_map(|s| s.started_at()).chain(t.started_at()).min();
    let end = held.spans.iter().filter_map(|s| s.ended_at()).chain(t.ended_at()).max();
    let rel = |ts: Option<Timestamp>| match (origin, ts) {
        (Some(o), Some(ts)) => Some(ts.unix_nanos().saturating_sub(o.unix_nanos()) / 1_000),
        _ => None,
    };
    w.write_all(b"{\"id\":")?;
    json(w, t.trace_id())?;
    w.write_all(b",\"workflow\":")?;
    json(w, t.workflow_name())?;
    w.write_all(b",\"group_id\":")?;
    json(w, &t.group_id())?;
    w.write_all(b",\"started_at\":")?;
    json(w, &origin)?;
    w.write_all(b",\"duration_us\":")?;
    opt_num(w, rel(end))?;
    let errors = held.spans.iter().filter(|s| s.error().is_some()).count();
    write!(
        w,
        ",\"ended\":{},\"start_seen\":{},\"dropped\":{},\"errors\":{errors},\"trace\":",
        held.ended, held.start_seen, held.dropped
    )?;
    json(w, &**t)?;
    let rows = span_tree::order(&held.spans);
    w.write_all(b",\"rows\":[")?;
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        let span = &held.spans[row.span];
        row_json(w, row, span, rel(span.started_at()), rel(span.ended_at()))?;
    }
    w.write_all(b"],\"spans\":[")?;
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        json(w, &*held.spans[row.span])?;
    }
    w.write_all(b"]}")
}

fn row_json(w: &mut dyn Write, row: &Row, span: &Span, start: Option<u64>, end: Option<u64>) -> io::Result<()> {
    // The page holds each span's exported JSON whole, so its summaries show the data too.
    let s = summarize(span, true);
    let parent = row.parent_row.map_or(-1, |p| p as i64);
    write!(w, "[{},{parent},", row.depth)?;
    opt_num(w, start)?;
    w.write_all(b",")?;
    opt_num(w, end)?;
    w.write_all(b",")?;
    json(w, s.kind.as_str())?;
    w.write_all(b",")?;
    json(w, &s.name)?;
    w.write_all(b",")?;
    json(w, &s.details)?;
    w.write_all(b",")?;
    json(w, &s.error)?;
    write!(w, ",{},{}]", u8::from(row.orphan), u8::from(s.alert))
}

/// A writer of JSON text that writes `<`, `>` and `&` as `\u003c`, `\u003e` and `\u0026`.
///
/// JSON text has these characters only inside strings (they are not part of its
/// grammar), where the escapes mean the same characters: the text still parses to the
/// same value. Without them, no sequence such as `</script>` or `<!--` can appear, so the
/// text cannot end or change the `<script>` element it is embedded in, whatever the
/// strings hold.
pub(crate) struct ScriptSafe<'a>(pub(crate) &'a mut dyn Write);

impl Write for ScriptSafe<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        for (i, &b) in buf.iter().enumerate() {
            let escape: &[u8] = match b {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                _ => continue,
            };
            self.0.write_all(&buf[start..i])?;
            self.0.write_all(escape)?;
            start = i + 1;
        }
        self.0.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_safe_escapes_the_three_characters_and_keeps_the_value() {
        let value = serde_json::json!({"s": "</script><!-- a&b \\<x> \u{2028}"});
        let mut out = Vec::new();
        trace_core::write_json(ScriptSafe(&mut out), &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }
}
