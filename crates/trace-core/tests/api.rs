//! Lifecycles, parents, context across threads and `.await`, the registry.
//!
//! The registry is global to the process; every test here takes `lock()` first.

use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::json;
use trace_core::registry::first_use::{install_default_processor, trace_processor_set_by_user};
use trace_core::*;

static REGISTRY: Mutex<()> = Mutex::new(());

fn lock() -> (MutexGuard<'static, ()>, InMemoryProcessor) {
    let guard = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    set_tracing_disabled(false);
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    (guard, recorder)
}

fn count(events: &[ProcessorEvent], pred: impl Fn(&ProcessorEvent) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

#[test]
fn second_start_and_finish_are_no_ops() {
    let (_l, rec) = lock();
    let mut t = trace("wf").create();
    t.start(true);
    t.start(true);
    let mut s = custom_span("x").create();
    s.start(true);
    s.start(true);
    s.finish(true);
    s.finish(true);
    t.finish(true);
    t.finish(true);
    drop(s);
    drop(t);
    let ev = rec.events();
    assert_eq!(count(&ev, |e| matches!(e, ProcessorEvent::TraceStart(_))), 1);
    assert_eq!(count(&ev, |e| matches!(e, ProcessorEvent::TraceEnd(_))), 1);
    assert_eq!(count(&ev, |e| matches!(e, ProcessorEvent::SpanStart(_))), 1);
    assert_eq!(count(&ev, |e| matches!(e, ProcessorEvent::SpanEnd(_))), 1);
    assert!(current_trace().is_none());
}

#[test]
fn guards_finish_on_drop_in_reverse_order_and_restore_the_context() {
    let (_l, rec) = lock();
    {
        let t = trace("wf").start();
        let outer = custom_span("outer").start();
        assert_eq!(current_span_id().as_ref(), outer.span_id());
        {
            let inner = custom_span("inner").start();
            assert_eq!(current_span_id().as_ref(), inner.span_id());
        }
        assert_eq!(current_span_id().as_ref(), outer.span_id());
        assert_eq!(current_trace().as_ref().map(|t| t.trace_id()), t.trace_id());
    }
    assert!(current_trace().is_none());
    assert!(current_span_id().is_none());
    let spans = rec.finished_spans();
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].parent_id(), Some(spans[1].span_id()));
    assert_eq!(spans[1].parent_id(), None);
    for s in &spans {
        let (a, b) = (s.started_at().unwrap(), s.ended_at().unwrap());
        assert!(a <= b);
    }
    assert!(matches!(rec.events().last(), Some(ProcessorEvent::TraceEnd(_))));
}

#[test]
fn a_span_without_a_current_trace_is_a_no_op() {
    let (_l, rec) = lock();
    let mut s = custom_span("orphan").start();
    assert!(s.is_noop());
    assert!(s.data_mut().is_none());
    // Its children are no-ops too, and nothing reaches the processor.
    let child = function_span("f").start();
    assert!(child.is_noop());
    drop(child);
    drop(s);
    assert!(rec.events().is_empty());
}

#[test]
fn disabled_tracing_makes_everything_a_no_op() {
    let (_l, rec) = lock();
    set_tracing_disabled(true);
    {
        let t = trace("wf").start();
        assert!(t.is_noop());
        let s = custom_span("x").start();
        assert!(s.is_noop());
    }
    set_tracing_disabled(false);
    {
        let t = trace("wf").disabled(true).start();
        assert!(t.is_noop());
        let s = custom_span("x").start();
        assert!(s.is_noop(), "children of a disabled trace are no-ops");
    }
    {
        let _t = trace("wf").start();
        assert!(custom_span("x").span_id("no-op").start().is_noop());
        assert!(custom_span("x").disabled(true).start().is_noop());
        assert!(!custom_span("x").start().is_noop());
    }
    assert_eq!(rec.finished_spans().len(), 1);
    assert_eq!(rec.started_traces().len(), 1);
}

