//! `tracing` field values as JSON values.

use std::fmt;

use serde_json::{Number, Value};
use tracing_core::field::{Field, Visit};

/// Hands every field of a value set to `f` as a name and a JSON value: strings, integers,
/// booleans and finite floats as themselves, a non-finite float as its text, anything
/// recorded with `?` or `%` as the text it formats to, an error as its message.
pub(crate) struct JsonVisitor<F>(pub(crate) F);

impl<F: FnMut(&'static str, Value)> Visit for JsonVisitor<F> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let value = Number::from_f64(value).map_or_else(|| Value::String(value.to_string()), Value::Number);
        (self.0)(field.name(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        (self.0)(field.name(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        (self.0)(field.name(), Value::from(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        let value = i64::try_from(value).map_or_else(|_| Value::String(value.to_string()), Value::from);
        (self.0)(field.name(), value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        let value = u64::try_from(value).map_or_else(|_| Value::String(value.to_string()), Value::from);
        (self.0)(field.name(), value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        (self.0)(field.name(), Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        (self.0)(field.name(), Value::String(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        (self.0)(field.name(), Value::String(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        (self.0)(field.name(), Value::String(format!("{value:?}")));
    }
}

/// The text of a value recorded on a `tracing` field: the string itself, or the JSON text
/// of any other value.
pub(crate) fn text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        other => trace_core::to_json_string(&other).unwrap_or_default(),
    }
}

/// A field that carries JSON as text (`gen_ai.input.messages`, ...): the parsed value, or
/// the text itself as a JSON string when it is not JSON.
pub(crate) fn parse_json(value: Value) -> Value {
    match value {
        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        other => other,
    }
}

/// A field that holds a count: an integer, or an integer written as text.
pub(crate) fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_text_is_parsed_and_other_text_kept() {
        assert_eq!(parse_json(json!(r#"[{"role":"user"}]"#)), json!([{"role": "user"}]));
        assert_eq!(parse_json(json!("not json")), json!("not json"));
        assert_eq!(parse_json(json!(3)), json!(3));
    }

    #[test]
    fn counts_are_read_from_numbers_and_text() {
        assert_eq!(integer(&json!(12)), Some(12));
        assert_eq!(integer(&json!(" 7 ")), Some(7));
        assert_eq!(integer(&json!("seven")), None);
        assert_eq!(integer(&json!(1.5)), None);
    }

    #[test]
    fn text_of_values() {
        assert_eq!(text(json!("a")), "a");
        assert_eq!(text(json!({"k": 1})), r#"{"k":1}"#);
    }
}
