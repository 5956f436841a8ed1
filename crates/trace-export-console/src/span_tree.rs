//! The spans of one trace as a tree, flattened in display order: one implementation for
//! the terminal tree and the HTML waterfall.

use std::collections::HashMap;
use std::sync::Arc;

use trace_core::{Span, SpanId};

/// One line of the tree: a span, its depth and its parent's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    /// The span's index in the slice given to [`order`].
    pub(crate) span: usize,
    /// 0 for a span whose parent is the trace (or is missing), parent's depth + 1 otherwise.
    pub(crate) depth: usize,
    /// The parent's row (an index into the rows), `None` at depth 0.
    pub(crate) parent_row: Option<usize>,
    /// The last child of its parent (or the last top-level row): for tree lines.
    pub(crate) last: bool,
    /// The span names a parent that is not among the spans (not recorded, dropped, or a
    /// cycle of parent ids): shown at depth 0 with a note.
    pub(crate) orphan: bool,
}

/// The spans in pre-order: each parent before its children, siblings by start time
/// (then in the order they ended). Every span appears once, whatever the parent ids say:
/// a parent id that is missing, the span's own id, or part of a cycle makes the span an
/// orphan at depth 0. Iterative, so a chain nested 100,000 levels deep costs no stack.
pub(crate) fn order(spans: &[Arc<Span>]) -> Vec<Row> {
    let n = spans.len();
    // The first span with each id is the one children attach to.
    let mut by_id: HashMap<&SpanId, usize> = HashMap::with_capacity(n);
    for (i, s) in spans.iter().enumerate() {
        by_id.entry(s.span_id()).or_insert(i);
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut roots = Vec::new();
    let mut orphan = vec![false; n];
    for (i, s) in spans.iter().enumerate() {
        match s.parent_id().map(|p| by_id.get(p).copied()) {
            Some(Some(p)) if p != i => children[p].push(i),
            Some(_) => {
                orphan[i] = true;
                roots.push(i);
            }
            None => roots.push(i),
        }
    }
    let key = |&i: &usize| (spans[i].started_at().is_none(), spans[i].started_at(), i);
    for list in &mut children {
        list.sort_by_key(key);
    }
    roots.sort_by_key(key);

    let mut rows = Vec::with_capacity(n);
    let mut visited = vec![false; n];
    walk(&roots, &children, &orphan, &mut visited, &mut rows);
    // Spans in a cycle of parent ids are reachable from no root: each unvisited one starts
    // a walk of its own, as an orphan.
    for i in 0..n {
        if !visited[i] {
            orphan[i] = true;
            walk(&[i], &children, &orphan, &mut visited, &mut rows);
        }
    }
    rows
}

/// Appends the subtrees of `tops` (as top-level rows) in pre-order.
fn walk(tops: &[usize], children: &[Vec<usize>], orphan: &[bool], visited: &mut [bool], rows: &mut Vec<Row>) {
    // (span, depth, parent row, last among its siblings)
    let mut stack: Vec<(usize, usize, Option<usize>, bool)> = Vec::new();
    // Top-level rows: `last` is settled once the whole forest is known, below.
    let first_top = rows.len();
    for (k, &t) in tops.iter().enumerate().rev() {
        stack.push((t, 0, None, k + 1 == tops.len()));
    }
    while let Some((span, depth, parent_row, last)) = stack.pop() {
        if visited[span] {
            continue;
        }
        visited[span] = true;
        let row = rows.len();
        rows.push(Row { span, depth, parent_row, last, orphan: orphan[span] && depth == 0 });
        let kids: Vec<usize> = children[span].iter().copied().filter(|&c| !visited[c]).collect();
        for (k, &c) in kids.iter().enumerate().rev() {
            stack.push((c, depth + 1, Some(row), k + 1 == kids.len()));
        }
    }
    // Only the very last top-level row of all is `last`: clear the flag on earlier ones.
    for row in rows[..first_top].iter_mut().filter(|r| r.depth == 0) {
        row.last = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trace_core::{CustomSpanData, Timestamp, Trace, TraceId};

    fn span(id: u128, parent: Option<u128>, start: u64) -> Arc<Span> {
        let trace = Arc::new(Trace::new(TraceId::from_u128(1), "w"));
        Arc::new(
            Span::new(
                SpanId::from_u128(id),
                trace,
                parent.map(SpanId::from_u128),
                CustomSpanData { name: id.to_string().into(), data: Default::default() },
            )
            .with_times(Timestamp::from_unix_nanos(start), Timestamp::from_unix_nanos(start + 1)),
        )
    }

    fn shape(spans: &[Arc<Span>]) -> Vec<(u128, usize, bool, bool)> {
        order(spans).iter().map(|r| (spans[r.span].span_id().as_u128().unwrap(), r.depth, r.last, r.orphan)).collect()
    }

    #[test]
    fn children_follow_parents_sorted_by_start() {
        // Ended innermost first, as guards end them.
        let spans = [span(3, Some(1), 30), span(2, Some(1), 20), span(1, None, 10), span(4, None, 40)];
        assert_eq!(
            shape(&spans),
            [(1, 0, false, false), (2, 1, false, false), (3, 1, true, false), (4, 0, true, false)]
        );
        let rows = order(&spans);
        assert_eq!(rows[1].parent_row, Some(0));
        assert_eq!(rows[3].parent_row, None);
    }

    #[test]
    fn missing_parents_self_parents_and_cycles_become_orphans_each_shown_once() {
        let spans = [
            span(1, Some(99), 10), // parent never seen
            span(2, Some(2), 20),  // its own parent
            span(3, Some(4), 30),  // 3 -> 4 -> 3
            span(4, Some(3), 40),
            span(5, None, 50),
        ];
        let rows = shape(&spans);
        assert_eq!(rows.len(), 5);
        assert_eq!(&rows[..3], [(1, 0, false, true), (2, 0, false, true), (5, 0, false, false)]);
        // The cycle is broken at its first span, which becomes an orphan.
        assert_eq!(&rows[3..], [(3, 0, true, true), (4, 1, true, false)]);
    }

    #[test]
    fn a_chain_100000_deep_needs_no_stack() {
        let spans: Vec<_> = (0..100_000u128).map(|i| span(i + 1, (i > 0).then_some(i), 0)).collect();
        let rows = order(&spans);
        assert_eq!(rows.len(), 100_000);
        assert_eq!(rows.last().unwrap().depth, 99_999);
    }

    #[test]
    fn duplicate_ids_keep_every_span() {
        let spans = [span(1, None, 10), span(1, None, 20), span(2, Some(1), 30)];
        let rows = shape(&spans);
        assert_eq!(rows, [(1, 0, false, false), (2, 1, true, false), (1, 0, true, false)]);
    }
}
