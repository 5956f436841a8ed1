//! Retries, time limits, shutdown, partial success, and traces split across batches.

use std::sync::Arc;
use std::time::Duration;
use trace_export_otlp::WithHttpOptions;

use log::Level;
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};
use prost::Message;
use trace_core::{CustomSpanData, ExportError, ExportItem, Span, SpanId, Timestamp, Trace, TraceId, TracingExporter};
use trace_export_otlp::{otlp_span_id, otlp_trace_id, Compression, MAX_OTLP_REPLY_BODY};

use crate::{builder, decode, hex, logger, spans, string, traces_url};
use test_support::exporter::shut_down_mid_export;
use test_support::server::{closed_port, Reply, TestServer};

/// A trace and `n` custom spans of it, as queued: the trace first.
fn items(n: usize) -> Vec<ExportItem> {
    test_support::exporter::items("retry test", n)
}

#[test]
fn a_503_is_retried_until_a_200() {
    let server = TestServer::start([Reply::status(503), Reply::status(503)], Reply::ok());
    let exporter = builder(&traces_url(&server)).build().unwrap();
    let batch = items(2);
    exporter.export(&batch).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    // Every attempt sends the same body.
    assert!(requests.iter().all(|r| r.body == requests[0].body && r.path == "/v1/traces"));
    assert_eq!(spans(&decode(&requests[2])).len(), 2);
}

#[test]
fn each_retryable_status_is_retried_and_no_other() {
    for status in [429, 502, 503, 504] {
        let server = TestServer::start([Reply::status(status)], Reply::ok());
        builder(&traces_url(&server)).build().unwrap().export(&items(1)).unwrap();
        assert_eq!(server.requests().len(), 2, "HTTP {status}");
    }
    for status in [400, 401, 403, 404, 408, 413, 500, 501, 301] {
        let server =
            TestServer::start([Reply::status(status).header("Location", "http://elsewhere/v1/traces")], Reply::ok());
        let batch = items(3);
        let err = builder(&traces_url(&server)).build().unwrap().export(&batch).unwrap_err();
        assert!(matches!(err, ExportError::Failed { failed: 4, .. }), "HTTP {status}: {err:?}");
        assert!(err.to_string().contains(&format!("HTTP {status}")), "{err}");
        assert_eq!(server.requests().len(), 1, "HTTP {status} must not be retried");
    }
}

