//! The layer against plain `tracing` instrumentation: `#[instrument]` functions across
//! tokio tasks on a multi-threaded runtime, fields recorded later, errors, OpenInference
//! spans, workflows, other spans, and the mix with this library's own helpers.
//!
//! Every test records into one global in-memory processor (spans end on tokio's worker
//! threads, which a scoped processor would not see), so the tests take turns.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde_json::json;
use trace_core::{custom_span, function_span, InMemoryProcessor, Span, SpanData, SpanKind, Trace};
use trace_layer::AgentsLayer;
use tracing::field::Empty;
use tracing::{info_span, instrument, Instrument};
use tracing_subscriber::prelude::*;

/// The global processor, installed once, with the turn of the running test.
fn recorder() -> (MutexGuard<'static, ()>, InMemoryProcessor) {
    static TURN: Mutex<()> = Mutex::new(());
    static RECORDER: OnceLock<InMemoryProcessor> = OnceLock::new();
    let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let recorder = RECORDER
        .get_or_init(|| {
            let recorder = InMemoryProcessor::new();
            trace_core::set_trace_processor(recorder.clone());
            // The layer with its defaults for every thread (tokio's workers included).
            tracing_subscriber::registry().with(AgentsLayer::new()).init();
            recorder
        })
        .clone();
    recorder.take_events();
    (turn, recorder)
}

fn by_name<'a>(spans: &'a [Arc<Span>], kind: SpanKind, name: &str) -> &'a Arc<Span> {
    spans
        .iter()
        .find(|s| s.kind() == kind && span_name(s) == name)
        .unwrap_or_else(|| panic!("no {kind:?} span named {name:?} in {spans:#?}"))
}

fn span_name(s: &Span) -> String {
    match s.data() {
        SpanData::Agent(d) => d.name.to_string(),
        SpanData::Function(d) => d.name.to_string(),
        SpanData::Custom(d) => d.name.to_string(),
        SpanData::Generation(d) => d.model.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

fn generation(s: &Span) -> &trace_core::GenerationSpanData {
    match s.data() {
        SpanData::Generation(d) => d,
        other => panic!("not a generation: {other:?}"),
    }
}

fn function(s: &Span) -> &trace_core::FunctionSpanData {
    match s.data() {
        SpanData::Function(d) => d,
        other => panic!("not a function: {other:?}"),
    }
}

#[instrument(name = "invoke_agent Planner", fields(gen_ai.operation.name = "invoke_agent", gen_ai.agent.name = "Planner"))]
async fn agent(tools: usize) -> Vec<String> {
    let barrier = Arc::new(tokio::sync::Barrier::new(tools));
    // `in_current_span`: a spawned task does not inherit the current `tracing` span by
    // itself (an `#[instrument]` async fn creates its span when first polled, on the task).
    let tasks: Vec<_> = (0..tools).map(|i| tokio::spawn(tool(i, Arc::clone(&barrier)).in_current_span())).collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("the tool task"));
    }
    results
}

#[instrument(
    name = "execute_tool",
    skip(barrier),
    fields(gen_ai.operation.name = "execute_tool", gen_ai.tool.name = %format!("tool-{i}"), gen_ai.tool.call.result = Empty)
)]
async fn tool(i: usize, barrier: Arc<tokio::sync::Barrier>) -> String {
    // Every tool waits for the others: the tasks are suspended and resumed, on whichever
    // worker thread is free.
    barrier.wait().await;
    let answer = chat(i).await;
    tokio::task::yield_now().await;
    tracing::Span::current().record("gen_ai.tool.call.result", answer.as_str());
    answer
}

#[instrument(name = "chat", fields(gen_ai.operation.name = "chat", gen_ai.request.model = %format!("model-{i}")))]
async fn chat(i: usize) -> String {
    tokio::task::yield_now().await;
    format!("answer-{i}")
}

