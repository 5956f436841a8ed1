//! Counters of what the tree printer and the HTML exporter did: [`TreeStats`],
//! [`HtmlStats`].

use crate::store::DropCounts;

/// What a [`TreeConsoleProcessor`](crate::TreeConsoleProcessor) did; from its
/// [`stats`](crate::TreeConsoleProcessor::stats).
///
/// Every span that ended is accounted for, once nothing moves:
/// `spans offered == spans_printed + spans_in_failed_writes + spans_held + spans_dropped()`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TreeStats {
    /// Trees printed when their trace ended.
    pub traces_printed: u64,
    /// Trees printed before their trace ended: at shutdown, or early to make room when
    /// `max_open_traces` were open and the trace's start was never seen here (a trace
    /// resumed or continued from another process, which never ends here either).
    pub unfinished_traces_printed: u64,
    /// Spans shown in the trees written.
    pub spans_printed: u64,
    /// Spans of trees whose write failed (see `write_errors`).
    pub spans_in_failed_writes: u64,
    /// Traces open now (started, not yet ended or printed).
    pub traces_held: u64,
    /// Spans held now, waiting for their trace to end.
    pub spans_held: u64,
    /// Traces not kept because `max_open_traces` traces were open already.
    pub traces_dropped: u64,
    /// Spans not kept because their trace held `max_spans_per_trace` spans already (each
    /// tree says how many of its spans were left out).
    pub spans_dropped_trace_cap: u64,
    /// Spans not kept because their trace was not held and `max_open_traces` traces were
    /// open already.
    pub spans_dropped_no_room: u64,
    /// Spans that ended after [`shutdown`](trace_core::TracingProcessor::shutdown).
    pub spans_dropped_after_shutdown: u64,
    /// Writes of a tree that failed (each is logged, rate-limited).
    pub write_errors: u64,
}

impl TreeStats {
    /// All spans left out, whatever the reason.
    pub fn spans_dropped(&self) -> u64 {
        self.spans_dropped_trace_cap + self.spans_dropped_no_room + self.spans_dropped_after_shutdown
    }

    pub(crate) fn with_drops(mut self, drops: DropCounts) -> Self {
        self.traces_dropped = drops.traces;
        // The processor's total cap is the sum of the per-trace caps: never reached first.
        self.spans_dropped_trace_cap = drops.spans_trace_full + drops.spans_all_full;
        self.spans_dropped_no_room = drops.spans_no_room_for_trace;
        self.spans_dropped_after_shutdown = drops.spans_after_close;
        self
    }
}

/// What an [`HtmlWaterfallExporter`](crate::HtmlWaterfallExporter) did; from its
/// [`stats`](crate::HtmlWaterfallExporter::stats).
///
/// Every span exported to it is accounted for, once nothing moves:
/// `spans received == spans_held + spans_in_pages + spans_in_failed_pages + spans_dropped()`
/// (with one page per run, spans stay held after the page is written, so that a later
/// [`write`](crate::HtmlWaterfallExporter::write) shows them too; `spans_in_pages` counts
/// the spans of per-trace pages only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HtmlStats {
    /// Traces held now.
    pub traces_held: u64,
    /// Spans held now.
    pub spans_held: u64,
    /// Pages written (files, or calls to `render`).
    pub pages_written: u64,
    /// Spans of per-trace pages written and released.
    pub spans_in_pages: u64,
    /// Spans of per-trace pages whose write failed, released.
    pub spans_in_failed_pages: u64,
    /// Page writes that failed (each is logged, rate-limited, and returned by `write`).
    pub write_errors: u64,
    /// Traces not kept because `max_traces` traces were held already.
    pub traces_dropped: u64,
    /// Spans not kept because their trace held `max_spans_per_trace` spans already.
    pub spans_dropped_trace_cap: u64,
    /// Spans not kept because `max_spans` spans were held already.
    pub spans_dropped_run_cap: u64,
    /// Spans not kept because their trace was not held and `max_traces` traces were held
    /// already.
    pub spans_dropped_no_room: u64,
    /// Spans exported after [`shutdown`](trace_core::TracingExporter::shutdown).
    pub spans_dropped_after_shutdown: u64,
}

impl HtmlStats {
    /// All spans left out, whatever the reason. The page says how many, per trace and in
    /// all.
    pub fn spans_dropped(&self) -> u64 {
        self.spans_dropped_trace_cap
            + self.spans_dropped_run_cap
            + self.spans_dropped_no_room
            + self.spans_dropped_after_shutdown
    }

    pub(crate) fn with_drops(mut self, drops: DropCounts) -> Self {
        self.traces_dropped = drops.traces;
        self.spans_dropped_trace_cap = drops.spans_trace_full;
        self.spans_dropped_run_cap = drops.spans_all_full;
        self.spans_dropped_no_room = drops.spans_no_room_for_trace;
        self.spans_dropped_after_shutdown = drops.spans_after_close;
        self
    }
}
