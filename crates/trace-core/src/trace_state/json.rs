//! A saved trace state as JSON: written as the Python SDK's `TraceState.to_json` writes
//! it (plus this crate's keys), read from either.

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

use crate::ids::{SpanId, TraceId};
use crate::limits::{serialize_as_record, SerializeUnlimited};
use crate::trace::Trace;
use crate::trace_builder::NO_OP_ID;
use crate::w3c::{RemoteParent, TraceParent};
use crate::ApiKey;

use super::fingerprint::KeyCheck;
use super::{TraceState, DEFAULT_WORKFLOW_NAME};

/// The JSON key of this crate's fingerprint.
const FINGERPRINT: &str = "tracing_api_key_fingerprint";
/// The JSON key of the Python SDK's fingerprint (a SHA-256 this crate cannot check).
const PYTHON_HASH: &str = "tracing_api_key_hash";

/// Why a saved trace state could not be read. Nothing was resumed; check that the text is
/// what [`TraceState::to_json_string`] (or the Python SDK's `TraceState.to_json`) wrote.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceStateError {
    /// The text is not JSON.
    #[error("the saved trace state is not JSON ({0}); pass the text TraceState::to_json_string wrote")]
    NotJson(String),
    /// The JSON is neither an object nor `null`.
    #[error("the saved trace state is a JSON {found}, not an object; pass the value TraceState::to_json wrote")]
    NotAnObject {
        /// What was found instead: `array`, `string`, ...
        found: &'static str,
    },
    /// The object has no trace id: `id` (or Python's `trace_id`), a non-empty string.
    #[error("the saved trace state has no trace id (`id`, a non-empty string); it cannot say which trace to resume")]
    MissingTraceId,
    /// A key holds a value of the wrong type or form.
    #[error("the saved trace state's `{field}` is not {expected}; was the state edited or cut?")]
    InvalidField {
        /// The JSON key.
        field: &'static str,
        /// What it should hold.
        expected: &'static str,
    },
}

impl TraceState {
    /// The state as a JSON value (`null` for a no-op state); see the [module
    /// docs](super) for its keys. User metadata nested deeper than the depth limit is cut
    /// as everywhere ([`limits`](crate::limits)).
    pub fn to_json(&self) -> Value {
        crate::wire::to_json_value(self).unwrap_or(Value::Null)
    }

    /// The state as compact JSON text (`null` for a no-op state).
    pub fn to_json_string(&self) -> String {
        // Cannot fail: every key written is a string, and the values are JSON already.
        crate::wire::to_json_string(self).unwrap_or_else(|_| "null".to_owned())
    }

