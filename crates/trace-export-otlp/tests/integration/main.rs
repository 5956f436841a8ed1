//! Integration tests of `OtlpSpanExporter` against a scripted HTTP server on 127.0.0.1:
//! the request and its body (protobuf, JSON, gzipped or not) decoded with the `opentelemetry-proto` schema, field
//! by field for every span type (`mapping`), and retries, time limits, shutdown and
//! batches (`behaviour`). Nothing here reaches beyond 127.0.0.1.

mod behaviour;
mod logger;
mod mapping;
mod wire;

use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::Span as ProtoSpan;
use test_support::exporter::fast;
use test_support::server::TestServer;
use trace_export_otlp::{OtlpSpanExporter, OtlpSpanExporterBuilder};

/// The OTLP traces URL on `server`: `http://127.0.0.1:<port>/v1/traces`.
pub(crate) fn traces_url(server: &TestServer) -> String {
    format!("http://{}/v1/traces", server.addr())
}

/// A builder for tests: the server's URL, nothing from the environment, short delays and
/// timeouts.
pub(crate) fn builder(url: &str) -> OtlpSpanExporterBuilder {
    logger::LOG.install();
    fast(OtlpSpanExporter::builder().endpoint(url).read_env(false), Duration::from_millis(200))
}

pub(crate) use wire::decode;

/// All spans of a request, in order.
pub(crate) fn spans(request: &ExportTraceServiceRequest) -> Vec<ProtoSpan> {
    request.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| s.spans.clone()).collect()
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of attribute `key`; panics if absent or repeated.
pub(crate) fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> &'a Any {
    let found: Vec<&KeyValue> = attributes.iter().filter(|kv| kv.key == key).collect();
    assert_eq!(found.len(), 1, "attribute {key} present {} times in {attributes:#?}", found.len());
    found[0].value.as_ref().and_then(|v| v.value.as_ref()).unwrap_or_else(|| panic!("{key} has no value"))
}

/// Whether attribute `key` is present.
pub(crate) fn has(attributes: &[KeyValue], key: &str) -> bool {
    attributes.iter().any(|kv| kv.key == key)
}

pub(crate) fn string(attributes: &[KeyValue], key: &str) -> String {
    match attr(attributes, key) {
        Any::StringValue(s) => s.clone(),
        other => panic!("{key} is not a string: {other:?}"),
    }
}

pub(crate) fn int(attributes: &[KeyValue], key: &str) -> i64 {
    match attr(attributes, key) {
        Any::IntValue(i) => *i,
        other => panic!("{key} is not an int: {other:?}"),
    }
}

pub(crate) fn double(attributes: &[KeyValue], key: &str) -> f64 {
    match attr(attributes, key) {
        Any::DoubleValue(f) => *f,
        other => panic!("{key} is not a double: {other:?}"),
    }
}

pub(crate) fn boolean(attributes: &[KeyValue], key: &str) -> bool {
    match attr(attributes, key) {
        Any::BoolValue(b) => *b,
        other => panic!("{key} is not a bool: {other:?}"),
    }
}

pub(crate) fn strings(attributes: &[KeyValue], key: &str) -> Vec<String> {
    match attr(attributes, key) {
        Any::ArrayValue(a) => a
            .values
            .iter()
            .map(|v| match &v.value {
                Some(Any::StringValue(s)) => s.clone(),
                other => panic!("{key} holds a non-string: {other:?}"),
            })
            .collect(),
        other => panic!("{key} is not an array: {other:?}"),
    }
}
