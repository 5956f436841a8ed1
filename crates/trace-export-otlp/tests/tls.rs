//! TLS to a real rustls server on 127.0.0.1 with a private CA (`tests/certs`): the
//! certificates to trust and the client certificate (mutual TLS), from the builder and from
//! the `OTEL_EXPORTER_OTLP_*` variables; files that cannot be used are refused by `build()`.
#![cfg(feature = "rustls")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use trace_core::{CustomSpanData, ExportItem, Span, SpanId, Trace, TraceId, TracingExporter};
use trace_export_otlp::{BuildError, OtlpSpanExporter, OtlpSpanExporterBuilder, WithHttpOptions};
use trace_http::ureq::tls::{parse_pem, PemItem};

fn cert_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/certs").join(name)
}

fn pem(name: &str) -> Vec<PemItem<'static>> {
    let bytes = std::fs::read(cert_file(name)).expect("a test certificate file");
    parse_pem(&bytes).map(|item| item.expect("PEM")).collect()
}

fn certs(name: &str) -> Vec<CertificateDer<'static>> {
    pem(name)
        .into_iter()
        .filter_map(|item| match item {
            PemItem::Certificate(c) => Some(CertificateDer::from(c.der().to_vec())),
            _ => None,
        })
        .collect()
}

fn key(name: &str) -> PrivateKeyDer<'static> {
    pem(name)
        .into_iter()
        .find_map(|item| match item {
            PemItem::PrivateKey(k) => Some(PrivatePkcs8KeyDer::from(k.der().to_vec()).into()),
            _ => None,
        })
        .expect("a PKCS#8 key")
}

/// A TLS server on 127.0.0.1 that answers every request with 200 and reports the request
/// line of each, or why a connection's handshake or first read failed.
struct TlsServer {
    url: String,
    seen: mpsc::Receiver<Result<String, String>>,
}

impl TlsServer {
    fn start(require_client_cert: bool) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider)).with_safe_default_protocol_versions();
        let builder = builder.expect("TLS versions");
        let builder = if require_client_cert {
            let mut roots = RootCertStore::empty();
            for c in certs("ca.pem") {
                roots.add(c).expect("the CA");
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build();
            builder.with_client_cert_verifier(verifier.expect("a client verifier"))
        } else {
            builder.with_no_client_auth()
        };
        let config = Arc::new(builder.with_single_cert(certs("server.pem"), key("server.key")).expect("server cert"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("https://127.0.0.1:{}/v1/traces", listener.local_addr().unwrap().port());
        let (tx, seen) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (config, tx) = (Arc::clone(&config), tx.clone());
                std::thread::spawn(move || {
                    let conn = ServerConnection::new(config).expect("a server connection");
                    serve(StreamOwned::new(conn, stream), &tx);
                });
            }
        });
        Self { url, seen }
    }

    /// The next request's line, or why a connection failed.
    fn next(&self) -> Result<String, String> {
        self.seen.recv_timeout(Duration::from_secs(30)).expect("a connection to the test server")
    }
}

/// Answers requests on one connection until it closes, reporting each request line (or
/// why the connection failed before its first request) to `seen`.
fn serve(stream: StreamOwned<ServerConnection, std::net::TcpStream>, seen: &mpsc::Sender<Result<String, String>>) {
    let mut reader = BufReader::new(stream);
    let mut first = true;
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                if first {
                    let _ = seen.send(Err(e.to_string()));
                }
                return;
            }
        }
        first = false;
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).is_err() {
                return;
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let stream = reader.get_mut();
        let answered = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n")
            .and_then(|()| stream.flush());
        let _ = seen.send(Ok(request_line.trim().to_owned()));
        if answered.is_err() {
            return;
        }
    }
}

fn one_span() -> Vec<ExportItem> {
    let trace = Arc::new(Trace::new(TraceId::generate(), "tls"));
    let span = Span::new(SpanId::generate(), trace, None, CustomSpanData { name: "s".into(), ..Default::default() });
    vec![ExportItem::Span(Arc::new(span))]
}

fn builder(url: &str) -> OtlpSpanExporterBuilder {
    OtlpSpanExporter::builder().endpoint(url).read_env(false).proxy_from_env(false).max_attempts(1)
}

