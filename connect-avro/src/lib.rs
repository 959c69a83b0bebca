//! # connect-avro
//!
//! [`AvroConverter`]: Confluent's `io.confluent.connect.avro.AvroConverter`, written anew,
//! as a plugin for the runtime's registry ([`plugins`]).
//!
//! Records are written in Confluent's wire format: magic byte 0, the schema's registry id
//! as 4 big-endian bytes, then the Avro binary encoding of the value. The Avro schema is
//! derived from the Connect schema as Confluent's `AvroData` does ([`connect_to_avro`]),
//! registered under the subject the subject name strategy gives (`<topic>-value` by
//! default) as it first appears, and cached by schema identity, so the common path does
//! no registry call and no schema work. Reading fetches the writer's schema by id once,
//! maps it to a Connect schema ([`avro_to_connect`]) and caches both.
//!
//! Registry calls go through `schema_registry_converter`; the Avro binary encoding is done
//! straight from Connect values to bytes along a precomputed plan; `apache-avro` checks
//! the schemas read from the registry.

mod codec;
mod config;
mod data;
mod defaults;
mod plan;
mod registry;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use connect_api::config::{ConfigDef, RawConfig};
use connect_api::convert::Converter;
use connect_api::data::{Schema, SchemaAndValue, Value};
use connect_api::error::{ConnectError, Result};
use connect_api::record::Headers;
use serde_json::Value as Json;

pub use self::config::{
    AUTO_REGISTER_SCHEMAS_CONFIG, AvroConverterConfig, BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG,
    BASIC_AUTH_USER_INFO_CONFIG, CONNECT_META_DATA_CONFIG, ENHANCED_AVRO_SCHEMA_SUPPORT_CONFIG,
    KEY_SUBJECT_NAME_STRATEGY_CONFIG, RECORD_NAME_STRATEGY, SCHEMA_REGISTRY_URL_CONFIG,
    SCHEMAS_CACHE_CONFIG, SCRUB_INVALID_NAMES_CONFIG, SubjectNameStrategy, TOPIC_NAME_STRATEGY,
    TOPIC_RECORD_NAME_STRATEGY, USE_LATEST_VERSION_CONFIG, VALUE_SUBJECT_NAME_STRATEGY_CONFIG,
};
pub use self::data::{
    AVRO_NAMESPACE, AvroDataOptions, DEFAULT_PRECISION, DEFAULT_SCHEMA_NAME, ENUM_NAME,
    MAP_ENTRY_TYPE_NAME, PRECISION_PARAMETER, UNION_NAME, connect_to_avro,
};
use self::plan::Node;
use self::registry::Registry;

/// Confluent's class name of the Avro converter.
pub const AVRO_CONVERTER_CLASS: &str = "io.confluent.connect.avro.AvroConverter";

/// The Avro converter as a plugin, under Confluent's class name (and Kafka's implicit
/// aliases `AvroConverter` and `Avro`).
///
/// ```
/// let plugins = connect_avro::plugins();
/// assert_eq!(plugins[0].class_name(), "io.confluent.connect.avro.AvroConverter");
/// ```
pub fn plugins() -> Vec<connect_api::plugin::PluginDescriptor> {
    vec![connect_api::plugin::PluginDescriptor::converter(
        AVRO_CONVERTER_CLASS,
        env!("CARGO_PKG_VERSION"),
        || Box::new(AvroConverter::new()),
    )]
}

/// Gives the top-level Avro schema `avro` the Connect version `version`, unless it names
/// its own `connect.version` (Confluent's `AvroData` does the same). A top-level union has
/// nowhere to carry it and stays as it is.
fn with_version(avro: &mut Json, version: u32) {
    match avro {
        Json::Object(obj) => {
            obj.entry(data::CONNECT_VERSION).or_insert_with(|| Json::from(version));
        }
        Json::String(t) => {
            let mut obj = serde_json::Map::new();
            obj.insert("type".into(), Json::String(std::mem::take(t)));
            obj.insert(data::CONNECT_VERSION.into(), Json::from(version));
            *avro = Json::Object(obj);
        }
        _ => {}
    }
}

/// The first byte of every record in Confluent's wire format.
pub const MAGIC_BYTE: u8 = 0;

/// The Connect schema of an Avro schema given as JSON text, as the converter reads it.
pub fn avro_to_connect(avro: &str) -> Result<Schema> {
    let json: Json = serde_json::from_str(avro)
        .map_err(|e| ConnectError::schema(format!("Invalid Avro schema JSON: {e}")))?;
    plan::avro_to_connect(&json).map(|(s, _)| s)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How a Connect schema is written: its registry id and the plan.
struct Writer {
    id: u32,
    node: Node,
}

/// A Connect schema mapped to Avro, independent of subject.
struct Mapped {
    text: String,
    record_name: Option<String>,
    node: Node,
}

/// What a schema id reads as.
struct Decoded {
    schema: Schema,
    node: Node,
    /// For a schema whose subject did not hold it (no version): when to ask again, since a
    /// registry replica may have been behind.
    ask_again: Option<std::time::Instant>,
}

/// How long a schema read without a version is used before its subject is asked again.
const VERSIONLESS_TTL: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Default)]
struct EncodeCache {
    last: Option<(String, Schema, Arc<Writer>)>,
    mapped: HashMap<Schema, Arc<Mapped>>,
    by_subject: HashMap<String, HashMap<Schema, Arc<Writer>>>,
}

