//! Endpoint checks made when an exporter is built, and endpoints shown without the
//! secrets a URL can carry.

use std::fmt;
use std::net::IpAddr;

/// An endpoint that passed [`check_endpoint`]: its scheme and host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedEndpoint {
    https: bool,
    host: String,
}

impl CheckedEndpoint {
    /// Whether the scheme is `https` (any case).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The host as the URL writes it (an IPv6 address in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the host names this machine without a lookup (see [`is_loopback_host`]).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// Whether what is sent there travels in clear text off this machine: plain `http://`
    /// on a host that is not a loopback address. The host is judged as written, never
    /// resolved: `http://my-collector.local/` is insecure even if it resolves to 127.0.0.1.
    pub fn is_insecure(&self) -> bool {
        !self.https && !self.is_loopback()
    }
}

/// Why [`check_endpoint`] refused an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointError {
    /// Not an absolute `http://` or `https://` URL with a host.
    Invalid,
    /// An `https://` URL, and the caller was built without TLS.
    TlsUnavailable,
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EndpointError::Invalid => "not an absolute http:// or https:// URL with a host",
            EndpointError::TlsUnavailable => "an https:// URL, but TLS is not available",
        })
    }
}

impl std::error::Error for EndpointError {}

/// Checks that `endpoint` is an absolute `http://` or `https://` URL (scheme in any case)
/// with a non-empty host, and that TLS is available if it is `https://`.
///
/// `tls_available` is the caller's own `cfg!(feature = "rustls")`: an exporter built
/// without TLS refuses `https://` even when another crate of the build turned TLS on in
/// this one.
///
/// # Errors
/// [`EndpointError::Invalid`], or [`EndpointError::TlsUnavailable`] for an `https://`
/// URL without TLS.
pub fn check_endpoint(endpoint: &str, tls_available: bool) -> Result<CheckedEndpoint, EndpointError> {
    let uri: ureq::http::Uri = endpoint.parse().map_err(|_| EndpointError::Invalid)?;
    let https = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => true,
        Some(s) if s.eq_ignore_ascii_case("http") => false,
        _ => return Err(EndpointError::Invalid),
    };
    let host = match uri.host() {
        Some(host) if !host.is_empty() => host.to_owned(),
        _ => return Err(EndpointError::Invalid),
    };
    // `https://user:pa/ss@host/`: read as host `user`, port `pa`; the key would go there.
    if misread(&uri) {
        return Err(EndpointError::Invalid);
    }
    if https && !tls_available {
        return Err(EndpointError::TlsUnavailable);
    }
    Ok(CheckedEndpoint { https, host })
}

/// Whether `host` (as a URL writes it: IPv6 in brackets) names this machine without a
/// lookup: `127.0.0.0/8`, `::1`, `::ffff:127.x.y.z`, or `localhost` (any case, an optional
/// final dot).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if host.trim_end_matches('.').eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => false,
    }
}

/// `endpoint` without any `user:password@` part, for messages: `https://<redacted>@host/x`.
pub fn redact_user_info(endpoint: &str) -> String {
    match authority(endpoint) {
        // The rest starts with the `@`.
        Some(Authority { start, user_info: Some(user_info), .. }) => {
            format!("{}<redacted>{}", &endpoint[..start], &endpoint[start + user_info.len()..])
        }
        _ => endpoint.to_owned(),
    }
}

/// The parts of a URL's authority (`scheme://[user_info@]host_port/...`), as written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Authority<'a> {
    /// Where the authority starts in the URL (just after `://`).
    pub(crate) start: usize,
    /// `user:password`, when there is an `@`.
    pub(crate) user_info: Option<&'a str>,
    /// `host`, `host:port` or `[v6]:port`.
    pub(crate) host_port: &'a str,
}

/// The authority of `url`; `None` when it has no `scheme://`.
///
/// A password typed with an unencoded `/`, `?` or `#` (`http://user:pa/ss@proxy:3128`)
/// ends the authority early, at a "port" that is no number (`pa`); URL parsers read
/// host `user` and refuse or misroute it. The user info is then taken to end at the last
/// `@`, so that the password is hidden in the messages that say the URL is invalid.
pub(crate) fn authority(url: &str) -> Option<Authority<'_>> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let until = |s: &str| s.find(['/', '?', '#']).unwrap_or(s.len());
    let all = &rest[..until(rest)];
    Some(match all.rsplit_once('@') {
        Some((user_info, host_port)) => Authority { start, user_info: Some(user_info), host_port },
        None => match rest.rfind('@').filter(|_| has_bad_port(all)) {
            Some(at) => {
                let after = &rest[at + 1..];
                Authority { start, user_info: Some(&rest[..at]), host_port: &after[..until(after)] }
            }
            None => Authority { start, user_info: None, host_port: all },
        },
    })
}

