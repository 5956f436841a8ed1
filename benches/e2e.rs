//! End to end: N small custom spans inside one trace through the batch processor and the
//! OpenAI exporter to a loopback HTTP server (`cargo xtask serve`). Prints one JSON line.
//! Driven by `cargo xtask bench`, which starts the server and compares with the Python SDK.
//!
//! ```text
//! cargo bench -p agents-tracing --bench e2e --features openai-http,otlp-http,batch -- --endpoint http://127.0.0.1:PORT/v1/traces/ingest \
//!     [--n 100000] [--batch 128] [--queue 8192] [--trigger RATIO] [--concurrent N] [--rate SPANS_PER_S] [--serialize] [--export-only]
//! cargo bench -p agents-tracing --bench e2e --features openai-http,otlp-http,batch -- --hot [--warmup 100000] [--n 200000] [--queue 65536] [--no-data]
//! cargo bench -p agents-tracing --bench e2e --features openai-http,otlp-http,batch -- --queued-memory [--n 200000] [--queue 262144]
//! ```
//!
//! `--otlp protobuf|gzip|json` sends through `OtlpSpanExporter` instead (HTTP/protobuf,
//! HTTP/protobuf + gzip, or HTTP/JSON; the endpoint then is the collector's `/v1/traces`),
//! the project's side of the OTLP comparison with opentelemetry-rust (`benches/otel`).
//!
//! `--serialize` measures the JSON serialisation of 128-span batches alone (no HTTP).
//! `--export-only` calls the exporter's `export` directly with one 128-span batch, over and
//! over (serialisation and the HTTP round trip, no batch processor, no producer).
//!
//! `--hot` measures the whole span on the producer thread: `--n` spans (200,000) of
//! `custom_span("x").field("i", i)` (data `{"i": i}`; none with `--no-data`), created, started,
//! finished and enqueued after `--warmup` such spans (100,000), into a batch processor with
//! a queue of `--queue` (65,536 here) and an exporter that discards; ns per span.
//! `--queued-memory` installs a queue of `--queue` (262,144 here) and an exporter that waits
//! at a gate until the producer has made `--n` spans (200,000) with data, and prints the
//! resident memory those queued spans took per span. Both are the project's side of the
//! comparison with opentelemetry-rust (`cargo xtask bench --only otel`).
//!
//! Without `--queue`, `--batch`, `--trigger` or `--concurrent` (`max_concurrent_exports`),
//! the batch processor keeps the library's default.
//!
//! With `--rate`, the producer is paced by `benches/support/pace.rs`, the loop the
//! opentelemetry-rust side uses too: it makes every span that is due by now, then sleeps
//! until the next one is due.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agents_tracing::batch::BatchTraceProcessor;
use agents_tracing::core::{
    custom_span, set_trace_processor, trace, CustomSpanData, DataMap, ExportError, ExportItem, Span, SpanId, Timestamp,
    Trace, TraceId, TracingExporter,
};
use agents_tracing::openai::{BackendSpanExporter, ExportBatch};
use agents_tracing::otlp::{Compression, OtlpSpanExporter, Protocol};

#[path = "support/args.rs"]
mod args;
#[path = "support/gate.rs"]
mod gate;
#[path = "support/pace.rs"]
mod pace;
#[path = "support/proc_stats.rs"]
mod proc_stats;
use gate::Gate;
use proc_stats::{cpu_seconds, current_rss_mib, peak_rss_mib, print_mappings_if_asked};

/// The flags of `benches/support/args.rs`, and this binary's own.
struct Args {
    common: args::Common,
    /// The export trigger ratio; the library's default (0.7) when absent.
    trigger: Option<f64>,
    /// The batch processor's `max_concurrent_exports`; the exporter's default when absent.
    concurrent: Option<usize>,
    serialize: bool,
    export_only: bool,
    /// `--otlp`: the OTLP exporter with this encoding, instead of the OpenAI exporter.
    otlp: Option<String>,
}

