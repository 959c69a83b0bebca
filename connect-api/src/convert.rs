//! Converters between Connect data and bytes: [`Converter`] and [`HeaderConverter`].
//! Implementations (JSON, String, ByteArray, Avro, …) live in the runtime.

use async_trait::async_trait;

use crate::config::{ConfigDef, ConfigKey, Importance, ParsedConfig, RawConfig, Type, ValidString};
use crate::data::{Schema, SchemaAndValue, Value};
use crate::error::Result;
use crate::record::Headers;

/// Converts record keys or values between Connect data and the bytes stored in Kafka
/// (Kafka's `Converter`).
///
/// Methods are async because some converters talk to a service (a schema registry) the
/// first time they meet a schema; they should cache so the common path does no I/O.
#[async_trait]
pub trait Converter: Send + Sync {
    /// Configures the converter with its settings (the `key.converter.` or
    /// `value.converter.` prefix already stripped); `is_key` says which side it serves.
    fn configure(&mut self, config: &RawConfig, is_key: bool) -> Result<()>;

    /// The definition of the converter's settings.
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    /// Serializes a value of `topic`; `None` means a null record key or value. The
    /// converter may add headers (a schema id, say).
    // Named after Kafka's `fromConnectData`, which connector authors know.
    #[allow(clippy::wrong_self_convention)]
    async fn from_connect_data(
        &self,
        topic: &str,
        headers: &mut Headers,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>>;

    /// The synchronous fast path of [`from_connect_data`](Converter::from_connect_data),
    /// for converters that need no I/O: serializes into `buf` (cleared first and reused
    /// by the caller from record to record) or borrows the bytes straight from `value`,
    /// and returns them (`Ok(None)` for a null). Returns `None` when the converter has no
    /// synchronous path for this value; the runtime then awaits `from_connect_data`.
    /// Must produce the same bytes and headers as `from_connect_data`. The default has
    /// no fast path.
    // Named after Kafka's `fromConnectData`, as above.
    #[allow(clippy::wrong_self_convention)]
    fn from_connect_data_into<'a>(
        &self,
        _topic: &str,
        _headers: &mut Headers,
        _schema: Option<&Schema>,
        _value: &'a Value,
        _buf: &'a mut Vec<u8>,
    ) -> Option<Result<Option<&'a [u8]>>> {
        None
    }

    /// The synchronous path of [`to_connect_data`](Converter::to_connect_data), for
    /// converters that need no I/O; `None` when the converter has none for these bytes
    /// (the runtime then awaits `to_connect_data`). Must give the same result. The
    /// default has none.
    fn to_connect_data_sync(
        &self,
        _topic: &str,
        _headers: &Headers,
        _data: Option<&[u8]>,
    ) -> Option<Result<SchemaAndValue>> {
        None
    }

    /// Deserializes bytes of `topic`; `None` is a null key or value.
    async fn to_connect_data(
        &self,
        topic: &str,
        headers: &Headers,
        data: Option<&[u8]>,
    ) -> Result<SchemaAndValue>;
}

/// Converts header values between Connect data and bytes (Kafka's `HeaderConverter`).
pub trait HeaderConverter: Send + Sync {
    /// Configures the converter.
    fn configure(&mut self, config: &RawConfig) -> Result<()>;

    /// The definition of the converter's settings.
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    /// Serializes one header value.
    // Named after Kafka's `fromConnectHeader`.
    #[allow(clippy::wrong_self_convention)]
    fn from_connect_header(
        &self,
        topic: &str,
        header_key: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>>;

    /// Deserializes one header value.
    fn to_connect_header(
        &self,
        topic: &str,
        header_key: &str,
        data: Option<&[u8]>,
    ) -> Result<SchemaAndValue>;
}

/// What a converter instance serves (Kafka's `ConverterType`); `configure` records it as
/// the `converter.type` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConverterType {
    /// Record keys.
    Key,
    /// Record values.
    Value,
    /// Header values.
    Header,
}

impl ConverterType {
    /// `key`, `value` or `header`, as Kafka writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConverterType::Key => "key",
            ConverterType::Value => "value",
            ConverterType::Header => "header",
        }
    }
}

/// Kafka's `converter.type` setting (`ConverterConfig`).
pub const CONVERTER_TYPE_CONFIG: &str = "converter.type";

/// The definition of `converter.type`, for every converter's [`ConfigDef`].
pub fn converter_type_key() -> ConfigKey {
    ConfigKey::new(
        CONVERTER_TYPE_CONFIG,
        Type::String,
        Importance::Low,
        "How this converter will be used.",
    )
    .validator(ValidString::in_list(["key", "value", "header"]))
}

/// Parses a converter's settings with `def`, `converter.type` set from its use as
/// Kafka's `configure` does.
///
/// ```
/// use connect_api::config::{ConfigDef, RawConfig};
/// use connect_api::convert::{ConverterType, converter_type_key, parse_converter_config};
///
/// let def = ConfigDef::new().define(converter_type_key());
/// let parsed = parse_converter_config(&def, &RawConfig::new(), ConverterType::Key).unwrap();
/// assert_eq!(parsed.get_string("converter.type").unwrap(), "key");
/// ```
pub fn parse_converter_config(
    def: &ConfigDef,
    config: &RawConfig,
    ty: ConverterType,
) -> Result<ParsedConfig> {
    let mut raw = config.clone();
    raw.insert(CONVERTER_TYPE_CONFIG.to_string(), ty.as_str().to_string());
    def.parse(&raw)
}
