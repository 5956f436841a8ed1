//! Bad input against every exporter of the workspace, one table: each case (a 10 MB
//! string, JSON nested 100,000 levels in custom data, in trace metadata, in error data)
//! goes through a batch processor, whose worker thread has the default 2 MiB stack, into
//! each exporter (OpenAI plain and sanitized and OTLP against a loopback server, console,
//! the HTML waterfall, and a user exporter that writes with `trace_core::wire`). In this debug build,
//! serializing such a value the ordinary way overflows the worker's stack and aborts the
//! process. Expected, for every pair: no abort, the bad span delivered with the depth
//! marker where its JSON was cut, the cut counted (`depth_cuts`), and the span after it
//! in the same batch delivered.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agents_tracing::batch::BatchTraceProcessor;
use agents_tracing::console::{ConsoleSpanExporter, HtmlWaterfallExporter};
use agents_tracing::core::limits::{depth_cuts, DEPTH_LIMIT_MARKER};
use agents_tracing::core::{
    wire, CustomSpanData, ExportError, ExportItem, FunctionSpanData, JsonMap, Span, SpanError, SpanId, Trace, TraceId,
    TracingExporter, TracingProcessor,
};
use agents_tracing::openai::{BackendSpanExporter, Sanitize, WithHttpOptions};
use agents_tracing::otlp::OtlpSpanExporter;
use serde_json::Value;
use test_support::server::{Reply, TestServer};

const TEN_MB: usize = 10 * 1024 * 1024;
const DEEP: usize = 100_000;
/// What the sanitizer cuts `input`/`output` to, in bytes of JSON.
const SANITIZED_MAX: usize = 100_000;

/// An array/object chain `levels` deep, built without recursion.
fn nested(levels: usize) -> Value {
    let mut v = Value::String("bottom".into());
    for i in 0..levels {
        v = if i % 2 == 0 { Value::Array(vec![v]) } else { Value::Object(JsonMap::from_iter([("k".to_owned(), v)])) };
    }
    v
}

fn deep_map() -> JsonMap {
    JsonMap::from_iter([("deep".to_owned(), nested(DEEP)), ("shallow".to_owned(), Value::from(1))])
}

/// What the case checks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// JSON in the bad span cut with the marker.
    Cut,
    /// JSON in the trace's metadata cut with the marker: in the trace object (OpenAI
    /// format), in each span's attributes (OTLP), or not written at all (the console
    /// prints a trace's id and name only).
    CutInTrace,
    /// The 10 MB function input: as is, or cut by the OpenAI sanitizer.
    BigInput,
}

struct Case {
    /// The name the bad span goes out under.
    name: &'static str,
    /// The trace (with its metadata).
    trace: fn() -> Trace,
    /// The trace's one bad span.
    span: fn(&Arc<Trace>) -> Span,
    expect: Expect,
}

fn custom(trace: &Arc<Trace>, name: &'static str, data: JsonMap) -> Span {
    Span::new(SpanId::generate(), Arc::clone(trace), None, CustomSpanData { name: name.into(), data: data.into() })
}

const CASES: &[Case] = &[
    Case {
        name: "big",
        trace: || Trace::new(TraceId::generate(), "big-string"),
        span: |trace| {
            let data = FunctionSpanData { name: "big".into(), input: Some("i".repeat(TEN_MB)), ..Default::default() };
            Span::new(SpanId::generate(), Arc::clone(trace), None, data)
        },
        expect: Expect::BigInput,
    },
    Case {
        name: "deep_data",
        trace: || Trace::new(TraceId::generate(), "deep-custom-data"),
        span: |trace| custom(trace, "deep_data", deep_map()),
        expect: Expect::Cut,
    },
    Case {
        name: "deep_metadata",
        trace: || Trace::new(TraceId::generate(), "deep-trace-metadata").with_metadata(deep_map()),
        span: |trace| custom(trace, "deep_metadata", JsonMap::new()),
        expect: Expect::CutInTrace,
    },
    Case {
        name: "deep_error",
        trace: || Trace::new(TraceId::generate(), "deep-error-data"),
        span: |trace| {
            custom(trace, "deep_error", JsonMap::new())
                .with_error(SpanError::new("deep error data").with_data(deep_map()))
        },
        expect: Expect::Cut,
    },
];

/// A user's exporter: one JSON text per item, written with the public serializer.
#[derive(Default)]
struct UserExporter {
    lines: Mutex<Vec<String>>,
}

