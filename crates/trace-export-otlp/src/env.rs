//! The standard `OTEL_*` environment variables this exporter reads, and how their
//! values are parsed.

/// Declares [`Env`] and its reading: each field with the variable it holds, once.
macro_rules! env_vars {
    ($($field:ident = $name:expr,)*) => {
        /// The `OTEL_*` variables this exporter reads, captured once (blank values count as
        /// unset). No `Debug`: the header variables hold credentials.
        #[derive(Default)]
        pub(crate) struct Env {
            $(pub(crate) $field: Option<String>,)*
        }

        impl Env {
            pub(crate) fn from_process() -> Self {
                let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
                Self { $($field: var($name),)* }
            }
        }
    };
}

env_vars! {
    traces_endpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT",
    headers = "OTEL_EXPORTER_OTLP_HEADERS",
    traces_headers = "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    service_name = "OTEL_SERVICE_NAME",
    resource_attributes = "OTEL_RESOURCE_ATTRIBUTES",
    timeout = "OTEL_EXPORTER_OTLP_TIMEOUT",
    traces_timeout = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    span_attribute_value_length_limit = "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    attribute_value_length_limit = "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    protocol = "OTEL_EXPORTER_OTLP_PROTOCOL",
    traces_protocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    compression = "OTEL_EXPORTER_OTLP_COMPRESSION",
    traces_compression = "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    capture_message_content = CAPTURE_CONTENT_VAR,
    certificate = "OTEL_EXPORTER_OTLP_CERTIFICATE",
    traces_certificate = "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
    client_certificate = "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
    traces_client_certificate = "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
    client_key = "OTEL_EXPORTER_OTLP_CLIENT_KEY",
    traces_client_key = "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
}

/// The variable that turns message content capture on (`true`) or off (`false`).
pub(crate) const CAPTURE_CONTENT_VAR: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

/// `true` or `false`, in any case; anything else is warned about (naming the variable)
/// and ignored.
pub(crate) fn parse_bool(text: &str, name: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        log::warn!("OTLP exporter: {name} is neither true nor false, ignored");
        None
    }
}

/// `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL: the traces path is appended to its path,
/// before a query or fragment, which stay as given.
pub(crate) fn traces_url(base: &str) -> String {
    let (path, rest) = base.find(['?', '#']).map_or((base, ""), |at| base.split_at(at));
    let slash = if path.ends_with('/') { "" } else { "/" };
    format!("{path}{slash}v1/traces{rest}")
}

pub(crate) fn parse_number(text: &str, name: &str) -> Option<u64> {
    match text.trim().parse::<u64>() {
        Ok(n) => Some(n),
        Err(_) => {
            log::warn!("OTLP exporter: {name}={text:?} is not a whole number, ignored");
            None
        }
    }
}

/// The first of `OTEL_EXPORTER_OTLP_TRACES_<what>` (`traces`) and
/// `OTEL_EXPORTER_OTLP_<what>` (`generic`) that `parse` accepts; each value it refuses is
/// warned about (with the names it accepts, `known`) and skipped.
pub(crate) fn first_known<T>(
    (traces, generic): (&Option<String>, &Option<String>),
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
    known: &str,
) -> Option<T> {
    [(traces, "TRACES_"), (generic, "")].into_iter().find_map(|(value, scope)| {
        let value = value.as_deref()?;
        let parsed = parse(value);
        if parsed.is_none() {
            log::warn!("OTLP exporter: OTEL_EXPORTER_OTLP_{scope}{what}={value:?} is not one of {known}, ignored");
        }
        parsed
    })
}

/// The default `service.name`: `unknown_service:<executable name>` (the base name of the
/// executable, `process.executable.name` in the semantic conventions, extension
/// included), or `unknown_service`.
pub(crate) fn default_service_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|s| s.to_string_lossy().into_owned()))
        .map_or_else(|| "unknown_service".to_owned(), |exe| format!("unknown_service:{exe}"))
}

/// Parses `key1=value1,key2=value2` (each pair with its entry's number, from 1, as the
/// warnings count them) as the OTLP exporter variables
/// (`OTEL_EXPORTER_OTLP_HEADERS`) write it: blanks around keys and values trimmed, then both
/// percent-decoded. An entry without `=` or with an empty key is skipped with a warning
/// that names the variable but never shows a value; a `%` not followed by two hex digits
/// is kept as is.
pub(crate) fn parse_key_values(text: &str, variable: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (i, entry) in entries(text) {
        match split_entry(entry) {
            Some((k, v)) => out.push((i, percent_decode(k), percent_decode(v))),
            None => log::warn!("OTLP exporter: entry #{i} of {variable} is not key=value, skipped"),
        }
    }
    out
}

/// Parses `OTEL_RESOURCE_ATTRIBUTES` as the OpenTelemetry specification asks: as
/// [`parse_key_values`], except that an entry which is not `key=value` or holds an invalid
/// `%` escape (or escapes that do not decode to UTF-8) makes the whole value ignored, with
/// a warning that names the entry but never shows a value ("in case of any error, the
/// entire environment variable value SHOULD be discarded").
pub(crate) fn parse_resource_attributes(text: &str) -> Vec<(String, String)> {
    const VARIABLE: &str = "OTEL_RESOURCE_ATTRIBUTES";
    let mut out = Vec::new();
    for (i, entry) in entries(text) {
        let Some((k, v)) = split_entry(entry) else {
            log::warn!("OTLP exporter: entry #{i} of {VARIABLE} is not key=value; the whole variable is ignored");
            return Vec::new();
        };
        match (decode(k, Escapes::Strict), decode(v, Escapes::Strict)) {
            (Some(k), Some(v)) => out.push((k, v)),
            _ => {
                log::warn!(
                    "OTLP exporter: entry #{i} of {VARIABLE} holds an invalid %-escape; the whole variable is ignored"
                );
                return Vec::new();
            }
        }
    }
    out
}

/// The non-blank entries of a comma-separated list, numbered from 1.
fn entries(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(',').enumerate().filter(|(_, e)| !e.trim().is_empty()).map(|(i, e)| (i + 1, e))
}

/// An entry's key and value, trimmed, or `None` without `=` or with an empty key.
fn split_entry(entry: &str) -> Option<(&str, &str)> {
    let (k, v) = entry.split_once('=')?;
    let k = k.trim();
    (!k.is_empty()).then(|| (k, v.trim()))
}

/// What [`decode`] does with a `%` not followed by two hex digits, or bytes that are not
/// UTF-8.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escapes {
    /// Keep such a `%` as is; bytes that are not UTF-8 become U+FFFD.
    Lenient,
    /// Refuse the text.
    Strict,
}

/// Decodes `%XX` escapes; see [`Escapes`] for what is not one.
fn decode(text: &str, escapes: Escapes) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
            if let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2)) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            if escapes == Escapes::Strict {
                return None;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    match escapes {
        Escapes::Lenient => Some(String::from_utf8_lossy(&out).into_owned()),
        Escapes::Strict => String::from_utf8(out).ok(),
    }
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is kept as is. Bytes that
/// do not form UTF-8 become U+FFFD.
pub(crate) fn percent_decode(text: &str) -> String {
    decode(text, Escapes::Lenient).unwrap_or_default()
}
