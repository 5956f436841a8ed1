//! The counter itself, each thread's anchor, and the calibration of the rate.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use super::anchor::{self, Anchor, Step, TIGHT_TICKS};
use super::{monotonic_nanos, rate, system_nanos};

/// The first calibration window; each one after is twice the last.
const FIRST_WINDOW_NANOS: u64 = 10_000_000;
/// Until the rate is known, how many ticks apart calibration samples are tried (0.4 ms
/// at 2.6 GHz; a sample before the window has passed only looks at the clock).
const PROBE_TICKS: u64 = 1 << 20;
/// How many loose pairs in a row give the counter up.
const MAX_LOOSE_IN_A_ROW: u32 = 64;

/// The rate, once calibrated: 0 before (and while calibration starts over),
/// [`GIVEN_UP`] when the counter is not used.
static MULT: AtomicU64 = AtomicU64::new(0);
const GIVEN_UP: u64 = u64::MAX;
/// The counter value from which the next calibration sample is due (0: now).
static SAMPLE_DUE: AtomicU64 = AtomicU64::new(0);
/// Loose pairs in a row, on any thread.
static LOOSE: AtomicU32 = AtomicU32::new(0);
/// The first sample and the current window, behind a lock that is only ever tried.
static CALIBRATION: Mutex<Calibration> = Mutex::new(Calibration { first: None, window: FIRST_WINDOW_NANOS });

struct Calibration {
    /// Counter and monotonic nanoseconds of the window's first sample.
    first: Option<(u64, u64)>,
    /// How long after the first sample the next rate is measured.
    window: u64,
}

thread_local! {
    static ANCHOR: Cell<Anchor> = const { Cell::new(Anchor::NONE) };
}

/// The time-stamp counter.
#[allow(unsafe_code)]
#[inline]
fn rdtsc() -> u64 {
    // SAFETY: `rdtsc` exists on every x86-64 CPU; it reads a counter into registers and
    // touches no memory. (An OS can make it fault, with `PR_SET_TSC`; that is a signal,
    // not undefined behaviour, and no mainstream sandbox does it.)
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Nanoseconds since the Unix epoch: the thread's anchor, or a re-anchoring.
#[inline]
pub(super) fn now_nanos() -> u64 {
    match ANCHOR.try_with(|cell| match cell.get().read(rdtsc()) {
        Some(nanos) => nanos,
        None => reanchor(cell),
    }) {
        Ok(nanos) => nanos,
        // The thread is exiting and its anchor is gone.
        Err(_) => system_nanos(),
    }
}

/// Reads the system clock between two counter reads, samples the rate when a sample is
/// due, and when the rate is known, anchors the thread.
#[cold]
#[inline(never)]
fn reanchor(cell: &Cell<Anchor>) -> u64 {
    if MULT.load(Ordering::Relaxed) == GIVEN_UP {
        return system_nanos();
    }
    let before = rdtsc();
    let nanos = system_nanos();
    let after = rdtsc();
    if before >= SAMPLE_DUE.load(Ordering::Relaxed) {
        sample();
    }
    let mult = MULT.load(Ordering::Relaxed);
    if mult == 0 || mult == GIVEN_UP {
        return nanos;
    }
    match anchor::step(cell.get(), before, nanos, after, mult) {
        Step::Anchored(anchor, reading) => {
            cell.set(anchor);
            tight();
            reading
        }
        Step::Unanchored(reading) => {
            loose();
            reading
        }
        Step::Stray => {
            give_up();
            cell.set(Anchor::NONE);
            nanos
        }
    }
}

/// Takes a calibration sample (a counter and monotonic clock pair) and, when the window
/// has passed since the first, sets the rate, or starts over when the rate moved.
fn sample() {
    let Ok(mut c) = CALIBRATION.try_lock() else { return };
    let before = rdtsc();
    let mono = monotonic_nanos();
    let after = rdtsc();
    let spread = after.wrapping_sub(before);
    if spread > TIGHT_TICKS {
        loose();
        return;
    }
    tight();
    let tsc = before.wrapping_add(spread / 2);
    let old = MULT.load(Ordering::Relaxed);
    let Some((tsc0, mono0)) = c.first else {
        c.first = Some((tsc, mono));
        SAMPLE_DUE.store(tsc.saturating_add(PROBE_TICKS), Ordering::Relaxed);
        return;
    };
    let nanos = mono.saturating_sub(mono0);
    if nanos < c.window {
        let wait = if old == 0 { PROBE_TICKS } else { rate::ticks(c.window - nanos, old) };
        SAMPLE_DUE.store(tsc.saturating_add(wait), Ordering::Relaxed);
        return;
    }
    let ticks = tsc.wrapping_sub(tsc0);
    if ticks > u64::MAX / 2 {
        return give_up();
    }
    let Some(new) = rate::from_sample(nanos, ticks) else { return give_up() };
    if old != 0 && old != GIVEN_UP && rate::disagree(old, new) {
        // The counter jumped, or ran while the monotonic clock did not (the machine
        // slept): measure again from here, reading the system clock meanwhile.
        c.first = Some((tsc, mono));
        c.window = FIRST_WINDOW_NANOS;
        let _ = MULT.compare_exchange(old, 0, Ordering::Relaxed, Ordering::Relaxed);
        SAMPLE_DUE.store(tsc.saturating_add(PROBE_TICKS), Ordering::Relaxed);
        return;
    }
    // Not over a give-up that happened meanwhile.
    if MULT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |m| (m != GIVEN_UP).then_some(new)).is_ok() {
        c.window = nanos.saturating_mul(2);
        SAMPLE_DUE.store(tsc.saturating_add(rate::ticks(nanos, new)), Ordering::Relaxed);
    }
}

/// A tight pair: the count of loose ones in a row starts over.
fn tight() {
    if LOOSE.load(Ordering::Relaxed) != 0 {
        LOOSE.store(0, Ordering::Relaxed);
    }
}

/// A loose pair; too many in a row give the counter up.
fn loose() {
    if LOOSE.fetch_add(1, Ordering::Relaxed).saturating_add(1) >= MAX_LOOSE_IN_A_ROW {
        give_up();
    }
}

/// Every read takes the system clock from now on. Nothing is logged: this runs while a
/// span starts or ends, where no I/O is done, and the clock stays right, only slower.
fn give_up() {
    MULT.store(GIVEN_UP, Ordering::Relaxed);
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
