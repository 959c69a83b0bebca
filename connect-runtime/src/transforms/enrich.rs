//! Kafka's "enriched" connector definition: the connector's keys plus, for each alias
//! of `transforms` and `predicates`, the keys of that transformation or predicate under
//! its prefix, so that validation reports each problem on its full key
//! (`transforms.<alias>.spec`, `predicates.<alias>.pattern`).
//!
//! For a transformation alias `t` the definition gains `transforms.t.type` (a known
//! transformation class), `transforms.t.predicate`, `transforms.t.negate` and the
//! transformation's own keys prefixed with `transforms.t.`; a predicate alias `p` gains
//! `predicates.p.type` and the predicate's keys prefixed with `predicates.p.`. When a
//! class cannot be found only its `type` key is defined, with the error.

use std::collections::BTreeMap;

use connect_api::config::{
    ConfigDef, ConfigKey, ConfigReport, ConfigValue, Importance, RawConfig, Recommender, Type,
    Width, custom,
};
use connect_api::plugin::PluginKind;

use crate::registry::{PluginRecord, PluginRegistry};

/// The key naming a transformation's predicate; masks a key of that name of the
/// transformation itself.
const PREDICATE: &str = "predicate";
/// The key negating a transformation's predicate; masks a key of that name too.
const NEGATE: &str = "negate";
/// The keys a transformation's own definition may not use: they are the chain's.
pub(crate) const MASKED: [&str; 2] = [PREDICATE, NEGATE];

/// The aliases listed in `key` (`transforms` or `predicates`), each once, in order.
pub(crate) fn aliases(raw: &RawConfig, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let listed = raw.get(key).map(String::as_str).unwrap_or_default();
    for alias in listed.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|a| a == alias) {
            out.push(alias.to_string());
        }
    }
    out
}

/// Recommends the registered plugins of one kind for a `type` key (Kafka's
/// `ClassRecommender`).
struct Classes(Vec<String>);

impl Recommender for Classes {
    fn valid_values(&self, _: &str, _: &BTreeMap<String, ConfigValue>) -> Vec<ConfigValue> {
        self.0.iter().map(|c| ConfigValue::Class(c.clone())).collect()
    }
}

/// The `type` key of an alias: required, of a class the registry knows. `problem` is
/// what is wrong with the alias's settings, reported on this key as Kafka does.
fn type_key(
    name: String,
    what: &str,
    alias: &str,
    group: &str,
    classes: Vec<String>,
    problem: Option<String>,
) -> ConfigKey {
    let kind = what.to_ascii_lowercase();
    ConfigKey::new(name, Type::Class, Importance::High, format!("Class for the '{alias}' {kind}."))
        .validator(
            custom(move |_, _| problem.clone().map_or(Ok(()), Err))
                .described_as(format!("valid configs for {alias} {kind}")),
        )
        .group(group)
        .order_in_group(0)
        .width(Width::Long)
        .display_name(format!("{what} type for {alias}"))
        .recommender(Classes(classes))
}

/// The registered classes of `kind`, for the recommender of a `type` key.
fn classes(registry: &PluginRegistry, kind: PluginKind) -> Vec<String> {
    registry.all().iter().filter(|p| p.kind() == kind).map(|p| p.class_name().to_string()).collect()
}

/// `child`'s keys but those named in `masked`.
fn unmasked(child: &ConfigDef, masked: &[&str]) -> ConfigDef {
    let mut own = ConfigDef::new();
    for key in child.keys().iter().filter(|k| !masked.contains(&k.name())) {
        own.add(key.clone());
    }
    own
}

/// Validates one alias's own settings (`raw` holds the whole connector config) with the
/// definition of its plugin (`child`, but for the keys in `masked`) under `prefix`:
/// every problem names the full key.
pub(crate) fn validate_settings(
    prefix: &str,
    child: &ConfigDef,
    masked: &[&str],
    raw: &RawConfig,
) -> ConfigReport {
    let mut def = ConfigDef::new();
    def.embed(prefix, "", 0, &unmasked(child, masked));
    def.validate(raw)
}

