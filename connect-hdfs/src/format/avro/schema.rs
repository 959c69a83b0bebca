//! Connect schema → Avro schema, as Confluent's `AvroData.fromConnectSchema` maps it,
//! and the encoding plan compiled from the same walk.

use std::collections::HashMap;

use connect_api::data::logical::{
    DATE_NAME, DECIMAL_NAME, Decimal, LogicalType, TIME_NAME, TIMESTAMP_NAME,
};
use connect_api::data::{Schema, Type, Value};
use connect_api::{ConnectError, Result};
use serde_json::{Map, Value as Json, json};

/// Confluent's namespace for generated names.
const NAMESPACE: &str = "io.confluent.connect.avro";
/// The precision Confluent gives decimals without `connect.decimal.precision`.
const DEFAULT_PRECISION: u64 = 64;

/// What to write for one node of the schema.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Int,
    Long,
    Float,
    Double,
    Boolean,
    String,
    Bytes,
    Decimal(i32),
    Date,
    Time,
    Timestamp,
    Array(Box<Node>),
    /// A map with STRING keys: an Avro map.
    Map(Box<Node>),
    /// A map with other keys: an array of `{key, value}` records.
    MapEntries(Box<Node>, Box<Node>),
    Record(Vec<(String, Node)>),
}

/// One node of the encoding plan.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    /// `Some((null_branch, value_branch))` for optional schemas (a union).
    pub(crate) union: Option<(u8, u8)>,
    /// The schema's default, written in place of a null.
    pub(crate) default: Option<Value>,
    /// The Connect type, for error messages.
    pub(crate) connect_type: Type,
}

/// The Avro schema JSON of a Connect schema, as Confluent's AvroData writes it
/// (optional → union with null, `connect.name`/`connect.version`/`connect.doc`/
/// `connect.parameters`, `connect.type` for INT8/INT16, logical types decimal/date/
/// time-millis/timestamp-millis, defaults; unnamed structs are
/// `io.confluent.connect.avro.ConnectDefault`, numbered from the second on).
///
/// ```
/// use connect_api::data::{Schema, SchemaBuilder};
/// use connect_hdfs::format::connect_to_avro_schema;
///
/// let s = SchemaBuilder::struct_().name("com.example.User")
///     .field("id", Schema::int64())
///     .field("email", Schema::optional_string())
///     .build()?;
/// let avro = connect_to_avro_schema(&s)?;
/// assert_eq!(avro["name"], "User");
/// assert_eq!(avro["namespace"], "com.example");
/// assert_eq!(avro["fields"][1]["type"], serde_json::json!(["null", "string"]));
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
pub fn connect_to_avro_schema(schema: &Schema) -> Result<Json> {
    Ok(compile(schema)?.0)
}

/// Both the Avro schema JSON and the plan.
pub(crate) fn compile(schema: &Schema) -> Result<(Json, Node)> {
    let mut ctx = Ctx { names: HashMap::new(), unnamed: 0 };
    ctx.schema(schema, "<value>")
}

struct Ctx {
    /// Record full names already defined, with the Connect schema each stands for.
    names: HashMap<String, Schema>,
    unnamed: usize,
}

fn split_name(full: &str) -> (Option<&str>, &str) {
    match full.rfind('.') {
        Some(i) => (Some(&full[..i]), &full[i + 1..]),
        None => (None, full),
    }
}

