//! Big-endian number converters (`org.apache.kafka.connect.converters.ShortConverter`,
//! `IntegerConverter`, `LongConverter`, `FloatConverter`, `DoubleConverter`), as Kafka's
//! number serializers write them.

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::convert::{Converter, HeaderConverter};
use connect_api::data::{Schema, SchemaAndValue, Value};
use connect_api::error::{ConnectError, Result};
use connect_api::record::Headers;

use super::{ConverterType, converter_type_key, parse_config};

macro_rules! number_converter {
    (
        $(#[$doc:meta])*
        $name:ident, $t:ty, $variant:ident, $type_name:literal, $deserializer:literal,
        $schema:ident
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default)]
        pub struct $name {
            _private: (),
        }

        impl $name {
            /// A new converter (it has no settings).
            pub fn new() -> Self {
                $name { _private: () }
            }

            /// The definition of the converter's settings (only Kafka's `converter.type`).
            pub fn definition() -> ConfigDef {
                ConfigDef::new().define(converter_type_key())
            }

            /// The big-endian bytes of the value (none for null); any other value
            /// type is an error, as a Java cast would be.
            pub fn serialize(&self, value: &Value) -> Result<Option<Vec<u8>>> {
                match value {
                    Value::Null => Ok(None),
                    Value::$variant(v) => Ok(Some(v.to_be_bytes().to_vec())),
                    other => Err(ConnectError::data(format!(
                        concat!("Failed to serialize to ", $type_name, " (was {})"),
                        other.kind_name()
                    ))),
                }
            }

            /// The number of big-endian bytes, with its optional schema (null for no
            /// bytes); a wrong length is an error.
            pub fn deserialize(&self, data: Option<&[u8]>) -> Result<SchemaAndValue> {
                let schema = Some(Schema::$schema());
                let Some(data) = data else {
                    return Ok(SchemaAndValue::new(schema, Value::Null));
                };
                let bytes: [u8; std::mem::size_of::<$t>()] = data.try_into().map_err(|_| {
                    ConnectError::data(format!(
                        concat!(
                            "Failed to deserialize ", $type_name, ": Size of data received by ",
                            $deserializer, " is not {}"
                        ),
                        std::mem::size_of::<$t>()
                    ))
                })?;
                Ok(SchemaAndValue::new(schema, Value::$variant(<$t>::from_be_bytes(bytes))))
            }
        }

        #[async_trait]
        impl Converter for $name {
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
                _schema: Option<&Schema>,
                value: &Value,
            ) -> Result<Option<Vec<u8>>> {
                self.serialize(value)
            }

            async fn to_connect_data(
                &self,
                _topic: &str,
                _headers: &Headers,
                data: Option<&[u8]>,
            ) -> Result<SchemaAndValue> {
                self.deserialize(data)
            }
        }

        impl HeaderConverter for $name {
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
                _schema: Option<&Schema>,
                value: &Value,
            ) -> Result<Option<Vec<u8>>> {
                self.serialize(value)
            }

            fn to_connect_header(
                &self,
                _topic: &str,
                _header_key: &str,
                data: Option<&[u8]>,
            ) -> Result<SchemaAndValue> {
                self.deserialize(data)
            }
        }
    };
}

number_converter! {
    /// INT16 values as 2 big-endian bytes
    /// (`org.apache.kafka.connect.converters.ShortConverter`); reads give an optional
    /// INT16.
    ShortConverter, i16, Int16, "short", "ShortDeserializer", optional_int16
}

number_converter! {
    /// INT32 values as 4 big-endian bytes
    /// (`org.apache.kafka.connect.converters.IntegerConverter`); reads give an optional
    /// INT32.
    IntegerConverter, i32, Int32, "integer", "IntegerDeserializer", optional_int32
}

