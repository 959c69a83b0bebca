//! Time-based partitioners: TimeBasedPartitioner, HourlyPartitioner, DailyPartitioner.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use connect_api::data::{Schema, Value};
use connect_api::record::{ConnectRecord as _, SinkRecord};
use connect_api::{ConnectError, Result};

use super::{JodaPattern, Partitioner, PartitionerSettings, describe, field_value};

/// The hourly partitioner's `path.format`.
pub const HOURLY_PATH_FORMAT: &str = "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH";
/// The daily partitioner's `path.format`.
pub const DAILY_PATH_FORMAT: &str = "'year'=YYYY/'month'=MM/'day'=dd";
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// Where a record's time comes from (`timestamp.extractor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampExtractor {
    /// `Wallclock`: the time the sink writes the record.
    Wallclock,
    /// `Record`: the Kafka record's timestamp.
    Record,
    /// `RecordField`: a field of the value (`timestamp.field`, dotted for nested
    /// fields) holding a Timestamp, an INT64 of epoch milliseconds or an ISO-8601
    /// string (a string without an offset is read in the partitioner's time zone).
    RecordField(String),
}

impl TimestampExtractor {
    /// The extractor `timestamp.extractor` names: `Wallclock`, `Record`,
    /// `RecordField`, or Confluent's class names
    /// (`io.confluent.connect.storage.partitioner.TimeBasedPartitioner$RecordFieldTimestampExtractor`,
    /// and the `io.confluent.connect.hdfs.partitioner` spelling).
    pub fn from_settings(extractor: &str, field: &str) -> Result<TimestampExtractor> {
        let name = extractor.trim();
        let bare = name.rsplit(['$', '.']).next().unwrap_or(name);
        let bare = bare.strip_suffix("TimestampExtractor").unwrap_or(bare);
        match bare {
            "Wallclock" | "" => Ok(TimestampExtractor::Wallclock),
            "Record" => Ok(TimestampExtractor::Record),
            "RecordField" => {
                let field = field.trim();
                if field.is_empty() {
                    return Err(ConnectError::config(
                        "Missing required configuration timestamp.field for timestamp.extractor=RecordField",
                    ));
                }
                Ok(TimestampExtractor::RecordField(field.to_string()))
            }
            _ => Err(ConnectError::config(format!(
                "Invalid value {extractor:?} for configuration timestamp.extractor: use Wallclock, Record or RecordField"
            ))),
        }
    }
}

/// Confluent's `TimeBasedPartitioner` (and, with fixed settings, the Hourly and Daily
/// partitioners): the record's time, floored to `partition.duration.ms` in the
/// configured time zone, formatted with `path.format`.
///
/// ```
/// use connect_api::data::Schema;
/// use connect_api::record::{SinkRecord, TimestampType};
/// use connect_hdfs::partitioner::{Partitioner, PartitionerSettings, TimeBasedPartitioner};
///
/// let settings = PartitionerSettings {
///     class: "io.confluent.connect.storage.partitioner.HourlyPartitioner".into(),
///     locale: "en-US".into(),
///     timezone: "America/Los_Angeles".into(),
///     timestamp_extractor: "Record".into(),
///     ..PartitionerSettings::default()
/// };
/// let p = TimeBasedPartitioner::hourly(&settings)?;
/// // 2024-05-17T16:30:00Z is 09:30 in Los Angeles (PDT).
/// let r = SinkRecord::builder("t", 0, 1).timestamp(1_715_963_400_000, TimestampType::CreateTime).build();
/// assert_eq!(p.encode_partition(&r, 0)?, "year=2024/month=05/day=17/hour=09");
/// # Ok::<(), connect_api::ConnectError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TimeBasedPartitioner {
    pattern: JodaPattern,
    duration_ms: i64,
    zone: Tz,
    locale: String,
    extractor: TimestampExtractor,
    fields: Vec<String>,
}

