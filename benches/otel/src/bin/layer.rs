//! The `tracing` layer benchmark: ns per bridged span (create, enter, record two fields,
//! exit, close) through three layers, each on its own `tracing_subscriber::registry()`:
//!
//! - `agents`: `trace_layer::AgentsLayer` into a `BatchTraceProcessor` whose exporter
//!   discards the batches;
//! - `fmt`: tracing-subscriber's `fmt` layer writing to `io::sink()` (spans formatted on
//!   close);
//! - `otel`: `tracing-opentelemetry` with an `opentelemetry_sdk` tracer provider whose
//!   `BatchSpanProcessor` feeds an exporter that discards the batches.
//!
//! Every span is a GenAI `chat` span with its model at creation and two token counts
//! recorded later, inside one entered agent span (so each is a child, not a new trace).
//! Both batch processors get a queue that holds a whole round, so nothing is dropped (the
//! counts are checked), and are flushed after each round, outside the timing. The
//! variants run interleaved, one round each in turn; one JSON line per round and variant:
//!
//! ```text
//! cargo run --release --manifest-path benches/otel/Cargo.toml --bin layer-bench -- [--rounds 7] [--spans 200000]
//! ```

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter};
use trace_batch::BatchTraceProcessor;
use trace_core::{ExportError, ExportItem, TracingExporter};
use tracing::field::Empty;
use tracing::{info_span, Dispatch};
use tracing_subscriber::prelude::*;

/// Our exporter: counts and discards.
struct Discard(Arc<AtomicU64>);

impl TracingExporter for Discard {
    fn export(&self, items: &[ExportItem]) -> Result<(), ExportError> {
        self.0.fetch_add(items.iter().filter(|i| i.as_span().is_some()).count() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// Theirs: counts and discards.
#[derive(Debug)]
struct OtelDiscard(Arc<AtomicU64>);

impl SpanExporter for OtelDiscard {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// One round: `n` chat spans inside one agent span, with `dispatch` current. Returns ns per
/// chat span.
fn round(dispatch: &Dispatch, n: u64) -> f64 {
    tracing::dispatcher::with_default(dispatch, || {
        let agent = info_span!("invoke_agent Bench", gen_ai.operation.name = "invoke_agent", gen_ai.agent.name = "Bench");
        let _agent = agent.enter();
        let start = Instant::now();
        for i in 0..n {
            let chat = info_span!(
                "chat gpt-4o-mini",
                gen_ai.operation.name = "chat",
                gen_ai.request.model = "gpt-4o-mini",
                gen_ai.usage.input_tokens = Empty,
                gen_ai.usage.output_tokens = Empty,
            );
            let entered = chat.enter();
            chat.record("gen_ai.usage.input_tokens", black_box(i));
            chat.record("gen_ai.usage.output_tokens", black_box(34u64));
            drop(entered);
            drop(chat);
        }
        start.elapsed().as_nanos() as f64 / n as f64
    })
}

fn main() {
    let (mut rounds, mut n) = (7usize, 200_000u64);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_default();
        match flag.as_str() {
            "--rounds" => rounds = value.parse().expect("--rounds N"),
            "--spans" => n = value.parse().expect("--spans N"),
            other => panic!("unknown flag {other}"),
        }
    }
    let queue = usize::try_from(n + 16).expect("a queue size");

    let ours = Arc::new(AtomicU64::new(0));
    let processor = BatchTraceProcessor::builder(Discard(Arc::clone(&ours)))
        .max_queue_size(queue)
        .max_batch_size(512)
        .build()
        .expect("a valid batch processor");
    let processor = Arc::new(processor);
    trace_core::set_trace_processor(Arc::clone(&processor));
    let agents = Dispatch::new(tracing_subscriber::registry().with(trace_layer::AgentsLayer::new()));

    let fmt = Dispatch::new(
        tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink).with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)),
    );

    let theirs = Arc::new(AtomicU64::new(0));
    let batch = BatchSpanProcessor::builder(OtelDiscard(Arc::clone(&theirs)))
        .with_batch_config(BatchConfigBuilder::default().with_max_queue_size(queue).with_max_export_batch_size(512).build())
        .build();
    let provider = SdkTracerProvider::builder().with_span_processor(batch).build();
    let otel = Dispatch::new(tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("bench"))));

    let variants: [(&str, &Dispatch); 3] = [("agents", &agents), ("fmt", &fmt), ("otel", &otel)];
    for r in 0..rounds {
        for (name, dispatch) in variants {
            let (before_ours, before_theirs) = (ours.load(Ordering::Relaxed), theirs.load(Ordering::Relaxed));
            let ns = round(dispatch, n);
            // Flush outside the timing and check that every span arrived.
            let delivered = match name {
                "agents" => {
                    processor.force_flush(Some(Duration::from_secs(60))).expect("flushed");
                    ours.load(Ordering::Relaxed) - before_ours
                }
                "otel" => {
                    provider.force_flush().expect("flushed");
                    theirs.load(Ordering::Relaxed) - before_theirs
                }
                _ => n + 1,
            };
            println!(r#"{{"round":{r},"variant":"{name}","spans":{n},"ns_per_span":{ns:.1},"delivered":{delivered}}}"#);
        }
    }
    let _ = provider.shutdown();
    let _ = processor.shutdown(Some(Duration::from_secs(60)));
}