impl std::ops::Deref for Args {
    type Target = args::Common;
    fn deref(&self) -> &args::Common {
        &self.common
    }
}

fn parse() -> Args {
    let (mut trigger, mut concurrent, mut serialize, mut export_only, mut otlp) = (None, None, false, false, None);
    let common = args::parse(|flag, value| {
        match flag {
            "--trigger" => trigger = value().parse().ok(),
            "--concurrent" => concurrent = value().parse().ok(),
            "--serialize" => serialize = true,
            "--export-only" => export_only = true,
            "--otlp" => otlp = Some(value()),
            _ => return false,
        }
        true
    });
    Args { common, trigger, concurrent, serialize, export_only, otlp }
}

/// Prints `message` as the bench's error and exits with status 2.
fn fail(message: &str) -> ! {
    eprintln!("e2e: {message}");
    std::process::exit(2)
}

/// Fails with a clear message unless something accepts a TCP connection at `endpoint`'s
/// host and port, so that a missing server is said at once rather than after the final
/// drain's retries run into its deadline.
fn require_server(endpoint: &str) {
    if endpoint.is_empty() {
        fail("--endpoint is required (e.g. http://127.0.0.1:PORT/v1/traces/ingest, served by `cargo xtask serve --port PORT`)");
    }
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("http", endpoint));
    let authority = rest.split('/').next().unwrap_or_default();
    // A URL without a port has its scheme's.
    let has_port = authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    let authority = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:{}", if scheme == "https" { 443 } else { 80 })
    };
    let reached = std::net::ToSocketAddrs::to_socket_addrs(&authority).ok().and_then(|mut addrs| {
        addrs.find_map(|addr| std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok())
    });
    if reached.is_none() {
        fail(&format!("nothing accepts connections at {authority} (--endpoint {endpoint}); start `cargo xtask serve --port PORT` first"));
    }
}

/// Shuts `processor` down, failing the bench if the final drain did not export everything.
fn shut_down(processor: &BatchTraceProcessor) {
    if let Err(e) = processor.shutdown(Some(Duration::from_secs(120))) {
        fail(&format!("shutdown: {e}"));
    }
}

fn unix_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// 128 finished custom spans of one trace, as the worker hands them to the exporter.
fn batch_of_128() -> Vec<ExportItem> {
    let trace = Arc::new(Trace::new(TraceId::generate(), "e2e"));
    let now = Timestamp::now();
    (0..128)
        .map(|i| {
            let d = CustomSpanData { name: "x".into(), data: DataMap::from_iter([("i", i)]) };
            ExportItem::Span(Arc::new(Span::new(SpanId::generate(), Arc::clone(&trace), None, d).with_times(now, now)))
        })
        .collect()
}

fn serialize_only(n: u64) {
    let batch = batch_of_128();
    let mut buf = Vec::with_capacity(64 * 1024);
    let rounds = (n / 128).max(1);
    let t0 = Instant::now();
    let mut bytes = 0u64;
    for _ in 0..rounds {
        buf.clear();
        ExportBatch(&batch).write_json(&mut buf).unwrap_or_else(|e| fail(&format!("serialise: {e}")));
        bytes += buf.len() as u64;
    }
    let s = t0.elapsed().as_secs_f64();
    let spans = rounds * 128;
    println!(
        r#"{{"lang":"rust","what":"serialize","spans":{spans},"spans_per_s":{:.0},"mb_per_s":{:.1},"ns_per_span":{:.1}}}"#,
        spans as f64 / s,
        bytes as f64 / s / 1e6,
        s * 1e9 / spans as f64
    );
}

fn exporter(endpoint: &str) -> BackendSpanExporter {
    BackendSpanExporter::builder()
        .endpoint(endpoint)
        .api_key("sk-bench")
        .read_env(false)
        .build()
        .unwrap_or_else(|e| fail(&format!("exporter: {e}")))
}

