//! Column buffers filled straight from Connect values and turned into Arrow arrays
//! once per batch.
//!
//! A record is appended field by field; if one field does not fit, every column is
//! truncated back to the rows it had ([`Column::truncate`]), so a bad record leaves
//! nothing behind.

use std::sync::Arc;

use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{
    ArrayRef, BinaryArray, BooleanArray, ListArray, MapArray, PrimitiveArray, StringArray,
    StructArray,
};
use arrow_buffer::{BooleanBufferBuilder, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, FieldRef, Fields};
use connect_api::data::logical::LogicalType;
use connect_api::data::{Schema, Type, Value};
use connect_api::{ConnectError, Result};

use super::schema::{decimal_precision_scale, field};
use crate::format::error::{EncResult, EncodeError, mismatch, null_required};

enum Kind {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bool(BooleanBufferBuilder),
    Utf8 {
        offsets: Vec<i32>,
        data: Vec<u8>,
    },
    Binary {
        offsets: Vec<i32>,
        data: Vec<u8>,
    },
    Decimal {
        values: Vec<i128>,
        precision: u8,
        scale: i8,
    },
    Date(Vec<i32>),
    Time(Vec<i32>),
    Timestamp(Vec<i64>),
    List {
        field: FieldRef,
        offsets: Vec<i32>,
        child: Box<Column>,
    },
    Map {
        entries: FieldRef,
        fields: Fields,
        offsets: Vec<i32>,
        keys: Box<Column>,
        values: Box<Column>,
    },
    Struct {
        fields: Fields,
        children: Vec<Column>,
    },
}

/// The buffer of one column (or nested child).
pub(crate) struct Column {
    kind: Kind,
    nullable: bool,
    nulls: NullBufferBuilder,
    default: Option<Value>,
    ty: Type,
}

impl Column {
    /// The column for `schema`, its buffers sized for `rows` rows (a batch), so
    /// appends do not reallocate; nested list and map children start empty.
    pub(crate) fn new(schema: &Schema, path: &str, rows: usize) -> Result<Column> {
        let offsets = || {
            let mut o = Vec::with_capacity(rows + 1);
            o.push(0i32);
            o
        };
        let kind = match LogicalType::of(schema) {
            Some(LogicalType::Decimal) => {
                let (precision, scale) = decimal_precision_scale(schema, path)?;
                Kind::Decimal { values: Vec::with_capacity(rows), precision, scale }
            }
            Some(LogicalType::Date) => Kind::Date(Vec::with_capacity(rows)),
            Some(LogicalType::Time) => Kind::Time(Vec::with_capacity(rows)),
            Some(LogicalType::Timestamp) => Kind::Timestamp(Vec::with_capacity(rows)),
            None => match schema.schema_type() {
                Type::Int8 => Kind::I8(Vec::with_capacity(rows)),
                Type::Int16 => Kind::I16(Vec::with_capacity(rows)),
                Type::Int32 => Kind::I32(Vec::with_capacity(rows)),
                Type::Int64 => Kind::I64(Vec::with_capacity(rows)),
                Type::Float32 => Kind::F32(Vec::with_capacity(rows)),
                Type::Float64 => Kind::F64(Vec::with_capacity(rows)),
                Type::Boolean => Kind::Bool(BooleanBufferBuilder::new(rows.max(1024))),
                Type::String => Kind::Utf8 { offsets: offsets(), data: Vec::new() },
                Type::Bytes => Kind::Binary { offsets: offsets(), data: Vec::new() },
                Type::Array => {
                    let elem = schema.value_schema().ok_or_else(|| {
                        ConnectError::data(format!("{path}: array schema has no element schema"))
                    })?;
                    let p = format!("{path}[]");
                    Kind::List {
                        field: Arc::new(field("element", elem, &p)?),
                        offsets: offsets(),
                        child: Box::new(Column::new(elem, &p, 0)?),
                    }
                }
                Type::Map => {
                    let (Some(ks), Some(vs)) = (schema.key_schema(), schema.value_schema()) else {
                        return Err(ConnectError::data(format!(
                            "{path}: map schema lacks its key or value schema"
                        )));
                    };
                    let DataType::Map(entries, _) = super::schema::data_type(schema, path)? else {
                        return Err(ConnectError::data(format!("{path}: not a map type")));
                    };
                    let DataType::Struct(fields) = entries.data_type().clone() else {
                        return Err(ConnectError::data(format!("{path}: bad map entries type")));
                    };
                    let mut keys = Column::new(ks, &format!("{path}.key"), 0)?;
                    // Arrow map keys are never null.
                    keys.nullable = false;
                    Kind::Map {
                        entries,
                        fields,
                        offsets: offsets(),
                        keys: Box::new(keys),
                        values: Box::new(Column::new(vs, &format!("{path}.value"), 0)?),
                    }
                }
                Type::Struct => {
                    let mut children = Vec::with_capacity(schema.fields().len());
                    for f in schema.fields() {
                        let p = if path.is_empty() {
                            f.name().to_string()
                        } else {
                            format!("{path}.{}", f.name())
                        };
                        children.push(Column::new(f.schema(), &p, rows)?);
                    }
                    Kind::Struct { fields: super::schema::struct_fields(schema, path)?, children }
                }
            },
        };
        Ok(Column {
            kind,
            nullable: schema.is_optional(),
            nulls: NullBufferBuilder::new(rows.max(1024)),
            default: schema.default_value().cloned(),
            ty: schema.schema_type(),
        })
    }

