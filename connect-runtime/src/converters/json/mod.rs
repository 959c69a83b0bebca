//! [`JsonConverter`]: Kafka Connect's JSON converter, wire-compatible with
//! `org.apache.kafka.connect.json.JsonConverter`, and the pure conversions it is made
//! of ([`schema_to_json`], [`schema_from_json`], [`value_to_json`], [`value_from_json`]).
//!
//! With `schemas.enable=true` (the default) every message is an envelope
//! `{"schema": <schema>, "payload": <value>}`; with `false` it is the bare value, read
//! back without a schema (integers as INT64, other numbers as FLOAT64, objects as maps).
//!
//! ```
//! # use connect_api::data::{Schema, SchemaBuilder, Struct, Value};
//! use connect_runtime::converters::JsonConverter;
//!
//! let schema = SchemaBuilder::struct_()
//!     .name("user")
//!     .field("id", Schema::int32())
//!     .field("name", Schema::optional_string())
//!     .build()?;
//! let user = Struct::new(schema.clone())?.with("id", 1)?.with("name", "a")?;
//! let converter = JsonConverter::new();
//! let bytes = converter.serialize(Some(&schema), &Value::Struct(user.clone()))?.unwrap_or_default();
//! assert_eq!(
//!     String::from_utf8_lossy(&bytes),
//!     r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"}],"optional":false,"name":"user"},"payload":{"id":1,"name":"a"}}"#
//! );
//! let back = converter.deserialize(Some(&bytes))?;
//! assert_eq!(back.value, Value::Struct(user));
//! # Ok::<(), connect_api::error::ConnectError>(())
//! ```

mod cache;
mod decode;
mod encode;
mod envelope;
mod schema;
mod tree;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use connect_api::config::{
    ConfigDef, ConfigKey, Importance, RawConfig, Type as ConfigType, ValidString, Width,
};
use connect_api::convert::{Converter, HeaderConverter};
use connect_api::data::{Schema, SchemaAndValue, Type, Value};
use connect_api::error::{ConnectError, Result};
use connect_api::record::Headers;

use self::cache::LruCache;
use self::tree::Json;
use super::{ConverterType, converter_type_key, parse_config};

/// Whether to wrap every value in a schema/payload envelope.
pub const SCHEMAS_ENABLE_CONFIG: &str = "schemas.enable";
/// How many schemas each direction of the converter caches.
pub const SCHEMAS_CACHE_SIZE_CONFIG: &str = "schemas.cache.size";
/// How Decimal values are written: `BASE64` or `NUMERIC`.
pub const DECIMAL_FORMAT_CONFIG: &str = "decimal.format";
/// Whether null values of fields with a default are written and read as the default.
pub const REPLACE_NULL_WITH_DEFAULT_CONFIG: &str = "replace.null.with.default";

/// The message of the error raised when `schemas.enable=true` meets JSON that is not an
/// envelope (Kafka's wording).
pub const ENVELOPE_REQUIRED_MESSAGE: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.";

/// Base64 as Jackson writes it (standard alphabet, padded); reading accepts missing
/// padding too.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How Decimal values are written (`decimal.format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DecimalFormat {
    /// The unscaled value's big-endian two's complement bytes, base64-encoded in a JSON
    /// string (Kafka's default).
    #[default]
    Base64,
    /// A plain JSON number (`123.45`).
    Numeric,
}

impl DecimalFormat {
    /// The setting's value: `BASE64` or `NUMERIC`.
    pub fn as_str(self) -> &'static str {
        match self {
            DecimalFormat::Base64 => "BASE64",
            DecimalFormat::Numeric => "NUMERIC",
        }
    }
}

impl FromStr for DecimalFormat {
    type Err = ConnectError;

