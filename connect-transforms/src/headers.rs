//! Header transformations: `DropHeaders`, `InsertHeader` and `HeaderFrom` (with its
//! `$Key` and `$Value` forms).

use std::collections::{HashMap, HashSet};

use connect_api::config::{
    ConfigDef, ConfigKey, Importance, NonNullValidator, RawConfig, Type, ValidString,
};
use connect_api::data::{Schema, SchemaAndValue, SchemaBuilder, Struct, Value};
use connect_api::record::{ConnectRecord, Header, Headers};
use connect_api::transform::Transformation;
use connect_api::{ConnectError, Result};

use crate::common::{
    REPLACE_NULL_WITH_DEFAULT, copy_basics, field_value, map_get, non_empty_list,
    replace_null_with_default_key, require_map, require_struct,
};
use crate::fields::{Side, get, set};
use crate::values::parse_literal;

/// Removes every header whose key is listed in `headers` (Kafka's `DropHeaders`).
#[derive(Debug, Default)]
pub struct DropHeaders {
    headers: HashSet<String>,
}

impl DropHeaders {
    fn definition() -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                "headers",
                Type::List,
                Importance::High,
                "The names of the headers to remove.",
            )
            .validator(non_empty_list()),
        )
    }
}

impl<R: ConnectRecord> Transformation<R> for DropHeaders {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.headers = parsed.get_list("headers")?.iter().cloned().collect();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let kept: Headers =
            record.headers().iter().filter(|h| !self.headers.contains(h.key())).cloned().collect();
        *record.headers_mut() = kept;
        Ok(Some(record))
    }
}

/// Adds a header `header` with the literal `value.literal` to every record (Kafka's
/// `InsertHeader`). The literal's type is inferred as Kafka's `Values.parseString`
/// does for scalars: `true`/`false` BOOLEAN, whole numbers the narrowest of
/// INT8…INT64, other numbers FLOAT64, ISO dates, times and timestamps their logical
/// types, anything else (including `[…]` and `{…}`, which Kafka would parse as an
/// array or map) a STRING.
#[derive(Debug, Default)]
pub struct InsertHeader {
    header: String,
    value: SchemaAndValue,
}

impl InsertHeader {
    fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new("header", Type::String, Importance::High, "The name of the header.")
                    .validator(NonNullValidator),
            )
            .define(
                ConfigKey::new(
                    "value.literal",
                    Type::String,
                    Importance::High,
                    "The literal value that is to be set as the header value on all records.",
                )
                .validator(NonNullValidator),
            )
    }
}

impl<R: ConnectRecord> Transformation<R> for InsertHeader {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.header = parsed.get_string("header")?.to_string();
        self.value = parse_literal(parsed.get_string("value.literal")?);
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        record.headers_mut().add(self.header.clone(), self.value.clone());
        Ok(Some(record))
    }
}

/// Whether `HeaderFrom` removes the fields it copies into headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Move,
    Copy,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Move => "move",
            Operation::Copy => "copy",
        }
    }
}

/// Copies or moves fields of the key or value into headers (Kafka's `HeaderFrom$Key`
/// / `HeaderFrom$Value`): the n-th of `fields` goes to the header named by the n-th of
/// `headers`; `operation` is `copy` (the field stays) or `move` (it is removed, and
/// with a schema the struct gets a schema without it). A header of a struct field
/// carries the field's schema; schemaless headers have none. The key or value must be
/// a struct (with a schema) or a map (without); a null one is an error, as in Kafka.
#[derive(Debug)]
pub struct HeaderFrom {
    side: Side,
    fields: Vec<String>,
    headers: Vec<String>,
    operation: Operation,
    replace_null_with_default: bool,
    schemas: HashMap<Schema, Schema>,
}

impl HeaderFrom {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        HeaderFrom {
            side,
            fields: Vec::new(),
            headers: Vec::new(),
            operation: Operation::Copy,
            replace_null_with_default: true,
            schemas: HashMap::new(),
        }
    }

    fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    "fields",
                    Type::List,
                    Importance::High,
                    "Field names in the record whose values are to be copied or moved to headers.",
                )
                .validator(non_empty_list()),
            )
            .define(
                ConfigKey::new(
                    "headers",
                    Type::List,
                    Importance::High,
                    "Header names, in the same order as the field names listed in 'fields'.",
                )
                .validator(non_empty_list()),
            )
            .define(
                ConfigKey::new(
                    "operation",
                    Type::String,
                    Importance::High,
                    "'move' to remove the fields from the key/value, 'copy' to keep them.",
                )
                .validator(ValidString::in_list(["move", "copy"])),
            )
            .define(replace_null_with_default_key())
    }

    fn moved_schema(&mut self, base: &Schema) -> Result<Schema> {
        if let Some(s) = self.schemas.get(base) {
            return Ok(s.clone());
        }
        let mut b = copy_basics(base, SchemaBuilder::struct_());
        for f in base.fields() {
            if !self.fields.iter().any(|n| n == f.name()) {
                b = b.field(f.name(), f.schema().clone());
            }
        }
        let s = b.build()?;
        self.schemas.insert(base.clone(), s.clone());
        Ok(s)
    }

    fn purpose(&self) -> String {
        format!("header {}", self.operation.as_str())
    }
}

impl<R: ConnectRecord> Transformation<R> for HeaderFrom {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.fields = parsed.get_list("fields")?.to_vec();
        self.headers = parsed.get_list("headers")?.to_vec();
        if self.fields.len() != self.headers.len() {
            return Err(ConnectError::config(
                "'fields' config must have the same number of elements as 'headers' config.",
            ));
        }
        self.operation = if parsed.get_string("operation")? == "move" {
            Operation::Move
        } else {
            Operation::Copy
        };
        self.replace_null_with_default = parsed.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        self.schemas.clear();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        let mut added = Vec::with_capacity(self.fields.len());
        let updated = match schema {
            Some(schema) => {
                let s = require_struct(value, &self.purpose())?;
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    let f = schema.field(field).ok_or_else(|| {
                        ConnectError::data(format!(
                            "Unknown field {field} for [{}]",
                            self.purpose()
                        ))
                    })?;
                    let v = field_value(&s, field, self.replace_null_with_default)?;
                    added.push(Header::new(header.clone(), Some(f.schema().clone()), v));
                }
                if self.operation == Operation::Move {
                    let target = self.moved_schema(&schema)?;
                    let mut out = Struct::new(target.clone())?;
                    for f in target.fields() {
                        out.put(
                            f.name(),
                            field_value(&s, f.name(), self.replace_null_with_default)?,
                        )?;
                    }
                    SchemaAndValue::new(Some(target), Value::Struct(out))
                } else {
                    SchemaAndValue::new(Some(schema), Value::Struct(s))
                }
            }
            None => {
                let mut m = require_map(value, &self.purpose())?;
                for (field, header) in self.fields.iter().zip(&self.headers) {
                    added.push(Header::new(header.clone(), None, map_get(&m, field)));
                }
                if self.operation == Operation::Move {
                    m.retain(|(k, _)| {
                        !k.as_str().is_some_and(|k| self.fields.iter().any(|f| f == k))
                    });
                }
                SchemaAndValue::new(None, Value::Map(m))
            }
        };
        set(self.side, &mut record, updated);
        let headers = record.headers_mut();
        for h in added {
            headers.add_with_schema(h.key().to_string(), h.schema().cloned(), h.value().clone());
        }
        Ok(Some(record))
    }
}
