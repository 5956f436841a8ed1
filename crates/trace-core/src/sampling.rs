//! Head sampling: which traces are recorded, decided once, when a trace is created, so
//! that a trace is recorded whole or not at all.
//!
//! A [`Sampler`] installed with [`set_sampler`] decides for every trace created from then
//! on. A trace it turns down is a no-op that still scopes its spans, as a trace with
//! tracing disabled does: its spans are no-ops too (a check and a reference count of the
//! trace's scope: no clock read, no allocation, no processor call), and they are counted.
//! The trace itself costs one small allocation, the scope that still gives a call made
//! inside it a `traceparent` with `sampled` off (see
//! [`SampledOutScope`](crate::w3c::SampledOutScope)).
//!
//! - **By ratio** ([`Sampler::ratio`]): from the trace id alone, so every process that
//!   continues a trace (given its id with [`TraceBuilder::trace_id`](crate::TraceBuilder::trace_id))
//!   decides the same. The id's randomness is its last 56 bits for ids in the generated
//!   form (`trace_` + 32 hex digits, Python's ids included), as W3C trace context and
//!   OpenTelemetry take it, else a 64-bit FNV-1a hash of its text ([`trace_id_randomness`]);
//!   a trace is kept when that number is below `ratio * 2^56`.
//! - **By rate** ([`Sampler::max_per_second`], or both with the [builder](Sampler::builder)):
//!   at most `n` traces per second on average: a bucket of `n` tokens, full at first,
//!   refilled at `n` per second, one token per trace kept. A burst after a quiet second
//!   gets `n` traces at once; any window of `t` seconds holds at most `n + n * t` traces.
//!   It is local to the process: each process has its own budget. With both, the ratio decides first and the cap counts only the traces
//!   the ratio kept. The clock can be injected ([`SamplerBuilder::clock`]) to test it
//!   without sleeping.
//! - **By parent**: a trace continued from a W3C `traceparent` follows the caller's
//!   `sampled` flag instead of the ratio and the cap (as OpenTelemetry's parent-based
//!   sampler does), so a whole distributed trace goes or stays; those traces do not count
//!   against the cap (see [`w3c`](crate::w3c)).
//!
//! No sampler is installed by default (the Python SDK samples nothing out). Without one,
//! a trace creation pays one relaxed atomic load, shared with the sensitive-data switch,
//! and spans pay nothing. With one, a trace creation also reads it under a read lock (the
//! batch worker never takes it).
//!
//! What was turned down is counted apart from what processors drop ([`sampling_stats`]),
//! and said in a `debug` log line at most once per 10 s.
//!
//! ```
//! use trace_core::sampling::{self, Sampler};
//! use trace_core::{custom_span, trace, InMemoryProcessor};
//!
//! let recorder = InMemoryProcessor::new();
//! trace_core::set_trace_processor(recorder.clone());
//! sampling::set_sampler(Sampler::ratio(0.0)?);
//! let before = sampling::sampling_stats();
//! {
//!     let run = trace("Nightly batch").start();
//!     assert!(run.is_sampled_out());
//!     let _step = custom_span("step").start(); // a no-op, counted
//! }
//! let after = sampling::sampling_stats();
//! assert_eq!(after.traces_sampled_out() - before.traces_sampled_out(), 1);
//! assert_eq!(after.spans_sampled_out - before.spans_sampled_out, 1);
//! assert!(recorder.started_traces().is_empty());
//! sampling::clear_sampler();
//! # Ok::<(), sampling::SamplerError>(())
//! ```

mod rate_cap;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::ids::TraceId;
use crate::rate_limit::LogRateLimiter;
use crate::sharded_counter::ShardedCounter;
use rate_cap::RateCap;

/// The scale of a trace id's randomness: 56 bits.
const SCALE: f64 = (1u64 << 56) as f64;
const MASK_56: u64 = (1 << 56) - 1;

/// A clock for the rate cap: monotonic time since any fixed origin.
type Clock = Arc<dyn Fn() -> Duration + Send + Sync>;