#[test]
fn instrumented_functions_across_tokio_tasks_keep_their_parents() {
    let (_turn, recorder) = recorder();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let results = runtime.block_on(async { tokio::spawn(agent(4)).await }).unwrap();
    drop(runtime);
    assert_eq!(results, ["answer-0", "answer-1", "answer-2", "answer-3"]);

    let spans = recorder.finished_spans();
    assert_eq!(spans.len(), 9, "{spans:#?}");
    let traces = recorder.started_traces();
    assert_eq!(traces.len(), 1, "one trace for the run");
    assert_eq!(traces[0].workflow_name(), trace_layer::DEFAULT_WORKFLOW_NAME);
    assert!(spans.iter().all(|s| s.trace_id() == traces[0].trace_id()));

    let planner = by_name(&spans, SpanKind::Agent, "Planner");
    assert_eq!(planner.parent_id(), None, "the agent span is top-level in its trace");
    for i in 0..4 {
        let tool = by_name(&spans, SpanKind::Function, &format!("tool-{i}"));
        assert_eq!(tool.parent_id(), Some(planner.span_id()), "tool-{i} under the agent");
        assert_eq!(function(tool).output.as_deref(), Some(format!("answer-{i}").as_str()));
        let model = by_name(&spans, SpanKind::Generation, &format!("model-{i}"));
        assert_eq!(model.parent_id(), Some(tool.span_id()), "model-{i} under tool-{i}");
    }
    // Ended in order: each chat before its tool, the agent last.
    assert_eq!(spans.last().unwrap().span_id(), planner.span_id());
}

#[test]
fn helper_spans_nest_under_bridged_spans_and_the_other_way_round() {
    let (_turn, recorder) = recorder();
    {
        let agent = info_span!("invoke_agent", gen_ai.operation.name = "invoke_agent", gen_ai.agent.name = "Triage");
        let _entered = agent.enter();
        let _helper = function_span("lookup_order").start();
        let chat = info_span!("chat", gen_ai.operation.name = "chat", gen_ai.request.model = "gpt-4o");
        chat.in_scope(|| {});
    }
    {
        let _trace = trace_core::trace("Support").start();
        let _outer = custom_span("plan").start();
        let chat = info_span!("chat", gen_ai.operation.name = "chat", gen_ai.request.model = "gpt-4o-mini");
        chat.in_scope(|| {});
    }
    let spans = recorder.finished_spans();
    let triage = by_name(&spans, SpanKind::Agent, "Triage");
    let helper = by_name(&spans, SpanKind::Function, "lookup_order");
    assert_eq!(helper.parent_id(), Some(triage.span_id()), "a helper span inside a bridged span");
    let chat = by_name(&spans, SpanKind::Generation, "gpt-4o");
    assert_eq!(chat.parent_id(), Some(helper.span_id()), "a bridged span inside a helper span inside a bridged span");

    let plan = by_name(&spans, SpanKind::Custom, "plan");
    let mini = by_name(&spans, SpanKind::Generation, "gpt-4o-mini");
    assert_eq!(mini.parent_id(), Some(plan.span_id()), "a bridged span inside a helper span");
    assert_eq!(mini.trace().workflow_name(), "Support", "the explicit trace is used");
    let traces = recorder.started_traces();
    assert_eq!(traces.len(), 2, "one started by the layer, one by `trace()`: {traces:#?}");
}

