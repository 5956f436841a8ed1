//! The OTLP/HTTP request: the configured headers on trace-http's pooled agent.

use std::time::Duration;

use trace_http::{AgentSettings, HttpAgent, Reply, Timeouts, TransportError};

use crate::config::{Settings, USER_AGENT};

/// The fixed parts of every request. `Debug` leaves the header values out.
pub(crate) struct HttpClient {
    agent: HttpAgent,
    endpoint: String,
    /// Checked at build time; values never shown in `Debug`.
    headers: Vec<(String, String)>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("endpoint", &crate::error::display_endpoint(&self.endpoint))
            .field("headers", &crate::config::RedactedHeaders(&self.headers))
            .field("timeouts", &self.agent.timeouts())
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    pub(crate) fn new(s: &Settings) -> Self {
        let timeouts = Timeouts {
            connect: s.connect_timeout,
            send: s.send_timeout,
            response: s.response_timeout,
            body: s.body_timeout,
        };
        // Status codes come back as replies, headers and all (Retry-After); a redirect is
        // not followed, and not retried.
        let agent = HttpAgent::new(&AgentSettings {
            user_agent: USER_AGENT,
            timeouts,
            proxy_from_env: s.proxy_from_env,
            resolve_timeout: None,
        });
        Self { agent, endpoint: s.endpoint.clone(), headers: s.headers.clone() }
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
        self.agent.send(request, body, remaining)
    }
}