impl TimeBasedPartitioner {
    /// A TimeBasedPartitioner from `path.format`, `partition.duration.ms`, `locale`,
    /// `timezone`, `timestamp.extractor` and `timestamp.field`; a config error names
    /// the first missing or bad key.
    pub fn new(settings: &PartitionerSettings) -> Result<Self> {
        if settings.path_format.trim().is_empty() {
            return Err(ConnectError::config(
                "Missing required configuration path.format for TimeBasedPartitioner (e.g. 'year'=YYYY/'month'=MM/'day'=dd)",
            ));
        }
        if settings.partition_duration_ms <= 0 {
            return Err(ConnectError::config(format!(
                "Invalid value {} for configuration partition.duration.ms: the partition duration must be a positive number of milliseconds",
                settings.partition_duration_ms
            )));
        }
        Self::build(settings, settings.path_format.trim(), settings.partition_duration_ms)
    }

    /// Confluent's `HourlyPartitioner`: `'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH`,
    /// one hour per partition; `path.format` and `partition.duration.ms` are ignored.
    pub fn hourly(settings: &PartitionerSettings) -> Result<Self> {
        Self::build(settings, HOURLY_PATH_FORMAT, HOUR_MS)
    }

    /// Confluent's `DailyPartitioner`: `'year'=YYYY/'month'=MM/'day'=dd`, one day per
    /// partition; `path.format` and `partition.duration.ms` are ignored.
    pub fn daily(settings: &PartitionerSettings) -> Result<Self> {
        Self::build(settings, DAILY_PATH_FORMAT, DAY_MS)
    }

    fn build(settings: &PartitionerSettings, path_format: &str, duration_ms: i64) -> Result<Self> {
        let locale = settings.locale.trim();
        if locale.is_empty() {
            return Err(ConnectError::config(
                "Missing required configuration locale for a time-based partitioner (e.g. en-US)",
            ));
        }
        let timezone = settings.timezone.trim();
        if timezone.is_empty() {
            return Err(ConnectError::config(
                "Missing required configuration timezone for a time-based partitioner (e.g. UTC or America/Los_Angeles)",
            ));
        }
        let zone: Tz = timezone.parse().map_err(|_| {
            ConnectError::config(format!(
                "Invalid value {timezone:?} for configuration timezone: not an IANA time zone id"
            ))
        })?;
        let pattern = JodaPattern::parse(path_format, "path.format")?;
        let extractor = TimestampExtractor::from_settings(
            &settings.timestamp_extractor,
            &settings.timestamp_field,
        )?;
        let fields = path_format
            .split('/')
            .filter(|seg| !seg.is_empty())
            .map(|seg| {
                let name = seg.split('=').next().unwrap_or(seg);
                name.replace('\'', "")
            })
            .collect();
        Ok(TimeBasedPartitioner {
            pattern,
            duration_ms,
            zone,
            locale: locale.to_string(),
            extractor,
            fields,
        })
    }

    /// The `path.format` in use.
    pub fn path_format(&self) -> &str {
        self.pattern.as_str()
    }

    /// The partition duration in milliseconds.
    pub fn duration_ms(&self) -> i64 {
        self.duration_ms
    }

    /// The time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The `locale` setting (names are written in English whatever it says).
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// The extractor.
    pub fn extractor(&self) -> &TimestampExtractor {
        &self.extractor
    }