/// Decides which traces are recorded; see the [module docs](self). Cheap to clone (shared:
/// clones share the rate cap's budget).
#[derive(Clone)]
pub struct Sampler {
    inner: Arc<Inner>,
}

struct Inner {
    ratio: f64,
    /// Kept when the randomness is below this (`2^56` keeps all).
    threshold: u64,
    per_second: Option<f64>,
    cap: Option<RateCap>,
    clock: Option<Clock>,
}

impl fmt::Debug for Sampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sampler")
            .field("ratio", &self.inner.ratio)
            .field("max_per_second", &self.inner.per_second)
            .field("clock", &if self.inner.clock.is_some() { "injected" } else { "monotonic" })
            .finish()
    }
}

/// What a [`Sampler`] decided for one trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SamplingDecision {
    /// Recorded.
    Sampled,
    /// Not recorded: the trace id fell outside the ratio.
    OutByRatio,
    /// Not recorded: the ratio kept it, but the rate cap had no room.
    OutByRate,
}

impl SamplingDecision {
    /// Whether the trace is recorded.
    pub fn is_sampled(self) -> bool {
        self == SamplingDecision::Sampled
    }
}

/// A sampler setting that cannot work.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SamplerError {
    /// The ratio is not a number from 0 to 1.
    #[error("sampling ratio {0} is not between 0.0 (no trace) and 1.0 (every trace)")]
    InvalidRatio(f64),
    /// The rate is not a finite number above zero.
    #[error(
        "max_per_second {0} is not a finite number above zero; to record no trace, use a ratio of 0.0, and to \
         remove the cap, leave it unset"
    )]
    InvalidRate(f64),
}

/// Settings of a [`Sampler`]; made by [`Sampler::builder`].
///
/// | setter | default |
/// |---|---|
/// | [`ratio`](Self::ratio) | 1.0: every trace (the Python SDK samples nothing out) |
/// | [`max_per_second`](Self::max_per_second) | none: no cap |
/// | [`clock`](Self::clock) | the monotonic clock ([`Instant`](std::time::Instant)) |
#[must_use = "a builder does nothing until `build`"]
pub struct SamplerBuilder {
    ratio: f64,
    per_second: Option<f64>,
    clock: Option<Clock>,
}

impl fmt::Debug for SamplerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamplerBuilder")
            .field("ratio", &self.ratio)
            .field("max_per_second", &self.per_second)
            .field("clock", &if self.clock.is_some() { "injected" } else { "monotonic" })
            .finish()
    }
}

impl SamplerBuilder {
    /// The share of traces kept, from 0.0 (none) to 1.0 (all), decided from the trace id.
    /// Default: 1.0.
    pub fn ratio(mut self, ratio: f64) -> Self {
        self.ratio = ratio;
        self
    }

    /// At most this many traces per second on average: a bucket of this many tokens (at
    /// least one), full at first, refilled at this rate; finite and above zero. Default:
    /// no cap.
    pub fn max_per_second(mut self, per_second: f64) -> Self {
        self.per_second = Some(per_second);
        self
    }

    /// The clock of the rate cap: monotonic time since any fixed origin. Default: the
    /// system's monotonic clock. Inject one to test a cap without sleeping.
    pub fn clock(mut self, clock: impl Fn() -> Duration + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The sampler.
    ///
    /// # Errors
    /// [`SamplerError::InvalidRatio`] for a ratio outside `[0, 1]` (or NaN),
    /// [`SamplerError::InvalidRate`] for a rate that is not finite and above zero.
    pub fn build(self) -> Result<Sampler, SamplerError> {
        if !(0.0..=1.0).contains(&self.ratio) {
            return Err(SamplerError::InvalidRatio(self.ratio));
        }
        if let Some(rate) = self.per_second {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(SamplerError::InvalidRate(rate));
            }
        }
        // `as` saturates; 1.0 gives 2^56, above every randomness.
        let threshold = (self.ratio * SCALE) as u64;
        Ok(Sampler {
            inner: Arc::new(Inner {
                ratio: self.ratio,
                threshold,
                per_second: self.per_second,
                cap: self.per_second.map(RateCap::new),
                clock: self.clock,
            }),
        })
    }
}

