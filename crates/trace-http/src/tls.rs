//! [`TlsFiles`]: the certificates to trust and the client certificate of an exporter, read
//! from PEM files when the exporter is built, as ureq's TLS configuration.

use std::path::PathBuf;

/// PEM files for TLS: the certificates to trust for the endpoint instead of the bundled
/// web roots (a private CA), and a client certificate with its key (mutual TLS), as the
/// OTLP exporter's `OTEL_EXPORTER_OTLP_CERTIFICATE`, `_CLIENT_CERTIFICATE` and
/// `_CLIENT_KEY` name them. All `None` (the default): the bundled roots, no client
/// certificate. Read when the exporter is built, for `https://` endpoints only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificates to trust (every certificate in the file), in place of the bundled
    /// web roots.
    pub certificate: Option<PathBuf>,
    /// The client certificate chain, the client's own certificate first.
    pub client_certificate: Option<PathBuf>,
    /// The client certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub client_key: Option<PathBuf>,
}

impl TlsFiles {
    /// Whether any file is set.
    pub fn is_set(&self) -> bool {
        self.certificate.is_some() || self.client_certificate.is_some() || self.client_key.is_some()
    }
}

/// Without the `rustls` feature there is no `https://` endpoint (the engine refuses one
/// with [`BuildError::TlsUnavailable`](crate::BuildError::TlsUnavailable) first), so no
/// TLS file is ever read.
#[cfg(feature = "rustls")]
pub(crate) use read::tls_config;

#[cfg(feature = "rustls")]
mod read {
    use std::path::Path;

    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use ureq::tls::{parse_pem, Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

    use super::TlsFiles;
    use crate::failure::BuildError;

    /// Why a file is refused, with what to give instead.
    const NOT_PEM: &str = "it is not valid PEM (certificates as `-----BEGIN CERTIFICATE-----` blocks)";
    const NO_CERTIFICATE: &str = "it holds no PEM certificate (a `-----BEGIN CERTIFICATE-----` block)";
    const NO_KEY: &str = "it holds no PEM private key (a `-----BEGIN PRIVATE KEY-----` block, or an RSA or EC one)";

    /// The refusal of one file: what it was for, where, and why (never its content).
    fn invalid(what: &'static str, path: &Path, reason: impl Into<String>) -> BuildError {
        BuildError::InvalidTlsFile { what, path: path.display().to_string(), reason: reason.into() }
    }

    /// The file's bytes, or its refusal.
    fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, BuildError> {
        std::fs::read(path).map_err(|e| invalid(what, path, format!("it cannot be read ({})", e.kind())))
    }

    /// Every certificate of a PEM file, at least one; other blocks (a key) are skipped.
    fn certificates(what: &'static str, path: &Path) -> Result<Vec<Certificate<'static>>, BuildError> {
        let pem = read(what, path)?;
        let certs: Vec<_> = parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(cert)) => Some(Ok(cert)),
                Ok(_) => None,
                Err(_) => Some(Err(())),
            })
            .collect::<Result<_, _>>()
            .map_err(|()| invalid(what, path, NOT_PEM))?;
        if certs.is_empty() {
            return Err(invalid(what, path, NO_CERTIFICATE));
        }
        Ok(certs)
    }

    /// Checks that the client key goes with the first certificate of `chain` and is of a
    /// kind rustls can sign with, with the crypto provider ureq will use (the process's
    /// default if one is installed, else ring): what ureq takes for granted when it first
    /// connects, and panics on, at every export, when it is not so.
    fn check_pair(chain: &[Certificate<'static>], key: &PrivateKey<'static>, path: &Path) -> Result<(), BuildError> {
        let certs = chain.iter().map(|c| CertificateDer::from(c.der().to_vec())).collect();
        let key = PrivateKeyDer::try_from(key.der()).map_err(|_| invalid("client key", path, NO_KEY))?.clone_key();
        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| std::sync::Arc::new(rustls::crypto::ring::default_provider()));
        let refused = |e: rustls::Error| {
            invalid(
                "client key",
                path,
                format!(
                    "it does not go with the client certificate, or TLS cannot sign with a key of its kind ({e}); \
                     give the key of that certificate (RSA of 2048 bits or more, or ECDSA P-256 or P-384, or \
                     Ed25519)"
                ),
            )
        };
        rustls::sign::CertifiedKey::from_der(certs, key, &provider).map(drop).map_err(refused)
    }

    /// ureq's TLS configuration from `files`; `None` when none is set.
    pub(crate) fn tls_config(files: &TlsFiles) -> Result<Option<TlsConfig>, BuildError> {
        if !files.is_set() {
            return Ok(None);
        }
        let mut config = TlsConfig::builder();
        if let Some(path) = &files.certificate {
            config = config.root_certs(RootCerts::new_with_certs(&certificates("certificate", path)?));
        }
        match (&files.client_certificate, &files.client_key) {
            (Some(cert_path), Some(key_path)) => {
                let chain = certificates("client certificate", cert_path)?;
                let what = "client key";
                let pem = read(what, key_path)?;
                let key = parse_pem(&pem)
                    .find_map(|item| match item {
                        Ok(PemItem::PrivateKey(key)) => Some(key),
                        _ => None,
                    })
                    .ok_or_else(|| invalid(what, key_path, NO_KEY))?;
                check_pair(&chain, &key, key_path)?;
                config = config.client_cert(Some(ClientCert::new_with_certs(&chain, key)));
            }
            (Some(path), None) => {
                return Err(invalid("client certificate", path, "it needs its key (the client key file) too"));
            }
            (None, Some(path)) => {
                return Err(invalid("client key", path, "it needs its certificate (the client certificate file) too"));
            }
            (None, None) => {}
        }
        Ok(Some(config.build()))
    }
}