    /// Reads a state from the JSON [`to_json`](Self::to_json) wrote, or from the Python
    /// SDK's `TraceState.to_json`: `null` is the no-op state, as are `{}` and the id
    /// `"no-op"`; as in Python, an empty `id` falls back to `trace_id`, and an empty
    /// `workflow_name` to the default. Keys
    /// not listed in the [module docs](super) are ignored; a key with a value of the wrong
    /// type is an error, and so is a `traceparent` that does not parse. A clear-text
    /// `tracing_api_key` (which Python writes when asked to) is turned into a fingerprint
    /// and forgotten: the resuming side gives the key again.
    pub fn from_json(value: &Value) -> Result<Self, TraceStateError> {
        let object = match value {
            Value::Null => return Ok(Self::noop()),
            // Python: `if not payload: return None`.
            Value::Object(object) if object.is_empty() => return Ok(Self::noop()),
            Value::Object(object) => object,
            other => return Err(TraceStateError::NotAnObject { found: kind(other) }),
        };
        // Python: `data.pop("id", None) or data.pop("trace_id", None)`, so any falsy id
        // (`null`, `""`, `0`, `false`, `[]`, `{}`) falls back to `trace_id`.
        let falsy = |v: &&Value| match v {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::Number(n) => n.as_f64() == Some(0.0),
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
        };
        let id = match object.get("id").filter(|v| !falsy(v)).or_else(|| object.get("trace_id")) {
            Some(Value::String(id)) if !id.is_empty() => id,
            _ => return Err(TraceStateError::MissingTraceId),
        };
        if id == NO_OP_ID {
            return Ok(Self::noop());
        }
        let string = |field: &'static str| match object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(TraceStateError::InvalidField { field, expected: "a string" }),
        };
        // Python: `trace_state.workflow_name or "Agent workflow"`.
        let workflow_name = string("workflow_name")?.filter(|name| !name.is_empty()).unwrap_or(DEFAULT_WORKFLOW_NAME);
        let mut trace = Trace::new(TraceId::from_string(id.as_str()), workflow_name);
        if let Some(group_id) = string("group_id")? {
            trace = trace.with_group_id(group_id);
        }
        match object.get("metadata") {
            None | Some(Value::Null) => {}
            Some(Value::Object(metadata)) => {
                trace = trace.with_metadata(crate::limits::clone::CloneBounded::clone_bounded(metadata));
            }
            Some(_) => return Err(TraceStateError::InvalidField { field: "metadata", expected: "an object" }),
        }
        if let Some(header) = string("traceparent")? {
            let traceparent = TraceParent::parse(header)
                .map_err(|_| TraceStateError::InvalidField { field: "traceparent", expected: "a W3C traceparent" })?;
            let remote = RemoteParent::new(traceparent);
            let remote = match string("tracestate")? {
                Some(tracestate) => remote.with_tracestate(tracestate),
                None => remote,
            };
            trace = trace.with_remote_parent(remote);
        }
        let key = if let Some(key) = string("tracing_api_key")? {
            KeyCheck::of(Some(&ApiKey::from(key)))
        } else if let Some(text) = string(FINGERPRINT)? {
            KeyCheck::parse(text)
                .unwrap_or_else(|| KeyCheck::Unverifiable { field: FINGERPRINT, value: text.to_owned() })
        } else if let Some(text) = string(PYTHON_HASH)? {
            KeyCheck::Unverifiable { field: PYTHON_HASH, value: text.to_owned() }
        } else {
            KeyCheck::NoKey
        };
        let parent_span_id = string("parent_span_id")?.map(SpanId::from_string);
        Ok(Self { trace: Some(trace), parent_span_id, key })
    }

    /// Reads a state from JSON text: see [`from_json`](Self::from_json).
    pub fn from_json_str(text: &str) -> Result<Self, TraceStateError> {
        let value: Value = serde_json::from_str(text).map_err(|e| TraceStateError::NotJson(e.to_string()))?;
        let state = Self::from_json(&value);
        crate::limits::release(value);
        state
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl SerializeUnlimited for TraceState {
    fn serialize_unlimited<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(trace) = &self.trace else { return serializer.serialize_none() };
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("object", "trace")?;
        m.serialize_entry("id", trace.trace_id())?;
        m.serialize_entry("workflow_name", trace.workflow_name())?;
        if let Some(group_id) = trace.group_id() {
            m.serialize_entry("group_id", group_id)?;
        }
        if let Some(metadata) = trace.metadata() {
            m.serialize_entry("metadata", metadata)?;
        }
        match &self.key {
            KeyCheck::NoKey => {}
            fnv @ KeyCheck::Fnv { .. } => m.serialize_entry(FINGERPRINT, &fnv.to_string())?,
            KeyCheck::Unverifiable { field, value } => m.serialize_entry(field, value)?,
        }
        if let Some(parent) = &self.parent_span_id {
            m.serialize_entry("parent_span_id", parent)?;
        }
        if let Some(remote) = trace.remote_parent() {
            m.serialize_entry("traceparent", &remote.traceparent().to_string())?;
            if let Some(tracestate) = remote.tracestate() {
                m.serialize_entry("tracestate", tracestate)?;
            }
        }
        m.end()
    }
}

serialize_as_record!(TraceState);

impl<'de> Deserialize<'de> for TraceState {
    /// Reads what `Serialize` wrote, through [`TraceState::from_json`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let state = Self::from_json(&value).map_err(D::Error::custom);
        crate::limits::release(value);
        state
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::context::Parent;

