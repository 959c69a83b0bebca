//! Checking connector configs as creation and `PUT …/config/validate` do: the plugin's
//! definition enriched with the keys of its transformations and predicates (Kafka's
//! `ConnectorConfig.enrich`), every key's errors, a source's `topic.creation.*` groups,
//! converters and transformations that can be built, the worker's client override
//! policy, and masking secrets for display.

use connect_api::config::{ConfigDef, ConfigInfos, KeyReport, RawConfig, Type};
use connect_api::plugin::{PluginFactory, PluginKind};
use connect_api::record::{SinkRecord, SourceRecord};
use connect_api::{ConnectError, Result};

use crate::config::connector::{sink_config_def, source_config_def};
use crate::config::override_policy::OverridePolicy;
use crate::config::providers::has_variables;
use crate::config::topic_creation::TopicCreation;
use crate::config::worker::WorkerConfig;
use crate::registry::PluginRegistry;
use crate::transforms::enrich;

/// What a secret shows as.
const HIDDEN: &str = "[hidden]";

/// The full definition a connector's config is checked against: the runtime's
/// common keys plus the connector's own.
pub fn connector_definition(
    registry: &PluginRegistry,
    class: &str,
) -> Result<(PluginKind, ConfigDef, String)> {
    let plugin = registry.connector(class)?;
    let (def, common) = match plugin.factory() {
        PluginFactory::Source(make) => (make().config_def(), source_config_def()),
        PluginFactory::Sink(make) => (make().config_def(), sink_config_def()),
        _ => return Err(ConnectError::not_found(format!("{class} is not a connector"))),
    };
    Ok((plugin.kind(), common.merge(&def), plugin.class_name().to_string()))
}

/// Validates a connector config as `PUT /connector-plugins/{type}/config/validate`
/// does: every key, common and connector-specific, with its errors, and those of each
/// transformation and predicate under its prefix (`transforms.<alias>.type`,
/// `.predicate`, `.negate` and its own keys, `predicates.<alias>.type` and its own), so a
/// bad setting is reported on its full key; for a source, the problems of its
/// `topic.creation.*` keys too. No config provider
/// resolves its variables and every client override is allowed; a worker's herder uses
/// [`validate_for`].
pub fn validate(registry: &PluginRegistry, class: &str, raw: &RawConfig) -> Result<ConfigInfos> {
    validate_with_policy(registry, class, raw, OverridePolicy::All)
}

/// [`validate`] as the herder of a worker with config `worker` does it, as Kafka's
/// herders do: the config's variables are resolved with the worker's config providers
/// first (one that cannot be resolved is validated as written: the connector fails
/// when it starts), client overrides are checked against
/// `connector.client.config.override.policy`, and the answer shows the values of keys
/// holding variables as written, never what they resolve to.
pub fn validate_for(
    registry: &PluginRegistry,
    worker: &WorkerConfig,
    class: &str,
    raw: &RawConfig,
) -> Result<ConfigInfos> {
    let resolved = worker.config_providers().resolve_lenient(raw);
    let mut infos = validate_with_policy(registry, class, &resolved, worker.override_policy())?;
    for info in &mut infos.configs {
        let written = raw.get(&info.value.name).filter(|v| has_variables(v));
        if let (Some(written), Some(shown)) = (written, info.value.value.as_mut())
            && shown != HIDDEN
        {
            shown.clone_from(written);
        }
    }
    Ok(infos)
}

fn validate_with_policy(
    registry: &PluginRegistry,
    class: &str,
    raw: &RawConfig,
    policy: OverridePolicy,
) -> Result<ConfigInfos> {
    let plugin = registry.connector(class)?;
    let (kind, common, own) = match plugin.factory() {
        PluginFactory::Source(make) => {
            let c = make();
            (PluginKind::Source, source_config_def(), (c.config_def(), c.validate(raw)))
        }
        PluginFactory::Sink(make) => {
            let c = make();
            (PluginKind::Sink, sink_config_def(), (c.config_def(), c.validate(raw)))
        }
        _ => return Err(ConnectError::not_found(format!("{class} is not a connector"))),
    };
    let common = match kind {
        PluginKind::Source => enrich::<SourceRecord>(registry, common, raw),
        _ => enrich::<SinkRecord>(registry, common, raw),
    };
    let mut report = common.validate(raw);
    if kind == PluginKind::Source {
        TopicCreation::validate_into(raw, &mut report);
    }
    if kind == PluginKind::Sink {
        let topics = raw.get("topics").is_some_and(|t| !t.trim().is_empty());
        let regex = raw.get("topics.regex").is_some_and(|t| !t.trim().is_empty());
        let msg = match (topics, regex) {
            (true, true) => {
                Some("topics and topics.regex are mutually exclusive options, but both are set.")
            }
            (false, false) => Some("Must configure one of topics or topics.regex"),
            _ => None,
        };
        if let Some(m) = msg {
            report.add_error("topics", m);
            report.add_error("topics.regex", m);
        }
    }
    // Each override of a client the connector uses gets an entry, as in Kafka's answer.
    for (key, refusal) in policy.review(kind, raw) {
        if report.get(&key).is_none() {
            let mut entry = KeyReport::new(key.as_str());
            entry.value = raw
                .get(&key)
                .map(|v| if secret_key(&key) { HIDDEN.to_string() } else { v.clone() });
            report.push(entry);
        }
        if let Some(message) = refusal {
            report.add_error(&key, message);
        }
    }
    let (own_def, own_report) = own;
    for k in own_report.keys() {
        if report.get(&k.name).is_none() {
            report.push(k.clone());
        }
    }
    let def = common.merge(&own_def);
    Ok(ConfigInfos::new(plugin.class_name(), &def, &report))
}

