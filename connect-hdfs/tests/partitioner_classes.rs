#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Partitioners chosen by Confluent's class names: default, field, time-based (each
//! extractor, path.format, time zones), hourly, daily; bad settings name the key.

use connect_api::data::logical::Timestamp;
use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
use connect_api::error::ErrorKind;
use connect_api::record::{SinkRecord, TimestampType};
use connect_hdfs::partitioner::{self, Partitioner, PartitionerKind, PartitionerSettings};

const PACKAGES: [&str; 2] =
    ["io.confluent.connect.hdfs.partitioner.", "io.confluent.connect.storage.partitioner."];

fn settings(class: &str) -> PartitionerSettings {
    PartitionerSettings { class: class.to_string(), ..PartitionerSettings::default() }
}

fn time_settings(class: &str, extractor: &str) -> PartitionerSettings {
    PartitionerSettings {
        locale: "en-US".into(),
        timezone: "UTC".into(),
        timestamp_extractor: extractor.into(),
        ..settings(class)
    }
}

fn user_schema() -> Schema {
    SchemaBuilder::struct_()
        .name("User")
        .field("id", Schema::int64())
        .field("department", Schema::string())
        .field("region", Schema::optional_string())
        .field("active", Schema::boolean())
        .field("level", Schema::int8())
        .field("score", Schema::float64())
        .field("created", Timestamp::builder().optional().build().unwrap())
        .field("created_ms", Schema::optional_int64())
        .field("created_text", Schema::optional_string())
        .field(
            "meta",
            SchemaBuilder::struct_().field("team", Schema::string()).optional().build().unwrap(),
        )
        .build()
        .unwrap()
}

fn user(department: &str) -> Struct {
    Struct::new(user_schema())
        .unwrap()
        .with("id", 1i64)
        .unwrap()
        .with("department", department)
        .unwrap()
        .with("active", true)
        .unwrap()
        .with("level", 3i8)
        .unwrap()
        .with("score", 0.5f64)
        .unwrap()
}

fn record(value: Struct) -> SinkRecord {
    SinkRecord::builder("users", 3, 41)
        .value(Some(value.schema().clone()), Value::Struct(value))
        .build()
}

// 2024-05-17T16:30:00.250Z
const TS: i64 = 1_715_963_400_250;

#[test]
fn default_partitioner_under_every_spelling() {
    for class in [
        "io.confluent.connect.hdfs.partitioner.DefaultPartitioner",
        "io.confluent.connect.storage.partitioner.DefaultPartitioner",
        "DefaultPartitioner",
    ] {
        let p = partitioner::from_settings(&settings(class)).unwrap();
        assert_eq!(p.encode_partition(&record(user("x")), 0).unwrap(), "partition=3", "{class}");
        assert_eq!(p.partition_fields(), vec![("partition".to_string(), Schema::int32())]);
        assert_eq!(p.record_timestamp(&record(user("x")), 5), None);
    }
    assert_eq!(PartitionerSettings::default().class, partitioner::DEFAULT_PARTITIONER_CLASS);
}

