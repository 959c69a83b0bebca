//! Connect schemas and fitting values drawn from a byte string, so that a proptest
//! (`Vec<u8>` input) and a cargo-fuzz target (libFuzzer's bytes) build the same cases.
//! Self-contained: `connect-avro`'s fuzzed tests include this file by path.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use connect_api::data::logical::{Date, Decimal, Time, Timestamp};
use connect_api::data::{Schema, SchemaBuilder, Struct, Type, Value};

/// Reads choices from bytes; past the end every read is 0, so any input builds a case.
#[derive(Debug)]
pub struct Draw<'a> {
    data: &'a [u8],
    pos: usize,
    /// Struct schemas named so far (each gets its own name: two different schemas of one
    /// name cannot be written as Avro).
    names: usize,
}

impl<'a> Draw<'a> {
    /// Draws from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Draw { data, pos: 0, names: 0 }
    }

    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A number in `0..n` (`n` ≤ 256).
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    /// A coin flip.
    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// Eight bytes as a big-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |acc, _| (acc << 8) | u64::from(self.byte()))
    }

    /// Up to `max` bytes.
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.byte()).collect()
    }

    /// A short string, mostly ASCII with some multi-byte and control characters.
    pub fn text(&mut self, max: usize) -> String {
        const ODD: [char; 8] = ['é', '€', '😀', '\u{0}', '\n', '"', '\\', '\u{2028}'];
        let n = self.below(max + 1);
        (0..n)
            .map(|_| {
                let b = self.byte();
                if b >= 0xF0 { ODD[usize::from(b & 7)] } else { char::from(b' ' + b % 95) }
            })
            .collect()
    }
}

/// A schema up to `depth` levels of nesting: every primitive, the logical types,
/// arrays, maps (with primitive keys) and structs, each sometimes optional.
pub fn schema(d: &mut Draw<'_>, depth: usize) -> Schema {
    let kinds = if depth == 0 { 13 } else { 16 };
    let b = match d.below(kinds) {
        0 => SchemaBuilder::int8(),
        1 => SchemaBuilder::int16(),
        2 => SchemaBuilder::int32(),
        3 => SchemaBuilder::int64(),
        4 => SchemaBuilder::float32(),
        5 => SchemaBuilder::float64(),
        6 => SchemaBuilder::boolean(),
        7 => SchemaBuilder::string(),
        8 => SchemaBuilder::bytes(),
        9 => Decimal::builder(i32::try_from(d.below(8)).unwrap_or(0) - 2),
        10 => Date::builder(),
        11 => Time::builder(),
        12 => Timestamp::builder(),
        13 => SchemaBuilder::array(schema(d, depth - 1)),
        14 => SchemaBuilder::map(primitive(d), schema(d, depth - 1)),
        _ => {
            let mut b = SchemaBuilder::struct_();
            if d.below(4) != 0 {
                d.names += 1;
                b = b.name(format!("fuzz.Record{}", d.names));
            }
            for i in 0..=d.below(4) {
                b = b.field(format!("f{i}"), schema(d, depth - 1));
            }
            b
        }
    };
    let b = if d.below(3) == 0 { b.optional() } else { b };
    b.build().expect("generated schemas are valid")
}

fn primitive(d: &mut Draw<'_>) -> Schema {
    match d.below(4) {
        0 => Schema::string(),
        1 => Schema::int32(),
        2 => Schema::int64(),
        _ => Schema::boolean(),
    }
}

/// A value of `schema` (null for an optional schema now and then); map keys are
/// distinct and floats finite, so that equality is meaningful after a round trip.
pub fn value(d: &mut Draw<'_>, schema: &Schema) -> Value {
    if schema.is_optional() && d.below(4) == 0 {
        return Value::Null;
    }
    match schema.name() {
        Some("org.apache.kafka.connect.data.Decimal") => {
            let scale = Decimal::schema_scale(schema).unwrap_or(0);
            // The unscaled value's width varies: small, i64 and beyond.
            let unscaled = num_bigint_of(d);
            return Value::Decimal(Decimal::new(unscaled, scale));
        }
        Some("org.apache.kafka.connect.data.Date") => {
            return Value::Date(Date((d.u64() % 3_000_000) as i32 - 1_000_000));
        }
        Some("org.apache.kafka.connect.data.Time") => {
            return Value::Time(Time((d.u64() % 86_400_000) as i32));
        }
        Some("org.apache.kafka.connect.data.Timestamp") => {
            return Value::Timestamp(Timestamp(d.u64() as i64));
        }
        _ => {}
    }
    match schema.schema_type() {
        Type::Int8 => Value::Int8(d.byte() as i8),
        Type::Int16 => Value::Int16(d.u64() as i16),
        Type::Int32 => Value::Int32(d.u64() as i32),
        Type::Int64 => Value::Int64(d.u64() as i64),
        Type::Float32 => Value::Float32(finite32(d.u64() as u32)),
        Type::Float64 => Value::Float64(finite64(d.u64())),
        Type::Boolean => Value::Boolean(d.flag()),
        Type::String => Value::String(d.text(12)),
        Type::Bytes => Value::Bytes(d.bytes(12)),
        Type::Array => {
            let element = schema.value_schema().expect("arrays have an element schema");
            Value::Array((0..d.below(4)).map(|_| value(d, element)).collect())
        }
        Type::Map => {
            let (ks, vs) = (schema.key_schema().expect("key"), schema.value_schema().expect("v"));
            let mut entries: Vec<(Value, Value)> = Vec::new();
            for _ in 0..d.below(4) {
                let k = value(d, ks);
                if !entries.iter().any(|(e, _)| *e == k) {
                    let v = value(d, vs);
                    entries.push((k, v));
                }
            }
            Value::Map(entries)
        }
        Type::Struct => {
            let mut s = Struct::new(schema.clone()).expect("struct schema");
            for (i, f) in schema.fields().iter().enumerate() {
                s.put_at(i, value(d, f.schema())).expect("fitting field value");
            }
            Value::Struct(s)
        }
    }
}

fn num_bigint_of(d: &mut Draw<'_>) -> i128 {
    match d.below(3) {
        0 => i128::from(d.byte() as i8),
        1 => i128::from(d.u64() as i64),
        _ => (i128::from(d.u64()) << 64 | i128::from(d.u64())) >> d.below(64),
    }
}

fn finite32(bits: u32) -> f32 {
    let f = f32::from_bits(bits);
    if f.is_finite() { f } else { (bits % 1000) as f32 / 8.0 }
}

fn finite64(bits: u64) -> f64 {
    let f = f64::from_bits(bits);
    if f.is_finite() { f } else { (bits % 1000) as f64 / 8.0 }
}

/// A schema and a value of it, both drawn from `data`.
pub fn schema_and_value(data: &[u8]) -> (Schema, Value) {
    let mut d = Draw::new(data);
    let s = schema(&mut d, 3);
    let v = value(&mut d, &s);
    (s, v)
}

/// Whether two values hold the same data, whatever schema objects their structs carry
/// (a converter reading back may add a version or a name to a struct's schema).
pub fn same_data(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Struct(x), Value::Struct(y)) => {
            x.values().len() == y.values().len()
                && x.values().iter().zip(y.values()).all(|(p, q)| same_data(p, q))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_data(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| same_data(k, k2) && same_data(v, v2)))
        }
        _ => a == b,
    }
}
