//! Partitioners: where in `<topics.dir>/<topic>/` a record's file goes.
//!
//! Confluent's class names select them through `partitioner.class`; connector
//! authors plug their own in by implementing [`Partitioner`].

mod default;
mod field;
mod joda;
mod time;

pub use default::DefaultPartitioner;
pub use field::FieldPartitioner;
pub use joda::JodaPattern;
pub use time::{TimeBasedPartitioner, TimestampExtractor};

use connect_api::data::Schema;
use connect_api::record::SinkRecord;
use connect_api::{ConnectError, Result};

/// Chooses the encoded partition (a relative directory such as `partition=3`,
/// `department=engineering` or `year=2024/month=05/day=17/hour=09`) for a record.
///
/// A custom partitioner, placing records by the first letter of a string key:
///
/// ```
/// use connect_api::data::Schema;
/// use connect_api::record::{ConnectRecord, SinkRecord};
/// use connect_hdfs::partitioner::Partitioner;
///
/// #[derive(Debug)]
/// struct ByInitial;
///
/// impl Partitioner for ByInitial {
///     fn encode_partition(&self, record: &SinkRecord, _now_ms: i64) -> connect_api::Result<String> {
///         let initial = record.key().as_str().and_then(|k| k.chars().next()).unwrap_or('_');
///         Ok(format!("initial={}", initial.to_ascii_lowercase()))
///     }
///     fn partition_fields(&self) -> Vec<(String, Schema)> {
///         vec![("initial".into(), Schema::string())]
///     }
/// }
///
/// let r = SinkRecord::builder("users", 0, 7).key(Some(Schema::string()), "Alice").build();
/// assert_eq!(ByInitial.encode_partition(&r, 0)?, "initial=a");
/// assert_eq!(ByInitial.record_timestamp(&r, 0), None);
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
pub trait Partitioner: Send + Sync + std::fmt::Debug {
    /// The encoded partition of `record`. `now_ms` is the wall clock, for
    /// `timestamp.extractor=Wallclock`. An error names the record and the field.
    fn encode_partition(&self, record: &SinkRecord, now_ms: i64) -> Result<String>;

    /// The Hive partition columns this partitioner produces, in order, each with
    /// its Connect schema (`partition` INT32 for the default partitioner; STRING for
    /// the field partitioner's fields, as Confluent declares them, since a field's own
    /// schema is unknown before the first record; STRING for time-based ones).
    fn partition_fields(&self) -> Vec<(String, Schema)>;

    /// For time-based partitioners, the timestamp (ms) the record is placed by,
    /// so rotation by `rotate.interval.ms` can use record time; `None` otherwise.
    fn record_timestamp(&self, record: &SinkRecord, now_ms: i64) -> Option<i64> {
        let _ = (record, now_ms);
        None
    }

    /// Whether [`encode_partition`](Self::encode_partition) depends on nothing but the
    /// record's Kafka partition (true for the default partitioner). The sink then
    /// encodes it once per Kafka partition instead of once per record. `false`
    /// (always ask) unless overridden.
    fn depends_only_on_kafka_partition(&self) -> bool {
        false
    }
}

/// The partitioner keys of the connector config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionerSettings {
    /// `partitioner.class`: Confluent's class names (both the
    /// `io.confluent.connect.hdfs.partitioner.*` and `io.confluent.connect.storage.partitioner.*`
    /// spellings) of DefaultPartitioner, FieldPartitioner, TimeBasedPartitioner,
    /// HourlyPartitioner, DailyPartitioner.
    pub class: String,
    /// `partition.field.name` (a list).
    pub field_names: Vec<String>,
    /// `path.format`, Joda-style (`'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH`).
    pub path_format: String,
    /// `partition.duration.ms` (-1 when unset).
    pub partition_duration_ms: i64,
    /// `locale` (e.g. `en-US`).
    pub locale: String,
    /// `timezone` (e.g. `UTC`, `America/Los_Angeles`).
    pub timezone: String,
    /// `timestamp.extractor`: Wallclock, Record, RecordField.
    pub timestamp_extractor: String,
    /// `timestamp.field` for RecordField.
    pub timestamp_field: String,
}

impl Default for PartitionerSettings {
    /// Confluent's defaults: the DefaultPartitioner, `partition.duration.ms=-1`,
    /// `timestamp.extractor=Wallclock`, everything else empty.
    fn default() -> Self {
        PartitionerSettings {
            class: DEFAULT_PARTITIONER_CLASS.to_string(),
            field_names: Vec::new(),
            path_format: String::new(),
            partition_duration_ms: -1,
            locale: String::new(),
            timezone: String::new(),
            timestamp_extractor: "Wallclock".to_string(),
            timestamp_field: "timestamp".to_string(),
        }
    }
}

