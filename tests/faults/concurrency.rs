//! Many threads and async tasks, each running its own traces at the same time, through the
//! full pipeline: every span arrives once, in its own trace, under its own parent.

use std::collections::HashMap;
use std::time::Duration;

use agents_tracing::core::{custom_span, trace, FutureExt};
use serde_json::Value;
use test_support::server::Reply;

use super::{body, exporter, hold_exports, server, timed, Accounting, Pipeline, Produced};

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
    a.print("many_threads_and_tasks", produced.max_block, Some(shutdown));
}
