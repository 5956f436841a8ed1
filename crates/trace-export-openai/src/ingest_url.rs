//! Which endpoints are OpenAI's traces ingest endpoint, for [`Sanitize::Auto`](crate::Sanitize::Auto).

/// The ingest path on every OpenAI host.
const INGEST_PATH: &str = "/v1/traces/ingest";

/// Whether `endpoint` is OpenAI's traces ingest endpoint on any OpenAI host: `https`, a
/// host that is `openai.com` or ends in `.openai.com` (`api.openai.com` and the regional
/// `us.api.openai.com`, `eu.api.openai.com`, ...; any case, a final `.` allowed), no port
/// or 443, the path `/v1/traces/ingest` (trailing `/` ignored) and no query. The Python
/// SDK compares with `https://api.openai.com/v1/traces/ingest` only, so a regional host
/// gets the unsanitized body and refuses it (`400 unknown_parameter` for
/// `usage.requests`).
///
/// ```
/// use trace_export_openai::is_openai_ingest_endpoint;
///
/// assert!(is_openai_ingest_endpoint("https://api.openai.com/v1/traces/ingest"));
/// assert!(is_openai_ingest_endpoint("https://us.api.openai.com/v1/traces/ingest/"));
/// assert!(!is_openai_ingest_endpoint("https://api.openai.com.example.net/v1/traces/ingest"));
/// assert!(!is_openai_ingest_endpoint("http://api.openai.com/v1/traces/ingest"));
/// ```
pub fn is_openai_ingest_endpoint(endpoint: &str) -> bool {
    let Some(rest) = strip_prefix_ci(endpoint, "https://") else { return false };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if path.contains(['?', '#']) || path.trim_end_matches('/') != INGEST_PATH {
        return false;
    }
    // User info (`user@host`) has no place in an OpenAI endpoint.
    if authority.contains('@') {
        return false;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if port.is_some_and(|p| p != "443") {
        return false;
    }
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let valid_labels =
        host.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    valid_labels && (host == "openai.com" || host.ends_with(".openai.com"))
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_openai_host_and_only_them() {
        for yes in [
            "https://api.openai.com/v1/traces/ingest",
            "https://api.openai.com/v1/traces/ingest/",
            "https://api.openai.com/v1/traces/ingest//",
            "https://us.api.openai.com/v1/traces/ingest",
            "https://eu.api.openai.com/v1/traces/ingest",
            "HTTPS://US.API.OPENAI.COM/v1/traces/ingest",
            "https://api.openai.com:443/v1/traces/ingest",
            "https://api.openai.com./v1/traces/ingest",
            "https://openai.com/v1/traces/ingest",
        ] {
            assert!(is_openai_ingest_endpoint(yes), "{yes}");
        }
        for no in [
            "http://api.openai.com/v1/traces/ingest",
            "https://api.openai.com.evil.example/v1/traces/ingest",
            "https://notopenai.com/v1/traces/ingest",
            "https://api.openai.com:8443/v1/traces/ingest",
            "https://user@api.openai.com/v1/traces/ingest",
            "https://api.openai.com/v1/traces/ingest?x=1",
            "https://api.openai.com/v1/traces",
            "https://api..openai.com/v1/traces/ingest",
            "https://127.0.0.1/v1/traces/ingest",
            "https://",
            "",
        ] {
            assert!(!is_openai_ingest_endpoint(no), "{no}");
        }
    }
}