#[test]
fn fields_recorded_later_errors_and_unmapped_spans_in_between() {
    let (_turn, recorder) = recorder();
    {
        let request = info_span!("handle_request", user = "u-1");
        let _request = request.enter();
        let chat = info_span!(
            "chat gpt-4o",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "gpt-4o",
            gen_ai.request.temperature = 0.2,
            gen_ai.request.max_tokens = 256,
            gen_ai.system_instructions = r#"[{"type":"text","content":"Be brief."}]"#,
            gen_ai.input.messages = r#"[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]"#,
            gen_ai.response.model = Empty,
            gen_ai.output.messages = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            gen_ai.usage.cache_read.input_tokens = Empty,
            gen_ai.usage.reasoning.output_tokens = Empty,
        );
        let _chat = chat.enter();
        // A plain span between the chat and the tool: skipped over.
        let step = info_span!("step");
        let _step = step.enter();
        let tool = info_span!("execute_tool lookup", gen_ai.operation.name = "execute_tool", error.type = Empty);
        tool.in_scope(|| {
            tool.record("error.type", "timeout");
        });
        chat.record("gen_ai.response.model", "gpt-4o-2024-08-06");
        chat.record(
            "gen_ai.output.messages",
            r#"[{"role":"assistant","parts":[{"type":"text","content":"Hello"}],"finish_reason":"stop"}]"#,
        );
        chat.record("gen_ai.usage.input_tokens", 120);
        chat.record("gen_ai.usage.output_tokens", 34);
        chat.record("gen_ai.usage.cache_read.input_tokens", 100);
        chat.record("gen_ai.usage.reasoning.output_tokens", 8);
        chat.in_scope(|| tracing::error!(status = 429, "rate limited"));
    }
    let spans = recorder.finished_spans();
    assert_eq!(spans.len(), 2, "the plain spans are not recorded: {spans:#?}");
    let chat = by_name(&spans, SpanKind::Generation, "gpt-4o");
    let g = generation(chat);
    assert_eq!(
        serde_json::to_value(&g.usage).unwrap(),
        json!({"input_tokens": 120, "output_tokens": 34,
               "input_tokens_details": {"cached_tokens": 100}, "output_tokens_details": {"reasoning_tokens": 8}})
    );
    assert_eq!(
        g.input.clone().unwrap(),
        vec![json!({"role": "system", "content": "Be brief."}), json!({"role": "user", "content": "Hi"})]
    );
    assert_eq!(
        g.output.clone().unwrap(),
        vec![json!({"role": "assistant", "content": "Hello", "finish_reason": "stop"})]
    );
    assert_eq!(serde_json::to_value(&g.model_config).unwrap(), json!({"temperature": 0.2, "max_tokens": 256}));
    let error = chat.error().expect("the ERROR event set the error");
    assert_eq!((error.message.as_str(), error.data.clone()), ("rate limited", Some(json!({"status": 429}))));

    let tool = by_name(&spans, SpanKind::Function, "lookup");
    assert_eq!(tool.parent_id(), Some(chat.span_id()), "the tool under the chat, past the plain span");
    assert_eq!(tool.error().map(|e| e.message.as_str()), Some("timeout"));
    assert_eq!(chat.trace().workflow_name(), "handle_request", "named after the outermost span");
}

