//! The registry's settings, read from a Confluent-style `schema-registry.properties`.
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `listeners` | `http://host:port`, comma-separated (the first is used) | `http://0.0.0.0:8081` |
//! | `kafkastore.bootstrap.servers` | Kafka for storage (`PLAINTEXT://` prefixes allowed); absent: in memory | none |
//! | `kafkastore.topic` | the storage topic | `_schemas` |
//! | `kafkastore.topic.replication.factor` | replication when creating it | 1 |
//! | `kafkastore.init.timeout.ms` | time allowed to read the topic at start | 60000 |
//! | `kafkastore.timeout.ms` | time allowed for each write | 30000 |
//! | `kafkastore.security.*`, `kafkastore.sasl.*`, `kafkastore.ssl.*` | passed to librdkafka without the prefix | |
//! | `schema.compatibility.level` (or the older `avro.compatibility.level`) | the default level | BACKWARD |

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::compat::CompatibilityLevel;
use crate::error::{RegistryError, Result};
use crate::registry::Registry;
use crate::store::kafka::DEFAULT_TOPIC;
use crate::store::{KafkaStore, KafkaStoreConfig, MemoryStore, SchemaStore};

/// The default listener.
pub const DEFAULT_LISTENER: &str = "http://0.0.0.0:8081";

/// The registry's settings.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// The listeners, as URLs.
    pub listeners: Vec<String>,
    /// Kafka storage, or `None` for memory.
    pub kafka: Option<KafkaStoreConfig>,
    /// The default compatibility level.
    pub compatibility: CompatibilityLevel,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            listeners: vec![DEFAULT_LISTENER.to_string()],
            kafka: None,
            compatibility: CompatibilityLevel::default(),
        }
    }
}

fn config_error(message: String) -> RegistryError {
    RegistryError::new(400, message)
}

fn millis(props: &BTreeMap<String, String>, key: &str, default: u64) -> Result<Duration> {
    match props.get(key) {
        None => Ok(Duration::from_millis(default)),
        Some(v) => {
            v.trim().parse::<u64>().map(Duration::from_millis).map_err(|_| {
                config_error(format!("{key} must be a number of milliseconds, got {v}"))
            })
        }
    }
}

/// `PLAINTEXT://host:port,…` → `host:port,…`.
fn strip_protocols(servers: &str) -> String {
    servers
        .split(',')
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.split_once("://").map_or(s, |(_, rest)| rest))
        .collect::<Vec<_>>()
        .join(",")
}

impl RegistryConfig {
    /// Reads settings from properties (unknown keys are ignored).
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<RegistryConfig> {
        let mut config = RegistryConfig::default();
        if let Some(l) = props.get("listeners") {
            let listeners: Vec<String> =
                l.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            if !listeners.is_empty() {
                config.listeners = listeners;
            }
        }
        let level =
            props.get("schema.compatibility.level").or(props.get("avro.compatibility.level"));
        if let Some(level) = level {
            config.compatibility = level.parse()?;
        }
        let servers = props.get("kafkastore.bootstrap.servers").map(|s| strip_protocols(s));
        if let Some(servers) = servers.filter(|s| !s.is_empty()) {
            let topic = props.get("kafkastore.topic").map_or(DEFAULT_TOPIC, |t| t.trim());
            let mut k = KafkaStoreConfig::new(servers, topic);
            if let Some(rf) = props.get("kafkastore.topic.replication.factor") {
                k.replication_factor = rf.trim().parse().map_err(|_| {
                    config_error(format!(
                        "kafkastore.topic.replication.factor must be a number, got {rf}"
                    ))
                })?;
            }
            k.init_timeout = millis(props, "kafkastore.init.timeout.ms", 60_000)?;
            k.write_timeout = millis(props, "kafkastore.timeout.ms", 30_000)?;
            for (key, v) in props {
                if let Some(rest) = key.strip_prefix("kafkastore.")
                    && ["security.", "sasl.", "ssl."].iter().any(|p| rest.starts_with(p))
                {
                    k.client.push((rest.to_string(), v.clone()));
                }
            }
            config.kafka = Some(k);
        }
        Ok(config)
    }

    /// Reads a `.properties` file.
    pub fn load(path: &std::path::Path) -> Result<RegistryConfig> {
        let file = std::fs::File::open(path)
            .map_err(|e| config_error(format!("cannot open {}: {e}", path.display())))?;
        let props = java_properties::read(std::io::BufReader::new(file))
            .map_err(|e| config_error(format!("cannot read {}: {e}", path.display())))?;
        Self::from_properties(&props.into_iter().collect())
    }

    /// The `host:port` to bind for the first listener.
    pub fn bind_address(&self) -> Result<String> {
        let first = self.listeners.first().map_or(DEFAULT_LISTENER, String::as_str);
        let addr = match first.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(config_error(format!(
                    "listener {first}: only http is supported, not {scheme}"
                )));
            }
            None => first,
        };
        Ok(addr.trim_end_matches('/').to_string())
    }

    /// Opens the registry these settings describe: on its Kafka topic, or in memory.
    pub async fn open_registry(&self) -> Result<Registry> {
        let store: Arc<dyn SchemaStore> = match &self.kafka {
            Some(k) => Arc::new(KafkaStore::open(k.clone()).await?),
            None => Arc::new(MemoryStore::new()),
        };
        Registry::open(store, self.compatibility).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_memory_backward_and_port_8081() {
        let c = RegistryConfig::from_properties(&props(&[])).unwrap();
        assert!(c.kafka.is_none());
        assert_eq!(c.compatibility, CompatibilityLevel::Backward);
        assert_eq!(c.bind_address().unwrap(), "0.0.0.0:8081");
    }

    #[test]
    fn kafka_settings_are_read() {
        let c = RegistryConfig::from_properties(&props(&[
            ("listeners", "http://127.0.0.1:9999"),
            ("kafkastore.bootstrap.servers", "PLAINTEXT://a:9092,b:9092"),
            ("schema.compatibility.level", "full"),
            ("kafkastore.security.protocol", "SASL_SSL"),
            ("kafkastore.init.timeout.ms", "5000"),
        ]))
        .unwrap();
        let k = c.kafka.clone().unwrap();
        assert_eq!(k.bootstrap_servers, "a:9092,b:9092");
        assert_eq!(k.topic, "_schemas");
        assert_eq!(k.init_timeout, Duration::from_secs(5));
        assert_eq!(k.client, vec![("security.protocol".to_string(), "SASL_SSL".to_string())]);
        assert_eq!(c.compatibility, CompatibilityLevel::Full);
        assert_eq!(c.bind_address().unwrap(), "127.0.0.1:9999");
        assert!(
            RegistryConfig::from_properties(&props(&[("schema.compatibility.level", "x")]))
                .is_err()
        );
    }
}
