//! Avro binary encoding of Connect values, straight from [`Value`] to bytes and back,
//! following a [`Node`] plan (no intermediate `apache_avro::types::Value`, no field name
//! lookups on the common path).

use connect_api::data::{Date, Decimal, Schema, Struct, Time, Timestamp, Value};
use connect_api::error::{ConnectError, Result};

use super::plan::{Branch, IntKind, Node};

fn data(message: impl Into<String>) -> ConnectError {
    ConnectError::data(message.into())
}

fn mismatch(node: &Node, value: &Value) -> ConnectError {
    data(format!("Cannot write a {} value as Avro {}", value.kind_name(), node_name(node)))
}

fn node_name(node: &Node) -> &'static str {
    match node {
        Node::Boolean => "boolean",
        Node::Int(_) => "int",
        Node::Long(_) => "long",
        Node::Float => "float",
        Node::Double => "double",
        Node::String => "string",
        Node::Bytes => "bytes",
        Node::Fixed(_) => "fixed",
        Node::Decimal { .. } => "decimal",
        Node::Enum(_) => "enum",
        Node::Array(_) | Node::MapEntries(..) => "array",
        Node::Map(_) => "map",
        Node::Record(..) => "record",
        Node::Optional { .. } | Node::Union { .. } => "union",
    }
}

/// Appends Avro's zig-zag varint of `v`.
pub(crate) fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

fn fixed_bytes(bytes: &[u8], size: usize, negative: bool) -> Result<Vec<u8>> {
    if bytes.len() > size {
        return Err(data(format!("{} bytes do not fit Avro fixed of size {size}", bytes.len())));
    }
    let mut out = vec![if negative { 0xff } else { 0 }; size - bytes.len()];
    out.extend_from_slice(bytes);
    Ok(out)
}