#[test]
fn openinference_spans_and_workflows() {
    let (_turn, recorder) = recorder();
    {
        let workflow = info_span!(
            "invoke_workflow",
            gen_ai.operation.name = "invoke_workflow",
            gen_ai.workflow.name = "Order support",
            gen_ai.conversation.id = "chat-42"
        );
        let _workflow = workflow.enter();
        let llm = info_span!(
            "ChatOpenAI",
            openinference.span.kind = "LLM",
            llm.model_name = "gpt-4o-mini",
            llm.token_count.prompt = 10,
            llm.token_count.completion = 3,
            "llm.input_messages.0.message.role" = "user",
            "llm.input_messages.0.message.content" = "Where is my order?",
            output.value = "Shipped."
        );
        llm.in_scope(|| {});
        let tool = info_span!(
            "lookup",
            openinference.span.kind = "TOOL",
            tool.name = "lookup_order",
            input.value = r#"{"id": 7}"#,
            output.value = "shipped"
        );
        tool.in_scope(|| {});
    }
    let spans = recorder.finished_spans();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let traces = recorder.started_traces();
    assert_eq!(traces.len(), 1);
    assert_eq!((traces[0].workflow_name(), traces[0].group_id()), ("Order support", Some("chat-42")));
    let llm = by_name(&spans, SpanKind::Generation, "gpt-4o-mini");
    assert_eq!(llm.parent_id(), None, "top-level in the workflow's trace");
    assert_eq!(llm.trace_id(), traces[0].trace_id());
    let g = generation(llm);
    assert_eq!(serde_json::to_value(&g.usage).unwrap(), json!({"input_tokens": 10, "output_tokens": 3}));
    assert_eq!(g.input.clone().unwrap(), vec![json!({"role": "user", "content": "Where is my order?"})]);
    assert_eq!(g.output.clone().unwrap(), vec![json!({"role": "assistant", "content": "Shipped."})]);
    let tool = by_name(&spans, SpanKind::Function, "lookup_order");
    assert_eq!(
        (function(tool).input.as_deref(), function(tool).output.as_deref()),
        (Some(r#"{"id": 7}"#), Some("shipped"))
    );
}

#[test]
fn other_spans_are_ignored_by_default_and_recorded_when_asked() {
    let (_turn, recorder) = recorder();
    let layer =
        AgentsLayer::builder().record_other_spans(tracing::Level::INFO).other_spans_target("layer::steps").build();
    let before = trace_layer::stats();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        // Outside a trace: not recorded, counted.
        info_span!(target: "layer::steps", "warm_up").in_scope(|| {});
        let agent = info_span!("invoke_agent Triage", gen_ai.operation.name = "invoke_agent");
        let _agent = agent.enter();
        info_span!(target: "layer::steps", "load_profile", user = "u-1", attempt = 2).in_scope(|| {});
        info_span!(target: "other", "not_this_target").in_scope(|| {});
        tracing::debug_span!(target: "layer::steps", "too_verbose").in_scope(|| {});
    });
    let spans = recorder.finished_spans();
    let names: Vec<String> = spans.iter().map(|s| span_name(s)).collect();
    assert_eq!(names, ["load_profile", "Triage"]);
    let SpanData::Custom(step) = spans[0].data() else { panic!("a custom span") };
    assert_eq!(serde_json::Value::Object(step.data.clone().into_map()), json!({"user": "u-1", "attempt": 2}));
    assert_eq!(spans[0].parent_id(), Some(spans[1].span_id()));
    assert!(trace_layer::stats().other_spans_outside_traces > before.other_spans_outside_traces);
}

#[test]
fn a_span_handed_to_another_task_keeps_its_parent_after_its_creator_returned() {
    let (_turn, recorder) = recorder();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    runtime.block_on(async {
        let agent = info_span!("invoke_agent Writer", gen_ai.operation.name = "invoke_agent");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let chat = agent.in_scope(|| info_span!("chat", gen_ai.operation.name = "chat", gen_ai.request.model = "m"));
        let task = tokio::spawn(async move { rx.await.expect("the go signal") }.instrument(chat));
        drop(agent);
        tx.send(()).unwrap();
        task.await.unwrap();
    });
    drop(runtime);
    let spans = recorder.finished_spans();
    let writer = by_name(&spans, SpanKind::Agent, "Writer");
    let chat = by_name(&spans, SpanKind::Generation, "m");
    assert_eq!(chat.parent_id(), Some(writer.span_id()));
    let traces: Vec<Arc<Trace>> = recorder.started_traces();
    assert_eq!(traces.len(), 1);
}

