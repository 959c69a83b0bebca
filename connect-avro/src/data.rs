//! Connect schema → Avro schema, as Confluent's `AvroData.fromConnectSchema` writes it.
//!
//! INT8/INT16 become `int` with a `connect.type` property, optional schemas become a
//! union with `null` (first when the default is null, second otherwise), structs become
//! records named after the Connect schema (`io.confluent.connect.avro.ConnectDefault`,
//! `ConnectDefault2`, … when unnamed), maps with string keys become Avro maps and other
//! maps arrays of `io.confluent.connect.avro.MapEntry` records; logical types carry their
//! Avro `logicalType`; `connect.name`, `connect.version`, `connect.doc`,
//! `connect.parameters` and `connect.default` keep what Avro itself cannot say.

use std::collections::HashMap;

use connect_api::data::logical::{DATE_NAME, DECIMAL_NAME, LogicalType, TIME_NAME, TIMESTAMP_NAME};
use connect_api::data::{Schema, Type, Value};
use connect_api::error::{ConnectError, Result};
use serde_json::{Map, Value as Json, json};

/// Namespace of the records Confluent invents (`ConnectDefault`, `MapEntry`, `Union`).
pub const AVRO_NAMESPACE: &str = "io.confluent.connect.avro";
/// Simple name of unnamed struct records.
pub const DEFAULT_SCHEMA_NAME: &str = "ConnectDefault";
/// Simple name of the records of non-string-keyed maps.
pub const MAP_ENTRY_TYPE_NAME: &str = "MapEntry";
/// Connect name of the struct a general Avro union reads as.
pub const UNION_NAME: &str = "io.confluent.connect.avro.Union";
/// Connect name of the STRING an Avro enum reads as; also its parameter key.
pub const ENUM_NAME: &str = "io.confluent.connect.avro.Enum";
/// Decimal parameter holding the Avro precision.
pub const PRECISION_PARAMETER: &str = "connect.decimal.precision";
/// Decimal precision when the Connect schema does not give one.
pub const DEFAULT_PRECISION: u32 = 64;
/// Parameter holding the size of an Avro `fixed` read as BYTES.
pub const FIXED_SIZE_PARAMETER: &str = "connect.fixed.size";

pub(crate) const CONNECT_NAME: &str = "connect.name";
pub(crate) const CONNECT_VERSION: &str = "connect.version";
pub(crate) const CONNECT_DOC: &str = "connect.doc";
pub(crate) const CONNECT_PARAMETERS: &str = "connect.parameters";
pub(crate) const CONNECT_DEFAULT: &str = "connect.default";
pub(crate) const CONNECT_TYPE: &str = "connect.type";

/// Options of the Connect → Avro mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvroDataOptions {
    /// Write `connect.*` properties (`connect.meta.data`).
    pub connect_meta_data: bool,
    /// Replace characters Avro does not allow in names by `_` (`scrub.invalid.names`).
    pub scrub_invalid_names: bool,
}

impl Default for AvroDataOptions {
    fn default() -> Self {
        AvroDataOptions { connect_meta_data: true, scrub_invalid_names: false }
    }
}

/// The Avro schema (as JSON) of a Connect schema.
pub fn connect_to_avro(schema: &Schema, options: &AvroDataOptions) -> Result<Json> {
    let mut ctx =
        Ctx { options: *options, default_index: 0, map_entry_index: 0, named: HashMap::new() };
    ctx.schema(schema, true)
}

/// The full name of the top-level record of an Avro schema, if it is a named type.
pub(crate) fn full_name(avro: &Json) -> Option<String> {
    let obj = avro.as_object()?;
    let name = obj.get("name")?.as_str()?;
    match obj.get("namespace").and_then(Json::as_str) {
        Some(ns) if !ns.is_empty() && !name.contains('.') => Some(format!("{ns}.{name}")),
        _ => Some(name.to_string()),
    }
}

struct Ctx {
    options: AvroDataOptions,
    default_index: usize,
    map_entry_index: usize,
    /// Full name → the record JSON defined under it, to write repeats as references.
    named: HashMap<String, Json>,
}

impl Ctx {
    /// The Avro schema of `schema`, wrapped in a union with null when optional.
    fn schema(&mut self, schema: &Schema, wrap_optional: bool) -> Result<Json> {
        let base = self.base(schema)?;
        if wrap_optional && schema.is_optional() {
            let default_is_null = schema.default_value().is_none_or(Value::is_null);
            Ok(if default_is_null { json!(["null", base]) } else { json!([base, "null"]) })
        } else {
            Ok(base)
        }
    }