number_converter! {
    /// INT64 values as 8 big-endian bytes
    /// (`org.apache.kafka.connect.converters.LongConverter`); reads give an optional
    /// INT64.
    ///
    /// ```
    /// use connect_api::data::Value;
    /// use connect_runtime::converters::LongConverter;
    ///
    /// let c = LongConverter::new();
    /// assert_eq!(c.serialize(&Value::Int64(258))?, Some(vec![0, 0, 0, 0, 0, 0, 1, 2]));
    /// assert_eq!(c.deserialize(Some(&[0, 0, 0, 0, 0, 0, 1, 2]))?.value, Value::Int64(258));
    /// assert!(c.deserialize(Some(&[1, 2])).is_err());
    /// # Ok::<(), connect_api::error::ConnectError>(())
    /// ```
    LongConverter, i64, Int64, "long", "LongDeserializer", optional_int64
}

number_converter! {
    /// FLOAT32 values as 4 big-endian IEEE 754 bytes
    /// (`org.apache.kafka.connect.converters.FloatConverter`); reads give an optional
    /// FLOAT32.
    FloatConverter, f32, Float32, "float", "Deserializer", optional_float32
}

number_converter! {
    /// FLOAT64 values as 8 big-endian IEEE 754 bytes
    /// (`org.apache.kafka.connect.converters.DoubleConverter`); reads give an optional
    /// FLOAT64.
    DoubleConverter, f64, Float64, "double", "Deserializer", optional_float64
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_api::error::ErrorKind;

    #[tokio::test]
    async fn numbers_round_trip_big_endian() {
        let mut headers = Headers::new();
        type Case = (Box<dyn Converter>, Value, Vec<u8>, Schema);
        let cases: Vec<Case> = vec![
            (
                Box::new(ShortConverter::new()),
                Value::Int16(-2),
                vec![0xff, 0xfe],
                Schema::optional_int16(),
            ),
            (
                Box::new(IntegerConverter::new()),
                Value::Int32(0x0102_0304),
                vec![1, 2, 3, 4],
                Schema::optional_int32(),
            ),
            (
                Box::new(LongConverter::new()),
                Value::Int64(-1),
                vec![0xff; 8],
                Schema::optional_int64(),
            ),
            (
                Box::new(FloatConverter::new()),
                Value::Float32(1.5),
                vec![0x3f, 0xc0, 0, 0],
                Schema::optional_float32(),
            ),
            (
                Box::new(DoubleConverter::new()),
                Value::Float64(-2.0),
                vec![0xc0, 0, 0, 0, 0, 0, 0, 0],
                Schema::optional_float64(),
            ),
        ];
        for (mut c, value, bytes, schema) in cases {
            c.configure(&RawConfig::new(), false).unwrap();
            let out = c.from_connect_data("t", &mut headers, None, &value).await.unwrap();
            assert_eq!(out.as_deref(), Some(bytes.as_slice()));
            let back = c.to_connect_data("t", &headers, Some(&bytes)).await.unwrap();
            assert_eq!(back, SchemaAndValue::new(Some(schema.clone()), value));
            assert_eq!(
                c.from_connect_data("t", &mut headers, None, &Value::Null).await.unwrap(),
                None
            );
            let null = c.to_connect_data("t", &headers, None).await.unwrap();
            assert_eq!(null, SchemaAndValue::new(Some(schema), Value::Null));
        }
    }

    #[test]
    fn wrong_length_and_wrong_type_are_data_errors() {
        let err = IntegerConverter::new().deserialize(Some(&[1, 2, 3])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Data);
        assert_eq!(
            err.message(),
            "Failed to deserialize integer: Size of data received by IntegerDeserializer is not 4"
        );
        let err = DoubleConverter::new().deserialize(Some(&[])).unwrap_err();
        assert_eq!(
            err.message(),
            "Failed to deserialize double: Size of data received by Deserializer is not 8"
        );
        let err = ShortConverter::new().serialize(&Value::Int32(1)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Data);
        assert_eq!(err.message(), "Failed to serialize to short (was INT32)");
        assert!(LongConverter::new().serialize(&Value::from("1")).is_err());
    }

    #[test]
    fn header_converter_matches_the_converter() {
        let mut c = FloatConverter::new();
        HeaderConverter::configure(&mut c, &RawConfig::new()).unwrap();
        let bytes = c.from_connect_header("t", "h", None, &Value::Float32(0.25)).unwrap();
        assert_eq!(
            c.to_connect_header("t", "h", bytes.as_deref()).unwrap().value,
            Value::Float32(0.25)
        );
    }
}
