//! Property tests: random schemas with random fitting values survive bytes and back.

use super::*;
use connect_api::data::logical::{Date, Decimal, Time, Timestamp};
use connect_api::data::{SchemaBuilder, Struct};
use proptest::prelude::*;

/// A physical or logical leaf type.
#[derive(Debug, Clone, Copy)]
enum Leaf {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Decimal(i32),
    Date,
    Time,
    Timestamp,
}

fn leaf_kind() -> impl Strategy<Value = Leaf> {
    prop_oneof![
        Just(Leaf::Int8),
        Just(Leaf::Int16),
        Just(Leaf::Int32),
        Just(Leaf::Int64),
        Just(Leaf::Float32),
        Just(Leaf::Float64),
        Just(Leaf::Boolean),
        Just(Leaf::String),
        Just(Leaf::Bytes),
        (-3i32..12).prop_map(Leaf::Decimal),
        Just(Leaf::Date),
        Just(Leaf::Time),
        Just(Leaf::Timestamp),
    ]
}

fn leaf_builder(leaf: Leaf) -> SchemaBuilder {
    match leaf {
        Leaf::Int8 => SchemaBuilder::int8(),
        Leaf::Int16 => SchemaBuilder::int16(),
        Leaf::Int32 => SchemaBuilder::int32(),
        Leaf::Int64 => SchemaBuilder::int64(),
        Leaf::Float32 => SchemaBuilder::float32(),
        Leaf::Float64 => SchemaBuilder::float64(),
        Leaf::Boolean => SchemaBuilder::boolean(),
        Leaf::String => SchemaBuilder::string(),
        Leaf::Bytes => SchemaBuilder::bytes(),
        Leaf::Decimal(scale) => Decimal::builder(scale),
        Leaf::Date => Date::builder(),
        Leaf::Time => Time::builder(),
        Leaf::Timestamp => Timestamp::builder(),
    }
}

fn is_logical(leaf: Leaf) -> bool {
    matches!(leaf, Leaf::Decimal(_) | Leaf::Date | Leaf::Time | Leaf::Timestamp)
}

/// Names, docs, versions and parameters for schemas that are not logical types.
#[derive(Debug, Clone)]
struct Meta {
    name: Option<String>,
    doc: Option<String>,
    version: Option<i32>,
    params: Vec<(String, String)>,
}

fn meta() -> impl Strategy<Value = Meta> {
    (
        proptest::option::of("[a-z]{1,6}(\\.[A-Z][a-z]{0,5})?"),
        proptest::option::of(any::<String>()),
        proptest::option::of(any::<i32>()),
        proptest::collection::vec(("[a-z.]{1,5}", any::<String>()), 0..2),
    )
        .prop_map(|(name, doc, version, params)| Meta { name, doc, version, params })
}

fn decorate(mut b: SchemaBuilder, optional: bool, meta: Option<Meta>) -> SchemaBuilder {
    if optional {
        b = b.optional();
    }
    if let Some(m) = meta {
        if let Some(n) = m.name {
            b = b.name(n);
        }
        if let Some(d) = m.doc {
            b = b.doc(d);
        }
        if let Some(v) = m.version {
            b = b.version(v);
        }
        b = b.parameters(m.params);
    }
    b
}

/// A leaf schema, sometimes optional, sometimes decorated, sometimes with a default.
fn leaf_schema() -> BoxedStrategy<Schema> {
    (leaf_kind(), any::<bool>(), meta(), any::<bool>())
        .prop_flat_map(|(leaf, optional, meta, with_default)| {
            let meta = (!is_logical(leaf)).then_some(meta);
            let schema = decorate(leaf_builder(leaf), optional, meta.clone()).build().unwrap();
            let default = if with_default {
                non_null_value(&schema).prop_map(Some).boxed()
            } else {
                Just(None).boxed()
            };
            default.prop_map(move |d| {
                let b = decorate(leaf_builder(leaf), optional, meta.clone());
                match d {
                    Some(d) => b.default_value(d).build().unwrap(),
                    None => b.build().unwrap(),
                }
            })
        })
        .boxed()
}

fn key_schema() -> impl Strategy<Value = Schema> {
    prop_oneof![
        Just(Schema::string()),
        Just(Schema::int32()),
        Just(Schema::int64()),
        Just(Schema::boolean()),
        Just(Schema::bytes()),
        Just(Decimal::schema(2)),
        Just(Date::schema()),
    ]
}

