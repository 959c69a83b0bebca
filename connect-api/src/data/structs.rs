//! [`Struct`]: a value of a STRUCT schema, with values held by field position.

use std::fmt;

use crate::data::logical::{Date, Decimal, Time, Timestamp};
use crate::data::validate::validate_value;
use crate::data::{Field, Schema, Type, Value};
use crate::error::{ConnectError, Result};

/// A value of a STRUCT schema.
///
/// Values are stored by field position; [`put`](Struct::put) checks each value against
/// its field's schema, [`validate`](Struct::validate) checks that every required field
/// is set. Getters return the field's default where the value is null, as Kafka does.
///
/// ```
/// use connect_api::data::{Schema, SchemaBuilder, Struct};
///
/// let schema = SchemaBuilder::struct_()
///     .field("name", Schema::string())
///     .field("age", Schema::int32())
///     .build()?;
/// let person = Struct::new(schema)?
///     .with("name", "Barbara Liskov")?
///     .with("age", 75)?;
/// person.validate()?;
/// assert_eq!(person.get_string("name")?, "Barbara Liskov");
/// assert_eq!(person.get_int32("age")?, 75);
/// assert!(person.clone().with("age", "old").is_err());
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Struct {
    schema: Schema,
    values: Vec<Value>,
}

impl Struct {
    /// An empty struct of a STRUCT schema (every field null).
    pub fn new(schema: Schema) -> Result<Struct> {
        if schema.schema_type() != Type::Struct {
            return Err(ConnectError::data(format!(
                "Not a struct schema: {}",
                schema.schema_type()
            )));
        }
        let values = vec![Value::Null; schema.fields().len()];
        Ok(Struct { schema, values })
    }

    /// The struct's schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The raw values by field position (null where unset, defaults not applied).
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    fn lookup(&self, name: &str) -> Result<&Field> {
        self.schema
            .field(name)
            .ok_or_else(|| ConnectError::data(format!("{name} is not a valid field name")))
    }

    /// Sets a field, checking the value against the field's schema.
    pub fn put(&mut self, name: &str, value: impl Into<Value>) -> Result<&mut Self> {
        let value = value.into();
        let field = self.lookup(name)?;
        validate_value(Some(field.name()), field.schema(), &value)?;
        let index = field.index();
        self.values[index] = value;
        Ok(self)
    }

    /// Sets a field by position, checking the value against the field's schema.
    pub fn put_at(&mut self, index: usize, value: impl Into<Value>) -> Result<&mut Self> {
        let value = value.into();
        let field = self
            .schema
            .fields()
            .get(index)
            .ok_or_else(|| ConnectError::data(format!("field index {index} out of range")))?;
        validate_value(Some(field.name()), field.schema(), &value)?;
        self.values[index] = value;
        Ok(self)
    }

    /// Sets a field and returns the struct, for chained construction.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Result<Self> {
        self.put(name, value)?;
        Ok(self)
    }

    /// Checks that every required field without a default has a value, and that every
    /// value fits its field.
    pub fn validate(&self) -> Result<()> {
        for field in self.schema.fields() {
            let value = &self.values[field.index()];
            if value.is_null()
                && (field.schema().is_optional() || field.schema().default_value().is_some())
            {
                continue;
            }
            validate_value(Some(field.name()), field.schema(), value)?;
        }
        Ok(())
    }

    /// The value of a field, or its default when null.
    pub fn get(&self, name: &str) -> Result<&Value> {
        let field = self.lookup(name)?;
        Ok(self.value_or_default(field))
    }

    /// The value of a field by position, or its default when null.
    pub fn get_at(&self, index: usize) -> Result<&Value> {
        let field = self
            .schema
            .fields()
            .get(index)
            .ok_or_else(|| ConnectError::data(format!("field index {index} out of range")))?;
        Ok(self.value_or_default(field))
    }

    /// The value of a field as set, without applying its default.
    pub fn get_without_default(&self, name: &str) -> Result<&Value> {
        let field = self.lookup(name)?;
        Ok(&self.values[field.index()])
    }

    fn value_or_default<'a>(&'a self, field: &'a Field) -> &'a Value {
        let v = &self.values[field.index()];
        match (v, field.schema().default_value()) {
            (Value::Null, Some(d)) => d,
            _ => v,
        }
    }

    fn typed<'a, T>(
        &'a self,
        name: &str,
        expected: &str,
        pick: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<T> {
        let v = self.get(name)?;
        if v.is_null() {
            return Err(ConnectError::data(format!("field \"{name}\" is null")));
        }
        pick(v).ok_or_else(|| {
            ConnectError::data(format!(
                "field \"{name}\" is not of type {expected} but {}",
                v.kind_name()
            ))
        })
    }
}

macro_rules! typed_getters {
    ($($fn:ident -> $t:ty, $variant:ident, $expected:literal;)*) => {
        impl Struct {
            $(
                #[doc = concat!("The ", $expected, " value of a field; an error if null or of another type.")]
                pub fn $fn(&self, name: &str) -> Result<$t> {
                    self.typed(name, $expected, |v| match v {
                        Value::$variant(x) => Some(x.clone()),
                        _ => None,
                    })
                }
            )*
        }
    };
}