#[test]
fn a_private_ca_is_trusted_only_when_given() {
    let server = TlsServer::start(false);
    // The bundled web roots do not know the test CA: the handshake fails.
    let untrusted = builder(&server.url).build().unwrap();
    assert!(untrusted.export(&one_span()).is_err());
    assert!(server.next().is_err(), "the client gave up in the handshake");

    let trusting = builder(&server.url).certificate_file(cert_file("ca.pem")).build().unwrap();
    trusting.export(&one_span()).expect("exported over TLS to the private CA's server");
    assert_eq!(server.next().unwrap(), "POST /v1/traces HTTP/1.1");
}

#[test]
fn mutual_tls_sends_the_client_certificate() {
    let server = TlsServer::start(true);
    let without = builder(&server.url).certificate_file(cert_file("ca.pem")).build().unwrap();
    assert!(without.export(&one_span()).is_err(), "the server wants a client certificate");
    assert!(server.next().is_err());

    let with = builder(&server.url)
        .certificate_file(cert_file("ca.pem"))
        .client_certificate_file(cert_file("client.pem"))
        .client_key_file(cert_file("client.key"))
        .build()
        .unwrap();
    with.export(&one_span()).expect("exported with the client certificate");
    assert_eq!(server.next().unwrap(), "POST /v1/traces HTTP/1.1");
}

#[test]
fn files_that_cannot_be_used_are_refused_by_build() {
    let url = "https://127.0.0.1:9/v1/traces";
    let refused = |b: OtlpSpanExporterBuilder| match b.build() {
        Err(BuildError::InvalidTlsFile { what, path, reason }) => (what, path, reason),
        other => panic!("expected InvalidTlsFile, got {other:?}"),
    };
    let (what, path, _) = refused(builder(url).certificate_file("/nonexistent/ca.pem"));
    assert_eq!((what, path.as_str()), ("certificate", "/nonexistent/ca.pem"));
    // A key file given as the certificate: nothing of the key shows in the error.
    let (what, _, reason) = refused(builder(url).certificate_file(cert_file("client.key")));
    assert_eq!(what, "certificate");
    assert!(reason.starts_with("it holds no PEM certificate"), "{reason}");
    let err = builder(url).certificate_file(cert_file("client.key")).build().unwrap_err();
    let key_text = std::fs::read_to_string(cert_file("client.key")).unwrap();
    let key_body = key_text.lines().nth(1).unwrap();
    assert!(!format!("{err} {err:?}").contains(key_body));
    let (what, _, _) = refused(builder(url).client_certificate_file(cert_file("client.pem")));
    assert_eq!(what, "client certificate", "a certificate without its key");
    let (what, _, reason) =
        refused(builder(url).client_certificate_file(cert_file("client.pem")).client_key_file(cert_file("client.pem")));
    assert_eq!(what, "client key");
    assert!(reason.starts_with("it holds no PEM private key"), "{reason}");
    // A key that is not the certificate's (ureq would panic on every connection with it).
    let (what, path, reason) =
        refused(builder(url).client_certificate_file(cert_file("client.pem")).client_key_file(cert_file("server.key")));
    assert_eq!((what, path), ("client key", cert_file("server.key").display().to_string()));
    assert!(reason.starts_with("it does not go with the client certificate"), "{reason}");
    let server_key = std::fs::read_to_string(cert_file("server.key")).unwrap();
    assert!(!reason.contains(server_key.lines().nth(1).unwrap()));
    // A plain-http endpoint reads no file.
    assert!(builder("http://127.0.0.1:9/v1/traces").certificate_file("/nonexistent/ca.pem").build().is_ok());
}

/// `OTEL_EXPORTER_OTLP_CERTIFICATE` and the client variables, as a deployment sets them.
/// The only test of this binary that reads the environment.
#[test]
fn the_certificate_variables_configure_tls() {
    let server = TlsServer::start(true);
    std::env::set_var("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", cert_file("ca.pem"));
    std::env::set_var("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert_file("client.pem"));
    std::env::set_var("OTEL_EXPORTER_OTLP_CLIENT_KEY", cert_file("client.key"));
    let exporter = OtlpSpanExporter::builder().endpoint(&server.url).proxy_from_env(false).build().unwrap();
    for name in [
        "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    ] {
        std::env::remove_var(name);
    }
    exporter.export(&one_span()).expect("exported with the files the variables name");
    assert_eq!(server.next().unwrap(), "POST /v1/traces HTTP/1.1");
}
