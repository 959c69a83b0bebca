//! `TimestampConverter` (with `$Key` and `$Value` forms) and `TimestampRouter`.

use std::collections::HashMap;

use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type, ValidString, custom};
use connect_api::data::logical::{DATE_NAME, TIME_NAME, TIMESTAMP_NAME};
use connect_api::data::{
    Date, Schema, SchemaAndValue, SchemaBuilder, Struct, Time, Timestamp, Type as SchemaType, Value,
};
use connect_api::record::ConnectRecord;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, Result};

use crate::common::{
    REPLACE_NULL_WITH_DEFAULT, copy_basics, field_value, map_get, map_put,
    replace_null_with_default_key, require_map, require_struct,
};
use crate::dateformat::DateFormat;
use crate::fields::{Side, get, set};

const DAY: i64 = 86_400_000;
const PURPOSE: &str = "converting timestamp formats";

/// A timestamp representation: the values of `target.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "string" => Kind::String,
            "unix" => Kind::Unix,
            "Date" => Kind::Date,
            "Time" => Kind::Time,
            "Timestamp" => Kind::Timestamp,
            _ => return None,
        })
    }

    fn schema(self, optional: bool) -> Schema {
        let logical = |b: SchemaBuilder, required: Schema| {
            if optional { b.optional().build().unwrap_or(required) } else { required }
        };
        match self {
            Kind::String if optional => Schema::optional_string(),
            Kind::String => Schema::string(),
            Kind::Unix if optional => Schema::optional_int64(),
            Kind::Unix => Schema::int64(),
            Kind::Date => logical(Date::builder(), Date::schema()),
            Kind::Time => logical(Time::builder(), Time::schema()),
            Kind::Timestamp => logical(Timestamp::builder(), Timestamp::schema()),
        }
    }

    /// The representation a schema denotes (Kafka's `timestampTypeFromSchema`).
    fn of_schema(schema: &Schema) -> Result<Kind> {
        Ok(match (schema.name(), schema.schema_type()) {
            (Some(TIMESTAMP_NAME), _) => Kind::Timestamp,
            (Some(DATE_NAME), _) => Kind::Date,
            (Some(TIME_NAME), _) => Kind::Time,
            (_, SchemaType::String) => Kind::String,
            (_, SchemaType::Int64) => Kind::Unix,
            _ => {
                return Err(ConnectError::data(format!(
                    "Schema {schema:?} does not correspond to a known timestamp type format"
                )));
            }
        })
    }

    /// The representation of a schemaless value (Kafka's `inferTimestampType`).
    fn of_value(value: &Value) -> Result<Kind> {
        Ok(match value {
            Value::Date(_) | Value::Time(_) | Value::Timestamp(_) => Kind::Timestamp,
            Value::Int64(_) => Kind::Unix,
            Value::String(_) => Kind::String,
            other => {
                return Err(ConnectError::data(format!(
                    "TimestampConverter does not support {} objects as timestamps",
                    other.kind_name()
                )));
            }
        })
    }
}

/// The values of `unix.precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