/// Confluent's Avro converter (`io.confluent.connect.avro.AvroConverter`).
///
/// Settings (prefix stripped): `schema.registry.url` (required, comma list),
/// `auto.register.schemas` (default `true`), `use.latest.version` (default `false`),
/// `key.subject.name.strategy` / `value.subject.name.strategy` (Confluent's
/// `TopicNameStrategy`, `RecordNameStrategy`, `TopicRecordNameStrategy`),
/// `basic.auth.credentials.source` + `basic.auth.user.info`, `schemas.cache.config`,
/// `connect.meta.data`, `enhanced.avro.schema.support`, `scrub.invalid.names`.
///
/// Values without a Connect schema are refused; a null value is written as no bytes.
pub struct AvroConverter {
    config: AvroConverterConfig,
    is_key: bool,
    registry: Option<Registry>,
    encode: Mutex<EncodeCache>,
    /// What schema id → topic reads as (the topic gives the subject, the subject the
    /// schema's version).
    decode: Mutex<HashMap<u32, HashMap<String, Arc<Decoded>>>>,
}

impl fmt::Debug for AvroConverter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AvroConverter")
            .field("config", &self.config)
            .field("is_key", &self.is_key)
            .finish_non_exhaustive()
    }
}

impl Default for AvroConverter {
    fn default() -> Self {
        Self::new()
    }
}

impl AvroConverter {
    /// An unconfigured converter; [`Converter::configure`] must give it a registry URL.
    pub fn new() -> Self {
        AvroConverter {
            config: AvroConverterConfig {
                cache_size: 1000,
                auto_register: true,
                ..Default::default()
            },
            is_key: false,
            registry: None,
            encode: Mutex::new(EncodeCache::default()),
            decode: Mutex::new(HashMap::new()),
        }
    }

    /// A converter with parsed settings, for the key side when `is_key`.
    pub fn with_config(config: AvroConverterConfig, is_key: bool) -> Result<Self> {
        let registry = Some(Registry::new(&config)?);
        Ok(AvroConverter {
            config,
            is_key,
            registry,
            encode: Mutex::new(EncodeCache::default()),
            decode: Mutex::new(HashMap::new()),
        })
    }

    /// The definition of the converter's settings.
    pub fn definition() -> ConfigDef {
        config::definition()
    }

    /// The settings in use.
    pub fn config(&self) -> &AvroConverterConfig {
        &self.config
    }

    fn registry(&self) -> Result<&Registry> {
        self.registry.as_ref().ok_or_else(|| {
            ConnectError::config("AvroConverter is not configured: schema.registry.url is not set")
        })
    }

    fn mapped(&self, schema: &Schema) -> Result<Arc<Mapped>> {
        if let Some(m) = lock(&self.encode).mapped.get(schema) {
            return Ok(m.clone());
        }
        let avro = connect_to_avro(schema, &self.config.data)?;
        let text = avro.to_string();
        apache_avro::Schema::parse_str(&text).map_err(|e| {
            ConnectError::schema(format!(
                "Connect schema {schema} maps to an invalid Avro schema: {e}"
            ))
        })?;
        let (_, mut node) = plan::avro_to_connect(&avro)?;
        plan::bind(&mut node, schema);
        let record_name = data::full_name(&avro);
        let m = Arc::new(Mapped { text, record_name, node });
        let mut cache = lock(&self.encode);
        if cache.mapped.len() >= self.config.cache_size.max(1) {
            cache.mapped.clear();
        }
        cache.mapped.insert(schema.clone(), m.clone());
        Ok(m)
    }

    async fn writer(&self, topic: &str, schema: &Schema) -> Result<Arc<Writer>> {
        {
            let cache = lock(&self.encode);
            if let Some((t, s, w)) = &cache.last
                && s.ptr_eq(schema)
                && t == topic
            {
                return Ok(w.clone());
            }
        }
        let mapped = self.mapped(schema)?;
        let subject = self.config.subject_strategy.subject(
            topic,
            self.is_key,
            mapped.record_name.as_deref(),
        )?;
        let hit = lock(&self.encode).by_subject.get(&subject).and_then(|m| m.get(schema)).cloned();
        let writer = match hit {
            Some(w) => w,
            None => {
                let registry = self.registry()?;
                let writer = if self.config.use_latest_version {
                    let (id, text) = registry.latest(&subject).await?;
                    let json: Json = serde_json::from_str(&text).map_err(|e| {
                        ConnectError::schema(format!(
                            "Invalid Avro schema {id} in the registry: {e}"
                        ))
                    })?;
                    let (_, node) = plan::avro_to_connect(&json)?;
                    Writer { id, node }
                } else if self.config.auto_register {
                    let id = registry.register(&subject, &mapped.text).await?;
                    Writer { id, node: mapped.node.clone() }
                } else {
                    let id = registry.lookup(&subject, &mapped.text).await?;
                    Writer { id, node: mapped.node.clone() }
                };
                let writer = Arc::new(writer);
                let mut cache = lock(&self.encode);
                let total: usize = cache.by_subject.values().map(HashMap::len).sum();
                if total >= self.config.cache_size.max(1) {
                    cache.by_subject.clear();
                }
                cache.by_subject.entry(subject).or_default().insert(schema.clone(), writer.clone());
                writer
            }
        };
        lock(&self.encode).last = Some((topic.to_string(), schema.clone(), writer.clone()));
        Ok(writer)
    }

