//! Property tests: random Connect schemas map to Avro and back unchanged, and random
//! fitting values survive the binary codec, read back equal to the input both by our
//! decoder and by apache-avro (its decoded `Value` mapped back to Connect by
//! [`from_apache`], which shares no code with our decoder).

use connect_api::data::logical::{Date, Decimal, Time, Timestamp};
use connect_api::data::{Schema, SchemaBuilder, Struct, Type, Value};
use proptest::prelude::*;

use super::codec::{self, Reader};
use super::data::{AvroDataOptions, connect_to_avro};
use super::plan;

fn leaf() -> impl Strategy<Value = Schema> {
    prop_oneof![
        Just(Schema::int8()),
        Just(Schema::int16()),
        Just(Schema::int32()),
        Just(Schema::int64()),
        Just(Schema::float32()),
        Just(Schema::float64()),
        Just(Schema::boolean()),
        Just(Schema::string()),
        Just(Schema::bytes()),
        (0i32..6).prop_map(Decimal::schema),
        Just(Date::schema()),
        Just(Time::schema()),
        Just(Timestamp::schema()),
    ]
}

fn maybe_optional(s: Schema, optional: bool) -> Schema {
    if optional { s.to_builder().optional().build().unwrap_or(s) } else { s }
}

fn schema() -> impl Strategy<Value = Schema> {
    let leaf = (leaf(), any::<bool>()).prop_map(|(s, o)| maybe_optional(s, o));
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (inner.clone(), any::<bool>()).prop_map(|(e, o)| {
                maybe_optional(
                    SchemaBuilder::array(e).build().unwrap_or_else(|_| Schema::string()),
                    o,
                )
            }),
            (inner.clone(), any::<bool>()).prop_map(|(v, string_keys)| {
                let k = if string_keys { Schema::string() } else { Schema::int32() };
                SchemaBuilder::map(k, v).build().unwrap_or_else(|_| Schema::string())
            }),
            (proptest::collection::vec(inner, 1..4), any::<bool>()).prop_map(|(fields, o)| {
                let mut b = SchemaBuilder::struct_();
                for (i, f) in fields.into_iter().enumerate() {
                    b = b.field(format!("f{i}"), f);
                }
                maybe_optional(b.build().unwrap_or_else(|_| Schema::string()), o)
            }),
        ]
    })
}

fn value(s: &Schema) -> BoxedStrategy<Value> {
    let inner = required_value(s);
    if s.is_optional() { prop_oneof![1 => Just(Value::Null), 3 => inner].boxed() } else { inner }
}

fn required_value(s: &Schema) -> BoxedStrategy<Value> {
    if let Some(l) = connect_api::data::LogicalType::of(s) {
        return match l {
            connect_api::data::LogicalType::Decimal => {
                let scale = Decimal::schema_scale(s).unwrap_or(0);
                any::<i64>().prop_map(move |u| Value::Decimal(Decimal::new(u, scale))).boxed()
            }
            connect_api::data::LogicalType::Date => {
                any::<i32>().prop_map(|d| Value::Date(Date(d))).boxed()
            }
            connect_api::data::LogicalType::Time => {
                (0i32..86_400_000).prop_map(|t| Value::Time(Time(t))).boxed()
            }
            connect_api::data::LogicalType::Timestamp => {
                any::<i64>().prop_map(|t| Value::Timestamp(Timestamp(t))).boxed()
            }
        };
    }
    match s.schema_type() {
        Type::Int8 => any::<i8>().prop_map(Value::Int8).boxed(),
        Type::Int16 => any::<i16>().prop_map(Value::Int16).boxed(),
        Type::Int32 => any::<i32>().prop_map(Value::Int32).boxed(),
        Type::Int64 => any::<i64>().prop_map(Value::Int64).boxed(),
        Type::Float32 => any::<f32>().prop_map(Value::Float32).boxed(),
        Type::Float64 => any::<f64>().prop_map(Value::Float64).boxed(),
        Type::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Bytes => proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes).boxed(),
        Type::Array => {
            let e = s.value_schema().cloned().unwrap_or_else(Schema::string);
            proptest::collection::vec(value(&e), 0..4).prop_map(Value::Array).boxed()
        }
        Type::Map => {
            let k = s.key_schema().cloned().unwrap_or_else(Schema::string);
            let v = s.value_schema().cloned().unwrap_or_else(Schema::string);
            proptest::collection::vec((required_value(&k), value(&v)), 0..4)
                .prop_map(|mut entries| {
                    let mut seen = Vec::new();
                    entries.retain(|(k, _)| {
                        let new = !seen.contains(k);
                        seen.push(k.clone());
                        new
                    });
                    Value::Map(entries)
                })
                .boxed()
        }
        Type::Struct => {
            let schema = s.clone();
            let fields: Vec<BoxedStrategy<Value>> =
                s.fields().iter().map(|f| value(f.schema())).collect();
            fields
                .prop_map(move |values| {
                    let mut st = Struct::new(schema.clone()).unwrap_or_else(|_| unreachable!());
                    for (i, v) in values.into_iter().enumerate() {
                        let _ = st.put_at(i, v);
                    }
                    Value::Struct(st)
                })
                .boxed()
        }
    }
}

