//! A thread's anchor and the step that replaces it: the clock's logic, without the
//! counter or the clocks (so it is tested with made-up readings).

use super::rate;

/// How long an anchor serves before the system clock is read again.
pub(super) const ANCHOR_NANOS: u64 = 1_000_000;
/// The most ticks between the two counter reads around a clock read for the pair to be
/// used (0.4 µs at 2.6 GHz; an undisturbed pair takes about 130 there). The pair's
/// midpoint is taken as the clock read's instant, so this bounds an anchor's error.
pub(super) const TIGHT_TICKS: u64 = 1_000;
/// How far an anchored reading may stray from the system clock, within [`CHECK_ANCHORS`]
/// anchor lifetimes, before the counter is given up.
pub(super) const MAX_STRAY_NANOS: u64 = 20_000;
/// How many lifetimes after it was made an anchor's reading is still compared with the
/// system clock (an older one has the rate's error times its age).
const CHECK_ANCHORS: u64 = 4;

/// The counter and system clock at one instant, the rate then, how many ticks it serves
/// (0: none), and the floor of its readings: the last anchor's reading at this instant
/// when that was ahead, so a thread's reads never step back when it re-anchors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Anchor {
    tsc: u64,
    nanos: u64,
    mult: u64,
    ticks: u64,
    floor: u64,
}

/// What a re-anchoring gives.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// A new anchor, and the reading at its instant.
    Anchored(Anchor, u64),
    /// The pair was loose: this reading, and no new anchor.
    Unanchored(u64),
    /// The counter strayed from the system clock, or went backwards: give it up.
    Stray,
}

/// Where the counter is against an anchor.
enum Position {
    /// Too long after the anchor (or no anchor) to compare.
    Unknown,
    /// Within [`CHECK_ANCHORS`] lifetimes: the anchor's reading there.
    At(u64),
    /// Before the anchor.
    Behind,
}

impl Anchor {
    /// No anchor: every read re-anchors.
    pub(super) const NONE: Anchor = Anchor { tsc: 0, nanos: 0, mult: 0, ticks: 0, floor: 0 };

    /// The reading at counter value `tsc`, if this anchor serves it (not after its
    /// lifetime, not before it).
    #[inline]
    pub(super) fn read(&self, tsc: u64) -> Option<u64> {
        let elapsed = tsc.wrapping_sub(self.tsc);
        (elapsed < self.ticks).then(|| self.at(elapsed))
    }

    /// The reading `elapsed` ticks after the anchor.
    #[inline]
    fn at(&self, elapsed: u64) -> u64 {
        self.nanos.saturating_add(rate::nanos(elapsed, self.mult)).max(self.floor)
    }

    fn position(&self, tsc: u64) -> Position {
        if self.ticks == 0 {
            return Position::Unknown;
        }
        let elapsed = tsc.wrapping_sub(self.tsc);
        if elapsed > u64::MAX / 2 {
            Position::Behind
        } else if elapsed > CHECK_ANCHORS.saturating_mul(self.ticks) {
            Position::Unknown
        } else {
            Position::At(self.at(elapsed))
        }
    }
}

