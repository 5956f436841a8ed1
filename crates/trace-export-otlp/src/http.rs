//! One pooled ureq `Agent` and one `POST` of a body, with per-phase timeouts.
//!
//! Only per-phase timeouts are set (connect, send headers, send body, receive headers,
//! receive body): with `timeout_global` or `timeout_per_call`, ureq 3 resolves the host on
//! a new thread for every request, even an IP address on a pooled connection.

use std::io::Read;
use std::time::{Duration, SystemTime};

use ureq::http::Response;
use ureq::{Agent, Body};

use crate::config::{Settings, USER_AGENT};
use crate::retry;

/// How much of a response body is read: enough for an OTLP answer (partial success or a
/// `Status` message) and to reuse the connection after it.
const MAX_RESPONSE_BODY: u64 = 64 * 1024;

/// The fixed parts of every request. `Debug` leaves the header values out.
pub(crate) struct HttpClient {
    agent: Agent,
    endpoint: String,
    /// Checked at build time; values never shown in `Debug`.
    headers: Vec<(String, String)>,
    timeouts: PhaseTimeouts,
}

#[derive(Clone, Copy, Debug)]
struct PhaseTimeouts {
    connect: Duration,
    send: Duration,
    response: Duration,
    body: Duration,
}

impl PhaseTimeouts {
    fn longest(&self) -> Duration {
        self.connect.max(self.send).max(self.response).max(self.body)
    }
}

/// What the server answered.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// The wait `Retry-After` asks for.
    pub(crate) retry_after: Option<Duration>,
    /// The start of the body.
    pub(crate) body: Vec<u8>,
    /// Where a redirect points, for the log line.
    pub(crate) location: Option<String>,
}

/// Why no answer came.
#[derive(Debug)]
pub(crate) struct TransportError {
    pub(crate) error: ureq::Error,
}

impl TransportError {
    /// Whether another attempt may succeed: network trouble, timeouts, a broken answer.
    /// A URL or header that ureq refuses will be refused again.
    pub(crate) fn is_transient(&self) -> bool {
        !matches!(
            self.error,
            ureq::Error::BadUri(_)
                | ureq::Error::Http(_)
                | ureq::Error::InvalidProxyUrl
                | ureq::Error::RedirectFailed
                | ureq::Error::TooManyRedirects
                | ureq::Error::BodyExceedsLimit(_)
        )
    }
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("endpoint", &crate::error::display_endpoint(&self.endpoint))
            .field("headers", &crate::config::RedactedHeaders(&self.headers))
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    pub(crate) fn new(s: &Settings) -> Self {
        let timeouts = PhaseTimeouts {
            connect: s.connect_timeout,
            send: s.send_timeout,
            response: s.response_timeout,
            body: s.body_timeout,
        };
        let mut config = Agent::config_builder()
            // Status codes come back as responses, headers and all (Retry-After).
            .http_status_as_error(false)
            // A redirect is not followed (a POST body cannot follow it); it is an answer
            // like any other, and not retried.
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .timeout_connect(Some(timeouts.connect))
            .timeout_send_request(Some(timeouts.send))
            .timeout_send_body(Some(timeouts.send))
            .timeout_recv_response(Some(timeouts.response))
            .timeout_recv_body(Some(timeouts.body));
        if !s.proxy_from_env {
            config = config.proxy(None);
        }
        Self { agent: config.build().new_agent(), endpoint: s.endpoint.clone(), headers: s.headers.clone(), timeouts }
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The configured headers, in order. Their values are for sending only.
    pub(crate) fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Sends one `POST`. `remaining` is what is left of the export's budget; each phase's
    /// timeout is cut to it.
    pub(crate) fn post(&self, body: &[u8], remaining: Duration) -> Result<Reply, TransportError> {
        let mut request = self.agent.post(&self.endpoint).header("Content-Type", "application/json");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        // A request-level config costs a copy of the agent's, so only near the end of the
        // budget.
        if remaining < self.timeouts.longest() {
            let t = self.timeouts;
            let cut = |d: Duration| Some(d.min(remaining));
            request = request
                .config()
                .timeout_connect(cut(t.connect))
                .timeout_send_request(cut(t.send))
                .timeout_send_body(cut(t.send))
                .timeout_recv_response(cut(t.response))
                .timeout_recv_body(cut(t.body))
                .build();
        }
        let response = request.send(body).map_err(|error| TransportError { error })?;
        Ok(read_reply(response))
    }
}

fn read_reply(mut response: Response<Body>) -> Reply {
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
    let retry_after = retry::retry_after(header("retry-after"), SystemTime::now());
    let location = header("location").map(str::to_owned);
    // Read (a bounded part of) the body either way, so the connection can be reused.
    let mut body = Vec::new();
    let _ = response.body_mut().as_reader().take(MAX_RESPONSE_BODY).read_to_end(&mut body);
    Reply { status, retry_after, body, location }
}
