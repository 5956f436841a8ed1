//! The per-thread cache of fan-out lists, so that the hot path reads a fan-out's
//! processors without a lock and without touching a shared reference count.
//!
//! Every thread keeps, for up to [`CAPACITY`] fan-outs, the list it last read, wrapped in
//! an `Rc` (a reference count local to the thread). One global epoch number, bumped after
//! any fan-out's list changes and when a fan-out is dropped, tells a thread that its
//! entries may be stale: it then empties its cache and reads again, under the fan-out's
//! read lock, on the next call. A hit costs one atomic load of a line that only changes
//! on `add`/`set`, a thread-local access and a non-atomic increment.
//!
//! The price: a list replaced by `set` (and so its processors) is released by each
//! thread on its next call of any fan-out, not at once, as with `trace-core`'s registry.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::fanout::List;

/// How many fan-outs a thread keeps lists for. More are correct but read through the
/// fan-out's lock.
const CAPACITY: usize = 4;

/// Changes after any change of any fan-out's list; caches compare against it.
static EPOCH: AtomicU64 = AtomicU64::new(1);

struct Entry {
    owner: u64,
    list: Rc<List>,
}

struct Cache {
    epoch: u64,
    entries: Vec<Entry>,
    /// The entry to evict next when the cache is full.
    next: usize,
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache { epoch: 0, entries: Vec::new(), next: 0 }) };
}

/// Tells every thread that the lists it cached may be stale. Called after a list is
/// swapped (so the new one is visible to whoever sees the new epoch) and on drop.
pub(crate) fn invalidate() {
    EPOCH.fetch_add(1, Ordering::AcqRel);
}

/// Calls `f` with the current list of fan-out `owner`: this thread's cached copy when it
/// is fresh, else the one `load` returns (which is then cached).
///
/// No borrow of the cache is held while `f` runs, so `f` may call fan-outs again (a
/// processor that creates spans, a fan-out inside a fan-out).
#[inline]
pub(crate) fn with_list<R>(owner: u64, load: impl FnOnce() -> List, f: impl FnOnce(&List) -> R) -> R {
    let epoch = EPOCH.load(Ordering::Acquire);
    let cached = CACHE
        .try_with(|cache| {
            let cache = cache.try_borrow().ok()?;
            if cache.epoch != epoch {
                return None;
            }
            cache.entries.iter().find(|e| e.owner == owner).map(|e| Rc::clone(&e.list))
        })
        .ok()
        .flatten();
    match cached {
        Some(list) => f(&list),
        None => refill(owner, epoch, load, f),
    }
}

#[cold]
#[inline(never)]
fn refill<R>(owner: u64, epoch: u64, load: impl FnOnce() -> List, f: impl FnOnce(&List) -> R) -> R {
    // Read after the epoch: a list stored under `epoch` is at least as new as `epoch`.
    let list = Rc::new(load());
    let evicted = CACHE
        .try_with(|cache| match cache.try_borrow_mut() {
            Ok(mut cache) => cache.store(epoch, owner, Rc::clone(&list)),
            Err(_) => Vec::new(),
        })
        .unwrap_or_default();
    // Dropped outside the borrow: the last reference to a processor may run its `Drop`,
    // which may itself emit spans.
    drop(evicted);
    f(&list)
}

impl Cache {
    /// Stores `list` for `owner` as of `epoch`; returns the entries it evicted.
    fn store(&mut self, epoch: u64, owner: u64, list: Rc<List>) -> Vec<Entry> {
        let mut evicted = Vec::new();
        if epoch < self.epoch {
            // A nested call already refreshed the cache from a newer epoch.
            return evicted;
        }
        if epoch != self.epoch {
            evicted = std::mem::take(&mut self.entries);
            self.epoch = epoch;
            self.next = 0;
        }
        let entry = Entry { owner, list };
        if let Some(i) = self.entries.iter().position(|e| e.owner == owner) {
            evicted.push(std::mem::replace(&mut self.entries[i], entry));
        } else if self.entries.len() < CAPACITY {
            self.entries.push(entry);
        } else {
            evicted.push(std::mem::replace(&mut self.entries[self.next], entry));
            self.next = (self.next + 1) % CAPACITY;
        }
        evicted
    }
}
