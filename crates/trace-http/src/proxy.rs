//! Which proxy, if any, a request goes through: decided once, when an exporter is built,
//! from the environment and the endpoint's scheme (see [`proxy_for`]).

use crate::endpoint::{authority, is_loopback_host, split_host_port};

/// The proxy a request goes through, and the variable that named it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyRoute {
    /// The proxy URL as written in the variable (`http://` added when it has no scheme).
    pub url: String,
    /// The variable it came from, such as `HTTPS_PROXY`.
    pub variable: &'static str,
}

impl std::fmt::Debug for ProxyRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyRoute")
            .field("url", &crate::redact_user_info(&self.url))
            .field("variable", &self.variable)
            .finish()
    }
}

impl ProxyRoute {
    /// The proxy's host, as written (brackets of an IPv6 address removed).
    pub fn host(&self) -> &str {
        // `proxy_for` adds `http://` to a value without a scheme, so there is an authority.
        authority(&self.url).map_or("", |a| split_host_port(a.host_port).0)
    }

    /// Whether the proxy runs on this machine (its host is a loopback address or
    /// `localhost`), so that what it reads never leaves it.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(self.host())
    }
}

/// The proxy for a request to `host` over `https` or plain http, from the variables that
/// `env` returns (`std::env::var` in production); `None` for a direct connection.
///
/// The engine decides once, when an exporter is built, from the environment and the
/// endpoint's scheme:
///
/// | endpoint | variables read, first set wins |
/// |---|---|
/// | `http://`  | `http_proxy`, `HTTP_PROXY`, then `all_proxy`, `ALL_PROXY` |
/// | `https://` | `https_proxy`, `HTTPS_PROXY`, then `all_proxy`, `ALL_PROXY` |
///
/// `no_proxy` (or `NO_PROXY`) lists hosts reached directly: comma-separated, `*` for all,
/// an entry matches the host itself and its subdomains (`example.com` and `.example.com`
/// both match `api.example.com`), a `:port` on an entry is ignored. A lower-case variable
/// that is set decides, even blank (`http_proxy= cmd` hides `HTTP_PROXY`); a blank
/// upper-case one counts as unset; under CGI (`REQUEST_METHOD` set) upper-case
/// `HTTP_PROXY` is ignored ("httpoxy"). A loopback host (`localhost`, `127.0.0.0/8`, `::1`) is always reached
/// directly, as Go's `net/http` does: a proxy on another machine would reach its own
/// loopback, not this one's (a local collector at the OTLP default `localhost:4318` must
/// not go through a corporate `HTTP_PROXY`). Otherwise this is what Python's `urllib.request.getproxies()` (and so the Python SDK's
/// HTTP client) does, lower case first; ureq's own lookup differs (it applies `HTTPS_PROXY`
/// to `http://` URLs too), so the exporters never let ureq read the environment.
///
/// What the route means for safety: an `https://` endpoint goes through any proxy in a
/// `CONNECT` tunnel, its bytes encrypted end to end. A plain `http://` endpoint does not:
/// whoever runs the proxy reads the request, headers included. The engine therefore
/// refuses credentials over plain http to any endpoint off this machine, whatever the
/// route: a proxy on this machine forwards them in clear all the same (see
/// [`crate::Engine`]).
///
/// ```
/// use trace_http::proxy_for;
///
/// let env = |name: &str| match name {
///     "HTTPS_PROXY" => Some("http://proxy.internal:3128".to_owned()),
///     "no_proxy" => Some("localhost,.svc.cluster.local".to_owned()),
///     _ => None,
/// };
/// assert_eq!(proxy_for(true, "api.openai.com", env).unwrap().variable, "HTTPS_PROXY");
/// assert!(proxy_for(false, "api.openai.com", env).is_none(), "HTTPS_PROXY is not for http://");
/// assert!(proxy_for(true, "otel.svc.cluster.local", env).is_none(), "no_proxy");
/// assert!(proxy_for(true, "127.0.0.1", env).is_none(), "loopback is always direct");
/// ```
pub fn proxy_for(https: bool, host: &str, env: impl Fn(&str) -> Option<String>) -> Option<ProxyRoute> {
    if is_loopback_host(host) {
        return None;
    }
    // As Python's `getproxies()`: the lower-case variable, when set, decides, blank
    // included (`http_proxy= cmd` hides `HTTP_PROXY`); else the upper-case one, unless
    // blank. Under CGI (`REQUEST_METHOD` set) upper-case `HTTP_PROXY` is ignored: a web
    // server sets it from a request's `Proxy:` header (CVE-2016-1000110, "httpoxy").
    let cgi = env("REQUEST_METHOD").is_some();
    let pick = |lower: &'static str, upper: &'static str| -> Option<(&'static str, String)> {
        let value = |name| env(name).map(|v| v.trim().to_owned());
        match value(lower) {
            Some(v) => (!v.is_empty()).then_some((lower, v)),
            None if cgi && upper == "HTTP_PROXY" => None,
            None => value(upper).filter(|v| !v.is_empty()).map(|v| (upper, v)),
        }
    };
    let scheme = if https { ("https_proxy", "HTTPS_PROXY") } else { ("http_proxy", "HTTP_PROXY") };
    let (variable, url) = pick(scheme.0, scheme.1).or_else(|| pick("all_proxy", "ALL_PROXY"))?;
    let no_proxy = pick("no_proxy", "NO_PROXY").map(|(_, list)| list).unwrap_or_default();
    if bypasses(&no_proxy, host) {
        return None;
    }
    let url = if url.contains("://") { url } else { format!("http://{url}") };
    Some(ProxyRoute { url, variable })
}

