//! The global processor slot: the processor installed for the whole process, the
//! generation that per-thread caches check it against, and whether a user chose it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use super::cache::Generation;
use crate::processor::TracingProcessor;

pub(super) type Shared = Arc<dyn TracingProcessor>;

static SLOT: RwLock<Option<Shared>> = RwLock::new(None);
/// Bumped after every change of `SLOT`; per-thread caches compare against it.
pub(super) static GENERATION: Generation = Generation::new();
/// Whether a user ever installed (or cleared) the processor explicitly.
static USER_SET: AtomicBool = AtomicBool::new(false);

/// The processor in the slot (a clone of its `Arc`).
pub(super) fn read() -> Option<Shared> {
    SLOT.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Puts `processor` in the slot as the user's choice; returns what it replaced.
pub(super) fn write_by_user(processor: Option<Shared>) -> Option<Shared> {
    USER_SET.store(true, Ordering::Release);
    let old = std::mem::replace(&mut *SLOT.write().unwrap_or_else(|e| e.into_inner()), processor);
    GENERATION.bump();
    old
}

/// Puts what `make` builds in the slot unless a user chose a processor or the slot is
/// taken; returns whether it did. `make` runs under the slot's write lock.
pub(super) fn install_default(make: impl FnOnce() -> Shared) -> bool {
    if USER_SET.load(Ordering::Acquire) {
        return false;
    }
    let mut slot = SLOT.write().unwrap_or_else(|e| e.into_inner());
    // Checked again under the lock: a user's write sets the flag before taking it.
    if USER_SET.load(Ordering::Acquire) || slot.is_some() {
        return false;
    }
    *slot = Some(make());
    drop(slot);
    GENERATION.bump();
    true
}

/// Whether a user installed or cleared the processor explicitly.
pub(super) fn set_by_user() -> bool {
    USER_SET.load(Ordering::Acquire)
}
