//! End to end: N small custom spans inside one trace through the batch processor and the
//! OpenAI exporter to a loopback HTTP server (`cargo xtask serve`). Prints one JSON line.
//! Driven by `cargo xtask bench`, which starts the server and compares with the Python SDK.
//!
//! ```text
//! cargo bench --bench e2e --features openai-http -- --endpoint http://127.0.0.1:PORT/v1/traces/ingest \
//!     [--n 100000] [--batch 128] [--queue 8192] [--rate SPANS_PER_S] [--serialize]
//! ```
//!
//! `--serialize` measures the JSON serialisation of 128-span batches alone (no HTTP).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agents_tracing::batch::BatchTraceProcessor;
use agents_tracing::core::{
    custom_span, set_trace_processor, trace, CustomSpanData, ExportBatch, ExportItem, JsonMap, Span, SpanId, Timestamp,
    Trace, TraceId,
};
use agents_tracing::openai::BackendSpanExporter;

struct Args {
    endpoint: String,
    n: u64,
    batch: usize,
    queue: usize,
    rate: f64,
    serialize: bool,
}

fn parse() -> Args {
    let mut a = Args { endpoint: String::new(), n: 100_000, batch: 128, queue: 8192, rate: 0.0, serialize: false };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--endpoint" => a.endpoint = value(),
            "--n" => a.n = value().parse().unwrap_or(a.n),
            "--batch" => a.batch = value().parse().unwrap_or(a.batch),
            "--queue" => a.queue = value().parse().unwrap_or(a.queue),
            "--rate" => a.rate = value().parse().unwrap_or(0.0),
            "--serialize" => a.serialize = true,
            _ => {} // `cargo bench` adds `--bench`
        }
    }
    a
}

/// User + system CPU seconds of this process, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields after the command: state is 0, utime is 11, stime is 12. 100 ticks per second.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size in MiB, from /proc/self/status.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn unix_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn data(i: u64) -> JsonMap {
    let mut m = JsonMap::new();
    m.insert("i".to_owned(), i.into());
    m
}

fn serialize_only(n: u64) {
    let trace = Arc::new(Trace::new(TraceId::generate(), "e2e"));
    let now = Timestamp::now();
    let batch: Vec<ExportItem> = (0..128)
        .map(|i| {
            let d = CustomSpanData { name: "x".into(), data: data(i) };
            ExportItem::Span(Arc::new(Span::new(SpanId::generate(), Arc::clone(&trace), None, d).with_times(now, now)))
        })
        .collect();
    let mut buf = Vec::with_capacity(64 * 1024);
    let rounds = (n / 128).max(1);
    let t0 = Instant::now();
    let mut bytes = 0u64;
    for _ in 0..rounds {
        buf.clear();
        serde_json::to_writer(&mut buf, &ExportBatch(&batch)).expect("serializes");
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

fn main() {
    let a = parse();
    if a.serialize {
        return serialize_only(a.n);
    }
    assert!(!a.endpoint.is_empty(), "--endpoint is required");
    let exporter = BackendSpanExporter::builder()
        .endpoint(a.endpoint.clone())
        .api_key("sk-bench")
        .read_env(false)
        .build()
        .expect("exporter");
    let processor = Arc::new(
        BatchTraceProcessor::builder(exporter).max_batch_size(a.batch).max_queue_size(a.queue).build().expect("config"),
    );
    set_trace_processor(Arc::clone(&processor));

    let cpu0 = cpu_seconds();
    let start_unix_ns = unix_ns();
    let t0 = Instant::now();
    {
        let _t = trace("e2e").start();
        if a.rate > 0.0 {
            let period = Duration::from_secs_f64(1.0 / a.rate);
            let mut next = t0;
            for i in 0..a.n {
                while Instant::now() < next {
                    std::hint::spin_loop();
                }
                next += period;
                let _s = custom_span("x").data(data(i)).start();
            }
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
        r#"{{"lang":"rust","n":{},"batch":{},"queue":{},"rate":{},"produce_s":{:.4},"total_s":{:.4},"start_unix_ns":{},"dropped":{},"lost":{},"exported":{},"peak_rss_mib":{:.1},"cpu_s":{:.2}}}"#,
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