    fn meta(&self, obj: &mut Map<String, Json>, schema: &Schema, with_name: bool) -> Result<()> {
        if !self.options.connect_meta_data {
            return Ok(());
        }
        if let Some(doc) = schema.doc() {
            obj.insert(CONNECT_DOC.into(), json!(doc));
        }
        if let Some(v) = schema.version() {
            obj.insert(CONNECT_VERSION.into(), json!(v));
        }
        if !schema.parameters().is_empty() {
            obj.insert(CONNECT_PARAMETERS.into(), json!(schema.parameters()));
        }
        if let Some(d) = schema.default_value()
            && !d.is_null()
            && let Some(j) = default_json(schema, d)?
        {
            obj.insert(CONNECT_DEFAULT.into(), j);
        }
        if with_name && let Some(n) = schema.name() {
            obj.insert(CONNECT_NAME.into(), json!(n));
        }
        Ok(())
    }

    fn primitive(&self, schema: &Schema, avro: &str, connect_type: Option<&str>) -> Result<Json> {
        let mut obj = Map::new();
        obj.insert("type".into(), json!(avro));
        if self.options.connect_meta_data
            && let Some(t) = connect_type
        {
            obj.insert(CONNECT_TYPE.into(), json!(t));
        }
        self.meta(&mut obj, schema, true)?;
        Ok(if obj.len() == 1 { json!(avro) } else { Json::Object(obj) })
    }

    fn base(&mut self, schema: &Schema) -> Result<Json> {
        if let Some(logical) = LogicalType::of(schema) {
            return self.logical(schema, logical);
        }
        match schema.schema_type() {
            Type::Int8 => self.primitive(schema, "int", Some("int8")),
            Type::Int16 => self.primitive(schema, "int", Some("int16")),
            Type::Int32 => self.primitive(schema, "int", None),
            Type::Int64 => self.primitive(schema, "long", None),
            Type::Float32 => self.primitive(schema, "float", None),
            Type::Float64 => self.primitive(schema, "double", None),
            Type::Boolean => self.primitive(schema, "boolean", None),
            Type::String if schema.parameters().contains_key(ENUM_NAME) => self.enumeration(schema),
            Type::String => self.primitive(schema, "string", None),
            Type::Bytes if schema.parameters().contains_key(FIXED_SIZE_PARAMETER) => {
                self.fixed(schema)
            }
            Type::Bytes => self.primitive(schema, "bytes", None),
            Type::Array => {
                let items = schema
                    .value_schema()
                    .ok_or_else(|| ConnectError::schema("ARRAY schema without element schema"))?;
                let mut obj = Map::new();
                obj.insert("type".into(), json!("array"));
                obj.insert("items".into(), self.schema(items, true)?);
                self.meta(&mut obj, schema, true)?;
                Ok(Json::Object(obj))
            }
            Type::Map => self.map(schema),
            Type::Struct => self.record(schema),
        }
    }

    fn logical(&mut self, schema: &Schema, logical: LogicalType) -> Result<Json> {
        let mut obj = Map::new();
        match logical {
            LogicalType::Decimal => {
                let scale = connect_api::data::Decimal::schema_scale(schema)?;
                let precision = match schema.parameters().get(PRECISION_PARAMETER) {
                    Some(p) => p.parse::<u32>().map_err(|_| {
                        ConnectError::schema(format!(
                            "Invalid {PRECISION_PARAMETER} parameter {p:?}"
                        ))
                    })?,
                    None => DEFAULT_PRECISION,
                };
                obj.insert("type".into(), json!("bytes"));
                obj.insert("scale".into(), json!(scale));
                obj.insert("precision".into(), json!(precision));
                obj.insert("logicalType".into(), json!("decimal"));
            }
            LogicalType::Date => {
                obj.insert("type".into(), json!("int"));
                obj.insert("logicalType".into(), json!("date"));
            }
            LogicalType::Time => {
                obj.insert("type".into(), json!("int"));
                obj.insert("logicalType".into(), json!("time-millis"));
            }
            LogicalType::Timestamp => {
                obj.insert("type".into(), json!("long"));
                obj.insert("logicalType".into(), json!("timestamp-millis"));
            }
        }
        self.meta(&mut obj, schema, true)?;
        if !self.options.connect_meta_data {
            // Without metadata the logical type name is still needed to read it back.
            let name = match logical {
                LogicalType::Decimal => DECIMAL_NAME,
                LogicalType::Date => DATE_NAME,
                LogicalType::Time => TIME_NAME,
                LogicalType::Timestamp => TIMESTAMP_NAME,
            };
            obj.insert(CONNECT_NAME.into(), json!(name));
        }
        Ok(Json::Object(obj))
    }

