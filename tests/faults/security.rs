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
    p.shut_down_cleanly();
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
        let built = BackendSpanExporter::builder()
            .endpoint(url)
            .api_key(KEY)
            .allow_insecure_http(true)
            .proxy_from_env(false)
            .build();
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

/// A 32-digit hex key (no `sk-` shape to recognise it by) with nothing in common with the
/// texts around it, so that any 4 characters of it found in a text are a leak. No 4 of its
/// characters in a row are decimal digits: ureq's debug lines name each server's port,
/// and a port such as 38274 would otherwise pass for a fragment.
const HEX_KEY: &str = "7b3f91f0b28e7f6b95f03b1f82c4b6f9";

/// An OpenAI-shaped key the exporter does not hold: found by its shape only.
const UNKNOWN_KEY: &str = "sk-proj-7Q3Z9X1V5K8M2W4R6T0Y7U3J9G5P1L8N";

/// The longest run of `key`'s secret characters (after an `sk-proj-` prefix, which
/// ordinary words such as "project" share) found in `text`.
fn longest_fragment(text: &str, key: &str) -> usize {
    let (t, k) = (text.as_bytes(), key.trim_start_matches("sk-proj-").as_bytes());
    let mut best = 0;
    let mut prev = vec![0usize; k.len() + 1];
    for &tc in t {
        let mut row = vec![0usize; k.len() + 1];
        for (j, &kc) in k.iter().enumerate() {
            if tc == kc {
                row[j + 1] = prev[j] + 1;
                best = best.max(row[j + 1]);
            }
        }
        prev = row;
    }
    best
}

/// Error bodies that quote `key` at every position around the exporters' 512-character
/// cut of a logged body, glued to the text before it or not, and cut by the 64 KiB limit
/// on a response body read.
fn echoing_bodies(key: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    for before in (440..=515).step_by(3) {
        let filler = "x".repeat(before - "Incorrect API key provided: ".len());
        bodies.push(format!("{filler}Incorrect API key provided: {key}. Try again."));
        bodies.push(format!("{filler}Incorrect API key provided:{key}"));
        bodies.push(format!("{filler}Incorrect API key provided{key}"));
    }
    // The read limit (64 KiB) falls inside the key.
    let limit = 64 * 1024;
    for inside in [4, 12, 30] {
        bodies.push(format!("{}{key}", "y".repeat(limit - inside)));
    }
    bodies
}

/// Exports one trace per body against a server answering `status` with it; returns the
/// longest fragment of `key` found in any error or in any line logged on this thread, where
/// the exports run (ureq-proto's TRACE hex dump of the request aside: it holds the outgoing
/// `Authorization` header, see the README). Other tests' lines are left out: their random
/// ids and ports share 4 characters with any key now and then.
fn longest_leak(status: u16, key: &str, export: impl Fn(&str) -> String) -> usize {
    let mut worst = 0;
    for body in echoing_bodies(key) {
        let server = TestServer::always(Reply::status(status).body(body));
        let error = export(&server.url());
        worst = worst.max(longest_fragment(&error, key));
    }
    let this_test = std::thread::current().id();
    for line in logcap::all().iter().filter(|l| l.thread == this_test && !l.is_raw_http_dump()) {
        worst = worst.max(longest_fragment(&line.text, key));
    }
    worst
}

#[test]
fn no_fragment_of_a_key_survives_a_cut_in_errors_or_logs() {
    logcap::install();
    let one_trace = || vec![ExportItem::Trace(Arc::new(Trace::new(TraceId::generate(), "echo")))];

    // OpenAI: the exporter's own key, echoed by a 401.
    let openai = longest_leak(401, HEX_KEY, |url| {
        let e = exporter(url).api_key(HEX_KEY).max_retries(1).build().unwrap();
        let err = e.export(&one_trace()).unwrap_err();
        format!("{err} {err:?} {e:?}")
    });
    // OpenAI: a per-trace key, and a key the exporter does not hold (found by its shape).
    let per_trace = longest_leak(401, HEX_KEY, |url| {
        let e = exporter(url).max_retries(1).build().unwrap();
        let item = ExportItem::Trace(Arc::new(Trace::new(TraceId::generate(), "w").with_tracing_api_key(HEX_KEY)));
        let err = e.export(&[item]).unwrap_err();
        format!("{err} {err:?}")
    });
    let unknown = longest_leak(401, UNKNOWN_KEY, |url| {
        let e = exporter(url).max_retries(1).build().unwrap();
        let err = e.export(&one_trace()).unwrap_err();
        format!("{err} {err:?}")
    });
    println!("SECRETS longest key fragment: openai key {openai}, per-trace key {per_trace}, unknown key {unknown}");
    assert!(openai < 4 && per_trace < 4 && unknown < 4, "{openai} {per_trace} {unknown}");

    #[cfg(feature = "otlp-http")]
    {
        use agents_tracing::otlp::OtlpSpanExporter;
        // OTLP: a credential header, echoed by a 400.
        let credential = "Zq7W3x9K1m5V8c2B6n4J0h7G3f9D5s1A";
        let otlp = longest_leak(400, credential, |url| {
            let e = OtlpSpanExporter::builder()
                .endpoint(url)
                .header("x-api-key", credential)
                .read_env(false)
                .proxy_from_env(false)
                .max_attempts(1)
                .build()
                .unwrap();
            let trace = Arc::new(Trace::new(TraceId::generate(), "w"));
            let span = agents_tracing::core::Span::new(
                agents_tracing::core::SpanId::generate(),
                trace,
                None,
                agents_tracing::core::CustomSpanData::default(),
            );
            let err = e.export(&[ExportItem::Span(Arc::new(span))]).unwrap_err();
            format!("{err} {err:?} {e:?}")
        });
        println!("SECRETS longest credential fragment: otlp header {otlp}");
        assert!(otlp < 4, "{otlp}");
    }
}

