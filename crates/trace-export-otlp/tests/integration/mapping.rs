//! One request holding every span type, received by the server, decoded with the OTLP
//! schema and checked field by field; the same request in every protocol and compression.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::Span as ProtoSpan;
use serde_json::json;
use trace_core::span_data::JsonMap;
use trace_core::{
    AgentSpanData, CustomSpanData, ExportItem, FunctionSpanData, GenerationSpanData, GuardrailSpanData,
    HandoffSpanData, McpListToolsSpanData, ResponseSpanData, Span, SpanData, SpanError, SpanId, SpeechGroupSpanData,
    SpeechSpanData, TaskSpanData, Timestamp, Trace, TraceId, TracingExporter, TranscriptionSpanData, TurnSpanData,
};
use trace_export_otlp::{
    otlp_root_span_id, otlp_span_id, otlp_trace_id, Compression, Profile, Protocol, SEMCONV_SCHEMA_URL,
};

use crate::{boolean, builder, decode, double, has, hex, int, spans, string, strings, traces_url};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use test_support::server::{Reply, TestServer};

fn map(v: serde_json::Value) -> JsonMap {
    v.as_object().cloned().expect("an object")
}

const T0: u64 = 1_741_694_400_123_456_789;

/// A span with fixed times: start `T0 + i µs`, one millisecond long.
fn span(trace: &Arc<Trace>, id: SpanId, parent: Option<&SpanId>, i: u64, data: impl Into<SpanData>) -> Span {
    let start = Timestamp::from_unix_nanos(T0 + i * 1_000);
    let end = Timestamp::from_unix_nanos(T0 + i * 1_000 + 1_000_000);
    Span::new(id, Arc::clone(trace), parent.cloned(), data).with_times(start, end)
}

struct Fixture {
    trace: Arc<Trace>,
    items: Vec<ExportItem>,
    /// The spans in the order they were queued.
    ours: Vec<Arc<Span>>,
}

fn fixture() -> Fixture {
    let trace = Arc::new(
        Trace::new(TraceId::generate(), "Customer support")
            .with_group_id("chat-42")
            .with_metadata(map(json!({"tenant": "acme", "priority": 2, "agent_harness_id": "h-1"}))),
    );
    let agent_id = SpanId::generate();
    // A user-supplied span id, hashed; its child links to the hash.
    let tool_id = SpanId::from_string("tool-call-1");
    let task_id = SpanId::generate();
    let turn_id = SpanId::generate();
    let t = &trace;
    let spans: Vec<Span> = vec![
        span(
            t,
            task_id.clone(),
            None,
            0,
            TaskSpanData {
                name: "Answer".into(),
                usage: Some(Box::new(map(json!({"input_tokens": 100, "output_tokens": 200})))),
                metadata: Some(Box::new(map(json!({"run": "r1"})))),
            },
        ),
        span(
            t,
            turn_id.clone(),
            Some(&task_id),
            1,
            TurnSpanData {
                turn: 2,
                agent_name: "Triage".into(),
                usage: Some(Box::new(map(json!({"requests": 1})))),
                metadata: None,
            },
        ),
        span(
            t,
            agent_id.clone(),
            Some(&turn_id),
            2,
            AgentSpanData {
                name: "Triage".into(),
                handoffs: Some(vec!["Billing".into()]),
                tools: Some(vec!["lookup_order".into(), "refund".into()]),
                output_type: Some("str".into()),
                metadata: Some(Box::new(map(json!({"team": "support"})))),
            },
        ),
        span(
            t,
            tool_id.clone(),
            Some(&agent_id),
            3,
            FunctionSpanData {
                name: "lookup_order".into(),
                input: Some(r#"{"id":42}"#.into()),
                output: Some("shipped".into()),
                mcp_data: Some(Box::new(map(json!({"server": "orders"})))),
            },
        )
        .with_error(SpanError::new("Tool failed").with_data(map(json!({"type": "ToolTimeout", "after_s": 3})))),
        span(
            t,
            SpanId::generate(),
            Some(&tool_id),
            4,
            GenerationSpanData {
                input: Some(vec![
                    json!({"role": "system", "content": "Be brief."}),
                    json!({"role": "user", "content": "where is my order?"}),
                ]),
                output: Some(vec![json!({
                    "role": "assistant",
                    "content": "checking",
                    "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": "{\"id\":42}"}}]
                })]),
                model: Some("gpt-4o-mini".into()),
                model_config: Some(Box::new(map(json!({"temperature": 0.2, "max_tokens": 100, "reasoning_effort": "low"})))),
                usage: Some(Box::new(map(json!({
                    "prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46,
                    "prompt_tokens_details": {"cached_tokens": 4}, "completion_tokens_details": {"reasoning_tokens": 7}
                })))),
            },
        ),
        span(
            t,
            SpanId::generate(),
            Some(&agent_id),
            5,
            ResponseSpanData {
                response_id: Some("resp_123".into()),
                usage: Some(Box::new(map(json!({
                    "input_tokens": 5, "output_tokens": 6,
                    "input_tokens_details": {"cached_tokens": 1}, "output_tokens_details": {"reasoning_tokens": 2}
                })))),
                response: Some(Box::new(json!({
                    "id": "resp_123",
                    "model": "gpt-4o-2024-08-06",
                    "instructions": "Be polite.",
                    "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "On its way."}]}],
                    "secret": "raw-response"
                }))),
                input: Some(Box::new(json!([{"role": "user", "content": "Is order 42 late?"}]))),
            },
        ),
        span(
            t,
            SpanId::generate(),
            Some(&agent_id),
            6,
            HandoffSpanData { from_agent: Some("Triage".into()), to_agent: Some("Billing".into()) },
        ),
        span(
            t,
            SpanId::generate(),
            Some(&agent_id),
            7,
            CustomSpanData {
                name: "plan".into(),
                data: map(
                    json!({"steps": 3, "kind": "fast", "ratio": 0.5, "tags": ["a", "b"], "nested": {"x": 1}, "skip": null}),
                )
                .into(),
            },
        ),
        span(t, SpanId::generate(), Some(&agent_id), 8, GuardrailSpanData { name: "no_pii".into(), triggered: true })
            .with_error(SpanError::new("Guardrail tripped").with_data(map(json!({"reason": "pii"})))),
        span(
            t,
            SpanId::generate(),
            Some(&agent_id),
            9,
            TranscriptionSpanData {
                input: Some("QVVESU9fSU4=".into()),
                input_format: Some("pcm".into()),
                output: Some("hello there".into()),
                model: Some("whisper-1".into()),
                model_config: Some(Box::new(map(json!({"language": "en"})))),
            },
        ),
        span(
            t,
            SpanId::generate(),
            Some(&agent_id),
            10,
            SpeechSpanData {
                input: Some("hello back".into()),
                output: Some("QVVESU9fT1VU".into()),
                output_format: Some("pcm".into()),
                model: Some("tts-1".into()),
                model_config: Some(Box::new(map(json!({"voice": "alloy", "top_p": 0.9})))),
                first_content_at: Some("2025-03-11T12:00:00.5+00:00".into()),
            },
        ),
        span(t, SpanId::generate(), Some(&agent_id), 11, SpeechGroupSpanData { input: Some("hello back".into()) }),
        span(
            t,
            SpanId::generate(),
            Some(&agent_id),
            12,
            McpListToolsSpanData { server: Some("files".into()), result: Some(vec!["read".into(), "write".into()]) },
        ),
    ];
    let ours: Vec<Arc<Span>> = spans.into_iter().map(Arc::new).collect();
    let mut items = vec![ExportItem::Trace(Arc::clone(&trace))];
    items.extend(ours.iter().cloned().map(ExportItem::Span));
    Fixture { trace, items, ours }
}