/// Writes `value` as `node` says.
pub(crate) fn encode(node: &Node, value: &Value, out: &mut Vec<u8>) -> Result<()> {
    match (node, value) {
        (Node::Optional { null_index, inner }, v) => {
            if v.is_null() {
                write_long(out, i64::from(*null_index));
                Ok(())
            } else {
                write_long(out, i64::from(1 - *null_index));
                encode(inner, v, out)
            }
        }
        (Node::Union { branches, .. }, Value::Null) => {
            match branches.iter().position(|b| matches!(b, Branch::Null)) {
                Some(i) => {
                    write_long(out, i as i64);
                    Ok(())
                }
                None => Err(data("Invalid null value for an Avro union without null")),
            }
        }
        (_, Value::Null) => {
            Err(data(format!("Invalid null value for required Avro {}", node_name(node))))
        }
        (Node::Boolean, Value::Boolean(b)) => {
            out.push(u8::from(*b));
            Ok(())
        }
        (Node::Int(_), v) => {
            let i = match v {
                Value::Int8(i) => i32::from(*i),
                Value::Int16(i) => i32::from(*i),
                Value::Int32(i) => *i,
                Value::Date(d) => d.0,
                Value::Time(t) => t.0,
                _ => return Err(mismatch(node, v)),
            };
            write_long(out, i64::from(i));
            Ok(())
        }
        (Node::Long(_), v) => {
            let l = match v {
                Value::Timestamp(t) => t.0,
                _ => v.as_i64().ok_or_else(|| mismatch(node, v))?,
            };
            write_long(out, l);
            Ok(())
        }
        (Node::Float, Value::Float32(f)) => {
            out.extend_from_slice(&f.to_le_bytes());
            Ok(())
        }
        (Node::Double, Value::Float64(f)) => {
            out.extend_from_slice(&f.to_le_bytes());
            Ok(())
        }
        (Node::Double, Value::Float32(f)) => {
            out.extend_from_slice(&f64::from(*f).to_le_bytes());
            Ok(())
        }
        (Node::String, Value::String(s)) => {
            write_bytes(out, s.as_bytes());
            Ok(())
        }
        (Node::Enum(symbols), Value::String(s)) => {
            let i = symbols.iter().position(|x| x == s).ok_or_else(|| {
                data(format!("{s:?} is not a symbol of the Avro enum {symbols:?}"))
            })?;
            write_long(out, i as i64);
            Ok(())
        }
        (Node::Bytes, Value::Bytes(b)) => {
            write_bytes(out, b);
            Ok(())
        }
        (Node::Bytes, Value::Decimal(d)) => {
            write_bytes(out, &d.unscaled().to_signed_bytes_be());
            Ok(())
        }
        (Node::Fixed(size), Value::Bytes(b)) => {
            if b.len() != *size {
                return Err(data(format!(
                    "{} bytes written as Avro fixed of size {size}",
                    b.len()
                )));
            }
            out.extend_from_slice(b);
            Ok(())
        }
        (Node::Decimal { schema, fixed }, Value::Decimal(d)) => {
            let bytes = match Decimal::from_logical(schema, d) {
                Ok(b) => b,
                Err(e) => {
                    let scale = Decimal::schema_scale(schema)?;
                    let rescaled = d.rescale(scale).map_err(|_| e)?;
                    Decimal::from_logical(schema, &rescaled)?
                }
            };
            match fixed {
                None => write_bytes(out, &bytes),
                Some(size) => {
                    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
                    out.extend_from_slice(&fixed_bytes(&bytes, *size, negative)?);
                }
            }
            Ok(())
        }
        (Node::Array(inner), Value::Array(items)) => {
            if !items.is_empty() {
                write_long(out, items.len() as i64);
                for item in items {
                    encode(inner, item, out)?;
                }
            }
            out.push(0);
            Ok(())
        }
        (Node::Map(inner), Value::Map(entries)) => {
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (k, v) in entries {
                    let Value::String(k) = k else {
                        return Err(data(format!(
                            "Avro map keys must be strings, not {}",
                            k.kind_name()
                        )));
                    };
                    write_bytes(out, k.as_bytes());
                    encode(inner, v, out)?;
                }
            }
            out.push(0);
            Ok(())
        }
        (Node::MapEntries(kn, vn), Value::Map(entries)) => {
            if !entries.is_empty() {
                write_long(out, entries.len() as i64);
                for (k, v) in entries {
                    encode(kn, k, out)?;
                    encode(vn, v, out)?;
                }
            }
            out.push(0);
            Ok(())
        }
        (Node::Record(schema, nodes), Value::Struct(s)) => encode_struct(schema, nodes, s, out),
        (Node::Union { schema, branches }, Value::Struct(s)) => {
            for (i, branch) in branches.iter().enumerate() {
                if let Branch::Field(f, n) = branch {
                    let name = schema.fields().get(*f).map(|f| f.name()).unwrap_or_default();
                    let v = s.get(name).unwrap_or(&Value::Null);
                    if !v.is_null() {
                        write_long(out, i as i64);
                        return encode(n, v, out);
                    }
                }
            }
            match branches.iter().position(|b| matches!(b, Branch::Null)) {
                Some(i) => {
                    write_long(out, i as i64);
                    Ok(())
                }
                None => Err(data("Avro union value has no branch set")),
            }
        }
        (node, v) => Err(mismatch(node, v)),
    }
}

fn encode_struct(schema: &Schema, nodes: &[Node], s: &Struct, out: &mut Vec<u8>) -> Result<()> {
    let fields = schema.fields();
    if s.schema().ptr_eq(schema) {
        for ((field, node), v) in fields.iter().zip(nodes).zip(s.values()) {
            let v = match (v, field.schema().default_value()) {
                (Value::Null, Some(d)) => d,
                _ => v,
            };
            encode(node, v, out).map_err(|e| in_field(e, field.name()))?;
        }
    } else {
        for (field, node) in fields.iter().zip(nodes) {
            let v = match s.get(field.name()) {
                Ok(v) => v,
                Err(_) => field.schema().default_value().unwrap_or(&Value::Null),
            };
            encode(node, v, out).map_err(|e| in_field(e, field.name()))?;
        }
    }
    Ok(())
}

fn in_field(e: ConnectError, name: &str) -> ConnectError {
    ConnectError::new(e.kind(), format!("{} (field \"{name}\")", e.message()))
}