/// The Connect value of `schema` that apache-avro's decoded value stands for,
/// following the documented mapping (unions with null for optional schemas,
/// `MapEntry` records for maps whose keys are not strings, logical types), or why it
/// does not fit.
fn from_apache(v: &apache_avro::types::Value, s: &Schema) -> Result<Value, String> {
    use apache_avro::types::Value as A;
    let v = match v {
        A::Union(_, inner) if s.is_optional() => inner.as_ref(),
        A::Union(..) => return Err(format!("a union for the required schema {s:?}")),
        other => other,
    };
    if matches!(v, A::Null) {
        return if s.is_optional() {
            Ok(Value::Null)
        } else {
            Err("null for a required schema".into())
        };
    }
    let wrong = || Err(format!("{v:?} does not fit {s:?}"));
    if let Some(l) = connect_api::data::LogicalType::of(s) {
        return match (l, v) {
            (connect_api::data::LogicalType::Decimal, A::Decimal(d)) => {
                let bytes = Vec::<u8>::try_from(d).map_err(|e| e.to_string())?;
                Decimal::to_logical(s, &bytes).map(Value::Decimal).map_err(|e| e.to_string())
            }
            (connect_api::data::LogicalType::Date, A::Date(d)) => Ok(Value::Date(Date(*d))),
            (connect_api::data::LogicalType::Time, A::TimeMillis(t)) => Ok(Value::Time(Time(*t))),
            (connect_api::data::LogicalType::Timestamp, A::TimestampMillis(t)) => {
                Ok(Value::Timestamp(Timestamp(*t)))
            }
            _ => wrong(),
        };
    }
    let narrow = |e: std::num::TryFromIntError| e.to_string();
    Ok(match (s.schema_type(), v) {
        (Type::Int8, A::Int(i)) => Value::Int8(i8::try_from(*i).map_err(narrow)?),
        (Type::Int16, A::Int(i)) => Value::Int16(i16::try_from(*i).map_err(narrow)?),
        (Type::Int32, A::Int(i)) => Value::Int32(*i),
        (Type::Int64, A::Long(i)) => Value::Int64(*i),
        (Type::Float32, A::Float(f)) => Value::Float32(*f),
        (Type::Float64, A::Double(f)) => Value::Float64(*f),
        (Type::Boolean, A::Boolean(b)) => Value::Boolean(*b),
        (Type::String, A::String(t)) => Value::String(t.clone()),
        (Type::Bytes, A::Bytes(b)) => Value::Bytes(b.clone()),
        (Type::Array, A::Array(items)) => {
            let e = s.value_schema().ok_or("an array schema without elements")?;
            Value::Array(items.iter().map(|i| from_apache(i, e)).collect::<Result<_, _>>()?)
        }
        (Type::Map, A::Map(entries)) => {
            let vs = s.value_schema().ok_or("a map schema without values")?;
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                out.push((Value::String(k.clone()), from_apache(v, vs)?));
            }
            Value::Map(out)
        }
        (Type::Map, A::Array(entries)) => {
            let ks = s.key_schema().ok_or("a map schema without keys")?;
            let vs = s.value_schema().ok_or("a map schema without values")?;
            let mut out = Vec::with_capacity(entries.len());
            for e in entries {
                let A::Record(fields) = e else { return Err(format!("map entry {e:?}")) };
                match &fields[..] {
                    [(kn, k), (vn, v)] if kn == "key" && vn == "value" => {
                        out.push((from_apache(k, ks)?, from_apache(v, vs)?))
                    }
                    _ => return Err(format!("map entry {fields:?}")),
                }
            }
            Value::Map(out)
        }
        (Type::Struct, A::Record(fields)) => {
            if fields.len() != s.fields().len() {
                return Err(format!("{} fields for {s:?}", fields.len()));
            }
            let mut st = Struct::new(s.clone()).map_err(|e| e.to_string())?;
            for (i, ((name, v), f)) in fields.iter().zip(s.fields()).enumerate() {
                if name != f.name() {
                    return Err(format!("field {name} where {} was expected", f.name()));
                }
                st.put_at(i, from_apache(v, f.schema())?).map_err(|e| e.to_string())?;
            }
            Value::Struct(st)
        }
        _ => return wrong(),
    })
}

