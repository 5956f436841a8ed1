//! The OTLP/JSON request body, written straight from our spans with serde: no
//! intermediate tree.
//!
//! As the OTLP/JSON encoding requires: lowerCamelCase field names, trace and span ids as
//! lowercase hex (not base64), enum values as integers, 64-bit integers as decimal
//! strings, fields with default values left out.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use trace_core::ExportItem;

use crate::ids::{span_id_hex, trace_id_hex};
use crate::mapping::{Attr, AttrValue, MappingOptions};
use crate::records::{records, Record};

/// The instrumentation scope every span is reported under.
pub(crate) const SCOPE_NAME: &str = "agents-tracing";

/// `STATUS_CODE_ERROR`.
pub(crate) const STATUS_ERROR: i32 = 2;

/// An `ExportTraceServiceRequest`: one resource, one scope, the spans of `items` in order
/// (trace items carry nothing of their own; see the crate docs).
pub(crate) struct TracesRequest<'a> {
    pub(crate) resource: &'a [(String, String)],
    pub(crate) items: &'a [ExportItem],
    pub(crate) limit: Option<usize>,
    /// semconv hook: the profile and content capture, for `map_span`.
    pub(crate) mapping: MappingOptions,
}

impl Serialize for TracesRequest<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(1))?;
        m.serialize_entry("resourceSpans", &[ResourceSpans(self)])?;
        m.end()
    }
}

struct ResourceSpans<'r, 'a>(&'r TracesRequest<'a>);

impl Serialize for ResourceSpans<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("resource", &Resource(self.0.resource))?;
        m.serialize_entry("scopeSpans", &[ScopeSpans(self.0)])?;
        m.end()
    }
}

struct Resource<'a>(&'a [(String, String)]);

impl Serialize for Resource<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(1))?;
        let attrs: Vec<Attr<'_>> = self
            .0
            .iter()
            .map(|(k, v)| Attr { key: k.as_str().into(), value: AttrValue::Str(v.as_str().into()) })
            .collect();
        m.serialize_entry("attributes", &KeyValues(&attrs, None))?;
        m.end()
    }
}

struct ScopeSpans<'r, 'a>(&'r TracesRequest<'a>);

impl Serialize for ScopeSpans<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("scope", &Scope)?;
        m.serialize_entry("spans", &Spans(self.0))?;
        // semconv hook: the schema URL of the conventions the profile follows.
        if let Some(url) = self.0.mapping.profile.schema_url() {
            m.serialize_entry("schemaUrl", url)?;
        }
        m.end()
    }
}

struct Scope;

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("name", SCOPE_NAME)?;
        m.serialize_entry("version", env!("CARGO_PKG_VERSION"))?;
        m.end()
    }
}

struct Spans<'r, 'a>(&'r TracesRequest<'a>);

impl Serialize for Spans<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let limit = self.0.limit;
        serializer.collect_seq(records(self.0.items, self.0.mapping).map(|record| OtlpSpan { record, limit }))
    }
}

/// One span (or a trace's root span), mapped.
struct OtlpSpan<'a> {
    record: Record<'a>,
    limit: Option<usize>,
}

impl Serialize for OtlpSpan<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = &self.record;
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("traceId", &trace_id_hex(r.trace_id))?;
        m.serialize_entry("spanId", &span_id_hex(r.span_id))?;
        if let Some(trace_state) = r.trace_state {
            m.serialize_entry("traceState", trace_state)?;
        }
        if let Some(parent) = r.parent {
            m.serialize_entry("parentSpanId", &span_id_hex(parent))?;
        }
        m.serialize_entry("flags", &r.flags)?;
        m.serialize_entry("name", &r.mapped.name)?;
        m.serialize_entry("kind", &r.mapped.kind)?;
        if let Some((start, end)) = r.times {
            m.serialize_entry("startTimeUnixNano", &start.to_string())?;
            m.serialize_entry("endTimeUnixNano", &end.to_string())?;
        }
        m.serialize_entry("attributes", &KeyValues(&r.mapped.attributes, self.limit))?;
        if let Some(message) = r.error {
            m.serialize_entry("status", &ErrorStatus(message))?;
        }
        m.end()
    }
}

