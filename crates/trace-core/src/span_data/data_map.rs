//! [`DataMap`]: the free-form data of a custom span, an insertion-ordered JSON object that
//! keeps one entry inline and a few in a list.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::{JsonMap, Name};
use crate::json_text::JsonDebug;
use crate::limits::clone::{clone_json, clone_map, CloneBounded};

/// Up to this many entries, a [`DataMap`] keeps them in one list (one allocation, keys as
/// given, found by a linear search); more go into a [`JsonMap`] (hashed).
const LIST_MAX: usize = 16;

/// Removes `key` from `map`, the other keys keeping their order (`IndexMap`'s `remove`
/// would move the last key into its place).
#[cfg(feature = "preserve-order")]
pub(crate) fn remove_in_order(map: &mut JsonMap, key: &str) -> Option<Value> {
    map.shift_remove(key)
}

/// Removes `key` from `map` (sorted: the order of the rest cannot change).
#[cfg(not(feature = "preserve-order"))]
pub(crate) fn remove_in_order(map: &mut JsonMap, key: &str) -> Option<Value> {
    map.remove(key)
}

/// Where a new key goes in a list of entries: last (insertion order, as a Python dict),
/// or, without the `preserve-order` feature, where it sorts, as in a [`JsonMap`] then.
fn slot_for(list: &[(Name, Value)], key: &str) -> usize {
    if cfg!(feature = "preserve-order") {
        list.len()
    } else {
        list.partition_point(|(k, _)| &**k < key)
    }
}

/// The `data` object of a custom span: string keys to JSON values, in insertion order, as
/// a Python dict (sorted by key without the `preserve-order` feature, as a [`JsonMap`]
/// then is).
///
/// Sized for the common custom span, which carries a field or a few: one entry is kept
/// inline, so `custom_span("step").field("i", 1)` costs no allocation for its data (a
/// `&'static str` key and a number, a bool or `null`: a string value or an owned key
/// allocates as it would anywhere), where a [`JsonMap`] costs three with `preserve-order`
/// (its entries, its index and the key); up to 16 entries take one more allocation (a
/// list); more are moved into a [`JsonMap`]. A [`JsonMap`] given whole (`From<JsonMap>`,
/// what [`data`](crate::SpanBuilder::data) stores) is kept as it is. Every form keeps the
/// same order, and so does every conversion: `From<JsonMap>`, [`into_map`](Self::into_map)
/// and `FromIterator`.
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
    /// No entry or one, inline: a new map, until a second entry.
    One(Option<(Name, Value)>),
    /// Up to [`LIST_MAX`] entries, in order: from a second entry on (removing entries
    /// leaves it a list).
    List(Vec<(Name, Value)>),
    /// A map given whole, or one that grew past [`LIST_MAX`] entries.
    Map(JsonMap),
}

impl DataMap {
    /// An empty map (no allocation).
    pub const fn new() -> Self {
        DataMap(Repr::One(None))
    }

    /// How many entries the map holds.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::One(e) => usize::from(e.is_some()),
            Repr::List(v) => v.len(),
            Repr::Map(m) => m.len(),
        }
    }

    /// Whether the map holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries kept as a list (inline or not), or the [`JsonMap`].
    fn parts(&self) -> (&[(Name, Value)], Option<&JsonMap>) {
        match &self.0 {
            Repr::One(e) => (e.as_slice(), None),
            Repr::List(v) => (v, None),
            Repr::Map(m) => (&[], Some(m)),
        }
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self.parts() {
            (_, Some(m)) => m.get(key),
            (list, None) => list.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        }
    }

    /// The value under `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let list = match &mut self.0 {
            Repr::One(e) => e.as_mut_slice(),
            Repr::List(v) => v.as_mut_slice(),
            Repr::Map(m) => return m.get_mut(key),
        };
        list.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
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
            Repr::One(e @ None) => *e = Some((key, value)),
            Repr::One(e) => {
                let mut list = Vec::with_capacity(4);
                list.extend(e.take());
                list.insert(slot_for(&list, &key), (key, value));
                self.0 = Repr::List(list);
            }
            Repr::List(v) if v.len() < LIST_MAX => v.insert(slot_for(v, &key), (key, value)),
            Repr::List(_) => {
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
            Repr::One(e) => match e {
                Some((k, _)) if k == key => e.take().map(|(_, v)| v),
                _ => None,
            },
            Repr::List(list) => {
                let i = list.iter().position(|(k, _)| k == key)?;
                Some(list.remove(i).1)
            }
            Repr::Map(m) => remove_in_order(m, key),
        }
    }

    /// Keeps the entries for which `keep` says `true`, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value) -> bool) {
        match &mut self.0 {
            Repr::One(e) => {
                if e.as_mut().is_some_and(|(k, v)| !keep(k, v)) {
                    *e = None;
                }
            }
            Repr::List(list) => list.retain_mut(|(k, v)| keep(k, v)),
            Repr::Map(m) => m.retain(|k, v| keep(k, v)),
        }
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + '_ {
        let (list, map) = self.parts();
        Iter { list: list.iter(), map: map.map(JsonMap::iter) }
    }

    /// The entries, in order, values mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value)> + '_ {
        let (list, map) = match &mut self.0 {
            Repr::One(e) => (e.as_mut_slice(), None),
            Repr::List(v) => (v.as_mut_slice(), None),
            Repr::Map(m) => (&mut [][..], Some(m.iter_mut())),
        };
        list.iter_mut().map(|(k, v)| (&**k, v)).chain(map.into_iter().flatten().map(|(k, v)| (k.as_str(), v)))
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
            Repr::One(e) => e.into_iter().map(|(k, v)| (k.into_owned(), v)).collect(),
            Repr::List(list) => list.into_iter().map(|(k, v)| (k.into_owned(), v)).collect(),
            Repr::Map(m) => m,
        }
    }
}

