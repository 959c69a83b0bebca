#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Every format writes records of a schema with every Connect type, and the format's
//! own independent reader (apache-avro's Reader, parquet's Arrow reader, serde_json)
//! reads back every field.

use connect_api::data::logical::{Date, Decimal, Time, Timestamp};
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::error::ErrorKind;
use connect_hdfs::format::{
    self, AvroFormat, Format, FormatSettings, FormatWriter, JsonDecimalFormat, JsonFormat,
    ParquetFormat, read,
};
use serde_json::{Value as Json, json};

fn address_schema(optional: bool) -> Schema {
    let b = SchemaBuilder::struct_()
        .name("com.example.Address")
        .field("street", Schema::string())
        .field("zip", Schema::optional_int32());
    if optional { b.optional().build().unwrap() } else { b.build().unwrap() }
}

fn everything() -> Schema {
    SchemaBuilder::struct_()
        .name("com.example.Everything")
        .field("i8", Schema::int8())
        .field("i16", Schema::int16())
        .field("i32", Schema::int32())
        .field("i64", Schema::int64())
        .field("f32", Schema::float32())
        .field("f64", Schema::float64())
        .field("flag", Schema::boolean())
        .field("name", Schema::string())
        .field("blob", Schema::bytes())
        .field("price", Decimal::schema(2))
        .field("day", Date::schema())
        .field("tod", Time::schema())
        .field("at", Timestamp::schema())
        .field("opt_str", Schema::optional_string())
        .field("opt_i64", Schema::optional_int64())
        .field("opt_dec", Decimal::builder(3).optional().build().unwrap())
        .field("opt_ts", Timestamp::builder().optional().build().unwrap())
        .field("address", address_schema(false))
        .field("opt_address", address_schema(true))
        .field("tags", SchemaBuilder::array(Schema::string()).build().unwrap())
        .field(
            "opt_nums",
            SchemaBuilder::array(Schema::optional_float64()).optional().build().unwrap(),
        )
        .field("scores", SchemaBuilder::map(Schema::string(), Schema::int64()).build().unwrap())
        .field("by_id", SchemaBuilder::map(Schema::int32(), Schema::string()).build().unwrap())
        .field("with_default", SchemaBuilder::int32().default_value(42i32).build().unwrap())
        .build()
        .unwrap()
}

fn address(street: &str, zip: Option<i32>) -> Struct {
    Struct::new(address_schema(false))
        .unwrap()
        .with("street", street)
        .unwrap()
        .with("zip", zip)
        .unwrap()
}

fn opt_address(street: &str) -> Struct {
    Struct::new(address_schema(true)).unwrap().with("street", street).unwrap()
}