#[test]
fn explicit_parents_override_the_context() {
    let (_l, rec) = lock();
    let t1 = trace("one").create();
    let t1_parent = t1.as_parent();
    let _t2 = trace("two").start();
    let under_t1 = custom_span("a").parent(t1_parent).start();
    let child = custom_span("b").parent(under_t1.as_parent()).start();
    assert_eq!(child.trace_id(), t1.trace_id());
    let child_id = child.span_id().cloned();
    drop(child);
    drop(under_t1);
    let spans = rec.finished_spans();
    assert_eq!(spans[0].span_id(), child_id.as_ref().unwrap());
    assert_eq!(spans[0].parent_id(), Some(spans[1].span_id()));
    assert_eq!(spans[1].parent_id(), None);
    assert_eq!(spans[1].trace_id(), t1.trace_id().unwrap());
}

#[test]
fn spans_inherit_the_trace_key_and_routing_metadata() {
    let (_l, rec) = lock();
    {
        let _t = trace("wf")
            .tracing_api_key("sk-trace")
            .metadata(json!({"agent_harness_id": "h1", "other": 1}).as_object().cloned().unwrap())
            .start();
        let _a = agent_span("A")
            .metadata(json!({"agent_harness_id": "ignored", "team": "x"}).as_object().cloned().unwrap())
            .start();
    }
    let span = &rec.finished_spans()[0];
    assert_eq!(span.tracing_api_key().map(ApiKey::expose), Some("sk-trace"));
    let v = serde_json::to_value(&**span).unwrap();
    // Routing keys of the trace win; span data metadata fills the rest; other trace keys stay out.
    assert_eq!(v["metadata"], json!({"agent_harness_id": "h1", "team": "x"}));
    let text = trace_core::wire::to_json_string(&**span).unwrap();
    assert!(!text.contains("sk-trace"));
    assert!(!format!("{span:?}").contains("sk-trace"));
}

#[test]
fn data_is_mutable_until_the_span_ends() {
    let (_l, rec) = lock();
    let _t = trace("wf").start();
    let mut s = function_span("f").start();
    s.data_mut().unwrap().output = Some("42".into());
    s.set_error(SpanError::new("boom"));
    s.finish(true);
    assert!(s.data_mut().is_none(), "data is final after finish");
    s.set_error(SpanError::new("ignored"));
    let v = serde_json::to_value(&*rec.finished_spans()[0]).unwrap();
    assert_eq!(v["span_data"]["output"], "42");
    assert_eq!(v["error"], json!({"message": "boom", "data": null}));
}

#[test]
fn context_does_not_leak_into_new_threads_but_can_be_carried() {
    let (_l, rec) = lock();
    let t = trace("wf").start();
    let parent = custom_span("parent").start();
    let ctx = Context::current();
    let parent_id = parent.span_id().cloned().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            assert!(custom_span("no context").start().is_noop());
            let _g = ctx.attach();
            let child = custom_span("carried").start();
            assert!(!child.is_noop());
        });
        s.spawn(|| {
            ctx.run(|| {
                let child = custom_span("run").start();
                assert_eq!(child.trace_id(), t.trace_id());
            })
        });
    });
    drop(parent);
    let spans = rec.finished_spans();
    assert_eq!(spans.len(), 3);
    for s in &spans[..2] {
        assert_eq!(s.parent_id(), Some(&parent_id));
    }
}

