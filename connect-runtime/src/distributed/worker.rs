//! [`Distributed`]: a distributed worker with its REST server, what `connect-distributed`
//! runs and what a program embedding the runtime starts to join a Connect cluster.

use std::path::Path;

use connect_api::Result;
use connect_api::config::RawConfig;
use tracing::warn;

use super::herder::DistributedHerder;
use crate::config::worker::WorkerConfig;
use crate::registry::PluginRegistry;
use crate::rest;

/// A running distributed worker and its REST server.
pub struct Distributed {
    herder: DistributedHerder,
    rest: rest::server::RestServer,
    metrics: rest::metrics::MetricsServers,
}

impl Distributed {
    /// Parses the worker config, binds the REST listener, starts the herder (which joins
    /// the group) and serves the REST API.
    pub async fn start(worker_config: RawConfig, registry: PluginRegistry) -> Result<Distributed> {
        let (config, unknown) = WorkerConfig::parse(&worker_config)?;
        for key in unknown {
            warn!(key = %key, "unknown worker config key ignored");
        }
        config.distributed()?;
        let listener = rest::server::BoundListener::bind(&config).await?;
        let originals = config.originals().clone();
        let host = originals
            .get("rest.advertised.host.name")
            .filter(|h| !h.is_empty())
            .cloned()
            .unwrap_or_else(|| listener.host());
        let port = originals
            .get("rest.advertised.port")
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(listener.addr().port());
        // The advertised listener's protocol: `rest.advertised.listener`, else http when a
        // listener is, else https (Kafka's rule, applied by the listener).
        let scheme = listener.scheme().as_str();
        let worker_id = format!("{host}:{port}");
        let url = format!("{scheme}://{host}:{port}/");
        let metrics_listeners = config.metrics_listeners();
        // The REST API answers from now on: 503 (`/health`: starting) until the herder has
        // started (read the internal topics), as Kafka's does.
        let (rest, gate) = listener.serve_starting();
        let herder = match DistributedHerder::start(config, registry, worker_id, url).await {
            Ok(h) => h,
            Err(e) => {
                rest.shutdown().await;
                return Err(e);
            }
        };
        let shared: std::sync::Arc<dyn crate::herder::Herder> = std::sync::Arc::new(herder.clone());
        let metrics =
            match rest::metrics::MetricsServers::start(&metrics_listeners, shared.clone()).await {
                Ok(m) => m,
                Err(e) => {
                    herder.shutdown().await;
                    rest.shutdown().await;
                    return Err(e);
                }
            };
        gate.open(shared);
        Ok(Distributed { herder, rest, metrics })
    }

    /// Loads the worker config file and starts.
    pub async fn start_from_file(worker: &Path, registry: PluginRegistry) -> Result<Distributed> {
        Self::start(crate::properties::load_file(worker)?, registry).await
    }

    /// The herder.
    pub fn herder(&self) -> &DistributedHerder {
        &self.herder
    }

    /// The REST base URL of the advertised listener (`https://…` when it is https).
    pub fn rest_url(&self) -> String {
        self.rest.url()
    }

    /// Stops the herder (its work, committing offsets; leaving the group) and the REST
    /// server.
    pub async fn shutdown(self) {
        self.herder.shutdown().await;
        self.rest.shutdown().await;
        self.metrics.shutdown().await;
    }
}
