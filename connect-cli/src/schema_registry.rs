//! The schema registry embedded in the worker (feature `schema-registry`): with
//! `schema.registry.listeners=http://127.0.0.1:8081` in the worker config, the worker starts
//! our Confluent-compatible registry beside itself, kept in the `schema.registry.topic`
//! topic (`_schemas`) on a real broker and in memory on the embedded one.

use std::sync::Arc;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigKey, Importance, Type};
use connect_api::{ConnectError, Result};
use connect_runtime::config::worker::WorkerConfig;
use connect_runtime::service::{RunningService, WorkerService};
use connect_runtime::standalone::listener_addr;
use connect_schema_registry::{
    CompatibilityLevel, KafkaStore, KafkaStoreConfig, Registry, RegistryServer,
};
use tracing::warn;

/// Where the registry listens; empty: not started.
pub const LISTENERS_CONFIG: &str = "schema.registry.listeners";
/// The topic that keeps the schemas on a real broker.
pub const TOPIC_CONFIG: &str = "schema.registry.topic";

/// The [`WorkerService`] that starts the registry.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbeddedSchemaRegistry;

struct Running(RegistryServer);

#[async_trait]
impl RunningService for Running {
    fn url(&self) -> Option<String> {
        Some(self.0.url())
    }

    async fn shutdown(self: Box<Self>) {
        self.0.shutdown().await;
    }
}

#[async_trait]
impl WorkerService for EmbeddedSchemaRegistry {
    fn name(&self) -> &str {
        "schema-registry"
    }

    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new(LISTENERS_CONFIG, Type::List, Importance::Low, "Start an embedded Confluent-compatible schema registry on these listeners (http://host:port); point *.converter.schema.registry.url at it. Kept in the _schemas topic on a real broker, in memory otherwise.").default_value(""))
            .define(ConfigKey::new(TOPIC_CONFIG, Type::String, Importance::Low, "Topic of the embedded schema registry.").default_value("_schemas"))
    }

    async fn start(&self, config: &WorkerConfig) -> Result<Option<Box<dyn RunningService>>> {
        let listeners =
            config.parsed().get_list(LISTENERS_CONFIG).map(|l| l.to_vec()).unwrap_or_default();
        let Some(listener) = listeners.first() else {
            return Ok(None);
        };
        let addr = listener_addr(listener)?;
        let registry = match config.bootstrap_servers() {
            Some(bootstrap) => {
                let topic =
                    config.parsed().get_string(TOPIC_CONFIG).unwrap_or("_schemas").to_string();
                let store = KafkaStore::open(KafkaStoreConfig::new(bootstrap, topic.clone()))
                    .await
                    .map_err(|e| {
                        ConnectError::config(format!(
                            "cannot open the schema registry topic {topic}: {e}"
                        ))
                    })?;
                Registry::open(Arc::new(store), CompatibilityLevel::default()).await.map_err(
                    |e| ConnectError::fatal(format!("cannot load the schema registry: {e}")),
                )?
            }
            None => {
                warn!(
                    "embedded schema registry keeps schemas in memory (no bootstrap.servers): they are lost on exit"
                );
                Registry::in_memory()
            }
        };
        let server = RegistryServer::start(registry, &addr).await.map_err(|e| {
            ConnectError::config(format!("cannot start the schema registry on {addr}: {e}"))
        })?;
        Ok(Some(Box::new(Running(server))))
    }
}
