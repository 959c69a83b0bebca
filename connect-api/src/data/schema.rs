//! [`Schema`], its [`SchemaBuilder`] and [`Field`].

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use crate::data::Value;
use crate::error::{ConnectError, Result};

/// The type of a [`Schema`]: the eight primitive types, BYTES, and the three containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// 8-bit signed integer.
    Int8,
    /// 16-bit signed integer.
    Int16,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 32-bit IEEE 754 float.
    Float32,
    /// 64-bit IEEE 754 float.
    Float64,
    /// Boolean.
    Boolean,
    /// UTF-8 string.
    String,
    /// Byte array.
    Bytes,
    /// Ordered sequence of values of one schema.
    Array,
    /// Map from keys of one schema to values of another.
    Map,
    /// Ordered set of named fields, each with its own schema.
    Struct,
}

impl Type {
    /// Kafka Connect's upper-case name of the type (`"INT32"`, `"STRUCT"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Type::Int8 => "INT8",
            Type::Int16 => "INT16",
            Type::Int32 => "INT32",
            Type::Int64 => "INT64",
            Type::Float32 => "FLOAT32",
            Type::Float64 => "FLOAT64",
            Type::Boolean => "BOOLEAN",
            Type::String => "STRING",
            Type::Bytes => "BYTES",
            Type::Array => "ARRAY",
            Type::Map => "MAP",
            Type::Struct => "STRUCT",
        }
    }

    /// The lower-case name used in JSON schemas (`"int32"`, `"struct"`, …).
    pub fn json_name(self) -> &'static str {
        match self {
            Type::Int8 => "int8",
            Type::Int16 => "int16",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Float32 => "float",
            Type::Float64 => "double",
            Type::Boolean => "boolean",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::Array => "array",
            Type::Map => "map",
            Type::Struct => "struct",
        }
    }

    /// Parses either spelling: `"INT32"`, `"int32"`, and JSON's `"float"`/`"double"`.
    pub fn parse(name: &str) -> Option<Type> {
        let t = match name.to_ascii_lowercase().as_str() {
            "int8" => Type::Int8,
            "int16" => Type::Int16,
            "int32" => Type::Int32,
            "int64" => Type::Int64,
            "float" | "float32" => Type::Float32,
            "double" | "float64" => Type::Float64,
            "boolean" => Type::Boolean,
            "string" => Type::String,
            "bytes" => Type::Bytes,
            "array" => Type::Array,
            "map" => Type::Map,
            "struct" => Type::Struct,
            _ => return None,
        };
        Some(t)
    }

    /// Whether this is a primitive (non-container) type; BYTES counts as primitive.
    pub fn is_primitive(self) -> bool {
        !matches!(self, Type::Array | Type::Map | Type::Struct)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field of a STRUCT schema: a name, its position and its schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    name: String,
    index: usize,
    schema: Schema,
}

impl Field {
    /// The field's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The field's position in its struct, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The field's schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }
}

#[derive(Debug)]
struct Inner {
    ty: Type,
    optional: bool,
    default: Option<Value>,
    name: Option<String>,
    version: Option<i32>,
    doc: Option<String>,
    parameters: BTreeMap<String, String>,
    fields: Vec<Field>,
    key_schema: Option<Schema>,
    value_schema: Option<Schema>,
}

impl PartialEq for Inner {
    fn eq(&self, o: &Self) -> bool {
        self.ty == o.ty
            && self.optional == o.optional
            && self.name == o.name
            && self.version == o.version
            && self.doc == o.doc
            && self.default == o.default
            && self.parameters == o.parameters
            && self.fields == o.fields
            && self.key_schema == o.key_schema
            && self.value_schema == o.value_schema
    }
}

