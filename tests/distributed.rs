//! Traces across real processes: this test binary starts itself again as a child
//! (`AGENTS_TRACING_TEST_ROLE` says which child), hands it a W3C `traceparent` or a saved
//! `TraceState`, and a loopback server collects what both processes export (OpenAI's
//! format and OTLP/JSON). The checks: one trace id, the parent links across the boundary,
//! the trace object exported once.
//!
//! Deterministic: both processes export through `SimpleTraceProcessor` (each export is a
//! request made before the call returns), the parent waits for the child to exit, and
//! then for the exact number of requests both made. No sleeps.
//!
//! Its own binary, without the test harness: a child must run its role and nothing else.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use agents_tracing::openai::BackendSpanExporter;
use agents_tracing::otlp::{OtlpSpanExporter, Protocol};
use agents_tracing::{
    agent_span, custom_span, function_span, trace, MultiProcessor, SimpleTraceProcessor, TraceState, TracingProcessor,
};
use serde_json::Value;
use test_support::exporter::fast;
use test_support::server::{Recorded, Reply, TestServer};

const ROLE: &str = "AGENTS_TRACING_TEST_ROLE";
const SERVER: &str = "AGENTS_TRACING_TEST_SERVER";
const TRACEPARENT: &str = "AGENTS_TRACING_TEST_TRACEPARENT";
const TRACESTATE: &str = "AGENTS_TRACING_TEST_TRACESTATE";
const STATE: &str = "AGENTS_TRACING_TEST_STATE";
const KEY: &str = "AGENTS_TRACING_TEST_KEY";

/// The per-trace key of the resumed run: given to the child on its own, never in the state.
const TENANT_KEY: &str = "sk-tenant-key-0123456789";

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("traceparent") => traceparent_child(),
        Ok("resume") => resume_child(),
        _ => {
            run("a_traceparent_continues_the_callers_trace_in_another_process", traceparent_parent);
            run("a_trace_continued_from_a_process_of_this_library_is_announced_once", traceparent_from_ours);
            run("a_saved_trace_resumes_in_another_process_and_is_announced_once", resume_parent);
        }
    }
}

fn run(name: &str, test: fn()) {
    print!("test {name} ... ");
    test();
    println!("ok");
}

// ---- the pipelines of both processes -------------------------------------------------

/// `service` sends OTLP/JSON to `server` (its resource's `service.name` says who sent
/// what) and, with `openai`, the OpenAI format too; each item on the caller's thread.
fn install(server: &str, service: &str, openai: bool) -> Arc<MultiProcessor> {
    let otlp = fast(OtlpSpanExporter::builder(), Duration::from_millis(200))
        .endpoint(format!("http://{server}/v1/traces"))
        .protocol(Protocol::HttpJson)
        .service_name(service)
        .read_env(false)
        .build()
        .expect("the OTLP exporter builds");
    let multi = MultiProcessor::new().with(SimpleTraceProcessor::new(otlp));
    if openai {
        let openai = fast(BackendSpanExporter::builder(), Duration::from_millis(200))
            .endpoint(format!("http://{server}/v1/traces/ingest"))
            .api_key("sk-exporter-default-key")
            .read_env(false)
            .build()
            .expect("the OpenAI exporter builds");
        multi.add(SimpleTraceProcessor::new(openai));
    }
    let multi = Arc::new(multi);
    agents_tracing::core::set_trace_processor_shared(multi.clone());
    multi
}

/// Runs this binary as the child `role` with `env`; panics with its output if it fails.
fn spawn_child(role: &str, env: &[(&str, &str)]) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command.env(ROLE, role);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("the child process runs");
    assert!(
        out.status.success(),
        "the child failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set for a child"))
}

// ---- what the server received ----------------------------------------------------------

/// The OpenAI items received: `{"data": [...]}` bodies, flattened.
fn openai_items(requests: &[Recorded]) -> Vec<(Value, Option<String>)> {
    requests
        .iter()
        .filter(|r| r.path == "/v1/traces/ingest")
        .flat_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("an OpenAI body");
            let auth = r.header("authorization").map(str::to_owned);
            body["data"].as_array().cloned().unwrap_or_default().into_iter().map(move |i| (i, auth.clone()))
        })
        .collect()
}

