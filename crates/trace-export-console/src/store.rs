//! The bounded store of traces and their spans that the tree printer and the HTML
//! exporter gather before they show a trace: caps on traces, on spans per trace and on
//! spans in all, every span left out counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use trace_core::rate_limit::LogRateLimiter;
use trace_core::{Span, Trace, TraceId};

/// Locks `m`, going on after a panic elsewhere poisoned it (the store and the outputs stay
/// consistent: every change under their locks is a single step). Shared by the tree
/// printer and the HTML exporter.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The caps of a [`Store`]. Each is at least 1 (the builders refuse 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_traces: usize,
    pub(crate) max_spans_per_trace: usize,
    pub(crate) max_spans: usize,
}

/// One trace and the spans kept of it, in the order they ended.
#[derive(Clone, Debug)]
pub(crate) struct Held {
    pub(crate) trace: Arc<Trace>,
    pub(crate) spans: Vec<Arc<Span>>,
    /// Spans of this trace left out (a cap was reached).
    pub(crate) dropped: u64,
    /// The trace's start was seen (otherwise it was first seen through a span: the
    /// processor was installed in the middle of it, or it was refused at its start).
    pub(crate) start_seen: bool,
    /// The trace's end was seen.
    pub(crate) ended: bool,
    /// Arrival order, to list traces as they came.
    seq: u64,
}

/// Why a trace or a span was not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// `max_traces` traces were held already.
    TooManyTraces,
    /// The trace held `max_spans_per_trace` spans already.
    TraceFull,
    /// `max_spans` spans were held already, over all traces.
    AllFull,
    /// The store was closed (its owner shut down).
    Closed,
}

/// What a store left out since it was made, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DropCounts {
    pub(crate) traces: u64,
    pub(crate) spans_trace_full: u64,
    pub(crate) spans_all_full: u64,
    pub(crate) spans_no_room_for_trace: u64,
    pub(crate) spans_after_close: u64,
}

impl DropCounts {
    /// Spans left out, whatever the reason.
    pub(crate) fn spans(&self) -> u64 {
        self.spans_trace_full + self.spans_all_full + self.spans_no_room_for_trace + self.spans_after_close
    }
}

/// Traces and spans, bounded. Not synchronized: its owner keeps it behind a mutex and
/// does nothing but these cheap operations while holding it.
#[derive(Debug)]
pub(crate) struct Store {
    held: HashMap<TraceId, Held>,
    spans: usize,
    next_seq: u64,
    limits: Limits,
    closed: bool,
    drops: DropCounts,
    /// Whether a full store makes room by taking out the oldest trace whose start it never
    /// saw (see [`Store::take_evicted`]).
    evicts: bool,
    evicted: Vec<Held>,
}

