//! Traces that cross process boundaries, within one process: a trace continued from a W3C
//! `traceparent`, the headers given to an outgoing call, and a trace saved as a
//! `TraceState` and resumed. (The top-level `tests/distributed.rs` runs the same across
//! real processes.)
//!
//! The registry is global to the process; every test here takes `lock()` first.

use trace_core::w3c::{self, TraceParent};
use trace_core::*;

mod support;
use support::{injected, lock};

const TRACE_HEX: &str = "0af7651916cd43dd8448eb211c80319c";
const INCOMING: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

fn trace_starts(rec: &InMemoryProcessor) -> usize {
    rec.events().iter().filter(|e| matches!(e, ProcessorEvent::TraceStart(_))).count()
}

fn trace_ends(rec: &InMemoryProcessor) -> usize {
    rec.events().iter().filter(|e| matches!(e, ProcessorEvent::TraceEnd(_))).count()
}

#[test]
fn a_traceparent_continues_the_callers_trace() {
    let (_l, rec) = lock();
    {
        let run = trace("Answer").traceparent(INCOMING).tracestate("congo=t61rcWkgMzE").start();
        let t = run.trace().unwrap();
        assert_eq!(t.trace_id().to_string(), format!("trace_{TRACE_HEX}"));
        assert_eq!(t.remote_sampled(), Some(true));
        let remote = t.remote_parent().unwrap();
        assert_eq!(remote.traceparent().parent_id(), 0xb7ad_6b71_6920_3331);
        assert_eq!(remote.tracestate(), Some("congo=t61rcWkgMzE"));
        agent_span("Triage").start().end();
    }
    // Announced like any trace: the caller may never have told an agents backend.
    assert_eq!((trace_starts(&rec), trace_ends(&rec)), (1, 1));
    let span = &rec.finished_spans()[0];
    assert_eq!(span.trace_id().to_string(), format!("trace_{TRACE_HEX}"));
    assert_eq!(span.parent_id(), None, "the caller's span is not a parent in the OpenAI format");
    // The OpenAI wire format of the trace is unchanged: no new keys.
    let json = serde_json::to_value(&*rec.started_traces()[0]).unwrap();
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["object", "id", "workflow_name", "group_id", "metadata"]);
}

#[test]
fn outgoing_headers_name_the_current_span_say_sampled_and_keep_the_callers_state() {
    let (_l, _rec) = lock();
    assert!(injected().is_empty(), "no trace current, no header");
    assert_eq!(w3c::current_traceparent(), None);

    let unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    let run = trace("Answer").traceparent(unsampled).tracestate(" congo=t61rcWkgMzE ").start();
    // Only the trace is current: the parent-id is the trace's OTLP root span.
    let root = w3c::root_span_id(run.trace_id().unwrap());
    assert_eq!(
        injected(),
        [
            // `sampled`: this process records the trace, whatever the caller did.
            ("traceparent".to_owned(), format!("00-{TRACE_HEX}-{root:016x}-01")),
            // This library's entry first, then the caller's as they came.
            ("tracestate".to_owned(), "agents-tracing=1,congo=t61rcWkgMzE".to_owned())
        ]
    );
    let step = custom_span("call").start();
    let span_w3c = step.span_id().unwrap().to_w3c();
    assert_eq!(injected()[0].1, format!("00-{TRACE_HEX}-{span_w3c:016x}-01"));
    assert_eq!(w3c::current_traceparent(), step.as_parent().traceparent());
    drop(step);
    drop(run);

    // A trace started here sends `sampled` and only this library's tracestate entry;
    // unknown incoming flags are 0.
    let own = trace("Own").start();
    let headers = injected();
    assert_eq!(headers.len(), 2);
    assert_eq!(headers[1], ("tracestate".to_owned(), w3c::ANNOUNCED_ENTRY.to_owned()));
    assert!(headers[0].1.starts_with(&format!("00-{:032x}-", own.trace_id().unwrap().to_w3c())));
    assert!(headers[0].1.ends_with("-01"));
    drop(own);
    let _all_flags = trace("Flags").traceparent(&*format!("00-{TRACE_HEX}-b7ad6b7169203331-ff")).start();
    assert!(injected()[0].1.ends_with("-03"), "sampled and random kept, the rest 0");
}