    /// A STRING read from an Avro enum goes back to that enum.
    fn enumeration(&mut self, schema: &Schema) -> Result<Json> {
        let params = schema.parameters();
        let full = params.get(ENUM_NAME).cloned().unwrap_or_default();
        let prefix = format!("{ENUM_NAME}.");
        let symbols: Vec<&String> =
            params.iter().filter(|(k, _)| k.starts_with(&prefix)).map(|(_, v)| v).collect();
        let mut obj = self.named_type(&full, "enum");
        obj.insert("symbols".into(), json!(symbols));
        self.meta(&mut obj, schema, true)?;
        self.define(full, Json::Object(obj))
    }

    /// BYTES read from an Avro fixed goes back to that fixed.
    fn fixed(&mut self, schema: &Schema) -> Result<Json> {
        let size: u64 =
            schema.parameters().get(FIXED_SIZE_PARAMETER).and_then(|s| s.parse().ok()).ok_or_else(
                || ConnectError::schema(format!("Invalid {FIXED_SIZE_PARAMETER} parameter")),
            )?;
        let full = schema.name().unwrap_or("fixed").to_string();
        let mut obj = self.named_type(&full, "fixed");
        obj.insert("size".into(), json!(size));
        self.meta(&mut obj, schema, true)?;
        self.define(full, Json::Object(obj))
    }

    fn named_type(&self, full: &str, ty: &str) -> Map<String, Json> {
        let mut obj = Map::new();
        obj.insert("type".into(), json!(ty));
        match full.rsplit_once('.') {
            Some((ns, n)) => {
                obj.insert("name".into(), json!(self.scrub(n)));
                obj.insert("namespace".into(), json!(ns));
            }
            None => {
                obj.insert("name".into(), json!(self.scrub(full)));
            }
        }
        obj
    }

    /// The definition the first time a name is met, a reference to it afterwards.
    fn define(&mut self, full: String, def: Json) -> Result<Json> {
        match self.named.get(&full) {
            Some(previous) if *previous == def => Ok(json!(full)),
            Some(_) => Err(ConnectError::schema(format!(
                "Cannot map Connect schema to Avro: two different types are named {full}"
            ))),
            None => {
                self.named.insert(full, def.clone());
                Ok(def)
            }
        }
    }

    fn map(&mut self, schema: &Schema) -> Result<Json> {
        let (Some(ks), Some(vs)) = (schema.key_schema(), schema.value_schema()) else {
            return Err(ConnectError::schema("MAP schema without key or value schema"));
        };
        let mut obj = Map::new();
        if ks.schema_type() == Type::String && !ks.is_optional() && ks.name().is_none() {
            obj.insert("type".into(), json!("map"));
            obj.insert("values".into(), self.schema(vs, true)?);
        } else {
            self.map_entry_index += 1;
            let name = match self.map_entry_index {
                1 => MAP_ENTRY_TYPE_NAME.to_string(),
                n => format!("{MAP_ENTRY_TYPE_NAME}{n}"),
            };
            let entry = json!({
                "type": "record",
                "name": name,
                "namespace": AVRO_NAMESPACE,
                "fields": [
                    self.field("key", ks)?,
                    self.field("value", vs)?,
                ],
            });
            obj.insert("type".into(), json!("array"));
            obj.insert("items".into(), entry);
        }
        self.meta(&mut obj, schema, true)?;
        Ok(Json::Object(obj))
    }

    fn field(&mut self, name: &str, schema: &Schema) -> Result<Json> {
        let mut obj = Map::new();
        obj.insert("name".into(), json!(self.scrub(name)));
        obj.insert("type".into(), self.schema(schema, true)?);
        if let Some(doc) = schema.doc() {
            obj.insert("doc".into(), json!(doc));
        }
        match schema.default_value() {
            Some(d) if !d.is_null() => {
                if let Some(j) = default_json(schema, d)? {
                    obj.insert("default".into(), j);
                }
            }
            _ if schema.is_optional() => {
                obj.insert("default".into(), Json::Null);
            }
            _ => {}
        }
        Ok(Json::Object(obj))
    }

