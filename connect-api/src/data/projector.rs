//! [`SchemaProjector`]: rewrites a value of one schema as a value of a compatible schema
//! (Kafka Connect's `SchemaProjector`).
//!
//! Projection is what a sink does when records written with an older or newer version of
//! a schema must be stored under the schema it currently writes: fields the target lacks
//! are dropped, fields the source lacks take the target's default (or null when
//! optional), and numbers are widened along INT8 → INT16 → INT32 → INT64 → FLOAT32 →
//! FLOAT64.

use std::collections::BTreeMap;

use crate::data::logical::LogicalType;
use crate::data::{Schema, Struct, Type, Value};
use crate::error::{ConnectError, Result};

/// Projects values from a source schema onto a compatible target schema.
///
/// Two schemas are *projectable* when, at every level the target describes:
///
/// - the types are equal, or the source type is a numeric type that widens to the target
///   type (INT8 → INT16 → INT32 → INT64 → FLOAT32 → FLOAT64, any earlier type to any
///   later one); logical types ([`Decimal`](crate::data::Decimal),
///   [`Date`](crate::data::Date), …) are never widened;
/// - the names are equal, and so are the parameters (a Decimal's `scale`, …);
/// - an optional source is not read into a required target that has no default;
/// - every required target field without a default exists in the source struct.
///
/// Versions and documentation are not compared.
///
/// ```
/// use connect_api::data::{Schema, SchemaBuilder, SchemaProjector, Struct, Value};
///
/// let v1 = SchemaBuilder::struct_()
///     .name("com.example.User")
///     .field("id", Schema::int32())
///     .field("nickname", Schema::string())
///     .build()?;
/// let v2 = SchemaBuilder::struct_()
///     .name("com.example.User")
///     .field("id", Schema::int64())
///     .field("active", SchemaBuilder::boolean().default_value(true).build()?)
///     .build()?;
/// let old = Struct::new(v1.clone())?.with("id", 7)?.with("nickname", "seven")?;
///
/// let projected = SchemaProjector::project(&v1, &Value::Struct(old), &v2)?;
/// let user = projected.as_struct().ok_or("not a struct")?;
/// assert_eq!(user.get_int64("id")?, 7);
/// assert!(user.get_boolean("active")?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SchemaProjector;

impl SchemaProjector {
    /// Projects `value`, a value of `source`, onto `target`.
    ///
    /// The schemas are checked first with [`check_projectable`](Self::check_projectable),
    /// so whether a projection succeeds depends on the schemas alone, never on the value
    /// (a null struct or an empty array does not hide an incompatibility). Then:
    ///
    /// - a null value becomes the target's default if it has one, else null if the
    ///   target is optional; a required target without default is an error;
    /// - a struct becomes a [`Struct`] of `target`: each target field is projected from
    ///   the source field of the same name (read with the source field's default
    ///   applied), or takes the target field's default, or null when optional; fields
    ///   only the source has are dropped;
    /// - array elements, map keys and map values are projected one by one;
    /// - numbers are widened (`Int8(3)` to INT64 is `Int64(3)`, `Int32` to FLOAT64 is
    ///   `Float64`); every other value, logical values included, passes through.
    ///
    /// # Errors
    ///
    /// An error of kind [`Schema`](crate::error::ErrorKind::Schema) when the schemas are
    /// not projectable or a null meets a required target without default; of kind
    /// [`Data`](crate::error::ErrorKind::Data) when `value` does not fit `source`. Errors
    /// below the top level name their place (`field 'address': field 'zip': …`).
    ///
    /// ```
    /// use connect_api::data::{Schema, SchemaBuilder, SchemaProjector, Value};
    ///
    /// let widened = SchemaProjector::project(&Schema::int8(), &Value::Int8(3), &Schema::int64())?;
    /// assert_eq!(widened, Value::Int64(3));
    ///
    /// let with_default = SchemaBuilder::string().default_value("n/a").build()?;
    /// let filled = SchemaProjector::project(&Schema::optional_string(), &Value::Null, &with_default)?;
    /// assert_eq!(filled, Value::from("n/a"));
    ///
    /// assert!(SchemaProjector::project(&Schema::int64(), &Value::Int64(3), &Schema::int32()).is_err());
    /// # Ok::<(), connect_api::error::ConnectError>(())
    /// ```
    pub fn project(source: &Schema, value: &Value, target: &Schema) -> Result<Value> {
        Self::check_projectable(source, target)?;
        project_checked(source, value, target)
    }