#[test]
fn a_400_is_not_retried_and_its_message_is_reported() {
    let server = TestServer::start(
        [Reply::status(400)
            .header("Content-Type", "application/json")
            .body(r#"{"code":3,"message":"invalid span id"}"#)],
        Reply::ok(),
    );
    let exporter = builder(&traces_url(&server)).build().unwrap();
    let err = exporter.export(&items(1)).unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert!(matches!(err, ExportError::Failed { failed: 2, .. }), "{err:?}");
    assert!(err.to_string().contains("HTTP 400") && err.to_string().contains("invalid span id"), "{err}");
    let errors = logger::LOG.mine(Level::Error);
    assert!(errors.iter().any(|l| l.contains("invalid span id")), "{errors:?}");
}

#[test]
fn a_protobuf_error_status_is_decoded_for_its_message() {
    // google.rpc.Status { code: 3, message: "invalid trace id" }: field 1 varint, field 2 text.
    let message = "invalid trace id";
    let mut status = vec![0x08, 0x03, 0x12, message.len() as u8];
    status.extend_from_slice(message.as_bytes());
    let server = TestServer::start(
        [Reply::status(400)
            .header("Content-Type", "application/x-protobuf")
            .body(String::from_utf8(status).expect("ASCII bytes"))],
        Reply::ok(),
    );
    let err = builder(&traces_url(&server)).build().unwrap().export(&items(1)).unwrap_err();
    assert_eq!(server.requests().len(), 1);
    // The message alone, not the raw bytes around it.
    assert!(err.to_string().ends_with("HTTP 400 (not retried): invalid trace id"), "{err}");
}

#[test]
fn retry_after_is_honoured() {
    let server = TestServer::start([Reply::status(429).header("Retry-After", "1")], Reply::ok());
    // The backoff alone would wait 20 ms.
    let exporter = builder(&traces_url(&server)).build().unwrap();
    exporter.export(&items(1)).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
}

#[test]
fn a_retry_after_past_the_budget_gives_up_at_once() {
    // 30 s against a 2 s budget; 1e19 s, which overflows an `Instant` (OTLP honours
    // `Retry-After` uncapped); 1e20 s, which overflows a `Duration`; and an RFC 850 date
    // far ahead: all given up by the budget at once, none a panic.
    for wait in ["30", "10000000000000000000", "99999999999999999999", "Friday, 31-Dec-60 23:59:59 GMT"] {
        let server = TestServer::always(Reply::status(503).header("Retry-After", wait));
        let exporter = builder(&traces_url(&server)).export_budget(Duration::from_secs(2)).build().unwrap();
        let err = exporter.export(&items(1)).unwrap_err();
        assert_eq!(server.requests().len(), 1, "{wait}");
        assert!(err.to_string().contains("budget") && err.to_string().contains("Retry-After"), "{wait}: {err}");
        assert_eq!(exporter.stats().budget_exhausted, 2, "{wait}: given up by the budget");
    }
}

#[test]
fn attempts_are_limited() {
    let server = TestServer::always(Reply::status(502));
    let exporter = builder(&traces_url(&server)).max_attempts(3).build().unwrap();
    let err = exporter.export(&items(1)).unwrap_err();
    assert_eq!(server.requests().len(), 3);
    assert!(err.to_string().contains("3 attempt(s)") && err.to_string().contains("HTTP 502"), "{err}");
}

#[test]
fn a_refused_connection_is_retried_then_reported() {
    let closed = closed_port();
    let url = format!("http://127.0.0.1:{}/v1/traces", closed.port());
    let exporter = builder(&url).max_attempts(2).build().unwrap();
    let err = exporter.export(&items(2)).unwrap_err();
    assert!(matches!(err, ExportError::Failed { failed: 3, .. }), "{err:?}");
    assert!(err.to_string().contains("2 attempt(s)"), "{err}");
}

#[test]
fn shutdown_interrupts_a_backoff_sleep() {
    let server = TestServer::always(Reply::status(503));
    let exporter = Arc::new(
        builder(&traces_url(&server))
            .base_delay(Duration::from_secs(30))
            .max_delay(Duration::from_secs(30))
            .export_budget(Duration::from_secs(120))
            .build()
            .unwrap(),
    );
    // Once the first attempt was answered, shut down: the 30 s backoff sleep (or the
    // check before it) sees the stop at once, so no second request is made.
    let (result, _) = shut_down_mid_export(&exporter, &server, items(1));
    assert!(matches!(result, Err(ExportError::ShutDown { items: 2 })), "{result:?}");
    assert!(exporter.is_shut_down());
    // Later exports fail at once, without a request.
    assert!(matches!(exporter.export(&items(1)), Err(ExportError::ShutDown { .. })));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_partial_success_is_not_retried_and_counts_the_rejected_spans() {
    let body = r#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"spans too old"}}"#;
    let server = TestServer::always(Reply::ok().header("Content-Type", "application/json").body(body));
    let exporter = builder(&traces_url(&server)).build().unwrap();
    let err = exporter.export(&items(5)).unwrap_err();
    assert_eq!(server.requests().len(), 1);
    assert!(matches!(err, ExportError::Failed { failed: 2, .. }), "{err:?}");
    assert!(err.to_string().contains("spans too old"), "{err}");

    // An empty partial success is a success.
    let server =
        TestServer::always(Reply::ok().header("Content-Type", "application/json").body(r#"{"partialSuccess":{}}"#));
    builder(&traces_url(&server)).build().unwrap().export(&items(1)).unwrap();
}

/// A protobuf request gets a protobuf `ExportTraceServiceResponse`: its partial success
/// counts too, with or without a `Content-Type` on the reply.
#[test]
fn a_protobuf_partial_success_counts_the_rejected_spans() {
    let response = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess { rejected_spans: 3, error_message: "spans too old".into() }),
    };
    // Small numbers and ASCII text: the encoding is valid UTF-8, which the test server sends.
    let body = String::from_utf8(response.encode_to_vec()).unwrap();
    for content_type in [Some("application/x-protobuf"), None] {
        let reply = Reply::ok().body(body.clone());
        let reply = match content_type {
            Some(t) => reply.header("Content-Type", t),
            None => reply,
        };
        let server = TestServer::always(reply);
        let err = builder(&traces_url(&server)).build().unwrap().export(&items(5)).unwrap_err();
        assert_eq!(server.requests().len(), 1, "not retried");
        assert!(matches!(err, ExportError::Failed { failed: 3, .. }), "{content_type:?}: {err:?}");
        assert!(err.to_string().contains("spans too old"), "{err}");
    }
    // An empty protobuf reply (the usual success) is a success.
    let server = TestServer::always(Reply::ok().header("Content-Type", "application/x-protobuf"));
    builder(&traces_url(&server)).build().unwrap().export(&items(1)).unwrap();
}

#[test]
fn a_trace_split_across_two_batches_maps_the_same() {
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&traces_url(&server)).build().unwrap();
    let trace = Arc::new(Trace::new(TraceId::from_string("conversation-7"), "Split workflow").with_group_id("g-1"));
    let t = Timestamp::now();
    let root_id = SpanId::generate();
    let root = Span::new(
        root_id.clone(),
        Arc::clone(&trace),
        None,
        CustomSpanData { name: "root".into(), ..Default::default() },
    )
    .with_times(t, t);
    let child = Span::new(
        SpanId::generate(),
        Arc::clone(&trace),
        Some(root_id.clone()),
        CustomSpanData { name: "child".into(), ..Default::default() },
    )
    .with_times(t, t);
    // The trace item and the root in the first batch; the child alone in the second.
    exporter.export(&[ExportItem::Trace(Arc::clone(&trace)), ExportItem::Span(Arc::new(root))]).unwrap();
    exporter.export(&[ExportItem::Span(Arc::new(child))]).unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = spans(&decode(&requests[0]));
    let second = spans(&decode(&requests[1]));
    assert_eq!((first.len(), second.len()), (1, 1));
    let (root, child) = (&first[0], &second[0]);
    assert_eq!(root.trace_id, child.trace_id);
    assert_eq!(hex(&child.trace_id), otlp_trace_id(trace.trace_id()));
    assert_eq!(child.parent_span_id, root.span_id);
    assert_eq!(hex(&child.parent_span_id), otlp_span_id(&root_id));
    for s in [root, child] {
        assert_eq!(string(&s.attributes, "openai.agents.workflow.name"), "Split workflow");
        assert_eq!(string(&s.attributes, "gen_ai.conversation.id"), "g-1");
        assert_eq!(string(&s.attributes, "openai.agents.trace_id"), "conversation-7");
    }
}

#[test]
fn a_batch_of_trace_items_only_sends_nothing() {
    let server = TestServer::always(Reply::status(500));
    let exporter = builder(&traces_url(&server)).build().unwrap();
    exporter.export(&items(0)).unwrap();
    exporter.export(&[]).unwrap();
    assert!(server.requests().is_empty());
}

#[test]
fn long_attribute_values_are_cut_to_the_limit() {
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&traces_url(&server)).attribute_value_length_limit(Some(4)).build().unwrap();
    let trace = Arc::new(Trace::new(TraceId::generate(), "a long workflow name"));
    let span =
        Span::new(SpanId::generate(), trace, None, CustomSpanData { name: "héllo world".into(), ..Default::default() });
    exporter.export(&[ExportItem::Span(Arc::new(span))]).unwrap();
    let got = spans(&decode(&server.requests()[0]));
    assert_eq!(string(&got[0].attributes, "openai.agents.workflow.name"), "a lo");
    assert_eq!(string(&got[0].attributes, "openai.agents.span_data.name"), "héll");
    // The span name is not an attribute: kept whole.
    assert_eq!(got[0].name, "custom: héllo world");
}

/// A collector's answer over 4 MiB is a failure that is not retried, whatever its status,
/// and its spans are counted (the OTLP specification, "OTLP/HTTP Response": the client
/// MUST treat it as a non-retryable error). One of exactly 4 MiB is read whole.
#[test]
fn an_answer_over_the_reply_limit_fails_without_a_retry_and_is_counted() {
    let over = "x".repeat(MAX_OTLP_REPLY_BODY as usize + 1);
    for status in [200, 503] {
        let server = TestServer::start([Reply::status(status).body(over.clone())], Reply::ok());
        let exporter = builder(&traces_url(&server)).build().unwrap();
        let err = exporter.export(&items(3)).unwrap_err();
        assert_eq!(server.requests().len(), 1, "HTTP {status}: not retried");
        assert!(matches!(err, ExportError::Failed { failed: 4, .. }), "HTTP {status}: {err:?}");
        assert!(err.to_string().contains(&format!("HTTP {status}) is larger than 4194304 bytes")), "{err}");
        let stats = exporter.stats();
        assert_eq!((stats.reply_too_large, stats.lost(), stats.delivered), (4, 4, 0), "{stats:?}");
    }
    let exact = "y".repeat(MAX_OTLP_REPLY_BODY as usize);
    let server = TestServer::always(Reply::ok().body(exact));
    let exporter = builder(&traces_url(&server)).build().unwrap();
    exporter.export(&items(3)).unwrap();
    assert_eq!(exporter.stats().delivered, 4);
}

/// A body over `max_request_bytes` (counted before compression) is never sent: the OTLP
/// specification says the client MUST NOT make the request. Its items are counted as too
/// large, and a smaller batch still goes out.
#[test]
fn a_body_over_max_request_bytes_is_not_sent_and_its_items_are_counted() {
    for compression in [Compression::None, Compression::Gzip] {
        let server = TestServer::always(Reply::ok());
        let exporter = builder(&traces_url(&server)).compression(compression).max_request_bytes(2_000).build().unwrap();
        let err = exporter.export(&items(50)).unwrap_err();
        assert!(server.requests().is_empty(), "{compression:?}: no request made");
        assert!(matches!(err, ExportError::Failed { failed: 51, .. }), "{compression:?}: {err:?}");
        assert!(err.to_string().contains("larger than the limit of 2000 bytes, so it was not sent"), "{err}");
        assert_eq!(exporter.stats().too_large, 51);
        exporter.export(&items(1)).unwrap();
        assert_eq!(server.requests().len(), 1, "{compression:?}");
    }
}

/// The token of an `Authorization: <scheme> <token>` header is a secret too: a collector
/// that quotes the token without its scheme does not get it into the error or the log.
#[test]
fn the_token_of_a_scheme_and_token_header_stays_out_of_errors_and_logs() {
    let token = "dt0c01.SECRETTOKEN1234";
    let server = TestServer::always(
        Reply::status(401)
            .header("Content-Type", "application/json")
            .body(format!(r#"{{"code":16,"message":"token {token} is not valid"}}"#)),
    );
    let exporter = builder(&traces_url(&server)).header("Authorization", format!("Api-Token {token}")).build().unwrap();
    let err = exporter.export(&items(1)).unwrap_err().to_string();
    assert_eq!(server.requests()[0].header("authorization"), Some(format!("Api-Token {token}").as_str()));
    assert!(err.contains("is not valid") && !err.contains(token), "{err}");
    assert!(!format!("{exporter:?}").contains(token));
    logger::LOG.assert_never_logged(token);
}
