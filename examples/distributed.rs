//! One trace across two processes through W3C Trace Context: this program starts itself
//! again as a child, hands it the `traceparent` of the span that makes the call (as an
//! HTTP client would send it in a header), and the child continues the trace. Then it
//! prints the spans both recorded, with their parents. Offline, no key.
//!
//! ```text
//! cargo run --example distributed
//! ```
//!
//! Between two processes of this library, a saved `TraceState` does more (the resumed
//! spans hang under the caller's span in the OpenAI format too, and the trace is announced
//! once); see `agents_tracing::core::trace_state`. A `traceparent` is what any
//! OpenTelemetry-instrumented service sends and reads.

use std::process::{Command, Stdio};

use agents_tracing::core::w3c;
use agents_tracing::{agent_span, custom_span, function_span, set_trace_processor, trace, InMemoryProcessor, Span};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("--child") => child(args.get(2).map(String::as_str)),
        _ => parent(),
    }
}

/// Handles a request by calling the child ("a worker service") under the span `call
/// worker`.
fn parent() -> Result<(), Box<dyn std::error::Error>> {
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());

    let run = trace("Handle request").start();
    let trace_id = run.trace_id().cloned().expect("tracing is on");
    println!("parent trace_id={trace_id}");
    let child_output = {
        let _handle = custom_span("handle request").start();
        let _call = custom_span("call worker").start();
        // What an HTTP client would put in the request's `traceparent` header.
        let traceparent = w3c::current_traceparent().expect("a span is current").to_string();
        let out =
            Command::new(std::env::current_exe()?).args(["--child", &traceparent]).stderr(Stdio::inherit()).output()?;
        if !out.status.success() {
            return Err(format!("the child failed: {}", out.status).into());
        }
        String::from_utf8(out.stdout)?
    };
    run.end();

    // The child's first line is its own `child trace_id=...`; the rest lists its spans.
    let mut lines = child_output.lines();
    println!("{}", lines.next().unwrap_or("child trace_id=?"));
    let ours = recorder.finished_spans();
    let name_of = |w3c_id: u64| {
        ours.iter()
            .find(|s| s.span_id().to_w3c() == w3c_id)
            .map(|s| format!("{} {:?} of the parent", s.span_id(), name(s)))
    };

    println!();
    println!("spans, with their parents:");
    for span in ours.iter().rev() {
        let parent = span.parent_id().map_or_else(|| format!("the trace {trace_id}"), ToString::to_string);
        println!("  parent: {} {:?} {} <- {parent}", span.kind(), name(span), span.span_id());
    }
    for line in lines {
        // `span <kind> <id> <parent or -> <remote parent-id or -> <name>`, from the child.
        let fields: Vec<&str> = line.splitn(6, ' ').collect();
        let [_, kind, id, parent, remote, name] = fields[..] else { continue };
        let parent = match (parent, u64::from_str_radix(remote, 16)) {
            ("-", Ok(remote)) => format!(
                "the trace {trace_id}, under the remote span {remote:016x} = {}",
                name_of(remote).unwrap_or_else(|| "a span the parent does not know".to_owned())
            ),
            (parent, _) => parent.to_owned(),
        };
        println!("  child:  {kind} {name:?} {id} <- {parent}");
    }
    Ok(())
}

/// The worker: continues the trace of the `traceparent` it was given.
fn child(traceparent: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());
    let remote = {
        let run = trace("Worker").traceparent(traceparent).start();
        println!("child trace_id={}", run.trace_id().expect("tracing is on"));
        let remote = run.trace().and_then(|t| t.remote_parent()).map(|r| r.traceparent().parent_id());
        let _agent = agent_span("Worker agent").tools(["lookup_order"]).start();
        let mut tool = function_span("lookup_order").input(r#"{"order_id": 42}"#).start();
        tool.set_output("shipped");
        remote
    };
    let remote = remote.map_or_else(|| "-".to_owned(), |r| format!("{r:016x}"));
    for span in recorder.finished_spans().iter().rev() {
        let parent = span.parent_id().map_or_else(|| "-".to_owned(), ToString::to_string);
        println!("span {} {} {parent} {remote} {}", span.kind(), span.span_id(), name(span));
    }
    Ok(())
}

/// A span's readable name.
fn name(span: &Span) -> String {
    span.data().name().unwrap_or_default()
}
