//! One pooled ureq `Agent` and one `POST` of a body, with per-phase timeouts.
//!
//! Only per-phase timeouts are set (connect, send headers, send body, receive headers,
//! receive body): with `timeout_global` or `timeout_per_call`, ureq 3 resolves the host on
//! a new thread for every request, even an IP address on a pooled connection.

use std::io::Read;
use std::time::{Duration, SystemTime};

use ureq::http::Response;
use ureq::{Agent, Body};

use crate::config::{BackendSpanExporterBuilder, USER_AGENT};
use crate::retry;

/// How much of a response body is read: enough to reuse the connection after a usual
/// answer, and to log an error message.
const MAX_RESPONSE_BODY: u64 = 64 * 1024;

/// The fixed parts of every request.
#[derive(Debug)]
pub(crate) struct HttpClient {
    agent: Agent,
    endpoint: String,
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

/// The headers of one group's requests.
#[derive(Debug)]
pub(crate) struct RequestHeaders<'a> {
    /// `Bearer <key>`.
    pub(crate) authorization: &'a str,
    pub(crate) organization: Option<&'a str>,
    pub(crate) project: Option<&'a str>,
}

/// What the server answered.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// `x-should-retry` did not say `false`.
    pub(crate) allows_retry: bool,
    /// The wait `retry-after-ms` / `Retry-After` asks for.
    pub(crate) retry_after: Option<Duration>,
    /// The start of the body, for error statuses only.
    pub(crate) body: Option<String>,
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

impl HttpClient {
    pub(crate) fn new(b: &BackendSpanExporterBuilder) -> Self {
        let timeouts = PhaseTimeouts {
            connect: b.connect_timeout,
            send: b.send_timeout,
            response: b.response_timeout,
            body: b.body_timeout,
        };
        let mut config = Agent::config_builder()
            // Status codes come back as responses, headers and all (Retry-After,
            // x-should-retry).
            .http_status_as_error(false)
            // A redirect is not followed (a POST body cannot follow it); it is an answer
            // like any other, retried as Python retries unexpected statuses.
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .timeout_connect(Some(timeouts.connect))
            .timeout_send_request(Some(timeouts.send))
            .timeout_send_body(Some(timeouts.send))
            .timeout_recv_response(Some(timeouts.response))
            .timeout_recv_body(Some(timeouts.body))
            .timeout_resolve(b.resolve_timeout);
        if !b.proxy_from_env {
            config = config.proxy(None);
        }
        Self { agent: config.build().new_agent(), endpoint: b.endpoint.clone(), timeouts }
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends one `POST`. `remaining` is what is left of the export's budget; each phase's
    /// timeout is cut to it.
    pub(crate) fn post(
        &self,
        headers: &RequestHeaders<'_>,
        body: &[u8],
        remaining: Duration,
    ) -> Result<Reply, TransportError> {
        let mut request = self
            .agent
            .post(&self.endpoint)
            .header("Authorization", headers.authorization)
            .header("Content-Type", "application/json")
            .header("OpenAI-Beta", "traces=v1");
        if let Some(org) = headers.organization {
            request = request.header("OpenAI-Organization", org);
        }
        if let Some(project) = headers.project {
            request = request.header("OpenAI-Project", project);
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
    let allows_retry = retry::server_allows_retry(header("x-should-retry"));
    let retry_after = retry::retry_after(header("retry-after-ms"), header("retry-after"), SystemTime::now());
    // Read (a bounded part of) the body either way, so the connection can be reused.
    let mut bytes = Vec::new();
    let _ = response.body_mut().as_reader().take(MAX_RESPONSE_BODY).read_to_end(&mut bytes);
    let body = (status >= 300).then(|| String::from_utf8_lossy(&bytes).into_owned());
    Reply { status, allows_retry, retry_after, body }
}
