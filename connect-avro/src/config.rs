//! The AvroConverter's settings, with Confluent's names and defaults.

use std::fmt;

use connect_api::config::{
    ConfigDef, ConfigKey, Importance, Password, RawConfig, Type as ConfigType, ValidString,
};
use connect_api::error::{ConnectError, Result};

use super::data::AvroDataOptions;
use connect_api::convert::{
    ConverterType, converter_type_key, parse_converter_config as parse_config,
};

/// Comma-separated schema registry URLs; the first that answers is used.
pub const SCHEMA_REGISTRY_URL_CONFIG: &str = "schema.registry.url";
/// Whether new schemas are registered (default `true`).
pub const AUTO_REGISTER_SCHEMAS_CONFIG: &str = "auto.register.schemas";
/// Whether the subject's latest schema is used to write (default `false`).
pub const USE_LATEST_VERSION_CONFIG: &str = "use.latest.version";
/// The subject name strategy of keys.
pub const KEY_SUBJECT_NAME_STRATEGY_CONFIG: &str = "key.subject.name.strategy";
/// The subject name strategy of values.
pub const VALUE_SUBJECT_NAME_STRATEGY_CONFIG: &str = "value.subject.name.strategy";
/// Where basic auth credentials come from: `URL` or `USER_INFO`.
pub const BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG: &str = "basic.auth.credentials.source";
/// `user:password` for basic auth when the source is `USER_INFO` (a secret).
pub const BASIC_AUTH_USER_INFO_CONFIG: &str = "basic.auth.user.info";
/// How many schemas each cache holds.
pub const SCHEMAS_CACHE_CONFIG: &str = "schemas.cache.config";
/// Whether `connect.*` properties are written into Avro schemas (default `true`).
pub const CONNECT_META_DATA_CONFIG: &str = "connect.meta.data";
/// Confluent's enhanced Avro support (accepted).
pub const ENHANCED_AVRO_SCHEMA_SUPPORT_CONFIG: &str = "enhanced.avro.schema.support";
/// Whether names Avro does not allow are rewritten (default `false`).
pub const SCRUB_INVALID_NAMES_CONFIG: &str = "scrub.invalid.names";

/// Confluent's class of the default strategy: `<topic>-key` / `<topic>-value`.
pub const TOPIC_NAME_STRATEGY: &str = "io.confluent.kafka.serializers.subject.TopicNameStrategy";
/// Confluent's class of the strategy naming subjects after the record's full name.
pub const RECORD_NAME_STRATEGY: &str = "io.confluent.kafka.serializers.subject.RecordNameStrategy";
/// Confluent's class of the strategy `<topic>-<record full name>`.
pub const TOPIC_RECORD_NAME_STRATEGY: &str =
    "io.confluent.kafka.serializers.subject.TopicRecordNameStrategy";

/// How the subject of a schema is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` or `<topic>-value`.
    #[default]
    TopicName,
    /// The record's full name.
    RecordName,
    /// `<topic>-<record full name>`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// Parses Confluent's class name or its simple name.
    pub fn parse(s: &str) -> Result<Self> {
        let simple = s.trim().rsplit('.').next().unwrap_or_default();
        match simple {
            "TopicNameStrategy" => Ok(Self::TopicName),
            "RecordNameStrategy" => Ok(Self::RecordName),
            "TopicRecordNameStrategy" => Ok(Self::TopicRecordName),
            _ => Err(ConnectError::config(format!("Unknown subject name strategy {s:?}"))),
        }
    }

    /// The subject of a schema written to `topic`; `record` is the Avro full name of the
    /// schema, when it is a named type.
    pub fn subject(self, topic: &str, is_key: bool, record: Option<&str>) -> Result<String> {
        let record = || {
            record.ok_or_else(|| {
                ConnectError::data(format!(
                    "{self:?} strategy needs a named record schema, topic {topic}"
                ))
            })
        };
        Ok(match self {
            Self::TopicName => format!("{topic}-{}", if is_key { "key" } else { "value" }),
            Self::RecordName => record()?.to_string(),
            Self::TopicRecordName => format!("{topic}-{}", record()?),
        })
    }
}

/// The parsed settings.
#[derive(Clone, Default)]
pub struct AvroConverterConfig {
    /// Registry base URLs, in order.
    pub urls: Vec<String>,
    /// `auto.register.schemas`.
    pub auto_register: bool,
    /// `use.latest.version`.
    pub use_latest_version: bool,
    /// The strategy of this converter's side (key or value).
    pub subject_strategy: SubjectNameStrategy,
    /// Basic auth `(user, password)`, when `USER_INFO` credentials are configured.
    pub basic_auth: Option<(String, Password)>,
    /// `schemas.cache.config`.
    pub cache_size: usize,
    /// Mapping options (`connect.meta.data`, `scrub.invalid.names`).
    pub data: AvroDataOptions,
}

impl fmt::Debug for AvroConverterConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AvroConverterConfig")
            .field("urls", &self.urls)
            .field("auto_register", &self.auto_register)
            .field("use_latest_version", &self.use_latest_version)
            .field("subject_strategy", &self.subject_strategy)
            .field("basic_auth", &self.basic_auth.as_ref().map(|(u, _)| (u, "[hidden]")))
            .field("cache_size", &self.cache_size)
            .field("data", &self.data)
            .finish()
    }
}

