//! The benchmarks' one-line JSON outputs, read with serde_json: each line a flat object of
//! numbers, strings, booleans and nulls.

use serde_json::{Map, Value};

/// One parsed object.
#[derive(Clone, Debug, Default)]
pub(crate) struct Obj(Map<String, Value>);

impl Obj {
    /// The number under `key`; an error naming the key if it is missing or not a number.
    pub(crate) fn num(&self, key: &str) -> Result<f64, String> {
        self.0.get(key).and_then(Value::as_f64).ok_or_else(|| format!("no number {key:?} in {self:?}"))
    }

    /// The string under `key`, if there is one.
    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }
}

/// The last line of `out` that parses as a JSON object.
pub(crate) fn last_object(out: &str) -> Result<Obj, String> {
    out.lines().rev().find_map(parse).ok_or_else(|| format!("no JSON line in the output:\n{out}"))
}

/// Every line of `out` that parses as a JSON object, in order.
pub(crate) fn objects(out: &str) -> Vec<Obj> {
    out.lines().filter_map(parse).collect()
}

/// `line` as a JSON object, if it is one.
pub(crate) fn parse(line: &str) -> Option<Obj> {
    match serde_json::from_str::<Value>(line.trim()) {
        Ok(Value::Object(map)) => Some(Obj(map)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_objects_and_other_lines() {
        let out =
            "warming up\n{\"name\":\"a\",\"ns\":12.5,\"ok\":true,\"x\":null}\nnot json\n{\"name\":\"b\",\"ns\":3}";
        let all = objects(out);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].str("name"), Some("a"));
        assert_eq!(all[0].num("ns"), Ok(12.5));
        assert!(all[0].num("ok").is_err());
        assert_eq!(last_object(out).unwrap().num("ns"), Ok(3.0));
        assert!(parse("[1, 2]").is_none());
        assert!(last_object("nothing").is_err());
    }
}
