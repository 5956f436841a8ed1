//! The engine through a SOCKS5 proxy named by `ALL_PROXY` (as `ssh -D` and desktop VPN
//! clients set it): a proxy on 127.0.0.1 that this test starts relays each connection to
//! the workspace's scripted HTTP server, and records the address the client asked for.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use test_support::server::{Reply, TestServer};
use trace_http::{Engine, EngineConfig, ExportPolicy, HttpOptions, Jitter, RetryAfterCap, Timeouts, Verdict};

/// 2xx delivers, anything else is final.
struct Policy;

impl ExportPolicy for Policy {
    fn label(&self) -> &'static str {
        "socks-test"
    }
    fn verdict(&self, reply: &trace_http::Reply) -> Verdict {
        if reply.is_success() {
            Verdict::Success
        } else {
            Verdict::Reject
        }
    }
    fn jitter(&self) -> Jitter {
        Jitter::Added { fraction: 0.0 }
    }
    fn retry_after_cap(&self) -> RetryAfterCap {
        RetryAfterCap::MaxDelay
    }
}

/// A SOCKS5 proxy (no authentication, `CONNECT` only) that relays every connection to
/// `target`, whatever address is asked for; `asked` holds those addresses.
struct Socks5 {
    addr: SocketAddr,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Socks5 {
    fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&asked);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let seen = Arc::clone(&seen);
                thread::spawn(move || {
                    let _ = relay(client, target, &seen);
                });
            }
        });
        Self { addr, asked }
    }
}

fn read_n(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; n];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// RFC 1928: the greeting, one `CONNECT`, then bytes both ways.
fn relay(mut client: TcpStream, target: SocketAddr, asked: &Mutex<Vec<String>>) -> io::Result<()> {
    let greeting = read_n(&mut client, 2)?;
    assert_eq!(greeting[0], 5, "SOCKS version 5");
    read_n(&mut client, usize::from(greeting[1]))?;
    client.write_all(&[5, 0])?;
    let request = read_n(&mut client, 4)?;
    assert_eq!(&request[..3], &[5, 1, 0], "a CONNECT");
    let host = match request[3] {
        1 => Ipv4Addr::from(<[u8; 4]>::try_from(read_n(&mut client, 4)?).unwrap()).to_string(),
        3 => {
            let len = read_n(&mut client, 1)?[0];
            String::from_utf8_lossy(&read_n(&mut client, usize::from(len))?).into_owned()
        }
        4 => Ipv6Addr::from(<[u8; 16]>::try_from(read_n(&mut client, 16)?).unwrap()).to_string(),
        other => return Err(io::Error::other(format!("address type {other}"))),
    };
    let port = read_n(&mut client, 2)?;
    asked.lock().unwrap().push(format!("{host}:{}", u16::from_be_bytes([port[0], port[1]])));
    let upstream = TcpStream::connect(target)?;
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])?;
    let (mut from_client, mut to_upstream) = (client.try_clone()?, upstream.try_clone()?);
    let up = thread::spawn(move || {
        let _ = io::copy(&mut from_client, &mut to_upstream);
        let _ = to_upstream.shutdown(Shutdown::Write);
    });
    let (mut from_upstream, mut to_client) = (upstream, client);
    let _ = io::copy(&mut from_upstream, &mut to_client);
    let _ = to_client.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// Posts `body` to `endpoint` through the proxy `all_proxy` names.
fn post_through(all_proxy: &str, endpoint: &str, body: &[u8]) -> Result<trace_http::Reply, trace_http::SendFailure> {
    let second = Duration::from_secs(5);
    let options = HttpOptions {
        timeouts: Timeouts { connect: second, send: second, response: second, body: second },
        resolve_timeout: None,
        max_attempts: 1,
        base_delay: second,
        max_delay: second,
        export_budget: Duration::from_secs(10),
        export_budget_set: false,
        proxy_from_env: true,
        allow_insecure_http: false,
        tls: Default::default(),
    };
    let config = EngineConfig::new("socks-test", "socks_test", "socks-test/1", false, endpoint);
    let all_proxy = all_proxy.to_owned();
    let engine = Engine::build_with_env(config, &options, |name| (name == "ALL_PROXY").then(|| all_proxy.clone()))
        .expect("a SOCKS proxy is accepted");
    assert_eq!(engine.proxy().map(|p| p.variable), Some("ALL_PROXY"));
    engine.send(&Policy, &[("Content-Type", "application/json")], None, body, 1, engine.deadline())
}

#[test]
fn socks5h_passes_the_host_name_to_the_proxy() {
    let server = TestServer::always(Reply::ok());
    let proxy = Socks5::start(server.addr());
    let reply =
        post_through(&format!("socks5h://{}", proxy.addr), "http://collector.example:4318/v1/traces", b"{\"a\":1}")
            .expect("delivered through the proxy");
    assert!(reply.is_success());
    assert_eq!(*proxy.asked.lock().unwrap(), ["collector.example:4318"]);
    let requests = server.requests();
    assert_eq!((requests.len(), requests[0].path.as_str()), (1, "/v1/traces"));
    assert_eq!(requests[0].body_text(), "{\"a\":1}");
}

#[test]
fn socks5_reaches_an_address_through_the_proxy() {
    let server = TestServer::always(Reply::ok());
    let proxy = Socks5::start(server.addr());
    let reply = post_through(&format!("socks5://{}", proxy.addr), "http://10.255.255.1:4318/v1/traces", b"{}")
        .expect("delivered through the proxy");
    assert!(reply.is_success());
    assert_eq!(*proxy.asked.lock().unwrap(), ["10.255.255.1:4318"]);
    assert_eq!(server.request_count(), 1);
}
