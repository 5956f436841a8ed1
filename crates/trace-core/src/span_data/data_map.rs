//! [`DataMap`]: the free-form data of a custom span, an insertion-ordered JSON object that
//! keeps its first entries inline.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::{JsonMap, Name};
use crate::json_text::JsonDebug;
use crate::limits::clone::{clone_json, clone_map, CloneBounded};

/// How many entries a [`DataMap`] holds without allocating.
pub const DATA_MAP_INLINE: usize = 2;

/// The `data` object of a custom span: string keys to JSON values, in insertion order, as
/// a Python dict.
///
/// The first [`DATA_MAP_INLINE`] entries are kept inline, so a custom span with one or two
/// fields under `&'static str` keys costs no allocation for its data
/// (`custom_span("step").field("i", 1)`), where a [`JsonMap`] costs three (its entries,
/// its index and the key). A third entry moves them all into a [`JsonMap`]; a
/// [`JsonMap`] given whole (`From<JsonMap>`, what [`data`](crate::SpanBuilder::data)
/// stores) is kept as it is. Every conversion keeps the order: `From<JsonMap>`,
/// [`into_map`](Self::into_map) and `FromIterator`.
///
/// Two maps are equal when they hold the same entries, in any order, as two [`JsonMap`]s
/// are.
///
/// ```
/// use serde_json::json;
/// use trace_core::DataMap;
///
/// let mut data = DataMap::new();
/// data.insert("step", "plan");
/// data.insert("tries", 2);
/// assert_eq!(data.get("tries"), Some(&json!(2)));
/// assert_eq!(trace_core::wire::to_json_string(&data).unwrap(), r#"{"step":"plan","tries":2}"#);
/// assert_eq!(data, *json!({"tries": 2, "step": "plan"}).as_object().unwrap()); // any order
/// ```
#[derive(Clone)]
pub struct DataMap(Repr);

#[derive(Clone)]
enum Repr {
    /// `entries[..len]` are the map's entries; the rest are placeholders (`""`, `null`).
    Inline { len: u8, entries: [(Name, Value); DATA_MAP_INLINE] },
    /// More entries than fit inline (or a map given whole).
    Map(JsonMap),
}

const EMPTY_SLOT: (Name, Value) = (Name::Borrowed(""), Value::Null);

impl DataMap {
    /// An empty map (no allocation).
    pub const fn new() -> Self {
        DataMap(Repr::Inline { len: 0, entries: [EMPTY_SLOT; DATA_MAP_INLINE] })
    }