/// The OTLP exporter with `encoding` (`protobuf`, `gzip`: protobuf + gzip, `json`), no
/// `OTEL_*` variable read.
fn otlp_exporter(endpoint: &str, encoding: &str) -> OtlpSpanExporter {
    let (protocol, compression) = match encoding {
        "protobuf" => (Protocol::HttpProtobuf, Compression::None),
        "gzip" => (Protocol::HttpProtobuf, Compression::Gzip),
        "json" => (Protocol::HttpJson, Compression::None),
        other => fail(&format!("--otlp {other}: expected protobuf, gzip or json")),
    };
    OtlpSpanExporter::builder()
        .endpoint(endpoint)
        .protocol(protocol)
        .compression(compression)
        .read_env(false)
        .build()
        .unwrap_or_else(|e| fail(&format!("exporter: {e}")))
}

/// The exporter alone: `export` of one 128-span batch, again and again, on this thread.
fn export_only(endpoint: &str, n: u64) {
    let exporter = exporter(endpoint);
    let batch = batch_of_128();
    // One warm-up request opens the connection.
    exporter.export(&batch).unwrap_or_else(|e| fail(&format!("export: {e}")));
    let rounds = (n / 128).max(1);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    for _ in 0..rounds {
        exporter.export(&batch).unwrap_or_else(|e| fail(&format!("export: {e}")));
    }
    let s = t0.elapsed().as_secs_f64();
    let spans = rounds * 128;
    println!(
        r#"{{"lang":"rust","what":"export_only","spans":{spans},"requests":{rounds},"spans_per_s":{:.0},"ns_per_span":{:.1},"cpu_s":{:.2}}}"#,
        spans as f64 / s,
        s * 1e9 / spans as f64,
        cpu_seconds() - cpu0
    );
}

/// Discards every batch; with a gate, waits at it first (on the worker thread).
struct Discard(Option<Arc<Gate>>);

impl TracingExporter for Discard {
    fn export(&self, _items: &[ExportItem]) -> Result<(), ExportError> {
        if let Some(gate) = &self.0 {
            gate.wait();
        }
        Ok(())
    }
}

/// A batch processor over `exporter` with the settings asked for (the defaults otherwise,
/// with `queue` for the queue size), installed as the trace processor.
fn install(exporter: Arc<dyn TracingExporter>, a: &Args, queue: Option<usize>) -> Arc<BatchTraceProcessor> {
    // Shared only to read its stats: the processor owns it, as opentelemetry-rust's does.
    let mut builder = BatchTraceProcessor::builder_shared(exporter).shut_down_exporter(true);
    if let Some(batch) = a.batch {
        builder = builder.max_batch_size(batch);
    }
    if let Some(queue) = a.queue.or(queue) {
        builder = builder.max_queue_size(queue);
    }
    if let Some(ratio) = a.trigger {
        builder = builder.export_trigger_ratio(ratio);
    }
    if let Some(n) = a.concurrent {
        builder = builder.max_concurrent_exports(n);
    }
    let processor = Arc::new(builder.build().unwrap_or_else(|e| fail(&format!("batch processor: {e}"))));
    set_trace_processor(Arc::clone(&processor));
    processor
}

/// `--hot`: ns per whole span on the producer thread, after a warm-up.
fn hot(a: &Args) {
    let n = a.n.unwrap_or(200_000);
    let processor = install(Arc::new(Discard(None)), a, Some(65_536));
    let ns = {
        let _t = trace("hot").start();
        if a.no_data {
            for _ in 0..a.warmup {
                let _s = custom_span("x").start();
            }
            let t0 = Instant::now();
            for _ in 0..n {
                let _s = custom_span("x").start();
            }
            t0.elapsed().as_nanos() as f64 / n as f64
        } else {
            for i in 0..a.warmup {
                let _s = custom_span("x").field("i", i).start();
            }
            let t0 = Instant::now();
            for i in 0..n {
                let _s = custom_span("x").field("i", i).start();
            }
            t0.elapsed().as_nanos() as f64 / n as f64
        }
    };
    shut_down(&processor);
    println!(
        r#"{{"lang":"rust","what":"hot","data":{},"warmup":{},"n":{n},"queue":{},"ns_per_span":{ns:.1},"dropped":{},"peak_rss_mib":{:.1}}}"#,
        !a.no_data,
        a.warmup,
        processor.config().max_queue_size(),
        processor.stats().dropped(),
        peak_rss_mib()
    );
}

