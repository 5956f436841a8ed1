//! One pooled ureq `Agent` and one `POST` of a body, with per-phase timeouts.
//!
//! Only per-phase timeouts are set on the agent (connect, send headers, send body, receive
//! headers, receive body). With `timeout_global` (set per request when the caller's budget
//! is shorter than the phases together) ureq 3's resolver looks the host up on a new thread
//! for every request, even an IP address on a pooled connection; [`LiteralFirst`] answers an
//! IP address itself, so a collector on `127.0.0.1` costs no thread per request.

use std::net::SocketAddr;
use std::time::Duration;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::typestate::WithBody;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Connector, DefaultConnector, NextTimeout};
use ureq::{Agent, RequestBuilder};

use crate::one_write::OneWriteConnector;
use crate::reply::{Reply, TransportError, MAX_REPLY_BODY};

/// The longest response head accepted: 16 KiB, what Python's HTTP client (h11, under
/// httpx) accepts. A longer one is ureq's `LargeResponseHeader` error.
const MAX_RESPONSE_HEAD_BYTES: usize = 16 * 1024;

/// A connection's receive buffer, which the response head and body pass through: 1 KiB
/// more than the longest head, so that a longer head fills past the limit and is refused
/// rather than leaving a read that cannot progress. ureq's default is 128 KiB, zeroed (so
/// resident) for each pooled connection.
const INPUT_BUFFER_BYTES: usize = MAX_RESPONSE_HEAD_BYTES + 1024;

/// A connection's send buffer, which the request head and body pass through, one write
/// per buffer: 48 KiB holds a 128-span batch of ordinary spans (about 40 KiB) in one write.
/// ureq's default is 128 KiB, zeroed like the receive buffer, so resident for each pooled
/// connection; with two exports in flight there are two. (64 KiB cost 60 KiB more peak
/// RSS in the flat-out default run, medians of 20 runs of `e2e --n 1000000`.)
const OUTPUT_BUFFER_BYTES: usize = 48 * 1024;

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

/// What "no limit" is for a timeout or a budget: a year. It is also the longest timeout
/// handed to ureq: larger ones (a builder given `Duration::MAX`) mean no limit all the
/// same, and would overflow the `Instant` ureq adds them to.
pub const NO_LIMIT: Duration = Duration::from_secs(365 * 86_400);

/// `d`, at most [`NO_LIMIT`].
fn bounded(d: Duration) -> Duration {
    d.min(NO_LIMIT)
}

impl Timeouts {
    /// Each phase at most [`NO_LIMIT`].
    fn bounded(self) -> Self {
        Self {
            connect: bounded(self.connect),
            send: bounded(self.send),
            response: bounded(self.response),
            body: bounded(self.body),
        }
    }

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
    /// A limit on resolving a host name; `None` leaves it to the system resolver, whose
    /// time is then outside the caller's budget. Setting one makes ureq resolve on a new
    /// thread for every request (but for an IP address, answered at once), and counts it
    /// in the budget: an attempt's lookup is cut to what is left of it, as its phases are.
    pub resolve_timeout: Option<Duration>,
    /// The TLS configuration (see [`TlsFiles`](crate::TlsFiles)); `None`: ureq's default,
    /// the bundled web roots.
    #[cfg(feature = "rustls")]
    pub tls: Option<ureq::tls::TlsConfig>,
}

/// A pooled ureq agent with per-phase timeouts. Any status comes back as a [`Reply`],
/// headers and all, for the caller's policy to judge; a redirect is not followed (a `POST`
/// body cannot follow it) and comes back as an answer like any other.
#[derive(Clone, Debug)]
pub struct HttpAgent {
    agent: Agent,
    timeouts: Timeouts,
    /// [`AgentSettings::resolve_timeout`], bounded.
    resolve: Option<Duration>,
}

impl HttpAgent {
    /// Builds the agent and its connection pool. No request is made.
    pub fn new(settings: &AgentSettings<'_>) -> Self {
        let t = settings.timeouts.bounded();
        let mut config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(settings.user_agent)
            .timeout_connect(Some(t.connect))
            .timeout_send_request(Some(t.send))
            .timeout_send_body(Some(t.send))
            .timeout_recv_response(Some(t.response))
            .timeout_recv_body(Some(t.body))
            .timeout_resolve(settings.resolve_timeout.map(bounded))
            .input_buffer_size(INPUT_BUFFER_BYTES)
            .max_response_header_size(MAX_RESPONSE_HEAD_BYTES)
            .output_buffer_size(OUTPUT_BUFFER_BYTES);
        config = config.proxy(settings.proxy.clone());
        #[cfg(feature = "rustls")]
        if let Some(tls) = &settings.tls {
            config = config.tls_config(tls.clone());
        }
        let agent = Agent::with_parts(
            config.build(),
            DefaultConnector::default().chain(OneWriteConnector),
            LiteralFirst::default(),
        );
        Self { agent, timeouts: t, resolve: settings.resolve_timeout.map(bounded) }
    }

