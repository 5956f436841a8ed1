//! One pooled ureq `Agent` and one `POST` of a body, with per-phase timeouts.
//!
//! Only per-phase timeouts are set (connect, send headers, send body, receive headers,
//! receive body): with `timeout_global` or `timeout_per_call`, ureq 3 resolves the host on
//! a new thread for every request, even an IP address on a pooled connection.

use std::time::Duration;

use ureq::typestate::WithBody;
use ureq::{Agent, RequestBuilder};

use crate::reply::{Reply, TransportError};

/// The time each phase of a request may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting, TLS handshake included.
    pub connect: Duration,
    /// Sending the request headers, and again sending the body.
    pub send: Duration,
    /// From the end of the request to the response headers: what a hung server costs.
    pub response: Duration,
    /// Reading the response body.
    pub body: Duration,
}

impl Timeouts {
    /// All the phases together, the send timeout counted twice (headers, then body): the
    /// longest one attempt can take without a cut.
    pub fn total(&self) -> Duration {
        [self.send, self.send, self.response, self.body].into_iter().fold(self.connect, Duration::saturating_add)
    }
}

/// How [`HttpAgent::new`] sets up its agent.
#[derive(Clone, Debug)]
pub struct AgentSettings<'a> {
    /// The `User-Agent` of every request.
    pub user_agent: &'a str,
    /// The timeout of each phase of a request.
    pub timeouts: Timeouts,
    /// The proxy to go through, or `None` for direct connections. ureq never reads the
    /// environment itself: see [`proxy_for`](crate::proxy_for) for how the engine picks one.
    pub proxy: Option<ureq::Proxy>,
    /// A limit on resolving a host name; `None` leaves it to the system resolver. Setting
    /// one makes ureq resolve on a new thread for every request (even for an IP address
    /// on a pooled connection).
    pub resolve_timeout: Option<Duration>,
}

/// A pooled ureq agent with per-phase timeouts. Any status comes back as a [`Reply`],
/// headers and all, for the caller's policy to judge; a redirect is not followed (a `POST`
/// body cannot follow it) and comes back as an answer like any other.
#[derive(Clone, Debug)]
pub struct HttpAgent {
    agent: Agent,
    timeouts: Timeouts,
}

impl HttpAgent {
    /// Builds the agent and its connection pool. No request is made.
    pub fn new(settings: &AgentSettings<'_>) -> Self {
        let t = settings.timeouts;
        let mut config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(settings.user_agent)
            .timeout_connect(Some(t.connect))
            .timeout_send_request(Some(t.send))
            .timeout_send_body(Some(t.send))
            .timeout_recv_response(Some(t.response))
            .timeout_recv_body(Some(t.body))
            .timeout_resolve(settings.resolve_timeout);
        config = config.proxy(settings.proxy.clone());
        Self { agent: config.build().new_agent(), timeouts: t }
    }

    /// The timeouts the agent was built with.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// A `POST` to `uri`, to add headers to and hand to [`send`](Self::send).
    pub fn post(&self, uri: &str) -> RequestBuilder<WithBody> {
        self.agent.post(uri)
    }

    /// Sends `request` with `body` and reads the reply. `remaining` is what is left of the
    /// caller's time budget: each phase's timeout is cut to it.
    ///
    /// # Errors
    /// [`TransportError`] when no answer came (see [`TransportError::is_transient`]).
    pub fn send(
        &self,
        mut request: RequestBuilder<WithBody>,
        body: &[u8],
        remaining: Duration,
    ) -> Result<Reply, TransportError> {
        // A request-level config costs a copy of the agent's, so only when the phases
        // together could outlast what is left of the budget. Then each phase is cut to it,
        // and the whole call too, so that the budget bounds the attempt however the time
        // is spread over its phases.
        if remaining < self.timeouts.total() {
            let t = self.timeouts;
            let cut = |d: Duration| Some(d.min(remaining));
            request = request
                .config()
                .timeout_global(Some(remaining))
                .timeout_connect(cut(t.connect))
                .timeout_send_request(cut(t.send))
                .timeout_send_body(cut(t.send))
                .timeout_recv_response(cut(t.response))
                .timeout_recv_body(cut(t.body))
                .build();
        }
        let response = request.send(body).map_err(|error| TransportError { error })?;
        Ok(Reply::read(response))
    }
}
