//! The clock that times spans and traces: the system clock, read through the CPU's
//! time-stamp counter on x86-64.
//!
//! A span takes two clock reads, and on this project's benchmark machine
//! `SystemTime::now()` costs 35 ns (a vDSO `clock_gettime`, whose fenced counter read is
//! most of it) where the counter alone costs 10 ns: the two reads were 28 % of a whole
//! span. So on x86-64 each thread keeps an *anchor* ([`anchor`]): one system clock reading
//! paired with the counter value at that instant. A read in the next millisecond is the
//! anchor plus the counter ticks since, scaled by a calibrated rate ([`rate`]). After a
//! millisecond, or when the counter is behind the anchor, the next read takes the system
//! clock again and re-anchors. A reading is therefore the system clock's (its NTP slews,
//! and within a millisecond its steps) to within the anchor's error: half the spread of
//! the counter reads around the clock read (at most 1,000 ticks, or the pair is not used)
//! plus the rate's error over a millisecond.
//!
//! The rate is calibrated against the monotonic clock without ever waiting ([`tsc`]):
//! until it is known (10 ms after the first clock read) reads go to the system clock,
//! taking a sample when one is due, and the window it is measured over doubles with each
//! sample (10 ms, 20 ms, 40 ms, ...), so its error shrinks as the process runs. A rate more
//! than 0.1 % off the last one (the counter jumped, or it ran while the machine slept)
//! starts the calibration over, with reads going to the system clock meanwhile.
//!
//! Fallbacks: other architectures use the system clock. On x86-64 the counter is given up,
//! and every read takes the system clock from then on (threads holding an anchor finish
//! its millisecond first), when its rate is implausible, when it goes backwards, when an
//! anchored reading strays more than 20 µs from the system clock within a few
//! milliseconds (a counter that is not constant-rate, or a step of the system clock), or
//! when 64 pairs in a row are loose (a counter read that traps, or a clock read that is a
//! system call, makes every pair loose).
//!
//! The error this leaves is far below the text form's microsecond (Python's
//! `isoformat()`): on the benchmark machine, of 200,000 reads right after the first
//! calibration, each taken between two system clock reads less than 120 ns apart, none
//! was more than 44 ns from the pair's midpoint (four runs of
//! `tests::reads_stay_with_the_system_clock` with that measurement added). A thread's
//! reads through the counter never step back: a new anchor's readings are held at least
//! at what the last one would read, until they pass it. Across threads, two reads less
//! than that error apart may come out in either order, and the system clock itself steps
//! back when it is set back; so a span's or trace's end is never set before its start
//! (`Timestamp::end_after`, used by `SpanGuard` and `TraceGuard`).

#[cfg(any(target_arch = "x86_64", test))]
mod anchor;
#[cfg(any(target_arch = "x86_64", test))]
mod rate;
#[cfg(target_arch = "x86_64")]
mod tsc;

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch of `t` (0 before the epoch; saturating in the year
/// 2554).
#[inline]
pub(crate) fn unix_nanos(t: SystemTime) -> u64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs().saturating_mul(1_000_000_000).saturating_add(u64::from(d.subsec_nanos())),
        Err(_) => 0,
    }
}

/// Nanoseconds since the Unix epoch, read from the system clock.
pub(crate) fn system_nanos() -> u64 {
    unix_nanos(SystemTime::now())
}

/// Monotonic nanoseconds since the first call in the process: the clock of the crate's
/// rate limits and of the counter's calibration.
pub(crate) fn monotonic_nanos() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    let base = *BASE.get_or_init(Instant::now);
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reading lies between system clock reads taken just before and just after it
    /// (within the bound below), before and after calibration: the clock follows the
    /// system clock and its rate is right; and through the counter, a thread's readings
    /// never go back. On a machine whose kernel times itself with the counter, the counter
    /// must come into use (the test fails if it is given up); elsewhere giving it up is a
    /// correct outcome. Runs until the counter served 200,000 reads, re-anchoring a few
    /// dozen times; no timing assertion. (`anchor`'s tests cover each step with made-up
    /// readings.)
    #[test]
    fn reads_stay_with_the_system_clock() {
        // About seven times the worst error an anchor and the first rate can leave: half
        // of `TIGHT_TICKS` at a 1 GHz counter (500 ns) plus the rate's error over the
        // anchor's millisecond (two samples 1,000 ticks loose over 10 ms: 200 ns); far
        // below a wrong rate's (1 % off strays 10 µs in one millisecond).
        const BOUND: u64 = 5_000;
        let mut reads = 0u64;
        #[cfg(target_arch = "x86_64")]
        let (mut through_counter, mut last) = (0u64, 0u64);
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
            // Calibration needs 10 ms of real time, a few hundred thousand reads at most;
            // a machine whose counter never pairs tightly gives it up after 64 loose pairs.
            // This only bounds the loop should both fail.
            if reads >= 50_000_000 {
                break;
            }
        }
        #[cfg(target_arch = "x86_64")]
        {
            let kernel_uses_it =
                std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
                    .is_ok_and(|s| s.trim() == "tsc");
            if kernel_uses_it {
                assert!(through_counter >= 200_000, "{reads} reads, {through_counter} through the counter");
            } else {
                assert!(through_counter >= 200_000 || tsc::given_up(), "{reads} reads, {through_counter}");
            }
        }
        assert!(reads > 0);
    }
}
