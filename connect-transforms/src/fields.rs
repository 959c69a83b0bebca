//! Field transformations on a record's key or value: `InsertField`, `ReplaceField`,
//! `HoistField`, `ExtractField` (each with Kafka's `$Key` and `$Value` forms).
//!
//! Structs get a new schema, built once per input schema and cached; schemaless maps
//! are changed entry by entry.

use std::collections::HashMap;

use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, Struct, Timestamp, Value};
use connect_api::record::ConnectRecord;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, Result};

/// Which part of the record a field transformation works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The key (`$Key`).
    Key,
    /// The value (`$Value`).
    Value,
}

pub(crate) fn get<R: ConnectRecord>(side: Side, r: &R) -> (Option<Schema>, Value) {
    match side {
        Side::Key => (r.key_schema().cloned(), r.key().clone()),
        Side::Value => (r.value_schema().cloned(), r.value().clone()),
    }
}

pub(crate) fn set<R: ConnectRecord>(side: Side, r: &mut R, v: SchemaAndValue) {
    match side {
        Side::Key => r.set_key(v),
        Side::Value => r.set_value(v),
    }
}

fn list(config: &RawConfig, key: &str) -> Vec<String> {
    config
        .get(key)
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default()
}

fn required(config: &RawConfig, key: &str) -> Result<String> {
    config.get(key).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).ok_or_else(|| {
        ConnectError::config(format!(
            "Missing required configuration \"{key}\" which has no default value."
        ))
    })
}

/// Copies the fields of `value` into a struct of `schema`, by name, skipping fields the
/// new schema does not have.
fn copy_fields(
    value: &Struct,
    schema: &Schema,
    rename: impl Fn(&str) -> Option<String>,
) -> Result<Struct> {
    let mut out = Struct::new(schema.clone())?;
    for f in value.schema().fields() {
        if let Some(name) = rename(f.name()) {
            out.put(&name, value.get_without_default(f.name())?.clone())?;
        }
    }
    Ok(out)
}

/// A field name with Kafka's `!` (required) / `?` (optional, the default) suffix.
fn field_spec(raw: Option<&String>) -> Option<(String, bool)> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    if let Some(n) = raw.strip_suffix('!') {
        Some((n.to_string(), false))
    } else {
        Some((raw.strip_suffix('?').unwrap_or(raw).to_string(), true))
    }
}

/// Adds the record's topic, partition, offset, timestamp and/or a static value as fields
/// (Kafka's `InsertField`).
#[derive(Debug)]
pub struct InsertField {
    side: Side,
    topic: Option<(String, bool)>,
    partition: Option<(String, bool)>,
    offset: Option<(String, bool)>,
    timestamp: Option<(String, bool)>,
    static_field: Option<(String, bool)>,
    static_value: Option<String>,
    schemas: HashMap<Schema, Schema>,
}

impl InsertField {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        InsertField {
            side,
            topic: None,
            partition: None,
            offset: None,
            timestamp: None,
            static_field: None,
            static_value: None,
            schemas: HashMap::new(),
        }
    }

    fn schema_for(&mut self, base: &Schema) -> Result<Schema> {
        if let Some(s) = self.schemas.get(base) {
            return Ok(s.clone());
        }
        let mut b = SchemaBuilder::struct_();
        if let Some(n) = base.name() {
            b = b.name(n);
        }
        if let Some(v) = base.version() {
            b = b.version(v);
        }
        if let Some(d) = base.doc() {
            b = b.doc(d);
        }
        for f in base.fields() {
            b = b.field(f.name(), f.schema().clone());
        }
        let pick =
            |opt: bool, required: Schema, optional: Schema| if opt { optional } else { required };
        if let Some((n, o)) = &self.topic {
            b = b.field(n, pick(*o, Schema::string(), Schema::optional_string()));
        }
        if let Some((n, o)) = &self.partition {
            b = b.field(n, pick(*o, Schema::int32(), Schema::optional_int32()));
        }
        if let Some((n, o)) = &self.offset {
            b = b.field(n, pick(*o, Schema::int64(), Schema::optional_int64()));
        }
        if let Some((n, o)) = &self.timestamp {
            let ts =
                if *o { Timestamp::builder().optional().build()? } else { Timestamp::schema() };
            b = b.field(n, ts);
        }
        if let Some((n, o)) = &self.static_field {
            b = b.field(n, pick(*o, Schema::string(), Schema::optional_string()));
        }
        let s = if base.is_optional() { b.optional().build()? } else { b.build()? };
        self.schemas.insert(base.clone(), s.clone());
        Ok(s)
    }

    fn additions<R: ConnectRecord>(&self, r: &R) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        if let Some((n, _)) = &self.topic {
            out.push((n.clone(), Value::from(r.topic())));
        }
        if let Some((n, _)) = &self.partition {
            out.push((n.clone(), r.kafka_partition().map_or(Value::Null, Value::Int32)));
        }
        if let Some((n, _)) = &self.offset {
            out.push((n.clone(), r.kafka_offset().map_or(Value::Null, Value::Int64)));
        }
        if let Some((n, _)) = &self.timestamp {
            out.push((
                n.clone(),
                r.timestamp().map_or(Value::Null, |t| Value::Timestamp(Timestamp(t))),
            ));
        }
        if let Some((n, _)) = &self.static_field {
            out.push((n.clone(), self.static_value.clone().map_or(Value::Null, Value::String)));
        }
        out
    }
}