/// Converts timestamps between strings, Unix epoch numbers and the Date, Time and
/// Timestamp logical types (Kafka's `TimestampConverter$Key` / `$Value`), for a field
/// (`field`) or the whole key or value (`field` empty).
///
/// `target.type` is `string`, `unix`, `Date`, `Time` or `Timestamp`. The input's
/// representation comes from its schema (the logical types by name, STRING as text,
/// INT64 as Unix time) or, without a schema, from the value (logical values as
/// timestamps, INT64 as Unix time, strings as text). Text is read and written with
/// `format`, a Java `SimpleDateFormat` pattern in UTC (required for `string`
/// targets); Unix time is in `unix.precision` (`seconds`, `milliseconds`,
/// `microseconds` or `nanoseconds`; sub-millisecond digits are dropped). Date keeps
/// the day, Time the time of day.
///
/// # Supported `SimpleDateFormat` patterns
///
/// This is a subset of Java's `SimpleDateFormat`, always in UTC:
///
/// | letter | meaning | written as | read as |
/// | --- | --- | --- | --- |
/// | `y` | year | `yy` two digits, else zero-padded to the count | a number (`yy` with two digits: within 80 years before and 20 after now, as Java) |
/// | `M` | month | `M`/`MM` number, `MMM` `Jan`, `MMMM` `January` | a number, or an English name, short or full, any case |
/// | `d`, `H`, `m`, `s` | day of month, hour (0-23), minute, second | zero-padded to the count | a number |
/// | `S` | millisecond (a count, not a fraction) | zero-padded to the count | a number |
/// | `z` | time zone | `UTC` | `UTC`, `GMT` (optionally with an offset), `Z` or an offset |
/// | `Z` | RFC 822 zone | `+0000` | `+hhmm` / `-hhmm` |
/// | `X` | ISO 8601 zone | `Z` | `Z`, `+hh`, `+hhmm`, `+hh:mm` |
///
/// Text in single quotes is literal (`''` is a quote), as is anything that is not an
/// ASCII letter. A number directly followed by another number (`yyyyMMdd`) takes
/// exactly its letter count of digits. Java's other letters (`E`, `a`, `h`, `k`, `K`,
/// `D`, `w`, `G`, …) and letters Java does not know are refused when configured.
/// Unlike Java's lenient default, out-of-range fields (month 13, 31 February) do not
/// parse; as in Java, text after the end of the pattern is ignored.
#[derive(Debug)]
pub struct TimestampConverter {
    side: Side,
    field: String,
    target: Kind,
    format: Option<DateFormat>,
    precision: Precision,
    replace_null_with_default: bool,
    schemas: HashMap<Schema, Schema>,
}

impl TimestampConverter {
    /// An unconfigured transformation of the given side.
    pub fn new(side: Side) -> Self {
        TimestampConverter {
            side,
            field: String::new(),
            target: Kind::Timestamp,
            format: None,
            precision: Precision::Millis,
            replace_null_with_default: true,
            schemas: HashMap::new(),
        }
    }

