//! The bridged spans entered on this thread, each keeping its span current in
//! `trace_core`'s context while entered, so that spans made with the library's own helpers
//! inside nest under it.

use std::cell::RefCell;

use trace_core::context::ContextGuard;
use trace_core::{Context, Parent};
use tracing_core::span::Id;

thread_local! {
    /// The `tracing` span id and the context guard of each entered bridged span, innermost
    /// last.
    static ENTERED: RefCell<Vec<(u64, ContextGuard)>> = const { RefCell::new(Vec::new()) };
}

/// Makes `scope` current on this thread until [`exit`] with the same id.
pub(crate) fn enter(id: &Id, scope: &Parent) {
    let guard = Context::from_parent(scope.clone()).attach();
    // At thread exit the stack is gone: the guard drops at once, which is right.
    let _ = ENTERED.try_with(|entered| {
        if let Ok(mut entered) = entered.try_borrow_mut() {
            entered.push((id.into_u64(), guard));
        }
    });
}

/// Ends what [`enter`] did for `id`, if it did (a span not bridged was never entered here).
pub(crate) fn exit(id: &Id) {
    let id = id.into_u64();
    let guard = ENTERED
        .try_with(|entered| {
            let mut entered = entered.try_borrow_mut().ok()?;
            let at = entered.iter().rposition(|(entered_id, _)| *entered_id == id)?;
            Some(entered.remove(at).1)
        })
        .ok()
        .flatten();
    // Dropped here, outside the borrow: the context frame is removed.
    drop(guard);
}
