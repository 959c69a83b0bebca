//! A standalone worker with its REST server: what `connect-standalone` runs, and what a
//! program embedding the runtime starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use std::sync::Arc;

use connect_schema_registry::{
    CompatibilityLevel, KafkaStore, KafkaStoreConfig, Registry, RegistryServer,
};

use crate::registry::PluginRegistry;
use crate::rest;
use crate::worker::Worker;
use crate::worker::config::WorkerConfig;

/// What to start.
#[derive(Debug, Clone)]
pub struct StandaloneOptions {
    /// The worker config (`connect-standalone.properties`).
    pub worker_config: RawConfig,
    /// Connector configs to create at start.
    pub connectors: Vec<RawConfig>,
}

/// A running standalone worker and its REST server.
pub struct Standalone {
    schema_registry: Option<RegistryServer>,
    worker: Worker,
    rest_addr: SocketAddr,
    rest_stop: CancellationToken,
    rest_task: JoinHandle<()>,
}

/// Turns a Kafka Connect listener (`http://host:port`, `http://:8083`) into an address to
/// bind.
pub fn listener_addr(listener: &str) -> Result<String> {
    let rest = listener
        .strip_prefix("http://")
        .ok_or_else(|| ConnectError::config(format!("Invalid value {listener} for configuration listeners: only http:// listeners are supported")))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').ok_or_else(|| {
        ConnectError::config(format!(
            "Invalid value {listener} for configuration listeners: expected http://host:port"
        ))
    })?;
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    port.parse::<u16>().map_err(|_| {
        ConnectError::config(format!(
            "Invalid value {listener} for configuration listeners: bad port {port}"
        ))
    })?;
    Ok(format!("{host}:{port}"))
}

/// Starts the embedded schema registry when the worker config asks for one.
async fn start_schema_registry(config: &WorkerConfig) -> Result<Option<RegistryServer>> {
    let listeners = config
        .parsed()
        .get_list("schema.registry.listeners")
        .map(|l| l.to_vec())
        .unwrap_or_default();
    let Some(listener) = listeners.first() else {
        return Ok(None);
    };
    let addr = listener_addr(listener)?;
    let registry = match config.bootstrap_servers() {
        Some(bootstrap) => {
            let topic = config
                .parsed()
                .get_string("schema.registry.topic")
                .unwrap_or("_schemas")
                .to_string();
            let store = KafkaStore::open(KafkaStoreConfig::new(bootstrap, topic.clone()))
                .await
                .map_err(|e| {
                    ConnectError::config(format!(
                        "cannot open the schema registry topic {topic}: {e}"
                    ))
                })?;
            Registry::open(Arc::new(store), CompatibilityLevel::default())
                .await
                .map_err(|e| ConnectError::fatal(format!("cannot load the schema registry: {e}")))?
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
    info!(url = %server.url(), "embedded schema registry listening");
    Ok(Some(server))
}

impl Standalone {
    /// Parses the worker config, starts the worker and the REST server, and creates the
    /// given connectors.
    pub async fn start(options: StandaloneOptions, registry: PluginRegistry) -> Result<Standalone> {
        let (config, unknown) = WorkerConfig::parse(&options.worker_config)?;
        for key in unknown {
            warn!(key = %key, "unknown worker config key ignored");
        }
        if config.originals().contains_key("plugin.path") {
            warn!("plugin.path is ignored: plugins are compiled into this worker");
        }
        let listeners = config.listeners();
        let first = listeners.first().cloned().unwrap_or_else(|| "http://:8083".to_string());
        let bind = listener_addr(&first)?;
        let listener = tokio::net::TcpListener::bind(&bind).await.map_err(|e| {
            ConnectError::config(format!("cannot listen on {bind} (listeners={first}): {e}"))
                .with_source(e)
        })?;
        let rest_addr = listener
            .local_addr()
            .map_err(|e| ConnectError::fatal(format!("no local address: {e}")))?;
        let host = match rest_addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_string(),
            ip => ip.to_string(),
        };
        let worker_id = format!("{host}:{}", rest_addr.port());
        let schema_registry = start_schema_registry(&config).await?;
        let worker = Worker::start_with(config, registry, worker_id, options.connectors).await?;
        let rest_stop = CancellationToken::new();
        // `/admin/loggers` changes what this process logs when `logging::init` set it up.
        let router = rest::router_with_control(worker.clone(), crate::logging::log_control());
        let stop = rest_stop.clone();
        let rest_task = tokio::spawn(async move {
            let serve = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await });
            if let Err(e) = serve.await {
                warn!(error = %e, "REST server stopped with an error");
            }
        });
        info!(url = %format!("http://{rest_addr}"), "REST server listening");
        Ok(Standalone { schema_registry, worker, rest_addr, rest_stop, rest_task })
    }

    /// Loads the worker and connector files named on the command line.
    pub fn options_from_files(worker: &Path, connectors: &[PathBuf]) -> Result<StandaloneOptions> {
        let worker_config = crate::properties::load_file(worker)?;
        let connectors = connectors
            .iter()
            .map(|p| crate::properties::load_file(p))
            .collect::<Result<Vec<_>>>()?;
        Ok(StandaloneOptions { worker_config, connectors })
    }

    /// The worker.
    pub fn worker(&self) -> &Worker {
        &self.worker
    }

    /// Where the REST server listens.
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest_addr
    }

    /// The REST base URL (`http://127.0.0.1:8083`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    /// The embedded schema registry's URL, when `schema.registry.listeners` started one.
    pub fn schema_registry_url(&self) -> Option<String> {
        self.schema_registry.as_ref().map(RegistryServer::url)
    }

    /// Stops connectors (committing offsets), the REST server and the embedded registry.
    pub async fn shutdown(self) {
        self.worker.shutdown().await;
        self.rest_stop.cancel();
        let _ = self.rest_task.await;
        if let Some(r) = &self.schema_registry {
            r.shutdown().await;
        }
    }
}
