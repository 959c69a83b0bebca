//! [`Distributed`]: a distributed worker with its REST server, what `connect-distributed`
//! runs and what a program embedding the runtime starts to join a Connect cluster.

use std::net::SocketAddr;
use std::path::Path;

use connect_api::config::RawConfig;
use connect_api::{ConnectError, Result};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::herder::DistributedHerder;
use crate::config::worker::WorkerConfig;
use crate::registry::PluginRegistry;
use crate::rest;
use crate::standalone::listener_addr;

/// A running distributed worker and its REST server.
pub struct Distributed {
    herder: DistributedHerder,
    rest_addr: SocketAddr,
    rest_stop: CancellationToken,
    rest_task: JoinHandle<()>,
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
        let originals = config.originals().clone();
        let host = originals
            .get("rest.advertised.host.name")
            .filter(|h| !h.is_empty())
            .cloned()
            .unwrap_or_else(|| match rest_addr.ip() {
                ip if ip.is_unspecified() => "localhost".to_string(),
                ip => ip.to_string(),
            });
        let port = originals
            .get("rest.advertised.port")
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(rest_addr.port());
        let scheme =
            originals.get("rest.advertised.listener").cloned().unwrap_or_else(|| "http".into());
        let worker_id = format!("{host}:{port}");
        let url = format!("{scheme}://{host}:{port}/");
        let herder = DistributedHerder::start(config, registry, worker_id, url).await?;
        let rest_stop = CancellationToken::new();
        let router = rest::router_with_control(
            std::sync::Arc::new(herder.clone()),
            crate::logging::log_control(),
        );
        let stop = rest_stop.clone();
        let rest_task = tokio::spawn(async move {
            let serve = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await });
            if let Err(e) = serve.await {
                warn!(error = %e, "REST server stopped with an error");
            }
        });
        info!(url = %format!("http://{rest_addr}"), "REST server listening");
        Ok(Distributed { herder, rest_addr, rest_stop, rest_task })
    }

    /// Loads the worker config file and starts.
    pub async fn start_from_file(worker: &Path, registry: PluginRegistry) -> Result<Distributed> {
        Self::start(crate::properties::load_file(worker)?, registry).await
    }

    /// The herder.
    pub fn herder(&self) -> &DistributedHerder {
        &self.herder
    }

    /// The REST base URL.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    /// Stops the herder (its work, committing offsets; leaving the group) and the REST
    /// server.
    pub async fn shutdown(mut self) {
        self.herder.shutdown().await;
        self.rest_stop.cancel();
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut self.rest_task)
            .await
            .is_err()
        {
            self.rest_task.abort();
        }
    }
}