#[test]
fn every_class_name_spelling_selects_its_partitioner() {
    for (name, kind) in [
        ("DefaultPartitioner", PartitionerKind::Default),
        ("FieldPartitioner", PartitionerKind::Field),
        ("TimeBasedPartitioner", PartitionerKind::TimeBased),
        ("HourlyPartitioner", PartitionerKind::Hourly),
        ("DailyPartitioner", PartitionerKind::Daily),
    ] {
        for pkg in PACKAGES {
            assert_eq!(PartitionerKind::from_class(&format!("{pkg}{name}")).unwrap(), kind);
        }
        assert_eq!(PartitionerKind::from_class(name).unwrap(), kind);
    }
    let err = partitioner::from_settings(&settings("io.confluent.connect.hdfs.partitioner.Nope"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("partitioner.class"), "{}", err.message());
    assert!(err.message().contains("io.confluent.connect.storage.partitioner.FieldPartitioner"));
}

#[test]
fn field_partitioner_nests_directories_in_list_order() {
    for pkg in PACKAGES {
        let mut s = settings(&format!("{pkg}FieldPartitioner"));
        s.field_names = vec!["department".into()];
        let p = partitioner::from_settings(&s).unwrap();
        assert_eq!(
            p.encode_partition(&record(user("engineering")), 0).unwrap(),
            "department=engineering"
        );
        assert_eq!(p.partition_fields(), vec![("department".to_string(), Schema::string())]);
    }
    let mut s = settings("FieldPartitioner");
    s.field_names = vec![
        "department".into(),
        "region".into(),
        "active".into(),
        "level".into(),
        "meta.team".into(),
    ];
    let p = partitioner::from_settings(&s).unwrap();
    let mut u = user("sales");
    u.put("region", "emea").unwrap();
    let meta = Struct::new(user_schema().field("meta").unwrap().schema().clone())
        .unwrap()
        .with("team", "north")
        .unwrap();
    u.put("meta", meta).unwrap();
    assert_eq!(
        p.encode_partition(&record(u), 0).unwrap(),
        "department=sales/region=emea/active=true/level=3/meta.team=north"
    );
    assert_eq!(p.partition_fields().len(), 5);

    // Schemaless map values work too.
    let mut s = settings("FieldPartitioner");
    s.field_names = vec!["dept".into()];
    let p = partitioner::from_settings(&s).unwrap();
    let r = SinkRecord::builder("t", 0, 1)
        .value(None, Value::Map(vec![(Value::from("dept"), Value::from("ops"))]))
        .build();
    assert_eq!(p.encode_partition(&r, 0).unwrap(), "dept=ops");
}

#[test]
fn field_partitioner_errors_name_the_record_and_the_field() {
    let mut s = settings("FieldPartitioner");
    s.field_names = vec!["region".into()];
    let p = partitioner::from_settings(&s).unwrap();
    let err = p.encode_partition(&record(user("x")), 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Data);
    let m = err.message();
    assert!(
        m.contains("topic users") && m.contains("partition 3") && m.contains("offset 41"),
        "{m}"
    );
    assert!(m.contains("\"region\"") && m.contains("null"), "{m}");

    s.field_names = vec!["score".into()];
    let err = partitioner::from_settings(&s)
        .unwrap()
        .encode_partition(&record(user("x")), 0)
        .unwrap_err();
    assert!(
        err.message().contains("\"score\"") && err.message().contains("FLOAT64"),
        "{}",
        err.message()
    );

    s.field_names = vec!["missing".into()];
    let err = partitioner::from_settings(&s)
        .unwrap()
        .encode_partition(&record(user("x")), 0)
        .unwrap_err();
    assert!(err.message().contains("missing"), "{}", err.message());

    s.field_names = vec![];
    let err = partitioner::from_settings(&s).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("partition.field.name"));
}

#[test]
fn time_based_partitioner_formats_path_format_in_the_time_zone() {
    for pkg in PACKAGES {
        let s = PartitionerSettings {
            path_format: "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH".into(),
            partition_duration_ms: 3_600_000,
            timezone: "America/Los_Angeles".into(),
            ..time_settings(&format!("{pkg}TimeBasedPartitioner"), "Wallclock")
        };
        let p = partitioner::from_settings(&s).unwrap();
        // 16:30Z is 09:30 PDT.
        assert_eq!(
            p.encode_partition(&record(user("x")), TS).unwrap(),
            "year=2024/month=05/day=17/hour=09"
        );
        let names: Vec<String> = p.partition_fields().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["year", "month", "day", "hour"]);
        assert!(p.partition_fields().iter().all(|(_, s)| *s == Schema::string()));
        assert_eq!(p.record_timestamp(&record(user("x")), TS), Some(TS));
    }
    // Other zones, other durations: buckets are aligned in local time.
    let at = |zone: &str, fmt: &str, dur: i64, ts: i64| {
        let s = PartitionerSettings {
            path_format: fmt.into(),
            partition_duration_ms: dur,
            timezone: zone.into(),
            ..time_settings("TimeBasedPartitioner", "Wallclock")
        };
        partitioner::from_settings(&s).unwrap().encode_partition(&record(user("x")), ts).unwrap()
    };
    assert_eq!(at("Asia/Kolkata", "YYYY-MM-dd/HH:mm", 900_000, TS), "2024-05-17/22:00");
    assert_eq!(at("UTC", "'dt'=YYYYMMdd/'min'=mm", 600_000, TS), "dt=20240517/min=30");
    assert_eq!(at("Europe/Berlin", "'day'=dd/'h'=HH", 86_400_000, TS), "day=17/h=00");
    assert_eq!(at("UTC", "'m'=MMM/EEE", 3_600_000, TS), "m=May/Fri");
    // Before the epoch.
    assert_eq!(at("UTC", "YYYY/MM/dd/HH", 3_600_000, -1), "1969/12/31/23");
}