/// `base` enriched with the keys of every transformation and predicate `raw` configures,
/// as Kafka's `ConnectorConfig.enrich` (without requiring a full config): records `R`
/// pick the source or sink flavour of each plugin.
pub fn enrich<R: PluginRecord>(
    registry: &PluginRegistry,
    base: ConfigDef,
    raw: &RawConfig,
) -> ConfigDef {
    let mut def = base;
    let transform_classes = classes(registry, PluginKind::Transformation);
    let predicates = aliases(raw, "predicates");
    for alias in aliases(raw, "transforms") {
        let prefix = format!("transforms.{alias}.");
        let group = format!("Transforms: {alias}");
        let negate_key = format!("{prefix}{NEGATE}");
        let predicate_key = format!("{prefix}{PREDICATE}");
        let class = raw.get(&format!("{prefix}type")).map(|c| c.trim());
        let found = class.map(|c| registry.transformation::<R>(c));
        let problem = if raw.contains_key(&negate_key) && !raw.contains_key(&predicate_key) {
            Some(format!(
                "Config '{negate_key}' was provided but there is no config '{predicate_key}' defining a predicate to be negated."
            ))
        } else {
            match &found {
                Some(Err(e)) => Some(e.message().to_string()),
                _ => None,
            }
        };
        def.add(type_key(
            format!("{prefix}type"),
            "Transformation",
            &alias,
            &group,
            transform_classes.clone(),
            problem,
        ));
        let Some(Ok(transform)) = found else { continue };
        let listed = predicates.clone();
        let predicate = ConfigKey::new(
            PREDICATE,
            Type::String,
            Importance::Medium,
            "The alias of a predicate used to determine whether to apply this transformation.",
        )
        .optional()
        .validator(custom(move |_, value| match value.and_then(ConfigValue::as_str) {
            Some(p) if !p.trim().is_empty() && !listed.iter().any(|l| l == p.trim()) => {
                Err("the predicate is not listed in 'predicates'".to_string())
            }
            _ => Ok(()),
        }));
        let negate = ConfigKey::new(
            NEGATE,
            Type::Boolean,
            Importance::Medium,
            "Whether the configured predicate should be negated.",
        )
        .default_value(false);
        let child = ConfigDef::new().define(predicate).define(negate);
        let own = unmasked(&transform.config_def(), &MASKED);
        def.embed(&prefix, &group, 1, &child.merge(&own));
    }
    let predicate_classes = classes(registry, PluginKind::Predicate);
    for alias in predicates {
        let prefix = format!("predicates.{alias}.");
        let group = format!("Predicates: {alias}");
        let class = raw.get(&format!("{prefix}type")).map(|c| c.trim());
        let found = class.map(|c| registry.predicate::<R>(c));
        let problem = match &found {
            Some(Err(e)) => Some(e.message().to_string()),
            _ => None,
        };
        def.add(type_key(
            format!("{prefix}type"),
            "Predicate",
            &alias,
            &group,
            predicate_classes.clone(),
            problem,
        ));
        if let Some(Ok(predicate)) = found {
            def.embed(&prefix, &group, 1, &predicate.config_def());
        }
    }
    def
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use connect_api::record::SourceRecord;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn registry() -> PluginRegistry {
        let mut r = PluginRegistry::new();
        r.register(test_plugins()).unwrap();
        r
    }

    /// A transformation with one required INT key `size` of at least 1, and a predicate
    /// with no keys.
    fn test_plugins() -> Vec<connect_api::plugin::PluginDescriptor> {
        use connect_api::config::Range;
        use connect_api::plugin::PluginDescriptor;
        use connect_api::record::ConnectRecord;
        use connect_api::transform::{Predicate, Transformation};

        struct Sized_;
        impl<R: ConnectRecord> Transformation<R> for Sized_ {
            fn configure(&mut self, _: &RawConfig) -> connect_api::Result<()> {
                Ok(())
            }
            fn config_def(&self) -> ConfigDef {
                ConfigDef::new()
                    .define(
                        ConfigKey::new("size", Type::Int, Importance::High, "Size.")
                            .validator(Range::at_least(1)),
                    )
                    .define(ConfigKey::new(NEGATE, Type::Int, Importance::High, "Masked."))
            }
            fn apply(&mut self, r: R) -> connect_api::Result<Option<R>> {
                Ok(Some(r))
            }
        }
        impl<R: ConnectRecord> Predicate<R> for Sized_ {
            fn configure(&mut self, _: &RawConfig) -> connect_api::Result<()> {
                Ok(())
            }
            fn config_def(&self) -> ConfigDef {
                ConfigDef::new()
            }
            fn test(&self, _: &R) -> bool {
                true
            }
        }
        vec![
            PluginDescriptor::transformation("t.Sized", "1", || Sized_),
            PluginDescriptor::predicate("t.Always", "1", || Sized_),
        ]
    }

    #[test]
    fn every_alias_gets_its_keys_and_errors_on_the_full_key() {
        let config = raw(&[
            ("transforms", "a,b,c,a"),
            ("transforms.a.type", "t.Sized"),
            ("transforms.a.size", "0"),
            ("transforms.a.predicate", "nope"),
            ("transforms.b.type", "t.Missing"),
            ("transforms.c.type", "Sized"),
            ("transforms.c.size", "2"),
            ("transforms.c.negate", "true"),
            ("predicates", "p"),
        ]);
        let def = enrich::<SourceRecord>(&registry(), ConfigDef::new(), &config);
        let names: Vec<&str> = def.names().collect();
        assert_eq!(
            names,
            [
                "transforms.a.type",
                "transforms.a.predicate",
                "transforms.a.negate",
                "transforms.a.size",
                "transforms.b.type",
                "transforms.c.type",
                "transforms.c.predicate",
                "transforms.c.negate",
                "transforms.c.size",
                "predicates.p.type",
            ]
        );
        assert_eq!(def.get("transforms.a.negate").unwrap().ty(), Type::Boolean, "masked");
        let report = def.validate(&config);
        let errors = |k: &str| report.get(k).unwrap().errors.clone();
        assert_eq!(
            errors("transforms.a.size"),
            ["Invalid value 0 for configuration transforms.a.size: Value must be at least 1"]
        );
        assert_eq!(
            errors("transforms.a.predicate"),
            [
                "Invalid value nope for configuration transforms.a.predicate: the predicate is not listed in 'predicates'"
            ]
        );
        assert_eq!(
            errors("transforms.b.type"),
            [
                "Invalid value t.Missing for configuration transforms.b.type: Class t.Missing could not be found."
            ]
        );
        assert!(errors("transforms.c.type")[0].contains(
            "Config 'transforms.c.negate' was provided but there is no config 'transforms.c.predicate'"
        ));
        assert_eq!(
            errors("predicates.p.type"),
            ["Missing required configuration \"predicates.p.type\" which has no default value."]
        );
        assert_eq!(report.error_count(), 5);
        let recommended = &report.get("transforms.a.type").unwrap().recommended_values;
        assert_eq!(recommended, &["t.Sized"]);
        assert_eq!(def.get("transforms.c.size").unwrap().get_group(), Some("Transforms: c"));
    }
}
