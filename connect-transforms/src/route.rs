//! Routing and filtering: `RegexRouter` and `Filter`.

use connect_api::config::{ConfigDef, ConfigKey, Importance, RawConfig, Type};
use connect_api::record::ConnectRecord;
use connect_api::transform::Transformation;
use connect_api::{ConnectError, Result};
use regex::Regex;

use crate::common::valid_regex;

/// Renames topics matching a regular expression (Kafka's `RegexRouter`): `regex` must
/// match the whole topic; `replacement` may use `$1`-style groups.
#[derive(Debug, Default)]
pub struct RegexRouter {
    rule: Option<(Regex, String)>,
}

impl<R: ConnectRecord> Transformation<R> for RegexRouter {
    fn configure(&mut self, config: &RawConfig) -> Result<()> {
        let get = |k: &str| {
            config.get(k).cloned().ok_or_else(|| {
                ConnectError::config(format!(
                    "Missing required configuration \"{k}\" which has no default value."
                ))
            })
        };
        let pattern = get("regex")?;
        let replacement = get("replacement")?;
        // Java's Matcher.matches(): the whole topic must match.
        let regex = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            ConnectError::config(format!("Invalid value {pattern} for configuration regex: {e}"))
        })?;
        self.rule = Some((regex, replacement));
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new(
                    "regex",
                    Type::String,
                    Importance::High,
                    "Regular expression to match topics against.",
                )
                .validator(valid_regex()),
            )
            .define(ConfigKey::new(
                "replacement",
                Type::String,
                Importance::High,
                "Replacement string.",
            ))
    }

    fn apply(&mut self, mut record: R) -> Result<Option<R>> {
        if let Some((regex, replacement)) = &self.rule
            && regex.is_match(record.topic())
        {
            let topic = regex.replace(record.topic(), replacement.as_str()).into_owned();
            record.set_topic(topic);
        }
        Ok(Some(record))
    }
}

/// Drops every record it is applied to (Kafka's `Filter`); used with a predicate.
#[derive(Debug, Default)]
pub struct Filter;

impl<R: ConnectRecord> Transformation<R> for Filter {
    fn configure(&mut self, _config: &RawConfig) -> Result<()> {
        Ok(())
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }

    fn apply(&mut self, _record: R) -> Result<Option<R>> {
        Ok(None)
    }
}
