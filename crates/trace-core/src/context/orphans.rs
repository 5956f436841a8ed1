//! Frames whose guard was finished in another context than the one it pushed its frame
//! on (a span guard moved to another thread, or out of a wrapped future).
//!
//! The finishing thread cannot reach the other context's stack, so it leaves a note here:
//! which stack, which frame. The stack's owner removes its noted frames the next time it
//! looks at its stack (a frame pushed, the current scope read), after one load of its
//! shard's count ([`new_since`]) finds that notes were left there since it last looked.
//!
//! Notes for a stack that never looks again (its thread idles or exited after the guard
//! left it) stay until the notes reach [`MAX_NOTES`]; then the notes of the oldest stacks
//! (the lowest ids) are forgotten, down to half that, and their frames stay where they
//! are. A wrapped future's stack is current while the future is dropped, so a cancelled
//! task's guards leave no notes.

use std::collections::BTreeMap;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// The most notes kept, over all stacks.
const MAX_NOTES: usize = 4096;

/// How many shards the counts of notes left are split into, by stack id: a stack looks
/// at the notes only when its shard's count moved since it last looked, so a note for
/// another stack costs it nothing, or (same shard) one look.
pub(super) const SHARDS: usize = 64;

/// Per shard, how many notes were ever left for its stacks.
static LEFT: [AtomicU64; SHARDS] = [const { AtomicU64::new(0) }; SHARDS];

/// The notes, by stack, and how many there are in all.
static NOTES: Mutex<Notes> = Mutex::new(Notes { by_stack: BTreeMap::new(), count: 0 });

struct Notes {
    by_stack: BTreeMap<NonZeroU64, Vec<usize>>,
    count: usize,
}

/// Held by the tests that leave notes: one that fills the notes past [`MAX_NOTES`] would
/// make another's forgotten.
#[cfg(test)]
pub(super) static TEST_LOCK: Mutex<()> = Mutex::new(());

/// Stack ids: 0 means none given yet.
static NEXT_STACK_ID: AtomicU64 = AtomicU64::new(1);

/// A new stack id.
pub(super) fn new_stack_id() -> NonZeroU64 {
    // From 1, one per thread or wrapped future that makes something current: 2^64 are
    // never used up; should they be, 1 again.
    NonZeroU64::new(NEXT_STACK_ID.fetch_add(1, Ordering::Relaxed)).unwrap_or(NonZeroU64::MIN)
}

fn shard(stack: NonZeroU64) -> &'static AtomicU64 {
    // The remainder is below SHARDS: the cast loses nothing.
    &LEFT[(stack.get() % SHARDS as u64) as usize]
}

/// Whether a note was left in `stack`'s shard since `seen` (what [`left`] said when the
/// stack last looked).
#[inline]
pub(super) fn new_since(stack: NonZeroU64, seen: u64) -> bool {
    shard(stack).load(Ordering::Acquire) != seen
}

/// How many notes were ever left in `stack`'s shard, for [`new_since`]: read it before
/// [`take`], so that a note left meanwhile is looked for again.
pub(super) fn left(stack: NonZeroU64) -> u64 {
    shard(stack).load(Ordering::Acquire)
}

/// Notes that frame `frame` of stack `stack` is to be removed by the stack's owner.
pub(super) fn leave(stack: NonZeroU64, frame: usize) {
    let mut notes = NOTES.lock().unwrap_or_else(PoisonError::into_inner);
    if notes.count >= MAX_NOTES {
        notes.forget_oldest();
    }
    notes.by_stack.entry(stack).or_default().push(frame);
    notes.count += 1;
    drop(notes);
    shard(stack).fetch_add(1, Ordering::Release);
}

/// Takes the notes for `stack`: the ids of its frames to remove, oldest note first.
pub(super) fn take(stack: NonZeroU64) -> Vec<usize> {
    let mut notes = NOTES.lock().unwrap_or_else(PoisonError::into_inner);
    let mine = notes.by_stack.remove(&stack).unwrap_or_default();
    notes.count -= mine.len();
    mine
}

/// How many notes wait, over all stacks.
#[cfg(test)]
pub(super) fn count() -> usize {
    NOTES.lock().unwrap_or_else(PoisonError::into_inner).count
}

impl Notes {
    /// Forgets the notes of the oldest stacks (a stack that never looks again is one of
    /// them before long) until half of [`MAX_NOTES`] are left: a note costs its leaver a
    /// few steps of a map, however many stacks never look.
    #[cold]
    fn forget_oldest(&mut self) {
        while self.count > MAX_NOTES / 2 {
            let Some((_, frames)) = self.by_stack.pop_first() else { break };
            self.count -= frames.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_taken_by_their_stack_only() {
        let _l = TEST_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let (a, b) = (new_stack_id(), new_stack_id());
        let seen = left(a);
        leave(a, 2);
        leave(b, 4);
        leave(a, 6);
        assert!(new_since(a, seen));
        assert_eq!(take(a), vec![2, 6]);
        assert_eq!(take(a), Vec::<usize>::new());
        assert_eq!(take(b), vec![4]);
    }

    #[test]
    fn a_note_for_a_stack_of_another_shard_is_not_seen() {
        let _l = TEST_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let a = new_stack_id();
        let b = NonZeroU64::new(a.get() + 1).unwrap();
        let seen = left(a);
        leave(b, 2);
        assert!(!new_since(a, seen), "a's shard is another one");
        assert_eq!(take(b), vec![2]);
    }

    #[test]
    fn past_the_limit_the_oldest_stacks_notes_are_forgotten() {
        let _l = TEST_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let (idle, live) = (new_stack_id(), new_stack_id());
        leave(live, 1);
        for frame in 0..MAX_NOTES {
            leave(idle, frame);
        }
        // The limit was reached at the last note: the older stack's notes were forgotten
        // then (half the limit left), the newer one's stays.
        assert_eq!(take(live), vec![1]);
        assert_eq!(take(idle), vec![MAX_NOTES - 1]);
        assert_eq!(count(), 0, "every note taken or forgotten");
    }
}
