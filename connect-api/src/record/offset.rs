//! Source partitions and source offsets: small maps of primitive values that serialize
//! deterministically, and [`TopicPartition`].

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::error::{ConnectError, Result};

/// One value of an [`OffsetMap`]: Kafka Connect allows only primitives there.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OffsetValue {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (Java's `Long`, `Integer`, `Short` or `Byte`).
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    String(String),
}

impl OffsetValue {
    fn rank(&self) -> u8 {
        match self {
            OffsetValue::Null => 0,
            OffsetValue::Bool(_) => 1,
            OffsetValue::Int(_) => 2,
            OffsetValue::Float(_) => 3,
            OffsetValue::String(_) => 4,
        }
    }

    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            OffsetValue::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            OffsetValue::String(s) => Some(s),
            _ => None,
        }
    }
}

impl PartialEq for OffsetValue {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for OffsetValue {}

impl PartialOrd for OffsetValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OffsetValue {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (OffsetValue::Bool(a), OffsetValue::Bool(b)) => a.cmp(b),
            (OffsetValue::Int(a), OffsetValue::Int(b)) => a.cmp(b),
            (OffsetValue::Float(a), OffsetValue::Float(b)) => a.total_cmp(b),
            (OffsetValue::String(a), OffsetValue::String(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Hash for OffsetValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            OffsetValue::Null => {}
            OffsetValue::Bool(b) => b.hash(state),
            OffsetValue::Int(i) => i.hash(state),
            OffsetValue::Float(f) => f.to_bits().hash(state),
            OffsetValue::String(s) => s.hash(state),
        }
    }
}

macro_rules! offset_from {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl From<$t> for OffsetValue {
            fn from($v: $t) -> Self { $e }
        })*
    };
}

offset_from! {
    bool => |v| OffsetValue::Bool(v),
    i32 => |v| OffsetValue::Int(v.into()),
    i64 => |v| OffsetValue::Int(v),
    u32 => |v| OffsetValue::Int(v.into()),
    f64 => |v| OffsetValue::Float(v),
    String => |v| OffsetValue::String(v),
    &str => |v| OffsetValue::String(v.to_string()),
}

/// A source partition or a source offset: string keys to primitive values.
///
/// Keys are kept sorted, so the JSON form is the same for equal maps whatever order the
/// entries were inserted in; that JSON is what offset stores write, in Kafka Connect's
/// format (`{"filename":"/tmp/in.txt"}` → `{"position":1024}`).
///
/// ```
/// use connect_api::record::OffsetMap;
///
/// let a = OffsetMap::new().with("table", "orders").with("schema", "public");
/// let b = OffsetMap::new().with("schema", "public").with("table", "orders");
/// assert_eq!(a.to_json_string(), b.to_json_string());
/// assert_eq!(a.to_json_string(), r#"{"schema":"public","table":"orders"}"#);
/// let offset = OffsetMap::new().with("position", 1024i64);
/// assert_eq!(offset.get_i64("position"), Some(1024));
/// ```
// Entries sorted by key in a vector: offsets have one to a few entries, so this is one
// small allocation per map (a B-tree allocates a node of eleven slots), and equality,
// hashing and ordering follow the sorted entries as a `BTreeMap`'s would.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OffsetMap(Vec<(Cow<'static, str>, OffsetValue)>);

impl fmt::Debug for OffsetMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for OffsetMap {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k.as_ref(), v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OffsetMap {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let entries = BTreeMap::<String, OffsetValue>::deserialize(deserializer)?;
        Ok(OffsetMap(entries.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect()))
    }
}

impl OffsetMap {
    /// An empty map.
    pub fn new() -> Self {
        OffsetMap(Vec::new())
    }

