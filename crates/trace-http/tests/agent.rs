//! `HttpAgent` against the workspace's scripted HTTP server on 127.0.0.1: what a reply
//! holds, redirects not followed, the body read bounded, the connection reused, transport
//! errors classified and timeouts cut to the remaining budget.

use std::time::Duration;

use test_support::server::{closed_port, Reply, TestServer};
use trace_http::{AgentSettings, HttpAgent, Timeouts, MAX_REPLY_BODY};

fn agent(response: Duration) -> HttpAgent {
    HttpAgent::new(&AgentSettings {
        user_agent: "trace-http-test/1",
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            send: Duration::from_secs(2),
            response,
            body: Duration::from_secs(2),
        },
        proxy: None,
        resolve_timeout: None,
        #[cfg(feature = "rustls")]
        tls: None,
    })
}

fn post(agent: &HttpAgent, url: &str, remaining: Duration) -> Result<trace_http::Reply, trace_http::TransportError> {
    let request = agent.post(url).header("Content-Type", "application/json");
    agent.send(request, b"{\"data\":[]}", remaining)
}

#[test]
fn a_status_comes_back_as_a_reply_with_its_headers_and_body() {
    let server = TestServer::start(
        [Reply::status(429).header("Retry-After", "2").header("retry-after-ms", "1500").body("slow down")],
        Reply::ok(),
    );
    let agent = agent(Duration::from_secs(5));
    let reply = post(&agent, &server.url(), Duration::from_secs(10)).unwrap();
    assert_eq!(reply.status, 429);
    assert!(!reply.is_success());
    assert_eq!(reply.header("retry-after"), Some("2"));
    assert_eq!(reply.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(reply.retry_after_ms(), Some(Duration::from_millis(1500)));
    assert_eq!(reply.body_text(), "slow down");
    let ok = post(&agent, &server.url(), Duration::from_secs(10)).unwrap();
    assert!(ok.is_success());
    assert_eq!(ok.retry_after(), None);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].header("User-Agent"), Some("trace-http-test/1"));
    assert_eq!(requests[0].header("Content-Type"), Some("application/json"));
    assert_eq!(requests[0].body_text(), "{\"data\":[]}");
    // The body was read: the second request went over the same connection.
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_redirect_is_an_answer_not_followed() {
    let server = TestServer::always(Reply::status(307).header("Location", "http://127.0.0.1:9/elsewhere"));
    let reply = post(&agent(Duration::from_secs(5)), &server.url(), Duration::from_secs(10)).unwrap();
    assert_eq!(reply.status, 307);
    assert_eq!(reply.header("location"), Some("http://127.0.0.1:9/elsewhere"));
    assert_eq!(server.request_count(), 1);
}

#[test]
fn the_body_read_is_bounded() {
    let big = "x".repeat(MAX_REPLY_BODY as usize + 1000);
    let server = TestServer::always(Reply::status(500).body(big));
    let reply = post(&agent(Duration::from_secs(5)), &server.url(), Duration::from_secs(10)).unwrap();
    assert_eq!(reply.body.len() as u64, MAX_REPLY_BODY);
}

#[test]
fn no_listener_is_a_transient_transport_error() {
    let closed = closed_port();
    let url = format!("http://127.0.0.1:{}/x", closed.port());
    let err = post(&agent(Duration::from_secs(5)), &url, Duration::from_secs(10)).unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn a_refused_request_is_not_transient() {
    let server = TestServer::always(Reply::ok());
    let agent = agent(Duration::from_secs(5));
    let request = agent.post(&server.url()).header("x-bad", "line\nbreak");
    let err = agent.send(request, b"", Duration::from_secs(10)).unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert_eq!(server.request_count(), 0);
}

#[test]
fn the_timeouts_are_cut_to_the_remaining_budget() {
    // The answer's head trickles out one byte per 100 ms, about 4 s in all: within the
    // agent's own 30 s wait for a response, far past 300 ms. The outcome tells a cut wait
    // from an uncut one, no clock needed.
    let server = TestServer::always(Reply::ok().slowly(Duration::from_millis(100)));
    let agent = agent(Duration::from_secs(30));
    let err = post(&agent, &server.url(), Duration::from_millis(300)).unwrap_err();
    assert!(err.is_transient(), "{err}");
    // The whole call is cut to the budget ("global"), and each phase to it too.
    assert!(
        err.to_string().contains("timeout: global") || err.to_string().contains("timeout: receive response"),
        "{err}"
    );
    // With the whole budget left, the same agent waits its 30 s and gets the answer.
    let reply = post(&agent, &server.url(), Duration::from_secs(60)).expect("answered within the agent's own wait");
    assert_eq!(reply.status, 200);
}

/// A response head of up to 16 KiB (Python's h11 limit) is read; a longer one is a clear
/// transport error, not a stalled read.
#[test]
fn a_response_head_is_read_up_to_16_kib() {
    let under = "a".repeat(15 * 1024);
    let over = "b".repeat(17 * 1024);
    let server = TestServer::start([Reply::ok().header("x-long", &under)], Reply::ok().header("x-long", &over));
    let agent = agent(Duration::from_secs(5));
    let reply = post(&agent, &server.url(), Duration::from_secs(10)).unwrap();
    assert!(reply.is_success());
    assert_eq!(reply.header("x-long").map(str::len), Some(under.len()));
    let err = post(&agent, &server.url(), Duration::from_secs(10)).unwrap_err();
    assert!(err.to_string().contains("header"), "{err}");
}

/// A body several times the connection's 48 KiB send buffer arrives whole.
#[test]
fn a_body_larger_than_the_send_buffer_arrives_whole() {
    let server = TestServer::always(Reply::ok());
    let body: Vec<u8> = (0..300 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    let agent = agent(Duration::from_secs(5));
    let request = agent.post(&server.url()).header("Content-Type", "application/octet-stream");
    let reply = agent.send(request, &body, Duration::from_secs(10)).unwrap();
    assert!(reply.is_success());
    assert_eq!(server.requests()[0].body, body);
}

/// Timeouts as large as a `Duration` holds (a builder given `Duration::MAX`, or an OTLP
/// timeout of zero, "no limit") work as no limit: no overflow, no panic.
#[test]
fn huge_timeouts_are_no_limit() {
    let server = TestServer::always(Reply::ok());
    let agent = HttpAgent::new(&AgentSettings {
        user_agent: "trace-http-test/1",
        timeouts: Timeouts {
            connect: Duration::MAX,
            send: Duration::MAX,
            response: Duration::MAX,
            body: Duration::MAX,
        },
        proxy: None,
        resolve_timeout: Some(Duration::MAX),
        #[cfg(feature = "rustls")]
        tls: None,
    });
    let reply = post(&agent, &server.url(), Duration::MAX).expect("an answer");
    assert_eq!(reply.status, 200);
    let reply = post(&agent, &server.url(), Duration::from_secs(u64::MAX / 4)).expect("an answer");
    assert_eq!(reply.status, 200);
}
