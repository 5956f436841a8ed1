//! The counter's rate in fixed point: nanoseconds per tick times 2^32.

/// The rate `nanos / ticks`; `None` when it implies a counter slower than 50 MHz or
/// faster than 20 GHz (no x86-64 counter runs there: the samples were wrong).
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
#[inline]
pub(super) fn nanos(ticks: u64, mult: u64) -> u64 {
    u64::try_from((u128::from(ticks) * u128::from(mult)) >> 32).unwrap_or(u64::MAX)
}

/// How many ticks `nanos` lasts at rate `mult` (saturating).
pub(super) fn ticks(nanos: u64, mult: u64) -> u64 {
    u64::try_from((u128::from(nanos) << 32) / u128::from(mult.max(1))).unwrap_or(u64::MAX)
}

/// Whether two rates differ by more than 0.1 % of the first.
pub(super) fn disagree(old: u64, new: u64) -> bool {
    old.abs_diff(new) > old / 1_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_round_trip_and_what_no_counter_does_is_refused() {
        // 3 GHz: a third of a nanosecond per tick.
        let mult = from_sample(10_000_000, 30_000_000).unwrap();
        assert_eq!(nanos(30_000, mult), 9_999);
        assert_eq!(ticks(1_000_000, mult), 3_000_000);
        // 1 GHz exactly.
        let one = from_sample(5, 5).unwrap();
        assert_eq!(one, 1 << 32);
        assert_eq!(nanos(123_456_789, one), 123_456_789);
        assert_eq!(from_sample(1, 0), None);
        assert_eq!(from_sample(10_000_000, 100_000), None, "100 ns per tick");
        assert_eq!(from_sample(10_000_000, 1_000_000_000), None, "100 GHz");
        assert_eq!(nanos(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(ticks(u64::MAX, 1), u64::MAX);
    }

    #[test]
    fn rates_disagree_beyond_a_thousandth() {
        let mult = from_sample(10_000_000, 26_000_000).unwrap();
        assert!(!disagree(mult, mult + mult / 2_000));
        assert!(!disagree(mult, mult - mult / 2_000));
        assert!(disagree(mult, mult + mult / 500));
        assert!(disagree(mult, mult - mult / 500));
    }
}
