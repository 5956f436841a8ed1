//! Delivery, retries, time limits, shutdown and logging, against scripted answers.

use std::sync::Arc;
use std::time::Duration;
use trace_export_openai::WithHttpOptions;

use log::Level;
use trace_core::{ExportError, Trace, TraceId, TracingExporter};
use trace_export_openai::{BackendSpanExporter, BackendSpanExporterBuilder, ExportBatch, USER_AGENT};

use crate::logger;
use crate::server::{closed_port, Json, Recorded, Reply, TestServer};
use crate::{batch, builder, items};
use test_support::exporter::shut_down_mid_export;

const WAIT: Duration = Duration::from_secs(5);

fn failed(err: &ExportError) -> usize {
    match err {
        ExportError::Failed { failed, .. } => *failed,
        other => panic!("expected Failed, got {other:?}"),
    }
}

fn gaps(requests: &[Recorded]) -> Vec<Duration> {
    requests.windows(2).map(|w| w[1].at - w[0].at).collect()
}

#[test]
fn a_200_delivers_the_batch_in_one_request_with_the_sdk_headers() {
    let key = "sk-test-200-secret";
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&server.url(), key).build().unwrap();
    let batch = items("ok", 3);

    exporter.export(&batch).unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str(), r.version.as_str()), ("POST", "/v1/traces/ingest", "HTTP/1.1"));
    assert_eq!(r.header("Authorization"), Some("Bearer sk-test-200-secret"));
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("OpenAI-Beta"), Some("traces=v1"));
    assert_eq!(r.header("OpenAI-Organization"), None);
    assert_eq!(r.header("OpenAI-Project"), None);
    assert_eq!(r.header("User-Agent"), Some(USER_AGENT));
    assert!(USER_AGENT.starts_with("agents-tracing/") && USER_AGENT.contains("trace-export-openai"));
    assert_eq!(r.header("Content-Length"), Some(r.body.len().to_string().as_str()));
    assert_eq!(r.header("Content-Encoding"), None);
    // Compact JSON, exactly trace-core's `{"data":[...]}` (no sanitizer for this endpoint).
    assert_eq!(r.body, trace_core::wire::to_json_vec(&ExportBatch(&batch)).unwrap());
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 4);

    // A second export reuses the pooled connection.
    exporter.export(&items("again", 1)).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].connection, requests[1].connection);
    assert!(logger::LOG.mine(Level::Debug).iter().any(|l| l == "Exported 4 items"));
    logger::LOG.assert_never_logged(key);
}

#[test]
fn an_empty_batch_sends_nothing() {
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&server.url(), "sk-test-empty").build().unwrap();
    exporter.export(&[]).unwrap();
    assert!(server.requests().is_empty());
}

#[test]
fn a_500_then_200_is_retried_and_delivered_once() {
    let server = TestServer::start([Reply::status(500)], Reply::ok());
    let exporter = builder(&server.url(), "sk-test-500-200").build().unwrap();
    let batch = items("retry", 2);

    exporter.export(&batch).unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    assert!(gaps(&requests)[0] >= Duration::from_millis(20), "{:?}", gaps(&requests));
    let warnings = logger::LOG.mine(Level::Warn);
    assert_eq!(warnings, ["[non-fatal] Tracing: server error 500, retrying."]);
}

#[test]
fn a_500_for_ever_gives_up_after_max_retries_attempts_and_counts_the_batch() {
    let server = TestServer::always(Reply::status(500));
    let exporter = builder(&server.url(), "sk-test-500").max_retries(3).build().unwrap();
    let batch = items("lost", 4);

    let err = exporter.export(&batch).unwrap_err();

    assert_eq!(failed(&err), 5);
    assert_eq!(err.lost_items(batch.len()), 5);
    assert!(err.to_string().contains("gave up after 3 attempt(s); last failure: HTTP 500"), "{err}");
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "max_retries counts attempts");
    // Backoff: 20 ms then 40 ms, each plus up to 10 %.
    let g = gaps(&requests);
    assert!(g[0] >= Duration::from_millis(20) && g[1] >= Duration::from_millis(40), "{g:?}");
    assert!(logger::LOG.mine(Level::Error).iter().any(|l| l.contains("max retries reached")));
}

