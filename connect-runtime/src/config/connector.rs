//! The keys every connector config has (Kafka's `ConnectorConfig`, `SourceConnectorConfig`
//! and `SinkConnectorConfig`): name, class, tasks, converters, transforms, errors.

use connect_api::config::{ConfigDef, ConfigKey, Importance, Range, RawConfig, Type, ValidString};
use connect_api::{ConnectError, Result};

const COMMON: &str = "Common";
const TRANSFORMS: &str = "Transforms";
const ERROR_HANDLING: &str = "Error Handling";

/// Keys shared by every connector.
pub fn common_config_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new("name", Type::String, Importance::High, "Globally unique name to use for this connector.").group(COMMON).order_in_group(1).display_name("Connector name"))
        .define(ConfigKey::new("connector.class", Type::String, Importance::High, "Name or alias of the class for this connector.").group(COMMON).order_in_group(2).display_name("Connector class"))
        .define(ConfigKey::new("tasks.max", Type::Int, Importance::High, "Maximum number of tasks to use for this connector.").default_value(1).validator(Range::at_least(1)).group(COMMON).order_in_group(3).display_name("Tasks max"))
        .define(ConfigKey::new("key.converter", Type::Class, Importance::Low, "Converter for keys; overrides the worker's.").optional().group(COMMON).order_in_group(4).display_name("Key converter class"))
        .define(ConfigKey::new("value.converter", Type::Class, Importance::Low, "Converter for values; overrides the worker's.").optional().group(COMMON).order_in_group(5).display_name("Value converter class"))
        .define(ConfigKey::new("header.converter", Type::Class, Importance::Low, "Converter for headers; overrides the worker's.").optional().group(COMMON).order_in_group(6).display_name("Header converter class"))
        .define(ConfigKey::new("transforms", Type::List, Importance::Low, "Aliases for the transformations to apply to records.").default_value("").group(TRANSFORMS).display_name("Transforms"))
        .define(ConfigKey::new("predicates", Type::List, Importance::Low, "Aliases for predicates used by transformations.").default_value("").group("Predicates").display_name("Predicates"))
        .define(ConfigKey::new("errors.retry.timeout", Type::Long, Importance::Medium, "Total time a failed operation is retried (0: none, -1: forever).").default_value(0i64).group(ERROR_HANDLING).order_in_group(1).display_name("Retry Timeout for Errors"))
        .define(ConfigKey::new("errors.retry.delay.max.ms", Type::Long, Importance::Medium, "Longest wait between retries.").default_value(60000i64).validator(Range::at_least(1)).group(ERROR_HANDLING).order_in_group(2).display_name("Maximum Delay Between Retries for Errors"))
        .define(ConfigKey::new("errors.tolerance", Type::String, Importance::Medium, "Behavior for tolerating errors: 'none' fails the task, 'all' skips problematic records.").default_value("none").validator(ValidString::in_list(["none", "all"])).group(ERROR_HANDLING).order_in_group(3).display_name("Error Tolerance"))
        .define(ConfigKey::new("errors.log.enable", Type::Boolean, Importance::Medium, "Log each error and the failed operation.").default_value(false).group(ERROR_HANDLING).order_in_group(4).display_name("Log Errors"))
        .define(ConfigKey::new("task.restart.max.attempts", Type::Int, Importance::Low, "Restarts in a row of a FAILED task by the worker itself (0: never, -1: without limit). Not in Kafka.").default_value(0).validator(Range::at_least(-1)).group(ERROR_HANDLING).order_in_group(9).display_name("Task restart attempts"))
        .define(ConfigKey::new("task.restart.backoff.ms", Type::Long, Importance::Low, "Wait before the first restart of a FAILED task, doubling after each failure.").default_value(1000i64).validator(Range::at_least(1)).group(ERROR_HANDLING).order_in_group(10).display_name("Task restart backoff"))
        .define(ConfigKey::new("task.restart.backoff.max.ms", Type::Long, Importance::Low, "Longest wait before restarting a FAILED task; a task that ran this long before failing counts its attempts afresh.").default_value(60000i64).validator(Range::at_least(1)).group(ERROR_HANDLING).order_in_group(11).display_name("Task restart backoff max"))
        .define(ConfigKey::new("errors.log.include.messages", Type::Boolean, Importance::Medium, "Include the failed record in the error log.").default_value(false).group(ERROR_HANDLING).order_in_group(5).display_name("Log Error Details"))
}