    fn definition() -> ConfigDef {
        let pattern = custom(|_, v| match v.and_then(|v| v.as_str()) {
            Some(p) if !p.trim().is_empty() => DateFormat::new(p).map(drop).map_err(|e| {
                format!("TimestampConverter requires a SimpleDateFormat-compatible pattern: {e}")
            }),
            _ => Ok(()),
        })
        .described_as("a SimpleDateFormat pattern (letters y M d H m s S z Z X)");
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    "field",
                    Type::String,
                    Importance::High,
                    "The field containing the timestamp, or empty if the entire value is a timestamp.",
                )
                .default_value(""),
            )
            .define(
                ConfigKey::new(
                    "target.type",
                    Type::String,
                    Importance::High,
                    "The desired timestamp representation: string, unix, Date, Time, or Timestamp.",
                )
                .validator(ValidString::in_list(["string", "unix", "Date", "Time", "Timestamp"])),
            )
            .define(
                ConfigKey::new(
                    "format",
                    Type::String,
                    Importance::Medium,
                    "A SimpleDateFormat-compatible format for the timestamp, used to write \
                     string targets and to read string inputs.",
                )
                .default_value("")
                .validator(pattern),
            )
            .define(
                ConfigKey::new(
                    "unix.precision",
                    Type::String,
                    Importance::Low,
                    "The Unix precision: seconds, milliseconds, microseconds, or nanoseconds.",
                )
                .default_value("milliseconds")
                .validator(ValidString::in_list([
                    "nanoseconds",
                    "microseconds",
                    "milliseconds",
                    "seconds",
                ])),
            )
            .define(replace_null_with_default_key())
    }

    /// Milliseconds since the epoch of a value of the given representation.
    fn to_millis(&self, value: &Value, kind: Kind) -> Result<i64> {
        let expected = |what: &str| {
            ConnectError::data(format!("Expected {what}, but found {}", value.kind_name()))
        };
        match (kind, value) {
            (Kind::String, Value::String(s)) => {
                let f = self.format.as_ref().ok_or_else(|| {
                    ConnectError::config(
                        "TimestampConverter requires the format option to read string timestamps",
                    )
                })?;
                f.parse(s).ok_or_else(|| {
                    ConnectError::data(format!(
                        "Could not parse timestamp: value ({s}) does not match pattern ({})",
                        f.pattern()
                    ))
                })
            }
            (Kind::String, _) => Err(expected("string timestamp to be a String")),
            (Kind::Unix, Value::Int64(v)) => Ok(match self.precision {
                Precision::Seconds => v.saturating_mul(1000),
                Precision::Millis => *v,
                Precision::Micros => v / 1000,
                Precision::Nanos => v / 1_000_000,
            }),
            (Kind::Unix, _) => Err(expected("Unix timestamp to be a Long")),
            (_, Value::Date(d)) => Ok(d.to_epoch_millis()),
            (_, Value::Time(t)) => Ok(i64::from(t.0)),
            (_, Value::Timestamp(t)) => Ok(t.0),
            (_, _) => Err(expected("a Date, Time or Timestamp")),
        }
    }

    fn millis_to_target(&self, millis: i64) -> Result<Value> {
        Ok(match self.target {
            Kind::String => match &self.format {
                Some(f) => Value::String(f.format(millis)),
                None => return Err(ConnectError::config("format is required for string targets")),
            },
            Kind::Unix => Value::Int64(match self.precision {
                Precision::Seconds => millis / 1000,
                Precision::Millis => millis,
                Precision::Micros => millis.saturating_mul(1000),
                Precision::Nanos => millis.saturating_mul(1_000_000),
            }),
            Kind::Date => Value::Date(Date(
                i32::try_from(millis.div_euclid(DAY))
                    .map_err(|_| ConnectError::data("date out of range"))?,
            )),
            Kind::Time => Value::Time(Time(millis.rem_euclid(DAY) as i32)),
            Kind::Timestamp => Value::Timestamp(Timestamp(millis)),
        })
    }

    fn convert(&self, value: &Value, kind: Option<Kind>) -> Result<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let kind = match kind {
            Some(k) => k,
            None => Kind::of_value(value)?,
        };
        self.millis_to_target(self.to_millis(value, kind)?)
    }

    fn struct_schema(&mut self, base: &Schema) -> Result<Schema> {
        if let Some(s) = self.schemas.get(base) {
            return Ok(s.clone());
        }
        let mut b = copy_basics(base, SchemaBuilder::struct_());
        for f in base.fields() {
            let schema = if f.name() == self.field {
                self.target.schema(f.schema().is_optional())
            } else {
                f.schema().clone()
            };
            b = b.field(f.name(), schema);
        }
        if base.is_optional() {
            b = b.optional();
        }
        let s = b.build()?;
        self.schemas.insert(base.clone(), s.clone());
        Ok(s)
    }
}