    /// Parses `BASE64` or `NUMERIC`, ignoring case.
    fn from_str(s: &str) -> Result<Self> {
        if s.eq_ignore_ascii_case("BASE64") {
            Ok(DecimalFormat::Base64)
        } else if s.eq_ignore_ascii_case("NUMERIC") {
            Ok(DecimalFormat::Numeric)
        } else {
            Err(ConnectError::config(format!(
                "Invalid value {s} for configuration {DECIMAL_FORMAT_CONFIG}: String must be one of (case insensitive): BASE64, NUMERIC"
            )))
        }
    }
}

impl fmt::Display for DecimalFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The settings that shape value conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonOptions {
    /// How Decimal values are written; reading accepts both forms.
    pub decimal_format: DecimalFormat,
    /// Whether a null value of a schema with a default is written, and read, as the
    /// default (otherwise as null, which an optional schema allows).
    pub replace_null_with_default: bool,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions { decimal_format: DecimalFormat::Base64, replace_null_with_default: true }
    }
}

/// Kafka's JSON form of a schema (`{"type":"int32","optional":false}`, …), with the
/// default value written as `JsonOptions::default()` says; a default that cannot be
/// written (a Decimal of another scale) is left out.
pub fn schema_to_json(schema: &Schema) -> serde_json::Value {
    tree::to_serde(&schema::to_json_lenient(schema, &JsonOptions::default()))
}

/// The schema of Kafka's JSON form of a schema.
pub fn schema_from_json(json: &serde_json::Value) -> Result<Schema> {
    let json = tree::from_serde(json);
    match schema::from_json(&json, &JsonOptions::default())? {
        Some(schema) => Ok(schema),
        None => Err(ConnectError::data("Schema must contain 'type' field")),
    }
}

/// The JSON of a value, written as `schema` says (or inferred from the value without a
/// schema). Numbers that are not `i64` go through `serde_json::Number`, so a NUMERIC
/// decimal beyond `f64` precision is rounded here; the converter's own output is exact.
pub fn value_to_json(
    schema: Option<&Schema>,
    value: &Value,
    options: &JsonOptions,
) -> Result<serde_json::Value> {
    encode::encode(schema, value, options, &Path::Root).map(|j| tree::to_serde(&j))
}

/// The value of JSON read as `schema` says (or inferred from the JSON without a schema).
pub fn value_from_json(
    schema: Option<&Schema>,
    json: &serde_json::Value,
    options: &JsonOptions,
) -> Result<Value> {
    decode::decode(schema, &tree::from_serde(json), options, &Path::Root)
}

/// Where in a value a conversion is, for error messages; rendered only on error.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    /// The whole value.
    Root,
    /// A struct field.
    Field(&'a Path<'a>, &'a str),
    /// An array element.
    Index(&'a Path<'a>, usize),
    /// A map key.
    MapKey(&'a Path<'a>),
    /// A map value.
    MapValue(&'a Path<'a>),
}