impl<R: ConnectRecord> Transformation<R> for InsertField {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        self.topic = field_spec(config.get("topic.field"));
        self.partition = field_spec(config.get("partition.field"));
        self.offset = field_spec(config.get("offset.field"));
        self.timestamp = field_spec(config.get("timestamp.field"));
        self.static_field = field_spec(config.get("static.field"));
        self.static_value = config.get("static.value").cloned();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        let key =
            |n: &str, d: &str| ConfigKey::new(n, Type::String, Importance::Medium, d).optional();
        ConfigDef::new()
            .define(key(
                "topic.field",
                "Field name for the Kafka topic. Suffix with ! to make it required, ? optional.",
            ))
            .define(key("partition.field", "Field name for the Kafka partition."))
            .define(key("offset.field", "Field name for the Kafka offset (sink connectors only)."))
            .define(key("timestamp.field", "Field name for the record timestamp."))
            .define(key("static.field", "Field name for the static value."))
            .define(key("static.value", "The static value."))
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        let additions = self.additions(&record);
        let updated = match (schema, value) {
            (_, Value::Null) => return Ok(Some(record)),
            (Some(schema), Value::Struct(s)) => {
                let target = self.schema_for(&schema)?;
                let mut out = copy_fields(&s, &target, |n| Some(n.to_string()))?;
                for (n, v) in additions {
                    out.put(&n, v)?;
                }
                SchemaAndValue::new(Some(target), Value::Struct(out))
            }
            (None, Value::Map(mut entries)) => {
                for (n, v) in additions {
                    entries.retain(|(k, _)| k.as_str() != Some(n.as_str()));
                    entries.push((Value::String(n), v));
                }
                SchemaAndValue::new(None, Value::Map(entries))
            }
            (Some(_), other) => {
                return Err(ConnectError::data(format!(
                    "Only Struct objects supported for [field insertion], found: {}",
                    other.kind_name()
                )));
            }
            (None, other) => {
                return Err(ConnectError::data(format!(
                    "Only Map objects supported in absence of schema for [field insertion], found: {}",
                    other.kind_name()
                )));
            }
        };
        set(self.side, &mut record, updated);
        Ok(Some(record))
    }
}

/// Drops, keeps and renames fields (Kafka's `ReplaceField`: `exclude`, `include`,
/// `renames` as `old:new` pairs).
#[derive(Debug)]
pub struct ReplaceField {
    side: Side,
    exclude: Vec<String>,
    include: Vec<String>,
    renames: HashMap<String, String>,
    schemas: HashMap<Schema, Schema>,
}

impl ReplaceField {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        ReplaceField {
            side,
            exclude: Vec::new(),
            include: Vec::new(),
            renames: HashMap::new(),
            schemas: HashMap::new(),
        }
    }

    fn keep(&self, name: &str) -> bool {
        !self.exclude.iter().any(|e| e == name)
            && (self.include.is_empty() || self.include.iter().any(|i| i == name))
    }

    fn renamed(&self, name: &str) -> Option<String> {
        self.keep(name).then(|| self.renames.get(name).cloned().unwrap_or_else(|| name.to_string()))
    }

    fn schema_for(&mut self, base: &Schema) -> Result<Schema> {
        if let Some(s) = self.schemas.get(base) {
            return Ok(s.clone());
        }
        let mut b = SchemaBuilder::struct_();
        if let Some(n) = base.name() {
            b = b.name(n);
        }
        if let Some(v) = base.version() {
            b = b.version(v);
        }
        for f in base.fields() {
            if let Some(n) = self.renamed(f.name()) {
                b = b.field(n, f.schema().clone());
            }
        }
        let s = if base.is_optional() { b.optional().build()? } else { b.build()? };
        self.schemas.insert(base.clone(), s.clone());
        Ok(s)
    }
}