/// A cursor over Avro binary data.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn eof() -> ConnectError {
    data("Avro data ends too early")
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn long(&mut self) -> Result<i64> {
        let mut n: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *self.buf.get(self.pos).ok_or_else(eof)?;
            self.pos += 1;
            if shift >= 64 {
                return Err(data("Invalid Avro varint"));
            }
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }

    fn int(&mut self) -> Result<i32> {
        i32::try_from(self.long()?).map_err(|_| data("Avro int out of range"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len()).ok_or_else(eof)?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = usize::try_from(self.long()?).map_err(|_| data("Negative Avro length"))?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String> {
        let b = self.bytes()?;
        String::from_utf8(b.to_vec()).map_err(|_| data("Avro string is not UTF-8"))
    }

    /// The item count of the next block; 0 ends the array or map.
    fn block(&mut self) -> Result<usize> {
        let n = self.long()?;
        if n < 0 {
            self.long()?; // the block's size in bytes
        }
        usize::try_from(n.unsigned_abs()).map_err(|_| data("Avro block too large"))
    }

    fn union_index(&mut self, count: usize) -> Result<usize> {
        let i = self.long()?;
        usize::try_from(i)
            .ok()
            .filter(|i| *i < count)
            .ok_or_else(|| data(format!("Invalid Avro union index {i}")))
    }

    /// Reads one value as `node` says.
    pub(crate) fn decode(&mut self, node: &Node) -> Result<Value> {
        Ok(match node {
            Node::Optional { null_index, inner } => {
                if self.union_index(2)? == usize::from(*null_index) {
                    Value::Null
                } else {
                    self.decode(inner)?
                }
            }
            Node::Boolean => Value::Boolean(self.take(1)?[0] != 0),
            Node::Int(kind) => {
                let i = self.int()?;
                match kind {
                    IntKind::Int32 => Value::Int32(i),
                    IntKind::Int8 => Value::Int8(
                        i8::try_from(i).map_err(|_| data("Avro int out of INT8 range"))?,
                    ),
                    IntKind::Int16 => Value::Int16(
                        i16::try_from(i).map_err(|_| data("Avro int out of INT16 range"))?,
                    ),
                    IntKind::Date => Value::Date(Date(i)),
                    IntKind::Time => Value::Time(Time(i)),
                }
            }
            Node::Long(ts) => {
                let l = self.long()?;
                if *ts { Value::Timestamp(Timestamp(l)) } else { Value::Int64(l) }
            }
            Node::Float => {
                let b = self.take(4)?;
                Value::Float32(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            Node::Double => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Value::Float64(f64::from_le_bytes(a))
            }
            Node::String => Value::String(self.string()?),
            Node::Enum(symbols) => {
                let i = self.union_index(symbols.len())?;
                Value::String(symbols[i].clone())
            }
            Node::Bytes => Value::Bytes(self.bytes()?.to_vec()),
            Node::Fixed(size) => Value::Bytes(self.take(*size)?.to_vec()),
            Node::Decimal { schema, fixed } => {
                let b = match fixed {
                    None => self.bytes()?,
                    Some(size) => self.take(*size)?,
                };
                Value::Decimal(Decimal::to_logical(schema, b)?)
            }
            Node::Array(inner) => {
                let mut items = Vec::new();
                loop {
                    let n = self.block()?;
                    if n == 0 {
                        break;
                    }
                    items.reserve(n.min(self.remaining()));
                    for _ in 0..n {
                        items.push(self.decode(inner)?);
                    }
                }
                Value::Array(items)
            }
            Node::Map(inner) => {
                let mut entries = Vec::new();
                loop {
                    let n = self.block()?;
                    if n == 0 {
                        break;
                    }
                    for _ in 0..n {
                        let k = self.string()?;
                        entries.push((Value::String(k), self.decode(inner)?));
                    }
                }
                Value::Map(entries)
            }
            Node::MapEntries(kn, vn) => {
                let mut entries = Vec::new();
                loop {
                    let n = self.block()?;
                    if n == 0 {
                        break;
                    }
                    for _ in 0..n {
                        let k = self.decode(kn)?;
                        entries.push((k, self.decode(vn)?));
                    }
                }
                Value::Map(entries)
            }
            Node::Record(schema, nodes) => {
                let mut s = Struct::new(schema.clone())?;
                for (i, n) in nodes.iter().enumerate() {
                    let v = self.decode(n)?;
                    s.put_at(i, v)?;
                }
                Value::Struct(s)
            }
            Node::Union { schema, branches } => {
                let i = self.union_index(branches.len())?;
                match &branches[i] {
                    Branch::Null => Value::Null,
                    Branch::Field(f, n) => {
                        let v = self.decode(n)?;
                        let mut s = Struct::new(schema.clone())?;
                        s.put_at(*f, v)?;
                        Value::Struct(s)
                    }
                }
            }
        })
    }
}
