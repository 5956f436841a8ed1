//! End to end: N small custom spans inside one trace through the batch processor and the
//! OpenAI exporter to a loopback HTTP server (`cargo xtask serve`). Prints one JSON line.
//! Driven by `cargo xtask bench`, which starts the server and compares with the Python SDK.
//!
//! ```text
//! cargo bench --bench e2e --features openai-http,otlp-http -- --endpoint http://127.0.0.1:PORT/v1/traces/ingest \
//!     [--n 100000] [--batch 128] [--queue 8192] [--trigger RATIO] [--rate SPANS_PER_S] [--serialize] [--export-only]
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
//! With `--rate`, the producer is paced: it makes every span that is due by now, then
//! sleeps until the next one is due, so it offers `rate` spans per second on average without
//! burning a core the worker and the server need (at high rates it produces in short bursts
//! of the spans due during one sleep, ~60 µs at least on Linux).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agents_tracing::batch::BatchTraceProcessor;
use agents_tracing::core::{
    custom_span, set_trace_processor, trace, CustomSpanData, ExportItem, JsonMap, Span, SpanId, Timestamp, Trace,
    TraceId, TracingExporter,
};
use agents_tracing::openai::{BackendSpanExporter, ExportBatch};
use agents_tracing::otlp::{Compression, OtlpSpanExporter, Protocol};

#[path = "support/proc_stats.rs"]
mod proc_stats;
use proc_stats::{cpu_seconds, peak_rss_mib};

struct Args {
    endpoint: String,
    n: u64,
    batch: usize,
    queue: usize,
    rate: f64,
    /// The export trigger ratio; the library's default (0.7) when absent.
    trigger: Option<f64>,
    serialize: bool,
    export_only: bool,
    /// `--otlp`: the OTLP exporter with this encoding, instead of the OpenAI exporter.
    otlp: Option<String>,
}

fn parse() -> Args {
    let mut a = Args {
        endpoint: String::new(),
        n: 100_000,
        batch: 128,
        queue: 8192,
        rate: 0.0,
        trigger: None,
        serialize: false,
        export_only: false,
        otlp: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--endpoint" => a.endpoint = value(),
            "--n" => a.n = value().parse().unwrap_or(a.n),
            "--batch" => a.batch = value().parse().unwrap_or(a.batch),
            "--queue" => a.queue = value().parse().unwrap_or(a.queue),
            "--rate" => a.rate = value().parse().unwrap_or(0.0),
            "--trigger" => a.trigger = value().parse().ok(),
            "--serialize" => a.serialize = true,
            "--export-only" => a.export_only = true,
            "--otlp" => a.otlp = Some(value()),
            _ => {} // `cargo bench` adds `--bench`
        }
    }
    a
}

fn unix_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn data(i: u64) -> JsonMap {
    let mut m = JsonMap::new();
    m.insert("i".to_owned(), i.into());
    m
}

/// 128 finished custom spans of one trace, as the worker hands them to the exporter.
fn batch_of_128() -> Vec<ExportItem> {
    let trace = Arc::new(Trace::new(TraceId::generate(), "e2e"));
    let now = Timestamp::now();
    (0..128)
        .map(|i| {
            let d = CustomSpanData { name: "x".into(), data: data(i) };
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
        agents_tracing::core::wire::write_json(&mut buf, &ExportBatch(&batch)).expect("serializes");
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
    assert!(!endpoint.is_empty(), "--endpoint is required");
    BackendSpanExporter::builder().endpoint(endpoint).api_key("sk-bench").read_env(false).build().expect("exporter")
}

/// The OTLP exporter with `encoding` (`protobuf`, `gzip`: protobuf + gzip, `json`), no
/// `OTEL_*` variable read.
fn otlp_exporter(endpoint: &str, encoding: &str) -> OtlpSpanExporter {
    assert!(!endpoint.is_empty(), "--endpoint is required");
    let (protocol, compression) = match encoding {
        "protobuf" => (Protocol::HttpProtobuf, Compression::None),
        "gzip" => (Protocol::HttpProtobuf, Compression::Gzip),
        "json" => (Protocol::HttpJson, Compression::None),
        other => panic!("--otlp {other}: expected protobuf, gzip or json"),
    };
    OtlpSpanExporter::builder()
        .endpoint(endpoint)
        .protocol(protocol)
        .compression(compression)
        .read_env(false)
        .build()
        .expect("exporter")
}

/// The exporter alone: `export` of one 128-span batch, again and again, on this thread.
fn export_only(endpoint: &str, n: u64) {
    let exporter = exporter(endpoint);
    let batch = batch_of_128();
    // One warm-up request opens the connection.
    exporter.export(&batch).expect("export");
    let rounds = (n / 128).max(1);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    for _ in 0..rounds {
        exporter.export(&batch).expect("export");
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

/// `n` spans at `rate` spans/s on average: every span due by now, then a sleep until the
/// next one is due.
fn produce_paced(n: u64, rate: f64, t0: Instant) {
    let mut i = 0u64;
    while i < n {
        let due = ((t0.elapsed().as_secs_f64() * rate) as u64 + 1).min(n);
        while i < due {
            let _s = custom_span("x").data(data(i)).start();
            i += 1;
        }
        if i < n {
            let next = t0 + Duration::from_secs_f64(i as f64 / rate);
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
    }
}

fn main() {
    let a = parse();
    if a.serialize {
        return serialize_only(a.n);
    }
    if a.export_only {
        return export_only(&a.endpoint, a.n);
    }
    let exporter: Arc<dyn TracingExporter> = match &a.otlp {
        Some(encoding) => Arc::new(otlp_exporter(&a.endpoint, encoding)),
        None => Arc::new(exporter(&a.endpoint)),
    };
    let mut builder = BatchTraceProcessor::builder_shared(exporter).max_batch_size(a.batch).max_queue_size(a.queue);
    if let Some(ratio) = a.trigger {
        builder = builder.export_trigger_ratio(ratio);
    }
    let processor = Arc::new(builder.build().expect("config"));
    set_trace_processor(Arc::clone(&processor));

    let cpu0 = cpu_seconds();
    let start_unix_ns = unix_ns();
    let t0 = Instant::now();
    {
        let _t = trace("e2e").start();
        if a.rate > 0.0 {
            produce_paced(a.n, a.rate, t0);
        } else {
            for i in 0..a.n {
                let _s = custom_span("x").data(data(i)).start();
            }
        }
    }
    let produce_s = t0.elapsed().as_secs_f64();
    processor.shutdown(Some(Duration::from_secs(120))).expect("shutdown");
    let total_s = t0.elapsed().as_secs_f64();
    let st = processor.stats();
    println!(
        r#"{{"lang":"rust","exporter":"{}","n":{},"batch":{},"queue":{},"rate":{},"produce_s":{:.4},"total_s":{:.4},"start_unix_ns":{},"dropped":{},"lost":{},"exported":{},"peak_rss_mib":{:.1},"cpu_s":{:.2}}}"#,
        a.otlp.as_deref().map_or("openai".to_owned(), |e| format!("otlp-{e}")),
        a.n,
        a.batch,
        a.queue,
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
}
