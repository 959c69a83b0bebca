//! `Flatten`: nested structs (with a schema) or maps (without) become one level, the
//! field names joined by a delimiter.

use std::collections::HashMap;

use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, Struct, Type as SchemaType, Value};
use connect_api::record::ConnectRecord;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, Result};

use crate::common::{copy_basics, map_put, require_map, require_struct};
use crate::fields::{Side, get, set};

const PURPOSE: &str = "flattening";

/// Flattens a nested key or value (Kafka's `Flatten$Key` / `Flatten$Value`): each
/// field of a nested struct or map becomes a top-level field named by the path of
/// names joined with `delimiter` (default `.`), so `{a: {b: 1}}` becomes `{"a.b": 1}`.
///
/// With a schema, struct fields are flattened; a field is optional if it or any
/// struct around it is optional, and takes its own default or the one its parent's
/// default gives it. Arrays are kept as they are; map fields inside a schema are an
/// error (as in Kafka). Without a schema the value must be a map with string keys;
/// nested maps are flattened, arrays and scalars (including Decimal/Date/Time/
/// Timestamp values) kept, and a struct is an error.
#[derive(Debug)]
pub struct Flatten {
    side: Side,
    delimiter: String,
    schemas: HashMap<Schema, Schema>,
}

impl Flatten {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        Flatten { side, delimiter: ".".to_string(), schemas: HashMap::new() }
    }

    fn definition() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                "delimiter",
                Type::String,
                Importance::Medium,
                "Delimiter to insert between field names from the input record when generating \
                 field names for the output record.",
            )
            .default_value("."),
        )
    }

    fn name(&self, prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}{}{name}", self.delimiter)
        }
    }

    fn schema_for(&mut self, base: &Schema) -> Result<Schema> {
        if let Some(s) = self.schemas.get(base) {
            return Ok(s.clone());
        }
        let parent_default = base.default_value().and_then(Value::as_struct);
        let mut b = copy_basics(base, SchemaBuilder::struct_());
        b = self.flatten_schema(base, "", b, base.is_optional(), parent_default)?;
        let s = b.build()?;
        self.schemas.insert(base.clone(), s.clone());
        Ok(s)
    }

    fn flatten_schema(
        &self,
        schema: &Schema,
        prefix: &str,
        mut out: SchemaBuilder,
        optional: bool,
        parent_default: Option<&Struct>,
    ) -> Result<SchemaBuilder> {
        for f in schema.fields() {
            let name = self.name(prefix, f.name());
            let fs = f.schema();
            let optional = optional || fs.is_optional();
            let default = match (fs.default_value(), parent_default) {
                (Some(d), _) => Some(d.clone()),
                (None, Some(p)) => Some(p.get(f.name())?.clone()).filter(|v| !v.is_null()),
                (None, None) => None,
            };
            match fs.schema_type() {
                SchemaType::Struct => {
                    let d = default.as_ref().and_then(Value::as_struct);
                    out = self.flatten_schema(fs, &name, out, optional, d)?;
                }
                SchemaType::Map => return Err(unsupported("MAP", "with", &name)),
                t => {
                    let mut fb = match fs.value_schema() {
                        Some(elements) if t == SchemaType::Array => {
                            SchemaBuilder::array(elements.clone())
                        }
                        _ => SchemaBuilder::new(t),
                    };
                    fb = copy_basics(fs, fb);
                    if optional {
                        fb = fb.optional();
                    }
                    if let Some(d) = default {
                        fb = fb.default_value(d);
                    }
                    out = out.field(name, fb.build()?);
                }
            }
        }
        Ok(out)
    }

    fn flatten_struct(&self, value: &Struct, prefix: &str, out: &mut Struct) -> Result<()> {
        for f in value.schema().fields() {
            let name = self.name(prefix, f.name());
            match f.schema().schema_type() {
                SchemaType::Struct => {
                    if let Value::Struct(inner) = value.get(f.name())? {
                        self.flatten_struct(inner, &name, out)?;
                    }
                }
                SchemaType::Map => return Err(unsupported("MAP", "with", &name)),
                _ => {
                    out.put(&name, value.get(f.name())?.clone())?;
                }
            }
        }
        Ok(())
    }

    fn flatten_map(
        &self,
        value: Vec<(Value, Value)>,
        prefix: &str,
        out: &mut Vec<(Value, Value)>,
    ) -> Result<()> {
        for (k, v) in value {
            let Value::String(key) = k else {
                return Err(ConnectError::data(format!(
                    "Flatten transformation needs string map keys, found: {}",
                    k.kind_name()
                )));
            };
            let name = self.name(prefix, &key);
            match v {
                Value::Map(inner) => self.flatten_map(inner, &name, out)?,
                Value::Struct(_) => return Err(unsupported("STRUCT", "without", &name)),
                other => map_put(out, &name, other),
            }
        }
        Ok(())
    }
}

fn unsupported(what: &str, with: &str, field: &str) -> ConnectError {
    ConnectError::data(format!(
        "Flatten transformation does not support {what} for record {with} schemas (for field {field})."
    ))
}

impl<R: ConnectRecord> Transformation<R> for Flatten {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.delimiter = parsed.get_string("delimiter")?.to_string();
        self.schemas.clear();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        if value.is_null() {
            return Ok(Some(record));
        }
        let updated = match schema {
            Some(schema) => {
                let value = require_struct(value, PURPOSE)?;
                let target = self.schema_for(&schema)?;
                let mut out = Struct::new(target.clone())?;
                self.flatten_struct(&value, "", &mut out)?;
                SchemaAndValue::new(Some(target), Value::Struct(out))
            }
            None => {
                let mut out = Vec::new();
                self.flatten_map(require_map(value, PURPOSE)?, "", &mut out)?;
                SchemaAndValue::new(None, Value::Map(out))
            }
        };
        set(self.side, &mut record, updated);
        Ok(Some(record))
    }
}
