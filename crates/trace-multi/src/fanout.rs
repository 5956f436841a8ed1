//! [`MultiProcessor`]: several processors behind one, called in order, each isolated.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use trace_core::panic::isolate;
use trace_core::rate_limit::LogRateLimiter;
use trace_core::registry::cache::{self, Generation, LocalCache};
use trace_core::{ProcessorError, Span, Trace, TracingProcessor};

use crate::control;
use crate::slot::{List, Slot};
use crate::stats::{Health, ProcessorStats};

/// Ids of fan-outs, for the per-thread cache.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Changes after any change of any fan-out's list (and when a fan-out is dropped, so
/// threads let go of its list); per-thread caches compare against it.
static LISTS_GENERATION: Generation = Generation::new();

thread_local! {
    /// The lists this thread last read, for up to `cache::CAPACITY` fan-outs. What it lets
    /// go of is retired on `trace-retire`, never dropped on the span path.
    static LISTS: LocalCache<List> = const { LocalCache::new() };
    /// How many fan-out dispatches this thread is inside: a cycle of fan-outs (one added to
    /// another that holds it) would otherwise recurse until the stack overflows.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

static NESTED_LOG: LogRateLimiter = LogRateLimiter::new(Duration::from_secs(10));

/// How many fan-out dispatches may be nested on one thread before an event is not passed
/// on: 32, well above the registry's bound of 8 processor calls (a fan-out inside another
/// adds to both), since its one job is to stop a cycle of fan-outs, which reaches any
/// bound at once.
pub const MAX_FANOUT_NESTING: u32 = 32;

/// This thread inside one more fan-out dispatch while it lives.
struct Nested;

impl Nested {
    /// `None` when this thread is already `MAX_FANOUT_NESTING` dispatches deep.
    #[inline]
    fn enter() -> Option<Self> {
        DEPTH.with(|d| {
            let depth = d.get();
            (depth < MAX_FANOUT_NESTING).then(|| {
                d.set(depth + 1);
                Nested
            })
        })
    }
}

impl Drop for Nested {
    #[inline]
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// The name recorded for a processor added as `Arc<dyn TracingProcessor>`.
const DYN_NAME: &str = "dyn TracingProcessor";

/// A processor that forwards every call to a list of processors, in registration order,
/// on the caller's thread: the Python SDK's `SynchronousMultiTracingProcessor`.
///
/// - **Isolation.** A processor that panics does not stop the others and never unwinds
///   into the caller: the panic is caught, counted ([`stats`](Self::stats),
///   [`panics`](Self::panics)) and logged at `error` level, at most once per ten seconds
///   per processor (with the number of panics held back).
/// - **No copy.** Every processor receives the same `&Arc<Span>` / `&Arc<Trace>`.
/// - **Changes are atomic.** [`add`](Self::add) and [`set`](Self::set) swap in a new
///   immutable list; a call already running finishes with the list it started with, and
///   no processor present before an `add` misses a call because of it. Processors may
///   call `add`/`set` (or create spans) from inside their own methods.
/// - **Cheap hot path.** Each thread reads the list through its own cache, checked
///   against a global change counter: no lock and no shared reference count per call
///   (see the crate docs for the numbers). A list replaced by `set` is therefore released
///   by each thread on its next call of a fan-out, not at once, and handed to the
///   `trace-retire` thread: a replaced processor's `Drop` never runs on the span path.
/// - [`force_flush`](TracingProcessor::force_flush) reaches every processor;
///   [`shutdown`](TracingProcessor::shutdown) shares one deadline among them, in order,
///   as Python does. Both report failures by position in
///   [`ProcessorError::Several`].
///
/// A fan-out cannot contain itself: adding it to itself is ignored (with a warning).
/// Do not build a cycle through wrappers either (`a` inside `b` inside `a`): that
/// recurses without end.
///
/// ```
/// use std::sync::Arc;
/// use trace_core::{InMemoryProcessor, TracingProcessor};
/// use trace_multi::MultiProcessor;
///
/// let first = InMemoryProcessor::new();
/// let second = InMemoryProcessor::new();
/// let fanout = MultiProcessor::new().with(first.clone());
/// fanout.add(second.clone());
/// assert_eq!(fanout.len(), 2);
///
/// fanout.force_flush(None).unwrap();
/// assert_eq!(first.events().len(), 1);
/// assert_eq!(second.events().len(), 1);
/// ```
pub struct MultiProcessor {
    id: u64,
    list: RwLock<List>,
    /// Shared with the helper thread of [`control`](Self::control).
    panics: Arc<AtomicU64>,
    nested_skipped: AtomicU64,
}

impl MultiProcessor {
    /// An empty fan-out.
    pub fn new() -> Self {
        Self::from_slots(Vec::new())
    }

    fn from_slots(slots: Vec<Slot>) -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            list: RwLock::new(slots.into()),
            panics: Arc::new(AtomicU64::new(0)),
            nested_skipped: AtomicU64::new(0),
        }
    }

    /// Appends `processor` (builder style).
    pub fn with<P: TracingProcessor>(self, processor: P) -> Self {
        self.add(processor);
        self
    }

    /// Appends `processor`: it is called after those already present. Its type name is
    /// kept for [`stats`](Self::stats) and log lines.
    pub fn add<P: TracingProcessor>(&self, processor: P) {
        self.push(Arc::new(processor), std::any::type_name::<P>());
    }

    /// [`add`](Self::add) for a processor that is already shared.
    pub fn add_shared(&self, processor: Arc<dyn TracingProcessor>) {
        self.push(processor, DYN_NAME);
    }

    fn push(&self, processor: Arc<dyn TracingProcessor>, name: &'static str) {
        if self.is_self(&processor) {
            log::warn!("a trace processor fan-out cannot contain itself; the add was ignored");
            return;
        }
        let mut list = self.write();
        let slot = Slot { processor, health: Arc::new(Health::new(name)) };
        *list = list.iter().cloned().chain(std::iter::once(slot)).collect();
        drop(list);
        LISTS_GENERATION.bump();
    }

    /// Replaces all processors with `processors`, in that order, and returns the ones it
    /// took out (neither shut down nor flushed, as in Python: call their `shutdown` if
    /// they are done). A processor passed again (the same `Arc`) stays: it keeps its
    /// counters and is not among those returned, so shutting down what is returned never
    /// stops a processor that is still installed.
    ///
    /// Threads that were calling the replaced processors let go of them on their next
    /// call by handing them to the `trace-retire` thread: a replaced processor's shutdown
    /// or `Drop` never runs inside a span start or end. If you drop the returned
    /// processors and yours are the last references, their `Drop` runs on your thread;
    /// hand them to [`trace_core::registry::retire`] to avoid even that.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use trace_core::{InMemoryProcessor, TracingProcessor};
    /// use trace_multi::MultiProcessor;
    ///
    /// let fanout = MultiProcessor::new().with(InMemoryProcessor::new());
    /// let replaced = fanout.set(vec![Arc::new(InMemoryProcessor::new()), Arc::new(InMemoryProcessor::new())]);
    /// assert_eq!(replaced.len(), 1);
    /// assert_eq!(fanout.len(), 2);
    /// ```
    pub fn set(&self, processors: Vec<Arc<dyn TracingProcessor>>) -> Vec<Arc<dyn TracingProcessor>> {
        let processors: Vec<_> = processors
            .into_iter()
            .filter(|p| {
                let own = self.is_self(p);
                if own {
                    log::warn!("a trace processor fan-out cannot contain itself; it was left out of the list");
                }
                !own
            })
            .collect();
        let mut list = self.write();
        let slots: List = processors
            .into_iter()
            .map(|processor| {
                let health = list
                    .iter()
                    .find(|s| same(&s.processor, &processor))
                    .map_or_else(|| Arc::new(Health::new(DYN_NAME)), |s| Arc::clone(&s.health));
                Slot { processor, health }
            })
            .collect();
        let old = std::mem::replace(&mut *list, slots);
        let taken_out = old
            .iter()
            .filter(|s| !list.iter().any(|kept| same(&kept.processor, &s.processor)))
            .map(|s| Arc::clone(&s.processor))
            .collect();
        drop(list);
        LISTS_GENERATION.bump();
        taken_out
    }

    /// The processors, in the order they are called.
    pub fn processors(&self) -> Vec<Arc<dyn TracingProcessor>> {
        self.read().iter().map(|s| Arc::clone(&s.processor)).collect()
    }

    /// How many processors there are.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether there is no processor (then every call does nothing).
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// What each current processor went through, in order.
    pub fn stats(&self) -> Vec<ProcessorStats> {
        self.read().iter().enumerate().map(|(i, s)| s.health.snapshot(i)).collect()
    }

    /// Panics caught since this fan-out was created, in all of its processors, including
    /// those since removed.
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    /// Events this fan-out did not pass on because they came more than
    /// [`MAX_FANOUT_NESTING`] fan-out dispatches deep on their thread: a cycle of fan-outs
    /// (this one added, through others, to itself). Each is logged too (rate-limited).
    pub fn nested_events_skipped(&self) -> u64 {
        self.nested_skipped.load(Ordering::Relaxed)
    }

    fn read(&self) -> RwLockReadGuard<'_, List> {
        // A list is swapped whole; a poisoned lock still holds a valid one.
        self.list.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, List> {
        self.list.write().unwrap_or_else(|e| e.into_inner())
    }

    fn snapshot(&self) -> List {
        Arc::clone(&self.read())
    }

    fn is_self(&self, processor: &Arc<dyn TracingProcessor>) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(processor), self as *const Self)
    }

    /// Calls `call` on each processor in order, catching panics one by one.
    #[inline]
    fn each(&self, method: &'static str, call: impl Fn(&dyn TracingProcessor)) {
        let Some(_nested) = Nested::enter() else {
            return self.skip_nested(method);
        };
        cache::with(
            &LISTS,
            &LISTS_GENERATION,
            self.id,
            || self.snapshot(),
            |list| {
                for (position, slot) in list.iter().enumerate() {
                    if let Err(panic) = isolate(|| call(&*slot.processor)) {
                        self.panics.fetch_add(1, Ordering::Relaxed);
                        slot.health.panicked(position, method, panic);
                    }
                }
            },
        )
    }

    #[cold]
    #[inline(never)]
    fn skip_nested(&self, method: &'static str) {
        self.nested_skipped.fetch_add(1, Ordering::Relaxed);
        if let Some(held_back) = NESTED_LOG.check() {
            log::error!(
                "[non-fatal] trace processor fan-out: {method} came {MAX_FANOUT_NESTING} fan-out dispatches deep (a fan-out \
                 added to itself through another?); not passed on ({held_back} more since the last report)"
            );
        }
    }

    /// Runs `method` on each processor in order with the time left of `timeout`;
    /// `skip_when_late` leaves out (and reports) those reached after it.
    ///
    /// With a timeout, the calls run on a helper thread and this returns by the deadline
    /// (plus a grace of 100 ms) even if a processor ignores its timeout and never returns: that
    /// processor, and those not reached yet, are reported as [`ProcessorError::Timeout`].
    /// (The helper thread is then left with the stuck call; processors after it are called
    /// only if `skip_when_late` is false, with no time left.)
    fn control(
        &self,
        method: &'static str,
        timeout: Option<Duration>,
        skip_when_late: bool,
        call: fn(&dyn TracingProcessor, Option<Duration>) -> Result<(), ProcessorError>,
    ) -> Result<(), ProcessorError> {
        let list = self.snapshot();
        control::run(list, method, timeout, skip_when_late, call, Arc::clone(&self.panics))
    }
}

