//! [`ByteArrayConverter`]: bytes as they are
//! (`org.apache.kafka.connect.converters.ByteArrayConverter`).

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::convert::{Converter, HeaderConverter};
use connect_api::data::{Schema, SchemaAndValue, Type, Value};
use connect_api::error::{ConnectError, Result};
use connect_api::record::Headers;

use super::{ConverterType, converter_type_key, parse_config};

/// Kafka Connect's pass-through converter
/// (`org.apache.kafka.connect.converters.ByteArrayConverter`), a [`Converter`] and a
/// [`HeaderConverter`].
///
/// Writing takes a BYTES value (or null) with a BYTES schema or none; reading gives the
/// bytes with an optional BYTES schema.
///
/// ```
/// use connect_api::data::{Schema, Value};
/// use connect_runtime::converters::ByteArrayConverter;
///
/// let c = ByteArrayConverter::new();
/// assert_eq!(c.serialize(None, &Value::Bytes(vec![1, 2]))?, Some(vec![1, 2]));
/// assert!(c.serialize(Some(&Schema::string()), &Value::from("x")).is_err());
/// assert_eq!(c.deserialize(Some(&[1, 2])).value, Value::Bytes(vec![1, 2]));
/// # Ok::<(), connect_api::error::ConnectError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ByteArrayConverter {
    _private: (),
}

impl ByteArrayConverter {
    /// A new converter (it has no settings).
    pub fn new() -> Self {
        ByteArrayConverter { _private: () }
    }

    /// The definition of the converter's settings (only Kafka's `converter.type`).
    pub fn definition() -> ConfigDef {
        ConfigDef::new().define(converter_type_key())
    }

    /// The bytes of a BYTES value; an error for another schema or value type.
    pub fn serialize(&self, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>> {
        if let Some(schema) = schema
            && schema.schema_type() != Type::Bytes
        {
            return Err(ConnectError::data(format!(
                "Invalid schema type for ByteArrayConverter: {}",
                schema.schema_type()
            )));
        }
        match value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            other => Err(ConnectError::data(format!(
                "ByteArrayConverter is not compatible with objects of type {}",
                other.kind_name()
            ))),
        }
    }

    /// The bytes as an optional BYTES value (null for no bytes).
    pub fn deserialize(&self, data: Option<&[u8]>) -> SchemaAndValue {
        let value = data.map_or(Value::Null, |b| Value::Bytes(b.to_vec()));
        SchemaAndValue::new(Some(Schema::optional_bytes()), value)
    }
}

#[async_trait]
impl Converter for ByteArrayConverter {
    fn configure(&mut self, config: &RawConfig, is_key: bool) -> Result<()> {
        let ty = if is_key { ConverterType::Key } else { ConverterType::Value };
        parse_config(&Self::definition(), config, ty).map(|_| ())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    async fn from_connect_data(
        &self,
        _topic: &str,
        _headers: &mut Headers,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        self.serialize(schema, value)
    }

    fn from_connect_data_into<'a>(
        &self,
        _topic: &str,
        _headers: &mut Headers,
        schema: Option<&Schema>,
        value: &'a Value,
        _buf: &'a mut Vec<u8>,
    ) -> Option<Result<Option<&'a [u8]>>> {
        Some(match value {
            // The checks of `serialize`, without its copy of the bytes.
            Value::Bytes(b) if schema.is_none_or(|s| s.schema_type() == Type::Bytes) => {
                Ok(Some(b.as_slice()))
            }
            other => self.serialize(schema, other).map(|_| None),
        })
    }

    fn to_connect_data_sync(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: Option<&[u8]>,
    ) -> Option<Result<SchemaAndValue>> {
        Some(Ok(self.deserialize(data)))
    }

    async fn to_connect_data(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: Option<&[u8]>,
    ) -> Result<SchemaAndValue> {
        Ok(self.deserialize(data))
    }
}

impl HeaderConverter for ByteArrayConverter {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        parse_config(&Self::definition(), config, ConverterType::Header).map(|_| ())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    fn from_connect_header(
        &self,
        _topic: &str,
        _header_key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        self.serialize(schema, value)
    }

    fn to_connect_header(
        &self,
        _topic: &str,
        _header_key: &str,
        data: Option<&[u8]>,
    ) -> Result<SchemaAndValue> {
        Ok(self.deserialize(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::data::logical::Decimal;
    use connect_api::error::ErrorKind;

    #[tokio::test]
    async fn passes_bytes_through() {
        let c = ByteArrayConverter::new();
        let mut headers = Headers::new();
        let bytes = c
            .from_connect_data(
                "t",
                &mut headers,
                Some(&Schema::bytes()),
                &Value::Bytes(vec![0, 1, 255]),
            )
            .await
            .unwrap();
        assert_eq!(bytes, Some(vec![0, 1, 255]));
        let back = c.to_connect_data("t", &headers, bytes.as_deref()).await.unwrap();
        assert_eq!(
            back,
            SchemaAndValue::new(Some(Schema::optional_bytes()), Value::Bytes(vec![0, 1, 255]))
        );
        assert_eq!(c.from_connect_data("t", &mut headers, None, &Value::Null).await.unwrap(), None);
        let null = c.to_connect_data("t", &headers, None).await.unwrap();
        assert_eq!(null, SchemaAndValue::new(Some(Schema::optional_bytes()), Value::Null));
        assert_eq!(c.serialize(None, &Value::Bytes(vec![])).unwrap(), Some(vec![]));
    }

    #[test]
    fn rejects_other_schemas_and_values() {
        let c = ByteArrayConverter::new();
        let err = c.serialize(Some(&Schema::string()), &Value::Bytes(vec![1])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Data);
        assert_eq!(err.message(), "Invalid schema type for ByteArrayConverter: STRING");
        let err = c.serialize(None, &Value::Int32(1)).unwrap_err();
        assert_eq!(
            err.message(),
            "ByteArrayConverter is not compatible with objects of type INT32"
        );
        let decimal = Value::Decimal(Decimal::new(1, 0));
        assert!(c.serialize(Some(&Decimal::schema(0)), &decimal).is_err());
    }

    #[test]
    fn configures_for_every_use() {
        let mut c = ByteArrayConverter::new();
        Converter::configure(&mut c, &RawConfig::new(), true).unwrap();
        HeaderConverter::configure(&mut c, &RawConfig::new()).unwrap();
        assert!(Converter::config_def(&c).contains("converter.type"));
    }
}
