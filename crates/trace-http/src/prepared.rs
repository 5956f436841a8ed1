//! [`PreparedRequest`]: a request as an exporter's dry run shows it, nothing sent.

/// A request as an exporter's dry run (`prepare_request`) shows it: `POST` to `url` with
/// these headers and this body, credentials hidden. Made by [`Engine::prepare`](crate::Engine::prepare).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedRequest {
    /// The endpoint, user info and query hidden.
    pub url: String,
    /// The headers the exporter sets, in order; credentials (an API key, configured
    /// header values) are shown as `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// The body, exactly as it would be sent.
    pub body: Vec<u8>,
}
