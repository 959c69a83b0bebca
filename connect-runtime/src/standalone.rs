//! A standalone worker with its REST server: what `connect-standalone` runs, and what a
//! program embedding the runtime starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use tracing::{info, warn};

use crate::config::worker::WorkerConfig;
use crate::herder::StandaloneHerder;
use crate::registry::PluginRegistry;
use crate::rest;
use crate::service::RunningService;
use crate::worker::Worker;

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
    /// The worker services started, by name.
    services: Vec<(String, Box<dyn RunningService>)>,
    herder: StandaloneHerder,
    rest: rest::server::RestServer,
    metrics: rest::metrics::MetricsServers,
}

/// Turns an `http://host:port` listener (`http://:8083`) into an address to bind: what
/// the embedded schema registry's `schema.registry.listeners` takes. The REST API's
/// `listeners`, `https://` included, are read by
/// [`ListenerSpec`](crate::rest::server::ListenerSpec).
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

/// Starts every registered service its worker config asks for, in order; one that fails
/// stops those already started and fails the start.
async fn start_services(
    registry: &PluginRegistry,
    config: &WorkerConfig,
) -> Result<Vec<(String, Box<dyn RunningService>)>> {
    let mut started: Vec<(String, Box<dyn RunningService>)> = Vec::new();
    for service in registry.services() {
        match service.start(config).await {
            Ok(Some(running)) => {
                info!(service = service.name(), url = ?running.url(), "worker service started");
                started.push((service.name().to_string(), running));
            }
            Ok(None) => {}
            Err(e) => {
                for (_, s) in started {
                    s.shutdown().await;
                }
                return Err(e.context(format!("cannot start the {} service", service.name())));
            }
        }
    }
    Ok(started)
}

impl Standalone {
    /// Parses the worker config, starts the worker and the REST server, and creates the
    /// given connectors.
    pub async fn start(options: StandaloneOptions, registry: PluginRegistry) -> Result<Standalone> {
        let service_keys: Vec<_> = registry.services().iter().map(|s| s.config_def()).collect();
        let (config, unknown) = WorkerConfig::parse_with(&options.worker_config, &service_keys)?;
        for key in unknown {
            warn!(key = %key, "unknown worker config key ignored");
        }
        if config.originals().contains_key("plugin.path") {
            warn!("plugin.path is ignored: plugins are compiled into this worker");
        }
        let listener = rest::server::BoundListener::bind(&config).await?;
        let worker_id = format!("{}:{}", listener.host(), listener.addr().port());
        let metrics_listeners = config.metrics_listeners();
        // The REST API answers from now on: 503 (`/health`: starting) until the worker
        // has started, as Kafka's does.
        let (rest, gate) = listener.serve_starting();
        let started =
            async {
                let services = start_services(&registry, &config).await?;
                let herder =
                    match StandaloneHerder::start(config, registry, worker_id, options.connectors)
                        .await
                    {
                        Ok(h) => h,
                        Err(e) => {
                            for (_, s) in services {
                                s.shutdown().await;
                            }
                            return Err(e);
                        }
                    };
                let shared: std::sync::Arc<dyn crate::herder::Herder> =
                    std::sync::Arc::new(herder.clone());
                match rest::metrics::MetricsServers::start(&metrics_listeners, shared.clone()).await
                {
                    Ok(metrics) => Ok((services, herder, shared, metrics)),
                    Err(e) => {
                        herder.shutdown().await;
                        for (_, s) in services {
                            s.shutdown().await;
                        }
                        Err(e)
                    }
                }
            }
            .await;
        let (services, herder, shared, metrics) = match started {
            Ok(parts) => parts,
            Err(e) => {
                rest.shutdown().await;
                return Err(e);
            }
        };
        gate.open(shared);
        Ok(Standalone { services, herder, rest, metrics })
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

    /// The herder: connectors, their configs, statuses and lifecycle.
    pub fn herder(&self) -> &StandaloneHerder {
        &self.herder
    }

    /// The worker that runs the connectors and tasks (Kafka clients, worker config).
    pub fn worker(&self) -> &Worker {
        self.herder.worker()
    }

    /// Where the REST server listens.
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest.addr()
    }

    /// The REST base URL of the worker's advertised listener (`http://127.0.0.1:8083`,
    /// `https://…` when that listener is https).
    pub fn rest_url(&self) -> String {
        self.rest.url()
    }

    /// Where the `metrics.listeners` serve `GET /metrics`.
    pub fn metrics_addrs(&self) -> &[SocketAddr] {
        self.metrics.addrs()
    }

    /// The URL of the started worker service named `name` (`schema-registry`).
    pub fn service_url(&self, name: &str) -> Option<String> {
        self.services.iter().find(|(n, _)| n == name).and_then(|(_, s)| s.url())
    }

    /// Stops connectors (committing offsets), the REST server and the worker services.
    pub async fn shutdown(self) {
        self.herder.shutdown().await;
        self.rest.shutdown().await;
        self.metrics.shutdown().await;
        for (_, s) in self.services {
            s.shutdown().await;
        }
    }
}