/// The step from anchor `last`, given a system clock read of `nanos` between counter reads
/// `before` and `after`, at rate `mult`.
pub(super) fn step(last: Anchor, before: u64, nanos: u64, after: u64, mult: u64) -> Step {
    let spread = after.wrapping_sub(before);
    if spread > TIGHT_TICKS {
        // The thread was held up around the clock read, so the pair cannot be placed
        // exactly: no anchor and no stray check. The reading is held at least at what
        // the last anchor reads at `before` (the clock read came after), unless that is
        // so far ahead that something else is wrong.
        return Step::Unanchored(match last.position(before) {
            Position::At(p) if p.saturating_sub(nanos) <= MAX_STRAY_NANOS => nanos.max(p),
            _ => nanos,
        });
    }
    let tsc = before.wrapping_add(spread / 2);
    let floor = match last.position(tsc) {
        Position::Behind => return Step::Stray,
        Position::At(p) if p.abs_diff(nanos) > MAX_STRAY_NANOS => return Step::Stray,
        Position::At(p) => p,
        Position::Unknown => 0,
    };
    let anchor = Anchor { tsc, nanos, mult, ticks: rate::ticks(ANCHOR_NANOS, mult), floor };
    Step::Anchored(anchor, nanos.max(floor))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 GHz: one tick is one nanosecond, which keeps the numbers readable.
    const GHZ: u64 = 1 << 32;
    const T0: u64 = 5_000_000_000;
    const N0: u64 = 1_700_000_000_000_000_000;

    fn anchored(step: Step) -> (Anchor, u64) {
        match step {
            Step::Anchored(a, reading) => (a, reading),
            other => panic!("not anchored: {other:?}"),
        }
    }

    #[test]
    fn a_first_tight_pair_anchors_at_its_midpoint() {
        let (a, reading) = anchored(step(Anchor::NONE, T0, N0, T0 + 100, GHZ));
        assert_eq!(reading, N0);
        assert_eq!(a.read(T0 + 50), Some(N0));
        assert_eq!(a.read(T0 + 1_050), Some(N0 + 1_000));
        assert_eq!(a.read(T0 + 50 + ANCHOR_NANOS - 1), Some(N0 + ANCHOR_NANOS - 1));
        assert_eq!(a.read(T0 + 50 + ANCHOR_NANOS), None, "served past its millisecond");
        assert_eq!(a.read(T0 + 49), None, "served a counter behind it");
        assert_eq!(Anchor::NONE.read(T0), None);
    }

    #[test]
    fn a_new_anchor_behind_the_last_holds_its_readings_at_the_last_ones() {
        let (a, _) = anchored(step(Anchor::NONE, T0, N0, T0, GHZ));
        // A millisecond on, the system clock says 30 ns less than the anchor would.
        let t1 = T0 + ANCHOR_NANOS;
        let (b, reading) = anchored(step(a, t1, N0 + ANCHOR_NANOS - 30, t1, GHZ));
        assert_eq!(reading, N0 + ANCHOR_NANOS, "stepped back");
        assert_eq!(b.read(t1 + 10), Some(N0 + ANCHOR_NANOS), "held at the floor");
        assert_eq!(b.read(t1 + 40), Some(N0 + ANCHOR_NANOS + 10), "past the floor");
        // Ahead of the last anchor: no hold.
        let (c, reading) = anchored(step(a, t1, N0 + ANCHOR_NANOS + 30, t1, GHZ));
        assert_eq!(reading, N0 + ANCHOR_NANOS + 30);
        assert_eq!(c.read(t1 + 10), Some(N0 + ANCHOR_NANOS + 40));
    }

    #[test]
    fn a_stray_or_a_counter_gone_back_gives_the_counter_up() {
        let (a, _) = anchored(step(Anchor::NONE, T0, N0, T0, GHZ));
        let t1 = T0 + ANCHOR_NANOS;
        let far = N0 + ANCHOR_NANOS + MAX_STRAY_NANOS + 1;
        assert_eq!(step(a, t1, far, t1, GHZ), Step::Stray);
        assert_eq!(step(a, T0 - 10, N0, T0 - 10, GHZ), Step::Stray, "counter behind the anchor");
        // An anchor too old to compare with is not checked, and sets no floor.
        let later = T0 + 5 * ANCHOR_NANOS;
        let (b, reading) = anchored(step(a, later, N0, later, GHZ));
        assert_eq!(reading, N0);
        assert_eq!(b.read(later), Some(N0));
    }

    #[test]
    fn a_loose_pair_anchors_nothing_and_still_never_steps_back() {
        let (a, _) = anchored(step(Anchor::NONE, T0, N0, T0, GHZ));
        let t1 = T0 + ANCHOR_NANOS;
        // Held up between the counter reads: the clock read says 200 ns less than the
        // anchor at `before`.
        let behind = N0 + ANCHOR_NANOS - 200;
        assert_eq!(step(a, t1, behind, t1 + TIGHT_TICKS + 1, GHZ), Step::Unanchored(N0 + ANCHOR_NANOS));
        // Preempted for 5 ms: the clock read is far ahead, and neither checked nor held.
        let ahead = N0 + 6 * ANCHOR_NANOS;
        assert_eq!(step(a, t1, ahead, t1 + 5 * ANCHOR_NANOS, GHZ), Step::Unanchored(ahead));
        // Far behind (the system clock was set back): not held, not given up here.
        assert_eq!(step(a, t1, N0 - 1_000_000, t1 + TIGHT_TICKS + 1, GHZ), Step::Unanchored(N0 - 1_000_000));
    }

    #[test]
    fn the_counter_wrapping_around_is_just_more_ticks() {
        let start = u64::MAX - 100;
        let (a, _) = anchored(step(Anchor::NONE, start, N0, start.wrapping_add(100), GHZ));
        assert_eq!(a.read(start.wrapping_add(1_050)), Some(N0 + 1_000));
    }
}