    /// The record's time in epoch milliseconds, by the configured extractor.
    pub fn timestamp_of(&self, record: &SinkRecord, now_ms: i64) -> Result<i64> {
        match &self.extractor {
            TimestampExtractor::Wallclock => Ok(now_ms),
            TimestampExtractor::Record => record.timestamp().ok_or_else(|| {
                ConnectError::data(format!(
                    "{} has no timestamp, which timestamp.extractor=Record needs",
                    describe(record)
                ))
            }),
            TimestampExtractor::RecordField(name) => {
                let bad = |why: String| {
                    ConnectError::data(format!(
                        "Cannot take the time of {} from timestamp.field {name:?}: {why}",
                        describe(record)
                    ))
                };
                let value =
                    field_value(record.value(), name).map_err(|w| bad(format!("the value {w}")))?;
                match value {
                    Value::Timestamp(t) => Ok(t.0),
                    Value::Int64(ms) => Ok(*ms),
                    Value::Date(d) => Ok(d.to_epoch_millis()),
                    Value::String(s) => self.parse_time(s).map_err(bad),
                    Value::Null => Err(bad("the field is null".to_string())),
                    other => Err(bad(format!(
                        "a {} value; use a Timestamp, an INT64 of epoch milliseconds or an ISO-8601 string",
                        other.kind_name()
                    ))),
                }
            }
        }
    }

    fn parse_time(&self, s: &str) -> std::result::Result<i64, String> {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(t.timestamp_millis());
        }
        for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"] {
            if let Ok(t) = DateTime::parse_from_str(s, f) {
                return Ok(t.timestamp_millis());
            }
        }
        let local = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
            .or_else(|| {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0))
            })
            .ok_or_else(|| format!("{s:?} is not an ISO-8601 date-time"))?;
        self.local_to_utc(&local)
            .ok_or_else(|| format!("{s:?} does not exist in time zone {}", self.zone))
    }

    fn local_to_utc(&self, local: &NaiveDateTime) -> Option<i64> {
        let mapped = self.zone.from_local_datetime(local);
        mapped
            .earliest()
            .or_else(|| {
                // In a spring-forward gap: the instant the gap ends.
                let later = *local + chrono::Duration::hours(1);
                self.zone.from_local_datetime(&later).earliest()
            })
            .map(|t| t.timestamp_millis())
    }

    /// The start (epoch ms) of the partition holding `timestamp`: floored to the
    /// duration in local time, as Confluent's `TimeBasedPartitioner.getPartition` does.
    pub fn partition_start(&self, timestamp: i64) -> i64 {
        let Some(utc) = DateTime::<Utc>::from_timestamp_millis(timestamp) else {
            return timestamp;
        };
        let offset_ms = i64::from(
            chrono::Offset::fix(&self.zone.offset_from_utc_datetime(&utc.naive_utc()))
                .local_minus_utc(),
        ) * 1000;
        let local = timestamp + offset_ms;
        let floored = local.div_euclid(self.duration_ms) * self.duration_ms;
        match DateTime::<Utc>::from_timestamp_millis(floored) {
            Some(t) => self.local_to_utc(&t.naive_utc()).unwrap_or(floored - offset_ms),
            None => floored - offset_ms,
        }
    }

    /// The encoded partition of an instant.
    pub fn encode_time(&self, timestamp: i64) -> Result<String> {
        let start = self.partition_start(timestamp);
        let t =
            self.zone.timestamp_millis_opt(start).earliest().ok_or_else(|| {
                ConnectError::data(format!("timestamp {timestamp} is out of range"))
            })?;
        Ok(self.pattern.format(&t))
    }
}

impl Partitioner for TimeBasedPartitioner {
    fn encode_partition(&self, record: &SinkRecord, now_ms: i64) -> Result<String> {
        let ts = self.timestamp_of(record, now_ms)?;
        self.encode_time(ts).map_err(|e| e.context(describe(record)))
    }

    /// One STRING column per `/`-separated segment of `path.format`, named by the
    /// text before `=` (`year`, `month`, `day`, `hour`).
    fn partition_fields(&self) -> Vec<(String, Schema)> {
        self.fields.iter().map(|f| (f.clone(), Schema::string())).collect()
    }

    fn record_timestamp(&self, record: &SinkRecord, now_ms: i64) -> Option<i64> {
        self.timestamp_of(record, now_ms).ok()
    }
}