/// Record 0 has every field set; record 1 has every optional field null.
fn records() -> Vec<Value> {
    let s = everything();
    let full = Struct::new(s.clone())
        .unwrap()
        .with("i8", -8i8)
        .unwrap()
        .with("i16", -1600i16)
        .unwrap()
        .with("i32", 123_456i32)
        .unwrap()
        .with("i64", 9_000_000_000i64)
        .unwrap()
        .with("f32", 0.1f32)
        .unwrap()
        .with("f64", -2.25f64)
        .unwrap()
        .with("flag", true)
        .unwrap()
        .with("name", "zoë \"quoted\"\n")
        .unwrap()
        .with("blob", vec![0u8, 1, 2, 255])
        .unwrap()
        .with("price", "123.45".parse::<Decimal>().unwrap())
        .unwrap()
        .with("day", Date(19860))
        .unwrap()
        .with("tod", Time(34_200_000))
        .unwrap()
        .with("at", Timestamp(1_715_963_400_123))
        .unwrap()
        .with("opt_str", "here")
        .unwrap()
        .with("opt_i64", -1i64)
        .unwrap()
        .with("opt_dec", "-0.005".parse::<Decimal>().unwrap())
        .unwrap()
        .with("opt_ts", Timestamp(0))
        .unwrap()
        .with("address", address("1 Main St", Some(94105)))
        .unwrap()
        .with("opt_address", opt_address("2 Side St"))
        .unwrap()
        .with("tags", vec![Value::from("a"), Value::from("b")])
        .unwrap()
        .with("opt_nums", vec![Value::Float64(1.5), Value::Null])
        .unwrap()
        .with(
            "scores",
            vec![(Value::from("x"), Value::Int64(1)), (Value::from("y"), Value::Int64(-2))],
        )
        .unwrap()
        .with("by_id", vec![(Value::Int32(7), Value::from("seven"))])
        .unwrap()
        .with("with_default", 5i32)
        .unwrap();
    let sparse = Struct::new(s)
        .unwrap()
        .with("i8", 127i8)
        .unwrap()
        .with("i16", 32767i16)
        .unwrap()
        .with("i32", i32::MIN)
        .unwrap()
        .with("i64", i64::MAX)
        .unwrap()
        .with("f32", -0.0f32)
        .unwrap()
        .with("f64", f64::INFINITY)
        .unwrap()
        .with("flag", false)
        .unwrap()
        .with("name", "")
        .unwrap()
        .with("blob", Vec::<u8>::new())
        .unwrap()
        .with("price", "-0.01".parse::<Decimal>().unwrap())
        .unwrap()
        .with("day", Date(-1))
        .unwrap()
        .with("tod", Time(0))
        .unwrap()
        .with("at", Timestamp(-1000))
        .unwrap()
        .with("address", address("", None))
        .unwrap()
        .with("tags", Vec::<Value>::new())
        .unwrap()
        .with("scores", Vec::<(Value, Value)>::new())
        .unwrap()
        .with("by_id", Vec::<(Value, Value)>::new())
        .unwrap();
    vec![Value::Struct(full), Value::Struct(sparse)]
}

/// What Avro and Parquet read back, in `format::read`'s shape.
fn expected_typed() -> Vec<Json> {
    vec![
        json!({
            "i8": -8, "i16": -1600, "i32": 123456, "i64": 9_000_000_000i64, "f32": 0.1,
            "f64": -2.25, "flag": true, "name": "zoë \"quoted\"\n", "blob": "AAEC/w==",
            "price": "123.45", "day": 19860, "tod": 34200000, "at": 1715963400123i64,
            "opt_str": "here", "opt_i64": -1, "opt_dec": "-0.005", "opt_ts": 0,
            "address": {"street": "1 Main St", "zip": 94105},
            "opt_address": {"street": "2 Side St", "zip": null},
            "tags": ["a", "b"], "opt_nums": [1.5, null], "scores": {"x": 1, "y": -2},
            "by_id": [{"key": 7, "value": "seven"}], "with_default": 5
        }),
        json!({
            "i8": 127, "i16": 32767, "i32": i32::MIN, "i64": i64::MAX, "f32": -0.0,
            "f64": "Infinity", "flag": false, "name": "", "blob": "", "price": "-0.01",
            "day": -1, "tod": 0, "at": -1000, "opt_str": null, "opt_i64": null,
            "opt_dec": null, "opt_ts": null, "address": {"street": "", "zip": null},
            "opt_address": null, "tags": [], "opt_nums": null, "scores": {}, "by_id": [],
            "with_default": 42
        }),
    ]
}

fn write_all(w: &mut dyn FormatWriter, values: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        w.write(v).unwrap();
        out.extend(w.drain().unwrap());
    }
    out.extend(w.finish().unwrap());
    out
}

fn assert_records(got: &[Json], want: &[Json]) {
    assert_eq!(got.len(), want.len(), "record count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g.as_object().unwrap(), w.as_object().unwrap());
        assert_eq!(g.keys().collect::<Vec<_>>().len(), w.len(), "record {i} field count: {g:?}");
        for (k, wv) in w {
            assert_eq!(g.get(k), Some(wv), "record {i} field {k}");
        }
    }
}