    /// What schema `id` read from `topic` decodes as. As Confluent's converter does, the
    /// Connect schema carries the version the schema has under the subject the strategy
    /// gives for `topic` (unless the schema names its own `connect.version`), so that sinks
    /// can order the schemas they see (the HDFS sink's `schema.compatibility`). Cached by
    /// id and topic (which, with the schema's record name, gives the subject).
    async fn reader(&self, topic: &str, id: u32) -> Result<Arc<Decoded>> {
        if let Some(d) = lock(&self.decode).get(&id).and_then(|by_topic| by_topic.get(topic))
            && d.ask_again.is_none_or(|at| std::time::Instant::now() < at)
        {
            return Ok(d.clone());
        }
        let registry = self.registry()?;
        let text = registry.by_id(id).await?;
        apache_avro::Schema::parse_str(&text).map_err(|e| {
            ConnectError::data(format!("Schema {id} from the registry is not valid Avro: {e}"))
        })?;
        let mut json: Json = serde_json::from_str(&text)
            .map_err(|e| ConnectError::data(format!("Schema {id} is not JSON: {e}")))?;
        let record_name = data::full_name(&json);
        let subject =
            self.config.subject_strategy.subject(topic, self.is_key, record_name.as_deref())?;
        let ask_again = if let Some(version) = registry.version(&subject, &text).await? {
            with_version(&mut json, version);
            None
        } else {
            tracing::warn!(
                "Schema {id} read from topic {topic} is not registered under subject \"{subject}\": its Connect schema has no version (asking again in {} s)",
                VERSIONLESS_TTL.as_secs()
            );
            Some(std::time::Instant::now() + VERSIONLESS_TTL)
        };
        let (schema, node) = plan::avro_to_connect(&json)?;
        let decoded = Arc::new(Decoded { schema, node, ask_again });
        let mut cache = lock(&self.decode);
        if cache.values().map(HashMap::len).sum::<usize>() >= self.config.cache_size.max(1) {
            cache.clear();
        }
        cache.entry(id).or_default().insert(topic.to_string(), decoded.clone());
        Ok(decoded)
    }

    /// Serializes a value of `topic`: no bytes for null, else the wire format.
    pub async fn serialize(
        &self,
        topic: &str,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        if value.is_null() {
            return Ok(None);
        }
        let Some(schema) = schema else {
            return Err(ConnectError::data(format!(
                "AvroConverter cannot write a value without a Connect schema (topic {topic}); schemaless data needs another converter"
            )));
        };
        let writer = self.writer(topic, schema).await?;
        let mut out = Vec::with_capacity(64);
        out.push(MAGIC_BYTE);
        out.extend_from_slice(&writer.id.to_be_bytes());
        codec::encode(&writer.node, value, &mut out).map_err(|e| {
            ConnectError::new(
                e.kind(),
                format!("Failed to serialize Avro data from topic {topic}: {}", e.message()),
            )
        })?;
        Ok(Some(out))
    }

    /// Deserializes bytes of `topic`; no bytes read as null.
    pub async fn deserialize(&self, topic: &str, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        let Some(data) = data else {
            return Ok(SchemaAndValue::null());
        };
        if data.len() < 5 || data[0] != MAGIC_BYTE {
            return Err(ConnectError::data(format!(
                "Failed to deserialize data for topic {topic} to Avro: Unknown magic byte!"
            )));
        }
        let id = u32::from_be_bytes([data[1], data[2], data[3], data[4]]);
        let decoded = self.reader(topic, id).await?;
        let value = codec::Reader::new(&data[5..]).decode(&decoded.node).map_err(|e| {
            ConnectError::new(
                e.kind(),
                format!(
                    "Failed to deserialize data for topic {topic} with schema {id}: {}",
                    e.message()
                ),
            )
        })?;
        Ok(SchemaAndValue::new(Some(decoded.schema.clone()), value))
    }
}

#[async_trait]
impl Converter for AvroConverter {
    fn configure(&mut self, config: &RawConfig, is_key: bool) -> Result<()> {
        *self = AvroConverter::with_config(AvroConverterConfig::parse(config, is_key)?, is_key)?;
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        Self::definition()
    }

    async fn from_connect_data(
        &self,
        topic: &str,
        _headers: &mut Headers,
        schema: Option<&Schema>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        self.serialize(topic, schema, value).await
    }

    async fn to_connect_data(
        &self,
        topic: &str,
        _headers: &Headers,
        data: Option<&[u8]>,
    ) -> Result<SchemaAndValue> {
        self.deserialize(topic, data).await
    }
}
