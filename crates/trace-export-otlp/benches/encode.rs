//! What encoding one batch costs: a 128-span batch (model calls with their messages, tool
//! calls, agents) rendered by `OtlpSpanExporter::render` as OTLP/JSON, protobuf, and
//! protobuf + gzip, each including the attribute mapping. For comparison, the JSON
//! encoding of the `opentelemetry-proto` message types by their serde support, the
//! message already built (a lower bound for a JSON path through those types).
//!
//! The variants run interleaved, one after the other in each round, so that a noisy
//! machine slows them alike; prints min / median / max ns per span over the rounds.
//!
//! Run: `cargo bench -p trace-export-otlp --bench encode` (`ENCODE_QUICK=1` for a smoke run).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::json;
use trace_core::{
    AgentSpanData, ExportItem, FunctionSpanData, GenerationSpanData, Span, SpanData, SpanId, Timestamp, Trace, TraceId,
};
use trace_export_otlp::{Compression, OtlpSpanExporter, Protocol};

const SPANS: usize = 128;

fn batch() -> Vec<ExportItem> {
    let trace = Arc::new(Trace::new(TraceId::generate(), "Customer support").with_group_id("chat-42"));
    let root = SpanId::generate();
    let now = Timestamp::now();
    (0..SPANS)
        .map(|i| {
            let data: SpanData = match i % 3 {
                0 => GenerationSpanData {
                    model: Some("gpt-4o-mini".into()),
                    input: Some(vec![
                        json!({"role": "system", "content": "You are a support agent for an online shop."}),
                        json!({"role": "user", "content": format!("Where is order {i}? It was due yesterday.")}),
                    ]),
                    output: Some(vec![json!({"role": "assistant", "content": "Let me look that order up."})]),
                    usage: Some(Box::new(
                        json!({"input_tokens": 120, "output_tokens": 34}).as_object().unwrap().clone(),
                    )),
                    ..Default::default()
                }
                .into(),
                1 => FunctionSpanData {
                    name: "lookup_order".into(),
                    input: Some(format!(r#"{{"order_id": {i}}}"#)),
                    output: Some(r#"{"status": "shipped", "carrier": "UPS"}"#.into()),
                    ..Default::default()
                }
                .into(),
                _ => AgentSpanData {
                    name: "Triage".into(),
                    tools: Some(vec!["lookup_order".into(), "refund".into()]),
                    handoffs: Some(vec!["Billing".into()]),
                    output_type: Some("str".into()),
                    ..Default::default()
                }
                .into(),
            };
            let span = Span::new(SpanId::generate(), Arc::clone(&trace), Some(root.clone()), data).with_times(now, now);
            ExportItem::Span(Arc::new(span))
        })
        .collect()
}

fn exporter(protocol: Protocol, compression: Compression) -> OtlpSpanExporter {
    OtlpSpanExporter::builder()
        .endpoint("http://127.0.0.1:9/v1/traces")
        .service_name("bench")
        .protocol(protocol)
        .compression(compression)
        .read_env(false)
        .build()
        .expect("a valid exporter")
}

/// The message as JSON, through `trace_core::wire` as every JSON body of the workspace.
fn json(message: &ExportTraceServiceRequest) -> Vec<u8> {
    let mut out = Vec::new();
    trace_core::wire::write_json(&mut out, message).expect("serializable");
    out
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2], v[v.len() - 1])
}

fn main() {
    let quick = std::env::var_os("ENCODE_QUICK").is_some();
    let (rounds, iterations) = if quick { (3, 2) } else { (21, 40) };
    let items = batch();
    let variants = [
        ("json", exporter(Protocol::HttpJson, Compression::None)),
        ("protobuf", exporter(Protocol::HttpProtobuf, Compression::None)),
        ("protobuf+gzip", exporter(Protocol::HttpProtobuf, Compression::Gzip)),
        ("json+gzip", exporter(Protocol::HttpJson, Compression::Gzip)),
    ];
    let message = ExportTraceServiceRequest::decode(&variants[1].1.render(&items)[..]).expect("protobuf");
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len() + 1];
    for _ in 0..rounds {
        for (i, (_, exporter)) in variants.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(exporter.render(black_box(&items)));
            }
            times[i].push(start.elapsed().as_nanos() as f64 / (iterations * SPANS) as f64);
        }
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(json(black_box(&message)));
        }
        times[variants.len()].push(start.elapsed().as_nanos() as f64 / (iterations * SPANS) as f64);
    }
    println!("encode a {SPANS}-span batch, ns per span, {rounds} interleaved rounds of {iterations} batches");
    println!("{:<42} {:>8} {:>8} {:>8} {:>8}", "variant", "min", "median", "max", "bytes");
    for (i, (name, exporter)) in variants.iter().enumerate() {
        let (min, median, max) = stats(times[i].clone());
        let bytes = exporter.render(&items).len();
        println!("{name:<42} {min:>8.0} {median:>8.0} {max:>8.0} {bytes:>8}");
    }
    let (min, median, max) = stats(times[variants.len()].clone());
    let bytes = json(&message).len();
    println!("{:<42} {min:>8.0} {median:>8.0} {max:>8.0} {bytes:>8}", "json via opentelemetry-proto serde (no map)");
}
