//! The API key: in no log line (ureq's own included, at trace level), no `Debug`, no error
//! message; and never sent in clear text to a host off this machine without an opt-in.

use agents_tracing::openai::WithHttpOptions;
use std::sync::Arc;
use std::time::Duration;

use agents_tracing::core::{custom_span, trace, ExportItem, Trace, TraceId, TracingExporter};
use agents_tracing::multi::global_multi_processor;
use agents_tracing::openai::{BackendSpanExporter, BuildError};
use test_support::server::{Reply, TestServer};

use super::{exporter, logcap, Accounting, Pipeline, KEY};

/// A per-trace key, also looked for.
const TRACE_KEY: &str = "sk-per-trace-NEVER-LOGGED-91c2";

fn assert_secret_free(what: &str, text: &str) {
    for key in [KEY, TRACE_KEY] {
        assert!(!text.contains(key), "{what} holds a key: {text}");
    }
}

#[test]
fn the_key_appears_in_no_log_line_debug_output_or_error() {
    assert!(logcap::install(), "the capturing logger is this binary's logger");
    // The server quotes the key back in its error bodies, as real APIs do.
    let echo = format!("Incorrect API key provided: {KEY} / {TRACE_KEY}");
    let server = TestServer::start(
        [
            Reply::status(401).body(echo.clone()),
            Reply::status(500).body(echo.clone()),
            Reply::Close,
            Reply::Partial(format!("HTTP/1.1 200 OK\r\nX-Echo: {KEY}\r\n")),
        ],
        Reply::status(400).body(echo.clone()),
    );
    let p = Pipeline::install(exporter(&server.url()).max_retries(2), |b| b, vec![]);
    let mut offered = 0;
    for key in [None, Some(TRACE_KEY)] {
        for round in 0..3 {
            let mut builder = trace(format!("secret-{round}"));
            if let Some(k) = key {
                builder = builder.tracing_api_key(k);
            }
            let _t = builder.start();
            custom_span("work").start().end();
            offered += 2;
            drop(_t);
            let _ = p.batch.force_flush(Some(Duration::from_secs(5)));
        }
    }
    let (_, result) = p.shutdown(Duration::from_secs(5));
    result.expect("a clean shutdown");
    let a = Accounting::check(&p, offered);
    assert_eq!(a.delivered(), 0, "every answer was an error: {a:?}");

    // The keys did go to the server, in the header only.
    let requests = server.requests();
    assert!(requests.iter().any(|r| r.header("Authorization") == Some(&format!("Bearer {KEY}"))));
    assert!(requests.iter().any(|r| r.header("Authorization") == Some(&format!("Bearer {TRACE_KEY}"))));
    for r in &requests {
        assert_secret_free("a request body", &r.body_text());
    }

    // Direct calls: their errors and the exporter's own state.
    let direct = exporter(&server.url()).max_retries(1).build().unwrap();
    let item = ExportItem::Trace(Arc::new(Trace::new(TraceId::generate(), "w").with_tracing_api_key(TRACE_KEY)));
    let err = direct.export(&[item]).unwrap_err();
    assert_secret_free("an ExportError", &err.to_string());
    assert_secret_free("an ExportError's Debug", &format!("{err:?}"));
    assert_secret_free("the exporter's Debug", &format!("{direct:?}"));
    assert_secret_free("the builder's Debug", &format!("{:?}", exporter(&server.url())));
    assert_secret_free("the pipeline's Debug", &format!("{:?} {:?}", p.exporter, p.batch));
    assert_secret_free("the fan-out's Debug", &format!("{:?}", global_multi_processor()));
    assert_secret_free("the prepared requests", &format!("{:?}", direct.prepare_requests(&[])));

    let lines = logcap::all();
    assert!(lines.iter().any(|l| l.text.contains("Tracing client error 401")), "the failures were logged");
    assert!(lines.iter().any(|l| l.target.starts_with("ureq")), "ureq's own lines were captured too");
    for line in &lines {
        assert_secret_free("a log line", &format!("{} {} {}", line.level, line.target, line.text));
    }
}

#[test]
fn the_key_is_never_sent_in_clear_text_off_this_machine_without_an_opt_in() {
    logcap::install();
    // Built, never used: no request leaves this machine in this test.
    let insecure = [
        "http://example.com/v1/traces/ingest",
        "http://10.0.0.7:8080/v1/traces/ingest",
        "http://collector.internal/ingest",
        "http://[2001:db8::1]/ingest",
    ];
    for url in insecure {
        let err = BackendSpanExporter::builder().endpoint(url).api_key(KEY).proxy_from_env(false).build().unwrap_err();
        assert!(matches!(err, BuildError::InsecureEndpoint { .. }), "{url}: {err}");
        let text = err.to_string();
        assert!(text.contains("clear text") && text.contains("allow_insecure_http"), "{text}");
        assert_secret_free("a BuildError", &format!("{text} {err:?}"));
        // Why, in the log too.
        assert!(
            logcap::containing("exporter not built").iter().any(|l| l.text.contains(url)),
            "the refusal of {url} was logged"
        );
        // The explicit opt-in.
        let built = BackendSpanExporter::builder().endpoint(url).api_key(KEY).allow_insecure_http(true).build();
        assert!(built.is_ok(), "{url}");
    }
    // Loopback and TLS need no opt-in.
    for url in
        ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x", "https://api.openai.com/v1/traces/ingest"]
    {
        assert!(
            BackendSpanExporter::builder().endpoint(url).api_key(KEY).proxy_from_env(false).build().is_ok(),
            "{url}"
        );
    }
    for line in logcap::all() {
        assert_secret_free("a log line", &line.text);
    }
}
