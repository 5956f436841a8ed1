//! A per-thread cache of values that change rarely, checked against a shared change
//! counter: how the registry reads the installed processor and how a fan-out reads its
//! list, on every span start and end, without a lock and without a shared reference count.
//!
//! - A [`Generation`] (one per kind of value, a `static`) counts changes: a writer swaps
//!   the value, then calls [`Generation::bump`].
//! - A [`LocalCache`] (one per kind of value, in a `thread_local!`) keeps, for up to
//!   [`CAPACITY`] owners (one registry, several fan-outs...), the value the thread last
//!   read, as of the generation it read it in.
//! - [`with`] calls a function with the fresh value: the cached one when the generation
//!   has not moved (one atomic load, a thread-local access, a non-atomic reference count),
//!   else the one `load` returns, which is then cached. No borrow of the cache is held
//!   while the function runs, so it may come back in (a processor that creates spans, a
//!   fan-out inside a fan-out).
//!
//! **What the cache releases is retired, never dropped on the hot path.** A stale value may
//! hold the last reference to a processor that was replaced; its `Drop` (a batch
//! processor's final export, a join, any wait) must not run inside a span start or end. So
//! every value the cache lets go of (stale entries, evicted ones, the entries of a thread
//! that exits) goes to [`retire`](super::retire()), which drops it on the `trace-retire`
//! thread. Whoever replaced the value still gets the old one back and may keep it.
//!
//! ```
//! use std::sync::RwLock;
//! use trace_core::registry::cache::{self, Generation, LocalCache};
//!
//! static NAME: RwLock<String> = RwLock::new(String::new());
//! static NAME_GENERATION: Generation = Generation::new();
//! thread_local! {
//!     static NAME_CACHE: LocalCache<String> = const { LocalCache::new() };
//! }
//!
//! fn name_len() -> usize {
//!     cache::with(&NAME_CACHE, &NAME_GENERATION, 0, || NAME.read().unwrap().clone(), |name| name.len())
//! }
//!
//! assert_eq!(name_len(), 0);
//! *NAME.write().unwrap() = "changed".to_owned();
//! NAME_GENERATION.bump(); // after the change: readers see it from their next call
//! assert_eq!(name_len(), 7);
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::LocalKey;

use super::retire::{self, retire};

/// How many owners a thread keeps values for in one [`LocalCache`]. More are correct, but
/// evict each other (and re-read through `load`).
pub const CAPACITY: usize = 4;

/// A change counter shared by every thread's [`LocalCache`] of one kind of value.
#[derive(Debug)]
pub struct Generation {
    value: AtomicU64,
    /// Whether any thread ever cached a value under this counter (so a bump may leave
    /// stale values to retire).
    filled: AtomicBool,
}

impl Generation {
    /// A new counter.
    pub const fn new() -> Self {
        Self { value: AtomicU64::new(1), filled: AtomicBool::new(false) }
    }

    /// The current generation.
    #[inline]
    pub fn current(&self) -> u64 {
        self.value.load(Ordering::Acquire)
    }

    /// Tells every thread that what it cached may be stale. Call it **after** the change,
    /// so that a thread that sees the new generation reads the new value. (The retirement
    /// thread that drops stale values runs from the first time any cache was filled.)
    pub fn bump(&self) {
        self.value.fetch_add(1, Ordering::AcqRel);
    }
}

impl Default for Generation {
    fn default() -> Self {
        Self::new()
    }
}

struct Entry<T: Send + 'static> {
    owner: u64,
    value: Rc<T>,
}

struct Entries<T: Send + 'static> {
    generation: u64,
    list: Vec<Entry<T>>,
    /// The entry to evict next when the list is full.
    next: usize,
}

/// One thread's cache of values of type `T`, keyed by owner; declare it in a
/// `thread_local!` with `const { LocalCache::new() }` and read it through [`with`].
///
/// Values it lets go of, including when the thread exits, are [retired](super::retire).
pub struct LocalCache<T: Send + 'static> {
    entries: RefCell<Entries<T>>,
}