impl Store {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            held: HashMap::new(),
            spans: 0,
            next_seq: 0,
            limits,
            closed: false,
            drops: DropCounts::default(),
            evicts: false,
            evicted: Vec::new(),
        }
    }

    /// Makes room, when full, by taking out the oldest trace whose start this store never
    /// saw: a trace resumed or continued from another process, whose end never comes here
    /// either, so that such traces cannot fill the store for good. Its owner shows what
    /// was taken out ([`take_evicted`](Self::take_evicted)); until it does, at most
    /// `max_traces` such traces wait, and a full store refuses rather than evicts. Off by
    /// default.
    pub(crate) fn evicting(mut self) -> Self {
        self.evicts = true;
        self
    }

    /// Whether traces taken out to make room wait to be taken.
    pub(crate) fn has_evicted(&self) -> bool {
        !self.evicted.is_empty()
    }

    /// The traces taken out to make room since the last call, oldest first.
    pub(crate) fn take_evicted(&mut self) -> Vec<Held> {
        std::mem::take(&mut self.evicted)
    }

    fn insert(&mut self, trace: &Arc<Trace>, start_seen: bool) -> Result<&mut Held, Dropped> {
        if self.held.len() >= self.limits.max_traces {
            let oldest_unstarted = self
                .held
                .values()
                .filter(|h| !h.start_seen)
                .min_by_key(|h| h.seq)
                .map(|h| h.trace.trace_id().clone())
                .filter(|_| self.evicts && self.evicted.len() < self.limits.max_traces);
            let Some(id) = oldest_unstarted else { return Err(Dropped::TooManyTraces) };
            if let Some(held) = self.remove(&id) {
                self.evicted.push(held);
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let held = Held { trace: Arc::clone(trace), spans: Vec::new(), dropped: 0, start_seen, ended: false, seq };
        Ok(self.held.entry(trace.trace_id().clone()).or_insert(held))
    }

    /// A trace started: hold it, unless `max_traces` are held already or the store is
    /// closed.
    pub(crate) fn trace_started(&mut self, trace: &Arc<Trace>) -> Result<(), Dropped> {
        if self.closed {
            return Err(Dropped::Closed);
        }
        if let Some(held) = self.held.get_mut(trace.trace_id()) {
            held.start_seen = true;
            return Ok(());
        }
        match self.insert(trace, true) {
            Ok(_) => Ok(()),
            Err(e) => {
                self.drops.traces += 1;
                Err(e)
            }
        }
    }

    /// A span ended: keep it with its trace (held from now on if it was not, room
    /// permitting), unless a cap is reached or the store is closed. Every span refused is
    /// counted.
    pub(crate) fn span_ended(&mut self, span: &Arc<Span>) -> Result<(), Dropped> {
        if self.closed {
            self.drops.spans_after_close += 1;
            return Err(Dropped::Closed);
        }
        let all_full = self.spans >= self.limits.max_spans;
        let per_trace = self.limits.max_spans_per_trace;
        let held = match self.held.get_mut(span.trace_id()) {
            Some(held) => held,
            None => match self.insert(span.trace(), false) {
                Ok(held) => held,
                Err(e) => {
                    self.drops.spans_no_room_for_trace += 1;
                    return Err(e);
                }
            },
        };
        if held.spans.len() >= per_trace {
            held.dropped += 1;
            self.drops.spans_trace_full += 1;
            return Err(Dropped::TraceFull);
        }
        if all_full {
            held.dropped += 1;
            self.drops.spans_all_full += 1;
            return Err(Dropped::AllFull);
        }
        held.spans.push(Arc::clone(span));
        self.spans += 1;
        Ok(())
    }

    /// A trace ended: marks it, if held. Returns whether it is held.
    pub(crate) fn trace_ended(&mut self, trace: &Arc<Trace>) -> bool {
        match self.held.get_mut(trace.trace_id()) {
            Some(held) => {
                held.ended = true;
                true
            }
            None => false,
        }
    }

    /// A trace's end received by an exporter: marks it ended, holding it from now on if it
    /// was not held (its start never came: refused by a cap, lost on the way, or it came
    /// for an earlier trace of the same id, ended since), as a trace whose start was not
    /// seen, unless the store is closed or full. Not counted when refused: the trace was
    /// counted at its start, or by whoever lost it. Returns whether it is held.
    pub(crate) fn trace_end_received(&mut self, trace: &Arc<Trace>) -> bool {
        if !self.held.contains_key(trace.trace_id()) && (self.closed || self.insert(trace, false).is_err()) {
            return false;
        }
        self.trace_ended(trace)
    }

    /// Takes a trace out of the store.
    pub(crate) fn remove(&mut self, id: &TraceId) -> Option<Held> {
        let held = self.held.remove(id)?;
        self.spans -= held.spans.len();
        Some(held)
    }

    /// Takes every trace out, in arrival order.
    pub(crate) fn take_all(&mut self) -> Vec<Held> {
        let mut all: Vec<Held> = self.held.drain().map(|(_, h)| h).collect();
        self.spans = 0;
        all.sort_by_key(|h| h.seq);
        all
    }

    /// A copy of every trace held (reference counts, no span is copied), in arrival order.
    pub(crate) fn snapshot(&self) -> Vec<Held> {
        let mut all: Vec<Held> = self.held.values().cloned().collect();
        all.sort_by_key(|h| h.seq);
        all
    }

    /// Refuses everything from now on (spans offered later are counted as dropped).
    pub(crate) fn close(&mut self) {
        self.closed = true;
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Traces held now, those taken out and not yet taken by the owner included.
    pub(crate) fn traces_held(&self) -> usize {
        self.held.len() + self.evicted.len()
    }

    /// Spans held now, those of traces taken out and not yet taken by the owner included.
    pub(crate) fn spans_held(&self) -> usize {
        self.spans + self.evicted.iter().map(|h| h.spans.len()).sum::<usize>()
    }

    pub(crate) fn drops(&self) -> DropCounts {
        self.drops
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }
}

/// Logs, at most once per 10 s per owner, that something was left out; `who` names the
/// owner, `cap` names the setting that would keep more. Called after the store's lock is
/// released.
pub(crate) fn warn_dropped(limiter: &LogRateLimiter, who: &str, why: Dropped, limits: Limits) {
    if let Some(more) = limiter.check() {
        let what = match why {
            Dropped::TooManyTraces => {
                format!("a trace was not kept: {} traces are held already (max_traces)", limits.max_traces)
            }
            Dropped::TraceFull => format!(
                "a span was not kept: its trace holds {} spans already (max_spans_per_trace)",
                limits.max_spans_per_trace
            ),
            Dropped::AllFull => format!("a span was not kept: {} spans are held already (max_spans)", limits.max_spans),
            Dropped::Closed => "a span arrived after shutdown and was not kept".to_owned(),
        };
        log::warn!("[non-fatal] {who}: {what}; see stats() ({more} more since the last warning)");
    }
}

/// The rate limit of one owner's warnings.
pub(crate) fn limiter() -> LogRateLimiter {
    LogRateLimiter::new(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;
    use trace_core::{CustomSpanData, SpanId};

    fn trace(id: u128) -> Arc<Trace> {
        Arc::new(Trace::new(TraceId::from_u128(id), "w"))
    }

    fn span(trace: &Arc<Trace>, id: u128) -> Arc<Span> {
        Arc::new(Span::new(SpanId::from_u128(id), Arc::clone(trace), None, CustomSpanData::default()))
    }

    const LIMITS: Limits = Limits { max_traces: 2, max_spans_per_trace: 3, max_spans: 5 };

    #[test]
    fn caps_hold_and_every_refusal_is_counted() {
        let mut store = Store::new(LIMITS);
        let (a, b, c) = (trace(1), trace(2), trace(3));
        store.trace_started(&a).unwrap();
        store.trace_started(&b).unwrap();
        assert_eq!(store.trace_started(&c), Err(Dropped::TooManyTraces));
        assert_eq!(store.span_ended(&span(&c, 30)), Err(Dropped::TooManyTraces));
        for i in 0..3 {
            store.span_ended(&span(&a, i)).unwrap();
        }
        assert_eq!(store.span_ended(&span(&a, 9)), Err(Dropped::TraceFull));
        store.span_ended(&span(&b, 10)).unwrap();
        store.span_ended(&span(&b, 11)).unwrap();
        assert_eq!(store.span_ended(&span(&b, 12)), Err(Dropped::AllFull));
        assert_eq!(store.spans_held(), 5);
        let drops = store.drops();
        assert_eq!(
            drops,
            DropCounts {
                traces: 1,
                spans_trace_full: 1,
                spans_all_full: 1,
                spans_no_room_for_trace: 1,
                spans_after_close: 0
            }
        );
        // Removing a trace frees its room: the third trace's later spans are kept.
        let held = store.remove(a.trace_id()).unwrap();
        assert_eq!((held.spans.len(), held.dropped, held.start_seen), (3, 1, true));
        store.span_ended(&span(&c, 31)).unwrap();
        let all = store.take_all();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].trace.trace_id(), b.trace_id());
        assert_eq!((all[0].dropped, all[1].start_seen), (1, false));
        assert_eq!(store.spans_held(), 0);
        store.close();
        assert_eq!(store.span_ended(&span(&a, 40)), Err(Dropped::Closed));
        assert_eq!(store.drops().spans_after_close, 1);
    }
}
