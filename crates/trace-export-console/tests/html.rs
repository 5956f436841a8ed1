//! The HTML page of `HtmlWaterfallExporter`: its structure, the embedded data (one row per
//! span, in tree order), the escaping of user strings, the caps, and the files written.
//! The page in a real browser is checked by `cargo xtask html` (headless Chromium).

use std::sync::Arc;

use serde_json::{json, Value};
use trace_core::*;
use trace_export_console::{ConfigError, HtmlError, HtmlStats, HtmlWaterfallExporter};

use crate::support::{at, failed, map, span, trace, TempDir};

const DATA_OPEN: &str = r#"<script type="application/json" id="waterfall-data">"#;

fn exporter() -> HtmlWaterfallExporter {
    HtmlWaterfallExporter::run_file("unused.html").title("Test run").build().unwrap()
}

fn page(e: &HtmlWaterfallExporter) -> String {
    let mut out = Vec::new();
    e.render(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The data document embedded in a page, parsed.
fn data(page: &str) -> Value {
    let start = page.find(DATA_OPEN).expect("data element") + DATA_OPEN.len();
    let len = page[start..].find("</script>").expect("end of the data element");
    serde_json::from_str(&page[start..start + len]).expect("the data is JSON")
}

/// Items as a processor offering trace ends gives them: the trace, its spans, the trace's end.
fn items(t: &Arc<Trace>, spans: &[Arc<Span>]) -> Vec<ExportItem> {
    let mut items = vec![ExportItem::Trace(Arc::clone(t))];
    items.extend(spans.iter().cloned().map(ExportItem::Span));
    items.push(ExportItem::TraceEnd(Arc::clone(t)));
    items
}

/// An agent with a generation and two tool calls, one failing, and a handoff.
fn small_run(id: u128) -> (Arc<Trace>, Vec<Arc<Span>>) {
    let t = trace(id, "Customer service", 1000);
    let spans = vec![
        span(&t, 2, Some(1), (10, 400), GenerationSpanData { model: Some("gpt-4o".into()), ..Default::default() }),
        span(&t, 3, Some(1), (410, 420), FunctionSpanData { name: "lookup".into(), ..Default::default() }),
        failed(
            span(&t, 4, Some(1), (430, 600), FunctionSpanData { name: "refund".into(), ..Default::default() }),
            "gateway timeout",
        ),
        span(&t, 1, None, (0, 900), AgentSpanData { name: "Triage".into(), ..Default::default() }),
        span(
            &t,
            5,
            None,
            (900, 901),
            HandoffSpanData { from_agent: Some("Triage".into()), to_agent: Some("Billing".into()) },
        ),
    ];
    (t, spans)
}

#[test]
fn the_page_is_self_contained() {
    let e = exporter();
    let (t, spans) = small_run(1);
    e.export(&items(&t, &spans)).unwrap();
    let html = page(&e);
    assert!(html.starts_with("<!doctype html>\n<html"));
    let csp = r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-"#;
    assert_eq!(html.matches(csp).count(), 1);
    // No attribute can load anything: no src, href, srcset or action, no url() in the CSS.
    let lower = html.to_ascii_lowercase();
    for needle in ["src=", "href=", "srcset=", "action=", "url(", "@import", "<link", "<iframe", "<img"] {
        assert!(!lower.contains(needle), "{needle}");
    }
    // One data element, the style and two scripts (the CSP counter and the waterfall).
    assert_eq!(html.matches(DATA_OPEN).count(), 1);
    assert_eq!(html.matches("<style>").count(), 1);
    assert_eq!(html.matches("<script nonce=").count(), 2);
    assert_eq!(html.matches("</script>").count(), 3);
    assert!(html.trim_end().ends_with("</html>"));
}

#[test]
fn one_row_per_span_in_tree_order_with_the_exported_json() {
    let e = exporter();
    let (t, spans) = small_run(1);
    e.export(&items(&t, &spans)).unwrap();
    let d = data(&page(&e));
    assert_eq!(d["version"], 1);
    assert_eq!(d["title"], "Test run");
    let traces = d["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 1);
    let tr = &traces[0];
    assert_eq!(tr["id"], "trace_00000000000000000000000000000001");
    assert_eq!(tr["workflow"], "Customer service");
    assert_eq!(
        (tr["ended"].clone(), tr["start_seen"].clone(), tr["errors"].clone()),
        (json!(true), json!(true), json!(1))
    );
    assert_eq!(tr["duration_us"], 1_000_000);
    assert_eq!(tr["started_at"], at(0).to_iso8601());
    // Rows: [depth, parent_row, start_us, end_us, kind, name, details, error, orphan, alert].
    assert_eq!(
        tr["rows"],
        json!([
            [0, -1, 0, 900_000, "agent", "Triage", "", null, 0, 0],
            [1, 0, 10_000, 400_000, "generation", "gpt-4o", "", null, 0, 0],
            [1, 0, 410_000, 420_000, "function", "lookup", "", null, 0, 0],
            [1, 0, 430_000, 600_000, "function", "refund", "", "gateway timeout", 0, 0],
            [0, -1, 900_000, 901_000, "handoff", "Triage -> Billing", "", null, 0, 0],
        ])
    );
    // Each row's span is the span's exported JSON, byte for byte what exporters send.
    let rows_spans = tr["spans"].as_array().unwrap();
    let order = [1u128, 2, 3, 4, 5];
    for (row, id) in rows_spans.iter().zip(order) {
        let original = spans.iter().find(|s| s.span_id() == &SpanId::from_u128(id)).unwrap();
        assert_eq!(row, &wire::to_json_value(&**original).unwrap());
    }
    assert_eq!(tr["trace"], wire::to_json_value(&*t).unwrap());
}

#[test]
fn user_strings_cannot_break_out_of_the_page() {
    let e = exporter();
    let nasty = "</script><script>alert(1)</script><!-- & </SCRIPT >";
    let t = Arc::new(Trace::new(TraceId::from_u128(7), format!("wf {nasty}")).with_times(at(0), at(10)));
    let spans = vec![
        span(
            &t,
            1,
            None,
            (0, 5),
            CustomSpanData { name: nasty.to_owned().into(), data: map(json!({"html": nasty, "<k>": [nasty]})).into() },
        ),
        failed(
            span(
                &t,
                2,
                None,
                (5, 6),
                FunctionSpanData { name: "f".into(), input: Some(nasty.into()), ..Default::default() },
            ),
            nasty,
        ),
    ];
    e.export(&items(&t, &spans)).unwrap();
    let html = page(&e);
    // Only the page's own elements close: the data adds no `</script`, `<!--` or `<script`.
    assert_eq!(html.to_ascii_lowercase().matches("</script").count(), 3);
    assert_eq!(html.to_ascii_lowercase().matches("<script").count(), 3);
    assert!(!html.contains("<!--"));
    // And the strings come back exactly.
    let d = data(&html);
    let tr = &d["traces"][0];
    assert_eq!(tr["workflow"], format!("wf {nasty}"));
    assert_eq!(tr["spans"][0]["span_data"]["name"], nasty);
    assert_eq!(tr["spans"][0]["span_data"]["data"]["html"], nasty);
    assert_eq!(tr["spans"][0]["span_data"]["data"]["<k>"][0], nasty);
    assert_eq!(tr["spans"][1]["error"]["message"], nasty);
    assert_eq!(tr["rows"][1][7], nasty);
}

#[test]
fn json_nested_100000_levels_is_cut_not_a_crash() {
    let e = exporter();
    let t = trace(8, "deep", 10);
    let mut deep = Value::Null;
    for _ in 0..100_000 {
        deep = Value::Array(vec![deep]);
    }
    let deep_data = JsonMap::from_iter([("v".to_owned(), deep)]);
    let s = span(&t, 1, None, (0, 1), CustomSpanData { name: "deep".into(), data: deep_data.into() });
    e.export(&items(&t, &[s])).unwrap();
    let html = page(&e);
    assert!(html.contains(DEPTH_LIMIT_MARKER));
    let d = data(&html);
    assert_eq!(d["traces"][0]["rows"].as_array().unwrap().len(), 1);
}

#[test]
fn caps_are_counted_and_said_on_the_page() {
    let e = HtmlWaterfallExporter::run_file("unused.html")
        .max_traces(2)
        .max_spans_per_trace(3)
        .max_spans(5)
        .build()
        .unwrap();
    let (a, b, c) = (trace(1, "a", 10), trace(2, "b", 10), trace(3, "c", 10));
    let s = |t: &Arc<Trace>, i: u128| span(t, i, None, (0, 1), CustomSpanData::default());
    let mut batch = vec![ExportItem::Trace(a.clone()), ExportItem::Trace(b.clone()), ExportItem::Trace(c.clone())];
    batch.extend((1..=4).map(|i| ExportItem::Span(s(&a, i)))); // the 4th: over the per-trace cap
    batch.extend((5..=7).map(|i| ExportItem::Span(s(&b, i)))); // the 7th: over the run's cap
    batch.push(ExportItem::Span(s(&c, 8))); // c was refused: no room
    e.export(&batch).unwrap();
    let stats: HtmlStats = e.stats();
    assert_eq!((stats.traces_held, stats.spans_held, stats.traces_dropped), (2, 5, 1));
    assert_eq!((stats.spans_dropped_trace_cap, stats.spans_dropped_run_cap, stats.spans_dropped_no_room), (1, 1, 1));
    assert_eq!((stats.spans_dropped_after_shutdown, stats.pages_written, stats.write_errors), (0, 0, 0));
    assert_eq!(stats.spans_dropped(), 3);
    let d = data(&page(&e));
    assert_eq!(d["dropped"], json!({"traces": 1, "spans": 3}));
    assert_eq!(d["limits"], json!({"max_traces": 2, "max_spans_per_trace": 3, "max_spans": 5}));
    assert_eq!(d["traces"][0]["dropped"], 1);
    assert_eq!(d["traces"][1]["dropped"], 1);
    assert_eq!(d["traces"][0]["rows"].as_array().unwrap().len(), 3);
    assert_eq!(e.stats().pages_written, 1);
}

#[test]
fn bad_settings_are_refused_with_what_to_do() {
    assert_eq!(HtmlWaterfallExporter::run_file("").build().unwrap_err(), ConfigError::EmptyPath);
    let err = HtmlWaterfallExporter::per_trace("d").max_spans(0).build().unwrap_err();
    assert_eq!(err, ConfigError::ZeroLimit { setting: "max_spans", default: 200_000 });
    let err = HtmlWaterfallExporter::run_file("x.html").max_traces(0).build().unwrap_err();
    assert!(err.to_string().starts_with("max_traces is 0"), "{err}");
}

#[test]
fn one_page_per_run_is_written_on_demand_and_at_shutdown() {
    let dir = TempDir::new("run");
    let path = dir.0.join("sub").join("run.html");
    let e = HtmlWaterfallExporter::run_file(&path).build().unwrap();
    let (t, spans) = small_run(1);
    e.export(&items(&t, &spans)).unwrap();
    assert_eq!(e.write().unwrap(), vec![path.clone()]);
    let first = std::fs::read_to_string(&path).unwrap();
    assert_eq!(data(&first)["traces"].as_array().unwrap().len(), 1);
    // A second trace, then shutdown: the page is written again with both.
    let (t2, spans2) = small_run(2);
    e.export(&items(&t2, &spans2)).unwrap();
    e.shutdown();
    let last = std::fs::read_to_string(&path).unwrap();
    assert_eq!(data(&last)["traces"].as_array().unwrap().len(), 2);
    // Nothing left beside it (the temporary file was renamed).
    assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    let stats = e.stats();
    assert_eq!((stats.pages_written, stats.spans_in_pages, stats.spans_held, stats.traces_held), (2, 10, 0, 0));
    // After shutdown: nothing held, later spans counted, write says why it cannot.
    e.export(&[ExportItem::Span(spans[0].clone())]).unwrap();
    assert_eq!(e.stats().spans_dropped_after_shutdown, 1);
    assert!(matches!(e.write(), Err(HtmlError::ShutDown)));
    e.shutdown(); // a second shutdown does nothing
    assert_eq!(e.stats().pages_written, 2);
}

#[test]
fn two_writers_of_one_page_never_share_a_temporary_file() {
    let dir = TempDir::new("writers");
    let path = dir.0.join("run.html");
    let e = HtmlWaterfallExporter::run_file(&path).build().unwrap();
    let (t, spans) = small_run(1);
    e.export(&items(&t, &spans)).unwrap();
    let start = std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                start.wait();
                for _ in 0..25 {
                    e.write().expect("every write succeeds");
                }
            });
        }
    });
    let page = std::fs::read_to_string(&path).unwrap();
    assert_eq!(data(&page)["traces"].as_array().unwrap().len(), 1);
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1, "no temporary file left");
    assert_eq!((e.stats().pages_written, e.stats().write_errors), (50, 0));
}

