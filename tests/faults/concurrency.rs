//! Many threads and async tasks, each running its own traces at the same time, through the
//! full pipeline: every span arrives once, in its own trace, under its own parent.

use std::collections::HashMap;
use std::time::Duration;

use agents_tracing::core::{custom_span, trace, FutureExt};
use serde_json::Value;
use test_support::server::Reply;

use super::{
    assert_acknowledged_once, body, exporter, hold_exports, on_flush_only, produce, server, timed, Accounting,
    Pipeline, Produced,
};
use test_support::server::TestServer;

/// Checks that no request arrived carrying a span before the request carrying its trace:
/// for every span, the trace's request came first (or is the same request).
fn no_span_before_its_trace(requests: &[test_support::server::Recorded]) {
    let mut trace_request = HashMap::new();
    for (i, r) in requests.iter().enumerate() {
        for item in body(r)["data"].as_array().cloned().unwrap_or_default() {
            if item["object"] == "trace" {
                trace_request.entry(item["id"].as_str().unwrap_or("").to_owned()).or_insert(i);
            }
        }
    }
    for (i, r) in requests.iter().enumerate() {
        for item in body(r)["data"].as_array().cloned().unwrap_or_default() {
            if item["object"] == "trace.span" {
                let trace = item["trace_id"].as_str().unwrap_or("");
                let first = trace_request.get(trace).copied();
                assert!(first.is_some_and(|t| t <= i), "request {i} carries a span of {trace}, sent in {first:?}");
            }
        }
    }
}

/// One trace named `who`: a span `A` with three children `B0..B2`, each with a child `C`.
/// 1 trace + 7 spans.
fn tree(who: &str, max: &mut Duration) {
    let guard = timed(max, || trace(who.to_owned()).start());
    {
        let _a = timed(max, || custom_span(format!("{who}/A")).start());
        for i in 0..3 {
            let _b = timed(max, || custom_span(format!("{who}/A/B{i}")).start());
            std::thread::yield_now();
            let c = timed(max, || custom_span(format!("{who}/A/B{i}/C")).start());
            timed(max, || c.end());
        }
    }
    timed(max, || guard.end());
}

#[test]
fn many_threads_and_tasks_each_with_its_own_trace_keep_their_parents() {
    let server = server(Reply::ok());
    let p = Pipeline::install(exporter(&server.url()), |b| b, vec![]);
    const THREADS: usize = 8;
    const TRACES: usize = 5;
    const TASKS: usize = 16;

    let held = hold_exports();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                let mut max = Duration::ZERO;
                for r in 0..TRACES {
                    tree(&format!("thread{t}-trace{r}"), &mut max);
                }
                max
            })
        })
        .collect();

    // Tasks on a 2-thread runtime, interleaved at every await, each with its own context.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_time().build().unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|k| {
            runtime.spawn(
                async move {
                    let mut max = Duration::ZERO;
                    let who = format!("task{k}");
                    let guard = timed(&mut max, || trace(who.clone()).start());
                    {
                        let _a = timed(&mut max, || custom_span(format!("{who}/A")).start());
                        for i in 0..3 {
                            let _b = timed(&mut max, || custom_span(format!("{who}/A/B{i}")).start());
                            tokio::task::yield_now().await;
                            let c = timed(&mut max, || custom_span(format!("{who}/A/B{i}/C")).start());
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            timed(&mut max, || c.end());
                        }
                    }
                    timed(&mut max, || guard.end());
                    max
                }
                .in_current_context(),
            )
        })
        .collect();

    let mut produced = Produced::default();
    for t in threads {
        produced.add(Produced { items: (TRACES * 8) as u64, max_block: t.join().unwrap(), exports_held: 0 });
    }
    for t in tasks {
        produced.add(Produced { items: 8, max_block: runtime.block_on(t).unwrap(), exports_held: 0 });
    }
    held.release();
    let shutdown = p.flush_then_shut_down(Duration::from_secs(10));

    let requests = server.requests();
    let a = Accounting::check_delivered_once(&p, produced.items, &requests);

    // Rebuild the trees from what the server received.
    let items: Vec<Value> =
        requests.iter().flat_map(|r| body(r)["data"].as_array().cloned().unwrap_or_default()).collect();
    let traces: HashMap<String, String> = items
        .iter()
        .filter(|i| i["object"] == "trace")
        .map(|i| (i["id"].as_str().unwrap().to_owned(), i["workflow_name"].as_str().unwrap().to_owned()))
        .collect();
    let spans: HashMap<String, &Value> = items
        .iter()
        .filter(|i| i["object"] == "trace.span")
        .map(|i| (i["id"].as_str().unwrap().to_owned(), i))
        .collect();
    assert_eq!(traces.len(), THREADS * TRACES + TASKS);
    assert_eq!(spans.len(), (THREADS * TRACES + TASKS) * 7);
    for span in spans.values() {
        let name = span["span_data"]["name"].as_str().unwrap();
        let (owner, path) = name.split_once('/').unwrap();
        // Its own trace, never another thread's or task's.
        assert_eq!(traces[span["trace_id"].as_str().unwrap()], owner, "{span}");
        match path.rsplit_once('/') {
            // `A` hangs off the trace itself.
            None => assert!(span["parent_id"].is_null(), "{span}"),
            Some((parent_path, _)) => {
                let parent = spans[span["parent_id"].as_str().expect("a parent")];
                assert_eq!(parent["span_data"]["name"], format!("{owner}/{parent_path}"), "{span}");
                assert_eq!(parent["trace_id"], span["trace_id"]);
            }
        }
    }
    no_span_before_its_trace(&requests);
    a.print("many_threads_and_tasks", produced.max_block, Some(shutdown));
}

/// The OpenAI exporter asks for two exports at once: with a backlog, a slow answer to one
/// request does not hold back the next, which goes out on a second connection; and the
/// request that carries the trace is answered before any with its spans goes out.
#[test]
fn two_requests_in_flight_on_two_connections_and_no_span_before_its_trace() {
    // The second request is answered slowly (a byte every 20 ms), every other one at once.
    let server = TestServer::start([Reply::ok(), Reply::ok().slowly(Duration::from_millis(20))], Reply::ok());
    let p = Pipeline::install(exporter(&server.url()), |b| on_flush_only(b).max_batch_size(8), vec![]);
    assert_eq!(p.batch.config().max_concurrent_exports(), 2, "the exporter's default");
    // One trace of 63 spans: 64 items, 8 batches, all queued before the flush.
    let produced = produce("in-flight", 1, 1, 63);
    let shutdown = p.flush_then_shut_down(Duration::from_secs(10));
    let requests = server.requests();
    assert_eq!(requests.len(), 8);
    // The trace's batch goes out alone (every other batch has spans of that trace); then
    // two at a time, and the slow answer to one of the first two after it keeps its
    // connection busy while the other opens a second.
    assert_eq!(server.connections(), 2, "two requests in flight at once, on two connections");
    assert!(body(&requests[0])["data"][0]["object"] == "trace", "the trace's request comes first");
    no_span_before_its_trace(&requests);
    assert_acknowledged_once(&requests, produced.items);
    let a = Accounting::check(&p, produced.items);
    assert_eq!((a.batch.exported, a.batch.batches), (64, 8), "{:?}", a.batch);
    a.print("two_requests_in_flight", produced.max_block, Some(shutdown));
}
