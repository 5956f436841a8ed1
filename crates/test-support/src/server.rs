//! A scripted HTTP/1.1 server on 127.0.0.1: keep-alive aware, records every request
//! (method, path, headers in wire order, body, arrival time, connection number) and answers
//! from a script, including the faulty answers a tracing exporter must survive: a server
//! that hangs, one that closes the connection, one that cuts its answer short, one that
//! answers one byte at a time.
//!
//! Standard library only; it listens on the loopback interface and nowhere else, and every
//! connection is served by its own thread, which ends when the server is dropped.
//!
//! ```
//! use std::time::Duration;
//! use test_support::server::{Reply, TestServer};
//!
//! let server = TestServer::start([Reply::status(503)], Reply::ok());
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert!(server.requests().is_empty());
//! # let _ = Duration::ZERO;
//! ```

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `POST`, ...
    pub method: String,
    /// The request target, such as `/v1/traces/ingest`.
    pub path: String,
    /// `HTTP/1.1`.
    pub version: String,
    /// Header names as sent, in wire order.
    pub headers: Vec<(String, String)>,
    /// The body, as received.
    pub body: Vec<u8>,
    /// When the whole request had arrived.
    pub at: Instant,
    /// Which accepted connection carried it (0, 1, ...).
    pub connection: usize,
    /// The status the script answered it with (`None` for a hang, a close or a partial
    /// answer). A slow answer may not have been read to the end by the client.
    pub reply_status: Option<u16>,
}

impl Recorded {
    /// The value of a header, any case of its name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How the server answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A response with this status, extra headers and body.
    Status {
        /// The status code.
        code: u16,
        /// Extra headers, after `Content-Length`.
        headers: Vec<(String, String)>,
        /// The body.
        body: String,
    },
    /// Read the request, never answer, keep the connection open (until the server stops).
    Hang,
    /// Read the request and close the connection without answering.
    Close,
    /// Read the request, write these bytes (the start of an answer, say), then close.
    Partial(String),
    /// Answer as the inner reply, one byte every `interval`.
    Slow(Box<Reply>, Duration),
}

impl Reply {
    /// `200 OK`, empty body.
    pub fn ok() -> Self {
        Self::status(200)
    }

    /// This status, empty body.
    pub fn status(code: u16) -> Self {
        Reply::Status { code, headers: Vec::new(), body: String::new() }
    }

    /// Adds a header (to a `Status` reply).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Status { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Sets the body (of a `Status` reply).
    pub fn body(mut self, text: impl Into<String>) -> Self {
        if let Reply::Status { body, .. } = &mut self {
            *body = text.into();
        }
        self
    }

    /// The status this reply carries, if it is a (possibly slow) `Status`.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            Reply::Status { code, .. } => Some(*code),
            Reply::Slow(inner, _) => inner.status_code(),
            _ => None,
        }
    }

    /// This reply, written one byte every `interval`.
    pub fn slowly(self, interval: Duration) -> Self {
        Reply::Slow(Box::new(self), interval)
    }
}

struct State {
    script: Mutex<(VecDeque<Reply>, Reply)>,
    requests: Mutex<Vec<Recorded>>,
    arrived: Condvar,
    /// Told (under `requests`' lock) when `stop` is set, for the connections that hang.
    stopping: Condvar,
    stop: AtomicBool,
    connections: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The server; stops when dropped (connection threads end within about 25 ms).
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl TestServer {
    /// Answers with `replies` in order, then with `then` for ever. Listens on a free port.
    pub fn start(replies: impl IntoIterator<Item = Reply>, then: Reply) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1");
        Self::serve_on(listener, replies, then)
    }