#[test]
fn many_threads_with_their_own_traces_do_not_cross_talk() {
    let (_l, rec) = lock();
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let _t = trace(format!("wf{i}")).start();
                for _ in 0..50 {
                    let _outer = custom_span(format!("outer{i}")).start();
                    let _inner = custom_span(format!("inner{i}")).start();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let spans = rec.finished_spans();
    assert_eq!(spans.len(), threads * 100);
    check_nesting(&spans);
}

/// Every `innerN` span's parent is an `outerN` span of the same trace, whose parent is
/// the trace.
fn check_nesting(spans: &[Arc<Span>]) {
    let by_id: std::collections::HashMap<&SpanId, &Arc<Span>> = spans.iter().map(|s| (s.span_id(), s)).collect();
    for s in spans {
        let SpanData::Custom(d) = s.data() else { panic!("custom spans only") };
        if let Some(n) = d.name.strip_prefix("inner") {
            let parent = by_id[s.parent_id().expect("inner has a parent")];
            let SpanData::Custom(p) = parent.data() else { panic!("custom spans only") };
            assert_eq!(p.name, format!("outer{n}"));
            assert_eq!(parent.trace_id(), s.trace_id());
            assert_eq!(s.trace().workflow_name(), format!("wf{n}"));
        } else {
            assert_eq!(s.parent_id(), None, "outer spans are top level");
        }
    }
}

#[test]
fn context_follows_tasks_across_await_on_a_multi_threaded_runtime() {
    let (_l, rec) = lock();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_time().build().unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..32u64)
            .map(|i| {
                tokio::spawn(
                    async move {
                        let _t = trace(format!("wf{i}")).start();
                        for round in 0..5u64 {
                            let _outer = custom_span(format!("outer{i}")).start();
                            // Move between threads and interleave with other tasks.
                            tokio::time::sleep(Duration::from_millis(1 + (i + round) % 3)).await;
                            tokio::task::yield_now().await;
                            let _inner = custom_span(format!("inner{i}")).start();
                            tokio::task::yield_now().await;
                        }
                    }
                    .in_current_context(),
                )
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let spans = rec.finished_spans();
    assert_eq!(spans.len(), 32 * 10);
    check_nesting(&spans);
    assert_eq!(rec.started_traces().len(), 32);
}

#[test]
fn a_wrapped_future_inherits_the_spawning_context() {
    let (_l, rec) = lock();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let t = trace("wf").start();
    let parent = custom_span("parent").start();
    let handle = rt.spawn(
        async {
            tokio::task::yield_now().await;
            custom_span("child").start().span_id().cloned()
        }
        .in_current_context(),
    );
    let child_id = rt.block_on(handle).unwrap();
    assert!(child_id.is_some());
    drop(parent);
    drop(t);
    let spans = rec.finished_spans();
    assert_eq!(spans[0].span_id(), child_id.as_ref().unwrap());
    assert_eq!(spans[0].parent_id(), Some(spans[1].span_id()));
}

#[test]
fn a_panicking_processor_never_reaches_the_caller() {
    struct Panics;
    impl TracingProcessor for Panics {
        fn on_trace_start(&self, _: &Arc<Trace>) {
            panic!("on_trace_start exploded")
        }
        fn on_trace_end(&self, _: &Arc<Trace>) {
            panic!("on_trace_end exploded")
        }
        fn on_span_start(&self, _: &Span) {
            panic!("on_span_start exploded")
        }
        fn on_span_end(&self, _: &Arc<Span>) {
            panic!("on_span_end exploded")
        }
        fn force_flush(&self, _: Option<Duration>) -> Result<(), ProcessorError> {
            panic!("flush exploded")
        }
    }
    let (_l, _rec) = lock();
    set_trace_processor(Panics);
    let before = processor_panics();
    {
        let _t = trace("wf").start();
        let _s = custom_span("x").start();
    }
    assert_eq!(processor_panics() - before, 4);
    assert!(matches!(force_flush(None), Err(ProcessorError::Panicked(m)) if m.contains("flush exploded")));
}

#[test]
fn default_processor_is_installed_only_when_the_user_set_none() {
    let (_l, rec) = lock();
    // `lock()` set a processor explicitly, so a default is refused.
    assert!(trace_processor_set_by_user());
    assert!(!install_default_processor(|| Arc::new(InMemoryProcessor::new())));
    {
        let _t = trace("wf").start();
    }
    assert_eq!(rec.started_traces().len(), 1);
    // Clearing is an explicit choice too.
    clear_trace_processor();
    assert!(!install_default_processor(|| Arc::new(InMemoryProcessor::new())));
    assert!(trace_processor().is_none());
}
