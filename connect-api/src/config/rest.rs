//! The JSON of Kafka Connect's `PUT /connector-plugins/{type}/config/validate`:
//! [`ConfigInfos`] and its parts, with exactly Kafka's field names.

use serde::{Deserialize, Serialize};

use super::def::ConfigDef;
use super::key::ConfigKey;
use super::report::{ConfigReport, KeyReport};

/// The validation result of a connector configuration as the REST API returns it
/// (Kafka's `ConfigInfos`).
///
/// ```
/// use connect_api::config::{ConfigDef, ConfigInfos, ConfigKey, Importance, RawConfig, Type};
///
/// let def = ConfigDef::new()
///     .define(ConfigKey::new("file", Type::String, Importance::High, "File.").group("Common"));
/// let report = def.validate(&RawConfig::new());
/// let infos = ConfigInfos::new("FileStreamSource", &def, &report);
/// let json = serde_json::to_value(&infos).unwrap();
/// assert_eq!(json["name"], "FileStreamSource");
/// assert_eq!(json["error_count"], 1);
/// assert_eq!(json["groups"], serde_json::json!(["Common"]));
/// assert_eq!(json["configs"][0]["definition"]["required"], true);
/// assert_eq!(json["configs"][0]["value"]["errors"][0],
///            "Missing required configuration \"file\" which has no default value.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigInfos {
    /// The connector class the configuration was validated for.
    pub name: String,
    /// The number of problems over all keys.
    pub error_count: usize,
    /// The groups of the definition, in definition order.
    pub groups: Vec<String>,
    /// One entry per key.
    pub configs: Vec<ConfigInfo>,
}

/// One key's definition and validation result (Kafka's `ConfigInfo`).
///
/// ```
/// use connect_api::config::{ConfigInfo, ConfigValueInfo};
///
/// let info = ConfigInfo { definition: None, value: ConfigValueInfo::new("extra") };
/// assert_eq!(serde_json::to_value(&info).unwrap()["definition"], serde_json::Value::Null);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigInfo {
    /// The key's definition; `null` for a reported key that is not defined (an
    /// undefined dependent, or a key a connector added an error for).
    pub definition: Option<ConfigKeyInfo>,
    /// The key's validation result.
    pub value: ConfigValueInfo,
}

/// A key definition as the REST API shows it (Kafka's `ConfigKeyInfo`).
///
/// ```
/// use connect_api::config::{ConfigKey, ConfigKeyInfo, Importance, Type};
///
/// let key = ConfigKey::new("tasks.max", Type::Int, Importance::High, "Tasks.").default_value(1);
/// let info = ConfigKeyInfo::from(&key);
/// assert_eq!(info.ty, "INT");
/// assert_eq!(info.default_value.as_deref(), Some("1"));
/// assert_eq!(info.order, -1);
/// assert_eq!(info.display_name, "tasks.max");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigKeyInfo {
    /// The key's name.
    pub name: String,
    /// The type's upper-case name (`"STRING"`, ...).
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether the key has no default.
    pub required: bool,
    /// The default in string form (`[hidden]` for a password); `null` when
    /// required or defaulting to `null`.
    pub default_value: Option<String>,
    /// The importance's upper-case name.
    pub importance: String,
    /// The documentation.
    pub documentation: String,
    /// The UI group, if any.
    pub group: Option<String>,
    /// The UI width's upper-case name.
    pub width: String,
    /// The UI name (the key name when unset).
    pub display_name: String,
    /// The dependent keys.
    pub dependents: Vec<String>,
    /// The position within the group; `-1` when unset (Kafka's `order_in_group`).
    #[serde(rename = "order_in_group")]
    pub order: i32,
}

impl From<&ConfigKey> for ConfigKeyInfo {
    fn from(key: &ConfigKey) -> Self {
        ConfigKeyInfo {
            name: key.name().to_string(),
            ty: key.ty().as_str().to_string(),
            required: key.is_required(),
            default_value: key.default_string(),
            importance: key.importance().as_str().to_string(),
            documentation: key.documentation().to_string(),
            group: key.get_group().map(str::to_string),
            width: key.get_width().as_str().to_string(),
            display_name: key.get_display_name().to_string(),
            dependents: key.get_dependents().to_vec(),
            order: key.get_order_in_group().unwrap_or(-1),
        }
    }
}

/// A key's validation result as the REST API shows it (Kafka's
/// `ConfigValueInfo`).
///
/// ```
/// use connect_api::config::ConfigValueInfo;
///
/// let v = ConfigValueInfo::new("topic");
/// assert!(v.visible && v.value.is_none() && v.errors.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigValueInfo {
    /// The key's name.
    pub name: String,
    /// The value in string form (`[hidden]` for a password), if any.
    pub value: Option<String>,
    /// The recommended values.
    pub recommended_values: Vec<String>,
    /// Everything wrong with the value.
    pub errors: Vec<String>,
    /// Whether the key is relevant given the other values.
    pub visible: bool,
}

impl ConfigValueInfo {
    /// A visible key with no value, recommendations or errors.
    pub fn new(name: impl Into<String>) -> Self {
        ConfigValueInfo::from(&KeyReport::new(name))
    }
}

impl From<&KeyReport> for ConfigValueInfo {
    fn from(report: &KeyReport) -> Self {
        ConfigValueInfo {
            name: report.name.clone(),
            value: report.value.clone(),
            recommended_values: report.recommended_values.clone(),
            errors: report.errors.clone(),
            visible: report.visible,
        }
    }
}

