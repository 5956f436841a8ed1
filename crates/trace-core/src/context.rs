//! The current trace and span.
//!
//! Each thread has a stack of scopes; starting a trace or a span with `mark_as_current`
//! pushes one and finishing it removes it, so a span created inside another gets the right
//! parent without being passed around. This plays the role of the Python SDK's two
//! `ContextVar`s.
//!
//! Async tasks move between threads, so a future that starts spans across `.await` points
//! must carry its own stack: wrap it with [`FutureExt::in_current_context`] (or
//! [`FutureExt::with_context`]). The wrapper swaps the task's stack in for the duration of
//! each poll, which gives every task its own context, as Python's contextvars give every
//! asyncio task a copy. A new thread starts with no context; capture one with
//! [`Context::current`] and [`Context::attach`] it there.
//!
//! The wrapper also carries the [scoped processor](crate::registry::set_default) of the
//! thread where the future is wrapped (a [`Context`] does not: set the scope on a new
//! thread yourself).

use std::cell::RefCell;
use std::future::Future;
use std::marker::PhantomData;
use std::num::NonZeroU64;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use crate::ids::SpanId;
use crate::registry::scope::{self, Scopes};
use crate::span::Span;
use crate::trace::Trace;
use crate::w3c::sampled_out::SampledOutScope;

/// Where a new span attaches: a trace (the span is top-level) or a span of a trace; or a
/// disabled (no-op) scope, or the scope of a trace that was sampled out, whose children are
/// no-ops too.
///
/// Obtained from [`TraceGuard::as_parent`](crate::TraceGuard::as_parent),
/// [`SpanGuard::as_parent`](crate::SpanGuard::as_parent), a [`Span`] or a trace record,
/// or [`Context::parent`]; passed to a span builder's `parent` setter.
///
/// Non-exhaustive: a scope of a new kind may be added (as [`Parent::SampledOut`] was), so
/// a `match` outside this crate needs a wildcard arm.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Parent {
    /// Tracing is disabled in this scope; spans created here are no-ops.
    NoOp,
    /// The trace of this scope was sampled out (see [`sampling`](crate::sampling)); spans
    /// created here are no-ops, counted in
    /// [`SamplingStats::spans_sampled_out`](crate::sampling::SamplingStats::spans_sampled_out).
    /// A call made here still sends the trace's headers, `sampled` off (see
    /// [`SampledOutScope`]).
    SampledOut(Arc<SampledOutScope>),
    /// Spans created here are top-level spans of this trace.
    Trace(Arc<Trace>),
    /// Spans created here are children of this span.
    Span {
        /// The trace of the parent span.
        trace: Arc<Trace>,
        /// The parent span's id.
        span_id: SpanId,
    },
}

impl Parent {
    /// The trace of this scope, if it is not a no-op.
    pub fn trace(&self) -> Option<&Arc<Trace>> {
        match self {
            Parent::NoOp | Parent::SampledOut(_) => None,
            Parent::Trace(t) | Parent::Span { trace: t, .. } => Some(t),
        }
    }

    /// The span id of this scope, if it is a span.
    pub fn span_id(&self) -> Option<&SpanId> {
        match self {
            Parent::Span { span_id, .. } => Some(span_id),
            _ => None,
        }
    }
}

impl From<&Arc<Trace>> for Parent {
    fn from(t: &Arc<Trace>) -> Self {
        Parent::Trace(Arc::clone(t))
    }
}

impl From<&Span> for Parent {
    fn from(s: &Span) -> Self {
        Parent::Span { trace: Arc::clone(s.trace()), span_id: s.span_id().clone() }
    }
}

impl From<&Arc<Span>> for Parent {
    fn from(s: &Arc<Span>) -> Self {
        Parent::from(&**s)
    }
}

mod orphans;

pub(crate) struct Frame {
    id: usize,
    scope: Parent,
}

/// A stack of scopes: a thread's, or a task's while it is not being polled.
#[derive(Default)]
pub(crate) struct Stack {
    /// Given on the first push, so that a guard finished in another context can name the
    /// stack its frame is on (see `orphans`).
    id: Option<NonZeroU64>,
    /// How many notes had been left in this stack's shard when it last looked for its own.
    seen: u64,
    frames: Vec<Frame>,
}

/// Where a pushed frame is: the stack and the frame's id. Kept by the guard that pushed
/// it, to remove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameRef {
    /// Non-zero (stacks get ids from 1), so that an `Option<FrameRef>` takes no more room.
    stack: NonZeroU64,
    frame: usize,
}