fn valid_avro_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Ctx {
    fn schema(&mut self, schema: &Schema, path: &str) -> Result<(Json, Node)> {
        let (mut avro, kind) = self.base(schema, path)?;
        // Connect metadata that is not already expressed by the Avro type.
        if let Json::Object(obj) = &mut avro
            && schema.schema_type() != Type::Struct
        {
            if let Some(v) = schema.version() {
                obj.insert("connect.version".into(), json!(v));
            }
            if let Some(d) = schema.doc() {
                obj.insert("connect.doc".into(), json!(d));
            }
            if !schema.parameters().is_empty() {
                obj.insert("connect.parameters".into(), json!(schema.parameters()));
            }
            if let Some(n) = schema.name() {
                obj.insert("connect.name".into(), json!(n));
            }
        }
        // Plain primitives stay the bare type name, as Confluent writes them.
        if let Json::Object(obj) = &avro
            && obj.len() == 1
            && let Some(Json::String(t)) = obj.get("type")
        {
            avro = Json::String(t.clone());
        }
        let node = Node {
            kind,
            union: None,
            default: schema.default_value().cloned(),
            connect_type: schema.schema_type(),
        };
        if schema.is_optional() {
            let has_default = schema.default_value().is_some_and(|d| !d.is_null());
            let (union, branches) = if has_default {
                (json!([avro, "null"]), (1, 0))
            } else {
                (json!(["null", avro]), (0, 1))
            };
            return Ok((union, Node { union: Some(branches), ..node }));
        }
        Ok((avro, node))
    }

    fn base(&mut self, schema: &Schema, path: &str) -> Result<(Json, Kind)> {
        if let Some(logical) = LogicalType::of(schema) {
            return Ok(match logical {
                LogicalType::Decimal => {
                    let scale = Decimal::schema_scale(schema).map_err(|e| e.context(path))?;
                    let precision = schema
                        .parameters()
                        .get("connect.decimal.precision")
                        .and_then(|p| p.parse::<u64>().ok())
                        .unwrap_or(DEFAULT_PRECISION);
                    let mut obj = Map::new();
                    obj.insert("type".into(), json!("bytes"));
                    obj.insert("scale".into(), json!(scale));
                    obj.insert("precision".into(), json!(precision));
                    obj.insert("logicalType".into(), json!("decimal"));
                    (Json::Object(obj), Kind::Decimal(scale))
                }
                LogicalType::Date => (json!({"type": "int", "logicalType": "date"}), Kind::Date),
                LogicalType::Time => {
                    (json!({"type": "int", "logicalType": "time-millis"}), Kind::Time)
                }
                LogicalType::Timestamp => {
                    (json!({"type": "long", "logicalType": "timestamp-millis"}), Kind::Timestamp)
                }
            });
        }
        if let Some(name) = schema.name()
            && [DECIMAL_NAME, DATE_NAME, TIME_NAME, TIMESTAMP_NAME].contains(&name)
        {
            return Err(ConnectError::data(format!(
                "{path}: schema named {name} has the wrong type {}",
                schema.schema_type()
            )));
        }
        Ok(match schema.schema_type() {
            Type::Int8 => (json!({"type": "int", "connect.type": "int8"}), Kind::Int),
            Type::Int16 => (json!({"type": "int", "connect.type": "int16"}), Kind::Int),
            Type::Int32 => (json!({"type": "int"}), Kind::Int),
            Type::Int64 => (json!({"type": "long"}), Kind::Long),
            Type::Float32 => (json!({"type": "float"}), Kind::Float),
            Type::Float64 => (json!({"type": "double"}), Kind::Double),
            Type::Boolean => (json!({"type": "boolean"}), Kind::Boolean),
            Type::String => (json!({"type": "string"}), Kind::String),
            Type::Bytes => (json!({"type": "bytes"}), Kind::Bytes),
            Type::Array => {
                let elem = schema.value_schema().ok_or_else(|| {
                    ConnectError::data(format!("{path}: array schema has no element schema"))
                })?;
                let (items, node) = self.schema(elem, &format!("{path}[]"))?;
                (json!({"type": "array", "items": items}), Kind::Array(Box::new(node)))
            }
            Type::Map => {
                let (Some(ks), Some(vs)) = (schema.key_schema(), schema.value_schema()) else {
                    return Err(ConnectError::data(format!(
                        "{path}: map schema lacks its key or value schema"
                    )));
                };
                if ks.schema_type() == Type::String && !ks.is_optional() {
                    let (values, node) = self.schema(vs, &format!("{path}{{}}"))?;
                    (json!({"type": "map", "values": values}), Kind::Map(Box::new(node)))
                } else {
                    let (kj, kn) = self.schema(ks, &format!("{path}.key"))?;
                    let (vj, vn) = self.schema(vs, &format!("{path}.value"))?;
                    let entry_name = format!("{NAMESPACE}.MapEntry");
                    let entry = match self.names.entry(entry_name) {
                        std::collections::hash_map::Entry::Occupied(_) => {
                            // Avro names are defined once; later maps get numbered names.
                            self.unnamed += 1;
                            format!("MapEntry{}", self.unnamed + 1)
                        }
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(schema.clone());
                            "MapEntry".to_string()
                        }
                    };
                    let record = json!({
                        "type": "record",
                        "name": entry,
                        "namespace": NAMESPACE,
                        "fields": [{"name": "key", "type": kj}, {"name": "value", "type": vj}]
                    });
                    (
                        json!({"type": "array", "items": record}),
                        Kind::MapEntries(Box::new(kn), Box::new(vn)),
                    )
                }
            }
            Type::Struct => self.record(schema, path)?,
        })
    }

    fn record(&mut self, schema: &Schema, path: &str) -> Result<(Json, Kind)> {
        let full = match schema.name() {
            Some(n) => n.to_string(),
            None => {
                self.unnamed += 1;
                if self.unnamed == 1 {
                    format!("{NAMESPACE}.ConnectDefault")
                } else {
                    format!("{NAMESPACE}.ConnectDefault{}", self.unnamed)
                }
            }
        };
        let mut fields_plan = Vec::with_capacity(schema.fields().len());
        if let Some(seen) = self.names.get(&full) {
            // Optionality and default live outside the Avro record (in the union
            // and the field), so only the record's own shape must match.
            let same = seen.fields() == schema.fields()
                && seen.version() == schema.version()
                && seen.doc() == schema.doc()
                && seen.parameters() == schema.parameters();
            if !same {
                return Err(ConnectError::data(format!(
                    "{path}: two different struct schemas are both named {full}; Avro names must be unique"
                )));
            }
            // Same schema again: refer to it by name, but still plan its fields.
            let mut sub = Ctx { names: HashMap::new(), unnamed: 0 };
            for f in schema.fields() {
                fields_plan.push((f.name().to_string(), sub.schema(f.schema(), f.name())?.1));
            }
            return Ok((Json::String(full), Kind::Record(fields_plan)));
        }
        self.names.insert(full.clone(), schema.clone());
        let (namespace, name) = split_name(&full);
        if !valid_avro_name(name) {
            return Err(ConnectError::data(format!(
                "{path}: struct name {full:?} is not a valid Avro name"
            )));
        }
        let mut fields = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            if !valid_avro_name(f.name()) {
                return Err(ConnectError::data(format!(
                    "field {:?} of {path}: not a valid Avro field name ([A-Za-z_][A-Za-z0-9_]*)",
                    f.name()
                )));
            }
            let fpath = if path == "<value>" {
                f.name().to_string()
            } else {
                format!("{path}.{}", f.name())
            };
            let (fj, node) = self.schema(f.schema(), &fpath)?;
            let mut field = Map::new();
            field.insert("name".into(), json!(f.name()));
            field.insert("type".into(), fj);
            if let Some(d) = f.schema().default_value() {
                field.insert("default".into(), default_json(f.schema(), d)?);
            } else if f.schema().is_optional() {
                field.insert("default".into(), Json::Null);
            }
            fields.push(Json::Object(field));
            fields_plan.push((f.name().to_string(), node));
        }
        let mut obj = Map::new();
        obj.insert("type".into(), json!("record"));
        obj.insert("name".into(), json!(name));
        if let Some(ns) = namespace {
            obj.insert("namespace".into(), json!(ns));
        }
        if let Some(doc) = schema.doc() {
            obj.insert("doc".into(), json!(doc));
        }
        obj.insert("fields".into(), Json::Array(fields));
        if let Some(v) = schema.version() {
            obj.insert("connect.version".into(), json!(v));
        }
        if !schema.parameters().is_empty() {
            obj.insert("connect.parameters".into(), json!(schema.parameters()));
        }
        if schema.name().is_some() {
            obj.insert("connect.name".into(), json!(full));
        }
        Ok((Json::Object(obj), Kind::Record(fields_plan)))
    }
}