struct ErrorStatus<'a>(&'a str);

impl Serialize for ErrorStatus<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("message", self.0)?;
        m.serialize_entry("code", &STATUS_ERROR)?;
        m.end()
    }
}

/// A list of `KeyValue`s, string values cut to the limit.
struct KeyValues<'v, 'a>(&'v [Attr<'a>], Option<usize>);

impl Serialize for KeyValues<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|a| KeyValue(a, self.1)))
    }
}

/// A `KeyValue`.
struct KeyValue<'v, 'a>(&'v Attr<'a>, Option<usize>);

impl Serialize for KeyValue<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        m.serialize_entry("key", &*self.0.key)?;
        m.serialize_entry("value", &AnyValue(&self.0.value, self.1))?;
        m.end()
    }
}

/// An `AnyValue`.
struct AnyValue<'v, 'a>(&'v AttrValue<'a>, Option<usize>);

impl Serialize for AnyValue<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let limit = self.1;
        let mut m = serializer.serialize_map(Some(1))?;
        match self.0 {
            AttrValue::Str(s) => m.serialize_entry("stringValue", truncate(s, limit))?,
            AttrValue::Bool(b) => m.serialize_entry("boolValue", b)?,
            AttrValue::Int(i) => m.serialize_entry("intValue", &i.to_string())?,
            AttrValue::Double(f) => m.serialize_entry("doubleValue", f)?,
            AttrValue::StrArray(items) => m.serialize_entry("arrayValue", &StrArray(items, limit))?,
            AttrValue::Array(items) => m.serialize_entry("arrayValue", &Array(items, limit))?,
        }
        m.end()
    }
}

/// An `ArrayValue` of strings.
struct StrArray<'a>(&'a [String], Option<usize>);

impl Serialize for StrArray<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(1))?;
        m.serialize_entry("values", &StrValues(self.0, self.1))?;
        m.end()
    }
}

struct StrValues<'a>(&'a [String], Option<usize>);

impl Serialize for StrValues<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for s in self.0 {
            seq.serialize_element(&AnyValue(&AttrValue::Str(s.as_str().into()), self.1))?;
        }
        seq.end()
    }
}

/// An `ArrayValue` of scalars.
struct Array<'v, 'a>(&'v [AttrValue<'a>], Option<usize>);

impl Serialize for Array<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(1))?;
        m.serialize_entry("values", &Values(self.0, self.1))?;
        m.end()
    }
}

struct Values<'v, 'a>(&'v [AttrValue<'a>], Option<usize>);

impl Serialize for Values<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|v| AnyValue(v, self.1)))
    }
}

/// `s` cut to at most `limit` characters.
pub(crate) fn truncate(s: &str, limit: Option<usize>) -> &str {
    match limit.and_then(|n| s.char_indices().nth(n)) {
        Some((cut, _)) => &s[..cut],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("héllo", Some(2)), "hé");
        assert_eq!(truncate("héllo", Some(5)), "héllo");
        assert_eq!(truncate("héllo", None), "héllo");
        assert_eq!(truncate("héllo", Some(0)), "");
    }

    #[test]
    fn values_follow_the_otlp_json_encoding() {
        let render = |v: AttrValue<'_>, limit| trace_core::wire::to_json_string(&AnyValue(&v, limit)).unwrap();
        assert_eq!(render(AttrValue::Int(i64::MAX), None), r#"{"intValue":"9223372036854775807"}"#);
        assert_eq!(render(AttrValue::Double(0.5), None), r#"{"doubleValue":0.5}"#);
        assert_eq!(render(AttrValue::Bool(false), None), r#"{"boolValue":false}"#);
        assert_eq!(render(AttrValue::Str("abcdef".into()), Some(3)), r#"{"stringValue":"abc"}"#);
        let list = vec!["ab".to_owned(), "cd".to_owned()];
        assert_eq!(
            render(AttrValue::StrArray(&list), Some(1)),
            r#"{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"c"}]}}"#
        );
        assert_eq!(render(AttrValue::Array(vec![]), None), r#"{"arrayValue":{"values":[]}}"#);
    }
}
