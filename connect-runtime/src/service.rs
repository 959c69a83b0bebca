//! [`WorkerService`]: something that runs beside a worker, started from the worker config
//! (the schema registry that `schema.registry.listeners` embeds in the shipped worker is
//! one). Services are registered in the [`PluginRegistry`](crate::PluginRegistry) with the
//! plugins, so the crate that assembles a worker decides which it has.

use async_trait::async_trait;
use connect_api::Result;
use connect_api::config::ConfigDef;

use crate::config::worker::WorkerConfig;

/// A service started with the worker when its config asks for it.
#[async_trait]
pub trait WorkerService: Send + Sync {
    /// A short name for logs and [`Standalone::service_url`](crate::standalone::Standalone::service_url)
    /// (`schema-registry`).
    fn name(&self) -> &str;

    /// The worker config keys the service reads; the worker accepts them as its own.
    fn config_def(&self) -> ConfigDef;

    /// Starts the service if `config` asks for it (`None` when it does not). Called before
    /// the worker starts its connectors, so they can use it at once.
    async fn start(&self, config: &WorkerConfig) -> Result<Option<Box<dyn RunningService>>>;
}

/// A started [`WorkerService`].
#[async_trait]
pub trait RunningService: Send + Sync {
    /// Where it answers, when it answers anywhere (`http://127.0.0.1:8081`).
    fn url(&self) -> Option<String>;

    /// Stops it; called after the worker stopped its connectors.
    async fn shutdown(self: Box<Self>);
}