#[test]
fn a_run_recorded_under_a_plain_span_is_one_trace_held_by_that_span() {
    let (_turn, recorder) = recorder();
    {
        // As rig does inside an `#[instrument]`ed handler: no agent span of its own, the
        // model and tool calls straight under the handler's span.
        let handler = info_span!("handler", route = "/ask");
        let _handler = handler.enter();
        let system = r#"[{"type":"text","content":"Be brief."}]"#;
        let messages = r#"[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Hi"}]}]"#;
        info_span!(
            "chat",
            gen_ai.operation.name = "chat",
            gen_ai.system_instructions = system,
            gen_ai.input.messages = messages
        )
        .in_scope(|| {});
        // genai's spans are all named `genai.*`; the readable name is `otel.name`.
        info_span!(
            "genai.execute_tool",
            otel.name = "execute_tool lookup_order",
            gen_ai.operation.name = "execute_tool"
        )
        .in_scope(|| {});
        info_span!("chat", gen_ai.operation.name = "chat").in_scope(|| {});
        assert!(recorder.started_traces().len() == 1 && recorder.finished_spans().len() == 3);
        assert!(
            !recorder.events().iter().any(|e| matches!(e, trace_core::ProcessorEvent::TraceEnd(_))),
            "the trace is still open while the handler runs"
        );
    }
    let traces = recorder.started_traces();
    assert_eq!(traces.len(), 1, "one trace for the handler's calls");
    assert_eq!(traces[0].workflow_name(), "handler");
    assert!(
        recorder.events().iter().any(|e| matches!(e, trace_core::ProcessorEvent::TraceEnd(_))),
        "ended with the handler"
    );
    let spans = recorder.finished_spans();
    assert!(spans.iter().all(|s| s.trace_id() == traces[0].trace_id() && s.parent_id().is_none()));
    assert_eq!(span_name(&spans[1]), "lookup_order");
    // The system instructions are not added again when the messages hold them.
    let input = generation(&spans[0]).input.clone().unwrap();
    assert_eq!(
        input,
        vec![json!({"role": "system", "content": "Be brief."}), json!({"role": "user", "content": "Hi"})]
    );
}

#[test]
fn with_sensitive_data_off_content_stays_out_of_custom_spans_too() {
    let (_turn, recorder) = recorder();
    {
        let _trace = trace_core::trace("private").include_sensitive_data(false).start();
        info_span!("plan", openinference.span.kind = "CHAIN", input.value = "my card is 4111", step = 2)
            .in_scope(|| {});
        info_span!(
            "chat",
            gen_ai.operation.name = "chat",
            gen_ai.input.messages = r#"[{"role":"user","content":"secret"}]"#
        )
        .in_scope(|| {});
    }
    let spans = recorder.finished_spans();
    let SpanData::Custom(plan) = spans[0].data() else { panic!("a custom span") };
    assert_eq!(
        serde_json::Value::Object(plan.data.clone().into_map()),
        json!({"step": 2}),
        "the content field left out"
    );
    assert_eq!(generation(&spans[1]).input, None, "the generation's input stripped");
    // Nor does a processor see it when the span starts.
    for event in recorder.events() {
        if let trace_core::ProcessorEvent::SpanStart(s) = event {
            assert!(!format!("{:?}", s.data()).contains("secret"), "{s:?}");
        }
    }
}

/// Two threads bridge the first model calls under the same plain span at the same moment
/// (rig agents spawned with `in_current_span` inside one handler): they share one trace,
/// and no thread panics (the holder is made once, under the handler's extensions lock).
#[test]
fn concurrent_first_calls_under_one_plain_span_share_one_trace() {
    let (_turn, recorder) = recorder();
    for _ in 0..20 {
        recorder.take_events();
        {
            let handler = info_span!("handler");
            let barrier = Arc::new(std::sync::Barrier::new(2));
            std::thread::scope(|s| {
                for i in 0..2 {
                    let (handler, barrier) = (handler.clone(), Arc::clone(&barrier));
                    s.spawn(move || {
                        let _in = handler.enter();
                        barrier.wait();
                        info_span!("chat", gen_ai.operation.name = "chat", gen_ai.request.model = i).in_scope(|| {});
                    });
                }
            });
        }
        let traces = recorder.started_traces();
        assert_eq!(traces.len(), 1, "one trace for the handler's calls");
        let spans = recorder.finished_spans();
        assert_eq!(spans.len(), 2);
        assert!(spans.iter().all(|s| s.trace_id() == traces[0].trace_id()));
        let ended = recorder.events().iter().filter(|e| matches!(e, trace_core::ProcessorEvent::TraceEnd(_))).count();
        assert_eq!(ended, 1, "the trace ended once, with the handler");
    }
}