/// A schema: the type of a value, with optionality, default, name, version, doc and
/// parameters; for containers the field, key and value schemas.
///
/// A `Schema` is an immutable, reference-counted handle: cloning is cheap, and equality
/// and hashing compare content, so schemas serve as cache keys (for converter plans,
/// registry ids, …). Build one with [`SchemaBuilder`]; the common primitive schemas are
/// ready-made (`Schema::string()`, `Schema::optional_int64()`, …).
///
/// ```
/// use connect_api::data::{Schema, SchemaBuilder, Type};
///
/// let person = SchemaBuilder::struct_()
///     .name("com.example.Person")
///     .field("name", Schema::string())
///     .field("age", Schema::int32())
///     .field("admin", SchemaBuilder::boolean().default_value(false).build()?)
///     .build()?;
/// assert_eq!(person.schema_type(), Type::Struct);
/// assert_eq!(person.field("age").map(|f| f.index()), Some(1));
/// assert_eq!(person.clone(), person);
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
#[derive(Clone)]
pub struct Schema(Arc<Inner>);

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl Eq for Schema {}

impl Hash for Schema {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let i = &*self.0;
        i.ty.hash(state);
        i.optional.hash(state);
        i.name.hash(state);
        i.version.hash(state);
        i.doc.hash(state);
        i.default.hash(state);
        i.parameters.hash(state);
        i.fields.hash(state);
        i.key_schema.hash(state);
        i.value_schema.hash(state);
    }
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.0;
        let mut d = f.debug_struct("Schema");
        d.field("type", &i.ty).field("optional", &i.optional);
        if let Some(n) = &i.name {
            d.field("name", n);
        }
        if let Some(v) = &i.version {
            d.field("version", v);
        }
        if let Some(v) = &i.default {
            d.field("default", v);
        }
        if !i.parameters.is_empty() {
            d.field("parameters", &i.parameters);
        }
        if !i.fields.is_empty() {
            let fs: Vec<(&str, &Schema)> =
                i.fields.iter().map(|f| (f.name(), f.schema())).collect();
            d.field("fields", &fs);
        }
        if let Some(k) = &i.key_schema {
            d.field("key", k);
        }
        if let Some(v) = &i.value_schema {
            d.field("value", v);
        }
        d.finish()
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "Schema{{{}:{}}}", n, self.schema_type()),
            None => write!(f, "Schema{{{}}}", self.schema_type()),
        }
    }
}

macro_rules! primitive_schemas {
    ($( $fn:ident, $opt_fn:ident, $static:ident, $opt_static:ident, $ty:expr; )*) => {
        $(
            static $static: LazyLock<Schema> = LazyLock::new(|| Schema::primitive($ty, false));
            static $opt_static: LazyLock<Schema> = LazyLock::new(|| Schema::primitive($ty, true));
        )*
        impl Schema {
            $(
                #[doc = concat!("The shared required `", stringify!($fn), "` schema.")]
                pub fn $fn() -> Schema {
                    $static.clone()
                }
                #[doc = concat!("The shared optional `", stringify!($fn), "` schema.")]
                pub fn $opt_fn() -> Schema {
                    $opt_static.clone()
                }
            )*
        }
    };
}

primitive_schemas! {
    int8, optional_int8, INT8, OPT_INT8, Type::Int8;
    int16, optional_int16, INT16, OPT_INT16, Type::Int16;
    int32, optional_int32, INT32, OPT_INT32, Type::Int32;
    int64, optional_int64, INT64, OPT_INT64, Type::Int64;
    float32, optional_float32, FLOAT32, OPT_FLOAT32, Type::Float32;
    float64, optional_float64, FLOAT64, OPT_FLOAT64, Type::Float64;
    boolean, optional_boolean, BOOLEAN, OPT_BOOLEAN, Type::Boolean;
    string, optional_string, STRING, OPT_STRING, Type::String;
    bytes, optional_bytes, BYTES, OPT_BYTES, Type::Bytes;
}

impl Schema {
    fn primitive(ty: Type, optional: bool) -> Schema {
        Schema(Arc::new(Inner {
            ty,
            optional,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: BTreeMap::new(),
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }))
    }

