//! Spans across `.await` on a multi-threaded executor: each task carries its own trace
//! context, so its spans get the right parents whatever thread polls them.
//!
//! ```text
//! cargo run --example async_context
//! ```

use std::time::Duration;

use agents_tracing::{
    agent_span, custom_span, function_span, set_trace_processor, trace, FutureExt, InMemoryProcessor, SpanKind,
};
use SpanKind::{Agent, Custom, Function};

async fn run_agent(name: String) {
    let _agent = agent_span(name.clone()).start();
    for i in 0..3u64 {
        let _call = function_span("search").input(format!(r#"{{"page": {i}}}"#)).start();
        // The task may resume on another worker thread here.
        tokio::time::sleep(Duration::from_millis(5 * (i + 1))).await;
        let _parse = custom_span("parse results").start();
        tokio::task::yield_now().await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let recorder = InMemoryProcessor::new();
    set_trace_processor(recorder.clone());

    let _workflow = trace("research").start();
    let tasks: Vec<_> = ["Planner", "Searcher", "Writer"]
        .into_iter()
        .map(|name| tokio::spawn(run_agent(name.to_owned()).in_current_context()))
        .collect();
    for t in tasks {
        t.await.expect("task panicked");
    }

    let spans = recorder.finished_spans();
    let by_id: std::collections::HashMap<_, _> = spans.iter().map(|s| (s.span_id().clone(), s)).collect();
    let mut wrong = 0;
    for s in &spans {
        let (kind, parent_kind) = (s.kind(), s.parent_id().map(|p| by_id[p].kind()));
        let ok = matches!((kind, parent_kind), (Agent, None) | (Function, Some(Agent)) | (Custom, Some(Function)));
        wrong += usize::from(!ok);
        let parent = parent_kind.map_or("(trace)", SpanKind::as_str);
        println!("{kind:>9} {:<14} parent: {parent}", s.data().name().unwrap_or_default());
    }
    println!("{} spans, {} with a wrong parent", spans.len(), wrong);
    assert_eq!(wrong, 0);
}