/// One OTLP span and the service that sent it.
struct Otlp {
    service: String,
    span: Value,
}

impl Otlp {
    fn str(&self, key: &str) -> &str {
        self.span[key].as_str().unwrap_or_default()
    }

    fn attr(&self, key: &str) -> &str {
        let attrs = self.span["attributes"].as_array().expect("attributes");
        attrs.iter().find(|a| a["key"] == key).and_then(|a| a["value"]["stringValue"].as_str()).unwrap_or_default()
    }
}

fn otlp_spans(requests: &[Recorded]) -> Vec<Otlp> {
    let mut out = Vec::new();
    for r in requests.iter().filter(|r| r.path == "/v1/traces") {
        let body: Value = serde_json::from_slice(&r.body).expect("an OTLP/JSON body");
        for rs in body["resourceSpans"].as_array().expect("resourceSpans") {
            let service = rs["resource"]["attributes"]
                .as_array()
                .and_then(|a| a.iter().find(|kv| kv["key"] == "service.name"))
                .and_then(|kv| kv["value"]["stringValue"].as_str())
                .unwrap_or_default()
                .to_owned();
            for ss in rs["scopeSpans"].as_array().expect("scopeSpans") {
                for span in ss["spans"].as_array().expect("spans") {
                    out.push(Otlp { service: service.clone(), span: span.clone() });
                }
            }
        }
    }
    out
}

/// The OTLP span of `service` named by its `openai.agents.span_data.type` and our name
/// attribute, or its OTLP name.
fn find<'a>(spans: &'a [Otlp], service: &str, name: &str) -> &'a Otlp {
    spans
        .iter()
        .find(|s| s.service == service && (s.str("name").ends_with(name)))
        .unwrap_or_else(|| panic!("no span {name:?} from {service}"))
}

// ---- 1. a W3C traceparent ----------------------------------------------------------------

/// The parent is an OpenTelemetry-only gateway (OTLP, no OpenAI export): it calls the
/// child under its span `call worker`, passing that span's `traceparent` and a
/// `tracestate`.
fn traceparent_parent() {
    let server = TestServer::always(Reply::ok());
    let addr = server.addr().to_string();
    let pipeline = install(&addr, "gateway", false);
    let (trace_id, header) = {
        let run = trace("gateway").start();
        let call = custom_span("call worker").start();
        let header = agents_tracing::core::w3c::current_traceparent().expect("a span is current").to_string();
        assert_eq!(Some(header.clone()), call.as_parent().traceparent().map(|t| t.to_string()));
        spawn_child("traceparent", &[(SERVER, &addr), (TRACEPARENT, &header), (TRACESTATE, "gw=7f3a")]);
        (run.trace_id().cloned().expect("a trace"), header)
    };
    pipeline.shutdown(Some(Duration::from_secs(10))).expect("shut down");

    // Gateway: its span, its root (2 OTLP requests). Worker: the trace object and two
    // spans to OpenAI (3), two spans and its root over OTLP (3).
    let requests = server.wait_for(8, Duration::from_secs(10));
    assert_eq!(requests.len(), 8, "{:#?}", requests.iter().map(|r| &r.path).collect::<Vec<_>>());

    // One trace id everywhere: the gateway's, in OTLP and in the OpenAI format.
    let w3c_trace = trace_id.to_w3c();
    let otlp = otlp_spans(&requests);
    assert_eq!(otlp.len(), 5);
    assert!(otlp.iter().all(|s| s.str("traceId") == format!("{w3c_trace:032x}")), "one OTLP trace id");
    let items = openai_items(&requests);
    let traces: Vec<&Value> = items.iter().map(|(i, _)| i).filter(|i| i["object"] == "trace").collect();
    assert_eq!(traces.len(), 1, "the worker announced the trace once (the gateway has no OpenAI export)");
    assert_eq!(traces[0]["id"], trace_id.to_string());
    assert_eq!(traces[0]["workflow_name"], "worker");
    let spans: Vec<&Value> = items.iter().map(|(i, _)| i).filter(|i| i["object"] == "trace.span").collect();
    assert_eq!(spans.len(), 2);
    assert!(spans.iter().all(|s| s["trace_id"] == trace_id.to_string()));

    // The links across the boundary: the header named the gateway's span by the id the
    // exporter gave it, and the worker's root span hangs under it.
    let call = find(&otlp, "gateway", "call worker");
    assert_eq!(header.split('-').nth(2), Some(call.str("spanId")));
    let worker_root = otlp
        .iter()
        .find(|s| s.service == "worker" && s.attr("openai.agents.span_data.type") == "trace")
        .expect("the worker's root span");
    assert_eq!(worker_root.str("parentSpanId"), call.str("spanId"), "the worker's run is under the call");
    assert_eq!(worker_root.span["flags"], 0x301, "a remote parent, sampled");
    assert_eq!(worker_root.str("traceState"), "gw=7f3a");
    let agent = find(&otlp, "worker", "Worker agent");
    assert_eq!(agent.str("parentSpanId"), worker_root.str("spanId"));
    assert_eq!(find(&otlp, "worker", "lookup_order").str("parentSpanId"), agent.str("spanId"));
    let gateway_root = otlp.iter().find(|s| s.service == "gateway" && s.str("name") == "gateway").expect("root");
    assert_eq!(call.str("parentSpanId"), gateway_root.str("spanId"));
    assert_eq!(gateway_root.str("parentSpanId"), "");
}