typed_getters! {
    get_int8 -> i8, Int8, "INT8";
    get_int16 -> i16, Int16, "INT16";
    get_int32 -> i32, Int32, "INT32";
    get_int64 -> i64, Int64, "INT64";
    get_float32 -> f32, Float32, "FLOAT32";
    get_float64 -> f64, Float64, "FLOAT64";
    get_boolean -> bool, Boolean, "BOOLEAN";
    get_decimal -> Decimal, Decimal, "Decimal";
    get_date -> Date, Date, "Date";
    get_time -> Time, Time, "Time";
    get_timestamp -> Timestamp, Timestamp, "Timestamp";
}

impl Struct {
    /// The STRING value of a field.
    pub fn get_string(&self, name: &str) -> Result<&str> {
        self.typed(name, "STRING", Value::as_str)
    }

    /// The BYTES value of a field.
    pub fn get_bytes(&self, name: &str) -> Result<&[u8]> {
        self.typed(name, "BYTES", Value::as_bytes)
    }

    /// The ARRAY value of a field.
    pub fn get_array(&self, name: &str) -> Result<&[Value]> {
        self.typed(name, "ARRAY", Value::as_array)
    }

    /// The MAP value of a field.
    pub fn get_map(&self, name: &str) -> Result<&[(Value, Value)]> {
        self.typed(name, "MAP", Value::as_map)
    }

    /// The STRUCT value of a field.
    pub fn get_struct(&self, name: &str) -> Result<&Struct> {
        self.typed(name, "STRUCT", Value::as_struct)
    }
}

impl fmt::Debug for Struct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Struct{")?;
        let mut first = true;
        for field in self.schema.fields() {
            let v = &self.values[field.index()];
            if v.is_null() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{}={v:?}", field.name())?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SchemaBuilder;

    fn person() -> Schema {
        SchemaBuilder::struct_()
            .name("Person")
            .field("name", Schema::string())
            .field("age", Schema::optional_int32())
            .field("admin", SchemaBuilder::boolean().default_value(false).build().unwrap())
            .field("tags", SchemaBuilder::array(Schema::string()).build().unwrap())
            .field("born", Date::schema())
            .build()
            .unwrap()
    }

    #[test]
    fn put_checks_the_value_against_the_field_schema() {
        let mut s = Struct::new(person()).unwrap();
        let err = s.put("age", "ten").unwrap_err();
        assert!(err.message().contains("\"age\""), "{}", err.message());
        assert!(
            s.put("nope", 1i32).unwrap_err().message().contains("nope is not a valid field name")
        );
        assert!(s.put("tags", vec![Value::from(1i32)]).is_err());
        assert!(s.put("born", 5i32).unwrap_err().message().contains("Date"));
        s.put("born", Date(5)).unwrap();
        assert_eq!(s.get_date("born").unwrap(), Date(5));
    }

    #[test]
    fn validate_names_the_missing_required_field() {
        let mut s = Struct::new(person()).unwrap();
        s.put("name", "x").unwrap();
        let err = s.validate().unwrap_err();
        assert!(err.message().contains("required field: \"tags\""), "{}", err.message());
        s.put("tags", Vec::<Value>::new()).unwrap().put("born", Date(0)).unwrap();
        s.validate().unwrap();
    }

    #[test]
    fn getters_apply_defaults_and_check_types() {
        let s = Struct::new(person()).unwrap().with("name", "n").unwrap();
        assert!(!s.get_boolean("admin").unwrap());
        assert!(s.get_without_default("admin").unwrap().is_null());
        assert!(s.get_int32("age").unwrap_err().message().contains("is null"));
        assert!(s.get_int64("name").unwrap_err().message().contains("not of type INT64"));
        assert_eq!(s.get_at(0).unwrap(), &Value::from("n"));
    }

    proptest::proptest! {
        /// A struct's equality, hash and Debug form depend on its values only, not on
        /// the order fields were set in.
        #[test]
        fn values_are_the_same_whatever_the_put_order(
            name in "[a-z]{0,8}", age in proptest::option::of(proptest::num::i32::ANY), tags in proptest::collection::vec("[a-z]{0,4}", 0..4)
        ) {
            use std::hash::{BuildHasher, RandomState};
            let tags: Vec<Value> = tags.into_iter().map(Value::from).collect();
            let forward = Struct::new(person()).unwrap()
                .with("name", name.as_str()).unwrap()
                .with("age", age).unwrap()
                .with("tags", tags.clone()).unwrap();
            let backward = Struct::new(person()).unwrap()
                .with("tags", tags).unwrap()
                .with("age", age).unwrap()
                .with("name", name.as_str()).unwrap();
            let hasher = RandomState::new();
            proptest::prop_assert_eq!(&forward, &backward);
            proptest::prop_assert_eq!(hasher.hash_one(&forward), hasher.hash_one(&backward));
            proptest::prop_assert_eq!(format!("{forward:?}"), format!("{backward:?}"));
        }
    }

    #[test]
    fn nested_struct_must_have_the_field_schema() {
        let inner = SchemaBuilder::struct_().field("a", Schema::int32()).build().unwrap();
        let other = SchemaBuilder::struct_().field("b", Schema::int32()).build().unwrap();
        let outer = SchemaBuilder::struct_().field("in", inner.clone()).build().unwrap();
        let mut s = Struct::new(outer).unwrap();
        let wrong = Struct::new(other).unwrap().with("b", 1i32).unwrap();
        assert!(s.put("in", wrong).unwrap_err().message().contains("Struct schemas do not match"));
        let right = Struct::new(inner).unwrap().with("a", 1i32).unwrap();
        s.put("in", right).unwrap();
        assert_eq!(s.get_struct("in").unwrap().get_int32("a").unwrap(), 1);
        assert!(Struct::new(Schema::int32()).is_err());
    }
}
