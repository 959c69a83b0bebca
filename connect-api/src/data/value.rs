//! [`Value`]: a runtime value of any Connect schema, and [`SchemaAndValue`].

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::data::logical::{Date, Decimal, Time, Timestamp};
use crate::data::{Schema, Struct, Type};

/// A value of a Connect schema.
///
/// Primitive variants map one to one to the schema [`Type`]s. The logical types carry
/// their own variants ([`Decimal`], [`Date`], [`Time`], [`Timestamp`]), as Kafka Connect
/// carries `BigDecimal` and `java.util.Date` for them; their wire form (BYTES, INT32,
/// INT64) is produced by converters through [`crate::data::logical`].
///
/// Floats compare and hash by their bit pattern, so `Value` is `Eq` and `Hash` and a
/// `NaN` equals itself, as `Double.equals` does in Java.
#[derive(Clone, Default)]
pub enum Value {
    /// Absent value (Java's `null`).
    #[default]
    Null,
    /// INT8 value.
    Int8(i8),
    /// INT16 value.
    Int16(i16),
    /// INT32 value.
    Int32(i32),
    /// INT64 value.
    Int64(i64),
    /// FLOAT32 value.
    Float32(f32),
    /// FLOAT64 value.
    Float64(f64),
    /// BOOLEAN value.
    Boolean(bool),
    /// STRING value.
    String(String),
    /// BYTES value.
    Bytes(Vec<u8>),
    /// ARRAY value.
    Array(Vec<Value>),
    /// MAP value, as key/value pairs in insertion order (keys may be of any schema).
    Map(Vec<(Value, Value)>),
    /// STRUCT value.
    Struct(Struct),
    /// Decimal logical value (schema type BYTES, name `org.apache.kafka.connect.data.Decimal`).
    Decimal(Decimal),
    /// Date logical value (schema type INT32, name `org.apache.kafka.connect.data.Date`).
    Date(Date),
    /// Time logical value (schema type INT32, name `org.apache.kafka.connect.data.Time`).
    Time(Time),
    /// Timestamp logical value (schema type INT64, name `org.apache.kafka.connect.data.Timestamp`).
    Timestamp(Timestamp),
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A short name of the variant, for error messages (`"INT32"`, `"Decimal"`, `"null"`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int8(_) => "INT8",
            Value::Int16(_) => "INT16",
            Value::Int32(_) => "INT32",
            Value::Int64(_) => "INT64",
            Value::Float32(_) => "FLOAT32",
            Value::Float64(_) => "FLOAT64",
            Value::Boolean(_) => "BOOLEAN",
            Value::String(_) => "STRING",
            Value::Bytes(_) => "BYTES",
            Value::Array(_) => "ARRAY",
            Value::Map(_) => "MAP",
            Value::Struct(_) => "STRUCT",
            Value::Decimal(_) => "Decimal",
            Value::Date(_) => "Date",
            Value::Time(_) => "Time",
            Value::Timestamp(_) => "Timestamp",
        }
    }

    /// The schema type of the value's physical form; `None` for null.
    pub fn physical_type(&self) -> Option<Type> {
        Some(match self {
            Value::Null => return None,
            Value::Int8(_) => Type::Int8,
            Value::Int16(_) => Type::Int16,
            Value::Int32(_) | Value::Date(_) | Value::Time(_) => Type::Int32,
            Value::Int64(_) | Value::Timestamp(_) => Type::Int64,
            Value::Float32(_) => Type::Float32,
            Value::Float64(_) => Type::Float64,
            Value::Boolean(_) => Type::Boolean,
            Value::String(_) => Type::String,
            Value::Bytes(_) | Value::Decimal(_) => Type::Bytes,
            Value::Array(_) => Type::Array,
            Value::Map(_) => Type::Map,
            Value::Struct(_) => Type::Struct,
        })
    }

    /// The integer of any integer variant, widened to `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int8(v) => Some(v.into()),
            Value::Int16(v) => Some(v.into()),
            Value::Int32(v) => Some(v.into()),
            Value::Int64(v) => Some(v),
            _ => None,
        }
    }

    /// The INT32 value.
    pub fn as_i32(&self) -> Option<i32> {
        match *self {
            Value::Int32(v) => Some(v),
            _ => None,
        }
    }

    /// The number of any numeric variant as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float32(v) => Some(v.into()),
            Value::Float64(v) => Some(v),
            _ => self.as_i64().map(|v| v as f64),
        }
    }

    /// The BOOLEAN value.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Boolean(v) => Some(v),
            _ => None,
        }
    }

    /// The STRING value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The BYTES value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The ARRAY elements.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The MAP entries.
    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The STRUCT value.
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a MAP entry whose key equals `key`.
    pub fn map_get(&self, key: &Value) -> Option<&Value> {
        self.as_map()?.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) => true,
            (Int8(a), Int8(b)) => a == b,
            (Int16(a), Int16(b)) => a == b,
            (Int32(a), Int32(b)) => a == b,
            (Int64(a), Int64(b)) => a == b,
            (Float32(a), Float32(b)) => a.to_bits() == b.to_bits(),
            (Float64(a), Float64(b)) => a.to_bits() == b.to_bits(),
            (Boolean(a), Boolean(b)) => a == b,
            (String(a), String(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Struct(a), Struct(b)) => a == b,
            (Decimal(a), Decimal(b)) => a == b,
            (Date(a), Date(b)) => a == b,
            (Time(a), Time(b)) => a == b,
            (Timestamp(a), Timestamp(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Value::Null => {}
            Value::Int8(v) => v.hash(state),
            Value::Int16(v) => v.hash(state),
            Value::Int32(v) => v.hash(state),
            Value::Int64(v) => v.hash(state),
            Value::Float32(v) => v.to_bits().hash(state),
            Value::Float64(v) => v.to_bits().hash(state),
            Value::Boolean(v) => v.hash(state),
            Value::String(v) => v.hash(state),
            Value::Bytes(v) => v.hash(state),
            Value::Array(v) => v.hash(state),
            Value::Map(v) => v.hash(state),
            Value::Struct(v) => v.hash(state),
            Value::Decimal(v) => v.hash(state),
            Value::Date(v) => v.hash(state),
            Value::Time(v) => v.hash(state),
            Value::Timestamp(v) => v.hash(state),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Int8(v) => write!(f, "{v}i8"),
            Value::Int16(v) => write!(f, "{v}i16"),
            Value::Int32(v) => write!(f, "{v}i32"),
            Value::Int64(v) => write!(f, "{v}i64"),
            Value::Float32(v) => write!(f, "{v:?}f32"),
            Value::Float64(v) => write!(f, "{v:?}f64"),
            Value::Boolean(v) => write!(f, "{v}"),
            Value::String(v) => write!(f, "{v:?}"),
            Value::Bytes(v) => write!(f, "bytes[{}]", v.len()),
            Value::Array(v) => f.debug_list().entries(v).finish(),
            Value::Map(v) => f.debug_map().entries(v.iter().map(|(k, v)| (k, v))).finish(),
            Value::Struct(v) => v.fmt(f),
            Value::Decimal(v) => write!(f, "Decimal({v})"),
            Value::Date(v) => write!(f, "{v:?}"),
            Value::Time(v) => write!(f, "{v:?}"),
            Value::Timestamp(v) => write!(f, "{v:?}"),
        }
    }
}