impl TracingExporter for UserExporter {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        let mut lines = self.lines.lock().unwrap();
        for item in items {
            let text = wire::to_json_string(item).map_err(|e| ExportError::failed(items.len(), e.to_string()))?;
            lines.push(text);
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Exporter {
    OpenAi,
    OpenAiSanitized,
    Otlp,
    Console,
    Html,
    User,
}

const EXPORTERS: [Exporter; 6] =
    [Exporter::OpenAi, Exporter::OpenAiSanitized, Exporter::Otlp, Exporter::Console, Exporter::Html, Exporter::User];

/// What an exporter produced: the raw text, and each exported span as a name and the JSON
/// object it was written as (the OpenAI span object; for OTLP the OTLP span).
struct Output {
    text: String,
    spans: Vec<(String, Value)>,
    /// Trace objects (OpenAI format only).
    traces: Vec<Value>,
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("valid JSON, within serde_json's depth limit")
}

/// OpenAI-format items (from `{"data":[...]}` bodies or one object per line) as an output.
fn openai_output(text: String, items: Vec<Value>) -> Output {
    let (spans, traces): (Vec<Value>, Vec<Value>) = items.into_iter().partition(|i| i["object"] == "trace.span");
    let spans =
        spans.into_iter().map(|i| (i["span_data"]["name"].as_str().unwrap_or_default().to_owned(), i)).collect();
    Output { text, spans, traces }
}

impl Exporter {
    /// Exports `items` through a batch processor over this exporter, in one batch.
    fn run(self, items: &[ExportItem]) -> Output {
        let server = TestServer::always(Reply::ok());
        let user = Arc::new(UserExporter::default());
        let console = ConsoleSpanExporter::with_writer(Vec::new()).show_data(true);
        // Written at shutdown, into the temp dir, removed below.
        let page_path = std::env::temp_dir().join(format!("agents-tracing-bad-input-{}.html", std::process::id()));
        let html = HtmlWaterfallExporter::run_file(&page_path).build().expect("the exporter builds");
        let exporter: Arc<dyn TracingExporter> = match self {
            Exporter::OpenAi | Exporter::OpenAiSanitized => {
                let builder = BackendSpanExporter::builder()
                    .endpoint(server.url())
                    .api_key("sk-bad-input-matrix")
                    .read_env(false)
                    .proxy_from_env(false)
                    .response_timeout(Duration::from_secs(20))
                    .export_budget(Duration::from_secs(60));
                let sanitize = if self == Exporter::OpenAi { Sanitize::Never } else { Sanitize::Always };
                Arc::new(builder.sanitize(sanitize).build().expect("the exporter builds"))
            }
            Exporter::Otlp => Arc::new(
                OtlpSpanExporter::builder()
                    .endpoint(format!("http://{}/v1/traces", server.addr()))
                    // JSON, read below as text (the default is protobuf).
                    .protocol(agents_tracing::otlp::Protocol::HttpJson)
                    .read_env(false)
                    .proxy_from_env(false)
                    .response_timeout(Duration::from_secs(20))
                    .export_budget(Duration::from_secs(60))
                    // The cases check the tool input as delivered: content capture on.
                    .capture_message_content(true)
                    .build()
                    .expect("the exporter builds"),
            ),
            Exporter::Console => Arc::new(console.clone()),
            Exporter::Html => Arc::new(html.clone()),
            Exporter::User => Arc::clone(&user) as _,
        };
        // Shared only to be read below: the processor owns it, and shuts it down.
        let batch = BatchTraceProcessor::builder_shared(exporter)
            .shut_down_exporter(true)
            .schedule_delay(Duration::from_secs(600))
            .build()
            .expect("the batch processor builds");
        for item in items {
            match item {
                ExportItem::Trace(t) => batch.on_trace_start(t),
                ExportItem::TraceEnd(t) => batch.on_trace_end(t),
                ExportItem::Span(s) => batch.on_span_end(s),
            }
        }
        batch.force_flush(Some(Duration::from_secs(120))).expect("flushed");
        // The page of what the HTML exporter holds, before shutdown lets it go.
        let mut page = Vec::new();
        if self == Exporter::Html {
            html.render(&mut page).expect("the page is written");
        }
        batch.shutdown(Some(Duration::from_secs(10))).expect("shut down");
        let _ = std::fs::remove_file(&page_path);
        let stats = batch.stats();
        assert_eq!(stats.exported, items.len() as u64, "{self:?}: the whole batch exported: {stats:?}");

        match self {
            Exporter::OpenAi | Exporter::OpenAiSanitized => {
                let requests = server.requests();
                assert_eq!(requests.len(), 1, "{self:?}: one batch, one request");
                let body = parse(&requests[0].body);
                openai_output(requests[0].body_text(), body["data"].as_array().cloned().unwrap_or_default())
            }
            Exporter::Otlp => {
                let requests = server.requests();
                assert_eq!(requests.len(), 1, "{self:?}: one batch, one request");
                let body = parse(&requests[0].body);
                let spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| (s["name"].as_str().unwrap_or_default().to_owned(), s))
                    .collect();
                Output { text: requests[0].body_text(), spans, traces: Vec::new() }
            }
            Exporter::Console => {
                let text = String::from_utf8(console.take_output()).expect("UTF-8");
                let spans: Vec<Value> = text
                    .lines()
                    .filter_map(|l| l.strip_prefix("[Exporter] Export span: "))
                    .map(|l| parse(l.as_bytes()))
                    .collect();
                openai_output(text, spans)
            }
            Exporter::Html => {
                // The data embedded in the page: each trace's object and its spans.
                let text = String::from_utf8(page).expect("UTF-8");
                let open = r#"<script type="application/json" id="waterfall-data">"#;
                let start = text.find(open).expect("the data element") + open.len();
                let end = start + text[start..].find("</script>").expect("the end of the data element");
                let data = parse(&text.as_bytes()[start..end]);
                let mut items = Vec::new();
                for t in data["traces"].as_array().cloned().unwrap_or_default() {
                    items.push(t["trace"].clone());
                    items.extend(t["spans"].as_array().cloned().unwrap_or_default());
                }
                openai_output(text, items)
            }
            Exporter::User => {
                let lines = user.lines.lock().unwrap().clone();
                let items = lines.iter().map(|l| parse(l.as_bytes())).collect();
                openai_output(lines.join("\n"), items)
            }
        }
    }

    /// The span named `name` (OTLP spans are named `<type>: <name>` or, as the GenAI
    /// conventions name them, `<operation> <name>`).
    fn find<'o>(self, out: &'o Output, name: &str) -> Option<&'o Value> {
        let named = |n: &str| {
            n == name
                || n.split_once(": ").is_some_and(|(_, n)| n == name)
                || n.split_once(' ').is_some_and(|(_, n)| n == name)
        };
        out.spans.iter().find(|(n, _)| named(n)).map(|(_, s)| s)
    }

    /// The function input of a span as delivered.
    fn input(self, span: &Value) -> String {
        let found = match self {
            Exporter::Otlp => span["attributes"]
                .as_array()
                .and_then(|a| a.iter().find(|kv| kv["key"] == "gen_ai.tool.call.arguments"))
                .and_then(|kv| kv["value"]["stringValue"].as_str()),
            _ => span["span_data"]["input"].as_str(),
        };
        found.expect("the input is there").to_owned()
    }
}