impl Sampler {
    /// Starts configuring a sampler; see [`SamplerBuilder`] for the defaults.
    pub fn builder() -> SamplerBuilder {
        SamplerBuilder { ratio: 1.0, per_second: None, clock: None }
    }

    /// Keeps this share of traces (0.0 to 1.0), decided from the trace id.
    ///
    /// # Errors
    /// [`SamplerError::InvalidRatio`] outside `[0, 1]`.
    pub fn ratio(ratio: f64) -> Result<Self, SamplerError> {
        Self::builder().ratio(ratio).build()
    }

    /// Keeps at most this many traces per second (bursts of up to as many).
    ///
    /// # Errors
    /// [`SamplerError::InvalidRate`] unless finite and above zero.
    pub fn max_per_second(per_second: f64) -> Result<Self, SamplerError> {
        Self::builder().max_per_second(per_second).build()
    }

    /// The ratio set (1.0 when none was).
    pub fn ratio_value(&self) -> f64 {
        self.inner.ratio
    }

    /// The rate cap set, if any.
    pub fn max_per_second_value(&self) -> Option<f64> {
        self.inner.per_second
    }

    /// Decides for the trace `trace_id`. The ratio's part depends on the id only; the
    /// cap's part takes one of its tokens when the trace is kept.
    pub fn sample(&self, trace_id: &TraceId) -> SamplingDecision {
        let inner = &*self.inner;
        if trace_id_randomness(trace_id) >= inner.threshold {
            return SamplingDecision::OutByRatio;
        }
        if let Some(cap) = &inner.cap {
            let now = inner.clock.as_ref().map_or_else(monotonic, read_injected);
            if !cap.admit(now) {
                return SamplingDecision::OutByRate;
            }
        }
        SamplingDecision::Sampled
    }
}

/// An injected clock's reading; if it panics, the monotonic clock's, counted in
/// [`SamplingStats::clock_panics`] and logged (rate-limited): a trace start never unwinds
/// from a sampler.
fn read_injected(clock: &Clock) -> Duration {
    match crate::panic::isolate(|| clock()) {
        Ok(now) => now,
        Err(panic) => {
            CLOCK_PANICS.fetch_add(1, Ordering::Relaxed);
            if let Some(held_back) = CLOCK_LOG.check() {
                log::error!(
                    "[non-fatal] tracing: the sampler's injected clock panicked ({}); the monotonic clock was read \
                     instead ({held_back} more held back)",
                    panic.message()
                );
            }
            monotonic()
        }
    }
}

fn monotonic() -> Duration {
    Duration::from_nanos(crate::clock::monotonic_nanos())
}

/// The 56 random bits of a trace id that the ratio compares: the id's last 56 bits when it
/// has the generated form (`trace_` + 32 hex digits, as Python's and this crate's ids
/// have), else the last 56 bits of a 64-bit FNV-1a hash of its text, mixed. The same in
/// every process.
pub fn trace_id_randomness(trace_id: &TraceId) -> u64 {
    match trace_id.as_u128() {
        Some(value) => (value as u64) & MASK_56,
        None => trace_id.with_str(|text| mix(crate::fnv::fnv1a_64(text.as_bytes()))) & MASK_56,
    }
}

/// splitmix64's finalizer: spreads the hash's entropy over all its bits.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

static SAMPLER: RwLock<Option<Sampler>> = RwLock::new(None);

/// Installs `sampler` for every trace created from now on, in the whole process; returns
/// the one it replaces.
pub fn set_sampler(sampler: Sampler) -> Option<Sampler> {
    let old = SAMPLER.write().unwrap_or_else(PoisonError::into_inner).replace(sampler);
    crate::policy::set_sampler_flag(true);
    old
}

/// Removes the sampler: every trace is recorded again. Returns the one removed.
pub fn clear_sampler() -> Option<Sampler> {
    crate::policy::set_sampler_flag(false);
    SAMPLER.write().unwrap_or_else(PoisonError::into_inner).take()
}