impl Path<'_> {
    fn render(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Field(parent, name) => {
                parent.render(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Path::Index(parent, i) => {
                parent.render(out);
                out.push_str(&format!("[{i}]"));
            }
            Path::MapKey(parent) => {
                parent.render(out);
                out.push_str("<key>");
            }
            Path::MapValue(parent) => {
                parent.render(out);
                out.push_str("<value>");
            }
        }
    }

    fn describe(&self) -> Option<String> {
        let mut out = String::new();
        self.render(&mut out);
        (!out.is_empty()).then_some(out)
    }

    /// A data error at this place.
    pub(crate) fn error(&self, message: impl Into<String>) -> ConnectError {
        let message = message.into();
        match self.describe() {
            None => ConnectError::data(message),
            Some(p) => ConnectError::data(format!("{message} (field \"{p}\")")),
        }
    }

    /// `error` at this place, keeping the error's kind.
    pub(crate) fn wrap(&self, error: ConnectError) -> ConnectError {
        match self.describe() {
            None => error,
            Some(p) => {
                ConnectError::new(error.kind(), format!("{} (field \"{p}\")", error.message()))
            }
        }
    }

    /// Kafka's error for a null where a required value is expected, naming the field.
    pub(crate) fn null_error(&self, ty: Type) -> ConnectError {
        match self.describe() {
            None => ConnectError::data(format!("Invalid null value for required {ty} field")),
            Some(p) => {
                ConnectError::data(format!("Invalid null value for required {ty} field \"{p}\""))
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Schema → its JSON text; the last schema seen is kept apart so a stream of records of
/// one schema object costs a pointer comparison.
struct SchemaTexts {
    last: Option<(Schema, Arc<[u8]>)>,
    map: LruCache<Schema, Arc<[u8]>>,
}

/// Kafka Connect's JSON converter (`org.apache.kafka.connect.json.JsonConverter`): a
/// [`Converter`] for keys and values and a [`HeaderConverter`].
///
/// Settings: `schemas.enable` (default `true`), `schemas.cache.size` (default 1000),
/// `decimal.format` (`BASE64` or `NUMERIC`), `replace.null.with.default` (default
/// `true`). A null value without a schema is written as no bytes (a tombstone); with a
/// schema, Kafka writes it as JSON `null` (inside the envelope when schemas are
/// enabled), and so does this converter. No bytes read back as a null without schema.
pub struct JsonConverter {
    schemas_enable: bool,
    options: JsonOptions,
    cache_size: usize,
    to_json: Mutex<SchemaTexts>,
    from_json: Mutex<LruCache<Json, Schema>>,
    /// Envelope schemas by their text (see `envelope`).
    by_text: Mutex<LruCache<Box<[u8]>, Option<Schema>>>,
}

impl fmt::Debug for JsonConverter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonConverter")
            .field("schemas_enable", &self.schemas_enable)
            .field("options", &self.options)
            .field("cache_size", &self.cache_size)
            .finish_non_exhaustive()
    }
}

impl Default for JsonConverter {
    fn default() -> Self {
        Self::new()
    }
}

impl JsonConverter {
    /// A converter with Kafka's defaults (schemas enabled, BASE64 decimals, cache of
    /// 1000 schemas, nulls replaced by defaults).
    pub fn new() -> Self {
        JsonConverter {
            schemas_enable: true,
            options: JsonOptions::default(),
            cache_size: 1000,
            to_json: Mutex::new(SchemaTexts { last: None, map: LruCache::new(1000) }),
            from_json: Mutex::new(LruCache::new(1000)),
            by_text: Mutex::new(LruCache::new(1000)),
        }
    }

    /// Sets `schemas.enable`.
    pub fn with_schemas_enable(mut self, enable: bool) -> Self {
        self.schemas_enable = enable;
        self
    }

    /// Sets the value conversion options.
    pub fn with_options(mut self, options: JsonOptions) -> Self {
        self.options = options;
        self.reset_caches();
        self
    }

    /// Sets `schemas.cache.size` (0 disables caching).
    pub fn with_cache_size(mut self, size: usize) -> Self {
        self.cache_size = size;
        self.reset_caches();
        self
    }

    /// Whether values are wrapped in schema/payload envelopes.
    pub fn schemas_enabled(&self) -> bool {
        self.schemas_enable
    }

    /// The value conversion options.
    pub fn options(&self) -> &JsonOptions {
        &self.options
    }

    fn reset_caches(&mut self) {
        self.to_json = Mutex::new(SchemaTexts { last: None, map: LruCache::new(self.cache_size) });
        self.from_json = Mutex::new(LruCache::new(self.cache_size));
        self.by_text = Mutex::new(LruCache::new(self.cache_size));
    }

    /// The definition of the converter's settings (with Kafka's `converter.type`,
    /// which `configure` sets itself).
    pub fn definition() -> ConfigDef {
        ConfigDef::new()
            .define(converter_type_key())
            .define(
                ConfigKey::new(
                    SCHEMAS_ENABLE_CONFIG,
                    ConfigType::Boolean,
                    Importance::High,
                    "Include schemas within each of the serialized values and keys.",
                )
                .default_value(true)
                .group("Schemas")
                .order_in_group(0)
                .width(Width::Medium)
                .display_name("Enable Schemas"),
            )
            .define(
                ConfigKey::new(
                    SCHEMAS_CACHE_SIZE_CONFIG,
                    ConfigType::Int,
                    Importance::High,
                    "The maximum number of schemas that can be cached in this converter instance.",
                )
                .default_value(1000)
                .group("Schemas")
                .order_in_group(1)
                .width(Width::Medium)
                .display_name("Schema Cache Size"),
            )
            .define(
                ConfigKey::new(
                    DECIMAL_FORMAT_CONFIG,
                    ConfigType::String,
                    Importance::Low,
                    "Controls which format this converter will serialize decimals in. This value is case insensitive and can be either 'BASE64' (default) or 'NUMERIC'",
                )
                .default_value("BASE64")
                .validator(ValidString::in_list_case_insensitive(["BASE64", "NUMERIC"]))
                .group("Serialization")
                .order_in_group(0)
                .width(Width::Medium)
                .display_name("Decimal Format"),
            )
            .define(
                ConfigKey::new(
                    REPLACE_NULL_WITH_DEFAULT_CONFIG,
                    ConfigType::Boolean,
                    Importance::Low,
                    "Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.",
                )
                .default_value(true)
                .group("Serialization")
                .order_in_group(1)
                .width(Width::Medium)
                .display_name("Replace null with default"),
            )
    }

    fn apply(&mut self, config: &RawConfig, ty: ConverterType) -> Result<()> {
        let parsed = parse_config(&Self::definition(), config, ty)?;
        self.schemas_enable = parsed.get_bool(SCHEMAS_ENABLE_CONFIG)?;
        self.cache_size = usize::try_from(parsed.get_int(SCHEMAS_CACHE_SIZE_CONFIG)?).unwrap_or(0);
        self.options = JsonOptions {
            decimal_format: parsed.get_string(DECIMAL_FORMAT_CONFIG)?.parse()?,
            replace_null_with_default: parsed.get_bool(REPLACE_NULL_WITH_DEFAULT_CONFIG)?,
        };
        self.reset_caches();
        Ok(())
    }

    /// Serializes a value: no bytes for a null without schema, else the envelope or
    /// the bare JSON.
    pub fn serialize(&self, schema: Option<&Schema>, value: &Value) -> Result<Option<Vec<u8>>> {
        let mut out = Vec::new();
        Ok(self.serialize_into(schema, value, &mut out)?.then_some(out))
    }

    /// Serializes into `out` (cleared first); `false` for a null without schema (no
    /// bytes).
    fn serialize_into(
        &self,
        schema: Option<&Schema>,
        value: &Value,
        out: &mut Vec<u8>,
    ) -> Result<bool> {
        out.clear();
        if schema.is_none() && value.is_null() {
            return Ok(false);
        }
        if !self.schemas_enable {
            out.reserve(128);
            encode::encode_into(out, schema, value, &self.options, &Path::Root)?;
            return Ok(true);
        }
        let schema_text = match schema {
            Some(s) => self.schema_text(s)?,
            None => Arc::from(&b"null"[..]),
        };
        out.reserve(schema_text.len() + 128);
        out.extend_from_slice(b"{\"schema\":");
        out.extend_from_slice(&schema_text);
        out.extend_from_slice(b",\"payload\":");
        encode::encode_into(out, schema, value, &self.options, &Path::Root)?;
        out.push(b'}');
        Ok(true)
    }

    /// Deserializes bytes: no bytes (and, without schemas, empty input) read as a
    /// null without schema.
    pub fn deserialize(&self, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        let Some(data) = data else {
            return Ok(SchemaAndValue::null());
        };
        if self.schemas_enable
            && self.cache_size > 0
            && let Some(found) = self.deserialize_compact(data)
        {
            return Ok(found);
        }
        let parsed = tree::parse(data).map_err(|e| {
            ConnectError::data(format!(
                "Converting byte[] to Kafka Connect data failed due to serialization error: {e}"
            ))
        })?;
        if !self.schemas_enable {
            let Some(json) = parsed else {
                return Ok(SchemaAndValue::null());
            };
            let value = decode::decode(None, &json, &self.options, &Path::Root)?;
            return Ok(SchemaAndValue::new(None, value));
        }
        let Some(Json::Object(members)) = parsed else {
            return Err(ConnectError::data(ENVELOPE_REQUIRED_MESSAGE));
        };
        let (mut schema_json, mut payload) = (None, None);
        let count = members.len();
        for (k, v) in members {
            match k.as_str() {
                "schema" => schema_json = Some(v),
                "payload" => payload = Some(v),
                _ => {}
            }
        }
        let (Some(schema_json), Some(payload), 2) = (schema_json, payload, count) else {
            return Err(ConnectError::data(ENVELOPE_REQUIRED_MESSAGE));
        };
        let schema = self.schema_of(schema_json)?;
        let value = decode::decode(schema.as_ref(), &payload, &self.options, &Path::Root)?;
        Ok(SchemaAndValue::new(schema, value))
    }

    fn schema_text(&self, schema: &Schema) -> Result<Arc<[u8]>> {
        if self.cache_size > 0 {
            let mut cache = lock(&self.to_json);
            if let Some((last, text)) = &cache.last
                && last.ptr_eq(schema)
            {
                return Ok(text.clone());
            }
            if let Some(text) = cache.map.get(schema) {
                cache.last = Some((schema.clone(), text.clone()));
                return Ok(text);
            }
        }
        let text: Arc<[u8]> = tree::to_bytes(&schema::to_json(schema, &self.options)?).into();
        if self.cache_size > 0 {
            let mut cache = lock(&self.to_json);
            cache.map.insert(schema.clone(), text.clone());
            cache.last = Some((schema.clone(), text.clone()));
        }
        Ok(text)
    }

    /// The fast path of [`deserialize`](Self::deserialize) for a compact envelope whose
    /// schema text was seen before (or parses): only the payload is parsed. `None` sends
    /// the record down the general path (which gives errors their usual messages).
    fn deserialize_compact(&self, data: &[u8]) -> Option<SchemaAndValue> {
        let (schema_text, payload) = envelope::split(data)?;
        let cached = lock(&self.by_text).get(schema_text);
        let schema = match cached {
            Some(schema) => schema,
            None => {
                let json = tree::parse(schema_text).ok()??;
                let schema = self.schema_of(json).ok()?;
                lock(&self.by_text).insert(schema_text.into(), schema.clone());
                schema
            }
        };
        let payload = tree::parse(payload).ok()??;
        let value = decode::decode(schema.as_ref(), &payload, &self.options, &Path::Root).ok()?;
        Some(SchemaAndValue::new(schema, value))
    }

    fn schema_of(&self, json: Json) -> Result<Option<Schema>> {
        if let Json::Null = json {
            return Ok(None);
        }
        if let Some(schema) = lock(&self.from_json).get(&json) {
            return Ok(Some(schema));
        }
        let schema = schema::from_json(&json, &self.options)?;
        if let Some(s) = &schema {
            lock(&self.from_json).insert(json, s.clone());
        }
        Ok(schema)
    }
}

#[async_trait]
impl Converter for JsonConverter {
    fn configure(&mut self, config: &RawConfig, is_key: bool) -> Result<()> {
        self.apply(config, if is_key { ConverterType::Key } else { ConverterType::Value })
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
        buf: &'a mut Vec<u8>,
    ) -> Option<Result<Option<&'a [u8]>>> {
        let written = self.serialize_into(schema, value, buf);
        let buf: &'a Vec<u8> = buf;
        Some(written.map(|some| some.then_some(buf.as_slice())))
    }

    fn to_connect_data_sync(
        &self,
        _topic: &str,
        _headers: &Headers,
        data: Option<&[u8]>,
    ) -> Option<Result<SchemaAndValue>> {
        Some(self.deserialize(data))
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

impl HeaderConverter for JsonConverter {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        self.apply(config, ConverterType::Header)
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
        self.deserialize(data)
    }
}