/// Keys of sink connectors on top of the common ones.
pub fn sink_config_def() -> ConfigDef {
    common_config_def()
        .define(
            ConfigKey::new("topics", Type::List, Importance::High, "List of topics to consume.")
                .default_value("")
                .group(COMMON)
                .order_in_group(4)
                .display_name("Topics"),
        )
        .define(
            ConfigKey::new(
                "topics.regex",
                Type::String,
                Importance::High,
                "Regular expression of topics to consume.",
            )
            .default_value("")
            .group(COMMON)
            .order_in_group(4)
            .display_name("Topics regex"),
        )
        .define(
            ConfigKey::new(
                "errors.deadletterqueue.topic.name",
                Type::String,
                Importance::Medium,
                "Topic for records that failed processing.",
            )
            .default_value("")
            .group(ERROR_HANDLING)
            .order_in_group(6)
            .display_name("Dead Letter Queue Topic Name"),
        )
        .define(
            ConfigKey::new(
                "errors.deadletterqueue.topic.replication.factor",
                Type::Short,
                Importance::Medium,
                "Replication factor of the dead letter queue topic.",
            )
            .default_value(3i16)
            .group(ERROR_HANDLING)
            .order_in_group(7)
            .display_name("Dead Letter Queue Topic Replication Factor"),
        )
        .define(
            ConfigKey::new(
                "errors.deadletterqueue.context.headers.enable",
                Type::Boolean,
                Importance::Medium,
                "Add error context headers to dead-lettered records.",
            )
            .default_value(false)
            .group(ERROR_HANDLING)
            .order_in_group(8)
            .display_name("Enable Error Context Headers"),
        )
}

/// Keys of source connectors on top of the common ones.
pub fn source_config_def() -> ConfigDef {
    common_config_def()
        .define(
            ConfigKey::new(
                "topic.creation.groups",
                Type::List,
                Importance::Low,
                "Groups of topic settings for the topics this source connector creates, tried in order before 'default'.",
            )
            .default_value("")
            .group("Topic Creation"),
        )
        .define(
            ConfigKey::new(
                "topic.creation.default.partitions",
                Type::Int,
                Importance::Low,
                "Partitions of topics the runtime creates.",
            )
            .optional()
            .group("Topic Creation"),
        )
        .define(
            ConfigKey::new(
                "topic.creation.default.replication.factor",
                Type::Short,
                Importance::Low,
                "Replication factor of topics the runtime creates.",
            )
            .optional()
            .group("Topic Creation"),
        )
        .define(
            ConfigKey::new(
                "exactly.once.support",
                Type::String,
                Importance::Low,
                "Whether exactly-once support is required.",
            )
            .default_value("requested")
            .validator(ValidString::in_list(["requested", "required"]))
            .group("Exactly Once Support"),
        )
        .define(
            ConfigKey::new(
                "offsets.storage.topic",
                Type::String,
                Importance::Low,
                "Connector-specific offsets topic.",
            )
            .optional()
            .group("offsets.topic"),
        )
}

/// What the runtime does with a record that a converter or transformation rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerance {
    /// Fail the task.
    None,
    /// Skip the record (and report it when configured).
    All,
}

/// The `errors.*` settings of a connector.
#[derive(Debug, Clone)]
pub struct ErrorPolicy {
    /// `errors.tolerance`.
    pub tolerance: Tolerance,
    /// `errors.log.enable`.
    pub log: bool,
    /// `errors.log.include.messages`.
    pub log_messages: bool,
    /// `errors.deadletterqueue.topic.name` (sinks).
    pub dlq_topic: Option<String>,
    /// `errors.deadletterqueue.context.headers.enable`.
    pub dlq_context_headers: bool,
}

impl ErrorPolicy {
    /// Reads the policy from a connector config.
    pub fn from_config(raw: &RawConfig) -> ErrorPolicy {
        let flag = |k: &str| raw.get(k).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        ErrorPolicy {
            tolerance: match raw.get("errors.tolerance").map(|s| s.trim()) {
                Some(t) if t.eq_ignore_ascii_case("all") => Tolerance::All,
                _ => Tolerance::None,
            },
            log: flag("errors.log.enable"),
            log_messages: flag("errors.log.include.messages"),
            dlq_topic: raw
                .get("errors.deadletterqueue.topic.name")
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            dlq_context_headers: flag("errors.deadletterqueue.context.headers.enable"),
        }
    }
}

/// The connector's name from its config.
pub fn connector_name(raw: &RawConfig) -> Result<String> {
    raw.get("name").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).ok_or_else(|| {
        ConnectError::config("Connector config is missing the required key \"name\"")
    })
}

/// `tasks.max` from a config (1 when absent).
pub fn tasks_max(raw: &RawConfig) -> Result<usize> {
    match raw.get("tasks.max") {
        None => Ok(1),
        Some(v) => v.trim().parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ConnectError::config(format!(
                "Invalid value {v} for configuration tasks.max: Value must be at least 1"
            ))
        }),
    }
}

/// The connector's client overrides for a client kind (`producer.override.*`).
pub fn client_overrides(raw: &RawConfig, kind: &str) -> RawConfig {
    let prefix = format!("{kind}.override.");
    raw.iter()
        .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|s| (s.to_string(), v.clone())))
        .collect()
}
