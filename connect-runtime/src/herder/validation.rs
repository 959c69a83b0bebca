//! Checking connector configs as creation and `PUT …/config/validate` do: the plugin's
//! definition, every key's errors, converters and transformations that can be built,
//! and masking secrets for display.

use connect_api::config::{ConfigDef, ConfigInfos, RawConfig, Type};
use connect_api::plugin::{PluginFactory, PluginKind};
use connect_api::{ConnectError, Result};

use crate::config::connector::{sink_config_def, source_config_def};
use crate::registry::PluginRegistry;

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
/// does: every key, common and connector-specific, with its errors.
pub fn validate(registry: &PluginRegistry, class: &str, raw: &RawConfig) -> Result<ConfigInfos> {
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
    let mut report = common.validate(raw);
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
    let (own_def, own_report) = own;
    for k in own_report.keys() {
        if report.get(&k.name).is_none() {
            report.push(k.clone());
        }
    }
    let def = common.merge(&own_def);
    Ok(ConfigInfos::new(plugin.class_name(), &def, &report))
}

/// Names of the keys of a connector's config that hold secrets.
fn password_keys(registry: &PluginRegistry, config: &RawConfig) -> Vec<String> {
    let Some(class) = config.get("connector.class") else {
        return Vec::new();
    };
    match connector_definition(registry, class) {
        Ok((_, def, _)) => def
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
            (k.clone(), if hidden { "[hidden]".to_string() } else { v.clone() })
        })
        .collect()
}

/// Checks a connector config as creation does: a known class, no invalid key,
/// converters of known classes and transformations that can be built.
pub fn check_config(registry: &PluginRegistry, config: &RawConfig) -> Result<()> {
    crate::transforms::TransformChain::<connect_api::record::SourceRecord>::from_config(
        registry, config,
    )?;
    check_converters(registry, config)?;
    let class = config.get("connector.class").cloned().ok_or_else(|| {
        ConnectError::config("Connector config is missing the required key \"connector.class\"")
    })?;
    let infos = validate(registry, &class, config).map_err(|e| {
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
    Ok(())
}