impl<R: ConnectRecord> Transformation<R> for ReplaceField {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        self.exclude = list(config, "exclude");
        self.exclude.extend(list(config, "blacklist"));
        self.include = list(config, "include");
        self.include.extend(list(config, "whitelist"));
        self.renames.clear();
        for pair in list(config, "renames") {
            let (old, new) = pair.split_once(':').ok_or_else(|| {
                ConnectError::config(format!(
                    "Invalid value {pair} for configuration renames: expected old:new"
                ))
            })?;
            self.renames.insert(old.trim().to_string(), new.trim().to_string());
        }
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        let key = |n: &str, d: &str| {
            ConfigKey::new(n, Type::List, Importance::Medium, d).default_value("")
        };
        ConfigDef::new()
            .define(key("exclude", "Fields to exclude; takes precedence over include."))
            .define(key("include", "Fields to include; all when empty."))
            .define(key("renames", "Field rename mappings as old:new."))
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        let updated = match (schema, value) {
            (_, Value::Null) => return Ok(Some(record)),
            (Some(schema), Value::Struct(s)) => {
                let target = self.schema_for(&schema)?;
                let out = copy_fields(&s, &target, |n| self.renamed(n))?;
                SchemaAndValue::new(Some(target), Value::Struct(out))
            }
            (None, Value::Map(entries)) => {
                let out = entries
                    .into_iter()
                    .filter_map(|(k, v)| match k.as_str().and_then(|n| self.renamed(n)) {
                        Some(n) => Some((Value::String(n), v)),
                        None if k.as_str().is_none() => Some((k, v)),
                        None => None,
                    })
                    .collect();
                SchemaAndValue::new(None, Value::Map(out))
            }
            (_, other) => {
                return Err(ConnectError::data(format!(
                    "Only Struct objects (or Map objects without a schema) supported for [field replacement], found: {}",
                    other.kind_name()
                )));
            }
        };
        set(self.side, &mut record, updated);
        Ok(Some(record))
    }
}

/// Wraps the key or value in a struct (or map) with a single field (Kafka's `HoistField`).
#[derive(Debug)]
pub struct HoistField {
    side: Side,
    field: String,
    schemas: HashMap<Schema, Schema>,
}

impl HoistField {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        HoistField { side, field: String::new(), schemas: HashMap::new() }
    }
}

impl<R: ConnectRecord> Transformation<R> for HoistField {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        self.field = required(config, "field")?;
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new(
            "field",
            Type::String,
            Importance::Medium,
            "Field name for the single field.",
        ))
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        let updated = match schema {
            Some(schema) => {
                let target = match self.schemas.get(&schema) {
                    Some(t) => t.clone(),
                    None => {
                        let t =
                            SchemaBuilder::struct_().field(&self.field, schema.clone()).build()?;
                        self.schemas.insert(schema, t.clone());
                        t
                    }
                };
                let s = Struct::new(target.clone())?.with(&self.field, value)?;
                SchemaAndValue::new(Some(target), Value::Struct(s))
            }
            None => SchemaAndValue::new(
                None,
                Value::Map(vec![(Value::String(self.field.clone()), value)]),
            ),
        };
        set(self.side, &mut record, updated);
        Ok(Some(record))
    }
}

/// Replaces the key or value with one of its fields (Kafka's `ExtractField`).
#[derive(Debug)]
pub struct ExtractField {
    side: Side,
    field: String,
}

impl ExtractField {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        ExtractField { side, field: String::new() }
    }
}

impl<R: ConnectRecord> Transformation<R> for ExtractField {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        self.field = required(config, "field")?;
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new(
            "field",
            Type::String,
            Importance::Medium,
            "Field name to extract.",
        ))
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        let updated = match (schema, value) {
            (_, Value::Null) => return Ok(Some(record)),
            (Some(_), Value::Struct(s)) => {
                let field = s
                    .schema()
                    .field(&self.field)
                    .ok_or_else(|| ConnectError::data(format!("Unknown field: {}", self.field)))?;
                SchemaAndValue::new(Some(field.schema().clone()), s.get(&self.field)?.clone())
            }
            (None, Value::Map(entries)) => {
                let v = entries
                    .into_iter()
                    .find(|(k, _)| k.as_str() == Some(self.field.as_str()))
                    .map(|(_, v)| v)
                    .unwrap_or(Value::Null);
                SchemaAndValue::new(None, v)
            }
            (_, other) => {
                return Err(ConnectError::data(format!(
                    "Only Struct objects (or Map objects without a schema) supported for [field extraction], found: {}",
                    other.kind_name()
                )));
            }
        };
        set(self.side, &mut record, updated);
        Ok(Some(record))
    }
}
