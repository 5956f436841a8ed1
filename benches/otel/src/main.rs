//! The opentelemetry-rust side of the OTLP end-to-end benchmark: N spans with one integer
//! attribute, children of one root span, through `opentelemetry_sdk`'s `BatchSpanProcessor`
//! and `opentelemetry-otlp`'s HTTP/protobuf exporter (blocking reqwest client) to a loopback
//! server (`cargo xtask serve`). Prints one JSON line in the shape of `benches/e2e.rs`.
//!
//! ```text
//! cargo run --release --manifest-path benches/otel/Cargo.toml -- \
//!     --endpoint http://127.0.0.1:PORT/v1/traces [--n 1000000] [--queue N] [--batch N]
//! ```
//!
//! Without `--queue`/`--batch`, the SDK's defaults (queue 2,048, batch 512, 5 s delay).
//! `exported` counts the spans the exporter reported as sent; `dropped` is `n - exported`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::trace::{Span as _, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;

#[path = "../../support/proc_stats.rs"]
mod proc_stats;
use proc_stats::{cpu_seconds, peak_rss_mib};

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

fn main() {
    let (mut endpoint, mut n, mut queue, mut batch) = (String::new(), 1_000_000u64, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--endpoint" => endpoint = value(),
            "--n" => n = value().parse().unwrap_or(n),
            "--queue" => queue = value().parse::<usize>().ok(),
            "--batch" => batch = value().parse::<usize>().ok(),
            _ => {}
        }
    }
    assert!(!endpoint.is_empty(), "--endpoint is required");

    let exported = Arc::new(AtomicU64::new(0));
    let inner = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .with_protocol(Protocol::HttpBinary)
        .build()
        .expect("exporter");
    let mut config = BatchConfigBuilder::default();
    if let Some(q) = queue {
        config = config.with_max_queue_size(q);
    }
    if let Some(b) = batch {
        config = config.with_max_export_batch_size(b);
    }
    let processor = BatchSpanProcessor::builder(Counting { inner, exported: Arc::clone(&exported) })
        .with_batch_config(config.build())
        .build();
    let provider = SdkTracerProvider::builder().with_span_processor(processor).build();
    let tracer = provider.tracer("e2e");

    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    {
        let root = tracer.start("e2e");
        let cx = Context::current_with_span(root);
        for i in 0..n {
            let mut span = tracer.start_with_context("x", &cx);
            span.set_attribute(KeyValue::new("i", i as i64));
            span.end();
        }
        cx.span().end();
    }
    let produce_s = t0.elapsed().as_secs_f64();
    provider.shutdown().expect("shutdown");
    let total_s = t0.elapsed().as_secs_f64();
    let exported = exported.load(Ordering::Relaxed);
    println!(
        r#"{{"lang":"otel","n":{n},"queue":{},"batch":{},"produce_s":{produce_s:.4},"total_s":{total_s:.4},"exported":{exported},"dropped":{},"peak_rss_mib":{:.1},"cpu_s":{:.2}}}"#,
        queue.unwrap_or(2048),
        batch.unwrap_or(512),
        (n + 1).saturating_sub(exported),
        peak_rss_mib(),
        cpu_seconds() - cpu0
    );
}
