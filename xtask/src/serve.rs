//! `cargo xtask serve`: a loopback HTTP/1.1 server that answers every POST with 200 and
//! counts what it receives, for the end-to-end benchmarks (Rust and Python post to the same
//! server). `GET /stats` returns the counts as JSON; `POST /reset` zeroes them. Spans are
//! counted in the OpenAI exporter's JSON bodies and in OTLP/HTTP protobuf bodies (an
//! uncompressed `ExportTraceServiceRequest`, as both sides of `cargo xtask bench --only otel`
//! send it).
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

/// How many JSON strings `"trace.span"` and `"trace"` `body` holds: one search for
/// `"trace` (memchr's SIMD substring search: std's two-way search cost the server as much
/// CPU as the client spent serialising), then a look at what follows. Good enough for the
/// bodies this server's clients send: a user string that holds exactly `"trace.span"`
/// would be counted too, and the benchmarks' spans hold none.
fn count_spans_and_traces(body: &[u8]) -> (u64, u64) {
    let (mut spans, mut traces) = (0, 0);
    for i in memchr::memmem::find_iter(body, b"\"trace") {
        let rest = &body[i + "\"trace".len()..];
        if rest.first() == Some(&b'"') {
            traces += 1;
        } else if rest.starts_with(b".span\"") {
            spans += 1;
        }
    }
    (spans, traces)
}

/// A protobuf varint at the start of `b`: its value and its length.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The length-delimited fields numbered `field` of the protobuf message `msg`, in order;
/// `None` if `msg` is not well-formed protobuf.
fn len_fields(msg: &[u8], field: u64) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = msg;
    while !rest.is_empty() {
        let (key, n) = varint(rest)?;
        rest = &rest[n..];
        let skip = match key & 7 {
            0 => varint(rest)?.1,
            1 => 8,
            5 => 4,
            2 => {
                let (len, n) = varint(rest)?;
                let end = n.checked_add(usize::try_from(len).ok()?)?;
                if key >> 3 == field {
                    out.push(rest.get(n..end)?);
                }
                end
            }
            _ => return None,
        };
        rest = rest.get(skip..)?;
    }
    Some(out)
}

/// How many spans an OTLP `ExportTraceServiceRequest` in protobuf holds: `resource_spans`
/// (1) → `scope_spans` (2) → `spans` (2). 0 for a body that is not one.
fn count_otlp_protobuf_spans(body: &[u8]) -> u64 {
    let count = || -> Option<u64> {
        let mut spans = 0;
        for resource in len_fields(body, 1)? {
            for scope in len_fields(resource, 2)? {
                spans += len_fields(scope, 2)?.len() as u64;
            }
        }
        Some(spans)
    };
    count().unwrap_or(0)
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
        let mut protobuf = false;
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
                } else if name.eq_ignore_ascii_case("content-type") {
                    protobuf = value.trim().eq_ignore_ascii_case("application/x-protobuf");
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
                let (spans, traces) =
                    if protobuf { (count_otlp_protobuf_spans(&body), 0) } else { count_spans_and_traces(&body) };
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
    use super::{count_otlp_protobuf_spans, count_spans_and_traces};

    #[test]
    fn counts_spans_and_traces() {
        let body = br#"{"data":[{"object":"trace","id":"t"},{"object":"trace.span","span_data":{"type":"custom","name":"traceparent","data":{"k":"trace.spans"}}},{"object":"trace.span"}]}"#;
        assert_eq!(count_spans_and_traces(body), (2, 1));
        assert_eq!(count_spans_and_traces(b"\"trace"), (0, 0));
        assert_eq!(count_spans_and_traces(b""), (0, 0));
    }

    /// A length-delimited field: key (field number, wire type 2), length (a varint), bytes.
    fn field(number: u8, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![number << 3 | 2];
        let mut len = bytes.len();
        while len >= 0x80 {
            out.push((len & 0x7f) as u8 | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn counts_otlp_protobuf_spans() {
        // A span: trace id (1), span id (2), name (5), a fixed64 start time (7), kind (6).
        let span =
            [field(1, &[7; 16]), field(2, &[8; 8]), field(5, b"x"), vec![7 << 3 | 1, 1, 2, 3, 4, 5, 6, 7, 8]].concat();
        let span = [span, vec![6 << 3, 1]].concat();
        let scope = [field(1, &field(1, b"scope")), field(2, &span), field(2, &span)].concat();
        let resource = [field(1, b"resource"), field(2, &scope), field(2, &field(2, &span))].concat();
        let body = [field(1, &resource), field(1, &field(2, &field(2, &span)))].concat();
        assert!(body.len() > 200, "lengths of two bytes are read too");
        assert_eq!(count_otlp_protobuf_spans(&body), 4);
        assert_eq!(count_otlp_protobuf_spans(b""), 0);
        assert_eq!(count_otlp_protobuf_spans(&body[..body.len() - 1]), 0, "truncated");
        assert_eq!(count_otlp_protobuf_spans(b"{\"resourceSpans\":[]}"), 0, "JSON");
    }
}
