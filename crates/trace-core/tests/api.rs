//! Lifecycles, parents, context across threads and `.await`, the registry.
//!
//! The registry is global to the process; every test here takes `lock()` first.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use serde_json::json;
use trace_core::registry::first_use::{install_default_processor, trace_processor_set_by_user};
use trace_core::*;

mod support;
use support::lock;

fn count(events: &[ProcessorEvent], pred: impl Fn(&ProcessorEvent) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

#[test]
fn second_start_and_finish_are_no_ops() {
    let (_l, rec) = lock();
    let mut t = trace("wf").create();
    t.start();
    t.start();
    let mut s = custom_span("x").create();
    s.start();
    s.start();
    s.finish();
    s.finish();
    t.finish();
    t.finish();
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
fn a_trace_finished_while_one_of_its_spans_is_current_takes_no_more_spans() {
    let (_l, rec) = lock();
    let mut t = trace("wf").start();
    let a = custom_span("a").start();
    // Python: finishing the trace resets the current trace, so later spans are no-ops.
    t.finish();
    assert!(current_trace().is_none());
    let b = custom_span("b").start();
    assert!(b.is_noop());
    drop(b);
    // The open span still ends and is reported (after the trace's end, as in Python).
    drop(a);
    drop(t);
    let ev = rec.events();
    assert_eq!(count(&ev, |e| matches!(e, ProcessorEvent::SpanStart(_))), 1);
    assert_eq!(count(&ev, |e| matches!(e, ProcessorEvent::SpanEnd(_))), 1);
    assert!(matches!(ev.last(), Some(ProcessorEvent::SpanEnd(_))));
    // An explicit parent still works, as in Python; the context is clean again.
    assert!(current_trace().is_none());
    let t2 = trace("next").start();
    let c = custom_span("c").start();
    assert!(!c.is_noop());
    assert_eq!(c.trace_id(), t2.trace_id());
}

#[test]
fn leaving_an_attached_context_of_a_live_trace_keeps_its_open_spans() {
    let (_l, rec) = lock();
    let t = trace("wf").start();
    // The attached context's frame has the trace as its scope, but is not the trace's own.
    let a = Context::from_parent(t.as_parent()).run(|| custom_span("a").start());
    let b = custom_span("b").start();
    assert!(!b.is_noop(), "the trace is still running");
    assert_eq!(b.span().unwrap().parent_id(), a.span_id());
    drop(b);
    drop(a);
    drop(t);
    assert_eq!(rec.finished_spans().len(), 2);
}

#[test]
fn a_trace_finished_but_kept_current_still_takes_spans() {
    let (_l, rec) = lock();
    let mut t = trace("wf").start();
    t.finish_keeping_current();
    assert!(!custom_span("late").start().is_noop());
    drop(t);
    assert!(custom_span("after").start().is_noop());
    assert_eq!(rec.finished_spans().len(), 1);
}

#[test]
fn empty_ids_are_replaced_by_generated_ones() {
    let (_l, rec) = lock();
    let t = trace("wf").trace_id("").start();
    let s = custom_span("x").span_id("").start();
    let (trace_id, span_id) = (t.trace_id().cloned().unwrap(), s.span_id().cloned().unwrap());
    assert!(!trace_id.is_custom() && trace_id.to_string().starts_with("trace_"), "{trace_id}");
    assert!(!span_id.is_custom() && span_id.to_string().starts_with("span_"), "{span_id}");
    drop(s);
    drop(t);
    assert_eq!(rec.finished_spans()[0].trace_id(), &trace_id);
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

/// Python's `item_key or self.api_key`: an empty per-trace key (an unset variable read
/// with `unwrap_or_default`) is no key, so the exporter's own is used.
#[test]
fn an_empty_trace_key_is_no_key() {
    let (_l, rec) = lock();
    {
        let _t = trace("wf").tracing_api_key("").start();
        let _a = agent_span("A").start();
    }
    assert!(rec.finished_spans()[0].tracing_api_key().is_none());
    assert!(Trace::new(TraceId::generate(), "t").with_tracing_api_key("").tracing_api_key().is_none());
}

#[test]
fn data_is_mutable_until_the_span_ends() {
    let (_l, rec) = lock();
    let _t = trace("wf").start();
    let mut s = function_span("f").start();
    s.data_mut().unwrap().output = Some("42".into());
    s.set_error(SpanError::new("boom"));
    s.finish();
    assert!(s.data_mut().is_none(), "data is final after finish");
    s.set_error(SpanError::new("ignored"));
    let v = serde_json::to_value(&*rec.finished_spans()[0]).unwrap();
    assert_eq!(v["span_data"]["output"], "42");
    assert_eq!(v["error"], json!({"message": "boom", "data": null}));
}

#[test]
fn custom_fields_set_one_by_one_are_the_data_object_of_the_json_form() {
    let (_l, rec) = lock();
    let _t = trace("wf").start();
    custom_span("whole").data(json!({"step": "plan", "tries": 1, "tool": {"name": "search"}})).start().finish();
    let mut s = custom_span("fields").field("step", "plan").field("tries", 0).start();
    s.record("tries", 1).record("tool", json!({"name": "search"}));
    s.finish();
    s.record("late", true); // ended: ignored
    custom_span("off").disabled(true).field("k", 1).start().record("k", 2);
    let spans = rec.finished_spans();
    assert_eq!(spans.len(), 2, "the disabled span is a no-op");
    let [whole, fields] =
        [&spans[0], &spans[1]].map(|s| serde_json::to_value(&**s).unwrap()["span_data"]["data"].clone());
    assert_eq!(fields, whole);
    let text = wire::to_json_string(&*spans[1]).unwrap();
    assert!(text.contains(r#""data":{"step":"plan","tries":1,"tool":{"name":"search"}}"#), "{text}");
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

/// A span guard moved to another thread and finished there stops being the current span
/// where it was started: the next span there is a child of the scope below it, not of the
/// finished span (before, its scope stayed there until the context ended).
#[test]
fn a_span_finished_on_another_thread_stops_being_current_where_it_started() {
    let (_l, rec) = lock();
    let _t = trace("wf").start();
    let outer = custom_span("outer").start();
    let outer_id = current_span_id().expect("outer is current");
    let moved = custom_span("moved").start();
    let moved_id = current_span_id().expect("moved is current");
    assert_ne!(moved_id, outer_id);
    std::thread::scope(|s| {
        s.spawn(move || drop(moved));
    });
    assert_eq!(current_span_id(), Some(outer_id.clone()), "the moved span's scope is gone");
    drop(custom_span("after").start());
    drop(outer);
    let spans = rec.finished_spans();
    let after = spans.iter().find(|s| matches!(s.data(), SpanData::Custom(d) if d.name == "after")).unwrap();
    assert_eq!(after.parent_id(), Some(&outer_id));
    assert_eq!(current_span_id(), None);
}

/// A span guard dropped while an empty context hides the stack it was pushed on leaves
/// a note for that stack, which removes the span's scope once it is current again.
#[test]
fn a_span_finished_while_its_context_is_hidden_is_removed_when_it_comes_back() {
    let (_l, _rec) = lock();
    let _t = trace("wf").start();
    let outer = custom_span("outer").start();
    let outer_id = current_span_id().expect("outer is current");
    let inner = custom_span("inner").start();
    {
        let _hidden = Context::empty().attach();
        assert_eq!(current_span_id(), None, "the empty context hides the thread's");
        drop(inner);
        assert_eq!(current_span_id(), None);
    }
    assert_eq!(current_span_id(), Some(outer_id), "the inner span's scope is gone");
    drop(outer);
    assert_eq!(current_span_id(), None);
}

/// A trace guard finished on another thread is removed where it was started as if it
/// had been finished there: no trace is current, and a span started under its span that is
/// still open there is a no-op (Python's behaviour when a trace finishes).
#[test]
fn a_trace_finished_on_another_thread_ends_its_scope_where_it_started() {
    let (_l, rec) = lock();
    let t = trace("wf").start();
    let open = custom_span("open").start();
    std::thread::scope(|s| {
        s.spawn(move || drop(t));
    });
    assert!(current_trace().is_none(), "the trace's scope is gone");
    assert!(custom_span("late").start().is_noop(), "nothing more is recorded in the finished trace");
    drop(open);
    assert_eq!(current_span_id(), None);
    let names: Vec<String> = rec
        .finished_spans()
        .iter()
        .filter_map(|s| match s.data() {
            SpanData::Custom(d) => Some(d.name.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["open"]);
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

fn span_json(span: &Span) -> serde_json::Value {
    serde_json::to_value(span).unwrap()
}

#[test]
fn guard_setters_fill_the_typed_data_until_the_span_ends() {
    let (_l, rec) = lock();
    let usage = std::collections::BTreeMap::from([("input_tokens", 12), ("output_tokens", 5)]);
    {
        let _t = trace("wf").start();
        let mut generation = generation_span().start();
        generation
            .set_model("gpt-4o-mini")
            .set_input([json!({"role": "user", "content": "hi"})])
            .set_output([json!({"role": "assistant", "content": "hello"})])
            .set_model_config(json!({"temperature": 0.2}))
            .set_usage(&usage);
        generation.finish();
        // Final once ended: nothing changes any more.
        generation.set_model("changed").set_usage(json!({"input_tokens": 99}));
        generation.set_error(SpanError::new("too late"));

        let mut call = function_span("lookup").start();
        call.set_input(r#"{"id": 42}"#).set_output(String::from("shipped")).set_mcp_data(json!({"server": "s"}));
        drop(call);
        let mut step = custom_span("step").start();
        step.set_data(json!({"k": "v"}));
        drop(step);
        let mut guard = guardrail_span("pii").start();
        guard.set_triggered(true);
        drop(guard);
        let mut response = response_span().start();
        response
            .set_response_id("resp_1")
            .set_usage(json!({"input_tokens": 3}))
            .set_response(&std::collections::BTreeMap::from([("raw", 1)]));
        assert_eq!(response.data().unwrap().response, Some(Box::new(json!({"raw": 1}))));
        drop(response);
        let mut agent = agent_span("A").start();
        agent.set_tools(["search"]).set_handoffs(vec![String::from("B")]).set_output_type("str");
        drop(agent);
    }
    let spans = rec.finished_spans();
    assert_eq!(spans.len(), 6);
    let generation = span_json(&spans[0]);
    assert_eq!(
        generation["span_data"],
        json!({
            "type": "generation",
            "input": [{"role": "user", "content": "hi"}],
            "output": [{"role": "assistant", "content": "hello"}],
            "model": "gpt-4o-mini",
            "model_config": {"temperature": 0.2},
            "usage": {"input_tokens": 12, "output_tokens": 5},
        })
    );
    assert_eq!(generation["error"], serde_json::Value::Null);
    assert_eq!(
        span_json(&spans[1])["span_data"],
        json!({"type": "function", "name": "lookup", "input": r#"{"id": 42}"#, "output": "shipped", "mcp_data": {"server": "s"}})
    );
    assert_eq!(span_json(&spans[2])["span_data"]["data"], json!({"k": "v"}));
    assert_eq!(span_json(&spans[3])["span_data"]["triggered"], true);
    assert_eq!(
        span_json(&spans[4])["span_data"],
        json!({"type": "response", "response_id": "resp_1", "usage": {"input_tokens": 3}})
    );
    assert_eq!(
        span_json(&spans[5])["span_data"],
        json!({"type": "agent", "name": "A", "handoffs": ["B"], "tools": ["search"], "output_type": "str"})
    );
}

#[test]
fn setters_and_update_do_nothing_on_a_no_op_span() {
    let (_l, rec) = lock();
    let runs = std::cell::Cell::new(0);
    // No current trace: a no-op span.
    let mut orphan = function_span("orphan").start();
    assert!(orphan.is_noop());
    orphan.set_output("x").set_mcp_data(json!({"a": 1})).update(|_| runs.set(runs.get() + 1));
    orphan.set_error(SpanError::new("e").with_data(json!({"k": 1})));
    drop(orphan);
    // Disabled tracing and a disabled span: no-ops too.
    {
        let _t = trace("wf").start();
        let mut off = custom_span("off").disabled(true).start();
        off.set_data(json!({"k": 1})).update(|_| runs.set(runs.get() + 1));
        drop(off); // the children of a no-op span are no-ops too
        let mut live = custom_span("live").start();
        live.update(|d| {
            runs.set(runs.get() + 1);
            d.data.insert("n", 1);
        });
        live.finish();
        live.update(|_| runs.set(runs.get() + 1));
    }
    assert_eq!(runs.get(), 1, "update runs only on a live, unfinished span");
    let spans = rec.finished_spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(span_json(&spans[0])["span_data"]["data"], json!({"n": 1}));
}

/// JSON nested `levels` deep (arrays).
fn deep(levels: usize) -> serde_json::Value {
    let mut v = json!("bottom");
    for _ in 0..levels {
        v = serde_json::Value::Array(vec![v]);
    }
    v
}

/// `{"deep": <deep(levels)>}`, built without `json!` (which would copy it recursively).
fn deep_map(levels: usize) -> JsonMap {
    JsonMap::from_iter([("deep".to_owned(), deep(levels))])
}

#[test]
fn deep_json_given_to_setters_is_released_without_recursion() {
    let (_l, rec) = lock();
    // 100,000 levels: dropping such a value the ordinary way overflows a test thread's stack.
    const LEVELS: usize = 100_000;
    let mut orphan = generation_span().start();
    orphan
        .set_usage(deep_map(LEVELS))
        .set_model_config(serde_json::Value::Object(deep_map(LEVELS)))
        .set_input([deep(LEVELS)]);
    orphan.set_error(SpanError::new("e").with_data(deep_map(LEVELS)));
    drop(orphan);
    {
        let _t = trace("wf").start();
        let mut live = custom_span("live").start();
        // Replaced values are released too.
        live.set_data(deep_map(LEVELS)).set_data(deep_map(LEVELS)).set_data(json!({}));
        let mut done = response_span().start();
        done.finish();
        done.set_response(deep(LEVELS)).set_usage(deep_map(LEVELS));
    }
    assert_eq!(rec.finished_spans().len(), 2);
}

#[test]
fn json_setters_take_serialize_values_and_wrap_what_is_not_an_object() {
    use trace_core::json_input::{NON_OBJECT_KEY, SERIALIZE_ERROR_KEY};
    let (_l, rec) = lock();
    let before = json_input_fallbacks();
    let typed = std::collections::BTreeMap::from([("b", 2), ("a", 1)]);
    let not_serializable = std::collections::BTreeMap::from([((1, 2), "tuple keys are not JSON")]);
    {
        let _t = trace("wf").metadata(json!("not an object")).start();
        custom_span("typed").data(&typed).start().end();
        custom_span("map").data(JsonMap::from_iter([("k".to_owned(), json!(1))])).start().end();
        custom_span("number").data(json!(5)).start().end();
        custom_span("list").data(&[1, 2]).start().end();
        custom_span("null").data(serde_json::Value::Null).start().end();
        custom_span("broken").data(&not_serializable).start().end();
        let mut cleared = agent_span("A").metadata(json!({"team": "x"})).start();
        cleared.set_metadata(serde_json::Value::Null);
    }
    let spans = rec.finished_spans();
    let data = |i: usize| span_json(&spans[i])["span_data"]["data"].clone();
    assert_eq!(data(0), json!({"a": 1, "b": 2}));
    assert_eq!(data(1), json!({"k": 1}));
    assert_eq!(data(2), json!({NON_OBJECT_KEY: 5}));
    assert_eq!(data(3), json!({NON_OBJECT_KEY: [1, 2]}));
    assert_eq!(data(4), json!({}), "null gives the empty object");
    let broken = data(5);
    assert!(broken[SERIALIZE_ERROR_KEY].as_str().is_some_and(|m| m.contains("key must be a string")), "{broken}");
    assert!(span_json(&spans[6]).get("metadata").is_none(), "null cleared the agent's metadata");
    assert_eq!(
        rec.started_traces()[0].metadata(),
        Some(&JsonMap::from_iter([(NON_OBJECT_KEY.to_owned(), json!("not an object"))]))
    );
    // The trace metadata, the number, the list and the broken map took a fallback; null did not.
    assert_eq!(json_input_fallbacks() - before, 4);
}

#[test]
fn start_detached_and_finish_keeping_current_name_the_lifecycle_choices() {
    let (_l, rec) = lock();
    // A detached trace starts (and is reported) but does not become current.
    let detached = trace("detached").start_detached();
    assert!(current_trace().is_none());
    assert!(custom_span("no parent").start().is_noop());
    let mut t = trace("wf").create();
    t.start();
    assert_eq!(current_trace().as_ref().map(|t| t.trace_id()), t.trace_id());
    // A detached span does not become the parent of the next one.
    let side = custom_span("side").start_detached();
    let next = custom_span("next").start();
    assert_eq!(current_span_id().as_ref(), next.span_id());
    drop(next);
    assert!(current_span_id().is_none());
    // A span finished keeping current stays the parent until its guard drops.
    let mut kept = custom_span("kept").start();
    kept.finish_keeping_current();
    let child = custom_span("child").start();
    assert_eq!(child.span().and_then(|s| s.parent_id()), kept.span_id());
    drop(child);
    drop(kept);
    assert!(current_span_id().is_none());
    drop(side);
    t.finish_keeping_current();
    assert!(current_trace().is_some(), "still current until the guard drops");
    drop(t);
    assert!(current_trace().is_none());
    drop(detached);
    let ev = rec.events();
    assert_eq!(count(&ev, |e| matches!(e, ProcessorEvent::TraceStart(_))), 2);
    assert_eq!(count(&ev, |e| matches!(e, ProcessorEvent::TraceEnd(_))), 2);
    let names: Vec<String> = rec.finished_spans().iter().filter_map(|s| s.data().name()).collect();
    assert_eq!(names, ["next", "kept", "child", "side"], "kept ended before its child started");
}

#[test]
fn dropping_a_started_guard_ends_it_as_finish_does() {
    let (_l, rec) = lock();
    {
        let _t = trace("wf").start();
        let mut finished = custom_span("finished").start();
        finished.finish();
        drop(finished);
        drop(custom_span("dropped").start());
        // Never started: dropping reports nothing.
        drop(custom_span("created only").create());
    }
    let ev = rec.events();
    let shape: Vec<String> = ev
        .iter()
        .map(|e| match e {
            ProcessorEvent::TraceStart(_) => "trace start".to_owned(),
            ProcessorEvent::TraceEnd(_) => "trace end".to_owned(),
            ProcessorEvent::SpanStart(s) => format!("start {}", s.data().name().unwrap_or_default()),
            ProcessorEvent::SpanEnd(s) => {
                assert!(s.ended_at().is_some());
                format!("end {}", s.data().name().unwrap_or_default())
            }
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(shape, ["trace start", "start finished", "end finished", "start dropped", "end dropped", "trace end"]);
    assert!(current_trace().is_none());
}

#[test]
fn span_kind_names_the_type_of_each_span() {
    let (_l, rec) = lock();
    {
        let _t = trace("wf").start();
        agent_span("a").start().end();
        turn_span(1, "a").start().end();
        mcp_tools_span().start().end();
    }
    let kinds: Vec<SpanKind> = rec.finished_spans().iter().map(|s| s.kind()).collect();
    assert_eq!(kinds, [SpanKind::Agent, SpanKind::Turn, SpanKind::McpTools]);
    assert_eq!(kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(), ["agent", "turn", "mcp_tools"]);
}

#[test]
fn a_saved_trace_state_copies_deep_metadata_without_recursion() {
    let (_l, _rec) = lock();
    // 100,000 levels: a recursive copy overflows a test thread's stack.
    let _t = trace("wf").metadata(deep_map(100_000)).start();
    let state = trace_core::TraceState::current();
    let copy = state.clone();
    let text = copy.to_json_string();
    assert!(text.contains(trace_core::DEPTH_LIMIT_MARKER), "the metadata is cut at the depth limit when written");
    drop((state, copy));
}

/// Times come from each thread's clock (see `Timestamp::now`): a span or trace finished on
/// another thread than it started on still never ends before it starts, and on one thread
/// one span's end is never after the next one's start.
#[test]
fn ends_are_never_before_starts_across_threads_and_one_thread_reads_forward() {
    let (_l, rec) = lock();
    let mut t = trace("wf").create();
    t.start_detached();
    let mut spans: Vec<_> = (0..200)
        .map(|i| {
            let mut s = custom_span(format!("moved{i}")).parent(t.as_parent()).create();
            s.start_detached();
            s
        })
        .collect();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for s in &mut spans {
                s.finish();
            }
            t.finish();
        });
    });
    for i in 0..2_000 {
        let _s = custom_span(format!("seq{i}")).parent(t.as_parent()).start_detached();
    }
    drop(spans);
    let finished = rec.finished_spans();
    assert_eq!(finished.len(), 2_200);
    for s in &finished {
        assert!(s.ended_at() >= s.started_at(), "{s:?}");
    }
    let traces = rec.events().into_iter().filter_map(|e| match e {
        ProcessorEvent::TraceEnd(t) => Some(t),
        _ => None,
    });
    for t in traces {
        assert!(t.ended_at() >= t.started_at());
    }
    let seq = &finished[200..];
    for pair in seq.windows(2) {
        assert!(pair[0].ended_at() <= pair[1].started_at(), "{:?} then {:?}", pair[0], pair[1]);
    }
}
