//! `GET /metrics`: the worker's metrics in Prometheus' (OpenMetrics) text format, on the
//! REST listeners and, when `metrics.listeners` names some, on plain HTTP listeners of
//! their own that serve nothing else (so Prometheus needs no REST credentials).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use connect_api::{ConnectError, Result};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::AppState;
use crate::herder::Herder;

/// The content type of the OpenMetrics text format, which Prometheus asks for first.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics` on the REST API.
pub async fn scrape(State(app): State<AppState>) -> Response {
    render(app.herder.as_ref()).await
}

async fn render(herder: &dyn Herder) -> Response {
    let text = herder.metrics_text().await;
    ([(header::CONTENT_TYPE, OPENMETRICS)], text).into_response()
}

/// The `metrics.listeners` servers of a worker.
#[derive(Debug, Default)]
pub struct MetricsServers {
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    addrs: Vec<std::net::SocketAddr>,
}

impl MetricsServers {
    /// Binds every `metrics.listeners` entry (`http://host:port`, see
    /// [`WorkerConfig::metrics_listeners`](crate::config::worker::WorkerConfig::metrics_listeners)) and serves `GET /metrics` of `herder` on it.
    pub async fn start(listeners: &[String], herder: Arc<dyn Herder>) -> Result<MetricsServers> {
        let mut servers = MetricsServers::default();
        for listener in listeners {
            let bind = crate::standalone::listener_addr(listener).map_err(|e| {
                ConnectError::config(e.message().replace("listeners", "metrics.listeners"))
            })?;
            let tcp = TcpListener::bind(&bind).await.map_err(|e| {
                ConnectError::config(format!(
                    "cannot listen on {bind} (metrics.listeners={listener}): {e}"
                ))
                .with_source(e)
            })?;
            let addr = tcp
                .local_addr()
                .map_err(|e| ConnectError::fatal(format!("no local address: {e}")))?;
            let herder = herder.clone();
            let router = Router::new().route(
                "/metrics",
                get(move || {
                    let herder = herder.clone();
                    async move { render(herder.as_ref()).await }
                }),
            );
            let stopping = servers.stop.clone();
            servers.tasks.push(tokio::spawn(async move {
                let serve = axum::serve(tcp, router)
                    .with_graceful_shutdown(async move { stopping.cancelled().await });
                if let Err(e) = serve.await {
                    warn!(error = %e, "metrics listener stopped with an error");
                }
            }));
            info!(url = %format!("http://{addr}/metrics"), "metrics listener serving");
            servers.addrs.push(addr);
        }
        Ok(servers)
    }

    /// Where they listen, in `metrics.listeners` order.
    pub fn addrs(&self) -> &[std::net::SocketAddr] {
        &self.addrs
    }

    /// Stops them.
    pub async fn shutdown(self) {
        self.stop.cancel();
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(std::time::Duration::from_secs(2), task).await.is_err() {
                abort.abort();
            }
        }
    }
}