    /// How many entries the map holds.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => usize::from(*len),
            Repr::Map(m) => m.len(),
        }
    }

    /// Whether the map holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match &self.0 {
            Repr::Inline { len, entries } => {
                entries[..usize::from(*len)].iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            Repr::Map(m) => m.get(key),
        }
    }

    /// The value under `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match &mut self.0 {
            Repr::Inline { len, entries } => {
                entries[..usize::from(*len)].iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            Repr::Map(m) => m.get_mut(key),
        }
    }

    /// Whether the map holds `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`: a new key goes last, a key already there keeps its place and
    /// its old value is returned.
    pub fn insert(&mut self, key: impl Into<Name>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, value));
        }
        match &mut self.0 {
            Repr::Inline { len, entries } if usize::from(*len) < DATA_MAP_INLINE => {
                entries[usize::from(*len)] = (key, value);
                *len += 1;
            }
            Repr::Inline { .. } => {
                let mut map = self.take_map();
                map.insert(key.into_owned(), value);
                self.0 = Repr::Map(map);
            }
            Repr::Map(m) => {
                m.insert(key.into_owned(), value);
            }
        }
        None
    }

    /// Removes `key` and returns its value; the other entries keep their order.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        match &mut self.0 {
            Repr::Inline { len, entries } => {
                let n = usize::from(*len);
                let i = entries[..n].iter().position(|(k, _)| k == key)?;
                entries[i..n].rotate_left(1);
                *len -= 1;
                Some(std::mem::replace(&mut entries[n - 1], EMPTY_SLOT).1)
            }
            Repr::Map(m) => m.shift_remove(key),
        }
    }

    /// Keeps the entries for which `keep` says `true`, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value) -> bool) {
        match &mut self.0 {
            Repr::Inline { len, entries } => {
                let mut kept = 0;
                for i in 0..usize::from(*len) {
                    let (k, v) = &mut entries[i];
                    if keep(k, v) {
                        entries.swap(kept, i);
                        kept += 1;
                    }
                }
                for slot in &mut entries[kept..] {
                    *slot = EMPTY_SLOT;
                }
                *len = kept as u8;
            }
            Repr::Map(m) => m.retain(|k, v| keep(k, v)),
        }
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + '_ {
        let (inline, map) = match &self.0 {
            Repr::Inline { len, entries } => (&entries[..usize::from(*len)], None),
            Repr::Map(m) => (&[][..], Some(m.iter())),
        };
        Iter { inline: inline.iter(), map }
    }

    /// The entries, in order, values mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value)> + '_ {
        let (inline, map) = match &mut self.0 {
            Repr::Inline { len, entries } => (&mut entries[..usize::from(*len)], None),
            Repr::Map(m) => (&mut [][..], Some(m.iter_mut())),
        };
        inline.iter_mut().map(|(k, v)| (&**k, v)).chain(map.into_iter().flatten().map(|(k, v)| (k.as_str(), v)))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// The values, in order, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }

    /// The entries as a [`JsonMap`], in order (the map given whole comes back as it was).
    pub fn into_map(mut self) -> JsonMap {
        self.take_map()
    }

    /// Takes every entry out as a [`JsonMap`], leaving the map empty.
    fn take_map(&mut self) -> JsonMap {
        match std::mem::take(self).0 {
            Repr::Inline { len, entries } => {
                entries.into_iter().take(usize::from(len)).map(|(k, v)| (k.into_owned(), v)).collect()
            }
            Repr::Map(m) => m,
        }
    }
}

impl CloneBounded for DataMap {
    /// A copy made without deep recursion, whatever the nesting of the values.
    fn clone_bounded(&self) -> Self {
        match &self.0 {
            Repr::Inline { len, entries } => {
                let mut copy = [EMPTY_SLOT; DATA_MAP_INLINE];
                for (slot, (k, v)) in copy.iter_mut().zip(&entries[..usize::from(*len)]) {
                    *slot = (k.clone(), clone_json(v));
                }
                DataMap(Repr::Inline { len: *len, entries: copy })
            }
            Repr::Map(m) => DataMap(Repr::Map(clone_map(m))),
        }
    }
}

/// The entries of a [`DataMap`], borrowed, in order.
struct Iter<'a> {
    inline: std::slice::Iter<'a, (Name, Value)>,
    map: Option<serde_json::map::Iter<'a>>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.map {
            Some(m) => m.next().map(|(k, v)| (k.as_str(), v)),
            None => self.inline.next().map(|(k, v)| (&**k, v)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.map.as_ref().map_or(self.inline.len(), ExactSizeIterator::len);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl Default for DataMap {
    fn default() -> Self {
        Self::new()
    }
}

impl From<JsonMap> for DataMap {
    /// Keeps `map` as it is (moved, not copied); entries inserted later go into it.
    fn from(map: JsonMap) -> Self {
        DataMap(Repr::Map(map))
    }
}

impl From<DataMap> for JsonMap {
    fn from(data: DataMap) -> Self {
        data.into_map()
    }
}

impl<K: Into<Name>, V: Into<Value>> FromIterator<(K, V)> for DataMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut out = DataMap::new();
        out.extend(iter);
        out
    }
}

