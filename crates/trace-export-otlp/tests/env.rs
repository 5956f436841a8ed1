//! The standard `OTEL_*` variables: endpoint, headers, service name, resource and timeout,
//! read by `build()`, the builder's settings winning. A binary of its own with a single
//! test, since it changes the process environment.

#[allow(dead_code)]
#[path = "integration/logger.rs"]
mod logger;
#[path = "integration/wire.rs"]
mod wire;

use std::sync::Arc;
use std::time::Duration;
use trace_export_otlp::WithHttpOptions;

use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use test_support::server::{Recorded, Reply, TestServer};
use trace_core::{CustomSpanData, ExportItem, Span, SpanId, Trace, TraceId, TracingExporter};
use trace_export_otlp::{Compression, EndpointSource, OtlpSpanExporter, Protocol, DEFAULT_ENDPOINT};

const VARIABLES: [&str; 12] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
];

fn one_span() -> Vec<ExportItem> {
    let trace = Arc::new(Trace::new(TraceId::generate(), "env"));
    let span = Span::new(SpanId::generate(), trace, None, CustomSpanData { name: "s".into(), ..Default::default() });
    vec![ExportItem::Span(Arc::new(span))]
}

fn resource_attribute(r: &Recorded, key: &str) -> Option<String> {
    let request = wire::decode(r);
    let attrs = &request.resource_spans[0].resource.as_ref()?.attributes;
    attrs.iter().find(|kv| kv.key == key).and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
        Any::StringValue(s) => Some(s.clone()),
        _ => None,
    })
}

#[test]
fn the_standard_variables_configure_the_exporter() {
    logger::LOG.install();
    for name in VARIABLES {
        std::env::remove_var(name);
    }
    let server = TestServer::always(Reply::ok());
    let base_url = format!("http://{}", server.addr());
    let builder = || OtlpSpanExporter::builder().proxy_from_env(false).base_delay(Duration::from_millis(10));

    // Nothing set: the default endpoint, which a dry run can detect.
    let exporter = builder().build().unwrap();
    assert_eq!((exporter.endpoint(), exporter.endpoint_source()), (DEFAULT_ENDPOINT, EndpointSource::Default));
    assert!(exporter.resource()[0].1.starts_with("unknown_service:"), "{:?}", exporter.resource());

    // The base endpoint gets /v1/traces; headers are percent-decoded; the service name and
    // resource attributes reach the resource.
    std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", &base_url);
    std::env::set_var("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcr3t%2Cvalue , x-team = blue%20team");
    std::env::set_var("OTEL_SERVICE_NAME", "support-bot");
    std::env::set_var("OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored,deployment.environment.name=staging");
    std::env::set_var("OTEL_EXPORTER_OTLP_TIMEOUT", "3000");
    // An unknown protocol in the traces variable is warned about and skipped: the
    // generic one applies. Compression from the generic variable.
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc");
    std::env::set_var("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
    std::env::set_var("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip");
    let exporter = builder().build().unwrap();
    assert_eq!((exporter.protocol(), exporter.compression()), (Protocol::HttpJson, Compression::Gzip));
    assert_eq!(exporter.endpoint_source(), EndpointSource::BaseEnv);
    assert!(format!("{exporter:?}").contains("export_budget: 3s"), "{exporter:?}");
    assert!(!format!("{exporter:?}").contains("s=cr3t"));
    exporter.export(&one_span()).unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.path, "/v1/traces");
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("Content-Encoding"), Some("gzip"));
    assert_eq!(r.header("api-key"), Some("s=cr3t,value"));
    assert_eq!(r.header("x-team"), Some("blue team"));
    assert_eq!(resource_attribute(r, "service.name").as_deref(), Some("support-bot"));
    assert_eq!(resource_attribute(r, "deployment.environment.name").as_deref(), Some("staging"));
    let warnings: Vec<String> =
        test_support::logcap::all().into_iter().map(|l| l.text).filter(|t| t.contains("\"grpc\"")).collect();
    assert_eq!(warnings.len(), 1, "an unsupported protocol is warned about: {warnings:?}");
    assert!(warnings[0].contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), "{warnings:?}");

    // The traces endpoint is used as is, and wins over the base one; the traces
    // variables of protocol and compression win over the generic ones, and the traces
    // headers replace the generic ones whole: the generic credential stays home.
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", format!("{}/custom/traces", base_url));
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-team=red");
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf");
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none");
    let exporter = builder().build().unwrap();
    assert_eq!(exporter.endpoint_source(), EndpointSource::TracesEnv);
    exporter.export(&one_span()).unwrap();
    let r = &server.requests()[1];
    assert_eq!(r.path, "/custom/traces");
    assert_eq!((r.header("x-team"), r.header("api-key")), (Some("red"), None));
    assert_eq!((r.header("Content-Type"), r.header("Content-Encoding")), (Some("application/x-protobuf"), None));
    assert_eq!(resource_attribute(r, "service.name").as_deref(), Some("support-bot"));

    // The builder wins over every variable.
    let exporter = builder()
        .endpoint(format!("{}/from/builder", base_url))
        .header("API-KEY", "builder-key")
        .service_name("from-builder")
        .protocol(Protocol::HttpJson)
        .compression(Compression::Gzip)
        .build()
        .unwrap();
    assert_eq!(exporter.endpoint_source(), EndpointSource::Builder);
    exporter.export(&one_span()).unwrap();
    let r = &server.requests()[2];
    assert_eq!(r.path, "/from/builder");
    assert_eq!(r.header("api-key"), Some("builder-key"));
    assert_eq!((r.header("Content-Type"), r.header("Content-Encoding")), (Some("application/json"), Some("gzip")));
    assert_eq!(r.header("x-team"), Some("red"));
    assert_eq!(resource_attribute(r, "service.name").as_deref(), Some("from-builder"));

    // read_env(false) ignores them all.
    let isolated = builder().read_env(false).build().unwrap();
    assert_eq!(isolated.endpoint_source(), EndpointSource::Default);

    // A bad variable is reported by name, its value never.
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-bad=line%0Abreak");
    let err = builder().build().unwrap_err();
    assert!(
        err.to_string().contains("x-bad") && err.to_string().contains("OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
        "{err}"
    );
    assert!(!err.to_string().contains("break"), "{err}");

    for secret in ["s=cr3t", "s%3Dcr3t", "builder-key"] {
        logger::LOG.assert_never_logged(secret);
    }
    for name in VARIABLES {
        std::env::remove_var(name);
    }
}
