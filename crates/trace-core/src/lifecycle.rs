//! What trace and span guards share: the created -> started -> finished states, and the
//! frame a guard pushes on the current context when it becomes current.

use crate::context::{self, FrameRef, Parent};

/// Where a guard is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Created,
    Started,
    Finished,
}

/// The frame a guard pushed on the current context, if it did: removed when the trace or
/// span stops being current.
#[derive(Debug, Default)]
pub(crate) struct CurrentFrame(Option<FrameRef>);

impl CurrentFrame {
    /// Makes `scope` the current one, under the frame id `id` (the record's address, or
    /// an anonymous id for a no-op).
    pub(crate) fn enter(&mut self, id: usize, scope: Parent) {
        self.0 = context::push(id, scope);
    }

    /// Removes the frame, if one was pushed and is still there. `what` names the guard in
    /// the debug line logged when it was finished in another context than its own.
    pub(crate) fn leave(&mut self, what: &str) {
        if let Some(at) = self.0.take() {
            if !context::remove(at) {
                log::debug!(
                    "{what} finished outside the context it was started in; that context removes its scope the next \
                     time it pushes a scope or reads its current one"
                );
            }
        }
    }
}
