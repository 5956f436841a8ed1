//! Sends agent traces to any OpenTelemetry backend: [`OtlpSpanExporter`] speaks OTLP/HTTP,
//! protobuf encoded (the default) or JSON, gzipped or not, to an OpenTelemetry Collector,
//! or straight to a backend that takes OTLP (Jaeger, Tempo, Honeycomb, Datadog, Arize
//! Phoenix, W&B Weave, ...).
//!
//! **Should I use this crate?** When traces should go to an OpenTelemetry backend you
//! already run (a Collector, Jaeger, Tempo, Honeycomb, Datadog, Langfuse, ...). For
//! OpenAI's Traces dashboard use `trace-export-openai`. Through the facade it is
//! `agents_tracing::otlp` (feature `otlp`).
//!
//! Pair it with a processor that batches on a worker thread (`BatchTraceProcessor` from
//! `trace-batch`, or the `agents-tracing` facade with its `otlp` feature); for tests,
//! [`trace_core::SimpleTraceProcessor`] exports on the caller's thread. To send to OpenAI's
//! Traces dashboard instead, use `trace-export-openai`; both can run side by side through
//! `trace-multi`.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use trace_core::{ExportItem, FunctionSpanData, Span, SpanId, Timestamp, Trace, TraceId, TracingExporter};
//! use trace_export_otlp::{OtlpSpanExporter, WithHttpOptions};
//!
//! # let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port(); // closed below
//! let exporter = OtlpSpanExporter::builder()
//!     // Default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces,
//!     // else http://localhost:4318/v1/traces.
//!     .endpoint(format!("http://127.0.0.1:{port}/v1/traces"))
//!     .header("x-api-key", "secret") // added to OTEL_EXPORTER_OTLP_HEADERS
//!     .service_name("support-bot") // default: OTEL_SERVICE_NAME
//!     .max_attempts(2)
//!     .base_delay(Duration::from_millis(10))
//!     .proxy_from_env(false)
//!     .build()?;
//!
//! let trace = Arc::new(Trace::new(TraceId::generate(), "Order lookup").with_group_id("chat-42"));
//! let now = Timestamp::now();
//! let data = FunctionSpanData { name: "lookup_order".into(), ..Default::default() };
//! let span = Span::new(SpanId::generate(), Arc::clone(&trace), None, data).with_times(now, now);
//! let items = [ExportItem::Trace(trace), ExportItem::Span(Arc::new(span))];
//!
//! // The request body, without sending anything:
//! // (`render` gives the body as sent, protobuf by default; `render_json` the same in JSON.)
//! let body: serde_json::Value = serde_json::from_slice(&exporter.render_json(&items))?;
//! let otlp_span = &body["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
//! assert_eq!(otlp_span["name"], "execute_tool lookup_order"); // GenAI conventions' span name
//! assert_eq!(otlp_span["attributes"][0]["key"], "openai.agents.span_data.type");
//!
//! // Nothing listens on that port: both attempts are refused, and the error counts the loss.
//! let err = exporter.export(&items).unwrap_err();
//! assert_eq!(err.lost_items(items.len()), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it sends
//! `POST <endpoint>` with `Content-Type: application/x-protobuf` ([`Protocol::HttpProtobuf`],
//! the default) or `application/json` ([`Protocol::HttpJson`]), `Content-Encoding: gzip`
//! with [`Compression::Gzip`], [`USER_AGENT`] and the configured headers; the body is one
//! `ExportTraceServiceRequest`, the same in either encoding (the tests decode both and
//! compare): one
//! `ResourceSpans` (the resource: `service.name`, `telemetry.sdk.*`, the attributes of
//! `OTEL_RESOURCE_ATTRIBUTES` and the builder's) holding one `ScopeSpans` (scope
//! `agents-tracing`, this crate's version) with the batch's spans in queue order. Both
//! encodings are written straight from our spans, with no intermediate message tree: the
//! protobuf one with prost's wire primitives (the tests check that the bytes are those
//! prost writes for `opentelemetry-proto`'s generated message), the JSON one with serde (the encoding the OTLP specification fixes for JSON:
//! lowerCamelCase field names, ids as lowercase hex, enums as integers, 64-bit integers as
//! strings). User JSON (tool arguments, messages, metadata) becomes attribute strings through
//! [`trace_core::wire`], depth-limited, in both. A collector's partial success is read from
//! its reply in either encoding.
//!
//! # Traces and batches
//! OTLP has spans only, no trace object. The trace's own data (workflow name, group id,
//! metadata) goes onto each of its spans as attributes, and each span reaches it through
//! [`Span::trace`](trace_core::Span::trace): every span holds the `Arc<Trace>` it was
//! made in, so a trace whose spans arrive in several batches maps the same in each, with
//! no map from trace ids to trace data to keep (nor to bound, nor to miss when a trace
//! item was dropped or exported by another process).
//!
//! Each trace also becomes one span of its own, the root of its trace in the backend: the
//! exporter [wants trace ends](trace_core::TracingExporter::wants_trace_ends), so the
//! processors offer a trace again when it ends
//! ([`ExportItem::TraceEnd`](trace_core::ExportItem::TraceEnd)), and that item is sent as a span named
//! after the workflow, from the trace's start to its end (`openai.agents.span_data.type`
//! = `trace`; the group id as `gen_ai.conversation.id`, or `session.id` under
//! OpenInference; the metadata). Every span without a parent is its child; its id is
//! derived from the trace id ([`otlp_root_span_id`]), so spans sent before their trace
//! ended name it already. A trace item offered at the start
//! ([`ExportItem::Trace`](trace_core::ExportItem::Trace)) sends nothing, even when the
//! trace has ended by the time it is exported, and a batch of
//! such items only succeeds without a request. A trace that never ends (the process died)
//! leaves its top-level spans with a parent the backend never receives.
//!
//! # Ids
//! A generated trace id (`trace_` and 32 hex digits) keeps its 32 digits as the OTLP trace
//! id; a generated span id (`span_` and 24 hex digits) keeps its last 16. A user-supplied
//! id of another form is hashed: 128-bit FNV-1a of its text for a trace, 64-bit for a
//! span. The same id always maps to the same OTLP id, so parent links match across
//! batches and processes; [`otlp_trace_id`] and [`otlp_span_id`] give the mapping, to
//! find a trace in the backend. The mapping is trace-core's ([`trace_core::w3c`], "Ids"),
//! the one its W3C `traceparent` headers use: the `parent-id` a process sends for a span is
//! the span id this exporter gives that span. Our ids are also sent as attributes
//! (`openai.agents.trace_id`, ...).
//!
//! # Traces continued from another process
//! A trace started from a W3C `traceparent` (`trace_core::TraceBuilder::traceparent`)
//! keeps the caller's trace id, and its root span is sent as a child of the caller's span:
//! `parentSpanId` is the `traceparent`'s `parent-id` and `flags` is 769 (the parent is
//! known to be remote, and the span is sampled). Every span of such a trace carries the
//! `tracestate` received as its `traceState`, as an OpenTelemetry SDK gives each span the
//! trace state of its context. A trace resumed from a saved `trace_core::TraceState` is not sent as a root
//! span again by the resuming process: the process that started it does, when it ends
//! there.
//!
//! # Mapping
//! Every span gets: `traceId`, `spanId`, `parentSpanId` (its trace's root span for a
//! top-level span), `flags` 257 (sampled, and the parent is known to be local; 769,
//! remote, for the root span of a trace continued from another process), `traceState` for
//! such a trace, `startTimeUnixNano` and `endTimeUnixNano` (our timestamps' nanoseconds), a `name`, a `kind`
//! (`SPAN_KIND_CLIENT` = 3 for calls to a model or an MCP server, `SPAN_KIND_INTERNAL` = 1
//! otherwise: agents and tools run in-process, as the GenAI conventions say for them), and
//! `status` `{code: 2 (ERROR), message}` when the span has an error.
//!
//! The attributes follow one of two conventions, chosen by
//! [`profile`](OtlpSpanExporterBuilder::profile):
//! - [`Profile::GenAi`] (the default): the OpenTelemetry GenAI semantic conventions, version
//!   [`SEMCONV_VERSION`] (1.41.0; the conventions are still in development status), with
//!   [`SEMCONV_SCHEMA_URL`] as the `schemaUrl` of the scope's spans. For Datadog, Langfuse,
//!   LangSmith and other backends that read `gen_ai.*`.
//! - [`Profile::OpenInference`]: OpenInference's semantic conventions (its
//!   `spec/semantic_conventions.md`, as of late 2025), for Phoenix, Arize and Weave; no
//!   schema URL.
//!
//! **Content capture.** Message content may hold personal data, so it is only sent when
//! [`capture_message_content(true)`](OtlpSpanExporterBuilder::capture_message_content) or
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true` turns it on; it is off by
//! default, as the GenAI conventions say. Without it no input or output messages, no system
//! instructions, no tool arguments or results and no transcribed or spoken text are sent,
//! under either profile; model names, token counts, agent and tool names, ids and errors
//! are. Content is JSON text in attribute values (OTLP attributes here are scalars and
//! arrays), built through `trace_core::wire`, so nesting is cut at its depth limit.
//!
//! **Both profiles** send: `openai.agents.span_data.type` (our span type),
//! `openai.agents.workflow.name`, `openai.agents.group_id`, `openai.agents.trace_id`,
//! `openai.agents.span_id`, `openai.agents.parent_id`, each trace metadata entry as
//! `openai.agents.trace.metadata.<key>`; after the per-type attributes, the metadata of
//! agent, task and turn data as `sd.metadata.<key>` (`sd.` standing for
//! `openai.agents.span_data.`), and for a span with an error `error.type` (the `type`
//! string of the error's data, else `_OTHER`) and `openai.agents.error.data` (JSON text).
//! The span names are the same under both: the conventions' `invoke_agent {agent}`,
//! `execute_tool {tool}`, `chat {model}` (the operation alone when the name or model is
//! unknown), and `type: detail` for span types the conventions do not cover.
//!
//! **GenAI profile**: `gen_ai.conversation.id` (the group id) on every span, then per type
//! (content-capture attributes marked with *):
//!
//! | span type | name | attributes |
//! |---|---|---|
//! | agent | `invoke_agent Triage` | `gen_ai.operation.name` = `invoke_agent`, `gen_ai.provider.name` = `openai`, `gen_ai.agent.name`, `sd.handoffs`, `sd.tools` (string arrays), `sd.output_type` |
//! | function | `execute_tool lookup_order` | `gen_ai.operation.name` = `execute_tool`, `gen_ai.tool.name`, `gen_ai.tool.type` = `function`, `gen_ai.tool.call.arguments`* (the input, JSON text as given), `gen_ai.tool.call.result`* (the output), `sd.mcp_data.<key>` |
//! | generation | `chat gpt-4o-mini` | `gen_ai.operation.name` = `chat`, `gen_ai.provider.name` = `openai`, `gen_ai.request.model`, `gen_ai.request.{temperature, top_p, top_k, max_tokens, frequency_penalty, presence_penalty, seed, stop_sequences}` from the model config, in the conventions' types (`temperature: 1` is the double 1.0, `stop: "END"` the array `["END"]`; other keys as `sd.model_config.<key>`), usage (below), `gen_ai.input.messages`* and `gen_ai.output.messages`* (the Chat Completions messages in the conventions' JSON shape: `[{"role", "parts": [{"type": "text", "content"}, {"type": "tool_call", "id", "name", "arguments"}, {"type": "tool_call_response", "id", "result"}, ...]}]`; a system message stays in the history, as the conventions say; each output message has the `finish_reason` the conventions require: the message's own, else `tool_call` when it calls a tool, else `stop`) |
//! | response | `chat gpt-4o` (the model of the raw response, when known) | `gen_ai.operation.name` = `chat`, `gen_ai.provider.name` = `openai`, `gen_ai.response.id`, `gen_ai.response.model`, usage, `gen_ai.input.messages`* (the Responses API input items), `gen_ai.output.messages`* (the response's `output` items as one assistant message: one choice; its `finish_reason` `length` or `content_filter` for an incomplete response, `error` for a failed one, else as for a generation), `gen_ai.system_instructions`* (the response's `instructions`) |
//! | handoff | `handoff: Triage -> Billing` | `sd.from_agent`, `sd.to_agent` |
//! | custom | `custom: plan` | `sd.name`, each data entry as `sd.data.<key>` |
//! | guardrail | `guardrail: no_pii` | `sd.name`, `sd.triggered` (bool) |
//! | transcription | `transcription: whisper-1` | `gen_ai.request.model`, model config as for generation, `sd.input.format`, `sd.output`* (the text) |
//! | speech | `speech: tts-1` | `gen_ai.request.model`, model config, `sd.input`* (the text), `sd.output.format`, `sd.first_content_at` |
//! | speech_group | `speech_group` | `sd.input`* |
//! | mcp_tools | `mcp_tools: files` | `mcp.method.name` = `tools/list`, `sd.server`, `sd.result` (string array) |
//! | task | `task: Answer` | `sd.name`, usage entries as `sd.usage.<key>` |
//! | turn | `turn: 2 (Triage)` | `sd.turn` (int), `gen_ai.agent.name`, usage entries as `sd.usage.<key>` |
//!
//! Usage of a model call: `gen_ai.usage.input_tokens` (from `input_tokens` or
//! `prompt_tokens`), `gen_ai.usage.output_tokens` (`output_tokens` or
//! `completion_tokens`), `gen_ai.usage.cache_read.input_tokens` (`cached_tokens` of
//! `input_tokens_details` or `prompt_tokens_details`),
//! `gen_ai.usage.reasoning.output_tokens` (`reasoning_tokens` of `output_tokens_details` or
//! `completion_tokens_details`); the other keys (`total_tokens`, the detail maps whole)
//! as `sd.usage.<key>`. The provider is always `openai`: generation and response spans
//! record calls to OpenAI's Chat Completions and Responses APIs, and the conventions ask
//! for the instrumentation's best knowledge (an OpenAI-compatible endpoint of another
//! provider is still told apart by `gen_ai.request.model` / `gen_ai.response.model`).
//!
//! **OpenInference profile**: `session.id` (the group id) and `metadata` (the trace
//! metadata as JSON text) on every span, `openinference.span.kind` per type, then:
//!
//! | span type | `openinference.span.kind` | attributes |
//! |---|---|---|
//! | agent | `AGENT` | `agent.name`, `sd.handoffs`, `sd.tools`, `sd.output_type` |
//! | function | `TOOL` | `tool.name`, `input.value`* (the arguments), `output.value`* (the result), each with its `*.mime_type` (`application/json` for a JSON object or array, else `text/plain`), `sd.mcp_data.<key>` |
//! | generation | `LLM` | `llm.model_name`, `llm.provider` and `llm.system` = `openai`, `llm.invocation_parameters` (the model config as JSON text), token counts (below), `input.value`* / `output.value`* (the messages as JSON text), `llm.input_messages.N.message.{role, content, tool_call_id}`* and `llm.output_messages.N.message.{role, content, tool_calls.M.tool_call.{id, function.name, function.arguments}}`* |
//! | response | `LLM` | `llm.model_name` (from the raw response), `llm.provider`, `llm.system`, `sd.response_id` (OpenInference has no key for it), token counts, `input.value`* (the input items), `output.value`* (the response's `output` items), `llm.input_messages.*`* (the `instructions` first, as a system message), `llm.output_messages.*`* |
//! | transcription, speech | `LLM` | `llm.model_name`, `llm.provider`, `llm.system`, `llm.invocation_parameters`, `output.value`* (transcribed text) or `input.value`* (text to speak), and `sd.input.format`, `sd.output.format`, `sd.first_content_at` (the texts are not also sent as `sd.*`) |
//! | guardrail | `GUARDRAIL` | as under GenAI |
//! | task, turn, handoff, custom, speech_group, mcp_tools | `CHAIN` | as under GenAI, with `agent.name` for a turn's agent and `input.value`* for a speech group's text |
//!
//! Token counts: `llm.token_count.prompt`, `llm.token_count.completion`,
//! `llm.token_count.total` (`total_tokens`, else their sum),
//! `llm.token_count.prompt_details.cache_read`,
//! `llm.token_count.completion_details.reasoning`, from the same keys as under GenAI;
//! other usage keys as `sd.usage.<key>`.
//!
//! JSON values become attributes as themselves when scalar (integers as `intValue`), as
//! arrays when all elements are scalars of one type, and as JSON text otherwise; nulls are
//! left out. Audio bytes (transcription input, speech output) are never sent, nor is the
//! raw response of a response span beyond its model, `output` and `instructions`. Token
//! usage of task and turn spans stays under `sd.usage.*`, so that backends summing
//! `gen_ai.usage.*` or `llm.token_count.*` count each model call once.
//!
//! # Configuration
//! One difference from the OpenTelemetry SDKs comes first: headers (from the variables
//! too) with a plain `http://` endpoint off this machine make `build` fail with
//! [`BuildError::InsecureEndpoint`] (see [Security](#security)); such a deployment
//! uses `https://`, or opts in in code with
//! [`allow_insecure_http(true)`](WithHttpOptions::allow_insecure_http).
//!
//! Read by [`OtlpSpanExporterBuilder::build`], the builder's settings winning:
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (`/v1/traces` appended to its path, before a query), `OTEL_EXPORTER_OTLP_TRACES_HEADERS`
//! else `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,...`, percent-decoded; an entry without a
//! key or without a value is left out with a warning that never shows it; the traces variable
//! replaces the generic one whole, as in the OpenTelemetry SDKs),
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` (dropped whole, with a warning, when an
//! entry is malformed), `OTEL_EXPORTER_OTLP_TIMEOUT` and
//! `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` (the export budget, in milliseconds; `0` is no
//! limit; a budget above 10 s also lets one attempt wait that long for the answer),
//! `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` and `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`,
//! `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` and `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` or
//! `http/json`; [`protocol`](OtlpSpanExporterBuilder::protocol); default `http/protobuf`),
//! `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION` and `OTEL_EXPORTER_OTLP_COMPRESSION` (`none` or
//! `gzip`; [`compression`](OtlpSpanExporterBuilder::compression); default `none`). Of each
//! pair the `TRACES_` variable wins. A value this exporter does not know (`grpc`, `zstd`,
//! ...) is warned about and skipped, and the next source applies.
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` (`true` or `false`) turns message
//! content capture on or off. `OTEL_EXPORTER_OTLP_CERTIFICATE` (the certificates to trust,
//! in place of the bundled webpki roots: a private CA),
//! `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `OTEL_EXPORTER_OTLP_CLIENT_KEY` (mutual
//! TLS), and their `TRACES_` forms, name PEM files read by `build()` for an `https://`
//! endpoint (the builder's [`certificate_file`](WithHttpOptions::certificate_file),
//! [`client_certificate_file`](WithHttpOptions::client_certificate_file) and
//! [`client_key_file`](WithHttpOptions::client_key_file) win over them).
//!
//! # Retries and time limits
//! As the OTLP specification says: 429, 502, 503 and 504 are retried, and so are network
//! errors and timeouts; any other status is not (it is logged with the collector's
//! message). A `Retry-After` (seconds or an HTTP date) is honoured. Between attempts the
//! exporter backs off exponentially with jitter (from 1 s, doubling up to 5 s, each sleep
//! drawn between half and one and a half times the delay), up to 5 attempts in all, and
//! one export never takes longer than its budget (10 s by default). The same setters as
//! the OpenAI exporter's ([`WithHttpOptions`]) change them: [`max_attempts`](WithHttpOptions::max_attempts),
//! [`base_delay`](WithHttpOptions::base_delay), [`export_budget`](WithHttpOptions::export_budget), ...
//! the defaults here are connect 5 s, send, response and body 10 s each; a budget above
//! 10 s (the variable's or [`export_budget`](WithHttpOptions::export_budget)'s) raises those
//! three to it while they are at 10 s (a phase set to exactly 10 s counts as the default),
//! and a budget of zero is [`trace_http::NO_LIMIT`]. A sleep that would end past it is not
//! started. A 2xx answer with a partial success that rejects spans is not
//! retried; the export reports the rejected count. As the specification's size limits
//! ask: an answer over [`MAX_OTLP_REPLY_BODY`] (4 MiB) fails the export without a retry
//! (counted in [`ExporterStats::reply_too_large`]), and a body over
//! [`max_request_bytes`](OtlpSpanExporterBuilder::max_request_bytes) (64 MiB before
//! compression) is not sent (counted in [`ExporterStats::too_large`]).
//! [`TracingExporter::shutdown`], from any
//! thread, interrupts a backoff sleep at once and makes a running export give up after
//! the request in flight. Warnings are rate-limited (one line per 10 s per kind, with the
//! number held back).
//!
//! # Requests in flight
//! As the OpenAI exporter, it asks a batch processor for two exports at once
//! ([`TracingExporter::concurrent_exports`] is 2; the second when the processor falls
//! behind), each request on its own pooled connection; `max_concurrent_exports(1)` on the
//! processor sends one at a time.
//!
//! # Security
//! Every configured header counts as a credential (`Authorization`, `x-honeycomb-team`,
//! `dd-api-key`, ...): `Debug` output of the builder and the exporter shows header names
//! only; text from the collector or from ureq is scrubbed of header values, the
//! endpoint's user info and query, and key-like tokens **whole, before any cut** (see
//! [`trace_http::Secrets`]). With headers configured, `build` refuses a plain `http://`
//! endpoint off this machine ([`BuildError::InsecureEndpoint`]) unless
//! [`allow_insecure_http`](WithHttpOptions::allow_insecure_http) opts in (an endpoint on
//! this machine never goes through a proxy); without
//! headers, plain http anywhere is fine (a collector in the same cluster). Proxies come
//! from the variables of the endpoint's scheme, then `ALL_PROXY` (see
//! [`trace_http::proxy_for`]). ureq
//! itself logs request headers redacted, except at TRACE level for its `ureq_proto`
//! target, where it dumps the raw bytes of each request in 16-byte rows, headers
//! included: keep that target below TRACE in production.
//!
//! # Errors
//! [`TracingExporter::export`] returns [`trace_core::ExportError`] with the number of items
//! not delivered; [`OtlpSpanExporterBuilder::build`] returns [`BuildError`].
//!
//! # Crate features
//! - `rustls` (on by default): HTTPS through rustls with the webpki root certificates
//!   (ureq's `rustls` feature, through `trace-http`'s), or the certificates of
//!   [`certificate_file`](WithHttpOptions::certificate_file). Without it only `http://`
//!   endpoints work, for a collector on the local network, and no TLS code is built.
//!
//! The HTTP side (options shared through [`WithHttpOptions`], retries, budget, scrubbing,
//! proxy and plain-http checks, [`ExporterStats`]) is `trace-http`'s export engine, shared
//! with the OpenAI exporter; this crate keeps its policy and its body encoding.
//!
//! # Dependencies
//! `trace-core`, `trace-http` (the export engine; it brings `ureq` with no default
//! features, so no gzip and no cookies, and `fastrand` for the jitter), `serde`,
//! `serde_json`, `log`, and for the wire formats:
//! - `prost` (with its `derive`, for the collector's reply): the protobuf wire format. The
//!   body is written with `prost::encoding` (keys, varints, lengths) field by field from
//!   our spans, in the layout of the OTLP `.proto` files; `opentelemetry-proto`, the
//!   schema from the OpenTelemetry project, is a dev-dependency that checks it: the tests
//!   decode every body with its generated types and compare prost's encoding of the result
//!   byte for byte. The first version built those generated types and let prost encode
//!   them; that cost a copy of every string and an allocation per attribute, and made the
//!   protobuf body slower to write than the JSON one (2234 against 1608 ns per span,
//!   medians of the bench below), and it brought `opentelemetry` and `opentelemetry_sdk`
//!   (with `futures-*`, `rand`, `zerocopy`, ...) into the build for code that never ran.
//!   `prost-derive` brings `anyhow`, `itertools` and `either` (compile time only).
//! - `flate2` with its `rust_backend` (`miniz_oxide`, `adler2`, `simd-adler32`, `crc32fast`):
//!   gzip in pure Rust, no C library to build or link, the most used gzip crate. It runs at
//!   level 1: level 6 took about 4 µs per span of the bench below, level 1 about 1 µs, for
//!   a body 24% larger (6.3 KB against 5.1 KB).
//!
//! In all, `cargo tree -p trace-export-otlp -e normal` names 47 distinct crates, this one
//! included: 37 before the wire formats were added, 66 while `opentelemetry-proto` was a
//! normal dependency.
//!
//! Speed (`cargo bench -p trace-export-otlp --bench encode`: a 128-span batch of model,
//! tool and agent spans, mapping included, interleaved rounds on a noisy 2-core machine,
//! ns per span, min / median / max of 21 rounds; measured 2026-12-02): see BENCHMARKS.md
//! for the figures and the end-to-end run against opentelemetry-otlp. The JSON body stays
//! written by hand rather than through the generated types' serde support, which writes a
//! larger body and needs the message built first.
//!
//! [`TracingExporter::shutdown`]: trace_core::TracingExporter::shutdown
//! [`TracingExporter::export`]: trace_core::TracingExporter::export

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod config;
mod env;
mod exporter;
mod ids;
mod json;
mod mapping;
mod policy;
mod protobuf;
mod protocol;
mod records;
mod settings;

pub use config::{EndpointSource, OtlpSpanExporterBuilder, DEFAULT_ENDPOINT, DEFAULT_MAX_REQUEST_BYTES, USER_AGENT};
pub use exporter::OtlpSpanExporter;
pub use ids::{otlp_root_span_id, otlp_span_id, otlp_trace_id};
pub use mapping::{Profile, SEMCONV_SCHEMA_URL, SEMCONV_VERSION};
pub use policy::MAX_OTLP_REPLY_BODY;
pub use protocol::{Compression, Protocol};
pub use trace_core::{ExportError, TracingExporter};
pub use trace_http::{BuildError, ExporterStats, PreparedRequest, WithHttpOptions};
