//! A counter that many threads add to without fighting over one cache line: each thread
//! adds to one of a few shards, each on its own cache lines, and a read sums them. For
//! counts taken on the span path (spans of sampled-out traces), where one shared atomic
//! would bounce between the cores of every producing thread.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

const SHARDS: usize = 16;

/// One shard, on cache lines of its own (two lines: adjacent-line prefetchers pair them).
#[derive(Debug)]
#[repr(align(128))]
struct Shard(AtomicU64);

/// The counter; `const`-constructible, for a `static`.
#[derive(Debug)]
pub(crate) struct ShardedCounter {
    shards: [Shard; SHARDS],
}

static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's shard, chosen on its first add (round robin over threads).
    static MY_SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn my_shard() -> usize {
    MY_SHARD
        .try_with(|s| {
            let mut i = s.get();
            if i == usize::MAX {
                i = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
                s.set(i);
            }
            i
        })
        // A thread whose locals are being destroyed: any shard will do.
        .unwrap_or(0)
}

impl ShardedCounter {
    /// A counter at zero.
    pub(crate) const fn new() -> Self {
        // A `const` item of an atomic is a fresh value at each use: each shard its own.
        #[allow(clippy::declare_interior_mutable_const)]
        const ZERO: Shard = Shard(AtomicU64::new(0));
        Self { shards: [ZERO; SHARDS] }
    }

    /// Adds `n`.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.shards[my_shard()].0.fetch_add(n, Ordering::Relaxed);
    }

    /// The total so far: exact once the threads that add have stopped adding.
    pub(crate) fn sum(&self) -> u64 {
        self.shards.iter().map(|s| s.0.load(Ordering::Relaxed)).fold(0, u64::wrapping_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_from_many_threads_sum_exactly() {
        static C: ShardedCounter = ShardedCounter::new();
        let threads: Vec<_> = (0..40)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..1000 {
                        C.add(1);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        C.add(5);
        assert_eq!(C.sum(), 40_005);
    }
}
