//! Depth checks on user JSON, recursing at most one level past the limit asked for.

use serde_json::Value;

use crate::span_data::{JsonMap, JsonRef, SpanData};

/// Whether `value` holds containers nested more than `max` levels (a scalar has depth 0,
/// `[]` and `{}` depth 1, `[[1]]` depth 2). Recurses at most `max + 1` levels.
pub fn json_depth_exceeds(value: &Value, max: usize) -> bool {
    match value {
        Value::Array(items) => list_depth_exceeds(items, max),
        Value::Object(map) => map_depth_exceeds(map, max),
        _ => false,
    }
}

fn map_depth_exceeds(map: &JsonMap, max: usize) -> bool {
    max == 0 || map.values().any(|v| json_depth_exceeds(v, max - 1))
}

fn list_depth_exceeds(items: &[Value], max: usize) -> bool {
    max == 0 || items.iter().any(|v| json_depth_exceeds(v, max - 1))
}

fn field_depth_exceeds(value: JsonRef<'_>, max: usize) -> bool {
    match value {
        JsonRef::Object(map) => map_depth_exceeds(map, max),
        JsonRef::Data(map) => max == 0 || map.iter().any(|(_, v)| json_depth_exceeds(v, max - 1)),
        JsonRef::Array(items) => list_depth_exceeds(items, max),
        JsonRef::Value(v) => json_depth_exceeds(v, max),
    }
}

/// Whether any JSON field of `data` ([`SpanData::json_fields`]: custom data, metadata,
/// usage, model settings, generation input and output, raw response) nests more than
/// `max` levels, the field itself counted as the first. Recurses at most `max + 1` levels.
pub fn span_data_depth_exceeds(data: &SpanData, max: usize) -> bool {
    data.json_fields().any(|f| f.value.is_some_and(|v| field_depth_exceeds(v, max)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::limits::{nested, release_span_data};

    #[test]
    fn depth_checks() {
        assert!(!json_depth_exceeds(&json!(1), 0));
        assert!(json_depth_exceeds(&json!([]), 0));
        assert!(!json_depth_exceeds(&json!([]), 1));
        assert!(json_depth_exceeds(&json!([[1]]), 1));
        assert!(!json_depth_exceeds(&json!([[1]]), 2));
        let v = nested(10_000);
        assert!(json_depth_exceeds(&v, 500));
        let mut map = JsonMap::new();
        map.insert("deep".into(), v);
        let data = SpanData::Custom(crate::CustomSpanData { name: "c".into(), data: map.into() });
        assert!(span_data_depth_exceeds(&data, 50));
        let mut data = data;
        release_span_data(&mut data);
        assert!(!span_data_depth_exceeds(&data, 1));
    }
}
