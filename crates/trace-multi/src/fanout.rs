//! [`MultiProcessor`]: several processors behind one, called in order, each isolated.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use trace_core::panic::isolate;
use trace_core::registry::cache::{self, Generation, LocalCache};
use trace_core::{ProcessorError, Span, Trace, TracingProcessor};

use crate::stats::{Health, ProcessorStats};

/// One processor of a list, with its counters.
#[derive(Clone)]
pub(crate) struct Slot {
    processor: Arc<dyn TracingProcessor>,
    health: Arc<Health>,
}

/// An immutable list of processors; `add` and `set` swap in a new one.
pub(crate) type List = Arc<[Slot]>;

/// Ids of fan-outs, for the per-thread cache.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Changes after any change of any fan-out's list (and when a fan-out is dropped, so
/// threads let go of its list); per-thread caches compare against it.
static LISTS_GENERATION: Generation = Generation::new();

thread_local! {
    /// The lists this thread last read, for up to `cache::CAPACITY` fan-outs. What it lets
    /// go of is retired on `trace-retire`, never dropped on the span path.
    static LISTS: LocalCache<List> = const { LocalCache::new() };
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
    /// replaced (neither shut down nor flushed, as in Python: call their `shutdown` if
    /// they are done). A processor passed again (the same `Arc`) keeps its counters.
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
        drop(list);
        LISTS_GENERATION.bump();
        old.iter().map(|s| Arc::clone(&s.processor)).collect()
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

    /// Runs `method` on each processor in order with the time left of `timeout`;
    /// `skip_when_late` leaves out (and reports) those reached after it.
    ///
    /// With a timeout, the calls run on a helper thread and this returns by the deadline
    /// (plus [`GRACE`]) even if a processor ignores its timeout and never returns: that
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
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let run = Run { list, timeout, deadline, skip_when_late, method, call, panics: Arc::clone(&self.panics) };
        let errors = match (timeout, deadline) {
            (Some(t), Some(deadline)) if !run.list.is_empty() => run.bounded(t, deadline),
            // No bound (or a timeout too large for the clock): on this thread.
            _ => run.all(|_, _| {}),
        };
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ProcessorError::Several(errors))
        }
    }
}

/// One `force_flush` or `shutdown` of every processor of a list, in order.
struct Run {
    list: List,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    skip_when_late: bool,
    method: &'static str,
    call: fn(&dyn TracingProcessor, Option<Duration>) -> Result<(), ProcessorError>,
    panics: Arc<AtomicU64>,
}

/// The name of the helper thread that runs a bounded `force_flush` or `shutdown`.
const CONTROL_THREAD_NAME: &str = "trace-multi-control";

/// How long past the deadline a bounded `force_flush` or `shutdown` still waits for the
/// processors: one that honours its timeout returns about at the deadline, and its own
/// answer is better than a guess.
const GRACE: Duration = Duration::from_millis(100);

impl Run {
    /// Calls each processor in turn; `done(position, error)` is told after each. Returns
    /// the errors by position.
    fn all(&self, done: impl Fn(usize, Option<&ProcessorError>)) -> Vec<(usize, ProcessorError)> {
        let mut errors = Vec::new();
        for (position, slot) in self.list.iter().enumerate() {
            let error = self.one(position, slot);
            done(position, error.as_ref());
            if let Some(e) = error {
                errors.push((position, e));
            }
        }
        errors
    }

    fn one(&self, position: usize, slot: &Slot) -> Option<ProcessorError> {
        let remaining = match (self.timeout, self.deadline) {
            (Some(_), Some(deadline)) => Some(deadline.saturating_duration_since(Instant::now())),
            // A timeout too large for the clock: no bound.
            _ => None,
        };
        if self.skip_when_late && remaining == Some(Duration::ZERO) {
            return Some(ProcessorError::Timeout(self.timeout.unwrap_or_default()));
        }
        match isolate(|| (self.call)(&*slot.processor, remaining)) {
            Ok(Ok(())) => None,
            Ok(Err(e)) => {
                slot.health.failed();
                Some(e)
            }
            Err(panic) => {
                self.panics.fetch_add(1, Ordering::Relaxed);
                let message = slot.health.panicked(position, self.method, panic);
                Some(ProcessorError::Panicked(message))
            }
        }
    }

    /// [`all`](Self::all) on a helper thread, waited for until `deadline`.
    fn bounded(self, timeout: Duration, deadline: Instant) -> Vec<(usize, ProcessorError)> {
        let len = self.list.len();
        let method = self.method;
        let progress = Arc::new(Progress::default());
        let helper = Arc::clone(&progress);
        let run = Arc::new(self);
        let on_helper = Arc::clone(&run);
        let spawned = std::thread::Builder::new().name(CONTROL_THREAD_NAME.to_owned()).spawn(move || {
            // Errors are reported as they happen, so that those of processors that did
            // finish are known even if a later one never returns.
            on_helper.all(|position, error| {
                helper.update(|p| {
                    p.finished = position + 1;
                    if let Some(e) = error {
                        p.errors.push((position, e.clone()));
                    }
                })
            });
        });
        if spawned.is_err() {
            // No thread to be had: on this thread, unbounded if a processor misbehaves.
            return run.all(|_, _| {});
        }
        let deadline = deadline.checked_add(GRACE).unwrap_or(deadline);
        let mut state = progress.lock();
        loop {
            if state.finished == len {
                return std::mem::take(&mut state.errors);
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = progress.wait(state, deadline - now);
        }
        let stuck = state.finished;
        let mut errors = std::mem::take(&mut state.errors);
        drop(state);
        log::warn!(
            "[non-fatal] tracing: {method} of trace processor #{stuck} did not return within {timeout:?}; it and the \
             processors after it (up to #{}) are reported as timed out",
            len - 1
        );
        errors.extend((stuck..len).map(|position| (position, ProcessorError::Timeout(timeout))));
        errors
    }
}

/// What the helper thread of a bounded run has done so far.
#[derive(Default)]
struct Progress {
    state: std::sync::Mutex<ProgressState>,
    changed: std::sync::Condvar,
}

#[derive(Default)]
struct ProgressState {
    /// How many processors have returned (or were skipped), in order.
    finished: usize,
    /// Their errors, by position.
    errors: Vec<(usize, ProcessorError)>,
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut ProgressState)) {
        f(&mut self.lock());
        self.changed.notify_all();
    }

    fn wait<'a>(
        &self,
        guard: std::sync::MutexGuard<'a, ProgressState>,
        timeout: Duration,
    ) -> std::sync::MutexGuard<'a, ProgressState> {
        self.changed.wait_timeout(guard, timeout).unwrap_or_else(|e| e.into_inner()).0
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