/// rig-agent's tool failures, tracing-opentelemetry's status fields and an
/// `#[instrument(err)]`-style event (an `error` field, no message) all mark the span.
#[test]
fn tool_failures_otel_status_and_error_fields_become_span_errors() {
    let (_turn, recorder) = recorder();
    {
        let _t = info_span!("invoke_workflow run", gen_ai.operation.name = "invoke_workflow").entered();
        info_span!(
            "execute_tool denied_one",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "denied_one",
            gen_ai.tool.call.outcome = "denied"
        )
        .in_scope(|| {});
        let failed = info_span!(
            "execute_tool failed_one",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "failed_one",
            gen_ai.tool.call.outcome = Empty,
            gen_ai.tool.error.type = Empty
        );
        failed.record("gen_ai.tool.error.type", "ToolCallError");
        failed.record("gen_ai.tool.call.outcome", "error");
        drop(failed);
        info_span!(
            "chat",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "with-status",
            otel.status_code = Empty,
            otel.status_description = Empty
        )
        .in_scope(|| {
            let span = tracing::Span::current();
            span.record("otel.status_code", "ERROR");
            span.record("otel.status_description", "upstream 503");
        });
        // A status without a description keeps the more precise error recorded before it.
        let typed = info_span!(
            "chat",
            gen_ai.operation.name = "chat",
            gen_ai.request.model = "typed-then-status",
            error.type = "RateLimited",
            otel.status_code = Empty
        );
        typed.record("otel.status_code", "ERROR");
        drop(typed);
        info_span!("chat", gen_ai.operation.name = "chat", gen_ai.request.model = "with-err-event").in_scope(|| {
            let e = std::io::Error::other("connection reset");
            tracing::error!(error = %e);
        });
    }
    let spans = recorder.finished_spans();
    let message = |kind, name| by_name(&spans, kind, name).error().map(|e| e.message.clone());
    assert_eq!(message(SpanKind::Function, "denied_one").as_deref(), Some("tool call denied"));
    assert_eq!(message(SpanKind::Function, "failed_one").as_deref(), Some("ToolCallError"), "the type is kept");
    assert_eq!(message(SpanKind::Generation, "with-status").as_deref(), Some("upstream 503"));
    assert_eq!(message(SpanKind::Generation, "typed-then-status").as_deref(), Some("RateLimited"), "kept");
    let event = by_name(&spans, SpanKind::Generation, "with-err-event").error().expect("the event's error");
    assert_eq!((event.message.as_str(), event.data.clone()), ("connection reset", None));
}

/// rig's token counts under its own names.
#[test]
fn rigs_reasoning_and_cache_creation_tokens_are_kept() {
    let (_turn, recorder) = recorder();
    info_span!(
        "chat",
        gen_ai.operation.name = "chat",
        gen_ai.request.model = "rig-model",
        gen_ai.usage.input_tokens = 10,
        gen_ai.usage.output_tokens = 20,
        gen_ai.usage.reasoning_tokens = 5,
        gen_ai.usage.cache_creation.input_tokens = 3
    )
    .in_scope(|| {});
    let spans = recorder.finished_spans();
    let g = generation(by_name(&spans, SpanKind::Generation, "rig-model"));
    assert_eq!(
        serde_json::to_value(&g.usage).unwrap(),
        json!({"input_tokens": 10, "output_tokens": 20,
               "output_tokens_details": {"reasoning_tokens": 5}, "input_tokens_details": {"cache_creation_tokens": 3}})
    );
}