macro_rules! from_impls {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::$v(v) }
        })*
    };
}

from_impls! {
    i8 => Int8, i16 => Int16, i32 => Int32, i64 => Int64, f32 => Float32, f64 => Float64,
    bool => Boolean, String => String, Vec<u8> => Bytes, Vec<Value> => Array,
    Vec<(Value, Value)> => Map, Struct => Struct, Decimal => Decimal, Date => Date,
    Time => Time, Timestamp => Timestamp,
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_string())
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A value together with its (optional) schema, as converters produce and consume them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SchemaAndValue {
    /// The schema; `None` for schemaless data.
    pub schema: Option<Schema>,
    /// The value; [`Value::Null`] for null.
    pub value: Value,
}

impl SchemaAndValue {
    /// A value with a schema.
    pub fn new(schema: Option<Schema>, value: Value) -> Self {
        SchemaAndValue { schema, value }
    }

    /// The null value without a schema (Kafka's `SchemaAndValue.NULL`).
    pub fn null() -> Self {
        SchemaAndValue::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn floats_compare_and_hash_by_bits() {
        assert_eq!(Value::Float64(f64::NAN), Value::Float64(f64::NAN));
        assert_ne!(Value::Float64(0.0), Value::Float64(-0.0));
        let set: HashSet<Value> = [Value::Float32(1.5), Value::Float32(1.5)].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn conversions_pick_the_matching_variant() {
        assert_eq!(Value::from(3i16), Value::Int16(3));
        assert_eq!(Value::from("x"), Value::String("x".into()));
        assert_eq!(Value::from(None::<i32>), Value::Null);
        assert_eq!(Value::from(Some(5i64)).as_i64(), Some(5));
        assert_eq!(Value::Int8(4).as_f64(), Some(4.0));
        let m = Value::Map(vec![(Value::from("k"), Value::from(1i32))]);
        assert_eq!(m.map_get(&Value::from("k")), Some(&Value::Int32(1)));
    }
}