    /// Checks that every value of `source` can be projected onto `target`, recursing
    /// into struct fields, array elements and map keys and values.
    ///
    /// # Errors
    ///
    /// An error of kind [`Schema`](crate::error::ErrorKind::Schema) describing the first
    /// incompatibility found, prefixed with where it is (`field 'x': …`,
    /// `array element: …`, `map key: …`, `map value: …`).
    ///
    /// ```
    /// use connect_api::data::{Schema, SchemaBuilder, SchemaProjector};
    ///
    /// let v1 = SchemaBuilder::struct_().field("id", Schema::int32()).build()?;
    /// let v2 = SchemaBuilder::struct_()
    ///     .field("id", Schema::int32())
    ///     .field("email", Schema::string())
    ///     .build()?;
    /// // v1 data has no email, and v2 requires one without a default.
    /// let err = SchemaProjector::check_projectable(&v1, &v2).unwrap_err();
    /// assert!(err.message().contains("Required field `email` is missing from source schema"));
    /// // v2 data read as v1 just drops the email.
    /// SchemaProjector::check_projectable(&v2, &v1)?;
    /// # Ok::<(), connect_api::error::ConnectError>(())
    /// ```
    pub fn check_projectable(source: &Schema, target: &Schema) -> Result<()> {
        check_shallow(source, target)?;
        match target.schema_type() {
            Type::Struct => {
                for target_field in target.fields() {
                    let name = target_field.name();
                    let target_schema = target_field.schema();
                    match source.field(name) {
                        Some(source_field) => {
                            Self::check_projectable(source_field.schema(), target_schema)
                                .map_err(|e| e.context(format_args!("field '{name}'")))?;
                        }
                        None if can_be_absent(target_schema) => {}
                        None => return Err(missing_field(name)),
                    }
                }
                Ok(())
            }
            Type::Array => {
                let (source_elem, target_elem) = (element_schema(source)?, element_schema(target)?);
                Self::check_projectable(source_elem, target_elem)
                    .map_err(|e| e.context("array element"))
            }
            Type::Map => {
                let (source_key, source_value) = map_schemas(source)?;
                let (target_key, target_value) = map_schemas(target)?;
                Self::check_projectable(source_key, target_key)
                    .map_err(|e| e.context("map key"))?;
                Self::check_projectable(source_value, target_value)
                    .map_err(|e| e.context("map value"))
            }
            _ => Ok(()),
        }
    }
}

/// The position of a numeric type in the widening order, or `None` for other types.
fn numeric_rank(ty: Type) -> Option<u8> {
    match ty {
        Type::Int8 => Some(0),
        Type::Int16 => Some(1),
        Type::Int32 => Some(2),
        Type::Int64 => Some(3),
        Type::Float32 => Some(4),
        Type::Float64 => Some(5),
        _ => None,
    }
}

/// Whether values of type `from` widen to type `to` (strictly later in the order).
fn is_promotable(from: Type, to: Type) -> bool {
    matches!((numeric_rank(from), numeric_rank(to)), (Some(f), Some(t)) if f < t)
}

fn can_be_absent(schema: &Schema) -> bool {
    schema.is_optional() || schema.default_value().is_some()
}

fn missing_field(name: &str) -> ConnectError {
    ConnectError::schema(format!("Required field `{name}` is missing from source schema"))
}

fn format_parameters(parameters: &BTreeMap<String, String>) -> String {
    let entries: Vec<String> = parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", entries.join(", "))
}