/// The proxy variables, as the exporters read them: a key over plain http goes to this
/// machine only, and directly (a loopback endpoint never goes through a proxy, which could
/// not reach it: a real export to the test server succeeds with a proxy named that does not
/// exist); plain http elsewhere is refused whatever proxy is named (one would forward it
/// in clear); https goes through any proxy (an encrypted tunnel).
#[test]
fn a_proxy_never_sees_a_key_in_clear_text() {
    let _env = crate::support::env_lock();
    let vars =
        ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];
    let clear = || {
        for v in vars {
            std::env::remove_var(v);
        }
    };
    let build = |url: &str| BackendSpanExporter::builder().endpoint(url).api_key(KEY).read_env(false).build();
    let server = TestServer::always(Reply::status(200));
    let loopback = server.url();
    let elsewhere = "http://collector.example:8080/v1/traces/ingest";
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"] {
        clear();
        std::env::set_var(var, "http://10.255.255.1:3128");
        let err = build(elsewhere).unwrap_err();
        assert!(matches!(err, BuildError::InsecureEndpoint { .. }), "{var}: {err:?}");
        assert_secret_free("a BuildError", &format!("{err} {err:?}"));
        assert!(BackendSpanExporter::builder()
            .endpoint(elsewhere)
            .api_key(KEY)
            .allow_insecure_http(true)
            .build()
            .is_ok());
        let exporter = build(&loopback).expect("a loopback endpoint is reached directly");
        let trace = Arc::new(Trace::new(TraceId::generate(), "direct"));
        exporter.export(&[ExportItem::Trace(trace)]).expect("sent to the test server, not to the proxy");
        assert!(build("https://api.openai.com/v1/traces/ingest").is_ok(), "{var}");
    }
    assert_eq!(server.requests().len(), 6);
    clear();
    std::env::set_var("HTTP_PROXY", "not a proxy url at all");
    let err = build(elsewhere).unwrap_err();
    assert!(matches!(err, BuildError::InvalidProxy { variable: "HTTP_PROXY", .. }), "{err:?}");
    clear();
}

/// A per-trace key saved with a trace state: only a fingerprint in the state, nothing of
/// it in the warning of a mismatched resume, in `Debug` or in errors.
#[test]
fn a_saved_trace_state_and_its_resume_never_show_the_key() {
    use agents_tracing::core::registry::with_default;
    use agents_tracing::core::{InMemoryProcessor, ResumeError, TraceState};

    logcap::install();
    let recorder = InMemoryProcessor::new();
    let (state, trace_id) = with_default(recorder.clone(), || {
        let run = trace("wf").tracing_api_key(TRACE_KEY).start();
        let _step = custom_span("step").start();
        (TraceState::current(), run.trace_id().cloned().expect("a trace"))
    });
    let saved = state.to_json_string();
    assert!(saved.contains("tracing_api_key_fingerprint"), "{saved}");
    assert_secret_free("the saved state", &saved);
    assert_secret_free("the state's Debug", &format!("{state:?}"));
    let resume = state.resume().tracing_api_key(KEY);
    assert_secret_free("the resume builder's Debug", &format!("{resume:?}"));
    let error = state.resume().tracing_api_key(KEY).try_start().unwrap_err();
    assert_eq!(error, ResumeError::WrongKey);
    assert_secret_free("the error", &format!("{error} {error:?}"));
    // `start` falls back to a fresh trace under the key given, and warns without it.
    let fresh = with_default(recorder.clone(), || {
        let guard = resume.start();
        assert_secret_free("the guard's Debug", &format!("{guard:?}"));
        guard.is_resumed()
    });
    assert!(!fresh);
    let warning = logcap::containing("resuming trace");
    assert!(warning.iter().any(|l| l.text.contains(&trace_id.to_string())), "{warning:?}");
    for line in logcap::all() {
        assert_secret_free("a log line", &line.text);
    }
    assert_eq!(recorder.started_traces().len(), 2, "the first start, then the fresh one");
}