fn same(a: &Arc<dyn TracingProcessor>, b: &Arc<dyn TracingProcessor>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

impl TracingProcessor for MultiProcessor {
    fn on_trace_start(&self, trace: &Arc<Trace>) {
        self.each("on_trace_start", |p| p.on_trace_start(trace));
    }

    fn on_trace_end(&self, trace: &Arc<Trace>) {
        self.each("on_trace_end", |p| p.on_trace_end(trace));
    }

    fn on_span_start(&self, span: &Span) {
        self.each("on_span_start", |p| p.on_span_start(span));
    }

    fn on_span_end(&self, span: &Arc<Span>) {
        self.each("on_span_end", |p| p.on_span_end(span));
    }

    /// Flushes every processor in order, each with the time left of one shared
    /// `timeout` (zero once it has passed: every processor is still asked, and one that
    /// honours its timeout returns at once). With a timeout, returns within it (plus
    /// 100 ms of grace) even if a processor never returns: see
    /// [`shutdown`](TracingProcessor::shutdown). Errors, returned or panics, are collected as
    /// [`ProcessorError::Several`] with each processor's position.
    fn force_flush(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.control("force_flush", timeout, false, |p, t| p.force_flush(t))
    }

    /// Shuts down every processor in order, each with the time left of one shared
    /// `timeout`, as Python does. Once the deadline has passed the remaining processors
    /// are not called (as in Python) and are reported as [`ProcessorError::Timeout`] at
    /// their positions, together with the errors of the others, in
    /// [`ProcessorError::Several`]. A later `shutdown` reaches them; processors already
    /// shut down then report [`ProcessorError::AlreadyShutdown`]. A timeout of zero
    /// therefore shuts nothing down; `None` waits for each in turn without bound.
    ///
    /// With a timeout the processors are called on a helper thread
    /// (`trace-multi-control`), and this returns within the timeout plus 100 ms of grace
    /// even if a processor ignores its timeout and blocks for ever: that one and the ones
    /// after it are then reported as [`ProcessorError::Timeout`], and the helper thread is
    /// left behind with the stuck call.
    ///
    /// The processors stay in the list.
    fn shutdown(&self, timeout: Option<Duration>) -> Result<(), ProcessorError> {
        self.control("shutdown", timeout, true, |p, t| p.shutdown(t))
    }
}

impl Default for MultiProcessor {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for MultiProcessor {
    fn drop(&mut self) {
        // Let threads release the lists they cached for this fan-out.
        LISTS_GENERATION.bump();
    }
}

impl fmt::Debug for MultiProcessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = self.read();
        f.debug_struct("MultiProcessor")
            .field("processors", &list.iter().map(|s| s.health.name).collect::<Vec<_>>())
            .field("panics", &self.panics())
            .finish()
    }
}

impl From<Vec<Arc<dyn TracingProcessor>>> for MultiProcessor {
    /// A fan-out over `processors`, in that order.
    fn from(processors: Vec<Arc<dyn TracingProcessor>>) -> Self {
        processors.into_iter().collect()
    }
}

impl From<Vec<Box<dyn TracingProcessor>>> for MultiProcessor {
    /// A fan-out over `processors`, in that order.
    fn from(processors: Vec<Box<dyn TracingProcessor>>) -> Self {
        processors.into_iter().map(Arc::from).collect()
    }
}

impl FromIterator<Arc<dyn TracingProcessor>> for MultiProcessor {
    /// A fan-out over the processors, in iteration order.
    fn from_iter<I: IntoIterator<Item = Arc<dyn TracingProcessor>>>(processors: I) -> Self {
        Self::from_slots(
            processors
                .into_iter()
                .map(|processor| Slot { processor, health: Arc::new(Health::new(DYN_NAME)) })
                .collect(),
        )
    }
}