/// A default value as Avro's schema JSON writes it (bytes as ISO-8859-1 strings).
fn default_json(schema: &Schema, value: &Value) -> Result<Json> {
    let bytes_str = |b: &[u8]| Json::String(b.iter().map(|&c| char::from(c)).collect());
    Ok(match value {
        Value::Null => Json::Null,
        Value::Int8(v) => json!(v),
        Value::Int16(v) => json!(v),
        Value::Int32(v) => json!(v),
        Value::Int64(v) => json!(v),
        Value::Float32(v) => json!(v),
        Value::Float64(v) => json!(v),
        Value::Boolean(v) => json!(v),
        Value::String(v) => json!(v),
        Value::Bytes(b) => bytes_str(b),
        Value::Decimal(d) => bytes_str(&Decimal::from_logical(schema, d)?),
        Value::Date(d) => json!(d.0),
        Value::Time(t) => json!(t.0),
        Value::Timestamp(t) => json!(t.0),
        Value::Array(items) => {
            let elem = schema.value_schema();
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(match elem {
                    Some(e) => default_json(e, i)?,
                    None => Json::Null,
                });
            }
            Json::Array(out)
        }
        Value::Map(entries) => {
            let vs = schema.value_schema();
            let string_keys = schema.key_schema().map(|k| k.schema_type()) == Some(Type::String);
            if string_keys {
                let mut obj = Map::new();
                for (k, v) in entries {
                    let key = k.as_str().unwrap_or_default().to_string();
                    obj.insert(
                        key,
                        vs.map(|s| default_json(s, v)).transpose()?.unwrap_or(Json::Null),
                    );
                }
                Json::Object(obj)
            } else {
                let ks = schema.key_schema();
                let mut out = Vec::new();
                for (k, v) in entries {
                    out.push(json!({
                        "key": ks.map(|s| default_json(s, k)).transpose()?.unwrap_or(Json::Null),
                        "value": vs.map(|s| default_json(s, v)).transpose()?.unwrap_or(Json::Null),
                    }));
                }
                Json::Array(out)
            }
        }
        Value::Struct(s) => {
            let mut obj = Map::new();
            for f in schema.fields() {
                let v = s.values().get(f.index()).unwrap_or(&Value::Null);
                obj.insert(f.name().to_string(), default_json(f.schema(), v)?);
            }
            Json::Object(obj)
        }
    })
}
