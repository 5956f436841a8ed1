//! Decoding a recorded request as its headers say: `Content-Encoding: gzip` gunzipped,
//! then `application/x-protobuf` decoded by prost, `application/json` parsed by the
//! serde support of `opentelemetry-proto` (hex ids, int64 as strings, lowerCamelCase).
//! Shared with `tests/env.rs`.

use std::io::Read;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use test_support::server::Recorded;

/// The request's body decoded with the OTLP schema, as its `Content-Type` and
/// `Content-Encoding` say; panics on anything else.
pub(crate) fn decode(r: &Recorded) -> ExportTraceServiceRequest {
    let body = match r.header("Content-Encoding") {
        None => r.body.clone(),
        Some("gzip") => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&r.body[..]).read_to_end(&mut out).expect("a gzip body");
            out
        }
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    };
    match r.header("Content-Type") {
        Some("application/x-protobuf") => ExportTraceServiceRequest::decode(&body[..])
            .unwrap_or_else(|e| panic!("not a protobuf ExportTraceServiceRequest: {e}")),
        Some("application/json") => serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!("not an OTLP/JSON ExportTraceServiceRequest: {e}\n{}", String::from_utf8_lossy(&body))
        }),
        other => panic!("unexpected Content-Type {other:?}"),
    }
}
