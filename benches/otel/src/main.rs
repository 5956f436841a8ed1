//! The opentelemetry-rust side of `cargo xtask bench --only otel`: spans with one integer
//! attribute, children of one root span, through `opentelemetry_sdk`'s `BatchSpanProcessor`.
//! Prints one JSON line in the shape of `benches/e2e.rs`. Four modes:
//!
//! ```text
//! otel-e2e-bench --endpoint http://127.0.0.1:PORT/v1/traces [--n 1000000] [--queue N] [--batch N] [--rate SPANS_PER_S]
//! otel-e2e-bench --hot [--warmup 100000] [--n 200000] [--queue 65536] [--no-data]
//! otel-e2e-bench --queued-memory [--n 200000] [--queue 262144]
//! ```
//!
//! - End to end (with `--endpoint`): `opentelemetry-otlp`'s HTTP/protobuf exporter (blocking
//!   reqwest client) to a loopback server (`cargo xtask serve`). Without `--queue`/`--batch`,
//!   the SDK's defaults (queue 2,048, batch 512, 5 s delay). `--rate` paces the producer with
//!   `benches/support/pace.rs`, the loop of `benches/e2e.rs`: every span due by now, then a
//!   sleep until the next one is due.
//!   `exported` counts the spans (the root included) the exporter reported as sent;
//!   `dropped` is `n + 1 - exported`.
//! - `--hot`: the whole span (create, start, set `i` unless `--no-data`, end, enqueue) on the
//!   producer thread, timed over `--n` spans after `--warmup` spans, into an exporter that
//!   discards (default batch size).
//! - `--queued-memory`: an exporter that blocks until the producer has queued `--n` spans;
//!   the RSS before and after producing them, per span.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{Span as _, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider, SpanData, SpanExporter,
};
use opentelemetry_sdk::Resource;

#[path = "../../support/args.rs"]
mod args;
#[path = "../../support/gate.rs"]
mod gate;
#[path = "../../support/pace.rs"]
mod pace;
#[path = "../../support/proc_stats.rs"]
mod proc_stats;
use gate::Gate;
use proc_stats::{cpu_seconds, current_rss_mib, peak_rss_mib, print_mappings_if_asked};

/// The OTLP exporter, counting the spans of every batch it reports as sent.
#[derive(Debug)]
struct Counting<E> {
    inner: E,
    exported: Arc<AtomicU64>,
}

impl<E: SpanExporter> SpanExporter for Counting<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len() as u64;
        let result = self.inner.export(batch).await;
        if result.is_ok() {
            self.exported.fetch_add(n, Ordering::Relaxed);
        }
        result
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource)
    }
}

/// Counts and discards; with a gate, waits at it first (the SDK runs `export` on its own
/// worker thread, so blocking here holds only that thread).
#[derive(Debug)]
struct Discard {
    exported: Arc<AtomicU64>,
    gate: Option<Arc<Gate>>,
}

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if let Some(gate) = &self.gate {
            gate.wait();
        }
        self.exported.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// This binary takes the common flags only.
type Args = args::Common;

fn parse() -> Args {
    args::parse(|_, _| false)
}

fn unix_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

/// The batch settings asked for; the SDK's defaults for what was not.
fn batch_config(queue: Option<usize>, batch: Option<usize>) -> opentelemetry_sdk::trace::BatchConfig {
    let mut config = BatchConfigBuilder::default();
    if let Some(q) = queue {
        config = config.with_max_queue_size(q);
    }
    if let Some(b) = batch {
        config = config.with_max_export_batch_size(b);
    }
    config.build()
}

/// A provider with one batch processor over `exporter`.
fn provider(exporter: impl SpanExporter + 'static, queue: Option<usize>, batch: Option<usize>) -> SdkTracerProvider {
    let processor = BatchSpanProcessor::builder(exporter).with_batch_config(batch_config(queue, batch)).build();
    SdkTracerProvider::builder().with_span_processor(processor).build()
}

/// One whole span under `cx`: created, started, `i` set (with `data`), ended, enqueued.
#[inline]
fn span(tracer: &SdkTracer, cx: &Context, i: u64, data: bool) {
    let mut span = tracer.start_with_context("x", cx);
    if data {
        span.set_attribute(KeyValue::new("i", i as i64));
    }
    span.end();
}