impl CloneBounded for DataMap {
    /// A copy made without deep recursion, whatever the nesting of the values.
    fn clone_bounded(&self) -> Self {
        let entry = |(k, v): &(Name, Value)| (k.clone(), clone_json(v));
        DataMap(match &self.0 {
            Repr::One(e) => Repr::One(e.as_ref().map(entry)),
            Repr::List(list) => Repr::List(list.iter().map(entry).collect()),
            Repr::Map(m) => Repr::Map(clone_map(m)),
        })
    }
}

/// The entries of a [`DataMap`], borrowed, in order.
struct Iter<'a> {
    list: std::slice::Iter<'a, (Name, Value)>,
    map: Option<serde_json::map::Iter<'a>>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.map {
            Some(m) => m.next().map(|(k, v)| (k.as_str(), v)),
            None => self.list.next().map(|(k, v)| (&**k, v)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.map.as_ref().map_or(self.list.len(), ExactSizeIterator::len);
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

    /// The order a [`JsonMap`] gives the same keys: insertion order with `preserve-order`,
    /// sorted without.
    fn reference_order<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        keys.into_iter().map(|k| (k.to_owned(), Value::Null)).collect::<JsonMap>().into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn inline_then_list_then_map_keep_the_order_of_a_json_map() {
        let mut d = DataMap::new();
        let keys: Vec<String> = (0..LIST_MAX + 4).map(|i| format!("k{}", (i * 7) % 23)).collect();
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(d.insert(key.clone(), i), None);
            assert_eq!(d.len(), i + 1);
            match i + 1 {
                1 => assert!(matches!(d.0, Repr::One(Some(_)))),
                2..=LIST_MAX => assert!(matches!(d.0, Repr::List(_))),
                _ => assert!(matches!(d.0, Repr::Map(_))),
            }
            assert!(d.keys().eq(reference_order(keys[..=i].iter().map(String::as_str))));
            assert_eq!(d.get(key), Some(&Value::from(i)));
        }
        if cfg!(feature = "preserve-order") {
            let text = crate::wire::to_json_string(&d).unwrap();
            assert!(text.starts_with(r#"{"k0":0,"k7":1,"k14":2,"#), "{text}");
        }
    }

    #[test]
    fn a_key_set_twice_keeps_its_place_and_returns_the_old_value() {
        for n in [1, 3, LIST_MAX + 2] {
            let mut d: DataMap = (0..n).map(|i| (format!("k{i}"), i)).collect();
            assert_eq!(d.insert("k0", "again"), Some(json!(0)));
            assert_eq!(d.len(), n);
            assert_eq!(d.iter().next(), Some(("k0", &json!("again"))));
        }
    }

    #[test]
    fn remove_and_retain_keep_the_order_of_the_rest() {
        for n in [2, 5, LIST_MAX + 3] {
            let mut d: DataMap = (0..n).map(|i| (format!("k{i}"), i)).collect();
            assert_eq!(d.remove("k0"), Some(json!(0)));
            assert_eq!(d.remove("k0"), None);
            assert_eq!(d.keys().next(), Some("k1"));
            d.insert("last", true);
            d.retain(|k, _| k != "k1");
            let mut want: Vec<String> = (2..n).map(|i| format!("k{i}")).collect();
            want.push("last".to_owned());
            assert!(d.keys().eq(reference_order(want.iter().map(String::as_str))));
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
            assert_eq!(rebuilt.clone_bounded(), d);
            assert_eq!(rebuilt.into_map(), m);
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
        for n in [1, 3, LIST_MAX + 1] {
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
