//! The wire format settings: [`Protocol`] (protobuf or JSON) and [`Compression`] (none
//! or gzip), with their names in the `OTEL_EXPORTER_OTLP_*` variables.

/// How the request body is encoded: the OTLP/HTTP encodings. Set with
/// [`OtlpSpanExporterBuilder::protocol`](crate::OtlpSpanExporterBuilder::protocol) or
/// `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// `http/protobuf`: the binary protobuf encoding, `Content-Type:
    /// application/x-protobuf`. The default, as in the OTLP specification; the only one
    /// some backends take (Arize Phoenix, W&B Weave).
    #[default]
    HttpProtobuf,
    /// `http/json`: the OTLP/JSON encoding, `Content-Type: application/json`.
    HttpJson,
}

impl Protocol {
    /// The name the `OTEL_EXPORTER_OTLP_PROTOCOL` variable uses: `http/protobuf` or
    /// `http/json`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
        }
    }

    /// The `Content-Type` of the request body.
    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "application/x-protobuf",
            Protocol::HttpJson => "application/json",
        }
    }

    /// The protocol a variable's value names (any case, blanks around it ignored), or
    /// `None` for anything else (`grpc` included: this exporter speaks OTLP/HTTP only).
    pub fn from_name(name: &str) -> Option<Self> {
        named([Protocol::HttpProtobuf, Protocol::HttpJson], Self::name, name)
    }
}

/// Whether the request body is compressed. Set with
/// [`OtlpSpanExporterBuilder::compression`](crate::OtlpSpanExporterBuilder::compression)
/// or `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION` / `OTEL_EXPORTER_OTLP_COMPRESSION`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// `none`: the body as encoded. The default, as in the OTLP specification.
    #[default]
    None,
    /// `gzip`: the body gzipped (`Content-Encoding: gzip`), by `flate2` with its
    /// pure-Rust `miniz_oxide` back end at its fastest level (1): about a quarter of the
    /// time level 6 (flate2's default) takes, for a body about a fifth larger (measured by
    /// `cargo bench -p trace-export-otlp --bench encode`, see the crate docs).
    Gzip,
}

impl Compression {
    /// The name the `OTEL_EXPORTER_OTLP_COMPRESSION` variable uses: `none` or `gzip`.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
        }
    }

    /// The compression a variable's value names (any case, blanks around it ignored), or
    /// `None` for anything else.
    pub fn from_name(name: &str) -> Option<Self> {
        named([Compression::None, Compression::Gzip], Self::name, name)
    }
}

/// The one of `all` whose `name_of` is `text` (any case, blanks around it ignored).
fn named<T: Copy, const N: usize>(all: [T; N], name_of: fn(T) -> &'static str, text: &str) -> Option<T> {
    let text = text.trim();
    all.into_iter().find(|&v| name_of(v).eq_ignore_ascii_case(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        for p in [Protocol::HttpProtobuf, Protocol::HttpJson] {
            assert_eq!(Protocol::from_name(p.name()), Some(p));
        }
        assert_eq!(Protocol::from_name(" HTTP/JSON "), Some(Protocol::HttpJson));
        for bad in ["grpc", "http/protobuf2", "json", ""] {
            assert_eq!(Protocol::from_name(bad), None, "{bad}");
        }
        for c in [Compression::None, Compression::Gzip] {
            assert_eq!(Compression::from_name(c.name()), Some(c));
        }
        assert_eq!(Compression::from_name("GZIP"), Some(Compression::Gzip));
        assert_eq!(Compression::from_name("zstd"), None);
        assert_eq!((Protocol::default(), Compression::default()), (Protocol::HttpProtobuf, Compression::None));
    }
}
