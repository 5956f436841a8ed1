//! The redactor runs on the worker thread, once per item, before the exporter: the
//! exporter gets rewritten items, other holders of a span keep what was recorded, and
//! items the redactor panics on are dropped and counted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use trace_batch::{BatchTraceProcessor, WORKER_THREAD_NAME};
use trace_core::redact::Redactor;
use trace_core::{
    CustomSpanData, FunctionSpanData, InMemoryExporter, JsonMap, Span, SpanId, Trace, TraceId, TracingProcessor,
};

const PATIENCE: Option<Duration> = Some(Duration::from_secs(30));

fn mask_emails(text: &str) -> Option<String> {
    text.contains('@')
        .then(|| text.split(' ').map(|w| if w.contains('@') { "<email>" } else { w }).collect::<Vec<_>>().join(" "))
}

#[test]
fn items_are_rewritten_on_the_worker_before_the_exporter_sees_them() {
    let threads = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&threads);
    let redactor = Redactor::new(move |text: &str| {
        seen.lock().unwrap().push(std::thread::current().name().map(str::to_owned));
        mask_emails(text)
    });
    let exporter = InMemoryExporter::new();
    let p = BatchTraceProcessor::builder(exporter.clone()).redactor(redactor).build().unwrap();

    let trace = Arc::new(Trace::new(TraceId::generate(), "Support for ada@example.com").with_group_id("chat-1"));
    let tool = FunctionSpanData {
        name: "send_mail".into(),
        input: Some(r#"{"to": "ada@example.com", "key": "sk-proj-abcdefghijklmnopqrstuvwxyz0123"}"#.into()),
        output: Some("sent".into()),
        mcp_data: None,
    };
    let kept_elsewhere = Arc::new(Span::new(SpanId::generate(), Arc::clone(&trace), None, tool));
    let unique = Arc::new(Span::new(
        SpanId::generate(),
        Arc::clone(&trace),
        None,
        CustomSpanData { name: "plain".into(), data: JsonMap::from_iter([("n".to_owned(), json!(1))]).into() },
    ));
    p.on_trace_start(&trace);
    p.on_span_end(&kept_elsewhere);
    p.on_span_end(&unique);
    drop(unique);
    p.force_flush(PATIENCE).unwrap();

    let items = exporter.items();
    let text: Vec<String> = items.iter().map(|i| trace_core::wire::to_json_string(i).unwrap()).collect();
    assert!(text[0].contains(r#""workflow_name":"Support for <email>""#), "{}", text[0]);
    assert!(text[1].contains("<email>") && text[1].contains(r#"\"key\": \"<redacted>\""#), "{}", text[1]);
    assert!(!text.iter().any(|t| t.contains("ada@") || t.contains("sk-proj")));
    // The span another holder keeps is what was recorded.
    let FunctionSpanData { input, .. } = match kept_elsewhere.data() {
        trace_core::SpanData::Function(d) => d.clone(),
        other => panic!("{other:?}"),
    };
    assert!(input.unwrap().contains("ada@example.com"));
    // On the worker thread only.
    let threads = threads.lock().unwrap();
    assert!(!threads.is_empty());
    assert!(threads.iter().all(|t| t.as_deref() == Some(WORKER_THREAD_NAME)), "{threads:?}");
    let stats = p.stats();
    // All three rewritten: the plain span too, as its trace's workflow name changed.
    assert_eq!((stats.exported, stats.redacted, stats.lost), (3, 3, 0), "{stats:?}");
    assert_eq!(items[2].as_span().unwrap().trace().workflow_name(), "Support for <email>");
    p.shutdown(PATIENCE).unwrap();
}

#[test]
fn an_item_the_redactor_panics_on_is_dropped_and_counted() {
    let exporter = InMemoryExporter::new();
    let redactor = Redactor::new(|text: &str| if text == "boom" { panic!("redactor bug") } else { None });
    let p = BatchTraceProcessor::builder(exporter.clone()).redactor(redactor).build().unwrap();
    let trace = Arc::new(Trace::new(TraceId::generate(), "wf"));
    for name in ["ok", "boom", "ok too"] {
        let data = CustomSpanData { name: name.into(), data: Default::default() };
        p.on_span_end(&Arc::new(Span::new(SpanId::generate(), Arc::clone(&trace), None, data)));
    }
    p.force_flush(PATIENCE).unwrap();
    assert_eq!(exporter.items().len(), 2);
    let s = p.stats();
    assert_eq!((s.queued, s.exported, s.lost, s.lost_to_panics, s.failed_batches), (3, 2, 1, 1, 0), "{s:?}");
    assert_eq!(s.queued, s.exported + s.lost + s.pending);
    p.shutdown(PATIENCE).unwrap();
}