#[test]
fn avro_round_trips_every_connect_type_with_each_codec() {
    for codec in ["null", "deflate", "snappy", "zstandard"] {
        let f = AvroFormat::new(codec).unwrap();
        assert_eq!(f.extension(), ".avro");
        let mut w = f.new_writer(Some(&everything())).unwrap();
        let file = write_all(w.as_mut(), &records());
        assert_eq!(w.record_count(), 2);
        let header = read::avro_header(&file).unwrap();
        assert_eq!(header["avro.codec"], codec.as_bytes(), "codec {codec}");
        let (schema, got) = read::avro_records(&file).unwrap();
        assert_records(&got, &expected_typed());
        // The writer schema is Confluent's mapping.
        let js: Json = serde_json::from_slice(&header["avro.schema"]).unwrap();
        assert_eq!(js["name"], "Everything");
        assert_eq!(js["namespace"], "com.example");
        assert_eq!(js["connect.name"], "com.example.Everything");
        let field = |n: &str| {
            js["fields"].as_array().unwrap().iter().find(|f| f["name"] == n).unwrap().clone()
        };
        assert_eq!(field("i8")["type"], json!({"type": "int", "connect.type": "int8"}));
        assert_eq!(field("i16")["type"]["connect.type"], "int16");
        assert_eq!(field("opt_str")["type"], json!(["null", "string"]));
        assert_eq!(field("opt_str")["default"], Json::Null);
        assert_eq!(field("price")["type"]["logicalType"], "decimal");
        assert_eq!(field("price")["type"]["scale"], 2);
        assert_eq!(field("price")["type"]["connect.name"], "org.apache.kafka.connect.data.Decimal");
        assert_eq!(field("price")["type"]["connect.parameters"]["scale"], "2");
        assert_eq!(field("day")["type"]["logicalType"], "date");
        assert_eq!(field("tod")["type"]["logicalType"], "time-millis");
        assert_eq!(field("at")["type"]["logicalType"], "timestamp-millis");
        assert_eq!(field("with_default")["default"], 42);
        assert_eq!(field("scores")["type"]["type"], "map");
        assert_eq!(field("by_id")["type"]["items"]["name"], "MapEntry");
        // The same address schema appears once in full, then by name.
        assert_eq!(field("opt_address")["type"], json!(["null", "com.example.Address"]));
        assert!(matches!(schema, apache_avro::Schema::Record(_)));
    }
}

#[test]
fn parquet_round_trips_every_connect_type_with_each_codec() {
    for (codec, want) in [
        ("none", "UNCOMPRESSED"),
        ("snappy", "SNAPPY"),
        ("gzip", "GZIP"),
        ("zstd", "ZSTD"),
        ("lz4", "LZ4"),
        ("lz4_raw", "LZ4_RAW"),
    ] {
        let f = ParquetFormat::new(codec).unwrap();
        assert_eq!(f.extension(), ".parquet");
        let mut w = f.new_writer(Some(&everything())).unwrap();
        let file = write_all(w.as_mut(), &records());
        assert_eq!(&file[..4], b"PAR1");
        assert_records(&read::parquet_records(&file).unwrap(), &expected_typed());
        let (groups, codecs) = read::parquet_layout(&file).unwrap();
        assert_eq!(groups, 1);
        assert!(codecs.iter().all(|c| c.starts_with(want)), "{codec}: {codecs:?}");
    }
    // Types as Parquet declares them.
    let f = ParquetFormat::new("snappy").unwrap();
    let mut w = f.new_writer(Some(&everything())).unwrap();
    let file = write_all(w.as_mut(), &records());
    let batches = read::parquet_batches(&file).unwrap();
    let schema = batches[0].schema();
    assert_eq!(
        schema.field_with_name("price").unwrap().data_type().to_string(),
        "Decimal128(38, 2)"
    );
    assert_eq!(schema.field_with_name("day").unwrap().data_type().to_string(), "Date32");
    assert!(
        schema.field_with_name("at").unwrap().data_type().to_string().starts_with("Timestamp(ms")
    );
    assert!(schema.field_with_name("opt_str").unwrap().is_nullable());
    assert!(!schema.field_with_name("name").unwrap().is_nullable());
}