#[test]
fn one_page_per_trace_is_written_when_the_trace_ends() {
    let dir = TempDir::new("per-trace");
    let e = HtmlWaterfallExporter::per_trace(&dir.0).build().unwrap();
    let (t, spans) = small_run(0xa1);
    e.export(&items(&t, &spans)).unwrap();
    let page_a = dir.0.join("trace_000000000000000000000000000000a1.html");
    let d = data(&std::fs::read_to_string(&page_a).unwrap());
    assert_eq!(d["traces"].as_array().unwrap().len(), 1);
    assert_eq!(d["traces"][0]["rows"].as_array().unwrap().len(), 5);
    assert_eq!((e.stats().spans_held, e.stats().spans_in_pages), (0, 5));
    // A trace still running: written by write() (kept) and again at shutdown (released).
    let (open, open_spans) = small_run(0xb2);
    let mut started = vec![ExportItem::Trace(open.clone())];
    started.extend(open_spans.iter().take(2).cloned().map(ExportItem::Span));
    e.export(&started).unwrap();
    let page_b = dir.0.join("trace_000000000000000000000000000000b2.html");
    assert_eq!(e.write().unwrap(), vec![page_b.clone()]);
    assert_eq!(e.stats().spans_held, 2);
    e.shutdown();
    let d = data(&std::fs::read_to_string(&page_b).unwrap());
    assert_eq!(d["traces"][0]["ended"], false);
    let stats = e.stats();
    assert_eq!((stats.pages_written, stats.spans_in_pages, stats.spans_held), (3, 7, 0));
    // The pages hold every span's data: their owner's alone.
    #[cfg(unix)]
    for page in [&page_a, &page_b] {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(page).unwrap().permissions().mode() & 0o777, 0o600, "{page:?}");
    }
}