/// The checks of one level: type, name, parameters and optionality.
fn check_shallow(source: &Schema, target: &Schema) -> Result<()> {
    let (source_type, target_type) = (source.schema_type(), target.schema_type());
    if source_type != target_type {
        if !is_promotable(source_type, target_type) {
            return Err(ConnectError::schema(format!(
                "Schema type mismatch. source type: {source_type} and target type: {target_type}"
            )));
        }
        if let Some(logical) = LogicalType::of(source).or_else(|| LogicalType::of(target)) {
            return Err(ConnectError::schema(format!(
                "Schema type mismatch. source type: {source_type} and target type: \
                 {target_type}; the {logical:?} logical type cannot be widened"
            )));
        }
    }
    if source.name() != target.name() {
        return Err(ConnectError::schema(format!(
            "Schema name mismatch. source name: {} and target name: {}",
            source.name().unwrap_or("null"),
            target.name().unwrap_or("null")
        )));
    }
    if source.parameters() != target.parameters() {
        return Err(ConnectError::schema(format!(
            "Schema parameters not equal. source parameters: {} and target parameters: {}",
            format_parameters(source.parameters()),
            format_parameters(target.parameters())
        )));
    }
    if source.is_optional() && !target.is_optional() && target.default_value().is_none() {
        return Err(ConnectError::schema(
            "Source schema is optional, but target schema is required without default",
        ));
    }
    Ok(())
}

fn element_schema(schema: &Schema) -> Result<&Schema> {
    schema
        .value_schema()
        .ok_or_else(|| ConnectError::schema(format!("{schema} has no element schema")))
}

fn map_schemas(schema: &Schema) -> Result<(&Schema, &Schema)> {
    match (schema.key_schema(), schema.value_schema()) {
        (Some(k), Some(v)) => Ok((k, v)),
        _ => Err(ConnectError::schema(format!("{schema} has no key or value schema"))),
    }
}

fn value_mismatch(source: &Schema, value: &Value) -> ConnectError {
    ConnectError::data(format!(
        "Cannot project a {} value: it does not fit the source schema {source}",
        value.kind_name()
    ))
}

/// Projects a value whose schemas already passed [`SchemaProjector::check_projectable`].
fn project_checked(source: &Schema, value: &Value, target: &Schema) -> Result<Value> {
    if value.is_null() {
        return match target.default_value() {
            Some(default) => Ok(default.clone()),
            None if target.is_optional() => Ok(Value::Null),
            None => Err(ConnectError::schema(format!(
                "Cannot project a null value onto the required schema {target} without default"
            ))),
        };
    }
    match target.schema_type() {
        Type::Struct => project_struct(source, value, target),
        Type::Array => {
            let Value::Array(items) = value else {
                return Err(value_mismatch(source, value));
            };
            let (source_elem, target_elem) = (element_schema(source)?, element_schema(target)?);
            let projected = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    project_checked(source_elem, item, target_elem)
                        .map_err(|e| e.context(format_args!("array element {i}")))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Value::Array(projected))
        }
        Type::Map => {
            let Value::Map(entries) = value else {
                return Err(value_mismatch(source, value));
            };
            let (source_key, source_value) = map_schemas(source)?;
            let (target_key, target_value) = map_schemas(target)?;
            let projected = entries
                .iter()
                .map(|(k, v)| {
                    let key = project_checked(source_key, k, target_key)
                        .map_err(|e| e.context("map key"))?;
                    let val = project_checked(source_value, v, target_value)
                        .map_err(|e| e.context(format_args!("map value of key {k:?}")))?;
                    Ok((key, val))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Value::Map(projected))
        }
        _ => project_primitive(source, value, target),
    }
}

fn project_struct(source: &Schema, value: &Value, target: &Schema) -> Result<Value> {
    let Value::Struct(source_struct) = value else {
        return Err(value_mismatch(source, value));
    };
    if source_struct.schema() != source {
        return Err(ConnectError::data(format!(
            "Cannot project a struct whose schema is not the source schema {source}"
        )));
    }
    let mut projected = Struct::new(target.clone())?;
    for target_field in target.fields() {
        let name = target_field.name();
        let target_schema = target_field.schema();
        let field_value = match source.field(name) {
            Some(source_field) => {
                let source_value = source_struct.get_at(source_field.index())?;
                project_checked(source_field.schema(), source_value, target_schema)
                    .map_err(|e| e.context(format_args!("field '{name}'")))?
            }
            None => match target_schema.default_value() {
                Some(default) => default.clone(),
                None if target_schema.is_optional() => Value::Null,
                None => return Err(missing_field(name)),
            },
        };
        projected
            .put_at(target_field.index(), field_value)
            .map_err(|e| e.context(format_args!("field '{name}'")))?;
    }
    Ok(Value::Struct(projected))
}