fn key(name: &str, ty: ConfigType, importance: Importance, doc: &str) -> ConfigKey {
    ConfigKey::new(name, ty, importance, doc)
}

/// The definition of the AvroConverter's settings.
pub fn definition() -> ConfigDef {
    ConfigDef::new()
        .define(converter_type_key())
        .define(key(
            SCHEMA_REGISTRY_URL_CONFIG,
            ConfigType::List,
            Importance::High,
            "Comma-separated list of URLs for schema registry instances that can be used to register or look up schemas.",
        ))
        .define(
            key(AUTO_REGISTER_SCHEMAS_CONFIG, ConfigType::Boolean, Importance::Medium, "Specify if the Serializer should attempt to register the Schema with Schema Registry.")
                .default_value(true),
        )
        .define(
            key(USE_LATEST_VERSION_CONFIG, ConfigType::Boolean, Importance::Low, "Specify if the Serializer should use the latest subject version for serialization.")
                .default_value(false),
        )
        .define(
            key(KEY_SUBJECT_NAME_STRATEGY_CONFIG, ConfigType::String, Importance::Medium, "Determines how to construct the subject name under which the key schema is registered with the schema registry.")
                .default_value(TOPIC_NAME_STRATEGY),
        )
        .define(
            key(VALUE_SUBJECT_NAME_STRATEGY_CONFIG, ConfigType::String, Importance::Medium, "Determines how to construct the subject name under which the value schema is registered with the schema registry.")
                .default_value(TOPIC_NAME_STRATEGY),
        )
        .define(
            key(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, ConfigType::String, Importance::Medium, "Specify how to pick the credentials for the Basic Auth header. The supported values are URL, USER_INFO and SASL_INHERIT.")
                .default_value("URL")
                .validator(ValidString::in_list_case_insensitive(["URL", "USER_INFO", "SASL_INHERIT"])),
        )
        .define(
            key(BASIC_AUTH_USER_INFO_CONFIG, ConfigType::Password, Importance::Medium, "Specify the user info for the Basic Auth in the form of {username}:{password}.")
                .default_value(Password::from("")),
        )
        .define(
            key(SCHEMAS_CACHE_CONFIG, ConfigType::Int, Importance::Low, "Size of the converted schemas cache.")
                .default_value(1000),
        )
        .define(
            key(CONNECT_META_DATA_CONFIG, ConfigType::Boolean, Importance::Low, "Toggle for enabling/disabling connect converter to add its meta data to the output schema or not.")
                .default_value(true),
        )
        .define(
            key(ENHANCED_AVRO_SCHEMA_SUPPORT_CONFIG, ConfigType::Boolean, Importance::Low, "Toggle for enabling/disabling enhanced avro schema support: Enum symbol preservation and Package Name awareness.")
                .default_value(false),
        )
        .define(
            key(SCRUB_INVALID_NAMES_CONFIG, ConfigType::Boolean, Importance::Low, "Whether to scrub invalid names from the schema.")
                .default_value(false),
        )
}

impl AvroConverterConfig {
    /// Parses the settings of a key (`is_key`) or value converter.
    pub fn parse(config: &RawConfig, is_key: bool) -> Result<Self> {
        let ty = if is_key { ConverterType::Key } else { ConverterType::Value };
        let parsed = parse_config(&definition(), config, ty)?;
        let urls: Vec<String> = parsed
            .get_list(SCHEMA_REGISTRY_URL_CONFIG)?
            .iter()
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if urls.is_empty() {
            return Err(ConnectError::config(format!(
                "Missing required configuration \"{SCHEMA_REGISTRY_URL_CONFIG}\" which has no default value."
            )));
        }
        let strategy_key = if is_key {
            KEY_SUBJECT_NAME_STRATEGY_CONFIG
        } else {
            VALUE_SUBJECT_NAME_STRATEGY_CONFIG
        };
        let source = parsed.get_string(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG)?.to_ascii_uppercase();
        let user_info = parsed.get_password(BASIC_AUTH_USER_INFO_CONFIG)?;
        let basic_auth = if source == "USER_INFO" && !user_info.value().is_empty() {
            let (user, password) = user_info.value().split_once(':').ok_or_else(|| {
                ConnectError::config(format!(
                    "{BASIC_AUTH_USER_INFO_CONFIG} must be of the form user:password"
                ))
            })?;
            Some((user.to_string(), Password::from(password)))
        } else {
            None
        };
        Ok(AvroConverterConfig {
            urls,
            auto_register: parsed.get_bool(AUTO_REGISTER_SCHEMAS_CONFIG)?,
            use_latest_version: parsed.get_bool(USE_LATEST_VERSION_CONFIG)?,
            subject_strategy: SubjectNameStrategy::parse(parsed.get_string(strategy_key)?)?,
            basic_auth,
            cache_size: usize::try_from(parsed.get_int(SCHEMAS_CACHE_CONFIG)?).unwrap_or(0),
            data: AvroDataOptions {
                connect_meta_data: parsed.get_bool(CONNECT_META_DATA_CONFIG)?,
                scrub_invalid_names: parsed.get_bool(SCRUB_INVALID_NAMES_CONFIG)?,
            },
        })
    }
}