    /// The schema's type.
    pub fn schema_type(&self) -> Type {
        self.0.ty
    }

    /// Whether a null value is allowed.
    pub fn is_optional(&self) -> bool {
        self.0.optional
    }

    /// The default value, if any.
    pub fn default_value(&self) -> Option<&Value> {
        self.0.default.as_ref()
    }

    /// The schema's name (for logical types, the logical type's name).
    pub fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    /// The schema's version.
    pub fn version(&self) -> Option<i32> {
        self.0.version
    }

    /// The schema's documentation.
    pub fn doc(&self) -> Option<&str> {
        self.0.doc.as_deref()
    }

    /// The schema's parameters (for example a Decimal's `scale`).
    pub fn parameters(&self) -> &BTreeMap<String, String> {
        &self.0.parameters
    }

    /// The fields of a STRUCT schema, in order; empty for other types.
    pub fn fields(&self) -> &[Field] {
        &self.0.fields
    }

    /// The field with the given name, for STRUCT schemas.
    pub fn field(&self, name: &str) -> Option<&Field> {
        // Structs are small; a linear scan beats hashing for typical widths.
        self.0.fields.iter().find(|f| f.name == name)
    }

    /// The key schema of a MAP schema.
    pub fn key_schema(&self) -> Option<&Schema> {
        self.0.key_schema.as_ref()
    }

    /// The value schema of a MAP schema, or the element schema of an ARRAY schema.
    pub fn value_schema(&self) -> Option<&Schema> {
        self.0.value_schema.as_ref()
    }

    /// Whether two handles point at the very same schema object (cheaper than `==`).
    pub fn ptr_eq(&self, other: &Schema) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// A builder that starts as a copy of this schema, to derive a variant.
    pub fn to_builder(&self) -> SchemaBuilder {
        let i = &*self.0;
        SchemaBuilder {
            ty: i.ty,
            optional: i.optional,
            default: i.default.clone(),
            name: i.name.clone(),
            version: i.version,
            doc: i.doc.clone(),
            parameters: i.parameters.clone(),
            fields: i.fields.iter().map(|f| (f.name.clone(), f.schema.clone())).collect(),
            key_schema: i.key_schema.clone(),
            value_schema: i.value_schema.clone(),
            errors: Vec::new(),
        }
    }

    /// Checks that `value` fits this schema: its type, nullability, logical type, struct
    /// schema, and recursively the elements of arrays, maps and structs.
    pub fn validate_value(&self, value: &Value) -> Result<()> {
        crate::data::validate::validate_value(None, self, value)
    }
}

/// A consuming builder for [`Schema`]; [`build`](SchemaBuilder::build) reports every
/// mistake made along the way (a field on a non-struct, a duplicate field, a default that
/// does not fit, a property set twice…).
///
/// ```
/// use connect_api::data::{Schema, SchemaBuilder};
///
/// let err = SchemaBuilder::int32().field("x", Schema::string()).build().unwrap_err();
/// assert!(err.message().contains("Cannot create fields on type INT32"));
/// ```
#[derive(Debug, Clone)]
#[must_use = "a SchemaBuilder does nothing until build() is called"]
pub struct SchemaBuilder {
    ty: Type,
    optional: bool,
    default: Option<Value>,
    name: Option<String>,
    version: Option<i32>,
    doc: Option<String>,
    parameters: BTreeMap<String, String>,
    fields: Vec<(String, Schema)>,
    key_schema: Option<Schema>,
    value_schema: Option<Schema>,
    errors: Vec<String>,
}

impl SchemaBuilder {
    /// A builder for a schema of the given type.
    pub fn new(ty: Type) -> Self {
        SchemaBuilder {
            ty,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: BTreeMap::new(),
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
            errors: Vec::new(),
        }
    }