#[test]
fn record_extractor_uses_the_kafka_timestamp() {
    let s = PartitionerSettings {
        path_format: "'date'=YYYY-MM-dd".into(),
        partition_duration_ms: 86_400_000,
        ..time_settings("io.confluent.connect.storage.partitioner.TimeBasedPartitioner", "Record")
    };
    let p = partitioner::from_settings(&s).unwrap();
    let r = SinkRecord::builder("t", 0, 9)
        .value(None, Value::Null)
        .timestamp(TS, TimestampType::CreateTime)
        .build();
    assert_eq!(p.encode_partition(&r, 0).unwrap(), "date=2024-05-17");
    assert_eq!(p.record_timestamp(&r, 0), Some(TS));
    let no_ts = SinkRecord::builder("t", 1, 10).build();
    let err = p.encode_partition(&no_ts, 0).unwrap_err();
    assert!(
        err.message().contains("offset 10") && err.message().contains("timestamp"),
        "{}",
        err.message()
    );
    assert_eq!(p.record_timestamp(&no_ts, 0), None);
}

#[test]
fn record_field_extractor_reads_timestamps_longs_and_strings() {
    let p = |field: &str, extractor: &str| {
        let s = PartitionerSettings {
            path_format: "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH".into(),
            partition_duration_ms: 3_600_000,
            timestamp_field: field.into(),
            ..time_settings("TimeBasedPartitioner", extractor)
        };
        partitioner::from_settings(&s).unwrap()
    };
    let mut u = user("x");
    u.put("created", Timestamp(TS)).unwrap();
    u.put("created_ms", TS + 3_600_000).unwrap();
    u.put("created_text", "2024-05-17T18:45:00+02:00").unwrap();
    let r = record(u);
    assert_eq!(
        p("created", "RecordField").encode_partition(&r, 0).unwrap(),
        "year=2024/month=05/day=17/hour=16"
    );
    assert_eq!(
        p("created_ms", "io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordFieldTimestampExtractor")
            .encode_partition(&r, 0)
            .unwrap(),
        "year=2024/month=05/day=17/hour=17"
    );
    assert_eq!(
        p("created_text", "RecordField").encode_partition(&r, 0).unwrap(),
        "year=2024/month=05/day=17/hour=16"
    );
    assert_eq!(p("created", "RecordField").record_timestamp(&r, 0), Some(TS));

    // A string without an offset is read in the configured zone.
    let s = PartitionerSettings {
        path_format: "HH".into(),
        partition_duration_ms: 3_600_000,
        timezone: "Asia/Tokyo".into(),
        timestamp_field: "created_text".into(),
        ..time_settings("TimeBasedPartitioner", "RecordField")
    };
    let mut u = user("x");
    u.put("created_text", "2024-05-17T07:10:00").unwrap();
    assert_eq!(
        partitioner::from_settings(&s).unwrap().encode_partition(&record(u), 0).unwrap(),
        "07"
    );

    // Null, wrong type, unparsable: data errors naming record and field.
    let err = p("created", "RecordField").encode_partition(&record(user("x")), 0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Data);
    assert!(
        err.message().contains("\"created\"") && err.message().contains("offset 41"),
        "{}",
        err.message()
    );
    let err = p("department", "RecordField").encode_partition(&record(user("x")), 0).unwrap_err();
    assert!(err.message().contains("not an ISO-8601"), "{}", err.message());
    let err = p("score", "RecordField").encode_partition(&record(user("x")), 0).unwrap_err();
    assert!(err.message().contains("FLOAT64"), "{}", err.message());
}

