//! [`RestServer`]: the REST listener of a worker (standalone or distributed), bound from
//! its `listeners` config, served over a herder, and stopped with a short drain.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use connect_api::{ConnectError, Result};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::config::worker::WorkerConfig;
use crate::herder::Herder;
use crate::standalone::listener_addr;

/// How long a stopping worker lets REST requests in flight finish.
const REST_DRAIN: Duration = Duration::from_secs(5);

/// A bound REST listener, not serving yet (the worker id is its address).
#[derive(Debug)]
pub struct BoundListener {
    listener: TcpListener,
    addr: SocketAddr,
}

impl BoundListener {
    /// Binds the first of the worker's `listeners` (default `http://:8083`).
    pub async fn bind(config: &WorkerConfig) -> Result<BoundListener> {
        let listeners = config.listeners();
        let first = listeners.first().cloned().unwrap_or_else(|| "http://:8083".to_string());
        let bind = listener_addr(&first)?;
        let listener = TcpListener::bind(&bind).await.map_err(|e| {
            ConnectError::config(format!("cannot listen on {bind} (listeners={first}): {e}"))
                .with_source(e)
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| ConnectError::fatal(format!("no local address: {e}")))?;
        Ok(BoundListener { listener, addr })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The host other workers reach it by when none is advertised (`localhost` for an
    /// unspecified address).
    pub fn host(&self) -> String {
        match self.addr.ip() {
            ip if ip.is_unspecified() => "localhost".to_string(),
            ip => ip.to_string(),
        }
    }

    /// Serves Kafka Connect's REST API over `herder`; `/admin/loggers` changes what this
    /// process logs when `logging::init` set it up.
    pub fn serve(self, herder: Arc<dyn Herder>) -> RestServer {
        let router = super::router_with_control(herder, crate::logging::log_control());
        let stop = CancellationToken::new();
        let stopping = stop.clone();
        let task = tokio::spawn(async move {
            let serve = axum::serve(self.listener, router)
                .with_graceful_shutdown(async move { stopping.cancelled().await });
            if let Err(e) = serve.await {
                warn!(error = %e, "REST server stopped with an error");
            }
        });
        info!(url = %format!("http://{}", self.addr), "REST server listening");
        RestServer { addr: self.addr, stop, task }
    }
}

/// A serving REST listener.
#[derive(Debug)]
pub struct RestServer {
    addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl RestServer {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests; requests in flight (one waiting on a connector stuck in
    /// its own start) get a few seconds to finish, then are dropped.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if tokio::time::timeout(REST_DRAIN, &mut self.task).await.is_err() {
            warn!("REST requests still running after {REST_DRAIN:?}: closing them");
            self.task.abort();
        }
    }
}
