//! Frames whose guard was finished in another context than the one it pushed its frame
//! on (a span guard moved to another thread, or out of a wrapped future).
//!
//! The finishing thread cannot reach the other context's stack, so it leaves a note here:
//! which stack, which frame. The stack's owner removes its noted frames the next time it
//! looks at its stack (a span or trace made current, the current scope read), after one
//! load of a shared count ([`new_since`]) finds that notes were left since it last looked. Before, such a frame stayed on its
//! stack for good, and one per span piled up on a long-lived thread (a pool's worker),
//! which also kept treating the finished span as its current one.
//!
//! Notes for a stack that never looks again (its thread is idle, or it was dropped before
//! the note was left) would stay; past [`MAX_NOTES`] the oldest are forgotten, which
//! leaves their frames where they are, as before this module.

use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// The most notes kept: 16 bytes each.
const MAX_NOTES: usize = 4096;

/// How many notes were ever left: a stack looks at the notes only when this moved since it
/// last looked, so notes that are not its own (a stack that never looks again keeps its
/// notes until they are forgotten) cost other stacks one look each, not one per span.
static LEFT: AtomicU64 = AtomicU64::new(0);

/// The notes: (stack id, frame id).
static NOTES: Mutex<Vec<(NonZeroU64, usize)>> = Mutex::new(Vec::new());

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

/// Whether a note was left since `seen` (what [`left`] said when the stack last looked).
#[inline]
pub(super) fn new_since(seen: u64) -> bool {
    LEFT.load(Ordering::Acquire) != seen
}

/// How many notes were ever left, for [`new_since`]: read it before [`take`], so that a
/// note left meanwhile is looked for again.
pub(super) fn left() -> u64 {
    LEFT.load(Ordering::Acquire)
}

/// Notes that frame `frame` of stack `stack` is to be removed by the stack's owner.
pub(super) fn leave(stack: NonZeroU64, frame: usize) {
    let mut notes = NOTES.lock().unwrap_or_else(PoisonError::into_inner);
    if notes.len() >= MAX_NOTES {
        notes.remove(0);
    }
    notes.push((stack, frame));
    LEFT.fetch_add(1, Ordering::Release);
}

/// Takes the notes for `stack`: the ids of its frames to remove, oldest note first.
pub(super) fn take(stack: NonZeroU64) -> Vec<usize> {
    let mut notes = NOTES.lock().unwrap_or_else(PoisonError::into_inner);
    let mut mine = Vec::new();
    notes.retain(|&(s, frame)| {
        if s == stack {
            mine.push(frame);
            false
        } else {
            true
        }
    });
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_taken_by_their_stack_only() {
        let _l = TEST_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let (a, b) = (new_stack_id(), new_stack_id());
        let seen = left();
        leave(a, 2);
        leave(b, 4);
        leave(a, 6);
        assert!(new_since(seen));
        assert_eq!(take(a), vec![2, 6]);
        assert_eq!(take(a), Vec::<usize>::new());
        assert_eq!(take(b), vec![4]);
    }

    #[test]
    fn past_the_limit_the_oldest_notes_are_forgotten() {
        let _l = TEST_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
        let stack = new_stack_id();
        for frame in 0..MAX_NOTES + 10 {
            leave(stack, frame);
        }
        let kept = take(stack);
        // A test outside the lock that leaves a note meanwhile makes one more forgotten.
        let all: Vec<usize> = (10..MAX_NOTES + 10).collect();
        assert!(!kept.is_empty() && all.ends_with(&kept), "the newest kept, the oldest forgotten: {}", kept.len());
    }
}