    /// The longest one attempt can take without a cut: the phases together, and the host
    /// name's lookup when it has a limit (without one, the lookup is the system resolver's
    /// and outside any budget).
    fn longest_attempt(&self) -> Duration {
        self.timeouts.total().saturating_add(self.resolve.unwrap_or(Duration::ZERO))
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
        request: RequestBuilder<WithBody>,
        body: &[u8],
        remaining: Duration,
    ) -> Result<Reply, TransportError> {
        self.send_limited(request, body, remaining, MAX_REPLY_BODY)
    }

    /// [`send`](Self::send), reading up to `max_reply` bytes of the answer's body
    /// ([`Reply::truncated`] says when there was more).
    ///
    /// # Errors
    /// [`TransportError`] when no answer came (see [`TransportError::is_transient`]).
    pub fn send_limited(
        &self,
        mut request: RequestBuilder<WithBody>,
        body: &[u8],
        remaining: Duration,
        max_reply: u64,
    ) -> Result<Reply, TransportError> {
        // A request-level config costs a copy of the agent's, so only when the phases
        // together could outlast what is left of the budget. Then each phase is cut to it,
        // and the whole call too, so that the budget bounds the attempt however the time
        // is spread over its phases.
        let remaining = bounded(remaining);
        if remaining < self.longest_attempt() {
            let t = self.timeouts;
            let cut = |d: Duration| Some(d.min(remaining));
            request = request
                .config()
                .timeout_global(Some(remaining))
                .timeout_resolve(self.resolve.and_then(cut))
                .timeout_connect(cut(t.connect))
                .timeout_send_request(cut(t.send))
                .timeout_send_body(cut(t.send))
                .timeout_recv_response(cut(t.response))
                .timeout_recv_body(cut(t.body))
                .build();
        }
        let response = request.send(body).map_err(|error| TransportError { error })?;
        Ok(Reply::read_limited(response, max_reply))
    }
}

/// ureq's resolver, except that a host which is an IP address is answered at once, on the
/// caller's thread (ureq's own spawns a thread per lookup whenever a timeout applies).
#[derive(Debug, Default)]
struct LiteralFirst {
    dns: DefaultResolver,
}

impl Resolver for LiteralFirst {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let literal = uri
            .scheme()
            .zip(uri.authority())
            .and_then(|(scheme, authority)| DefaultResolver::host_and_port(scheme, authority))
            .and_then(|host_port| host_port.parse::<SocketAddr>().ok());
        match literal {
            Some(addr) => {
                let mut addrs = self.empty();
                addrs.push(addr);
                Ok(addrs)
            }
            None => self.dns.resolve(uri, config, timeout),
        }
    }
}

#[cfg(test)]
mod tests {
    use ureq::unversioned::transport::time::Duration as UreqDuration;
    use ureq::Timeout;

    use super::*;

    #[test]
    fn a_limited_lookup_counts_in_the_longest_attempt() {
        let second = Duration::from_secs(1);
        let settings = |resolve_timeout| AgentSettings {
            user_agent: "t/1",
            timeouts: Timeouts { connect: second, send: second, response: second, body: second },
            proxy: None,
            resolve_timeout,
            #[cfg(feature = "rustls")]
            tls: None,
        };
        // Phases of 1 s each, the send counted twice: 5 s; with a 3-s lookup, 8 s, so a
        // budget of 6 s left must cut the attempt.
        assert_eq!(HttpAgent::new(&settings(None)).longest_attempt(), 5 * second);
        assert_eq!(HttpAgent::new(&settings(Some(3 * second))).longest_attempt(), 8 * second);
    }

    /// A lookup whose time has already run out: ureq's resolver would hand it to a thread
    /// and give up at once; an IP address needs no lookup, so it is answered all the same.
    fn resolve_with_no_time_left(url: &str) -> Result<Vec<SocketAddr>, ureq::Error> {
        let timeout = NextTimeout {
            after: UreqDuration::from_millis(0),
            reason: Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        let uri: Uri = url.parse().expect("a valid URL");
        let addrs = LiteralFirst::default().resolve(&uri, &Config::default(), timeout)?;
        Ok(addrs.iter().copied().collect())
    }

    #[test]
    fn an_ip_address_is_answered_without_a_lookup() {
        let v4 = resolve_with_no_time_left("http://127.0.0.1:4318/v1/traces").expect("answered");
        assert_eq!(v4, ["127.0.0.1:4318".parse::<SocketAddr>().unwrap()]);
        let v6 = resolve_with_no_time_left("https://[::1]/v1/traces").expect("answered");
        assert_eq!(v6, ["[::1]:443".parse::<SocketAddr>().unwrap()]);
    }
}