/// GenAI operations and OpenInference kinds with no span type of their own are custom
/// spans of the trace, not left out.
#[test]
fn other_genai_operations_are_custom_spans_of_the_trace() {
    let (_turn, recorder) = recorder();
    {
        let _chat = info_span!("chat", gen_ai.operation.name = "chat", gen_ai.request.model = "m").entered();
        info_span!(
            "genai.embeddings",
            otel.name = "embeddings text-embedding-3-small",
            gen_ai.operation.name = "embeddings",
            gen_ai.request.model = "text-embedding-3-small",
            gen_ai.usage.input_tokens = 12
        )
        .in_scope(|| {});
        info_span!("lookup docs", openinference.span.kind = "RETRIEVER", top_k = 3).in_scope(|| {});
    }
    let spans = recorder.finished_spans();
    assert_eq!(spans.len(), 3, "{spans:#?}");
    assert!(spans.iter().all(|s| s.trace_id() == spans[0].trace_id()));
    let embeddings = by_name(&spans, SpanKind::Custom, "embeddings text-embedding-3-small");
    let retriever = by_name(&spans, SpanKind::Custom, "lookup docs");
    let data = |s: &Span| match s.data() {
        SpanData::Custom(c) => serde_json::to_value(&c.data).unwrap(),
        other => panic!("not custom: {other:?}"),
    };
    assert_eq!(
        data(embeddings),
        json!({"gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.input_tokens": 12})
    );
    assert_eq!(data(retriever), json!({"top_k": 3}));
    let chat = by_name(&spans, SpanKind::Generation, "m");
    assert!(spans.iter().filter(|s| s.kind() == SpanKind::Custom).all(|s| s.parent_id() == Some(chat.span_id())));

    // Alone, as an ingestion pipeline makes them, they start no trace: counted only.
    recorder.take_events();
    let before = trace_layer::stats().other_spans_outside_traces;
    info_span!("embeddings", gen_ai.operation.name = "embeddings").in_scope(|| {});
    info_span!("lookup", openinference.span.kind = "RETRIEVER").in_scope(|| {});
    assert!(recorder.events().is_empty(), "{:?}", recorder.events());
    assert_eq!(trace_layer::stats().other_spans_outside_traces - before, 2);

    // With sensitive data off, retrieved documents and embedded texts stay out.
    {
        let _trace = trace_core::trace("private").include_sensitive_data(false).start();
        info_span!(
            "lookup",
            openinference.span.kind = "RETRIEVER",
            "retrieval.documents.0.document.content" = "my card is 4111",
            "embedding.embeddings.0.embedding.text" = "my card is 4111",
            top_k = 1
        )
        .in_scope(|| {});
    }
    let spans = recorder.finished_spans();
    let SpanData::Custom(lookup) = spans[0].data() else { panic!("a custom span") };
    assert_eq!(serde_json::Value::Object(lookup.data.clone().into_map()), json!({"top_k": 1}));
}

