//! `SetSchemaMetadata` (with `$Key` and `$Value` forms) and `ValueToKey`: the record's
//! schema name and version, and a key made from value fields.

use std::collections::HashMap;

use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, Struct, Value};
use connect_api::record::ConnectRecord;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, Result};

use crate::common::{
    REPLACE_NULL_WITH_DEFAULT, field_value, map_get, non_empty_list, replace_null_with_default_key,
    require_map, require_struct,
};
use crate::fields::{Side, get, set};

/// Sets the name and/or version of the key or value schema (Kafka's
/// `SetSchemaMetadata$Key` / `SetSchemaMetadata$Value`), keeping everything else of
/// the schema; a struct is rebuilt on the renamed schema. At least one of
/// `schema.name` and `schema.version` must be set. A record without schema and value
/// passes; a value without a schema is an error.
#[derive(Debug)]
pub struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
    schemas: HashMap<Schema, Schema>,
}

impl SetSchemaMetadata {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        SetSchemaMetadata {
            side,
            name: None,
            version: None,
            replace_null_with_default: true,
            schemas: HashMap::new(),
        }
    }

    fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    "schema.name",
                    Type::String,
                    Importance::High,
                    "Schema name to set.",
                )
                .optional(),
            )
            .define(
                ConfigKey::new(
                    "schema.version",
                    Type::Int,
                    Importance::High,
                    "Schema version to set.",
                )
                .optional(),
            )
            .define(replace_null_with_default_key())
    }

    fn updated(&mut self, base: &Schema) -> Result<Schema> {
        if let Some(s) = self.schemas.get(base) {
            return Ok(s.clone());
        }
        // The builder refuses to overwrite a name or version, so start from the type and
        // copy each property, taking the configured name and version instead.
        let mut b = match base.schema_type() {
            connect_api::data::Type::Array => {
                SchemaBuilder::array(base.value_schema().cloned().unwrap_or_else(Schema::string))
            }
            connect_api::data::Type::Map => SchemaBuilder::map(
                base.key_schema().cloned().unwrap_or_else(Schema::string),
                base.value_schema().cloned().unwrap_or_else(Schema::string),
            ),
            t => SchemaBuilder::new(t),
        };
        if base.is_optional() {
            b = b.optional();
        }
        if let Some(n) = self.name.as_deref().or(base.name()) {
            b = b.name(n);
        }
        if let Some(v) = self.version.or(base.version()) {
            b = b.version(v);
        }
        if let Some(d) = base.doc() {
            b = b.doc(d);
        }
        b = b.parameters(base.parameters().clone());
        for f in base.fields() {
            b = b.field(f.name(), f.schema().clone());
        }
        if let Some(d) = base.default_value()
            && !matches!(d, Value::Struct(_))
        {
            b = b.default_value(d.clone());
        }
        let s = b.build()?;
        self.schemas.insert(base.clone(), s.clone());
        Ok(s)
    }
}

impl<R: ConnectRecord> Transformation<R> for SetSchemaMetadata {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.name = parsed.get("schema.name").and_then(|v| v.as_str()).map(str::to_string);
        self.version = parsed.get("schema.version").and_then(|v| v.as_i32());
        self.replace_null_with_default = parsed.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        if self.name.is_none() && self.version.is_none() {
            return Err(ConnectError::config(
                "Neither schema name nor version configured: set schema.name or schema.version",
            ));
        }
        self.schemas.clear();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        let schema = match schema {
            None if value.is_null() => return Ok(Some(record)),
            None => {
                return Err(ConnectError::data("Schema required for [updating schema metadata]"));
            }
            Some(s) => s,
        };
        let target = self.updated(&schema)?;
        let value = match value {
            Value::Struct(s) => {
                let mut out = Struct::new(target.clone())?;
                for f in target.fields() {
                    out.put(f.name(), field_value(&s, f.name(), self.replace_null_with_default)?)?;
                }
                Value::Struct(out)
            }
            other => other,
        };
        set(self.side, &mut record, SchemaAndValue::new(Some(target), value));
        Ok(Some(record))
    }
}

const VALUE_TO_KEY: &str = "copying fields from value to key";

/// Replaces the key with a struct (with a value schema) or map (without) of the value
/// fields listed in `fields` (Kafka's `ValueToKey`); the value is unchanged. With a
/// schema every listed field must exist; without one a missing field gives a null
/// entry.
#[derive(Debug)]
pub struct ValueToKey {
    fields: Vec<String>,
    replace_null_with_default: bool,
    schemas: HashMap<Schema, Schema>,
}

impl Default for ValueToKey {
    fn default() -> Self {
        ValueToKey { fields: Vec::new(), replace_null_with_default: true, schemas: HashMap::new() }
    }
}

impl ValueToKey {
    fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    "fields",
                    Type::List,
                    Importance::High,
                    "Field names on the record value to extract as the record key.",
                )
                .validator(non_empty_list()),
            )
            .define(replace_null_with_default_key())
    }

    fn key_schema(&mut self, value: &Schema) -> Result<Schema> {
        if let Some(s) = self.schemas.get(value) {
            return Ok(s.clone());
        }
        let mut b = SchemaBuilder::struct_();
        for name in &self.fields {
            let f = value
                .field(name)
                .ok_or_else(|| ConnectError::data(format!("Field does not exist: {name}")))?;
            b = b.field(name, f.schema().clone());
        }
        let s = b.build()?;
        self.schemas.insert(value.clone(), s.clone());
        Ok(s)
    }
}

impl<R: ConnectRecord> Transformation<R> for ValueToKey {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.fields = parsed.get_list("fields")?.to_vec();
        self.replace_null_with_default = parsed.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        self.schemas.clear();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(Side::Value, &record);
        let key = match schema {
            Some(_) => {
                let s = require_struct(value, VALUE_TO_KEY)?;
                let key_schema = self.key_schema(s.schema())?;
                let mut key = Struct::new(key_schema.clone())?;
                for name in &self.fields {
                    key.put(name, field_value(&s, name, self.replace_null_with_default)?)?;
                }
                SchemaAndValue::new(Some(key_schema), Value::Struct(key))
            }
            None => {
                let m = require_map(value, VALUE_TO_KEY)?;
                let entries =
                    self.fields.iter().map(|n| (Value::from(n.as_str()), map_get(&m, n))).collect();
                SchemaAndValue::new(None, Value::Map(entries))
            }
        };
        set(Side::Key, &mut record, key);
        Ok(Some(record))
    }
}
