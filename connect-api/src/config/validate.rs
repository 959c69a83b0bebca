//! [`ConfigDef::validate`]: checking a configuration key by key without failing,
//! with recommenders, as Kafka's `ConfigDef.validateAll`.

use std::collections::BTreeMap;

use super::RawConfig;
use super::def::{ConfigDef, undefined_dependent_message};
use super::report::{ConfigReport, KeyReport};

impl ConfigDef {
    /// Validates `raw` key by key without failing, as Kafka's
    /// `ConfigDef.validateAll`: every key is parsed (a problem goes into that
    /// key's report; the validator runs only on a value that parsed or defaulted),
    /// then each key's recommender gives its recommended values and visibility from
    /// all parsed values. A value outside the recommended values is not an error.
    /// Definition errors are added to their key; undefined dependents get an
    /// invisible report with an error.
    pub fn validate(&self, raw: &RawConfig) -> ConfigReport {
        let mut parsed = BTreeMap::new();
        let mut reports = Vec::with_capacity(self.keys().len());
        for key in self.keys() {
            let mut report = KeyReport::new(key.name());
            match key.parse_or_default(raw.get(key.name()).map(String::as_str)) {
                Ok(value) => {
                    if let Err(message) = key.check(value.as_ref()) {
                        report.errors.push(message);
                    }
                    if let Some(value) = value {
                        report.value = Some(value.to_raw_string());
                        parsed.insert(key.name().to_string(), value);
                    }
                }
                Err(message) => report.errors.push(message),
            }
            reports.push(report);
        }
        for (key, report) in self.keys().iter().zip(reports.iter_mut()) {
            if let Some(recommender) = key.get_recommender() {
                report.recommended_values = recommender
                    .valid_values(key.name(), &parsed)
                    .iter()
                    .map(|v| v.to_raw_string())
                    .collect();
                report.visible = recommender.visible(key.name(), &parsed);
            }
        }
        let mut result = ConfigReport::new();
        for report in reports {
            result.push(report);
        }
        for (key, message) in self.definition_errors() {
            result.add_error(key, message.clone());
        }
        for dependent in self.undefined_dependents() {
            let mut report = KeyReport::new(dependent.as_str());
            report.errors.push(undefined_dependent_message(&dependent));
            report.visible = false;
            result.push(report);
        }
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::config::{ConfigKey, ConfigValue, Importance, Range, Recommender, Type, Width};

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    struct ModeRecommender;
    impl Recommender for ModeRecommender {
        fn valid_values(
            &self,
            _: &str,
            parsed: &BTreeMap<String, ConfigValue>,
        ) -> Vec<ConfigValue> {
            match parsed.get("db").and_then(ConfigValue::as_str) {
                Some("pg") => vec!["insert".into(), "upsert".into()],
                _ => vec!["insert".into()],
            }
        }
        fn visible(&self, _: &str, parsed: &BTreeMap<String, ConfigValue>) -> bool {
            parsed.contains_key("db")
        }
    }

    fn recommended_def() -> ConfigDef {
        ConfigDef::new()
            .define(
                ConfigKey::new("db", Type::String, Importance::High, "")
                    .optional()
                    .dependents(["mode"]),
            )
            .define(
                ConfigKey::new("mode", Type::String, Importance::High, "")
                    .default_value("insert")
                    .recommender(ModeRecommender)
                    .width(Width::Short),
            )
    }

    #[test]
    fn recommender_visibility_and_values_appear_in_the_report() {
        let def = recommended_def();
        let report = def.validate(&raw(&[("db", "pg"), ("mode", "merge")]));
        let mode = report.get("mode").unwrap();
        assert_eq!(mode.recommended_values, ["insert", "upsert"]);
        assert!(mode.visible);
        assert_eq!(mode.value.as_deref(), Some("merge"));
        assert!(mode.errors.is_empty(), "not among recommended values is no error");
        assert_eq!(report.error_count(), 0);

        let report = def.validate(&RawConfig::new());
        let mode = report.get("mode").unwrap();
        assert_eq!(mode.recommended_values, ["insert"]);
        assert!(!mode.visible);
        assert!(report.get("db").unwrap().visible);
    }

    #[test]
    fn validate_counts_errors_per_key_in_definition_order() {
        let def = ConfigDef::new()
            .define_simple("z", Type::String, None, Importance::High, "")
            .define(
                ConfigKey::new("a", Type::Int, Importance::High, "")
                    .default_value(1)
                    .validator(Range::at_least(1)),
            )
            .define_simple("m", Type::Boolean, Some("false"), Importance::High, "");
        let report = def.validate(&raw(&[("a", "0"), ("m", "nope")]));
        assert_eq!(report.error_count(), 3);
        let names: Vec<_> = report.keys().iter().map(|k| k.name.as_str()).collect();
        assert_eq!(names, ["z", "a", "m"]);
        assert_eq!(
            report.get("z").unwrap().errors,
            ["Missing required configuration \"z\" which has no default value."]
        );
        let a = report.get("a").unwrap();
        assert_eq!(a.value.as_deref(), Some("0"), "a value the validator rejects is still shown");
        assert_eq!(a.errors, ["Invalid value 0 for configuration a: Value must be at least 1"]);
        let m = report.get("m").unwrap();
        assert_eq!(m.value, None);
        assert_eq!(m.errors.len(), 1);
        assert!(def.validate(&raw(&[("z", "ok")])).is_valid());
    }

    #[test]
    fn undefined_dependents_are_reported() {
        let def = ConfigDef::new().define(
            ConfigKey::new("a", Type::String, Importance::High, "")
                .optional()
                .dependents(["ghost"]),
        );
        assert_eq!(def.undefined_dependents(), ["ghost"]);
        let err = def.parse_detailed(&RawConfig::new()).unwrap_err();
        assert_eq!(
            err.errors(),
            [(
                "ghost".to_string(),
                "ghost is referred in the dependents, but not defined.".to_string()
            )]
        );
        let report = def.validate(&RawConfig::new());
        let ghost = report.get("ghost").unwrap();
        assert!(!ghost.visible);
        assert_eq!(report.error_count(), 1);
    }

    #[test]
    fn embedded_keys_are_prefixed_and_their_plugins_see_their_own_names() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let names = seen.clone();
        let child = recommended_def().define(
            ConfigKey::new("size", Type::Int, Importance::High, "").validator(
                crate::config::custom(move |name, _| {
                    names.lock().unwrap().push(name.to_string());
                    Err("never".to_string())
                }),
            ),
        );
        let mut def = ConfigDef::new();
        def.embed("t.a.", "T: a", 3, &child);
        assert_eq!(def.names().collect::<Vec<_>>(), ["t.a.db", "t.a.mode", "t.a.size"]);
        assert_eq!(def.get("t.a.db").unwrap().get_dependents(), ["t.a.mode"]);
        assert_eq!(def.get("t.a.size").unwrap().get_order_in_group(), Some(5));
        assert!(def.undefined_dependents().is_empty());
        let report = def.validate(&raw(&[("t.a.db", "pg"), ("db", "other"), ("t.a.size", "2")]));
        let mode = report.get("t.a.mode").unwrap();
        assert_eq!(mode.recommended_values, ["insert", "upsert"]);
        assert!(mode.visible);
        assert_eq!(
            report.get("t.a.size").unwrap().errors,
            ["Invalid value 2 for configuration t.a.size: never"]
        );
        assert!(seen.lock().unwrap().iter().all(|n| n == "size"), "{seen:?}");
    }
}