/// OpenInference output: `output.value` recorded again replaces the output; indexed
/// `llm.output_messages.…` fields are the output once recorded.
#[test]
fn openinference_output_is_replaced_not_appended() {
    let (_turn, recorder) = recorder();
    {
        let _t = info_span!("invoke_workflow w", gen_ai.operation.name = "invoke_workflow").entered();
        let twice = info_span!("llm", openinference.span.kind = "LLM", llm.model_name = "twice", output.value = Empty);
        twice.record("output.value", "first");
        twice.record("output.value", "second");
        drop(twice);
        let indexed = info_span!(
            "llm",
            openinference.span.kind = "LLM",
            llm.model_name = "indexed",
            output.value = Empty,
            "llm.output_messages.0.message.role" = Empty,
            "llm.output_messages.0.message.content" = Empty
        );
        indexed.record("output.value", r#"{"raw": "response"}"#);
        indexed.record("llm.output_messages.0.message.role", "assistant");
        indexed.record("llm.output_messages.0.message.content", "hello");
        indexed.record("output.value", "ignored now");
    }
    let spans = recorder.finished_spans();
    let output = |name| generation(by_name(&spans, SpanKind::Generation, name)).output.clone().unwrap();
    assert_eq!(output("twice"), vec![json!({"role": "assistant", "content": "second"})]);
    assert_eq!(output("indexed"), vec![json!({"role": "assistant", "content": "hello"})]);
}

/// An explicit `parent:` wins over the bridged span entered at the time (a sibling of the
/// same trace); a helper span made inside an entered bridged span still wins over the
/// `tracing` tree.
#[test]
fn an_explicit_parent_wins_over_an_entered_sibling() {
    let (_turn, recorder) = recorder();
    {
        let agent = info_span!("invoke_agent A", gen_ai.operation.name = "invoke_agent");
        let _agent = agent.enter();
        let tool = info_span!("execute_tool first", gen_ai.operation.name = "execute_tool");
        let _tool = tool.enter();
        info_span!(parent: &agent, "chat", gen_ai.operation.name = "chat", gen_ai.request.model = "explicit")
            .in_scope(|| {});
        let _helper = custom_span("helper").start();
        info_span!("chat", gen_ai.operation.name = "chat", gen_ai.request.model = "in-helper").in_scope(|| {});
    }
    let spans = recorder.finished_spans();
    let agent = by_name(&spans, SpanKind::Agent, "A");
    let explicit = by_name(&spans, SpanKind::Generation, "explicit");
    assert_eq!(explicit.parent_id(), Some(agent.span_id()), "under the agent it names, not the entered tool");
    let helper = by_name(&spans, SpanKind::Custom, "helper");
    assert_eq!(by_name(&spans, SpanKind::Generation, "in-helper").parent_id(), Some(helper.span_id()));
}

/// A trace current by itself (an entered workflow, a user's `trace()`) does not beat the
/// `tracing` parent a span names.
#[test]
fn an_explicit_parent_wins_over_a_current_trace() {
    let (_turn, recorder) = recorder();
    {
        let _workflow = info_span!("invoke_workflow W", gen_ai.operation.name = "invoke_workflow").entered();
        let agent = info_span!("invoke_agent A", gen_ai.operation.name = "invoke_agent");
        info_span!(parent: &agent, "chat", gen_ai.operation.name = "chat", gen_ai.request.model = "in-workflow")
            .in_scope(|| {});
    }
    {
        let _run = trace_core::trace("user run").start();
        let agent = info_span!("invoke_agent B", gen_ai.operation.name = "invoke_agent");
        info_span!(parent: &agent, "chat", gen_ai.operation.name = "chat", gen_ai.request.model = "in-user-trace")
            .in_scope(|| {});
    }
    let spans = recorder.finished_spans();
    let a = by_name(&spans, SpanKind::Agent, "A");
    assert_eq!(by_name(&spans, SpanKind::Generation, "in-workflow").parent_id(), Some(a.span_id()));
    let b = by_name(&spans, SpanKind::Agent, "B");
    assert_eq!(by_name(&spans, SpanKind::Generation, "in-user-trace").parent_id(), Some(b.span_id()));
    assert_eq!(b.parent_id(), None, "the agent itself is a top-level span of the user's trace");
}

/// A span mapped in a no-op scope (here: the user's trace finished while a span of it is
/// current) records nothing, and is counted so, not as bridged.
#[test]
fn a_span_in_a_no_op_scope_is_counted_as_not_recorded() {
    let (_turn, recorder) = recorder();
    let before = trace_layer::stats();
    {
        let mut run = trace_core::trace("user run").start();
        let _step = custom_span("step").start();
        run.finish();
        info_span!("chat", gen_ai.operation.name = "chat").in_scope(|| {});
    }
    let after = trace_layer::stats();
    assert_eq!(after.spans_not_recorded - before.spans_not_recorded, 1);
    assert_eq!(after.spans_bridged, before.spans_bridged);
    assert!(recorder.finished_spans().iter().all(|s| s.kind() != SpanKind::Generation));
}

/// Processors see the fields given at creation in `on_span_start`, as they see a span made
/// with the library's builders.
#[test]
fn processors_see_the_creation_fields_when_the_span_starts() {
    let (_turn, recorder) = recorder();
    {
        let _t = info_span!("invoke_workflow w", gen_ai.operation.name = "invoke_workflow").entered();
        info_span!(
            "genai.execute_tool",
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = "lookup_order",
            gen_ai.tool.call.arguments = r#"{"id": 7}"#
        )
        .in_scope(|| {});
    }
    let started: Vec<Box<Span>> = recorder
        .events()
        .into_iter()
        .filter_map(|e| match e {
            trace_core::ProcessorEvent::SpanStart(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(started.len(), 1);
    let f = function(&started[0]);
    assert_eq!((f.name.as_ref(), f.input.as_deref()), ("lookup_order", Some(r#"{"id": 7}"#)));
}
