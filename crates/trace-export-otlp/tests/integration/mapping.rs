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
use trace_export_otlp::{otlp_span_id, otlp_trace_id, Compression, Protocol};

use crate::{boolean, builder, decode, double, has, hex, int, spans, string, strings, traces_url};
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
                usage: Some(map(json!({"input_tokens": 100, "output_tokens": 200}))),
                metadata: Some(map(json!({"run": "r1"}))),
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
                usage: Some(map(json!({"requests": 1}))),
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
                metadata: Some(map(json!({"team": "support"}))),
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
                mcp_data: Some(map(json!({"server": "orders"}))),
            },
        ),
        span(
            t,
            SpanId::generate(),
            Some(&tool_id),
            4,
            GenerationSpanData {
                input: Some(vec![json!({"role": "user", "content": "where is my order?"})]),
                output: Some(vec![json!({"role": "assistant", "content": "shipped"})]),
                model: Some("gpt-4o-mini".into()),
                model_config: Some(map(json!({"temperature": 0.2, "max_tokens": 100, "reasoning_effort": "low"}))),
                usage: Some(map(json!({"prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46}))),
            },
        ),
        span(
            t,
            SpanId::generate(),
            Some(&agent_id),
            5,
            ResponseSpanData {
                response_id: Some("resp_123".into()),
                usage: Some(map(
                    json!({"input_tokens": 5, "output_tokens": 6, "input_tokens_details": {"cached_tokens": 1}}),
                )),
                response: Some(json!({"id": "resp_123", "model": "gpt-4o-2024-08-06", "secret": "raw-response"})),
                input: Some(json!("raw-input")),
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
                ),
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
                model_config: Some(map(json!({"language": "en"}))),
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
                model_config: Some(map(json!({"voice": "alloy", "top_p": 0.9}))),
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
        None => assert!(otlp.parent_span_id.is_empty()),
    }
    assert_eq!(otlp.start_time_unix_nano, T0 + i * 1_000);
    assert_eq!(otlp.end_time_unix_nano, T0 + i * 1_000 + 1_000_000);
    assert_eq!(otlp.flags, 0x100);
    assert!(otlp.trace_state.is_empty() && otlp.events.is_empty() && otlp.links.is_empty());
    assert_eq!(string(a, "openai.agents.span_data.type"), ours.kind().as_str());
    assert_eq!(string(a, "openai.agents.workflow.name"), "Customer support");
    assert_eq!(string(a, "gen_ai.conversation.id"), "chat-42");
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

#[test]
fn every_span_type_maps_field_by_field() {
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&traces_url(&server))
        .header("x-api-key", "otlp-secret-123")
        .service_name("support-bot")
        .build()
        .unwrap();
    let f = fixture();
    exporter.export(&f.items).unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/v1/traces"));
    // Protobuf by default, uncompressed.
    assert_eq!(r.header("Content-Type"), Some("application/x-protobuf"));
    assert_eq!(r.header("Content-Encoding"), None);
    assert_eq!(r.header("x-api-key"), Some("otlp-secret-123"));
    assert!(r.header("User-Agent").unwrap().starts_with("agents-tracing/"));
    // The body is exactly what `render` shows.
    assert_eq!(r.body, exporter.render(&f.items));
    let json = exporter.render_json(&f.items);
    for never in ["raw-response", "raw-input", "QVVESU9fSU4=", "QVVESU9fT1VU", "otlp-secret-123"] {
        for body in [&r.body, &json] {
            assert!(!body.windows(never.len()).any(|w| w == never.as_bytes()), "{never} was sent");
        }
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

    let got = spans(&request);
    assert_eq!(got.len(), f.ours.len(), "one OTLP span per span, none for the trace item");
    for (i, (otlp, ours)) in got.iter().zip(&f.ours).enumerate() {
        check_common(otlp, ours, i as u64, &f.trace);
    }
    let by_type = |kind: &str| {
        let i = f.ours.iter().position(|s| s.kind().as_str() == kind).unwrap();
        (&got[i], &got[i].attributes)
    };

    // task
    let (s, a) = by_type("task");
    assert_eq!((s.name.as_str(), kind_of(s)), ("task: Answer", SpanKind::Internal));
    assert_eq!(string(a, "openai.agents.span_data.name"), "Answer");
    assert_eq!(int(a, "openai.agents.span_data.usage.input_tokens"), 100);
    assert_eq!(int(a, "openai.agents.span_data.usage.output_tokens"), 200);
    assert!(!has(a, "gen_ai.usage.input_tokens"), "aggregated usage is not counted again");
    assert_eq!(string(a, "openai.agents.span_data.metadata.run"), "r1");

    // turn
    let (s, a) = by_type("turn");
    assert_eq!((s.name.as_str(), kind_of(s)), ("turn: 2 (Triage)", SpanKind::Internal));
    assert_eq!(int(a, "openai.agents.span_data.turn"), 2);
    assert_eq!(string(a, "gen_ai.agent.name"), "Triage");
    assert_eq!(int(a, "openai.agents.span_data.usage.requests"), 1);

    // agent
    let (s, a) = by_type("agent");
    assert_eq!((s.name.as_str(), kind_of(s)), ("agent: Triage", SpanKind::Internal));
    assert_eq!(string(a, "gen_ai.operation.name"), "invoke_agent");
    assert_eq!(string(a, "gen_ai.agent.name"), "Triage");
    assert_eq!(strings(a, "openai.agents.span_data.handoffs"), ["Billing"]);
    assert_eq!(strings(a, "openai.agents.span_data.tools"), ["lookup_order", "refund"]);
    assert_eq!(string(a, "openai.agents.span_data.output_type"), "str");
    assert_eq!(string(a, "openai.agents.span_data.metadata.team"), "support");

    // function, with a user-supplied id hashed (FNV-1a 64 of its text)
    let (s, a) = by_type("function");
    assert_eq!((s.name.as_str(), kind_of(s)), ("function: lookup_order", SpanKind::Internal));
    assert_eq!(hex(&s.span_id), format!("{:016x}", fnv1a_64(b"tool-call-1")));
    assert_eq!(string(a, "gen_ai.operation.name"), "execute_tool");
    assert_eq!(string(a, "gen_ai.tool.name"), "lookup_order");
    assert_eq!(string(a, "gen_ai.tool.type"), "function");
    assert_eq!(string(a, "gen_ai.tool.call.arguments"), r#"{"id":42}"#);
    assert_eq!(string(a, "gen_ai.tool.call.result"), "shipped");
    assert_eq!(string(a, "openai.agents.span_data.mcp_data.server"), "orders");

    // generation: its parent is the function span with the custom id
    let (s, a) = by_type("generation");
    assert_eq!((s.name.as_str(), kind_of(s)), ("generation: gpt-4o-mini", SpanKind::Client));
    assert_eq!(s.parent_span_id, by_type("function").0.span_id);
    assert_eq!(string(a, "gen_ai.operation.name"), "chat");
    assert_eq!(string(a, "gen_ai.request.model"), "gpt-4o-mini");
    assert_eq!(double(a, "gen_ai.request.temperature"), 0.2);
    assert_eq!(int(a, "gen_ai.request.max_tokens"), 100);
    assert_eq!(string(a, "openai.agents.span_data.model_config.reasoning_effort"), "low");
    assert_eq!(int(a, "gen_ai.usage.input_tokens"), 12);
    assert_eq!(int(a, "gen_ai.usage.output_tokens"), 34);
    assert_eq!(int(a, "openai.agents.span_data.usage.total_tokens"), 46);
    assert!(!has(a, "openai.agents.span_data.usage.prompt_tokens"));
    let input: serde_json::Value = serde_json::from_str(&string(a, "openai.agents.span_data.input")).unwrap();
    assert_eq!(input, json!([{"role": "user", "content": "where is my order?"}]));
    let output: serde_json::Value = serde_json::from_str(&string(a, "openai.agents.span_data.output")).unwrap();
    assert_eq!(output, json!([{"role": "assistant", "content": "shipped"}]));

    // response
    let (s, a) = by_type("response");
    assert_eq!((s.name.as_str(), kind_of(s)), ("response: gpt-4o-2024-08-06", SpanKind::Client));
    assert_eq!(string(a, "gen_ai.operation.name"), "chat");
    assert_eq!(string(a, "gen_ai.response.id"), "resp_123");
    assert_eq!(string(a, "gen_ai.response.model"), "gpt-4o-2024-08-06");
    assert_eq!(int(a, "gen_ai.usage.input_tokens"), 5);
    assert_eq!(int(a, "gen_ai.usage.output_tokens"), 6);
    assert_eq!(string(a, "openai.agents.span_data.usage.input_tokens_details"), r#"{"cached_tokens":1}"#);

    // handoff
    let (s, a) = by_type("handoff");
    assert_eq!((s.name.as_str(), kind_of(s)), ("handoff: Triage -> Billing", SpanKind::Internal));
    assert_eq!(string(a, "openai.agents.span_data.from_agent"), "Triage");
    assert_eq!(string(a, "openai.agents.span_data.to_agent"), "Billing");

    // custom
    let (s, a) = by_type("custom");
    assert_eq!((s.name.as_str(), kind_of(s)), ("custom: plan", SpanKind::Internal));
    assert_eq!(string(a, "openai.agents.span_data.name"), "plan");
    assert_eq!(int(a, "openai.agents.span_data.data.steps"), 3);
    assert_eq!(string(a, "openai.agents.span_data.data.kind"), "fast");
    assert_eq!(double(a, "openai.agents.span_data.data.ratio"), 0.5);
    assert_eq!(strings(a, "openai.agents.span_data.data.tags"), ["a", "b"]);
    assert_eq!(string(a, "openai.agents.span_data.data.nested"), r#"{"x":1}"#);
    assert!(!has(a, "openai.agents.span_data.data.skip"), "nulls are left out");

    // guardrail, with an error
    let (s, a) = by_type("guardrail");
    assert_eq!((s.name.as_str(), kind_of(s)), ("guardrail: no_pii", SpanKind::Internal));
    assert_eq!(string(a, "openai.agents.span_data.name"), "no_pii");
    assert!(boolean(a, "openai.agents.span_data.triggered"));
    let status = s.status.as_ref().expect("an error status");
    assert_eq!(StatusCode::try_from(status.code).unwrap(), StatusCode::Error);
    assert_eq!(status.message, "Guardrail tripped");
    assert_eq!(string(a, "openai.agents.error.data"), r#"{"reason":"pii"}"#);

    // transcription: audio not sent
    let (s, a) = by_type("transcription");
    assert_eq!((s.name.as_str(), kind_of(s)), ("transcription: whisper-1", SpanKind::Client));
    assert_eq!(string(a, "gen_ai.request.model"), "whisper-1");
    assert_eq!(string(a, "openai.agents.span_data.model_config.language"), "en");
    assert_eq!(string(a, "openai.agents.span_data.input.format"), "pcm");
    assert_eq!(string(a, "openai.agents.span_data.output"), "hello there");
    assert!(!has(a, "openai.agents.span_data.input.data"));

    // speech
    let (s, a) = by_type("speech");
    assert_eq!((s.name.as_str(), kind_of(s)), ("speech: tts-1", SpanKind::Client));
    assert_eq!(string(a, "gen_ai.request.model"), "tts-1");
    assert_eq!(double(a, "gen_ai.request.top_p"), 0.9);
    assert_eq!(string(a, "openai.agents.span_data.model_config.voice"), "alloy");
    assert_eq!(string(a, "openai.agents.span_data.input"), "hello back");
    assert_eq!(string(a, "openai.agents.span_data.output.format"), "pcm");
    assert_eq!(string(a, "openai.agents.span_data.first_content_at"), "2025-03-11T12:00:00.5+00:00");

    // speech_group
    let (s, a) = by_type("speech_group");
    assert_eq!((s.name.as_str(), kind_of(s)), ("speech_group", SpanKind::Internal));
    assert_eq!(string(a, "openai.agents.span_data.input"), "hello back");

    // mcp_tools
    let (s, a) = by_type("mcp_tools");
    assert_eq!((s.name.as_str(), kind_of(s)), ("mcp_tools: files", SpanKind::Client));
    assert_eq!(string(a, "mcp.method.name"), "tools/list");
    assert_eq!(string(a, "openai.agents.span_data.server"), "files");
    assert_eq!(strings(a, "openai.agents.span_data.result"), ["read", "write"]);

    crate::logger::LOG.assert_never_logged("otlp-secret-123");
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
        .map(|kind| if *kind == trace_core::SpanKind::Turn { "turn: 0" } else { kind.as_str() })
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
