//! The clock that times spans and traces: the system clock, read through the CPU's
//! time-stamp counter on x86-64.
//!
//! A span takes two clock reads, and on this project's benchmark machine
//! `SystemTime::now()` costs 35 ns (a vDSO `clock_gettime`, whose fenced counter read is
//! most of it) where the counter alone costs 10 ns: the two reads were 28 % of a whole
//! span. So on x86-64 each thread keeps an *anchor*, one system clock reading paired with
//! the counter value at that instant, and a read in the next millisecond is the anchor
//! plus the counter ticks since, scaled by a calibrated rate. After a millisecond, or when
//! the counter went backwards (another core with another count), the next read takes the
//! system clock again and re-anchors. Every reading is therefore the system clock's (NTP
//! steps and slews included) to within the rate's error over one millisecond.
//!
//! The rate is calibrated against the monotonic clock without ever waiting: until it is
//! known (the first 10 ms of the process) reads go to the system clock, taking a sample
//! when one is due, and the window it is measured over doubles with each sample (10 ms,
//! 20 ms, 40 ms, ...), so its error shrinks as the process runs. A sample or an anchor
//! whose counter readings around the clock read lie far apart (the thread was preempted
//! between them) is not used.
//!
//! Fallbacks: other architectures, and a counter whose rate is implausible or whose
//! anchored readings strayed more than 20 µs from the system clock within a few
//! milliseconds (a counter that is not constant-rate, or a step of the system clock), use
//! the system clock on every read from then on, as before.
//!
//! The error this leaves is far below the text form's microsecond (Python's
//! `isoformat()`): on the benchmark machine, of 200,000 reads right after the first
//! calibration, each taken between two system clock reads less than 120 ns apart, none
//! was more than 44 ns from the pair's midpoint (four runs of
//! `tests::reads_stay_with_the_system_clock` with that measurement added), and the error
//! shrinks as the window grows. A thread's reads through the counter never step back:
//! a new anchor's readings are held at least at what the last one would read, until they
//! pass it. (Across threads, two reads less than that error apart may come out in either
//! order; the system clock itself steps back when it is set back, so a span's end is
//! never set before its start, see `SpanGuard`.)

use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch, read from the system clock (0 before the epoch).
pub(crate) fn system_nanos() -> u64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs().saturating_mul(1_000_000_000).saturating_add(u64::from(d.subsec_nanos())),
        Err(_) => 0,
    }
}

/// Nanoseconds since the Unix epoch, now: [`system_nanos`] or, on x86-64, the thread's
/// anchor plus the counter ticks since (see the module docs).
#[inline]
pub(crate) fn now_nanos() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        tsc::now_nanos()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        system_nanos()
    }
}

/// Fixed-point arithmetic of the rate: nanoseconds per tick times 2^32.
mod rate {
    /// The rate `nanos / ticks` in fixed point; `None` when it implies a counter slower
    /// than 50 MHz or faster than 20 GHz (no x86-64 counter runs there: the samples were
    /// wrong).
    pub(super) fn from_sample(nanos: u64, ticks: u64) -> Option<u64> {
        if ticks == 0 {
            return None;
        }
        let mult = (u128::from(nanos) << 32) / u128::from(ticks);
        // 20 ns per tick (50 MHz) down to 0.05 ns per tick (20 GHz).
        let plausible = (1u128 << 32) / 20..=(20u128 << 32);
        plausible.contains(&mult).then_some(mult as u64)
    }

    /// `ticks` in nanoseconds at rate `mult` (saturating).
    pub(super) fn nanos(ticks: u64, mult: u64) -> u64 {
        u64::try_from((u128::from(ticks) * u128::from(mult)) >> 32).unwrap_or(u64::MAX)
    }

    /// How many ticks `nanos` lasts at rate `mult`.
    pub(super) fn ticks(nanos: u64, mult: u64) -> u64 {
        u64::try_from((u128::from(nanos) << 32) / u128::from(mult.max(1))).unwrap_or(u64::MAX)
    }
}