    fn state_of(trace: Trace, span: Option<&str>) -> TraceState {
        let trace = Arc::new(trace);
        match span {
            Some(id) => TraceState::from_parent(&Parent::Span { trace, span_id: SpanId::from_string(id) }),
            None => TraceState::from_parent(&Parent::Trace(trace)),
        }
    }

    #[test]
    fn the_json_has_pythons_keys_and_never_the_key() {
        let metadata = json!({"tenant": "acme", "n": 2}).as_object().cloned().unwrap();
        let trace = Trace::new(TraceId::from_u128(0xabc), "Refund")
            .with_group_id("chat-42")
            .with_metadata(metadata)
            .with_tracing_api_key("sk-secret-key");
        let state = state_of(trace, Some("span_0000000000000000000000aa"));
        let json = state.to_json();
        let fingerprint = json[FINGERPRINT].as_str().unwrap().to_owned();
        assert_eq!(
            json,
            json!({
                "object": "trace",
                "id": "trace_00000000000000000000000000000abc",
                "workflow_name": "Refund",
                "group_id": "chat-42",
                "metadata": {"tenant": "acme", "n": 2},
                "tracing_api_key_fingerprint": fingerprint,
                "parent_span_id": "span_0000000000000000000000aa",
            })
        );
        let text = state.to_json_string();
        assert!(!text.contains("sk-secret-key") && !format!("{state:?}").contains("sk-secret-key"));
        assert!(text.starts_with(r#"{"object":"trace","id":"trace_00000000000000000000000000000abc","#), "{text}");
        // And it reads back to the same state.
        assert_eq!(TraceState::from_json_str(&text), Ok(state.clone()));
        assert_eq!(TraceState::from_json(&json), Ok(state));
    }

    #[test]
    fn keys_without_a_value_are_left_out_and_a_noop_state_is_null() {
        let state = state_of(Trace::new(TraceId::from_u128(1), "wf"), None);
        assert_eq!(
            state.to_json_string(),
            r#"{"object":"trace","id":"trace_00000000000000000000000000000001","workflow_name":"wf"}"#
        );
        assert!(!state.has_tracing_api_key());
        assert_eq!(TraceState::noop().to_json(), Value::Null);
        assert_eq!(TraceState::noop().to_json_string(), "null");
        assert_eq!(TraceState::from_json_str("null"), Ok(TraceState::noop()));
        assert_eq!(TraceState::from_json(&json!({"id": "no-op"})), Ok(TraceState::noop()));
    }

    #[test]
    fn a_remote_parent_is_saved_as_its_headers() {
        let tp = TraceParent::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00").unwrap();
        let trace = Trace::new(tp.agent_trace_id(), "wf")
            .with_remote_parent(RemoteParent::new(tp).with_tracestate("congo=t61"));
        let state = state_of(trace, None);
        let json = state.to_json();
        assert_eq!(json["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
        assert_eq!(json["tracestate"], "congo=t61");
        let back = TraceState::from_json(&json).unwrap();
        assert_eq!(back.remote_parent(), state.remote_parent());
        assert_eq!(back.remote_parent().map(RemoteParent::sampled), Some(false));
    }

    #[test]
    fn a_python_state_is_read() {
        // What `TraceState.to_json()` of the Python SDK 0.24 writes for a trace with a key.
        let python = json!({
            "object": "trace",
            "id": "trace_0af7651916cd43dd8448eb211c80319c",
            "workflow_name": "Agent workflow",
            "group_id": null,
            "metadata": null,
            "tracing_api_key_hash": "a".repeat(64),
            "some_future_key": 1,
        });
        let state = TraceState::from_json(&python).unwrap();
        assert_eq!(state.trace_id().unwrap().to_string(), "trace_0af7651916cd43dd8448eb211c80319c");
        assert_eq!((state.group_id(), state.metadata()), (None, None));
        assert!(state.has_tracing_api_key());
        // The hash is written back under its own key, for Python to check.
        assert_eq!(state.to_json()[PYTHON_HASH], "a".repeat(64));
        // `trace_id` instead of `id`, no workflow name: Python's default.
        let state = TraceState::from_json(&json!({"trace_id": "my-trace"})).unwrap();
        assert_eq!(state.workflow_name(), DEFAULT_WORKFLOW_NAME);
        assert_eq!(state.trace_id().unwrap().to_string(), "my-trace");
        // Python's `or`s: an empty id falls back to `trace_id`, an empty name to the
        // default, and an empty object is no state.
        let state = TraceState::from_json(&json!({"id": "", "trace_id": "t2", "workflow_name": ""})).unwrap();
        assert_eq!(state.trace_id().unwrap().to_string(), "t2");
        for falsy in [json!(0), json!(false), json!([]), json!({})] {
            let state = TraceState::from_json(&json!({"id": falsy, "trace_id": "t3"})).unwrap();
            assert_eq!(state.trace_id().unwrap().to_string(), "t3");
        }
        assert_eq!(state.workflow_name(), DEFAULT_WORKFLOW_NAME);
        assert!(TraceState::from_json(&json!({})).unwrap().is_noop());
        // A key in clear text becomes a fingerprint; the key is not kept.
        let state = TraceState::from_json(&json!({"id": "t", "tracing_api_key": "sk-clear"})).unwrap();
        assert!(state.has_tracing_api_key());
        assert!(!state.to_json_string().contains("sk-clear"));
    }

    #[test]
    fn bad_states_are_clear_errors() {
        use TraceStateError as E;
        assert!(matches!(TraceState::from_json_str("{not json"), Err(E::NotJson(_))));
        assert_eq!(TraceState::from_json(&json!([1])), Err(E::NotAnObject { found: "array" }));
        assert_eq!(TraceState::from_json(&json!("trace_x")), Err(E::NotAnObject { found: "string" }));
        for missing in [json!({"id": ""}), json!({"id": 5}), json!({"id": null}), json!({"object": "trace"})] {
            assert_eq!(TraceState::from_json(&missing), Err(E::MissingTraceId), "{missing}");
        }
        let bad = [
            (json!({"id": "t", "workflow_name": 1}), "workflow_name"),
            (json!({"id": "t", "group_id": ["g"]}), "group_id"),
            (json!({"id": "t", "metadata": "m"}), "metadata"),
            (json!({"id": "t", "parent_span_id": 3}), "parent_span_id"),
            (json!({"id": "t", "traceparent": "00-zz"}), "traceparent"),
            (json!({"id": "t", FINGERPRINT: false}), FINGERPRINT),
        ];
        for (value, field) in bad {
            match TraceState::from_json(&value) {
                Err(E::InvalidField { field: f, .. }) => assert_eq!(f, field, "{value}"),
                other => panic!("{value}: {other:?}"),
            }
        }
        let e = TraceState::from_json(&json!({"id": "t", "metadata": 1})).unwrap_err();
        assert_eq!(e.to_string(), "the saved trace state's `metadata` is not an object; was the state edited or cut?");
    }

    #[test]
    fn serde_round_trips_inside_a_users_own_state() {
        let state = state_of(Trace::new(TraceId::generate(), "wf").with_tracing_api_key("k"), Some("step-1"));
        let value = crate::wire::to_json_value(&state).unwrap();
        let back: TraceState = serde_json::from_value(value).unwrap();
        assert_eq!(back, state);
        let err = serde_json::from_value::<TraceState>(json!({"id": 1})).unwrap_err();
        assert!(err.to_string().contains("no trace id"), "{err}");
    }

    #[test]
    fn deep_metadata_is_cut_not_a_crash() {
        let mut deep = Value::Null;
        for _ in 0..crate::MAX_JSON_DEPTH + 50 {
            deep = Value::Array(vec![deep]);
        }
        let metadata = crate::JsonMap::from_iter([("deep".to_owned(), deep)]);
        let state = state_of(Trace::new(TraceId::generate(), "wf").with_metadata(metadata), None);
        assert!(state.to_json_string().contains(crate::DEPTH_LIMIT_MARKER));
    }
}