#[test]
fn hourly_and_daily_partitioners_use_fixed_formats() {
    for pkg in PACKAGES {
        let s = PartitionerSettings {
            // Ignored by these two.
            path_format: "'x'=YYYY".into(),
            partition_duration_ms: 5,
            ..time_settings(&format!("{pkg}HourlyPartitioner"), "Wallclock")
        };
        let p = partitioner::from_settings(&s).unwrap();
        assert_eq!(
            p.encode_partition(&record(user("x")), TS).unwrap(),
            "year=2024/month=05/day=17/hour=16"
        );
        let s = PartitionerSettings { class: format!("{pkg}DailyPartitioner"), ..s };
        let p = partitioner::from_settings(&s).unwrap();
        assert_eq!(
            p.encode_partition(&record(user("x")), TS).unwrap(),
            "year=2024/month=05/day=17"
        );
        let names: Vec<String> = p.partition_fields().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["year", "month", "day"]);
    }
}

#[test]
fn bad_time_settings_are_config_errors_naming_the_key() {
    let base = PartitionerSettings {
        path_format: "'year'=YYYY".into(),
        partition_duration_ms: 3_600_000,
        ..time_settings("TimeBasedPartitioner", "Wallclock")
    };
    let cases: Vec<(PartitionerSettings, &str)> = vec![
        (PartitionerSettings { path_format: "".into(), ..base.clone() }, "path.format"),
        (PartitionerSettings { path_format: "'year'=qqqq".into(), ..base.clone() }, "path.format"),
        (
            PartitionerSettings { partition_duration_ms: -1, ..base.clone() },
            "partition.duration.ms",
        ),
        (PartitionerSettings { locale: "".into(), ..base.clone() }, "locale"),
        (PartitionerSettings { timezone: "".into(), ..base.clone() }, "timezone"),
        (PartitionerSettings { timezone: "Mars/Olympus".into(), ..base.clone() }, "timezone"),
        (
            PartitionerSettings { timestamp_extractor: "Sundial".into(), ..base.clone() },
            "timestamp.extractor",
        ),
        (
            PartitionerSettings {
                timestamp_extractor: "RecordField".into(),
                timestamp_field: "".into(),
                ..base.clone()
            },
            "timestamp.field",
        ),
        (
            PartitionerSettings {
                class: "HourlyPartitioner".into(),
                timezone: "".into(),
                ..base.clone()
            },
            "timezone",
        ),
        (
            PartitionerSettings {
                class: "DailyPartitioner".into(),
                locale: "".into(),
                ..base.clone()
            },
            "locale",
        ),
    ];
    for (s, key) in cases {
        let err = partitioner::from_settings(&s).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{key}");
        assert!(err.message().contains(key), "{key}: {}", err.message());
    }
}

/// A custom partitioner plugs in through the public trait.
#[test]
fn custom_partitioners_implement_the_trait() {
    #[derive(Debug)]
    struct ByKeyLength;
    impl Partitioner for ByKeyLength {
        fn encode_partition(
            &self,
            record: &SinkRecord,
            _now_ms: i64,
        ) -> connect_api::Result<String> {
            use connect_api::record::ConnectRecord as _;
            Ok(format!("keylen={}", record.key().as_str().map_or(0, str::len)))
        }
        fn partition_fields(&self) -> Vec<(String, Schema)> {
            vec![("keylen".into(), Schema::int32())]
        }
    }
    let p: std::sync::Arc<dyn Partitioner> = std::sync::Arc::new(ByKeyLength);
    let r = SinkRecord::builder("t", 0, 0).key(Some(Schema::string()), "abcd").build();
    assert_eq!(p.encode_partition(&r, 0).unwrap(), "keylen=4");
}
