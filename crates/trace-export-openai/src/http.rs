//! The request to OpenAI's ingest endpoint: its headers on trace-http's pooled agent.

use std::time::Duration;

use trace_http::{AgentSettings, HttpAgent, Reply, Timeouts, TransportError};

use crate::config::{BackendSpanExporterBuilder, USER_AGENT};

/// The fixed parts of every request.
#[derive(Debug)]
pub(crate) struct HttpClient {
    agent: HttpAgent,
    endpoint: String,
}

/// The headers of one group's requests.
#[derive(Debug)]
pub(crate) struct RequestHeaders<'a> {
    /// `Bearer <key>`.
    pub(crate) authorization: &'a str,
    pub(crate) organization: Option<&'a str>,
    pub(crate) project: Option<&'a str>,
}

impl HttpClient {
    pub(crate) fn new(b: &BackendSpanExporterBuilder) -> Self {
        let timeouts = Timeouts {
            connect: b.connect_timeout,
            send: b.send_timeout,
            response: b.response_timeout,
            body: b.body_timeout,
        };
        // Status codes come back as replies, headers and all (Retry-After,
        // x-should-retry); a redirect is not followed and is retried as Python retries
        // unexpected statuses.
        let agent = HttpAgent::new(&AgentSettings {
            user_agent: USER_AGENT,
            timeouts,
            proxy_from_env: b.proxy_from_env,
            resolve_timeout: b.resolve_timeout,
        });
        Self { agent, endpoint: b.endpoint.clone() }
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
        self.agent.send(request, body, remaining)
    }
}
