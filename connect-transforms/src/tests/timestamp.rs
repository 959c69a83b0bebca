//! `TimestampConverter$Key` / `$Value` ("Convert timestamps between different formats
//! such as Unix epoch, strings, and Connect Date/Timestamp types. Applies to individual
//! fields or to the entire value.") and `TimestampRouter` ("Update the record's topic
//! field as a function of the original topic value and the record timestamp"), with
//! the values of Kafka's `TimestampConverterTest` and `TimestampRouterTest`.

use connect_api::data::{Date, Schema, SchemaBuilder, Struct, Time, Timestamp, Value};
use connect_api::record::{ConnectRecord, SinkRecord, SourceRecord, TimestampType};

use super::{config_error, map, one};

const DAY: i64 = 86_400_000;
const DATE_PLUS_TIME: i64 = DAY + 1234;
const DATE_PLUS_TIME_MICROS: i64 = DATE_PLUS_TIME * 1000 + 123;
const DATE_PLUS_TIME_NANOS: i64 = DATE_PLUS_TIME_MICROS * 1000 + 456;
const STRING_DATE_FMT: &str = "yyyy MM dd HH mm ss SSS z";
const DATE_PLUS_TIME_STRING: &str = "1970 01 02 00 00 01 234 UTC";

fn convert(settings: &[(&str, &str)], schema: Option<Schema>, v: impl Into<Value>) -> SourceRecord {
    let mut chain = one::<SourceRecord>("TimestampConverter$Value", settings);
    chain.apply(SourceRecord::builder("t").value(schema, v).build()).unwrap().unwrap()
}

#[test]
fn whole_value_with_schema_to_every_target() {
    let ts = Timestamp(DATE_PLUS_TIME);
    type Case<'a> = (Vec<(&'a str, &'a str)>, Schema, Value);
    let cases: Vec<Case> = vec![
        (vec![("target.type", "Timestamp")], Timestamp::schema(), Value::Timestamp(ts)),
        (vec![("target.type", "Date")], Date::schema(), Value::Date(Date(1))),
        (vec![("target.type", "Time")], Time::schema(), Value::Time(Time(1234))),
        (vec![("target.type", "unix")], Schema::int64(), Value::Int64(DATE_PLUS_TIME)),
        (
            vec![("target.type", "string"), ("format", STRING_DATE_FMT)],
            Schema::string(),
            Value::from(DATE_PLUS_TIME_STRING),
        ),
    ];
    for (settings, schema, expected) in cases {
        let out = convert(&settings, Some(Timestamp::schema()), ts);
        assert_eq!(out.value_schema(), Some(&schema), "{settings:?}");
        assert_eq!(out.value(), &expected, "{settings:?}");
    }
}

#[test]
fn inputs_are_read_by_their_schema() {
    let to_ts = [("target.type", "Timestamp"), ("format", STRING_DATE_FMT)];
    let want = Value::Timestamp(Timestamp(DATE_PLUS_TIME));
    assert_eq!(convert(&to_ts, Some(Schema::int64()), DATE_PLUS_TIME).value(), &want);
    let s = convert(&to_ts, Some(Schema::string()), DATE_PLUS_TIME_STRING);
    assert_eq!(s.value(), &want);
    let d = convert(&[("target.type", "Timestamp")], Some(Date::schema()), Date(1));
    assert_eq!(d.value(), &Value::Timestamp(Timestamp(DAY)));
    let t = convert(&[("target.type", "unix")], Some(Time::schema()), Time(1234));
    assert_eq!(t.value(), &Value::Int64(1234));
    let opt = SchemaBuilder::int64().optional().build().unwrap();
    let out = convert(&[("target.type", "Date")], Some(opt), Value::Null);
    assert_eq!(out.value(), &Value::Null);
    assert!(out.value_schema().unwrap().is_optional());
}

#[test]
fn unix_precision_applies_both_ways() {
    for (precision, unix) in [
        ("seconds", DATE_PLUS_TIME / 1000),
        ("milliseconds", DATE_PLUS_TIME),
        ("microseconds", DATE_PLUS_TIME_MICROS),
        ("nanoseconds", DATE_PLUS_TIME_NANOS),
    ] {
        let to_ts = [("target.type", "Timestamp"), ("unix.precision", precision)];
        let out = convert(&to_ts, None, unix);
        // Sub-millisecond digits are dropped; seconds lose the milliseconds.
        let millis = if precision == "seconds" { DAY + 1000 } else { DATE_PLUS_TIME };
        assert_eq!(out.value(), &Value::Timestamp(Timestamp(millis)), "{precision}");
        let to_unix = [("target.type", "unix"), ("unix.precision", precision)];
        let out = convert(&to_unix, None, Timestamp(DATE_PLUS_TIME));
        let back = match precision {
            "seconds" => DATE_PLUS_TIME / 1000,
            "milliseconds" => DATE_PLUS_TIME,
            "microseconds" => DATE_PLUS_TIME * 1000,
            _ => DATE_PLUS_TIME * 1_000_000,
        };
        assert_eq!(out.value(), &Value::Int64(back), "{precision}");
    }
}