/// `v` with the entries of every map sorted (apache-avro reads Avro maps into a hash
/// map, so their order is not the written order).
fn sorted_maps(v: &Value) -> Value {
    match v {
        Value::Map(entries) => {
            let mut e: Vec<(Value, Value)> =
                entries.iter().map(|(k, v)| (sorted_maps(k), sorted_maps(v))).collect();
            e.sort_by_key(|(k, _)| format!("{k:?}"));
            Value::Map(e)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_maps).collect()),
        Value::Struct(st) => {
            let mut out = st.clone();
            for i in 0..st.schema().fields().len() {
                if let Ok(v) = st.get_at(i) {
                    let _ = out.put_at(i, sorted_maps(v));
                }
            }
            Value::Struct(out)
        }
        other => other.clone(),
    }
}

fn schema_and_value() -> impl Strategy<Value = (Schema, Value)> {
    schema().prop_flat_map(|s| {
        let v = value(&s);
        (Just(s), v)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn schemas_survive_avro_and_back(s in schema()) {
        let avro = connect_to_avro(&s, &AvroDataOptions::default()).unwrap();
        prop_assert!(apache_avro::Schema::parse_str(&avro.to_string()).is_ok(), "{}", avro);
        let (back, _) = plan::avro_to_connect(&avro).unwrap();
        prop_assert_eq!(back, s);
    }

    #[test]
    fn values_survive_the_codec((s, v) in schema_and_value()) {
        let avro = connect_to_avro(&s, &AvroDataOptions::default()).unwrap();
        let (read_schema, mut node) = plan::avro_to_connect(&avro).unwrap();
        let read_node = node.clone();
        plan::bind(&mut node, &s);
        let mut out = Vec::new();
        codec::encode(&node, &v, &mut out).unwrap();
        let mut r = Reader::new(&out);
        let back = r.decode(&read_node).unwrap();
        prop_assert_eq!(r.remaining(), 0);
        prop_assert_eq!(&read_schema, &s);
        prop_assert_eq!(&back, &v);
        // apache-avro reads exactly the same bytes, and the same value.
        let parsed = apache_avro::Schema::parse_str(&avro.to_string()).unwrap();
        let mut slice = &out[..];
        let theirs = apache_avro::reader::datum::GenericDatumReader::builder(&parsed).build().unwrap().read_value(&mut slice).unwrap();
        prop_assert!(slice.is_empty());
        let theirs = from_apache(&theirs, &s).map_err(TestCaseError::fail)?;
        prop_assert_eq!(sorted_maps(&theirs), sorted_maps(&v));
    }
}