/// Whether a URL as parsed has a port that is no number: a password typed with an
/// unencoded `/`, `?` or `#` (see [`authority`]), or a typo. Such a URL is refused: it
/// would be sent to the wrong host (`user`), the credential with it.
pub(crate) fn misread(uri: &ureq::http::Uri) -> bool {
    uri.authority().is_some_and(|a| has_bad_port(a.as_str().rsplit_once('@').map_or(a.as_str(), |(_, hp)| hp)))
}

/// Whether `host_port` (`host`, `host:port`, `[v6]:port`) has a port that is not a
/// number.
fn has_bad_port(host_port: &str) -> bool {
    split_host_port(host_port).1.is_some_and(|port| !port.bytes().all(|b| b.is_ascii_digit()))
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address, split into its host
/// (brackets removed) and its port, as written.
pub(crate) fn split_host_port(host_port: &str) -> (&str, Option<&str>) {
    match host_port.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => (v6, None),
        },
        // One colon: a host and its port; more: a bare IPv6 address.
        None => match host_port.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            _ => (host_port, None),
        },
    }
}

/// `endpoint` without any `user:password@` part and with the query hidden, for messages
/// and `Debug`, where either may carry a credential: `http://host/v1/traces?<redacted>`.
pub fn redact_user_info_and_query(endpoint: &str) -> String {
    let shown = redact_user_info(endpoint);
    // The query starts at the first `?` after the authority (a `?` typed into a password
    // is gone with the user info).
    let after = authority(&shown).map_or(0, |a| a.start + a.user_info.map_or(0, |u| u.len() + 1) + a.host_port.len());
    match shown[after..].find('?') {
        Some(q) => format!("{}?<redacted>", &shown[..after + q]),
        None => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in
            ["127.0.0.1", "127.255.0.9", "[::1]", "::1", "localhost", "LocalHost", "localhost.", "[::ffff:127.0.0.1]"]
        {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "10.0.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "[::]",
            "example.com",
            "localhost.example.com",
            "127.0.0.1.nip.io",
            "[fe80::1]",
            "128.0.0.1",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn endpoints_are_checked() {
        for bad in [
            "",
            "api.openai.com/v1/traces/ingest",
            "ftp://host/x",
            "http://",
            "not a url",
            "/v1/traces",
            // A password with an unencoded `/` makes host `user`, port `pa/ss`'s first part.
            "https://user:pa/ss@api.example.com/v1/traces",
        ] {
            assert_eq!(check_endpoint(bad, true), Err(EndpointError::Invalid), "{bad}");
        }
        let e = check_endpoint("HTTPS://api.openai.com/v1/traces/ingest", true).unwrap();
        assert!(e.is_https() && !e.is_insecure());
        assert_eq!(e.host(), "api.openai.com");
        assert_eq!(check_endpoint("https://api.openai.com/x", false), Err(EndpointError::TlsUnavailable));
        assert_eq!(check_endpoint("ftp://host/x", false), Err(EndpointError::Invalid));
        for url in ["http://example.com/x", "http://10.1.2.3:4318/x", "HTTP://collector.local/", "http://[fe80::1]:80/"]
        {
            assert!(check_endpoint(url, false).unwrap().is_insecure(), "{url}");
        }
        for url in ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x", "http://127.8.9.10/x"] {
            let e = check_endpoint(url, false).unwrap();
            assert!(e.is_loopback() && !e.is_insecure(), "{url}");
        }
    }

    #[test]
    fn user_info_and_query_are_hidden() {
        // (url, user info hidden, user info and query hidden)
        for (url, without_user_info, without_either) in [
            ("https://u:p@host/v1/traces", "https://<redacted>@host/v1/traces", "https://<redacted>@host/v1/traces"),
            ("http://host:1/a@b", "http://host:1/a@b", "http://host:1/a@b"),
            ("http://host/x?token=abc", "http://host/x?token=abc", "http://host/x?<redacted>"),
            ("http://u@host?a=http://v@w", "http://<redacted>@host?a=http://v@w", "http://<redacted>@host?<redacted>"),
            ("nonsense", "nonsense", "nonsense"),
            // A password with an unencoded `/`: hidden whole, up to the last `@`.
            ("http://user:pa/ss@proxy:3128", "http://<redacted>@proxy:3128", "http://<redacted>@proxy:3128"),
            ("https://u:p#w@h/x?k=v", "https://<redacted>@h/x?k=v", "https://<redacted>@h/x?<redacted>"),
            ("http://[::1]:80/a@b", "http://[::1]:80/a@b", "http://[::1]:80/a@b"),
            ("http://u:p?w@h/x", "http://<redacted>@h/x", "http://<redacted>@h/x"),
        ] {
            assert_eq!(redact_user_info(url), without_user_info, "{url}");
            assert_eq!(redact_user_info_and_query(url), without_either, "{url}");
        }
    }
}