#[test]
fn schemaless_values_are_inferred() {
    let to_string = [("target.type", "string"), ("format", STRING_DATE_FMT)];
    let out = convert(&to_string, None, Timestamp(DATE_PLUS_TIME));
    assert_eq!(out.value(), &Value::from(DATE_PLUS_TIME_STRING));
    assert_eq!(out.value_schema(), None);
    let out = convert(&[("target.type", "Date")], None, DATE_PLUS_TIME);
    assert_eq!(out.value(), &Value::Date(Date(1)));
    let mut chain = one::<SourceRecord>("TimestampConverter$Value", &[("target.type", "unix")]);
    let err = chain.apply(SourceRecord::builder("t").value(None, 5i32).build()).unwrap_err();
    assert!(err.message().contains("does not support INT32 objects"), "{}", err.message());
    let mut chain = one::<SourceRecord>(
        "TimestampConverter$Value",
        &[("target.type", "unix"), ("format", "yyyy-MM-dd")],
    );
    let err =
        chain.apply(SourceRecord::builder("t").value(None, "01/02/1970").build()).unwrap_err();
    assert!(err.message().contains("does not match pattern (yyyy-MM-dd)"), "{}", err.message());
}

#[test]
fn a_struct_field_is_converted_and_the_rest_kept() {
    let schema = SchemaBuilder::struct_()
        .name("evt")
        .field("ts", Schema::int64())
        .field("opt_ts", Schema::optional_int64())
        .field("other", Schema::string())
        .build()
        .unwrap();
    let value = Struct::new(schema.clone())
        .unwrap()
        .with("ts", DATE_PLUS_TIME)
        .unwrap()
        .with("other", "x")
        .unwrap();
    for field in ["ts", "opt_ts"] {
        let mut chain = one::<SinkRecord>(
            "TimestampConverter$Key",
            &[("field", field), ("target.type", "Timestamp")],
        );
        let r = SinkRecord::builder("t", 0, 0).key(Some(schema.clone()), value.clone()).build();
        let out = chain.apply(r).unwrap().unwrap();
        let s = out.key().as_struct().unwrap();
        s.validate().unwrap();
        assert_eq!(s.schema().name(), Some("evt"));
        let fs = s.schema().field(field).unwrap().schema();
        assert_eq!(fs.name(), Some("org.apache.kafka.connect.data.Timestamp"));
        assert_eq!(fs.is_optional(), field == "opt_ts");
        let expected =
            if field == "ts" { Value::Timestamp(Timestamp(DATE_PLUS_TIME)) } else { Value::Null };
        assert_eq!(s.get(field).unwrap(), &expected);
        assert_eq!(s.get_string("other").unwrap(), "x");
    }
}

#[test]
fn a_map_field_is_converted() {
    let v = map(&[("ts", Value::Int64(DATE_PLUS_TIME)), ("other", Value::from("x"))]);
    let out = convert(&[("field", "ts"), ("target.type", "Time")], None, v);
    assert_eq!(out.value(), &map(&[("ts", Value::Time(Time(1234))), ("other", Value::from("x"))]));
}

#[test]
fn converter_bad_configs_name_the_key() {
    let m = config_error("TimestampConverter$Value", &[]);
    assert!(m.contains("\"transforms.t.target.type\""), "{m}");
    let m = config_error("TimestampConverter$Value", &[("target.type", "date")]);
    assert!(m.contains("configuration transforms.t.target.type"), "{m}");
    let m = config_error("TimestampConverter$Value", &[("target.type", "string")]);
    assert!(m.contains("format"), "{m}");
    let m = config_error(
        "TimestampConverter$Value",
        &[("target.type", "string"), ("format", "bad-format")],
    );
    assert!(
        m.contains("configuration transforms.t.format")
            && m.contains("Illegal pattern character 'b'"),
        "{m}"
    );
    let m = config_error(
        "TimestampConverter$Value",
        &[("target.type", "unix"), ("unix.precision", "hours")],
    );
    assert!(m.contains("configuration transforms.t.unix.precision"), "{m}");
}

#[test]
fn router_appends_the_day_by_default() {
    let mut chain = one::<SinkRecord>("TimestampRouter", &[]);
    let r = SinkRecord::builder("test", 0, 0)
        .timestamp(1_483_425_001_864, TimestampType::CreateTime)
        .build();
    assert_eq!(chain.apply(r).unwrap().unwrap().topic(), "test-20170103");
    let err = chain.apply(SinkRecord::builder("test", 0, 0).build()).unwrap_err();
    assert!(err.message().contains("Timestamp missing on record"), "{}", err.message());
}

#[test]
fn router_uses_both_formats() {
    let mut chain = one::<SourceRecord>(
        "TimestampRouter",
        &[("topic.format", "${timestamp}_${topic}_x"), ("timestamp.format", "yyyy-MM'm'")],
    );
    let r = SourceRecord::builder("orders").timestamp(1_483_425_001_864).build();
    assert_eq!(chain.apply(r).unwrap().unwrap().topic(), "2017-01m_orders_x");
    let m = config_error("TimestampRouter", &[("timestamp.format", "yyyy-ww")]);
    assert!(m.contains("configuration transforms.t.timestamp.format"), "{m}");
}
