//! Scoped processors (`registry::set_default`, `with_default`): per thread, in front of the
//! global processor, carried by `in_current_context`, a trace or span ending where it
//! started.
//!
//! No lock: the global processor is one recorder installed once for the whole binary and
//! never replaced; each test uses its own workflow names and looks only at those.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread;

use trace_core::registry::{scoped_processor, set_default, with_default, RETIRE_THREAD_NAME};
use trace_core::{
    custom_span, set_trace_processor, trace, FutureExt, InMemoryProcessor, ProcessorEvent, Span, Trace,
    TracingProcessor,
};

/// The global processor of this binary.
fn global() -> &'static InMemoryProcessor {
    static GLOBAL: OnceLock<InMemoryProcessor> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let recorder = InMemoryProcessor::new();
        set_trace_processor(recorder.clone());
        recorder
    })
}

/// What `p` received for traces named with `prefix`, in order: `trace+ name`,
/// `span+ name`, `span- name`, `trace- name`.
fn seen(p: &InMemoryProcessor, prefix: &str) -> Vec<String> {
    let span_name = |s: &Span| s.data().name().unwrap_or_default();
    let ours = |t: &Trace| t.workflow_name().starts_with(prefix);
    p.events()
        .into_iter()
        .filter_map(|e| match e {
            ProcessorEvent::TraceStart(t) if ours(&t) => Some(format!("trace+ {}", t.workflow_name())),
            ProcessorEvent::TraceEnd(t) if ours(&t) => Some(format!("trace- {}", t.workflow_name())),
            ProcessorEvent::SpanStart(s) if ours(s.trace()) => Some(format!("span+ {}", span_name(&s))),
            ProcessorEvent::SpanEnd(s) if ours(s.trace()) => Some(format!("span- {}", span_name(&s))),
            _ => None,
        })
        .collect()
}

fn one_trace(name: &str) {
    let _t = trace(name).start();
    let _s = custom_span(format!("{name}/step")).start();
}

fn whole(name: &str) -> Vec<String> {
    vec![format!("trace+ {name}"), format!("span+ {name}/step"), format!("span- {name}/step"), format!("trace- {name}")]
}

#[test]
fn two_scoped_processors_on_two_threads_at_once() {
    global();
    let barrier = Arc::new(Barrier::new(2));
    let tenant = |name: &'static str| {
        let recorder = InMemoryProcessor::new();
        let (barrier, mine) = (Arc::clone(&barrier), recorder.clone());
        let handle = thread::spawn(move || {
            let _scope = set_default(mine);
            barrier.wait(); // both scopes set
            let t = trace(name).start();
            barrier.wait(); // both traces started
            let s = custom_span(format!("{name}/step")).start();
            barrier.wait(); // both spans started
            drop(s);
            barrier.wait(); // both spans ended
            drop(t);
        });
        (recorder, handle)
    };
    let (a, thread_a) = tenant("two-threads-a");
    let (b, thread_b) = tenant("two-threads-b");
    thread_a.join().unwrap();
    thread_b.join().unwrap();

    assert_eq!(seen(&a, "two-threads"), whole("two-threads-a"), "a sees its own trace, and only it");
    assert_eq!(seen(&b, "two-threads"), whole("two-threads-b"), "b sees its own trace, and only it");
    assert!(seen(global(), "two-threads").is_empty(), "the global processor sees neither");
}

#[test]
fn a_scope_does_not_change_what_other_threads_see() {
    global();
    let scoped = InMemoryProcessor::new();
    let (scope_set, scoped_traced) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let other = {
        let (scoped, scope_set, scoped_traced) = (scoped.clone(), Arc::clone(&scope_set), Arc::clone(&scoped_traced));
        thread::spawn(move || {
            let scope = set_default(scoped);
            scope_set.wait();
            scoped_traced.wait(); // the main thread traced meanwhile
            one_trace("other-thread-scoped");
            drop(scope);
            one_trace("other-thread-after");
        })
    };
    scope_set.wait();
    // The other thread's scope is live now: this thread still reports to the global one.
    assert!(scoped_processor().is_none());
    one_trace("other-thread-main");
    scoped_traced.wait();
    other.join().unwrap();

    assert_eq!(seen(global(), "other-thread-main"), whole("other-thread-main"));
    assert!(seen(&scoped, "other-thread-main").is_empty());
    assert_eq!(seen(&scoped, "other-thread"), whole("other-thread-scoped"));
    assert_eq!(seen(global(), "other-thread-after"), whole("other-thread-after"), "the scope ended with its guard");
}

#[test]
fn scopes_nest_and_guards_restore_in_any_order() {
    global();
    let (a, b, c) = (InMemoryProcessor::new(), InMemoryProcessor::new(), InMemoryProcessor::new());

    // Nested, dropped innermost first.
    let guard_a = set_default(a.clone());
    one_trace("nest-1");
    let guard_b = set_default(b.clone());
    one_trace("nest-2");
    drop(guard_b);
    one_trace("nest-3");
    drop(guard_a);
    one_trace("nest-4");
    assert_eq!(seen(&a, "nest-"), [whole("nest-1"), whole("nest-3")].concat());
    assert_eq!(seen(&b, "nest-"), whole("nest-2"));
    assert_eq!(seen(global(), "nest-"), whole("nest-4"));

    // Dropped outermost first: the inner scope stays in front until its own guard drops.
    let guard_a = set_default(a.clone());
    let guard_b = set_default(b.clone());
    drop(guard_a);
    one_trace("order-1");
    drop(guard_b);
    one_trace("order-2");
    assert!(seen(&a, "order-").is_empty());
    assert_eq!(seen(&b, "order-"), whole("order-1"));
    assert_eq!(seen(global(), "order-"), whole("order-2"));

    // `with_default` inside a scope, left by a panic: the outer scope is back.
    let guard_a = set_default(a.clone());
    let unwound = std::panic::catch_unwind(|| {
        with_default(c.clone(), || {
            one_trace("with-1");
            panic!("left by a panic");
        })
    });
    assert!(unwound.is_err());
    assert!(with_default(c.clone(), || scoped_processor().is_some()));
    one_trace("with-2");
    drop(guard_a);
    assert_eq!(seen(&c, "with-"), whole("with-1"));
    assert_eq!(seen(&a, "with-"), whole("with-2"));
    assert!(seen(global(), "with-").is_empty());
    assert!(scoped_processor().is_none());
}