#[test]
fn json_lines_round_trip_every_connect_type() {
    let mut w = JsonFormat::new().new_writer(Some(&everything())).unwrap();
    let file = write_all(w.as_mut(), &records());
    let text = String::from_utf8(file.clone()).unwrap();
    assert_eq!(text.lines().count(), 2);
    let got = read::json_lines(&file).unwrap();
    let mut want = expected_typed();
    // JsonConverter (schemas.enable=false) shapes: decimals base64 of the unscaled
    // bytes, maps with non-string keys as [key, value] pairs.
    want[0]["price"] = json!("MDk="); // 12345 = 0x3039
    want[0]["opt_dec"] = json!("+w=="); // -5 = 0xfb
    want[0]["by_id"] = json!([[7, "seven"]]);
    want[1]["price"] = json!("/w=="); // -1
    want[1]["by_id"] = json!([]);
    assert_records(&got, &want);
    // Field order is the schema's.
    assert!(text.starts_with("{\"i8\":-8,\"i16\":-1600,"));

    let numeric = JsonFormat::new().with_decimal_format(JsonDecimalFormat::Numeric);
    let mut w = numeric.new_writer(Some(&everything())).unwrap();
    let got = read::json_lines(&write_all(w.as_mut(), &records())).unwrap();
    assert_eq!(got[0]["price"].to_string(), "123.45");
    assert_eq!(got[1]["price"].to_string(), "-0.01");
}

#[test]
fn json_lines_accept_schemaless_values() {
    let mut w = format::JsonFormat::new().new_writer(None).unwrap();
    let values = vec![
        Value::Map(vec![
            (Value::from("id"), Value::Int64(1)),
            (Value::from("tags"), Value::Array(vec![Value::from("a"), Value::Null])),
            (Value::from("nested"), Value::Map(vec![(Value::from("ok"), Value::Boolean(true))])),
        ]),
        Value::from("just a string"),
        Value::Int32(5),
        Value::Map(vec![(Value::Int32(1), Value::from("one"))]),
        Value::Null,
    ];
    let got = read::json_lines(&write_all(w.as_mut(), &values)).unwrap();
    assert_eq!(
        got,
        vec![
            json!({"id": 1, "tags": ["a", null], "nested": {"ok": true}}),
            json!("just a string"),
            json!(5),
            json!([[1, "one"]]),
            Json::Null,
        ]
    );
}

#[test]
fn avro_and_parquet_refuse_schemaless_records() {
    for f in [
        Box::new(AvroFormat::new("null").unwrap()) as Box<dyn Format>,
        Box::new(ParquetFormat::new("none").unwrap()),
    ] {
        let err = f.new_writer(None).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Data);
        assert!(err.message().contains("JsonFormat"), "{}", err.message());
    }
}