/// The sampler installed, if any.
pub fn sampler() -> Option<Sampler> {
    SAMPLER.read().unwrap_or_else(PoisonError::into_inner).clone()
}

/// What samplers turned down since the process started, apart from what processors
/// dropped; a snapshot ([`sampling_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SamplingStats {
    /// Traces a sampler kept.
    pub traces_sampled: u64,
    /// Traces turned down by the ratio.
    pub traces_out_by_ratio: u64,
    /// Traces the ratio kept and the rate cap turned down.
    pub traces_out_by_rate: u64,
    /// Traces that continue a W3C `traceparent` whose `sampled` flag is off: with a sampler
    /// installed, a continued trace follows its caller's decision (see [`w3c`](crate::w3c)).
    pub traces_out_by_parent: u64,
    /// Spans not recorded because their trace was turned down (spans started, or created
    /// with such a trace as their parent).
    pub spans_sampled_out: u64,
    /// Readings of an injected clock ([`SamplerBuilder::clock`]) that panicked; the
    /// monotonic clock was read instead.
    pub clock_panics: u64,
}

impl SamplingStats {
    /// Traces turned down, whatever the reason.
    pub fn traces_sampled_out(&self) -> u64 {
        self.traces_out_by_ratio + self.traces_out_by_rate + self.traces_out_by_parent
    }
}

static TRACES_SAMPLED: AtomicU64 = AtomicU64::new(0);
static TRACES_OUT_BY_RATIO: AtomicU64 = AtomicU64::new(0);
static TRACES_OUT_BY_RATE: AtomicU64 = AtomicU64::new(0);
static TRACES_OUT_BY_PARENT: AtomicU64 = AtomicU64::new(0);
/// Counted on the span path, by many threads: sharded.
static SPANS_SAMPLED_OUT: ShardedCounter = ShardedCounter::new();
static LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));
static CLOCK_PANICS: AtomicU64 = AtomicU64::new(0);
static CLOCK_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

/// The counters; see [`SamplingStats`].
pub fn sampling_stats() -> SamplingStats {
    SamplingStats {
        traces_sampled: TRACES_SAMPLED.load(Ordering::Relaxed),
        traces_out_by_ratio: TRACES_OUT_BY_RATIO.load(Ordering::Relaxed),
        traces_out_by_rate: TRACES_OUT_BY_RATE.load(Ordering::Relaxed),
        traces_out_by_parent: TRACES_OUT_BY_PARENT.load(Ordering::Relaxed),
        spans_sampled_out: SPANS_SAMPLED_OUT.sum(),
        clock_panics: CLOCK_PANICS.load(Ordering::Relaxed),
    }
}

