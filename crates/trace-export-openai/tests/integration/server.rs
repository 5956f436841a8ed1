//! A scripted HTTP/1.1 server on 127.0.0.1 for the tests: keep-alive aware, records every
//! request (method, path, headers in wire order, body, arrival time, connection number)
//! and answers from a script.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) version: String,
    /// Header names as sent, in wire order.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) at: Instant,
    /// Which accepted connection carried it (0, 1, ...).
    pub(crate) connection: usize,
}

impl Recorded {
    /// The value of a header, any case of its name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// How the server answers one request.
#[derive(Clone, Debug)]
pub(crate) enum Reply {
    /// A response with this status, extra headers and body.
    Status { code: u16, headers: Vec<(String, String)>, body: String },
    /// Read the request, never answer, keep the connection open.
    Hang,
    /// Read the request and close the connection without answering.
    Close,
}

impl Reply {
    pub(crate) fn ok() -> Self {
        Self::status(200)
    }

    pub(crate) fn status(code: u16) -> Self {
        Reply::Status { code, headers: Vec::new(), body: String::new() }
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Status { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    pub(crate) fn body(mut self, text: impl Into<String>) -> Self {
        if let Reply::Status { body, .. } = &mut self {
            *body = text.into();
        }
        self
    }
}

struct State {
    script: Mutex<(VecDeque<Reply>, Reply)>,
    requests: Mutex<Vec<Recorded>>,
    arrived: Condvar,
    stop: AtomicBool,
    connections: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The server; stops when dropped.
pub(crate) struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Answers with `replies` in order, then with `then` for ever.
    pub(crate) fn start(replies: impl IntoIterator<Item = Reply>, then: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            script: Mutex::new((replies.into_iter().collect(), then)),
            requests: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
        });
        let s = Arc::clone(&state);
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let id = s.connections.fetch_add(1, Ordering::SeqCst);
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve(stream, id, &s));
            }
        });
        Self { addr, state, accept: Some(accept) }
    }

    /// Answers every request with `reply`.
    pub(crate) fn always(reply: Reply) -> Self {
        Self::start([], reply)
    }

    /// The ingest URL on this server.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/v1/traces/ingest", self.addr)
    }

    /// The requests so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        lock(&self.state.requests).clone()
    }

    /// Waits until `n` requests arrived (or `timeout` passed) and returns them all.
    pub(crate) fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
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
        let Some(request) = read_request(&mut stream, &mut buf, connection, state) else { return };
        lock(&state.requests).push(request);
        state.arrived.notify_all();
        let reply = {
            let mut script = lock(&state.script);
            let next = script.0.pop_front();
            next.unwrap_or_else(|| script.1.clone())
        };
        match reply {
            Reply::Status { code, headers, body } => {
                let mut head = format!("HTTP/1.1 {code} {}\r\nContent-Length: {}\r\n", reason(code), body.len());
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                if stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.as_bytes())).is_err() {
                    return;
                }
            }
            Reply::Hang => {
                while !state.stop.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(25));
                }
                return;
            }
            Reply::Close => return,
        }
    }
}

/// Reads one request; `None` when the connection ends or the server stops.
fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, connection: usize, state: &State) -> Option<Recorded> {
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
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
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// A 127.0.0.1 port with nothing listening (bound, then closed).
pub(crate) fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