    /// Appends one value; on error some children may hold part of it, so the caller
    /// truncates back to the row count it had (see [`truncate`](Self::truncate)).
    pub(crate) fn append(&mut self, value: &Value) -> EncResult {
        if value.is_null() {
            return match self.default.clone() {
                Some(d) if !d.is_null() => self.append(&d),
                _ if self.nullable => {
                    self.append_null();
                    Ok(())
                }
                _ => Err(null_required()),
            };
        }
        match (&mut self.kind, value) {
            (Kind::I8(v), Value::Int8(x)) => v.push(*x),
            (Kind::I16(v), Value::Int16(x)) => v.push(*x),
            (Kind::I32(v), Value::Int32(x)) => v.push(*x),
            (Kind::I64(v), Value::Int64(x)) => v.push(*x),
            (Kind::F32(v), Value::Float32(x)) => v.push(*x),
            (Kind::F64(v), Value::Float64(x)) => v.push(*x),
            (Kind::Bool(b), Value::Boolean(x)) => b.append(*x),
            (Kind::Utf8 { offsets, data }, Value::String(s)) => {
                data.extend_from_slice(s.as_bytes());
                offsets.push(data.len() as i32);
            }
            (Kind::Binary { offsets, data }, Value::Bytes(b)) => {
                data.extend_from_slice(b);
                offsets.push(data.len() as i32);
            }
            (Kind::Decimal { values, precision, scale }, Value::Decimal(d)) => {
                values.push(decimal_to_i128(d, *precision, *scale)?);
            }
            (Kind::Date(v), Value::Date(d)) => v.push(d.0),
            (Kind::Time(v), Value::Time(t)) => v.push(t.0),
            (Kind::Timestamp(v), Value::Timestamp(t)) => v.push(t.0),
            (Kind::List { offsets, child, .. }, Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    child.append(item).map_err(|e| e.at(format!("[{i}]")))?;
                }
                let last = offsets.last().copied().unwrap_or(0);
                offsets.push(last + items.len() as i32);
            }
            (Kind::Map { offsets, keys, values, .. }, Value::Map(entries)) => {
                for (i, (k, v)) in entries.iter().enumerate() {
                    keys.append(k).map_err(|e| e.at(format!("[{i}].key")))?;
                    values.append(v).map_err(|e| e.at(format!("[{i}].value")))?;
                }
                let last = offsets.last().copied().unwrap_or(0);
                offsets.push(last + entries.len() as i32);
            }
            (Kind::Struct { fields, children }, Value::Struct(s)) => {
                let vals = s.values();
                if vals.len() != children.len() {
                    return Err(EncodeError::new(format!(
                        "struct has {} fields but the file's schema has {}",
                        vals.len(),
                        children.len()
                    )));
                }
                for (i, (c, v)) in children.iter_mut().zip(vals).enumerate() {
                    if let Err(e) = c.append(v) {
                        return Err(e.at(fields.get(i).map_or("?", |f| f.name().as_str())));
                    }
                }
            }
            (_, v) => return Err(mismatch(self.ty.as_str(), v)),
        }
        // Validity last: a failed append above leaves this column's length as it was.
        self.nulls.append_non_null();
        Ok(())
    }

    /// Drops everything past the first `rows` rows (undoing a failed append).
    pub(crate) fn truncate(&mut self, rows: usize) {
        self.nulls.truncate(rows);
        fn cut(offsets: &mut Vec<i32>, rows: usize) -> usize {
            offsets.truncate(rows + 1);
            offsets.last().copied().unwrap_or(0).max(0) as usize
        }
        match &mut self.kind {
            Kind::I8(v) => v.truncate(rows),
            Kind::I16(v) => v.truncate(rows),
            Kind::I32(v) | Kind::Date(v) | Kind::Time(v) => v.truncate(rows),
            Kind::I64(v) | Kind::Timestamp(v) => v.truncate(rows),
            Kind::F32(v) => v.truncate(rows),
            Kind::F64(v) => v.truncate(rows),
            Kind::Bool(b) => b.truncate(rows),
            Kind::Decimal { values, .. } => values.truncate(rows),
            Kind::Utf8 { offsets, data } | Kind::Binary { offsets, data } => {
                let end = cut(offsets, rows);
                data.truncate(end);
            }
            Kind::List { offsets, child, .. } => {
                let end = cut(offsets, rows);
                child.truncate(end);
            }
            Kind::Map { offsets, keys, values, .. } => {
                let end = cut(offsets, rows);
                keys.truncate(end);
                values.truncate(end);
            }
            Kind::Struct { children, .. } => {
                for c in children {
                    c.truncate(rows);
                }
            }
        }
    }

    /// A null (or, for a required child of a null struct, a zero placeholder that
    /// the parent's null masks).
    fn append_null(&mut self) {
        if self.nullable {
            self.nulls.append_null();
        } else {
            self.nulls.append_non_null();
        }
        self.append_placeholder_value();
    }

    fn append_placeholder_value(&mut self) {
        match &mut self.kind {
            Kind::I8(v) => v.push(0),
            Kind::I16(v) => v.push(0),
            Kind::I32(v) | Kind::Date(v) | Kind::Time(v) => v.push(0),
            Kind::I64(v) | Kind::Timestamp(v) => v.push(0),
            Kind::F32(v) => v.push(0.0),
            Kind::F64(v) => v.push(0.0),
            Kind::Bool(b) => b.append(false),
            Kind::Utf8 { offsets, .. } | Kind::Binary { offsets, .. } => {
                let last = offsets.last().copied().unwrap_or(0);
                offsets.push(last);
            }
            Kind::Decimal { values, .. } => values.push(0),
            Kind::List { offsets, .. } | Kind::Map { offsets, .. } => {
                let last = offsets.last().copied().unwrap_or(0);
                offsets.push(last);
            }
            Kind::Struct { children, .. } => {
                for c in children {
                    c.append_null();
                }
            }
        }
    }

    /// Bytes of variable-length data buffered (to bound i32 offsets and memory).
    pub(crate) fn var_bytes(&self) -> usize {
        match &self.kind {
            Kind::Utf8 { data, .. } | Kind::Binary { data, .. } => data.len(),
            Kind::List { child, .. } => child.var_bytes(),
            Kind::Map { keys, values, .. } => keys.var_bytes() + values.var_bytes(),
            Kind::Struct { children, .. } => children.iter().map(Column::var_bytes).sum(),
            _ => 0,
        }
    }

    /// The buffered values as an Arrow array; the buffers start again empty.
    pub(crate) fn finish(&mut self) -> Result<ArrayRef> {
        let nulls = self.nulls.finish();
        let arrow = |e: arrow_schema::ArrowError| {
            ConnectError::fatal(format!("cannot build a Parquet column: {e}"))
        };
        fn prim<T: arrow_array::ArrowPrimitiveType>(
            v: &mut Vec<T::Native>,
            nulls: Option<arrow_buffer::NullBuffer>,
        ) -> std::result::Result<PrimitiveArray<T>, arrow_schema::ArrowError> {
            // The next batch will be about as long: keep the capacity.
            let next = Vec::with_capacity(v.len());
            PrimitiveArray::<T>::try_new(ScalarBuffer::from(std::mem::replace(v, next)), nulls)
        }
        fn offsets(v: &mut Vec<i32>) -> OffsetBuffer<i32> {
            let mut next = Vec::with_capacity(v.len());
            next.push(0);
            OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(v, next)))
        }
        Ok(match &mut self.kind {
            Kind::I8(v) => Arc::new(prim::<Int8Type>(v, nulls).map_err(arrow)?),
            Kind::I16(v) => Arc::new(prim::<Int16Type>(v, nulls).map_err(arrow)?),
            Kind::I32(v) => Arc::new(prim::<Int32Type>(v, nulls).map_err(arrow)?),
            Kind::I64(v) => Arc::new(prim::<Int64Type>(v, nulls).map_err(arrow)?),
            Kind::F32(v) => Arc::new(prim::<Float32Type>(v, nulls).map_err(arrow)?),
            Kind::F64(v) => Arc::new(prim::<Float64Type>(v, nulls).map_err(arrow)?),
            Kind::Date(v) => Arc::new(prim::<Date32Type>(v, nulls).map_err(arrow)?),
            Kind::Time(v) => Arc::new(prim::<Time32MillisecondType>(v, nulls).map_err(arrow)?),
            Kind::Timestamp(v) => Arc::new(
                prim::<TimestampMillisecondType>(v, nulls).map_err(arrow)?.with_timezone("UTC"),
            ),
            Kind::Decimal { values, precision, scale } => Arc::new(
                prim::<Decimal128Type>(values, nulls)
                    .map_err(arrow)?
                    .with_precision_and_scale(*precision, *scale)
                    .map_err(arrow)?,
            ),
            Kind::Bool(b) => Arc::new(BooleanArray::new(b.finish(), nulls)),
            Kind::Utf8 { offsets: o, data } => Arc::new(
                StringArray::try_new(offsets(o), take_sized(data).into(), nulls).map_err(arrow)?,
            ),
            Kind::Binary { offsets: o, data } => Arc::new(
                BinaryArray::try_new(offsets(o), take_sized(data).into(), nulls).map_err(arrow)?,
            ),
            Kind::List { field, offsets: o, child } => {
                let values = child.finish()?;
                Arc::new(
                    ListArray::try_new(field.clone(), offsets(o), values, nulls).map_err(arrow)?,
                )
            }
            Kind::Map { entries, fields, offsets: o, keys, values } => {
                let k = keys.finish()?;
                let v = values.finish()?;
                let entries_array =
                    StructArray::try_new(fields.clone(), vec![k, v], None).map_err(arrow)?;
                Arc::new(
                    MapArray::try_new(entries.clone(), offsets(o), entries_array, nulls, false)
                        .map_err(arrow)?,
                )
            }
            Kind::Struct { fields, children } => {
                let mut arrays = Vec::with_capacity(children.len());
                for c in children.iter_mut() {
                    arrays.push(c.finish()?);
                }
                Arc::new(StructArray::try_new(fields.clone(), arrays, nulls).map_err(arrow)?)
            }
        })
    }
}

/// The buffer's contents, leaving an empty buffer of the same capacity.
fn take_sized(data: &mut Vec<u8>) -> Vec<u8> {
    let next = Vec::with_capacity(data.len());
    std::mem::replace(data, next)
}

/// The unscaled value of `d` at `scale` as an i128 within `precision` digits.
fn decimal_to_i128(d: &connect_api::data::Decimal, precision: u8, scale: i8) -> EncResult<i128> {
    let d = if d.scale() == i32::from(scale) {
        std::borrow::Cow::Borrowed(d)
    } else {
        std::borrow::Cow::Owned(
            d.rescale(i32::from(scale)).map_err(|e| EncodeError::new(e.message()))?,
        )
    };
    let v = i128::try_from(d.unscaled())
        .map_err(|_| EncodeError::new(format!("decimal {d} is out of range")))?;
    let limit = 10i128.pow(u32::from(precision));
    if v >= limit || v <= -limit {
        return Err(EncodeError::new(format!(
            "decimal {d} has more than {precision} digits of precision"
        )));
    }
    Ok(v)
}