impl<T: Send + 'static> std::fmt::Debug for LocalCache<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.entries.try_borrow() {
            Ok(e) => f
                .debug_struct("LocalCache")
                .field("generation", &e.generation)
                .field("owners", &e.list.iter().map(|e| e.owner).collect::<Vec<_>>())
                .finish(),
            Err(_) => f.write_str("LocalCache(in use)"),
        }
    }
}

impl<T: Send + 'static> LocalCache<T> {
    /// An empty cache.
    pub const fn new() -> Self {
        Self { entries: RefCell::new(Entries { generation: 0, list: Vec::new(), next: 0 }) }
    }

    fn get(&self, generation: u64, owner: u64) -> Option<Rc<T>> {
        let entries = self.entries.try_borrow().ok()?;
        if entries.generation != generation {
            return None;
        }
        entries.list.iter().find(|e| e.owner == owner).map(|e| Rc::clone(&e.value))
    }

    /// Stores `value` for `owner` as of `generation`; returns what it let go of.
    fn store(&self, generation: u64, owner: u64, value: Rc<T>) -> Vec<Entry<T>> {
        let Ok(mut entries) = self.entries.try_borrow_mut() else { return Vec::new() };
        let mut released = Vec::new();
        if generation < entries.generation {
            // A nested call already refreshed the cache from a newer generation.
            return released;
        }
        if generation != entries.generation {
            released = std::mem::take(&mut entries.list);
            entries.generation = generation;
            entries.next = 0;
        }
        let entry = Entry { owner, value };
        if let Some(i) = entries.list.iter().position(|e| e.owner == owner) {
            released.push(std::mem::replace(&mut entries.list[i], entry));
        } else if entries.list.len() < CAPACITY {
            entries.list.push(entry);
        } else {
            let next = entries.next;
            released.push(std::mem::replace(&mut entries.list[next], entry));
            entries.next = (next + 1) % CAPACITY;
        }
        released
    }
}

impl<T: Send + 'static> Default for LocalCache<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> Drop for LocalCache<T> {
    /// The thread exits: its values are retired, not dropped here.
    fn drop(&mut self) {
        for entry in std::mem::take(&mut self.entries.get_mut().list) {
            release(entry.value);
        }
    }
}

/// Lets go of one reference: if it is the last one on this thread, the value is retired.
#[inline]
fn release<T: Send + 'static>(value: Rc<T>) {
    if let Ok(value) = Rc::try_unwrap(value) {
        retire(value);
    }
}

/// Calls `f` with the current value of `owner`: this thread's cached copy when it is as
/// new as `generation`, else the one `load` returns (read after the generation, and then
/// cached). Where the thread's cache is gone (a call from another thread-local's
/// destructor), `f` gets a fresh `load()`, retired afterwards.
///
/// `f` runs with no borrow of the cache held, so it may call [`with`] again.
#[inline]
pub fn with<T: Send + 'static, R>(
    cache: &'static LocalKey<LocalCache<T>>,
    generation: &Generation,
    owner: u64,
    load: impl FnOnce() -> T,
    f: impl FnOnce(&T) -> R,
) -> R {
    let current = generation.current();
    let value = match cache.try_with(|c| c.get(current, owner)) {
        Ok(Some(value)) => value,
        _ => refill(cache, generation, current, owner, load),
    };
    let result = f(&value);
    release(value);
    result
}

#[cold]
#[inline(never)]
fn refill<T: Send + 'static>(
    cache: &'static LocalKey<LocalCache<T>>,
    generation: &Generation,
    current: u64,
    owner: u64,
    load: impl FnOnce() -> T,
) -> Rc<T> {
    if !generation.filled.load(Ordering::Relaxed) {
        generation.filled.store(true, Ordering::Release);
        // Once per process, on this cold path: from now on a cache may hold a value, and
        // whatever releases one (a thread that exits, an eviction, a scope's end) finds the
        // retirement thread running instead of spawning it there.
        retire::start();
    }
    // Read after the generation: a value stored under `current` is at least that new.
    let value = Rc::new(load());
    let released = cache.try_with(|c| c.store(current, owner, Rc::clone(&value))).unwrap_or_default();
    // Released outside the borrow.
    for entry in released {
        release(entry.value);
    }
    value
}
