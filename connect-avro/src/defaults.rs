//! Avro JSON defaults read as Connect values.

use connect_api::data::{Date, Decimal, Schema, Time, Timestamp, Value};

use serde_json::Value as Json;

use super::plan::{IntKind, Node};

/// A JSON default read as the value of `node` (`None` when it does not fit).
pub(crate) fn json_to_value(j: &Json, node: &Node, schema: &Schema) -> Option<Value> {
    let v = match node {
        Node::Boolean => Value::Boolean(j.as_bool()?),
        Node::Int(kind) => {
            let i = i32::try_from(j.as_i64()?).ok()?;
            match kind {
                IntKind::Int8 => Value::Int8(i8::try_from(i).ok()?),
                IntKind::Int16 => Value::Int16(i16::try_from(i).ok()?),
                IntKind::Int32 => Value::Int32(i),
                IntKind::Date => Value::Date(Date(i)),
                IntKind::Time => Value::Time(Time(i)),
            }
        }
        Node::Long(ts) => {
            let l = j.as_i64()?;
            if *ts { Value::Timestamp(Timestamp(l)) } else { Value::Int64(l) }
        }
        Node::Float => Value::Float32(j.as_f64()? as f32),
        Node::Double => Value::Float64(j.as_f64()?),
        Node::String | Node::Enum(_) => Value::String(j.as_str()?.to_string()),
        Node::Bytes | Node::Fixed(_) => Value::Bytes(from_latin1(j.as_str()?)?),
        Node::Decimal { .. } => {
            Value::Decimal(Decimal::to_logical(schema, &from_latin1(j.as_str()?)?).ok()?)
        }
        Node::Array(inner) => {
            let es = schema.value_schema()?;
            let items = j.as_array()?.iter().map(|i| json_to_value(i, inner, es));
            Value::Array(items.collect::<Option<Vec<_>>>()?)
        }
        Node::Map(inner) => {
            let vs = schema.value_schema()?;
            let mut out = Vec::new();
            for (k, v) in j.as_object()? {
                out.push((Value::String(k.clone()), json_to_value(v, inner, vs)?));
            }
            Value::Map(out)
        }
        Node::MapEntries(kn, vn) => {
            let (ks, vs) = (schema.key_schema()?, schema.value_schema()?);
            let mut out = Vec::new();
            for e in j.as_array()? {
                out.push((
                    json_to_value(e.get("key")?, kn, ks)?,
                    json_to_value(e.get("value")?, vn, vs)?,
                ));
            }
            Value::Map(out)
        }
        Node::Optional { inner, .. } => {
            if j.is_null() {
                Value::Null
            } else {
                json_to_value(j, inner, schema)?
            }
        }
        Node::Record(..) | Node::Union { .. } => return None,
    };
    Some(v)
}

fn from_latin1(s: &str) -> Option<Vec<u8>> {
    s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect()
}