    fn scrub(&self, name: &str) -> String {
        if !self.options.scrub_invalid_names {
            return name.to_string();
        }
        let mut out: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
            .collect();
        if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
            out.insert(0, '_');
        }
        out
    }

    fn record(&mut self, schema: &Schema) -> Result<Json> {
        let (namespace, name) = match schema.name() {
            Some(full) => match full.rsplit_once('.') {
                Some((ns, n)) => {
                    let ns: Vec<String> = ns.split('.').map(|p| self.scrub(p)).collect();
                    (ns.join("."), self.scrub(n))
                }
                None => (String::new(), self.scrub(full)),
            },
            None => {
                self.default_index += 1;
                let n = match self.default_index {
                    1 => DEFAULT_SCHEMA_NAME.to_string(),
                    n => format!("{DEFAULT_SCHEMA_NAME}{n}"),
                };
                (AVRO_NAMESPACE.to_string(), n)
            }
        };
        let full = if namespace.is_empty() { name.clone() } else { format!("{namespace}.{name}") };
        let mut fields = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            fields.push(self.field(f.name(), f.schema())?);
        }
        let mut obj = Map::new();
        obj.insert("type".into(), json!("record"));
        obj.insert("name".into(), json!(name));
        if !namespace.is_empty() {
            obj.insert("namespace".into(), json!(namespace));
        }
        if let Some(doc) = schema.doc() {
            obj.insert("doc".into(), json!(doc));
        }
        obj.insert("fields".into(), Json::Array(fields));
        self.meta(&mut obj, schema, true)?;
        self.define(full, Json::Object(obj))
    }
}

/// The Avro JSON of a Connect default value; `None` when JSON cannot hold it (NaN).
pub(crate) fn default_json(schema: &Schema, value: &Value) -> Result<Option<Json>> {
    let j = match value {
        Value::Null => Json::Null,
        Value::Int8(v) => json!(v),
        Value::Int16(v) => json!(v),
        Value::Int32(v) => json!(v),
        Value::Int64(v) => json!(v),
        Value::Float32(v) if v.is_finite() => json!(v),
        Value::Float64(v) if v.is_finite() => json!(v),
        Value::Float32(_) | Value::Float64(_) => return Ok(None),
        Value::Boolean(v) => json!(v),
        Value::String(v) => json!(v),
        Value::Bytes(b) => Json::String(latin1(b)),
        Value::Decimal(d) => {
            let bytes = match connect_api::data::Decimal::from_logical(schema, d) {
                Ok(b) => b,
                Err(_) => d.unscaled().to_signed_bytes_be(),
            };
            Json::String(latin1(&bytes))
        }
        Value::Date(d) => json!(d.0),
        Value::Time(t) => json!(t.0),
        Value::Timestamp(t) => json!(t.0),
        Value::Array(items) => {
            let Some(es) = schema.value_schema() else { return Ok(None) };
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                match default_json(es, i)? {
                    Some(j) => out.push(j),
                    None => return Ok(None),
                }
            }
            Json::Array(out)
        }
        Value::Map(entries) => {
            let (Some(ks), Some(vs)) = (schema.key_schema(), schema.value_schema()) else {
                return Ok(None);
            };
            if ks.schema_type() == Type::String && !ks.is_optional() && ks.name().is_none() {
                let mut obj = Map::new();
                for (k, v) in entries {
                    let (Some(k), Some(v)) = (k.as_str(), default_json(vs, v)?) else {
                        return Ok(None);
                    };
                    obj.insert(k.to_string(), v);
                }
                Json::Object(obj)
            } else {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let (Some(k), Some(v)) = (default_json(ks, k)?, default_json(vs, v)?) else {
                        return Ok(None);
                    };
                    out.push(json!({"key": k, "value": v}));
                }
                Json::Array(out)
            }
        }
        Value::Struct(s) => {
            let mut obj = Map::new();
            for f in s.schema().fields() {
                let v = s.get_at(f.index())?;
                match default_json(f.schema(), v)? {
                    Some(j) => obj.insert(f.name().to_string(), j),
                    None => return Ok(None),
                };
            }
            Json::Object(obj)
        }
    };
    Ok(Some(j))
}

/// Avro's JSON form of bytes: one character per byte (ISO-8859-1).
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}
