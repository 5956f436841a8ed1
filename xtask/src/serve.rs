//! `cargo xtask serve`: a loopback HTTP/1.1 server that answers every POST with 200 and
//! counts what it receives, for the end-to-end benchmarks (Rust and Python post to the same
//! server). `GET /stats` returns the counts as JSON; `POST /reset` zeroes them.
//!
//! It writes each answer (status, headers, body) in one write with TCP_NODELAY, so Nagle
//! and delayed ACKs add no latency.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    spans: AtomicU64,
    traces: AtomicU64,
    bytes: AtomicU64,
    first_unix_ns: AtomicU64,
    last_unix_ns: AtomicU64,
}

impl Counts {
    fn json(&self) -> String {
        format!(
            r#"{{"requests":{},"spans":{},"traces":{},"bytes":{},"first_unix_ns":{},"last_unix_ns":{}}}"#,
            self.requests.load(Ordering::Acquire),
            self.spans.load(Ordering::Acquire),
            self.traces.load(Ordering::Acquire),
            self.bytes.load(Ordering::Acquire),
            self.first_unix_ns.load(Ordering::Acquire),
            self.last_unix_ns.load(Ordering::Acquire),
        )
    }

    fn reset(&self) {
        for c in [&self.requests, &self.spans, &self.traces, &self.bytes, &self.first_unix_ns, &self.last_unix_ns] {
            c.store(0, Ordering::Release);
        }
    }
}

fn now_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// How many JSON strings `"trace.span"` and `"trace"` `body` holds: one search for `"trace`
/// (std's substring search, much faster than splitting on every quote), then a look at what
/// follows. Good enough for the bodies this server's clients send: a user string that holds
/// exactly `"trace.span"` would be counted too, and the benchmarks' spans hold none.
fn count_spans_and_traces(body: &[u8]) -> (u64, u64) {
    let Ok(text) = std::str::from_utf8(body) else { return (0, 0) };
    let (mut spans, mut traces) = (0, 0);
    for (i, _) in text.match_indices("\"trace") {
        let rest = &body[i + "\"trace".len()..];
        if rest.first() == Some(&b'"') {
            traces += 1;
        } else if rest.starts_with(b".span\"") {
            spans += 1;
        }
    }
    (spans, traces)
}

fn answer(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    let msg =
        format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    stream.write_all(msg.as_bytes())
}

fn serve_connection(stream: TcpStream, counts: &Counts) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut body = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        let mut length = 0usize;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
        match (method.as_str(), path.as_str()) {
            ("GET", "/stats") => answer(&mut writer, "200 OK", &counts.json())?,
            ("POST", "/reset") => {
                counts.reset();
                answer(&mut writer, "200 OK", "{}")?
            }
            ("POST", _) => {
                let t = now_ns();
                let _ = counts.first_unix_ns.compare_exchange(0, t, Ordering::AcqRel, Ordering::Acquire);
                counts.requests.fetch_add(1, Ordering::AcqRel);
                counts.bytes.fetch_add(length as u64, Ordering::AcqRel);
                let (spans, traces) = count_spans_and_traces(&body);
                counts.spans.fetch_add(spans, Ordering::AcqRel);
                counts.traces.fetch_add(traces, Ordering::AcqRel);
                answer(&mut writer, "200 OK", "{}")?;
                counts.last_unix_ns.store(now_ns(), Ordering::Release);
            }
            _ => answer(&mut writer, "404 Not Found", "{}")?,
        }
    }
}

/// Binds 127.0.0.1 (port from `--port`, default any), prints `listening <addr>`, serves.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let port = match args {
        [flag, p] if flag == "--port" => p.parse::<u16>().map_err(|e| format!("bad port {p:?}: {e}"))?,
        [] => 0,
        _ => return Err("usage: cargo xtask serve [--port PORT]".to_owned()),
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("binding 127.0.0.1:{port}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening {addr}");
    let _ = std::io::stdout().flush();
    let counts = Arc::new(Counts::default());
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let counts = Arc::clone(&counts);
        std::thread::spawn(move || {
            let _ = serve_connection(stream, &counts);
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::count_spans_and_traces;

    #[test]
    fn counts_spans_and_traces() {
        let body = br#"{"data":[{"object":"trace","id":"t"},{"object":"trace.span","span_data":{"type":"custom","name":"traceparent","data":{"k":"trace.spans"}}},{"object":"trace.span"}]}"#;
        assert_eq!(count_spans_and_traces(body), (2, 1));
        assert_eq!(count_spans_and_traces(b"\"trace"), (0, 0));
        assert_eq!(count_spans_and_traces(b""), (0, 0));
    }
}