/// Whether a `no_proxy` list names `host`.
fn bypasses(no_proxy: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').trim_end_matches('.').to_ascii_lowercase();
    no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        // `[::1]:8080`, `host:8080`: the port does not matter here.
        let entry = split_host_port(entry).0;
        let entry = entry.trim_start_matches('*').trim_start_matches('.').trim_end_matches('.').to_ascii_lowercase();
        !entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Vars = &'static [(&'static str, &'static str)];

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn each_variable_applies_to_its_scheme_only() {
        let cases: &[(Vars, bool, Option<&str>)] = &[
            (&[("HTTP_PROXY", "http://p:1")], false, Some("HTTP_PROXY")),
            (&[("HTTP_PROXY", "http://p:1")], true, None),
            (&[("http_proxy", "http://p:1")], false, Some("http_proxy")),
            (&[("HTTPS_PROXY", "http://p:1")], true, Some("HTTPS_PROXY")),
            (&[("HTTPS_PROXY", "http://p:1")], false, None),
            (&[("https_proxy", "http://p:1")], true, Some("https_proxy")),
            (&[("ALL_PROXY", "socks5://p:1")], false, Some("ALL_PROXY")),
            (&[("ALL_PROXY", "socks5://p:1")], true, Some("ALL_PROXY")),
            (&[("all_proxy", "http://p:1")], true, Some("all_proxy")),
            // The scheme's own variable wins over ALL_PROXY; lower case over upper case.
            (&[("ALL_PROXY", "http://a:1"), ("HTTP_PROXY", "http://h:1")], false, Some("HTTP_PROXY")),
            (&[("HTTP_PROXY", "http://u:1"), ("http_proxy", "http://l:1")], false, Some("http_proxy")),
            // A blank lower-case variable hides the upper-case one, as in Python (ALL_PROXY
            // still applies); a blank upper-case one counts as unset.
            (&[("http_proxy", " "), ("HTTP_PROXY", "http://u:1")], false, None),
            (&[("http_proxy", ""), ("ALL_PROXY", "http://a:1")], false, Some("ALL_PROXY")),
            (&[("HTTP_PROXY", ""), ("ALL_PROXY", "http://a:1")], false, Some("ALL_PROXY")),
            // Under CGI, upper-case HTTP_PROXY may come from a request header: ignored.
            (&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://u:1")], false, None),
            (&[("REQUEST_METHOD", "GET"), ("http_proxy", "http://l:1")], false, Some("http_proxy")),
            (&[("REQUEST_METHOD", "GET"), ("HTTPS_PROXY", "http://u:1")], true, Some("HTTPS_PROXY")),
            (&[], false, None),
        ];
        for (env, https, want) in cases {
            let got = proxy_for(*https, "collector.example", env_of(env)).map(|r| r.variable);
            assert_eq!(got, *want, "{env:?} https={https}");
        }
    }

    #[test]
    fn no_proxy_entries() {
        let matches = |list: &str, host: &str| bypasses(list, host);
        assert!(matches("*", "anything"));
        assert!(matches("example.com", "example.com"));
        assert!(matches("example.com", "api.EXAMPLE.com"));
        assert!(matches(".example.com", "api.example.com"));
        assert!(matches("*.example.com", "api.example.com"));
        assert!(matches("a, b.example.com:443", "b.example.com"));
        assert!(matches("127.0.0.1", "127.0.0.1"));
        assert!(matches("[::1]:8080", "[::1]"));
        assert!(!matches("example.com", "badexample.com"));
        assert!(!matches("", "example.com"));
        // A blank lower-case `no_proxy` hides the upper-case list, as in Python.
        let masked = env_of(&[("HTTP_PROXY", "http://p:1"), ("no_proxy", ""), ("NO_PROXY", "collector")]);
        assert!(proxy_for(false, "collector", &masked).is_some());
        let env = env_of(&[("HTTP_PROXY", "10.255.255.1:3128"), ("NO_PROXY", "localhost")]);
        assert!(proxy_for(false, "localhost", &env).is_none());
        let route = proxy_for(false, "collector", &env).unwrap();
        assert_eq!(route.url, "http://10.255.255.1:3128", "a scheme-less proxy is http");
        assert_eq!(route.host(), "10.255.255.1");
        assert!(!route.is_loopback());
    }

    #[test]
    fn hosts_of_proxy_urls() {
        let host = |url: &str| ProxyRoute { url: url.to_owned(), variable: "HTTP_PROXY" }.host().to_owned();
        assert_eq!(host("http://user:pw@127.0.0.1:3128/"), "127.0.0.1");
        assert_eq!(host("socks5h://[::1]:1080"), "::1");
        assert_eq!(host("http://localhost"), "localhost");
        let route = ProxyRoute { url: "http://user:pw@p:1".to_owned(), variable: "HTTP_PROXY" };
        assert!(!format!("{route:?}").contains("pw"));
    }
}
