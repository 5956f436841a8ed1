//! The text of one trace as an indented tree, for the terminal.

use trace_core::{Span, Timestamp};

use crate::color::{Palette, Role};
use crate::span_tree::{self, Row};
use crate::store::Held;
use crate::summary::summarize;
use crate::text::{count, duration_between, one_line};

/// Deeper levels than this are drawn at this indentation, with their depth written out,
/// so that a chain of thousands of nested spans does not print megabytes of tree lines.
pub(crate) const MAX_INDENT: usize = 32;

/// Why a trace is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Moment {
    /// It ended.
    Ended,
    /// The processor shut down before it ended.
    Shutdown,
    /// Printed before it ended to make room: its start was never seen here (resumed or
    /// continued from another process), and `max_open_traces` traces were open.
    Evicted,
}

/// The tree of `held` as text: a header line, one line per span, and a line saying how many
/// spans were left out, if any. `per_trace_cap` is named in that line. `show_data`: see
/// [`summarize`].
pub(crate) fn render(held: &Held, moment: Moment, palette: Palette, per_trace_cap: usize, show_data: bool) -> String {
    let mut out = String::with_capacity(96 * (held.spans.len() + 1));
    header(&mut out, held, moment, palette);
    let rows = span_tree::order(&held.spans);
    let mut open: Vec<bool> = Vec::new();
    for row in &rows {
        open.truncate(row.depth);
        let mut lines = String::new();
        for &more in open.iter().take(MAX_INDENT) {
            lines.push_str(if more { "│  " } else { "   " });
        }
        lines.push_str(if row.last { "└─ " } else { "├─ " });
        palette.paint(&mut out, Role::Dim, &lines);
        if row.depth > MAX_INDENT {
            palette.paint(&mut out, Role::Dim, &format!("[depth {}] ", row.depth));
        }
        line(&mut out, &held.spans[row.span], row, palette, show_data);
        open.push(!row.last);
    }
    if held.dropped > 0 {
        palette.paint(
            &mut out,
            Role::Warn,
            &format!(
                "… {} not shown (the cap of {} spans per trace was reached; see stats())",
                count(held.dropped, "more span"),
                per_trace_cap
            ),
        );
        out.push('\n');
    }
    out
}

fn header(out: &mut String, held: &Held, moment: Moment, palette: Palette) {
    let trace = &held.trace;
    palette.paint(out, Role::Title, &one_line(trace.workflow_name(), 80));
    out.push_str("  ");
    palette.paint(out, Role::Dim, &one_line(&trace.trace_id().to_string(), 80));
    if let Some(group) = trace.group_id() {
        out.push_str("  group ");
        out.push_str(&one_line(group, 80));
    }
    let (start, end) = extent(held);
    out.push_str("  ");
    out.push_str(&duration_between(start, end));
    out.push_str("  ");
    out.push_str(&count(held.spans.len() as u64, "span"));
    let errors = held.spans.iter().filter(|s| s.error().is_some()).count() as u64;
    if errors > 0 {
        out.push_str("  ");
        palette.paint(out, Role::Error, &count(errors, "error"));
    }
    match moment {
        Moment::Ended => {}
        Moment::Shutdown => {
            out.push_str("  ");
            palette.paint(out, Role::Warn, "[not ended: printed at shutdown]");
        }
        Moment::Evicted => {
            out.push_str("  ");
            palette.paint(out, Role::Warn, "[not ended here: printed early to make room (max_open_traces)]");
        }
    }
    if !held.start_seen {
        out.push_str("  ");
        palette.paint(out, Role::Warn, "[start not seen: earlier spans may be missing]");
    }
    out.push('\n');
}

/// When the trace started and ended: its own times, else those of its spans.
fn extent(held: &Held) -> (Option<Timestamp>, Option<Timestamp>) {
    let start = held.trace.started_at().or_else(|| held.spans.iter().filter_map(|s| s.started_at()).min());
    let end = held.trace.ended_at().or_else(|| held.spans.iter().filter_map(|s| s.ended_at()).max());
    (start, end)
}

fn line(out: &mut String, span: &Span, row: &Row, palette: Palette, show_data: bool) {
    let summary = summarize(span, show_data);
    palette.paint(out, Role::Kind(summary.kind), summary.kind.as_str());
    if !summary.name.is_empty() {
        out.push(' ');
        out.push_str(&summary.name);
    }
    out.push_str("  ");
    palette.paint(out, Role::Dim, &duration_between(span.started_at(), span.ended_at()));
    if !summary.details.is_empty() {
        out.push_str("  ");
        if summary.alert {
            palette.paint(out, Role::Error, &summary.details);
        } else {
            out.push_str(&summary.details);
        }
    }
    if let Some(message) = &summary.error {
        out.push_str("  ");
        palette.paint(out, Role::Error, &format!("ERROR: {message}"));
    }
    if row.orphan {
        let parent = span.parent_id().map(|p| one_line(&p.to_string(), 80)).unwrap_or_default();
        out.push_str("  ");
        palette.paint(out, Role::Warn, &format!("(parent {parent} not recorded)"));
    }
    out.push('\n');
}