#[test]
fn an_invalid_traceparent_is_ignored_and_counted_and_the_trace_starts_fresh() {
    let (_l, rec) = lock();
    let before = w3c::invalid_traceparents();
    let bad = [
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "",
    ];
    for header in bad {
        let run = trace("wf")
            .trace_id("trace_11111111111111111111111111111111")
            .traceparent(header)
            .tracestate("a=b")
            .start();
        let t = run.trace().unwrap();
        assert_eq!(t.trace_id().to_string(), "trace_11111111111111111111111111111111", "{header:?}: own id kept");
        assert!(t.remote_parent().is_none(), "{header:?}");
        assert_eq!(t.remote_sampled(), None);
        let headers = injected();
        assert_eq!(headers[1].1, w3c::ANNOUNCED_ENTRY, "{header:?}: the tracestate went with the bad traceparent");
    }
    assert_eq!(w3c::invalid_traceparents() - before, bad.len() as u64);
    assert_eq!(trace_starts(&rec), bad.len());
    // No header at all is not an invalid one.
    let none: Option<&str> = None;
    let run = trace("wf").traceparent(none).start();
    assert!(run.trace().unwrap().remote_parent().is_none());
    assert_eq!(w3c::invalid_traceparents() - before, bad.len() as u64);
}

#[test]
fn a_valid_traceparent_decides_the_trace_id() {
    let (_l, _rec) = lock();
    let run = trace("wf").trace_id("trace_11111111111111111111111111111111").traceparent(INCOMING).start();
    assert_eq!(run.trace_id().unwrap().to_string(), format!("trace_{TRACE_HEX}"));
    // `no-op` still makes a no-op trace.
    let noop = trace("wf").trace_id("no-op").traceparent(INCOMING).start();
    assert!(noop.is_noop());
}

#[test]
fn a_resumed_trace_is_not_announced_and_its_spans_hang_under_the_saved_span() {
    let (_l, rec) = lock();
    let (saved, step_id) = {
        let _run = trace("Refund").group_id("chat-42").metadata(serde_json::json!({"tenant": "acme"})).start();
        let step = custom_span("approval").start();
        (TraceState::current().to_json_string(), step.span_id().cloned().unwrap())
    };
    assert_eq!((trace_starts(&rec), trace_ends(&rec)), (1, 1));
    let original = rec.started_traces()[0].clone();

    let state = TraceState::from_json_str(&saved).unwrap();
    assert_eq!(state.parent_span_id(), Some(&step_id));
    {
        let resumed = state.resume().start();
        assert!(resumed.is_resumed());
        let t = current_trace().unwrap();
        assert_eq!(t.trace_id(), original.trace_id());
        assert_eq!((t.workflow_name(), t.group_id(), t.metadata()), ("Refund", Some("chat-42"), original.metadata()));
        assert_eq!(t.started_at(), None, "it started in another process");
        assert_eq!(current_span_id(), Some(step_id.clone()), "the saved span is current again");
        // Outgoing calls name the saved span.
        assert_eq!(injected()[0].1, format!("00-{:032x}-{:016x}-01", t.trace_id().to_w3c(), step_id.to_w3c()));
        let tool = function_span("refund").start();
        assert_eq!(tool.span().unwrap().parent_id(), Some(&step_id));
    }
    assert_eq!((trace_starts(&rec), trace_ends(&rec)), (1, 1), "no second start, no second end");
    assert!(current_trace().is_none(), "the resumed guard left the context");
    let spans = rec.finished_spans();
    let refund = spans.iter().find(|s| s.kind() == SpanKind::Function).unwrap();
    assert_eq!(refund.trace_id(), original.trace_id());
    assert_eq!(refund.parent_id(), Some(&step_id));
}