#[test]
fn a_span_ending_after_its_trace_gets_a_page_of_its_own() {
    // The trace's page is written at its end; a span of it that ends later (a detached
    // task) holds the trace again, and its page must not replace the complete one.
    let dir = TempDir::new("late");
    let e = HtmlWaterfallExporter::per_trace(&dir.0).build().unwrap();
    let (t, spans) = small_run(0xc3);
    e.export(&items(&t, &spans)).unwrap();
    let late = span(&t, 9, Some(1), (950, 990), FunctionSpanData { name: "late".into(), ..Default::default() });
    e.export(&[ExportItem::Span(late)]).unwrap();
    e.shutdown();
    let first = data(&std::fs::read_to_string(dir.0.join("trace_000000000000000000000000000000c3.html")).unwrap());
    assert_eq!(first["traces"][0]["rows"].as_array().unwrap().len(), 5, "the complete page is kept");
    let second = data(&std::fs::read_to_string(dir.0.join("trace_000000000000000000000000000000c3-2.html")).unwrap());
    let trace = &second["traces"][0];
    assert_eq!((trace["rows"].as_array().unwrap().len(), &trace["start_seen"]), (1, &json!(false)));
}

#[test]
fn a_page_that_cannot_be_written_is_an_error_naming_the_file_and_counted() {
    let dir = TempDir::new("unwritable");
    let blocker = dir.0.join("file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let path = blocker.join("run.html");
    let e = HtmlWaterfallExporter::run_file(&path).build().unwrap();
    let (t, spans) = small_run(1);
    e.export(&items(&t, &spans)).unwrap();
    let err = e.write().unwrap_err();
    match &err {
        HtmlError::File { path: p, .. } => assert_eq!(p, &path),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("check that the directory exists and is writable"), "{err}");
    assert_eq!(e.stats().write_errors, 1);
    // The spans stay held for another try; shutdown fails the same way, counted, no panic.
    assert_eq!(e.stats().spans_held, 5);
    e.shutdown();
    let stats = e.stats();
    assert_eq!((stats.write_errors, stats.spans_in_failed_pages, stats.pages_written), (2, 5, 0));
}

#[test]
fn a_trace_exported_after_it_ended_is_still_a_start_then_an_end() {
    // Under the batch processor, a trace queued at its start may be exported after it
    // ended (same `Arc`, end time already set): it is still its start.
    let dir = TempDir::new("late-start");
    let e = HtmlWaterfallExporter::per_trace(&dir.0).build().unwrap();
    let (t, spans) = small_run(0xc3);
    assert!(t.ended_at().is_some());
    let mut first = vec![ExportItem::Trace(t.clone())];
    first.extend(spans[..3].iter().cloned().map(ExportItem::Span));
    e.export(&first).unwrap();
    assert_eq!((e.stats().pages_written, e.stats().spans_held), (0, 3));
    let mut rest: Vec<ExportItem> = spans[3..].iter().cloned().map(ExportItem::Span).collect();
    rest.push(ExportItem::TraceEnd(t.clone()));
    e.export(&rest).unwrap();
    assert_eq!((e.stats().pages_written, e.stats().spans_in_pages), (1, 5));
}

#[test]
fn a_trace_end_whose_start_never_came_writes_its_page_at_the_end() {
    // b's start is refused (no room), then a ends and makes room: b's end alone writes
    // b's page, ended, its start not seen, and b is not counted as dropped twice. (The
    // same for a start lost on the way: a full queue drops it.)
    let dir = TempDir::new("end-only");
    let e = HtmlWaterfallExporter::per_trace(&dir.0).max_traces(1).build().unwrap();
    let (a, b) = (trace(0xa1, "a", 10), trace(0xb2, "b", 10));
    e.export(&[ExportItem::Trace(a.clone()), ExportItem::Trace(b.clone())]).unwrap();
    assert_eq!((e.stats().traces_held, e.stats().traces_dropped), (1, 1));
    e.export(&[ExportItem::TraceEnd(a)]).unwrap();
    e.export(&[ExportItem::TraceEnd(b)]).unwrap();
    let stats = e.stats();
    assert_eq!((stats.pages_written, stats.traces_held, stats.traces_dropped), (2, 0, 1));
    let d = data(&std::fs::read_to_string(dir.0.join("trace_000000000000000000000000000000b2.html")).unwrap());
    assert_eq!((&d["traces"][0]["ended"], &d["traces"][0]["start_seen"]), (&json!(true), &json!(false)));
    // A per-trace page says how many traces the run dropped, as the run's page does.
    assert_eq!(d["dropped"]["traces"], 1);
    // After shutdown, an end is refused like anything else.
    e.shutdown();
    e.export(&[ExportItem::TraceEnd(trace(0xc3, "c", 10))]).unwrap();
    assert_eq!(e.stats().pages_written, 2);
}

#[test]
fn ten_thousand_spans_make_one_page_of_bounded_size() {
    let e = exporter();
    let t = trace(9, "large", 10_000);
    let mut spans = Vec::with_capacity(10_000);
    for i in 1..=10_000u128 {
        // 100 agents, each with 99 tool calls under it.
        let (parent, data): (Option<u128>, SpanData) = if i % 100 == 1 {
            (None, AgentSpanData { name: format!("agent {i}").into(), ..Default::default() }.into())
        } else {
            let input = format!(r#"{{"q": {i}}}"#);
            (
                Some(i - (i - 1) % 100),
                FunctionSpanData { name: "search".into(), input: Some(input), ..Default::default() }.into(),
            )
        };
        let ms = i as u64;
        spans.push(span(&t, i, parent, (ms, ms + 1), data));
    }
    e.export(&items(&t, &spans)).unwrap();
    let html = page(&e);
    assert!(html.len() < 10_000_000, "{} bytes", html.len());
    let d = data(&html);
    let rows = d["traces"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 10_000);
    assert_eq!(rows.iter().filter(|r| r[0] == 0).count(), 100);
    // Pre-order: each agent followed by its 99 calls.
    assert!(rows.chunks(100).all(|c| c[0][0] == 0 && c[1..].iter().all(|r| r[0] == 1)));
}