/// The common fields of every span.
fn check_common(otlp: &ProtoSpan, ours: &Span, i: u64, trace: &Trace) {
    let a = &otlp.attributes;
    assert_eq!(hex(&otlp.trace_id), otlp_trace_id(trace.trace_id()));
    assert_eq!(hex(&otlp.span_id), otlp_span_id(ours.span_id()));
    assert_eq!(otlp.trace_id.len(), 16);
    assert_eq!(otlp.span_id.len(), 8);
    match ours.parent_id() {
        Some(p) => assert_eq!(hex(&otlp.parent_span_id), otlp_span_id(p)),
        // A top-level span is a child of its trace's root span.
        None => assert_eq!(hex(&otlp.parent_span_id), otlp_root_span_id(trace.trace_id())),
    }
    assert_eq!(otlp.start_time_unix_nano, T0 + i * 1_000);
    assert_eq!(otlp.end_time_unix_nano, T0 + i * 1_000 + 1_000_000);
    assert_eq!(otlp.flags, 0x101);
    assert!(otlp.trace_state.is_empty() && otlp.events.is_empty() && otlp.links.is_empty());
    assert_eq!(string(a, "openai.agents.span_data.type"), ours.kind().as_str());
    assert_eq!(string(a, "openai.agents.workflow.name"), "Customer support");
    assert_eq!(string(a, "openai.agents.group_id"), "chat-42");
    assert_eq!(string(a, "openai.agents.trace_id"), trace.trace_id().to_string());
    assert_eq!(string(a, "openai.agents.span_id"), ours.span_id().to_string());
    match ours.parent_id() {
        Some(p) => assert_eq!(string(a, "openai.agents.parent_id"), p.to_string()),
        None => assert!(!has(a, "openai.agents.parent_id")),
    }
    assert_eq!(string(a, "openai.agents.trace.metadata.tenant"), "acme");
    assert_eq!(int(a, "openai.agents.trace.metadata.priority"), 2);
    assert_eq!(string(a, "openai.agents.trace.metadata.agent_harness_id"), "h-1");
    if ours.error().is_none() {
        assert_eq!(otlp.status, None, "{}", otlp.name);
        assert!(!has(a, "openai.agents.error.data"));
        assert!(!has(a, "error.type"));
    }
}

/// 64-bit FNV-1a, written out independently of the crate's.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn kind_of(s: &ProtoSpan) -> SpanKind {
    SpanKind::try_from(s.kind).expect("a known span kind")
}

/// Text that is message content in the fixture: never sent without content capture.
const CONTENT: [&str; 10] = [
    "where is my order?",
    "Be brief.",
    "checking",
    r#"{\"id\":42}"#,
    "shipped",
    "Is order 42 late?",
    "On its way.",
    "Be polite.",
    "hello there",
    "hello back",
];

/// What the server received for the fixture under `profile`, content capture `capture`:
/// the fixture, the parsed spans and the scope's schema URL.
struct Received {
    f: Fixture,
    got: Vec<ProtoSpan>,
    schema_url: String,
}

impl Received {
    fn get(profile: Profile, capture: bool) -> Self {
        let server = TestServer::always(Reply::ok());
        let exporter = builder(&traces_url(&server))
            .header("x-api-key", "otlp-secret-123")
            .service_name("support-bot")
            .profile(profile)
            .capture_message_content(capture)
            // JSON, so that the content checks below can read the body as text; the same
            // request in protobuf is checked by `protobuf_json_and_gzip_bodies_decode_to_the_same_request`.
            .protocol(Protocol::HttpJson)
            .build()
            .unwrap();
        let f = fixture();
        exporter.export(&f.items).unwrap();
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/traces"));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.header("x-api-key"), Some("otlp-secret-123"));
        assert!(r.header("User-Agent").unwrap().starts_with("agents-tracing/"));
        // The body is exactly what `render` shows.
        assert_eq!(r.body, exporter.render(&f.items));
        let text = String::from_utf8(r.body.clone()).unwrap();
        // Audio, the raw response's other fields and the credential: never, whatever the settings.
        for never in ["raw-response", "QVVESU9fSU4=", "QVVESU9fT1VU", "otlp-secret-123"] {
            assert!(!text.contains(never), "{never} was sent");
        }
        for content in CONTENT {
            assert_eq!(text.contains(content), capture, "{content:?} sent: {}, capture: {capture}", !capture);
        }

        let request = decode(r);
        assert_eq!(request.resource_spans.len(), 1);
        let rs = &request.resource_spans[0];
        let resource = &rs.resource.as_ref().expect("a resource").attributes;
        assert_eq!(string(resource, "service.name"), "support-bot");
        assert_eq!(string(resource, "telemetry.sdk.name"), "agents-tracing");
        assert_eq!(string(resource, "telemetry.sdk.language"), "rust");
        assert_eq!(string(resource, "telemetry.sdk.version"), env!("CARGO_PKG_VERSION"));
        assert_eq!(rs.scope_spans.len(), 1);
        let scope = rs.scope_spans[0].scope.as_ref().expect("a scope");
        assert_eq!((scope.name.as_str(), scope.version.as_str()), ("agents-tracing", env!("CARGO_PKG_VERSION")));
        let schema_url = rs.scope_spans[0].schema_url.clone();

        let got = spans(&request);
        assert_eq!(got.len(), f.ours.len(), "one OTLP span per span, none for the trace item");
        for (i, (otlp, ours)) in got.iter().zip(&f.ours).enumerate() {
            check_common(otlp, ours, i as u64, &f.trace);
        }
        crate::logger::LOG.assert_never_logged("otlp-secret-123");
        Received { f, got, schema_url }
    }