#[test]
fn a_429_with_retry_after_waits_that_long_then_delivers() {
    let server = TestServer::start([Reply::status(429).header("Retry-After", "1")], Reply::ok());
    let exporter = builder(&server.url(), "sk-test-429").build().unwrap();

    exporter.export(&items("rate limited", 1)).unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // The wait is the Retry-After's, not the 20 ms backoff's (shown without a clock by
    // `a_retry_after_past_the_budget_is_not_waited_for`). A lower bound only, which cannot
    // flake: the exporter's sleep runs to a deadline on the monotonic clock and never ends
    // early, and the server stamps the first request before it answers it and the second
    // after the exporter sent it.
    let gap = gaps(&requests)[0];
    assert!(gap >= Duration::from_millis(990), "{gap:?}");
    assert_eq!(logger::LOG.mine(Level::Warn), ["[non-fatal] Tracing: client error 429, retrying."]);
}

#[test]
fn a_retry_after_past_the_budget_is_not_waited_for() {
    // Retry-After: 30 under a 60 s maximum delay, in a 5 s budget: the next sleep would be
    // the 30 s the server asked for (not the 20 ms backoff), so the exporter gives up
    // before sleeping and says why.
    let err = given_up_before_sleeping(Reply::status(429).header("Retry-After", "30"), |b| {
        b.max_delay(Duration::from_secs(60)).export_budget(Duration::from_secs(5))
    });
    assert!(err.contains("the server asked to wait 30s (Retry-After), past the budget"), "{err}");
}