/// Both processes are this library's, both export to OpenAI and OTLP: the caller passes
/// the headers `inject` gives (its `tracestate` says it announced the trace), so the
/// worker continues the trace without announcing or ending it again.
fn traceparent_from_ours() {
    let server = TestServer::always(Reply::ok());
    let addr = server.addr().to_string();
    let pipeline = install(&addr, "caller", true);
    let trace_id = {
        let run = trace("caller").start();
        let _call = custom_span("call worker").start();
        let mut headers = Vec::new();
        agents_tracing::core::w3c::inject(|name, value| headers.push((name.to_owned(), value.to_owned())));
        assert_eq!(headers[1].1, agents_tracing::core::w3c::ANNOUNCED_ENTRY);
        spawn_child("traceparent", &[(SERVER, &addr), (TRACEPARENT, &headers[0].1), (TRACESTATE, &headers[1].1)]);
        run.trace_id().cloned().expect("a trace")
    };
    pipeline.shutdown(Some(Duration::from_secs(10))).expect("shut down");

    // Caller: the trace object and its span to OpenAI (2), its span and its root over
    // OTLP (2). Worker: two spans to OpenAI (2) and over OTLP (2), no trace object, no root.
    let requests = server.wait_for(8, Duration::from_secs(10));
    assert_eq!(requests.len(), 8, "{:#?}", requests.iter().map(|r| &r.path).collect::<Vec<_>>());
    let items = openai_items(&requests);
    let traces: Vec<&Value> = items.iter().map(|(i, _)| i).filter(|i| i["object"] == "trace").collect();
    assert_eq!(traces.len(), 1, "the trace object is exported once, by the caller");
    assert_eq!(
        (&traces[0]["id"], &traces[0]["workflow_name"]),
        (&Value::from(trace_id.to_string()), &Value::from("caller"))
    );
    assert!(items.iter().all(|(i, _)| i["object"] == "trace" || i["trace_id"] == trace_id.to_string()));

    let otlp = otlp_spans(&requests);
    assert_eq!(otlp.len(), 4);
    let roots: Vec<&Otlp> = otlp.iter().filter(|s| s.attr("openai.agents.span_data.type") == "trace").collect();
    assert_eq!(roots.len(), 1, "one root span, the caller's");
    let call = find(&otlp, "caller", "call worker");
    let agent = find(&otlp, "worker", "Worker agent");
    assert_eq!(agent.str("parentSpanId"), call.str("spanId"), "the worker's run hangs under the call");
    assert_eq!(agent.span["flags"], 0x301, "a remote parent, sampled");
    assert_eq!(find(&otlp, "worker", "lookup_order").str("parentSpanId"), agent.str("spanId"));
}

