//! Configuration definitions, parsing and validation, after Kafka's
//! `org.apache.kafka.common.config.ConfigDef` as Kafka Connect uses it.
//!
//! - A [`ConfigDef`] lists [`ConfigKey`]s: name, [`Type`], default (or required),
//!   [`Importance`], documentation, an optional [`Validator`] and [`Recommender`],
//!   and UI hints (group, order, [`Width`], display name, dependents).
//! - [`ConfigDef::parse`] turns a [`RawConfig`] (strings, as from REST or a
//!   `.properties` file) into a [`ParsedConfig`] of typed [`ConfigValue`]s, or one
//!   error of kind config listing every bad key ([`ConfigErrors`] gives the list).
//! - [`ParsedConfig::into_typed`] deserializes the typed values into a connector's
//!   own serde struct.
//! - [`ConfigDef::validate`] checks key by key without failing, giving a
//!   [`ConfigReport`] that [`ConfigInfos`] renders as the REST
//!   `config/validate` JSON.
//!
//! Password values ([`Password`]) print as `[hidden]` everywhere: `Debug`,
//! `Display`, serde output, error messages, reports and REST JSON.
//!
//! ```
//! use connect_api::config::{ConfigDef, ConfigInfos, ConfigKey, Importance, Range, RawConfig, Type};
//!
//! let def = ConfigDef::new()
//!     .define(ConfigKey::new("connection.url", Type::String, Importance::High, "JDBC URL.").group("Connection"))
//!     .define(ConfigKey::new("connection.password", Type::Password, Importance::High, "Password.")
//!         .optional()
//!         .group("Connection"))
//!     .define(ConfigKey::new("batch.size", Type::Int, Importance::Medium, "Rows per batch.")
//!         .default_value(3000)
//!         .validator(Range::at_least(1)));
//!
//! let mut raw = RawConfig::new();
//! raw.insert("connection.url".into(), "jdbc:postgresql://db/app".into());
//! raw.insert("batch.size".into(), "0".into());
//!
//! let err = def.parse(&raw).unwrap_err();
//! assert_eq!(err.message(), "Invalid value 0 for configuration batch.size: Value must be at least 1");
//!
//! let report = def.validate(&raw);
//! assert_eq!(report.error_count(), 1);
//! let json = serde_json::to_value(ConfigInfos::new("JdbcSinkConnector", &def, &report)).unwrap();
//! assert_eq!(json["groups"], serde_json::json!(["Connection"]));
//!
//! raw.insert("batch.size".into(), "500".into());
//! let parsed = def.parse(&raw).unwrap();
//! assert_eq!(parsed.get_int("batch.size").unwrap(), 500);
//! assert!(parsed.get("connection.password").is_none());
//! ```

mod custom;
mod def;
mod key;
mod parsed;
mod report;
mod rest;
mod types;
mod validate;
mod validators;
mod value;

pub use custom::{CompositeValidator, CustomValidator, custom};
pub use def::ConfigDef;
pub use key::{ConfigKey, DefaultValue};
pub use parsed::ParsedConfig;
pub use report::{ConfigErrors, ConfigReport, KeyReport};
pub use rest::{ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo};
pub use types::{Importance, Password, Type, Width};
pub use validators::{
    NonEmptyString, NonNullValidator, Number, Range, Recommender, ValidList, ValidString, Validator,
};
pub use value::ConfigValue;

/// A raw configuration, as it comes from the REST API or a `.properties` file:
/// key to string value.
///
/// ```
/// use connect_api::config::RawConfig;
///
/// let mut raw = RawConfig::new();
/// raw.insert("tasks.max".to_string(), "1".to_string());
/// ```
pub type RawConfig = std::collections::BTreeMap<String, String>;

#[cfg(test)]
mod tests;
