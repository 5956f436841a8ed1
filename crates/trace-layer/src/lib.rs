//! `AgentsLayer`: Rust code instrumented with the [`tracing`](https://docs.rs/tracing)
//! crate shows up as agent traces, with no new calls.
//!
//! Agent frameworks record their model calls, tool calls and agent runs as `tracing`
//! spans with the OpenTelemetry GenAI conventions' fields (rig's `telemetry` module,
//! genai's `otel` feature) or OpenInference's. Add the layer to the subscriber and those
//! spans become generation, function and agent spans of this library, handed to the
//! installed processors: batching, the OpenAI and OTLP exporters and the fan-out apply
//! unchanged.
//!
//! ```
//! use tracing_subscriber::prelude::*;
//! use trace_core::{InMemoryProcessor, SpanData};
//!
//! let recorder = InMemoryProcessor::new();
//! trace_core::set_trace_processor(recorder.clone());
//! let subscriber = tracing_subscriber::registry().with(trace_layer::AgentsLayer::new());
//! tracing::subscriber::with_default(subscriber, || {
//!     let chat = tracing::info_span!(
//!         "chat gpt-4o-mini",
//!         gen_ai.operation.name = "chat",
//!         gen_ai.request.model = "gpt-4o-mini",
//!         gen_ai.usage.input_tokens = tracing::field::Empty,
//!     );
//!     // Recorded later, as frameworks do once the answer is in.
//!     chat.record("gen_ai.usage.input_tokens", 12);
//! });
//! let spans = recorder.finished_spans();
//! let SpanData::Generation(g) = spans[0].data() else { panic!("a generation span") };
//! assert_eq!(g.model.as_deref(), Some("gpt-4o-mini"));
//! assert_eq!(g.usage.as_ref().unwrap()["input_tokens"], 12);
//! // No trace was around, so the layer started one for the call: one trace per run.
//! assert_eq!(recorder.started_traces().len(), 1);
//! ```
//!
//! **When to use this crate:** your agent code, or a framework it uses, is instrumented
//! with `tracing`. Code written against this library's helpers (`trace()`,
//! `generation_span()`, ...) does not need it; the two mix (see "Parents").
//! Through the facade: `agents_tracing::layer::AgentsLayer` with the `layer` feature.
//!
//! A framework that makes no `tracing` spans gives the layer nothing to map. langchain-rust
//! is one (4.2 logs through the `log` crate, and its OpenAI client opens no span around a
//! call): put the call in a span with the GenAI fields yourself, and record what the
//! answer says once it is in:
//!
//! ```
//! use tracing::Instrument as _;
//! # use tracing_subscriber::prelude::*;
//! # let recorder = trace_core::InMemoryProcessor::new();
//! # trace_core::set_trace_processor(recorder.clone());
//! # let subscriber = tracing_subscriber::registry().with(trace_layer::AgentsLayer::new());
//! # let _guard = tracing::subscriber::set_default(subscriber);
//! # struct Answer { prompt_tokens: u32 }
//! # async fn generate(_prompt: &str) -> Answer { Answer { prompt_tokens: 9 } }
//! # fn block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     struct Noop;
//! #     impl std::task::Wake for Noop { fn wake(self: std::sync::Arc<Self>) {} }
//! #     let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(&waker);
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! let span = tracing::info_span!(
//!     "chat gpt-4o",
//!     gen_ai.operation.name = "chat",
//!     gen_ai.request.model = "gpt-4o",
//!     gen_ai.usage.input_tokens = tracing::field::Empty,
//! );
//! // `generate` stands for the framework's call, e.g. langchain-rust's `LLM::generate`.
//! let answer = block_on(generate("hello").instrument(span.clone()));
//! span.record("gen_ai.usage.input_tokens", answer.prompt_tokens);
//! drop(span);
//! # let spans = recorder.finished_spans();
//! # let trace_core::SpanData::Generation(g) = spans[0].data() else { panic!("a generation span") };
//! # assert_eq!(g.usage.as_ref().unwrap()["input_tokens"], 9);
//! ```
//!
//! # Mapping
//! A span is mapped by the value of `gen_ai.operation.name` (GenAI conventions) or
//! `openinference.span.kind` (OpenInference), given when the span is created:
//!
//! | field value | becomes | from the fields |
//! |---|---|---|
//! | `chat`, `text_completion`, `generate_content`; OpenInference `LLM` | generation span | model: `gen_ai.request.model`, else `gen_ai.response.model` (`llm.model_name`); usage: `gen_ai.usage.input_tokens` / `output_tokens` as `input_tokens` / `output_tokens`, `gen_ai.usage.cache_read.input_tokens` as `input_tokens_details.cached_tokens`, `gen_ai.usage.reasoning.output_tokens` (rig: `gen_ai.usage.reasoning_tokens`) as `output_tokens_details.reasoning_tokens`, rig's `gen_ai.usage.cache_creation.input_tokens` and `gen_ai.usage.tool_use_prompt_tokens` under `input_tokens_details` (`llm.token_count.*`); input: `gen_ai.system_instructions` as a system message, then `gen_ai.input.messages` (`input.value`, `llm.input_messages.<i>.message.*`, with `tool_calls.<j>.tool_call.*` and `contents.<j>.message_content.*` nested as Chat Completions `tool_calls` and content parts); output: `gen_ai.output.messages` (`output.value`, `llm.output_messages.*`); model config: every other `gen_ai.request.*` by its last name (`temperature`, `max_tokens`, `top_p`, `stop_sequences` as `stop`, ...; `llm.invocation_parameters`) |
//! | `execute_tool`; `TOOL` | function span | name: `gen_ai.tool.name` (`tool.name`), else the span name after `execute_tool `; input: `gen_ai.tool.call.arguments` (`input.value`); output: `gen_ai.tool.call.result` (`output.value`) |
//! | `invoke_agent`, `create_agent`; `AGENT` | agent span | name: `gen_ai.agent.name` (`agent.name`), else the span name after `invoke_agent ` |
//! | `invoke_workflow` | a trace | workflow name: `gen_ai.workflow.name`, else the span name; group id: `gen_ai.conversation.id` (`session.id`). Inside a trace already running: a custom span |
//! | any other operation (`embeddings`, `retrieval`, genai's `plan`, ...); any other kind (`CHAIN`, `RETRIEVER`, `EMBEDDING`, ...) | custom span | inside a trace only (alone it is counted in [`LayerStats::other_spans_outside_traces`]; `CHAIN` starts a trace like a workflow): named after the `tracing` span (or its `otel.name`), its fields as data (content the conventions name, documents and embedded texts included, left out with sensitive data off) |
//!
//! Messages in the conventions' JSON shape (a role and typed `parts`; a tool result's
//! text under `response`, or `result` as genai writes it) are turned into the Chat
//! Completions shape the Python SDK records (`content`, `tool_calls`, `tool_call_id`;
//! each tool result a `tool` message of its own, as rig and genai put all of a turn's
//! results in one message); other shapes are kept as given, text that is not JSON
//! becomes the content of one message. The system instructions are not added when the
//! messages already hold a system message (rig records both). A span named by an
//! `otel.name` field (genai names its spans `genai.*`) takes its name from that field
//! when no name field gives one. Fields recorded later with `Span::record` update the
//! span until it closes; the fields given when the span is created are applied before
//! the processors' `on_span_start`, so they see the span's name, model and input there.
//! An `error.type` field (rig: `gen_ai.tool.error.type`, or a
//! `gen_ai.tool.call.outcome` of `error` or `denied`), an `otel.status_code` of `ERROR`
//! (with `otel.status_description` as the message), or an ERROR-level event inside a
//! bridged span (the nearest one) sets its error: the event's message (else its `error`
//! field, as `#[instrument(err)]` records it, else `exception.message`), and the other
//! fields as data.
//!
//! Other spans are ignored: they cost a look at their field names when created and, while
//! a bridged span is alive somewhere in the process, a look at their extensions when
//! entered, left, recorded on or closed (with none alive, one atomic load). With
//! [`AgentsLayerBuilder::record_other_spans`] (and
//! [`other_spans_target`](AgentsLayerBuilder::other_spans_target) to pick targets) they
//! are recorded as custom spans named after the `tracing` span with their fields as data,
//! when they run inside a trace.
//!
//! # Parents and traces
//! Parents follow the `tracing` span tree, so spans stay right across `.await` points and
//! tokio tasks (`tracing::Instrument`, `#[instrument]`), with no
//! `in_current_context` needed. While a bridged span is entered it is the current span of
//! this library's context, so a span made with the library's helpers inside it nests under
//! it; a bridged span made inside a helper span (or inside `trace()`) nests under that.
//!
//! A mapped span with no trace around it (neither a bridged ancestor nor a current trace)
//! starts one, named after the outermost `tracing` span around it, or
//! [`DEFAULT_WORKFLOW_NAME`] (changed with [`AgentsLayerBuilder::workflow_name`]) when
//! it has none. With no `tracing` span around, the trace ends when the mapped span closes:
//! a framework's agent run, whose `invoke_agent` span holds its model and tool calls, is
//! one trace. Inside a span the layer does not map (a request handler, or the span a
//! framework such as rig records its run under instead of an agent span), that span holds
//! the trace and ends it when it closes, so the calls of one run share one trace rather
//! than making one each.
//!
//! Spans and ERROR events made inside a processor's own call (a processor whose
//! `on_span_start` is `#[instrument]`ed, the line the registry logs about a processor that
//! panicked) are the processor's, not the application's: they are not recorded (counted
//! in [`LayerStats::spans_in_processor_calls`]) and set no error, so a processor can never
//! feed itself through the layer (see `trace_core::registry::in_processor_call`).
//!
//! # Costs and guarantees
//! The layer never panics and never blocks: starting and ending a span hand it to the
//! processors, as the helpers do (the batch processor only enqueues), and nothing is
//! done while a `tracing` span's extensions are locked but changing the span's own data.
//! [`stats`] counts what it did, including what it left out.
//!
//! # Limits
//! - **Levels.** The layer filters nothing itself (a layer that says "not interested"
//!   without a filter of its own turns a callsite off for every other layer too), and
//!   gives no level hint: in a subscriber whose other layers all have per-layer filters,
//!   spans and events of every level are then built. Give the layer a filter of its own,
//!   e.g. `AgentsLayer::new().with_filter(LevelFilter::INFO)`, when that matters (GenAI
//!   libraries record their spans at `INFO`).
//! - **Scoped processors.** A bridged span goes to the processors of the thread it is
//!   created on (`trace_core::registry::set_default` scopes them to a thread); a child
//!   created on another thread (a tokio worker) goes to that thread's, which is the
//!   global one unless the task carries a scope of its own. Install processors globally
//!   when spans cross threads.
//! - **Closing across dispatchers.** tracing-subscriber closes a parent span through the
//!   thread's current dispatcher when its last child closes; under scoped dispatchers
//!   (`tracing::dispatcher::with_default`) a child closed after the scope ended can leave
//!   the parent open, and with it the span or trace the layer made for it.
//!
//! # Dependencies
//! `trace-core`, `serde_json`, `log`, and the `tracing` ecosystem's own libraries:
//! `tracing-core` (the `Subscriber` and field types) and `tracing-subscriber` with only
//! its `registry` feature (the `Layer` trait and per-span extensions; it brings
//! `sharded-slab` and `thread_local`). A program that uses `tracing` has them already.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod bridged;
mod builder;
mod classify;
mod entered;
mod layer;
mod messages;
mod stats;
mod visit;

pub use builder::{AgentsLayer, AgentsLayerBuilder, DEFAULT_WORKFLOW_NAME};
pub use stats::{stats, LayerStats};