    /// As [`start`](Self::start), on a given port of 127.0.0.1: one that
    /// [`ClosedPort::release`] freed, to bring a "down" backend up. That port was bound and
    /// never listened on, so nothing lingers on it and the bind takes it at once.
    pub fn start_on(port: u16, replies: impl IntoIterator<Item = Reply>, then: Reply) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .unwrap_or_else(|e| panic!("bind 127.0.0.1:{port} (a port `ClosedPort::release` freed?): {e}"));
        Self::serve_on(listener, replies, then)
    }

    fn serve_on(listener: TcpListener, replies: impl IntoIterator<Item = Reply>, then: Reply) -> Self {
        let addr = listener.local_addr().expect("a local address");
        let state = Arc::new(State {
            script: Mutex::new((replies.into_iter().collect(), then)),
            requests: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            stopping: Condvar::new(),
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
        });
        let s = Arc::clone(&state);
        let accept = std::thread::Builder::new()
            .name("test-http-server".to_owned())
            .spawn(move || {
                for stream in listener.incoming() {
                    if s.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let id = s.connections.fetch_add(1, Ordering::SeqCst);
                    let s = Arc::clone(&s);
                    let _ = std::thread::Builder::new()
                        .name(format!("test-http-conn-{id}"))
                        .spawn(move || serve(stream, id, &s));
                }
            })
            .expect("spawn the accept thread");
        Self { addr, state, accept: Some(accept) }
    }

    /// Answers every request with `reply`.
    pub fn always(reply: Reply) -> Self {
        Self::start([], reply)
    }

    /// Replaces the script: `replies` in order, then `then` for ever.
    pub fn set_script(&self, replies: impl IntoIterator<Item = Reply>, then: Reply) {
        *lock(&self.state.script) = (replies.into_iter().collect(), then);
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The ingest URL on this server: `http://127.0.0.1:<port>/v1/traces/ingest`.
    pub fn url(&self) -> String {
        format!("http://{}/v1/traces/ingest", self.addr)
    }

    /// The requests so far.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state.requests).clone()
    }

    /// How many requests arrived so far.
    pub fn request_count(&self) -> usize {
        lock(&self.state.requests).len()
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// Waits until `n` requests arrived (or `timeout` passed) and returns them all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        let mut requests = lock(&self.state.requests);
        while requests.len() < n {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            requests = self.state.arrived.wait_timeout(requests, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        requests.clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Under the lock a hanging connection checks `stop` in, so that none misses this.
        drop(lock(&self.state.requests));
        self.state.stopping.notify_all();
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(mut stream: TcpStream, connection: usize, state: &State) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(25)));
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Some(mut request) = read_request(&mut stream, &mut buf, connection, state) else { return };
        let close = request.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let reply = {
            let mut script = lock(&state.script);
            let next = script.0.pop_front();
            next.unwrap_or_else(|| script.1.clone())
        };
        request.reply_status = reply.status_code();
        lock(&state.requests).push(request);
        state.arrived.notify_all();
        if !answer(&mut stream, reply, state) || close {
            return;
        }
    }
}

/// Writes `reply`; returns whether the connection stays open.
fn answer(stream: &mut TcpStream, reply: Reply, state: &State) -> bool {
    match reply {
        Reply::Status { code, headers, body } => stream.write_all(&response_bytes(code, &headers, &body)).is_ok(),
        Reply::Hang => {
            let mut requests = lock(&state.requests);
            while !state.stop.load(Ordering::SeqCst) {
                requests = state.stopping.wait(requests).unwrap_or_else(|e| e.into_inner());
            }
            false
        }
        Reply::Close => false,
        Reply::Partial(bytes) => {
            let _ = stream.write_all(bytes.as_bytes());
            let _ = stream.flush();
            false
        }
        Reply::Slow(inner, interval) => {
            let bytes = match *inner {
                Reply::Status { code, headers, body } => response_bytes(code, &headers, &body),
                Reply::Partial(bytes) => bytes.into_bytes(),
                other => return answer(stream, other, state),
            };
            for b in bytes {
                if state.stop.load(Ordering::SeqCst) || stream.write_all(&[b]).is_err() {
                    return false;
                }
                let _ = stream.flush();
                std::thread::sleep(interval);
            }
            true
        }
    }
}

