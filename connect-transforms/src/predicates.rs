//! Predicates: `TopicNameMatches`, `HasHeaderKey`, `RecordIsTombstone`.

use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
use connect_api::record::ConnectRecord;
use connect_api::transform::Predicate;
use connect_api::{ConnectError, Result};
use regex::Regex;

use crate::common::valid_regex;

/// True for records whose topic matches `pattern` entirely.
#[derive(Debug, Default)]
pub struct TopicNameMatches {
    pattern: Option<Regex>,
}

impl<R: ConnectRecord> Predicate<R> for TopicNameMatches {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let p = config.get("pattern").ok_or_else(|| {
            ConnectError::config(
                "Missing required configuration \"pattern\" which has no default value.",
            )
        })?;
        self.pattern = Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| {
            ConnectError::config(format!("Invalid value {p} for configuration pattern: {e}"))
        })?);
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(
            ConfigKey::new(
                "pattern",
                Type::String,
                Importance::Medium,
                "Regular expression for topic names.",
            )
            .validator(valid_regex()),
        )
    }

    fn test(&self, record: &R) -> bool {
        self.pattern.as_ref().is_some_and(|p| p.is_match(record.topic()))
    }
}

/// True for records with at least one header named `name`.
#[derive(Debug, Default)]
pub struct HasHeaderKey {
    name: String,
}

impl<R: ConnectRecord> Predicate<R> for HasHeaderKey {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        self.name = config.get("name").cloned().ok_or_else(|| {
            ConnectError::config(
                "Missing required configuration \"name\" which has no default value.",
            )
        })?;
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new().define(ConfigKey::new(
            "name",
            Type::String,
            Importance::Medium,
            "The header name.",
        ))
    }

    fn test(&self, record: &R) -> bool {
        record.headers().last_with_name(&self.name).is_some()
    }
}

/// True for tombstones (null value).
#[derive(Debug, Default)]
pub struct RecordIsTombstone;

impl<R: ConnectRecord> Predicate<R> for RecordIsTombstone {
    fn configure(&mut self, _config: &RawConfig) -> Result<()> {
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn test(&self, record: &R) -> bool {
        record.value().is_null()
    }
}