/// Whether a client key holds a secret (Kafka's PASSWORD client keys).
fn secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password") || key.ends_with("jaas.config") || key.ends_with("keystore.key")
}

/// Names of the keys of a connector's config that hold secrets.
fn password_keys(registry: &PluginRegistry, config: &RawConfig) -> Vec<String> {
    let Some(class) = config.get("connector.class") else {
        return Vec::new();
    };
    match connector_definition(registry, class) {
        Ok((_, def, _)) => enrich::<SourceRecord>(registry, def, config)
            .keys()
            .iter()
            .filter(|k| k.ty() == Type::Password)
            .map(|k| k.name().to_string())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The converter classes a connector config names (`key.converter`, `value.converter`,
/// `header.converter`) must be registered, as Kafka checks them at creation.
fn check_converters(registry: &PluginRegistry, config: &RawConfig) -> Result<()> {
    for key in ["key.converter", "value.converter", "header.converter"] {
        let Some(class) = config.get(key).map(|c| c.trim()).filter(|c| !c.is_empty()) else {
            continue;
        };
        let found = if key == "header.converter" {
            registry.header_converter(class).map(drop)
        } else {
            registry.converter(class).map(drop)
        };
        found.map_err(|e| {
            ConnectError::config(format!(
                "Invalid value {class} for configuration {key}: {}",
                e.message()
            ))
        })?;
    }
    Ok(())
}

/// A config with its secrets replaced by `[hidden]`.
pub fn mask(registry: &PluginRegistry, config: &RawConfig) -> RawConfig {
    let secret = password_keys(registry, config);
    config
        .iter()
        .map(|(k, v)| {
            let hidden = secret.contains(k) || k.to_ascii_lowercase().contains("password");
            (k.clone(), if hidden { HIDDEN.to_string() } else { v.clone() })
        })
        .collect()
}

/// Checks a connector config as creation does: a known class, converters of known
/// classes, no invalid key (a transformation's or predicate's included, named in full as
/// `transforms.<alias>.<key>`) and transformations that can be built. No config provider
/// resolves its variables and every client override is allowed; a worker's herder uses
/// [`check_config_for`].
pub fn check_config(registry: &PluginRegistry, config: &RawConfig) -> Result<()> {
    check(registry, config, |class, c| validate(registry, class, c))
}

/// [`check_config`] as the herder of a worker with config `worker` does it (see
/// [`validate_for`]): a client override the worker's policy refuses fails it, naming
/// the key.
pub fn check_config_for(
    registry: &PluginRegistry,
    worker: &WorkerConfig,
    config: &RawConfig,
) -> Result<()> {
    let resolved = worker.config_providers().resolve_lenient(config);
    check(registry, &resolved, |class, c| {
        validate_with_policy(registry, class, c, worker.override_policy())
    })
}

fn check(
    registry: &PluginRegistry,
    config: &RawConfig,
    validate: impl Fn(&str, &RawConfig) -> Result<ConfigInfos>,
) -> Result<()> {
    check_converters(registry, config)?;
    let class = config.get("connector.class").cloned().ok_or_else(|| {
        ConnectError::config("Connector config is missing the required key \"connector.class\"")
    })?;
    let infos = validate(&class, config).map_err(|e| {
        if e.kind() == connect_api::ErrorKind::NotFound {
            ConnectError::config(e.message().to_string())
        } else {
            e
        }
    })?;
    if infos.error_count > 0 {
        let errors: Vec<String> = infos
            .configs
            .iter()
            .flat_map(|c| c.value.errors.iter().map(move |e| format!("{}: {e}", c.value.name)))
            .collect();
        return Err(ConnectError::config(format!(
            "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`",
            errors.len(),
            errors.join("\n")
        )));
    }
    // What the definitions cannot tell: a transformation that refuses its settings.
    crate::transforms::TransformChain::<SourceRecord>::from_config(registry, config)?;
    Ok(())
}