#[test]
fn a_state_saved_at_the_trace_level_resumes_with_top_level_spans() {
    let (_l, rec) = lock();
    let state = {
        let run = trace("wf").start();
        TraceState::from_parent(&run.as_parent())
    };
    assert_eq!(state.parent_span_id(), None);
    let resumed = state.resume().start();
    assert!(matches!(resumed.as_parent(), Parent::Trace(_)));
    custom_span("later").start().end();
    drop(resumed);
    assert_eq!(rec.finished_spans()[0].parent_id(), None);
    assert_eq!(trace_starts(&rec), 1);
}

#[test]
fn the_key_must_be_given_again_and_match() {
    let (_l, rec) = lock();
    let state = {
        let _run = trace("wf").tracing_api_key("sk-tenant-a").start();
        TraceState::current()
    };
    assert!(state.has_tracing_api_key());
    assert!(!state.to_json_string().contains("sk-tenant-a"));
    let before = trace_state::key_mismatches();

    // The right key: resumed, spans exported with it.
    let resumed = state.resume().tracing_api_key("sk-tenant-a").try_start().unwrap();
    assert!(resumed.is_resumed());
    let mut s = custom_span("with key").start();
    assert_eq!(s.span().unwrap().tracing_api_key().map(ApiKey::expose), Some("sk-tenant-a"));
    s.finish();
    drop(s);
    drop(resumed);

    // try_start: each mismatch is an error, nothing starts.
    assert_eq!(state.resume().tracing_api_key("sk-tenant-b").try_start().unwrap_err(), ResumeError::WrongKey);
    assert_eq!(state.resume().try_start().unwrap_err(), ResumeError::KeyMissing);
    assert!(current_trace().is_none());
    assert_eq!(trace_starts(&rec), 1);
    assert_eq!(trace_state::key_mismatches() - before, 2);

    // start: Python's outcome, a fresh trace under the key given, announced.
    let fresh = state.resume().tracing_api_key("sk-tenant-b").start();
    assert!(!fresh.is_resumed());
    assert_eq!(fresh.trace_id(), state.trace_id());
    assert_eq!(fresh.trace().unwrap().tracing_api_key().map(ApiKey::expose), Some("sk-tenant-b"));
    custom_span("under b").start().end();
    drop(fresh);
    assert_eq!(trace_starts(&rec), 2);
    assert_eq!(Some(rec.started_traces()[1].trace_id()), state.trace_id());
    assert_eq!(trace_state::key_mismatches() - before, 3);

    // A trace saved without a key takes none; given one, it is a mismatch.
    let keyless = {
        let _run = trace("wf").start();
        TraceState::current()
    };
    assert!(keyless.resume().try_start().unwrap().is_resumed());
    assert_eq!(keyless.resume().tracing_api_key("sk-x").try_start().unwrap_err(), ResumeError::UnexpectedKey);
    let e = ResumeError::WrongKey.to_string();
    assert!(e.contains("does not match") && !e.contains("sk-"), "{e}");
}

#[test]
fn a_pythons_key_hash_cannot_be_checked_so_the_trace_starts_afresh() {
    let (_l, rec) = lock();
    let python = serde_json::json!({
        "object": "trace", "id": format!("trace_{TRACE_HEX}"), "workflow_name": "wf",
        "tracing_api_key_hash": "ab".repeat(32),
    });
    let state = TraceState::from_json(&python).unwrap();
    assert_eq!(state.resume().tracing_api_key("sk-a").try_start().unwrap_err(), ResumeError::UncheckableFingerprint);
    let fresh = state.resume().tracing_api_key("sk-a").start();
    assert!(!fresh.is_resumed() && !fresh.is_noop());
    drop(fresh);
    assert_eq!(trace_starts(&rec), 1);
}

#[test]
fn no_trace_no_state_no_trace() {
    let (_l, rec) = lock();
    let state = TraceState::current();
    assert!(state.is_noop());
    assert_eq!(state.to_json_string(), "null");
    let resumed = state.resume().start();
    assert!(resumed.is_noop());
    custom_span("nothing").start().end();
    drop(resumed);
    assert!(rec.events().is_empty());

    // With tracing disabled, a real state resumes as a no-op too.
    let state = {
        let _run = trace("wf").start();
        TraceState::current()
    };
    set_tracing_disabled(true);
    assert!(state.resume().start().is_noop());
    set_tracing_disabled(false);
}