fn response_bytes(code: u16, headers: &[(String, String)], body: &str) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {code} {}\r\nContent-Length: {}\r\n", reason(code), body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Reads one request; `None` when the connection ends or the server stops.
fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, connection: usize, state: &State) -> Option<Recorded> {
    let mut searched = 0;
    let head_end = loop {
        if let Some(pos) = buf[searched..].windows(4).position(|w| w == b"\r\n\r\n") {
            break searched + pos;
        }
        searched = buf.len().saturating_sub(3);
        fill(stream, buf, state)?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path, version) = (request_line.next()?, request_line.next()?, request_line.next()?);
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    assert!(
        !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding")),
        "the test server reads Content-Length bodies only"
    );
    let body_start = head_end + 4;
    while buf.len() < body_start + length {
        fill(stream, buf, state)?;
    }
    let body = buf[body_start..body_start + length].to_vec();
    buf.drain(..body_start + length);
    Some(Recorded {
        method: method.to_owned(),
        path: path.to_owned(),
        version: version.to_owned(),
        headers,
        body,
        at: Instant::now(),
        connection,
        reply_status: None,
    })
}

fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, state: &State) -> Option<()> {
    let mut chunk = [0u8; 64 * 1024];
    loop {
        if state.stop.load(Ordering::SeqCst) {
            return None;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Some(());
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
            Err(_) => return None,
        }
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// A 127.0.0.1 port with nothing listening: a socket bound to it that never listens, so
/// that a connection to it is refused and no other socket can take the port meanwhile (a
/// port bound and closed again could be handed to a test running at the same time).
#[derive(Debug)]
pub struct ClosedPort {
    socket: socket2::Socket,
    port: u16,
}

impl ClosedPort {
    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Frees the port, to bring a "down" backend up on it with [`TestServer::start_on`].
    pub fn release(self) -> u16 {
        drop(self.socket);
        self.port
    }
}

/// A 127.0.0.1 port with nothing listening, held until the returned guard is dropped.
pub fn closed_port() -> ClosedPort {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a TCP socket");
    socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into()).expect("bind 127.0.0.1");
    let port = socket.local_addr().ok().and_then(|a| a.as_socket()).expect("a local address").port();
    ClosedPort { socket, port }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_post(addr: SocketAddr, body: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let req =
            format!("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        s.write_all(req.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    }

    #[test]
    fn scripted_answers_in_order_then_the_default() {
        let server =
            TestServer::start([Reply::status(503).body("busy"), Reply::Partial("HTTP/1.1 2".into())], Reply::ok());
        assert!(raw_post(server.addr(), "a").starts_with("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n"));
        assert_eq!(raw_post(server.addr(), "b"), "HTTP/1.1 2");
        assert!(raw_post(server.addr(), "c").starts_with("HTTP/1.1 200 OK"));
        let requests = server.wait_for(3, Duration::from_secs(5));
        assert_eq!(requests.iter().map(|r| r.body_text()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(requests[0].header("content-length"), Some("1"));
        assert_eq!(server.connections(), 3);
    }

    #[test]
    fn slow_answers_send_one_byte_per_interval() {
        // An interval far longer than the test: the first byte comes, the second cannot.
        let server = TestServer::always(Reply::Partial("HTTP/1".into()).slowly(Duration::from_secs(3600)));
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.write_all(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").unwrap();
        let mut first = [0u8; 8];
        assert_eq!(s.read(&mut first).unwrap(), 1, "one byte, then a pause");
        assert_eq!(first[0], b'H');
        s.set_nonblocking(true).unwrap();
        let next = s.read(&mut first).map_err(|e| e.kind());
        assert_eq!(next, Err(ErrorKind::WouldBlock), "nothing more before the interval");
    }

    #[test]
    fn a_closed_port_refuses_until_brought_up() {
        let closed = closed_port();
        let port = closed.port();
        assert_eq!(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).map_err(|e| e.kind()).err(),
            Some(ErrorKind::ConnectionRefused)
        );
        let port = closed.release();
        let server = TestServer::start_on(port, [], Reply::ok());
        assert_eq!(server.addr().port(), port);
        assert!(raw_post(server.addr(), "up").starts_with("HTTP/1.1 200"));
    }
}
