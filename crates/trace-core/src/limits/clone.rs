//! Copying user JSON without deep recursion: `Value::clone` recurses once per level, and
//! a value nested 200,000 levels deep overflows any thread's stack. For the rare copies the
//! pipeline makes (a redactor rewriting a span that another processor also holds).

use serde_json::{Map, Value};

/// A JSON object (what `span_data` calls `JsonMap`, named here as serde_json names it, so
/// that this file, which `span_data` uses, does not use it back).
type JsonMap = Map<String, Value>;

/// A container being copied: the rest of its source, what is copied so far, and (for an
/// object) the key of the value being copied.
enum Frame<'a> {
    Array(std::slice::Iter<'a, Value>, Vec<Value>),
    Object(serde_json::map::Iter<'a>, JsonMap, String),
}

/// A copy of `value`, made on the heap level after level: safe for values nested any
/// number of levels, on any thread.
pub(crate) fn clone_json(value: &Value) -> Value {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = value;
    loop {
        // Open `next`: a container becomes a frame, a scalar is copied.
        let mut done = match next {
            Value::Array(items) => {
                stack.push(Frame::Array(items.iter(), Vec::with_capacity(items.len())));
                None
            }
            Value::Object(map) => {
                stack.push(Frame::Object(map.iter(), JsonMap::new(), String::new()));
                None
            }
            scalar => Some(scalar.clone()),
        };
        // Hand finished values to their containers until one has a child left to open.
        loop {
            let Some(top) = stack.last_mut() else {
                return done.unwrap_or(Value::Null);
            };
            if let Some(v) = done.take() {
                match top {
                    Frame::Array(_, out) => out.push(v),
                    Frame::Object(_, out, key) => {
                        out.insert(std::mem::take(key), v);
                    }
                }
            }
            let child = match top {
                Frame::Array(items, _) => items.next(),
                Frame::Object(entries, _, key) => entries.next().map(|(k, v)| {
                    key.clone_from(k);
                    v
                }),
            };
            if let Some(child) = child {
                next = child;
                break;
            }
            done = match stack.pop() {
                Some(Frame::Array(_, out)) => Some(Value::Array(out)),
                Some(Frame::Object(_, out, _)) => Some(Value::Object(out)),
                None => None,
            };
        }
    }
}

/// A copy of `map` (see [`clone_json`]).
pub(crate) fn clone_map(map: &JsonMap) -> JsonMap {
    map.iter().map(|(k, v)| (k.clone(), clone_json(v))).collect()
}

/// Copies of the JSON field types of span data, without deep recursion.
pub(crate) trait CloneBounded {
    /// The copy.
    fn clone_bounded(&self) -> Self;
}

impl CloneBounded for Value {
    fn clone_bounded(&self) -> Self {
        clone_json(self)
    }
}

impl CloneBounded for JsonMap {
    fn clone_bounded(&self) -> Self {
        clone_map(self)
    }
}

impl<T: CloneBounded> CloneBounded for Box<T> {
    fn clone_bounded(&self) -> Self {
        Box::new((**self).clone_bounded())
    }
}

impl<T: CloneBounded> CloneBounded for Option<T> {
    fn clone_bounded(&self) -> Self {
        self.as_ref().map(T::clone_bounded)
    }
}

impl CloneBounded for Vec<Value> {
    fn clone_bounded(&self) -> Self {
        self.iter().map(clone_json).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::limits::{nested, release};

    #[test]
    fn copies_are_equal_and_deep_ones_do_not_overflow_a_small_stack() {
        let v = json!({"a": [1, {"b": null, "c": [true, "x", 2.5]}], "d": {}, "e": []});
        assert_eq!(clone_json(&v), v);
        assert_eq!(clone_json(&json!(7)), json!(7));
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let deep = nested(200_000);
                let copy = clone_json(&deep);
                // Down the one chain of containers to the leaf.
                let (mut depth, mut at) = (0, &copy);
                let leaf_found = loop {
                    at = match at {
                        Value::Array(items) => &items[0],
                        Value::Object(map) => map.values().next().unwrap(),
                        leaf => break leaf == "leaf",
                    };
                    depth += 1;
                };
                release(deep);
                release(copy);
                leaf_found && depth == 200_000
            })
            .unwrap();
        assert!(handle.join().expect("no stack overflow"), "the copy is as deep as the source");
    }
}