#[test]
fn a_continued_trace_keeps_its_remote_parent_when_resumed() {
    let (_l, _rec) = lock();
    let state = {
        let _run = trace("wf").traceparent(INCOMING).tracestate("congo=t61").start();
        TraceState::current()
    };
    let _resumed = state.resume().start();
    let t = current_trace().unwrap();
    assert_eq!(t.remote_parent().map(|r| *r.traceparent()), TraceParent::parse(INCOMING).ok());
    assert_eq!(injected()[1], ("tracestate".to_owned(), "agents-tracing=1,congo=t61".to_owned()));
}

#[test]
fn a_trace_continued_from_a_process_of_this_library_is_announced_once() {
    let (_l, rec) = lock();
    // The caller: a trace of its own, announced here; its call carries both headers.
    let (traceparent, tracestate) = {
        let _run = trace("caller").start();
        let _call = custom_span("call worker").start();
        let headers = injected();
        (headers[0].1.clone(), headers[1].1.clone())
    };
    assert_eq!(trace_starts(&rec), 1);
    // The callee continues it: same id, not announced again, not ended here either.
    let run = trace("worker").traceparent(traceparent.as_str()).tracestate(tracestate.as_str()).start();
    assert!(run.is_resumed(), "continued from an announcing caller");
    assert!(run.trace().unwrap().remote_parent().unwrap().announced());
    drop(run);
    assert_eq!((trace_starts(&rec), trace_ends(&rec)), (1, 1), "announced and ended once, by the caller");
    // A caller that is no process of this library (a gateway): announced here.
    let gateway = trace("from gateway").traceparent(INCOMING).tracestate("congo=t61").start();
    assert!(!gateway.is_resumed());
    assert_eq!(trace_starts(&rec), 2);
}

#[test]
fn a_trace_whose_custom_id_goes_out_hashed_is_announced_by_the_callee() {
    let (_l, rec) = lock();
    // Python's documented id format allows any alphanumerics: not W3C hex, so it is hashed.
    let headers = {
        let _run = trace("caller").trace_id("trace_ABCdefGHIjklMNOpqrSTUvwxYZ012345").start();
        let _call = custom_span("call worker").start();
        injected()
    };
    assert_eq!(headers.len(), 1, "a traceparent, and no tracestate claiming the callee's id was announced");
    let run = trace("worker").traceparent(headers[0].1.as_str()).start();
    assert!(!run.is_resumed(), "the callee's id differs from the caller's: it announces its trace");
    assert_ne!(run.trace_id().unwrap().to_string(), "trace_ABCdefGHIjklMNOpqrSTUvwxYZ012345");
    drop(run);
    assert_eq!(trace_starts(&rec), 2);
    // A trace continued from W3C keeps the W3C id: it announces, and passes the state on.
    let continued = trace("relay").traceparent(INCOMING).tracestate("congo=t61").start();
    assert_eq!(injected()[1].1, "agents-tracing=1,congo=t61", "its id came from W3C: announced here");
    drop(continued);
}

#[test]
fn with_no_span_current_an_announced_callers_headers_go_on_unchanged() {
    let (_l, _rec) = lock();
    // The caller is a process of this library; its flags say "not sampled".
    let incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    let run = trace("callee").traceparent(incoming).tracestate("congo=t61,agents-tracing=1").start();
    assert!(run.is_resumed());
    // The parent-id sent would be the caller's: W3C allows no other change then.
    assert_eq!(
        injected(),
        [
            ("traceparent".to_owned(), incoming.to_owned()),
            ("tracestate".to_owned(), "congo=t61,agents-tracing=1".to_owned())
        ]
    );
    // Under a span of its own: a new parent-id, `sampled` (recorded here), our entry first.
    let step = custom_span("step").start();
    let headers = injected();
    let sent = TraceParent::parse(&headers[0].1).unwrap();
    assert_eq!(sent.parent_id(), step.span_id().unwrap().to_w3c());
    assert!(sent.sampled());
    assert_eq!(headers[1].1, "agents-tracing=1,congo=t61");
}
