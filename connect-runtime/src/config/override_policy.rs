//! `connector.client.config.override.policy` (Kafka's KIP-458): which
//! `producer.override.*`, `consumer.override.*` and `admin.override.*` keys a connector
//! config may set. `All` (Kafka's default since 3.0) allows every key, `Principal` only
//! `sasl.jaas.config`, `sasl.mechanism` and `security.protocol`, `None` none.

use connect_api::config::RawConfig;
use connect_api::plugin::PluginKind;
use connect_api::{ConnectError, Result};

/// The worker key naming the policy.
pub const OVERRIDE_POLICY_CONFIG: &str = "connector.client.config.override.policy";

/// The client keys the `Principal` policy lets a connector override.
const PRINCIPAL_KEYS: &[&str] = &["sasl.jaas.config", "sasl.mechanism", "security.protocol"];

/// A connector client config override policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverridePolicy {
    /// No override is allowed.
    None,
    /// Only the client's principal (SASL settings, security protocol) may be overridden.
    Principal,
    /// Every override is allowed (Kafka's default).
    #[default]
    All,
}

impl OverridePolicy {
    /// The policy a worker config value names: `None`, `Principal`, `All`, or Kafka's
    /// class names (`org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy`,
    /// or without the package). Case is ignored.
    pub fn parse(value: &str) -> Result<OverridePolicy> {
        let simple = value.trim().rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
        let alias = simple.strip_suffix("connectorclientconfigoverridepolicy").unwrap_or(&simple);
        match alias {
            "none" => Ok(OverridePolicy::None),
            "principal" => Ok(OverridePolicy::Principal),
            "all" => Ok(OverridePolicy::All),
            _ => Err(ConnectError::config(format!(
                "Invalid value {value} for configuration {OVERRIDE_POLICY_CONFIG}: expected None, Principal or All (or Kafka's ConnectorClientConfigOverridePolicy class names)"
            ))),
        }
    }

    /// The policy's name as Kafka's messages give it.
    pub fn name(self) -> &'static str {
        match self {
            OverridePolicy::None => "None",
            OverridePolicy::Principal => "Principal",
            OverridePolicy::All => "All",
        }
    }

    /// Whether the policy lets a connector set the client key `key` (without prefix).
    pub fn allows(self, key: &str) -> bool {
        match self {
            OverridePolicy::None => false,
            OverridePolicy::Principal => PRINCIPAL_KEYS.contains(&key),
            OverridePolicy::All => true,
        }
    }

    /// The override keys of connector config `config` (of a connector of `kind`) that
    /// the policy refuses, each as its full key (`producer.override.linger.ms`) and
    /// Kafka's message (see [`review`](Self::review)).
    pub fn violations(self, kind: PluginKind, config: &RawConfig) -> Vec<(String, String)> {
        self.review(kind, config).into_iter().filter_map(|(k, e)| Some((k, e?))).collect()
    }

    /// Every override key of connector config `config` (of a connector of `kind`), as its
    /// full key (`producer.override.linger.ms`), with Kafka's message when the policy
    /// refuses it. As in Kafka, only the clients the connector uses are reviewed: the
    /// producer of sources and of sinks with a dead letter queue, the consumer of sinks,
    /// the admin client of sources creating topics and of sinks with a dead letter queue.
    pub fn review(self, kind: PluginKind, config: &RawConfig) -> Vec<(String, Option<String>)> {
        let source = kind == PluginKind::Source;
        let dlq =
            config.get("errors.deadletterqueue.topic.name").is_some_and(|t| !t.trim().is_empty());
        let topic_creation = config.keys().any(|k| k.starts_with("topic.creation."));
        let mut clients = Vec::new();
        if source || dlq {
            clients.push("producer");
        }
        if !source {
            clients.push("consumer");
        }
        if (source && topic_creation) || (!source && dlq) {
            clients.push("admin");
        }
        let mut out = Vec::new();
        for client in clients {
            let prefix = format!("{client}.override.");
            for key in config.keys() {
                let Some(client_key) = key.strip_prefix(&prefix) else { continue };
                let refusal = (!self.allows(client_key)).then(|| {
                    format!(
                        "The '{}' policy does not allow '{client_key}' to be overridden in the connector configuration.",
                        self.name()
                    )
                });
                out.push((key.clone(), refusal));
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawConfig {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn names_and_class_names_parse() {
        let p = "org.apache.kafka.connect.connector.policy.";
        assert_eq!(OverridePolicy::parse("None").unwrap(), OverridePolicy::None);
        assert_eq!(OverridePolicy::parse("principal").unwrap(), OverridePolicy::Principal);
        assert_eq!(
            OverridePolicy::parse(&format!("{p}AllConnectorClientConfigOverridePolicy")).unwrap(),
            OverridePolicy::All
        );
        assert_eq!(
            OverridePolicy::parse(&format!("{p}NoneConnectorClientConfigOverridePolicy")).unwrap(),
            OverridePolicy::None
        );
        assert_eq!(
            OverridePolicy::parse("PrincipalConnectorClientConfigOverridePolicy").unwrap(),
            OverridePolicy::Principal
        );
        let e = OverridePolicy::parse("Some").unwrap_err();
        assert!(e.message().contains(OVERRIDE_POLICY_CONFIG), "{e}");
        assert_eq!(OverridePolicy::default(), OverridePolicy::All);
    }

    #[test]
    fn each_policy_allows_its_keys() {
        let config = raw(&[
            ("producer.override.linger.ms", "5"),
            ("producer.override.sasl.mechanism", "PLAIN"),
            ("producer.override.security.protocol", "SASL_SSL"),
            ("producer.override.sasl.jaas.config", "x"),
            ("consumer.override.max.poll.records", "5"),
        ]);
        assert!(OverridePolicy::All.violations(PluginKind::Source, &config).is_empty());
        let principal = OverridePolicy::Principal.violations(PluginKind::Source, &config);
        assert_eq!(
            principal,
            vec![(
                "producer.override.linger.ms".to_string(),
                "The 'Principal' policy does not allow 'linger.ms' to be overridden in the connector configuration.".to_string()
            )]
        );
        let none = OverridePolicy::None.violations(PluginKind::Source, &config);
        assert_eq!(none.len(), 4, "{none:?}");
        assert!(none[0].1.starts_with("The 'None' policy does not allow"));
    }

    #[test]
    fn only_the_clients_a_connector_uses_are_checked() {
        let config = raw(&[
            ("producer.override.linger.ms", "5"),
            ("consumer.override.max.poll.records", "5"),
            ("admin.override.retries", "1"),
        ]);
        let keys = |kind, c: &RawConfig| {
            OverridePolicy::None.violations(kind, c).into_iter().map(|(k, _)| k).collect::<Vec<_>>()
        };
        assert_eq!(keys(PluginKind::Source, &config), vec!["producer.override.linger.ms"]);
        assert_eq!(keys(PluginKind::Sink, &config), vec!["consumer.override.max.poll.records"]);
        let mut dlq = config.clone();
        dlq.insert("errors.deadletterqueue.topic.name".into(), "dlq".into());
        assert_eq!(keys(PluginKind::Sink, &dlq).len(), 3);
        let mut creating = config;
        creating.insert("topic.creation.default.partitions".into(), "1".into());
        assert_eq!(keys(PluginKind::Source, &creating).len(), 2);
    }
}