/// Whether a non-null value is a value of the primitive (or logical) schema `source`.
fn fits_primitive(source: &Schema, value: &Value) -> bool {
    match LogicalType::of(source) {
        Some(LogicalType::Decimal) => matches!(value, Value::Decimal(_)),
        Some(LogicalType::Date) => matches!(value, Value::Date(_)),
        Some(LogicalType::Time) => matches!(value, Value::Time(_)),
        Some(LogicalType::Timestamp) => matches!(value, Value::Timestamp(_)),
        None => {
            !matches!(
                value,
                Value::Decimal(_) | Value::Date(_) | Value::Time(_) | Value::Timestamp(_)
            ) && value.physical_type() == Some(source.schema_type())
        }
    }
}

fn project_primitive(source: &Schema, value: &Value, target: &Schema) -> Result<Value> {
    if !fits_primitive(source, value) {
        return Err(value_mismatch(source, value));
    }
    let target_type = target.schema_type();
    if source.schema_type() == target_type {
        return Ok(value.clone());
    }
    widen(value, target_type).ok_or_else(|| {
        ConnectError::schema(format!("Cannot widen a {} value to {target_type}", value.kind_name()))
    })
}

/// Converts a numeric value to a wider numeric type; `None` if that would narrow.
fn widen(value: &Value, target: Type) -> Option<Value> {
    if let Value::Float32(v) = value {
        return (target == Type::Float64).then(|| Value::Float64(f64::from(*v)));
    }
    let rank = numeric_rank(value.physical_type()?)?;
    if numeric_rank(target).is_none_or(|t| t <= rank) {
        return None;
    }
    // Every integer variant fits an i64, and widening never leaves the target's range.
    let n = value.as_i64()?;
    match target {
        Type::Int16 => i16::try_from(n).ok().map(Value::Int16),
        Type::Int32 => i32::try_from(n).ok().map(Value::Int32),
        Type::Int64 => Some(Value::Int64(n)),
        // Like Java's widening conversions, large integers round to the nearest float.
        Type::Float32 => Some(Value::Float32(n as f32)),
        Type::Float64 => Some(Value::Float64(n as f64)),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::SchemaProjector;
    use crate::data::logical::{Date, Decimal, Time, Timestamp};
    use crate::data::{Schema, SchemaBuilder, Struct, Type, Value};
    use crate::error::ErrorKind;
    use proptest::prelude::*;

    fn project(
        source: &Schema,
        value: impl Into<Value>,
        target: &Schema,
    ) -> crate::error::Result<Value> {
        SchemaProjector::project(source, &value.into(), target)
    }

    fn struct_of(fields: &[(&str, Schema)]) -> Schema {
        fields
            .iter()
            .fold(SchemaBuilder::struct_().name("test.Record"), |b, (n, s)| b.field(*n, s.clone()))
            .build()
            .unwrap()
    }

    fn schema_of(ty: Type) -> Schema {
        SchemaBuilder::new(ty).build().unwrap()
    }

    fn numeric_value(ty: Type) -> Value {
        match ty {
            Type::Int8 => Value::Int8(-3),
            Type::Int16 => Value::Int16(-3),
            Type::Int32 => Value::Int32(-3),
            Type::Int64 => Value::Int64(-3),
            Type::Float32 => Value::Float32(-3.0),
            Type::Float64 => Value::Float64(-3.0),
            other => panic!("not numeric: {other}"),
        }
    }

    const NUMERIC: [Type; 6] =
        [Type::Int8, Type::Int16, Type::Int32, Type::Int64, Type::Float32, Type::Float64];

    #[test]
    fn field_added_with_default_in_target_gets_the_default() {
        let v1 = struct_of(&[("id", Schema::int32())]);
        let v2 = struct_of(&[
            ("id", Schema::int32()),
            ("country", SchemaBuilder::string().default_value("NL").build().unwrap()),
            ("note", Schema::optional_string()),
        ]);
        let old = Struct::new(v1.clone()).unwrap().with("id", 1i32).unwrap();
        let out = project(&v1, old, &v2).unwrap();
        let out = out.as_struct().unwrap();
        assert_eq!(out.schema(), &v2);
        assert_eq!(out.get_without_default("country").unwrap(), &Value::from("NL"));
        assert_eq!(out.get("note").unwrap(), &Value::Null);
        assert_eq!(out.get_int32("id").unwrap(), 1);
        out.validate().unwrap();
    }

    #[test]
    fn field_removed_in_target_is_dropped() {
        let v1 = struct_of(&[("id", Schema::int32()), ("legacy", Schema::string())]);
        let v2 = struct_of(&[("id", Schema::int32())]);
        let old =
            Struct::new(v1.clone()).unwrap().with("id", 5i32).unwrap().with("legacy", "x").unwrap();
        let out = project(&v1, old, &v2).unwrap();
        let out = out.as_struct().unwrap();
        assert_eq!(out.values(), &[Value::Int32(5)]);
        assert!(out.get("legacy").is_err());
    }

    #[test]
    fn required_target_field_missing_from_source_fails() {
        let v1 = struct_of(&[("id", Schema::int32())]);
        let v2 = struct_of(&[("id", Schema::int32()), ("email", Schema::string())]);
        let old = Struct::new(v1.clone()).unwrap().with("id", 5i32).unwrap();
        let err = project(&v1, old, &v2).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Schema);
        assert_eq!(err.message(), "Required field `email` is missing from source schema");
    }

    #[test]
    fn optional_source_to_required_target_without_default_fails() {
        let err = project(&Schema::optional_int32(), 1i32, &Schema::int32()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Schema);
        assert_eq!(
            err.message(),
            "Source schema is optional, but target schema is required without default"
        );
        // The value does not matter: the schemas alone decide.
        assert!(project(&Schema::optional_int32(), Value::Null, &Schema::int32()).is_err());
    }

    #[test]
    fn optional_source_to_required_target_with_default_succeeds() {
        let target = SchemaBuilder::int32().default_value(42i32).build().unwrap();
        assert_eq!(project(&Schema::optional_int32(), 1i32, &target).unwrap(), Value::Int32(1));
        assert_eq!(
            project(&Schema::optional_int32(), Value::Null, &target).unwrap(),
            Value::Int32(42)
        );
    }

    #[test]
    fn required_source_to_optional_target_is_fine() {
        assert_eq!(
            project(&Schema::string(), "a", &Schema::optional_string()).unwrap(),
            Value::from("a")
        );
    }

    #[test]
    fn optional_field_becomes_required_field_with_default() {
        let v1 = struct_of(&[("n", Schema::optional_int64())]);
        let v2 = struct_of(&[("n", SchemaBuilder::int64().default_value(-1i64).build().unwrap())]);
        let old = Struct::new(v1.clone()).unwrap();
        let out = project(&v1, old, &v2).unwrap();
        assert_eq!(out.as_struct().unwrap().values(), &[Value::Int64(-1)]);
        let v3 = struct_of(&[("n", Schema::int64())]);
        let err = project(&v1, Struct::new(v1.clone()).unwrap(), &v3).unwrap_err();
        assert!(
            err.message().starts_with("field 'n': Source schema is optional"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn every_numeric_widening_converts_the_value() {
        for (i, &from) in NUMERIC.iter().enumerate() {
            for &to in &NUMERIC[i..] {
                let out = project(&schema_of(from), numeric_value(from), &schema_of(to))
                    .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                assert_eq!(out, numeric_value(to), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn widening_examples_keep_the_number() {
        assert_eq!(project(&Schema::int8(), 3i8, &Schema::int64()).unwrap(), Value::Int64(3));
        assert_eq!(
            project(&Schema::int32(), i32::MAX, &Schema::float64()).unwrap(),
            Value::Float64(f64::from(i32::MAX))
        );
        assert_eq!(
            project(&Schema::float32(), 1.5f32, &Schema::float64()).unwrap(),
            Value::Float64(1.5)
        );
        assert_eq!(
            project(&Schema::int16(), i16::MIN, &Schema::int32()).unwrap(),
            Value::Int32(i32::from(i16::MIN))
        );
    }

    #[test]
    fn narrowing_fails() {
        for (i, &wide) in NUMERIC.iter().enumerate() {
            for &narrow in &NUMERIC[..i] {
                let err =
                    project(&schema_of(wide), numeric_value(wide), &schema_of(narrow)).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Schema);
                assert_eq!(
                    err.message(),
                    format!("Schema type mismatch. source type: {wide} and target type: {narrow}")
                );
            }
        }
        assert!(project(&Schema::int32(), 1i32, &Schema::string()).is_err());
        assert!(project(&Schema::boolean(), true, &Schema::int32()).is_err());
    }

    #[test]
    fn name_mismatch_fails() {
        let a = SchemaBuilder::int32().name("a").build().unwrap();
        let b = SchemaBuilder::int32().name("b").build().unwrap();
        let err = project(&a, 1i32, &b).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Schema);
        assert_eq!(err.message(), "Schema name mismatch. source name: a and target name: b");
        let err = project(&a, 1i32, &Schema::int32()).unwrap_err();
        assert_eq!(err.message(), "Schema name mismatch. source name: a and target name: null");
    }

    #[test]
    fn version_and_doc_are_not_compared() {
        let a = SchemaBuilder::int32().name("n").version(1).doc("old").build().unwrap();
        let b = SchemaBuilder::int32().name("n").version(2).doc("new").build().unwrap();
        assert_eq!(project(&a, 1i32, &b).unwrap(), Value::Int32(1));
    }

    #[test]
    fn nested_struct_projects() {
        let addr1 = SchemaBuilder::struct_()
            .name("Address")
            .field("street", Schema::string())
            .field("zip", Schema::int32())
            .build()
            .unwrap();
        let addr2 = SchemaBuilder::struct_()
            .name("Address")
            .field("zip", Schema::int64())
            .field("city", SchemaBuilder::string().default_value("?").build().unwrap())
            .build()
            .unwrap();
        let v1 = struct_of(&[("addr", addr1.clone())]);
        let v2 = struct_of(&[("addr", addr2.clone())]);
        let a = Struct::new(addr1)
            .unwrap()
            .with("street", "Main")
            .unwrap()
            .with("zip", 1234i32)
            .unwrap();
        let old = Struct::new(v1.clone()).unwrap().with("addr", a).unwrap();
        let out = project(&v1, old, &v2).unwrap();
        let addr = out.as_struct().unwrap().get_struct("addr").unwrap();
        assert_eq!(addr.schema(), &addr2);
        assert_eq!(addr.get_int64("zip").unwrap(), 1234);
        assert_eq!(addr.get_string("city").unwrap(), "?");
    }

    #[test]
    fn nested_error_names_the_field_path() {
        let inner1 = SchemaBuilder::struct_().field("zip", Schema::int64()).build().unwrap();
        let inner2 = SchemaBuilder::struct_().field("zip", Schema::int32()).build().unwrap();
        let v1 = struct_of(&[("addr", inner1)]);
        let v2 = struct_of(&[("addr", inner2)]);
        let err = SchemaProjector::check_projectable(&v1, &v2).unwrap_err();
        assert_eq!(
            err.message(),
            "field 'addr': field 'zip': Schema type mismatch. source type: INT64 and target type: INT32"
        );
    }

    #[test]
    fn array_of_structs_projects() {
        let item1 = SchemaBuilder::struct_()
            .name("Item")
            .field("qty", Schema::int16())
            .field("sku", Schema::string())
            .build()
            .unwrap();
        let item2 = SchemaBuilder::struct_()
            .name("Item")
            .field("qty", Schema::int64())
            .field("discount", Schema::optional_float64())
            .build()
            .unwrap();
        let arr1 = SchemaBuilder::array(item1.clone()).build().unwrap();
        let arr2 = SchemaBuilder::array(item2.clone()).build().unwrap();
        let items: Vec<Value> = (1..=3i16)
            .map(|q| {
                Value::Struct(
                    Struct::new(item1.clone())
                        .unwrap()
                        .with("qty", q)
                        .unwrap()
                        .with("sku", format!("s{q}"))
                        .unwrap(),
                )
            })
            .collect();
        let out = project(&arr1, items, &arr2).unwrap();
        let out = out.as_array().unwrap();
        assert_eq!(out.len(), 3);
        for (i, v) in out.iter().enumerate() {
            let s = v.as_struct().unwrap();
            assert_eq!(s.schema(), &item2);
            assert_eq!(s.get_int64("qty").unwrap(), i as i64 + 1);
            assert_eq!(s.get("discount").unwrap(), &Value::Null);
        }
    }

    #[test]
    fn array_incompatibility_fails_even_when_empty() {
        let a = SchemaBuilder::array(Schema::int64()).build().unwrap();
        let b = SchemaBuilder::array(Schema::int32()).build().unwrap();
        let err = project(&a, Vec::<Value>::new(), &b).unwrap_err();
        assert!(
            err.message().starts_with("array element: Schema type mismatch"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn map_projects_keys_and_values() {
        let m1 = SchemaBuilder::map(Schema::int8(), Schema::float32()).build().unwrap();
        let m2 = SchemaBuilder::map(Schema::int32(), Schema::optional_float64()).build().unwrap();
        let entries =
            vec![(Value::Int8(1), Value::Float32(0.5)), (Value::Int8(2), Value::Float32(-2.0))];
        let out = project(&m1, entries, &m2).unwrap();
        assert_eq!(
            out,
            Value::Map(vec![
                (Value::Int32(1), Value::Float64(0.5)),
                (Value::Int32(2), Value::Float64(-2.0)),
            ])
        );
        let bad = SchemaBuilder::map(Schema::string(), Schema::float64()).build().unwrap();
        let err = SchemaProjector::check_projectable(&m1, &bad).unwrap_err();
        assert!(err.message().starts_with("map key: "), "{}", err.message());
        let bad = SchemaBuilder::map(Schema::int8(), Schema::int64()).build().unwrap();
        let err = SchemaProjector::check_projectable(&m1, &bad).unwrap_err();
        assert!(err.message().starts_with("map value: "), "{}", err.message());
    }

    #[test]
    fn null_handling_follows_the_target() {
        let opt = Schema::optional_string();
        assert_eq!(project(&opt, Value::Null, &opt).unwrap(), Value::Null);
        let opt_default = SchemaBuilder::string().optional().default_value("d").build().unwrap();
        assert_eq!(project(&opt, Value::Null, &opt_default).unwrap(), Value::from("d"));
        let req_default = SchemaBuilder::string().default_value("r").build().unwrap();
        assert_eq!(project(&opt, Value::Null, &req_default).unwrap(), Value::from("r"));
        // A required source carrying null (an invalid value) cannot fill a required target.
        let err = project(&Schema::string(), Value::Null, &Schema::string()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Schema);
        // A null optional struct stays null.
        let s = struct_of(&[("a", Schema::int32())]).to_builder().optional().build().unwrap();
        assert_eq!(project(&s, Value::Null, &s).unwrap(), Value::Null);
    }

    #[test]
    fn null_source_field_takes_the_target_field_default() {
        let v1 = struct_of(&[("a", Schema::optional_int32())]);
        let v2 = struct_of(&[(
            "a",
            SchemaBuilder::int64().optional().default_value(9i64).build().unwrap(),
        )]);
        let out = project(&v1, Struct::new(v1.clone()).unwrap(), &v2).unwrap();
        assert_eq!(out.as_struct().unwrap().values(), &[Value::Int64(9)]);
    }

    #[test]
    fn source_field_default_is_applied_before_projecting() {
        let v1 = struct_of(&[("a", SchemaBuilder::int32().default_value(4i32).build().unwrap())]);
        let v2 = struct_of(&[("a", Schema::int64())]);
        let out = project(&v1, Struct::new(v1.clone()).unwrap(), &v2).unwrap();
        assert_eq!(out.as_struct().unwrap().values(), &[Value::Int64(4)]);
    }

    #[test]
    fn value_not_fitting_the_source_is_a_data_error() {
        let err = project(&Schema::int32(), "x", &Schema::int64()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Data);
        let other = struct_of(&[("b", Schema::int32())]);
        let s = struct_of(&[("a", Schema::int32())]);
        let err = project(&s, Struct::new(other).unwrap(), &s).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Data);
        assert!(project(&Schema::int32(), Date(1), &Schema::int32()).is_err());
    }

    #[test]
    fn logical_decimal_passes_through() {
        let schema = Decimal::schema(2);
        let d: Decimal = "12.34".parse().unwrap();
        assert_eq!(
            project(&schema, d.clone(), &Decimal::schema(2)).unwrap(),
            Value::Decimal(d.clone())
        );
        let opt = Decimal::builder(2).optional().build().unwrap();
        assert_eq!(project(&schema, d.clone(), &opt).unwrap(), Value::Decimal(d));
    }

    #[test]
    fn decimal_with_different_scale_fails() {
        let d: Decimal = "12.34".parse().unwrap();
        let err = project(&Decimal::schema(2), d, &Decimal::schema(3)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Schema);
        assert_eq!(
            err.message(),
            "Schema parameters not equal. source parameters: {scale=2} and target parameters: {scale=3}"
        );
    }

    #[test]
    fn other_logical_types_pass_through_and_are_not_widened() {
        assert_eq!(
            project(&Date::schema(), Date(3), &Date::schema()).unwrap(),
            Value::Date(Date(3))
        );
        assert_eq!(
            project(&Time::schema(), Time(3), &Time::schema()).unwrap(),
            Value::Time(Time(3))
        );
        assert_eq!(
            project(&Timestamp::schema(), Timestamp(3), &Timestamp::schema()).unwrap(),
            Value::Timestamp(Timestamp(3))
        );
        let date_as_int64 = SchemaBuilder::int64()
            .name(crate::data::logical::DATE_NAME)
            .version(1)
            .build()
            .unwrap();
        let err = project(&Date::schema(), Date(3), &date_as_int64).unwrap_err();
        assert!(err.message().contains("cannot be widened"), "{}", err.message());
        let err = project(&Date::schema(), Date(3), &Schema::int32()).unwrap_err();
        assert!(err.message().starts_with("Schema name mismatch"), "{}", err.message());
    }

    /// Leaf schemas and values without defaults, so that identity projection is exact.
    fn leaf() -> impl Strategy<Value = (Schema, Value)> {
        prop_oneof![
            any::<i8>().prop_map(|v| (Schema::int8(), Value::Int8(v))),
            any::<i16>().prop_map(|v| (Schema::int16(), Value::Int16(v))),
            any::<i32>().prop_map(|v| (Schema::int32(), Value::Int32(v))),
            any::<i64>().prop_map(|v| (Schema::int64(), Value::Int64(v))),
            any::<f32>().prop_map(|v| (Schema::float32(), Value::Float32(v))),
            any::<f64>().prop_map(|v| (Schema::float64(), Value::Float64(v))),
            any::<bool>().prop_map(|v| (Schema::boolean(), Value::Boolean(v))),
            ".{0,8}".prop_map(|v| (Schema::string(), Value::String(v))),
            proptest::collection::vec(any::<u8>(), 0..8)
                .prop_map(|v| (Schema::bytes(), Value::Bytes(v))),
            proptest::option::of(any::<i64>())
                .prop_map(|v| (Schema::optional_int64(), Value::from(v))),
            (any::<i64>(), 0i32..6)
                .prop_map(|(u, s)| (Decimal::schema(s), Value::Decimal(Decimal::new(u, s)))),
            any::<i32>().prop_map(|v| (Date::schema(), Value::Date(Date(v)))),
            proptest::collection::vec(any::<i32>(), 0..4).prop_map(|v| (
                SchemaBuilder::array(Schema::int32()).build().unwrap(),
                Value::Array(v.into_iter().map(Value::Int32).collect())
            )),
            proptest::collection::vec((".{0,4}", any::<i16>()), 0..4).prop_map(|v| (
                SchemaBuilder::map(Schema::string(), Schema::int16()).build().unwrap(),
                Value::Map(
                    v.into_iter().map(|(k, x)| (Value::String(k), Value::Int16(x))).collect()
                )
            )),
        ]
    }

    fn struct_value(fields: Vec<(Schema, Value)>) -> (Schema, Value) {
        let schema = fields
            .iter()
            .enumerate()
            .fold(SchemaBuilder::struct_().name("prop.S"), |b, (i, (s, _))| {
                b.field(format!("f{i}"), s.clone())
            })
            .build()
            .unwrap();
        let mut s = Struct::new(schema.clone()).unwrap();
        for (i, (_, v)) in fields.into_iter().enumerate() {
            s.put_at(i, v).unwrap();
        }
        (schema, Value::Struct(s))
    }

    fn nested_struct() -> impl Strategy<Value = (Schema, Value)> {
        let flat = proptest::collection::vec(leaf(), 0..6).prop_map(struct_value);
        flat.prop_recursive(3, 24, 4, |inner| {
            proptest::collection::vec(prop_oneof![leaf(), inner], 0..5).prop_map(struct_value)
        })
    }

    proptest! {
        #[test]
        fn projecting_a_struct_onto_its_own_schema_is_identity((schema, value) in nested_struct()) {
            let out = SchemaProjector::project(&schema, &value, &schema).unwrap();
            prop_assert_eq!(out, value);
        }
    }
}