thread_local! {
    static STACK: RefCell<Stack> = const { RefCell::new(Stack::new(Vec::new())) };
}

impl Stack {
    const fn new(frames: Vec<Frame>) -> Self {
        Stack { id: None, seen: 0, frames }
    }

    /// This stack's id, given now if it has none yet.
    fn id(&mut self) -> NonZeroU64 {
        match self.id {
            Some(id) => id,
            None => {
                let id = orphans::new_stack_id();
                self.seen = orphans::left(id);
                self.id = Some(id);
                id
            }
        }
    }

    /// Whether notes may have been left for this stack since it last looked.
    #[inline]
    fn notes_waiting(&self) -> bool {
        self.id.is_some_and(|id| orphans::new_since(id, self.seen))
    }

    /// Removes the frame `id`; see [`remove`].
    fn remove_frame(&mut self, id: usize) -> bool {
        let Some(pos) = self.frames.iter().rposition(|f| f.id == id) else { return false };
        let removed = self.frames.remove(pos);
        if let Parent::Trace(trace) = &removed.scope {
            if removed.id == Arc::as_ptr(trace) as usize {
                for frame in &mut self.frames[pos..] {
                    if frame.scope.trace().is_some_and(|t| Arc::ptr_eq(t, trace)) {
                        frame.scope = Parent::NoOp;
                    }
                }
            }
        }
        true
    }

    /// Removes the frames whose guards were finished in another context (see `orphans`).
    #[cold]
    #[inline(never)]
    fn remove_orphans(&mut self) {
        if let Some(id) = self.id {
            self.seen = orphans::left(id);
            for frame in orphans::take(id) {
                self.remove_frame(frame);
            }
        }
    }
}

/// Ids for frames that do not own an allocation (no-op scopes, attached contexts). They
/// are odd, so they never equal the (aligned, even) address of a trace or span record.
static NEXT_ANON_FRAME: AtomicUsize = AtomicUsize::new(1);

pub(crate) fn anon_frame_id() -> usize {
    NEXT_ANON_FRAME.fetch_add(2, Ordering::Relaxed) | 1
}

/// Pushes a scope on the current context; returns where, or `None` if it was not pushed
/// (the context is being changed on this thread, or the thread is exiting).
pub(crate) fn push(id: usize, scope: Parent) -> Option<FrameRef> {
    STACK
        .try_with(|s| {
            let mut s = s.try_borrow_mut().ok()?;
            if s.notes_waiting() {
                s.remove_orphans();
            }
            let stack = s.id();
            s.frames.push(Frame { id, scope });
            Some(FrameRef { stack, frame: id })
        })
        .ok()
        .flatten()
}

/// Removes the frame `at` from the current context. Returns false when it is not the
/// current context's (the guard was finished in another thread or task than the one it
/// was started in): a note is then left for the frame's own context, which removes it
/// the next time it pushes a frame or reads its current scope (see `orphans`).
///
/// When the frame is a trace guard's own (its id is the trace record's address: an
/// attached [`Context`] whose scope is the trace is not), the frames above it of spans of
/// that trace (still open: the trace was finished first) become no-op scopes, so that
/// nothing more is recorded in a finished trace through the context, and
/// [`current_trace`] no longer gives it. This is Python's behaviour: there, finishing the
/// trace resets the current trace, and a span created with no current trace is a no-op.
/// Their own frames are still removed when they finish.
pub(crate) fn remove(at: FrameRef) -> bool {
    let here = STACK
        .try_with(|s| {
            let mut s = s.try_borrow_mut().ok()?;
            (s.id == Some(at.stack)).then(|| s.remove_frame(at.frame))
        })
        .ok()
        .flatten();
    match here {
        Some(removed) => removed,
        None => {
            orphans::leave(at.stack, at.frame);
            false
        }
    }
}

/// The innermost scope of the current context (a clone: a reference count or two).
pub(crate) fn current_scope() -> Option<Parent> {
    fn innermost(s: &Stack) -> Option<Parent> {
        s.frames.last().map(|f| f.scope.clone())
    }
    STACK
        .try_with(|cell| {
            let stack = cell.try_borrow().ok()?;
            if !stack.notes_waiting() {
                return innermost(&stack);
            }
            drop(stack);
            if let Ok(mut stack) = cell.try_borrow_mut() {
                stack.remove_orphans();
            }
            innermost(&*cell.try_borrow().ok()?)
        })
        .ok()
        .flatten()
}

fn swap_stack(other: &mut Stack) {
    let _ = STACK.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            std::mem::swap(&mut *s, other);
        }
    });
}

