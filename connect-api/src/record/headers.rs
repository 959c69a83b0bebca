//! Typed record [`Headers`].

use crate::data::{Schema, SchemaAndValue, Value};

/// One header: a key and a value with an optional schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Header {
    key: String,
    schema: Option<Schema>,
    value: Value,
}

impl Header {
    /// A header.
    pub fn new(key: impl Into<String>, schema: Option<Schema>, value: Value) -> Self {
        Header { key: key.into(), schema, value }
    }

    /// The header's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value's schema, if known.
    pub fn schema(&self) -> Option<&Schema> {
        self.schema.as_ref()
    }

    /// The value.
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// The ordered headers of a record; a key may appear more than once.
///
/// ```
/// use connect_api::record::Headers;
/// use connect_api::data::Value;
///
/// let mut h = Headers::new();
/// h.add_string("source", "db1").add_int64("ingested", 17).add_string("source", "db2");
/// assert_eq!(h.last_with_name("source").map(|x| x.value()), Some(&Value::from("db2")));
/// assert_eq!(h.all_with_name("source").count(), 2);
/// h.remove("source");
/// assert_eq!(h.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    /// Appends a header.
    pub fn add(&mut self, key: impl Into<String>, value: SchemaAndValue) -> &mut Self {
        self.0.push(Header::new(key, value.schema, value.value));
        self
    }

    /// Appends a header with a value and its schema.
    pub fn add_with_schema(
        &mut self,
        key: impl Into<String>,
        schema: Option<Schema>,
        value: Value,
    ) -> &mut Self {
        self.0.push(Header::new(key, schema, value));
        self
    }

    /// Appends a STRING header.
    pub fn add_string(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.add_with_schema(key, Some(Schema::string()), Value::String(value.into()))
    }

    /// Appends an INT32 header.
    pub fn add_int32(&mut self, key: impl Into<String>, value: i32) -> &mut Self {
        self.add_with_schema(key, Some(Schema::int32()), Value::Int32(value))
    }

    /// Appends an INT64 header.
    pub fn add_int64(&mut self, key: impl Into<String>, value: i64) -> &mut Self {
        self.add_with_schema(key, Some(Schema::int64()), Value::Int64(value))
    }

    /// Appends a BOOLEAN header.
    pub fn add_bool(&mut self, key: impl Into<String>, value: bool) -> &mut Self {
        self.add_with_schema(key, Some(Schema::boolean()), Value::Boolean(value))
    }

    /// Appends a BYTES header.
    pub fn add_bytes(&mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) -> &mut Self {
        self.add_with_schema(key, Some(Schema::bytes()), Value::Bytes(value.into()))
    }

    /// The last header with the given key.
    pub fn last_with_name(&self, key: &str) -> Option<&Header> {
        self.0.iter().rev().find(|h| h.key == key)
    }

    /// Every header with the given key, in order.
    pub fn all_with_name<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Header> + 'a {
        self.0.iter().filter(move |h| h.key == key)
    }

    /// Removes every header with the given key.
    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.0.retain(|h| h.key != key);
        self
    }

    /// Keeps only the last header of each key.
    pub fn retain_latest(&mut self) -> &mut Self {
        let mut seen = std::collections::HashSet::new();
        let mut kept: Vec<Header> = Vec::with_capacity(self.0.len());
        for h in self.0.drain(..).rev() {
            if seen.insert(h.key.clone()) {
                kept.push(h);
            }
        }
        kept.reverse();
        self.0 = kept;
        self
    }

    /// Removes every header.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The number of headers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no headers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The headers in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<T: IntoIterator<Item = Header>>(iter: T) -> Self {
        Headers(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retain_latest_keeps_the_last_of_each_key_in_order() {
        let mut h = Headers::new();
        h.add_int32("a", 1).add_int32("b", 2).add_int32("a", 3);
        h.retain_latest();
        let got: Vec<(&str, &Value)> = h.iter().map(|x| (x.key(), x.value())).collect();
        assert_eq!(got, vec![("b", &Value::Int32(2)), ("a", &Value::Int32(3))]);
    }
}