impl ConfigInfos {
    /// The REST result for `report`, a validation of a configuration of
    /// `connector_class_name` against `def`: one entry per defined key in
    /// definition order, then one (with a `null` definition) per reported key that
    /// `def` does not define. The error count is the report's.
    pub fn new(connector_class_name: &str, def: &ConfigDef, report: &ConfigReport) -> Self {
        let mut configs: Vec<ConfigInfo> = def
            .keys()
            .iter()
            .map(|key| ConfigInfo {
                definition: Some(ConfigKeyInfo::from(key)),
                value: report
                    .get(key.name())
                    .map_or_else(|| ConfigValueInfo::new(key.name()), ConfigValueInfo::from),
            })
            .collect();
        configs.extend(
            report
                .keys()
                .iter()
                .filter(|r| !def.contains(&r.name))
                .map(|r| ConfigInfo { definition: None, value: ConfigValueInfo::from(r) }),
        );
        ConfigInfos {
            name: connector_class_name.to_string(),
            error_count: report.error_count(),
            groups: def.groups().to_vec(),
            configs,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::config::{
        ConfigValue, Importance, RawConfig, Recommender, Type, ValidString, Width,
    };

    struct Modes;
    impl Recommender for Modes {
        fn valid_values(&self, _: &str, _: &BTreeMap<String, ConfigValue>) -> Vec<ConfigValue> {
            vec!["insert".into(), "upsert".into()]
        }
    }

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("k", Type::String, Importance::High, "The k."))
            .define(
                ConfigKey::new("mode", Type::String, Importance::Medium, "Write mode.")
                    .default_value("insert")
                    .validator(ValidString::in_list(["insert", "upsert"]))
                    .recommender(Modes)
                    .group("Common")
                    .order_in_group(1)
                    .width(Width::Short)
                    .display_name("Mode")
                    .dependents(["pw"]),
            )
            .define(
                ConfigKey::new("pw", Type::Password, Importance::Low, "Secret.")
                    .default_value("changeit")
                    .group("Security"),
            )
            .define(ConfigKey::new("opt", Type::List, Importance::Low, "Optional.").optional())
    }

    #[test]
    fn config_infos_json_has_kafkas_shape() {
        let def = def();
        let mut raw = RawConfig::new();
        raw.insert("pw".into(), "hunter2".into());
        let mut report = def.validate(&raw);
        report.add_error("extra", "cross-key problem");
        let infos = ConfigInfos::new("com.example.MySink", &def, &report);
        let expected = json!({
            "name": "com.example.MySink",
            "error_count": 2,
            "groups": ["Common", "Security"],
            "configs": [
                {
                    "definition": {
                        "name": "k", "type": "STRING", "required": true, "default_value": null,
                        "importance": "HIGH", "documentation": "The k.", "group": null,
                        "width": "NONE", "display_name": "k", "dependents": [], "order_in_group": -1
                    },
                    "value": {
                        "name": "k", "value": null, "recommended_values": [],
                        "errors": ["Missing required configuration \"k\" which has no default value."],
                        "visible": true
                    }
                },
                {
                    "definition": {
                        "name": "mode", "type": "STRING", "required": false,
                        "default_value": "insert", "importance": "MEDIUM",
                        "documentation": "Write mode.", "group": "Common", "width": "SHORT",
                        "display_name": "Mode", "dependents": ["pw"], "order_in_group": 1
                    },
                    "value": {
                        "name": "mode", "value": "insert",
                        "recommended_values": ["insert", "upsert"], "errors": [], "visible": true
                    }
                },
                {
                    "definition": {
                        "name": "pw", "type": "PASSWORD", "required": false,
                        "default_value": "[hidden]", "importance": "LOW",
                        "documentation": "Secret.", "group": "Security", "width": "NONE",
                        "display_name": "pw", "dependents": [], "order_in_group": -1
                    },
                    "value": {
                        "name": "pw", "value": "[hidden]", "recommended_values": [],
                        "errors": [], "visible": true
                    }
                },
                {
                    "definition": {
                        "name": "opt", "type": "LIST", "required": false, "default_value": null,
                        "importance": "LOW", "documentation": "Optional.", "group": null,
                        "width": "NONE", "display_name": "opt", "dependents": [], "order_in_group": -1
                    },
                    "value": {
                        "name": "opt", "value": null, "recommended_values": [],
                        "errors": [], "visible": true
                    }
                },
                {
                    "definition": null,
                    "value": {
                        "name": "extra", "value": null, "recommended_values": [],
                        "errors": ["cross-key problem"], "visible": true
                    }
                }
            ]
        });
        let actual = serde_json::to_value(&infos).unwrap();
        assert_eq!(actual, expected);
        let text = serde_json::to_string(&infos).unwrap();
        assert!(!text.contains("hunter2") && !text.contains("changeit"), "{text}");
        let back: ConfigInfos = serde_json::from_value(expected).unwrap();
        assert_eq!(back, infos);
    }

    #[test]
    fn keys_missing_from_the_report_get_an_empty_value() {
        let infos = ConfigInfos::new("C", &def(), &ConfigReport::new());
        assert_eq!(infos.error_count, 0);
        assert_eq!(infos.configs.len(), 4);
        assert_eq!(infos.configs[0].value, ConfigValueInfo::new("k"));
    }
}
