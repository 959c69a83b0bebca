//! The FieldPartitioner: `<field>=<value>` directories from fields of the value.

use connect_api::data::{Schema, Value};
use connect_api::record::{ConnectRecord as _, SinkRecord};
use connect_api::{ConnectError, Result};

use super::{Partitioner, describe, field_value};

/// Confluent's `FieldPartitioner`: for each name of `partition.field.name`, in order,
/// a directory `<name>=<value>` (`department=engineering/region=emea`). The fields
/// must be INT8–INT64, STRING or BOOLEAN (as in Confluent); a dotted name reaches
/// into nested structs. Schemaless map values are accepted too (string keys).
#[derive(Debug, Clone)]
pub struct FieldPartitioner {
    fields: Vec<String>,
}

impl FieldPartitioner {
    /// A partitioner over `fields`; a config error naming `partition.field.name`
    /// when the list is empty or holds an empty name.
    pub fn new(fields: &[String]) -> Result<Self> {
        let fields: Vec<String> = fields.iter().map(|f| f.trim().to_string()).collect();
        if fields.is_empty() {
            return Err(ConnectError::config(
                "Missing required configuration partition.field.name for FieldPartitioner: name at least one field of the record value",
            ));
        }
        if fields.iter().any(String::is_empty) {
            return Err(ConnectError::config(
                "Invalid value for configuration partition.field.name: empty field name in the list",
            ));
        }
        Ok(FieldPartitioner { fields })
    }

    /// The field names, in directory order.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }
}

impl Partitioner for FieldPartitioner {
    fn encode_partition(&self, record: &SinkRecord, _now_ms: i64) -> Result<String> {
        let mut out = String::new();
        for name in &self.fields {
            let value = field_value(record.value(), name).map_err(|why| {
                ConnectError::data(format!(
                    "FieldPartitioner cannot partition {}: the value {why} (partition.field.name {name:?})",
                    describe(record)
                ))
            })?;
            let text = match value {
                Value::Int8(v) => v.to_string(),
                Value::Int16(v) => v.to_string(),
                Value::Int32(v) => v.to_string(),
                Value::Int64(v) => v.to_string(),
                Value::String(s) => s.clone(),
                Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(ConnectError::data(format!(
                        "FieldPartitioner cannot partition {}: field {name:?} is {}; only INT8, INT16, INT32, INT64, STRING and BOOLEAN fields can be partition keys",
                        describe(record),
                        if other.is_null() { "null" } else { other.kind_name() }
                    )));
                }
            };
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(name);
            out.push('=');
            out.push_str(&text);
        }
        Ok(out)
    }

    /// Each field as a STRING column, as Confluent declares them: the field's own
    /// schema is not known before the first record arrives.
    fn partition_fields(&self) -> Vec<(String, Schema)> {
        self.fields.iter().map(|f| (f.clone(), Schema::string())).collect()
    }
}