impl<R: ConnectRecord> Transformation<R> for TimestampConverter {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.field = parsed.get_string("field")?.to_string();
        self.target = Kind::parse(parsed.get_string("target.type")?).unwrap_or(Kind::Timestamp);
        let pattern = parsed.get_string("format")?;
        if self.target == Kind::String && pattern.is_empty() {
            return Err(ConnectError::config(
                "TimestampConverter requires format option to be specified when using string \
                 timestamps: set format",
            ));
        }
        self.format = if pattern.is_empty() {
            None
        } else {
            Some(DateFormat::new(pattern).map_err(ConnectError::config)?)
        };
        self.precision = match parsed.get_string("unix.precision")? {
            "seconds" => Precision::Seconds,
            "microseconds" => Precision::Micros,
            "nanoseconds" => Precision::Nanos,
            _ => Precision::Millis,
        };
        self.replace_null_with_default = parsed.get_bool(REPLACE_NULL_WITH_DEFAULT)?;
        self.schemas.clear();
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let (schema, value) = get(self.side, &record);
        let updated = match schema {
            Some(schema) if self.field.is_empty() => {
                let v = self.convert(&value, Some(Kind::of_schema(&schema)?))?;
                SchemaAndValue::new(Some(self.target.schema(schema.is_optional())), v)
            }
            Some(schema) => {
                let target = self.struct_schema(&schema)?;
                if value.is_null() {
                    SchemaAndValue::new(Some(target), Value::Null)
                } else {
                    let s = require_struct(value, PURPOSE)?;
                    let mut out = Struct::new(target.clone())?;
                    for f in s.schema().fields() {
                        let v = field_value(&s, f.name(), self.replace_null_with_default)?;
                        let v = if f.name() == self.field {
                            self.convert(&v, Some(Kind::of_schema(f.schema())?))?
                        } else {
                            v
                        };
                        out.put(f.name(), v)?;
                    }
                    SchemaAndValue::new(Some(target), Value::Struct(out))
                }
            }
            None if value.is_null() || self.field.is_empty() => {
                SchemaAndValue::new(None, self.convert(&value, None)?)
            }
            None => {
                let mut m = require_map(value, PURPOSE)?;
                let v = self.convert(&map_get(&m, &self.field), None)?;
                map_put(&mut m, &self.field, v);
                SchemaAndValue::new(None, Value::Map(m))
            }
        };
        set(self.side, &mut record, updated);
        Ok(Some(record))
    }
}

/// Renames the topic after the record's timestamp (Kafka's `TimestampRouter`):
/// `topic.format` (default `${topic}-${timestamp}`) with `${topic}` replaced by the
/// topic and `${timestamp}` by the timestamp written with `timestamp.format` (default
/// `yyyyMMdd`, a `SimpleDateFormat` pattern in UTC; [`TimestampConverter`] lists the
/// supported letters). A record without a timestamp is an error.
#[derive(Debug)]
pub struct TimestampRouter {
    topic_format: String,
    format: Option<DateFormat>,
}

impl Default for TimestampRouter {
    fn default() -> Self {
        TimestampRouter {
            topic_format: "${topic}-${timestamp}".to_string(),
            format: DateFormat::new("yyyyMMdd").ok(),
        }
    }
}

impl TimestampRouter {
    fn definition() -> ConfigDef {
        let pattern = custom(|_, v| match v.and_then(|v| v.as_str()) {
            Some(p) => DateFormat::new(p).map(drop),
            None => Ok(()),
        })
        .described_as("a SimpleDateFormat pattern (letters y M d H m s S z Z X)");
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    "topic.format",
                    Type::String,
                    Importance::High,
                    "Format string which can contain ${topic} and ${timestamp} as placeholders \
                     for the topic and timestamp, respectively.",
                )
                .default_value("${topic}-${timestamp}"),
            )
            .define(
                ConfigKey::new(
                    "timestamp.format",
                    Type::String,
                    Importance::High,
                    "Format string for the timestamp that is compatible with \
                     java.text.SimpleDateFormat.",
                )
                .default_value("yyyyMMdd")
                .validator(pattern),
            )
    }
}

impl<R: ConnectRecord> Transformation<R> for TimestampRouter {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let parsed = Self::definition().parse(config)?;
        self.topic_format = parsed.get_string("topic.format")?.to_string();
        let pattern = parsed.get_string("timestamp.format")?;
        self.format = Some(DateFormat::new(pattern).map_err(ConnectError::config)?);
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        let Some(ts) = record.timestamp() else {
            return Err(ConnectError::data(format!("Timestamp missing on record: {record:?}")));
        };
        let formatted = self.format.as_ref().map(|f| f.format(ts)).unwrap_or_default();
        let topic = self
            .topic_format
            .replace("${topic}", record.topic())
            .replace("${timestamp}", &formatted);
        record.set_topic(topic);
        Ok(Some(record))
    }
}