/// The partitioner `settings` select; missing or bad settings are config errors
/// naming the key.
pub fn from_settings(settings: &PartitionerSettings) -> Result<std::sync::Arc<dyn Partitioner>> {
    Ok(match PartitionerKind::from_class(&settings.class)? {
        PartitionerKind::Default => std::sync::Arc::new(DefaultPartitioner),
        PartitionerKind::Field => {
            std::sync::Arc::new(FieldPartitioner::new(&settings.field_names)?)
        }
        PartitionerKind::TimeBased => std::sync::Arc::new(TimeBasedPartitioner::new(settings)?),
        PartitionerKind::Hourly => std::sync::Arc::new(TimeBasedPartitioner::hourly(settings)?),
        PartitionerKind::Daily => std::sync::Arc::new(TimeBasedPartitioner::daily(settings)?),
    })
}

/// `partitioner.class`'s default (Confluent's).
pub const DEFAULT_PARTITIONER_CLASS: &str =
    "io.confluent.connect.hdfs.partitioner.DefaultPartitioner";

/// The built-in partitioners.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartitionerKind {
    /// `partition=<kafka partition>`.
    Default,
    /// `<field>=<value>` per `partition.field.name`.
    Field,
    /// `path.format` of the record's time bucket.
    TimeBased,
    /// TimeBased with `'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH`, one hour.
    Hourly,
    /// TimeBased with `'year'=YYYY/'month'=MM/'day'=dd`, one day.
    Daily,
}

const PARTITIONER_PACKAGES: &[&str] = &[
    "io.confluent.connect.hdfs.partitioner.",
    "io.confluent.connect.storage.partitioner.",
    "io.confluent.connect.hdfs3.partitioner.",
];

const PARTITIONER_NAMES: &[(&str, PartitionerKind)] = &[
    ("DefaultPartitioner", PartitionerKind::Default),
    ("FieldPartitioner", PartitionerKind::Field),
    ("TimeBasedPartitioner", PartitionerKind::TimeBased),
    ("HourlyPartitioner", PartitionerKind::Hourly),
    ("DailyPartitioner", PartitionerKind::Daily),
];

impl PartitionerKind {
    /// The partitioner a `partitioner.class` value names: a class name of either
    /// Confluent package, or the bare class name; a config error listing the
    /// accepted names otherwise.
    pub fn from_class(class: &str) -> Result<PartitionerKind> {
        let class = class.trim();
        let bare = PARTITIONER_PACKAGES.iter().find_map(|p| class.strip_prefix(p)).unwrap_or(class);
        PARTITIONER_NAMES
            .iter()
            .find(|(n, _)| *n == bare || (bare.len() == class.len() && n.eq_ignore_ascii_case(bare)))
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                let mut accepted = Vec::new();
                for (n, _) in PARTITIONER_NAMES {
                    for p in PARTITIONER_PACKAGES {
                        accepted.push(format!("{p}{n}"));
                    }
                    accepted.push((*n).to_string());
                }
                ConnectError::config(format!(
                    "Invalid value {class:?} for configuration partitioner.class: unknown partitioner; accepted: {}",
                    accepted.join(", ")
                ))
            })
    }
}

/// How errors name a record: `topic orders partition 2 offset 41`.
pub(crate) fn describe(record: &SinkRecord) -> String {
    use connect_api::record::ConnectRecord as _;
    format!(
        "record (topic {}, partition {}, offset {})",
        record.topic(),
        record.kafka_partition().map_or_else(|| "none".to_string(), |p| p.to_string()),
        record.kafka_offset()
    )
}

/// The value of the (possibly dotted, `address.city`) field `path` of a record
/// value: a struct field, or a string key of a schemaless map.
pub(crate) fn field_value<'a>(
    value: &'a connect_api::data::Value,
    path: &str,
) -> std::result::Result<&'a connect_api::data::Value, String> {
    use connect_api::data::Value;
    let lookup = |v: &'a Value, name: &str| -> std::result::Result<&'a Value, String> {
        match v {
            Value::Struct(s) => s.get(name).map_err(|_| format!("has no field {name:?}")),
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(name))
                .map(|(_, v)| v)
                .ok_or_else(|| format!("has no key {name:?}")),
            Value::Null => Err("is null".to_string()),
            other => Err(format!("is a {} value, not a struct", other.kind_name())),
        }
    };
    // A field whose own name holds dots wins over a nested path.
    if let Ok(v) = lookup(value, path) {
        return Ok(v);
    }
    let mut current = value;
    for part in path.split('.') {
        current = lookup(current, part)?;
    }
    Ok(current)
}
