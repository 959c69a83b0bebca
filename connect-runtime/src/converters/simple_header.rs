//! [`SimpleHeaderConverter`]: header values as text
//! (`org.apache.kafka.connect.storage.SimpleHeaderConverter`, the worker's default
//! `header.converter`).

use connect_api::config::{ConfigDef, RawConfig};
use connect_api::convert::HeaderConverter;
use connect_api::data::{Schema, SchemaAndValue, Value};
use connect_api::error::Result;

use super::text::{parse_string, values_to_string};

/// Kafka Connect's default header converter
/// (`org.apache.kafka.connect.storage.SimpleHeaderConverter`).
///
/// Writing renders the value as UTF-8 text the way Kafka's `Values.convertToString`
/// does (strings as they are, bytes as base64, numbers as Java prints them, dates as
/// ISO 8601). Reading infers the type from the text as `Values.parseString` does:
/// `true`/`false` are BOOLEAN, whole numbers the narrowest of INT8…INT64, other numbers
/// FLOAT64, ISO dates, times and timestamps their logical types, anything else a
/// STRING. No bytes read as a null without schema.
///
/// ```
/// use connect_api::convert::HeaderConverter;
/// use connect_api::data::Value;
/// use connect_runtime::converters::SimpleHeaderConverter;
///
/// let c = SimpleHeaderConverter::new();
/// assert_eq!(c.from_connect_header("t", "h", None, &Value::from("abc"))?, Some(b"abc".to_vec()));
/// assert_eq!(c.to_connect_header("t", "h", Some(b"42"))?.value, Value::Int8(42));
/// assert_eq!(c.to_connect_header("t", "h", Some(b"1.5"))?.value, Value::Float64(1.5));
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SimpleHeaderConverter {
    _private: (),
}

impl SimpleHeaderConverter {
    /// A new converter (it has no settings).
    pub fn new() -> Self {
        SimpleHeaderConverter { _private: () }
    }
}

impl HeaderConverter for SimpleHeaderConverter {
    fn configure(&mut self, _config: &RawConfig) -> Result<()> {
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn from_connect_header(
        &self,
        _topic: &str,
        _header_key: &str,
        _schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        if value.is_null() {
            return Ok(None);
        }
        Ok(Some(values_to_string(value).into_bytes()))
    }

    fn to_connect_header(
        &self,
        _topic: &str,
        _header_key: &str,
        data: Option<&[u8]>,
    ) -> Result<SchemaAndValue> {
        let Some(data) = data else {
            return Ok(SchemaAndValue::null());
        };
        let text = String::from_utf8_lossy(data);
        if text.is_empty() {
            return Ok(SchemaAndValue::new(Some(Schema::string()), Value::String(String::new())));
        }
        Ok(parse_string(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::data::logical::{Date, Timestamp};

    fn round(value: Value) -> SchemaAndValue {
        let c = SimpleHeaderConverter::new();
        let bytes = c.from_connect_header("t", "h", None, &value).unwrap();
        c.to_connect_header("t", "h", bytes.as_deref()).unwrap()
    }

    #[test]
    fn values_round_trip_with_inferred_types() {
        assert_eq!(
            round(Value::from("hello")),
            SchemaAndValue::new(Some(Schema::string()), Value::from("hello"))
        );
        assert_eq!(round(Value::Boolean(false)).value, Value::Boolean(false));
        assert_eq!(
            round(Value::Int64(5)),
            SchemaAndValue::new(Some(Schema::int8()), Value::Int8(5))
        );
        assert_eq!(round(Value::Int64(70_000)).value, Value::Int32(70_000));
        assert_eq!(round(Value::Int64(i64::MIN)).value, Value::Int64(i64::MIN));
        assert_eq!(round(Value::Float64(0.25)).value, Value::Float64(0.25));
        assert_eq!(round(Value::Date(Date(19782))).schema, Some(Date::schema()));
        assert_eq!(round(Value::Timestamp(Timestamp(5))).value, Value::Timestamp(Timestamp(5)));
        assert_eq!(
            round(Value::from("")),
            SchemaAndValue::new(Some(Schema::string()), Value::from(""))
        );
        assert_eq!(round(Value::Null), SchemaAndValue::null());
    }

    #[test]
    fn writes_text_as_kafka_values_does() {
        let c = SimpleHeaderConverter::new();
        let text = |v: Value| {
            String::from_utf8(c.from_connect_header("t", "h", None, &v).unwrap().unwrap()).unwrap()
        };
        assert_eq!(text(Value::Bytes(vec![1, 2, 3])), "AQID");
        assert_eq!(text(Value::Float64(1e10)), "1.0E10");
        assert_eq!(text(Value::Array(vec![Value::Int32(1), Value::from("x")])), r#"[1,"x"]"#);
    }

    #[test]
    fn invalid_utf8_is_read_leniently() {
        let c = SimpleHeaderConverter::new();
        let v = c.to_connect_header("t", "h", Some(&[b'a', 0xff])).unwrap();
        assert_eq!(v.value, Value::from("a\u{fffd}"));
    }
}