#[test]
fn a_408_and_a_409_are_retried_too() {
    let server = TestServer::start([Reply::status(408), Reply::status(409)], Reply::ok());
    let exporter = builder(&server.url(), "sk-test-408").build().unwrap();
    exporter.export(&items("transient", 1)).unwrap();
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_400_is_not_retried_and_its_body_is_logged_truncated() {
    let key = "sk-test-400-secret";
    let body = format!("invalid payload: {}", "detail ".repeat(300));
    let server = TestServer::always(Reply::status(400).body(body.clone()));
    let exporter = builder(&server.url(), key).response_data_in_logs(true).build().unwrap();
    let batch = items("bad", 2);

    let err = exporter.export(&batch).unwrap_err();

    assert_eq!(failed(&err), 3);
    assert!(err.to_string().contains("HTTP 400"), "{err}");
    assert_eq!(server.requests().len(), 1);
    let errors = logger::LOG.mine(Level::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let line = &errors[0];
    assert!(line.starts_with("[non-fatal] Tracing client error 400: invalid payload: detail"), "{line}");
    assert!(line.len() < body.len(), "the body is truncated: {line}");
    assert!(line.ends_with(&format!("[{} bytes in all]", body.len())), "{line}");
    assert!(logger::LOG.mine(Level::Warn).is_empty(), "no retry warnings");
    logger::LOG.assert_never_logged(key);
}

#[test]
fn a_401_is_not_retried_and_the_key_is_never_logged_even_if_the_server_echoes_it() {
    let key = "sk-test-401-secret-echoed";
    let server = TestServer::always(Reply::status(401).body(format!("Incorrect API key provided: {key}.")));
    let exporter = builder(&server.url(), key).response_data_in_logs(true).build().unwrap();

    let err = exporter.export(&items("unauthorized", 1)).unwrap_err();

    assert_eq!(failed(&err), 2);
    assert!(!err.to_string().contains(key));
    assert_eq!(server.requests().len(), 1);
    assert_eq!(
        logger::LOG.mine(Level::Error),
        ["[non-fatal] Tracing client error 401: Incorrect API key provided: <redacted>."]
    );
    assert!(!format!("{exporter:?}").contains(key));
    logger::LOG.assert_never_logged(key);
}

/// Python's default (`OPENAI_AGENTS_DONT_LOG_MODEL_DATA` and `_TOOL_DATA` unset, so on): a
/// refusal's body may quote span content, so neither the log nor the error shows it.
#[test]
fn a_refusals_body_is_redacted_by_default() {
    let server = TestServer::always(Reply::status(400).body("field too long: the user's private prompt"));
    let exporter = builder(&server.url(), "sk-test-400-redacted").build().unwrap();

    let err = exporter.export(&items("bad", 1)).unwrap_err();

    assert_eq!(failed(&err), 2);
    assert!(err.to_string().contains("HTTP 400") && !err.to_string().contains("private"), "{err}");
    assert_eq!(
        logger::LOG.mine(Level::Error),
        ["[non-fatal] Tracing client error 400: response data is redacted (see `response_data_in_logs`)"]
    );
    logger::LOG.assert_never_logged("private prompt");
}

#[test]
fn x_should_retry_false_stops_at_once() {
    for status in [500, 429] {
        let server = TestServer::always(Reply::status(status).header("x-should-retry", "false"));
        let exporter = builder(&server.url(), "sk-test-no-retry").build().unwrap();
        let err = exporter.export(&items("no retry", 1)).unwrap_err();
        assert_eq!(failed(&err), 2);
        assert!(err.to_string().contains("x-should-retry: false"), "{err}");
        assert_eq!(server.requests().len(), 1, "status {status}");
    }
}

#[test]
fn x_should_retry_true_retries_any_failing_status() {
    for status in [400, 401, 404, 422, 500] {
        let server = TestServer::start([Reply::status(status).header("x-should-retry", "true")], Reply::ok());
        let exporter = builder(&server.url(), "sk-test-retry-anyway").build().unwrap();
        exporter.export(&items("retried", 1)).unwrap();
        assert_eq!(server.requests().len(), 2, "status {status}");
        assert_eq!(exporter.stats().delivered, 2);
    }
    // Retried up to the attempts allowed, then counted.
    let server = TestServer::always(Reply::status(400).header("X-Should-Retry", " TRUE "));
    let exporter = builder(&server.url(), "sk-test-retry-anyway").max_retries(3).build().unwrap();
    let err = exporter.export(&items("still refused", 1)).unwrap_err();
    assert_eq!(failed(&err), 2);
    assert_eq!(server.requests().len(), 3);
    assert_eq!(exporter.stats().retries_exhausted, 2);
    // A success is a success, whatever the header.
    let server = TestServer::always(Reply::ok().header("x-should-retry", "true"));
    let exporter = builder(&server.url(), "sk-test-retry-anyway").build().unwrap();
    exporter.export(&items("fine", 1)).unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_refused_connection_is_retried_then_counted() {
    let key = "sk-test-refused";
    let closed = closed_port();
    let url = format!("http://127.0.0.1:{}/v1/traces/ingest", closed.port());
    let exporter = builder(&url, key).max_retries(3).build().unwrap();

    let err = exporter.export(&items("refused", 2)).unwrap_err();

    assert_eq!(failed(&err), 3);
    assert!(err.to_string().contains("3 attempt(s)"), "{err}");
    assert_eq!(exporter.stats().requests, 3);
    // Retry warnings are rate-limited (one per 10 s per exporter); the giving up is an error.
    let warnings = logger::LOG.mine(Level::Warn);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("[non-fatal] Tracing request failed"), "{warnings:?}");
    let errors = logger::LOG.mine(Level::Error);
    assert!(errors.iter().any(|l| l.contains("max retries reached")), "{errors:?}");
    logger::LOG.assert_never_logged(key);
}

#[test]
fn a_closed_connection_is_retried() {
    let server = TestServer::start([Reply::Close], Reply::ok());
    let exporter = builder(&server.url(), "sk-test-close").build().unwrap();
    exporter.export(&items("closed", 1)).unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_server_that_never_answers_costs_at_most_the_export_budget() {
    let server = TestServer::always(Reply::Hang);
    let exporter = builder(&server.url(), "sk-test-hang")
        .max_retries(100)
        .response_timeout(Duration::from_millis(300))
        // Room for a second attempt even when the machine stalls in the first.
        .export_budget(Duration::from_millis(3000))
        .build()
        .unwrap();

    let err = exporter.export(&items("hung", 1)).unwrap_err();

    // Given up by the budget, not by the 100 attempts allowed.
    assert_eq!(exporter.stats().budget_exhausted, 2);
    assert_eq!(failed(&err), 2);
    assert!(err.to_string().contains("time budget"), "{err}");
    assert!(exporter.stats().requests >= 2, "it retried within the budget");
    assert!(server.requests().len() >= 2, "the server saw the retries");
}

/// A builder whose backoff sleeps 10 s within a 60 s budget: an export that ends before
/// its second request was ended by a shutdown.
fn slow_to_retry(server: &TestServer, key: &str) -> BackendSpanExporterBuilder {
    builder(&server.url(), key)
        .base_delay(Duration::from_secs(10))
        .max_delay(Duration::from_secs(10))
        .export_budget(Duration::from_secs(60))
}

#[test]
fn shutdown_from_another_thread_ends_an_export_stuck_on_a_silent_server() {
    let server = TestServer::always(Reply::Hang);
    let exporter = Arc::new(
        slow_to_retry(&server, "sk-test-hang-shutdown").response_timeout(Duration::from_millis(400)).build().unwrap(),
    );
    // Once the request is in flight, shut down: the request times out (400 ms) and the
    // export then gives up instead of sleeping and retrying.
    let err = shut_down_mid_export(&exporter, &server, items("stuck", 2)).0.unwrap_err();

    assert!(matches!(err, ExportError::ShutDown { items: 3 }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
    assert!(exporter.is_shut_down());

    // Later exports fail at once, without a request.
    let err = exporter.export(&items("after", 1)).unwrap_err();
    assert!(matches!(err, ExportError::ShutDown { items: 2 }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn shutdown_interrupts_a_backoff_sleep_at_once() {
    let server = TestServer::always(Reply::status(503));
    let exporter = Arc::new(slow_to_retry(&server, "sk-test-backoff-shutdown").build().unwrap());
    // Once the first attempt was answered, shut down: the 10 s backoff sleep (or the
    // check before it) sees the stop at once, so no second request is made.
    let (result, exporting) = shut_down_mid_export(&exporter, &server, items("sleeping", 1));
    let err = result.unwrap_err();

    assert!(matches!(err, ExportError::ShutDown { items: 2 }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
    let said = test_support::logcap::containing("sk-test-backoff-shutdown");
    assert!(said.is_empty(), "{said:?}");
    // Logged on this export's own thread (another test's export may log the same line).
    let own = test_support::logcap::by_thread(exporting);
    assert!(own.iter().any(|l| l.contains("shutdown requested during retry backoff")), "{own:?}");
}

/// Exports one item to a server answering `reply` for ever, with the test settings
/// changed by `settings`; checks that the export failed after the first request, given up
/// before sleeping for the time budget, and returns what its error says.
fn given_up_before_sleeping(
    reply: Reply,
    settings: impl FnOnce(BackendSpanExporterBuilder) -> BackendSpanExporterBuilder,
) -> String {
    let server = TestServer::always(reply);
    let exporter = settings(builder(&server.url(), "sk-test-budget")).build().unwrap();
    let err = exporter.export(&items("budget", 1)).unwrap_err().to_string();
    assert!(err.contains("time budget"), "{err}");
    assert_eq!(server.requests().len(), 1, "{err}");
    err
}

#[test]
fn a_backoff_longer_than_the_budget_is_not_slept() {
    let err = given_up_before_sleeping(Reply::status(500), |b| {
        b.base_delay(Duration::from_secs(5)).export_budget(Duration::from_secs(1))
    });
    // Given up before the sleep, not after it.
    assert!(err.contains("would end past the budget"), "{err}");
}

#[test]
fn items_with_their_own_key_go_in_their_own_request() {
    let default_key = "sk-test-default-key";
    let own_key = "sk-test-per-trace-key";
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&server.url(), default_key).build().unwrap();
    let a = items("default_key_trace", 2);
    let b = batch(Trace::new(TraceId::generate(), "own_key_trace").with_tracing_api_key(own_key), 2);
    // Interleaved in the queue: a0 a1 b0 b1 a2 b2.
    let queue = vec![a[0].clone(), a[1].clone(), b[0].clone(), b[1].clone(), a[2].clone(), b[2].clone()];

    exporter.export(&queue).unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("Authorization"), Some("Bearer sk-test-default-key"));
    assert_eq!(requests[1].header("Authorization"), Some("Bearer sk-test-per-trace-key"));
    // Each request holds its group, in queue order.
    assert_eq!(requests[0].body, trace_core::wire::to_json_vec(&ExportBatch(&a)).unwrap());
    assert_eq!(requests[1].body, trace_core::wire::to_json_vec(&ExportBatch(&b)).unwrap());
    logger::LOG.assert_never_logged(own_key);
    logger::LOG.assert_never_logged(default_key);
}

#[test]
fn a_failing_key_group_counts_only_its_items() {
    let server = TestServer::start([Reply::ok(), Reply::status(401)], Reply::ok());
    let exporter = builder(&server.url(), "sk-test-group-ok").build().unwrap();
    let a = items("fine", 3);
    let b = batch(Trace::new(TraceId::generate(), "revoked").with_tracing_api_key("sk-test-group-revoked"), 1);
    let queue: Vec<_> = a.iter().chain(&b).cloned().collect();

    let err = exporter.export(&queue).unwrap_err();

    assert_eq!(failed(&err), b.len());
    assert_eq!(server.requests().len(), 2);
}

/// Each key's group has a budget of its own, as Python retries each group on its own: a
/// first group whose server never answers uses up its budget, and the next group is still
/// sent (with one budget for the whole export it was given up unsent).
#[test]
fn each_key_group_has_a_budget_of_its_own() {
    let server = TestServer::start([Reply::Hang], Reply::ok());
    let exporter = builder(&server.url(), "sk-test-budget-first")
        .max_retries(1)
        .response_timeout(Duration::from_secs(30))
        .export_budget(Duration::from_secs(2))
        .build()
        .unwrap();
    let a = items("hung", 1);
    let b = batch(Trace::new(TraceId::generate(), "next").with_tracing_api_key("sk-test-budget-second"), 1);
    let queue: Vec<_> = a.iter().chain(&b).cloned().collect();

    let err = exporter.export(&queue).unwrap_err();

    assert_eq!(failed(&err), a.len(), "only the hung group's items");
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the second group was sent");
    assert_eq!(requests[1].header("Authorization"), Some("Bearer sk-test-budget-second"));
}

#[test]
fn without_any_key_the_batch_is_lost_with_one_warning_and_a_key_set_later_is_used() {
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&server.url(), "").build().unwrap();
    assert!(!format!("{exporter:?}").contains("<redacted>"));

    for _ in 0..3 {
        let err = exporter.export(&items("no key", 2)).unwrap_err();
        // Counted, and not for processors to log again: the exporter said it once.
        assert!(matches!(err, ExportError::NotConfigured { items: 3, .. }), "{err:?}");
        assert!(!err.should_log());
        assert!(err.to_string().contains("no API key"), "{err}");
    }
    assert!(server.requests().is_empty());
    assert_eq!(exporter.stats().no_api_key, 9);
    let warnings = logger::LOG.mine(Level::Warn);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("OPENAI_API_KEY is not set, skipping trace export"));
    // It says how to set a key and how to turn tracing off.
    for hint in ["set_tracing_export_api_key", "OPENAI_AGENTS_DISABLE_TRACING=1", "set_tracing_disabled(true)"] {
        assert!(warnings[0].contains(hint), "{hint}: {}", warnings[0]);
    }
    // Mixed with another failure, the batch is a plain failure again.
    let own = batch(Trace::new(TraceId::generate(), "own").with_tracing_api_key("sk-test-own-rejected"), 0);
    let rejecting = TestServer::always(Reply::status(400));
    let mixed = builder(&rejecting.url(), "").build().unwrap();
    let queue: Vec<_> = items("no key", 0).into_iter().chain(own).collect();
    assert_eq!(failed(&mixed.export(&queue).unwrap_err()), 2);

    // Items with their own key still go out.
    let own = batch(Trace::new(TraceId::generate(), "own").with_tracing_api_key("sk-test-own-only"), 1);
    exporter.export(&own).unwrap();
    assert_eq!(server.requests().len(), 1);

    exporter.set_api_key("sk-test-set-later");
    exporter.export(&items("key now", 1)).unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("Authorization"), Some("Bearer sk-test-set-later"));
    assert!(format!("{exporter:?}").contains("<redacted>"));
    assert!(!format!("{exporter:?}").contains("sk-test-set-later"));
}

#[test]
fn set_api_key_is_thread_safe_and_takes_effect_on_the_next_request() {
    let server = TestServer::always(Reply::ok());
    let exporter = Arc::new(builder(&server.url(), "sk-test-first").build().unwrap());
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let e = Arc::clone(&exporter);
            std::thread::spawn(move || e.set_api_key(format!("sk-test-thread-{i}")))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    exporter.export(&items("after threads", 1)).unwrap();
    let auth = server.requests()[0].header("Authorization").unwrap().to_owned();
    assert!(auth.starts_with("Bearer sk-test-thread-"), "{auth}");
}

#[test]
fn debug_output_never_shows_the_key() {
    let key = "sk-test-debug-secret";
    let b = BackendSpanExporter::builder().api_key(key).organization("org-x");
    let text = format!("{b:?}");
    assert!(!text.contains(key) && text.contains("redacted") && text.contains("org-x"), "{text}");
    let exporter = b.endpoint("http://user:pass@127.0.0.1:9/x").build().unwrap();
    let text = format!("{exporter:?}");
    assert!(!text.contains(key) && !text.contains("pass") && text.contains("<redacted>"), "{text}");
}

#[test]
fn many_exports_finish_quickly_on_a_healthy_server() {
    let server = TestServer::always(Reply::ok());
    let exporter = builder(&server.url(), "sk-test-many").build().unwrap();
    let batch = items("bulk", 127);
    for _ in 0..20 {
        exporter.export(&batch).unwrap();
    }
    let requests = server.wait_for(20, WAIT);
    assert_eq!(requests.len(), 20);
    assert!(requests.iter().all(|r| r.connection == requests[0].connection), "one pooled connection");
}