    /// INT8 builder.
    pub fn int8() -> Self {
        Self::new(Type::Int8)
    }
    /// INT16 builder.
    pub fn int16() -> Self {
        Self::new(Type::Int16)
    }
    /// INT32 builder.
    pub fn int32() -> Self {
        Self::new(Type::Int32)
    }
    /// INT64 builder.
    pub fn int64() -> Self {
        Self::new(Type::Int64)
    }
    /// FLOAT32 builder.
    pub fn float32() -> Self {
        Self::new(Type::Float32)
    }
    /// FLOAT64 builder.
    pub fn float64() -> Self {
        Self::new(Type::Float64)
    }
    /// BOOLEAN builder.
    pub fn boolean() -> Self {
        Self::new(Type::Boolean)
    }
    /// STRING builder.
    pub fn string() -> Self {
        Self::new(Type::String)
    }
    /// BYTES builder.
    pub fn bytes() -> Self {
        Self::new(Type::Bytes)
    }
    /// STRUCT builder; add fields with [`field`](Self::field).
    pub fn struct_() -> Self {
        Self::new(Type::Struct)
    }
    /// ARRAY builder with the given element schema.
    pub fn array(value_schema: Schema) -> Self {
        let mut b = Self::new(Type::Array);
        b.value_schema = Some(value_schema);
        b
    }
    /// MAP builder with the given key and value schemas.
    pub fn map(key_schema: Schema, value_schema: Schema) -> Self {
        let mut b = Self::new(Type::Map);
        b.key_schema = Some(key_schema);
        b.value_schema = Some(value_schema);
        b
    }

    /// The type being built.
    pub fn schema_type(&self) -> Type {
        self.ty
    }

    fn set_once<T: PartialEq>(
        errors: &mut Vec<String>,
        slot: &mut Option<T>,
        what: &str,
        value: T,
    ) {
        match slot {
            Some(old) if *old != value => {
                errors.push(format!("Invalid SchemaBuilder call: {what} has already been set."))
            }
            _ => *slot = Some(value),
        }
    }

    /// Makes null values valid.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Makes null values invalid (the default).
    pub fn required(mut self) -> Self {
        self.optional = false;
        self
    }

    /// Sets the default value; it is checked against the schema by `build()`.
    pub fn default_value(mut self, value: impl Into<Value>) -> Self {
        Self::set_once(&mut self.errors, &mut self.default, "default", value.into());
        self
    }

    /// Sets the name (fully qualified, for structs and logical types).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        Self::set_once(&mut self.errors, &mut self.name, "name", name.into());
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: i32) -> Self {
        Self::set_once(&mut self.errors, &mut self.version, "version", version);
        self
    }

    /// Sets the documentation.
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        Self::set_once(&mut self.errors, &mut self.doc, "doc", doc.into());
        self
    }

    /// Adds one parameter.
    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.insert(key.into(), value.into());
        self
    }

    /// Adds several parameters.
    pub fn parameters<K: Into<String>, V: Into<String>>(
        mut self,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (k, v) in params {
            self.parameters.insert(k.into(), v.into());
        }
        self
    }

    /// Appends a field to a STRUCT schema.
    pub fn field(mut self, name: impl Into<String>, schema: Schema) -> Self {
        let name = name.into();
        if self.ty != Type::Struct {
            self.errors.push(format!("Cannot create fields on type {}", self.ty));
        } else if name.is_empty() {
            self.errors.push("fieldName cannot be empty.".to_string());
        } else if self.fields.iter().any(|(n, _)| *n == name) {
            self.errors
                .push(format!("Cannot create field because of field name duplication {name}"));
        } else {
            self.fields.push((name, schema));
        }
        self
    }

    /// Builds the schema, or reports every mistake made on this builder.
    pub fn build(self) -> Result<Schema> {
        let mut errors = self.errors;
        match self.ty {
            Type::Array if self.value_schema.is_none() => {
                errors.push("ARRAY schema needs an element schema".into())
            }
            Type::Map if self.key_schema.is_none() || self.value_schema.is_none() => {
                errors.push("MAP schema needs key and value schemas".into())
            }
            _ => {}
        }
        let fields = self
            .fields
            .into_iter()
            .enumerate()
            .map(|(index, (name, schema))| Field { name, index, schema })
            .collect();
        let schema = Schema(Arc::new(Inner {
            ty: self.ty,
            optional: self.optional,
            default: None,
            name: self.name,
            version: self.version,
            doc: self.doc,
            parameters: self.parameters,
            fields,
            key_schema: self.key_schema,
            value_schema: self.value_schema,
        }));
        let schema = match self.default {
            None => schema,
            Some(default) => {
                if let Err(e) = schema.validate_value(&default) {
                    errors.push(format!("Invalid default value: {}", e.message()));
                }
                let mut inner = Arc::try_unwrap(schema.0).unwrap_or_else(|a| clone_inner(&a));
                inner.default = Some(default);
                Schema(Arc::new(inner))
            }
        };
        if errors.is_empty() { Ok(schema) } else { Err(ConnectError::schema(errors.join("; "))) }
    }
}