/// `--hot`: ns per whole span on the producer thread, after a warm-up.
fn hot(a: &Args) {
    let n = a.n.unwrap_or(200_000);
    let queue = a.queue.unwrap_or(65_536);
    let exported = Arc::new(AtomicU64::new(0));
    let provider = provider(Discard { exported: Arc::clone(&exported), gate: None }, Some(queue), a.batch);
    let tracer = provider.tracer("hot");
    let root = tracer.start("hot");
    let cx = Context::current_with_span(root);
    let data = !a.no_data;
    for i in 0..a.warmup {
        span(&tracer, &cx, i, data);
    }
    let t0 = Instant::now();
    for i in 0..n {
        span(&tracer, &cx, i, data);
    }
    let ns = t0.elapsed().as_nanos() as f64 / n as f64;
    cx.span().end();
    provider.shutdown().expect("shutdown");
    let total = a.warmup + n + 1;
    println!(
        r#"{{"lang":"otel","what":"hot","data":{data},"warmup":{},"n":{n},"queue":{queue},"ns_per_span":{ns:.1},"dropped":{},"peak_rss_mib":{:.1}}}"#,
        a.warmup,
        total.saturating_sub(exported.load(Ordering::Relaxed)),
        peak_rss_mib()
    );
}

/// `--queued-memory`: RSS per span held in the queue while the exporter is blocked.
fn queued_memory(a: &Args) {
    let n = a.n.unwrap_or(200_000);
    let queue = a.queue.unwrap_or(262_144);
    let rss_start = current_rss_mib();
    let exported = Arc::new(AtomicU64::new(0));
    let gate = Arc::new(Gate::default());
    let provider =
        provider(Discard { exported: Arc::clone(&exported), gate: Some(Arc::clone(&gate)) }, Some(queue), a.batch);
    let tracer = provider.tracer("memory");
    let root = tracer.start("memory");
    let cx = Context::current_with_span(root);
    let before = current_rss_mib();
    for i in 0..n {
        span(&tracer, &cx, i, true);
    }
    let after = current_rss_mib();
    let peak = peak_rss_mib();
    gate.open();
    cx.span().end();
    provider.shutdown().expect("shutdown");
    let total = n + 1;
    println!(
        r#"{{"lang":"otel","what":"queued_memory","n":{n},"queue":{queue},"rss_start_mib":{rss_start:.1},"rss_before_mib":{before:.1},"rss_after_mib":{after:.1},"bytes_per_queued_span":{:.1},"pipeline_mib":{:.1},"peak_rss_mib":{peak:.1},"dropped":{}}}"#,
        (after - before) * 1024.0 * 1024.0 / n as f64,
        before - rss_start,
        total.saturating_sub(exported.load(Ordering::Relaxed)),
    );
}

fn main() {
    let a = parse();
    if a.hot {
        return hot(&a);
    }
    if a.queued_memory {
        return queued_memory(&a);
    }
    let n = a.n.unwrap_or(1_000_000);
    assert!(!a.endpoint.is_empty(), "--endpoint is required");
    let exported = Arc::new(AtomicU64::new(0));
    let inner = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(&a.endpoint)
        .with_protocol(Protocol::HttpBinary)
        .build()
        .expect("exporter");
    let provider = provider(Counting { inner, exported: Arc::clone(&exported) }, a.queue, a.batch);
    let tracer = provider.tracer("e2e");

    let cpu0 = cpu_seconds();
    let start_unix_ns = unix_ns();
    let t0 = Instant::now();
    {
        let root = tracer.start("e2e");
        let cx = Context::current_with_span(root);
        if a.rate > 0.0 {
            pace::paced(n, a.rate, t0, |i| span(&tracer, &cx, i, true));
        } else {
            for i in 0..n {
                span(&tracer, &cx, i, true);
            }
        }
        cx.span().end();
    }
    let produce_s = t0.elapsed().as_secs_f64();
    provider.shutdown().expect("shutdown");
    let total_s = t0.elapsed().as_secs_f64();
    let exported = exported.load(Ordering::Relaxed);
    println!(
        r#"{{"lang":"otel","n":{n},"queue":{},"batch":{},"rate":{},"produce_s":{produce_s:.4},"total_s":{total_s:.4},"start_unix_ns":{start_unix_ns},"exported":{exported},"dropped":{},"peak_rss_mib":{:.1},"cpu_s":{:.2}}}"#,
        a.queue.unwrap_or(2048),
        a.batch.unwrap_or(512),
        a.rate,
        (n + 1).saturating_sub(exported),
        peak_rss_mib(),
        cpu_seconds() - cpu0
    );
    print_mappings_if_asked();
}