fn traceparent_child() {
    let pipeline = install(&env(SERVER), "worker", true);
    {
        let run = trace("worker").traceparent(env(TRACEPARENT).as_str()).tracestate(env(TRACESTATE).as_str()).start();
        assert!(run.trace().and_then(|t| t.remote_parent()).is_some(), "the header was accepted");
        let _agent = agent_span("Worker agent").start();
        function_span("lookup_order").input(r#"{"order_id": 42}"#).start().end();
    }
    pipeline.shutdown(Some(Duration::from_secs(10))).expect("shut down");
}

// ---- 2. a saved trace state ----------------------------------------------------------------

/// The parent starts a run with a per-trace key, pauses in its step `approval` and hands
/// the saved state to the child, which resumes the run there; the key goes on its own.
fn resume_parent() {
    let server = TestServer::always(Reply::ok());
    let addr = server.addr().to_string();
    let pipeline = install(&addr, "first", true);
    let (trace_id, approval_id) = {
        let run = trace("Refund").group_id("chat-42").tracing_api_key(TENANT_KEY).start();
        let approval = custom_span("approval").start();
        let saved = TraceState::current().to_json_string();
        assert!(!saved.contains(TENANT_KEY), "{saved}");
        spawn_child("resume", &[(SERVER, &addr), (STATE, &saved), (KEY, TENANT_KEY)]);
        (run.trace_id().cloned().expect("a trace"), approval.span_id().cloned().expect("a span"))
    };
    pipeline.shutdown(Some(Duration::from_secs(10))).expect("shut down");

    // First: the trace object (OpenAI), `approval` (both), its root (OTLP). Resumed: `refund`
    // (both), and no trace object or root.
    let requests = server.wait_for(6, Duration::from_secs(10));
    assert_eq!(requests.len(), 6, "{:#?}", requests.iter().map(|r| &r.path).collect::<Vec<_>>());

    let items = openai_items(&requests);
    let traces: Vec<&Value> = items.iter().map(|(i, _)| i).filter(|i| i["object"] == "trace").collect();
    assert_eq!(traces.len(), 1, "announced once, by the process that started it");
    assert_eq!(traces[0]["id"], trace_id.to_string());
    let (refund, auth) = items.iter().find(|(i, _)| i["span_data"]["name"] == "refund").expect("the resumed span");
    assert_eq!(refund["trace_id"], trace_id.to_string(), "the same trace");
    assert_eq!(refund["parent_id"], approval_id.to_string(), "under the step it paused in");
    assert_eq!(auth.as_deref(), Some(format!("Bearer {TENANT_KEY}").as_str()), "exported with the trace's own key");

    let otlp = otlp_spans(&requests);
    assert!(otlp.iter().all(|s| s.str("traceId") == format!("{:032x}", trace_id.to_w3c())));
    let approval = find(&otlp, "first", "approval");
    let refund = find(&otlp, "resumed", "refund");
    assert_eq!(refund.str("parentSpanId"), approval.str("spanId"));
    let roots: Vec<&Otlp> = otlp.iter().filter(|s| s.attr("openai.agents.span_data.type") == "trace").collect();
    assert_eq!(roots.len(), 1, "one root span, sent by the first process");
    assert_eq!(roots[0].service, "first");
}

fn resume_child() {
    let pipeline = install(&env(SERVER), "resumed", true);
    let state = TraceState::from_json_str(&env(STATE)).expect("the saved state reads");
    {
        let resumed = state.resume().tracing_api_key(env(KEY)).try_start().expect("the key matches");
        assert!(resumed.is_resumed());
        custom_span("refund").start().end();
    }
    pipeline.shutdown(Some(Duration::from_secs(10))).expect("shut down");
}
