//! Scoped processors: a processor in front of the global one, for one thread (and the
//! tasks wrapped there with [`in_current_context`](crate::FutureExt::in_current_context))
//! while a guard lives. See [Scoped processors](super#scoped-processors).
//!
//! Each thread keeps a stack of scopes; the innermost one receives what starts on the
//! thread. A task wrapped by `in_current_context` or `with_context` takes the innermost
//! scope of the thread that wraps it and swaps its own stack in for each poll, as the
//! context stack is swapped.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::retire::retire;
use super::slot::Shared;
use crate::processor::TracingProcessor;

/// The scoped processor behind a [`Scope`]. When the last scope handle lets go of it, the
/// processor's reference goes to `trace-retire`: a span end that held the last handle never
/// runs the processor's `Drop`.
struct Held {
    processor: Option<Shared>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(processor) = self.processor.take() {
            retire(processor);
        }
    }
}

/// A handle on a scoped processor: in a thread's stack, a task's, or a started trace or
/// span that ends where it started.
#[derive(Clone)]
pub(crate) struct Scope(Arc<Held>);

impl Scope {
    fn new(processor: Shared) -> Self {
        Self(Arc::new(Held { processor: Some(processor) }))
    }

    /// Calls `f` with the processor (it is always there while a handle lives).
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&dyn TracingProcessor) -> R) -> Option<R> {
        self.0.processor.as_deref().map(f)
    }

    fn shared(&self) -> Option<Shared> {
        self.0.processor.clone()
    }
}

struct Frame {
    id: u64,
    scope: Scope,
}

/// A stack of scopes: a thread's, or a task's while it is not being polled.
#[derive(Default)]
pub(crate) struct Scopes(Vec<Frame>);

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes(depth {})", self.0.len())
    }
}

impl Scopes {
    /// A stack for a task wrapped on this thread: the thread's innermost scope, if any.
    pub(crate) fn capture() -> Self {
        match current() {
            Some(scope) => Scopes(vec![Frame { id: next_id(), scope }]),
            None => Scopes(Vec::new()),
        }
    }
}

thread_local! {
    /// Whether this thread's stack has a scope: the one thing the hot path reads when no
    /// scope is set (a plain thread-local, no destructor, no borrow).
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static STACK: RefCell<Scopes> = const { RefCell::new(Scopes(Vec::new())) };
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Whether a scope is set on this thread (or the task it polls).
#[inline]
pub(crate) fn active() -> bool {
    ACTIVE.try_with(Cell::get).unwrap_or(false)
}

/// The innermost scope of this thread (or task), if any.
pub(crate) fn current() -> Option<Scope> {
    STACK.try_with(|s| s.try_borrow().ok().and_then(|s| s.0.last().map(|f| f.scope.clone()))).ok().flatten()
}

fn set_active(scopes: &Scopes) {
    let _ = ACTIVE.try_with(|a| a.set(!scopes.0.is_empty()));
}

/// Swaps this thread's stack with `other` (a task's, around a poll).
pub(crate) fn swap(other: &mut Scopes) {
    let _ = STACK.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            std::mem::swap(&mut *s, other);
            set_active(&s);
        }
    });
}

fn push(scope: Scope) -> Option<u64> {
    let id = next_id();
    STACK
        .try_with(|s| {
            let mut s = s.try_borrow_mut().ok()?;
            s.0.push(Frame { id, scope });
            set_active(&s);
            Some(id)
        })
        .ok()
        .flatten()
}

fn remove(id: u64) -> Option<Scope> {
    STACK
        .try_with(|s| {
            let mut s = s.try_borrow_mut().ok()?;
            let pos = s.0.iter().rposition(|f| f.id == id)?;
            let frame = s.0.remove(pos);
            set_active(&s);
            Some(frame.scope)
        })
        .ok()
        .flatten()
}

/// Makes `processor` receive what starts on this thread, instead of the global
/// processor, until the guard is dropped (tracing's `dispatcher::set_default`). Scopes
/// nest: the innermost one receives. Other threads are not affected; tasks wrapped with
/// [`in_current_context`](crate::FutureExt::in_current_context) inside the scope keep it
/// on whatever thread polls them. See [Scoped processors](super#scoped-processors) for
/// where a trace or span that outlives its scope ends.
///
/// ```
/// use trace_core::registry::set_default;
/// use trace_core::{custom_span, trace, InMemoryProcessor};
///
/// let tenant = InMemoryProcessor::new();
/// {
///     let _scope = set_default(tenant.clone());
///     let _t = trace("tenant request").start();
///     let _s = custom_span("step").start();
/// } // spans end (innermost first), then the scope
/// assert_eq!(tenant.finished_spans().len(), 1);
/// ```
pub fn set_default<P: TracingProcessor>(processor: P) -> DefaultGuard {
    set_default_shared(Arc::new(processor))
}

/// [`set_default`] for a processor that is already shared.
pub fn set_default_shared(processor: Arc<dyn TracingProcessor>) -> DefaultGuard {
    // A scope's last reference may be released by a span's end (see `Held`): the thread
    // that drops it is started here, not there.
    super::retire::start();
    DefaultGuard { id: push(Scope::new(processor)), _not_send: PhantomData }
}

/// Runs `f` with `processor` in front of the global processor on this thread
/// (tracing's `dispatcher::with_default`); the previous scope is back when `f` returns or
/// unwinds.
///
/// ```
/// use trace_core::registry::with_default;
/// use trace_core::{trace, InMemoryProcessor};
///
/// let tenant = InMemoryProcessor::new();
/// let id = with_default(tenant.clone(), || trace("scoped").start().trace_id().cloned());
/// assert_eq!(tenant.started_traces()[0].trace_id(), id.as_ref().unwrap());
/// ```
pub fn with_default<P: TracingProcessor, R>(processor: P, f: impl FnOnce() -> R) -> R {
    let _guard = set_default(processor);
    f()
}

/// The processor of this thread's innermost scope (or the polled task's), if any: what
/// a trace or span started here now goes to, instead of the global
/// [`trace_processor`](crate::trace_processor).
pub fn scoped_processor() -> Option<Arc<dyn TracingProcessor>> {
    current().and_then(|s| s.shared())
}

/// Keeps a scoped processor in front of the global one on this thread; returned by
/// [`set_default`]. Dropping it removes that scope, wherever it is in the stack: guards
/// dropped out of order leave the others in place (the innermost remaining one receives).
/// Not `Send`: a scope belongs to the thread that set it.
///
/// Dropping the guard neither flushes nor shuts the processor down; keep a handle to it
/// and call [`force_flush`](TracingProcessor::force_flush) or
/// [`shutdown`](TracingProcessor::shutdown) when its traces are done. When the guard
/// held the last reference, the processor is dropped on the `trace-retire` thread.
#[must_use = "the scope lasts only while the guard lives"]
pub struct DefaultGuard {
    id: Option<u64>,
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for DefaultGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultGuard").field("id", &self.id).finish()
    }
}

impl Drop for DefaultGuard {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            // Dropped outside the stack's borrow.
            drop(remove(id));
        }
    }
}