#[cfg(target_arch = "x86_64")]
mod tsc {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Mutex, OnceLock};
    use std::time::Instant;

    use super::{rate, system_nanos};

    /// How long an anchor serves before the system clock is read again.
    const ANCHOR_NANOS: u64 = 1_000_000;
    /// The first calibration window; each one after is twice the last.
    const FIRST_WINDOW_NANOS: u64 = 10_000_000;
    /// The most ticks between the two counter reads around a clock read for the pair to
    /// be used (0.4 µs at 2.6 GHz; an undisturbed pair takes about 130 there). The pair's
    /// midpoint is taken as the clock read's instant, so this bounds an anchor's error.
    const TIGHT_TICKS: u64 = 1_000;
    /// How far an anchored reading may stray from the system clock, within
    /// [`CHECK_ANCHORS`] anchor lifetimes, before the counter is given up.
    const MAX_STRAY_NANOS: u64 = 20_000;
    const CHECK_ANCHORS: u64 = 4;

    /// The rate, once calibrated: 0 before, [`GIVEN_UP`] when the counter is not used.
    static MULT: AtomicU64 = AtomicU64::new(0);
    const GIVEN_UP: u64 = u64::MAX;
    /// When (system clock nanoseconds) the next calibration sample is due.
    static SAMPLE_DUE: AtomicU64 = AtomicU64::new(0);
    /// The first sample and the current window, behind a lock only ever tried.
    static CALIBRATION: Mutex<Calibration> = Mutex::new(Calibration { first: None, window: FIRST_WINDOW_NANOS });

    struct Calibration {
        /// Counter and monotonic nanoseconds of the first sample.
        first: Option<(u64, u64)>,
        /// How far after the first sample the next rate is measured.
        window: u64,
    }

    /// A thread's anchor: the counter and system clock at one instant, the rate then,
    /// how many ticks it serves (0: none), and the floor of its readings: the last
    /// anchor's reading at this instant when that was ahead, so a thread's reads never
    /// step back when it re-anchors.
    #[derive(Clone, Copy)]
    struct Anchor {
        tsc: u64,
        nanos: u64,
        mult: u64,
        ticks: u64,
        floor: u64,
    }

    const NO_ANCHOR: Anchor = Anchor { tsc: 0, nanos: 0, mult: 0, ticks: 0, floor: 0 };

    thread_local! {
        static ANCHOR: Cell<Anchor> = const { Cell::new(NO_ANCHOR) };
    }

    /// The time-stamp counter.
    #[allow(unsafe_code)]
    #[inline]
    fn rdtsc() -> u64 {
        // SAFETY: `rdtsc` exists on every x86-64 CPU; it reads a counter into registers
        // and touches no memory. (An OS can make it fault, with `PR_SET_TSC`; that is a
        // signal, not undefined behaviour, and no mainstream sandbox does it.)
        unsafe { core::arch::x86_64::_rdtsc() }
    }

    #[inline]
    pub(super) fn now_nanos() -> u64 {
        match ANCHOR.try_with(|cell| {
            let a = cell.get();
            let elapsed = rdtsc().wrapping_sub(a.tsc);
            if elapsed < a.ticks {
                a.nanos.saturating_add(rate::nanos(elapsed, a.mult)).max(a.floor)
            } else {
                reanchor(cell)
            }
        }) {
            Ok(nanos) => nanos,
            // The thread is exiting and its anchor is gone.
            Err(_) => system_nanos(),
        }
    }

    /// Reads the system clock, and when the rate is known, anchors the thread to it.
    #[cold]
    #[inline(never)]
    fn reanchor(cell: &Cell<Anchor>) -> u64 {
        let mult = MULT.load(Ordering::Relaxed);
        if mult == GIVEN_UP {
            return system_nanos();
        }
        if mult == 0 {
            // Not calibrated yet: the system clock, and a sample when one is due.
            let nanos = system_nanos();
            if nanos >= SAMPLE_DUE.load(Ordering::Relaxed) {
                sample(nanos);
            }
            return nanos;
        }
        let before = rdtsc();
        let nanos = system_nanos();
        let after = rdtsc();
        if nanos >= SAMPLE_DUE.load(Ordering::Relaxed) {
            sample(nanos);
        }
        let spread = after.wrapping_sub(before);
        if spread > TIGHT_TICKS {
            return nanos;
        }
        let tsc = before + spread / 2;
        let last = cell.get();
        let floor = match predicted(last, tsc) {
            Some(p) if p.abs_diff(nanos) > MAX_STRAY_NANOS => {
                give_up("its count strayed from the system clock");
                cell.set(NO_ANCHOR);
                return nanos;
            }
            Some(p) => p.max(last.floor),
            None => 0,
        };
        cell.set(Anchor { tsc, nanos, mult, ticks: rate::ticks(ANCHOR_NANOS, mult), floor });
        nanos.max(floor)
    }

    /// What `last` would read at `tsc`, when it is recent enough to tell (within
    /// [`CHECK_ANCHORS`] lifetimes; an older one has the rate's error times its age).
    fn predicted(last: Anchor, tsc: u64) -> Option<u64> {
        let elapsed = tsc.wrapping_sub(last.tsc);
        if last.ticks == 0 || elapsed > CHECK_ANCHORS * last.ticks {
            return None;
        }
        Some(last.nanos.saturating_add(rate::nanos(elapsed, last.mult)))
    }

    /// Takes a calibration sample (a counter and monotonic clock pair) and, when the
    /// window has passed since the first, sets the rate.
    fn sample(now_nanos: u64) {
        let Ok(mut c) = CALIBRATION.try_lock() else { return };
        let before = rdtsc();
        let mono = monotonic_nanos();
        let after = rdtsc();
        let spread = after.wrapping_sub(before);
        if spread > TIGHT_TICKS {
            return;
        }
        let tsc = before + spread / 2;
        let Some((tsc0, mono0)) = c.first else {
            c.first = Some((tsc, mono));
            SAMPLE_DUE.store(now_nanos.saturating_add(c.window), Ordering::Relaxed);
            return;
        };
        let nanos = mono.saturating_sub(mono0);
        if nanos < c.window {
            return;
        }
        let ticks = tsc.wrapping_sub(tsc0);
        match rate::from_sample(nanos, ticks) {
            Some(mult) if MULT.load(Ordering::Relaxed) != GIVEN_UP => {
                MULT.store(mult, Ordering::Relaxed);
                c.window = nanos.saturating_mul(2);
                SAMPLE_DUE.store(now_nanos.saturating_add(nanos), Ordering::Relaxed);
            }
            Some(_) => {}
            None => give_up("its rate is implausible"),
        }
    }

    fn monotonic_nanos() -> u64 {
        static BASE: OnceLock<Instant> = OnceLock::new();
        let base = *BASE.get_or_init(Instant::now);
        u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn give_up(why: &str) {
        if MULT.swap(GIVEN_UP, Ordering::Relaxed) != GIVEN_UP {
            log::debug!(
                "the time-stamp counter is not used to read the clock: {why}; every read takes the system clock"
            );
        }
    }

    /// Whether reads go through the counter now (tests).
    #[cfg(test)]
    pub(super) fn calibrated() -> bool {
        !matches!(MULT.load(Ordering::Relaxed), 0 | GIVEN_UP)
    }

    /// Whether the counter was given up (tests).
    #[cfg(test)]
    pub(super) fn given_up() -> bool {
        MULT.load(Ordering::Relaxed) == GIVEN_UP
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn rate_round_trips_and_rejects_what_no_counter_does() {
        // 3 GHz: a third of a nanosecond per tick.
        let mult = rate::from_sample(10_000_000, 30_000_000).unwrap();
        assert_eq!(rate::nanos(30_000, mult), 9_999);
        assert_eq!(rate::ticks(1_000_000, mult), 3_000_000);
        // 1 GHz exactly.
        let one = rate::from_sample(5, 5).unwrap();
        assert_eq!(one, 1 << 32);
        assert_eq!(rate::nanos(123_456_789, one), 123_456_789);
        assert_eq!(rate::from_sample(1, 0), None);
        assert_eq!(rate::from_sample(10_000_000, 100_000), None, "100 ns per tick");
        assert_eq!(rate::from_sample(10_000_000, 1_000_000_000), None, "100 GHz");
        assert_eq!(rate::nanos(u64::MAX, u64::MAX), u64::MAX);
    }

    /// Every reading lies between system clock reads taken just before and just after it
    /// (within the bound below), before and after calibration: the clock follows the
    /// system clock and its rate is right; and through the counter, a thread's readings
    /// never go back. Runs until the counter has been in use for a
    /// good many reads, with no timing assertion.
    #[test]
    fn reads_stay_with_the_system_clock() {
        // Ten times the worst error an anchor and the first rate can leave (half of
        // `TIGHT_TICKS` at 1 GHz, plus 2 x 1 µs / 10 ms of rate error over 1 ms), far
        // below a wrong rate's (1 % off strays 10 µs in one anchor's millisecond).
        const BOUND: u64 = 5_000;
        let start = Instant::now();
        let mut through_counter = 0u64;
        let mut reads = 0u64;
        #[cfg(target_arch = "x86_64")]
        let mut last = 0u64;
        loop {
            let before = system_nanos();
            let t = now_nanos();
            let after = system_nanos();
            reads += 1;
            assert!(t + BOUND >= before && t <= after + BOUND, "read {t}, system clock {before}..{after}");
            #[cfg(target_arch = "x86_64")]
            {
                if tsc::given_up() {
                    break;
                }
                if tsc::calibrated() {
                    // A thread's reads through the counter never step back, re-anchoring
                    // included.
                    assert!(t >= last, "read {t} after {last}");
                    through_counter += 1;
                }
                last = t;
                if through_counter >= 200_000 {
                    break;
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            if reads >= 1_000 {
                break;
            }
            // A machine with no usable counter may never calibrate; give it a minute.
            if reads % 4096 == 0 && start.elapsed() > Duration::from_secs(60) {
                break;
            }
        }
        #[cfg(target_arch = "x86_64")]
        assert!(through_counter >= 200_000 || tsc::given_up(), "{reads} reads, {through_counter} after calibration");
        assert!(reads > 0);
    }
}
