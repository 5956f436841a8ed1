//! Dropping user JSON without deep recursion: dropping a `serde_json::Value` the ordinary
//! way recurses once per level, and a value nested 200,000 levels deep overflows any
//! thread's stack.

use serde_json::Value;

use crate::span_data::{DataMap, JsonMut, SpanData};

/// Below this depth, dropping span data recurses; deeper, it continues on the heap.
const RECURSIVE_RELEASE_DEPTH: usize = 64;

/// Drops `value` without deep recursion: safe for values nested any number of levels, on
/// any thread. (Dropping a `serde_json::Value` the ordinary way recurses once per level.)
pub fn release(value: Value) {
    release_at(value, 0);
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Array(_) | Value::Object(_))
}

fn release_at(value: Value, depth: usize) {
    match value {
        Value::Array(items) if depth < RECURSIVE_RELEASE_DEPTH => {
            for v in items {
                release_at(v, depth + 1);
            }
        }
        Value::Object(map) if depth < RECURSIVE_RELEASE_DEPTH => {
            for (_, v) in map {
                release_at(v, depth + 1);
            }
        }
        deep @ (Value::Array(_) | Value::Object(_)) => release_iteratively(deep),
        _ => {}
    }
}

#[cold]
#[inline(never)]
fn release_iteratively(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// Empties a JSON field without deep recursion (an object or list is left empty, a value
/// `null`). Does nothing to a field without nested containers, which drops cheaply.
pub(crate) fn release_json(field: JsonMut<'_>) {
    match field {
        JsonMut::Object(map) => {
            if map.values().any(is_container) {
                for (_, v) in std::mem::take(map) {
                    release_at(v, 1);
                }
            }
        }
        JsonMut::Data(map) => {
            if map.iter().any(|(_, v)| is_container(v)) {
                for v in map.values_mut() {
                    release_at(std::mem::take(v), 1);
                }
                *map = DataMap::new();
            }
        }
        JsonMut::Array(items) => {
            if items.iter().any(is_container) {
                for v in std::mem::take(items) {
                    release_at(v, 1);
                }
            }
        }
        JsonMut::Value(value) => {
            if is_container(value) {
                release_at(std::mem::take(value), 0);
            }
        }
    }
}

/// Empties the JSON fields of `data` ([`SpanData::json_fields_mut`]) without deep
/// recursion (called when a span is dropped).
pub(crate) fn release_span_data(data: &mut SpanData) {
    for field in data.json_fields_mut() {
        if let Some(value) = field.value {
            release_json(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::nested;
    use crate::span::Span;
    use crate::trace::Trace;
    use crate::JsonMap;

    #[test]
    fn dropping_deep_json_in_any_field_of_any_span_type_on_a_small_stack_is_safe() {
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let deep = || nested(20_000);
                let trace = std::sync::Arc::new(
                    Trace::new(crate::TraceId::generate(), "w")
                        .with_metadata(JsonMap::from_iter([("m".to_owned(), deep())])),
                );
                for mut data in crate::span_data::every_type_with_json() {
                    // Every JSON field, as listed by `json_fields_mut`, made 200,000 levels deep.
                    for field in data.json_fields_mut() {
                        match field.value.expect("every field is set") {
                            JsonMut::Object(m) => {
                                m.insert("deep".to_owned(), deep());
                            }
                            JsonMut::Data(m) => {
                                m.insert("deep", deep());
                            }
                            JsonMut::Array(items) => items.push(deep()),
                            JsonMut::Value(v) => *v = deep(),
                        }
                    }
                    let error = crate::SpanError::new("e").with_data(deep()).with_extra("more", deep());
                    let span = Span::new(crate::SpanId::generate(), std::sync::Arc::clone(&trace), None, data)
                        .with_error(error);
                    drop(span);
                }
                drop(trace);
                let mut one = deep();
                release_json(JsonMut::Value(&mut one));
                assert!(one.is_null());
                release(deep());
            })
            .unwrap();
        handle.join().expect("no stack overflow");
    }
}