fn schema_strategy() -> impl Strategy<Value = Schema> {
    leaf_schema().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (inner.clone(), any::<bool>()).prop_map(|(elem, optional)| decorate(
                SchemaBuilder::array(elem),
                optional,
                None
            )
            .build()
            .unwrap()),
            (key_schema(), inner.clone(), any::<bool>()).prop_map(|(k, v, optional)| {
                decorate(SchemaBuilder::map(k, v), optional, None).build().unwrap()
            }),
            (proptest::collection::vec(inner, 0..4), any::<bool>(), meta()).prop_map(
                |(fields, optional, meta)| {
                    let mut b = SchemaBuilder::struct_();
                    for (i, f) in fields.into_iter().enumerate() {
                        b = b.field(format!("f{i}"), f);
                    }
                    decorate(b, optional, Some(meta)).build().unwrap()
                }
            ),
        ]
    })
}

fn decimal_value(scale: i32) -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(move |u| Value::Decimal(Decimal::new(u, scale))),
        "-?[1-9][0-9]{15,40}".prop_map(move |digits| {
            let whole: Decimal = digits.parse().unwrap();
            Value::Decimal(Decimal::new(whole.unscaled().clone(), scale))
        }),
    ]
    .boxed()
}

/// A value that fits `schema`: null only where that reads back as null.
fn value_for(schema: &Schema) -> BoxedStrategy<Value> {
    if schema.is_optional() && schema.default_value().is_none() {
        prop_oneof![1 => Just(Value::Null), 4 => non_null_value(schema)].boxed()
    } else {
        non_null_value(schema)
    }
}

fn non_null_value(schema: &Schema) -> BoxedStrategy<Value> {
    use connect_api::data::logical::LogicalType;
    if let Some(logical) = LogicalType::of(schema) {
        return match logical {
            LogicalType::Decimal => decimal_value(Decimal::schema_scale(schema).unwrap()),
            LogicalType::Date => any::<i32>().prop_map(|d| Value::Date(Date(d))).boxed(),
            LogicalType::Time => (0i32..86_400_000).prop_map(|t| Value::Time(Time(t))).boxed(),
            LogicalType::Timestamp => {
                any::<i64>().prop_map(|t| Value::Timestamp(Timestamp(t))).boxed()
            }
        };
    }
    match schema.schema_type() {
        Type::Int8 => any::<i8>().prop_map(Value::Int8).boxed(),
        Type::Int16 => any::<i16>().prop_map(Value::Int16).boxed(),
        Type::Int32 => any::<i32>().prop_map(Value::Int32).boxed(),
        Type::Int64 => any::<i64>().prop_map(Value::Int64).boxed(),
        Type::Float32 => {
            any::<f32>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::Float32).boxed()
        }
        Type::Float64 => {
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::Float64).boxed()
        }
        Type::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Bytes => proptest::collection::vec(any::<u8>(), 0..12).prop_map(Value::Bytes).boxed(),
        Type::Array => {
            let elem = schema.value_schema().cloned().unwrap_or_else(Schema::string);
            proptest::collection::vec(value_for(&elem), 0..4).prop_map(Value::Array).boxed()
        }
        Type::Map => {
            let k = schema.key_schema().cloned().unwrap_or_else(Schema::string);
            let v = schema.value_schema().cloned().unwrap_or_else(Schema::string);
            proptest::collection::vec((non_null_value(&k), value_for(&v)), 0..4)
                .prop_map(|pairs| {
                    let mut out: Vec<(Value, Value)> = Vec::new();
                    for (k, v) in pairs {
                        if !out.iter().any(|(ok, _)| *ok == k) {
                            out.push((k, v));
                        }
                    }
                    Value::Map(out)
                })
                .boxed()
        }
        Type::Struct => {
            let fields: Vec<BoxedStrategy<Value>> =
                schema.fields().iter().map(|f| value_for(f.schema())).collect();
            let schema = schema.clone();
            fields
                .prop_map(move |values| {
                    let mut s = Struct::new(schema.clone()).unwrap();
                    for (i, v) in values.into_iter().enumerate() {
                        s.put_at(i, v).unwrap();
                    }
                    Value::Struct(s)
                })
                .boxed()
        }
    }
}

