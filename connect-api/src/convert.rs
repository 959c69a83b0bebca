//! Converters between Connect data and bytes: [`Converter`] and [`HeaderConverter`].
//! Implementations (JSON, String, ByteArray, Avro, …) live in the runtime.

use async_trait::async_trait;

use crate::config::{ConfigDef, RawConfig};
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
