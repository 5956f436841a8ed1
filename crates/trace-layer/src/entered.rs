//! The bridged spans entered on this thread, each keeping its span current in
//! `trace_core`'s context while entered, so that spans made with the library's own helpers
//! inside nest under it.

use std::cell::RefCell;

use trace_core::context::ContextGuard;
use trace_core::{Context, Parent, SpanId};
use tracing_core::span::Id;

thread_local! {
    /// The `tracing` span id, the span id of the scope made current and the context guard
    /// of each entered bridged span, innermost last.
    static ENTERED: RefCell<Vec<(u64, Option<SpanId>, ContextGuard)>> = const { RefCell::new(Vec::new()) };
}

/// Makes `scope` current on this thread until [`exit`] with the same id.
pub(crate) fn enter(id: &Id, scope: &Parent) {
    let guard = Context::from_parent(scope.clone()).attach();
    // At thread exit the stack is gone: the guard drops at once, which is right.
    let _ = ENTERED.try_with(|entered| {
        if let Ok(mut entered) = entered.try_borrow_mut() {
            entered.push((id.into_u64(), scope.span_id().cloned(), guard));
        }
    });
}

/// Ends what [`enter`] did for `id`, if it did (a span not bridged was never entered here).
pub(crate) fn exit(id: &Id) {
    let id = id.into_u64();
    let guard = ENTERED
        .try_with(|entered| {
            let mut entered = entered.try_borrow_mut().ok()?;
            let at = entered.iter().rposition(|(entered_id, _, _)| *entered_id == id)?;
            Some(entered.remove(at).2)
        })
        .ok()
        .flatten();
    // Dropped here, outside the borrow: the context frame is removed.
    drop(guard);
}

/// Whether `scope` is what the innermost entered bridged span made current (rather than a
/// span made with the library's helpers inside it).
pub(crate) fn is_innermost(scope: &Parent) -> bool {
    let Some(span_id) = scope.span_id() else { return false };
    ENTERED
        .try_with(|entered| {
            entered.try_borrow().ok().and_then(|e| e.last().map(|(_, id, _)| id.as_ref() == Some(span_id)))
        })
        .ok()
        .flatten()
        .unwrap_or(false)
}