fn schema_and_value() -> impl Strategy<Value = (Schema, Value)> {
    schema_strategy().prop_flat_map(|s| {
        let values = value_for(&s);
        (Just(s), values)
    })
}

fn converters() -> [JsonConverter; 2] {
    [
        JsonConverter::new(),
        JsonConverter::new().with_options(JsonOptions {
            decimal_format: DecimalFormat::Numeric,
            replace_null_with_default: true,
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        // 256 cases unless PROPTEST_CASES says otherwise. Keep the source tree clean: no regression files.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn enveloped_values_round_trip((schema, value) in schema_and_value()) {
        for c in converters() {
            let bytes = c.serialize(Some(&schema), &value).unwrap();
            let bytes = bytes.unwrap_or_default();
            let back = c.deserialize(Some(&bytes)).unwrap();
            prop_assert_eq!(back.schema.as_ref(), Some(&schema), "{}", String::from_utf8_lossy(&bytes));
            prop_assert_eq!(&back.value, &value, "{}", String::from_utf8_lossy(&bytes));
            // The same schema object again hits the cache and writes the same bytes.
            prop_assert_eq!(c.serialize(Some(&schema), &value).unwrap().unwrap_or_default(), bytes);
        }
    }

    #[test]
    fn the_envelope_fast_path_reads_what_the_general_path_reads((schema, value) in schema_and_value()) {
        for c in converters() {
            // A cache of 0 turns the fast path off.
            let general = JsonConverter::new().with_options(*c.options()).with_cache_size(0);
            let bytes = c.serialize(Some(&schema), &value).unwrap().unwrap_or_default();
            prop_assert!(super::envelope::split(&bytes).is_some(), "not split: {}", String::from_utf8_lossy(&bytes));
            for _ in 0..2 {
                // The second read finds the schema in the cache.
                prop_assert_eq!(c.deserialize(Some(&bytes)).unwrap(), general.deserialize(Some(&bytes)).unwrap());
            }
            // A payload the schema refuses: the same error either way.
            let mut broken = bytes.clone();
            let at = broken.len() - 1;
            broken.splice(at..at, *b"x");
            prop_assert_eq!(
                format!("{:?}", c.deserialize(Some(&broken))),
                format!("{:?}", general.deserialize(Some(&broken)))
            );
        }
    }

    #[test]
    fn bare_values_round_trip_with_the_schema((schema, value) in schema_and_value()) {
        for c in converters() {
            let c = c.with_schemas_enable(false);
            let bytes = c.serialize(Some(&schema), &value).unwrap().unwrap_or_default();
            let json = tree::parse(&bytes).unwrap().unwrap_or(Json::Null);
            let back = decode::decode(Some(&schema), &json, c.options(), &Path::Root).unwrap();
            prop_assert_eq!(&back, &value, "{}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn streaming_writer_matches_the_tree_writer((schema, value) in schema_and_value()) {
        for c in converters() {
            let opts = c.options();
            let tree_bytes = tree::to_bytes(&super::encode::encode(Some(&schema), &value, opts, &Path::Root).unwrap());
            let mut direct = Vec::new();
            super::encode::encode_into(&mut direct, Some(&schema), &value, opts, &Path::Root).unwrap();
            prop_assert_eq!(&direct, &tree_bytes, "{}", String::from_utf8_lossy(&tree_bytes));
            // And without a schema, where the value allows it (no structs).
            if let Ok(json) = super::encode::encode(None, &value, opts, &Path::Root) {
                let mut direct = Vec::new();
                super::encode::encode_into(&mut direct, None, &value, opts, &Path::Root).unwrap();
                prop_assert_eq!(direct, tree::to_bytes(&json));
            }
        }
    }

    #[test]
    fn schemas_round_trip_through_serde_json(schema in schema_strategy()) {
        prop_assert_eq!(schema_from_json(&schema_to_json(&schema)).unwrap(), schema);
    }

    #[test]
    fn any_string_survives_the_writer_and_parser(s in any::<String>()) {
        let bytes = tree::to_bytes(&Json::String(s.clone()));
        prop_assert_eq!(serde_json::from_slice::<String>(&bytes).unwrap(), s.clone());
        prop_assert_eq!(tree::parse(&bytes).unwrap(), Some(Json::String(s)));
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = JsonConverter::new().deserialize(Some(&bytes));
        let _ = JsonConverter::new().with_schemas_enable(false).deserialize(Some(&bytes));
    }
}