/// A record that does not fit is refused with the field named, and leaves nothing
/// half-written: the file holds exactly the good records.
#[test]
fn a_bad_record_names_its_field_and_leaves_the_file_intact() {
    let inner = SchemaBuilder::struct_().name("Inner").field("n", Schema::int32()).build().unwrap();
    let schema = SchemaBuilder::struct_()
        .name("Outer")
        .field("a", Schema::string())
        .field("inner", inner.clone())
        .build()
        .unwrap();
    // Same shape, but "n" holds a string: what an unprojected value could carry.
    let wrong_inner =
        SchemaBuilder::struct_().name("Inner").field("n", Schema::string()).build().unwrap();
    let wrong_schema = SchemaBuilder::struct_()
        .name("Outer")
        .field("a", Schema::string())
        .field("inner", wrong_inner.clone())
        .build()
        .unwrap();
    let good = |i: i32| {
        Value::Struct(
            Struct::new(schema.clone())
                .unwrap()
                .with("a", format!("r{i}"))
                .unwrap()
                .with("inner", Struct::new(inner.clone()).unwrap().with("n", i).unwrap())
                .unwrap(),
        )
    };
    let bad = Value::Struct(
        Struct::new(wrong_schema)
            .unwrap()
            .with("a", "bad")
            .unwrap()
            .with("inner", Struct::new(wrong_inner).unwrap().with("n", "x").unwrap())
            .unwrap(),
    );
    let formats: Vec<Box<dyn Format>> = vec![
        Box::new(AvroFormat::new("snappy").unwrap()),
        Box::new(ParquetFormat::new("snappy").unwrap()),
        Box::new(JsonFormat::new()),
    ];
    for f in formats {
        let mut w = f.new_writer(Some(&schema)).unwrap();
        let mut file = Vec::new();
        w.write(&good(1)).unwrap();
        let err = w.write(&bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Data);
        assert!(err.message().contains("\"inner.n\""), "{}: {}", f.extension(), err.message());
        assert!(err.message().contains("INT32"), "{}", err.message());
        w.write(&good(2)).unwrap();
        assert_eq!(w.record_count(), 2);
        file.extend(w.drain().unwrap());
        file.extend(w.finish().unwrap());
        let got = match f.extension() {
            ".avro" => read::avro_records(&file).unwrap().1,
            ".parquet" => read::parquet_records(&file).unwrap(),
            _ => read::json_lines(&file).unwrap(),
        };
        assert_eq!(
            got,
            vec![json!({"a": "r1", "inner": {"n": 1}}), json!({"a": "r2", "inner": {"n": 2}})]
        );
        // A null in a required field is refused too.
        let mut w = f.new_writer(Some(&schema)).unwrap();
        let null_a = Value::Struct(
            Struct::new(schema.clone())
                .unwrap()
                .with("inner", Struct::new(inner.clone()).unwrap().with("n", 1).unwrap())
                .unwrap(),
        );
        let err = w.write(&null_a).unwrap_err();
        assert!(
            err.message().contains("\"a\"") && err.message().contains("null"),
            "{}",
            err.message()
        );
    }
}

/// Many records: Avro closes blocks and Parquet closes row groups as they fill, and
/// `drain` hands those bytes out before `finish`.
#[test]
fn large_files_stream_out_in_blocks_and_row_groups() {
    let schema = SchemaBuilder::struct_()
        .field("id", Schema::int64())
        .field("text", Schema::string())
        .field("opt", Schema::optional_float64())
        .build()
        .unwrap();
    let n = 50_000;
    let values: Vec<Value> = (0..n)
        .map(|i| {
            let mut s = Struct::new(schema.clone()).unwrap();
            s.put("id", i as i64).unwrap();
            s.put("text", format!("record number {i}")).unwrap();
            if i % 3 == 0 {
                s.put("opt", i as f64 / 2.0).unwrap();
            }
            Value::Struct(s)
        })
        .collect();
    let check = |got: Vec<Json>| {
        assert_eq!(got.len(), n);
        for (i, r) in got.iter().enumerate() {
            assert_eq!(r["id"], json!(i as i64));
            assert_eq!(r["text"], json!(format!("record number {i}")));
            let opt = if i % 3 == 0 { json!(i as f64 / 2.0) } else { Json::Null };
            assert_eq!(r["opt"], opt);
        }
    };

    let mut w = AvroFormat::new("deflate").unwrap().new_writer(Some(&schema)).unwrap();
    let mut file = Vec::new();
    let mut drained_early = 0;
    for v in &values {
        w.write(v).unwrap();
        let d = w.drain().unwrap();
        drained_early += d.len();
        file.extend(d);
    }
    assert!(drained_early > 0, "closed Avro blocks are drained before finish");
    file.extend(w.finish().unwrap());
    check(read::avro_records(&file).unwrap().1);

    let f = ParquetFormat::new("zstd").unwrap().with_row_group_rows(8_000);
    let mut w = f.new_writer(Some(&schema)).unwrap();
    let mut file = Vec::new();
    let mut drained_early = 0;
    for v in &values {
        w.write(v).unwrap();
        let d = w.drain().unwrap();
        drained_early += d.len();
        file.extend(d);
    }
    assert!(drained_early > 0, "closed row groups are drained before finish");
    file.extend(w.finish().unwrap());
    assert_eq!(read::parquet_layout(&file).unwrap().0, 7);
    check(read::parquet_records(&file).unwrap());
}