    fn find(&self, key: &str) -> std::result::Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }

    /// Adds an entry and returns the map. A `&'static str` key (the usual constant field
    /// name) is stored without an allocation.
    pub fn with(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<OffsetValue>,
    ) -> Self {
        self.insert(key, value);
        self
    }

    /// Adds or replaces an entry.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<OffsetValue>) {
        let key = key.into();
        match self.find(&key) {
            Ok(i) => self.0[i].1 = value.into(),
            Err(i) => {
                // Most maps hold one entry: do not let the vector round up to four.
                self.0.reserve_exact(1);
                self.0.insert(i, (key, value.into()))
            }
        }
    }

    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&OffsetValue> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }
    /// The integer value of a key.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(OffsetValue::as_i64)
    }

    /// The string value of a key.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(OffsetValue::as_str)
    }

    /// The entries, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &OffsetValue)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The deterministic JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| {
                    let j = match v {
                        OffsetValue::Null => serde_json::Value::Null,
                        OffsetValue::Bool(b) => (*b).into(),
                        OffsetValue::Int(i) => (*i).into(),
                        OffsetValue::Float(f) => serde_json::Number::from_f64(*f)
                            .map_or(serde_json::Value::Null, serde_json::Value::Number),
                        OffsetValue::String(s) => s.clone().into(),
                    };
                    (k.to_string(), j)
                })
                .collect(),
        )
    }

    /// The deterministic JSON text.
    pub fn to_json_string(&self) -> String {
        self.to_json().to_string()
    }

    /// Reads a JSON object of primitives; nested objects or arrays are rejected with
    /// Kafka Connect's message.
    pub fn from_json(value: &serde_json::Value) -> Result<OffsetMap> {
        let obj = value.as_object().ok_or_else(|| {
            ConnectError::data(format!("Offsets must be specified as a Map, got {value}"))
        })?;
        let mut map = OffsetMap::new();
        for (k, v) in obj {
            let ov = match v {
                serde_json::Value::Null => OffsetValue::Null,
                serde_json::Value::Bool(b) => OffsetValue::Bool(*b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => OffsetValue::Int(i),
                    None => OffsetValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                },
                serde_json::Value::String(s) => OffsetValue::String(s.clone()),
                other => {
                    return Err(ConnectError::data(format!(
                        "Offsets may only contain primitive types as values, but field {k} contains {other}"
                    )));
                }
            };
            map.insert(k.clone(), ov);
        }
        Ok(map)
    }
}

impl FromIterator<(String, OffsetValue)> for OffsetMap {
    fn from_iter<T: IntoIterator<Item = (String, OffsetValue)>>(iter: T) -> Self {
        let mut map = OffsetMap::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

/// A Kafka topic partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TopicPartition {
    /// The topic.
    pub topic: String,
    /// The partition number.
    pub partition: i32,
}

impl TopicPartition {
    /// A topic partition.
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition { topic: topic.into(), partition }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// The offset a sink task wants committed for a partition, with optional metadata.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OffsetAndMetadata {
    /// The next offset to consume (one past the last processed record).
    pub offset: i64,
    /// Free-form metadata stored with the commit.
    pub metadata: Option<String>,
}

impl OffsetAndMetadata {
    /// An offset without metadata.
    pub fn new(offset: i64) -> Self {
        OffsetAndMetadata { offset, metadata: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn offset_value() -> impl Strategy<Value = OffsetValue> {
        prop_oneof![
            Just(OffsetValue::Null),
            any::<bool>().prop_map(OffsetValue::Bool),
            any::<i64>().prop_map(OffsetValue::Int),
            (-1e12f64..1e12).prop_map(OffsetValue::Float),
            "[a-z/._-]{0,12}".prop_map(OffsetValue::String),
        ]
    }

    proptest! {
        #[test]
        fn offsets_serialize_the_same_whatever_the_insertion_order(
            entries in proptest::collection::vec(("[a-z]{1,6}", offset_value()), 0..8)
        ) {
            let mut forward = OffsetMap::new();
            for (k, v) in &entries {
                forward.insert(k.clone(), v.clone());
            }
            // Later duplicates win in both maps, so insert the reverse in an order that
            // keeps the same winner: dedupe first.
            let mut dedup: BTreeMap<String, OffsetValue> = BTreeMap::new();
            for (k, v) in &entries {
                dedup.insert(k.clone(), v.clone());
            }
            let mut backward = OffsetMap::new();
            for (k, v) in dedup.iter().rev() {
                backward.insert(k.clone(), v.clone());
            }
            prop_assert_eq!(forward.to_json_string(), backward.to_json_string());
            prop_assert_eq!(serde_json::to_string(&forward).unwrap(), forward.to_json_string());
            let back = OffsetMap::from_json(&forward.to_json()).unwrap();
            prop_assert_eq!(back, forward);
        }
    }

    #[test]
    fn nested_offsets_are_rejected() {
        let err = OffsetMap::from_json(&serde_json::json!({"a": {"b": 1}})).unwrap_err();
        assert!(err.message().contains("primitive types"));
        assert!(OffsetMap::from_json(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn integers_and_floats_stay_apart() {
        let m = OffsetMap::from_json(&serde_json::json!({"i": 3, "f": 3.5})).unwrap();
        assert_eq!(m.get("i"), Some(&OffsetValue::Int(3)));
        assert_eq!(m.get("f"), Some(&OffsetValue::Float(3.5)));
        let parsed: OffsetMap = serde_json::from_str(r#"{"i":3,"s":"x","n":null}"#).unwrap();
        assert_eq!(parsed.get_i64("i"), Some(3));
        assert_eq!(parsed.get("n"), Some(&OffsetValue::Null));
    }
}