impl<K: Into<Name>, V: Into<Value>> Extend<(K, V)> for DataMap {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl PartialEq for DataMap {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl PartialEq<JsonMap> for DataMap {
    fn eq(&self, other: &JsonMap) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl std::ops::Index<&str> for DataMap {
    type Output = Value;

    /// The value under `key`, `null` when there is none (as indexing a `Value`).
    fn index(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

impl Serialize for DataMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl fmt::Debug for DataMap {
    /// The map as JSON text, depth-limited (safe for values nested any number of levels).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&JsonDebug(self), f)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> JsonMap {
        v.as_object().cloned().expect("an object")
    }

    #[test]
    fn inline_then_map_keeps_insertion_order() {
        let mut d = DataMap::new();
        for (i, key) in ["zeta", "alpha", "mid", "beta"].into_iter().enumerate() {
            assert_eq!(d.insert(key, i), None);
            assert_eq!(d.len(), i + 1);
            let keys: Vec<_> = d.keys().collect();
            assert_eq!(keys, ["zeta", "alpha", "mid", "beta"][..=i]);
        }
        assert!(matches!(d.0, Repr::Map(_)));
        assert_eq!(crate::wire::to_json_string(&d).unwrap(), r#"{"zeta":0,"alpha":1,"mid":2,"beta":3}"#);
    }

    #[test]
    fn a_key_set_twice_keeps_its_place_and_returns_the_old_value() {
        for n in [2, 4] {
            let mut d: DataMap = (0..n).map(|i| (format!("k{i}"), i)).collect();
            assert_eq!(d.insert("k0", "again"), Some(json!(0)));
            assert_eq!(d.len(), n);
            assert_eq!(d.iter().next(), Some(("k0", &json!("again"))));
        }
    }

    #[test]
    fn remove_and_retain_keep_the_order_of_the_rest() {
        for n in [2, 5] {
            let mut d: DataMap = (0..n).map(|i| (format!("k{i}"), i)).collect();
            assert_eq!(d.remove("k0"), Some(json!(0)));
            assert_eq!(d.remove("k0"), None);
            assert_eq!(d.keys().next(), Some("k1"));
            d.insert("last", true);
            d.retain(|k, _| k != "k1");
            let keys: Vec<_> = d.keys().collect();
            let mut want: Vec<String> = (2..n).map(|i| format!("k{i}")).collect();
            want.push("last".to_owned());
            assert_eq!(keys, want);
        }
    }

    #[test]
    fn conversions_round_trip_and_equality_ignores_order() {
        for v in [json!({}), json!({"a": 1}), json!({"a": 1, "b": [2]}), json!({"a": 1, "b": 2, "c": {"d": 3}})] {
            let m = map(v.clone());
            let d = DataMap::from(m.clone());
            assert_eq!(d, m);
            assert_eq!(crate::json_text::to_value(&d).unwrap(), v);
            assert_eq!(d.clone().into_map(), m);
            assert_eq!(d.clone_bounded(), d);
            let rebuilt: DataMap = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            assert_eq!(rebuilt, d);
        }
        let ab: DataMap = [("a", 1), ("b", 2)].into_iter().collect();
        let ba: DataMap = [("b", 2), ("a", 1)].into_iter().collect();
        assert_eq!(ab, ba);
        assert_ne!(ab, [("a", 1)].into_iter().collect::<DataMap>());
        assert_eq!(ab["b"], json!(2));
        assert_eq!(ab["none"], Value::Null);
        assert_eq!(format!("{ab:?}"), r#"{"a":1,"b":2}"#);
    }

    #[test]
    fn values_are_editable_in_place() {
        for n in [1, 3] {
            let mut d: DataMap = (0..n).map(|i| (format!("k{i}"), i)).collect();
            for v in d.values_mut() {
                *v = json!("x");
            }
            *d.get_mut("k0").unwrap() = json!("first");
            assert_eq!(d.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>()[0], json!("first"));
            assert!(d.iter().skip(1).all(|(_, v)| v == "x"));
        }
    }
}