/// `--queued-memory`: resident memory per span held in the queue while the exporter waits.
fn queued_memory(a: &Args) {
    let n = a.n.unwrap_or(200_000);
    let rss_start = current_rss_mib();
    let gate = Arc::new(Gate::default());
    let processor = install(Arc::new(Discard(Some(Arc::clone(&gate)))), a, Some(262_144));
    let (before, after, peak) = {
        let _t = trace("memory").start();
        let before = current_rss_mib();
        for i in 0..n {
            let _s = custom_span("x").field("i", i).start();
        }
        (before, current_rss_mib(), peak_rss_mib())
    };
    gate.open();
    shut_down(&processor);
    println!(
        r#"{{"lang":"rust","what":"queued_memory","n":{n},"queue":{},"rss_start_mib":{rss_start:.1},"rss_before_mib":{before:.1},"rss_after_mib":{after:.1},"bytes_per_queued_span":{:.1},"pipeline_mib":{:.1},"peak_rss_mib":{peak:.1},"dropped":{}}}"#,
        processor.config().max_queue_size(),
        (after - before) * 1024.0 * 1024.0 / n as f64,
        before - rss_start,
        processor.stats().dropped()
    );
}

fn main() {
    let a = parse();
    if a.serialize {
        return serialize_only(a.n.unwrap_or(100_000));
    }
    if a.export_only {
        require_server(&a.endpoint);
        return export_only(&a.endpoint, a.n.unwrap_or(100_000));
    }
    if a.hot {
        return hot(&a);
    }
    if a.queued_memory {
        return queued_memory(&a);
    }
    let n = a.n.unwrap_or(100_000);
    require_server(&a.endpoint);
    let exporter: Arc<dyn TracingExporter> = match &a.otlp {
        Some(encoding) => Arc::new(otlp_exporter(&a.endpoint, encoding)),
        None => Arc::new(exporter(&a.endpoint)),
    };
    let processor = install(exporter, &a, None);

    let cpu0 = cpu_seconds();
    let start_unix_ns = unix_ns();
    let t0 = Instant::now();
    {
        let _t = trace("e2e").start();
        if a.rate > 0.0 {
            pace::paced(n, a.rate, t0, |i| {
                let _s = custom_span("x").field("i", i).start();
            });
        } else {
            for i in 0..n {
                let _s = custom_span("x").field("i", i).start();
            }
        }
    }
    let produce_s = t0.elapsed().as_secs_f64();
    shut_down(&processor);
    let total_s = t0.elapsed().as_secs_f64();
    let st = processor.stats();
    println!(
        r#"{{"lang":"rust","exporter":"{}","n":{},"batch":{},"queue":{},"concurrent":{},"rate":{},"produce_s":{:.4},"total_s":{:.4},"start_unix_ns":{},"dropped":{},"lost":{},"exported":{},"peak_rss_mib":{:.1},"cpu_s":{:.2}}}"#,
        a.otlp.as_deref().map_or("openai".to_owned(), |e| format!("otlp-{e}")),
        n,
        processor.config().max_batch_size(),
        processor.config().max_queue_size(),
        processor.config().max_concurrent_exports(),
        a.rate,
        produce_s,
        total_s,
        start_unix_ns,
        st.dropped(),
        st.lost,
        st.exported,
        peak_rss_mib(),
        cpu_seconds() - cpu0
    );
    print_mappings_if_asked();
}