/// The current trace record, if a trace is current (Python's `get_current_trace()`).
pub fn current_trace() -> Option<Arc<Trace>> {
    current_scope().and_then(|p| p.trace().cloned())
}

/// The id of the current span, if a span is current (Python's `get_current_span()`).
pub fn current_span_id() -> Option<SpanId> {
    current_scope().and_then(|p| p.span_id().cloned())
}

/// A snapshot of the current trace and span, to carry to another thread or task.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    scope: Option<Parent>,
}

impl Context {
    /// The current context of this thread (or task, inside a wrapped future).
    pub fn current() -> Self {
        Self { scope: current_scope() }
    }

    /// An empty context: no current trace, so spans created in it are no-ops.
    pub fn empty() -> Self {
        Self { scope: None }
    }

    /// A context whose current scope is `parent`.
    pub fn from_parent(parent: Parent) -> Self {
        Self { scope: Some(parent) }
    }

    /// The innermost scope, if any.
    pub fn parent(&self) -> Option<&Parent> {
        self.scope.as_ref()
    }

    /// Makes this context current on this thread until the guard is dropped.
    ///
    /// Attaching an empty context hides the current one: spans created meanwhile are
    /// no-ops.
    pub fn attach(&self) -> ContextGuard {
        match &self.scope {
            Some(scope) => {
                let id = push(anon_frame_id(), scope.clone());
                ContextGuard { id, hidden: None, _not_send: PhantomData }
            }
            None => {
                let mut hidden = Stack::default();
                swap_stack(&mut hidden);
                ContextGuard { id: None, hidden: Some(hidden), _not_send: PhantomData }
            }
        }
    }

    /// Runs `f` with this context current.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.attach();
        f()
    }
}

/// Keeps a [`Context`] current on this thread; restores the previous one when dropped.
/// Not `Send`: it belongs to the thread it was made on.
#[must_use = "the context is current only while the guard lives"]
#[derive(Debug)]
pub struct ContextGuard {
    id: Option<FrameRef>,
    hidden: Option<Stack>,
    _not_send: PhantomData<*const ()>,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stack(depth {})", self.frames.len())
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            remove(id);
        }
        if let Some(mut hidden) = self.hidden.take() {
            swap_stack(&mut hidden);
        }
    }
}

/// A future that runs with its own trace context (see the [module docs](self)), and the
/// scoped processor of the thread that wrapped it, if any.
#[must_use = "futures do nothing unless polled"]
pub struct WithContext<F> {
    /// `None` only while being dropped.
    inner: Option<Pin<Box<F>>>,
    stack: Stack,
    scopes: Scopes,
}

impl<F> std::fmt::Debug for WithContext<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithContext").field("stack", &self.stack).field("scopes", &self.scopes).finish_non_exhaustive()
    }
}

/// Restores the thread's stacks when a poll ends, even by a panic.
struct PollScope<'a> {
    stack: &'a mut Stack,
    scopes: &'a mut Scopes,
}

impl Drop for PollScope<'_> {
    fn drop(&mut self) {
        swap_stack(self.stack);
        scope::swap(self.scopes);
    }
}

impl<F: Future> Future for WithContext<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        swap_stack(&mut this.stack);
        scope::swap(&mut this.scopes);
        let _restore = PollScope { stack: &mut this.stack, scopes: &mut this.scopes };
        match this.inner.as_mut() {
            Some(inner) => inner.as_mut().poll(cx),
            // Only while being dropped, when nothing polls.
            None => Poll::Pending,
        }
    }
}

impl<F> Drop for WithContext<F> {
    /// Drops the future with its own context current, as a poll runs it: a future dropped
    /// before it completes (a cancelled task) finishes the guards it holds in the context
    /// they were started in.
    fn drop(&mut self) {
        swap_stack(&mut self.stack);
        scope::swap(&mut self.scopes);
        let _restore = PollScope { stack: &mut self.stack, scopes: &mut self.scopes };
        drop(self.inner.take());
    }
}

/// Carries a trace context across `.await` points and executor threads.
pub trait FutureExt: Future + Sized {
    /// Runs the future in a copy of the current context: spans it starts get the current
    /// span as parent, and spans it marks current stay current for the task across
    /// `.await`, on whatever thread polls it. A [scoped
    /// processor](crate::registry::set_default) set where the future is wrapped keeps
    /// receiving what the task starts, on any thread, after its guard is dropped too.
    fn in_current_context(self) -> WithContext<Self> {
        self.with_context(Context::current())
    }

