//! Kafka Connect's logical types: [`Decimal`], [`Date`], [`Time`] and [`Timestamp`].
//!
//! Each is a schema of a physical type (BYTES, INT32, INT32, INT64) with a well-known
//! name; values of these schemas are held as the logical variants of
//! [`Value`](crate::data::Value). `from_logical` turns a logical value into the physical
//! value a converter writes, `to_logical` turns it back, exactly as Kafka Connect's
//! `Decimal`, `Date`, `Time` and `Timestamp` classes do.
//!
//! ```
//! use connect_api::data::logical::{Decimal, Date};
//!
//! let schema = Decimal::schema(2);
//! let price: Decimal = "123.45".parse()?;
//! let wire = Decimal::from_logical(&schema, &price)?;
//! assert_eq!(wire, vec![0x30, 0x39]); // 12345 as big-endian two's complement
//! assert_eq!(Decimal::to_logical(&schema, &wire)?, price);
//!
//! let d = Date::from_ymd(2024, 2, 29)?;
//! assert_eq!(Date::to_logical(&Date::schema(), Date::from_logical(&Date::schema(), d)?)?, d);
//! # Ok::<(), connect_api::error::ConnectError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use num_bigint::BigInt;

use crate::data::{Schema, SchemaBuilder, Type};
use crate::error::{ConnectError, Result};

/// Schema name of the Decimal logical type.
pub const DECIMAL_NAME: &str = "org.apache.kafka.connect.data.Decimal";
/// Schema name of the Date logical type.
pub const DATE_NAME: &str = "org.apache.kafka.connect.data.Date";
/// Schema name of the Time logical type.
pub const TIME_NAME: &str = "org.apache.kafka.connect.data.Time";
/// Schema name of the Timestamp logical type.
pub const TIMESTAMP_NAME: &str = "org.apache.kafka.connect.data.Timestamp";
/// The Decimal schema parameter that holds the scale.
pub const SCALE_PARAMETER: &str = "scale";

const MILLIS_PER_DAY: i64 = 86_400_000;

/// Which logical type a schema denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicalType {
    /// [`Decimal`] (BYTES).
    Decimal,
    /// [`Date`] (INT32).
    Date,
    /// [`Time`] (INT32).
    Time,
    /// [`Timestamp`] (INT64).
    Timestamp,
}

impl LogicalType {
    /// The logical type of `schema`, if its name and physical type denote one.
    pub fn of(schema: &Schema) -> Option<LogicalType> {
        let t = match (schema.name()?, schema.schema_type()) {
            (DECIMAL_NAME, Type::Bytes) => LogicalType::Decimal,
            (DATE_NAME, Type::Int32) => LogicalType::Date,
            (TIME_NAME, Type::Int32) => LogicalType::Time,
            (TIMESTAMP_NAME, Type::Int64) => LogicalType::Timestamp,
            _ => return None,
        };
        Some(t)
    }
}

fn check_name(schema: &Schema, name: &str, what: &str) -> Result<()> {
    if schema.name() == Some(name) {
        Ok(())
    } else {
        Err(ConnectError::data(format!(
            "Requested conversion of {what} object but the schema does not match."
        )))
    }
}

/// An arbitrary-precision decimal: an unscaled integer and a scale (Java's `BigDecimal`).
///
/// Equality is structural: `1.0` (unscaled 10, scale 1) differs from `1.00`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    unscaled: BigInt,
    scale: i32,
}

impl Decimal {
    /// `unscaled × 10^-scale`.
    pub fn new(unscaled: impl Into<BigInt>, scale: i32) -> Self {
        Decimal { unscaled: unscaled.into(), scale }
    }

    /// The unscaled integer.
    pub fn unscaled(&self) -> &BigInt {
        &self.unscaled
    }

    /// The scale: digits after the decimal point.
    pub fn scale(&self) -> i32 {
        self.scale
    }

    /// The same number with another scale, if that loses no digits.
    pub fn rescale(&self, scale: i32) -> Result<Decimal> {
        let diff = scale as i64 - self.scale as i64;
        if diff >= 0 {
            let factor = BigInt::from(10u8).pow(diff as u32);
            Ok(Decimal::new(&self.unscaled * factor, scale))
        } else {
            let factor = BigInt::from(10u8).pow((-diff) as u32);
            let zero = BigInt::from(0u8);
            if &self.unscaled % &factor != zero {
                return Err(ConnectError::data(format!(
                    "Decimal {self} cannot be rescaled to scale {scale} without rounding"
                )));
            }
            Ok(Decimal::new(&self.unscaled / factor, scale))
        }
    }