#[test]
fn a_trace_or_span_ends_where_it_started() {
    global();
    let scoped = InMemoryProcessor::new();

    // Started in a scope, ended after the scope's guard dropped.
    let scope = set_default(scoped.clone());
    let t = trace("ends-after-scope").start();
    let s = custom_span("ends-after-scope/step").start();
    drop(scope);
    drop(s);
    drop(t);
    assert_eq!(seen(&scoped, "ends-after-scope"), whole("ends-after-scope"));
    assert!(seen(global(), "ends-after-scope").is_empty());

    // Started in a scope, ended on another thread that has no scope.
    let scope = set_default(scoped.clone());
    let t = trace("ends-elsewhere").start();
    let s = custom_span("ends-elsewhere/step").start();
    drop(scope);
    thread::spawn(move || {
        drop(s);
        drop(t);
    })
    .join()
    .unwrap();
    assert_eq!(seen(&scoped, "ends-elsewhere"), whole("ends-elsewhere"));
    assert!(seen(global(), "ends-elsewhere").is_empty());

    // Started with no scope, ended inside one: the global processor gets both ends.
    let t = trace("ends-inside-scope").start();
    let s = custom_span("ends-inside-scope/step").start();
    let scope = set_default(scoped.clone());
    drop(s);
    drop(t);
    drop(scope);
    assert_eq!(seen(global(), "ends-inside-scope"), whole("ends-inside-scope"));
    assert!(seen(&scoped, "ends-inside-scope").is_empty());

    // Never started, finished in a scope: it goes where a start would go now.
    let t = trace("never-started").start();
    let mut s = custom_span("never-started/step").create();
    let scope = set_default(scoped.clone());
    s.finish();
    drop(scope);
    drop(t);
    assert_eq!(seen(&scoped, "never-started"), ["span- never-started/step"]);
    assert_eq!(seen(global(), "never-started"), ["trace+ never-started", "trace- never-started"]);
}

#[test]
fn a_scope_follows_its_tasks_across_await_on_a_multi_threaded_runtime() {
    global();
    const TASKS: usize = 8;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let scoped = InMemoryProcessor::new();
    // Closed until the scope's guard is gone: every task suspends inside its span first.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let (wrapped, unwrapped) = {
        let _scope = set_default(scoped.clone());
        let wrapped: Vec<_> = (0..TASKS)
            .map(|i| {
                let gate = Arc::clone(&gate);
                runtime.spawn(
                    async move {
                        let name = format!("task-{i}");
                        let _t = trace(name.clone()).start();
                        // Started before the awaits, ended after them, maybe on another worker.
                        let _s = custom_span(format!("{name}/step")).start();
                        drop(gate.acquire().await.unwrap());
                        for _ in 0..4 {
                            tokio::task::yield_now().await;
                        }
                    }
                    .in_current_context(),
                )
            })
            .collect();
        // Not wrapped: it runs on a worker thread, outside the scope.
        let unwrapped = runtime.spawn(async { one_trace("task-unwrapped") });
        (wrapped, unwrapped)
    };
    gate.add_permits(TASKS);
    runtime.block_on(async {
        unwrapped.await.unwrap();
        for handle in wrapped {
            handle.await.unwrap();
        }
    });

    for i in 0..TASKS {
        let name = format!("task-{i}");
        assert_eq!(seen(&scoped, &name), whole(&name), "task {i} delivered to the scoped processor");
        assert!(seen(global(), &name).is_empty());
    }
    assert_eq!(seen(global(), "task-unwrapped"), whole("task-unwrapped"));
    assert!(seen(&scoped, "task-unwrapped").is_empty());
}

/// A processor that reports the thread its `Drop` runs on.
struct DropReporter(Mutex<Sender<Option<String>>>);

impl TracingProcessor for DropReporter {
    fn on_trace_start(&self, _: &Arc<Trace>) {}
    fn on_trace_end(&self, _: &Arc<Trace>) {}
    fn on_span_start(&self, _: &Span) {}
    fn on_span_end(&self, _: &Arc<Span>) {}
}

impl Drop for DropReporter {
    fn drop(&mut self) {
        let name = thread::current().name().map(str::to_owned);
        let _ = self.0.lock().unwrap_or_else(|e| e.into_inner()).send(name);
    }
}

#[test]
fn a_scoped_processor_is_dropped_on_trace_retire_not_in_a_span_end() {
    global();
    let (tx, rx) = channel();
    let scope = set_default(DropReporter(Mutex::new(tx)));
    let t = trace("retired").start();
    let s = custom_span("retired/step").start();
    drop(scope);
    drop(t); // the span still holds a reference
    assert!(rx.try_recv().is_err(), "still in use by the span");
    drop(s); // the span end held the last reference
    assert_eq!(rx.recv().unwrap().as_deref(), Some(RETIRE_THREAD_NAME));
}
