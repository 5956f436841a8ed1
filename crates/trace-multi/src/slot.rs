//! [`Slot`]: one processor of a fan-out's list, with its counters.

use std::sync::Arc;

use trace_core::TracingProcessor;

use crate::stats::Health;

/// One processor of a list, with its counters.
#[derive(Clone)]
pub(crate) struct Slot {
    pub(crate) processor: Arc<dyn TracingProcessor>,
    pub(crate) health: Arc<Health>,
}

/// An immutable list of processors; `add` and `set` swap in a new one.
pub(crate) type List = Arc<[Slot]>;