    /// The nearest `f64`.
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// A Decimal schema with the given scale (Kafka's `Decimal.schema(scale)`).
    pub fn schema(scale: i32) -> Schema {
        // A bytes schema with a name, version and one parameter cannot fail to build.
        Self::builder(scale).build().unwrap_or_else(|_| Schema::bytes())
    }

    /// A builder for a Decimal schema, to make it optional or give it a default.
    pub fn builder(scale: i32) -> SchemaBuilder {
        SchemaBuilder::bytes()
            .name(DECIMAL_NAME)
            .parameter(SCALE_PARAMETER, scale.to_string())
            .version(1)
    }

    /// The scale a Decimal schema declares.
    pub fn schema_scale(schema: &Schema) -> Result<i32> {
        let raw = schema.parameters().get(SCALE_PARAMETER).ok_or_else(|| {
            ConnectError::data("Invalid Decimal schema: scale parameter not found.")
        })?;
        raw.parse().map_err(|_| {
            ConnectError::data(format!(
                "Invalid Decimal schema: scale parameter {raw:?} is not an integer."
            ))
        })
    }

    /// The wire form: the unscaled value as big-endian two's complement bytes.
    pub fn from_logical(schema: &Schema, value: &Decimal) -> Result<Vec<u8>> {
        check_name(schema, DECIMAL_NAME, "Decimal")?;
        let scale = Self::schema_scale(schema)?;
        if value.scale != scale {
            return Err(ConnectError::data(format!(
                "Decimal value has mismatching scale for given Decimal schema: value scale {}, schema scale {scale}",
                value.scale
            )));
        }
        Ok(value.unscaled.to_signed_bytes_be())
    }

    /// Reads the wire form back, with the schema's scale.
    pub fn to_logical(schema: &Schema, bytes: &[u8]) -> Result<Decimal> {
        check_name(schema, DECIMAL_NAME, "Decimal")?;
        let scale = Self::schema_scale(schema)?;
        Ok(Decimal::new(BigInt::from_signed_bytes_be(bytes), scale))
    }
}

impl fmt::Display for Decimal {
    /// The plain decimal notation (`-12.50`), never scientific.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.unscaled.magnitude().to_string();
        let neg = self.unscaled.sign() == num_bigint::Sign::Minus;
        let sign = if neg { "-" } else { "" };
        if self.scale <= 0 {
            let zeros = "0".repeat((-(self.scale as i64)) as usize);
            if digits == "0" {
                return f.write_str("0");
            }
            return write!(f, "{sign}{digits}{zeros}");
        }
        let scale = self.scale as usize;
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{sign}{int}.{frac}")
        } else {
            write!(f, "{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        }
    }
}

impl FromStr for Decimal {
    type Err = ConnectError;

    /// Parses plain (`-12.50`) or scientific (`1.25E+3`) notation; the scale is the
    /// number of digits after the point, less the exponent.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || ConnectError::data(format!("Invalid decimal: {s:?}"));
        let t = s.trim();
        let (mantissa, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].parse::<i32>().map_err(|_| bad())?),
            None => (t, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let (neg, int) = match int.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, int.strip_prefix('+').unwrap_or(int)),
        };
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let digits = format!("{int}{frac}");
        let mut unscaled: BigInt = digits.parse().map_err(|_| bad())?;
        if neg {
            unscaled = -unscaled;
        }
        let scale = i32::try_from(frac.len()).map_err(|_| bad())? - exp;
        Ok(Decimal::new(unscaled, scale))
    }
}

/// A calendar date, as days since 1970-01-01 (Kafka's `Date` logical type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(pub i32);