    /// The attributes of the span of type `kind`, after checking its name and span kind.
    fn expect_span(&self, kind: &str, name: &str, span_kind: SpanKind) -> &[KeyValue] {
        let (s, a) = self.by_type(kind);
        assert_eq!((s.name.as_str(), kind_of(s)), (name, span_kind), "{kind}");
        a
    }

    fn by_type(&self, kind: &str) -> (&ProtoSpan, &[KeyValue]) {
        let i = self.f.ours.iter().position(|s| s.kind().as_str() == kind).unwrap();
        (&self.got[i], &self.got[i].attributes)
    }
}

/// An OTLP/JSON body (`render_json`), parsed with the schema.
fn parse(body: &[u8]) -> opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
    serde_json::from_slice(body).expect("an OTLP/JSON ExportTraceServiceRequest")
}

/// A JSON text attribute, parsed.
fn json_attr(a: &[KeyValue], key: &str) -> serde_json::Value {
    serde_json::from_str(&string(a, key)).unwrap_or_else(|e| panic!("{key} is not JSON: {e}"))
}

/// `keys` are all absent.
fn none_of(a: &[KeyValue], keys: &[&str]) {
    for key in keys {
        assert!(!has(a, key), "{key} is there");
    }
}

/// The spans with no message content, the same under both profiles apart from the
/// profile's own keys, checked field by field.
fn check_shared(r: &Received) {
    // task: aggregated usage is not counted again
    let a = r.expect_span("task", "task: Answer", SpanKind::Internal);
    assert_eq!(string(a, "openai.agents.span_data.name"), "Answer");
    assert_eq!(int(a, "openai.agents.span_data.usage.input_tokens"), 100);
    assert_eq!(int(a, "openai.agents.span_data.usage.output_tokens"), 200);
    none_of(a, &["gen_ai.usage.input_tokens", "llm.token_count.prompt"]);
    assert_eq!(string(a, "openai.agents.span_data.metadata.run"), "r1");

    // turn
    let a = r.expect_span("turn", "turn: 2 (Triage)", SpanKind::Internal);
    assert_eq!(int(a, "openai.agents.span_data.turn"), 2);
    assert_eq!(int(a, "openai.agents.span_data.usage.requests"), 1);

    // handoff
    let a = r.expect_span("handoff", "handoff: Triage -> Billing", SpanKind::Internal);
    assert_eq!(string(a, "openai.agents.span_data.from_agent"), "Triage");
    assert_eq!(string(a, "openai.agents.span_data.to_agent"), "Billing");

    // custom
    let a = r.expect_span("custom", "custom: plan", SpanKind::Internal);
    assert_eq!(string(a, "openai.agents.span_data.name"), "plan");
    assert_eq!(int(a, "openai.agents.span_data.data.steps"), 3);
    assert_eq!(string(a, "openai.agents.span_data.data.kind"), "fast");
    assert_eq!(double(a, "openai.agents.span_data.data.ratio"), 0.5);
    assert_eq!(strings(a, "openai.agents.span_data.data.tags"), ["a", "b"]);
    assert_eq!(string(a, "openai.agents.span_data.data.nested"), r#"{"x":1}"#);
    assert!(!has(a, "openai.agents.span_data.data.skip"), "nulls are left out");

    // guardrail, with an error whose data names no type
    let a = r.expect_span("guardrail", "guardrail: no_pii", SpanKind::Internal);
    let s = r.by_type("guardrail").0;
    assert_eq!(string(a, "openai.agents.span_data.name"), "no_pii");
    assert!(boolean(a, "openai.agents.span_data.triggered"));
    let status = s.status.as_ref().expect("an error status");
    assert_eq!(StatusCode::try_from(status.code).unwrap(), StatusCode::Error);
    assert_eq!(status.message, "Guardrail tripped");
    assert_eq!(string(a, "openai.agents.error.data"), r#"{"reason":"pii"}"#);
    assert_eq!(string(a, "error.type"), "_OTHER");

    // function: a user-supplied id hashed (FNV-1a 64 of its text); an error with a type
    let a = r.expect_span("function", "execute_tool lookup_order", SpanKind::Internal);
    let s = r.by_type("function").0;
    assert_eq!(hex(&s.span_id), format!("{:016x}", fnv1a_64(b"tool-call-1")));
    assert_eq!(string(a, "openai.agents.span_data.mcp_data.server"), "orders");
    assert_eq!(s.status.as_ref().expect("an error status").message, "Tool failed");
    assert_eq!(string(a, "error.type"), "ToolTimeout");
    assert_eq!(string(a, "openai.agents.error.data"), r#"{"type":"ToolTimeout","after_s":3}"#);

    // agent
    let a = r.expect_span("agent", "invoke_agent Triage", SpanKind::Internal);
    assert_eq!(strings(a, "openai.agents.span_data.handoffs"), ["Billing"]);
    assert_eq!(strings(a, "openai.agents.span_data.tools"), ["lookup_order", "refund"]);
    assert_eq!(string(a, "openai.agents.span_data.output_type"), "str");
    assert_eq!(string(a, "openai.agents.span_data.metadata.team"), "support");

    // generation: its parent is the function span with the custom id
    let a = r.expect_span("generation", "chat gpt-4o-mini", SpanKind::Client);
    let s = r.by_type("generation").0;
    assert_eq!(s.parent_span_id, r.by_type("function").0.span_id);
    // The old unconverted copies of the messages are gone in both profiles.
    none_of(a, &["openai.agents.span_data.input", "openai.agents.span_data.output"]);

    // response
    r.expect_span("response", "chat gpt-4o-2024-08-06", SpanKind::Client);

    // transcription: audio never sent
    let a = r.expect_span("transcription", "transcription: whisper-1", SpanKind::Client);
    assert_eq!(string(a, "openai.agents.span_data.input.format"), "pcm");
    assert!(!has(a, "openai.agents.span_data.input.data"));

    // speech
    let a = r.expect_span("speech", "speech: tts-1", SpanKind::Client);
    assert_eq!(string(a, "openai.agents.span_data.output.format"), "pcm");
    assert_eq!(string(a, "openai.agents.span_data.first_content_at"), "2025-03-11T12:00:00.5+00:00");

    // speech_group
    r.expect_span("speech_group", "speech_group", SpanKind::Internal);

    // mcp_tools
    let a = r.expect_span("mcp_tools", "mcp_tools: files", SpanKind::Client);
    assert_eq!(string(a, "mcp.method.name"), "tools/list");
    assert_eq!(string(a, "openai.agents.span_data.server"), "files");
    assert_eq!(strings(a, "openai.agents.span_data.result"), ["read", "write"]);
}

/// Every span type under the GenAI profile, field by field.
fn check_genai(r: &Received, capture: bool) {
    assert_eq!(r.schema_url, SEMCONV_SCHEMA_URL);
    assert!(SEMCONV_SCHEMA_URL.starts_with("https://opentelemetry.io/schemas/1."));
    check_shared(r);
    for s in &r.got {
        assert_eq!(string(&s.attributes, "gen_ai.conversation.id"), "chat-42", "{}", s.name);
        none_of(&s.attributes, &["openinference.span.kind", "session.id", "llm.model_name", "input.value"]);
    }
    let content_keys = [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    ];
    if !capture {
        for s in &r.got {
            none_of(&s.attributes, &content_keys);
        }
    }

    let (_, a) = r.by_type("turn");
    assert_eq!(string(a, "gen_ai.agent.name"), "Triage");

    let (_, a) = r.by_type("agent");
    assert_eq!(string(a, "gen_ai.operation.name"), "invoke_agent");
    assert_eq!(string(a, "gen_ai.provider.name"), "openai", "required on agent spans");
    assert_eq!(string(a, "gen_ai.agent.name"), "Triage");

    let (_, a) = r.by_type("function");
    assert_eq!(string(a, "gen_ai.operation.name"), "execute_tool");
    assert_eq!(string(a, "gen_ai.tool.name"), "lookup_order");
    assert_eq!(string(a, "gen_ai.tool.type"), "function");
    if capture {
        assert_eq!(json_attr(a, "gen_ai.tool.call.arguments"), json!({"id": 42}));
        assert_eq!(string(a, "gen_ai.tool.call.result"), "shipped");
    }

    let (_, a) = r.by_type("generation");
    assert_eq!(string(a, "gen_ai.operation.name"), "chat");
    assert_eq!(string(a, "gen_ai.provider.name"), "openai");
    assert_eq!(string(a, "gen_ai.request.model"), "gpt-4o-mini");
    assert_eq!(double(a, "gen_ai.request.temperature"), 0.2);
    assert_eq!(int(a, "gen_ai.request.max_tokens"), 100);
    assert_eq!(string(a, "openai.agents.span_data.model_config.reasoning_effort"), "low");
    assert_eq!(int(a, "gen_ai.usage.input_tokens"), 12);
    assert_eq!(int(a, "gen_ai.usage.output_tokens"), 34);
    assert_eq!(int(a, "gen_ai.usage.cache_read.input_tokens"), 4);
    assert_eq!(int(a, "gen_ai.usage.reasoning.output_tokens"), 7);
    assert_eq!(int(a, "openai.agents.span_data.usage.total_tokens"), 46);
    none_of(a, &["openai.agents.span_data.usage.prompt_tokens", "openai.agents.span_data.usage.completion_tokens"]);
    if capture {
        assert_eq!(
            json_attr(a, "gen_ai.input.messages"),
            json!([
                {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
                {"role": "user", "parts": [{"type": "text", "content": "where is my order?"}]}
            ])
        );
        assert_eq!(
            json_attr(a, "gen_ai.output.messages"),
            json!([{"role": "assistant", "parts": [
                {"type": "text", "content": "checking"},
                {"type": "tool_call", "id": "call_1", "name": "lookup_order", "arguments": {"id": 42}}
            ], "finish_reason": "tool_call"}])
        );
        assert!(!has(a, "gen_ai.system_instructions"), "chat history keeps its system message");
    }

    let (_, a) = r.by_type("response");
    assert_eq!(string(a, "gen_ai.operation.name"), "chat");
    assert_eq!(string(a, "gen_ai.provider.name"), "openai");
    assert_eq!(string(a, "gen_ai.response.id"), "resp_123");
    assert_eq!(string(a, "gen_ai.response.model"), "gpt-4o-2024-08-06");
    assert_eq!(int(a, "gen_ai.usage.input_tokens"), 5);
    assert_eq!(int(a, "gen_ai.usage.output_tokens"), 6);
    assert_eq!(int(a, "gen_ai.usage.cache_read.input_tokens"), 1);
    assert_eq!(int(a, "gen_ai.usage.reasoning.output_tokens"), 2);
    assert_eq!(string(a, "openai.agents.span_data.usage.input_tokens_details"), r#"{"cached_tokens":1}"#);
    if capture {
        assert_eq!(
            json_attr(a, "gen_ai.input.messages"),
            json!([{"role": "user", "parts": [{"type": "text", "content": "Is order 42 late?"}]}])
        );
        assert_eq!(
            json_attr(a, "gen_ai.output.messages"),
            json!([{"role": "assistant", "parts": [{"type": "text", "content": "On its way."}], "finish_reason": "stop"}])
        );
        assert_eq!(json_attr(a, "gen_ai.system_instructions"), json!([{"type": "text", "content": "Be polite."}]));
    }

    let (_, a) = r.by_type("transcription");
    assert_eq!(string(a, "gen_ai.request.model"), "whisper-1");
    assert_eq!(string(a, "openai.agents.span_data.model_config.language"), "en");
    assert_eq!(has(a, "openai.agents.span_data.output"), capture);
    if capture {
        assert_eq!(string(a, "openai.agents.span_data.output"), "hello there");
    }

    let (_, a) = r.by_type("speech");
    assert_eq!(string(a, "gen_ai.request.model"), "tts-1");
    assert_eq!(double(a, "gen_ai.request.top_p"), 0.9);
    assert_eq!(string(a, "openai.agents.span_data.model_config.voice"), "alloy");
    assert_eq!(has(a, "openai.agents.span_data.input"), capture);
    if capture {
        assert_eq!(string(a, "openai.agents.span_data.input"), "hello back");
    }

    let (_, a) = r.by_type("speech_group");
    assert_eq!(has(a, "openai.agents.span_data.input"), capture);
}

/// Every span type under the OpenInference profile, field by field.
fn check_openinference(r: &Received, capture: bool) {
    assert_eq!(r.schema_url, "", "OpenInference has no OpenTelemetry schema");
    check_shared(r);
    for s in &r.got {
        let a = &s.attributes;
        assert_eq!(string(a, "session.id"), "chat-42", "{}", s.name);
        assert_eq!(
            json_attr(a, "metadata"),
            json!({"tenant": "acme", "priority": 2, "agent_harness_id": "h-1"}),
            "{}",
            s.name
        );
        assert!(!s.attributes.iter().any(|kv| kv.key.starts_with("gen_ai.")), "{}: {:?}", s.name, s.attributes);
        if !capture {
            assert!(
                !a.iter().any(|kv| kv.key.starts_with("input.")
                    || kv.key.starts_with("output.")
                    || kv.key.starts_with("llm.input_messages")
                    || kv.key.starts_with("llm.output_messages")),
                "{}: content without capture: {a:?}",
                s.name
            );
        }
    }
    let kind = |t: &str| string(r.by_type(t).1, "openinference.span.kind");
    for (t, k) in [
        ("task", "CHAIN"),
        ("turn", "CHAIN"),
        ("agent", "AGENT"),
        ("function", "TOOL"),
        ("generation", "LLM"),
        ("response", "LLM"),
        ("handoff", "CHAIN"),
        ("custom", "CHAIN"),
        ("guardrail", "GUARDRAIL"),
        ("transcription", "LLM"),
        ("speech", "LLM"),
        ("speech_group", "CHAIN"),
        ("mcp_tools", "CHAIN"),
    ] {
        assert_eq!(kind(t), k, "{t}");
    }

    let (_, a) = r.by_type("turn");
    assert_eq!(string(a, "agent.name"), "Triage");
    let (_, a) = r.by_type("agent");
    assert_eq!(string(a, "agent.name"), "Triage");

    let (_, a) = r.by_type("function");
    assert_eq!(string(a, "tool.name"), "lookup_order");
    if capture {
        assert_eq!(string(a, "input.value"), r#"{"id":42}"#);
        assert_eq!(string(a, "input.mime_type"), "application/json");
        assert_eq!(string(a, "output.value"), "shipped");
        assert_eq!(string(a, "output.mime_type"), "text/plain");
    }

    let (_, a) = r.by_type("generation");
    assert_eq!(string(a, "llm.model_name"), "gpt-4o-mini");
    assert_eq!(string(a, "llm.provider"), "openai");
    assert_eq!(string(a, "llm.system"), "openai");
    assert_eq!(
        json_attr(a, "llm.invocation_parameters"),
        json!({"temperature": 0.2, "max_tokens": 100, "reasoning_effort": "low"})
    );
    assert_eq!(int(a, "llm.token_count.prompt"), 12);
    assert_eq!(int(a, "llm.token_count.completion"), 34);
    assert_eq!(int(a, "llm.token_count.total"), 46);
    assert_eq!(int(a, "llm.token_count.prompt_details.cache_read"), 4);
    assert_eq!(int(a, "llm.token_count.completion_details.reasoning"), 7);
    none_of(a, &["openai.agents.span_data.usage.total_tokens", "openai.agents.span_data.usage.prompt_tokens"]);
    if capture {
        assert_eq!(string(a, "input.mime_type"), "application/json");
        assert_eq!(json_attr(a, "input.value")[1]["content"], "where is my order?");
        assert_eq!(string(a, "llm.input_messages.0.message.role"), "system");
        assert_eq!(string(a, "llm.input_messages.0.message.content"), "Be brief.");
        assert_eq!(string(a, "llm.input_messages.1.message.role"), "user");
        assert_eq!(string(a, "llm.input_messages.1.message.content"), "where is my order?");
        assert_eq!(json_attr(a, "output.value")[0]["content"], "checking");
        assert_eq!(string(a, "llm.output_messages.0.message.role"), "assistant");
        assert_eq!(string(a, "llm.output_messages.0.message.content"), "checking");
        let call = "llm.output_messages.0.message.tool_calls.0.tool_call.";
        assert_eq!(string(a, &format!("{call}id")), "call_1");
        assert_eq!(string(a, &format!("{call}function.name")), "lookup_order");
        assert_eq!(string(a, &format!("{call}function.arguments")), r#"{"id":42}"#);
    }

    let (_, a) = r.by_type("response");
    assert_eq!(string(a, "llm.model_name"), "gpt-4o-2024-08-06");
    assert_eq!(string(a, "openai.agents.span_data.response_id"), "resp_123");
    assert_eq!(int(a, "llm.token_count.prompt"), 5);
    assert_eq!(int(a, "llm.token_count.completion"), 6);
    assert_eq!(int(a, "llm.token_count.total"), 11, "summed when not given");
    assert_eq!(int(a, "llm.token_count.prompt_details.cache_read"), 1);
    assert_eq!(int(a, "llm.token_count.completion_details.reasoning"), 2);
    if capture {
        assert_eq!(json_attr(a, "input.value"), json!([{"role": "user", "content": "Is order 42 late?"}]));
        assert_eq!(string(a, "llm.input_messages.0.message.role"), "system");
        assert_eq!(string(a, "llm.input_messages.0.message.content"), "Be polite.");
        assert_eq!(string(a, "llm.input_messages.1.message.role"), "user");
        assert_eq!(string(a, "llm.input_messages.1.message.content"), "Is order 42 late?");
        assert_eq!(json_attr(a, "output.value")[0]["content"][0]["text"], "On its way.");
        assert_eq!(string(a, "llm.output_messages.0.message.role"), "assistant");
        assert_eq!(string(a, "llm.output_messages.0.message.content"), "On its way.");
    }

    let (_, a) = r.by_type("transcription");
    assert_eq!(string(a, "llm.model_name"), "whisper-1");
    assert_eq!(json_attr(a, "llm.invocation_parameters"), json!({"language": "en"}));
    assert_eq!(has(a, "output.value"), capture);
    if capture {
        assert_eq!(string(a, "output.value"), "hello there");
    }

    let (_, a) = r.by_type("speech");
    assert_eq!(string(a, "llm.model_name"), "tts-1");
    assert_eq!(json_attr(a, "llm.invocation_parameters"), json!({"voice": "alloy", "top_p": 0.9}));
    assert_eq!(has(a, "input.value"), capture);

    let (_, a) = r.by_type("speech_group");
    assert_eq!(has(a, "input.value"), capture);
}

/// Every span type, field by field, under each profile, content capture off (no message
/// content, tool arguments or results sent) and on (the messages in the GenAI
/// conventions' JSON shape, or OpenInference's values and flattened messages).
#[test]
fn every_span_type_maps_under_each_profile_with_content_capture_off_and_on() {
    for capture in [false, true] {
        check_genai(&Received::get(Profile::GenAi, capture), capture);
        check_openinference(&Received::get(Profile::OpenInference, capture), capture);
    }
}

#[test]
fn genai_is_the_default_profile_and_content_capture_is_off_by_default() {
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&traces_url(&server)).build().unwrap();
    let f = fixture();
    let text = String::from_utf8(exporter.render_json(&f.items)).unwrap();
    for content in CONTENT {
        assert!(!text.contains(content), "{content:?} sent by default");
    }
    let request = parse(text.as_bytes());
    assert_eq!(request.resource_spans[0].scope_spans[0].schema_url, SEMCONV_SCHEMA_URL);
    assert!(spans(&request).iter().all(|s| has(&s.attributes, "gen_ai.conversation.id")));
}

#[test]
fn user_json_in_content_is_cut_at_the_depth_limit() {
    // 100,000 levels, far deeper than trace-core's limit: the message content is cut, not
    // the export, and nothing copies or drops the value recursively on the way (that would
    // overflow this thread's stack and abort the test binary).
    let deep = || {
        let mut v = json!("bottom");
        for _ in 0..100_000 {
            v = serde_json::Value::Array(vec![v]);
        }
        v
    };
    // Put together by hand: `json!` would copy the value recursively.
    let object = |pairs: Vec<(&str, serde_json::Value)>| {
        serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    };
    let custom = || object(vec![("type", json!("custom")), ("v", deep())]);
    let trace = Arc::new(Trace::new(TraceId::generate(), "deep"));
    let data = GenerationSpanData {
        input: Some(vec![object(vec![("role", json!("user")), ("content", serde_json::Value::Array(vec![custom()]))])]),
        ..Default::default()
    };
    let response =
        ResponseSpanData { input: Some(Box::new(serde_json::Value::Array(vec![custom()]))), ..Default::default() };
    let items = [
        ExportItem::Span(Arc::new(Span::new(SpanId::generate(), Arc::clone(&trace), None, data))),
        ExportItem::Span(Arc::new(Span::new(SpanId::generate(), Arc::clone(&trace), None, response))),
    ];
    for profile in [Profile::GenAi, Profile::OpenInference] {
        let server = TestServer::always(Reply::ok());
        let exporter = builder(&traces_url(&server)).profile(profile).capture_message_content(true).build().unwrap();
        let body = exporter.render_json(&items);
        let got = spans(&parse(&body));
        assert_eq!(got.len(), 2, "{profile:?}");
        let key = if profile == Profile::GenAi { "gen_ai.input.messages" } else { "input.value" };
        for s in &got {
            let text = string(&s.attributes, key);
            assert!(!text.contains("bottom"), "{profile:?}: the depth limit cut nothing");
        }
    }
}
#[test]
fn spans_with_few_fields_still_parse() {
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&traces_url(&server)).build().unwrap();
    let trace = Arc::new(Trace::new(TraceId::from_string("my-own-trace"), ""));
    let bare: Vec<SpanData> = trace_core::SpanKind::ALL.into_iter().map(SpanData::empty).collect();
    let items: Vec<ExportItem> = bare
        .into_iter()
        .map(|d| ExportItem::Span(Arc::new(Span::new(SpanId::generate(), Arc::clone(&trace), None, d))))
        .collect();
    exporter.export(&items).unwrap();
    let request = decode(&server.wait_for(1, Duration::from_secs(5))[0]);
    let got = spans(&request);
    let names: Vec<&str> = got.iter().map(|s| s.name.as_str()).collect();
    // With no name, a span is named after its type; a turn always shows its number.
    let expected: Vec<&str> = trace_core::SpanKind::ALL
        .iter()
        .map(|kind| match kind {
            trace_core::SpanKind::Turn => "turn: 0",
            trace_core::SpanKind::Agent => "invoke_agent",
            trace_core::SpanKind::Function => "execute_tool",
            trace_core::SpanKind::Generation | trace_core::SpanKind::Response => "chat",
            other => other.as_str(),
        })
        .collect();
    assert_eq!(names, expected);
    for s in &got {
        // A custom trace id is hashed (128-bit FNV-1a of the text); spans never started have no times.
        assert_eq!(hex(&s.trace_id), otlp_trace_id(&TraceId::from_string("my-own-trace")));
        assert_eq!((s.start_time_unix_nano, s.end_time_unix_nano), (0, 0));
        assert!(!has(&s.attributes, "gen_ai.conversation.id"));
    }
}

/// Every protocol and compression sends the same `ExportTraceServiceRequest`: the fixture
/// with every span type, decoded from each body as its headers say, equals the OTLP/JSON
/// one (the encoding the field-by-field test above checks).
#[test]
fn protobuf_json_and_gzip_bodies_decode_to_the_same_request() {
    let server = TestServer::always(Reply::ok());
    let f = fixture();
    let encodings = [
        (Protocol::HttpJson, Compression::None, "application/json", None),
        (Protocol::HttpProtobuf, Compression::None, "application/x-protobuf", None),
        (Protocol::HttpProtobuf, Compression::Gzip, "application/x-protobuf", Some("gzip")),
        (Protocol::HttpJson, Compression::Gzip, "application/json", Some("gzip")),
    ];
    for (protocol, compression, _, _) in encodings {
        let exporter = builder(&traces_url(&server))
            .protocol(protocol)
            .compression(compression)
            .attribute_value_length_limit(Some(7))
            .build()
            .unwrap();
        assert_eq!((exporter.protocol(), exporter.compression()), (protocol, compression));
        exporter.export(&f.items).unwrap();
        let prepared = format!("{:?}", exporter.prepare_request(&f.items));
        assert!(prepared.contains(protocol.content_type()), "{prepared}");
        // What `render` shows is what was sent, byte for byte.
        assert_eq!(server.requests().last().unwrap().body, exporter.render(&f.items));
    }
    let requests = server.requests();
    assert_eq!(requests.len(), encodings.len());
    let decoded: Vec<_> = requests.iter().map(decode).collect();
    for ((r, request), (_, _, content_type, encoding)) in requests.iter().zip(&decoded).zip(encodings) {
        assert_eq!((r.header("Content-Type"), r.header("Content-Encoding")), (Some(content_type), encoding));
        assert_eq!(request, &decoded[0], "{content_type} {encoding:?} differs from the JSON body");
    }
    // Every span made it, with its attributes cut to the limit in every encoding.
    let got = spans(&decoded[1]);
    assert_eq!(got.len(), f.items.iter().filter(|i| i.as_span().is_some()).count());
    assert!(got.iter().all(|s| !s.attributes.is_empty()));
    // Gzip makes the body smaller.
    assert!(requests[2].body.len() < requests[1].body.len());
}

#[test]
fn token_counts_too_large_to_add_leave_the_total_out() {
    let trace = Arc::new(Trace::new(TraceId::generate(), "tokens"));
    let data = GenerationSpanData {
        usage: Some(Box::new(map(json!({"input_tokens": i64::MAX, "output_tokens": 1})))),
        ..Default::default()
    };
    let items = [ExportItem::Span(Arc::new(Span::new(SpanId::generate(), trace, None, data)))];
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&traces_url(&server)).profile(Profile::OpenInference).build().unwrap();
    let got = spans(&parse(&exporter.render_json(&items)));
    assert_eq!(int(&got[0].attributes, "llm.token_count.prompt"), i64::MAX);
    assert!(!has(&got[0].attributes, "llm.token_count.total"), "no sum that overflows");
}

#[test]
fn a_negative_rejected_count_is_no_rejection_in_either_encoding() {
    for (content_type, body) in [
        ("application/json", br#"{"partialSuccess":{"rejectedSpans":"-1","errorMessage":"odd"}}"#.to_vec()),
        ("application/json", br#"{"partialSuccess":{"rejectedSpans":-1}}"#.to_vec()),
    ] {
        let server =
            TestServer::always(Reply::ok().header("Content-Type", content_type).body(String::from_utf8(body).unwrap()));
        let exporter = builder(&traces_url(&server)).build().unwrap();
        let trace = Arc::new(Trace::new(TraceId::generate(), "w"));
        let span = Span::new(SpanId::generate(), trace, None, CustomSpanData::default());
        exporter.export(&[ExportItem::Span(Arc::new(span))]).expect("delivered");
    }
}

#[test]
fn a_trace_end_is_the_root_span_and_a_trace_start_adds_nothing() {
    let (start, end) = (Timestamp::from_unix_nanos(T0), Timestamp::from_unix_nanos(T0 + 5_000_000));
    let trace = Trace::new(TraceId::generate(), "Customer support").with_group_id("chat-42");
    let started = Arc::new(trace.clone());
    let ended = Arc::new(trace.with_times(start, end));
    let agent =
        span(&ended, SpanId::generate(), None, 1, AgentSpanData { name: "Triage".into(), ..Default::default() });
    let items =
        [ExportItem::Trace(started), ExportItem::Span(Arc::new(agent)), ExportItem::TraceEnd(Arc::clone(&ended))];
    for profile in [Profile::GenAi, Profile::OpenInference] {
        let server = TestServer::always(Reply::ok());
        let exporter = builder(&traces_url(&server)).profile(profile).build().unwrap();
        let got = spans(&parse(&exporter.render_json(&items)));
        assert_eq!(got.len(), 2, "the agent span and one root: {profile:?}");
        let root = &got[1];
        assert_eq!(hex(&root.span_id), otlp_root_span_id(ended.trace_id()));
        assert_eq!(hex(&got[0].parent_span_id), otlp_root_span_id(ended.trace_id()), "the agent hangs under it");
        assert!(root.parent_span_id.is_empty());
        assert_eq!(root.name, "Customer support");
        assert_eq!((root.start_time_unix_nano, root.end_time_unix_nano), (T0, T0 + 5_000_000));
        assert_eq!(kind_of(root), SpanKind::Internal);
        assert_eq!(string(&root.attributes, "openai.agents.span_data.type"), "trace");
        let group_key = if profile == Profile::GenAi { "gen_ai.conversation.id" } else { "session.id" };
        assert_eq!(string(&root.attributes, group_key), "chat-42");
    }
}

#[test]
fn through_a_processor_a_trace_is_sent_once_as_the_root_of_its_spans() {
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&traces_url(&server)).protocol(Protocol::HttpJson).build().unwrap();
    let trace_id = trace_core::registry::with_default(trace_core::SimpleTraceProcessor::new(exporter), || {
        let run = trace_core::trace("Customer support").start();
        trace_core::agent_span("Triage").start().end();
        run.trace_id().cloned().unwrap()
    });
    // The trace start sends nothing; the span, then the trace's end, one request each.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let agent = spans(&parse(&requests[0].body));
    let root = spans(&parse(&requests[1].body));
    assert_eq!((agent.len(), root.len()), (1, 1));
    assert_eq!(hex(&agent[0].parent_span_id), otlp_root_span_id(&trace_id));
    assert_eq!(hex(&root[0].span_id), otlp_root_span_id(&trace_id));
    assert!(root[0].start_time_unix_nano <= agent[0].start_time_unix_nano);
    assert!(root[0].end_time_unix_nano >= agent[0].end_time_unix_nano);
}

/// An exporter that keeps what a processor hands it, for the test to export later: as a
/// batch processor's worker does when it gets to a batch after its trace has ended.
struct Deferred {
    wants_trace_ends: bool,
    held: Arc<std::sync::Mutex<Vec<ExportItem>>>,
}

impl TracingExporter for Deferred {
    fn export(&self, items: &[ExportItem]) -> Result<(), trace_core::ExportError> {
        self.held.lock().unwrap().extend_from_slice(items);
        Ok(())
    }
    fn wants_trace_ends(&self) -> bool {
        self.wants_trace_ends
    }
}

/// Regression: a trace's start item and end item hold the same `Arc<Trace>`, so a start
/// item exported after the trace ended has an end time too; it must not make a second
/// root span. The items are the ones the processor offers (start, span, end), exported
/// once the trace is over: in one batch, and split in two batches at each place.
#[test]
fn a_trace_start_exported_after_the_trace_ended_adds_no_second_root_span() {
    for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson] {
        let probe = builder("http://127.0.0.1:9/v1/traces").build().unwrap();
        let held = Arc::default();
        let deferred = Deferred { wants_trace_ends: probe.wants_trace_ends(), held: Arc::clone(&held) };
        let trace_id = trace_core::registry::with_default(trace_core::SimpleTraceProcessor::new(deferred), || {
            let run = trace_core::trace("Customer support").start();
            trace_core::agent_span("Triage").start().end();
            run.trace_id().cloned().unwrap()
        });
        let items: Vec<ExportItem> = held.lock().unwrap().clone();
        assert_eq!(items.len(), 3, "the trace's start, its span, the trace's end");
        assert!(items[0].as_trace().and_then(|t| t.ended_at()).is_some(), "the start item's trace has ended");
        let root = otlp_root_span_id(&trace_id);
        for split in 0..=items.len() {
            let server = TestServer::always(Reply::ok());
            let exporter = builder(&traces_url(&server)).protocol(protocol).build().unwrap();
            for batch in [&items[..split], &items[split..]] {
                exporter.export(batch).expect("delivered");
            }
            let got: Vec<ProtoSpan> = server.requests().iter().flat_map(|r| spans(&decode(r))).collect();
            let case = format!("{protocol:?}, batches {:?}", [split, items.len() - split]);
            assert_eq!(got.iter().filter(|s| hex(&s.span_id) == root).count(), 1, "one root span: {case}");
            assert_eq!(got.len(), 2, "the agent span and the root: {case}");
            assert_eq!(records_counted(&exporter, &items), 2, "{case}");
        }
    }
}

/// How many OTLP spans the exporter makes of `items`, from its JSON body.
fn records_counted(exporter: &trace_export_otlp::OtlpSpanExporter, items: &[ExportItem]) -> usize {
    spans(&parse(&exporter.render_json(items))).len()
}

#[test]
fn the_protobuf_body_is_the_bytes_prost_writes_for_the_same_message() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;
    let f = fixture();
    assert!(f.ours.iter().any(|s| s.error().is_some()), "the fixture has an error status to write");
    for profile in [Profile::GenAi, Profile::OpenInference] {
        for capture in [false, true] {
            for limit in [None, Some(7)] {
                let exporter = builder("http://127.0.0.1:9/v1/traces")
                    .profile(profile)
                    .capture_message_content(capture)
                    .attribute_value_length_limit(limit)
                    .build()
                    .unwrap();
                let body = exporter.render(&f.items);
                let message = ExportTraceServiceRequest::decode(&body[..]).expect("a protobuf request");
                let case = format!("{profile:?}, capture {capture}, limit {limit:?}");
                // The schema's own types, encoded by prost, give the same bytes...
                assert_eq!(message.encode_to_vec(), body, "{case}");
                // ... and the same request as the JSON body.
                assert_eq!(message, parse(&exporter.render_json(&f.items)), "{case}");
            }
        }
    }
}

#[test]
fn a_trace_continued_from_a_traceparent_has_its_root_under_the_remote_span() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message;
    use trace_core::w3c::{RemoteParent, TraceParent};

    let incoming = TraceParent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").unwrap();
    let remote = RemoteParent::new(incoming).with_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
    let (start, end) = (Timestamp::from_unix_nanos(T0), Timestamp::from_unix_nanos(T0 + 5_000_000));
    let trace = Trace::new(incoming.agent_trace_id(), "Answer request").with_remote_parent(remote);
    let ended = Arc::new(trace.with_times(start, end));
    let agent_id = SpanId::generate();
    let agent = span(&ended, agent_id.clone(), None, 1, AgentSpanData { name: "Triage".into(), ..Default::default() });
    let tool = span(&ended, SpanId::generate(), Some(&agent_id), 2, FunctionSpanData::default());
    let items = [ExportItem::Span(Arc::new(agent)), ExportItem::Span(Arc::new(tool)), ExportItem::TraceEnd(ended)];
    let exporter = builder("http://127.0.0.1:9/v1/traces").build().unwrap();

    let body = exporter.render(&items);
    let message = ExportTraceServiceRequest::decode(&body[..]).expect("a protobuf request");
    assert_eq!(message.encode_to_vec(), body, "the bytes prost writes, trace_state included");
    assert_eq!(message, parse(&exporter.render_json(&items)), "the same request in JSON");

    let got = spans(&message);
    let (agent, tool, root) = (&got[0], &got[1], &got[2]);
    assert_eq!(hex(&root.trace_id), "0af7651916cd43dd8448eb211c80319c", "the caller's trace id");
    assert!(got.iter().all(|s| s.trace_id == root.trace_id));
    assert_eq!(hex(&root.parent_span_id), "b7ad6b7169203331", "the root hangs under the caller's span");
    assert_eq!(root.flags, 0x301, "the parent is known to be remote");
    assert_eq!(hex(&agent.parent_span_id), hex(&root.span_id));
    assert_eq!(tool.parent_span_id, agent.span_id);
    for s in [agent, tool] {
        assert_eq!(s.flags, 0x101, "{}: a local parent", s.name);
    }
    for s in &got {
        assert_eq!(s.trace_state, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "{}", s.name);
    }
}

#[test]
fn a_trace_of_this_process_has_no_trace_state_and_a_parentless_root() {
    let f = fixture();
    let ended = Arc::new((*f.trace).clone().with_times(Timestamp::from_unix_nanos(T0), Timestamp::from_unix_nanos(T0)));
    let mut items = f.items.clone();
    items.push(ExportItem::TraceEnd(ended));
    let exporter = builder("http://127.0.0.1:9/v1/traces").build().unwrap();
    let got = spans(&parse(&exporter.render_json(&items)));
    assert!(got.iter().all(|s| s.trace_state.is_empty() && s.flags == 0x101));
    assert!(got.last().unwrap().parent_span_id.is_empty());
}