#[test]
fn every_exporter_survives_every_bad_input_and_delivers_the_rest_of_the_batch() {
    for case in CASES {
        for exporter in EXPORTERS {
            let trace = Arc::new((case.trace)());
            let bad = Arc::new((case.span)(&trace));
            let after = Arc::new(custom(&trace, "after", JsonMap::from_iter([("ok".to_owned(), Value::from(true))])));
            let items = [ExportItem::Trace(Arc::clone(&trace)), ExportItem::Span(bad), ExportItem::Span(after)];
            let cuts_before = depth_cuts();
            let out = exporter.run(&items);
            let what = format!("{exporter:?} x {}", case.name);

            let bad = exporter.find(&out, case.name).unwrap_or_else(|| panic!("{what}: the bad span is delivered"));
            let after =
                exporter.find(&out, "after").unwrap_or_else(|| panic!("{what}: the span after it is delivered"));
            assert!(after.to_string().contains("true"), "{what}: {after}");
            let carrier = match (case.expect, exporter) {
                (Expect::Cut, _) | (Expect::CutInTrace, Exporter::Otlp) => Some(bad),
                (Expect::CutInTrace, Exporter::Console) => None,
                (Expect::CutInTrace, _) => Some(out.traces.first().unwrap_or_else(|| panic!("{what}: no trace"))),
                (Expect::BigInput, _) => None,
            };
            if let Some(carrier) = carrier {
                let carrier = carrier.to_string();
                assert!(out.text.contains(DEPTH_LIMIT_MARKER), "{what}: the depth marker is in the output");
                assert!(carrier.contains(DEPTH_LIMIT_MARKER), "{what}: where the value was");
                assert!(carrier.contains("shallow"), "{what}: the rest of the value is kept");
                assert!(depth_cuts() > cuts_before, "{what}: the cut is counted");
            }
            match case.expect {
                Expect::Cut | Expect::CutInTrace => {}
                Expect::BigInput => {
                    let input = exporter.input(bad);
                    if exporter == Exporter::OpenAiSanitized {
                        assert!(input.len() + 2 <= SANITIZED_MAX, "{what}: {} bytes", input.len());
                        assert!(input.ends_with("... [truncated]"), "{what}");
                    } else {
                        assert_eq!(input.len(), TEN_MB, "{what}: sent as is");
                    }
                }
            }
            // `items` and the spans hold the deep values; records release them without
            // deep recursion when dropped.
            drop(items);
        }
    }
}