impl Date {
    /// The date of a proleptic Gregorian year, month (1–12) and day (1–31).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(ConnectError::data(format!("Invalid date {year:04}-{month:02}-{day:02}")));
        }
        let days = days_from_civil(year as i64, month, day);
        i32::try_from(days).map(Date).map_err(|_| ConnectError::data("date out of range"))
    }

    /// The year, month and day.
    pub fn to_ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(self.0 as i64);
        (y as i32, m, d)
    }

    /// The date of a midnight UTC instant; any time of day is an error, as in Kafka.
    pub fn from_epoch_millis(millis: i64) -> Result<Date> {
        if millis.rem_euclid(MILLIS_PER_DAY) != 0 {
            return Err(ConnectError::data(
                "Kafka Connect Date type should not have any time fields set to non-zero values.",
            ));
        }
        i32::try_from(millis.div_euclid(MILLIS_PER_DAY))
            .map(Date)
            .map_err(|_| ConnectError::data("date out of range"))
    }

    /// Midnight UTC of this date, in milliseconds since the epoch.
    pub fn to_epoch_millis(self) -> i64 {
        self.0 as i64 * MILLIS_PER_DAY
    }

    /// The Date schema (Kafka's `Date.SCHEMA`).
    pub fn schema() -> Schema {
        Self::builder().build().unwrap_or_else(|_| Schema::int32())
    }

    /// A builder for the Date schema.
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::int32().name(DATE_NAME).version(1)
    }

    /// The wire form: days since the epoch.
    pub fn from_logical(schema: &Schema, value: Date) -> Result<i32> {
        check_name(schema, DATE_NAME, "Date")?;
        Ok(value.0)
    }

    /// Reads the wire form back.
    pub fn to_logical(schema: &Schema, days: i32) -> Result<Date> {
        check_name(schema, DATE_NAME, "Date")?;
        Ok(Date(days))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// A time of day, as milliseconds since midnight (Kafka's `Time` logical type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Time(pub i32);

impl Time {
    /// The time of an hour, minute, second and millisecond.
    pub fn from_hms_milli(hour: u32, minute: u32, second: u32, milli: u32) -> Result<Time> {
        if hour > 23 || minute > 59 || second > 59 || milli > 999 {
            return Err(ConnectError::data(format!(
                "Invalid time {hour:02}:{minute:02}:{second:02}.{milli:03}"
            )));
        }
        Ok(Time((((hour * 60 + minute) * 60 + second) * 1000 + milli) as i32))
    }

    /// The milliseconds since midnight.
    pub fn millis(self) -> i32 {
        self.0
    }

    /// The Time schema (Kafka's `Time.SCHEMA`).
    pub fn schema() -> Schema {
        Self::builder().build().unwrap_or_else(|_| Schema::int32())
    }

    /// A builder for the Time schema.
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::int32().name(TIME_NAME).version(1)
    }

    /// The wire form: milliseconds since midnight; out-of-day values are an error.
    pub fn from_logical(schema: &Schema, value: Time) -> Result<i32> {
        check_name(schema, TIME_NAME, "Time")?;
        if !(0..MILLIS_PER_DAY as i32).contains(&value.0) {
            return Err(ConnectError::data(
                "Kafka Connect Time type should not have any date fields set to non-zero values.",
            ));
        }
        Ok(value.0)
    }

    /// Reads the wire form back.
    pub fn to_logical(schema: &Schema, millis: i32) -> Result<Time> {
        check_name(schema, TIME_NAME, "Time")?;
        if !(0..MILLIS_PER_DAY as i32).contains(&millis) {
            return Err(ConnectError::data(
                "Time values must use number of milliseconds greater than 0 and less than 86400000",
            ));
        }
        Ok(Time(millis))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        write!(
            f,
            "{:02}:{:02}:{:02}.{:03}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    }
}

/// An instant, as milliseconds since the epoch (Kafka's `Timestamp` logical type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The Timestamp schema (Kafka's `Timestamp.SCHEMA`).
    pub fn schema() -> Schema {
        Self::builder().build().unwrap_or_else(|_| Schema::int64())
    }

    /// A builder for the Timestamp schema.
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder::int64().name(TIMESTAMP_NAME).version(1)
    }

    /// The wire form: milliseconds since the epoch.
    pub fn from_logical(schema: &Schema, value: Timestamp) -> Result<i64> {
        check_name(schema, TIMESTAMP_NAME, "Timestamp")?;
        Ok(value.0)
    }

    /// Reads the wire form back.
    pub fn to_logical(schema: &Schema, millis: i64) -> Result<Timestamp> {
        check_name(schema, TIMESTAMP_NAME, "Timestamp")?;
        Ok(Timestamp(millis))
    }
}