#[test]
fn format_class_accepts_confluent_names_and_short_names() {
    let settings = |class: &str| FormatSettings {
        class: class.to_string(),
        avro_codec: "snappy".into(),
        parquet_codec: "snappy".into(),
    };
    for (class, ext) in [
        ("io.confluent.connect.hdfs.avro.AvroFormat", ".avro"),
        ("io.confluent.connect.hdfs.parquet.ParquetFormat", ".parquet"),
        ("io.confluent.connect.hdfs.json.JsonFormat", ".json"),
        ("io.confluent.connect.storage.format.avro.AvroFormat", ".avro"),
        ("io.confluent.connect.storage.format.parquet.ParquetFormat", ".parquet"),
        ("io.confluent.connect.storage.format.json.JsonFormat", ".json"),
        ("io.confluent.connect.s3.format.json.JsonFormat", ".json"),
        ("io.confluent.connect.hdfs3.avro.AvroFormat", ".avro"),
        ("AvroFormat", ".avro"),
        ("avro", ".avro"),
        ("Parquet", ".parquet"),
        (" json ", ".json"),
    ] {
        assert_eq!(format::from_settings(&settings(class)).unwrap().extension(), ext, "{class}");
    }
    let err =
        format::from_settings(&settings("io.confluent.connect.hdfs.orc.OrcFormat")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("format.class") && err.message().contains("OrcFormat"));
    assert!(err.message().contains("io.confluent.connect.hdfs.avro.AvroFormat"));

    let mut s = settings("avro");
    s.avro_codec = "lzma".into();
    let err = format::from_settings(&s).unwrap_err();
    assert!(err.message().contains("avro.codec") && err.message().contains("lzma"));
    let mut s = settings("parquet");
    s.parquet_codec = "brotli9".into();
    let err = format::from_settings(&s).unwrap_err();
    assert!(err.message().contains("parquet.codec") && err.message().contains("brotli9"));
    assert_eq!(FormatSettings::default().class, "io.confluent.connect.hdfs.avro.AvroFormat");
}

/// A record that fails inside an array, after earlier fields and elements were
/// buffered, leaves the Parquet columns exactly as they were.
#[test]
fn parquet_rolls_back_a_record_that_fails_inside_an_array() {
    let make = |elem: Schema| {
        SchemaBuilder::struct_()
            .name("R")
            .field("id", Schema::int64())
            .field("xs", SchemaBuilder::array(elem).build().unwrap())
            .field("tail", Schema::string())
            .build()
            .unwrap()
    };
    let good_schema = make(Schema::int32());
    let bad_schema = make(Schema::optional_string());
    let good = |i: i64| {
        Value::Struct(
            Struct::new(good_schema.clone())
                .unwrap()
                .with("id", i)
                .unwrap()
                .with("xs", vec![Value::Int32(i as i32), Value::Int32(7)])
                .unwrap()
                .with("tail", "t")
                .unwrap(),
        )
    };
    let bad = Value::Struct(
        Struct::new(bad_schema)
            .unwrap()
            .with("id", 99i64)
            .unwrap()
            .with("xs", vec![Value::Null, Value::from("oops")])
            .unwrap()
            .with("tail", "never")
            .unwrap(),
    );
    let mut w = ParquetFormat::new("none").unwrap().new_writer(Some(&good_schema)).unwrap();
    w.write(&good(1)).unwrap();
    let err = w.write(&bad).unwrap_err();
    assert!(err.message().contains("\"xs[0]\""), "{}", err.message());
    w.write(&good(2)).unwrap();
    let file = w.finish().unwrap();
    assert_eq!(
        read::parquet_records(&file).unwrap(),
        vec![
            json!({"id": 1, "xs": [1, 7], "tail": "t"}),
            json!({"id": 2, "xs": [2, 7], "tail": "t"})
        ]
    );
}