fn clone_inner(i: &Inner) -> Inner {
    Inner {
        ty: i.ty,
        optional: i.optional,
        default: i.default.clone(),
        name: i.name.clone(),
        version: i.version,
        doc: i.doc.clone(),
        parameters: i.parameters.clone(),
        fields: i.fields.clone(),
        key_schema: i.key_schema.clone(),
        value_schema: i.value_schema.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn builder_reports_every_mistake() {
        let err = SchemaBuilder::int32()
            .name("a")
            .name("b")
            .field("x", Schema::string())
            .default_value("not an int")
            .build()
            .unwrap_err();
        let m = err.message();
        assert!(m.contains("name has already been set"), "{m}");
        assert!(m.contains("Cannot create fields on type INT32"), "{m}");
        assert!(m.contains("Invalid default value"), "{m}");
    }

    #[test]
    fn duplicate_and_empty_field_names_are_rejected() {
        let err = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("a", Schema::string())
            .field("", Schema::string())
            .build()
            .unwrap_err();
        assert!(err.message().contains("duplication a"));
        assert!(err.message().contains("fieldName cannot be empty"));
    }

    #[test]
    fn equal_content_means_equal_hash() {
        let a = SchemaBuilder::struct_()
            .name("x")
            .field("f", Schema::optional_float64())
            .build()
            .unwrap();
        let b = SchemaBuilder::struct_()
            .name("x")
            .field("f", Schema::optional_float64())
            .build()
            .unwrap();
        let c = SchemaBuilder::struct_().name("x").field("f", Schema::float64()).build().unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let set: HashSet<Schema> = [a.clone(), b, c].into_iter().collect();
        assert_eq!(set.len(), 2);
        assert!(a.ptr_eq(&a.clone()));
    }

    #[test]
    fn shared_primitives_are_the_same_object() {
        assert!(Schema::string().ptr_eq(&Schema::string()));
        assert!(Schema::optional_int64().is_optional());
        assert!(!Schema::int64().is_optional());
    }

    #[test]
    fn default_value_is_kept_and_checked() {
        let s = SchemaBuilder::int32().default_value(7i32).build().unwrap();
        assert_eq!(s.default_value(), Some(&Value::Int32(7)));
        assert!(
            SchemaBuilder::array(Schema::int32())
                .default_value(vec![Value::Int64(1)])
                .build()
                .is_err()
        );
    }

    #[test]
    fn containers_need_their_inner_schemas() {
        let a = SchemaBuilder::array(Schema::string()).build().unwrap();
        assert_eq!(a.value_schema(), Some(&Schema::string()));
        let m = SchemaBuilder::map(Schema::string(), Schema::int32()).build().unwrap();
        assert_eq!(m.key_schema(), Some(&Schema::string()));
        assert_eq!(Type::parse("double"), Some(Type::Float64));
        assert_eq!(Type::parse("STRUCT"), Some(Type::Struct));
    }
}