impl fmt::Display for Timestamp {
    /// ISO 8601 in UTC with milliseconds (`2024-02-29T12:00:00.000Z`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(MILLIS_PER_DAY);
        let ms = self.0.rem_euclid(MILLIS_PER_DAY) as i32;
        let (y, m, d) = civil_from_days(days);
        write!(f, "{y:04}-{m:02}-{d:02}T{}Z", Time(ms))
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decimal_round_trips_through_its_wire_form() {
        let schema = Decimal::schema(3);
        for s in ["0.000", "-1.500", "12345678901234567890123456789.123", "-0.001"] {
            let d: Decimal = s.parse().unwrap();
            let bytes = Decimal::from_logical(&schema, &d).unwrap();
            let back = Decimal::to_logical(&schema, &bytes).unwrap();
            assert_eq!(back, d);
            assert_eq!(back.to_string(), s);
        }
    }

    #[test]
    fn decimal_with_other_scale_is_rejected() {
        let d: Decimal = "1.5".parse().unwrap();
        let err = Decimal::from_logical(&Decimal::schema(2), &d).unwrap_err();
        assert!(err.message().contains("mismatching scale"));
        assert_eq!(d.rescale(2).unwrap().to_string(), "1.50");
        assert!(d.rescale(0).is_err());
    }

    #[test]
    fn decimal_wire_form_matches_java_big_integer() {
        let s = Decimal::schema(0);
        assert_eq!(Decimal::from_logical(&s, &Decimal::new(-1, 0)).unwrap(), vec![0xff]);
        assert_eq!(Decimal::from_logical(&s, &Decimal::new(128, 0)).unwrap(), vec![0x00, 0x80]);
        assert_eq!(Decimal::from_logical(&s, &Decimal::new(0, 0)).unwrap(), vec![0x00]);
        assert!(Decimal::to_logical(&Schema::bytes(), &[1]).is_err());
    }

    #[test]
    fn decimal_parses_scientific_notation() {
        let d: Decimal = "1.25E+3".parse().unwrap();
        assert_eq!(d.to_string(), "1250");
        assert_eq!(d.scale(), -1);
        assert!("1.2.3".parse::<Decimal>().is_err());
        assert!("abc".parse::<Decimal>().is_err());
    }

    #[test]
    fn date_round_trips_and_rejects_time_of_day() {
        let d = Date::from_ymd(2024, 2, 29).unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(d.0, 19782);
        let wire = Date::from_logical(&Date::schema(), d).unwrap();
        assert_eq!(Date::to_logical(&Date::schema(), wire).unwrap(), d);
        assert_eq!(Date::from_epoch_millis(d.to_epoch_millis()).unwrap(), d);
        assert!(Date::from_epoch_millis(d.to_epoch_millis() + 1).is_err());
        assert!(Date::from_ymd(2023, 2, 29).is_err());
        assert_eq!(Date::from_ymd(1969, 12, 31).unwrap().0, -1);
    }

    #[test]
    fn time_round_trips_and_rejects_out_of_day_values() {
        let t = Time::from_hms_milli(23, 59, 59, 999).unwrap();
        assert_eq!(t.to_string(), "23:59:59.999");
        let wire = Time::from_logical(&Time::schema(), t).unwrap();
        assert_eq!(Time::to_logical(&Time::schema(), wire).unwrap(), t);
        assert!(Time::from_logical(&Time::schema(), Time(86_400_000)).is_err());
        assert!(Time::to_logical(&Time::schema(), -1).is_err());
    }

    #[test]
    fn timestamp_round_trips() {
        let ts = Timestamp(1_709_208_000_123);
        let wire = Timestamp::from_logical(&Timestamp::schema(), ts).unwrap();
        assert_eq!(Timestamp::to_logical(&Timestamp::schema(), wire).unwrap(), ts);
        assert_eq!(ts.to_string(), "2024-02-29T12:00:00.123Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999Z");
        assert!(Timestamp::from_logical(&Schema::int64(), ts).is_err());
    }

    #[test]
    fn logical_type_is_recognised_by_name_and_type() {
        assert_eq!(LogicalType::of(&Decimal::schema(2)), Some(LogicalType::Decimal));
        assert_eq!(LogicalType::of(&Timestamp::schema()), Some(LogicalType::Timestamp));
        assert_eq!(LogicalType::of(&Schema::int32()), None);
    }

    proptest! {
        #[test]
        fn civil_days_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn decimal_string_round_trip(unscaled in any::<i64>(), scale in -5i32..20) {
            let d = Decimal::new(unscaled, scale);
            let parsed: Decimal = d.to_string().parse().unwrap();
            // Plain notation of a negative scale prints trailing zeros: compare values.
            prop_assert_eq!(parsed.rescale(scale.max(0)).unwrap(), d.rescale(scale.max(0)).unwrap());
        }
    }
}