/// Asks the installed sampler about a trace being created, and counts its answer; `true`
/// when the trace is recorded (also when the sampler was removed meanwhile).
#[cold]
#[inline(never)]
pub(crate) fn decide(trace_id: &TraceId) -> bool {
    // Out of the lock before the sampler runs: an injected clock that sets a sampler
    // would otherwise take the write lock under this thread's own read lock.
    let sampler = match SAMPLER.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
        Some(sampler) => sampler.clone(),
        None => return true,
    };
    let decision = sampler.sample(trace_id);
    if let Some(inner) = Arc::into_inner(sampler.inner) {
        // Replaced meanwhile, and this was the last reference (`into_inner` gives it to
        // one caller only): it, with an injected clock's captures, is dropped on
        // `trace-retire`, not in this trace's start.
        crate::registry::retire(inner);
    }
    let counter = match decision {
        SamplingDecision::Sampled => {
            TRACES_SAMPLED.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        SamplingDecision::OutByRatio => &TRACES_OUT_BY_RATIO,
        SamplingDecision::OutByRate => &TRACES_OUT_BY_RATE,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    if log::log_enabled!(log::Level::Debug) {
        if let Some(held_back) = LOG.check() {
            let s = sampling_stats();
            log::debug!(
                "tracing: trace sampled out ({decision:?}); {} traces ({} by ratio, {} by rate) and {} spans sampled \
                 out so far ({held_back} such lines held back)",
                s.traces_sampled_out(),
                s.traces_out_by_ratio,
                s.traces_out_by_rate,
                s.spans_sampled_out
            );
        }
    }
    false
}

/// The decision for a trace that continues a W3C `traceparent`, with a sampler installed:
/// the caller's `sampled` flag (a parent-based sampler, as OpenTelemetry's default), counted.
#[cold]
#[inline(never)]
pub(crate) fn decide_remote(sampled: bool) -> bool {
    if sampled {
        TRACES_SAMPLED.fetch_add(1, Ordering::Relaxed);
    } else {
        TRACES_OUT_BY_PARENT.fetch_add(1, Ordering::Relaxed);
    }
    sampled
}

/// Counts a span of a sampled-out trace.
#[inline]
pub(crate) fn count_span() {
    SPANS_SAMPLED_OUT.add(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_rates_are_checked() {
        for bad in [-0.1, 1.01, f64::NAN, f64::INFINITY] {
            assert!(matches!(Sampler::ratio(bad), Err(SamplerError::InvalidRatio(_))), "{bad}");
        }
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(Sampler::max_per_second(bad), Err(SamplerError::InvalidRate(_))), "{bad}");
        }
        let s = Sampler::builder().ratio(0.25).max_per_second(3.0).build().unwrap();
        assert_eq!((s.ratio_value(), s.max_per_second_value()), (0.25, Some(3.0)));
        assert!(SamplerError::InvalidRate(0.0).to_string().contains("ratio of 0.0"));
    }

    #[test]
    fn the_ratio_compares_the_ids_last_56_bits() {
        let half = Sampler::ratio(0.5).unwrap();
        // The top 72 bits do not matter; the 56th bit from the end decides at 0.5.
        let low = TraceId::from_u128(u128::MAX << 56 | 0x7f_ffff_ffff_ffff);
        let high = TraceId::from_u128(0x80_0000_0000_0000);
        assert_eq!(half.sample(&low), SamplingDecision::Sampled);
        assert_eq!(half.sample(&high), SamplingDecision::OutByRatio);
        // Python's ids (uuid4 hex) parse to the same number.
        let python = TraceId::from_string("trace_0123456789abcdef0123456789abcdef");
        assert_eq!(trace_id_randomness(&python), 0x23_4567_89ab_cdef);
        assert!(Sampler::ratio(1.0).unwrap().sample(&TraceId::from_u128(u128::MAX)).is_sampled());
        assert!(!Sampler::ratio(0.0).unwrap().sample(&TraceId::from_u128(0)).is_sampled());
        // Custom ids hash; the same text decides the same.
        let custom = TraceId::from_string("my-run-42");
        assert_eq!(trace_id_randomness(&custom), trace_id_randomness(&TraceId::from_string("my-run-42")));
        assert_ne!(trace_id_randomness(&custom), trace_id_randomness(&TraceId::from_string("my-run-43")));
    }

    #[test]
    fn the_cap_counts_only_what_the_ratio_kept_and_follows_the_injected_clock() {
        let now = Arc::new(AtomicU64::new(0));
        let clock = Arc::clone(&now);
        let s = Sampler::builder()
            .ratio(0.5)
            .max_per_second(2.0)
            .clock(move || Duration::from_millis(clock.load(Ordering::Relaxed)))
            .build()
            .unwrap();
        let kept = TraceId::from_u128(1);
        let out = TraceId::from_u128(MASK_56 as u128);
        assert_eq!(s.sample(&out), SamplingDecision::OutByRatio);
        assert_eq!(s.sample(&kept), SamplingDecision::Sampled);
        assert_eq!(s.sample(&kept), SamplingDecision::Sampled);
        assert_eq!(s.sample(&kept), SamplingDecision::OutByRate);
        assert_eq!(s.sample(&out), SamplingDecision::OutByRatio, "the ratio first: no token taken");
        now.store(500, Ordering::Relaxed);
        assert_eq!(s.sample(&kept), SamplingDecision::Sampled, "one token per 500 ms");
        assert_eq!(s.sample(&kept), SamplingDecision::OutByRate);
        assert!(format!("{s:?}").contains("injected"));
    }
}