    /// Runs the future in `context`, with the [scoped
    /// processor](crate::registry::set_default) set where it is wrapped, if any.
    fn with_context(self, context: Context) -> WithContext<Self> {
        let mut frames = Vec::with_capacity(4);
        if let Some(scope) = context.scope {
            frames.push(Frame { id: anon_frame_id(), scope });
        }
        WithContext { inner: Some(Box::pin(self)), stack: Stack::new(frames), scopes: Scopes::capture() }
    }
}

impl<F: Future> FutureExt for F {}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn depth() -> usize {
        STACK.with(|s| s.borrow().frames.len())
    }

    /// A guard moved to another thread and finished there leaves a note; the thread it
    /// was started on removes the frame at its next push or read, so a long-lived thread
    /// whose guards end elsewhere keeps a bounded stack.
    #[test]
    fn frames_of_guards_finished_elsewhere_do_not_pile_up() {
        let _l = orphans::TEST_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (to_finisher, frames) = mpsc::channel::<FrameRef>();
        let (done_tx, done) = mpsc::channel::<bool>();
        let finisher = std::thread::spawn(move || {
            for at in frames {
                done_tx.send(remove(at)).unwrap();
            }
        });
        let base = depth();
        for _ in 0..1_000 {
            let at = push(anon_frame_id(), Parent::NoOp).expect("pushed");
            to_finisher.send(at).unwrap();
            assert!(!done.recv().unwrap(), "not the finishing thread's frame");
            assert!(depth() <= base + 1, "one frame at most waits for the next push or read");
        }
        let _ = current_scope();
        assert_eq!(depth(), base, "the last frame is removed at the next read");
        drop(to_finisher);
        finisher.join().unwrap();
    }

    /// Notes for a stack that never looks again (its thread idle or gone) stay until
    /// forgotten; a stack of the same shard reads the notes once after they were left,
    /// not at every push.
    #[test]
    fn a_stack_looks_at_the_notes_once_per_new_note() {
        let _l = orphans::TEST_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let base = push(anon_frame_id(), Parent::NoOp).unwrap();
        let idle = NonZeroU64::new(base.stack.get() + orphans::SHARDS as u64).unwrap();
        orphans::leave(idle, 2);
        assert!(STACK.with(|s| s.borrow().notes_waiting()), "a note in this stack's shard");
        let at = push(anon_frame_id(), Parent::NoOp).unwrap();
        assert!(!STACK.with(|s| s.borrow().notes_waiting()), "looked once: the next push or read does not look");
        assert!(remove(at) && remove(base));
        assert_eq!(orphans::take(idle), vec![2], "another stack's note is left alone");
    }

    /// A wrapped future dropped before it completes (a cancelled task) drops its guards
    /// with its own stack current: they leave no note for a stack that is gone.
    #[test]
    fn a_cancelled_wrapped_future_leaves_no_notes() {
        use std::sync::Arc;
        use std::task::{Wake, Waker};

        struct Noop;
        impl Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        /// A frame pushed on the current stack, removed when dropped (as a guard's).
        struct Pushed(Option<FrameRef>);
        impl Drop for Pushed {
            fn drop(&mut self) {
                if let Some(at) = self.0.take() {
                    assert!(remove(at), "removed from its own stack");
                }
            }
        }

        let _l = orphans::TEST_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let base = depth();
        let waker = Waker::from(Arc::new(Noop));
        let mut future = Box::pin(
            async {
                let _pushed = Pushed(push(anon_frame_id(), Parent::NoOp));
                std::future::pending::<()>().await;
            }
            .in_current_context(),
        );
        assert!(future.as_mut().poll(&mut TaskContext::from_waker(&waker)).is_pending());
        assert_eq!(depth(), base, "the frame is on the task's stack, not the thread's");
        drop(future);
        assert_eq!(depth(), base);
        assert_eq!(orphans::count(), 0, "no note left");
    }

    /// The frames below and above the removed one stay, in order.
    #[test]
    fn only_the_noted_frame_is_removed() {
        let _l = orphans::TEST_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let below = push(anon_frame_id(), Parent::NoOp).unwrap();
        let moved = push(anon_frame_id(), Parent::NoOp).unwrap();
        let above = push(anon_frame_id(), Parent::NoOp).unwrap();
        std::thread::scope(|s| {
            s.spawn(|| assert!(!remove(moved)));
        });
        let _ = current_scope();
        let ids: Vec<usize> = STACK.with(|s| s.borrow().frames.iter().map(|f| f.id).collect());
        assert!(ids.ends_with(&[below.frame, above.frame]), "{ids:?}");
        assert!(remove(above) && remove(below));
    }
}
